"""C-RAM-class gun mounts: the engagement window and one mount's timeline through a salvo.

A mount fires one burst at one rocket at a time. It may fire at rocket ``i`` at time ``t`` only if
``t`` is at least ``reaction_s`` after it first detected any rocket of the salvo, after it
detected rocket ``i`` itself, after its previous engagement ended, and inside the rocket's
engagement window (slant range <= max range, height >= min height). Rockets are taken earliest
predicted impact first; a rocket the mount cannot reach in its window is passed over at no cost.
This is how a salvo saturates a mount: each engagement costs ``engage_s`` of a short window.
"""

from __future__ import annotations

import math

from numba import njit

from forceprot.engage.params import (
    OUT_KILL,
    OUT_MISS,
    P_GUN_ENGAGE_S,
    P_GUN_MAGAZINE_ROUNDS,
    P_GUN_RELOAD_S,
    P_GUN_ROUNDS_PER_ENGAGEMENT,
    P_KILL,
    P_REACTION_S,
)
from forceprot.engage.sensors import salvo_first_detection_s


@njit(cache=True, nogil=True)
def _gun_margin_m(x, y, z, ux, uy, max_range_m, min_height_m):
    dx = x - ux
    dy = y - uy
    slant = math.sqrt(dx * dx + dy * dy + z * z)
    return min(max_range_m - slant, z - min_height_m)


@njit(cache=True, nogil=True)
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
    The last interval is the terminal pass, which is where a point-defence gun engages; the
    crossings are interpolated linearly between nodes.
    """
    n = pos.shape[0]
    kb = -1
    g_after = 0.0
    g_b = 0.0
    for k in range(n - 1, -1, -1):
        g = _gun_margin_m(pos[k, 0], pos[k, 1], pos[k, 2], ux, uy, max_range_m, min_height_m)
        if g >= 0.0:
            kb = k
            g_b = g
            break
        g_after = g
    if kb < 0:
        return math.inf, -math.inf
    if kb == n - 1:
        tb = tau[n - 1]
    else:
        tb = tau[kb] + g_b / (g_b - g_after) * (tau[kb + 1] - tau[kb])
    ka = kb
    g_a = g_b
    ta = tau[0]
    for k in range(kb - 1, -1, -1):
        g = _gun_margin_m(pos[k, 0], pos[k, 1], pos[k, 2], ux, uy, max_range_m, min_height_m)
        if g < 0.0:
            ta = tau[ka] - g_a / (g_a - g) * (tau[ka] - tau[k])
            break
        ka = k
        g_a = g
    return t0_s + ta * tof_s, t0_s + tb * tof_s


@njit(cache=True, nogil=True)
def gun_timeline(u, par, order, eng):
    """Walk one gun mount through a salvo, earliest predicted impact first.

    Parameters
    ----------
    u : int
        Unit index (column in the per-unit arrays).
    par : ndarray, float64, shape (N_PAR,)
        This unit's parameters (:mod:`forceprot.engage.params`).
    order : ndarray, int64, shape (n_rockets,)
        Rockets sorted by predicted impact time.
    eng : Engagements
        (:mod:`forceprot.engage.state`) reads ``candidate``, ``t_detect_s``, ``t_open_s``,
        ``t_close_s`` and ``u_kill`` (``eng.u_kill[i, u, 0] < p_kill`` kills); writes column ``u``
        of ``eng_t_s``, ``eng_outcome``, ``eng_shots`` and ``t_kill_s``.

    Returns
    -------
    n_engagements, n_kills, n_rounds, exhausted : int
        ``exhausted`` is 1 if the magazine ran dry during the salvo.
    """
    n = order.shape[0]
    first = salvo_first_detection_s(eng.t_detect_s, u)
    if first == math.inf:
        return 0, 0, 0, 0
    active = first + par[P_REACTION_S]
    engage_s = par[P_GUN_ENGAGE_S]
    p_kill = par[P_KILL]
    per = int(par[P_GUN_ROUNDS_PER_ENGAGEMENT])
    magazine = int(par[P_GUN_MAGAZINE_ROUNDS])
    rounds = magazine
    free = -math.inf
    n_eng = 0
    n_kill = 0
    n_rounds = 0
    exhausted = 0
    for j in range(n):
        i = order[j]
        if not eng.candidate[i, u]:
            continue
        if rounds < per:
            exhausted = 1
            free = free + par[P_GUN_RELOAD_S]
            rounds = magazine
        t_ready = max(free, active, eng.t_detect_s[i, u])
        t_shot = max(t_ready, eng.t_open_s[i, u])
        if t_shot > eng.t_close_s[i, u]:
            continue
        rounds -= per
        n_rounds += per
        n_eng += 1
        free = t_shot + engage_s
        eng.eng_t_s[i, u] = t_shot
        eng.eng_shots[i, u] = per
        if eng.u_kill[i, u, 0] < p_kill:
            eng.eng_outcome[i, u] = OUT_KILL
            eng.t_kill_s[i, u] = t_shot
            n_kill += 1
        else:
            eng.eng_outcome[i, u] = OUT_MISS
    return n_eng, n_kill, n_rounds, exhausted
