"""Expected casualties of the rockets that get through, by attack hour.

A rocket not killed by the defences lands at (x, y) with ``warning_s`` of warning (impact minus
the alarm; 0 if it was never tracked). A person at distance ``r`` from the impact is a casualty
(killed or wounded) with probability ``D(r; R_W)`` and killed with ``D(r; R_L)``, times their
exposure factor:

- cookie-cutter ``D = 1`` for ``r <= R``, else 0; Carleton ``D = exp(-r^2 / R^2)`` (circular
  form, unit peak: the lethal area ``pi R^2`` equals the cookie-cutter's; cut off at
  :data:`~forceprot.people.CASUALTY_CUTOFF_RADII` R). Wounded = casualties - killed.
- A person who has reached a shelter is safe from everything but a direct hit on it (a rocket
  landing in its footprint: each occupant killed with ``shelter_p_killed``, wounded with
  ``shelter_p_wounded``). Everyone else is under a roof (share ``indoor``, factor
  ``indoor_factor``) or in the open: standing (factor 1) or, when the alarm came at least
  ``reaction_s`` before impact, lying down (``prone_factor``).

People at a point are independent of each other, and rockets of a salvo act independently on
each person, so ``P(no casualty) = prod (1 - q)^n`` over points and rockets (``q`` a person's
casualty probability, ``n`` the people there); its logarithm is summed.

Every figure is computed for each of the 24 attack hours at once (the same salvo, as if it came
at that hour), then weighted by the attack-hour probabilities: the overall answer is an exact
expectation over the hour, and the hours compare on common random numbers. The same counts are
kept as if nobody had been warned (no one sheltered, no one lying down): sense-and-warn's value,
paired salvo by salvo.
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.kernel.bundles import (
    CH_CASUALTIES,
    CH_KILLED,
    CH_LOG_NONE,
    PP_CASUALTY_R2_M2,
    PP_CUTOFF_M,
    PP_DAMAGE,
    PP_INDOOR_FACTOR,
    PP_LETHAL_R2_M2,
    PP_PRONE_FACTOR,
    PP_REACTION_S,
    PP_SHELTER_P_KILLED,
    PP_SHELTER_P_WOUNDED,
)
from forceprot.kernel.record import asset_contains, warning_s

__all__ = ["count_casualties", "damage_probability", "near_people", "reset_casualties",
           "rocket_casualties"]

#: forceprot.people.DAMAGE_COOKIE_CUTTER (kept here so the kernel imports no Python layer)
_COOKIE_CUTTER = 0


@njit_inner
def damage_probability(kind, d2_m2, r2_m2):
    """Damage function at squared distance ``d2_m2`` for squared radius ``r2_m2`` [-]:
    cookie-cutter (``kind`` 0) or circular Carleton (1)."""
    if kind == _COOKIE_CUTTER:
        return 1.0 if d2_m2 <= r2_m2 else 0.0
    return math.exp(-d2_m2 / r2_m2)


@njit_inner
def _log_none(n, q):
    """log of (1 - q)^n, -inf when q >= 1."""
    if q >= 1.0:
        return -math.inf
    return n * math.log1p(-q)


@njit_inner
def rocket_casualties(people, x_m, y_m, warn_s, acc):
    """Add one rocket's expected casualties to the salvo's accumulators.

    Parameters
    ----------
    people : People
    x_m, y_m : float
        Impact point [m].
    warn_s : float
        Alarm to impact [s]; 0 if the alarm never sounded.
    acc : CasualtyScratch
        ``hour`` gets killed, casualties and log P(none) at every attack hour; ``no_warning``,
        ``poly`` the hour-weighted killed and casualties had nobody been warned, and by
        polygon.

    Returns
    -------
    killed, casualties : float
        This rocket's, weighted over the attack hours.
    """
    par = people.par
    kind = int(par[PP_DAMAGE])
    rl2 = par[PP_LETHAL_R2_M2]
    rc2 = par[PP_CASUALTY_R2_M2]
    cut = par[PP_CUTOFF_M]
    cut2 = cut * cut
    warned = warn_s > 0.0 and warn_s >= par[PP_REACTION_S]
    open_factor = par[PP_PRONE_FACTOR] if warned else 1.0
    roof = par[PP_INDOOR_FACTOR]
    hour_w = people.hour_w
    n_h = hour_w.shape[0]
    g = people.hash
    killed_w = 0.0
    cas_w = 0.0
    hk = acc.hour[CH_KILLED]
    hc = acc.hour[CH_CASUALTIES]
    hl = acc.hour[CH_LOG_NONE]
    if g.nx > 0:
        cx, cy = _hash_cell(g, x_m, y_m)
        for iy in range(max(cy - 1, 0), min(cy + 2, g.ny)):
            for ix in range(max(cx - 1, 0), min(cx + 2, g.nx)):
                c = iy * g.nx + ix
                for p in range(people.hash_start[c], people.hash_start[c + 1]):
                    dx = people.xy_m[p, 0] - x_m
                    dy = people.xy_m[p, 1] - y_m
                    d2 = dx * dx + dy * dy
                    if d2 > cut2:
                        continue
                    pk = damage_probability(kind, d2, rl2)
                    pc = damage_probability(kind, d2, rc2)
                    if pc <= 0.0:
                        continue
                    ind = people.indoor[p]
                    f_warned = ind * roof + (1.0 - ind) * open_factor
                    f_none = ind * roof + (1.0 - ind)
                    a_k = f_warned * pk
                    a_c = f_warned * pc
                    # log P(a person here is not hurt) when not sheltered
                    a_log = _log_none(1.0, a_c)
                    nh = people.people_h[p]
                    if warn_s < people.t_first_sheltered_s[p]:
                        # nobody here reaches a shelter at any hour: the same factors at every
                        # hour (the common case, kept branch-free so that it vectorises)
                        for h in range(n_h):
                            hk[h] += nh[h] * a_k
                            hc[h] += nh[h] * a_c
                            hl[h] += nh[h] * a_log
                        pk_k = people.people_w[p] * a_k
                        pc_k = people.people_w[p] * a_c
                    else:
                        pk_k = 0.0
                        pc_k = 0.0
                        for h in range(n_h):
                            n = nh[h]
                            if n <= 0.0:
                                continue
                            f = 1.0
                            log_q = a_log
                            if people.t_sheltered_s[p, h] <= warn_s:
                                f = 1.0 - people.frac_sheltered[p, h]
                                if f <= 0.0:
                                    continue
                                log_q = _log_none(1.0, f * a_c)
                            hk[h] += n * f * a_k
                            hc[h] += n * f * a_c
                            hl[h] += n * log_q
                            pk_k += hour_w[h] * n * f * a_k
                            pc_k += hour_w[h] * n * f * a_c
                    nw = people.people_w[p]
                    acc.no_warning[0] += nw * f_none * pk
                    acc.no_warning[1] += nw * f_none * pc
                    poly = people.poly[p]
                    acc.poly[poly, 0] += pk_k
                    acc.poly[poly, 1] += pc_k
                    killed_w += pk_k
                    cas_w += pc_k
    c = _shelter_cell(people, x_m, y_m) if warn_s > 0.0 else -1
    if c >= 0:
        k_w, c_w = _shelter_hits(people, c, x_m, y_m, warn_s, acc)
        killed_w += k_w
        cas_w += c_w
    return killed_w, cas_w


@njit_inner
def _hash_cell(g, x_m, y_m):
    """Column and row of the people hash's (:data:`~forceprot.kernel.bundles.GridSpec`) cell
    holding (x, y) [m]; either may fall outside the grid."""
    return int(math.floor((x_m - g.x0_m) / g.cell_m)), int(math.floor((y_m - g.y0_m) / g.cell_m))


@njit_inner
def near_people(people, x_m, y_m):
    """Whether a rocket landing at (x, y) [m] can hurt anyone: some people in the 3 x 3 hash
    cells around it (a cell is as wide as the damage cutoff) or a shelter in its own cell.

    Most rockets land far from everyone (on Taji about 3 in 100 leakers have anyone within the
    cutoff); this test keeps them out of :func:`rocket_casualties`, whose set-up alone cost
    more than the whole casualty stage now does. They add nothing to any figure.
    """
    g = people.hash
    cx, cy = _hash_cell(g, x_m, y_m)
    hs = people.hash_start
    for iy in range(max(cy - 1, 0), min(cy + 2, g.ny)):
        for ix in range(max(cx - 1, 0), min(cx + 2, g.nx)):
            c = iy * g.nx + ix
            if hs[c + 1] > hs[c]:
                return True
    return _shelter_cell(people, x_m, y_m) >= 0


@njit_inner
def _shelter_cell(people, x_m, y_m):
    """The hash cell holding (x, y) [m] if some shelter's footprint reaches into it, else -1
    (the grid holds every shelter)."""
    g = people.hash
    cx, cy = _hash_cell(g, x_m, y_m)
    if cx < 0 or cy < 0 or cx >= g.nx or cy >= g.ny:
        return -1
    c = cy * g.nx + cx
    if people.shelter_start[c] == people.shelter_start[c + 1]:
        return -1
    return c


@njit_inner
def _shelter_hits(people, c, x_m, y_m, warn_s, acc):
    """A direct hit on a shelter: its occupants at each hour (those in by ``warn_s``); ``c`` is
    the hash cell of (x, y) (:func:`_shelter_cell`)."""
    shelters = people.shelters
    m = shelters.xy_m.shape[0]
    par = people.par
    p_k = par[PP_SHELTER_P_KILLED]
    p_c = p_k + par[PP_SHELTER_P_WOUNDED]
    n_h = people.hour_w.shape[0]
    killed_w = 0.0
    cas_w = 0.0
    for e in range(people.shelter_start[c], people.shelter_start[c + 1]):
        j = people.shelter_index[e]
        if not asset_contains(shelters, j, x_m, y_m):
            continue
        for h in range(n_h):
            start = people.portion_offsets[h * m + j]
            stop = people.portion_offsets[h * m + j + 1]
            for q in range(start, stop):
                p = people.portion_point[q]
                if people.t_sheltered_s[p, h] > warn_s:
                    continue
                n = people.portion_people[q]
                acc.hour[CH_KILLED, h] += n * p_k
                acc.hour[CH_CASUALTIES, h] += n * p_c
                acc.hour[CH_LOG_NONE, h] += _log_none(n, p_c)
                w = people.hour_w[h]
                poly = people.poly[p]
                acc.poly[poly, 0] += w * n * p_k
                acc.poly[poly, 1] += w * n * p_c
                killed_w += w * n * p_k
                cas_w += w * n * p_c
    return killed_w, cas_w


@njit_inner
def reset_casualties(acc):
    """Zero a salvo's casualty accumulators."""
    acc.hour[:, :] = 0.0
    acc.no_warning[:] = 0.0
    acc.poly[:, :] = 0.0
    acc.rocket[:, :] = 0.0


@njit_inner
def count_casualties(people, alert_delay_s, flights, impact, kill_unit, first_track_s, acc):
    """Stage: every rocket not killed, wherever it lands, against the people at risk
    (:func:`rocket_casualties`); ``acc.rocket`` gets each rocket's hour-weighted killed and
    casualties. Nothing to do without people."""
    reset_casualties(acc)
    if people.xy_m.shape[0] == 0:
        return
    for i in range(impact.shape[0]):
        if kill_unit[i] >= 0:
            continue
        if not near_people(people, impact[i, 0], impact[i, 1]):
            continue  # its accumulators stay 0
        w = warning_s(flights, first_track_s, alert_delay_s, i)
        k, c = rocket_casualties(people, impact[i, 0], impact[i, 1], w, acc)
        acc.rocket[i, 0] = k
        acc.rocket[i, 1] = c
