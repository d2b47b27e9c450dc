"""Run hand-made salvos through fire control (one or more units), for the engagement tests."""

from __future__ import annotations

import numpy as np

from forceprot.engage import params as P
from forceprot.engage.fire_control import fight_salvo
from forceprot.engage.state import (
    Flights,
    Units,
    empty_engagements,
    empty_unit_state,
    open_horizon,
)
from forceprot.kernel.salvo import credit_kills
from forceprot.kernel.bundles import (
    N_UNIT_STATS,
    US_ENGAGEMENTS,
    US_EXHAUSTED,
    US_KILLS,
    US_ON_KILLED,
    US_SHOTS,
)


def fight(kinds, pars, order, *, t_track, u_kill, candidate=None, t_open=None, t_close=None,
          flights=None, xy=None, coordinated=False):
    """Fight one salvo of ``n`` rockets with the given units.

    ``t_track``, ``candidate``, ``t_open``, ``t_close`` are (n, n_units) (or (n,) for one
    unit); ``u_kill`` is (n, n_units, 2) (or (n, 2)). Returns ``(stats, eng)``: the per-unit
    counts (n_units, N_UNIT_STATS), wasted engagements counted as the kernel counts them, and
    the :data:`Engagements`.
    """
    n_units = len(kinds)
    t_track = np.asarray(t_track, float).reshape(-1, n_units)
    n = t_track.shape[0]
    eng = empty_engagements(n, n_units)
    eng.t_detect_s[:] = t_track
    eng.t_track_s[:] = t_track
    eng.candidate[:] = True if candidate is None else \
        np.asarray(candidate, np.bool_).reshape(n, n_units)
    eng.in_sector[:] = eng.candidate
    if t_open is not None:
        eng.t_open_s[:] = np.asarray(t_open, float).reshape(n, n_units)
    if t_close is not None:
        eng.t_close_s[:] = np.asarray(t_close, float).reshape(n, n_units)
    eng.u_kill[:] = np.asarray(u_kill, float).reshape(n, n_units, 2)
    if flights is None:
        tau = np.linspace(0.0, 1.0, 2)
        flights = Flights(np.zeros((n, 2, 3)), np.zeros(n), np.ones(n), tau)
    par = np.ascontiguousarray(np.asarray(pars, float).reshape(n_units, P.N_PAR))
    xy = np.zeros((n_units, 2)) if xy is None else np.asarray(xy, float).reshape(n_units, 2)
    units = Units(np.asarray(kinds, np.int64), xy, par, coordinated, open_horizon(n_units))
    max_launches = max([int(p[P.P_SAM_MISSILES]) for p in par] + [1])
    state = empty_unit_state(n_units, max_launches, N_UNIT_STATS)
    fight_salvo(units, np.asarray(order, np.int64), flights, eng, state)
    credit_kills(eng, np.full(n, np.inf), np.full(n, -1, np.int64), state)
    return state.stats, eng


def summary(stats, u=0):
    """(engagements, kills, shots, exhausted) of unit ``u``, as the old per-unit timelines."""
    return (int(stats[u, US_ENGAGEMENTS]), int(stats[u, US_KILLS]), int(stats[u, US_SHOTS]),
            int(stats[u, US_EXHAUSTED]))


def wasted(stats, u=0):
    return int(stats[u, US_ON_KILLED])


def gun_par(*, reaction_s=2.0, engage_s=1.5, p_kill=0.7, per=100, magazine=10_000,
            reload_s=30.0):
    """A gun mount's parameter row with the given timeline figures (the rest zero)."""
    par = np.zeros(P.N_PAR)
    par[P.P_REACTION_S] = reaction_s
    par[P.P_GUN_ENGAGE_S] = engage_s
    par[P.P_KILL] = p_kill
    par[P.P_GUN_ROUNDS_PER_ENGAGEMENT] = per
    par[P.P_GUN_MAGAZINE_ROUNDS] = magazine
    par[P.P_GUN_RELOAD_S] = reload_s
    return par
