"""Uncertain parameters in scenario files: distributions, truncation, bad tables, variants.

References are scipy.stats distributions built here, independently of forceprot, and truncated
by the textbook conditional CDF; tolerances are named where they are used.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from forceprot.errors import ScenarioError
from forceprot.scenario import load_scenario, parse_scenario, scenario_json_schema
from forceprot.uncertain import DISTRIBUTIONS, apply, design_values
from tests.conftest import SITES

#: ppf round trips through scipy's CDF and its inverse; both are accurate to ~1e-12 relative.
RTOL = 1e-9
U = np.linspace(0.0, 1.0, 41)


@pytest.fixture(scope="module")
def taji_data() -> dict:
    with (SITES / "taji.toml").open("rb") as fh:
        return tomllib.load(fh)


def _with(data: dict, section: str, key: str, value, index: int | None = None) -> dict:
    out = copy.deepcopy(data)
    target = out[section] if index is None else out[section][index]
    target[key] = value
    return out


def _parse(data: dict):
    return parse_scenario(data, source="u.toml", path=SITES / "u.toml")


def _param(data: dict, section: str, key: str, table: dict, index: int | None = None):
    scenario = _parse(_with(data, section, key, table, index))
    (param,) = scenario.uncertain
    return scenario, param


def _truncated_ppf(dist, lo: float, hi: float, u: np.ndarray) -> np.ndarray:
    """Reference: the conditional distribution on [lo, hi], inverted on a fine grid over the
    part of [lo, hi] where the density is positive (np.interp needs a rising CDF)."""
    s_lo, s_hi = dist.support()
    lo, hi = max(lo, s_lo), min(hi, s_hi)
    x = np.linspace(lo, hi, 200_001)
    f_lo, f_hi = dist.cdf(lo), dist.cdf(hi)
    cdf = (dist.cdf(x) - f_lo) / (f_hi - f_lo)
    return np.interp(u, cdf, x)


# (section, index, key, table, field bounds, reference distribution before truncation)
CASES = [
    ("threat", None, "aim_sigma_m", {"dist": "normal", "mean": 100, "sd": 120},
     (0.0, 10_000.0), stats.norm(100, 120)),
    ("threat", None, "wind_mps", {"dist": "uniform", "low": 2, "high": 9},
     (0.0, 40.0), stats.uniform(2, 7)),
    ("warning", None, "alert_delay_s", {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
     (0.0, 120.0), stats.triang(0.2, loc=1, scale=5)),
    ("threat", None, "range_sigma_frac", {"dist": "lognormal", "median": 0.2, "sd_log": 1.0},
     (0.0, 0.5), stats.lognorm(1.0, scale=0.2)),
    # beta with mean 0.7, sd 0.1 on [0, 1]: alpha = 14, beta = 6 (method of moments)
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.7, "sd": 0.1},
     (0.0, 1.0), stats.beta(14, 6)),
    # beta stretched over the field's bounds [0, 300]: mean 30, sd 15 -> 0.1, 0.05 on [0, 1]
    # -> k = 0.09 / 0.0025 - 1 = 35, alpha = 3.5, beta = 31.5
    ("defence", 0, "reaction_s", {"dist": "beta", "mean": 30, "sd": 15},
     (0.0, 300.0), stats.beta(3.5, 31.5, loc=0, scale=300)),
]


@pytest.mark.parametrize("section, index, key, table, bounds, ref", CASES,
                         ids=[c[3]["dist"] + "-" + c[2] for c in CASES])
def test_quantiles_and_median_match_truncated_scipy(taji_data, section, index, key, table,
                                                    bounds, ref) -> None:
    scenario, param = _param(taji_data, section, key, table, index)
    lo, hi = bounds
    assert param.bounds == bounds
    expected = _truncated_ppf(ref, lo, hi, U)
    # the grid reference is exact to its spacing (hi - lo) / 2e5 plus interpolation
    grid_tol = (hi - lo) / 200_000 * 2
    np.testing.assert_allclose(param.ppf(U), expected, rtol=0, atol=grid_tol,
                               err_msg=f"{param.path}: quantiles miss the truncated reference")
    # the median, closed form where the truncation leaves mass: F^-1((F(lo) + F(hi)) / 2)
    median = ref.ppf((ref.cdf(lo) + ref.cdf(hi)) / 2)
    assert param.median == pytest.approx(median, rel=RTOL)
    section_obj = getattr(scenario, section)
    holder = section_obj[index] if index is not None else section_obj
    assert getattr(holder, key) == param.median, "the scenario must hold the median"


def test_truncation_cuts_the_normal_and_lognormal_at_the_bounds(taji_data) -> None:
    # mean 100, sd 120 on [0, 10000]: 20 % of the untruncated mass lies below 0
    _, normal = _param(taji_data, "threat", "aim_sigma_m",
                       {"dist": "normal", "mean": 100, "sd": 120})
    assert normal.ppf(np.array(0.0)) == 0.0
    assert normal.median > 100, "cutting the lower tail must move the median up"
    # median 0.2, sd_log 1 on [0, 0.5]: 18 % of the mass lies above 0.5
    _, lognormal = _param(taji_data, "threat", "range_sigma_frac",
                          {"dist": "lognormal", "median": 0.2, "sd_log": 1.0})
    assert lognormal.ppf(np.array(1.0)) == 0.5
    assert lognormal.median < 0.2, "cutting the upper tail must move the median down"
    rng = np.random.default_rng(1)
    draws = lognormal.ppf(rng.random(100_000))
    assert draws.min() >= 0.0 and draws.max() <= 0.5


def test_an_open_bound_is_never_returned(taji_data) -> None:
    # engage_s has gt=0: a normal centred on 0.5 with sd 2 puts mass at and below 0
    _, param = _param(taji_data, "defence", "engage_s",
                      {"dist": "normal", "mean": 0.5, "sd": 2}, index=0)
    assert param.open_bounds == (True, False)
    assert param.ppf(np.array(0.0)) > 0.0


def test_design_values_map_each_column_through_its_ppf(taji_data) -> None:
    data = _with(taji_data, "defence", "p_kill", {"dist": "beta", "mean": 0.7, "sd": 0.1}, 0)
    data = _with(data, "threat", "wind_mps", {"dist": "uniform", "low": 2, "high": 9})
    scenario = _parse(data)
    u = np.array([[0.0, 0.5], [0.25, 1.0]])
    values = design_values(scenario.uncertain, u)
    by_path = {p.path: p for p in scenario.uncertain}
    order = [p.path for p in scenario.uncertain]
    assert order == ["threat.wind_mps", "defence[0].p_kill"], "file order"
    np.testing.assert_allclose(values[:, 0], by_path["threat.wind_mps"].ppf(u[:, 0]))
    np.testing.assert_allclose(values[:, 1], by_path["defence[0].p_kill"].ppf(u[:, 1]))
    with pytest.raises(ValueError, match="shape"):
        design_values(scenario.uncertain, u[:, :1])


# -- bad tables ------------------------------------------------------------------------------

BAD = [
    ("defence", 0, "p_kill", {"dist": "gamma", "mean": 0.7, "sd": 0.1},
     "defence[0].p_kill", "unknown distribution"),
    ("defence", 0, "pk", {"mean": 0.7, "sd": 0.1}, "defence[0].p_kill", "give dist"),
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.7}, "defence[0].p_kill", "missing sd"),
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.7, "sd": 0.1, "low": 0},
     "defence[0].p_kill", "unknown key 'low'"),
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.7, "sd": "x"},
     "defence[0].p_kill", "must be a number"),
    ("threat", None, "aim_sigma_m", {"dist": "normal", "mean": 150, "sd": 0},
     "threat.aim_sigma_m", "sd must be > 0"),
    ("threat", None, "aim_sigma_m", {"dist": "normal", "mean": 150, "sd": -3},
     "threat.aim_sigma_m", "sd must be > 0"),
    ("threat", None, "aim_sigma_m", {"dist": "lognormal", "median": 150, "sd_log": 0},
     "threat.aim_sigma_m", "sd_log must be > 0"),
    ("threat", None, "aim_sigma_m", {"dist": "normal", "mean": math.inf, "sd": 3},
     "threat.aim_sigma_m", "finite"),
    ("threat", None, "aim_sigma_m", {"dist": "normal", "mean": 10**400, "sd": 3},
     "threat.aim_sigma_m", "finite"),
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.5, "sd": 1e-300},
     "defence[0].p_kill", "spread is too small"),
    ("defence", 0, "engage_s", {"dist": "uniform", "low": 4, "high": 1.5},
     "defence[0].engage_s", "low (4) must be below high"),
    ("defence", 0, "engage_s", {"dist": "uniform", "low": 2, "high": 2},
     "defence[0].engage_s", "must be below high"),
    ("defence", 0, "engage_s", {"dist": "uniform", "low": 0, "high": 2},
     "defence[0].engage_s", "outside the field's range (0, 60]"),
    ("defence", 0, "engage_s", {"dist": "triangular", "low": 1, "mode": 5, "high": 4},
     "defence[0].engage_s", "mode (5) must lie in"),
    ("defence", 0, "p_kill", {"dist": "normal", "mean": 1.2, "sd": 0.1},
     "defence[0].p_kill", "mean (1.2) is outside the field's range [0, 1]"),
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 1.0, "sd": 0.1},
     "defence[0].p_kill", "strictly inside"),
    # sd^2 = 0.25 >= 0.7 * 0.3 = 0.21: no beta has these moments
    ("defence", 0, "p_kill", {"dist": "beta", "mean": 0.7, "sd": 0.5},
     "defence[0].p_kill", "no beta on [0, 1]"),
    # on [0, 300]: sd must be below sqrt(30 * 270) = 90
    ("defence", 0, "reaction_s", {"dist": "beta", "mean": 30, "sd": 95},
     "defence[0].reaction_s", "no beta on [0, 300]"),
    ("threat", None, "aim_sigma_m", {"dist": "lognormal", "median": -1, "sd_log": 0.2},
     "threat.aim_sigma_m", "median must be > 0"),
    ("threat", None, "tubes", {"dist": "uniform", "low": 12, "high": 24},
     "threat.tubes", "integer field"),
    ("threat", None, "aim", {"dist": "uniform", "low": 0, "high": 1},
     "threat.aim", "not a real number"),
    ("defence", 0, "lon", {"dist": "uniform", "low": 44.2, "high": 44.3},
     "defence[0].lon", "positions cannot be uncertain"),
    ("asset", 1, "lat", {"dist": "normal", "mean": 33.5, "sd": 0.01},
     "asset[1].lat", "positions cannot be uncertain"),
    ("simulation", None, "cell_m", {"dist": "uniform", "low": 50, "high": 150},
     "simulation.cell_m", "simulation settings"),
    # each alone is valid for its field, but the upper end crosses max_standoff_m = 6000
    ("threat", None, "min_standoff_m", {"dist": "uniform", "low": 500, "high": 7000},
     "threat.min_standoff_m", "at its upper end (7000)"),
]


@pytest.mark.parametrize("section, index, key, table, field, message", BAD,
                         ids=[f"{b[4]}-{b[5][:20]}" for b in BAD])
def test_bad_table_is_one_scenario_error_naming_the_path(taji_data, section, index, key, table,
                                                         field, message) -> None:
    with pytest.raises(ScenarioError) as info:
        _parse(_with(taji_data, section, key, table, index))
    err = info.value
    assert err.field == field
    assert message in err.message, str(err)
    line = str(err)
    assert line.startswith(f"u.toml: {field} = ") and "\n" not in line, line


def test_beta_needs_finite_bounds(taji_data) -> None:
    data = copy.deepcopy(taji_data)
    data["threat"]["rocket"] = "mine"
    rocket = {"diameter_m": 0.107, "launch_mass_kg": 18.8, "burnout_mass_kg": 15.4,
              "burn_time_s": 0.9, "thrust_n": 5000, "tube_length_m": 1.0,
              "min_range_m": {"dist": "beta", "mean": 800, "sd": 50}, "max_range_m": 8000}
    data["rockets"] = {"mine": rocket}
    with pytest.raises(ScenarioError) as info:
        _parse(data)
    assert info.value.field == "rockets.mine.min_range_m"
    assert "beta needs a field with finite bounds" in info.value.message


# -- scenarios, variants ---------------------------------------------------------------------


def test_bundled_uncertain_scenario_validates_at_its_medians() -> None:
    scenario = load_scenario(SITES / "taji_uncertain.toml")
    plain = load_scenario(SITES / "taji.toml")
    paths = [p.path for p in scenario.uncertain]
    assert len(paths) == 9 and len(set(paths)) == 9
    assert "defence[0].p_kill" in paths and "defence[2].p_kill" in paths
    for p in scenario.uncertain:
        lo, hi = p.bounds
        assert lo <= p.median <= hi
        assert p.unit, f"{p.path}: no unit found in its description"
    assert scenario.defence[0].p_kill == next(p.median for p in scenario.uncertain
                                              if p.path == "defence[0].p_kill")
    assert not plain.uncertain
    # the fixed parts are the plain scenario's
    assert scenario.threat.tubes == plain.threat.tubes
    assert scenario.defence[1] == plain.defence[1]


def test_apply_sets_values_revalidates_and_drops_them_from_uncertain() -> None:
    scenario = load_scenario(SITES / "taji_uncertain.toml")
    by_path = {p.path: p for p in scenario.uncertain}
    params = [by_path["defence[0].p_kill"], by_path["threat.wind_mps"]]
    variant = apply(scenario, params, [0.55, 7.5])
    assert variant.defence[0].p_kill == 0.55
    assert variant.threat.wind_mps == 7.5
    assert variant.path == scenario.path
    assert {p.path for p in variant.uncertain} == {p.path for p in scenario.uncertain} - {
        "defence[0].p_kill", "threat.wind_mps"}
    assert variant.defence[2].p_kill == scenario.defence[2].p_kill
    # outside the field's bounds: the field's own check, one line naming it
    with pytest.raises(ScenarioError) as info:
        apply(scenario, params, [1.5, 7.5])
    assert info.value.field == "defence[0].p_kill"
    with pytest.raises(ValueError, match="2 values"):
        apply(scenario, params[:1], [0.5, 0.6])


def test_apply_reports_a_joint_cross_field_violation(taji_data) -> None:
    data = _with(taji_data, "threat", "min_standoff_m", {"dist": "uniform", "low": 500,
                                                         "high": 3000})
    data = _with(data, "threat", "max_standoff_m", {"dist": "uniform", "low": 2500,
                                                    "high": 6000})
    scenario = _parse(data)  # each alone at its ends is valid
    with pytest.raises(ScenarioError, match="must be below max_standoff_m"):
        apply(scenario, scenario.uncertain, [2900, 2600])


def test_updated_keeps_untouched_parameters_and_round_trips() -> None:
    scenario = load_scenario(SITES / "taji_uncertain.toml")
    paths = [p.path for p in scenario.uncertain]
    same = scenario.updated({"threat": {"tubes": 12}})
    assert same.threat.tubes == 12
    assert [p.path for p in same.uncertain] == paths
    assert same.uncertain == scenario.uncertain
    fixed = scenario.updated({"threat": {"wind_mps": 6.0}})
    assert [p.path for p in fixed.uncertain] == [p for p in paths if p != "threat.wind_mps"]
    # a variant and back: the medians restore the scenario
    params = scenario.uncertain
    back = apply(apply(scenario, params, [p.ppf(np.array(0.9)) for p in params]),
                 params, [p.median for p in params])
    assert back.model_dump() == scenario.model_dump()
    assert back.uncertain == (), "every parameter was set"
    # a distribution given through updated becomes uncertain too
    more = scenario.updated({"warning": {"alert_delay_s": {"dist": "uniform", "low": 1,
                                                           "high": 3}}})
    assert more.warning.alert_delay_s == pytest.approx(2.0, rel=RTOL)
    assert sorted(p.path for p in more.uncertain) == sorted(paths)


def test_schema_admits_a_distribution_where_a_number_may_be_uncertain() -> None:
    schema = json.loads(json.dumps(scenario_json_schema()))
    dist = schema["$defs"]["Distribution"]
    assert {v["title"] for v in dist["oneOf"]} == set(DISTRIBUTIONS)
    ref = {"$ref": "#/$defs/Distribution"}
    p_kill = schema["$defs"]["CramUnit"]["properties"]["p_kill"]
    assert ref in p_kill["anyOf"]
    number = next(a for a in p_kill["anyOf"] if a.get("type") == "number")
    assert number["minimum"] == 0 and number["maximum"] == 1, "the bounds stay with the number"
    assert "anyOf" not in schema["$defs"]["Threat"]["properties"]["tubes"], "integer field"
    assert ref not in schema["$defs"]["CramUnit"]["properties"]["lon"]["anyOf"], "position"
    assert all("anyOf" not in prop or ref not in prop["anyOf"]
               for prop in schema["$defs"]["Simulation"]["properties"].values())


def test_a_plain_scenario_does_not_import_scipy_stats() -> None:
    code = ("import sys; from forceprot.scenario import load_scenario; "
            f"load_scenario({str(SITES / 'taji.toml')!r}); "
            "assert 'scipy.stats' not in sys.modules, 'scipy.stats imported for a plain file'; "
            f"s = load_scenario({str(SITES / 'taji_uncertain.toml')!r}); "
            "assert 'scipy.stats' in sys.modules and s.uncertain")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_an_unbounded_side_maps_design_ends_to_finite_values(taji_data) -> None:
    # min_range_m has gt=0 and no upper bound: u = 1 must not give inf
    data = copy.deepcopy(taji_data)
    data["threat"]["rocket"] = "mine"
    data["rockets"] = {"mine": {
        "diameter_m": 0.107, "launch_mass_kg": 18.8, "burnout_mass_kg": 15.4, "burn_time_s": 0.9,
        "thrust_n": 5000, "tube_length_m": 1.0, "max_range_m": 8000,
        "min_range_m": {"dist": "lognormal", "median": 800, "sd_log": 0.2}}}
    (param,) = _parse(data).uncertain
    assert param.bounds == (0.0, math.inf)
    ends = param.ppf(np.array([0.0, 1.0]))
    assert 0.0 < ends[0] < 800 < ends[1] < math.inf
    # cut where the tail probability is 1e-12: ln-quantile 7.03 sd from the median
    assert ends[1] == pytest.approx(800 * math.exp(0.2 * stats.norm.isf(1e-12)), rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(dist=st.sampled_from(["normal", "lognormal", "triangular", "uniform", "beta"]),
       centre=st.floats(0.05, 0.95), spread=st.floats(0.01, 0.6),
       u=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=20))
def test_ppf_rises_and_stays_in_bounds(taji_data, dist, centre, spread, u) -> None:
    half = min(centre, 1 - centre) * min(spread, 0.99)  # keeps every table valid on [0, 1]
    table = {"normal": {"mean": centre, "sd": spread},
             "lognormal": {"median": centre, "sd_log": spread},
             "triangular": {"low": centre - half, "mode": centre, "high": centre + half},
             "uniform": {"low": centre - half, "high": centre + half},
             "beta": {"mean": centre, "sd": half}}[dist]
    _, param = _param(taji_data, "defence", "p_kill", {"dist": dist, **table}, index=0)
    values = param.ppf(np.sort(np.array(u)))
    assert np.all(np.diff(values) >= 0), "a quantile function never falls"
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert 0.0 <= param.median <= 1.0


@pytest.mark.parametrize("old, new, field", [
    ('p_kill = { dist = "beta", mean = 0.7, sd = 0.1 }',
     'p_kill = { dist = "beta", mean = 0.7, sd = 0.5 }', "defence[0].p_kill"),
    ('engage_s = { dist = "uniform", low = 1.5, high = 4 }',
     'engage_s = { dist = "uniform", low = 4, high = 1.5 }', "defence[0].engage_s"),
    ('tubes = 24', 'tubes = { dist = "uniform", low = 12, high = 24 }', "threat.tubes"),
])
def test_cli_validate_refuses_a_bad_table_in_one_line(sites_copy, old, new, field) -> None:
    from typer.testing import CliRunner

    from forceprot.cli import app
    from tests.conftest import edit_toml

    scenario = edit_toml(sites_copy / "taji_uncertain.toml", old, new)
    result = CliRunner().invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert f"taji_uncertain.toml: {field} = " in lines[0]
