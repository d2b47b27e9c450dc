"""A run with polygon assets writes them: the ``assets`` layer (GeoJSON and GeoPackage), the
summary, the report and the map."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import prepare_scenario
from tests.conftest import SITES
from tests.outputs.geojson_check import rfc7946_problems

runner = CliRunner()

SALVOS = 1024
#: Lon/lat are written with 7 decimals (about 1 cm): a round trip moves a vertex that much [m].
ROUND_TRIP_M = 0.05
#: A circle asset is drawn with 32 segments per quarter: 0.04 % short of the disk's area.
CIRCLE_AREA_RTOL = 1e-3


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("assets_run") / "out"
    result = runner.invoke(app, ["run", str(SITES / "fob.toml"), "--salvos", str(SALVOS),
                                 "--out", str(out), "--gpkg"])
    assert result.exit_code == 0, result.output
    return out


def test_assets_layer_holds_every_asset_as_a_polygon(run_dir: Path) -> None:
    path = run_dir / "assets.geojson"
    assert rfc7946_problems(path) == []
    doc = json.loads(path.read_text())
    assert {f["geometry"]["type"] for f in doc["features"]} == {"MultiPolygon"}
    site = prepare_scenario(SITES / "fob.toml").site
    frame = gpd.read_file(path).to_crs(site.local_crs)
    assert list(frame["name"]) == list(site.assets.names)
    assert list(frame["kind"]) == ["polygon", "polygon", "polygon", "circle"]
    for a, geom in enumerate(frame.geometry):
        poly = site.assets.polygons[a]
        if poly is not None:
            assert shapely.hausdorff_distance(geom, poly) < ROUND_TRIP_M
            assert math.isnan(frame["radius_m"].iloc[a])
        else:
            r = site.assets.radius_m[a]
            assert frame["radius_m"].iloc[a] == r
            assert geom.area == pytest.approx(math.pi * r * r, rel=CIRCLE_AREA_RTOL)
            assert shapely.Point(site.assets.xy_m[a]).distance(geom.centroid) < ROUND_TRIP_M
    # the motor pool keeps its hole
    assert len(frame.geometry.iloc[1].geoms[0].interiors) == 1
    gpkg = gpd.read_file(run_dir / "forceprot.gpkg", layer="assets")
    assert len(gpkg) == len(frame)
    assert pyogrio.read_info(run_dir / "forceprot.gpkg", layer="assets")["geometry_type"] \
        == "MultiPolygon"


def test_assets_layer_figures_are_the_summary_figures(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    layer = gpd.read_file(run_dir / "assets.geojson")
    assert len(summary["assets"]) == len(layer) == 4
    hit_any = 0.0
    for row, (_, feat) in zip(summary["assets"], layer.iterrows()):
        assert row["name"] == feat["name"]
        for key in ("leakers_per_salvo", "p_hit", "weight", "area_m2"):
            assert feat[key] == pytest.approx(row[key], rel=1e-8), key
        assert feat["p_hit_lo"] <= feat["p_hit"] <= feat["p_hit_hi"]
        assert feat["leakers_per_salvo_lo"] <= feat["leakers_per_salvo"] \
            <= feat["leakers_per_salvo_hi"]
        # a salvo that hits an asset puts at least one leaker in it
        assert row["p_hit"] <= row["leakers_per_salvo"]
        hit_any = max(hit_any, row["p_hit"])
    assert hit_any > 0, "no asset was hit: the run tests nothing"
    # weighted hits per salvo: the weights times each asset's leakers per salvo
    risk = sum(r["weight"] * r["leakers_per_salvo"] for r in summary["assets"])
    assert summary["asset_risk_per_salvo"] == pytest.approx(risk, rel=1e-9)


def test_report_and_map_show_polygon_assets(run_dir: Path) -> None:
    report = (run_dir / "report.md").read_text()
    assert "P(salvo hits it)" in report
    assert "polygon, " in report and "40 m radius" in report
    assert (run_dir / "map.png").stat().st_size > 10_000
