"""Geodata in, local metric geometry out, WGS84 back.

Layers are read with geopandas/pyogrio in any format and CRS GDAL reads. All geometry then
lives in the local UTM zone that pyproj picks for the base (``estimate_utm_crs``); results
go back to WGS84 lon/lat for export. Every layer is checked here, so that everything
downstream can trust it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from forceprot.errors import GeometryError, ScenarioError
from forceprot.scenario import Scenario

__all__ = ["SiteGeometry", "load_site", "read_polygon_layer", "MAX_UNIT_DISTANCE_M"]

#: A defence unit or asset farther than this from the base is a mistake (wrong sign, wrong CRS).
MAX_UNIT_DISTANCE_M = 100_000.0
#: A layer farther than this from the base is almost surely in the wrong CRS.
MAX_LAYER_DISTANCE_M = 200_000.0
#: Segments per quarter circle when buffering the base into bands.
QUAD_SEGS = 16


@dataclass(frozen=True)
class SiteGeometry:
    """The site in the local metric CRS.

    Attributes
    ----------
    name : str
        Site name.
    local_crs : pyproj.CRS
        The UTM CRS all geometry below is in (metres).
    source_crs : pyproj.CRS
        CRS of the boundary layer as read.
    base : shapely Polygon or MultiPolygon
        The base [m].
    defended_area : shapely geometry
        The base grown by ``site.defended_margin_m`` [m].
    launch_zone : shapely geometry
        Where a launcher may stand [m].
    unit_xy_m : ndarray, float64, shape (n_units, 2)
        Defence unit positions [m], in scenario order.
    asset_xy_m : ndarray, float64, shape (n_assets, 2)
        Asset positions [m], in scenario order.
    """

    name: str
    local_crs: CRS
    source_crs: CRS
    base: BaseGeometry
    defended_area: BaseGeometry
    launch_zone: BaseGeometry
    exclusions: BaseGeometry | None
    unit_xy_m: np.ndarray
    asset_xy_m: np.ndarray
    _to_wgs84: Transformer = field(repr=False, compare=False)
    _from_wgs84: Transformer = field(repr=False, compare=False)

    @property
    def base_area_m2(self) -> float:
        return float(self.base.area)

    @property
    def launch_zone_area_m2(self) -> float:
        return float(self.launch_zone.area)

    def to_wgs84(self, geometry):
        """Geometry (or array of geometries) from the local CRS to WGS84 lon/lat."""
        return shapely.transform(geometry, lambda xy: np.column_stack(
            self._to_wgs84.transform(xy[:, 0], xy[:, 1])))

    def xy_to_lonlat(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Local metres to WGS84 lon/lat [deg]."""
        lon, lat = self._to_wgs84.transform(np.asarray(x_m, float), np.asarray(y_m, float))
        return np.asarray(lon), np.asarray(lat)

    def lonlat_to_xy(self, lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 lon/lat [deg] to local metres."""
        x, y = self._from_wgs84.transform(np.asarray(lon_deg, float), np.asarray(lat_deg, float))
        return np.asarray(x), np.asarray(y)


def _check_coords_fit_crs(gdf: gpd.GeoDataFrame, label: str, field_name: str) -> None:
    crs = gdf.crs
    if crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GeometryError(
                f"coordinates ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) are not "
                f"lon/lat, but the layer's CRS is {crs.to_string()} (CRS mismatch: projected "
                "coordinates in a geographic file?)", file=label, field=field_name)


def read_polygon_layer(path: Path, *, label: str, field_name: str,
                       layer: str | None = None) -> tuple[BaseGeometry, CRS]:
    """Read a polygon layer and union its features.

    Parameters
    ----------
    path : Path
        Any vector format GDAL reads (GeoJSON, GeoPackage, Shapefile...).
    label : str
        How the file is named in errors.
    field_name : str
        The scenario field that named this file, for errors.
    layer : str, optional
        Layer name in a multi-layer file.

    Returns
    -------
    geometry : shapely Polygon or MultiPolygon
        Union of all features, in the layer's CRS.
    crs : pyproj.CRS

    Raises
    ------
    GeometryError
        Missing or unreadable file, no CRS, no features, non-polygon features, invalid polygons
        (with shapely's reason) or coordinates that do not fit the CRS.
    """
    if not path.exists():
        raise GeometryError("file not found", file=label, field=field_name)
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GeometryError(f"cannot read as a vector layer: {reason}", file=label,
                            field=field_name) from None
    if gdf.crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label,
                            field=field_name)
    geoms = gdf.geometry
    if len(gdf) == 0 or geoms.isna().all() or geoms.is_empty.all():
        raise GeometryError("layer has no geometry", file=label, field=field_name)
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    kinds = set(geoms.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeometryError(
            f"layer must hold polygons, found {', '.join(sorted(kinds))}", file=label,
            field=field_name)
    _check_coords_fit_crs(gdf, label, field_name)
    arr = np.asarray(geoms.values, dtype=object)
    valid = shapely.is_valid(arr)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GeometryError(
            f"invalid polygon (feature {i}): {shapely.is_valid_reason(arr[i])}", file=label,
            field=field_name)
    geometry = shapely.union_all(arr)
    if geometry.area <= 0:
        raise GeometryError("polygon has zero area", file=label, field=field_name)
    return geometry, gdf.crs


def _resolve(scenario: Scenario, rel: str) -> tuple[Path, str]:
    p = Path(rel)
    path = p if p.is_absolute() else scenario.base_dir / p
    return path, str(path)


def _to_local(geometry: BaseGeometry, src: CRS, dst: CRS) -> BaseGeometry:
    transformer = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _positions(items, key: str, site_crs: CRS, local: CRS, label: str) -> np.ndarray:
    """Positions of defence units or assets in local metres."""
    from_ll = Transformer.from_crs(CRS.from_epsg(4326), local, always_xy=True)
    from_site = Transformer.from_crs(site_crs, local, always_xy=True)
    out = np.zeros((len(items), 2))
    for i, item in enumerate(items):
        if item.lon is not None:
            out[i] = from_ll.transform(item.lon, item.lat)
        else:
            if site_crs.is_geographic and not (-180 <= item.x <= 180 and -90 <= item.y <= 90):
                raise ScenarioError(
                    f"x/y are read in the site CRS {site_crs.to_string()}, which is geographic; "
                    "this is not a lon/lat pair (set site.crs, or give lon/lat)",
                    file=label, field=f"{key}[{i}].x", value=item.x)
            out[i] = from_site.transform(item.x, item.y)
        if not np.isfinite(out[i]).all():
            raise ScenarioError("position cannot be transformed to the local CRS", file=label,
                                field=f"{key}[{i}]")
    return out


def load_site(scenario: Scenario) -> SiteGeometry:
    """Read and check the site layers of a scenario and build the local geometry.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario; layer paths are relative to its file.

    Returns
    -------
    SiteGeometry

    Raises
    ------
    GeometryError, ScenarioError
        Any layer problem, a unit or asset far from the base or an asset outside it, an empty
        launch zone.
    """
    label = scenario.label
    site = scenario.site
    path, plabel = _resolve(scenario, site.boundary)
    base_src, src_crs = read_polygon_layer(path, label=plabel, field_name="site.boundary",
                                           layer=site.boundary_layer)
    local = gpd.GeoSeries([base_src], crs=src_crs).estimate_utm_crs()
    base = shapely.normalize(_to_local(base_src, src_crs, local))
    if not base.is_valid:
        raise GeometryError(f"polygon invalid after projection: {shapely.is_valid_reason(base)}",
                            file=plabel, field="site.boundary")

    if site.crs is not None:
        try:
            site_crs = CRS.from_user_input(site.crs)
        except CRSError:
            raise ScenarioError("unknown CRS", file=label, field="site.crs",
                                value=site.crs) from None
    else:
        site_crs = src_crs

    def other_layer(rel: str, field_name: str) -> BaseGeometry:
        lpath, llabel = _resolve(scenario, rel)
        geom, crs = read_polygon_layer(lpath, label=llabel, field_name=field_name)
        geom = _to_local(geom, crs, local)
        if geom.distance(base) > MAX_LAYER_DISTANCE_M:
            raise GeometryError(
                f"layer lies {geom.distance(base) / 1000:.0f} km from the base (CRS mismatch?)",
                file=llabel, field=field_name)
        return geom

    exclusions = None
    if site.exclusions:
        exclusions = shapely.union_all(
            [other_layer(rel, f"site.exclusions[{i}]") for i, rel in enumerate(site.exclusions)])

    threat = scenario.threat
    inner = base.buffer(threat.min_standoff_m, quad_segs=QUAD_SEGS) if threat.min_standoff_m > 0 else base
    if site.launch_areas is not None:
        zone = other_layer(site.launch_areas, "site.launch_areas").difference(inner)
    else:
        zone = base.buffer(threat.max_standoff_m, quad_segs=QUAD_SEGS).difference(inner)
    if exclusions is not None:
        zone = zone.difference(exclusions)
    zone = shapely.make_valid(zone)
    zone = shapely.union_all([g for g in shapely.get_parts(zone) if g.geom_type == "Polygon"]) \
        if zone.geom_type == "GeometryCollection" else zone
    if zone.is_empty or zone.area < 1.0:
        raise ScenarioError("the launch zone is empty (standoff band minus base and exclusions)",
                            file=label, field="site.launch_areas" if site.launch_areas else
                            "threat.max_standoff_m", value=threat.max_standoff_m)

    unit_xy = _positions(scenario.defence, "defence", site_crs, local, label)
    for i, xy in enumerate(unit_xy):
        d = shapely.Point(xy).distance(base)
        if d > MAX_UNIT_DISTANCE_M:
            unit = scenario.defence[i]
            fld, val = ("lon", unit.lon) if unit.lon is not None else ("x", unit.x)
            raise ScenarioError(
                f"unit is {d / 1000:.0f} km from the base (more than "
                f"{MAX_UNIT_DISTANCE_M / 1000:.0f} km: wrong coordinates or CRS?)",
                file=label, field=f"defence[{i}].{fld}", value=val)
    asset_xy = _positions(scenario.asset, "asset", site_crs, local, label)
    for i, xy in enumerate(asset_xy):
        if not base.contains(shapely.Point(xy)):
            asset = scenario.asset[i]
            fld, val = ("lon", asset.lon) if asset.lon is not None else ("x", asset.x)
            raise ScenarioError(
                f"asset '{asset.name}' lies outside the base "
                f"({shapely.Point(xy).distance(base):.0f} m from it)",
                file=label, field=f"asset[{i}].{fld}", value=val)

    return SiteGeometry(
        name=site.name,
        local_crs=local,
        source_crs=src_crs,
        base=base,
        defended_area=base.buffer(site.defended_margin_m, quad_segs=QUAD_SEGS)
        if site.defended_margin_m > 0 else base,
        launch_zone=zone,
        exclusions=exclusions,
        unit_xy_m=np.ascontiguousarray(unit_xy, dtype=np.float64),
        asset_xy_m=np.ascontiguousarray(asset_xy, dtype=np.float64),
        _to_wgs84=Transformer.from_crs(local, CRS.from_epsg(4326), always_xy=True),
        _from_wgs84=Transformer.from_crs(CRS.from_epsg(4326), local, always_xy=True),
    )
