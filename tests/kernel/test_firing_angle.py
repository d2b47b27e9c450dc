"""The firing angle in the kernel: a fixed elevation puts the launcher where that elevation
reaches and the rockets land around that range; high-angle and fixed-elevation crews with met
data still lay onto the aim point; low angle is today's kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from forceprot.ballistics import fly, solve_trajectory
from forceprot.compile import compile_scenario, prepare
from forceprot.kernel import tally as T
from forceprot.scenario import load_scenario
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.conftest import SITES

SALVOS = 256
FIXED_DEG = 30.0
RANGE_SIGMA = 0.01


def _run(changes: dict, salvos: int = SALVOS):
    sc = load_scenario(SITES / "taji.toml").updated({"threat": changes})
    prepared = prepare(sc)
    compiled = compile_scenario(prepared)
    res = simulate(compiled, RunSettings(salvos=salvos, seed=3, story_salvos=salvos, threads=1))
    return prepared, compiled, res


@pytest.fixture(scope="module")
def fixed_run():
    """Fixed 30 deg, no wind, no laying error, range dispersion only."""
    return _run({"elevation": FIXED_DEG, "wind_mps": 0.0, "aim_sigma_m": 0.0,
                 "range_sigma_frac": RANGE_SIGMA, "deflection_sigma_mil": 0.0})


def test_fixed_elevation_launchers_stand_at_its_range_inside_the_zone(fixed_run):
    prepared, compiled, res = fixed_run
    story = res.story
    reach_m = fly("107mm", math.radians(FIXED_DEG),
                  ground_altitude_m=prepared.scenario.site.ground_altitude_m).range_m
    assert compiled.inputs.salvo.fixed_elevation
    # the family's no-wind range at the elevation, interpolated between grid rows
    assert compiled.inputs.salvo.fixed_range_m == pytest.approx(reach_m, rel=1e-3)
    d = np.hypot(story[:, T.R_AIM_X] - story[:, T.R_LAUNCH_X],
                 story[:, T.R_AIM_Y] - story[:, T.R_LAUNCH_Y])
    # no laying error: the launcher is exactly the fixed range from the aim point
    np.testing.assert_allclose(d, compiled.inputs.salvo.fixed_range_m, rtol=1e-9)
    zone = prepared.site.launch_zone
    inside = shapely.contains_xy(zone.buffer(1e-6), story[:, T.R_LAUNCH_X],
                                 story[:, T.R_LAUNCH_Y])
    assert inside.all()


def test_fixed_elevation_rockets_land_around_its_range(fixed_run):
    prepared, compiled, res = fixed_run
    story = res.story
    reach_m = compiled.inputs.salvo.fixed_range_m
    flown = np.hypot(story[:, T.R_IMPACT_X] - story[:, T.R_LAUNCH_X],
                     story[:, T.R_IMPACT_Y] - story[:, T.R_LAUNCH_Y]) / reach_m - 1.0
    n = flown.size
    # relative range error ~ N(0, RANGE_SIGMA) (the family inverts its own table exactly, so
    # only the float noise of the blend adds): 99.9 % interval on the mean and the spread
    half = 3.3 * RANGE_SIGMA / math.sqrt(n)
    assert abs(flown.mean()) < half + 1e-4, flown.mean()
    assert flown.std() == pytest.approx(RANGE_SIGMA, rel=0.1)
    # the apogee is the fixed elevation's (solve_trajectory flies it directly)
    apogee = solve_trajectory("107mm", angle=FIXED_DEG,
                              ground_altitude_m=prepared.scenario.site
                              .ground_altitude_m).apogee_m
    assert np.median(story[:, T.R_APOGEE_M]) == pytest.approx(apogee, rel=0.03)


@pytest.mark.parametrize("elevation", ["high", 70.0, 30.0, "low"])
def test_wind_laying_puts_the_nominal_rocket_on_the_aim_point(elevation):
    """Taji's 4 m/s wind, a crew with met data, no errors at all: every rocket lands on the
    aim point within the family's accuracy (0.4 % of range, forceprot/flight/family.py)."""
    _, compiled, res = _run({"elevation": elevation, "lay_for_wind": True, "aim_sigma_m": 0.0,
                             "range_sigma_frac": 0.0, "deflection_sigma_mil": 0.0}, salvos=64)
    story = res.story
    rng = np.hypot(story[:, T.R_AIM_X] - story[:, T.R_LAUNCH_X],
                   story[:, T.R_AIM_Y] - story[:, T.R_LAUNCH_Y])
    miss = np.hypot(story[:, T.R_IMPACT_X] - story[:, T.R_AIM_X],
                    story[:, T.R_IMPACT_Y] - story[:, T.R_AIM_Y])
    assert np.all(miss <= 0.004 * rng + 1.0), float(np.max(miss / rng))
    if elevation == "high":
        assert np.median(story[:, T.R_APOGEE_M]) > 1500.0
    # without the correction the same wind moves the impacts: the laying does real work
    _, _, res_nolay = _run({"elevation": elevation, "lay_for_wind": False, "aim_sigma_m": 0.0,
                            "range_sigma_frac": 0.0, "deflection_sigma_mil": 0.0}, salvos=64)
    s2 = res_nolay.story
    miss2 = np.hypot(s2[:, T.R_IMPACT_X] - s2[:, T.R_AIM_X], s2[:, T.R_IMPACT_Y] - s2[:, T.R_AIM_Y])
    assert np.median(miss2) > 5.0 * max(np.median(miss), 1.0)


def test_explicit_low_is_the_default_kernel():
    _, _, a = _run({}, salvos=128)
    _, compiled, b = _run({"elevation": "low"}, salvos=128)
    assert not compiled.inputs.salvo.fixed_elevation
    np.testing.assert_array_equal(a.scalars, b.scalars)
    np.testing.assert_array_equal(a.story, b.story)
