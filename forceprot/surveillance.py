"""Before the salvo: where the surveillance can find the launch team, compiled to a raster.

A launch team is exposed for ``E = A + T`` minutes before it fires: ``A`` approaching
(``launch_team.approach_exposed_min``, counted as if at its launch point) and ``T`` setting up,
drawn from ``launch_team.setup``. Each sensor ``s`` that can see the launch point ``x`` finds it
as a Poisson process of rate ``lambda_s`` (``detect_rate_per_min``), so the team at ``x`` is
found at rate

    Lambda(x) = sum_s lambda_s * v_s(x),

``v_s(x)`` being the share of time sensor ``s`` sees ``x``: 0 or 1 for a fixed camera or an
aerostat; for a patrol or a drone the share of its route (constant speed) from which ``x`` is in
view. A sensor sees ``x`` when ``x`` is within its range (ground range; slant range for a drone),
inside its field of view (cameras), and above its horizon: over a curved earth with standard
refraction (4/3 earth radius, :data:`forceprot.engage.sensors.INV_2KR`), and with ``site.dem``
over the terrain and buildings too (the masking tables of :func:`forceprot.terrain.unit_horizon`,
the same the defence sensors use). The team is ``launch_team.target_height_m`` tall.

Per cell centre ``x`` of a regular grid over the launch zone:

- ``p_detect(x) = E_T[1 - exp(-Lambda(x) (A + T))]``: P(the team is found before it fires);
- ``p_prevent(x) = prevent_p * E_T[1 - exp(-Lambda(x) (A + T - R)+)]``: found early enough for
  the response (``response_time_min`` = R) to arrive before it fires, and stopped.

The expectation over the set-up time is exact for ``fixed`` and ``uniform`` set-up, and
adaptive quadrature (:func:`scipy.integrate.quad_vec`, from the kink ``T = R - A`` on, where
the integrand is smooth) for ``lognormal`` and ``gamma``.

Notes
-----
The time-averaged rate of a patrol or drone treats its passes as spread evenly over the
exposure. When the revisit time is long against the exposure, passes come all or nothing, and
by Jensen's inequality (``1 - exp(-x)`` is concave) the averaged rate overstates P(detect);
the report states each route's revisit time beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import shapely

from forceprot.catalog.surveillance import LaunchTeam
from forceprot.errors import GeometryError, ScenarioError

__all__ = ["Sensor", "SurveillanceMap", "SURVEILLANCE_CELL_M", "compile_surveillance",
           "expected_found", "load_sensors", "rate_map", "sensor_visibility", "unwatched_m"]

#: Cell size of the surveillance raster over the launch zone [m] (grown when the zone would need
#: more than :data:`MAX_SURVEILLANCE_CELLS`). A choice of resolution, not a claim.
SURVEILLANCE_CELL_M: Final[float] = 100.0
#: Most cells of the surveillance raster.
MAX_SURVEILLANCE_CELLS: Final[int] = 250_000
#: Spacing of the points a patrol route or drone orbit is sampled at [m] ...
ROUTE_SAMPLE_M: Final[float] = 50.0
#: ... at most this many per route on open ground, and this many over a DEM (each needs a
#: masking table).
MAX_ROUTE_SAMPLES: Final[int] = 256
MAX_ROUTE_SAMPLES_DEM: Final[int] = 48
#: Farthest a sensor may stand from the base [m] (else wrong coordinates or CRS).
MAX_SENSOR_DISTANCE_M: Final[float] = 100_000.0
#: Absolute tolerance of the set-up time quadrature on a probability [-].
QUAD_EPS: Final[float] = 1e-12
#: Breakpoints of that quadrature after the kink [min]: one per decade from a hundredth of the
#: fastest sensor's 1 / rate (1e-4 min) up.
KINK_STEPS_MIN: Final[tuple[float, ...]] = tuple(10.0 ** k for k in range(-6, 3))


@dataclass(frozen=True)
class Sensor:
    """One ``[[surveillance]]`` entry in the local CRS.

    Attributes
    ----------
    name, kind : str
    xy_m : ndarray, float64, shape (n_obs, 2)
        Where it looks from [m]: one point for a camera or aerostat, points spaced along the
        route or orbit for a patrol or drone.
    weight : ndarray, float64, shape (n_obs,)
        Share of time at each point [-] (sums to 1).
    height_m : float
        Sensor height above the ground under it [m].
    range_m : float
        Detection range [m] (slant range for a drone, ground range otherwise).
    fov_rad, heading_rad : float
        Field of view [rad] (2 pi: all round) and its centre, counter-clockwise from +x [rad].
    rate_per_min : float
        Detection rate while in view [1/min].
    revisit_min : float or None
        Time to drive the route or fly the orbit once [min]; None for a fixed sensor.
    path_m : shapely geometry or None
        The route or orbit [m], for the map.
    """

    name: str
    kind: str
    xy_m: np.ndarray
    weight: np.ndarray
    height_m: float
    range_m: float
    fov_rad: float
    heading_rad: float
    rate_per_min: float
    revisit_min: float | None = None
    path_m: object | None = field(default=None, repr=False)

    @property
    def slant(self) -> bool:
        return self.kind == "drone"


def _sample_line(line, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Points at the middle of equal pieces of ``line`` (at most ``n_max``), equal weights."""
    length = float(line.length)
    n = int(min(n_max, max(1, math.ceil(length / ROUTE_SAMPLE_M))))
    pts = shapely.line_interpolate_point(line, (np.arange(n) + 0.5) / n * length)
    return shapely.get_coordinates(pts), np.full(n, 1.0 / n)


def load_sensors(scenario, site) -> list[Sensor]:
    """The scenario's ``[[surveillance]]`` entries in the site's local CRS.

    Raises
    ------
    GeometryError, ScenarioError
        A route file that cannot be read or is not lines or polygons; a sensor or route far
        from the base (wrong coordinates or CRS).
    """
    from pyproj import CRS

    from forceprot.geo import _positions, _resolve, _to_local, read_route_layer

    label = scenario.label
    site_crs = CRS.from_user_input(scenario.site.crs) if scenario.site.crs else site.source_crs
    positioned = [(i, s) for i, s in enumerate(scenario.surveillance) if s.kind != "patrol"]
    xy = _positions([s for _, s in positioned], "surveillance", site_crs, site.local_crs, label)
    where = {i: xy[k] for k, (i, _) in enumerate(positioned)}
    n_max = MAX_ROUTE_SAMPLES if site.terrain is None else MAX_ROUTE_SAMPLES_DEM
    out = []
    for i, s in enumerate(scenario.surveillance):
        fld = f"surveillance[{i}]"
        if s.kind == "patrol":
            if s.route is not None:
                path, plabel = _resolve(scenario, s.route)
                route, crs = read_route_layer(path, label=plabel, field_name=f"{fld}.route",
                                              layer=s.route_layer)
                route = _to_local(route, crs, site.local_crs)
            else:
                lon, lat = np.array(s.route_lonlat, dtype=np.float64).T
                x, y = site.lonlat_to_xy(lon, lat)
                route = shapely.linestrings(np.column_stack([x, y]))
                plabel = label
            if not route.length > 0:
                raise ScenarioError("route has zero length", file=label,
                                    field=f"{fld}.route_lonlat")
            d = route.distance(site.base)
            if not d <= MAX_SENSOR_DISTANCE_M:
                raise GeometryError(
                    f"route lies {d / 1000:.0f} km from the base (CRS mismatch?)", file=plabel,
                    field=f"{fld}.route" if s.route is not None else f"{fld}.route_lonlat")
            pts, w = _sample_line(route, n_max)
            out.append(Sensor(s.name, s.kind, pts, w, s.height_m, s.range_m, 2 * math.pi, 0.0,
                              s.detect_rate_per_min, route.length / s.speed_mps / 60.0, route))
            continue
        centre = where[i]
        d = shapely.Point(centre).distance(site.base)
        if d > MAX_SENSOR_DISTANCE_M:
            fld_pos, val = ("lon", s.lon) if s.lon is not None else ("x", s.x)
            raise ScenarioError(
                f"sensor is {d / 1000:.0f} km from the base (more than "
                f"{MAX_SENSOR_DISTANCE_M / 1000:.0f} km: wrong coordinates or CRS?)",
                file=label, field=f"{fld}.{fld_pos}", value=val)
        if s.kind == "drone":
            orbit = shapely.Point(centre).buffer(s.orbit_radius_m, quad_segs=64).exterior \
                if s.orbit_radius_m > 0 else None
            if orbit is None:
                pts, w, revisit = centre.reshape(1, 2), np.ones(1), None
            else:
                pts, w = _sample_line(orbit, n_max)
                revisit = orbit.length / s.speed_mps / 60.0
            out.append(Sensor(s.name, s.kind, pts, w, s.height_m, s.range_m, 2 * math.pi, 0.0,
                              s.detect_rate_per_min, revisit, orbit))
            continue
        fov = math.radians(s.fov_deg) if s.kind == "camera" else 2 * math.pi
        heading = math.radians(90.0 - s.heading_deg) if s.kind == "camera" else 0.0
        out.append(Sensor(s.name, s.kind, centre.reshape(1, 2).astype(np.float64), np.ones(1),
                          s.height_m, s.range_m, fov, heading, s.detect_rate_per_min))
    return out


def sensor_visibility(sensor: Sensor, k: int, x_m: np.ndarray, y_m: np.ndarray,
                      target_height_m: float, terrain=None) -> np.ndarray:
    """Whether observing point ``k`` of ``sensor`` sees a team at each point.

    Parameters
    ----------
    sensor : Sensor
    k : int
        Which of its observing points.
    x_m, y_m : ndarray, float64, shape (n,)
        Team positions, local CRS [m].
    target_height_m : float
        Height of the team's vehicle above its ground [m].
    terrain : forceprot.terrain.Terrain, optional
        With it, the terrain and buildings mask too (when the observing point stands on the
        DEM's data; elsewhere only the earth's curvature does).

    Returns
    -------
    ndarray, bool, shape (n,)

    Notes
    -----
    Without terrain, ``x`` is above the horizon of an observer ``h`` above the ground when
    its ground distance is at most ``sqrt(h / c) + sqrt(h_t / c)``, ``c = 1 / (2 k R)``
    (the two horizon distances over a 4/3 earth). With terrain, ``x`` is seen when its
    apparent elevation tangent, ``(z_t + h_t - c d^2 - z_o - h) / d``, is at least the
    masking tangent of the observer's table in its direction at that distance.
    """
    from forceprot.engage.sensors import INV_2KR

    ox, oy = sensor.xy_m[k]
    dx = x_m - ox
    dy = y_m - oy
    d = np.hypot(dx, dy)
    reach = np.hypot(d, sensor.height_m) if sensor.slant else d
    seen = reach <= sensor.range_m
    if sensor.fov_rad < 2 * math.pi:
        off = np.abs(np.mod(np.arctan2(dy, dx) - sensor.heading_rad + math.pi, 2 * math.pi)
                     - math.pi)
        seen &= off <= 0.5 * sensor.fov_rad
    ground_o = float(terrain.height_m(ox, oy, bare=True)) if terrain is not None else math.nan
    if terrain is None or not math.isfinite(ground_o):
        horizon_m = math.sqrt(sensor.height_m / INV_2KR) + math.sqrt(target_height_m / INV_2KR)
        return seen & (d <= horizon_m)
    from forceprot.terrain import masking_tan_many, unit_horizon

    if not seen.any():
        return seen
    _, mask, step_m = unit_horizon(terrain, float(ox), float(oy), sensor.height_m,
                                   sensor.range_m)
    ground_t = np.nan_to_num(terrain.height_m(x_m, y_m, bare=True), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tan = (ground_t + target_height_m - d * d * INV_2KR - ground_o - sensor.height_m) / d
    tan = np.where(d > 0, tan, np.inf)
    return seen & (tan >= masking_tan_many(mask, step_m, dx, dy, d))


def rate_map(sensors: list[Sensor], x_m: np.ndarray, y_m: np.ndarray, target_height_m: float,
             terrain=None) -> np.ndarray:
    """Detection rate of a team at each point, ``Lambda = sum_s lambda_s v_s`` [1/min].

    Parameters and visibility as :func:`sensor_visibility`; ``v_s`` is the time-weighted share
    of sensor ``s``'s observing points that see the point.

    Returns
    -------
    ndarray, float64, shape (n,)
    """
    rate = np.zeros(len(x_m))
    for s in sensors:
        if s.rate_per_min <= 0.0:
            continue
        share = np.zeros(len(x_m))
        for k in range(len(s.weight)):
            share += s.weight[k] * sensor_visibility(s, k, x_m, y_m, target_height_m, terrain)
        rate += s.rate_per_min * share
    return rate


def _setup_pdf_and_support(team: LaunchTeam):
    """The set-up time's density [1/min] and its scipy distribution."""
    from scipy import stats
    from scipy.special import gammaincinv

    if team.setup == "lognormal":
        return stats.lognorm(s=team.setup_sigma_log, scale=team.setup_median_min)
    if team.setup == "gamma":
        k = team.setup_shape
        return stats.gamma(a=k, scale=team.setup_median_min / float(gammaincinv(k, 0.5)))
    raise ValueError(f"no density for setup = {team.setup!r}")


def expected_found(rate_per_min: np.ndarray, team: LaunchTeam, delay_min: float = 0.0
                   ) -> np.ndarray:
    """``E_T[1 - exp(-rate (A + T - delay)+)]`` over the team's set-up time ``T`` [-].

    Parameters
    ----------
    rate_per_min : ndarray, float64, shape (n,)
        Detection rate at each point [1/min].
    team : LaunchTeam
        ``A`` = ``approach_exposed_min`` and the set-up time distribution [min].
    delay_min : float
        Detection must come this long before the salvo [min] (0: P(detected before it fires);
        ``response_time_min``: P(found in time for the response)).

    Returns
    -------
    ndarray, float64, shape (n,)
    """
    rate = np.asarray(rate_per_min, dtype=np.float64)
    c = delay_min - team.approach_exposed_min   # the team must set up longer than c
    out = np.zeros(rate.shape)
    live = rate > 0
    if not live.any():
        return out
    lam = rate[live]
    if team.setup == "fixed":
        out[live] = -np.expm1(-lam * max(0.0, team.setup_median_min - c))
        return out
    if team.setup == "uniform":
        lo, hi = team.setup_low_min, team.setup_high_min
        a = max(c, lo)
        if a >= hi:
            return out
        # (1 / (hi - lo)) * integral_a^hi (1 - exp(-lam (t - c))) dt, exact
        tail = np.exp(-lam * (a - c)) * -np.expm1(-lam * (hi - a)) / lam
        out[live] = ((hi - a) - tail) / (hi - lo)
        return out
    from scipy.integrate import quad_vec

    dist = _setup_pdf_and_support(team)
    lo = max(c, 0.0)
    uniq, inv = np.unique(lam, return_inverse=True)

    def integrand(t: float) -> np.ndarray:
        return -np.expm1(-uniq * (t - c)) * dist.pdf(t)

    # Pieces: from the kink, geometrically widening (a fast sensor's 1 - exp rises within
    # 1 / rate of it, down to 1e-4 min at the largest rate), to the median, then the tail.
    mid = max(lo, float(dist.median()))
    edges = [lo] + [lo + w for w in KINK_STEPS_MIN if lo + w < mid] + [mid]
    val = np.zeros(len(uniq))
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            val += quad_vec(integrand, a, b, epsabs=QUAD_EPS, epsrel=0.0)[0]
    val += quad_vec(integrand, mid, math.inf, epsabs=QUAD_EPS, epsrel=0.0)[0]
    out[live] = np.clip(val[inv], 0.0, 1.0)
    return out


@dataclass(frozen=True)
class SurveillanceMap:
    """The surveillance over the launch zone, compiled.

    Attributes
    ----------
    grid : forceprot.compile.Grid
        Raster over the launch zone's bounds.
    rate_per_min : ndarray, float64, shape (n_cells,)
        ``Lambda`` at each cell centre [1/min].
    p_detect : ndarray, float64, shape (n_cells,)
        P(the team is found before it fires) [-].
    p_prevent : ndarray, float64, shape (n_cells,)
        P(the salvo is prevented) [-].
    in_zone : ndarray, bool, shape (n_cells,)
        Cell centre in the launch zone.
    sensors : list of Sensor
    team : LaunchTeam
    """

    grid: object
    rate_per_min: np.ndarray
    p_detect: np.ndarray
    p_prevent: np.ndarray
    in_zone: np.ndarray
    sensors: list
    team: LaunchTeam

    def watch_bundle(self):
        """The kernel's :data:`~forceprot.kernel.bundles.Watch`."""
        from forceprot.kernel.bundles import Watch

        g = self.grid
        return Watch(float(g.x0), float(g.y0), float(g.cell_m), int(g.nx), int(g.ny),
                     np.ascontiguousarray(self.p_detect, dtype=np.float64),
                     np.ascontiguousarray(self.p_prevent, dtype=np.float64))

    def unwatched_m(self):
        """The launch zone where no sensor sees (``Lambda = 0`` at the cell centre) [m]."""
        return unwatched_m(self)


def unwatched_m(surv: SurveillanceMap):
    """Launch-zone polygons whose raster cells no sensor sees, clipped to the zone [m]
    (empty geometry when every cell is watched)."""
    cells = np.flatnonzero(surv.in_zone & (surv.rate_per_min <= 0.0))
    if len(cells) == 0:
        return shapely.Polygon()
    boxes = surv.grid.boxes()[cells]
    return shapely.coverage_union_all(boxes)


def compile_surveillance(scenario, site, zone=None) -> SurveillanceMap | None:
    """The scenario's surveillance over its launch zone (None without ``[[surveillance]]``).

    Parameters
    ----------
    scenario : Scenario
    site : SiteGeometry
    zone : shapely geometry, optional
        The launch zone to cover (default: the site's).
    """
    from forceprot.compile import Grid

    if not scenario.surveillance:
        return None
    zone = site.launch_zone if zone is None else zone
    team = scenario.launch_team
    sensors = load_sensors(scenario, site)
    minx, miny, maxx, maxy = zone.bounds
    cell_m = SURVEILLANCE_CELL_M
    area_cells = (maxx - minx) * (maxy - miny) / (cell_m * cell_m)
    if area_cells > MAX_SURVEILLANCE_CELLS:
        cell_m = 50.0 * math.ceil(math.sqrt(area_cells / MAX_SURVEILLANCE_CELLS) * cell_m / 50.0)
    grid = Grid.covering(zone, cell_m, label=scenario.label, field="surveillance")
    x, y = grid.centers()
    in_zone = shapely.contains_xy(zone, x, y)
    rate = rate_map(sensors, x, y, team.target_height_m, site.terrain)
    p_detect = expected_found(rate, team)
    p_prevent = team.prevent_p * expected_found(rate, team, team.response_time_min)
    return SurveillanceMap(grid=grid, rate_per_min=rate, p_detect=p_detect,
                           p_prevent=p_prevent, in_zone=in_zone, sensors=sensors, team=team)
