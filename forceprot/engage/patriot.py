"""Interceptor batteries (Patriot-class, Iron Dome-class): reach, launch slots, and one battery's
engagement of one rocket.

An interceptor launched at ``t_launch`` intercepts at the first time ``t`` at which the rocket is
inside the intercept envelope (ground range and altitude limits around the battery) and within
``speed * (t - t_launch)`` of the battery (a constant mean flyout speed). The battery launches no
earlier than ``reaction_s`` after it first holds a track on any rocket of the salvo, after it
holds a track on the rocket itself, and never within ``launch_interval_s`` of another of its
launches; its magazine is finite. Launches are kept as a sorted list of times, so a
shoot-look-shoot second interceptor takes a later slot without blocking the launches of other
rockets in between (an event-driven timeline): the launch rate and the magazine stay exact.
Which rockets a battery is offered, and in what order, is fire control's business
(:mod:`forceprot.engage.fire_control`).
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.engage.params import (
    DOCTRINE_RIPPLE2,
    DOCTRINE_SHOOT_LOOK_SHOOT,
    OUT_KILL,
    OUT_MISS,
    P_KILL,
    P_SAM_ASSESS_S,
    P_SAM_DOCTRINE,
    P_SAM_LAUNCH_INTERVAL_S,
    P_SAM_MAX_ALT_M,
    P_SAM_MAX_RANGE_M,
    P_SAM_MIN_ALT_M,
    P_SAM_MIN_RANGE_M,
    P_SAM_SPEED_MPS,
)
from forceprot.engage.segments import (
    SET_ALL,
    SET_EMPTY,
    SET_OUTSIDE,
    clip_interval,
    distance_beyond,
    distance_within,
    linear_at_least,
    linear_at_most,
    quadratic_set,
)
from forceprot.kernel.bundles import US_ENGAGEMENTS, US_EXHAUSTED, US_KILLS, US_SHOTS

__all__ = ["battery_commit", "battery_offer_s", "earliest_intercept_s", "next_launch_slot_s"]


@njit_inner
def _segment_intercept(pos, k, t_k, t_k1, bx, by, t_launch_s, speed_mps, rmin, rmax, amin,
                       amax):
    """Earliest fraction ``s`` of segment ``k`` at which an interceptor launched at
    ``t_launch_s`` can meet the rocket, or 2.0 if none. Exact on the straight segment: time and
    height are linear in ``s``, squared ground range and squared distance quadratic."""
    x0 = pos[k, 0] - bx
    y0 = pos[k, 1] - by
    z0 = pos[k, 2]
    dx = pos[k + 1, 0] - pos[k, 0]
    dy = pos[k + 1, 1] - pos[k, 1]
    dz = pos[k + 1, 2] - z0
    dt = t_k1 - t_k
    lo = 0.0
    hi = 1.0
    kind, a, b = linear_at_least(t_k, t_k1, t_launch_s)
    lo, hi = clip_interval(lo, hi, kind, a, b)
    kind, a, b = linear_at_least(z0, z0 + dz, amin)
    lo, hi = clip_interval(lo, hi, kind, a, b)
    kind, a, b = linear_at_most(z0, z0 + dz, amax)
    lo, hi = clip_interval(lo, hi, kind, a, b)
    kind, a, b = distance_within(x0, y0, 0.0, dx, dy, 0.0, rmax)
    lo, hi = clip_interval(lo, hi, kind, a, b)
    if lo > hi:
        return 2.0
    # the two constraints that may hold everywhere but one open interval
    kind_g, g_lo, g_hi = distance_beyond(x0, y0, 0.0, dx, dy, 0.0, rmin)
    if kind_g == SET_EMPTY:
        return 2.0
    if kind_g != SET_OUTSIDE and kind_g != SET_ALL:
        lo, hi = clip_interval(lo, hi, kind_g, g_lo, g_hi)
    v2 = speed_mps * speed_mps
    tr = t_k - t_launch_s
    kind_r, r_lo, r_hi = quadratic_set(
        dx * dx + dy * dy + dz * dz - v2 * dt * dt,
        2.0 * (x0 * dx + y0 * dy + z0 * dz) - 2.0 * v2 * tr * dt,
        x0 * x0 + y0 * y0 + z0 * z0 - v2 * tr * tr)
    if kind_r == SET_EMPTY:
        return 2.0
    if kind_r != SET_OUTSIDE and kind_r != SET_ALL:
        lo, hi = clip_interval(lo, hi, kind_r, r_lo, r_hi)
    if lo > hi:
        return 2.0
    s = lo
    for _ in range(3):
        moved = False
        if kind_g == SET_OUTSIDE and g_lo < s < g_hi:
            s = g_hi
            moved = True
        if kind_r == SET_OUTSIDE and r_lo < s < r_hi:
            s = r_hi
            moved = True
        if not moved:
            break
    return s if s <= hi else 2.0


#: Slack of :func:`_out_of_reach`: a segment is passed over only when it is out of reach by more
#: than this [m] plus :data:`REACH_SLACK_FRAC` of the reach, far beyond any rounding of the
#: exact test, so passing it over never changes a result.
REACH_SLACK_M = 1.0
REACH_SLACK_FRAC = 1e-9


@njit_inner
def _out_of_reach(pos, k, bx, by, reach_m):
    """Whether no point of segment ``k`` is within ``reach_m`` of the battery (at ground level,
    (bx, by)): a test without square roots that lets the search pass over the segments before
    an interceptor could get there.

    Every point of the segment lies within its length of the segment's end, and the length is
    at most the sum of the absolute coordinate steps; so if the end is farther than the reach
    plus that sum (plus :data:`REACH_SLACK_M`), no point is within reach.
    """
    ex = pos[k + 1, 0] - bx
    ey = pos[k + 1, 1] - by
    ez = pos[k + 1, 2]
    step = (abs(pos[k + 1, 0] - pos[k, 0]) + abs(pos[k + 1, 1] - pos[k, 1])
            + abs(ez - pos[k, 2]))
    r = reach_m * (1.0 + REACH_SLACK_FRAC) + step + REACH_SLACK_M
    return ex * ex + ey * ey + ez * ez > r * r


@njit_inner
def earliest_intercept_s(pos, t0_s, tof_s, tau, bx, by, t_launch_s, speed_mps, min_range_m,
                         max_range_m, min_alt_m, max_alt_m):
    """First time an interceptor launched at ``t_launch_s`` can meet the rocket, or +inf.

    Parameters
    ----------
    pos : ndarray, float64, shape (n_nodes, 3)
        Rocket positions at the flight's nodes, world frame [m].
    t0_s, tof_s : float
        Launch time and time of flight [s].
    tau : ndarray, float64, shape (n_nodes,)
        Node times as fractions of the flight (uniform).
    bx, by : float
        Battery position [m].
    t_launch_s, speed_mps : float
        Interceptor launch time [s] and mean flyout speed [m/s].
    min_range_m, max_range_m, min_alt_m, max_alt_m : float
        Intercept envelope: ground range from the battery [m], altitude [m].

    Notes
    -----
    Solved segment by segment in closed form (:func:`_segment_intercept`), so an intercept
    opportunity between two nodes is never missed; exact on the kernel's path.
    """
    n = pos.shape[0]
    if t_launch_s >= t0_s + tof_s:
        return math.inf  # launched after impact
    # segments after the last node above the envelope floor cannot hold an intercept: most
    # searches in a saturated salvo end here
    k_last = n - 1
    while k_last >= 0 and pos[k_last, 2] < min_alt_m:
        k_last -= 1
    if k_last < 0:
        return math.inf
    k_end = min(k_last, n - 2)
    if t0_s + tau[k_end + 1] * tof_s <= t_launch_s:
        return math.inf
    k_first = 0
    if t_launch_s > t0_s:
        k_first = max(int((t_launch_s - t0_s) / tof_s * (n - 1)) - 1, 0)
    for k in range(k_first, k_end + 1):
        t_k = t0_s + tau[k] * tof_s
        t_k1 = t0_s + tau[k + 1] * tof_s
        if t_k1 < t_launch_s:
            continue
        if _out_of_reach(pos, k, bx, by, speed_mps * (t_k1 - t_launch_s)):
            continue
        s = _segment_intercept(pos, k, t_k, t_k1, bx, by, t_launch_s, speed_mps, min_range_m,
                               max_range_m, min_alt_m, max_alt_m)
        if s <= 1.0:
            return t_k + s * (t_k1 - t_k)
    return math.inf


@njit_inner
def next_launch_slot_s(launches_s, n_launches, t_request_s, interval_s):
    """Earliest time at or after ``t_request_s`` at least ``interval_s`` from every launch in
    ``launches_s[:n_launches]`` (sorted) [s]."""
    t = t_request_s
    for j in range(n_launches):
        if launches_s[j] - interval_s < t < launches_s[j] + interval_s:
            t = launches_s[j] + interval_s
    return t


@njit_inner
def _record_launch(state, u, t_launch_s):
    """Insert a launch into battery ``u``'s sorted launch list and take one interceptor."""
    n = state.n_launches[u]
    row = state.launches_s[u]
    j = n
    while j > 0 and row[j - 1] > t_launch_s:
        row[j] = row[j - 1]
        j -= 1
    row[j] = t_launch_s
    state.n_launches[u] = n + 1
    state.ammo[u] -= 1


@njit_inner
def _intercept_after(par, flights, i, bx, by, t_launch_s):
    return earliest_intercept_s(flights.pos_m[i], flights.t0_s[i], flights.tof_s[i], flights.tau,
                                bx, by, t_launch_s, par[P_SAM_SPEED_MPS], par[P_SAM_MIN_RANGE_M],
                                par[P_SAM_MAX_RANGE_M], par[P_SAM_MIN_ALT_M],
                                par[P_SAM_MAX_ALT_M])


@njit_inner
def battery_offer_s(u, par, i, flights, eng, state, bxy, not_before_s):
    """When battery ``u`` could launch at rocket ``i`` and when that interceptor would meet it.

    Parameters
    ----------
    u, i : int
        Unit and rocket.
    par : ndarray, float64, shape (N_PAR,)
        The unit's parameters.
    flights : Flights
    eng : Engagements
        Reads ``t_track_s``.
    state : UnitState
        Reads ``active_s``, ``ammo`` and the launch list; flags an empty magazine in ``stats``.
    bxy : ndarray, float64, shape (2,)
        Battery position [m].
    not_before_s : float
        Fire control's earliest launch time for this rocket [s].

    Returns
    -------
    t_launch_s, t_intercept_s : float
        Both inf if the battery cannot engage the rocket.
    """
    if state.ammo[u] <= 0:
        state.stats[u, US_EXHAUSTED] = 1
        return math.inf, math.inf
    t_req = max(max(state.active_s[u], eng.t_track_s[i, u]), not_before_s)
    if t_req == math.inf:
        return math.inf, math.inf
    t_launch = next_launch_slot_s(state.launches_s[u], state.n_launches[u], t_req,
                                  par[P_SAM_LAUNCH_INTERVAL_S])
    t_int = _intercept_after(par, flights, i, bxy[0], bxy[1], t_launch)
    if t_int == math.inf:
        return math.inf, math.inf
    return t_launch, t_int


@njit_inner
def battery_commit(u, par, i, flights, eng, state, bxy, t_launch_s, t_intercept_s):
    """Battery ``u`` engages rocket ``i`` by its doctrine, first launch at ``t_launch_s``.

    ``single``: one interceptor. ``ripple2``: a second in the next launch slot. ``shoot_look_
    shoot``: a second after a miss is assessed (``assess_s`` after the first intercept attempt),
    in the first free slot then; other rockets' launches may come in between. Writes ``eng``
    column ``u`` of rocket ``i`` (``eng_t_s`` = first intercept, ``eng_shots``, ``eng_outcome``,
    ``t_kill_s``) and the unit's counts.

    Returns
    -------
    t_kill_s, t_outcome_s : float
        Kill time (inf if both interceptors miss) and when the last attempt's outcome is
        known [s].
    """
    bx = bxy[0]
    by = bxy[1]
    interval = par[P_SAM_LAUNCH_INTERVAL_S]
    p_kill = par[P_KILL]
    doctrine = int(par[P_SAM_DOCTRINE])
    _record_launch(state, u, t_launch_s)
    shots = 1
    killed_at = t_intercept_s if eng.u_kill[i, u, 0] < p_kill else math.inf
    t_outcome = t_intercept_s
    second_req = math.inf
    if doctrine == DOCTRINE_RIPPLE2:
        second_req = t_launch_s
    elif doctrine == DOCTRINE_SHOOT_LOOK_SHOOT and killed_at == math.inf:
        second_req = t_intercept_s + par[P_SAM_ASSESS_S]
    if second_req < math.inf and state.ammo[u] > 0:
        second = next_launch_slot_s(state.launches_s[u], state.n_launches[u], second_req,
                                    interval)
        t_int2 = _intercept_after(par, flights, i, bx, by, second)
        if t_int2 < math.inf:
            _record_launch(state, u, second)
            shots += 1
            t_outcome = max(t_outcome, t_int2)
            if eng.u_kill[i, u, 1] < p_kill and t_int2 < killed_at:
                killed_at = t_int2
    state.stats[u, US_ENGAGEMENTS] += 1
    state.stats[u, US_SHOTS] += shots
    eng.eng_t_s[i, u] = t_intercept_s
    eng.eng_shots[i, u] = shots
    if killed_at < math.inf:
        eng.eng_outcome[i, u] = OUT_KILL
        eng.t_kill_s[i, u] = killed_at
        state.stats[u, US_KILLS] += 1
    else:
        eng.eng_outcome[i, u] = OUT_MISS
    return killed_at, t_outcome
