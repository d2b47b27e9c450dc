"""A launch zone that cannot reach the base is refused before sampling.

Before the check, a small base with a standoff band inside the rocket's minimum range passed
``validate``; ``run`` then spent its launch-draw budget on every salvo and reported 0 salvos.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.errors import ScenarioError
from forceprot.reach import check_reach, distance_intervals
from tests.conftest import edit_toml

runner = CliRunner()


def test_intervals_match_brute_force_on_sampled_points() -> None:
    """Nearest and farthest distance against a dense point sample of both sets (the sample's
    extremes lie inside the exact interval and approach it within the sample spacing)."""
    zone = box(0, 0, 100, 50).difference(box(20, 10, 80, 40))  # a ring, not convex
    aim = Point(300, 25).buffer(30)
    ((near, far),) = distance_intervals(zone, aim)
    rng = np.random.default_rng(1)

    def sample(g, n):
        x0, y0, x1, y1 = g.bounds
        pts = rng.uniform([x0, y0], [x1, y1], size=(20 * n, 2))
        keep = shapely.contains_xy(g, pts[:, 0], pts[:, 1])
        return pts[keep][:n]

    z, a = sample(zone, 3000), sample(aim, 3000)
    d = np.hypot(*(z[:, None, :] - a[None, :, :]).transpose(2, 0, 1))
    spacing_m = 3.0  # sample points fall within a few metres of the extreme points
    assert near <= d.min() <= near + spacing_m
    assert far - spacing_m <= d.max() <= far


def test_parts_are_checked_one_by_one() -> None:
    zone = MultiPolygon([box(0, 0, 10, 10), box(1000, 0, 1010, 10)])
    aim = box(20, 0, 30, 10)
    # a band [500, 800] lies between the two parts' intervals ([10, ~32] and [970, ~990])
    with pytest.raises(ScenarioError, match="either inside"):
        check_reach(zone, aim, 500.0, 800.0, rocket="r")
    check_reach(zone, aim, 500.0, 975.0, rocket="r")  # the far part reaches


@pytest.mark.parametrize("lo, hi, field, fragment", [
    (5000.0, 8000.0, "threat.max_standoff_m", "minimum range"),
    (10.0, 100.0, "threat.min_standoff_m", "maximum range"),
])
def test_unreachable_blames_the_edge_to_move(lo, hi, field, fragment) -> None:
    zone = box(-2000, -2000, 2000, 2000).difference(box(-1000, -1000, 1000, 1000))
    aim = box(-500, -500, 500, 500)
    with pytest.raises(ScenarioError, match=fragment) as info:
        check_reach(zone, aim, lo, hi, rocket="r", too_far=("threat.min_standoff_m", 1),
                    too_near=("threat.max_standoff_m", 2))
    assert info.value.field == field


@pytest.mark.parametrize("command", ["validate", "run"])
def test_standoff_band_inside_minimum_range_is_refused(sites_copy, command) -> None:
    scenario = edit_toml(sites_copy / "fob.toml", "min_standoff_m = 1000", "min_standoff_m = 0")
    edit_toml(scenario, "max_standoff_m = 12000", "max_standoff_m = 100")
    t0 = time.monotonic()
    result = runner.invoke(app, [command, str(scenario)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "threat.max_standoff_m" in lines[0] and "minimum range" in lines[0]
    assert time.monotonic() - t0 < 5.0  # refused before any sampling


def test_bundled_sites_still_validate(sites_copy) -> None:
    for name in ("taji.toml", "fob.toml"):
        result = runner.invoke(app, ["validate", str(sites_copy / name)])
        assert result.exit_code == 0, result.output
