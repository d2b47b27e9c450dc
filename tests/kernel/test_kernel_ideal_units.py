"""Units that engage every rocket once, without saturation: the leak rate is 1 - p_kill (or the
product over units), and every kill follows the documented kill draw."""

from __future__ import annotations

import numpy as np
import pytest

from forceprot.kernel import tally as T
from forceprot.engage.params import OUT_KILL, OUT_MISS, OUT_NONE
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.stats import proportion
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    assert_covers,
    compile_data,
    ideal_cram,
    ideal_patriot,
    kill_draw,
    scenario_data,
    square_base,
)

SALVOS = 20_000
STORY_SALVOS = 400
SEED = 3
UNIT_BUILDERS = {"patriot": ideal_patriot, "cram": ideal_cram}


def _run(tmp_path, units, *, salvos=SALVOS, seed=SEED, fire_control="independent"):
    square_base(tmp_path)
    data = scenario_data(tubes=8, ripple_s=0.5, aim_sigma_m=250.0, defence=units,
                         simulation={"salvos": salvos, "seed": seed,
                                     "story_salvos": STORY_SALVOS, "cell_m": 100.0},
                         fire_control=fire_control)
    prepared, compiled = compile_data(tmp_path, data)
    return compiled, simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, threads=2))


def _check_story(res, p_kills, seed=SEED):
    """Every rocket predicted to land in the defended area is engaged once by every unit; the
    outcome is a kill exactly when the engagement's kill draw (recomputed in plain Python from
    the documented hash) is below p_kill; the kill is credited to the earliest killer."""
    story, su = res.story, res.story_units
    assert story.shape[0] == STORY_SALVOS * res.compiled.tubes
    defended = story[:, T.R_DEFENDED] == 1.0
    assert defended.mean() > 0.5
    salvo = story[:, T.R_SALVO].astype(int)
    tube = story[:, T.R_TUBE].astype(int)
    kill_t = np.full((story.shape[0], len(p_kills)), np.inf)
    for u, p in enumerate(p_kills):
        outcome = su[:, u, T.RU_OUTCOME]
        np.testing.assert_array_equal(outcome != OUT_NONE, defended,
                                      err_msg=f"unit {u}: engaged set is not the defended set")
        assert np.all(su[defended, u, T.RU_SHOTS] == 1)
        draws = np.array([kill_draw(seed, s, i, u, 0)
                          for s, i in zip(salvo[defended], tube[defended])])
        expected = np.where(draws < p, OUT_KILL, OUT_MISS)
        np.testing.assert_array_equal(outcome[defended], expected,
                                      err_msg=f"unit {u}: outcomes do not follow the kill draws")
        kills = outcome == OUT_KILL
        kill_t[kills, u] = su[kills, u, T.RU_T]
    killed = np.isfinite(kill_t).any(axis=1)
    np.testing.assert_array_equal(story[:, T.R_INTERCEPTED] == 1.0, killed)
    np.testing.assert_array_equal(story[killed, T.R_KILL_UNIT],
                                  np.argmin(kill_t[killed], axis=1))
    np.testing.assert_array_equal(story[killed, T.R_KILL_T], kill_t[killed].min(axis=1))
    assert np.all(story[~killed, T.R_KILL_UNIT] == -1)


@pytest.mark.parametrize("kind", sorted(UNIT_BUILDERS))
@pytest.mark.parametrize("p_kill", [0.3, 0.8])
def test_one_unit_leak_rate_is_one_minus_p_kill(tmp_path, kind, p_kill):
    unit = UNIT_BUILDERS[kind]("u0", CX_M, CY_M, p_kill)
    compiled, res = _run(tmp_path, [unit])
    est = res.leak_rate
    assert_covers(1.0 - p_kill, est.value, est.n_eff, what=f"{kind} p_kill {p_kill}: leak rate")
    # no saturation: one engagement per rocket in the defended area, one interceptor/burst each
    ur = res.unit_results[0]
    assert ur.engagements == res.scalars[T.S_DEFENDED]
    assert ur.shots == ur.engagements
    assert ur.salvos_exhausted == 0
    # kill draws are independent across engagements: plain Wilson over engagements
    hit = proportion(ur.hits, ur.engagements)
    assert_covers(p_kill, hit.value, hit.n, what=f"{kind} p_kill {p_kill}: hits per engagement")
    # a lone unit is credited every kill; its share of threatening rockets is 1 - leak rate
    assert ur.kills == res.rockets_intercepted
    assert ur.kill_share.value == pytest.approx(1.0 - est.value, abs=1e-12)
    _check_story(res, [p_kill])


@pytest.mark.parametrize("kind", sorted(UNIT_BUILDERS))
@pytest.mark.parametrize("p_kill", [0.0, 1.0])
def test_certain_outcomes_are_exact(tmp_path, kind, p_kill):
    unit = UNIT_BUILDERS[kind]("u0", CX_M, CY_M, p_kill)
    _, res = _run(tmp_path, [unit], salvos=2_000)
    assert res.rockets_threatening > 0
    assert res.leak_rate.value == 1.0 - p_kill
    if p_kill == 1.0:
        assert res.rockets_leaked == 0 and res.p_any_leak.value == 0.0
        # every rocket predicted to land in the defended area is killed, none other
        assert res.rockets_intercepted == res.scalars[T.S_DEFENDED]
    else:
        assert res.rockets_intercepted == 0
    _check_story(res, [p_kill])


@pytest.mark.parametrize(("first", "second"), [
    (("patriot", 0.3), ("cram", 0.8)),
    (("patriot", 0.5), ("patriot", 0.6)),
    (("cram", 0.7), ("cram", 0.2)),
])
def test_two_units_leak_rate_is_product(tmp_path, first, second):
    (k1, p1), (k2, p2) = first, second
    units = [UNIT_BUILDERS[k1]("u0", CX_M - 300.0, CY_M, p1),
             UNIT_BUILDERS[k2]("u1", CX_M + 300.0, CY_M + 200.0, p2)]
    _, res = _run(tmp_path, units)
    est = res.leak_rate
    truth = (1.0 - p1) * (1.0 - p2)
    assert_covers(truth, est.value, est.n_eff, what=f"{first} + {second}: leak rate")
    # each unit still engages every rocket (independent draws, no coordination)
    for ur in res.unit_results:
        assert ur.engagements == res.scalars[T.S_DEFENDED]
    _check_story(res, [p1, p2])


@pytest.mark.parametrize(("first", "second"), [
    (("patriot", 0.3), ("cram", 0.8)),
    (("cram", 0.7), ("cram", 0.2)),
])
def test_coordinated_leak_rate_is_product_without_waste(tmp_path, first, second):
    """One air picture: the second unit engages exactly the rockets the first one missed (it is
    ready 5 s later, so the first always goes first), the leak rate is still the product, no
    rocket is killed twice and no engagement is wasted."""
    (k1, p1), (k2, p2) = first, second
    units = [UNIT_BUILDERS[k1]("u0", CX_M - 300.0, CY_M, p1),
             UNIT_BUILDERS[k2]("u1", CX_M + 300.0, CY_M + 200.0, p2, reaction_s=5.0)]
    _, res = _run(tmp_path, units, fire_control="coordinated")
    est = res.leak_rate
    assert_covers((1.0 - p1) * (1.0 - p2), est.value, est.n_eff, what="coordinated leak rate")
    u0, u1 = res.unit_results
    assert u0.engagements == res.scalars[T.S_DEFENDED]
    assert u1.engagements == res.scalars[T.S_DEFENDED] - u0.hits
    assert u0.engagements_on_killed == 0 and u1.engagements_on_killed == 0
    su = res.story_units
    both = (su[:, 0, T.RU_OUTCOME] != OUT_NONE) & (su[:, 1, T.RU_OUTCOME] != OUT_NONE)
    assert not np.any(both & (su[:, 0, T.RU_OUTCOME] == OUT_KILL))


@pytest.mark.parametrize("p_first", [0.3, 0.8])
def test_independent_wasted_engagements_closed_form(tmp_path, p_first):
    """Independent fire: the second unit, ready 5 s after its first track (the first has fired
    at every rocket of the 3.5 s ripple by then), fires at every rocket; the ones the first
    already killed are wasted: p_first of its engagements (binomial)."""
    units = [ideal_cram("u0", CX_M - 300.0, CY_M, p_first),
             ideal_cram("u1", CX_M + 300.0, CY_M + 200.0, 0.5, reaction_s=5.0)]
    _, res = _run(tmp_path, units, salvos=4_000, fire_control="independent")
    u0, u1 = res.unit_results
    assert u1.engagements == res.scalars[T.S_DEFENDED]
    assert u0.engagements_on_killed == 0
    # a salvo's rockets share no kill draws: the engagements are independent trials
    wasted = proportion(u1.engagements_on_killed, u1.engagements)
    assert_covers(p_first, wasted.value, wasted.n, what="wasted share")
    assert u1.engagements_on_killed == u0.hits
