"""People at risk through the whole run: intervals by repetition, determinism, the value of
sense-and-warn and of each unit, and the Taji example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.kernel import tally as T
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.studies.people import unit_values, without_unit
from tests.conftest import SITES
from tests.kernel_helpers import CX_M, CY_M, ideal_cram, people_scenario

#: Occupancy over most of the synthetic 2 km base, so that most salvos hurt someone.
AREAS = [(CX_M, CY_M, 600.0, 20_000.0, "living"), (CX_M + 700.0, CY_M, 200.0, 3_000.0, "office")]
SHELTERS = [(CX_M + dx, CY_M + dy, 400.0) for dx in (-400.0, 0.0, 400.0)
            for dy in (-400.0, 0.0, 400.0)]


@pytest.fixture(scope="module")
def crowd_prepared(tmp_path_factory):
    """The synthetic base with a crowd, shelters and one C-RAM-class mount at its centre that
    kills half the rockets it engages (prepared)."""
    folder = tmp_path_factory.mktemp("crowd")
    return people_scenario(
        folder, AREAS, SHELTERS, cell_m=10.0, reaction_s=2.0, prone_factor=0.6,
        indoor_factor=0.3, defence=[ideal_cram("mount", CX_M, CY_M, 0.5, defended_radius_m=2e4)])


@pytest.fixture(scope="module")
def crowd(crowd_prepared):
    """:func:`crowd_prepared`, compiled."""
    return compile_scenario(crowd_prepared)


def test_intervals_cover_by_repetition(crowd) -> None:
    """95 % intervals of expected killed, wounded and P(>= 1 casualty) per salvo from 512-salvo
    runs cover the value of a 65,536-salvo run about 95 % of the time (40 seeds)."""
    truth = simulate(crowd, RunSettings(salvos=65_536, seed=999, threads=2))
    reps = 40
    covered = {"killed": 0, "wounded": 0, "p_casualty": 0}
    for seed in range(reps):
        r = simulate(crowd, RunSettings(salvos=512, seed=seed, threads=2))
        for key, est, want in (
                ("killed", r.expected_killed_per_salvo, truth.expected_killed_per_salvo.value),
                ("wounded", r.expected_wounded_per_salvo,
                 truth.expected_wounded_per_salvo.value),
                ("p_casualty", r.p_casualty, truth.p_casualty.value)):
            covered[key] += est.lo <= want <= est.hi
    # the truth's own noise is a twelfth of a 512-salvo interval: negligible at this tolerance
    least = stats.binom.ppf(0.001, reps, 0.95)
    assert all(c >= least for c in covered.values()), covered
    assert truth.expected_killed_per_salvo.value > 0.05


def test_same_figures_on_any_thread_count(crowd) -> None:
    one = simulate(crowd, RunSettings(salvos=2_048, seed=5, threads=1), chunk_blocks=1)
    two = simulate(crowd, RunSettings(salvos=2_048, seed=5, threads=2))
    assert np.array_equal(one.scalars, two.scalars)
    assert np.array_equal(one.hours, two.hours)
    assert np.array_equal(one.exposure, two.exposure)


def test_the_by_area_and_by_hour_figures_add_up(crowd) -> None:
    r = simulate(crowd, RunSettings(salvos=1_024, seed=2, threads=2))
    n = r.salvos
    cas = r.scalars[T.S_KILLED] + r.scalars[T.S_WOUNDED]
    assert r.exposure[:, T.E_CASUALTIES].sum() == pytest.approx(cas, rel=1e-9)
    w = crowd.inputs.people.hour_w
    assert (r.hours[T.H_KILLED] @ w) == pytest.approx(r.scalars[T.S_KILLED], rel=1e-9)
    by_hour = r.casualties_by_hour()
    assert len(by_hour) == 24 and by_hour[3]["expected_killed_per_salvo"] == \
        pytest.approx(r.hours[T.H_KILLED, 3] / n)


def test_without_sensors_warning_saves_nothing(tmp_path) -> None:
    """No unit, no track, no alarm: the paired no-warning counts equal the counts."""
    compiled = compile_scenario(people_scenario(tmp_path, AREAS, SHELTERS, cell_m=10.0,
                                                prone_factor=0.6, indoor_factor=0.3))
    r = simulate(compiled, RunSettings(salvos=1_024, seed=3))
    assert r.scalars[T.S_KILLED] > 0
    # equal but for rounding: the two are summed in different orders
    assert r.scalars[T.S_KILLED_NO_WARNING] == pytest.approx(r.scalars[T.S_KILLED], rel=1e-12)
    assert r.scalars[T.S_CASUALTIES_NO_WARNING] == \
        pytest.approx(r.scalars[T.S_KILLED] + r.scalars[T.S_WOUNDED], rel=1e-12)
    assert abs(r.warning_value()["casualties"].value) < 1e-9


def test_warning_saves_people(crowd) -> None:
    r = simulate(crowd, RunSettings(salvos=2_048, seed=4))
    saved = r.warning_value()["casualties"]
    assert saved.lo > 0.0


def test_a_unit_that_kills_everything_saves_every_casualty(tmp_path) -> None:
    """One mount that kills every rocket it engages over the whole defended area: with it nobody
    is hurt, so what it avoids is exactly the casualties of the run without it (same salvos);
    switched off, it neither engages nor warns."""
    compiled = compile_scenario(people_scenario(
        tmp_path, AREAS, SHELTERS, cell_m=10.0,
        defence=[ideal_cram("wall", CX_M, CY_M, 1.0, defended_radius_m=2e4)]))
    settings = RunSettings(salvos=1_024, seed=8, threads=2)
    with_unit = simulate(compiled, settings)
    assert with_unit.scalars[T.S_KILLED] == 0.0 and with_unit.scalars[T.S_WOUNDED] == 0.0
    off = simulate(compiled.with_inputs(units=without_unit(compiled.inputs.units, 0)), settings)
    assert off.scalars[T.S_INTERCEPTED] == 0 and off.scalars[T.S_TRACKED_N] == 0
    (value,) = unit_values(compiled, settings)
    cas_off = (off.scalars[T.S_KILLED] + off.scalars[T.S_WOUNDED]) / off.salvos
    assert value.casualties_avoided[0] == pytest.approx(cas_off, rel=1e-12)
    assert value.killed_avoided[0] == pytest.approx(off.scalars[T.S_KILLED] / off.salvos,
                                                    rel=1e-12)
    assert value.casualties_avoided[1] > 0


def test_taji_example_has_people_and_figures() -> None:
    """The bundled Taji scenario carries its illustrative occupancy and shelters."""
    prepared = prepare_scenario(SITES / "taji.toml")
    people = prepared.site.people
    assert people is not None and len(people.names) == 11 and people.n_shelters == 94
    peak = people.people_h.sum(axis=0).max()
    assert 2_000 <= peak <= 3_000
    r = simulate(compile_scenario(prepared), RunSettings(salvos=1_024, seed=7))
    assert r.expected_killed_per_salvo.value > 0
    assert 0 < r.p_casualty.value < 1


def test_compare_pairs_people_measures_like_the_unit_value(tmp_path, crowd,
                                                           crowd_prepared) -> None:
    """With a single unit, switching it off is removing it: ``compare`` (B without it, A with
    it) finds the killed and wounded it avoids, as :func:`unit_values` does."""
    from forceprot.studies.compare import compare_layouts

    with_unit = crowd_prepared
    without = type(with_unit)(scenario=with_unit.scenario.updated({"defence": []}),
                              site=with_unit.site)
    cmp = compare_layouts(with_unit, without, salvos=2_048, seed=6)
    (value,) = unit_values(crowd, RunSettings(salvos=2_048, seed=6))
    d = cmp.differences["expected_killed_per_salvo"]
    assert d.difference == pytest.approx(value.killed_avoided[0], rel=1e-9)
    assert (d.lo, d.hi) == pytest.approx(value.killed_avoided[1:], rel=1e-9)
    assert "p_casualty" in cmp.differences and "expected_wounded_per_salvo" in cmp.differences


def test_optimize_for_casualties_places_the_mount_by_the_crowd(tmp_path) -> None:
    """A crowd in the east corner of a base hit uniformly: minimising casualties puts the one
    C-RAM-class mount near the crowd, minimising the leak rate does not need to."""
    from forceprot.studies.executors import ScenarioSpec
    from forceprot.studies.optimize import SearchOptions, plan_optimization, run_optimization
    from tests.kernel_helpers import people_data

    crowd_xy = np.array([CX_M + 700.0, CY_M + 700.0])
    data = people_data(tmp_path, [(*crowd_xy, 250.0, 5_000.0, "constant")], cell_m=10.0)
    spec = ScenarioSpec(data=data, path=str(tmp_path / "synthetic.toml"), label="synthetic.toml")
    result = run_optimization(plan_optimization(
        spec, n_cram=1, grid_m=500.0, salvos=2_048, objective="casualties",
        search=SearchOptions(screen_salvos=512, refine=4)))
    (mount,) = result.placements()
    assert result.objective == "casualties"
    assert np.hypot(mount["x_m"] - crowd_xy[0], mount["y_m"] - crowd_xy[1]) < 800.0
    assert result.final_score.value < result.greedy_steps[0].score.value


def test_sweep_and_uncertainty_report_people(tmp_path, crowd, crowd_prepared) -> None:
    from forceprot.studies.sweep import _people_columns
    from forceprot.studies.uncertainty import _measures

    r = simulate(crowd, RunSettings(salvos=512, seed=1))
    cols = _people_columns(r.summary(crowd_prepared))
    assert cols["expected_killed_per_salvo"] == pytest.approx(r.expected_killed_per_salvo.value)
    assert cols["p_casualty"] == pytest.approx(r.p_casualty.value)
    m = _measures(r)
    assert m["casualties_per_salvo"] == pytest.approx(
        r.expected_killed_per_salvo.value + r.expected_wounded_per_salvo.value)
