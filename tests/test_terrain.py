"""Terrain and building masking against independent references: a closed-form ridge, a
brute-force line of sight over the same DEM, the geometric delay a ridge puts on first
detection, a building's face, and flat ground that must change nothing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from scipy.interpolate import RegularGridInterpolator
from scipy.optimize import brentq

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import Affine  # noqa: E402

from forceprot.engage import params as P  # noqa: E402
from forceprot.engage.sensors import masking_tan  # noqa: E402
from forceprot.engage.state import Flights, Units, open_horizon  # noqa: E402
from forceprot.engage.units import unit_detection_s  # noqa: E402
from forceprot.terrain import Terrain, horizon_summary, load_terrain, unit_horizon  # noqa: E402
from tests.kernel_helpers import CX_M, CY_M, UTM_38N, square  # noqa: E402

#: Mean earth radius [m] (IUGG) and the standard-atmosphere effective-radius factor (Skolnik,
#: Introduction to Radar Systems, sec. 8.2): the references' own constants.
R_EARTH_M = 6_371_000.0
K_EFF = 4.0 / 3.0
INV_2KR = 1.0 / (2.0 * K_EFF * R_EARTH_M)
LOCAL = CRS.from_user_input(UTM_38N)
#: The site's ground altitude [m] in these tests; DEM heights are above mean sea level.
ALT_M = 40.0
CELL_M = 30.0
BIN_DEG = 0.5


def from_origin(west, north, xsize, ysize):
    """North-up pixel-to-CRS transform (as rasterio's ``from_origin``, without its warning)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_dem(path: Path, heights_north_up: np.ndarray, transform, crs: str) -> Path:
    """A one-band float32 GeoTIFF; row 0 is the northernmost."""
    rows, cols = heights_north_up.shape
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=-9999.0) as dst:
        dst.write(heights_north_up.astype(np.float32), 1)
    return path


def dem_from_function(path: Path, h_of_xy, crs: str, *, west_m: float, east_m: float,
                      south_m: float, north_m: float, cell_m: float = CELL_M) -> Path:
    """A DEM of ``h_of_xy(x_utm, y_utm)`` [m above sea level] over a UTM 38N box, in ``crs``
    (cells of ``cell_m`` metres, or the same in arc-seconds for a geographic CRS)."""
    if CRS.from_user_input(crs).is_geographic:
        to_ll = Transformer.from_crs(LOCAL, crs, always_xy=True)
        lon0, lat0, lon1, lat1 = to_ll.transform_bounds(west_m, south_m, east_m, north_m)
        step_deg = cell_m / 111_000.0  # about cell_m along a meridian
        cols = int(math.ceil((lon1 - lon0) / step_deg))
        rows = int(math.ceil((lat1 - lat0) / step_deg))
        lon = lon0 + (np.arange(cols) + 0.5) * step_deg
        lat = lat1 - (np.arange(rows) + 0.5) * step_deg
        glon, glat = np.meshgrid(lon, lat)
        x, y = Transformer.from_crs(crs, LOCAL, always_xy=True).transform(glon, glat)
        return write_dem(path, h_of_xy(np.asarray(x), np.asarray(y)),
                         from_origin(lon0, lat1, step_deg, step_deg), crs)
    cols = int(math.ceil((east_m - west_m) / cell_m))
    rows = int(math.ceil((north_m - south_m) / cell_m))
    x = west_m + (np.arange(cols) + 0.5) * cell_m
    y = north_m - (np.arange(rows) + 0.5) * cell_m
    gx, gy = np.meshgrid(x, y)
    return write_dem(path, h_of_xy(gx, gy), from_origin(west_m, north_m, cell_m, cell_m), crs)


def terrain_of(path: Path, **kw) -> Terrain:
    return load_terrain(path, dem_label=path.name, dem_value=path.name, local=LOCAL,
                        ground_altitude_m=ALT_M, base=square(1_000.0), **kw)


# ------------------------------------------------------------------------- a straight ridge
RIDGE_H_M, RIDGE_D_M, RIDGE_SIGMA_M = 150.0, 3_000.0, 300.0
ANTENNA_M = 5.0


def ridge(x, y, base_m: float = ALT_M):
    """A north-south Gaussian ridge ``RIDGE_D_M`` east of the unit at (CX_M, CY_M)."""
    return base_m + RIDGE_H_M * np.exp(-0.5 * ((x - CX_M - RIDGE_D_M) / RIDGE_SIGMA_M) ** 2)


def ridge_horizon_tan(theta_rad: float, antenna_m: float = ANTENNA_M) -> float:
    """Closed-form reference: the highest apparent elevation tangent of the ridge along the ray
    at ``theta_rad`` from east, on a 0.25 m grid of distances around the crest."""
    c = math.cos(theta_rad)
    r = np.arange((RIDGE_D_M - 5 * RIDGE_SIGMA_M) / c, (RIDGE_D_M + 5 * RIDGE_SIGMA_M) / c, 0.25)
    h = RIDGE_H_M * np.exp(-0.5 * ((r * c - RIDGE_D_M) / RIDGE_SIGMA_M) ** 2)
    return float(np.max((h - r * r * INV_2KR - antenna_m) / r))


#: Tolerance on a masking height [m]: bilinear resampling of a Gaussian of curvature
#: H / sigma^2 between 30 m cells misses at most cell^2 / 8 * H / sigma^2 = 0.19 m, applied
#: twice for a geographic DEM (its cells, then the local grid), plus the crest missed between
#: samples along a ray (half a cell: 0.09 m) and the ray's offset inside its bin.
RIDGE_TOL_M = 0.6


@pytest.mark.parametrize("crs", [UTM_38N, "EPSG:4326"])
def test_ridge_horizon_matches_closed_form(tmp_path, crs):
    """Within +-40 deg of east, each bin's whole horizon is the ridge's highest apparent angle
    over the bin (earth curvature and 4/3-earth refraction included), in a projected and in a
    geographic DEM."""
    dem = dem_from_function(tmp_path / "ridge.tif", ridge, crs, west_m=CX_M - 1_500,
                            east_m=CX_M + 6_000, south_m=CY_M - 4_000, north_m=CY_M + 4_000)
    terrain = terrain_of(dem)
    ground_z, mask, step_m = unit_horizon(terrain, CX_M, CY_M, ANTENNA_M, 10_000.0)
    assert ground_z == pytest.approx(0.0, abs=1e-3)
    assert mask.shape[0] == 720 and step_m >= terrain.cell_m
    bin_rad = math.radians(BIN_DEG)
    checked = 0
    for b in list(range(0, 80)) + list(range(640, 720)):
        lo, hi = b * bin_rad, (b + 1) * bin_rad
        thetas = np.linspace(lo, hi, 41)
        thetas = np.where(thetas > math.pi, thetas - 2 * math.pi, thetas)
        ref = max(ridge_horizon_tan(t) for t in thetas)
        crest_m = RIDGE_D_M / math.cos(min(abs(lo if lo < math.pi else lo - 2 * math.pi),
                                           abs(hi if hi < math.pi else hi - 2 * math.pi)))
        got = mask[b, -1]
        assert abs(got - ref) <= RIDGE_TOL_M / crest_m, (
            f"bin {b}: masking {math.degrees(math.atan(got)):.4f} deg, closed form "
            f"{math.degrees(math.atan(ref)):.4f} deg (tolerance {RIDGE_TOL_M} m at {crest_m:.0f} m)")
        # nearer than the ridge's foot nothing masks above the flat ground's own dip
        j = int((RIDGE_D_M - 4 * RIDGE_SIGMA_M) / step_m)
        assert mask[b, j] < 0.0
        checked += 1
    assert checked == 160
    # west of the unit the ground is flat: the masking angle is the earth's dip, below 0
    assert np.all(mask[300:420, -1] < 0.0)


# ------------------------------------------------------------ brute-force line of sight
def hills(x, y):
    """Seeded Gaussian hills around (CX_M, CY_M), 30-120 m high, 150-400 m wide."""
    rng = np.random.default_rng(13)
    h = np.full(np.shape(x), ALT_M)
    for _ in range(40):
        hx, hy = CX_M + rng.uniform(-5_500, 5_500), CY_M + rng.uniform(-5_500, 5_500)
        if math.hypot(hx - CX_M, hy - CY_M) < 400:
            continue
        s = rng.uniform(150, 400)
        h = h + rng.uniform(30, 120) * np.exp(-0.5 * ((x - hx) ** 2 + (y - hy) ** 2) / s ** 2)
    return h


def test_masking_agrees_with_brute_force_line_of_sight(tmp_path):
    """Targets near the horizon, in every direction: the kernel's masking decision (azimuth bin
    and distance column of the unit's table) agrees with a line of sight traced along the exact
    ray, 2 m steps, heights from scipy over the DEM's own cells; where they differ, the
    difference is the table's stated resolution (the highest terrain across the azimuth bin,
    or terrain in the last distance column before the target)."""
    west, east, south, north = CX_M - 6_000, CX_M + 6_000, CY_M - 6_000, CY_M + 6_000
    dem_path = dem_from_function(tmp_path / "hills.tif", hills, UTM_38N, west_m=west,
                                 east_m=east, south_m=south, north_m=north)
    with rasterio.open(dem_path) as src:
        grid = src.read(1).astype(np.float64)[::-1] - ALT_M  # row 0 south
    xs = west + (np.arange(grid.shape[1]) + 0.5) * CELL_M
    ys = south + (np.arange(grid.shape[0]) + 0.5) * CELL_M
    surface = RegularGridInterpolator((ys, xs), grid, bounds_error=False, fill_value=np.nan)
    terrain = terrain_of(dem_path)
    ground_z, mask, step_m = unit_horizon(terrain, CX_M, CY_M, ANTENNA_M, 8_000.0)
    antenna = ground_z + ANTENNA_M

    def horizon(az, d_max):
        """Brute force: highest apparent tangent of the terrain along the ray up to d_max."""
        r = np.arange(2.0, d_max, 2.0)
        h = surface(np.column_stack([CY_M + r * math.sin(az), CX_M + r * math.cos(az)]))
        return float(np.nanmax((h - r * r * INV_2KR - antenna) / r))

    rng = np.random.default_rng(5)
    n, agree, explained = 300, 0, 0
    bin_rad = math.radians(BIN_DEG)
    for _ in range(n):
        az = rng.uniform(0, 2 * math.pi)
        d = rng.uniform(600.0, 5_000.0)
        exact = horizon(az, d)
        target = exact + rng.uniform(-0.01, 0.01)  # near the horizon: a sharp test
        dx, dy = d * math.cos(az), d * math.sin(az)
        table = masking_tan(mask, step_m, dx, dy, d)
        if (target >= table) == (target >= exact):
            agree += 1
            continue
        b = int(az / bin_rad)
        across = max(horizon(a, d) for a in np.linspace(b * bin_rad, (b + 1) * bin_rad, 9))
        before = horizon(az, int(d / step_m) * step_m) if d >= step_m else -np.inf
        tol = 1.0 / d  # 1 m at the target's distance: bilinear and sampling differences
        # masked by the table only: terrain across the bin is higher than on this ray
        by_bin = target < table <= across + tol
        # seen by the table only: the blocking terrain lies in the last column before it
        by_column = table <= target and before <= target + tol
        assert by_bin or by_column, (
            f"az {math.degrees(az):.2f} deg, {d:.0f} m: target tan {target:.5f}, table "
            f"{table:.5f}, exact ray {exact:.5f}, across the bin {across:.5f}, "
            f"before the column {before:.5f}")
        explained += 1
    assert agree >= 0.9 * n, f"only {agree} of {n} agree ({explained} within resolution)"


# --------------------------------------------------------------- the ridge delays detection
V0_MPS, ELEV_RAD, G_MPS2 = 300.0, math.radians(30.0), 9.80665
LAUNCH_X_M = CX_M + 8_000.0
PAD_M = 10.0  # the DEM's plain stands this much above the site's ground altitude


def _rocket(t):
    """A vacuum parabola flying west along the x axis towards the unit [m]."""
    x = LAUNCH_X_M - V0_MPS * math.cos(ELEV_RAD) * t
    z = V0_MPS * math.sin(ELEV_RAD) * t - 0.5 * G_MPS2 * t * t
    return x, z


def _first_seen_s(tan_floor, antenna_m, tof_s):
    def f(t):
        x, z = _rocket(t)
        d = x - CX_M
        return (z - d * d * INV_2KR - antenna_m) / d - tan_floor
    return brentq(f, 1e-6, 0.5 * tof_s, xtol=1e-9)


def test_a_ridge_delays_first_detection_by_the_geometric_amount(tmp_path):
    """A ridge between the launcher and the sensor: the rocket is first seen when its apparent
    elevation (4/3 earth) clears the ridge's, solved on the parabola; without the DEM, when it
    clears the beam floor. The unit stands on a plain PAD_M above the site's altitude, which
    raises its antenna."""
    dem = dem_from_function(tmp_path / "ridge.tif", lambda x, y: ridge(x, y, ALT_M + PAD_M),
                            UTM_38N, west_m=CX_M - 1_500, east_m=CX_M + 6_000,
                            south_m=CY_M - 3_000, north_m=CY_M + 3_000)
    terrain = terrain_of(dem)
    tof_s = 2 * V0_MPS * math.sin(ELEV_RAD) / G_MPS2
    n_nodes = 2_001
    tau = np.linspace(0.0, 1.0, n_nodes)
    xz = np.array([_rocket(t) for t in tau * tof_s])
    pos = np.column_stack([xz[:, 0], np.full(n_nodes, CY_M), xz[:, 1]])[None]
    flights = Flights(np.ascontiguousarray(pos), np.zeros(1), np.array([tof_s]), tau)
    par = np.zeros((1, P.N_PAR))
    par[0, P.P_SENSOR_RANGE_M], par[0, P.P_SENSOR_HEIGHT_M] = 20_000.0, ANTENNA_M
    xy = np.array([[CX_M, CY_M]])
    from forceprot.terrain import unit_horizons

    masked = Units(np.zeros(1, np.int64), xy, par, False, unit_horizons(terrain, xy, par))
    assert masked.horizon.ground_z_m[0] == pytest.approx(PAD_M, abs=1e-3)
    t_ridge = unit_detection_s(masked, 0, flights, 0)
    t_open = unit_detection_s(masked._replace(horizon=open_horizon(1)), 0, flights, 0)

    antenna = PAD_M + ANTENNA_M
    # the ridge rises RIDGE_H_M above the plain, which is PAD_M above the datum
    ridge_tan = ridge_horizon_tan(0.0, antenna_m=antenna - PAD_M)
    expected = _first_seen_s(ridge_tan, antenna, tof_s)
    # tolerances: one node interval (linear crossing between nodes), plus the masking height
    # tolerance of the closed-form test turned into time on the parabola
    node_s = tof_s / (n_nodes - 1)
    tan_tol = RIDGE_TOL_M / RIDGE_D_M
    spread = abs(_first_seen_s(ridge_tan + tan_tol, antenna, tof_s)
                 - _first_seen_s(ridge_tan - tan_tol, antenna, tof_s)) / 2
    assert t_ridge == pytest.approx(expected, abs=node_s + spread), (
        f"seen at {t_ridge:.4f} s, ridge clears at {expected:.4f} s (tol {node_s + spread:.4f} s)")
    # without terrain: the 0-degree beam floor from an antenna ANTENNA_M above the datum
    assert t_open == pytest.approx(_first_seen_s(0.0, ANTENNA_M, tof_s), abs=node_s)
    assert t_ridge - t_open > 1.0  # the ridge matters here: a delay of seconds


# ------------------------------------------------------------------------------ buildings
def test_a_building_masks_from_its_near_face(tmp_path):
    """Flat ground, one 40 m block 470-530 m east of the unit: looking east the masking angle
    is that of the block's near face, found between one and a half 5 m cells nearer (buildings
    are burnt into every cell they touch, heights are bilinear between cell centres) and one
    cell farther (rays are sampled every cell); elsewhere it is the flat earth's dip."""
    cell = 5.0
    dem = dem_from_function(tmp_path / "flat.tif", lambda x, y: np.full(np.shape(x), ALT_M),
                            UTM_38N, west_m=CX_M - 1_000, east_m=CX_M + 1_000,
                            south_m=CY_M - 1_000, north_m=CY_M + 1_000, cell_m=cell)
    import geopandas as gpd

    block = shapely.box(CX_M + 470, CY_M - 30, CX_M + 530, CY_M + 30)
    gpd.GeoDataFrame({"height_m": [40.0]}, geometry=[block], crs=UTM_38N).to_file(
        tmp_path / "buildings.gpkg", layer="buildings", driver="GPKG")
    terrain = terrain_of(dem, buildings_path=tmp_path / "buildings.gpkg",
                         buildings_label="buildings.gpkg")
    assert terrain.n_buildings == 1
    _, mask, _ = unit_horizon(terrain, CX_M, CY_M, ANTENNA_M, 10_000.0)
    face_lo = (40.0 - ANTENNA_M - 475.0 ** 2 * INV_2KR) / (470.0 + cell)
    face_hi = (40.0 - ANTENNA_M) / (470.0 - 1.5 * cell)
    for b in (0, 1, 718, 719):  # within +-1 deg of east, the block's face
        assert face_lo <= mask[b, -1] <= face_hi, (b, mask[b, -1], face_lo, face_hi)
    assert np.all(mask[100:620, -1] < 0.0)  # away from the block: the flat earth's dip
    summary = horizon_summary(
        open_horizon(1)._replace(mask_tan=mask[None], ground_z_m=np.zeros(1)), np.zeros(1))[0]
    assert summary["max_mask_deg"] == pytest.approx(math.degrees(math.atan(mask[:, -1].max())))
    assert 0.0 < summary["masked_share"] < 0.05


# ------------------------------------------------------------- scenarios: flat ground, bad input
def _flat_taji_dem(path: Path, height_m: float = 40.0, *, west=44.20, east=44.36, south=33.46,
                   north=33.60, crs="EPSG:4326") -> Path:
    """A flat DEM over Camp Taji (the bundled site's ground altitude is 40 m)."""
    step = 0.001
    cols, rows = int(round((east - west) / step)), int(round((north - south) / step))
    return write_dem(path, np.full((rows, cols), height_m), from_origin(west, north, step, step),
                     crs)


def test_flat_dem_at_the_site_altitude_changes_nothing(tmp_path):
    """A flat DEM at the site's altitude puts every unit on the datum and masks nothing above
    a 0 deg beam floor: the run is identical, tally for tally, to the run without a DEM."""
    from forceprot.compile import compile_scenario, prepare
    from forceprot.scenario import parse_scenario
    from forceprot.settings import RunSettings
    from forceprot.simulate import simulate
    from tests.kernel_helpers import scenario_data, square_base

    square_base(tmp_path)
    dem_from_function(tmp_path / "flat.tif", lambda x, y: np.zeros(np.shape(x)), UTM_38N,
                      west_m=CX_M - 9_000, east_m=CX_M + 9_000, south_m=CY_M - 9_000,
                      north_m=CY_M + 9_000, cell_m=60.0)
    data = scenario_data(defence=[
        {"kind": "cram", "name": "gun", "x": CX_M + 300, "y": CY_M},
        {"kind": "patriot", "name": "battery", "x": CX_M - 400, "y": CY_M + 200}])
    runs, prepared = [], []
    for dem in (None, "flat.tif"):
        if dem:
            data["site"]["dem"] = dem
        scenario = parse_scenario(data, source="flat.toml", path=tmp_path / "flat.toml")
        prepared.append(prepare(scenario))
        compiled = compile_scenario(prepared[-1])
        runs.append(simulate(compiled, RunSettings.from_scenario(scenario, salvos=1_024,
                                                                  threads=1)))
    horizon = runs[1].compiled.inputs.units.horizon
    assert horizon.mask_tan.shape[1:] != (1, 1) and np.isfinite(horizon.mask_tan).any()
    assert np.all(horizon.mask_tan < 0.0)  # the flat earth's dip, under the 0 deg floor
    assert runs[0].undetected_fraction < 1.0
    for name in ("scalars", "units", "grid", "launch", "assets", "warn_hist"):
        np.testing.assert_array_equal(getattr(runs[0], name), getattr(runs[1], name),
                                      err_msg=name)
    assert runs[1].summary(prepared[1])["terrain"]["units"][0]["masked_share"] == 0.0
    assert "terrain" not in runs[0].summary(prepared[0])
    from forceprot.outputs.report import run_report_markdown

    assert "## Terrain masking" in run_report_markdown(runs[1], prepared[1], map_name=None)
    assert "Terrain masking" not in run_report_markdown(runs[0], prepared[0], map_name=None)
    from forceprot.outputs.layers import defences_layer

    with_dem, without = (defences_layer(runs[1], prepared[1]),
                         defences_layer(runs[0], prepared[0]))
    assert with_dem["max_mask_deg"].notna().all() and (with_dem["ground_above_site_m"] == 0).all()
    assert without["max_mask_deg"].isna().all()


def _with_site_keys(sites: Path, keys: str) -> Path:
    from tests.conftest import edit_toml

    return edit_toml(sites / "taji.toml", "defended_margin_m = 200",
                     "defended_margin_m = 200\n" + keys)


def _buildings(sites: Path, name: str, field: str, value, block=None) -> None:
    import geopandas as gpd

    block = shapely.box(44.270, 33.520, 44.271, 33.521) if block is None else block
    gpd.GeoDataFrame({field: [value]}, geometry=[block], crs="EPSG:4326").to_file(
        sites / name, driver="GeoJSON")


BAD_TERRAIN = [
    ("missing-dem", lambda s: _with_site_keys(s, 'dem = "gone.tif"'),
     ["gone.tif", "site.dem", "file not found"]),
    ("not-a-geotiff", lambda s: _with_site_keys(s, 'dem = "taji.geojson"'),
     ["taji.geojson", "site.dem", "not a GeoTIFF"]),
    ("dem-misses-units",
     lambda s: (_flat_taji_dem(s / "small.tif", west=44.20, east=44.25),
                _with_site_keys(s, 'dem = "small.tif"'))[1],
     ["small.tif", "site.dem", "outside the DEM"]),
    ("dem-no-crs",
     lambda s: (_flat_taji_dem(s / "nocrs.tif", crs=None), _with_site_keys(s, 'dem = "nocrs.tif"'))[1],
     ["nocrs.tif", "site.dem", "no CRS"]),
    ("dem-in-feet-or-wrong",
     lambda s: (_flat_taji_dem(s / "high.tif", 12_000.0), _with_site_keys(s, 'dem = "high.tif"'))[1],
     ["high.tif", "site.dem", "12000"]),
    ("buildings-without-dem", lambda s: _with_site_keys(s, 'buildings = "b.geojson"'),
     ["site.buildings", "need site.dem"]),
    ("no-height-field",
     lambda s: (_flat_taji_dem(s / "dem.tif"), _buildings(s, "b.geojson", "levels", 3),
                _with_site_keys(s, 'dem = "dem.tif"\nbuildings = "b.geojson"'))[2],
     ["b.geojson", "site.buildings_height_field", "height_m", "levels"]),
    ("unit-inside-a-building",
     lambda s: (_flat_taji_dem(s / "dem.tif"),
                _buildings(s, "b.geojson", "height_m", 12.0,
                           shapely.box(44.2725, 33.5297, 44.2731, 33.5302)),
                _with_site_keys(s, 'dem = "dem.tif"\nbuildings = "b.geojson"'))[2],
     ["b.geojson", "site.buildings", "Patriot battery", "inside a building"]),
    ("negative-height",
     lambda s: (_flat_taji_dem(s / "dem.tif"), _buildings(s, "b.geojson", "h", -5.0),
                _with_site_keys(s, 'dem = "dem.tif"\nbuildings = "b.geojson"\n'
                                   'buildings_height_field = "h"'))[2],
     ["b.geojson", "site.buildings_height_field", "-5", "0..1000"]),
]


@pytest.mark.parametrize("edit,fragments", [c[1:] for c in BAD_TERRAIN],
                         ids=[c[0] for c in BAD_TERRAIN])
def test_bad_terrain_input_is_one_line_exit_2(sites_copy, edit, fragments):
    from typer.testing import CliRunner

    from forceprot.cli import app
    from tests.helpers import assert_bad_input

    path = edit(sites_copy)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert_bad_input(result, *fragments)


def test_validate_shows_the_dem_and_each_units_masking(sites_copy):
    """A DEM with a 60 m hill 1.5 km west of the Patriot battery: validate names the file and
    its cells, and the battery's maximum masking angle is the hill's (closed form, 4/3 earth)."""
    from typer.testing import CliRunner

    from forceprot.cli import app

    to_utm = Transformer.from_crs("EPSG:4326", UTM_38N, always_xy=True)
    bx, by = to_utm.transform(44.27278, 33.52996)  # the battery

    def hill(x, y):
        return 40.0 + 60.0 * np.exp(-0.5 * ((x - bx + 1_500.0) ** 2 + (y - by) ** 2) / 200.0 ** 2)

    dem_from_function(sites_copy / "hill.tif", hill, UTM_38N, west_m=bx - 6_000,
                      east_m=bx + 6_000, south_m=by - 6_000, north_m=by + 6_000)
    path = _with_site_keys(sites_copy, 'dem = "hill.tif"')
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "hill.tif" in result.output and "Terrain masking" in result.output
    from forceprot.compile import prepare_scenario, terrain_description

    described = terrain_description(prepare_scenario(path))
    battery = next(u for u in described["units"] if u["name"] == "Patriot battery")
    r = np.arange(1_000.0, 2_000.0, 0.25)  # along the ray through the hill's top
    expected = math.degrees(math.atan(np.max((60.0 * np.exp(-0.5 * ((r - 1_500.0) / 200.0) ** 2)
                                              - r * r * INV_2KR - 4.0) / r)))
    assert battery["max_mask_deg"] == pytest.approx(expected, abs=math.degrees(RIDGE_TOL_M / 1_500))
    assert f"{battery['max_mask_deg']:.2f}°" in result.output


def test_optimizer_layouts_get_their_own_horizons(tmp_path):
    """Units the optimizer places on candidate sites get the masking table of their site and
    kind over the scenario's terrain; the fixed units keep theirs."""
    from forceprot.engage.params import P_SENSOR_HEIGHT_M, P_SENSOR_RANGE_M
    from forceprot.studies.optimize.layouts import Placement, layout_units
    from tests.kernel_helpers import compile_data, scenario_data, square_base

    square_base(tmp_path)
    dem_from_function(tmp_path / "ridge.tif", ridge, UTM_38N, west_m=CX_M - 3_000,
                      east_m=CX_M + 6_000, south_m=CY_M - 4_000, north_m=CY_M + 4_000, cell_m=60.0)
    data = scenario_data(defence=[{"kind": "cram", "name": "gun", "x": CX_M, "y": CY_M}])
    data["site"].update(dem="ridge.tif", ground_altitude_m=ALT_M)
    base_prepared, base = compile_data(tmp_path, data)
    candidates = np.array([[CX_M - 500.0, CY_M], [CX_M + 2_000.0, CY_M + 300.0]])
    units = layout_units(base, base_prepared, candidates,
                         (Placement("patriot", 1), Placement("cram", 0)))
    assert units.horizon.mask_tan.shape[0] == 3
    own = base.inputs.units.horizon.mask_tan[0]
    # a table padded to the widest with its last column reads the same (the kernel clamps the
    # distance column to the last)
    np.testing.assert_array_equal(units.horizon.mask_tan[0, :, :own.shape[1]], own)
    assert np.all(units.horizon.mask_tan[0, :, own.shape[1]:] == own[:, -1:])
    terrain = base_prepared.site.terrain
    for u, (x, y) in ((1, candidates[1]), (2, candidates[0])):
        par = units.par[u]
        g, mask, step = unit_horizon(terrain, x, y, par[P_SENSOR_HEIGHT_M], par[P_SENSOR_RANGE_M])
        assert units.horizon.ground_z_m[u] == g and units.horizon.step_m[u] == step
        np.testing.assert_array_equal(units.horizon.mask_tan[u, :, :mask.shape[1]], mask)
    # the patriot 1 km before the crest sees it higher than the gun 3 km away does
    assert units.horizon.mask_tan[1, 0, -1] > units.horizon.mask_tan[0, 0, -1]


def test_a_dem_without_rasterio_asks_for_the_extra(sites_copy, monkeypatch):
    """Without rasterio installed, a scenario naming a DEM says which extra to install."""
    import sys

    from typer.testing import CliRunner

    from forceprot.cli import app
    from tests.helpers import assert_bad_input

    _flat_taji_dem(sites_copy / "dem.tif")
    path = _with_site_keys(sites_copy, 'dem = "dem.tif"')
    monkeypatch.setitem(sys.modules, "rasterio", None)  # import rasterio now raises ImportError
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert_bad_input(result, "site.dem", "forceprot[terrain]")


def test_candidate_sites_stand_on_the_dem_and_off_buildings(tmp_path):
    """The optimizer's grid keeps only sites on the DEM's data and outside buildings."""
    import geopandas as gpd

    from forceprot.studies.optimize.candidates import grid_candidates
    from tests.kernel_helpers import compile_data, scenario_data, square_base

    square_base(tmp_path)
    # the DEM covers the west half of the base only
    dem_from_function(tmp_path / "half.tif", lambda x, y: np.full(np.shape(x), ALT_M), UTM_38N,
                      west_m=CX_M - 2_000, east_m=CX_M, south_m=CY_M - 2_000,
                      north_m=CY_M + 2_000, cell_m=20.0)
    block = shapely.box(CX_M - 800, CY_M - 800, CX_M - 400, CY_M - 400)
    gpd.GeoDataFrame({"height_m": [10.0]}, geometry=[block], crs=UTM_38N).to_file(
        tmp_path / "b.gpkg", layer="b", driver="GPKG")
    data = scenario_data(defence=[{"kind": "cram", "name": "gun", "x": CX_M - 200, "y": CY_M}])
    data["site"].update(dem="half.tif", buildings="b.gpkg", ground_altitude_m=ALT_M)
    site = compile_data(tmp_path, data)[0].site
    cand = grid_candidates(site, grid_m=100.0)
    x, y = cand.xy_m[:, 0], cand.xy_m[:, 1]
    assert len(x) > 0 and np.all(x < CX_M - 10.0)  # on the DEM's cell centres
    assert not shapely.contains_xy(block, x, y).any()
