"""``forceprot run --out`` with ``[[surveillance]]``: the summary keys, the report section,
``p_detect_before_fire`` in ``launch_risk.geojson`` and ``unwatched.geojson``."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.outputs.writer import run_output_names
from tests.conftest import SITES
from tests.outputs.geojson_check import rfc7946_problems

runner = CliRunner()


def test_run_with_surveillance_writes_its_figures(tmp_path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(SITES / "taji_surveillance.toml"), "--salvos",
                                 "1024", "--threads", "2", "--area-salvos", "32", "--out", str(out),
                                 "--gpkg"])
    assert result.exit_code == 0, result.output
    assert "P(salvo prevented before it fires)" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        run_output_names(gpkg=True, surveillance=True))
    summary = json.loads((out / "summary.json").read_text())
    lo, hi = summary["p_prevented_ci"]
    assert 0.0 < lo <= summary["p_prevented"] <= hi < 1.0
    assert summary["expected_leakers_per_attempted_salvo"] < summary["expected_leakers_per_salvo"]
    assert summary["p_any_leak_per_attempted_salvo"] < summary["p_any_leak"]
    assert {s["kind"] for s in summary["sensors"]} == {"camera", "patrol", "drone"}
    paths = {a["path"] for a in summary["assumptions"]}
    assert {"surveillance[0].detect_rate_per_min", "launch_team.prevent_p",
            "launch_team.setup_median_min"} <= paths
    report = (out / "report.md").read_text()
    assert "## Before the salvo" in report and "response time" in report

    risk = gpd.read_file(out / "launch_risk.geojson")
    p = risk["p_detect_before_fire"].to_numpy(dtype=float)
    sampled = risk["salvos"].to_numpy() > 0
    assert np.all((p[sampled] >= 0.0) & (p[sampled] <= 1.0)) and p[sampled].max() > 0.5

    assert not rfc7946_problems(out / "unwatched.geojson")
    unwatched = gpd.read_file(out / "unwatched.geojson")
    assert len(unwatched) == 1
    share = float(unwatched["share_of_zone"].iloc[0])
    assert abs(share - summary["launch_zone_unwatched_share"]) < 0.02  # clipped vs cell centres
    zone = gpd.read_file(out / "launch_zone.geojson").to_crs(32638).geometry.iloc[0]
    geom = unwatched.to_crs(32638).geometry.iloc[0]
    assert shapely.difference(geom, zone).area < 1e-3 * geom.area  # inside the zone
