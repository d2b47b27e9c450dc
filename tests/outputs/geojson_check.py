"""An RFC 7946 check of GeoJSON files, written from the RFC rather than from forceprot's code.

Checks what a strict reader relies on: a FeatureCollection of Features; no ``crs`` member (RFC
7946 sec. 4: WGS84 lon/lat only); positions of two or three finite numbers with longitude in
[-180, 180] and latitude in [-90, 90] (sec. 3.1.1); closed linear rings of at least four
positions (sec. 3.1.6); exterior rings counter-clockwise and holes clockwise (sec. 3.1.6, the
right-hand rule); and, beyond the RFC, that shapely finds each geometry valid.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import shapely
from shapely.geometry import shape


def _positions_ok(coords, depth: int, problems: list[str], where: str) -> None:
    if depth == 0:
        ok = (isinstance(coords, list) and len(coords) in (2, 3)
              and all(isinstance(v, (int, float)) and math.isfinite(v) for v in coords))
        if not ok:
            problems.append(f"{where}: bad position {coords!r}")
        elif not (-180.0 <= coords[0] <= 180.0 and -90.0 <= coords[1] <= 90.0):
            problems.append(f"{where}: position {coords!r} is not lon/lat")
        return
    for c in coords:
        _positions_ok(c, depth - 1, problems, where)


def _rings_ok(rings, problems: list[str], where: str) -> None:
    for k, ring in enumerate(rings):
        if len(ring) < 4 or ring[0] != ring[-1]:
            problems.append(f"{where}: ring {k} is not a closed ring of >= 4 positions")
            continue
        ccw = shapely.is_ccw(shapely.LinearRing(ring))
        if k == 0 and not ccw:
            problems.append(f"{where}: exterior ring is clockwise")
        if k > 0 and ccw:
            problems.append(f"{where}: hole {k} is counter-clockwise")


DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
         "MultiPolygon": 3}


def rfc7946_problems(path: Path) -> list[str]:
    """Every RFC 7946 problem found in the file (empty if none)."""
    doc = json.loads(Path(path).read_text())
    problems: list[str] = []
    if doc.get("type") != "FeatureCollection":
        return [f"top-level type is {doc.get('type')!r}, not FeatureCollection"]
    if "crs" in doc:
        problems.append("has a 'crs' member (RFC 7946 allows WGS84 lon/lat only)")
    for i, feature in enumerate(doc.get("features", [])):
        where = f"feature {i}"
        if feature.get("type") != "Feature" or "properties" not in feature:
            problems.append(f"{where}: not a Feature with properties")
            continue
        geom = feature.get("geometry")
        if geom is None:
            continue
        kind = geom.get("type")
        if kind not in DEPTH:
            problems.append(f"{where}: geometry type {kind!r}")
            continue
        _positions_ok(geom["coordinates"], DEPTH[kind], problems, where)
        if kind == "Polygon":
            _rings_ok(geom["coordinates"], problems, where)
        elif kind == "MultiPolygon":
            for part in geom["coordinates"]:
                _rings_ok(part, problems, where)
        g = shape(geom)
        if not g.is_valid:
            problems.append(f"{where}: invalid geometry ({shapely.is_valid_reason(g)})")
    return problems
