"""``forceprot rockets``, ``rockets calibrate``, ``validate``'s range warning and
``trajectory --scenario --rocket``: thin commands over forceprot.rocketry."""

from __future__ import annotations

import json
import tomllib

import pytest
from typer.testing import CliRunner

from forceprot.catalog.rockets import RocketClass
from forceprot.cli import app
from tests.conftest import ROOT
from tests.helpers import assert_bad_input
from tests.rocket_files import my107_scenario

runner = CliRunner()


def test_rockets_lists_bundled_and_scenario_classes(tmp_path):
    result = runner.invoke(app, ["rockets", "--scenario", str(my107_scenario(tmp_path)),
                                 "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"107mm", "122mm", "my107"}
    assert rows["my107"]["origin"] == "scenario"
    assert rows["107mm"]["flown_max_range_m"] == pytest.approx(8050.0, rel=1e-4)
    assert rows["my107"]["range_miss_frac"] < -0.01
    table = runner.invoke(app, ["rockets"])
    assert table.exit_code == 0
    assert "8,050 m" in table.stdout and "20,380 m" in table.stdout
    assert "Jane's Ammunition Handbook" in " ".join(table.stdout.split())  # the source


@pytest.mark.slow
def test_rockets_calibrate_prints_a_block_that_pastes_back(tmp_path):
    result = runner.invoke(app, ["rockets", "calibrate", "--scenario",
                                 str(my107_scenario(tmp_path)), "--rocket", "my107"])
    assert result.exit_code == 0, result.output
    block = result.stdout[result.stdout.index("[rockets.my107]"):]
    pasted = RocketClass.model_validate(tomllib.loads(block)["rockets"]["my107"])
    assert pasted.thrust_n > 7165.0  # the tube phase is paid from the motor
    fixed = my107_scenario(tmp_path / "..", extra="").read_text().replace(
        "thrust_n = 7165\n", f"thrust_n = {pasted.thrust_n}\ndrag_form_factor = "
                             f"{pasted.drag_form_factor}\n")
    path = tmp_path / "fixed.toml"
    path.write_text(fixed)
    check = runner.invoke(app, ["validate", str(path)])
    assert check.exit_code == 0 and "warning:" not in check.stderr


def test_validate_warns_when_the_flown_max_range_misses_the_stated_one(tmp_path):
    result = runner.invoke(app, ["validate", str(my107_scenario(tmp_path))])
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1
    assert "rockets.my107.max_range_m" in warnings[0] and "8,050 m" in warnings[0]
    clean = runner.invoke(app, ["validate", str(ROOT / "sites" / "taji.toml")])
    assert clean.exit_code == 0 and "warning:" not in clean.stderr


def test_trajectory_flies_a_scenario_rocket(tmp_path):
    result = runner.invoke(app, ["trajectory", "--scenario", str(my107_scenario(tmp_path)),
                                 "--rocket", "my107", "--range-m", "5000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rocket"] == "my107"
    assert data["range_m"] == pytest.approx(5000.0, rel=5e-3)
    assert 0.0 < data["muzzle_speed_mps"] < data["burnout_speed_mps"]


def test_trajectory_names_where_to_find_an_unknown_rocket():
    result = runner.invoke(app, ["trajectory", "--rocket", "my107"])
    assert_bad_input(result, "unknown rocket class", "--scenario", field="rocket", value="my107")


def test_a_launch_speed_is_refused_as_now_computed(tmp_path):
    path = my107_scenario(tmp_path)
    path.write_text(path.read_text().replace("thrust_n = 7165", "thrust_n = 7165\n"
                                                                "launch_speed_mps = 20"))
    result = runner.invoke(app, ["validate", str(path)])
    assert_bad_input(result, "computed", "tube_length_m", file=str(path),
                     field="rockets.my107.launch_speed_mps", value="20")
