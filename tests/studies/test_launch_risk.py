"""Launch areas sampled one by one: every reachable area gets its salvos, areas out of reach
are flagged, the top group follows its definition, and it is the same for different seeds."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from forceprot.compile import compile_scenario, prepare
from forceprot.scenario import load_scenario
from forceprot.settings import RunSettings
from forceprot.studies.launch_risk import (
    MIN_AREA_FRACTION,
    REFINE_FACTOR,
    TOP_TOLERANCE_FRAC,
    launch_areas,
    launch_risk,
)
from tests.conftest import SITES
from tests.kernel_helpers import CX_M, CY_M, compile_data, ideal_cram, scenario_data, square_base


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A square base with one gun and a wide launch zone: (prepared, compiled)."""
    tmp = tmp_path_factory.mktemp("launch")
    square_base(tmp)
    data = scenario_data(tubes=4, min_standoff_m=1_500.0, max_standoff_m=12_000.0,
                         defence=[ideal_cram("g", CX_M, CY_M, 0.5, defended_radius_m=600.0)])
    return compile_data(tmp, data)


AREA_M = 4_000.0


@pytest.fixture(scope="module")
def risk(small):
    prepared, compiled = small
    return launch_risk(compiled, prepared, RunSettings(salvos=1, seed=3), area_m=AREA_M,
                       salvos_per_area=512)


def test_areas_tile_the_zone_and_slivers_are_accounted(small):
    prepared, _ = small
    polygons, left_out, side_m = launch_areas(prepared, AREA_M)
    assert side_m == AREA_M
    zone = prepared.site.launch_zone
    assert np.all(shapely.area(polygons) >= MIN_AREA_FRACTION * AREA_M ** 2)
    covered = float(shapely.area(polygons).sum()) / zone.area
    assert covered + left_out == pytest.approx(1.0, abs=1e-9)
    assert shapely.union_all(polygons).difference(zone).area < 1e-6 * zone.area


def test_every_area_is_sampled_or_flagged_and_the_top_group_follows_its_rule(small, risk):
    # the 107 mm reaches 8 km: areas wholly beyond it are flagged, never sampled
    prepared, compiled = small
    far = [i for i, p in enumerate(risk.polygons_m)
           if p.distance(prepared.site.base) > compiled.inputs.family.max_range_m]
    assert far and not risk.reachable[far].any()
    assert np.all(np.isnan(risk.leakers_per_salvo[~risk.reachable]))
    assert np.all(np.isfinite(risk.leakers_per_salvo[risk.reachable]))
    best = risk.ranking[0]
    assert risk.in_top_group[best]
    threshold = risk.leakers_lo[best] - TOP_TOLERANCE_FRAC * risk.leakers_per_salvo[best]
    expected = risk.reachable & (risk.leakers_hi >= threshold)
    np.testing.assert_array_equal(risk.in_top_group, expected)
    # ranking is by expected leakers, highest first
    assert np.all(np.diff(risk.leakers_per_salvo[risk.ranking]) <= 0)
    # the group was decided on refined samples; areas far below it kept the first sample
    assert np.all(risk.salvos[risk.in_top_group] >= REFINE_FACTOR * 512)
    assert np.all(risk.salvos[risk.reachable] >= 512)
    assert np.all(risk.salvos[~risk.reachable] == 0)


def test_figures_are_bounded_and_the_intervals_hold_them(risk):
    values = risk.leakers_per_salvo[risk.reachable]
    assert np.all((values >= 0) & (values <= 4))  # 4 tubes
    lo, hi = risk.leakers_lo[risk.reachable], risk.leakers_hi[risk.reachable]
    assert np.all((lo <= values) & (values <= hi))
    assert risk.zone_share.sum() + risk.left_out_share == pytest.approx(1.0, abs=1e-9)


@pytest.mark.slow
def test_taji_top_group_is_the_same_for_different_seeds():
    """At the default settings the top group does not depend on the seed (issue 12); measured
    the same for seeds 1-6 when written, with Taji's figures of then (a trained crew's aim and
    dispersion, no wind laying). Taji now takes the improvised_truck preset, whose 1.5 km aim
    error flattens the launch-risk landscape: its top group then varies with the seed around a
    common core (seeds 1-3: 8, 12 and 10 areas sharing 7), so the study's seed stability is
    checked on the figures it was measured with."""
    scenario = load_scenario(SITES / "taji.toml").updated({"threat": {
        "preset": None, "aim_sigma_m": 150.0, "range_sigma_frac": 0.015,
        "deflection_sigma_mil": 5.0, "ripple_s": 0.5}})
    prepared = prepare(scenario)
    compiled = compile_scenario(prepared)
    groups = [set(launch_risk(compiled, prepared,
                              RunSettings.from_scenario(prepared.scenario, seed=s))
                  .top_group.tolist()) for s in (1, 2, 3)]
    assert groups[0] == groups[1] == groups[2], groups


def test_a_large_zone_gets_larger_areas_not_thousands(small):
    """Squares grow so that a study never samples more than MAX_AREAS areas."""
    from forceprot.studies.launch_risk import MAX_AREAS

    polygons, _, side_m = launch_areas(small[0], 500.0)
    assert len(polygons) <= MAX_AREAS and side_m > 500.0 and side_m % 500.0 == 0.0
