"""``forceprot compare``: paired differences on common random numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.stats import paired_ratio_difference
from forceprot.studies.compare import compare_layouts
from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.conftest import SITES, edit_toml

runner = CliRunner()
TAJI = SITES / "taji.toml"
#: 8 blocks of 512 salvos: 7 degrees of freedom for the paired t interval.
SALVOS = 4096

EXTRA_MOUNT = '''[[defence]]
kind = "cram"
name = "C-RAM west"
lon = 44.2620
lat = 33.5350

[[asset]]'''


def _compare(a: Path, b: Path) -> dict:
    result = runner.invoke(app, ["compare", str(a), str(b), "--salvos", str(SALVOS), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_identical_layouts_differ_by_exactly_nothing() -> None:
    out = _compare(TAJI, TAJI)
    assert out["common_random_numbers"] is True
    assert out["batches"] == SALVOS // 512
    for name, m in out["measures"].items():
        assert m["a"] == m["b"], name
        assert m["difference"] == 0.0, name
        assert m["difference_ci"] == [0.0, 0.0], name
        assert m["significant"] is False, name


def test_an_extra_mount_lowers_the_leak_rate_significantly(sites_copy: Path) -> None:
    more = edit_toml(sites_copy / "taji.toml", "[[asset]]", EXTRA_MOUNT)
    out = _compare(TAJI, more)
    assert out["common_random_numbers"] is True
    leak = out["measures"]["leak_rate"]
    assert leak["difference"] < 0.0
    assert leak["difference_ci"][1] < 0.0, f"interval {leak['difference_ci']} includes 0"
    assert leak["significant"] is True
    assert leak["p_value"] < 0.01
    # Same salvos: the extra mount cannot change where rockets land, only which are killed.
    leakers = out["measures"]["expected_leakers_per_salvo"]
    assert leakers["difference"] < 0.0 and leakers["significant"]


def test_compare_reports_what_run_reports() -> None:
    """Each side of a comparison is the very run ``simulate`` makes with that seed."""
    prepared = prepare_scenario(TAJI)
    comparison = compare_layouts(prepared, prepared, salvos=2048, seed=11)
    alone = simulate(compile_scenario(prepared),
                     RunSettings.from_scenario(prepared.scenario, salvos=2048, seed=11))
    np.testing.assert_array_equal(comparison.a.scalars, alone.scalars)
    np.testing.assert_array_equal(comparison.a.grid, alone.grid)
    assert comparison.differences["leak_rate"].a == alone.leak_rate.value


def test_paired_interval_covers_the_true_difference() -> None:
    """Calibration on synthetic batches with a known difference of ratios.

    Each batch has x ~ Poisson(400) rockets inside; A leaks each with p = 0.8; B leaks each of
    A's leakers with probability 0.97 (so B's ratio is 0.776 and the runs are strongly
    correlated, as common random numbers make them). Over 2000 replications of 20 batches, the
    95 % interval must cover the truth 0.95 of the time; with 2000 replications the observed
    share has a standard deviation of 0.005, so [0.93, 0.97] is a 4-sigma band.
    """
    rng = np.random.default_rng(20240607)
    truth = 0.8 * 0.97 - 0.8
    reps, n = 2000, 20
    covered = 0
    for _ in range(reps):
        x = rng.poisson(400, n).astype(float)
        y_a = rng.binomial(x.astype(int), 0.8).astype(float)
        y_b = rng.binomial(y_a.astype(int), 0.97).astype(float)
        _, _, _, lo, hi, _ = paired_ratio_difference(y_a, x, y_b, x)
        covered += lo <= truth <= hi
    share = covered / reps
    assert 0.93 <= share <= 0.97, f"95 % interval covered the truth {share:.3f} of the time"


def test_too_few_batches_give_no_interval() -> None:
    one = np.array([10.0])
    _, _, d, lo, hi, p = paired_ratio_difference(one, one * 2, one, one * 2)
    assert d == 0.0 and np.isnan(lo) and np.isnan(hi) and np.isnan(p)


def test_identical_layouts_show_no_practical_difference() -> None:
    out = _compare(TAJI, TAJI)
    for name, m in out["measures"].items():
        assert m["verdict"] == "no practical difference", name
        assert m["practically_significant"] is False


def test_a_tiny_significant_warning_difference_is_not_called_practical() -> None:
    """The verdict weighs the interval against the smallest effect that matters, not 0."""
    from forceprot.studies.compare import PairedDifference

    tiny = PairedDifference("warning_time_mean_s", "mean warning", 22.1, 22.1002, 0.0002,
                            0.0001, 0.0003, 1e-6, 8, min_effect=0.5)
    assert tiny.significant and tiny.verdict == "no practical difference"
    big = PairedDifference("leak_rate", "leak rate", 0.8, 0.7, -0.1, -0.12, -0.08, 1e-9, 8,
                           min_effect=0.01)
    assert big.verdict == "B lower"
    wide = PairedDifference("leak_rate", "leak rate", 0.8, 0.79, -0.01, -0.03, 0.01, 0.2, 8,
                            min_effect=0.01)
    assert wide.verdict == "inconclusive"


def test_compare_refuses_different_threats_unless_allowed(sites_copy: Path) -> None:
    other = edit_toml(sites_copy / "taji.toml", "tubes = 24", "tubes = 12")
    refused = runner.invoke(app, ["compare", str(TAJI), str(other), "--salvos", str(SALVOS)])
    assert refused.exit_code == 2
    assert "--allow-different" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    allowed = runner.invoke(app, ["compare", str(TAJI), str(other), "--salvos", "1024",
                                  "--allow-different", "--json"])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["common_random_numbers"] is False


@pytest.mark.parametrize("bad", ["leak_rate", "leak_rate=abc", "nonsense=0.1", "leak_rate=-1"])
def test_bad_min_effect_is_one_line(bad: str) -> None:
    result = runner.invoke(app, ["compare", str(TAJI), str(TAJI), "--salvos", "1024",
                                 "--min-effect", bad])
    assert result.exit_code == 2, result.output
    assert "--min-effect" in result.stderr and len(result.stderr.strip().splitlines()) == 1
