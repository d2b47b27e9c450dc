"""The stages of one salvo: lay, fly, impact, detect and windows, kill draws, threat order,
timelines, credit, casualties.

Each stage is a plain numba function of the bundles it needs (:mod:`forceprot.kernel.bundles`,
:mod:`forceprot.engage.state`); :func:`evaluate_salvo` runs them in order, and the profiler and
the tests call the same stages. Positions are metres in the local CRS; angles radians
(counter-clockwise from +x = east).
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.engage.fire_control import count_on_killed, fight_salvo
from forceprot.engage.params import (
    OUT_NONE,
    P_DEFENDED_RADIUS_M,
    P_MIN_THREAT_RANGE_M,
    P_TRACK_S,
)
from forceprot.engage.units import unit_detection_s, unit_window_s
from forceprot.flight.family import elevation_index, fly_nodes, lay_for_wind
from forceprot.kernel.casualties import count_casualties
from forceprot.kernel.bundles import (
    D_AIM_X,
    D_AIM_Y,
    D_LAUNCH_X,
    D_LAUNCH_Y,
    D_LAY_ERR_X,
    D_LAY_ERR_Y,
)
from forceprot.spatial import counter_uniform, point_in_grid_polygon

__all__ = [
    "classify_impacts",
    "count_casualties",
    "credit_kills",
    "detect_and_window",
    "draw_kills",
    "evaluate_salvo",
    "fly_salvo",
    "lay_salvo",
    "run_timelines",
    "threat_order",
]


@njit_inner
def lay_salvo(salvo, family, draws):
    """Range [m] and heading [rad] the launcher is laid for: aim point plus laying error, then
    corrected for the wind when the crew has met data (:func:`~forceprot.flight.family.lay_for_wind`).

    At a fixed elevation the range laid is always that elevation's no-wind range
    (``salvo.fixed_range_m``): the launcher was placed where it reaches the laid point
    (:func:`~forceprot.kernel.sample.draw_salvo_fixed`), and only the heading is laid.
    """
    lx = draws[D_LAUNCH_X]
    ly = draws[D_LAUNCH_Y]
    lay_x = draws[D_AIM_X] + draws[D_LAY_ERR_X]
    lay_y = draws[D_AIM_Y] + draws[D_LAY_ERR_Y]
    lay_range = math.hypot(lay_x - lx, lay_y - ly)
    heading = math.atan2(lay_y - ly, lay_x - lx)
    if salvo.wind_laying:
        lay_range, heading = lay_for_wind(family, salvo.wind_to_rad, lay_range, heading)
    if salvo.fixed_elevation:
        lay_range = salvo.fixed_range_m
    return lay_range, heading


@njit_inner
def fly_salvo(salvo, family, draws, delta, deflection, flights, impact):
    """Fly every rocket from the family: launch times, node positions, impacts.

    Parameters
    ----------
    salvo : SalvoParams
    family : FamilyTable
    draws, delta, deflection : ndarray
        The salvo's draws (:func:`forceprot.kernel.sample.draw_salvo`).
    flights : Flights
        Output: ``pos_m``, ``t0_s`` (ripple), ``tof_s``.
    impact : ndarray, float64, shape (tubes, 2)
        Output: impact points [m].
    """
    lay_range, heading = lay_salvo(salvo, family, draws)
    lx = draws[D_LAUNCH_X]
    ly = draws[D_LAUNCH_Y]
    last = flights.tau.shape[0] - 1
    for i in range(delta.shape[0]):
        r = lay_range * (1.0 + delta[i])
        r = min(max(r, family.min_range_m), family.max_range_m)
        fe = elevation_index(family.range_nowind_m, r)
        h = heading + deflection[i]
        flights.t0_s[i] = i * salvo.ripple_s
        flights.tof_s[i] = fly_nodes(family, fe, salvo.wind_to_rad - h, lx, ly, h,
                                     flights.pos_m[i])
        impact[i, 0] = flights.pos_m[i, last, 0]
        impact[i, 1] = flights.pos_m[i, last, 1]


@njit_inner
def classify_impacts(base, defended, impact, inside, in_defended):
    """Flag impacts inside the base, and inside the base or the defended area (:data:`CellGrid`
    each)."""
    for i in range(impact.shape[0]):
        ix = impact[i, 0]
        iy = impact[i, 1]
        inside[i] = point_in_grid_polygon(ix, iy, base.x0_m, base.y0_m, base.cell_m, base.nx,
                                          base.ny, base.state, base.rings_m, base.offsets)
        # the defended area holds the base: rockets inside skip the second test
        in_defended[i] = inside[i] or point_in_grid_polygon(
            ix, iy, defended.x0_m, defended.y0_m, defended.cell_m, defended.nx, defended.ny,
            defended.state, defended.rings_m, defended.offsets)


@njit_inner
def detect_and_window(units, flights, impact, in_defended, eng, first_seen, t_kill_s, kill_unit):
    """Every unit's detection and track of every rocket, whether it would engage it, and its
    window.

    A unit considers a rocket predicted to land in the defended area within its defended
    radius, fired from at least its minimum threat range, once it has seen it, and (guns) only
    inside its engagement window. ``first_seen`` is ``(first_detect_s, first_track_s)``: any
    unit's first detection and first fire-control track of each rocket. Resets the engagement
    outputs and the per-rocket kill record for the salvo.
    """
    first_detect_s, first_track_s = first_seen
    n_units = units.kind.shape[0]
    for i in range(impact.shape[0]):
        first_detect_s[i] = math.inf
        first_track_s[i] = math.inf
        t_kill_s[i] = math.inf
        kill_unit[i] = -1
        ix = impact[i, 0]
        iy = impact[i, 1]
        # predicted range of flight, launcher to impact
        flown_m = math.hypot(ix - flights.pos_m[i, 0, 0], iy - flights.pos_m[i, 0, 1])
        for u in range(n_units):
            td = unit_detection_s(units, u, flights, i)
            tt = td + units.par[u, P_TRACK_S]
            eng.t_detect_s[i, u] = td
            eng.t_track_s[i, u] = tt
            if td < first_detect_s[i]:
                first_detect_s[i] = td
            if tt < first_track_s[i]:
                first_track_s[i] = tt
            rad = units.par[u, P_DEFENDED_RADIUS_M]
            dx = ix - units.xy_m[u, 0]
            dy = iy - units.xy_m[u, 1]
            cand = (in_defended[i] and tt < flights.t0_s[i] + flights.tof_s[i]
                    and dx * dx + dy * dy <= rad * rad
                    and flown_m >= units.par[u, P_MIN_THREAT_RANGE_M])
            eng.in_sector[i, u] = cand
            eng.t_open_s[i, u] = math.inf
            eng.t_close_s[i, u] = -math.inf
            if cand:
                ta, tb, cand = unit_window_s(units, u, flights, i)
                eng.t_open_s[i, u] = ta
                eng.t_close_s[i, u] = tb
            eng.candidate[i, u] = cand
            eng.eng_t_s[i, u] = math.nan
            eng.eng_outcome[i, u] = OUT_NONE
            eng.eng_shots[i, u] = 0
            eng.t_kill_s[i, u] = math.inf


@njit_inner
def draw_kills(root_seed, salvo_index, eng):
    """Kill draws (:func:`forceprot.spatial.counter_uniform`) for the pairs that can engage only."""
    for i in range(eng.candidate.shape[0]):
        for u in range(eng.candidate.shape[1]):
            if eng.candidate[i, u]:
                eng.u_kill[i, u, 0] = counter_uniform(root_seed, salvo_index, i, u, 0)
                eng.u_kill[i, u, 1] = counter_uniform(root_seed, salvo_index, i, u, 1)


@njit_inner
def threat_order(flights, order):
    """Rockets by predicted impact time, earliest first (insertion sort of a few indices)."""
    t0 = flights.t0_s
    tof = flights.tof_s
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    for i in range(1, n):
        j = i
        while j > 0 and t0[order[j - 1]] + tof[order[j - 1]] > t0[order[j]] + tof[order[j]]:
            tmp = order[j - 1]
            order[j - 1] = order[j]
            order[j] = tmp
            j -= 1


@njit_inner
def run_timelines(units, order, flights, eng, unit_state):
    """The salvo's fight under the scenario's fire control
    (:mod:`forceprot.engage.fire_control`); ``unit_state.stats`` (n_units, N_UNIT_STATS) gets
    each unit's engagements, kills, shots and magazine exhaustion."""
    fight_salvo(units, order, flights, eng, unit_state)


@njit_inner
def credit_kills(eng, t_kill_s, kill_unit, unit_state):
    """Each rocket's kill goes to the unit that killed it first (``kill_unit`` -1 if none);
    engagements after that kill are counted as wasted in ``unit_state.stats``."""
    for i in range(t_kill_s.shape[0]):
        for u in range(eng.t_kill_s.shape[1]):
            if eng.t_kill_s[i, u] < t_kill_s[i]:
                t_kill_s[i] = eng.t_kill_s[i, u]
                kill_unit[i] = u
    count_on_killed(eng, t_kill_s, unit_state)


@njit_inner
def evaluate_salvo(root_seed, salvo_index, inputs, scratch, kill_draws_ready):
    """Fly one salvo's rockets and run every unit's engagements: every stage, in order.

    Parameters
    ----------
    root_seed, salvo_index : int
        Root seed and global salvo index: they key the kill draws.
    inputs : KernelInputs
    scratch : Scratch
        Holds the salvo's draws on entry; the stages write the rest.
    kill_draws_ready : bool
        ``scratch.eng.u_kill`` is already filled (cross-checks); otherwise only the draws of
        pairs that can engage are computed here.
    """
    s = scratch
    fly_salvo(inputs.salvo, inputs.family, s.draws, s.delta, s.deflection, s.flights, s.impact)
    classify_impacts(inputs.base, inputs.defended, s.impact, s.inside, s.defended)
    detect_and_window(inputs.units, s.flights, s.impact, s.defended, s.eng,
                      (s.first_detect_s, s.first_track_s), s.t_kill_s, s.kill_unit)
    if not kill_draws_ready:
        draw_kills(root_seed, salvo_index, s.eng)
    threat_order(s.flights, s.order)
    run_timelines(inputs.units, s.order, s.flights, s.eng, s.unit_state)
    credit_kills(s.eng, s.t_kill_s, s.kill_unit, s.unit_state)
    count_casualties(inputs.people, inputs.salvo.alert_delay_s, s.flights, s.impact, s.kill_unit,
                     s.first_track_s, s.casualties)
