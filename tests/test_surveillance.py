"""Surveillance before the salvo (forceprot.surveillance) against independent references:
the Poisson detection closed form, scipy's quad over the set-up time, the horizon distance
over a 4/3 earth, a closed-form ridge, shapely's length of a route in range; and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy import integrate, stats
from scipy.special import gammaincinv
from typer.testing import CliRunner

from forceprot.catalog.surveillance import LaunchTeam
from forceprot.cli import app
from forceprot.surveillance import Sensor, _sample_line, expected_found, rate_map
from tests.helpers import assert_bad_input

#: 4/3-earth refraction constant of the references (Skolnik, sec. 8.2), their own copy.
INV_2KR = 1.0 / (2.0 * (4.0 / 3.0) * 6_371_000.0)
#: Tolerance of the set-up time expectation against scipy's quad: both adaptive to ~1e-12;
#: 1e-9 leaves room for quad's own error estimate on the lognormal tail.
QUAD_TOL = 1e-9
RATES = np.array([0.0, 1e-3, 0.05, 0.3, 1.0, 7.0, 100.0, 1e4])


def _camera(x=0.0, y=0.0, *, height_m=10.0, range_m=1e6, fov_deg=360.0, heading_deg=0.0,
            rate=1.0) -> Sensor:
    return Sensor("cam", "camera", np.array([[x, y]]), np.ones(1), height_m, range_m,
                  math.radians(fov_deg), math.radians(90.0 - heading_deg), rate)


# --------------------------------------------------------------------- P(detect) over time
@pytest.mark.parametrize("approach_min,setup_min,response_min",
                         [(0.0, 10.0, 0.0), (5.0, 12.0, 0.0), (3.0, 12.0, 4.0),
                          (0.0, 10.0, 25.0)])
def test_single_fixed_sensor_is_one_minus_exp(approach_min, setup_min, response_min) -> None:
    """A fixed set-up time: P = 1 - exp(-rate x time in view before the deadline), to 1e-12."""
    team = LaunchTeam(setup="fixed", setup_median_min=setup_min,
                      approach_exposed_min=approach_min)
    got = expected_found(RATES, team, response_min)
    exposed = max(0.0, approach_min + setup_min - response_min)
    want = 1.0 - np.exp(-RATES * exposed)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def _quad_reference(rate: float, team: LaunchTeam, delay_min: float, dist) -> float:
    """E[1 - exp(-rate (A + T - delay)+)] as the survival past the kink minus
    integral exp(-rate (t - c)) pdf(t) dt, by quad, the steep start resolved by breakpoints."""
    c = delay_min - team.approach_exposed_min
    lo = max(0.0, c)
    hi = math.inf
    if team.setup == "uniform":
        lo, hi = max(lo, team.setup_low_min), team.setup_high_min
        if lo >= hi:
            return 0.0
    med = min(max(lo, float(dist.median())), hi)
    pts = [lo + 10.0 ** k for k in range(-7, 2) if lo + 10.0 ** k < med]

    def g(t):
        return math.exp(-rate * (t - c)) * dist.pdf(t)

    head = integrate.quad(g, lo, med, points=pts or None, epsabs=1e-14, limit=500)[0] \
        if med > lo else 0.0
    tail = integrate.quad(g, med, hi, epsabs=1e-14, limit=500)[0]
    return float(dist.sf(lo)) - head - tail


@pytest.mark.parametrize("setup", ["lognormal", "gamma", "uniform"])
@pytest.mark.parametrize("delay_min", [0.0, 12.0])
def test_setup_distribution_matches_quad(setup, delay_min) -> None:
    """With a set-up time distribution, and a response deadline inside it (the kink), the
    expectation matches scipy.integrate.quad of the density."""
    team = LaunchTeam(setup=setup, setup_median_min=15.0, setup_sigma_log=0.7, setup_shape=2.5,
                      setup_low_min=4.0, setup_high_min=40.0, approach_exposed_min=5.0)
    if setup == "lognormal":
        dist = stats.lognorm(s=0.7, scale=15.0)
    elif setup == "gamma":
        dist = stats.gamma(a=2.5, scale=15.0 / gammaincinv(2.5, 0.5))
    else:
        dist = stats.uniform(loc=4.0, scale=36.0)
    got = expected_found(RATES, team, delay_min)
    want = np.array([_quad_reference(r, team, delay_min, dist) for r in RATES])
    np.testing.assert_allclose(got, want, rtol=0, atol=QUAD_TOL)


def test_gamma_setup_matches_its_laplace_transform() -> None:
    """No approach, no delay: E[1 - exp(-rate T)] for T ~ Gamma(k, theta) is
    1 - (1 + rate theta)^-k, in closed form."""
    k, median = 3.0, 20.0
    theta = median / gammaincinv(k, 0.5)
    team = LaunchTeam(setup="gamma", setup_median_min=median, setup_shape=k,
                      approach_exposed_min=0.0)
    np.testing.assert_allclose(expected_found(RATES, team), 1.0 - (1.0 + RATES * theta) ** -k,
                               rtol=0, atol=1e-10)


def test_a_sensor_that_sees_at_once_detects_surely() -> None:
    """The largest rate finds any team exposed a few seconds with P = 1 exactly."""
    for setup in ("fixed", "lognormal", "gamma", "uniform"):
        team = LaunchTeam(setup=setup, approach_exposed_min=0.0)
        assert expected_found(np.array([1e4]), team)[0] == 1.0, setup


# -------------------------------------------------------------------------- what is seen
def test_open_ground_horizon_is_the_two_horizon_distances() -> None:
    """Without a DEM a team is seen out to sqrt(h / c) + sqrt(h_t / c), c = 1 / (2 k R)."""
    h, h_t = 20.0, 3.0
    horizon_m = math.sqrt(h / INV_2KR) + math.sqrt(h_t / INV_2KR)
    d = np.array([horizon_m - 5.0, horizon_m + 5.0])
    share = rate_map([_camera(height_m=h)], d, np.zeros(2), h_t)
    assert share.tolist() == [1.0, 0.0]


def test_camera_sees_its_field_of_view_and_range_only() -> None:
    """A 90 deg camera looking north (compass 0) sees north within range, nothing east."""
    cam = _camera(range_m=3_000.0, fov_deg=90.0, heading_deg=0.0, rate=0.2)
    x = np.array([0.0, 0.0, 1_000.0, 2_000.0, 0.0, 1_000.0])
    y = np.array([1_000.0, 2_900.0, 1_100.0, 1_000.0, 3_100.0, -100.0])
    # north, north near range, 42 deg east of north, 63 deg, beyond range, east-south-east
    assert rate_map([cam], x, y, 3.0).tolist() == [0.2, 0.2, 0.2, 0.0, 0.0, 0.0]


def test_patrol_share_is_the_route_in_range() -> None:
    """A patrol sees a point for the share of its route within range (shapely's length of the
    route inside the range disk), to the route's sampling step."""
    route = shapely.LineString([(0.0, 0.0), (10_000.0, 0.0)])
    pts, w = _sample_line(route, 512)
    patrol = Sensor("p", "patrol", pts, w, 2.5, 1_500.0, 2 * math.pi, 0.0, 1.0, 20.0, route)
    x = np.array([5_000.0, 500.0, 5_000.0])
    y = np.array([1_000.0, 300.0, 1_600.0])
    got = rate_map([patrol], x, y, 3.0)
    want = [route.intersection(shapely.Point(px, py).buffer(1_500.0, quad_segs=256)).length
            / route.length for px, py in zip(x, y)]
    step = 1.0 / len(w)
    np.testing.assert_allclose(got, want, rtol=0, atol=2 * step)
    assert got[2] == 0.0


def test_a_ridge_hides_the_team_behind_it(tmp_path) -> None:
    """Over a DEM, a team east of a ridge is seen exactly when its apparent elevation clears
    the ridge's (closed form, 4/3 earth): a few metres taller than that it is seen, a few
    metres shorter it is not."""
    pytest.importorskip("rasterio")
    from tests.kernel_helpers import CX_M, CY_M, UTM_38N
    from tests.test_terrain import (
        ANTENNA_M,
        BIN_DEG,
        RIDGE_TOL_M,
        dem_from_function,
        ridge,
        ridge_horizon_tan,
        terrain_of,
    )

    dem = dem_from_function(tmp_path / "ridge.tif", ridge, UTM_38N, west_m=CX_M - 1_500,
                            east_m=CX_M + 9_000, south_m=CY_M - 1_500, north_m=CY_M + 1_500)
    terrain = terrain_of(dem)
    cam = _camera(CX_M, CY_M, height_m=ANTENNA_M, range_m=20_000.0)
    ref_tan = max(ridge_horizon_tan(t) for t in np.linspace(0.0, math.radians(BIN_DEG), 41))
    checked = 0
    for d in (5_000.0, 6_500.0, 8_000.0):
        # the height at which the team's apparent elevation equals the ridge's
        h_crit = ANTENNA_M + d * d * INV_2KR + d * ref_tan
        margin = 3.0 + RIDGE_TOL_M * d / 3_000.0
        x = np.array([CX_M + d, CX_M + d])
        y = np.array([CY_M + 1.0, CY_M + 1.0])  # just north of east: azimuth bin 0
        seen_tall = rate_map([cam], x[:1], y[:1], h_crit + margin, terrain)[0]
        seen_short = rate_map([cam], x[1:], y[1:], h_crit - margin, terrain)[0]
        assert (seen_tall, seen_short) == (1.0, 0.0), (d, h_crit)
        checked += 1
    assert checked == 3


# ---------------------------------------------------------------------------- bad input
runner = CliRunner()


def _add_sensor(sites: Path, block: str) -> Path:
    path = sites / "taji_surveillance.toml"
    path.write_text(path.read_text() + "\n[[surveillance]]\n" + block + "\n")
    return path


BAD = [
    ("fov-out-of-range",
     'kind = "camera"\nname = "c"\nlon = 44.28\nlat = 33.57\nfov_deg = 400',
     ["taji_surveillance.toml", "surveillance[3].fov_deg = 400", "less than or equal to 360"]),
    ("negative-rate",
     'kind = "aerostat"\nname = "a"\nlon = 44.28\nlat = 33.53\ndetect_rate_per_min = -0.2',
     ["taji_surveillance.toml", "surveillance[3].detect_rate_per_min = -0.2",
      "greater than or equal to 0"]),
    ("missing-route-file",
     'kind = "patrol"\nname = "p"\nroute = "gone.geojson"',
     ["gone.geojson", "surveillance[3].route", "not found"]),
    ("route-of-points",
     'kind = "patrol"\nname = "p"\nroute = "pt.geojson"',
     ["pt.geojson", "surveillance[3].route", "lines or polygons", "Point"]),
    ("no-route",
     'kind = "patrol"\nname = "p"',
     ["taji_surveillance.toml", "surveillance[3]", "route"]),
    ("unknown-kind",
     'kind = "satellite"\nname = "s"',
     ["taji_surveillance.toml", "surveillance[3]", "satellite", "camera"]),
    ("duplicate-name",
     'kind = "camera"\nname = "North tower camera"\nlon = 44.28\nlat = 33.57',
     ["taji_surveillance.toml", "surveillance[3].name", "duplicate"]),
    ("sensor-far-away",
     'kind = "camera"\nname = "c"\nlon = 41.28\nlat = 33.57',
     ["taji_surveillance.toml", "surveillance[3].lon = 41.28", "km from the base"]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_surveillance_is_one_line_exit_2(sites_copy: Path, case) -> None:
    _, block, fragments = case
    (sites_copy / "pt.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": [44.2, 33.5]}}]}')
    scenario = _add_sensor(sites_copy, block)
    result = runner.invoke(app, ["validate", str(scenario)])
    assert_bad_input(result, *fragments)


def test_bad_launch_team_is_one_line_exit_2(sites_copy: Path) -> None:
    path = sites_copy / "taji_surveillance.toml"
    path.write_text(path.read_text().replace("prevent_p = 0.8", "prevent_p = 1.5"))
    result = runner.invoke(app, ["validate", str(path)])
    assert_bad_input(result, "taji_surveillance.toml", "launch_team.prevent_p = 1.5")


def test_example_validates() -> None:
    from tests.conftest import SITES

    result = runner.invoke(app, ["validate", str(SITES / "taji_surveillance.toml")])
    assert result.exit_code == 0, result.output


def test_masking_lookup_over_arrays_is_the_kernels() -> None:
    """terrain.masking_tan_many reads the same table cell as the kernel's masking_tan."""
    from forceprot.engage.sensors import masking_tan
    from forceprot.terrain import masking_tan_many

    rng = np.random.default_rng(3)
    table = rng.normal(size=(720, 40))
    dx, dy = rng.uniform(-9_000.0, 9_000.0, (2, 500))
    dx[:4] = [1.0, 0.0, -1.0, 0.0]  # on the bin edges of the axes
    dy[:4] = [0.0, 1.0, 0.0, -1.0]
    d = np.hypot(dx, dy)
    want = [masking_tan(table, 250.0, a, b, c) for a, b, c in zip(dx, dy, d)]
    np.testing.assert_array_equal(masking_tan_many(table, 250.0, dx, dy, d), want)
