"""A base without defences: every rocket that lands inside leaks, "inside" is shapely's
``contains``, and the share of rockets landing inside matches a closed form."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy import integrate
from scipy import stats as st

from forceprot.kernel import tally as T
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    UTM_38N,
    assert_covers,
    compile_data,
    scenario_data,
    square_base,
    write_layer,
)

#: Points this close to a polygon's boundary may fall on either side: the kernel's even-odd ring
#: test and GEOS differ only in how they round there [m].
BOUNDARY_TOL_M = 1e-6


def _awkward_site_lonlat() -> shapely.MultiPolygon:
    """An L-shaped base with a hole, plus a detached square, in WGS84 lon/lat.

    Non-convex, a hole and two parts: every branch of the even-odd ring test is exercised, and
    many impacts fall in edge cells of the grid.
    """
    ell = shapely.Polygon(
        [(-1500, -1500), (1500, -1500), (1500, 0), (0, 0), (0, 1500), (-1500, 1500)],
        holes=[[(-900, -900), (-300, -900), (-300, -300), (-900, -300)]])
    island = shapely.box(700, 600, 1300, 1200)
    local = shapely.affinity.translate(shapely.MultiPolygon([ell, island]), CX_M, CY_M)
    to_ll = Transformer.from_crs(UTM_38N, "EPSG:4326", always_xy=True)
    return shapely.transform(
        local, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))


@pytest.fixture(scope="module")
def awkward_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("awkward")
    write_layer(tmp / "base.geojson", _awkward_site_lonlat(), crs="EPSG:4326")
    salvos = 3_000
    data = scenario_data(
        boundary="base.geojson", tubes=8, ripple_s=0.5, min_standoff_m=1_000.0,
        max_standoff_m=3_500.0, aim_sigma_m=300.0, range_sigma_frac=0.02,
        deflection_sigma_mil=8.0, wind_mps=5.0, wind_from_deg=300.0,
        simulation={"salvos": salvos, "seed": 11, "story_salvos": salvos, "cell_m": 70.0,
                    "launch_cell_m": 400.0})
    prepared, compiled = compile_data(tmp, data)
    return prepared, compiled, simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, threads=2))


def test_every_threatening_rocket_leaks(awkward_run):
    _, _, res = awkward_run
    s = res.scalars
    assert s[T.S_THREAT] > 0
    assert s[T.S_LEAKED] == s[T.S_THREAT]
    assert s[T.S_INTERCEPTED] == 0
    assert res.leak_rate.value == 1.0
    assert res.leak_rate.hi == 1.0
    assert res.p_any_leak.value == res.p_any_inside.value
    assert np.all(res.story[:, T.R_INTERCEPTED] == 0)
    assert np.all(res.story[:, T.R_KILL_UNIT] == -1)
    # nobody is there to see the rockets: no warning at all
    assert s[T.S_UNDETECTED] == s[T.S_THREAT]
    assert s[T.S_WARN_SUM_S] == 0


def _agree_with_shapely(geometry, x, y, flags, what):
    shapely.prepare(geometry)
    ref = shapely.contains_xy(geometry, x, y)
    differ = ref != flags
    near = shapely.distance(geometry.boundary, shapely.points(x, y)) <= BOUNDARY_TOL_M
    bad = differ & ~near
    assert not bad.any(), (
        f"{what}: {bad.sum()} of {len(x)} impacts disagree with shapely.contains_xy, e.g. "
        f"({x[bad][0]:.3f}, {y[bad][0]:.3f}) kernel {flags[bad][0]}, shapely {ref[bad][0]}")
    return ref


def test_inside_flags_are_shapely_contains(awkward_run):
    prepared, compiled, res = awkward_run
    site = prepared.site
    story = res.story
    assert story.shape[0] == res.salvos * compiled.tubes  # every rocket recorded
    x, y = story[:, T.R_IMPACT_X], story[:, T.R_IMPACT_Y]
    inside = story[:, T.R_INSIDE] == 1.0
    ref = _agree_with_shapely(site.base, x, y, inside, "inside the base")
    _agree_with_shapely(site.defended_area, x, y, story[:, T.R_DEFENDED] == 1.0,
                        "inside the defended area")
    # the test means something: both outcomes are common, and many land in grid edge cells
    assert 0.2 < ref.mean() < 0.9
    g = compiled.base_grid
    cell = ((np.floor((y - g.y0) / g.cell_m) * g.nx + np.floor((x - g.x0) / g.cell_m))
            .astype(np.int64))
    on_grid = (x >= g.x0) & (y >= g.y0) & (x < g.x0 + g.nx * g.cell_m) & \
        (y < g.y0 + g.ny * g.cell_m)
    from forceprot.spatial import CELL_EDGE
    in_edge_cell = np.zeros_like(on_grid)
    in_edge_cell[on_grid] = compiled.inputs.base.state[cell[on_grid]] == CELL_EDGE
    assert in_edge_cell.sum() > 1_000
    # tallies are the story's sums (the story covers every salvo)
    assert res.scalars[T.S_THREAT] == ref.sum()
    assert res.scalars[T.S_DEFENDED] == story[:, T.R_DEFENDED].sum()


def test_cell_and_launch_tallies_match_the_story(awkward_run):
    """Impacts per base cell and salvos per launch cell, recounted from the story with numpy."""
    prepared, compiled, res = awkward_run
    story = res.story
    inside = story[:, T.R_INSIDE] == 1.0
    g = compiled.base_grid
    x, y = story[inside, T.R_IMPACT_X], story[inside, T.R_IMPACT_Y]
    cell = (np.floor((y - g.y0) / g.cell_m).astype(np.int64) * g.nx
            + np.floor((x - g.x0) / g.cell_m).astype(np.int64))
    np.testing.assert_array_equal(res.base_cells()["impacts"],
                                  np.bincount(cell, minlength=g.n_cells))
    np.testing.assert_array_equal(res.base_cells()["leakers"],
                                  np.bincount(cell, minlength=g.n_cells))
    lg = compiled.launch_grid
    first = story[story[:, T.R_TUBE] == 0]
    lx, ly = first[:, T.R_LAUNCH_X], first[:, T.R_LAUNCH_Y]
    lcell = (np.floor((ly - lg.y0) / lg.cell_m).astype(np.int64) * lg.nx
             + np.floor((lx - lg.x0) / lg.cell_m).astype(np.int64))
    np.testing.assert_array_equal(res.launch_cells()["salvos"],
                                  np.bincount(lcell, minlength=lg.n_cells))
    # every launcher stands in the launch zone, every aim point in the base
    assert shapely.contains_xy(prepared.site.launch_zone, lx, ly).all()
    assert shapely.contains_xy(prepared.site.base, first[:, T.R_AIM_X],
                               first[:, T.R_AIM_Y]).all()


def _square_inside_probability(half_m: float, sigma_m: float) -> float:
    """P(aim point uniform on a square, plus an isotropic normal error, lands in the square).

    The axes separate: p = p1^2 with p1 = (1 / 2a) int_{-a}^{a} [Phi((a - u) / s) -
    Phi((-a - u) / s)] du, integrated by scipy.integrate.quad.
    """
    a, s = half_m, sigma_m
    p1, _ = integrate.quad(lambda u: st.norm.cdf((a - u) / s) - st.norm.cdf((-a - u) / s), -a, a,
                           epsabs=1e-12)
    return (p1 / (2.0 * a)) ** 2


@pytest.mark.parametrize("sigma_m", [200.0, 600.0])
def test_threat_fraction_matches_closed_form(tmp_path, sigma_m):
    """Aim uniform over a square base, only the per-salvo laying error, no wind: every rocket of
    a salvo lands on the laid point (no-wind fire control is exact on the family), so the
    threatening fraction is the closed form above.

    Every aim point has every launcher of the 2.5-4 km band in reach (2.5 to 6.9 km of the
    107 mm's 1-8 km), so aim points stay uniform. A laid range outside the reach is clipped, but
    both the laid and the clipped point are then more than 1.5 km outside the base, so clipping
    never changes inside/outside and the closed form holds.
    """
    half = 1_000.0
    square_base(tmp_path, half)
    data = scenario_data(tubes=4, ripple_s=0.0, aim_sigma_m=sigma_m, range_sigma_frac=0.0,
                         deflection_sigma_mil=0.0,
                         min_standoff_m=2_500.0, max_standoff_m=4_000.0,
                         simulation={"salvos": 20_000, "seed": 5, "story_salvos": 500,
                                     "cell_m": 70.0})
    prepared, compiled = compile_data(tmp_path, data)
    res = simulate(compiled, RunSettings.from_scenario(prepared.scenario, threads=2))
    truth = _square_inside_probability(half, sigma_m)
    est = res.threat_fraction
    assert_covers(truth, est.value, est.n_eff, what=f"threat fraction, sigma {sigma_m} m")
    # rockets of a salvo land together here: the interval counts salvos, not rockets
    assert est.n_eff == pytest.approx(res.salvos, rel=1e-9)
    # and the independent count on the recorded rockets agrees with the kernel's flags
    story = res.story
    ref = shapely.contains_xy(prepared.site.base, story[:, T.R_IMPACT_X],
                              story[:, T.R_IMPACT_Y])
    np.testing.assert_array_equal(ref, story[:, T.R_INSIDE] == 1.0)
    # the laying error is the only spread: the rockets of a salvo land on one point
    rows = story.reshape(-1, compiled.tubes, T.N_STORY)
    spread = np.ptp(rows[:, :, T.R_IMPACT_X], axis=1) + np.ptp(rows[:, :, T.R_IMPACT_Y], axis=1)
    assert spread.max() < 1e-6
