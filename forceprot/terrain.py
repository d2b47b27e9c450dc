"""Terrain and buildings: what each defence sensor's horizon hides.

A site may name a digital elevation model (``site.dem``, a GeoTIFF in any CRS, heights above
mean sea level [m]) and building footprints (``site.buildings``, any vector format forceprot
reads, with a height above ground field [m]). :func:`load_terrain` reads and checks them and
resamples the ground (plus buildings) onto a grid in the site's local metric CRS, heights
relative to ``site.ground_altitude_m`` (the datum the rockets fly over): a :class:`Terrain`.

:func:`unit_horizon` then builds one unit's masking table, as viewshed tools do (a point is
visible when it stands above the local horizon of the terrain between it and the observer; ArcGIS
Viewshed, https://doc.arcgis.com/en/allsource/latest/analysis/geoprocessing-tools/spatial-analyst/viewshed.htm;
GDAL ``gdal_viewshed``, https://gdal.org/programs/gdal_viewshed.html; terra ``viewshed``,
https://rdrr.io/cran/terra/man/viewshed.html, lowers each height by ``curvcoef * d^2 / (2 R)``,
``curvcoef`` = 1/k, default 6/7 for light; the radar's 4/3 earth here is ``curvcoef`` = 0.75):
rays from the antenna every fraction of an azimuth bin,
sampled at about the surface's cell size, each sample's apparent elevation over a 4/3 earth
(height minus ``d^2 / (2 k R)``, the standard refraction model; Skolnik, *Introduction to Radar
Systems*, 3rd ed., sec. 8.2), and the running maximum along each ray: ``mask_tan[b, j]`` is the
highest elevation tangent of anything in azimuth bin ``b`` nearer than ``j * step_m``. A rocket
is seen only above it (:func:`forceprot.engage.sensors.masking_tan`). Computed once per unit at
compile, vectorised NumPy.

rasterio (GDAL) reads the DEM and burns the buildings; it is the ``[terrain]`` extra, asked for
only when a scenario names a DEM.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from pyproj import CRS, Transformer

from forceprot.engage.state import Horizon, open_horizon
from forceprot.errors import GeometryError, ScenarioError
from forceprot.safe_io import check_regular_file, read_head

__all__ = [
    "AZIMUTH_BIN_DEG",
    "MAX_DEM_CELLS",
    "MAX_RANGE_STEPS",
    "Terrain",
    "load_terrain",
    "masking_tan_many",
    "unit_horizon",
    "unit_horizons",
    "describe_terrain",
    "horizon_summary",
    "stack_horizons",
]

#: Width of a masking table's azimuth bin [deg]. Illustrative: about the beamwidth of a small
#: search radar, and the 0.5 deg step a viewshed run over a 30 m DEM resolves at a few km.
AZIMUTH_BIN_DEG: Final[float] = 0.5
#: Largest number of distance columns of a masking table (its ``step_m`` grows beyond that).
MAX_RANGE_STEPS: Final[int] = 128
#: Largest number of samples along one ray; beyond it the sample step grows past the cell size.
MAX_RAY_SAMPLES: Final[int] = 2048
#: Most rays per azimuth bin (they are spaced so that neighbours are about one cell apart at the
#: farthest sample, up to this many).
MAX_RAYS_PER_BIN: Final[int] = 8
#: Largest DEM read [cells] (a 5,000 x 5,000 tile; 200 MB as float64).
MAX_DEM_CELLS: Final[int] = 25_000_000
#: Largest DEM file read [bytes].
MAX_DEM_BYTES: Final[int] = 1 << 30
#: Largest local surface grid [cells]; a larger DEM footprint is resampled coarser.
MAX_SURFACE_CELLS: Final[int] = 16_000_000
#: Plausible DEM heights above mean sea level [m] (Dead Sea shore about -430 m, Everest 8,849 m).
DEM_HEIGHT_RANGE_M: Final[tuple[float, float]] = (-500.0, 9_000.0)
#: Tallest building accepted [m] (the tallest built, Burj Khalifa, is 828 m).
MAX_BUILDING_HEIGHT_M: Final[float] = 1_000.0
#: A DEM farther than this from the base is almost surely in the wrong CRS [m].
MAX_DEM_DISTANCE_M: Final[float] = 200_000.0

#: Masking tables kept per terrain (each at most 720 x 128 float64, 0.7 MB; 95 MB in all).
HORIZON_CACHE_SIZE: Final[int] = 128

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True)
class Terrain:
    """The ground and buildings on a regular grid in the site's local CRS.

    Cell ``(iy, ix)`` of the grids has its centre at ``(x0_m + (ix + 0.5) * cell_m,
    y0_m + (iy + 0.5) * cell_m)`` (row 0 is the southernmost). Heights are metres above the
    site's ground altitude (``site.ground_altitude_m``); NaN where the DEM has no data.

    Attributes
    ----------
    dem_label : str
        The DEM file, as named in messages.
    dem_crs : pyproj.CRS
        The DEM's CRS.
    dem_resolution_m : float
        The DEM's cell size near its centre, in metres [m].
    dem_shape : tuple of int
        Rows and columns of the DEM.
    x0_m, y0_m, cell_m : float
        Lower-left corner and cell size of the local grid [m].
    ground_m : ndarray, float64, shape (ny, nx)
        Bare ground [m].
    surface_m : ndarray, float64, shape (ny, nx)
        Ground plus buildings [m].
    buildings_label : str or None
        The buildings file, if any.
    buildings : shapely geometry or None
        The building footprints in the local CRS [m] (union).
    n_buildings : int
        Building features burnt in.
    notes : tuple of str
        Choices made while reading (resampling coarser than the DEM), one line each.
    cache : OrderedDict
        The last :data:`HORIZON_CACHE_SIZE` tables :func:`unit_horizon` made (the optimizer
        places the same kinds on the same candidate sites again and again).
    """

    dem_label: str
    dem_crs: CRS
    dem_resolution_m: float
    dem_shape: tuple[int, int]
    x0_m: float
    y0_m: float
    cell_m: float
    ground_m: np.ndarray = field(repr=False)
    surface_m: np.ndarray = field(repr=False)
    buildings_label: str | None = None
    buildings: object | None = field(default=None, repr=False)
    n_buildings: int = 0
    notes: tuple[str, ...] = ()
    cache: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)

    def height_m(self, x_m, y_m, *, bare: bool = False) -> np.ndarray:
        """Bilinear height above the site's ground altitude at local points [m] (NaN outside).

        Parameters
        ----------
        x_m, y_m : array_like, float64
            Points in the local CRS [m], any (broadcastable) shape.
        bare : bool
            The bare ground, without buildings.
        """
        return _bilinear(self.ground_m if bare else self.surface_m, self.x0_m, self.y0_m,
                         self.cell_m, np.asarray(x_m, np.float64), np.asarray(y_m, np.float64))


    def can_stand(self, x_m, y_m) -> np.ndarray:
        """Whether a unit can stand at local points [m]: on the DEM's data, outside every
        building footprint (bool array)."""
        x = np.asarray(x_m, np.float64)
        y = np.asarray(y_m, np.float64)
        ok = np.isfinite(self.height_m(x, y, bare=True))
        if self.buildings is not None:
            ok &= ~shapely.contains_xy(self.buildings, x, y)
        return ok


def _bilinear(grid: np.ndarray, x0: float, y0: float, cell: float, x: np.ndarray,
              y: np.ndarray) -> np.ndarray:
    """Bilinear interpolation between cell centres of ``grid`` (row 0 at ``y0``); NaN outside."""
    ny, nx = grid.shape
    fx = (x - x0) / cell - 0.5
    fy = (y - y0) / cell - 0.5
    ix = np.floor(fx)
    iy = np.floor(fy)
    inside = (ix >= 0) & (ix <= nx - 2) & (iy >= 0) & (iy <= ny - 2)
    ix = np.where(inside, ix, 0).astype(np.intp)
    iy = np.where(inside, iy, 0).astype(np.intp)
    wx = fx - ix
    wy = fy - iy
    h = ((grid[iy, ix] * (1 - wx) + grid[iy, ix + 1] * wx) * (1 - wy)
         + (grid[iy + 1, ix] * (1 - wx) + grid[iy + 1, ix + 1] * wx) * wy)
    return np.where(inside, h, np.nan)


def _rasterio(label: str, field_name: str, value: str):
    try:
        import rasterio
        import rasterio.features  # noqa: F401
    except ImportError:
        raise ScenarioError("reading a DEM needs rasterio: pip install 'forceprot[terrain]'",
                            file=label, field=field_name, value=value) from None
    return rasterio


def _read_dem(path: Path, *, label: str, value: str):
    """The DEM's band 1 (float64, NaN for no data), its affine transform and CRS."""
    check_regular_file(path, label=label, field="site.dem", max_bytes=MAX_DEM_BYTES,
                       error=GeometryError)
    if "/vsi" in str(path) or "://" in str(path):
        raise GeometryError("GDAL virtual paths (/vsi..., URLs) are refused; give a local file",
                            file=label, field="site.dem")
    head = read_head(path, 4, label=label, field="site.dem", max_bytes=MAX_DEM_BYTES,
                     error=GeometryError)
    if head not in _TIFF_MAGIC:
        raise GeometryError("not a GeoTIFF (the DEM must be a GeoTIFF file)", file=label,
                            field="site.dem")
    rasterio = _rasterio(label, "site.dem", value)
    from forceprot.geo import GDAL_NETWORK_OFF

    with warnings.catch_warnings(), rasterio.Env(**GDAL_NETWORK_OFF):
        warnings.simplefilter("ignore")  # GDAL messages can quote file content
        try:
            with rasterio.open(path, driver="GTiff") as src:
                if src.crs is None:
                    raise GeometryError("DEM has no CRS; give it one (e.g. EPSG:4326)",
                                        file=label, field="site.dem")
                if src.width * src.height > MAX_DEM_CELLS:
                    raise GeometryError(
                        f"DEM has {src.width * src.height:,} cells, more than the "
                        f"{MAX_DEM_CELLS:,} forceprot reads; crop it to the site",
                        file=label, field="site.dem")
                if src.width < 2 or src.height < 2:
                    raise GeometryError("DEM must be at least 2 x 2 cells", file=label,
                                        field="site.dem")
                band = src.read(1, masked=True).astype(np.float64)
                dem = np.ma.filled(band, np.nan)
                transform = src.transform
                crs = CRS.from_user_input(src.crs.to_wkt())
        except GeometryError:
            raise
        except Exception as exc:  # rasterio raises RasterioIOError, CRSError, ...
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GeometryError(f"cannot read as a GeoTIFF: {reason}", file=label,
                                field="site.dem") from None
    finite = np.isfinite(dem)
    if not finite.any():
        raise GeometryError("DEM holds no data", file=label, field="site.dem")
    lo, hi = float(dem[finite].min()), float(dem[finite].max())
    if lo < DEM_HEIGHT_RANGE_M[0] or hi > DEM_HEIGHT_RANGE_M[1]:
        bad = lo if lo < DEM_HEIGHT_RANGE_M[0] else hi
        raise GeometryError(
            f"DEM height {bad:g} is outside {DEM_HEIGHT_RANGE_M[0]:g}..{DEM_HEIGHT_RANGE_M[1]:g} "
            "(metres above mean sea level expected)", file=label, field="site.dem")
    return dem, transform, crs


def _dem_resolution_m(transform, shape: tuple[int, int], crs: CRS, local: CRS) -> float:
    """The DEM's cell size in metres near its centre: its neighbouring pixel centres, projected."""
    rows, cols = shape
    r, c = rows // 2, cols // 2
    px = np.array([c + 0.5, c + 1.5, c + 0.5])
    py = np.array([r + 0.5, r + 0.5, r + 1.5])
    gx, gy = _affine(transform, px, py)
    to_local = Transformer.from_crs(crs, local, always_xy=True)
    lx, ly = to_local.transform(np.asarray(gx), np.asarray(gy))
    return float(min(math.hypot(lx[1] - lx[0], ly[1] - ly[0]),
                     math.hypot(lx[2] - lx[0], ly[2] - ly[0])))


def _local_surface(dem: np.ndarray, transform, crs: CRS, local: CRS, cell_m: float,
                   notes: list[str], label: str):
    """The DEM resampled (bilinear, in the DEM's own pixels) onto a local grid."""
    rows, cols = dem.shape
    to_local = Transformer.from_crs(crs, local, always_xy=True)
    # the footprint, densified so that a geographic DEM's curved edges are followed
    minx, miny, maxx, maxy = to_local.transform_bounds(
        *_outer_bounds(transform, rows, cols), densify_pts=21)
    width, height = maxx - minx, maxy - miny
    n = (width / cell_m) * (height / cell_m)
    if n > MAX_SURFACE_CELLS:
        coarse = cell_m * math.sqrt(n / MAX_SURFACE_CELLS)
        notes.append(f"{label}: resampled at {coarse:.1f} m, coarser than its {cell_m:.1f} m "
                     f"cells (at most {MAX_SURFACE_CELLS:,} cells)")
        cell_m = coarse
    nx = max(2, int(math.ceil(width / cell_m)))
    ny = max(2, int(math.ceil(height / cell_m)))
    xs = minx + (np.arange(nx) + 0.5) * cell_m
    ys = miny + (np.arange(ny) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    from_local = Transformer.from_crs(local, crs, always_xy=True)
    dx, dy = from_local.transform(gx.ravel(), gy.ravel())
    col, row = _affine(~transform, np.asarray(dx), np.asarray(dy))
    # pixel (row, col) has its centre at (col + 0.5, row + 0.5) in pixel coordinates
    h = _bilinear(dem, 0.0, 0.0, 1.0, np.asarray(col), np.asarray(row))
    return h.reshape(ny, nx), float(minx), float(miny), float(cell_m)


def _affine(transform, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform (rasterio's ``Affine``: pixel to CRS, or its inverse) applied to arrays."""
    a, b, c, d, e, f = tuple(transform)[:6]
    return a * x + b * y + c, d * x + e * y + f


def _outer_bounds(transform, rows: int, cols: int) -> tuple[float, float, float, float]:
    xs, ys = _affine(transform, np.array([0, cols, 0, cols]), np.array([0, 0, rows, rows]))
    return float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys))


def _read_buildings(path: Path, height_field: str, *, label: str, notes: list[str]):
    """Building footprints (shapely array) with their heights [m] and the layer's CRS."""
    import pyogrio
    import pyogrio.raw

    from forceprot.geo import GDAL_NETWORK_OFF, _check_coords_fit_crs, _check_geojson_crs, \
        _layer_format, _polygon_layer_name

    fld = "site.buildings"
    if _layer_format(path, label=label, field_name=fld) == "GeoJSON":
        _check_geojson_crs(path, label=label, field_name=fld)
    pyogrio.set_gdal_config_options(GDAL_NETWORK_OFF)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            layer = _polygon_layer_name(path, None, label=label, field_name=fld, notes=notes)
            info = pyogrio.read_info(path, layer=layer)
            fields = [str(f) for f in info["fields"]]
            if height_field not in fields:
                raise ScenarioError(
                    f"no field {height_field!r} in {label}; it has "
                    f"{', '.join(fields) if fields else 'no fields'}",
                    file=label, field="site.buildings_height_field", value=height_field)
            meta, _, wkb, columns = pyogrio.raw.read(path, layer=layer, read_geometry=True,
                                                     columns=[height_field])
            geoms = shapely.from_wkb(wkb) if wkb is not None else np.array([], dtype=object)
            crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
        except (GeometryError, ScenarioError):
            raise
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GeometryError(f"cannot read as a vector layer: {reason}", file=label,
                                field=fld) from None
    if caught:
        notes.append(f"{label}: GDAL reported {len(caught)} warning(s) while reading (not shown: "
                     "they can quote file content)")
    if crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label, field=fld)
    raw = columns[0]
    heights = np.empty(len(raw))
    for i, v in enumerate(raw):
        try:
            h = float(v)
        except (TypeError, ValueError):
            h = math.nan
        if not (0.0 <= h <= MAX_BUILDING_HEIGHT_M):
            raise ScenarioError(
                f"building height (feature {i}) must be a number of metres in "
                f"0..{MAX_BUILDING_HEIGHT_M:g}", file=label,
                field=f"site.buildings_height_field ({height_field})", value=v)
        heights[i] = h
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        raise GeometryError("layer has no geometry", file=label, field=fld)
    geoms, heights = geoms[present], heights[present]
    kinds = {g.geom_type for g in geoms}
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeometryError(f"layer must hold polygons, found {', '.join(sorted(kinds))}",
                            file=label, field=fld)
    _check_coords_fit_crs(geoms, crs, label, fld)
    valid = shapely.is_valid(geoms)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GeometryError(f"invalid polygon (feature {i}): {shapely.is_valid_reason(geoms[i])}",
                            file=label, field=fld)
    return geoms, heights, crs


def load_terrain(dem_path: Path, *, dem_label: str, dem_value: str, local: CRS,
                 ground_altitude_m: float, base, buildings_path: Path | None = None,
                 buildings_label: str | None = None, height_field: str = "height_m",
                 notes: list[str] | None = None) -> Terrain:
    """Read a DEM (and building footprints) and resample them onto a local grid.

    Parameters
    ----------
    dem_path : Path
        A GeoTIFF of heights above mean sea level [m], in any CRS.
    dem_label, dem_value : str
        How the file is named in errors, and the scenario's ``site.dem`` value.
    local : pyproj.CRS
        The site's local metric CRS.
    ground_altitude_m : float
        The site's ground altitude above mean sea level [m]: the datum of the returned heights.
    base : shapely geometry
        The base in the local CRS [m], to catch a DEM in the wrong CRS.
    buildings_path : Path, optional
        Building footprints (polygons, any format forceprot reads) with ``height_field``.
    buildings_label : str, optional
        How the buildings file is named in errors.
    height_field : str
        The field holding each building's height above ground [m].
    notes : list of str, optional
        Choices made while reading are appended here.

    Returns
    -------
    Terrain

    Raises
    ------
    GeometryError, ScenarioError
        Missing or unreadable files, not a GeoTIFF, no CRS, too many cells, implausible heights,
        a DEM far from the base, a missing height field or a bad height value.
    """
    notes = [] if notes is None else notes
    dem, transform, crs = _read_dem(dem_path, label=dem_label, value=dem_value)
    resolution_m = _dem_resolution_m(transform, dem.shape, crs, local)
    if not (math.isfinite(resolution_m) and resolution_m > 0):
        raise GeometryError("DEM cells cannot be projected to the site's local CRS (wrong CRS?)",
                            file=dem_label, field="site.dem")
    ground, x0, y0, cell = _local_surface(dem, transform, crs, local, resolution_m, notes,
                                          dem_label)
    footprint = shapely.box(x0, y0, x0 + cell * ground.shape[1], y0 + cell * ground.shape[0])
    if not np.isfinite(footprint.bounds).all() or footprint.distance(base) > MAX_DEM_DISTANCE_M:
        raise GeometryError("DEM lies far from the base (CRS mismatch?)", file=dem_label,
                            field="site.dem")
    ground = ground - ground_altitude_m
    surface = ground
    footprints, n_buildings = None, 0
    if buildings_path is not None:
        rasterio = _rasterio(buildings_label, "site.buildings", str(buildings_path))
        from rasterio.transform import Affine

        geoms, heights, bcrs = _read_buildings(buildings_path, height_field,
                                               label=buildings_label, notes=notes)
        to_local = Transformer.from_crs(bcrs, local, always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(
            to_local.transform(xy[:, 0], xy[:, 1])))
        order = np.argsort(heights, kind="stable")  # the tallest burnt last where they overlap
        ny, nx = ground.shape
        # rasterio rows run north to south: burn into a flipped grid, then flip back
        burnt = rasterio.features.rasterize(
            [(g, float(h)) for g, h in zip(geoms[order], heights[order])],
            out_shape=(ny, nx), transform=Affine(cell, 0.0, x0, 0.0, -cell, y0 + ny * cell),
            fill=0.0, all_touched=True, dtype="float64")[::-1]
        surface = ground + burnt
        footprints = shapely.union_all(geoms)
        n_buildings = len(geoms)
    return Terrain(dem_label=dem_label, dem_crs=crs, dem_resolution_m=resolution_m,
                   dem_shape=(int(dem.shape[0]), int(dem.shape[1])), x0_m=x0, y0_m=y0,
                   cell_m=cell, ground_m=np.ascontiguousarray(ground),
                   surface_m=np.ascontiguousarray(surface), buildings_label=buildings_label,
                   buildings=footprints, n_buildings=n_buildings, notes=tuple(notes))


def unit_horizon(terrain: Terrain, x_m: float, y_m: float, sensor_height_m: float,
                 range_m: float, *, azimuth_bin_deg: float = AZIMUTH_BIN_DEG
                 ) -> tuple[float, np.ndarray, float]:
    """One unit's masking table over the terrain.

    Parameters
    ----------
    terrain : Terrain
    x_m, y_m : float
        The unit in the local CRS [m]; it must stand on the DEM.
    sensor_height_m : float
        Antenna height above the unit's ground [m].
    range_m : float
        The sensor's detection range [m]: terrain farther away is not sampled.
    azimuth_bin_deg : float
        Width of an azimuth bin [deg]; 360 must be a whole number of bins.

    Returns
    -------
    ground_z_m : float
        The unit's bare ground above the site's ground altitude [m].
    mask_tan : ndarray, float64, shape (n_az, n_r)
        ``mask_tan[b, j]``: the highest apparent elevation tangent, seen from the antenna, of
        the surface in azimuth bin ``b`` (``[b, b + 1) * azimuth_bin_deg`` counter-clockwise
        from +x, east) at ground distances up to ``j * step_m``; -inf where nothing was sampled.
        Apparent: height minus ``d^2 / (2 k R)``, k = 4/3 (refraction over a curved earth).
    step_m : float
        Distance step of the columns [m].

    Notes
    -----
    Rays are spaced evenly inside each bin (offset half a spacing from its edges), as many as
    make neighbours about one cell apart at the farthest sample, at most
    :data:`MAX_RAYS_PER_BIN`; samples lie every cell along a ray (at most
    :data:`MAX_RAY_SAMPLES`), bilinear between cell centres. A bin's value is the highest over
    its rays, so a rocket is seen only above the highest terrain across the bin. Terrain beyond
    the DEM does not mask.
    """
    from forceprot.engage.sensors import INV_2KR  # numba: imported only when a DEM is used

    key = (float(x_m), float(y_m), float(sensor_height_m), float(range_m), float(azimuth_bin_deg))
    cached = terrain.cache.get(key)
    if cached is not None:
        terrain.cache.move_to_end(key)
        return cached
    n_az = int(round(360.0 / azimuth_bin_deg))
    ground_z_m = float(terrain.height_m(x_m, y_m, bare=True))
    if not math.isfinite(ground_z_m):
        raise ValueError(f"({x_m:.1f}, {y_m:.1f}) is off the DEM's data: callers check "
                         "Terrain.can_stand first")
    antenna_m = ground_z_m + sensor_height_m
    ny, nx = terrain.surface_m.shape
    corners_x = terrain.x0_m + np.array([0.0, nx, 0.0, nx]) * terrain.cell_m
    corners_y = terrain.y0_m + np.array([0.0, 0.0, ny, ny]) * terrain.cell_m
    reach_m = min(float(range_m), float(np.max(np.hypot(corners_x - x_m, corners_y - y_m))))
    sample_m = max(terrain.cell_m, reach_m / MAX_RAY_SAMPLES)
    n_samples = max(1, int(math.ceil(reach_m / sample_m)))
    per_step = int(math.ceil(n_samples / (MAX_RANGE_STEPS - 1)))
    n_r = int(math.ceil(n_samples / per_step)) + 1
    step_m = per_step * sample_m
    bin_rad = 2.0 * math.pi / n_az
    n_rays = int(min(MAX_RAYS_PER_BIN, max(1, math.ceil(bin_rad * reach_m / terrain.cell_m))))
    d = sample_m * np.arange(1, n_samples + 1)
    drop = d * d * INV_2KR
    mask = np.full((n_az, n_r), -np.inf)
    chunk = max(1, 4_000_000 // (n_rays * n_samples))
    for b0 in range(0, n_az, chunk):
        bins = np.arange(b0, min(n_az, b0 + chunk))
        az = (bins[:, None] + (np.arange(n_rays)[None, :] + 0.5) / n_rays) * bin_rad
        c, s = np.cos(az)[..., None], np.sin(az)[..., None]
        h = terrain.height_m(x_m + c * d, y_m + s * d)  # (bins, rays, samples)
        tan = (h - drop - antenna_m) / d
        tan = np.where(np.isnan(tan), -np.inf, tan).max(axis=1)
        run = np.maximum.accumulate(tan, axis=1)
        # column j: samples 1 .. j * per_step, i.e. run[:, j * per_step - 1]
        idx = np.minimum(np.arange(1, n_r) * per_step, n_samples) - 1
        mask[bins, 1:] = run[:, idx]
    mask.setflags(write=False)
    terrain.cache[key] = out = (ground_z_m, mask, float(step_m))
    if len(terrain.cache) > HORIZON_CACHE_SIZE:
        terrain.cache.popitem(last=False)
    return out


def masking_tan_many(mask_tan: np.ndarray, step_m: float, dx: np.ndarray, dy: np.ndarray,
                     d: np.ndarray) -> np.ndarray:
    """:func:`forceprot.engage.sensors.masking_tan` over arrays of points (NumPy, same bins).

    Parameters
    ----------
    mask_tan : ndarray, float64, shape (n_az, n_r)
        One unit's table (:func:`unit_horizon`).
    step_m : float
        Its distance step [m].
    dx, dy, d : ndarray, float64, shape (n,)
        Points minus the unit, and their ground distances [m].

    Returns
    -------
    ndarray, float64, shape (n,)
        The masking tangent towards each point [-].
    """
    n_az, n_r = mask_tan.shape
    if n_az == 1 and n_r == 1:
        return np.full(np.shape(d), mask_tan[0, 0])
    a = np.mod(np.arctan2(dy, dx), 2.0 * math.pi)
    b = np.minimum((a * (n_az / (2.0 * math.pi))).astype(np.int64), n_az - 1)
    j = np.minimum((np.asarray(d) / step_m).astype(np.int64), n_r - 1)
    return mask_tan[b, j]


def unit_horizons(terrain: Terrain | None, unit_xy_m: np.ndarray, par: np.ndarray) -> Horizon:
    """The :class:`~forceprot.engage.state.Horizon` of every unit (open ground without a DEM).

    Parameters
    ----------
    terrain : Terrain or None
    unit_xy_m : ndarray, float64, shape (n_units, 2)
        Unit positions in the local CRS [m].
    par : ndarray, float64, shape (n_units, N_PAR)
        Unit parameter rows (:mod:`forceprot.engage.params`): sensor height and range are read.
    """
    from forceprot.engage.params import P_SENSOR_HEIGHT_M, P_SENSOR_RANGE_M

    n = len(unit_xy_m)
    if terrain is None or n == 0:
        return open_horizon(n)
    tables = [unit_horizon(terrain, float(xy[0]), float(xy[1]), float(row[P_SENSOR_HEIGHT_M]),
                           float(row[P_SENSOR_RANGE_M])) for xy, row in zip(unit_xy_m, par)]
    return stack_horizons(*[Horizon(np.array([g]), m[None], np.array([step]))
                            for g, m, step in tables])


def stack_horizons(*parts: Horizon) -> Horizon:
    """Several :data:`~forceprot.engage.state.Horizon` bundles as one, units in order.

    Tables with fewer distance columns are padded with their last column (their whole horizon).
    Bundles of different azimuth bins cannot be stacked unless one is the open (1, 1) table,
    which is widened to -inf everywhere.
    """
    parts = [p for p in parts if len(p.ground_z_m)]
    if not parts:
        return open_horizon(0)
    n_az = max(p.mask_tan.shape[1] for p in parts)
    n_r = max(p.mask_tan.shape[2] for p in parts)
    n = sum(len(p.ground_z_m) for p in parts)
    if n_az == 1 and n_r == 1:
        mask = np.concatenate([p.mask_tan for p in parts])
    else:
        mask = np.full((n, n_az, n_r), -np.inf)
        u = 0
        for p in parts:
            k, a, r = p.mask_tan.shape
            if (a, r) != (1, 1):
                if a != n_az:
                    raise ValueError(f"cannot stack masking tables of {a} and {n_az} bins")
                mask[u:u + k, :, :r] = p.mask_tan
                mask[u:u + k, :, r:] = p.mask_tan[:, :, -1:]
            u += k
    return Horizon(np.concatenate([p.ground_z_m for p in parts]), np.ascontiguousarray(mask),
                   np.concatenate([p.step_m for p in parts]))


def horizon_summary(horizon: Horizon, tan_min_elevation: np.ndarray) -> list[dict]:
    """Per unit: its ground, and how high the terrain masks its view.

    Parameters
    ----------
    horizon : Horizon
    tan_min_elevation : ndarray, float64, shape (n_units,)
        Each sensor's own beam floor (tangent).

    Returns
    -------
    list of dict
        ``ground_z_m`` (above the site's ground altitude) [m], ``median_mask_deg`` and
        ``max_mask_deg`` (the whole horizon over the azimuth bins, the terrain's apparent
        elevation seen from the antenna; NaN without terrain) [deg], ``masked_share`` (share of
        bins where the terrain rises above the beam floor) [-].
    """
    out = []
    for u in range(len(horizon.ground_z_m)):
        whole = horizon.mask_tan[u, :, -1]
        finite = np.isfinite(whole)
        deg = np.degrees(np.arctan(whole[finite])) if finite.any() else np.array([np.nan])
        out.append({
            "ground_z_m": float(horizon.ground_z_m[u]),
            "median_mask_deg": float(np.median(deg)),
            "max_mask_deg": float(np.max(deg)),
            "masked_share": float(np.mean(whole > tan_min_elevation[u])),
        })
    return out


def describe_terrain(terrain: Terrain | None, horizon: Horizon, tan_min_elevation: np.ndarray,
                     unit_names: list[str]) -> dict | None:
    """What the terrain is and how much it masks each unit, for ``validate``, the report and
    ``summary.json`` (None without a DEM).

    Returns
    -------
    dict or None
        ``dem`` (file), ``dem_crs``, ``dem_resolution_m`` [m], ``dem_cells`` (rows, columns),
        ``grid_cell_m`` (the local grid the rays sample) [m], ``buildings`` (file or None),
        ``n_buildings``, ``azimuth_bin_deg`` [deg], and ``units``: per unit its ``name`` and the
        figures of :func:`horizon_summary` (None for an angle where nothing was sampled).
    """
    if terrain is None:
        return None
    n_az = horizon.mask_tan.shape[1] if len(horizon.ground_z_m) else 0
    return {
        "dem": terrain.dem_label,
        "dem_crs": terrain.dem_crs.to_string(),
        "dem_resolution_m": terrain.dem_resolution_m,
        "dem_cells": list(terrain.dem_shape),
        "grid_cell_m": terrain.cell_m,
        "buildings": terrain.buildings_label,
        "n_buildings": terrain.n_buildings,
        "azimuth_bin_deg": 360.0 / n_az if n_az > 1 else None,
        "units": [{"name": name, **{k: (v if math.isfinite(v) else None) for k, v in row.items()}}
                  for name, row in zip(unit_names, horizon_summary(horizon, tan_min_elevation))],
    }
