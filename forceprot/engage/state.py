"""The named bundles of arrays the engagement kernels read and write.

A salvo's flights (:data:`Flights`), every (rocket, unit) engagement record
(:data:`Engagements`) and the defence units (:data:`Units`) travel as namedtuples of arrays, as
pynndescent passes its trees: a stage function takes the bundles it needs and nothing else.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

__all__ = ["Engagements", "Flights", "Horizon", "UnitState", "Units", "empty_engagements",
           "empty_flights", "empty_unit_state", "open_horizon"]

#: One salvo's flights. ``pos_m`` float64 (tubes, n_nodes, 3): node positions in the world frame
#: [m]; ``t0_s``, ``tof_s`` float64 (tubes,): launch times and times of flight [s]; ``tau``
#: float64 (n_nodes,): node ``k`` of rocket ``i`` is at ``t0_s[i] + tau[k] * tof_s[i]``.
Flights = namedtuple("Flights", ["pos_m", "t0_s", "tof_s", "tau"])

#: Every (rocket, unit) pair of a salvo, arrays of shape (tubes, n_units) unless stated:
#: ``in_sector`` bool (predicted impact in the unit's defended area, fired from at least its
#: minimum threat range, tracked before impact), ``candidate`` bool (in sector and, for guns,
#: inside an engagement window), ``t_detect_s`` (first detection, inf if never) [s],
#: ``t_track_s`` (fire-control track: detection + the unit's ``track_s``, inf if never) [s],
#: ``t_open_s``/``t_close_s`` (gun engagement window, inf/-inf if none) [s], ``u_kill`` float64
#: (tubes, n_units, 2) (U(0, 1) kill draws of the first and second shot), then the outputs:
#: ``eng_t_s`` (burst or first intercept time, NaN if not engaged) [s], ``eng_outcome`` int64
#: (:mod:`forceprot.engage.params` OUT_*), ``eng_shots`` int64 (rounds or interceptors),
#: ``t_kill_s`` (time of this unit's kill, inf if none) [s].
Engagements = namedtuple("Engagements", ["in_sector", "candidate", "t_detect_s", "t_track_s", "t_open_s",
                                         "t_close_s", "u_kill", "eng_t_s", "eng_outcome",
                                         "eng_shots", "t_kill_s"])

#: What each unit's sensor sees over the terrain (:mod:`forceprot.terrain`): ``ground_z_m``
#: float64 (n_units,): the unit's ground above the site's ground altitude [m] (its antenna stands
#: ``sensor_height_m`` above that); ``mask_tan`` float64 (n_units, n_az, n_r): the tangent of the
#: terrain masking angle by azimuth bin and distance step (see
#: :func:`forceprot.engage.sensors.masking_tan`), -inf where nothing masks; ``step_m`` float64
#: (n_units,): the distance step of ``mask_tan`` [m]. :func:`open_horizon` is flat open ground.
Horizon = namedtuple("Horizon", ["ground_z_m", "mask_tan", "step_m"])

#: The defence units: ``kind`` int64 (n_units,) (:mod:`forceprot.engage.params` KIND_*),
#: ``xy_m`` float64 (n_units, 2) [m], ``par`` float64 (n_units, N_PAR) (SI units, radians),
#: ``coordinated`` bool: the units fight from one air picture (a rocket killed is not engaged
#: again; each rocket goes to the unit that can kill it first, then to the next after a miss)
#: rather than each on its own (:mod:`forceprot.engage.fire_control`), ``horizon`` a
#: :data:`Horizon`.
Units = namedtuple("Units", ["kind", "xy_m", "par", "coordinated", "horizon"])

#: Each unit's state through one salvo, arrays of shape (n_units,) unless stated: ``active_s``
#: (salvo's first track + reaction: the unit fires no earlier) [s], ``free_s`` (a gun's next
#: free time) [s], ``ammo`` int64 (rounds or interceptors left), ``reloads`` int64 (magazine
#: reloads so far), ``launches_s`` float64 (n_units, max_launches) (a battery's launch times,
#: sorted) [s], ``n_launches`` int64, ``tried`` bool (the unit has engaged the current rocket),
#: ``stats`` int64 (n_units, N_UNIT_STATS) (the salvo's per-unit counts).
UnitState = namedtuple("UnitState", ["active_s", "free_s", "ammo", "reloads", "launches_s",
                                     "n_launches", "tried", "stats"])


def open_horizon(n_units: int) -> Horizon:
    """The :data:`Horizon` of ``n_units`` units on flat ground at the site's altitude, nothing
    masking: detection is then exactly that of the beam floor and the 4/3-earth horizon."""
    return Horizon(np.zeros(n_units), np.full((n_units, 1, 1), -np.inf), np.full(n_units, np.inf))


def empty_flights(tubes: int, tau: np.ndarray) -> Flights:
    """Zeroed :data:`Flights` for ``tubes`` rockets on the node times ``tau`` (Python side)."""
    return Flights(np.zeros((tubes, tau.shape[0], 3)), np.zeros(tubes), np.zeros(tubes), tau)


def empty_engagements(tubes: int, n_units: int) -> Engagements:
    """Zeroed :data:`Engagements` for ``tubes`` rockets and ``n_units`` units (Python side)."""
    shape = (tubes, n_units)
    return Engagements(np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_),
                       np.full(shape, np.inf),
                       np.full(shape, np.inf), np.full(shape, np.inf), np.full(shape, -np.inf),
                       np.zeros((tubes, n_units, 2)), np.full(shape, np.nan),
                       np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=np.int64),
                       np.full(shape, np.inf))


def empty_unit_state(n_units: int, max_launches: int, n_stats: int) -> UnitState:
    """Zeroed :data:`UnitState` for ``n_units`` units (Python side); ``max_launches`` bounds a
    battery's launches in one salvo (its magazine)."""
    return UnitState(np.zeros(n_units), np.zeros(n_units), np.zeros(n_units, dtype=np.int64),
                     np.zeros(n_units, dtype=np.int64),
                     np.zeros((n_units, max(max_launches, 1))),
                     np.zeros(n_units, dtype=np.int64), np.zeros(n_units, dtype=np.bool_),
                     np.zeros((n_units, n_stats), dtype=np.int64))
