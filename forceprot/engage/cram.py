"""C-RAM-class gun mounts: the engagement window and one mount's timeline through a salvo.

A mount fires one burst at one rocket at a time. It may fire at rocket ``i`` at time ``t`` only if
``t`` is at least ``reaction_s`` after it first held a fire-control track on any rocket of the
salvo, after it holds a track on rocket ``i`` itself, after its previous engagement ended (plus a
reload when the magazine cannot cover a burst), and inside the rocket's engagement window (slant
range <= max range, height >= min height). A rocket the mount cannot reach in its window is
passed over at no cost. This is how a salvo saturates a mount: each engagement costs
``engage_s`` of a short window. Which rockets it is offered, and in what order, is fire
control's business (:mod:`forceprot.engage.fire_control`).
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.engage.params import (
    OUT_KILL,
    OUT_MISS,
    P_GUN_ENGAGE_S,
    P_GUN_MAGAZINE_ROUNDS,
    P_GUN_RELOAD_S,
    P_GUN_ROUNDS_PER_ENGAGEMENT,
    P_KILL,
)
from forceprot.engage.segments import (
    SET_EMPTY,
    clip_interval,
    distance_within,
    linear_at_least,
)
from forceprot.kernel.bundles import US_ENGAGEMENTS, US_EXHAUSTED, US_KILLS, US_SHOTS


@njit_inner
def _segment_window(pos, k, ux, uy, max_range_m, min_height_m):
    """Where on segment ``k`` (nodes k, k+1) the rocket is inside the gun's envelope: ``(lo,
    hi)`` fractions of the segment, ``lo > hi`` if nowhere. Exact on the straight segment."""
    z0 = pos[k, 2]
    z1 = pos[k + 1, 2]
    if z0 < min_height_m and z1 < min_height_m:
        return 1.0, 0.0
    kind, a, b = linear_at_least(z0, z1, min_height_m)
    lo, hi = clip_interval(0.0, 1.0, kind, a, b)
    if lo > hi:
        return 1.0, 0.0
    kind, a, b = distance_within(pos[k, 0] - ux, pos[k, 1] - uy, z0, pos[k + 1, 0] - pos[k, 0],
                                 pos[k + 1, 1] - pos[k, 1], z1 - z0, max_range_m)
    if kind == SET_EMPTY:
        return 1.0, 0.0
    return clip_interval(lo, hi, kind, a, b)


@njit_inner
def gun_window_s(pos, t0_s, tof_s, tau, ux, uy, max_range_m, min_height_m):
    """The last interval in which a rocket is inside a gun's envelope.

    Parameters
    ----------
    pos : ndarray, float64, shape (n_nodes, 3)
        Rocket positions at the flight's nodes, world frame [m].
    t0_s, tof_s : float
        Launch time and time of flight [s].
    tau : ndarray, float64, shape (n_nodes,)
        Node times as fractions of the flight.
    ux, uy, max_range_m, min_height_m : float
        Mount position [m], maximum slant range [m], minimum engagement height [m].

    Returns
    -------
    t_open_s, t_close_s : float
        Window [s]; ``t_open_s > t_close_s`` (inf, -inf) when the rocket never enters it.

    Notes
    -----
    The last interval is the terminal pass, which is where a point-defence gun engages. The
    envelope is solved in closed form on each straight segment between nodes (slant range is
    quadratic along a segment, height linear), so a pass between two nodes is found however
    short it is, and the window is exact on the kernel's path.
    """
    n = pos.shape[0]
    kb = -1
    lo = 1.0
    hi = 0.0
    for k in range(n - 2, -1, -1):
        lo, hi = _segment_window(pos, k, ux, uy, max_range_m, min_height_m)
        if lo <= hi:
            kb = k
            break
    if kb < 0:
        return math.inf, -math.inf
    tb = tau[kb] + hi * (tau[kb + 1] - tau[kb])
    ka = kb
    # the window runs back through earlier segments while it spans them end to end
    while lo <= 0.0 and ka > 0:
        plo, phi = _segment_window(pos, ka - 1, ux, uy, max_range_m, min_height_m)
        if plo > phi or phi < 1.0:
            break
        ka -= 1
        lo = plo
    ta = tau[ka] + lo * (tau[ka + 1] - tau[ka])
    return t0_s + ta * tof_s, t0_s + tb * tof_s


@njit_inner
def gun_offer_s(u, par, i, eng, state, not_before_s):
    """When mount ``u`` could fire at rocket ``i`` [s], inf if it cannot in the window.

    Parameters
    ----------
    u, i : int
        Unit and rocket.
    par : ndarray, float64, shape (N_PAR,)
        The unit's parameters (:mod:`forceprot.engage.params`).
    eng : Engagements
        Reads ``t_track_s``, ``t_open_s`` and ``t_close_s``.
    state : UnitState
        Reads ``active_s``, ``free_s`` and ``ammo`` (:mod:`forceprot.engage.state`); flags in
        ``stats`` a magazine that cannot cover a burst at a rocket it would engage.
    not_before_s : float
        Fire control's earliest time for this rocket (after a miss is seen) [s].
    """
    free = state.free_s[u]
    if state.ammo[u] < int(par[P_GUN_ROUNDS_PER_ENGAGEMENT]):
        state.stats[u, US_EXHAUSTED] = 1
        free = free + par[P_GUN_RELOAD_S]
    t_shot = max(max(free, state.active_s[u]), max(eng.t_track_s[i, u], eng.t_open_s[i, u]))
    t_shot = max(t_shot, not_before_s)
    return t_shot if t_shot <= eng.t_close_s[i, u] else math.inf


@njit_inner
def gun_commit(u, par, i, eng, state, t_shot_s):
    """Mount ``u`` fires one burst at rocket ``i`` at ``t_shot_s`` (from :func:`gun_offer_s`).

    Reloads first if the magazine cannot cover the burst; writes ``eng`` column ``u`` of rocket
    ``i`` (``eng_t_s``, ``eng_shots``, ``eng_outcome``, ``t_kill_s``; the kill draw
    ``eng.u_kill[i, u, 0] < p_kill`` kills) and the unit's counts in ``state.stats``.

    Returns
    -------
    t_kill_s, t_outcome_s : float
        Kill time (inf on a miss) and when the outcome is known (the burst) [s].
    """
    per = int(par[P_GUN_ROUNDS_PER_ENGAGEMENT])
    if state.ammo[u] < per:
        state.reloads[u] += 1
        state.ammo[u] = int(par[P_GUN_MAGAZINE_ROUNDS])
    state.ammo[u] -= per
    state.free_s[u] = t_shot_s + par[P_GUN_ENGAGE_S]
    state.stats[u, US_ENGAGEMENTS] += 1
    state.stats[u, US_SHOTS] += per
    eng.eng_t_s[i, u] = t_shot_s
    eng.eng_shots[i, u] = per
    if eng.u_kill[i, u, 0] < par[P_KILL]:
        eng.eng_outcome[i, u] = OUT_KILL
        eng.t_kill_s[i, u] = t_shot_s
        state.stats[u, US_KILLS] += 1
        return t_shot_s, t_shot_s
    eng.eng_outcome[i, u] = OUT_MISS
    return math.inf, t_shot_s
