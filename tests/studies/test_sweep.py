"""Parameter sweeps: --set parsing against the scenario models, the variant grid, results that
match a direct run, outputs, a local dask cluster giving the same rows, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import compile_scenario, prepare
from forceprot.studies.executors import ScenarioSpec
from forceprot.errors import ForceprotError
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.outputs.sweep import write_sweep_outputs
from forceprot.studies.sweep import (
    _split_values,
    parse_setting,
    parse_value,
    plan_sweep,
    resolve_path,
    run_sweep,
)
from tests.conftest import SITES
from tests.helpers import assert_bad_input

runner = CliRunner()


@pytest.fixture(scope="module")
def spec() -> ScenarioSpec:
    return ScenarioSpec.from_file(SITES / "taji.toml")


@pytest.mark.parametrize("text, value", [
    ("12", 12), ("0.7", 0.7), ("1e3", 1000.0), ("true", True), ('"assets"', "assets"),
    ("uniform", "uniform"), (" 24 ", 24), ("107mm", "107mm"),
])
def test_values_are_toml_scalars_or_bare_strings(text, value) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_commas_inside_quotes_do_not_split() -> None:
    assert _split_values('1,"a,b",3') == ["1", '"a,b"', "3"]


@pytest.mark.parametrize("path, loc", [
    ("threat.tubes", ("threat", "tubes")),
    ("defence[0].pk", ("defence", 0, "p_kill")),             # alias of p_kill
    ("defence[1].range_m", ("defence", 1, "max_range_m")),   # alias of a gun's max_range_m
    ("defence[2].range_m", ("defence", 2, "max_intercept_range_m")),  # ... and a battery's
    ("asset[1].weight", ("asset", 1, "weight")),
    ("site.exclusions[0]", ("site", "exclusions", 0)),
    ("simulation.cell_m", ("simulation", "cell_m")),
])
def test_paths_resolve_to_canonical_fields(spec, path, loc) -> None:
    assert resolve_path(spec.scenario(), path) == loc


def test_grid_is_the_product_and_each_variant_carries_its_values(spec) -> None:
    settings, variants = plan_sweep(spec, ["threat.tubes=12,24,48", "defence[0].pk=0.5,0.7"])
    assert [s.values for s in settings] == [(12, 24, 48), (0.5, 0.7)]
    assert len(variants) == 6
    base = spec.scenario()
    got = []
    for v in variants:
        sc = v.scenario()
        got.append((sc.threat.tubes, sc.defence[0].p_kill))
        # everything else as in the file
        assert sc.defence[1] == base.defence[1] and sc.defence[2] == base.defence[2]
        assert sc.defence[0].lon == base.defence[0].lon
        assert sc.threat.rocket == base.threat.rocket and sc.asset == base.asset
        assert sc.simulation.precision is None  # every variant samples exactly --salvos
    assert got == [(12, 0.5), (12, 0.7), (24, 0.5), (24, 0.7), (48, 0.5), (48, 0.7)]


def test_alias_overrides_a_value_the_file_sets(tmp_path: Path) -> None:
    """A unit whose file says p_kill = 0.4 swept as pk: the swept value wins (no alias clash)."""
    text = (SITES / "taji.toml").read_text().replace(
        'name = "C-RAM north"', 'name = "C-RAM north"\np_kill = 0.4', 1)
    for name in ("taji.geojson", "taji_exclusions.geojson"):
        (tmp_path / name).write_bytes((SITES / name).read_bytes())
    (tmp_path / "t.toml").write_text(text)
    s = ScenarioSpec.from_file(tmp_path / "t.toml")
    _, variants = plan_sweep(s, ["defence[0].pk=0.9"])
    assert variants[0].scenario().defence[0].p_kill == 0.9


def test_rows_match_a_direct_run_of_each_variant(spec) -> None:
    settings, variants = plan_sweep(spec, ["defence[0].pk=0.0,1.0"])
    result = run_sweep(spec, settings, variants, salvos=1024, seed=5)
    assert list(result.table["defence[0].pk"]) == [0.0, 1.0]
    for row, variant in zip(result.records(), variants):
        prepared = prepare(variant.scenario())
        direct = simulate(compile_scenario(prepared), RunSettings.from_scenario(
            prepared.scenario, salvos=1024, seed=5, threads=1))
        assert row["leak_rate"] == direct.leak_rate.value
        assert row["leak_rate_lo"] == direct.leak_rate.lo
        assert row["p_any_leak"] == direct.p_any_leak.value
        assert row["salvos"] == 1024 and row["seed"] == 5
    # a mount that always kills lets fewer rockets through than one that never does
    off, on = result.records()
    assert on["leak_rate_hi"] < off["leak_rate_lo"]


def test_outputs_csv_parquet_png(spec, tmp_path: Path) -> None:
    settings, variants = plan_sweep(spec, ["threat.aim=uniform,assets", "threat.tubes=6,12"])
    result = run_sweep(spec, settings, variants, salvos=512)
    written, notes = write_sweep_outputs(result, tmp_path / "sw")
    assert notes == []
    assert {p.name for p in written} == {"sweep.csv", "sweep.parquet", "sweep.png"}
    csv = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    parquet = pd.read_parquet(tmp_path / "sw" / "sweep.parquet")
    assert list(csv.columns) == list(parquet.columns)
    assert list(csv["threat.aim"]) == ["uniform", "uniform", "assets", "assets"]
    np.testing.assert_array_equal(csv["leak_rate"].to_numpy(), parquet["leak_rate"].to_numpy())
    assert (tmp_path / "sw" / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ForceprotError, match="overwrite"):
        write_sweep_outputs(result, tmp_path / "sw")


@pytest.mark.slow
def test_local_cluster_gives_the_same_rows_as_in_process(tmp_path: Path) -> None:
    """The same sweep through the command line, in-process and on a local dask cluster of two
    process workers: byte-identical CSV. (In-process equals cluster is the default tier's
    tests/studies/test_distributed.py::test_layout_scores_are_identical_on_the_cluster; this
    one adds the --workers path of the command line, and starts its own cluster.)"""
    args = ["sweep", str(SITES / "taji.toml"), "--set", "threat.tubes=6,12",
            "--set", "defence[0].pk=0.3,0.9", "--salvos", "1024", "--seed", "3"]
    here = runner.invoke(app, [*args, "--out", str(tmp_path / "here")])
    assert here.exit_code == 0, here.output
    cluster = runner.invoke(app, [*args, "--workers", "2", "--out", str(tmp_path / "cluster")])
    assert cluster.exit_code == 0, cluster.output
    assert "local dask cluster, 2 process worker(s)" in cluster.stdout
    a = (tmp_path / "here" / "sweep.csv").read_bytes()
    b = (tmp_path / "cluster" / "sweep.csv").read_bytes()
    assert a == b
    assert len(pd.read_csv(tmp_path / "here" / "sweep.csv")) == 4


BAD = [
    ("unknown-path", ["--set", "threat.tubez=12,24"],
     ["threat.tubez", "unknown key 'tubez'", "tubes"]),
    ("bad-value", ["--set", "threat.tubes=12,0"],
     ["threat.tubes = 0", "greater than or equal to 1"]),
    ("not-a-number", ["--set", "defence[0].pk=0.5,high"], ["defence[0].p_kill = 'high'"]),
    ("index-out-of-range", ["--set", "defence[5].pk=0.5"], ["defence[5].pk", "index 5"]),
    ("list-without-index", ["--set", "defence.pk=0.5"], ["defence.pk", "give an index"]),
    ("section-not-value", ["--set", "threat=1"], ["threat", "section"]),
    ("no-equals", ["--set", "threat.tubes"], ["--set", "PATH=V1,V2"]),
    ("no-set", [], ["at least one --set"]),
    ("set-twice", ["--set", "defence[0].pk=0.5", "--set", "defence[0].p_kill=0.6"],
     ["defence[0].p_kill", "set twice"]),
    ("missing-layer", ["--set", "site.boundary=gone.geojson"], ["gone.geojson", "not found"]),
    ("unreachable-scheduler",
     ["--set", "threat.tubes=6", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
     ["--scheduler = 'tcp://127.0.0.1:9'", "cannot reach a dask scheduler"]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case) -> None:
    _, extra, fragments = case
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(SITES / "taji.toml"), *extra, "--salvos", "512",
                                 "--out", str(out)])
    assert_bad_input(result, *fragments)
    assert not out.exists() or not any(out.iterdir())


def test_parse_setting_reports_repeated_values(spec) -> None:
    with pytest.raises(ForceprotError, match="repeated"):
        parse_setting("threat.tubes=12,12", spec.scenario())
