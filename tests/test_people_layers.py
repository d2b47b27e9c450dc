"""``[people]``'s layers and keys: bad input is one line naming file, field and value, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from tests.conftest import edit_toml
from tests.helpers import assert_bad_input

runner = CliRunner()


def _edit_feature(folder: Path, name: str, i: int, **changes) -> None:
    path = folder / name
    doc = json.loads(path.read_text())
    feature = doc["features"][i]
    for key, value in changes.items():
        if key == "geometry":
            feature["geometry"] = value
        else:
            feature["properties"][key] = value
    path.write_text(json.dumps(doc))


def _toml(old: str, new: str):
    return lambda folder: edit_toml(folder / "taji.toml", old, new)


CASES = [
    # (id, edit(folder), file, field, value, fragments)
    ("unknown-kind", lambda f: _edit_feature(f, "taji_occupancy.geojson", 2, kind="canteen"),
     "taji_occupancy.geojson", "features[2].kind", "canteen", ["living"]),
    ("negative-people", lambda f: _edit_feature(f, "taji_occupancy.geojson", 0, people=-5),
     "taji_occupancy.geojson", "features[0].people", "-5", ["number from 0"]),
    ("text-people", lambda f: _edit_feature(f, "taji_occupancy.geojson", 1, people="many"),
     "taji_occupancy.geojson", "features[1].people", "many", []),
    ("missing-field", _toml('capacity_field = "capacity"',
                            'capacity_field = "capacity"\npeople_field = "persons"'),
     "taji_occupancy.geojson", "people.people_field", "persons", ["attribute"]),
    ("missing-hours", _toml('capacity_field = "capacity"',
                            'capacity_field = "capacity"\nhour_prefix = "h"'),
     "taji_occupancy.geojson", "people.hour_prefix", "h00", []),
    ("point-occupancy", lambda f: _edit_feature(
        f, "taji_occupancy.geojson", 3, geometry={"type": "Point", "coordinates": [44.28, 33.53]}),
     "taji_occupancy.geojson", "features[3].geometry", "Point", ["Polygon"]),
    ("shelter-outside", lambda f: _edit_feature(
        f, "taji_shelters.geojson", 5, geometry={"type": "Point", "coordinates": [44.0, 33.3]}),
     "taji_shelters.geojson", "features[5].geometry", None, ["outside the base"]),
    ("zero-capacity-is-fine-but-text-is-not",
     lambda f: _edit_feature(f, "taji_shelters.geojson", 0, capacity="big"),
     "taji_shelters.geojson", "features[0].capacity", "big", []),
    ("no-occupancy-file", _toml('occupancy = "taji_occupancy.geojson"',
                                'occupancy = "nowhere.geojson"'),
     "nowhere.geojson", "people.occupancy", None, []),
    ("wounding-below-lethal", _toml('capacity_field = "capacity"',
                                    'capacity_field = "capacity"\nlethal_radius_m = 30\n'
                                    'wounding_radius_m = 20'),
     "taji.toml", "people", None, ["wounding_radius_m"]),
    ("shelter-p-over-1", _toml('capacity_field = "capacity"',
                               'capacity_field = "capacity"\nshelter_hit_p_killed = 0.7\n'
                               'shelter_hit_p_wounded = 0.5'),
     "taji.toml", "people", None, ["at most 1"]),
    ("typo-key", _toml('capacity_field = "capacity"', 'capacity_feild = "capacity"'),
     "taji.toml", "people.capacity_feild", None, ["unknown key"]),
    ("hour-24", _toml('wind_from_deg = 315', 'wind_from_deg = 315\nhour = 24'),
     "taji.toml", "threat.hour", "24", []),
    ("hour-weights-zero", _toml('wind_from_deg = 315', 'wind_from_deg = 315\nhour = [' +
                                ", ".join(["0"] * 24) + "]"),
     "taji.toml", "threat.hour", None, ["all be 0"]),
    ("hour-preset-typo", _toml('wind_from_deg = 315', 'wind_from_deg = 315\nhour = "nights"'),
     "taji.toml", "threat.hour", "nights", []),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_people_input_is_one_line_exit_2(sites_copy: Path, case, tmp_path) -> None:
    _, edit, file, field, value, fragments = case
    edit(sites_copy)
    result = runner.invoke(app, ["validate", str(sites_copy / "taji.toml")])
    assert_bad_input(result, *fragments, file=file, field=field, value=value)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(sites_copy / "taji.toml"), "--salvos", "1",
                                 "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
