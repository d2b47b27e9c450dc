"""Bad input to ``forceprot validate``: one stderr line naming the file and field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from tests.conftest import edit_toml
from tests.helpers import assert_bad_input

runner = CliRunner()

BOWTIE = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
          "geometry": {"type": "Polygon", "coordinates": [[[44.25, 33.50], [44.31, 33.56],
                                                           [44.31, 33.50], [44.25, 33.56],
                                                           [44.25, 33.50]]]}}]}
EMPTY = {"type": "FeatureCollection", "features": []}
POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [44.28, 33.53]}}]}
UTM_AS_LONLAT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                 "geometry": {"type": "Polygon", "coordinates": [[[433000, 3709000],
                                                                  [436000, 3709000],
                                                                  [436000, 3712000],
                                                                  [433000, 3709000]]]}}]}


def _layer(sites: Path, name: str, data: dict) -> None:
    (sites / name).write_text(json.dumps(data))


def _drop_threat(sites: Path) -> Path:
    path = sites / "taji.toml"
    text = path.read_text()
    start = text.index("[threat]")
    end = text.index("[warning]")
    path.write_text(text[:start] + text[end:])
    return path


# (id, edit(sites) -> scenario path, fragments expected in the one error line)
CASES = [
    ("unknown-preset",
     lambda s: edit_toml(s / "taji.toml", 'preset = "improvised_truck"', 'preset = "sniper"'),
     ["taji.toml", "threat.preset", "sniper", "improvised_truck", "trained_crew"]),
    ("elevation-too-steep",
     lambda s: edit_toml(s / "taji.toml", 'preset = "improvised_truck"',
                         'preset = "improvised_truck"\nelevation = 85'),
     ["taji.toml", "threat.elevation", "85", "'low', 'high'"]),
    ("elevation-word",
     lambda s: edit_toml(s / "taji.toml", 'preset = "improvised_truck"',
                         'preset = "improvised_truck"\nelevation = "steep"'),
     ["taji.toml", "threat.elevation", "steep"]),
    ("elevation-below-laying-limit",
     lambda s: edit_toml(s / "taji.toml", 'preset = "improvised_truck"',
                         'preset = "improvised_truck"\nelevation = 2.5'),
     ["taji.toml", "threat.elevation", "2.5", "lowest laying elevation"]),
    ("missing-scenario", lambda s: s / "nope.toml", ["nope.toml", "file not found"]),
    ("missing-boundary",
     lambda s: edit_toml(s / "taji.toml", 'boundary = "taji.geojson"', 'boundary = "gone.geojson"'),
     ["gone.geojson", "site.boundary", "file not found"]),
    ("self-intersection",
     lambda s: (_layer(s, "bow.geojson", BOWTIE),
                edit_toml(s / "taji.toml", 'boundary = "taji.geojson"', 'boundary = "bow.geojson"'))[1],
     ["bow.geojson", "site.boundary", "Self-intersection"]),
    ("empty-layer",
     lambda s: (_layer(s, "empty.geojson", EMPTY),
                edit_toml(s / "taji.toml", 'boundary = "taji.geojson"', 'boundary = "empty.geojson"'))[1],
     ["empty.geojson", "no geometry"]),
    ("not-polygon",
     lambda s: (_layer(s, "pt.geojson", POINT),
                edit_toml(s / "taji.toml", 'boundary = "taji.geojson"', 'boundary = "pt.geojson"'))[1],
     ["pt.geojson", "polygons", "Point"]),
    ("crs-mismatch",
     lambda s: (_layer(s, "utm.geojson", UTM_AS_LONLAT),
                edit_toml(s / "taji.toml", 'boundary = "taji.geojson"', 'boundary = "utm.geojson"'))[1],
     ["utm.geojson", "CRS mismatch"]),
    ("unknown-rocket",
     lambda s: edit_toml(s / "taji.toml", 'rocket = "107mm"', 'rocket = "240mm"'),
     ["taji.toml", "threat.rocket = '240mm'", "107mm, 122mm"]),
    ("unknown-defence-kind",
     lambda s: edit_toml(s / "taji.toml", 'kind = "patriot"', 'kind = "laser"'),
     ["taji.toml", "defence[2]", "laser", "cram", "patriot"]),
    ("tubes-zero",
     lambda s: edit_toml(s / "taji.toml", "tubes = 24", "tubes = 0"),
     ["taji.toml", "threat.tubes = 0", "greater than or equal to 1"]),
    ("standoff-min-over-max",
     lambda s: edit_toml(s / "taji.toml", "min_standoff_m = 500", "min_standoff_m = 7000"),
     ["taji.toml", "threat", "min_standoff_m (7000) must be below max_standoff_m (6000)"]),
    ("negative-range",
     lambda s: edit_toml(s / "taji.toml", "min_standoff_m = 500", "min_standoff_m = -500"),
     ["taji.toml", "threat.min_standoff_m = -500"]),
    ("nan",
     lambda s: edit_toml(s / "taji.toml", 'preset = "improvised_truck"',
                         'preset = "improvised_truck"\naim_sigma_m = nan'),
     ["taji.toml", "threat.aim_sigma_m = nan", "finite"]),
    ("lon-out-of-range",
     lambda s: edit_toml(s / "taji.toml", "lon = 44.28229", "lon = 244.28229"),
     ["taji.toml", "defence[0].lon = 244.28229", "less than or equal to 180"]),
    ("unit-far-away",
     lambda s: edit_toml(s / "taji.toml", "lon = 44.27278", "lon = 41.27278"),
     ["taji.toml", "defence[2].lon = 41.27278", "km from the base"]),
    ("unknown-key",
     lambda s: edit_toml(s / "taji.toml", "tubes = 24", "tubez = 24"),
     ["taji.toml", "threat.tubez", "unknown key"]),
    ("unknown-unit-key",
     lambda s: edit_toml(s / "taji.toml", 'name = "C-RAM north"', 'name = "C-RAM north"\nrange_km = 2'),
     ["taji.toml", "defence[0].range_km", "unknown key"]),
    ("bad-override",
     lambda s: edit_toml(s / "taji.toml", 'name = "C-RAM north"', 'name = "C-RAM north"\npk = 1.5'),
     ["taji.toml", "defence[0].pk = 1.5"]),
    ("toml-syntax",
     lambda s: edit_toml(s / "taji.toml", "tubes = 24", "tubes = = 24"),
     ["taji.toml", "not valid TOML", "line"]),
    ("asset-outside",
     lambda s: edit_toml(s / "taji.toml", "lon = 44.2800", "lon = 44.4000"),
     ["taji.toml", "asset[0].lon = 44.4", "outside the base"]),
    ("missing-exclusion",
     lambda s: edit_toml(s / "taji.toml", '"taji_exclusions.geojson"', '"river.geojson"'),
     ["river.geojson", "site.exclusions[0]", "file not found"]),
    ("missing-threat",
     lambda s: edit_toml(s / "taji.toml", "[threat]", "[threaty]"),
     ["taji.toml", "threaty", "unknown key"]),
    ("missing-section",
     _drop_threat,
     ["taji.toml", "threat", "required field is missing"]),
    ("standoff-beyond-range",
     lambda s: edit_toml(edit_toml(s / "taji.toml", "max_standoff_m = 6000", "max_standoff_m = 12000"),
                         "min_standoff_m = 500", "min_standoff_m = 9000"),
     ["taji.toml", "threat.min_standoff_m = 9000", "maximum range"]),
    ("xy-in-geographic-crs",
     lambda s: edit_toml(s / "taji.toml", "lon = 44.28229\nlat = 33.54412", "x = 433368\ny = 3711841"),
     ["taji.toml", "defence[0].x = 433368", "geographic"]),
    ("half-position",
     lambda s: edit_toml(s / "taji.toml", "lon = 44.28229\n", ""),
     ["taji.toml", "defence[0]", "both lon and lat"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2(sites_copy: Path, case) -> None:
    _, make, fragments = case
    scenario = make(sites_copy)
    result = runner.invoke(app, ["validate", str(scenario)])
    assert_bad_input(result, *fragments)


@pytest.mark.parametrize("name", ["taji.toml", "fob.toml"])
def test_bundled_sites_validate(name: str) -> None:
    from tests.conftest import SITES

    result = runner.invoke(app, ["validate", str(SITES / name)])
    assert result.exit_code == 0, result.output
    assert "scenario is valid" in result.stdout


def test_taji_is_about_fifteen_square_miles() -> None:
    from forceprot.compile import prepare_scenario
    from tests.conftest import SITES

    prepared = prepare_scenario(SITES / "taji.toml")
    sq_mi = prepared.site.base_area_m2 / 2_589_988.110336
    assert 14.0 < sq_mi < 16.0
    assert prepared.site.local_crs.to_epsg() == 32638  # UTM 38N


def test_schema_is_json_and_forbids_unknown_keys() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert {"site", "threat"} <= set(schema["required"])
