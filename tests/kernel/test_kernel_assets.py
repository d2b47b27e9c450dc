"""Polygon and circle assets in the kernel: the hit test against shapely, and ``aim = "assets"``
aim points against the weights and areas they are drawn from."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import stats

from forceprot.compile import asset_bundle
from forceprot.geo import SiteAssets
from forceprot.kernel.bundles import BLOCK_SALVOS, D_AIM_X, D_AIM_Y, D_REDRAWN
from forceprot.kernel.record import assets_contain
from forceprot.kernel.sample import draw_block
from tests.kernel_helpers import CX_M, CY_M, UTM_38N, compile_data, scenario_data, square_base

#: Aim-share tests fail by chance with this probability when the random stream changes.
P_FAIL = 1e-3


def _site_assets(polygons: list, circles: list[tuple[float, float, float]]) -> SiteAssets:
    """Polygon assets then circle assets ``(x, y, radius_m)``, weight 1 each."""
    n_p, n = len(polygons), len(polygons) + len(circles)
    geoms = np.empty(n, dtype=object)
    geoms[:n_p] = polygons
    xy = [shapely.get_coordinates(p.representative_point())[0] for p in polygons] \
        + [(x, y) for x, y, _ in circles]
    return SiteAssets(names=tuple(f"a{i}" for i in range(n)), sources=("test",) * n,
                      weight=np.ones(n), radius_m=np.array([np.nan] * n_p
                                                           + [r for _, _, r in circles]),
                      xy_m=np.asarray(xy, dtype=np.float64).reshape(-1, 2), polygons=geoms)


def _star(rng, cx: float, cy: float, r_m: float, n: int) -> shapely.Polygon:
    """A concave star-shaped polygon of ``n`` random radii around (cx, cy) [m]."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.3, 1.0, n) * r_m
    return shapely.Polygon(np.column_stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))


def _shapes(seed: int) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    outer = shapely.box(0, 0, 400, 300)
    holed = outer.difference(shapely.box(50, 50, 150, 120)).difference(
        shapely.Point(300, 200).buffer(40))                      # a polygon with two holes
    parts = shapely.MultiPolygon([
        shapely.box(500, 0, 600, 100),
        shapely.box(650, 0, 800, 250).difference(shapely.box(700, 50, 750, 200)),  # holed part
        _star(rng, 900, 400, 120, 40)])
    star = _star(rng, 200, 600, 180, 60)
    # a hole touching nothing but with many vertices (a buffered ring), and a nested island:
    # an island inside a hole is a separate polygon, so a multipolygon holds it
    ring = shapely.Point(600, 700).buffer(150).difference(shapely.Point(600, 700).buffer(80))
    island = shapely.MultiPolygon([ring, shapely.Point(600, 700).buffer(30)])
    circles = [(100, 900, 60.0), (900, 900, 150.0)]
    return [holed, parts, star, island], circles


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hit_test_matches_shapely_on_random_points(seed: int) -> None:
    polygons, circles = _shapes(seed)
    assets = _site_assets(polygons, circles)
    bundle = asset_bundle(assets)
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(-50, 1100, 40_000)
    y = rng.uniform(-50, 1100, 40_000)
    got = assets_contain(bundle, x, y)
    for a, poly in enumerate(polygons):
        expected = shapely.contains_xy(poly, x, y)
        assert expected.sum() > 500, "too few points inside to test"
        # random points fall on an edge with probability 0: the answers agree exactly
        np.testing.assert_array_equal(got[a], expected, err_msg=f"polygon asset {a}")
    for k, (cx, cy, r) in enumerate(circles):
        np.testing.assert_array_equal(got[len(polygons) + k], np.hypot(x - cx, y - cy) <= r)


def test_holes_are_not_hit_and_the_bounding_box_exits_early() -> None:
    polygons, circles = _shapes(1)
    bundle = asset_bundle(_site_assets(polygons, circles))
    # centre of the square hole of the first polygon, of the ring's hole, and far outside
    x = np.array([100.0, 600.0 + 55.0, 5_000.0, 200.0])
    y = np.array([85.0, 700.0, 5_000.0, 250.0])
    got = assets_contain(bundle, x, y)
    assert not got[0, 0], "a rocket in a hole hit the asset"
    assert not got[3, 1], "a rocket in the ring's hole hit the asset"
    assert not got[:, 2].any()
    assert got[0, 3]
    # the layout: every ring of an asset is in its slice, circles have none
    assert np.array_equal(np.diff(bundle.poly_offsets), [3, 4, 1, 3, 0, 0])
    assert np.all(bundle.r2_m2[:4] == 0.0)
    assert np.allclose(bundle.bbox_m[0], [0, 0, 400, 300])


@pytest.fixture(scope="module")
def aimed(tmp_path_factory):
    """A square base with polygon assets (a GeoJSON in WGS84) and one point asset, aimed at."""
    tmp = tmp_path_factory.mktemp("aim_assets")
    square_base(tmp, 1_200.0)
    holed = shapely.box(CX_M - 900, CY_M - 900, CX_M - 300, CY_M - 500).difference(
        shapely.box(CX_M - 700, CY_M - 800, CX_M - 500, CY_M - 600))
    multi = shapely.MultiPolygon([shapely.box(CX_M + 200, CY_M + 200, CX_M + 300, CY_M + 500),
                                  shapely.box(CX_M + 500, CY_M - 900, CX_M + 900, CY_M - 700)])
    frame = gpd.GeoDataFrame({"label": ["holed", "split"], "w": [2.0, 1.0]},
                             geometry=[holed, multi], crs=UTM_38N).to_crs(4326)
    frame.to_file(tmp / "assets.geojson", driver="GeoJSON")
    data = scenario_data(
        aim="assets", min_standoff_m=1_000.0, max_standoff_m=3_000.0,
        asset=[{"name": "hq", "x": CX_M, "y": CY_M + 800, "weight": 1.0}],
        simulation={"salvos": 4 * BLOCK_SALVOS, "seed": 5})
    data["assets"] = {"file": "assets.geojson", "name_field": "label", "weight_field": "w"}
    return compile_data(tmp, data)


def test_aim_points_land_in_assets_by_weight_then_area(aimed) -> None:
    prepared, compiled = aimed
    assets = prepared.site.assets
    assert assets.names == ("hq", "holed", "split")
    n_blocks = 4
    draws = np.concatenate([draw_block(77, b, BLOCK_SALVOS, 0, compiled.inputs)[0]
                            for b in range(n_blocks)])
    # an aim point with no launcher in range is redrawn, which would tilt the shares
    assert draws[:, D_REDRAWN].sum() == 0
    x, y = draws[:, D_AIM_X], draws[:, D_AIM_Y]
    at_point = (x == assets.xy_m[0, 0]) & (y == assets.xy_m[0, 1])
    in_poly = [shapely.contains_xy(assets.polygons[a], x, y) for a in (1, 2)]
    # every aim point is in exactly one asset (holes excepted)
    np.testing.assert_array_equal(at_point.astype(int) + in_poly[0] + in_poly[1], 1)
    counts = np.array([at_point.sum(), in_poly[0].sum(), in_poly[1].sum()])
    # assets picked in proportion to weight (1 : 2 : 1), whatever their area
    expected = len(x) * assets.weight / assets.weight.sum()
    assert stats.chisquare(counts, expected).pvalue > P_FAIL, (counts, expected)
    # inside a polygon asset, uniform over its area: the parts of the multipolygon, and the
    # four quadrants of the holed one, get shares proportional to their areas
    for a, cells in ((1, _quadrants(assets.polygons[1])), (2, list(assets.polygons[2].geoms))):
        inside = in_poly[a - 1]
        k = np.array([shapely.contains_xy(c, x[inside], y[inside]).sum() for c in cells])
        area = np.array([c.area for c in cells])
        assert k.sum() == inside.sum()
        assert stats.chisquare(k, k.sum() * area / area.sum()).pvalue > P_FAIL, (a, k, area)


def _quadrants(poly) -> list:
    minx, miny, maxx, maxy = poly.bounds
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    boxes = [shapely.box(minx, miny, mx, my), shapely.box(mx, miny, maxx, my),
             shapely.box(minx, my, mx, maxy), shapely.box(mx, my, maxx, maxy)]
    return [poly.intersection(b) for b in boxes]


def test_polygon_asset_tallies_are_identical_on_one_and_two_threads() -> None:
    from forceprot.compile import compile_scenario, prepare_scenario
    from forceprot.settings import RunSettings
    from forceprot.simulate import simulate
    from tests.conftest import SITES

    prepared = prepare_scenario(SITES / "fob.toml")
    compiled = compile_scenario(prepared)
    assert prepared.site.assets.is_polygon.sum() == 3
    runs = [simulate(compiled, RunSettings.from_scenario(prepared.scenario,
                                                         salvos=3 * BLOCK_SALVOS, threads=t))
            for t in (1, 2)]
    assert runs[0].assets.sum() > 0
    np.testing.assert_array_equal(runs[0].assets, runs[1].assets)
    np.testing.assert_array_equal(runs[0].scalars, runs[1].scalars)
