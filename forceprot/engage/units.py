"""One unit's part in a salvo, whatever its kind: detection, engagement window, timeline.

The kernel calls these and never branches on a unit's kind itself, so a new defence kind
touches :mod:`forceprot.catalog` (its fields and parameter row) and :mod:`forceprot.engage`
(its envelope and timeline, dispatched here) only.
"""

from __future__ import annotations

import math

from numba import njit

from forceprot.engage.cram import gun_timeline, gun_window_s
from forceprot.engage.params import (
    KIND_CRAM,
    P_GUN_MAX_RANGE_M,
    P_GUN_MIN_HEIGHT_M,
    P_SENSOR_HEIGHT_M,
    P_SENSOR_RANGE_M,
    P_TAN_MIN_ELEVATION,
)
from forceprot.engage.patriot import battery_timeline
from forceprot.engage.sensors import first_detection_s

__all__ = ["unit_detection_s", "unit_timeline", "unit_window_s"]


@njit(cache=True, nogil=True)
def unit_detection_s(units, u, flights, i):
    """When unit ``u``'s sensor first sees rocket ``i`` of ``flights`` [s] (inf if never)."""
    par = units.par[u]
    return first_detection_s(flights.pos_m[i], flights.t0_s[i], flights.tof_s[i], flights.tau,
                             units.xy_m[u, 0], units.xy_m[u, 1], par[P_SENSOR_HEIGHT_M],
                             par[P_SENSOR_RANGE_M], par[P_TAN_MIN_ELEVATION])


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def unit_timeline(units, u, order, flights, eng):
    """Walk unit ``u`` through the salvo (rockets in ``order``); see the kind's own timeline.

    Returns
    -------
    n_engagements, n_kills, n_shots, exhausted : int
    """
    if units.kind[u] == KIND_CRAM:
        return gun_timeline(u, units.par[u], order, eng)
    return battery_timeline(u, units.par[u], order, flights, units.xy_m[u, 0], units.xy_m[u, 1],
                            eng)
