"""Patriot-class batteries: interceptor reach, and one battery's timeline through a salvo.

An interceptor launched at ``t_launch`` intercepts at the first time ``t`` at which the rocket is
inside the intercept envelope (ground range and altitude limits around the battery) and within
``speed * (t - t_launch)`` of the battery (a constant mean flyout speed). The battery launches no
earlier than ``reaction_s`` after it first detects any rocket of the salvo, after it detects the
rocket itself, and ``launch_interval_s`` after its previous launch; its magazine is finite.
"""

from __future__ import annotations

import math

from numba import njit

from forceprot.engage.params import (
    DOCTRINE_RIPPLE2,
    DOCTRINE_SHOOT_LOOK_SHOOT,
    OUT_KILL,
    OUT_MISS,
    P_KILL,
    P_REACTION_S,
    P_SAM_ASSESS_S,
    P_SAM_DOCTRINE,
    P_SAM_LAUNCH_INTERVAL_S,
    P_SAM_MAX_ALT_M,
    P_SAM_MAX_RANGE_M,
    P_SAM_MIN_ALT_M,
    P_SAM_MIN_RANGE_M,
    P_SAM_MISSILES,
    P_SAM_SPEED_MPS,
)
from forceprot.engage.sensors import salvo_first_detection_s


@njit(cache=True, nogil=True)
def _intercept_margin_m(x, y, z, t, bx, by, t_launch, speed, rmin, rmax, amin, amax):
    dx = x - bx
    dy = y - by
    ground = math.sqrt(dx * dx + dy * dy)
    reach = speed * (t - t_launch) - math.sqrt(dx * dx + dy * dy + z * z)
    return min(min(ground - rmin, rmax - ground), min(min(z - amin, amax - z), reach))


@njit(cache=True, nogil=True)
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
        Node times as fractions of the flight.
    bx, by : float
        Battery position [m].
    t_launch_s, speed_mps : float
        Interceptor launch time [s] and mean flyout speed [m/s].
    min_range_m, max_range_m, min_alt_m, max_alt_m : float
        Intercept envelope: ground range from the battery [m], altitude [m].
    """
    n = pos.shape[0]
    if t_launch_s >= t0_s + tof_s:
        return math.inf  # launched after impact
    # nodes after the last one above the envelope floor cannot hold an intercept: most searches
    # in a saturated salvo end here, without a square root
    k_last = n - 1
    while k_last >= 0 and pos[k_last, 2] < min_alt_m:
        k_last -= 1
    if k_last < 0 or t0_s + tau[k_last] * tof_s <= t_launch_s:
        return math.inf
    prev_g = -math.inf
    prev_t = -math.inf
    # first node after the launch (tau is uniform: node k at k / (n - 1) of the flight)
    k_first = 0
    if t_launch_s > t0_s:
        k_first = max(int((t_launch_s - t0_s) / tof_s * (n - 1)) - 1, 0)
    for k in range(k_first, k_last + 1):
        t = t0_s + tau[k] * tof_s
        if t <= t_launch_s:
            continue
        g = _intercept_margin_m(pos[k, 0], pos[k, 1], pos[k, 2], t, bx, by, t_launch_s,
                                speed_mps, min_range_m, max_range_m, min_alt_m, max_alt_m)
        if g >= 0.0:
            if prev_t == -math.inf:
                # first node after launch: start the crossing search at the launch time itself
                if k == 0:
                    return t
                f0 = (t_launch_s - (t0_s + tau[k - 1] * tof_s)) / ((tau[k] - tau[k - 1]) * tof_s)
                if f0 < 0.0:
                    f0 = 0.0
                x = pos[k - 1, 0] + f0 * (pos[k, 0] - pos[k - 1, 0])
                y = pos[k - 1, 1] + f0 * (pos[k, 1] - pos[k - 1, 1])
                z = pos[k - 1, 2] + f0 * (pos[k, 2] - pos[k - 1, 2])
                prev_t = max(t_launch_s, t0_s + tau[k - 1] * tof_s)
                prev_g = _intercept_margin_m(x, y, z, prev_t, bx, by, t_launch_s, speed_mps,
                                             min_range_m, max_range_m, min_alt_m, max_alt_m)
                if prev_g >= 0.0:
                    return prev_t
            return prev_t + prev_g / (prev_g - g) * (t - prev_t)
        prev_g = g
        prev_t = t
    return math.inf


@njit(cache=True, nogil=True)
def battery_timeline(u, par, order, flights, bx, by, eng):
    """Walk one battery through a salvo, earliest predicted impact first.

    Parameters
    ----------
    u : int
        Unit index.
    par : ndarray, float64, shape (N_PAR,)
        This unit's parameters.
    order : ndarray, int64, shape (n_rockets,)
        Rockets sorted by predicted impact time.
    flights : Flights
        The salvo's node positions, launch times and times of flight
        (:mod:`forceprot.engage.state`).
    bx, by : float
        Battery position [m].
    eng : Engagements
        Reads ``candidate``, ``t_detect_s`` and ``u_kill`` (first and second interceptor);
        writes column ``u`` of ``eng_t_s`` (first intercept time), ``eng_outcome``,
        ``eng_shots`` (interceptors fired) and ``t_kill_s`` (inf if none).

    Returns
    -------
    n_engagements, n_kills, n_interceptors, exhausted : int
        ``exhausted`` is 1 if the magazine ran dry while rockets it would engage remained.
    """
    n = order.shape[0]
    pos = flights.pos_m
    t0 = flights.t0_s
    tof = flights.tof_s
    tau = flights.tau
    first = salvo_first_detection_s(eng.t_detect_s, u)
    if first == math.inf:
        return 0, 0, 0, 0
    active = first + par[P_REACTION_S]
    speed = par[P_SAM_SPEED_MPS]
    rmin = par[P_SAM_MIN_RANGE_M]
    rmax = par[P_SAM_MAX_RANGE_M]
    amin = par[P_SAM_MIN_ALT_M]
    amax = par[P_SAM_MAX_ALT_M]
    interval = par[P_SAM_LAUNCH_INTERVAL_S]
    doctrine = int(par[P_SAM_DOCTRINE])
    p_kill = par[P_KILL]
    missiles = int(par[P_SAM_MISSILES])
    free = -math.inf
    n_eng = 0
    n_kill = 0
    n_fired = 0
    exhausted = 0
    for j in range(n):
        i = order[j]
        if not eng.candidate[i, u]:
            continue
        if missiles == 0:
            exhausted = 1
            break
        t_launch = max(free, active, eng.t_detect_s[i, u])
        t_int = earliest_intercept_s(pos[i], t0[i], tof[i], tau, bx, by, t_launch, speed, rmin,
                                     rmax, amin, amax)
        if t_int == math.inf:
            continue
        missiles -= 1
        n_fired += 1
        n_eng += 1
        free = t_launch + interval
        eng.eng_t_s[i, u] = t_int
        shots = 1
        killed_at = t_int if eng.u_kill[i, u, 0] < p_kill else math.inf
        second_launch = math.inf
        if doctrine == DOCTRINE_RIPPLE2:
            second_launch = free
        elif doctrine == DOCTRINE_SHOOT_LOOK_SHOOT and killed_at == math.inf:
            second_launch = max(free, t_int + par[P_SAM_ASSESS_S])
        if second_launch < math.inf and missiles > 0:
            t_int2 = earliest_intercept_s(pos[i], t0[i], tof[i], tau, bx, by, second_launch,
                                          speed, rmin, rmax, amin, amax)
            if t_int2 < math.inf:
                missiles -= 1
                n_fired += 1
                shots += 1
                free = second_launch + interval
                if eng.u_kill[i, u, 1] < p_kill and t_int2 < killed_at:
                    killed_at = t_int2
        eng.eng_shots[i, u] = shots
        if killed_at < math.inf:
            eng.eng_outcome[i, u] = OUT_KILL
            eng.t_kill_s[i, u] = killed_at
            n_kill += 1
        else:
            eng.eng_outcome[i, u] = OUT_MISS
    return n_eng, n_kill, n_fired, exhausted
