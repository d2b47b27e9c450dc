"""Fire control: which unit engages which rocket, and when.

Two modes (``fire_control`` in a scenario, :data:`~forceprot.engage.state.Units`
``coordinated``):

``independent``
    Each unit fights the salvo on its own: it walks the rockets it would engage in threat order
    (earliest predicted impact first) and fires whenever it can, not knowing what the others do.
    Two units may both fire at one rocket; a shot at a rocket another unit has already destroyed
    is counted as wasted (``engagements_on_killed``).

``coordinated``
    One air picture and one engagement-operations cell, as counter-rocket batteries fight. Rockets
    are taken in threat order; each goes to the unit that can kill it first (earliest burst or
    intercept, ties to the lower unit index). If that engagement misses, the rocket is reassigned
    to the unit that can kill it first after the miss is seen, and so on until it is killed or no
    unit can reach it. A unit engages a rocket at most once (its own doctrine may fire two
    interceptors), and no unit fires at a rocket already killed.

Both modes share the per-unit offer/commit pair (:mod:`forceprot.engage.units`), so a unit's
reaction, tracks, windows, rates and magazines are the same in both.
"""

from __future__ import annotations

import math


from forceprot.jit import njit_inner
from forceprot.engage.params import OUT_NONE, P_REACTION_S
from forceprot.engage.units import unit_ammo, unit_commit, unit_offer_s
from forceprot.kernel.bundles import US_ON_KILLED

__all__ = ["count_on_killed", "fight_salvo", "fight_coordinated", "fight_independent",
           "start_salvo"]


@njit_inner
def start_salvo(units, eng, state):
    """Reset every unit for a new salvo: full magazines, free, and ready ``reaction_s`` after
    its first track of any rocket of the salvo (never, if it tracks none)."""
    n = eng.t_track_s.shape[0]
    for u in range(units.kind.shape[0]):
        first = math.inf
        for i in range(n):
            if eng.t_track_s[i, u] < first:
                first = eng.t_track_s[i, u]
        state.active_s[u] = first + units.par[u, P_REACTION_S]
        state.free_s[u] = -math.inf
        state.ammo[u] = unit_ammo(units, u)
        state.reloads[u] = 0
        state.n_launches[u] = 0
        state.tried[u] = False
        for c in range(state.stats.shape[1]):
            state.stats[u, c] = 0


@njit_inner
def fight_independent(units, order, flights, eng, state):
    """Every unit on its own, rockets in ``order`` (see the module notes)."""
    for u in range(units.kind.shape[0]):
        if state.active_s[u] == math.inf:
            continue
        for j in range(order.shape[0]):
            i = order[j]
            if not eng.candidate[i, u]:
                continue
            t_start, t_effect = unit_offer_s(units, u, i, flights, eng, state, -math.inf)
            if t_effect < math.inf:
                unit_commit(units, u, i, flights, eng, state, t_start, t_effect)


@njit_inner
def fight_coordinated(units, order, flights, eng, state):
    """One air picture: each rocket to the unit that can kill it first, reassigned after a miss
    (see the module notes)."""
    n_units = units.kind.shape[0]
    for j in range(order.shape[0]):
        i = order[j]
        for u in range(n_units):
            state.tried[u] = False
        not_before = -math.inf
        while True:
            best = -1
            best_start = math.inf
            best_effect = math.inf
            for u in range(n_units):
                if state.tried[u] or not eng.candidate[i, u]:
                    continue
                t_start, t_effect = unit_offer_s(units, u, i, flights, eng, state, not_before)
                if t_effect < best_effect:
                    best = u
                    best_start = t_start
                    best_effect = t_effect
            if best < 0:
                break
            state.tried[best] = True
            t_kill, t_outcome = unit_commit(units, best, i, flights, eng, state, best_start,
                                            best_effect)
            if t_kill < math.inf:
                break
            not_before = t_outcome


@njit_inner
def fight_salvo(units, order, flights, eng, state):
    """Start the salvo and run the scenario's fire-control mode."""
    start_salvo(units, eng, state)
    if units.coordinated:
        fight_coordinated(units, order, flights, eng, state)
    else:
        fight_independent(units, order, flights, eng, state)


@njit_inner
def count_on_killed(eng, t_kill_s, state):
    """Engagements whose burst or first intercept came after the rocket was already destroyed
    (``t_kill_s``: the rocket's earliest kill) go to ``state.stats[:, US_ON_KILLED]``: wasted
    fire, which a coordinated air picture avoids."""
    for i in range(t_kill_s.shape[0]):
        if t_kill_s[i] == math.inf:
            continue
        for u in range(eng.eng_outcome.shape[1]):
            if eng.eng_outcome[i, u] != OUT_NONE and eng.eng_t_s[i, u] > t_kill_s[i]:
                state.stats[u, US_ON_KILLED] += 1
