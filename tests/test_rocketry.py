"""Rocket classes for people: listing, the stated-vs-flown range check, calibration, the
wind-sensitivity table and the derived weathercock constant."""

from __future__ import annotations

import math
import tomllib

import pytest

from forceprot.catalog.rockets import (
    BUNDLED_ROCKETS,
    RocketClass,
    weathercock_tau_s_from_aerodynamics,
)
from forceprot.errors import ScenarioError
from forceprot.outputs.rockets import rocket_toml
from forceprot.rocketry import (
    RANGE_WARNING_FRAC,
    calibrate_rocket,
    list_rockets,
    range_warnings,
    resolve_rocket,
    wind_sensitivity,
)
from forceprot.scenario import load_scenario
from tests.conftest import ROOT
from tests.rocket_files import my107_scenario

# The fitted figures are rounded to 0.1 N and 1e-5 before they are flown again: each moves the
# max range by < 1e-5, and the max-range search itself is good to ~1e-9.
CALIBRATED_RANGE_RTOL = 1e-4
# Published burnout speeds have 2-3 significant figures; the fit is far tighter than that.
CALIBRATED_BURNOUT_RTOL = 1e-3


def test_bundled_classes_fly_their_stated_max_range():
    rows = list_rockets()
    assert [r.name for r in rows] == list(BUNDLED_ROCKETS)
    for row in rows:
        assert row.calibrated, f"{row.name}: {row.range_miss_frac:+.3%}"
        assert abs(row.range_miss_frac) < 1e-4
        # muzzle speed is an output: well below burnout, and a few tens of m/s from 1-3 m tubes
        assert 10.0 < row.muzzle_speed_mps < 0.2 * row.burnout_speed_mps


def test_a_scenario_class_is_listed_and_its_range_miss_warned(tmp_path):
    scenario = load_scenario(my107_scenario(tmp_path))
    rows = {r.name: r for r in list_rockets(scenario)}
    assert set(rows) == {*BUNDLED_ROCKETS, "my107"}
    mine = rows["my107"]
    assert mine.origin == "scenario"
    # from rest, the flight-model-2 motor and no drag fit: about 12 % short of 8,050 m
    assert -0.2 < mine.range_miss_frac < -RANGE_WARNING_FRAC
    (warning,) = range_warnings(scenario)
    assert warning.startswith("rockets.my107.max_range_m: ")
    assert f"{mine.flown_max_range_m:,.0f} m" in warning and "8,050 m" in warning
    assert "forceprot rockets calibrate" in warning


def test_the_bundled_scenario_has_no_range_warning():
    assert range_warnings(load_scenario(ROOT / "sites" / "taji.toml")) == []


def test_resolve_prefers_the_scenario_and_lists_valid_names(tmp_path):
    scenario = load_scenario(my107_scenario(tmp_path))
    assert resolve_rocket("my107", scenario)[1] == "scenario"
    assert resolve_rocket("122mm", scenario) == (BUNDLED_ROCKETS["122mm"], "bundled")
    with pytest.raises(ScenarioError, match="107mm, 122mm, my107"):
        resolve_rocket("nope", scenario)
    with pytest.raises(ScenarioError, match="--scenario"):
        resolve_rocket("my107")


@pytest.mark.slow
def test_calibration_fits_published_range_and_burnout_and_pastes_back(tmp_path):
    scenario = load_scenario(my107_scenario(tmp_path))
    rocket, origin = resolve_rocket("my107", scenario)
    result = calibrate_rocket("my107", rocket, origin=origin)
    assert result.fitted == ("thrust_n", "drag_form_factor")
    after = result.after
    assert after.flown_max_range_m == pytest.approx(8050.0, rel=CALIBRATED_RANGE_RTOL)
    assert after.burnout_speed_mps == pytest.approx(385.0, rel=CALIBRATED_BURNOUT_RTOL)
    # the same published figures as the bundled 107 mm (whose tube and height are the
    # defaults' 1.0 m and 1.5 m): the same fit, to the rounding of the catalog
    bundled = BUNDLED_ROCKETS["107mm"]
    assert after.rocket.thrust_n == pytest.approx(bundled.thrust_n, rel=1e-4)
    assert after.rocket.drag_form_factor == pytest.approx(bundled.drag_form_factor, rel=1e-3)
    pasted = tomllib.loads(rocket_toml("my107", after.rocket))["rockets"]["my107"]
    assert RocketClass.model_validate(pasted) == after.rocket


def test_drag_only_calibration_without_a_published_burnout_speed():
    rocket = BUNDLED_ROCKETS["107mm"].model_copy(
        update={"published_burnout_speed_mps": None, "max_range_m": 7500.0})
    result = calibrate_rocket("short107", rocket, origin="scenario")
    assert result.fitted == ("drag_form_factor",)
    assert result.after.rocket.thrust_n == rocket.thrust_n
    assert result.after.flown_max_range_m == pytest.approx(7500.0, rel=CALIBRATED_RANGE_RTOL)
    assert result.after.rocket.drag_form_factor > rocket.drag_form_factor  # more drag


def test_toml_block_round_trips_every_field():
    rocket = BUNDLED_ROCKETS["122mm"]
    pasted = tomllib.loads(rocket_toml("grad 2", rocket))["rockets"]["grad 2"]
    assert RocketClass.model_validate(pasted) == rocket


# --------------------------------------------------------------------------- wind response

# A 1 m/s wind is in the linear range: doubling it doubles the effect to within a few %.
LINEARITY_RTOL = 0.05


@pytest.mark.parametrize("key", sorted(BUNDLED_ROCKETS))
def test_unit_wind_effects_have_the_firing_table_signs(key):
    rocket = BUNDLED_ROCKETS[key]
    mid_m = 0.6 * rocket.max_range_m
    (one,) = wind_sensitivity(rocket, [mid_m], wind_mps=1.0)
    (two,) = wind_sensitivity(rocket, [mid_m], wind_mps=2.0)
    assert one.head_m_per_mps < 0.0 < one.tail_m_per_mps
    assert one.head_m_per_mps == pytest.approx(-one.tail_m_per_mps, rel=0.05)
    assert one.cross_m_per_mps > 0.0  # upwind: weathercocking in the boost beats drag drift
    for name in ("head_m_per_mps", "tail_m_per_mps", "cross_m_per_mps"):
        assert getattr(two, name) == pytest.approx(getattr(one, name), rel=LINEARITY_RTOL), name
    # a slower-turning body (larger time constant) moves less upwind
    slow = rocket.model_copy(update={"weathercock_tau_s": 4 * rocket.weathercock_tau_s})
    (slow_row,) = wind_sensitivity(slow, [mid_m])
    assert slow_row.cross_m_per_mps < one.cross_m_per_mps


def test_weathercock_constant_from_aerodynamics_matches_the_pitch_frequency():
    # independent: omega^2 = -Cm_alpha q S d / I written out for the 122 mm's stated figures
    d, inertia, cm_alpha = 0.122, 66.6 * 2.87**2 / 12.0, -36.0
    q = 0.5 * 1.225 * 300.0**2
    omega = math.sqrt(-cm_alpha * q * math.pi * d**2 / 4.0 * d / inertia)
    tau = weathercock_tau_s_from_aerodynamics(cm_alpha_per_rad=cm_alpha,
                                              transverse_inertia_kg_m2=inertia, diameter_m=d)
    assert tau == pytest.approx(1.0 / omega, rel=1e-12)
    # the catalog's 0.12 s lies between the launch and burnout inertia figures
    burnout = weathercock_tau_s_from_aerodynamics(
        cm_alpha_per_rad=cm_alpha, transverse_inertia_kg_m2=46.15 * 2.87**2 / 12.0, diameter_m=d)
    assert burnout < BUNDLED_ROCKETS["122mm"].weathercock_tau_s < tau
    with pytest.raises(ValueError, match="statically stable"):
        weathercock_tau_s_from_aerodynamics(cm_alpha_per_rad=2.0, transverse_inertia_kg_m2=1.0,
                                            diameter_m=0.1)
