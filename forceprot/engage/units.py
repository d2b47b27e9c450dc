"""One unit's part in a salvo, whatever its kind: detection, engagement window, magazine, and
the offer/commit pair fire control drives.

The kernel calls these and never branches on a unit's kind itself, so a new defence kind
touches :mod:`forceprot.catalog` (its fields and parameter row) and :mod:`forceprot.engage`
(its envelope and timeline, dispatched here) only.
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.engage.cram import gun_commit, gun_offer_s, gun_window_s
from forceprot.engage.params import (
    KIND_CRAM,
    P_GUN_MAGAZINE_ROUNDS,
    P_GUN_MAX_RANGE_M,
    P_GUN_MIN_HEIGHT_M,
    P_SAM_MISSILES,
    P_SENSOR_HEIGHT_M,
    P_SENSOR_RANGE_M,
    P_TAN_MIN_ELEVATION,
)
from forceprot.engage.patriot import battery_commit, battery_offer_s
from forceprot.engage.sensors import first_detection_s

__all__ = ["unit_ammo", "unit_commit", "unit_detection_s", "unit_offer_s", "unit_window_s"]


@njit_inner
def unit_detection_s(units, u, flights, i):
    """When unit ``u``'s sensor first sees rocket ``i`` of ``flights`` [s] (inf if never).

    The antenna stands ``sensor_height_m`` above the unit's ground (``units.horizon.ground_z_m``,
    above the site's ground altitude), and the terrain masks what lies below its horizon table.
    """
    par = units.par[u]
    hz = units.horizon
    return first_detection_s(flights.pos_m[i], flights.t0_s[i], flights.tof_s[i], flights.tau,
                             units.xy_m[u, 0], units.xy_m[u, 1],
                             par[P_SENSOR_HEIGHT_M] + hz.ground_z_m[u], par[P_SENSOR_RANGE_M],
                             par[P_TAN_MIN_ELEVATION], hz.mask_tan[u], hz.step_m[u])


@njit_inner
def unit_window_s(units, u, flights, i):
    """Unit ``u``'s engagement window on rocket ``i``.

    Returns
    -------
    t_open_s, t_close_s : float
        The window [s] for kinds that engage in a window fixed by the flight alone (guns);
        (inf, -inf) for kinds that find their intercept in the timeline (batteries).
    engageable : bool
        False when the rocket never enters the unit's window.
    """
    if units.kind[u] == KIND_CRAM:
        par = units.par[u]
        ta, tb = gun_window_s(flights.pos_m[i], flights.t0_s[i], flights.tof_s[i], flights.tau,
                              units.xy_m[u, 0], units.xy_m[u, 1], par[P_GUN_MAX_RANGE_M],
                              par[P_GUN_MIN_HEIGHT_M])
        return ta, tb, ta <= tb
    return math.inf, -math.inf, True


@njit_inner
def unit_ammo(units, u):
    """Unit ``u``'s magazine at the start of a salvo: rounds (guns) or interceptors."""
    if units.kind[u] == KIND_CRAM:
        return int(units.par[u, P_GUN_MAGAZINE_ROUNDS])
    return int(units.par[u, P_SAM_MISSILES])


@njit_inner
def unit_offer_s(units, u, i, flights, eng, state, not_before_s):
    """When unit ``u`` could act on rocket ``i``, given its state and fire control's earliest
    time ``not_before_s``.

    Returns
    -------
    t_start_s, t_effect_s : float
        Burst (guns; both the same) or interceptor launch and intercept (batteries) [s]; both
        inf if the unit cannot engage the rocket.
    """
    if units.kind[u] == KIND_CRAM:
        t = gun_offer_s(u, units.par[u], i, eng, state, not_before_s)
        return t, t
    return battery_offer_s(u, units.par[u], i, flights, eng, state, units.xy_m[u],
                           not_before_s)


@njit_inner
def unit_commit(units, u, i, flights, eng, state, t_start_s, t_effect_s):
    """Unit ``u`` engages rocket ``i`` as offered by :func:`unit_offer_s`.

    Returns
    -------
    t_kill_s, t_outcome_s : float
        Kill time (inf if the rocket survives the engagement) and when the outcome is known
        [s].
    """
    if units.kind[u] == KIND_CRAM:
        return gun_commit(u, units.par[u], i, eng, state, t_start_s)
    return battery_commit(u, units.par[u], i, flights, eng, state, units.xy_m[u], t_start_s,
                          t_effect_s)
