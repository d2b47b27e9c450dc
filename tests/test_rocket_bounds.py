"""A custom rocket inside the schema cannot ask for an unbounded buffer or crash with a traceback.

Before: a rocket with extreme (but schema-valid) thrust and mass ratio sized path buffers of
tens of GiB from its vacuum flight-time bound, and a flight that never landed raised a bare
RuntimeError.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from forceprot import ballistics
from forceprot.catalog.rockets import BUNDLED_ROCKETS, RocketClass
from forceprot.cli import app
from forceprot.errors import ScenarioError
from tests.conftest import edit_toml

runner = CliRunner()

#: Every figure inside the schema's bounds; flights of days in the vacuum bound.
EXTREME = dict(thrust_n=1e7, burn_time_s=60.0, launch_mass_kg=5000.0, burnout_mass_kg=1.0)


def _rocket(**changes) -> RocketClass:
    return RocketClass(**{**BUNDLED_ROCKETS["107mm"].model_dump(), **changes})


def test_bundled_rockets_are_within_the_bound() -> None:
    for rocket in BUNDLED_ROCKETS.values():
        assert ballistics.check_rocket_bounds(rocket) < ballistics.MAX_FLIGHT_TIME_S


def test_extreme_rocket_is_refused_before_any_buffer() -> None:
    with pytest.raises(ScenarioError, match="not an artillery rocket") as info:
        ballistics.fly(_rocket(**EXTREME), 0.7)
    assert info.value.field == "thrust_n"


def test_a_tiny_step_cannot_ask_for_an_unbounded_path() -> None:
    # a long but allowed flight (about 2,000 s bound) at the smallest step the CLI accepts
    slow = _rocket(thrust_n=60_000.0, burn_time_s=10.0, launch_mass_kg=100.0, burnout_mass_kg=20.0)
    max_time = ballistics.check_rocket_bounds(slow)
    assert max_time / 1e-4 > ballistics.MAX_PATH_ROWS, "pick a longer flight"
    with pytest.raises(ScenarioError, match="use a larger step") as info:
        ballistics.fly(slow, 0.7, dt_s=1e-4)
    assert info.value.field == "dt_s"


def test_no_ground_impact_is_a_scenario_error(monkeypatch) -> None:
    monkeypatch.setattr(ballistics._traj, "integrate", lambda *args: -1)
    with pytest.raises(ScenarioError, match="'107mm'.*found no ground impact"):
        ballistics.fly("107mm", 0.7)


def test_validate_names_the_custom_rocket_field(sites_copy) -> None:
    scenario = edit_toml(sites_copy / "taji.toml", 'rocket = "107mm"', 'rocket = "huge"')
    scenario.write_text(scenario.read_text() + "\n[rockets.huge]\n" + "\n".join(
        f"{k} = {v}" for k, v in {**EXTREME, "diameter_m": 0.2, "min_range_m": 1000.0,
                                   "max_range_m": 400000.0}.items()) + "\n")
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "rockets.huge.thrust_n" in lines[0], result.stderr
    assert "taji.toml" in lines[0]
