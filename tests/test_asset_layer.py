"""Assets read from a GIS layer (``[assets]``): formats, CRSs, attributes, and bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import prepare_scenario
from tests.conftest import SITES, edit_toml
from tests.helpers import assert_bad_input

runner = CliRunner()

#: Coordinates are stored to 1e-7 degrees (about 1 cm) in the bundled GeoJSON, and a GeoPackage
#: in web Mercator keeps full precision; both reprojections agree with geopandas within this [m].
ROUND_TRIP_M = 0.05

FOB_ASSETS = json.loads((SITES / "fob_assets.geojson").read_text())
ASSETS_SECTION = '''[assets]
file = "fob_assets.geojson"
name_field = "name"
weight_field = "priority"
radius_field = "radius_m"
'''


def test_bundled_geojson_reprojects_like_geopandas() -> None:
    site = prepare_scenario(SITES / "fob.toml").site
    assets = site.assets
    ref = gpd.read_file(SITES / "fob_assets.geojson").to_crs(site.local_crs)
    assert assets.names == tuple(ref["name"])
    np.testing.assert_array_equal(assets.weight, ref["priority"].to_numpy(float))
    for a, geom in enumerate(ref.geometry):
        if geom.geom_type == "Point":
            assert assets.polygons[a] is None
            assert assets.radius_m[a] == ref["radius_m"].iloc[a]
            assert np.hypot(*(assets.xy_m[a] - (geom.x, geom.y))) < ROUND_TRIP_M
        else:
            assert np.isnan(assets.radius_m[a])
            assert shapely.hausdorff_distance(assets.polygons[a], geom) < ROUND_TRIP_M
            assert assets.polygons[a].contains(shapely.Point(assets.xy_m[a]))
    # the motor pool's hole and the living area's two blocks survive the reading
    assert len(assets.polygons[1].interiors) == 1
    assert len(assets.polygons[2].geoms) == 2


def test_gpkg_in_web_mercator_with_layer_and_defaults(sites_copy: Path) -> None:
    """A GeoPackage of two layers in EPSG:3857, no name or weight field: file-and-number names,
    the section's weight, and the section's radius for points."""
    src = gpd.read_file(sites_copy / "fob_assets.geojson")
    mercator = src.to_crs(3857)
    gpkg = sites_copy / "assets.gpkg"
    mercator.iloc[:3].to_file(gpkg, layer="areas", driver="GPKG")
    mercator.iloc[3:].to_file(gpkg, layer="points", driver="GPKG")
    for layer, expected_n in (("areas", 3), ("points", 1)):
        edit_toml(sites_copy / "fob.toml", ASSETS_SECTION,
                  f'[assets]\nfile = "assets.gpkg"\nlayer = "{layer}"\nweight = 2.5\n'
                  'radius_m = 75\n')
        site = prepare_scenario(sites_copy / "fob.toml").site
        edit_toml(sites_copy / "fob.toml", f'[assets]\nfile = "assets.gpkg"\nlayer = "{layer}"\n'
                  'weight = 2.5\nradius_m = 75\n', ASSETS_SECTION)
        assets = site.assets
        assert assets.names == tuple(f"assets.gpkg #{i + 1}" for i in range(expected_n))
        np.testing.assert_array_equal(assets.weight, 2.5)
        ref = mercator[mercator.index.isin(range(3) if layer == "areas" else [3])] \
            .to_crs(site.local_crs)
        for a, geom in enumerate(ref.geometry):
            if layer == "areas":
                assert shapely.hausdorff_distance(assets.polygons[a], geom) < ROUND_TRIP_M
            else:
                assert assets.radius_m[a] == 75.0
                assert np.hypot(*(assets.xy_m[a] - (geom.x, geom.y))) < ROUND_TRIP_M
    # the same reading through the GeoJSON gives the same polygons: the CRS is honoured
    json_site = prepare_scenario(sites_copy / "fob.toml").site
    edit_toml(sites_copy / "fob.toml", ASSETS_SECTION,
              '[assets]\nfile = "assets.gpkg"\nlayer = "areas"\n')
    gpkg_site = prepare_scenario(sites_copy / "fob.toml").site
    for a in range(3):
        d = shapely.hausdorff_distance(json_site.assets.polygons[a], gpkg_site.assets.polygons[a])
        assert d < ROUND_TRIP_M, f"asset {a}: GeoJSON and GeoPackage readings {d:.3f} m apart"


def test_point_assets_and_layer_assets_together(sites_copy: Path) -> None:
    scenario = edit_toml(sites_copy / "fob.toml", "[assets]",
                         '[[asset]]\nname = "gate"\nx = 463150\ny = 3668000\nweight = 4\n'
                         'radius_m = 30\n\n[assets]')
    assets = prepare_scenario(scenario).site.assets
    assert assets.names[0] == "gate" and assets.sources[0] == "asset[0]"
    assert assets.names[1:] == tuple(f["properties"]["name"] for f in FOB_ASSETS["features"])
    assert assets.sources[1] == "fob_assets.geojson feature 0"
    np.testing.assert_array_equal(assets.is_polygon, [False, True, True, True, False])


# --- bad input -------------------------------------------------------------------------------


def _with_features(sites: Path, edit) -> Path:
    """Write ``fob_assets.geojson`` with ``edit(features)`` applied; return the scenario."""
    doc = copy.deepcopy(FOB_ASSETS)
    edit(doc["features"])
    (sites / "fob_assets.geojson").write_text(json.dumps(doc))
    return sites / "fob.toml"


def _set(i: int, key: str, value):
    def edit(features):
        features[i]["properties"][key] = value
    return edit


def _geometry(i: int, geometry):
    def edit(features):
        features[i]["geometry"] = geometry
    return edit


BOWTIE = {"type": "Polygon", "coordinates": [[[44.600, 33.150], [44.605, 33.155],
                                              [44.605, 33.150], [44.600, 33.155],
                                              [44.600, 33.150]]]}
FAR_AWAY = {"type": "Polygon", "coordinates": [[[44.70, 33.20], [44.71, 33.20],
                                                [44.71, 33.21], [44.70, 33.20]]]}
LINE = {"type": "LineString", "coordinates": [[44.602, 33.151], [44.604, 33.152]]}


def _section(sites: Path, old: str, new: str) -> Path:
    return edit_toml(sites / "fob.toml", old, new)


# (id, edit(sites) -> scenario path, file, field, value, further fragments)
CASES = [
    ("missing-file", lambda s: _section(s, '"fob_assets.geojson"', '"gone.gpkg"'),
     "gone.gpkg", "assets.file", None, ["file not found"]),
    ("missing-name-field", lambda s: _section(s, 'name_field = "name"', 'name_field = "nom"'),
     "fob_assets.geojson", "assets.name_field", "nom", ["no attribute", "priority"]),
    ("missing-weight-field",
     lambda s: _section(s, 'weight_field = "priority"', 'weight_field = "prio"'),
     "fob_assets.geojson", "assets.weight_field", "prio", ["no attribute"]),
    ("missing-radius-field",
     lambda s: _section(s, 'radius_field = "radius_m"', 'radius_field = "r"'),
     "fob_assets.geojson", "assets.radius_field", "r", ["no attribute"]),
    ("negative-weight", lambda s: _with_features(s, _set(1, "priority", -1)),
     "fob_assets.geojson", "features[1].priority", "-1", ["must be a number > 0"]),
    ("zero-weight", lambda s: _with_features(s, _set(0, "priority", 0)),
     "fob_assets.geojson", "features[0].priority", "0", ["must be a number > 0"]),
    ("null-weight", lambda s: _with_features(s, _set(2, "priority", None)),
     "fob_assets.geojson", "features[2].priority", "null", ["must be a number > 0"]),
    ("zero-radius", lambda s: _with_features(s, _set(3, "radius_m", 0)),
     "fob_assets.geojson", "features[3].radius_m", "0", ["hit radius"]),
    ("null-geometry", lambda s: _with_features(s, _geometry(2, None)),
     "fob_assets.geojson", "features[2].geometry", "null", ["no geometry"]),
    ("empty-geometry",
     lambda s: _with_features(s, _geometry(0, {"type": "Polygon", "coordinates": []})),
     "fob_assets.geojson", "features[0].geometry", "POLYGON EMPTY", ["no geometry"]),
    ("line", lambda s: _with_features(s, _geometry(1, LINE)),
     "fob_assets.geojson", "features[1].geometry", "LineString", ["Polygon, MultiPolygon or Point"]),
    ("self-intersection", lambda s: _with_features(s, _geometry(0, BOWTIE)),
     "fob_assets.geojson", "features[0].geometry", None, ["Self-intersection"]),
    ("outside-base", lambda s: _with_features(s, _geometry(1, FAR_AWAY)),
     "fob_assets.geojson", "features[1].geometry", None, ["outside the base"]),
    ("unknown-layer", lambda s: _section(s, 'name_field = "name"', 'layer = "x"\nname_field = "name"'),
     "fob_assets.geojson", "assets.file", None, ["no layer 'x'"]),
    ("typo-key", lambda s: _section(s, 'name_field = "name"', 'nmae_field = "name"'),
     "fob.toml", "assets.nmae_field", None, ["unknown key"]),
    ("section-weight-zero", lambda s: _section(s, 'radius_field = "radius_m"', 'weight = 0'),
     "fob.toml", "assets.weight", "0", ["greater than 0"]),
    ("no-file", lambda s: _section(s, 'file = "fob_assets.geojson"\n', ''),
     "fob.toml", "assets.file", None, ["required"]),
    ("aim-without-assets",
     lambda s: (_section(s, ASSETS_SECTION, ""),
                _section(s, 'aim = "uniform"', 'aim = "assets"'))[1],
     "fob.toml", "threat.aim", "assets", ["[assets] layer"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_asset_layer_is_one_line_exit_2(sites_copy: Path, case) -> None:
    _, edit, file, field, value, fragments = case
    scenario = edit(sites_copy)
    result = runner.invoke(app, ["validate", str(scenario)])
    assert_bad_input(result, *fragments, file=file, field=field, value=value)
