"""High-angle flights: the flight model against an independent solve_ivp integration of the
same equations, the high-angle trajectory family, and the fire-control solution on the steep
branch (``forceprot trajectory --angle``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from forceprot.ballistics import (
    HIGH_ANGLE_MAX_ELEVATION_DEG,
    build_family,
    fly,
    max_range,
    range_limits,
    solve_trajectory,
)
from forceprot.cli import app
from forceprot.flight.family import interpolate_family
from tests.helpers import assert_bad_input

from .reference import assert_flight_matches_reference

# The flight against solve_ivp: the same relative bounds as the low-angle test
# (tests/flight/reference.py); a steep flight is long (60-105 s), so not tighter.
# the family's linear-in-elevation blend between grid rows, against direct integration, on the
# no-wind high branch (rows 0.3 deg apart): within 0.4 % of range, the bound the low-angle
# family is held to (forceprot/flight/family.py docstring).
FAMILY_IMPACT_RTOL = 4e-3

CASES = [
    ("107mm", 60.0, (0.0, 0.0)),
    ("107mm", 78.0, (0.0, -5.0)),  # crosswind from the left
    ("122mm", 70.0, (0.0, 0.0)),
    ("122mm", 76.0, (4.0, 3.0)),  # oblique tail wind
]


@pytest.mark.parametrize(("key", "elevation_deg", "wind"), CASES)
def test_high_angle_flight_matches_solve_ivp_reference(key, elevation_deg, wind):
    assert_flight_matches_reference(key, elevation_deg, wind)


def test_high_family_is_ordered_for_the_one_lookup():
    """Steepest first, so the no-wind range rises with the grid index on both branches."""
    family = build_family("107mm", branch="high")
    _, e_max = max_range("107mm")
    elevations = family.elevations_rad
    assert family.branch == "high"
    assert elevations[0] == pytest.approx(math.radians(HIGH_ANGLE_MAX_ELEVATION_DEG))
    assert elevations[-1] == pytest.approx(e_max)
    assert np.all(np.diff(elevations) < 0.0)
    assert np.all(np.diff(family.range_nowind_m) > 0.0)
    low_min, low_max = range_limits("107mm", branch="high")
    assert family.min_range_m == pytest.approx(low_min, rel=1e-9)
    assert family.max_range_m == pytest.approx(low_max, rel=1e-6)


def test_high_family_impacts_agree_with_direct_integration():
    family = build_family("107mm", branch="high")
    elevations = family.elevations_rad
    n_nodes = family.node_pos_m.shape[2]
    pos = np.empty((n_nodes, 3))
    vel = np.empty((n_nodes, 3))
    for i in (0, 37, 110):  # on grid rows: the family stores that very flight
        direct = fly("107mm", float(elevations[i]))
        assert family.node_pos_m[i, 0, -1, 0] == pytest.approx(direct.range_m, rel=1e-9)
        assert family.tof_s[i, 0] == pytest.approx(direct.tof_s, rel=1e-9)
    for i in (3, 50, 100):  # half-way between rows: the blend
        e = 0.5 * float(elevations[i] + elevations[i + 1])
        tof = interpolate_family(family.node_pos_m, family.node_vel_mps, family.tof_s,
                                 family.elevation_min_rad, family.elevation_step_rad,
                                 family.relaz_step_rad, e, 0.0, pos, vel)
        direct = fly("107mm", e)
        assert abs(pos[-1, 0] - direct.range_m) < FAMILY_IMPACT_RTOL * direct.range_m
        assert tof == pytest.approx(direct.tof_s, rel=FAMILY_IMPACT_RTOL)
        # and the fire-control lookup inverts the blend on the steep branch too
        assert family.elevation_for_range(float(pos[-1, 0])) == pytest.approx(e, abs=1e-6)


def test_high_solution_from_3_km_is_steep_and_slow():
    """The issue's numbers: from 3 km the flat solution peaks near 108 m; the steep one climbs
    kilometres and flies about six times as long."""
    low = solve_trajectory("107mm", 3000.0)
    high = solve_trajectory("107mm", 3000.0, angle="high")
    _, e_max = max_range("107mm")
    assert low.angle == "low" and high.angle == "high"
    assert high.elevation_deg > math.degrees(e_max) > low.elevation_deg
    assert high.range_m == pytest.approx(3000.0, abs=1.0)
    assert 90.0 < low.apogee_m < 130.0
    assert high.apogee_m > 4000.0
    assert high.tof_s > 5.0 * low.tof_s
    assert high.impact_angle_deg > 75.0


def test_fixed_angle_solution_flies_that_elevation():
    sol = solve_trajectory("122mm", angle=35.0)
    direct = fly("122mm", math.radians(35.0))
    assert sol.angle == "fixed"
    assert sol.elevation_deg == pytest.approx(35.0)
    assert sol.requested_range_m == pytest.approx(direct.range_m, rel=1e-9)


def test_high_branch_refuses_a_range_it_cannot_reach():
    low_min, _ = range_limits("107mm", branch="high")
    with pytest.raises(Exception, match="high angle"):
        solve_trajectory("107mm", low_min - 100.0, angle="high")


runner = CliRunner()


def test_cli_trajectory_angle_high():
    result = runner.invoke(app, ["trajectory", "--angle", "high", "--range-m", "5000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["angle"] == "high"
    assert data["elevation_deg"] > 45.0
    assert data["range_m"] == pytest.approx(5000.0, abs=2.0)


@pytest.mark.parametrize(("args", "fragments"), [
    (["--angle", "steep"], ["angle", "steep"]),
    (["--angle", "85"], ["angle", "85"]),
    (["--angle", "30", "--range-m", "3000"], ["range_m", "not both"]),
])
def test_cli_trajectory_bad_angle_is_one_line(args, fragments):
    result = runner.invoke(app, ["trajectory", *args])
    assert_bad_input(result, *fragments)
