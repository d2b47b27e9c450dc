"""Every scenario that validates runs end to end (issue 17: "no scenario that validates crashes
any command").

Hypothesis writes valid scenario files (:mod:`tests.scenario_strategies`: bundled and generated
sites in EPSG:4326 and UTM, GeoJSON and GeoPackage; no defences to mixed C-RAM and Patriot
batteries of every doctrine; aim at the base or at assets; wind off and at its bound; custom
rockets; values at the schema's bounds) and drives each through the CLI: ``validate``,
``run --out --gpkg``, ``coverage --out``, ``trajectory`` and ``compare`` against a variant.
Every command must exit 0 and write every file it promises, non-empty, with finite figures and
probabilities in [0, 1]; a command that fails must write nothing.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.outputs.writer import COVERAGE_OUTPUTS, run_output_names
from tests.conftest import edit_toml
from tests.scenario_strategies import ScenarioCase, rocket_ranges_m, scenarios

runner = CliRunner()

#: Salvos of each run: enough for every output, few enough for a fast example.
RUN_SALVOS = 512
#: The smallest sample ``compare`` accepts (two blocks of 512 salvos).
COMPARE_SALVOS = 1024

PROBABILITY_KEYS = ("threat_fraction", "leak_rate", "p_any_leak", "p_any_inside",
                    "undetected_fraction")


def _invoke(args: list[str]):
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash: show its traceback, not just the exit code
    return result


def _strict_json(path: Path):
    """Parse JSON refusing NaN and Infinity (Python's json accepts them by default)."""
    def refuse(token: str):
        raise AssertionError(f"{path.name}: non-finite number {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def _check_probability(name: str, value) -> None:
    if value is None:
        return
    assert math.isfinite(value) and -1e-12 <= value <= 1 + 1e-12, f"{name} = {value}"


def _check_interval(name: str, ci) -> None:
    if ci is None or ci[0] is None:
        return
    lo, hi = ci
    assert lo <= hi, f"{name}: interval [{lo}, {hi}] reversed"


def check_summary(summary: dict) -> None:
    """The run's figures: finite where defined, probabilities and their intervals in [0, 1]."""
    for key in PROBABILITY_KEYS:
        _check_probability(key, summary[key])
        if f"{key}_ci" in summary:
            for end in summary[f"{key}_ci"]:
                _check_probability(f"{key}_ci", end)
            _check_interval(f"{key}_ci", summary[f"{key}_ci"])
    for unit in summary["units"]:
        _check_probability(f"{unit['name']} kill share", unit["kill_share_of_threatening"])
        for end in unit["kill_share_of_threatening_ci"]:
            _check_probability(f"{unit['name']} kill share ci", end)
        assert 0 <= unit["kills_credited"] <= unit["engagements"] or unit["kind"] == "patriot"
    assert summary["salvos"] >= 1
    assert summary["rockets_fired"] == summary["salvos"] * summary["tubes"]
    assert 0 <= summary["rockets_leaked"] <= summary["rockets_threatening"] <= \
        summary["rockets_fired"]
    for key in ("expected_leakers_per_salvo", "warning_time_mean_s"):
        value = summary[key]
        assert value is None or (math.isfinite(value) and value >= 0), f"{key} = {value}"
    if summary["expected_leakers_per_salvo"] is not None:
        assert summary["expected_leakers_per_salvo"] <= summary["tubes"] + 1e-9
    if "people" in summary:
        people = summary["people"]
        for key in ("expected_killed_per_salvo", "expected_wounded_per_salvo"):
            assert summary[key] is not None and summary[key] >= 0, f"{key} = {summary[key]}"
            _check_interval(key, summary[f"{key}_ci"])
        _check_probability("p_casualty", people["p_casualty"])
        for row in people["by_hour"]:
            _check_probability(f"p_casualty at {row['hour']}", row["p_casualty"])
            assert row["expected_killed_per_salvo"] >= 0
        total = sum(a["expected_casualties_per_salvo"] for a in people["by_area"])
        cas = summary["expected_killed_per_salvo"] + summary["expected_wounded_per_salvo"]
        assert math.isclose(total, cas, rel_tol=1e-9, abs_tol=1e-12), (total, cas)


def _expect_written(result, out: Path, names: list[str]) -> None:
    """Exit 0 and every promised file present and non-empty; a failure writes nothing."""
    if result.exit_code != 0:
        assert not out.exists() or not any(out.iterdir()), \
            f"failed (exit {result.exit_code}) but wrote {sorted(p.name for p in out.iterdir())}"
    assert result.exit_code == 0, result.output
    for name in names:
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing or empty"


def run_end_to_end(case: ScenarioCase, folder: Path) -> None:
    """Drive one drawn scenario through every command; assert the contract of each."""
    scenario = case.write(folder / "a")
    result = _invoke(["validate", scenario])
    assert result.exit_code in (0, 2), result.output
    assume(result.exit_code == 0)  # the strategy draws a few bands out of the rocket's reach

    out = folder / "run"
    result = _invoke(["run", scenario, "--salvos", RUN_SALVOS, "--area-salvos", "32", "--out", out,
                      "--gpkg"])
    _expect_written(result, out, run_output_names(gpkg=True))
    summary = _strict_json(out / "summary.json")
    check_summary(summary)
    for name in run_output_names(gpkg=False):
        if name.endswith(".geojson"):
            assert _strict_json(out / name)["type"] == "FeatureCollection", name

    cov_out = folder / "coverage"
    cell_m = max(25.0, case.site.inner_m / 2.0)
    result = _invoke(["coverage", scenario, "--cell-m", cell_m, "--salvos", COMPARE_SALVOS,
                      "--out", cov_out])
    if result.exit_code == 2 and "--cell-m" in result.stderr and "this grid aims at" in \
            result.stderr:
        # a launch zone that reaches only a sliver of the base's edge: the cells' points are
        # out of reach, which is said in one line naming the option, and nothing is written
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not cov_out.exists() or not any(cov_out.iterdir())
    else:
        _expect_written(result, cov_out, COVERAGE_OUTPUTS)
        cov = _strict_json(cov_out / "coverage.json")
        for key, value in cov.items():
            if "share" in key and isinstance(value, (int, float)):
                _check_probability(key, value)

    # the trajectory command flies bundled classes; fly the nearest one in the scenario's air
    rocket = case.rocket if case.rocket in ("107mm", "122mm") else "107mm"
    lo_m, hi_m = rocket_ranges_m(rocket)
    threat, site = case.data["threat"], case.data["site"]
    result = _invoke(["trajectory", "--rocket", rocket, "--range-m", (lo_m + hi_m) / 2,
                      "--wind-mps", threat["wind_mps"], "--wind-from-deg", threat["wind_from_deg"],
                      "--ground-altitude-m", site["ground_altitude_m"], "--json"])
    assert result.exit_code == 0, result.output
    flight = json.loads(result.stdout, parse_constant=lambda t: pytest.fail(f"trajectory {t}"))
    assert flight["rocket"] == rocket

    # B: the same scenario without its defences, or with one C-RAM-class mount at the centre
    # when it had none (so A and B always differ in their layout)
    if case.data.get("defence"):
        variant = {"defence": []}
    else:
        variant = {"defence": [{"kind": "cram", "name": "added",
                                "lon": case.site.centre_lon, "lat": case.site.centre_lat}]}
    scenario_b = case.write(folder / "b", changes=variant)
    result = _invoke(["compare", scenario, scenario_b, "--salvos", COMPARE_SALVOS, "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout,
                            parse_constant=lambda t: pytest.fail(f"compare: non-finite {t}"))
    assert comparison, "compare printed no JSON"


_SETTINGS = dict(deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                        HealthCheck.data_too_large])


@settings(max_examples=2, **_SETTINGS)  # the slow tier draws 30
@given(case=scenarios(max_tubes=24, max_units=3))
def test_valid_scenarios_run_end_to_end(case: ScenarioCase) -> None:
    with tempfile.TemporaryDirectory(prefix="forceprot-e2e-") as folder:
        run_end_to_end(case, Path(folder))


@pytest.mark.slow
@settings(max_examples=30, **_SETTINGS)
@given(case=scenarios(max_tubes=512, max_units=6))
def test_many_valid_scenarios_run_end_to_end(case: ScenarioCase) -> None:
    with tempfile.TemporaryDirectory(prefix="forceprot-e2e-") as folder:
        run_end_to_end(case, Path(folder))


# ---------------------------------------------------------------------------------------------
# Regressions found by the property test: each failed before its fix
# ---------------------------------------------------------------------------------------------


def _assert_validate_and_run_refuse(scenario: Path, out: Path, salvos: int,
                                    *needles: str) -> None:
    """``validate`` and ``run`` both refuse the scenario in one line holding every needle, and
    ``run`` writes nothing."""
    for command in (["validate", scenario], ["run", scenario, "--salvos", salvos, "--out", out]):
        result = _invoke(command)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and all(n in lines[0] for n in needles), lines
    assert not out.exists()


@pytest.mark.parametrize("field, edits", [
    # 5 m cells over a 10 km defended margin: 29 million cells
    ("simulation.cell_m", [("cell_m = 100", "cell_m = 5"),
                           ("defended_margin_m = 200", "defended_margin_m = 10000")]),
    # 10 m cells over an 8 km standoff band: 5 million cells
    ("simulation.launch_cell_m", [("launch_cell_m = 250", "launch_cell_m = 10"),
                                  ("max_standoff_m = 6000", "max_standoff_m = 8000")]),
])
def test_validate_refuses_a_grid_that_run_would_refuse(sites_copy, field, edits, tmp_path) -> None:
    """Before: ``validate`` passed and ``run`` refused the grid size after building the family."""
    scenario = sites_copy / "taji.toml"
    for old, new in edits:
        edit_toml(scenario, old, new)
    _assert_validate_and_run_refuse(scenario, tmp_path / "out", 1, field, "grid cells")


def test_validate_refuses_a_band_too_thin_to_sample(sites_copy, tmp_path) -> None:
    """Before: the launch zone began 10 m inside the 122 mm maximum range of the FOB's edge;
    ``validate`` passed (some pair of points is in range) and ``run`` spent about 0.3 s per
    salvo on 2,000,000 rejected launcher draws, then reported 0 salvos (hours at the default
    20,000). Found with assets of weight 1 and 1e6, only the light one in reach."""
    scenario = edit_toml(sites_copy / "fob.toml", "min_standoff_m = 1000", "min_standoff_m = 20370")
    edit_toml(scenario, "max_standoff_m = 12000", "max_standoff_m = 30000")
    _assert_validate_and_run_refuse(scenario, tmp_path / "out", 512, "threat.min_standoff_m",
                                    "too rare to sample")


def test_validate_refuses_a_band_the_flight_model_cannot_reach(sites_copy, tmp_path) -> None:
    """Before: ``validate`` checked the launch zone against the rocket's stated range (122 mm:
    20,380 m) and ``run`` against the range the flight model flies at the site's altitude
    (19,779 m at 500 m below sea level, in denser air); a zone starting 20 km out passed the
    first and failed the second. Found with a generated site at -500 m aiming at assets."""
    scenario = edit_toml(sites_copy / "fob.toml", "ground_altitude_m = 60",
                         "ground_altitude_m = -500")
    edit_toml(scenario, "min_standoff_m = 1000", "min_standoff_m = 20000")
    edit_toml(scenario, "max_standoff_m = 12000", "max_standoff_m = 30000")
    _assert_validate_and_run_refuse(scenario, tmp_path / "out", 64, "threat.min_standoff_m",
                                    "19779 m")


def test_coverage_names_the_cell_size_when_its_points_are_out_of_reach(sites_copy,
                                                                       tmp_path) -> None:
    """Before: the coverage map refused with ``threat.min_standoff_m``, which ``run`` had just
    accepted: the launch zone reaches a sliver of the base's edge, the cells' points (one per
    cell, inside the base) are beyond the rocket's range. Now the one line names ``--cell-m``,
    and a smaller cell maps. Found with a generated site (a coverage grid of 1.4 km cells)."""
    scenario = edit_toml(sites_copy / "fob.toml", "ground_altitude_m = 60",
                         "ground_altitude_m = -500")
    edit_toml(scenario, 'rocket = "122mm"', 'rocket = "107mm"')  # 7,904 m at -500 m
    edit_toml(scenario, "min_standoff_m = 1000", "min_standoff_m = 7700")
    edit_toml(scenario, "max_standoff_m = 12000", "max_standoff_m = 9000")
    assert _invoke(["validate", scenario]).exit_code == 0
    out = tmp_path / "coarse"
    result = _invoke(["coverage", scenario, "--cell-m", 5000, "--salvos", 256, "--out", out])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --cell-m = 5000") \
        and "7904 m" in lines[0], lines
    assert not out.exists()
    out = tmp_path / "fine"
    result = _invoke(["coverage", scenario, "--cell-m", 2000, "--salvos", 256, "--out", out])
    _expect_written(result, out, COVERAGE_OUTPUTS)
