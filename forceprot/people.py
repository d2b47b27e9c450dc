"""People at risk: the occupancy and shelter layers, read and turned into the kernel's arrays.

A scenario's ``[people]`` names an occupancy layer (polygons with their people by hour of day)
and, optionally, a shelter layer (points or polygons with a capacity). :func:`read_people`
reads and checks them in the site's local metric CRS (:class:`SitePeople`);
:func:`people_bundle` places each polygon's people at the centres of a fine grid clipped to it
(exact areas, so no person is lost or invented), sends them to shelters, hour by hour, and
packs it all as the kernel's :data:`~forceprot.kernel.bundles.People`
(:mod:`forceprot.kernel.casualties` counts the casualties of each rocket).

Going to shelter
----------------
At each hour, people head for shelters when the alarm sounds: a group of people at distance
``d`` from a shelter is inside it ``reaction_s + d / walk_speed_mps`` after the alarm (straight
line: paths around buildings are not modelled). Shelters fill first come, first served: the
groups are taken in order of arrival at each of their nearest :data:`SHELTER_CHOICES` shelters,
and a group finding a shelter full goes on to the next (it arrives later). People finding none
with room stay where they are. A group split between shelters is counted as sheltered once its
last part arrives.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from numba import njit
from pyproj import CRS

from forceprot.catalog.occupancy import HOURS, INDOOR_SHARE, OCCUPANCY_KINDS, PROFILES, hour_weights
from forceprot.errors import GeometryError
from forceprot.memo import LruMemo, content_key

if TYPE_CHECKING:
    from forceprot.kernel.bundles import People

__all__ = ["CASUALTY_CUTOFF_RADII", "DAMAGE_CARLETON", "DAMAGE_COOKIE_CUTTER", "SHELTER_CHOICES",
           "SitePeople", "assign_shelters", "damage_radii_m", "empty_people", "nearest_shelters",
           "people_bundle", "people_points", "read_people"]

#: Codes of the damage functions in the kernel's parameter row.
DAMAGE_COOKIE_CUTTER: Final[int] = 0
DAMAGE_CARLETON: Final[int] = 1
#: A Carleton function is cut off at this many of its radius: P = exp(-9) = 1.2e-4 there; the
#: share of its lethal area beyond is exp(-9) as well [-].
CASUALTY_CUTOFF_RADII: Final[float] = 3.0
#: Nearest shelters a group of people tries, in order of arrival [-].
SHELTER_CHOICES: Final[int] = 8
#: Largest count of people or shelter places one feature may hold [-].
MAX_COUNT: Final[float] = 1e7
#: Most people points a scenario may place (about 230 MB of hourly tables) [-].
MAX_PEOPLE_POINTS: Final[int] = 400_000


@dataclass(frozen=True)
class SitePeople:
    """Occupancy and shelters in the local metric CRS.

    Attributes
    ----------
    names : tuple of str
        Occupancy polygon names.
    kinds : tuple of str
        Each polygon's kind (:data:`forceprot.catalog.occupancy.OCCUPANCY_KINDS`).
    polygons : ndarray, object, shape (n,)
        Polygon or MultiPolygon [m].
    people_h : ndarray, float64, shape (n, 24)
        People in each polygon at each hour of the local day [persons].
    indoor_share : ndarray, float64, shape (n,)
        Share of those present who are under a roof [-].
    shelter_xy_m : ndarray, float64, shape (m, 2)
        Shelter points, or a point inside a shelter polygon [m].
    shelter_polygons : ndarray, object, shape (m,)
        A shelter's polygon, None for a point shelter.
    shelter_capacity : ndarray, float64, shape (m,)
        Persons each shelter holds [-].
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    polygons: np.ndarray
    people_h: np.ndarray
    indoor_share: np.ndarray
    shelter_xy_m: np.ndarray
    shelter_polygons: np.ndarray
    shelter_capacity: np.ndarray

    @property
    def n_shelters(self) -> int:
        return int(self.shelter_xy_m.shape[0])


def _nonnegative(column, i: int, *, name: str, layer_label: str, what: str) -> float:
    """Feature ``i``'s count (people, capacity): a number from 0 to :data:`MAX_COUNT`."""
    from forceprot.geo import _positive

    return _positive(column, i, name=name, layer_label=layer_label, what=what, zero_ok=True,
                     most=MAX_COUNT)


def _local_geometries(geoms: np.ndarray, crs: CRS, local: CRS, *, label: str, base,
                      allowed: tuple[str, ...], what: str) -> list:
    """A layer's features in the local CRS, each of an allowed type, valid and touching the
    base."""
    from forceprot.geo import _to_local

    for i, g in enumerate(geoms):
        where = f"features[{i}].geometry"
        if g is None or shapely.is_empty(g):
            raise GeometryError("feature has no geometry (empty or null)", file=label, field=where,
                                value="null", has_value=True)
        if g.geom_type not in allowed:
            raise GeometryError(f"{what} is a {' or '.join(allowed)}, not a {g.geom_type}",
                                file=label, field=where, value=g.geom_type)
        if not g.is_valid:
            raise GeometryError(f"invalid geometry: {shapely.is_valid_reason(g)}", file=label,
                                field=where)
    # one transform of every feature (the site's one reprojection routine)
    out = []
    for i, g_local in enumerate(_to_local(np.asarray(geoms, dtype=object), crs, local)):
        where = f"features[{i}].geometry"
        if not np.isfinite(shapely.get_coordinates(g_local)).all():
            raise GeometryError("cannot be transformed to the local CRS", file=label, field=where)
        if g_local.geom_type != "Point":
            g_local = shapely.normalize(g_local)
            if not g_local.is_valid or g_local.area <= 0:
                raise GeometryError("polygon invalid or of zero area after projection",
                                    file=label, field=where)
        d = g_local.distance(base)
        if d > 0:
            raise GeometryError(f"{what} lies outside the base ({d:.0f} m from it; wrong CRS?)",
                                file=label, field=where)
        out.append(g_local)
    return out


def _read_layer(scenario, rel: str, layer: str | None, field_name: str, notes: list[str]):
    """A layer's features (every one, for ``features[i]`` errors), CRS, attributes, label."""
    from forceprot.geo import _check_coords_fit_crs, _resolve, read_vector_layer

    path, label = _resolve(scenario, rel)
    geoms, crs, attrs = read_vector_layer(Path(path), label=label, field_name=field_name,
                                          layer=layer, notes=notes, attributes=True)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    _check_coords_fit_crs(geoms[ok], crs, label, field_name)
    return geoms, crs, attrs, label


def read_people(scenario, base, local: CRS, notes: list[str]) -> SitePeople:
    """Read and check ``[people]``'s occupancy and shelter layers in the local CRS.

    Parameters
    ----------
    scenario : Scenario
        With ``people`` set.
    base : shapely geometry
        The base [m]; every polygon and shelter must touch it.
    local : pyproj.CRS
        The site's local metric CRS.
    notes : list of str
        Choices made while reading are appended here.

    Raises
    ------
    GeometryError, ScenarioError
        One line naming the file, the field (``people.<key>`` or ``features[i].<attribute>``)
        and the value: an unreadable layer, a missing attribute, an unknown kind, a negative
        or non-numeric count, a geometry of the wrong type or outside the base.
    """
    from forceprot.geo import _attribute

    spec = scenario.people
    geoms, crs, attrs, label = _read_layer(scenario, spec.occupancy, spec.occupancy_layer,
                                           "people.occupancy", notes)
    n = len(geoms)
    if spec.hour_prefix is not None:
        cols = [_attribute(attrs, f"{spec.hour_prefix}{h:02d}", label=label,
                           field_name="people.hour_prefix") for h in range(HOURS)]
        peak_col = None
    else:
        cols = None
        peak_col = _attribute(attrs, spec.people_field, label=label,
                              field_name="people.people_field")
    kind_col = _attribute(attrs, spec.kind_field, label=label, field_name="people.kind_field") \
        if spec.kind_field is not None else None
    name_col = attrs.get("name")
    polys = _local_geometries(geoms, crs, local, label=label, base=base,
                              allowed=("Polygon", "MultiPolygon"), what="an occupancy area")
    kinds, names = [], []
    people_h = np.zeros((n, HOURS))
    for i in range(n):
        kind = spec.kind
        if kind_col is not None:
            raw = kind_col[i]
            kind = str(raw).strip() if raw is not None else ""
            if kind not in OCCUPANCY_KINDS:
                raise GeometryError(f"unknown occupancy kind; must be one of "
                                    f"{', '.join(OCCUPANCY_KINDS)}", file=label,
                                    field=f"features[{i}].{spec.kind_field}", value=raw,
                                    has_value=True)
        kinds.append(kind)
        raw_name = name_col[i] if name_col is not None else None
        text = str(raw_name).strip() if raw_name is not None else ""
        names.append(text[:80] if text else f"{Path(label).name} #{i + 1}")
        if cols is not None:
            for h in range(HOURS):
                people_h[i, h] = _nonnegative(cols[h], i, name=f"{spec.hour_prefix}{h:02d}",
                                              layer_label=label, what="people at an hour")
        else:
            peak = _nonnegative(peak_col, i, name=spec.people_field, layer_label=label,
                                what="people at the busiest hour")
            people_h[i] = peak * np.asarray(PROFILES[kind])
    indoor = np.array([INDOOR_SHARE[k] for k in kinds], dtype=np.float64)
    polygons = np.empty(n, dtype=object)
    polygons[:] = polys

    sxy = np.zeros((0, 2))
    spolys = np.empty(0, dtype=object)
    cap = np.zeros(0)
    if spec.shelters is not None:
        sgeoms, scrs, sattrs, slabel = _read_layer(scenario, spec.shelters, spec.shelters_layer,
                                                   "people.shelters", notes)
        cap_col = _attribute(sattrs, spec.capacity_field, label=slabel,
                             field_name="people.capacity_field") \
            if spec.capacity_field is not None else None
        shel = _local_geometries(sgeoms, scrs, local, label=slabel, base=base,
                                 allowed=("Point", "Polygon", "MultiPolygon"), what="a shelter")
        m = len(shel)
        sxy = np.zeros((m, 2))
        spolys = np.empty(m, dtype=object)
        cap = np.full(m, float(spec.capacity))
        for j, g in enumerate(shel):
            if g.geom_type == "Point":
                sxy[j] = (g.x, g.y)
            else:
                p = g.representative_point()
                sxy[j] = (p.x, p.y)
                spolys[j] = g
            if cap_col is not None:
                cap[j] = _nonnegative(cap_col, j, name=spec.capacity_field, layer_label=slabel,
                                      what="a shelter's capacity")
    return SitePeople(names=tuple(names), kinds=tuple(kinds), polygons=polygons,
                      people_h=people_h, indoor_share=indoor,
                      shelter_xy_m=np.ascontiguousarray(sxy, dtype=np.float64),
                      shelter_polygons=spolys, shelter_capacity=cap)


def damage_radii_m(scenario) -> tuple[float, float]:
    """Lethal and casualty (killed or wounded) radii [m]: ``[people]``'s, else the rocket
    class's (:class:`~forceprot.catalog.rockets.RocketClass`)."""
    spec = scenario.people
    rocket = scenario.rocket_class
    lethal = spec.lethal_radius_m if spec.lethal_radius_m is not None else rocket.lethal_radius_m
    wound = spec.wounding_radius_m if spec.wounding_radius_m is not None \
        else rocket.wounding_radius_m
    return float(lethal), float(max(wound, lethal))


def people_points(people: SitePeople, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Place each polygon's people at the centroids of its pieces on a grid of ``cell_m``.

    Each piece (a grid cell clipped to the polygon) carries the polygon's people times its
    share of the polygon's area, so the people are conserved exactly.

    Returns
    -------
    xy_m : ndarray, float64, shape (n_points, 2)
    poly : ndarray, int64, shape (n_points,)
        The polygon each point belongs to.
    share : ndarray, float64, shape (n_points,)
        The point's share of its polygon's people [-].
    """
    xy, poly, share = [], [], []
    for k, g in enumerate(people.polygons):
        x0, y0, x1, y1 = g.bounds
        nx = max(1, int(math.ceil((x1 - x0) / cell_m)))
        ny = max(1, int(math.ceil((y1 - y0) / cell_m)))
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        lx = x0 + ix.ravel() * cell_m
        ly = y0 + iy.ravel() * cell_m
        boxes = shapely.box(lx, ly, lx + cell_m, ly + cell_m)
        shapely.prepare(g)
        keep = shapely.intersects(g, boxes)
        boxes, lx, ly = boxes[keep], lx[keep], ly[keep]
        # whole cells keep their centre and area; only the cells on the edge are clipped
        inner = shapely.contains_properly(g, boxes)
        area = np.full(len(boxes), cell_m * cell_m)
        c = np.column_stack([lx + 0.5 * cell_m, ly + 0.5 * cell_m])
        edge = np.flatnonzero(~inner)
        pieces = shapely.intersection(boxes[edge], g)
        area[edge] = shapely.area(pieces)
        if len(edge):
            c[edge] = shapely.get_coordinates(shapely.centroid(pieces)).reshape(-1, 2) \
                if np.all(area[edge] > 0) else np.array(
                    [shapely.get_coordinates(shapely.centroid(q))[0] if a > 0 else (0.0, 0.0)
                     for q, a in zip(pieces, area[edge])]).reshape(-1, 2)
        good = area > 0
        c, area = c[good], area[good]
        xy.append(c)
        poly.append(np.full(len(c), k, dtype=np.int64))
        share.append(area / area.sum())
    if not xy:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (np.ascontiguousarray(np.concatenate(xy), dtype=np.float64),
            np.concatenate(poly), np.concatenate(share))


@njit(cache=True)
def assign_shelters(order, t_arrive_s, shelter, people_h, capacity):
    """Send people to shelters, hour by hour, first come first served.

    Parameters
    ----------
    order : ndarray, int64, shape (n_points * k,)
        The (point, choice) pairs by arrival time, flattened ``point * k + choice``.
    t_arrive_s : ndarray, float64, shape (n_points, k)
        When the point's people reach each of their ``k`` nearest shelters, after the alarm [s].
    shelter : ndarray, int64, shape (n_points, k)
        Those shelters.
    people_h : ndarray, float64, shape (n_points, 24)
    capacity : ndarray, float64, shape (n_shelters,)

    Returns
    -------
    t_sheltered_s : ndarray, float64, shape (n_points, 24)
        When the last of the point's people with a place is inside [s]; inf if none has one.
    frac_sheltered : ndarray, float64, shape (n_points, 24)
        Share of the point's people with a place [-].
    portion_shelter, portion_point : ndarray, int64; portion_people : ndarray, float64;
    portion_hour : ndarray, int64
        Every (shelter, point, people, hour) share of the assignment.
    """
    n, k = t_arrive_s.shape
    n_h = people_h.shape[1]
    t_sh = np.full((n, n_h), np.inf)
    frac = np.zeros((n, n_h))
    cap_n = max(1, n * 2 * n_h)
    p_shelter = np.empty(cap_n, dtype=np.int64)
    p_point = np.empty(cap_n, dtype=np.int64)
    p_people = np.empty(cap_n)
    p_hour = np.empty(cap_n, dtype=np.int64)
    m = 0
    remaining = np.empty(n)
    room = np.empty(capacity.shape[0])
    for h in range(n_h):
        for p in range(n):
            remaining[p] = people_h[p, h]
        for j in range(room.shape[0]):
            room[j] = capacity[j]
        for e in order:
            p = e // k
            c = e % k
            j = shelter[p, c]
            if j < 0 or remaining[p] <= 0.0 or room[j] <= 0.0:
                continue
            take = min(remaining[p], room[j])
            remaining[p] -= take
            room[j] -= take
            t_sh[p, h] = t_arrive_s[p, c]
            if m == p_shelter.shape[0]:
                grow = 2 * m
                p_shelter = np.concatenate((p_shelter, np.empty(grow - m, dtype=np.int64)))
                p_point = np.concatenate((p_point, np.empty(grow - m, dtype=np.int64)))
                p_people = np.concatenate((p_people, np.empty(grow - m)))
                p_hour = np.concatenate((p_hour, np.empty(grow - m, dtype=np.int64)))
            p_shelter[m] = j
            p_point[m] = p
            p_people[m] = take
            p_hour[m] = h
            m += 1
        for p in range(n):
            if people_h[p, h] > 0.0:
                frac[p, h] = 1.0 - remaining[p] / people_h[p, h]
    return t_sh, frac, p_shelter[:m], p_point[:m], p_people[:m], p_hour[:m]


def empty_people() -> "People":
    """The kernel's :data:`~forceprot.kernel.bundles.People` of a scenario with no people."""
    from forceprot.kernel.bundles import N_PEOPLE_PAR, GridSpec, People

    z2 = np.zeros((0, HOURS))
    return People(
        xy_m=np.zeros((0, 2)), people_h=z2, people_w=np.zeros(0), indoor=np.zeros(0),
        poly=np.zeros(0, dtype=np.int64), t_sheltered_s=z2.copy(), frac_sheltered=z2.copy(),
        t_first_sheltered_s=np.zeros(0), hash=GridSpec(0.0, 0.0, 1.0, 0, 0),
        hash_start=np.zeros(1, dtype=np.int64), shelter_start=np.zeros(1, dtype=np.int64),
        shelter_index=np.zeros(0, dtype=np.int64),
        shelters=_shelter_bundle(np.zeros((0, 2)), np.empty(0, dtype=object), np.zeros(0), 1.0),
        portion_offsets=np.zeros(1, dtype=np.int64), portion_point=np.zeros(0, dtype=np.int64),
        portion_people=np.zeros(0), par=np.zeros(N_PEOPLE_PAR), hour_w=np.full(HOURS, 1 / HOURS),
        n_polys=0)


def _shelter_bundle(xy_m: np.ndarray, polygons: np.ndarray, capacity: np.ndarray,
                    radius_m: float):
    """Shelter footprints as an :data:`~forceprot.kernel.bundles.Assets` bundle (the kernel's
    hit test for circles and polygons)."""
    from forceprot.compile import asset_bundle
    from forceprot.geo import SiteAssets

    n = len(xy_m)
    return asset_bundle(SiteAssets(
        names=tuple(f"shelter {j}" for j in range(n)), sources=("",) * n,
        weight=np.asarray(capacity, dtype=np.float64).reshape(-1),
        radius_m=np.array([math.nan if polygons[j] is not None else radius_m
                           for j in range(n)], dtype=np.float64).reshape(-1),
        xy_m=np.ascontiguousarray(xy_m, dtype=np.float64).reshape(-1, 2), polygons=polygons))


def _shelter_cells(boxes: np.ndarray, grid) -> tuple[np.ndarray, np.ndarray]:
    """For each hash cell, the shelters whose footprint box touches it (CSR: cell ``c``'s are
    ``index[start[c]:start[c + 1]]``)."""
    lists: list[list[int]] = [[] for _ in range(grid.nx * grid.ny)]
    for j, (bx0, by0, bx1, by1) in enumerate(boxes):
        ix0 = max(int(math.floor((bx0 - grid.x0_m) / grid.cell_m)), 0)
        ix1 = min(int(math.floor((bx1 - grid.x0_m) / grid.cell_m)), grid.nx - 1)
        iy0 = max(int(math.floor((by0 - grid.y0_m) / grid.cell_m)), 0)
        iy1 = min(int(math.floor((by1 - grid.y0_m) / grid.cell_m)), grid.ny - 1)
        for iy in range(iy0, iy1 + 1):
            for ix in range(ix0, ix1 + 1):
                lists[iy * grid.nx + ix].append(j)
    start = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in lists], out=start[1:])
    index = np.array([j for c in lists for j in c], dtype=np.int64)
    return start, index


#: Points per block of :func:`nearest_shelters` (the block's distance matrix stays a few MB).
_NEAREST_BLOCK_CELLS = 1 << 19


def nearest_shelters(xy_m: np.ndarray, shelter_xy_m: np.ndarray,
                     k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``k`` nearest shelters, nearest first.

    Brute force over blocks of points: the site has a few hundred shelters at most, and
    importing ``scipy.spatial`` for a k-d tree costs a quarter of a second of every run's start,
    more than the search. Distances are ``sqrt(dx * dx + dy * dy)``, as a k-d tree computes
    them; ties go to the lower shelter index.

    Parameters
    ----------
    xy_m : ndarray, float64, shape (n, 2)
        Points [m].
    shelter_xy_m : ndarray, float64, shape (m, 2)
        Shelter positions [m], ``m >= k >= 1``.
    k : int

    Returns
    -------
    dist_m : ndarray, float64, shape (n, k)
    index : ndarray, int64, shape (n, k)
    """
    n, m = len(xy_m), len(shelter_xy_m)
    dist = np.empty((n, k))
    index = np.empty((n, k), dtype=np.int64)
    step = max(1, _NEAREST_BLOCK_CELLS // m)
    for a in range(0, n, step):
        dx = xy_m[a:a + step, None, 0] - shelter_xy_m[None, :, 0]
        dy = xy_m[a:a + step, None, 1] - shelter_xy_m[None, :, 1]
        d2 = dx * dx + dy * dy
        near = np.argsort(d2, axis=1, kind="stable")[:, :k]  # stable: ties to the lower index
        index[a:a + step] = near
        dist[a:a + step] = np.sqrt(np.take_along_axis(d2, near, axis=1))
    return dist, index


#: People bundles by content: the occupancy and shelters, ``[people]``, the damage radii and
#: the hour weights. A study's variants that change none of them share one bundle (about 70 ms
#: to build on Taji: points, nearest shelters, the hour-by-hour shelter assignment).
_BUNDLES = LruMemo(8)


def people_bundle(people: SitePeople, scenario) -> "People":
    """The kernel's :data:`~forceprot.kernel.bundles.People` for ``[people]``, shared by
    scenarios equal in what it depends on (:data:`_BUNDLES`; never write to its arrays).

    Parameters
    ----------
    people : SitePeople
        Read by :func:`read_people`.
    scenario : Scenario
        For ``[people]``'s behaviour and damage, the rocket class's radii and the attack hour.
    """
    key = content_key("people_bundle", people, scenario.people.model_dump(mode="json"),
                      damage_radii_m(scenario), hour_weights(scenario.threat.hour))
    return _BUNDLES.get(key, lambda: _build_people_bundle(people, scenario))


def _build_people_bundle(people: SitePeople, scenario) -> "People":
    from forceprot.kernel import bundles as B

    spec = scenario.people
    lethal_m, casualty_m = damage_radii_m(scenario)
    xy, poly, share = people_points(people, spec.cell_m)
    if len(xy) > MAX_PEOPLE_POINTS:
        from forceprot.errors import ScenarioError

        raise ScenarioError(
            f"the occupancy polygons make {len(xy):,} people points at this cell size (at most "
            f"{MAX_PEOPLE_POINTS:,}); make the cells larger", file=scenario.label,
            field="people.cell_m", value=spec.cell_m)
    people_h = np.ascontiguousarray(share[:, None] * people.people_h[poly])
    w = hour_weights(scenario.threat.hour)
    damage = DAMAGE_COOKIE_CUTTER if spec.damage == "cookie_cutter" else DAMAGE_CARLETON
    cutoff_m = casualty_m * (CASUALTY_CUTOFF_RADII if damage == DAMAGE_CARLETON else 1.0)

    # shelters: arrival at each of the nearest few, first come first served
    n, m = len(xy), people.n_shelters
    if m and n:
        dist, idx = nearest_shelters(xy, people.shelter_xy_m, min(SHELTER_CHOICES, m))
        t_arrive = spec.reaction_s + dist / spec.walk_speed_mps
        order = np.argsort(t_arrive.ravel(), kind="stable").astype(np.int64)
        t_sh, frac, p_shelter, p_point, p_people, p_hour = assign_shelters(
            order, np.ascontiguousarray(t_arrive), np.ascontiguousarray(idx), people_h,
            people.shelter_capacity.astype(np.float64))
        key = p_hour * m + p_shelter
        srt = np.argsort(key, kind="stable")
        offsets = np.zeros(HOURS * m + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=HOURS * m), out=offsets[1:])
        portion_point = np.ascontiguousarray(p_point[srt])
        portion_people = np.ascontiguousarray(p_people[srt])
    else:
        t_sh = np.full((n, HOURS), np.inf)
        frac = np.zeros((n, HOURS))
        offsets = np.zeros(HOURS * m + 1, dtype=np.int64)
        portion_point = np.zeros(0, dtype=np.int64)
        portion_people = np.zeros(0)

    shelters = _shelter_bundle(people.shelter_xy_m, people.shelter_polygons,
                               people.shelter_capacity, spec.shelter_radius_m)
    # spatial hash of cutoff-sized cells over the people and the shelters: a rocket's points
    # are in its cell and the 8 around; the shelters its impact may hit, in its own cell
    if n:
        boxes = shelters.bbox_m
        x0, y0 = np.minimum(xy.min(axis=0), boxes[:, :2].min(axis=0) if m else np.inf) - 1.0
        x1, y1 = np.maximum(xy.max(axis=0), boxes[:, 2:].max(axis=0) if m else -np.inf) + 1.0
        hx = max(1, int(math.ceil((x1 - x0) / cutoff_m)))
        hy = max(1, int(math.ceil((y1 - y0) / cutoff_m)))
        cell = (np.floor((xy[:, 1] - y0) / cutoff_m).astype(np.int64) * hx
                + np.floor((xy[:, 0] - x0) / cutoff_m).astype(np.int64))
        srt = np.argsort(cell, kind="stable")
        inv = np.empty(n, dtype=np.int64)
        inv[srt] = np.arange(n)
        start = np.zeros(hx * hy + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell, minlength=hx * hy), out=start[1:])
        grid = B.GridSpec(float(x0), float(y0), float(cutoff_m), hx, hy)
        xy, poly, people_h, t_sh, frac = (np.ascontiguousarray(a[srt])
                                          for a in (xy, poly, people_h, t_sh, frac))
        portion_point = np.ascontiguousarray(inv[portion_point])
        shelter_start, shelter_index = _shelter_cells(boxes, grid)
    else:
        grid = B.GridSpec(0.0, 0.0, 1.0, 0, 0)
        start = np.zeros(1, dtype=np.int64)
        shelter_start, shelter_index = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)

    indoor = np.ascontiguousarray(people.indoor_share[poly], dtype=np.float64)
    par = np.zeros(B.N_PEOPLE_PAR)
    par[B.PP_DAMAGE] = damage
    par[B.PP_LETHAL_R2_M2] = lethal_m ** 2
    par[B.PP_CASUALTY_R2_M2] = casualty_m ** 2
    par[B.PP_CUTOFF_M] = cutoff_m
    par[B.PP_INDOOR_FACTOR] = spec.indoor_factor
    par[B.PP_PRONE_FACTOR] = spec.prone_factor
    par[B.PP_REACTION_S] = spec.reaction_s
    par[B.PP_SHELTER_P_KILLED] = spec.shelter_hit_p_killed
    par[B.PP_SHELTER_P_WOUNDED] = spec.shelter_hit_p_wounded
    return B.People(
        xy_m=xy, people_h=people_h, people_w=np.ascontiguousarray(people_h @ w), indoor=indoor,
        poly=np.ascontiguousarray(poly, dtype=np.int64), t_sheltered_s=t_sh,
        frac_sheltered=frac,
        t_first_sheltered_s=np.ascontiguousarray(t_sh.min(axis=1) if n else np.zeros(0)),
        hash=grid, hash_start=start, shelter_start=shelter_start,
        shelter_index=shelter_index, shelters=shelters,
        portion_offsets=offsets, portion_point=portion_point, portion_people=portion_people,
        par=par, hour_w=w, n_polys=len(people.polygons))
