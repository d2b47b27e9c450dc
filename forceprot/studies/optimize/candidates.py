"""Candidate sites for new units: a grid over the base and a margin, or a point layer.

Positions are in the site's local metric CRS [m]; a layout places one unit per site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from forceprot.errors import GeometryError, ScenarioError
from forceprot.geo import MAX_UNIT_DISTANCE_M, SiteGeometry

__all__ = ["Candidates", "DEFAULT_GRID_M", "MAX_CANDIDATES", "grid_candidates", "read_candidates"]

#: Candidate grid spacing when no candidate file is given [m].
DEFAULT_GRID_M = 250.0


#: Most candidate sites [-]; beyond this use a coarser grid.
MAX_CANDIDATES = 5_000


@dataclass(frozen=True)
class Candidates:
    """Candidate sites in the local metric CRS.

    Attributes
    ----------
    xy_m : ndarray, float64, shape (n, 2)
        Positions [m].
    names : tuple of str
        One name per site (``grid 12`` or the file's ``name`` column).
    source : str
        Where they came from, for reports.
    """

    xy_m: np.ndarray
    names: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return int(self.xy_m.shape[0])


def grid_candidates(site: SiteGeometry, *, grid_m: float = DEFAULT_GRID_M,
                    margin_m: float = 0.0) -> Candidates:
    """Grid points inside the base grown by ``margin_m`` (with a DEM, only where a unit can
    stand: on the DEM's data, outside building footprints).

    Parameters
    ----------
    site : SiteGeometry
        The site.
    grid_m : float
        Grid spacing [m]; points sit at cell centres of a grid aligned to the region's bounds.
    margin_m : float
        How far outside the perimeter sites may lie [m].

    Raises
    ------
    ScenarioError
        A spacing that gives no site inside the region, or more than :data:`MAX_CANDIDATES`.
    """
    if not (grid_m > 0 and math.isfinite(grid_m)):
        raise ScenarioError("must be a positive distance", field="--grid-m", value=grid_m)
    if not (margin_m >= 0 and math.isfinite(margin_m)):
        raise ScenarioError("must be zero or a positive distance", field="--margin-m",
                            value=margin_m)
    region = site.base.buffer(margin_m) if margin_m > 0 else site.base
    minx, miny, maxx, maxy = region.bounds
    nx = int(math.ceil((maxx - minx) / grid_m))
    ny = int(math.ceil((maxy - miny) / grid_m))
    if nx * ny > 50 * MAX_CANDIDATES:
        raise ScenarioError(f"would make about {nx * ny:,} candidate sites (at most "
                            f"{MAX_CANDIDATES:,}); use a coarser grid", field="--grid-m",
                            value=grid_m)
    gx, gy = np.meshgrid(minx + (np.arange(nx) + 0.5) * grid_m,
                         miny + (np.arange(ny) + 0.5) * grid_m)
    x, y = gx.ravel(), gy.ravel()
    keep = shapely.contains_xy(region, x, y)
    if site.terrain is not None:  # a unit stands on the DEM's data, outside buildings
        keep &= site.terrain.can_stand(x, y)
    xy = np.ascontiguousarray(np.column_stack([x[keep], y[keep]]), dtype=np.float64)
    if len(xy) == 0:
        raise ScenarioError("no grid point falls inside the base and margin; use a finer grid",
                            field="--grid-m", value=grid_m)
    if len(xy) > MAX_CANDIDATES:
        raise ScenarioError(f"makes {len(xy):,} candidate sites (at most {MAX_CANDIDATES:,}); "
                            "use a coarser grid", field="--grid-m", value=grid_m)
    names = tuple(f"grid {i + 1}" for i in range(len(xy)))
    margin = f" and {margin_m:g} m around it" if margin_m > 0 else ""
    return Candidates(xy, names, f"{grid_m:g} m grid over the base{margin}")


def read_candidates(path: str | Path, site: SiteGeometry) -> Candidates:
    """Candidate sites from a point layer (GeoJSON, GeoPackage, Shapefile; any CRS).

    A ``name`` column, if present, names the sites. MultiPoints are split; repeated positions are
    kept once.

    Raises
    ------
    GeometryError
        Missing or unreadable file, no CRS, no features, features that are not points, or a point
        more than 100 km from the base (a CRS mix-up).
    """
    import geopandas as gpd

    path = Path(path)
    label = str(path)
    fld = "--candidates"
    if not path.exists():
        raise GeometryError("file not found", file=label, field=fld)
    if path.is_dir():
        raise GeometryError("is a folder, not a point layer", file=label, field=fld)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GeometryError(f"cannot read as a vector layer: {reason}", file=label,
                            field=fld) from None
    if gdf.crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label,
                            field=fld)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if len(gdf) == 0:
        raise GeometryError("layer has no points", file=label, field=fld)
    kinds = set(gdf.geom_type)
    if not kinds <= {"Point", "MultiPoint"}:
        raise GeometryError(f"layer must hold points, found {', '.join(sorted(kinds))}",
                            file=label, field=fld)
    gdf = gdf.explode(index_parts=False, ignore_index=True)
    if gdf.crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GeometryError(
                f"coordinates are not lon/lat, but the layer's CRS is {gdf.crs.to_string()} "
                "(CRS mismatch)", file=label, field=fld)
    local = gdf.to_crs(site.local_crs)
    xy = shapely.get_coordinates(local.geometry.values)[:, :2]
    if not np.isfinite(xy).all():
        raise GeometryError("a point cannot be transformed to the local CRS", file=label,
                            field=fld)
    dist = shapely.distance(site.base, shapely.points(xy))
    far = np.flatnonzero(dist > MAX_UNIT_DISTANCE_M)
    if len(far):
        raise GeometryError(
            f"point {int(far[0])} is {dist[far[0]] / 1000:.0f} km from the base (more than "
            f"{MAX_UNIT_DISTANCE_M / 1000:.0f} km: wrong coordinates or CRS?)", file=label,
            field=fld)
    if site.terrain is not None:
        off = np.flatnonzero(~site.terrain.can_stand(xy[:, 0], xy[:, 1]))
        if len(off):
            raise GeometryError(f"point {int(off[0])} stands off the DEM's data or inside a "
                                "building footprint", file=label, field=fld)
    if "name" in local.columns:
        names = [str(v) if v is not None and v == v else f"site {i + 1}"
                 for i, v in enumerate(local["name"])]
    else:
        names = [f"site {i + 1}" for i in range(len(xy))]
    _, first = np.unique(np.round(xy, 3), axis=0, return_index=True)
    first = np.sort(first)
    if len(first) > MAX_CANDIDATES:
        raise GeometryError(f"{len(first):,} points (at most {MAX_CANDIDATES:,})", file=label,
                            field=fld)
    return Candidates(np.ascontiguousarray(xy[first], dtype=np.float64),
                      tuple(names[i] for i in first), f"points of {path.name}")
