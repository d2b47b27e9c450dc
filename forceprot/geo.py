"""Geodata in, local metric geometry out, WGS84 back.

Layers are read with geopandas/pyogrio, in any CRS, from the formats forceprot can vouch for
(:data:`LAYER_FORMATS`): GDAL reads them with its network access off, VRTs and other
indirections are refused, and GDAL's warnings never reach the terminal (they can quote file
content). All geometry then lives in the local UTM zone that pyproj picks for the base
(``estimate_utm_crs``; Universal Polar Stereographic beyond UTM's latitudes); results go back
to WGS84 lon/lat for export. Every layer is checked here, so that everything downstream can
trust it.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from forceprot.errors import GeometryError, ScenarioError
from forceprot.safe_io import MAX_LAYER_BYTES, read_capped, read_head
from forceprot.scenario import Scenario

__all__ = [
    "GDAL_NETWORK_OFF",
    "LAYER_FORMATS",
    "MAX_LAYER_VERTICES",
    "MAX_UNIT_DISTANCE_M",
    "SIMPLIFY_TOLERANCE_M",
    "SiteAssets",
    "SiteGeometry",
    "load_site",
    "read_asset_layer",
    "read_polygon_layer",
    "read_route_layer",
    "simplify_if_huge",
]

#: A defence unit or asset farther than this from the base is a mistake (wrong sign, wrong CRS).
MAX_UNIT_DISTANCE_M = 100_000.0
#: A layer farther than this from the base is almost surely in the wrong CRS.
MAX_LAYER_DISTANCE_M = 200_000.0
#: Segments per quarter circle when buffering the base into bands.
QUAD_SEGS = 16
#: A layer with more vertices than this is simplified on reading (a 100,000-vertex boundary
#: took minutes to validate and run).
MAX_LAYER_VERTICES: Final[int] = 10_000
#: Douglas-Peucker tolerance for such layers [m]: a tenth of the smallest cell (5 m), so the
#: simplified outline is indistinguishable on any grid; the area moves by at most
#: tolerance x perimeter.
SIMPLIFY_TOLERANCE_M: Final[float] = 0.5
#: Vector formats read, by how their files start (or, for CSV, by name). Other formats can
#: point GDAL at other files or URLs (VRT, /vsicurl/, archives, WFS) and are refused.
LAYER_FORMATS: Final[tuple[str, ...]] = ("GeoJSON", "GeoPackage", "Shapefile", "FlatGeobuf", "CSV")

#: GDAL configuration that keeps it off the network. GDAL has no single switch: /vsicurl/ is
#: limited to a file name that cannot exist, and HTTP (a GeoJSON ``crs`` link) goes to a proxy
#: on a closed local port, without retries. ``NO_PROXY`` in the environment bypasses the proxy,
#: so content that would fetch (GeoJSON ``crs`` links) is also refused before GDAL opens it.
GDAL_NETWORK_OFF: Final[dict[str, str]] = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/forceprot/network/is/off",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_TIMEOUT": "1",
    "PROJ_NETWORK": "OFF",
}

_MAGIC = ((b"SQLite format 3\x00", "GeoPackage"), (b"\x00\x00\x27\x0a", "Shapefile"),
          (b"fgb\x03", "FlatGeobuf"))
_ARCHIVES = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar")


#: Segments per quarter circle when a circle asset is drawn or clipped as a polygon: the
#: polygon's area is 0.04 % short of the disk's.
ASSET_CIRCLE_QUAD_SEGS: Final[int] = 32


@dataclass(frozen=True)
class SiteAssets:
    """Every asset of a scenario in the local metric CRS: the ``[[asset]]`` points first, in
    file order, then the features of the ``[assets]`` layer, in layer order.

    Attributes
    ----------
    names : tuple of str
        Asset names.
    sources : tuple of str
        Where each asset was defined: ``asset[i]`` or ``<layer file> feature <i>``.
    weight : ndarray, float64, shape (n,)
        Relative aim weight [-], > 0.
    radius_m : ndarray, float64, shape (n,)
        Hit radius of a circle asset [m]; NaN for a polygon asset.
    xy_m : ndarray, float64, shape (n, 2)
        Centre of a circle asset, a point inside a polygon asset (for labels) [m].
    polygons : ndarray, object, shape (n,)
        A polygon asset's Polygon or MultiPolygon [m]; None for a circle asset.
    """

    names: tuple[str, ...]
    sources: tuple[str, ...]
    weight: np.ndarray
    radius_m: np.ndarray
    xy_m: np.ndarray
    polygons: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    @property
    def is_polygon(self) -> np.ndarray:
        """bool (n,): True for a polygon asset, False for a circle."""
        return np.array([g is not None for g in self.polygons], dtype=bool)

    def areas_m(self, quad_segs: int = ASSET_CIRCLE_QUAD_SEGS) -> np.ndarray:
        """Each asset's hit area as a polygon [m] (circles as ``quad_segs``-segment polygons),
        object array (n,)."""
        out = np.empty(len(self), dtype=object)
        for a, poly in enumerate(self.polygons):
            out[a] = poly if poly is not None else shapely.Point(self.xy_m[a]).buffer(
                float(self.radius_m[a]), quad_segs=quad_segs)
        return out

    def hit_area_m2(self) -> np.ndarray:
        """float64 (n,): area of a polygon asset, pi r^2 of a circle asset [m^2]."""
        return np.array([poly.area if poly is not None else math.pi * r * r
                         for poly, r in zip(self.polygons, self.radius_m)], dtype=np.float64)


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
    assets : SiteAssets
        The ``[[asset]]`` points and the ``[assets]`` layer's features [m].
    notes : tuple of str
        Choices made while reading the layers (a layer picked, a layer simplified, GDAL
        warnings), one line each, for ``validate`` to show.
    simplify_tolerance_m : float
        Tolerance a layer was simplified with [m]; 0 if none was (see
        :data:`MAX_LAYER_VERTICES`).
    terrain : forceprot.terrain.Terrain or None
        The ground and buildings (``site.dem``, ``site.buildings``) on a local grid, if any.
    people : forceprot.people.SitePeople or None
        The ``[people]`` occupancy and shelters, if any.
    """

    name: str
    local_crs: CRS
    source_crs: CRS
    base: BaseGeometry
    defended_area: BaseGeometry
    launch_zone: BaseGeometry
    exclusions: BaseGeometry | None
    unit_xy_m: np.ndarray
    assets: SiteAssets
    _to_wgs84: Transformer = field(repr=False, compare=False)
    _from_wgs84: Transformer = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()
    simplify_tolerance_m: float = 0.0
    terrain: object | None = field(default=None, repr=False, compare=False)
    people: object | None = field(default=None, repr=False, compare=False)

    @property
    def asset_xy_m(self) -> np.ndarray:
        """Asset centres or label points [m], float64 (n_assets, 2) (:attr:`SiteAssets.xy_m`)."""
        return self.assets.xy_m

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


def _check_coords_fit_crs(geoms: np.ndarray, crs: CRS, label: str, field_name: str) -> None:
    if crs.is_geographic:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GeometryError(
                f"coordinates ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) are not "
                f"lon/lat, but the layer's CRS is {crs.to_string()} (CRS mismatch: projected "
                "coordinates in a geographic file?)", file=label, field=field_name)


def _layer_format(path: Path, *, label: str, field_name: str) -> str:
    """Which of :data:`LAYER_FORMATS` ``path`` holds; refuse anything else with one line."""
    text = str(path)
    if "/vsi" in text or "://" in text:
        raise GeometryError("GDAL virtual paths (/vsi..., URLs) are refused; give a local file",
                            file=label, field=field_name)
    suffix = path.suffix.lower()
    if suffix in (".vrt", ".ovf"):
        raise GeometryError(f"{suffix} files are refused: they can point GDAL at any file or URL; "
                            "give the layer itself", file=label, field=field_name)
    if suffix in _ARCHIVES:
        raise GeometryError("archives are refused; unpack the layer and name it", file=label,
                            field=field_name)
    head = read_head(path, 4096, label=label, field=field_name, max_bytes=MAX_LAYER_BYTES,
                     error=GeometryError)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{"):
        return "GeoJSON"
    if suffix == ".csv":
        return "CSV"
    what = "a VRT" if b"<OGRVRTDataSource" in head or b"<VRTDataset" in head else "not a format"
    raise GeometryError(f"{what} forceprot reads; give {', '.join(LAYER_FORMATS)}", file=label,
                        field=field_name)


def _check_geojson_crs(path: Path, *, label: str, field_name: str) -> None:
    """Refuse a GeoJSON ``crs`` member that GDAL would resolve over the network (a link)."""
    raw = read_capped(path, label=label, field=field_name, max_bytes=MAX_LAYER_BYTES,
                      error=GeometryError)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise GeometryError(f"not valid JSON{where}", file=label, field=field_name) from None
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if crs is None:
        return
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if (crs.get("type") if isinstance(crs, dict) else None) != "name" or not isinstance(name, str):
        raise GeometryError("the 'crs' member must name a CRS (e.g. EPSG:4326); links are not "
                            "followed, forceprot does not fetch from the network", file=label,
                            field=field_name)
    if "://" in name and "opengis.net/def/crs/" not in name:
        raise GeometryError("the 'crs' name is a URL other than an OGC CRS URI; forceprot does "
                            "not fetch from the network", file=label, field=field_name)


def _polygon_layer_name(path: Path, layer: str | None, *, label: str, field_name: str,
                        notes: list[str] | None) -> str | None:
    """The layer to read: ``layer`` if it exists, else the one polygon layer of the file."""
    layers = pyogrio.list_layers(path)
    names = [str(n) for n in layers[:, 0]]
    if layer is not None:
        if layer not in names:
            raise GeometryError(f"no layer {layer!r}; the file holds {', '.join(names)}",
                                file=label, field=field_name)
        return layer
    if len(names) <= 1:
        return None
    polygons = [str(n) for n, kind in layers if kind is not None and "Polygon" in str(kind)]
    if len(polygons) != 1:
        hint = {"site.boundary": "set site.boundary_layer",
                "assets.file": "set assets.layer"}.get(field_name,
                                                       "keep one polygon layer in the file")
        found = f"polygon layers {', '.join(polygons)}" if polygons else \
            f"layers {', '.join(names)} but none of polygons"
        raise GeometryError(f"the file holds {len(names)} layers ({found}); {hint}",
                            file=label, field=field_name)
    if notes is not None:
        notes.append(f"{label}: read layer {polygons[0]!r}, the only polygon layer of "
                     f"{len(names)} ({', '.join(names)})")
    return polygons[0]


def _read_geometries(path: Path, layer: str | None, *, label: str, field_name: str,
                     notes: list[str] | None, attributes: bool = False
                     ) -> tuple[np.ndarray, CRS | None, dict[str, np.ndarray]]:
    """A layer's geometries (shapely, object array; None for a feature without one), CRS and,
    with ``attributes``, its attribute columns by name (else an empty dict), read with GDAL's
    network access off and its warnings captured.

    Read with :func:`pyogrio.raw.read`, not geopandas: a scenario needs no attribute table, and
    importing geopandas and pandas would double the start-up time of every command.
    """
    pyogrio.set_gdal_config_options(GDAL_NETWORK_OFF)
    # pyogrio turns GDAL's messages into Python warnings; some quote file content (an invalid
    # WKT string), so they are counted, never printed.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            layer = _polygon_layer_name(path, layer, label=label, field_name=field_name,
                                        notes=notes)
            meta, _, wkb, field_data = pyogrio.raw.read(
                path, layer=layer, read_geometry=True, columns=None if attributes else [])
            geoms = shapely.from_wkb(wkb) if wkb is not None else np.array([], dtype=object)
            attrs = {str(name): col for name, col in zip(meta["fields"], field_data)} \
                if attributes else {}
            crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
        except GeometryError:
            raise
        except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GeometryError(f"cannot read as a vector layer: {reason}", file=label,
                                field=field_name) from None
    if caught and notes is not None:
        notes.append(f"{label}: GDAL reported {len(caught)} warning(s) while reading (not shown: "
                     "they can quote file content)")
    return geoms, crs, attrs


def read_vector_layer(path: Path, *, label: str, field_name: str, layer: str | None = None,
                      notes: list[str] | None = None, attributes: bool = False
                      ) -> tuple[np.ndarray, CRS, dict[str, np.ndarray]]:
    """A layer's features as read, after the checks every layer gets.

    The format (opened first: a FIFO, device, folder or oversized file stops here), a GeoJSON
    ``crs`` link, the CRS, at least one feature with a geometry. The caller checks the
    geometry types, and the coordinates against the CRS (:func:`_check_coords_fit_crs`) once
    it knows which features count.

    Returns
    -------
    geometries : ndarray, object
        Every feature's geometry (None or empty where it has none), in file order.
    crs : pyproj.CRS
    attributes : dict of str to ndarray
        The attribute columns (with ``attributes``; else empty).
    """
    if _layer_format(path, label=label, field_name=field_name) == "GeoJSON":
        _check_geojson_crs(path, label=label, field_name=field_name)
    geoms, crs, attrs = _read_geometries(path, layer, label=label, field_name=field_name,
                                         notes=notes, attributes=attributes)
    if crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label,
                            field=field_name)
    if not (~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).any():
        raise GeometryError("layer has no geometry", file=label, field=field_name)
    return geoms, crs, attrs


def read_polygon_layer(path: Path, *, label: str, field_name: str, layer: str | None = None,
                       notes: list[str] | None = None) -> tuple[BaseGeometry, CRS]:
    """Read a polygon layer and union its features.

    Parameters
    ----------
    path : Path
        A regular file of at most :data:`~forceprot.safe_io.MAX_LAYER_BYTES` bytes in one of
        :data:`LAYER_FORMATS`.
    label : str
        How the file is named in errors.
    field_name : str
        The scenario field that named this file, for errors.
    layer : str, optional
        Layer name in a multi-layer file. Without it, a file of several layers must hold
        exactly one polygon layer, which is read (and said so in ``notes``).
    notes : list of str, optional
        Choices made while reading (the layer picked, warnings GDAL gave) are appended here.

    Returns
    -------
    geometry : shapely Polygon or MultiPolygon
        Union of all features, in the layer's CRS.
    crs : pyproj.CRS

    Raises
    ------
    GeometryError
        Missing, unreadable, not a regular file, too large, a format forceprot does not vouch
        for (VRT, archives, /vsi paths), a GeoJSON ``crs`` link, several polygon layers and no
        ``layer``, no CRS, no features, non-polygon features, invalid polygons (with shapely's
        reason) or coordinates that do not fit the CRS.
    """
    geoms, crs, _ = read_vector_layer(path, label=label, field_name=field_name, layer=layer,
                                      notes=notes)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    kinds = {g.geom_type for g in geoms}
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeometryError(
            f"layer must hold polygons, found {', '.join(sorted(kinds))}", file=label,
            field=field_name)
    _check_coords_fit_crs(geoms, crs, label, field_name)
    arr = geoms
    valid = shapely.is_valid(arr)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GeometryError(
            f"invalid polygon (feature {i}): {shapely.is_valid_reason(arr[i])}", file=label,
            field=field_name)
    geometry = shapely.union_all(arr)
    if geometry.area <= 0:
        raise GeometryError("polygon has zero area", file=label, field=field_name)
    return geometry, crs


def read_route_layer(path: Path, *, label: str, field_name: str, layer: str | None = None,
                     notes: list[str] | None = None) -> tuple[BaseGeometry, CRS]:
    """Read a route layer: lines, or polygons whose outlines are the route.

    Parameters and checks as :func:`read_polygon_layer` (format, size, CRS, coordinates), but
    the features must be (multi)lines or (multi)polygons, with some length.

    Returns
    -------
    route : shapely LineString or MultiLineString
        Every line and polygon outline of the layer, in the layer's CRS.
    crs : pyproj.CRS
    """
    geoms, crs, _ = read_vector_layer(path, label=label, field_name=field_name, layer=layer,
                                      notes=notes)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    kinds = {g.geom_type for g in geoms}
    allowed = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}
    if not kinds <= allowed:
        raise GeometryError(
            f"a route must be lines or polygons, found {', '.join(sorted(kinds - allowed))}",
            file=label, field=field_name)
    _check_coords_fit_crs(geoms, crs, label, field_name)
    lines = [shapely.boundary(g) if "Polygon" in g.geom_type else g for g in geoms]
    parts = shapely.get_parts(shapely.get_parts(np.array(lines, dtype=object)))
    route = shapely.multilinestrings(parts) if len(parts) > 1 else parts[0]
    if not route.length > 0:
        raise GeometryError("route has zero length", file=label, field=field_name)
    return route, crs


def simplify_if_huge(geometry: BaseGeometry, *, label: str,
                     notes: list[str] | None = None) -> BaseGeometry:
    """Simplify a metric geometry of more than :data:`MAX_LAYER_VERTICES` vertices.

    Parameters
    ----------
    geometry : shapely geometry
        In a metric CRS [m].
    label : str
        How the layer is named in the note.
    notes : list of str, optional
        A line stating the vertex counts, tolerance and area change is appended here.

    Returns
    -------
    shapely geometry
        ``geometry`` itself, or its Douglas-Peucker simplification with
        :data:`SIMPLIFY_TOLERANCE_M` that keeps the topology valid.
    """
    n = int(shapely.get_num_coordinates(geometry))
    if n <= MAX_LAYER_VERTICES:
        return geometry
    simple = shapely.simplify(geometry, SIMPLIFY_TOLERANCE_M, preserve_topology=True)
    if notes is not None:
        change = abs(simple.area - geometry.area) / geometry.area if geometry.area else 0.0
        notes.append(f"{label}: {n:,} vertices simplified to "
                     f"{int(shapely.get_num_coordinates(simple)):,} (tolerance "
                     f"{SIMPLIFY_TOLERANCE_M:g} m, area change {change:.4%})")
    return simple


def _attribute(attrs: dict[str, np.ndarray], name: str, *, label: str, field_name: str
               ) -> np.ndarray:
    """The attribute column ``name`` of a layer, or one line naming the fields it has."""
    if name not in attrs:
        have = ", ".join(attrs) or "none"
        raise ScenarioError(f"the layer has no attribute {name!r}; its attributes: {have}",
                            file=label, field=field_name, value=name)
    return attrs[name]


def _positive(column: np.ndarray, i: int, *, name: str, layer_label: str, what: str,
              zero_ok: bool = False, most: float = math.inf) -> float:
    """Feature ``i``'s value of a numeric attribute, or one line if it is not a number > 0
    (``zero_ok``: >= 0) and at most ``most``."""
    raw = column[i]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and (value >= 0 if zero_ok else value > 0) and value <= most):
        # pyogrio reads a null of a numeric column as NaN (GeoJSON has no NaN literal)
        null = raw is None or (isinstance(raw, (float, np.floating)) and math.isnan(raw))
        bound = f"from 0 to {most:,.0f}" if zero_ok and math.isfinite(most) else \
            (">= 0" if zero_ok else "> 0")
        raise GeometryError(f"{what} must be a number {bound}", file=layer_label,
                            field=f"features[{i}].{name}", value="null" if null else raw,
                            has_value=True)
    return value


def read_asset_layer(path: Path, *, label: str, layer: str | None = None,
                     name_field: str | None = None, weight_field: str | None = None,
                     weight: float = 1.0, radius_field: str | None = None,
                     radius_m: float = 50.0, notes: list[str] | None = None
                     ) -> tuple[np.ndarray, CRS, list[str], np.ndarray, np.ndarray]:
    """Read an asset layer: polygons, multipolygons and points, each a weighted asset.

    Parameters
    ----------
    path : Path
        A regular file in one of :data:`LAYER_FORMATS`.
    label : str
        How the file is named in errors.
    layer : str, optional
        Layer name in a multi-layer file (else the file's one layer, or its one polygon layer).
    name_field, weight_field, radius_field : str, optional
        Attributes holding each feature's name, aim weight [-] and, for points, hit radius [m].
    weight : float
        Aim weight of every feature when ``weight_field`` is not given [-].
    radius_m : float
        Hit radius of every point when ``radius_field`` is not given [m].
    notes : list of str, optional
        Choices made while reading are appended here.

    Returns
    -------
    geometries : ndarray, object, shape (n,)
        Polygon, MultiPolygon or Point per feature, in the layer's CRS.
    crs : pyproj.CRS
    names : list of str
    weight : ndarray, float64, shape (n,)
        Aim weights [-].
    radius_m : ndarray, float64, shape (n,)
        Hit radius of point features [m]; NaN for polygons.

    Raises
    ------
    GeometryError, ScenarioError
        Everything :func:`read_polygon_layer` refuses, plus a named attribute the layer lacks
        (``assets.name_field``, ``assets.weight_field``, ``assets.radius_field``), a feature
        with no or empty geometry, a line or multipoint, an invalid polygon, or a weight or
        radius that is not a number > 0 (``features[i].<attribute>``).
    """
    field_name = "assets.file"
    if _layer_format(path, label=label, field_name=field_name) == "GeoJSON":
        _check_geojson_crs(path, label=label, field_name=field_name)
    geoms, crs, attrs = _read_geometries(path, layer, label=label, field_name=field_name,
                                         notes=notes, attributes=True)
    # attributes first: a wrong field name is the likelier mistake, and names no feature
    names_col = _attribute(attrs, name_field, label=label, field_name="assets.name_field") \
        if name_field else None
    weight_col = _attribute(attrs, weight_field, label=label, field_name="assets.weight_field") \
        if weight_field else None
    radius_col = _attribute(attrs, radius_field, label=label, field_name="assets.radius_field") \
        if radius_field else None
    if crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label,
                            field=field_name)
    if len(geoms) == 0:
        raise GeometryError("layer has no features", file=label, field=field_name)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise GeometryError("feature has no geometry (empty or null)", file=label,
                            field=f"features[{i}].geometry",
                            value="null" if geoms[i] is None else geoms[i].wkt, has_value=True)
    for i, g in enumerate(geoms):
        if g.geom_type not in ("Polygon", "MultiPolygon", "Point"):
            raise GeometryError(
                f"an asset is a Polygon, MultiPolygon or Point, not a {g.geom_type}",
                file=label, field=f"features[{i}].geometry", value=g.geom_type)
    _check_coords_fit_crs(geoms, crs, label, field_name)
    valid = shapely.is_valid(geoms)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GeometryError(f"invalid polygon: {shapely.is_valid_reason(geoms[i])}",
                            file=label, field=f"features[{i}].geometry")
    n = len(geoms)
    stem = Path(label).name
    names = []
    for i in range(n):
        raw = names_col[i] if names_col is not None else None
        text = str(raw).strip() if raw is not None else ""
        names.append(text[:80] if text else f"{stem} #{i + 1}")
    weights = np.full(n, float(weight))
    radii = np.full(n, math.nan)
    for i, g in enumerate(geoms):
        if weight_col is not None:
            weights[i] = _positive(weight_col, i, name=weight_field, layer_label=label,
                                   what="an asset's weight")
        if g.geom_type == "Point":
            radii[i] = (_positive(radius_col, i, name=radius_field, layer_label=label,
                                  what="a point asset's hit radius [m]")
                        if radius_col is not None else float(radius_m))
    return geoms, crs, names, weights, radii


def _site_assets(scenario: Scenario, base: BaseGeometry, site_crs: CRS, local: CRS,
                 notes: list[str]) -> SiteAssets:
    """The scenario's ``[[asset]]`` points and ``[assets]`` layer in the local CRS, each checked
    to lie in (a point) or overlap (a polygon) the base."""
    label = scenario.label
    point_xy = _positions(scenario.asset, "asset", site_crs, local, label)
    for i, xy in enumerate(point_xy):
        if not base.contains(shapely.Point(xy)):
            asset = scenario.asset[i]
            fld, val = ("lon", asset.lon) if asset.lon is not None else ("x", asset.x)
            raise ScenarioError(
                f"asset '{asset.name}' lies outside the base "
                f"({shapely.Point(xy).distance(base):.0f} m from it)",
                file=label, field=f"asset[{i}].{fld}", value=val)
    names = [a.name for a in scenario.asset]
    sources = [f"asset[{i}]" for i in range(len(scenario.asset))]
    weights = [a.weight for a in scenario.asset]
    radii = [a.radius_m for a in scenario.asset]
    xys = [tuple(xy) for xy in point_xy]
    polys: list = [None] * len(scenario.asset)
    spec = scenario.assets
    if spec is not None:
        path, plabel = _resolve(scenario, spec.file)
        geoms, crs, lnames, lweights, lradii = read_asset_layer(
            path, label=plabel, layer=spec.layer, name_field=spec.name_field,
            weight_field=spec.weight_field, weight=spec.weight, radius_field=spec.radius_field,
            radius_m=spec.radius_m, notes=notes)
        to_local = Transformer.from_crs(crs, local, always_xy=True)
        for i, g in enumerate(geoms):
            g_local = shapely.transform(g, lambda xy: np.column_stack(
                to_local.transform(xy[:, 0], xy[:, 1])))
            where = f"features[{i}].geometry"
            if not np.isfinite(shapely.get_coordinates(g_local)).all():
                raise GeometryError("cannot be transformed to the local CRS", file=plabel,
                                    field=where)
            if g.geom_type == "Point":
                if not base.contains(g_local):
                    raise GeometryError(
                        f"point asset {lnames[i]!r} lies outside the base "
                        f"({g_local.distance(base):.0f} m from it; wrong CRS?)", file=plabel,
                        field=where, value=g.wkt)
                xys.append((g_local.x, g_local.y))
                polys.append(None)
            else:
                g_local = shapely.normalize(simplify_if_huge(
                    g_local, label=f"{plabel} feature {i}", notes=notes))
                if not g_local.is_valid or g_local.area <= 0:
                    raise GeometryError(
                        "polygon invalid or of zero area after projection"
                        + (f": {shapely.is_valid_reason(g_local)}" if not g_local.is_valid
                           else ""), file=plabel, field=where)
                if not g_local.intersects(base):
                    raise GeometryError(
                        f"polygon asset {lnames[i]!r} lies outside the base "
                        f"({g_local.distance(base):.0f} m from it; wrong CRS?)", file=plabel,
                        field=where)
                p = g_local.representative_point()
                xys.append((p.x, p.y))
                polys.append(g_local)
            names.append(lnames[i])
            sources.append(f"{Path(plabel).name} feature {i}")
        weights.extend(lweights.tolist())
        radii.extend(lradii.tolist())
    polygons = np.empty(len(polys), dtype=object)
    polygons[:] = polys
    return SiteAssets(
        names=tuple(names), sources=tuple(sources),
        weight=np.asarray(weights, dtype=np.float64).reshape(-1),
        radius_m=np.asarray(radii, dtype=np.float64).reshape(-1),
        xy_m=np.ascontiguousarray(np.asarray(xys, dtype=np.float64).reshape(-1, 2)),
        polygons=polygons)


@functools.lru_cache(maxsize=256)
def _utm_epsg(lon_deg: float, lat_deg: float) -> str | None:
    """EPSG code of the WGS 84 UTM zone holding a point, None outside UTM's latitudes.

    Kept per process: the query searches pyproj's database (about 65 ms), and a study reads
    its site again for every variant that moves it.
    """
    found = query_utm_crs_info(datum_name="WGS 84",
                               area_of_interest=AreaOfInterest(lon_deg, lat_deg, lon_deg,
                                                               lat_deg))
    return found[0].code if found else None


def _local_crs(geometry: BaseGeometry, crs: CRS, *, label: str) -> CRS:
    """The UTM zone of the base, or Universal Polar Stereographic beyond UTM's latitudes."""
    to_wgs84 = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    # the UTM zone holding the centre of the lon/lat bounds, as geopandas' estimate_utm_crs
    minx, miny, maxx, maxy = to_wgs84.transform_bounds(*geometry.bounds)
    if minx > maxx:  # across the antimeridian
        maxx += 360.0
    x = (minx + maxx) / 2.0
    x = x - 360.0 if x > 180.0 else x
    y = (miny + maxy) / 2.0
    code = _utm_epsg(float(x), float(y)) if np.isfinite(x) and np.isfinite(y) else None
    if code is not None:
        return CRS.from_epsg(code)
    # above 84 N or below 80 S no UTM zone applies
    lon, lat = to_wgs84.transform(geometry.centroid.x, geometry.centroid.y)
    if np.isfinite(lat) and lat >= 84.0:
        return CRS.from_epsg(32661)  # WGS 84 / UPS North (N,E)
    if np.isfinite(lat) and lat <= -80.0:
        return CRS.from_epsg(32761)  # WGS 84 / UPS South (N,E)
    raise GeometryError(f"no local metric CRS for a base centred at lon {lon:.4g}, lat {lat:.4g}",
                        file=label, field="site.boundary")


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
    notes: list[str] = []
    path, plabel = _resolve(scenario, site.boundary)
    base_src, src_crs = read_polygon_layer(path, label=plabel, field_name="site.boundary",
                                           layer=site.boundary_layer, notes=notes)
    local = _local_crs(base_src, src_crs, label=plabel)
    base_local = _to_local(base_src, src_crs, local)
    base = simplify_if_huge(base_local, label=plabel, notes=notes)
    simplified = base is not base_local
    base = shapely.normalize(base)
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
        geom, crs = read_polygon_layer(lpath, label=llabel, field_name=field_name, notes=notes)
        nonlocal simplified
        geom_local = _to_local(geom, crs, local)
        geom = simplify_if_huge(geom_local, label=llabel, notes=notes)
        simplified = simplified or geom is not geom_local
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
    terrain = None
    if site.dem is not None:
        terrain = _load_terrain(scenario, local, base, unit_xy, notes)
    assets = _site_assets(scenario, base, site_crs, local, notes)
    people = None
    if scenario.people is not None:
        from forceprot.people import read_people

        people = read_people(scenario, base, local, notes)

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
        assets=assets,
        _to_wgs84=Transformer.from_crs(local, CRS.from_epsg(4326), always_xy=True),
        _from_wgs84=Transformer.from_crs(CRS.from_epsg(4326), local, always_xy=True),
        notes=tuple(notes),
        simplify_tolerance_m=SIMPLIFY_TOLERANCE_M if simplified else 0.0,
        terrain=terrain,
        people=people,
    )


def _load_terrain(scenario: Scenario, local: CRS, base: BaseGeometry, unit_xy: np.ndarray,
                  notes: list[str]):
    """The site's DEM and buildings (:func:`forceprot.terrain.load_terrain`), checked against
    the units: each must stand on the DEM's data and outside every building."""
    from forceprot.terrain import load_terrain

    site = scenario.site
    dem_path, dem_label = _resolve(scenario, site.dem)
    b_path, b_label = _resolve(scenario, site.buildings) if site.buildings else (None, None)
    terrain = load_terrain(dem_path, dem_label=dem_label, dem_value=site.dem, local=local,
                           ground_altitude_m=site.ground_altitude_m, base=base,
                           buildings_path=b_path, buildings_label=b_label,
                           height_field=site.buildings_height_field, notes=notes)
    if len(unit_xy):
        ground = terrain.height_m(unit_xy[:, 0], unit_xy[:, 1], bare=True)
        for i in np.flatnonzero(~np.isfinite(ground)):
            raise GeometryError(
                f"defence unit '{scenario.defence[i].name}' stands outside the DEM's data; "
                "give a DEM that covers every unit", file=dem_label, field="site.dem")
        if terrain.buildings is not None:
            inside = shapely.contains_xy(terrain.buildings, unit_xy[:, 0], unit_xy[:, 1])
            for i in np.flatnonzero(inside):
                raise GeometryError(
                    f"defence unit '{scenario.defence[i].name}' stands inside a building "
                    "footprint, which would mask it all round; move it off the building",
                    file=b_label, field="site.buildings")
    return terrain
