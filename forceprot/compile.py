"""Scenario -> compiled arrays.

:func:`prepare_scenario` reads and checks everything a run needs (the scenario file, its
layers, the rocket's reach). :func:`compile_scenario` turns the result into a
:class:`CompiledScenario`: C-contiguous float64/int64 arrays and scalars, in SI units and
radians, which is all the numba kernel ever sees. After this module, inputs are trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import shapely

from forceprot.engage import params as P
from forceprot.engage.state import Units
from forceprot.errors import OutputError, ReachError, ScenarioError
from forceprot.geo import SiteAssets, SiteGeometry, load_site
from forceprot.kernel.bundles import (
    Assets,
    CellGrid,
    FamilyTable,
    GridSpec,
    KernelInputs,
    NO_WATCH,
    SalvoParams,
    Sampler,
)
from forceprot.memo import LruMemo, content_key
from forceprot.scenario import Scenario, load_scenario
from forceprot.spatial import CELL_EDGE, CELL_IN, CELL_OUT
from forceprot.people import empty_people, people_bundle
from forceprot.terrain import unit_horizons

#: What compiling builds from a site's geometry alone (triangles, samplers, cell grids, the
#: reach check's draws), by content (:mod:`forceprot.memo`): a study's variants share their
#: base's geometry. About 45 ms of each Taji compile.
_GEOMETRY_MEMO = LruMemo(64)

__all__ = ["CompiledScenario", "FixedElevation", "Grid", "Prepared", "Provenance",
           "asset_aim_triangles",
           "asset_bundle", "compile_scenario", "firing_family", "fixed_elevation_offsets",
           "launcher_band_m", "prepare", "prepare_scenario",
           "terrain_description"]


@dataclass(frozen=True)
class Prepared:
    """A validated scenario and its site geometry in the local metric CRS."""

    scenario: Scenario
    site: SiteGeometry


def prepare(scenario: Scenario) -> Prepared:
    """Check a validated scenario against its geometry and the rocket's reach."""
    site = load_site(scenario)
    rocket = scenario.rocket_class
    label = scenario.label
    threat = scenario.threat
    if threat.min_standoff_m >= rocket.max_range_m:
        raise ScenarioError(
            f"the launch zone starts beyond the {threat.rocket} maximum range "
            f"({rocket.max_range_m:.0f} m)", file=label, field="threat.min_standoff_m",
            value=threat.min_standoff_m)
    if not isinstance(threat.elevation, str) and threat.elevation < rocket.min_elevation_deg:
        raise ScenarioError(
            f"below the {threat.rocket} lowest laying elevation ({rocket.min_elevation_deg:g} "
            "deg)", file=label, field="threat.elevation", value=threat.elevation)
    gap = site.launch_zone.distance(site.base)
    if gap >= rocket.max_range_m:
        raise ScenarioError(
            f"no launch position is within the {threat.rocket} maximum range "
            f"({rocket.max_range_m:.0f} m) of the base (nearest is {gap:.0f} m)",
            file=label, field="site.launch_areas", value=scenario.site.launch_areas)
    if threat.rocket in scenario.rockets:  # a custom class: bound its flights before any
        from forceprot.ballistics import check_rocket_bounds  # buffer is sized from them

        try:
            check_rocket_bounds(rocket, name=threat.rocket,
                                field_prefix=f"rockets.{threat.rocket}.")
        except ScenarioError as exc:
            raise exc.with_file(label) from None
    _check_reach(scenario, site, rocket.min_range_m, rocket.max_range_m)
    # the grids are sized here, from bounds only, so that a cell size too small for the site is
    # refused by `validate` and not by `run` after the trajectory family is built
    Grid.covering(site.defended_area, scenario.simulation.cell_m, label=label,
                  field="simulation.cell_m")
    Grid.covering(site.launch_zone, scenario.simulation.launch_cell_m, label=label,
                  field="simulation.launch_cell_m")
    if scenario.surveillance:  # route files and positions are checked by `validate` too
        from forceprot.surveillance import load_sensors

        load_sensors(scenario, site)
    # last, as it builds (or loads) the trajectory family: the reach within the ranges the
    # flight model flies, as the kernel will fire them
    check_firing_reach(scenario, site)
    return Prepared(scenario=scenario, site=site)


def _check_reach(scenario: Scenario, site: SiteGeometry, min_range_m: float, max_range_m: float,
                 aim_points_xy: np.ndarray | None = None, *,
                 ring_offsets_m: np.ndarray | None = None,
                 rocket_name: str | None = None) -> None:
    """Refuse a scenario whose launch zone cannot reach what the threat aims at (else every
    salvo exhausts its launch draws and none is fired).

    ``ring_offsets_m`` float64 (n_headings, 2) [m]: at a fixed elevation, the launcher's offset
    from the laid point at evenly spaced firing headings (:func:`fixed_elevation_offsets`); the
    sampling check then draws launchers on that curve, as the kernel does. ``rocket_name``
    names the rocket in messages (default: the threat's rocket class).
    """
    from forceprot.reach import check_reach

    threat = scenario.threat
    if aim_points_xy is not None:
        aim, aim_name = shapely.multipoints(np.asarray(aim_points_xy).reshape(-1, 2)), "any aim point"
    elif threat.aim == "assets":
        aim, aim_name = _asset_aim_geometry(site.assets), "any asset"
    else:
        aim, aim_name = site.base, "the base"
    rocket_name = threat.rocket if rocket_name is None else rocket_name
    check_reach(site.launch_zone, aim, min_range_m, max_range_m, rocket=rocket_name,
                label=scenario.label, aim_name=aim_name,
                too_far=("threat.min_standoff_m", threat.min_standoff_m),
                too_near=("threat.max_standoff_m", threat.max_standoff_m))
    if aim_points_xy is not None:
        aim_tri = np.repeat(np.asarray(aim_points_xy, np.float64).reshape(-1, 1, 2), 3, axis=1)
        aim_weight = np.ones(len(aim_tri))
    elif threat.aim == "assets":
        aim_tri, aim_weight = asset_aim_triangles(site.assets)
    else:
        aim_tri = triangles(site.base)
        aim_weight = _triangle_areas(aim_tri)
    zone_tri = triangles(site.launch_zone)
    if ring_offsets_m is None:
        # the draws depend on the aim and the zone only: a study varying the rocket's reach
        # draws them once
        d = _GEOMETRY_MEMO.get(
            content_key("reach_distances", aim_tri, aim_weight, zone_tri),
            lambda: _pair_distances(aim_tri, aim_weight, zone_tri, _triangle_areas(zone_tri)))
        hits = int(np.searchsorted(d, max_range_m, side="right")
                   - np.searchsorted(d, min_range_m, side="left"))
    else:
        hits = _reachable_on_ring(aim_tri, aim_weight, site.launch_zone, ring_offsets_m)
    if hits == 0:
        raise ReachError(
            f"no launch position can reach {aim_name} in {REACH_SAMPLE_PAIRS:,} tries: the "
            f"pairs within the {rocket_name} range ({min_range_m:.0f}-{max_range_m:.0f} m) are "
            f"too rare to sample (a sliver of the launch zone, or {aim_name} of small weight); "
            "widen the launch zone", file=scenario.label,
            **({"field": "threat.min_standoff_m", "value": threat.min_standoff_m}
               if ring_offsets_m is None else
               {"field": "threat.elevation", "value": threat.elevation}))


#: Aim and launch points drawn (seeded) to prove the kernel's rejection sampler can find a
#: launcher in range. The kernel gives up on a salvo after 2,000,000 launcher draws
#: (MAX_LAUNCH_TRIES x MAX_AIM_REDRAWS); a band with no hit in this many draws (acceptance
#: below about 3e-5 at 95 %) costs over 30,000 draws a salvo, hours for a default run.
REACH_SAMPLE_PAIRS = 100_000


def _pair_distances(aim_tri: np.ndarray, aim_weight: np.ndarray, zone_tri: np.ndarray,
                    zone_weight: np.ndarray) -> np.ndarray:
    """Distances [m] of :data:`REACH_SAMPLE_PAIRS` (aim point, launch point) pairs drawn as the
    kernel draws them (weighted triangles), sorted: the pairs within a range band are then two
    binary searches away, whatever the band (a study varies the rocket's reach)."""
    rng = np.random.default_rng(0)  # fixed: validation must not depend on chance
    aim = _draw_in_triangles(rng, aim_tri, aim_weight, REACH_SAMPLE_PAIRS)
    d = np.hypot(*(aim - _draw_in_triangles(rng, zone_tri, zone_weight, REACH_SAMPLE_PAIRS)).T)
    d.sort()
    return d


def _draw_in_triangles(rng: np.random.Generator, tri: np.ndarray, weight: np.ndarray,
                       n: int) -> np.ndarray:
    idx = rng.choice(len(tri), size=n, p=weight / weight.sum())
    r1 = np.sqrt(rng.random(n))[:, None]
    r2 = rng.random(n)[:, None]
    t = tri[idx]
    return (1 - r1) * t[:, 0] + r1 * (1 - r2) * t[:, 1] + r1 * r2 * t[:, 2]


def _reachable_on_ring(aim_tri: np.ndarray, aim_weight: np.ndarray, zone,
                       ring_offsets_m: np.ndarray) -> int:
    """How many of :data:`REACH_SAMPLE_PAIRS` launchers, drawn as the fixed-elevation kernel
    draws them (aim point, then a uniform heading on the offset curve), fall in the zone."""
    rng = np.random.default_rng(0)  # fixed: validation must not depend on chance
    aim = _draw_in_triangles(rng, aim_tri, aim_weight, REACH_SAMPLE_PAIRS)
    k = rng.integers(0, len(ring_offsets_m), REACH_SAMPLE_PAIRS)
    launch = aim - ring_offsets_m[k]
    return int(np.count_nonzero(shapely.contains_xy(zone, launch[:, 0], launch[:, 1])))


#: Firing headings at which a fixed-elevation launcher's offset curve is tabulated [-].
FIXED_OFFSET_HEADINGS = 360


@dataclass(frozen=True)
class FixedElevation:
    """A fixed firing elevation in its trajectory family.

    Attributes
    ----------
    elevation_rad : float
        Quadrant elevation [rad].
    fe : float
        Its fractional index in the family's elevation grid [-].
    range_m : float
        Its no-wind ground range [m], interpolated from the family as the kernel does.
    """

    elevation_rad: float
    fe: float
    range_m: float


def firing_family(scenario: Scenario):
    """The trajectory family the threat fires from, and its fixed elevation if it has one.

    ``elevation = "low"`` or ``"high"``: that branch's family. A fixed elevation in degrees:
    the branch it lies on (above the max-range elevation: high), and where it sits in it.

    Returns
    -------
    family : forceprot.ballistics.TrajectoryFamily
    fixed : FixedElevation or None

    Raises
    ------
    ScenarioError
        A fixed elevation reaching less than the rocket class's minimum range (one below its
        lowest laying elevation is refused by :func:`prepare`).
    """
    from forceprot.ballistics import build_family, max_range

    threat = scenario.threat
    rocket = scenario.rocket_class
    altitude_m = scenario.site.ground_altitude_m
    if threat.elevation in ("low", "high"):
        family = build_family(rocket, wind_speed_mps=threat.wind_mps,
                              ground_altitude_m=altitude_m, branch=threat.elevation)
        return family, None
    elevation_rad = math.radians(threat.elevation)
    _, elevation_max_rad = max_range(rocket, ground_altitude_m=altitude_m)
    branch = "high" if elevation_rad > elevation_max_rad else "low"
    family = build_family(rocket, wind_speed_mps=threat.wind_mps, ground_altitude_m=altitude_m,
                          branch=branch)
    range_m = family.range_at_elevation(elevation_rad)
    if not range_m >= family.min_range_m:
        raise ScenarioError(
            f"reaches {range_m:.0f} m, less than the {threat.rocket} minimum range "
            f"({family.min_range_m:.0f} m)", file=scenario.label, field="threat.elevation",
            value=threat.elevation)
    return family, FixedElevation(elevation_rad, family.elevation_index(elevation_rad), range_m)


def check_firing_reach(scenario: Scenario, site: SiteGeometry,
                       aim_points_xy: np.ndarray | None = None):
    """The family the threat fires from, and a refusal unless some launch position reaches
    what it aims at within the ranges that family lays for (the band the kernel samples).

    :func:`prepare` calls it, so that ``validate`` refuses every scenario ``run`` would: the
    band the flight model reaches can differ from the rocket class's stated range (a stated
    20,380 m may fly 19,779 m), and a launch zone between the two would otherwise pass
    ``validate`` and fail ``run``. :func:`compile_scenario` calls it again with its own aim
    points (the coverage map's cells); the family and a range band's reach draws are
    memoised (a fixed elevation's draws on its ring of launch offsets, about 25 ms, are not).

    Returns
    -------
    family : forceprot.ballistics.TrajectoryFamily
    fixed : FixedElevation or None
    wind_to_rad : float
        Where the wind blows to, counter-clockwise from +x [rad].
    wind_laying : bool
        The crew lays for the wind (and there is some).
    """
    threat = scenario.threat
    try:
        family, fixed = firing_family(scenario)
    except ScenarioError as exc:  # a family that cannot be built names the scenario file
        raise exc.with_file(scenario.label) from None
    wind_laying = bool(threat.lay_for_wind and threat.wind_mps > 0)
    # counter-clockwise from +x, toward where the wind blows: the kernel's and the offset
    # curve's one number, so the reach check draws launchers where the kernel will
    wind_to_rad = math.radians(90.0 - (threat.wind_from_deg + 180.0) % 360.0)
    if fixed is None:
        _check_reach(scenario, site, family.min_range_m, family.max_range_m, aim_points_xy)
    else:
        offsets = fixed_elevation_offsets(family, fixed.fe, wind_to_rad, wind_laying)
        reach_m = np.hypot(offsets[:, 0], offsets[:, 1])
        _check_reach(scenario, site, float(reach_m.min()), float(reach_m.max()), aim_points_xy,
                     ring_offsets_m=offsets,
                     rocket_name=f"{threat.rocket} (laid at {threat.elevation:g} deg)")
    return family, fixed, wind_to_rad, wind_laying


def fixed_elevation_offsets(family, fe: float, wind_to_rad: float,
                            wind_laying: bool) -> np.ndarray:
    """Offset from the launcher to the laid point at evenly spaced firing headings [m].

    Row ``k`` is for heading ``2 pi k / FIXED_OFFSET_HEADINGS`` (counter-clockwise from +x):
    the no-wind range along the heading, or, when the crew lays for the wind, the nominal
    rocket's impact in the wind at that heading (the kernel's
    :func:`~forceprot.kernel.sample.draw_salvo_fixed`).

    Parameters
    ----------
    family : forceprot.ballistics.TrajectoryFamily or FamilyTable
        The firing family.
    fe : float
        The fixed elevation's fractional index in the family [-].
    wind_to_rad : float
        Direction the wind blows toward, counter-clockwise from +x [rad]
        (:attr:`SalvoParams.wind_to_rad`: the same number the kernel lays with).
    wind_laying : bool
        The crew lays for the wind.

    Returns
    -------
    ndarray of float64, shape (FIXED_OFFSET_HEADINGS, 2)
    """
    from forceprot.flight.family import family_impact

    heading = 2.0 * math.pi * np.arange(FIXED_OFFSET_HEADINGS) / FIXED_OFFSET_HEADINGS
    table = _family_table(family)
    n = table.range_nowind_m.shape[0]
    range_m = float(np.interp(fe, np.arange(n), table.range_nowind_m))
    out = np.empty((FIXED_OFFSET_HEADINGS, 2))
    for k, h in enumerate(heading):
        if wind_laying:
            down, left, _ = family_impact(table, float(fe), wind_to_rad - h)
        else:
            down, left = range_m, 0.0
        out[k, 0] = math.cos(h) * down - math.sin(h) * left
        out[k, 1] = math.sin(h) * down + math.cos(h) * left
    return out


#: Laying errors (standard deviations per axis) a fixed-elevation launcher may stand off its
#: curve around the aim point in :func:`launcher_band_m` [-]: beyond 3, fewer than 1 salvo in 90.
FIXED_BAND_SIGMAS = 3.0


def launcher_band_m(compiled: "CompiledScenario") -> tuple[float, float]:
    """Distances [m] between an aim point and the launchers the kernel can draw for it.

    Laying by range: the family's reach ``[min_range_m, max_range_m]``. At a fixed elevation
    the launcher stands on the offset curve around the *laid* point
    (:func:`fixed_elevation_offsets`), so around the aim point the band widens by
    :data:`FIXED_BAND_SIGMAS` laying errors either way.
    """
    salvo = compiled.inputs.salvo
    family = compiled.inputs.family
    if not salvo.fixed_elevation:
        return float(family.min_range_m), float(family.max_range_m)
    offsets = fixed_elevation_offsets(family, salvo.fixed_fe, float(salvo.wind_to_rad),
                                      bool(salvo.wind_laying))
    reach_m = np.hypot(offsets[:, 0], offsets[:, 1])
    spread_m = FIXED_BAND_SIGMAS * salvo.aim_sigma_m
    return max(0.0, float(reach_m.min()) - spread_m), float(reach_m.max()) + spread_m


def _family_table(family) -> FamilyTable:
    """A :class:`~forceprot.ballistics.TrajectoryFamily` as the kernel's :data:`FamilyTable`."""
    n_nodes = family.node_pos_m.shape[2]
    return FamilyTable(
        node_pos_m=np.ascontiguousarray(family.node_pos_m, dtype=np.float64),
        tof_s=np.ascontiguousarray(family.tof_s, dtype=np.float64),
        range_nowind_m=np.ascontiguousarray(family.range_nowind_m, dtype=np.float64),
        min_range_m=float(family.min_range_m),
        max_range_m=float(family.max_range_m),
        relaz_step_rad=float(family.relaz_step_rad),
        tau=np.linspace(0.0, 1.0, n_nodes),
    )


def prepare_scenario(path: str | Path) -> Prepared:
    """Load a scenario file and prepare it (see :func:`prepare`)."""
    return prepare(load_scenario(path))


# ---------------------------------------------------------------------------------------------
# Compiled arrays
# ---------------------------------------------------------------------------------------------


#: Largest grid (cells) forceprot will allocate for a map; beyond it the cell size is an error.
MAX_GRID_CELLS = 4_000_000
#: Mil to radians: NATO mils, 6400 to the circle.
RAD_PER_MIL = 2.0 * math.pi / 6400.0


@dataclass(frozen=True)
class Grid:
    """A regular grid of square cells; cell ``iy * nx + ix`` has lower-left corner
    ``(x0 + ix * cell_m, y0 + iy * cell_m)`` in the local CRS [m]."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres [m], flat arrays of length ``n_cells``."""
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        return (self.x0 + (ix.ravel() + 0.5) * self.cell_m,
                self.y0 + (iy.ravel() + 0.5) * self.cell_m)

    def boxes(self) -> np.ndarray:
        """Cell squares as shapely polygons, flat array of length ``n_cells``."""
        cx, cy = self.centers()
        h = 0.5 * self.cell_m
        return shapely.box(cx - h, cy - h, cx + h, cy + h)

    def spec(self) -> GridSpec:
        """The grid as the kernel's :data:`~forceprot.kernel.bundles.GridSpec`."""
        return GridSpec(float(self.x0), float(self.y0), float(self.cell_m), int(self.nx),
                        int(self.ny))

    @classmethod
    def covering(cls, geometry, cell_m: float, *, label: str, field: str) -> "Grid":
        minx, miny, maxx, maxy = geometry.bounds
        nx = max(1, int(math.ceil((maxx - minx) / cell_m)))
        ny = max(1, int(math.ceil((maxy - miny) / cell_m)))
        if nx * ny > MAX_GRID_CELLS:
            raise OutputError(
                f"would make {nx * ny:,} grid cells (at most {MAX_GRID_CELLS:,}); use a larger "
                "cell size", file=label, field=field, value=cell_m)
        return cls(float(minx), float(miny), float(cell_m), nx, ny)


def cell_states(geometry, grid: Grid) -> np.ndarray:
    """Each cell of ``grid`` as inside, outside or on the edge of ``geometry`` (int8, flat)."""
    boxes = grid.boxes()
    shapely.prepare(geometry)
    state = np.full(grid.n_cells, CELL_EDGE, dtype=np.int8)
    state[shapely.contains(geometry, boxes)] = CELL_IN
    state[~shapely.intersects(geometry, boxes)] = CELL_OUT
    return state


def cell_grid(geometry, grid: Grid) -> CellGrid:
    """``geometry`` on ``grid`` for the kernel's point-in-polygon test (:data:`CellGrid`);
    memoised by content (:data:`_GEOMETRY_MEMO`)."""
    def build() -> CellGrid:
        rings, offsets = ring_arrays(geometry)
        return CellGrid(*grid.spec(), cell_states(geometry, grid), rings, offsets)

    return _GEOMETRY_MEMO.get(content_key("cell_grid", geometry, tuple(grid.spec())), build)


def ring_arrays(geometry) -> tuple[np.ndarray, np.ndarray]:
    """All rings of a (multi)polygon as flat vertex and offset arrays (shapely ragged layout)."""
    _, coords, offsets = shapely.to_ragged_array([geometry])
    return (np.ascontiguousarray(coords, dtype=np.float64),
            np.ascontiguousarray(offsets[0], dtype=np.int64))


def triangles(geometry) -> np.ndarray:
    """Constrained Delaunay triangles of a (multi)polygon, float64 (n, 3, 2) [m]; memoised by
    content (:data:`_GEOMETRY_MEMO`): the array is shared, never write to it."""
    return _GEOMETRY_MEMO.get(content_key("triangles", geometry), lambda: _triangles(geometry))


def _triangles(geometry) -> np.ndarray:
    parts = shapely.get_parts(shapely.constrained_delaunay_triangles(geometry))
    parts = parts[shapely.area(parts) > 0]
    coords = shapely.get_coordinates(shapely.get_exterior_ring(parts)).reshape(len(parts), 4, 2)
    return np.ascontiguousarray(coords[:, :3, :])


def area_sampler(geometry) -> Sampler:
    """A sampler of points uniform over a (multi)polygon: its triangles, weighted by area."""
    def build() -> Sampler:
        tri = triangles(geometry)
        return Sampler(tri, _cumulative(_triangle_areas(tri)))

    return _GEOMETRY_MEMO.get(content_key("area_sampler", geometry), build)


def _cumulative(weights: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights, dtype=np.float64)
    cum /= cum[-1]
    cum[-1] = 1.0
    return cum


def _triangle_areas(tri: np.ndarray) -> np.ndarray:
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    return 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                        - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


def _asset_aim_geometry(assets: SiteAssets):
    """Where ``aim = "assets"`` aims: circle centres and polygon assets, one collection [m]."""
    parts = [poly if poly is not None else shapely.Point(assets.xy_m[a])
             for a, poly in enumerate(assets.polygons)]
    return shapely.GeometryCollection(parts)


def asset_aim_triangles(assets: SiteAssets) -> tuple[np.ndarray, np.ndarray]:
    """Aim triangles of ``aim = "assets"`` and their weights.

    Each asset is picked with probability proportional to its weight; the aim point is then
    the centre of a circle asset, or uniform over the area of a polygon asset (its triangles
    weighted by area). A circle asset is one degenerate triangle (three equal vertices).

    Returns
    -------
    tri_m : ndarray, float64, shape (n_tri, 3, 2)
        Triangles in asset order [m].
    weight : ndarray, float64, shape (n_tri,)
        Per-triangle weight [-]: the asset's weight times the triangle's share of its area.
    """
    tris, weights = [], []
    for a, poly in enumerate(assets.polygons):
        w = float(assets.weight[a])
        if poly is None:
            tris.append(np.repeat(assets.xy_m[a].reshape(1, 1, 2), 3, axis=1))
            weights.append(np.array([w]))
        else:
            tri = _triangles(poly)  # many small polygons: not worth the memo's room
            area = _triangle_areas(tri)
            tris.append(tri)
            weights.append(w * area / area.sum())
    return (np.ascontiguousarray(np.concatenate(tris).astype(np.float64)),
            np.concatenate(weights).astype(np.float64))


def asset_bundle(assets: SiteAssets) -> Assets:
    """The kernel's :data:`~forceprot.kernel.bundles.Assets` from the site's assets.

    Circle assets keep their squared radius and no rings; polygon assets get their rings in
    shapely's ragged layout (every ring of asset ``a`` is one of
    ``ring_offsets[poly_offsets[a]:poly_offsets[a + 1] + 1]``) and ``r2_m2 = 0``.
    """
    n = len(assets)
    is_poly = assets.is_polygon
    r2 = np.where(is_poly, 0.0, np.nan_to_num(assets.radius_m) ** 2)
    bbox = np.zeros((n, 4), dtype=np.float64)
    rings_per_asset = np.zeros(n, dtype=np.int64)
    coords = np.zeros((0, 2), dtype=np.float64)
    ring_offsets = np.zeros(1, dtype=np.int64)
    for a in range(n):
        if is_poly[a]:
            bbox[a] = assets.polygons[a].bounds
        else:
            x, y = assets.xy_m[a]
            r = float(assets.radius_m[a])
            bbox[a] = (x - r, y - r, x + r, y + r)
    if is_poly.any():
        multi = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
                 for g in assets.polygons[is_poly]]
        _, coords, (ring_off, part_off, geom_off) = shapely.to_ragged_array(multi)
        rings_per_asset[is_poly] = part_off[geom_off[1:]] - part_off[geom_off[:-1]]
        ring_offsets = ring_off
    poly_offsets = np.concatenate([[0], np.cumsum(rings_per_asset)])
    return Assets(
        xy_m=np.ascontiguousarray(assets.xy_m, dtype=np.float64).reshape(-1, 2),
        r2_m2=np.ascontiguousarray(r2, dtype=np.float64),
        weight=np.ascontiguousarray(assets.weight, dtype=np.float64),
        bbox_m=bbox,
        poly_offsets=np.ascontiguousarray(poly_offsets, dtype=np.int64),
        ring_offsets=np.ascontiguousarray(ring_offsets, dtype=np.int64),
        rings_m=np.ascontiguousarray(coords, dtype=np.float64).reshape(-1, 2),
    )


@dataclass(frozen=True)
class Provenance:
    """Where a compiled scenario came from, as plain facts: what code holding only the compiled
    arrays (the kernel's results, the studies reducing them) may name in its figures and
    messages. The scenario and its geometry stay with the :class:`Prepared` the caller made.

    Attributes
    ----------
    label : str
        The scenario's label (its file name), for messages and summaries.
    site_name : str
        ``site.name``.
    rocket : str
        ``threat.rocket``: the rocket class's name.
    unit_names, unit_kinds : tuple of str
        Each defence unit's name and kind, in the order of the kernel's unit arrays.
    """

    label: str
    site_name: str
    rocket: str
    unit_names: tuple[str, ...]
    unit_kinds: tuple[str, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> "Provenance":
        """The provenance of ``scenario`` (its defence units in order)."""
        return cls(label=scenario.label, site_name=scenario.site.name,
                   rocket=scenario.threat.rocket,
                   unit_names=tuple(u.name for u in scenario.defence),
                   unit_kinds=tuple(u.kind for u in scenario.defence))


@dataclass(frozen=True)
class CompiledScenario:
    """Everything the kernel sees, as named bundles of arrays (:data:`KernelInputs`), SI units.

    Built by :func:`compile_scenario`; the kernel trusts it. It holds no scenario: ``provenance``
    names what it came from (label, site, rocket, units), and code that needs the scenario or
    its geometry is given the :class:`Prepared` explicitly by whoever compiled it.
    ``base_grid`` and ``launch_grid`` describe the tally grids for mapping them back.
    """

    provenance: Provenance
    inputs: KernelInputs
    base_grid: Grid
    launch_grid: Grid
    #: forceprot.surveillance.SurveillanceMap, None without [[surveillance]]
    surveillance: object | None = None

    @property
    def label(self) -> str:
        """The scenario's label (file name), for messages."""
        return self.provenance.label

    @property
    def tubes(self) -> int:
        return int(self.inputs.salvo.tubes)

    @property
    def n_units(self) -> int:
        return int(self.inputs.units.kind.shape[0])

    @property
    def unit_names(self) -> list[str]:
        return list(self.provenance.unit_names)

    @property
    def unit_kinds(self) -> list[str]:
        return list(self.provenance.unit_kinds)

    def with_inputs(self, **bundles) -> "CompiledScenario":
        """A copy with some input bundles replaced, e.g. ``units=Units(...)``."""
        return replace(self, inputs=self.inputs._replace(**bundles))

    def without_people(self) -> "CompiledScenario":
        """A copy that scores no casualties (its results have no people figures): for studies
        of leakers and interceptions only, which then skip the casualty stage."""
        return self.with_inputs(people=empty_people())


def unit_parameters(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit kind codes (int64) and parameter table (float64, (n_units, N_PAR)), SI/radians."""
    n = len(scenario.defence)
    kind = np.array([unit.kind_code for unit in scenario.defence], dtype=np.int64)
    par = np.zeros((n, P.N_PAR), dtype=np.float64)
    for i, unit in enumerate(scenario.defence):
        par[i] = unit.parameter_row()
    return kind, par


def terrain_description(prepared: Prepared, horizon=None) -> dict | None:
    """The site's terrain and each unit's masking (:func:`forceprot.terrain.describe_terrain`),
    None without a DEM. ``horizon`` (the compiled units' bundle) saves building the tables."""
    from forceprot.terrain import describe_terrain

    site, scenario = prepared.site, prepared.scenario
    if site.terrain is None:
        return None
    _, par = unit_parameters(scenario)
    if horizon is None:
        horizon = unit_horizons(site.terrain, site.unit_xy_m.reshape(-1, 2), par)
    return describe_terrain(site.terrain, horizon, par[:, P.P_TAN_MIN_ELEVATION],
                            [u.name for u in scenario.defence])


def compile_scenario(prepared: Prepared, *, aim_points_xy: np.ndarray | None = None) -> CompiledScenario:
    """Turn a prepared scenario into the arrays the kernel runs on.

    Parameters
    ----------
    prepared : Prepared
        Scenario and site geometry.
    aim_points_xy : ndarray, float64, shape (n, 2), optional
        Aim at these points with equal weight instead of the scenario's aim rule (used by the
        coverage map to aim at every cell).
    """
    scenario, site = prepared.scenario, prepared.site
    threat = scenario.threat
    label = scenario.label
    family, fixed, wind_to_rad, wind_laying = check_firing_reach(scenario, site, aim_points_xy)

    if aim_points_xy is not None:
        pts = np.asarray(aim_points_xy, dtype=np.float64).reshape(-1, 2)
        aim = Sampler(np.ascontiguousarray(np.repeat(pts[:, None, :], 3, axis=1)),
                      _cumulative(np.ones(len(pts))))
    elif threat.aim == "assets":
        aim_tri, aim_weight = asset_aim_triangles(site.assets)
        aim = Sampler(aim_tri, _cumulative(aim_weight))
    else:
        aim = area_sampler(site.base)

    grid = Grid.covering(site.defended_area, scenario.simulation.cell_m, label=label,
                         field="simulation.cell_m")
    launch_grid = Grid.covering(site.launch_zone, scenario.simulation.launch_cell_m, label=label,
                                field="simulation.launch_cell_m")
    unit_kind, unit_par = unit_parameters(scenario)
    unit_xy = np.ascontiguousarray(site.unit_xy_m, dtype=np.float64).reshape(-1, 2)

    salvo = SalvoParams(
        tubes=int(threat.tubes),
        ripple_s=float(threat.ripple_s),
        aim_sigma_m=float(threat.aim_sigma_m),
        range_sigma_frac=float(threat.range_sigma_frac),
        deflection_sigma_rad=float(threat.deflection_sigma_mil * RAD_PER_MIL),
        wind_to_rad=wind_to_rad,
        alert_delay_s=float(scenario.warning.alert_delay_s),
        wind_laying=wind_laying,
        fixed_elevation=fixed is not None,
        fixed_fe=float(fixed.fe) if fixed is not None else 0.0,
        fixed_range_m=float(fixed.range_m) if fixed is not None else 0.0,
    )
    table = _family_table(family)
    from forceprot.surveillance import compile_surveillance  # it imports Grid from here

    surveillance = compile_surveillance(scenario, site)
    inputs = KernelInputs(
        salvo=salvo,
        family=table,
        aim=aim,
        zone=area_sampler(site.launch_zone),
        base=cell_grid(site.base, grid),
        defended=cell_grid(site.defended_area, grid),
        launch=launch_grid.spec(),
        units=Units(unit_kind, unit_xy, unit_par, P.FIRE_CONTROL[scenario.fire_control],
                    unit_horizons(site.terrain, unit_xy, unit_par)),
        assets=asset_bundle(site.assets),
        people=people_bundle(site.people, scenario) if site.people is not None
        else empty_people(),
        watch=surveillance.watch_bundle() if surveillance is not None else NO_WATCH,
    )
    return CompiledScenario(provenance=Provenance.of(scenario), inputs=inputs, base_grid=grid,
                            launch_grid=launch_grid, surveillance=surveillance)
