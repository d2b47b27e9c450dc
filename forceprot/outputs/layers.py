"""GIS layers of a run and of a coverage map, as GeoDataFrames in WGS84 lon/lat.

Every layer is built in the site's local metric CRS, transformed to EPSG:4326 and given RFC 7946
winding (exterior rings counter-clockwise, holes clockwise). Property names carry their unit
(``_m``, ``_s``, ``_m2``, ``_per_salvo``, ``_per_km2_per_salvo``); ``p_`` are probabilities,
counts are plain nouns (``impacts``, ``salvos``). Undefined values (a rate over no rockets) are
null. Grid cells are clipped to the area they describe (the base, the launch zone): a cell on the
perimeter is the part of the square inside, and ``area_in_base_m2`` / ``area_in_zone_m2`` is its
true area.

Each layer function takes the run (or coverage map) and then ``prepared``, the
:class:`~forceprot.compile.Prepared` scenario and site it was compiled from: the results hold
arrays only, the geometry and the units' parameters come from the scenario they describe.

Writers: :func:`write_geojson` (GDAL's GeoJSON driver with ``RFC7946=YES``) and
:func:`write_gpkg` (one named table per layer).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from forceprot.kernel import tally as T
from forceprot.compile import Grid, Prepared
from forceprot.studies.coverage import Coverage, cells_in
from forceprot.results import Results

__all__ = [
    "WGS84",
    "assets_layer",
    "base_layer",
    "coarsen_grid",
    "coverage_grid_layer",
    "defence_envelopes_layer",
    "defences_layer",
    "impacts_layer",
    "launch_risk_layer",
    "launch_zone_layer",
    "leak_grid_layer",
    "run_layers",
    "stratified_launch_layer",
    "unwatched_layer",
    "stratified_launch_table",
    "top_launch_areas",
    "write_geojson",
    "write_gpkg",
]

WGS84 = "EPSG:4326"
M2_PER_KM2 = 1.0e6
#: Segments per quarter circle of envelope disks: the polygon's area is 0.04 % short of the disk's.
CIRCLE_QUAD_SEGS = 32
#: Decimals of lon/lat in GeoJSON: 7 is about 1 cm (GDAL's RFC 7946 default).
COORDINATE_PRECISION = 7
#: Significant figures of property values in GeoJSON (counts are exact integers regardless).
SIGNIFICANT_FIGURES = 9


def _frame(site, data: dict, geometry_m) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4326 from local-CRS geometry, exterior rings counter-clockwise."""
    geometry = shapely.orient_polygons(site.to_wgs84(np.asarray(geometry_m, dtype=object)))
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=geometry, crs=WGS84)


# --- site ------------------------------------------------------------------------------------


def base_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``base``: the base outline (one feature)."""
    site = prepared.site
    return _frame(site, {"name": [site.name], "area_m2": [site.base_area_m2],
                         "perimeter_m": [float(site.base.boundary.length)],
                         "defended_margin_m": [prepared.scenario.site.defended_margin_m]},
                  [site.base])


def launch_zone_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``launch_zone``: where a launcher may stand (one feature)."""
    site, threat = prepared.site, prepared.scenario.threat
    custom = prepared.scenario.site.launch_areas is not None
    return _frame(site, {"area_m2": [site.launch_zone_area_m2],
                         "min_standoff_m": [threat.min_standoff_m],
                         "max_standoff_m": [None if custom else threat.max_standoff_m],
                         "source": ["launch_areas layer" if custom else "standoff band"],
                         "rocket": [threat.rocket],
                         "rocket_min_range_m": [results.compiled.inputs.family.min_range_m],
                         "rocket_max_range_m": [results.compiled.inputs.family.max_range_m]},
                  [site.launch_zone])


# --- defences --------------------------------------------------------------------------------

#: Feature kinds of the ``defence_envelopes`` layer, in drawing order.
DEFENCE_FEATURES = ("sensor_coverage", "engagement_envelope", "defended_area")


def _disk(xy, radius_m: float):
    return shapely.Point(xy).buffer(radius_m, quad_segs=CIRCLE_QUAD_SEGS)


def unit_envelopes_m(prepared: Prepared, u: int) -> dict[str, tuple]:
    """One unit's envelopes in the local CRS: ``{feature: (geometry, inner_m, outer_m, height_m)}``.

    * ``sensor_coverage``: disk of the detection range (the 4/3-earth horizon cuts it further
      for low rockets far out; that is not drawn).
    * ``engagement_envelope``: for a gun, the disk where a rocket at the minimum engagement
      height is within the maximum slant range (radius ``sqrt(max_range^2 - min_height^2)``);
      for a battery, the ring of ground ranges between the minimum and maximum intercept range.
    * ``defended_area``: where a rocket must be predicted to land for the unit to engage it: its
      ``defended_radius_m`` disk inside the site's defended area (the base plus its margin).
    """
    unit = prepared.scenario.defence[u]
    site = prepared.site
    xy = site.unit_xy_m[u]
    out: dict[str, tuple] = {}
    sensor_m = unit.detection_range_m
    out["sensor_coverage"] = (_disk(xy, sensor_m), 0.0, sensor_m, None)
    inner_m, outer_m, floor_m = unit.envelope_m()
    if outer_m > 0:
        ring = _disk(xy, outer_m)
        if inner_m > 0:
            ring = ring.difference(_disk(xy, inner_m))
        out["engagement_envelope"] = (ring, inner_m, outer_m, floor_m)
    defended = _disk(xy, unit.defended_radius_m).intersection(site.defended_area)
    if not defended.is_empty:
        out["defended_area"] = (defended, 0.0, unit.defended_radius_m, None)
    return out


#: Columns of the ``defences`` layer and their dtypes: counts are nullable integers (a gun has no
#: interceptors, a battery no magazine), so they stay integers in every file, never ``1550.0``.
DEFENCE_COLUMNS = {
    "name": "object", "kind": "object", "lon": "float64", "lat": "float64",
    "p_kill": "float64", "reaction_s": "float64", "sensor_range_m": "float64",
    "defended_radius_m": "float64", "max_range_m": "float64", "min_height_m": "float64",
    "engage_s": "float64", "magazine_rounds": "Int64", "rounds_per_engagement": "Int64",
    "min_intercept_range_m": "float64", "max_intercept_range_m": "float64",
    "min_intercept_alt_m": "float64", "max_intercept_alt_m": "float64",
    "interceptors": "Int64", "doctrine": "object", "engagements_per_salvo": "float64",
    "kills_credited": "Int64", "kill_share_of_threatening": "float64",
    "kill_share_of_threatening_lo": "float64", "kill_share_of_threatening_hi": "float64",
    "salvos_magazine_exhausted": "Int64",
    # with site.dem (:func:`forceprot.compile.terrain_description`), else null
    "ground_above_site_m": "float64", "median_mask_deg": "float64", "max_mask_deg": "float64",
}
#: Columns of the ``defence_envelopes`` layer and their dtypes.
ENVELOPE_COLUMNS = {
    "feature": "object", "name": "object", "kind": "object", "inner_radius_m": "float64",
    "outer_radius_m": "float64", "height_m": "float64",
}


def _typed(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a frame with exactly ``columns`` and their dtypes, also when there are no rows
    (a base without defences still gets its layers, with the same fields)."""
    frame = pd.DataFrame(rows, columns=list(columns))  # missing and NaN values become null
    return frame.astype(columns)


def defences_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``defences``: each unit as a point with its parameters and run figures (with a DEM, its
    ground above the site's altitude and its median and largest masking angle).

    Empty (but with every column) for a base without defences. Envelopes are in
    :func:`defence_envelopes_layer`, so each layer holds one geometry type.
    """
    site = prepared.site
    rows: list[dict] = []
    unit_results = results.unit_results
    terrain = results.terrain(prepared)
    for u, unit in enumerate(prepared.scenario.defence):
        lon, lat = site.xy_to_lonlat(site.unit_xy_m[u, 0], site.unit_xy_m[u, 1])
        ur = unit_results[u]
        masking = terrain["units"][u] if terrain is not None else {}
        rows.append({
            "name": unit.name, "kind": unit.kind,
            "lon": float(lon), "lat": float(lat),
            "p_kill": unit.p_kill, "reaction_s": unit.reaction_s,
            "sensor_range_m": unit.detection_range_m,
            "defended_radius_m": unit.defended_radius_m,
            **unit.layer_fields(),
            "engagements_per_salvo": ur.engagements_per_salvo,
            "kills_credited": ur.kills,
            "kill_share_of_threatening": ur.kill_share.value,
            "kill_share_of_threatening_lo": ur.kill_share.lo,
            "kill_share_of_threatening_hi": ur.kill_share.hi,
            "salvos_magazine_exhausted": ur.salvos_exhausted,
            "ground_above_site_m": masking.get("ground_z_m"),
            "median_mask_deg": masking.get("median_mask_deg"),
            "max_mask_deg": masking.get("max_mask_deg"),
        })
    return _frame(site, _typed(rows, DEFENCE_COLUMNS), shapely.points(site.unit_xy_m[:len(rows)]))


#: Columns of the ``assets`` layer and their types.
ASSET_COLUMNS = {
    "name": "object", "kind": "object", "source": "object", "weight": "float64",
    "radius_m": "float64", "area_m2": "float64",
    "leakers_per_salvo": "float64", "leakers_per_salvo_lo": "float64",
    "leakers_per_salvo_hi": "float64",
    "p_hit": "float64", "p_hit_lo": "float64", "p_hit_hi": "float64",
    "label_lon": "float64", "label_lat": "float64",
}


def assets_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``assets``: every asset's hit area as a (multi)polygon with its run figures.

    One layer of one geometry type: a polygon asset is its outline (holes kept), a circle
    asset its hit-radius disk as a :data:`CIRCLE_QUAD_SEGS`-segment polygon (``kind`` says
    which; ``radius_m`` is null for polygons). ``leakers_per_salvo`` (with ``_lo``/``_hi``, a t
    interval over salvos) are leakers hitting the asset per salvo, ``p_hit`` (with a Wilson
    interval) the probability that a salvo hits it at least once; ``area_m2`` is the hit area.
    Empty (with every column) for a scenario without assets.
    """
    site = prepared.site
    lon, lat = site.xy_to_lonlat(site.assets.xy_m[:, 0], site.assets.xy_m[:, 1])
    rows = []
    for a, r in enumerate(results.asset_results(prepared)):
        rows.append({
            "name": r["name"], "kind": r["kind"], "source": r["source"], "weight": r["weight"],
            "radius_m": r["radius_m"], "area_m2": r["area_m2"],
            "leakers_per_salvo": r["leakers_per_salvo"],
            "leakers_per_salvo_lo": r["leakers_per_salvo_ci"][0],
            "leakers_per_salvo_hi": r["leakers_per_salvo_ci"][1],
            "p_hit": r["p_hit"], "p_hit_lo": r["p_hit_ci"][0], "p_hit_hi": r["p_hit_ci"][1],
            "label_lon": float(np.ravel(lon)[a]), "label_lat": float(np.ravel(lat)[a]),
        })
    return _frame(site, _typed(rows, ASSET_COLUMNS),
                  site.assets.areas_m(CIRCLE_QUAD_SEGS)[:len(rows)])


#: Columns of the ``exposure`` layer and their types.
EXPOSURE_COLUMNS = {
    "name": "object", "kind": "object", "people_peak": "float64",
    "people_present_mean": "float64", "expected_killed_per_salvo": "float64",
    "expected_casualties_per_salvo": "float64", "expected_casualties_per_salvo_lo": "float64",
    "expected_casualties_per_salvo_hi": "float64", "casualties_per_1000_people": "float64",
}


def exposure_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``exposure``: each occupancy area of ``[people]`` with the casualties among its people.

    ``expected_casualties_per_salvo`` (killed or wounded, with ``_lo``/``_hi``, a t interval
    over salvos) and ``expected_killed_per_salvo`` are weighted over the attack hours;
    ``casualties_per_1000_people`` divides by the people present at the attack-hour mean, so
    areas of different sizes compare. Empty (with every column) without ``[people]``.
    """
    site = prepared.site
    rows = []
    for r in results.exposure_results(prepared):
        rows.append({
            "name": r["name"], "kind": r["kind"], "people_peak": r["people_peak"],
            "people_present_mean": r["people_present_mean"],
            "expected_killed_per_salvo": r["expected_killed_per_salvo"],
            "expected_casualties_per_salvo": r["expected_casualties_per_salvo"],
            "expected_casualties_per_salvo_lo": r["expected_casualties_per_salvo_ci"][0],
            "expected_casualties_per_salvo_hi": r["expected_casualties_per_salvo_ci"][1],
            "casualties_per_1000_people": r["casualties_per_1000_people"],
        })
    polygons = site.people.polygons if rows else np.empty(0, dtype=object)
    return _frame(site, _typed(rows, EXPOSURE_COLUMNS), polygons)


def defence_envelopes_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``defence_envelopes``: each unit's envelopes as (multi)polygons (:func:`unit_envelopes_m`).

    ``feature`` says which: ``sensor_coverage``, ``engagement_envelope`` or ``defended_area``.
    ``inner_radius_m``, ``outer_radius_m``; ``height_m`` is the height the envelope is drawn at,
    where it applies. Empty (with every column) for a base without defences.
    """
    site = prepared.site
    rows: list[dict] = []
    geoms = []
    for u, unit in enumerate(prepared.scenario.defence):
        for feature, (geom, inner, outer, height) in unit_envelopes_m(prepared, u).items():
            rows.append({"feature": feature, "name": unit.name, "kind": unit.kind,
                         "inner_radius_m": inner, "outer_radius_m": outer, "height_m": height})
            geoms.append(geom)
    return _frame(site, _typed(rows, ENVELOPE_COLUMNS), geoms)


# --- grids -----------------------------------------------------------------------------------


def _grid_xy_to_lonlat(site, grid, index) -> tuple[np.ndarray, np.ndarray]:
    cx, cy = grid.centers()
    return site.xy_to_lonlat(cx[index], cy[index])


def leak_grid_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``leak_grid``: base-grid cells overlapping the base, clipped to it.

    Properties: ``cell`` (flat grid index), ``impacts`` and ``leakers`` (rocket counts),
    ``impacts_per_salvo``, ``leakers_per_salvo``, ``leaker_density_per_km2_per_salvo`` (leakers per
    salvo over the cell's area inside the base), ``p_intercept`` with its 95 % interval
    ``p_intercept_lo``/``_hi`` (null where no rocket landed), ``area_in_base_m2``, ``centre_lon``,
    ``centre_lat``.
    """
    compiled = results.compiled
    site = prepared.site
    grid = compiled.base_grid
    index, polygons, area = cells_in(grid, site.base)
    cells = results.base_cells()
    lon, lat = _grid_xy_to_lonlat(site, grid, index)
    data = {
        "cell": index,
        "impacts": cells["impacts"][index].astype(np.int64),
        "leakers": cells["leakers"][index].astype(np.int64),
        "impacts_per_salvo": cells["impacts_per_salvo"][index],
        "leakers_per_salvo": cells["leakers_per_salvo"][index],
        "leaker_density_per_km2_per_salvo": cells["leakers_per_salvo"][index] / (area / M2_PER_KM2),
        "p_intercept": cells["p_intercept"][index],
        "p_intercept_lo": cells["p_intercept_lo"][index],
        "p_intercept_hi": cells["p_intercept_hi"][index],
        "area_in_base_m2": area,
        "centre_lon": lon,
        "centre_lat": lat,
    }
    return _frame(site, data, polygons)


def launch_risk_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``launch_risk``: launch-grid cells overlapping the launch zone, clipped to it.

    Properties: ``cell``, ``salvos`` (salvos fired from the cell), ``share_of_salvos``,
    ``leakers_per_salvo`` (expected leakers of a salvo fired from the cell) with its 95 % t
    interval ``leakers_per_salvo_lo``/``_hi`` (null below two salvos), ``threatening_per_salvo``
    (rockets of such a salvo landing inside), ``distance_to_base_m`` (cell centre to the
    perimeter), ``area_in_zone_m2``, ``centre_lon``, ``centre_lat``; with surveillance
    ``p_detect_before_fire`` (mean over the cell's salvos of P(the launch team is found before
    it fires) [-], null without salvos).
    """
    compiled = results.compiled
    site = prepared.site
    grid = compiled.launch_grid
    index, polygons, area = cells_in(grid, site.launch_zone)
    cells = results.launch_cells()
    cx, cy = grid.centers()
    lon, lat = site.xy_to_lonlat(cx[index], cy[index])
    data = {
        "cell": index,
        "salvos": cells["salvos"][index].astype(np.int64),
        "share_of_salvos": cells["share_of_salvos"][index],
        "leakers_per_salvo": cells["leakers_per_salvo"][index],
        "leakers_per_salvo_lo": cells["leakers_per_salvo_lo"][index],
        "leakers_per_salvo_hi": cells["leakers_per_salvo_hi"][index],
        "threatening_per_salvo": cells["threatening_per_salvo"][index],
        "distance_to_base_m": shapely.distance(shapely.points(cx[index], cy[index]), site.base),
        "area_in_zone_m2": area,
        "centre_lon": lon,
        "centre_lat": lat,
    }
    if compiled.surveillance is not None:
        data["p_detect_before_fire"] = cells["p_detect_before_fire"][index]
    return _frame(site, data, polygons)


#: Launch areas listed in the report and numbered on the map.
TOP_LAUNCH_AREAS = 5
#: Side of a launch area [m]: launch-grid cells are summed into squares about this size, so that
#: each holds enough salvos for its leak figure to mean something.
LAUNCH_AREA_M = 1_000.0
#: Salvos an area needs before it is ranked.
MIN_SALVOS_TO_RANK = 10


def top_launch_areas(results: Results, prepared: Prepared, n: int = TOP_LAUNCH_AREAS, *,
                     area_m: float = LAUNCH_AREA_M) -> pd.DataFrame:
    """The launch areas whose salvos leak most.

    Launch-grid cells are summed into squares of about ``area_m`` (a whole number of cells; the
    tallies are sums, so this is exact), and squares with at least :data:`MIN_SALVOS_TO_RANK`
    salvos are ranked by expected leakers per salvo fired from them.

    Returns
    -------
    DataFrame
        ``rank``, ``side_m``; ``x_m``, ``y_m`` (local CRS), ``lon``, ``lat``: a point of the
        square's part in the launch zone; ``distance_to_base_m`` (that point to the perimeter),
        ``bearing_from_base_deg`` (true bearing from the base's centroid), ``salvos``,
        ``leakers_per_salvo`` with its 95 % t interval ``_lo``/``_hi``,
        ``threatening_per_salvo``, ``polygon_m`` (the square in the local CRS, clipped to the
        launch zone). At most ``n`` rows; fewer if fewer areas qualify.
    """
    compiled = results.compiled
    site = prepared.site
    grid = compiled.launch_grid
    coarse, summed = coarsen_grid(grid, results.launch, max(1, int(round(area_m / grid.cell_m))))
    cells = replace(results, launch=summed).launch_cells()
    ranked = np.flatnonzero(cells["salvos"] >= MIN_SALVOS_TO_RANK)
    pick = ranked[np.argsort(-cells["leakers_per_salvo"][ranked], kind="stable")[:n]]
    polygons = shapely.intersection(coarse.boxes()[pick], site.launch_zone)
    where = shapely.point_on_surface(polygons)
    x, y = shapely.get_x(where), shapely.get_y(where)
    lon, lat = site.xy_to_lonlat(x, y)
    centroid = site.base.centroid
    clon, clat = site.xy_to_lonlat(centroid.x, centroid.y)
    bearing, _, _ = Geod(ellps="WGS84").inv(np.full(len(pick), clon), np.full(len(pick), clat),
                                            lon, lat)
    return pd.DataFrame({
        "rank": np.arange(1, len(pick) + 1),
        "side_m": np.full(len(pick), coarse.cell_m),
        "x_m": x,
        "y_m": y,
        "lon": lon,
        "lat": lat,
        "distance_to_base_m": shapely.distance(where, site.base),
        "bearing_from_base_deg": np.mod(bearing, 360.0),
        "salvos": cells["salvos"][pick].astype(np.int64),
        "leakers_per_salvo": cells["leakers_per_salvo"][pick],
        "leakers_per_salvo_lo": cells["leakers_per_salvo_lo"][pick],
        "leakers_per_salvo_hi": cells["leakers_per_salvo_hi"][pick],
        "threatening_per_salvo": cells["threatening_per_salvo"][pick],
        "polygon_m": polygons,
    })


def stratified_launch_table(results: Results, prepared: Prepared, risk) -> pd.DataFrame:
    """Every launch area of a :class:`forceprot.studies.launch_risk.LaunchRisk`, ranked.

    Same columns as :func:`top_launch_areas` (``salvos`` is the salvos fired from the area),
    plus ``in_top_group`` (cannot be told apart from the top area), ``zone_share`` (the area's
    share of the launch zone) and ``leak_rate``; areas no launcher can reach from come last,
    with null figures.
    """
    site = prepared.site
    order = np.concatenate([risk.ranking, np.flatnonzero(~risk.reachable)]).astype(np.int64)
    polygons = risk.polygons_m[order]
    where = shapely.point_on_surface(polygons)
    x, y = shapely.get_x(where), shapely.get_y(where)
    lon, lat = site.xy_to_lonlat(x, y)
    centroid = site.base.centroid
    clon, clat = site.xy_to_lonlat(centroid.x, centroid.y)
    bearing, _, _ = Geod(ellps="WGS84").inv(np.full(len(order), clon),
                                            np.full(len(order), clat), lon, lat)
    return pd.DataFrame({
        "rank": np.arange(1, len(order) + 1),
        "side_m": np.full(len(order), risk.area_m),
        "x_m": x, "y_m": y, "lon": lon, "lat": lat,
        "distance_to_base_m": shapely.distance(where, site.base),
        "bearing_from_base_deg": np.mod(bearing, 360.0),
        "salvos": risk.salvos[order].astype(np.int64),
        "leakers_per_salvo": risk.leakers_per_salvo[order],
        "leakers_per_salvo_lo": risk.leakers_lo[order],
        "leakers_per_salvo_hi": risk.leakers_hi[order],
        "threatening_per_salvo": risk.threatening_per_salvo[order],
        "leak_rate": risk.leak_rate[order],
        "in_top_group": risk.in_top_group[order],
        "zone_share": risk.zone_share[order],
        **({"p_detect_before_fire": risk.p_detect_before_fire[order]}
           if risk.p_detect_before_fire is not None else {}),
        "polygon_m": polygons,
    })


def stratified_launch_layer(results: Results, prepared: Prepared,
                            table: pd.DataFrame) -> gpd.GeoDataFrame:
    """``launch_risk`` from the stratified study: one polygon per launch area with its rank,
    figures, ``in_top_group`` and ``zone_share``."""
    data = {k: table[k].to_numpy() for k in table.columns if k not in ("polygon_m", "x_m", "y_m")}
    data["in_top_group"] = data["in_top_group"].astype(bool)
    return _frame(prepared.site, data, table["polygon_m"].to_numpy())


def unwatched_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``unwatched``: the launch zone no sensor sees (surveillance raster cells with detection
    rate 0 at their centre, clipped to the zone), one (multi)polygon feature, none when every
    cell is watched. Properties: ``area_m2``, ``share_of_zone`` [-], ``cell_m`` (the raster's
    cell) [m]."""
    compiled = results.compiled
    site = prepared.site
    surv = compiled.surveillance
    geom = shapely.intersection(surv.unwatched_m(), site.launch_zone)
    if geom.is_empty:
        return _frame(site, {"area_m2": [], "share_of_zone": [], "cell_m": []}, [])
    area = float(geom.area)
    return _frame(site, {"area_m2": [area], "share_of_zone": [area / site.launch_zone_area_m2],
                         "cell_m": [float(surv.grid.cell_m)]}, [geom])


def coarsen_grid(grid: Grid, tallies: np.ndarray, k: int) -> tuple[Grid, np.ndarray]:
    """Group a grid's cells into ``k`` x ``k`` squares and sum their tallies (exact: they are sums).

    Parameters
    ----------
    grid : Grid
        The fine grid.
    tallies : ndarray, float64, shape (n_rows, grid.n_cells)
        Per-cell tallies (``Results.grid`` or ``Results.launch``).
    k : int
        Cells per side of a square.

    Returns
    -------
    coarse : Grid
        Same origin, ``k * cell_m`` cells (the last row and column may stick out).
    summed : ndarray, float64, shape (n_rows, coarse.n_cells)
    """
    if k == 1:
        return grid, tallies
    coarse = Grid(grid.x0, grid.y0, grid.cell_m * k, -(-grid.nx // k), -(-grid.ny // k))
    iy, ix = np.divmod(np.arange(grid.n_cells), grid.nx)
    target = (iy // k) * coarse.nx + ix // k
    summed = np.stack([np.bincount(target, weights=row, minlength=coarse.n_cells)
                       for row in tallies])
    return coarse, summed


def impacts_layer(results: Results, prepared: Prepared) -> gpd.GeoDataFrame:
    """``impacts``: where each rocket of the recorded sample of salvos lands, as points.

    The point is the rocket's ballistic impact point: for an intercepted rocket, where it would
    have landed. Properties: ``salvo``, ``tube``, ``inside`` (lands inside the base),
    ``defended`` (inside the defended area), ``intercepted``, ``leaked`` (inside and not
    intercepted), ``kill_unit`` (name, null if not intercepted), ``kill_t_s``, ``t_launch_s``,
    ``t_impact_s`` (from the salvo's first launch), ``first_detect_t_s``, ``warning_s`` (null for
    rockets landing outside), ``apogee_m``, ``launch_lon``/``launch_lat``,
    ``aim_lon``/``aim_lat``.
    """
    compiled = results.compiled
    site = prepared.site
    s = results.story
    names = np.array(compiled.unit_names + [None], dtype=object)
    kill_unit = s[:, T.R_KILL_UNIT].astype(np.int64) if len(s) else np.zeros(0, np.int64)
    inside = s[:, T.R_INSIDE] > 0
    intercepted = s[:, T.R_INTERCEPTED] > 0
    launch_lon, launch_lat = site.xy_to_lonlat(s[:, T.R_LAUNCH_X], s[:, T.R_LAUNCH_Y])
    aim_lon, aim_lat = site.xy_to_lonlat(s[:, T.R_AIM_X], s[:, T.R_AIM_Y])
    data = {
        "salvo": s[:, T.R_SALVO].astype(np.int64),
        "tube": s[:, T.R_TUBE].astype(np.int64),
        "inside": inside,
        "defended": s[:, T.R_DEFENDED] > 0,
        "intercepted": intercepted,
        "leaked": inside & ~intercepted,
        "kill_unit": names[kill_unit],  # -1 (not killed) picks the trailing None
        "kill_t_s": s[:, T.R_KILL_T],
        "t_launch_s": s[:, T.R_T_LAUNCH],
        "t_impact_s": s[:, T.R_T_IMPACT],
        "first_detect_t_s": s[:, T.R_FIRST_DETECT_T],
        "warning_s": s[:, T.R_WARNING_S],
        "apogee_m": s[:, T.R_APOGEE_M],
        "launch_lon": launch_lon,
        "launch_lat": launch_lat,
        "aim_lon": aim_lon,
        "aim_lat": aim_lat,
    }
    return _frame(site, data, shapely.points(s[:, T.R_IMPACT_X], s[:, T.R_IMPACT_Y]))


def run_layers(results: Results, prepared: Prepared) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of a run, by name, in drawing order (areas first, points last)."""
    return {
        "base": base_layer(results, prepared),
        "launch_zone": launch_zone_layer(results, prepared),
        "leak_grid": leak_grid_layer(results, prepared),
        "launch_risk": launch_risk_layer(results, prepared),
        "assets": assets_layer(results, prepared),
        "exposure": exposure_layer(results, prepared),
        "defence_envelopes": defence_envelopes_layer(results, prepared),
        "defences": defences_layer(results, prepared),
        "impacts": impacts_layer(results, prepared),
        **({"unwatched": unwatched_layer(results, prepared)}
           if results.compiled.surveillance is not None else {}),
    }


def coverage_grid_layer(coverage: Coverage, prepared: Prepared) -> gpd.GeoDataFrame:
    """``coverage_grid``: coverage cells clipped to the base.

    Properties: ``cell``, ``p_intercept`` with ``p_intercept_lo``/``_hi`` (null where no rocket
    landed), ``impacts``, ``covered`` (estimate >= threshold), ``covered_conservative`` (lower
    bound >= threshold), ``sampled``, ``area_in_base_m2``, ``centre_lon``, ``centre_lat``.
    """
    plan = coverage.plan
    site = prepared.site
    lon, lat = _grid_xy_to_lonlat(site, plan.grid, plan.index)
    data = {
        "cell": plan.index,
        "p_intercept": coverage.p_intercept,
        "p_intercept_lo": coverage.p_intercept_lo,
        "p_intercept_hi": coverage.p_intercept_hi,
        "impacts": coverage.impacts.astype(np.int64),
        "covered": coverage.covered,
        "covered_conservative": coverage.covered_conservative,
        "sampled": coverage.impacts > 0,
        "area_in_base_m2": plan.area_m2,
        "centre_lon": lon,
        "centre_lat": lat,
    }
    return _frame(site, data, plan.polygons)


# --- writers ---------------------------------------------------------------------------------


#: Geometry type of each layer when it has no features to show it (a base without defences).
EMPTY_LAYER_GEOMETRY = {"defences": "Point", "defence_envelopes": "MultiPolygon",
                        "impacts": "Point", "assets": "MultiPolygon",
                        "unwatched": "MultiPolygon"}


def _geometry_options(frame: gpd.GeoDataFrame, layer: str) -> dict:
    """pyogrio options giving the layer exactly one geometry type.

    Polygons and multipolygons together (a cell clipped into two parts) are all written as
    multipolygons; points and polygons together are a bug in the layer, not a file to write.
    """
    kinds = set(frame.geom_type.dropna())
    if not kinds:
        return {"geometry_type": EMPTY_LAYER_GEOMETRY.get(layer, "Unknown")}
    families = {k.removeprefix("Multi") for k in kinds}
    if len(families) > 1:
        raise ValueError(f"layer {layer!r} mixes geometry types {sorted(kinds)}")
    return {"promote_to_multi": len(kinds) > 1}


def write_geojson(frame: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write ``frame`` as RFC 7946 GeoJSON (EPSG:4326, counter-clockwise exteriors, no CRS member),
    with one geometry type (see :func:`_geometry_options`).

    Parameters
    ----------
    frame : GeoDataFrame
        In EPSG:4326.
    path : Path
        Target file (callers pass a path in a staged folder that is committed whole).
    layer : str
        The collection's ``name``.
    """
    frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer=layer,
                  layer_options={"RFC7946": "YES",
                                 "COORDINATE_PRECISION": str(COORDINATE_PRECISION),
                                 "SIGNIFICANT_FIGURES": str(SIGNIFICANT_FIGURES)},
                  **_geometry_options(frame, layer))


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write every layer into one GeoPackage, one table each, named as the dict keys, with its
    QGIS style as the default (:func:`forceprot.outputs.styles.add_layer_styles`)."""
    from forceprot.outputs.styles import add_layer_styles

    for name, frame in layers.items():
        frame.to_file(path, driver="GPKG", engine="pyogrio", layer=name,
                      **_geometry_options(frame, name))
    add_layer_styles(path, layers)
