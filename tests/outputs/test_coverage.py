"""The coverage map against a layout with a known answer, and its files.

A 2 km x 2 km square base with one ideal gun mount at its centre: it kills (p_kill = 1) every
rocket predicted to land within ``defended_radius_m = 2000 * sqrt(1 / (2 pi))`` of it, a disk
of half the square's area wholly inside it, and nothing else. So a rocket landing in a cell is
intercepted exactly when it lands in the disk: P(intercept) is 1 in cells wholly inside the
disk, 0 in cells wholly outside, and the share of the cell inside the disk in between; the
covered share of the base is 0.5 up to how the cells cut by the circle are classified.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import prepare, prepare_scenario
from forceprot.studies.coverage import coverage_map
from forceprot.scenario import parse_scenario
from tests.kernel_helpers import CX_M, CY_M, ideal_cram, scenario_data, square_base
from tests.conftest import SITES
from tests.outputs.geojson_check import rfc7946_problems

runner = CliRunner()

HALF_M = 1_000.0
DISK_R_M = 2 * HALF_M * math.sqrt(1.0 / (2.0 * math.pi))
CELL_M = 100.0
THRESHOLD = 0.9
#: Tolerance on the area-weighted mean P(intercept), whose truth is the disk's share, 0.5. Only
#: the cells cut by the circle (15 % of the area at 100 m) carry sampling error: each holds at
#: least ~25 rockets in clusters of at most 4 (a salvo), so its share inside the disk has a
#: standard deviation of at most sqrt(0.25 * 4 / 25) = 0.2; over the ~60 cut cells the mean's is
#: at most 0.15 * 0.2 / sqrt(60) = 0.004. 0.01 is 2.5 of those worst-case deviations.
MEAN_TOL = 0.01
#: A cut cell's estimate can differ from its area share inside the disk by sampling (sd <= 0.2
#: for the thinnest cell, ~0.06 for a typical one) and by the slope of the impact density over
#: 100 m; only cells whose share lies within this of the threshold may be classified otherwise
#: than the share says.
FLIP_MARGIN = 0.25


def _scenario(tmp_path: Path, **simulation):
    square_base(tmp_path, HALF_M)
    unit = ideal_cram("centre", CX_M, CY_M, 1.0, defended_radius_m=DISK_R_M)
    data = scenario_data(
        tubes=4, min_standoff_m=500.0, max_standoff_m=3_000.0, defence=[unit],
        asset=[{"name": "inner", "x": CX_M, "y": CY_M, "radius_m": 300.0},
               {"name": "corner", "x": CX_M + 850.0, "y": CY_M + 850.0, "radius_m": 100.0}],
        simulation=simulation)
    path = tmp_path / "half.toml"
    return prepare(parse_scenario(data, source=str(path), path=path)), path, data


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    prepared, _, _ = _scenario(tmp_path_factory.mktemp("half"))
    cov = coverage_map(prepared, cell_m=CELL_M, threshold=THRESHOLD)
    disk = shapely.Point(CX_M, CY_M).buffer(DISK_R_M, quad_segs=256)
    share_in_disk = shapely.area(shapely.intersection(cov.plan.polygons, disk)) / cov.plan.area_m2
    return cov, share_in_disk


def test_cells_wholly_inside_or_outside_the_disk_are_exact(known) -> None:
    cov, f = known
    assert cov.unsampled_share == 0.0, "some cells got no rocket: sample more salvos"
    inside, outside = f >= 1.0 - 1e-9, f <= 1e-9
    assert inside.sum() > 100 and outside.sum() > 100
    np.testing.assert_array_equal(cov.p_intercept[inside], 1.0)
    np.testing.assert_array_equal(cov.p_intercept[outside], 0.0)


def test_half_the_base_is_covered(known) -> None:
    cov, f = known
    area = cov.plan.area_m2
    cut = (f > 1e-9) & (f < 1.0 - 1e-9)
    band = area[cut].sum() / area.sum()
    # Wholly-inside cells (0.5 - band/2 .. 0.5 of the area) are covered and wholly-outside ones
    # are not, exactly; only the cut band is in doubt. So |coverage - 0.5| <= band, whatever the
    # sample.
    assert abs(cov.covered_share - 0.5) <= band, (
        f"covered {cov.covered_share:.4f}, expected 0.5 within the cut band {band:.4f}")
    # Sharper: the shares the cells' areas imply, up to cells near the threshold.
    implied = area[f >= THRESHOLD].sum() / area.sum()
    doubtful = area[cut & (np.abs(f - THRESHOLD) < FLIP_MARGIN)].sum() / area.sum()
    assert abs(cov.covered_share - implied) <= doubtful, (
        f"covered {cov.covered_share:.4f}, the cell areas imply {implied:.4f} "
        f"(+- {doubtful:.4f} for cells near the threshold)")
    assert abs(cov.p_intercept_mean - 0.5) < MEAN_TOL, (
        f"mean P(intercept) {cov.p_intercept_mean:.4f}, expected 0.5 +- {MEAN_TOL}")
    assert cov.covered_share_conservative <= cov.covered_share


def test_assets_inside_and_outside_the_disk(known) -> None:
    cov, _ = known
    shares = {a.name: a for a in cov.assets}
    # 'inner' (300 m around the mount) lies in cells wholly inside the 798 m disk; 'corner' in
    # cells wholly outside it.
    assert shares["inner"].covered_share == 1.0
    assert shares["corner"].covered_share == 0.0
    assert shares["inner"].area_m2 == pytest.approx(math.pi * 300.0 ** 2, rel=1e-3)


def _toml(data: dict) -> str:
    """The scenario mapping as TOML (tables, arrays of tables, scalars: all it holds)."""
    def value(v):
        return json.dumps(v) if isinstance(v, str) else repr(v)

    lines = []
    for key, section in data.items():
        items = section if isinstance(section, list) else [section]
        for item in items:
            lines.append(f"[[{key}]]" if isinstance(section, list) else f"[{key}]")
            lines += [f"{k} = {value(v)}" for k, v in item.items() if v is not None]
    return "\n".join(lines) + "\n"


def test_coverage_command_writes_its_files(tmp_path: Path) -> None:
    _, path, data = _scenario(tmp_path)
    path.write_text(_toml(data))
    out = tmp_path / "out"
    result = runner.invoke(app, ["coverage", str(path), "--cell-m", "200", "--salvos", "4096",
                                 "--threshold", str(THRESHOLD), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    written = json.loads((out / "coverage.json").read_text())
    assert printed == written
    assert sorted(p.name for p in out.iterdir()) == ["coverage.json", "coverage.png",
                                                     "coverage_curve.png",
                                                     "coverage_grid.geojson"]
    assert written["cell_m"] == 200.0 and written["threshold"] == THRESHOLD
    assert written["salvos"] == 4096
    assert rfc7946_problems(out / "coverage_grid.geojson") == []
    grid = gpd.read_file(out / "coverage_grid.geojson")
    assert grid.crs.to_epsg() == 4326
    assert grid["area_in_base_m2"].sum() == pytest.approx((2 * HALF_M) ** 2, rel=1e-6)
    covered = grid["covered"].to_numpy(bool)
    np.testing.assert_array_equal(covered, grid["p_intercept"].fillna(-1).to_numpy() >= THRESHOLD)
    share = grid.loc[covered, "area_in_base_m2"].sum() / grid["area_in_base_m2"].sum()
    assert share == pytest.approx(written["covered_share"], rel=1e-9)
    local = grid.to_crs("EPSG:32638")
    base = shapely.box(CX_M - HALF_M, CY_M - HALF_M, CX_M + HALF_M, CY_M + HALF_M)
    assert shapely.within(local.geometry.values, base.buffer(0.05)).all()
    assert (out / "coverage.png").stat().st_size > 50_000


def test_the_coverage_curve_is_monotone_and_agrees_with_the_shares(tmp_path: Path) -> None:
    """The curve falls with the threshold, the conservative curve lies under the estimate, and
    its point at the chosen threshold is the covered share; the default threshold does not
    answer 0 % for the bundled Taji layout."""
    cov = coverage_map(prepare_scenario(SITES / "taji.toml"), cell_m=200.0, salvos=4096)
    t = np.array([c[0] for c in cov.curve])
    share = np.array([c[1] for c in cov.curve])
    cons = np.array([c[2] for c in cov.curve])
    assert np.all(np.diff(t) > 0) and np.all(np.diff(share) <= 0) and np.all(cons <= share)
    at = dict(zip(np.round(t, 2), share))
    assert at[round(cov.threshold, 2)] == pytest.approx(cov.covered_share)
    assert cov.covered_share > 0.0, "the default threshold tells the planner nothing"
    for a in cov.assets:
        assert len(a.curve) == len(cov.curve)
