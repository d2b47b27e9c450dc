"""Hypothesis strategies that write valid scenario files (TOML and layers) for end-to-end tests.

A drawn :class:`ScenarioCase` is plain data; :meth:`ScenarioCase.write` puts the scenario and its
layers into a folder. Sites are the bundled Taji outline (GeoJSON, EPSG:4326, with or without its
exclusions), the bundled FOB (GeoPackage, UTM 38N), or a generated star-shaped polygon anywhere
from the equator to the UTM limits, written as GeoJSON in EPSG:4326, as GeoJSON in its UTM zone
(named ``crs`` member) or as a GeoPackage in its UTM zone. Positions are drawn as metre offsets
from a point well inside the base, then written as lon/lat or as x/y in the site CRS.

Values at the schema's bounds come from :data:`EDGES`-style ``sampled_from`` lists so that the
extremes are drawn often; quantities that key the trajectory-family cache (wind speed, ground
altitude, rocket) take a few values only, so examples share the ~6 s family build.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
import shapely.affinity
import shapely.geometry
from shapely.ops import polylabel
from hypothesis import strategies as st
from pyproj import CRS, Transformer

from forceprot.catalog.occupancy import OCCUPANCY_KINDS
from forceprot.catalog.rockets import BUNDLED_ROCKETS, GENERIC_FIN_ROCKET_DRAG
from forceprot.scenario import MAX_SEED, MAX_WIND_MPS
from tests.conftest import SITES

# ---------------------------------------------------------------------------------------------
# TOML writer (tomllib reads only; the scenario subset is small: tables, arrays of tables,
# strings, numbers, booleans, arrays of scalars)
# ---------------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form; never nan/inf here
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, e.g. a distribution
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def to_toml(data: dict) -> str:
    """A scenario mapping as TOML text (top-level scalars, tables and arrays of tables one level
    deep, plus ``[rockets.NAME]``)."""
    lines: list[str] = []

    def table(header: str, body: dict) -> None:
        lines.append(header)
        for key, value in body.items():
            lines.append(f"{json.dumps(key)} = {_toml_value(value)}")
        lines.append("")

    # top-level scalars come before the first table header
    for key, value in data.items():
        if not isinstance(value, (dict, list)):
            lines.append(f"{json.dumps(key)} = {_toml_value(value)}")
    for key, value in data.items():
        if not isinstance(value, (dict, list)):
            continue
        if isinstance(value, dict) and key == "rockets":
            for name, body in value.items():
                table(f"[rockets.{json.dumps(name)}]", body)
        elif isinstance(value, dict):
            table(f"[{key}]", value)
        else:
            for body in value:
                table(f"[[{key}]]", body)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Sites
# ---------------------------------------------------------------------------------------------


def _inner_disk(polygon_lonlat: shapely.Polygon) -> tuple[float, float, float]:
    """A point well inside a lon/lat polygon and the radius of a disk around it inside the
    polygon [m] (measured in a local azimuthal equidistant projection)."""
    p = polygon_lonlat.representative_point()
    aeqd = _aeqd(p.x, p.y)
    local = shapely.transform(polygon_lonlat, lambda xy: np.column_stack(
        aeqd.transform(xy[:, 0], xy[:, 1])))
    inside = polylabel(local, tolerance=1.0)
    radius_m = local.exterior.distance(inside)
    lon, lat = aeqd.transform(inside.x, inside.y, direction="INVERSE")
    return float(lon), float(lat), float(radius_m)


def _aeqd(lon: float, lat: float) -> Transformer:
    """lon/lat <-> metres east/north of (lon, lat)."""
    return Transformer.from_crs(
        CRS.from_epsg(4326), CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84"),
        always_xy=True)


def _bundled_taji() -> tuple[float, float, float]:
    doc = json.loads((SITES / "taji.geojson").read_text())
    return _inner_disk(shapely.geometry.shape(doc["features"][0]["geometry"]))


def _bundled_fob() -> tuple[float, float, float]:
    meta, _, geoms, _ = pyogrio.raw.read(SITES / "fob.gpkg", layer="boundary")
    base = shapely.from_wkb(geoms[0])
    to_ll = Transformer.from_crs(CRS.from_user_input(meta["crs"]), CRS.from_epsg(4326),
                                 always_xy=True)
    return _inner_disk(shapely.transform(base, lambda xy: np.column_stack(
        to_ll.transform(xy[:, 0], xy[:, 1]))))


TAJI_DISK = _bundled_taji()
FOB_DISK = _bundled_fob()


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone holding (lon, lat), or of UPS North or South beyond
    84 N and 80 S."""
    if lat > 84.0:
        return 32661
    if lat < -80.0:
        return 32761
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class SiteCase:
    """The base outline: where it comes from, where it is, and how large."""

    kind: str  # "taji", "fob" or "generated"
    centre_lon: float
    centre_lat: float
    #: a disk of this radius around the centre lies inside the base [m]
    inner_m: float
    #: CRS of the boundary layer
    layer_crs: str
    fmt: str = "geojson"  # or "gpkg"
    #: generated outline: metres east/north of the centre, counter-clockwise
    ring_m: tuple[tuple[float, float], ...] = ()
    exclusions: bool = False
    #: generated only: a second part this far east of the first [m] (0: a single polygon)
    second_part_m: float = 0.0
    #: generated only: a hole of this radius [m] half way to the edge (0: none)
    hole_m: float = 0.0
    #: generated only: launch areas as an annulus sector (inner and outer radius [m], start and
    #: span [deg]) replacing the standoff band; None keeps the band
    launch_sector: tuple[float, float, float, float] | None = None

    def write(self, folder: Path) -> dict:
        """Write the layers into ``folder``; return the ``[site]`` keys that name them."""
        if self.kind == "taji":
            shutil.copy(SITES / "taji.geojson", folder / "taji.geojson")
            keys: dict = {"boundary": "taji.geojson"}
            if self.exclusions:
                shutil.copy(SITES / "taji_exclusions.geojson", folder / "taji_exclusions.geojson")
                keys["exclusions"] = ["taji_exclusions.geojson"]
            return keys
        if self.kind == "fob":
            shutil.copy(SITES / "fob.gpkg", folder / "fob.gpkg")
            return {"boundary": "fob.gpkg", "boundary_layer": "boundary"}
        local = shapely.Polygon(self.ring_m)
        if self.hole_m > 0:
            hole = shapely.Point(0.5 * self.inner_m, 0.0).buffer(self.hole_m)
            local = shapely.Polygon(self.ring_m, [hole.exterior.coords[::-1]])
        if self.second_part_m > 0:
            local = shapely.MultiPolygon(
                [local, shapely.affinity.translate(local, xoff=self.second_part_m)])
        keys: dict = {"boundary": self._write_layer(folder, "base", local, self.layer_crs,
                                                     self.fmt)}
        if self.exclusions:  # a river strip east of the base
            east_m = 2.5 * max(math.hypot(*v) for v in self.ring_m) + self.second_part_m
            strip = shapely.box(east_m, -20_000.0, east_m + 400.0, 20_000.0)
            keys["exclusions"] = [self._write_layer(folder, "river", strip, "EPSG:4326",
                                                    "geojson")]
        if self.launch_sector is not None:
            r_in, r_out, start_deg, span_deg = self.launch_sector
            a = np.radians(np.linspace(start_deg, start_deg + span_deg, 33))
            ring = np.concatenate([np.column_stack([r_in * np.cos(a), r_in * np.sin(a)]),
                                   np.column_stack([r_out * np.cos(a), r_out * np.sin(a)])[::-1]])
            keys["launch_areas"] = self._write_layer(folder, "launch", shapely.Polygon(ring),
                                                     "EPSG:4326", "geojson")
        return keys

    def _write_layer(self, folder: Path, stem: str, local, crs: str, fmt: str) -> str:
        """Write ``local`` (metres east/north of the centre) as a one-feature layer in ``crs``."""
        to_ll = _aeqd(self.centre_lon, self.centre_lat)
        to_crs = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(crs),
                                      always_xy=True)

        def project(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_ll.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
            return np.column_stack(to_crs.transform(lon, lat))

        geometry = shapely.transform(local, project)
        if fmt == "gpkg":
            pyogrio.raw.write(folder / f"{stem}.gpkg",
                              np.array([shapely.to_wkb(geometry)], dtype=object), [], [],
                              layer="outline", driver="GPKG", geometry_type=geometry.geom_type,
                              crs=crs)
            return f"{stem}.gpkg"
        doc: dict = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": stem},
             "geometry": shapely.geometry.mapping(geometry)}]}
        if crs != "EPSG:4326":
            epsg = CRS.from_user_input(crs).to_epsg()
            doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
        (folder / f"{stem}.geojson").write_text(json.dumps(doc))
        return f"{stem}.geojson"


@st.composite
def generated_sites(draw) -> SiteCase:
    """A star-shaped polygon of 3 to 12 vertices, 150 m to 4 km across the smallest radius."""
    # UTM's latitudes, and beyond them (the local CRS is then polar stereographic)
    lat = draw(st.one_of(st.floats(-79.5, 83.5), st.sampled_from([-85.0, 86.0])))
    lon = draw(st.floats(-179.9, 179.9))
    radius_m = draw(st.sampled_from([150.0, 600.0, 1500.0, 4000.0]))
    n = draw(st.integers(3, 12))
    stretch = draw(st.lists(st.floats(1.0, 2.0), min_size=n, max_size=n))
    ring = tuple((radius_m * s * math.cos(2 * math.pi * k / n),
                  radius_m * s * math.sin(2 * math.pi * k / n)) for k, s in enumerate(stretch))
    # the smallest radius times cos(pi / n) bounds a disk inside any star of these vertices
    inner_m = radius_m * math.cos(math.pi / n)
    layer = draw(st.sampled_from(["geojson-4326", "geojson-utm", "gpkg-utm"]))
    crs = "EPSG:4326" if layer.endswith("4326") else f"EPSG:{utm_epsg(lon, lat)}"
    second_part_m = draw(st.sampled_from([0.0, 0.0, 5.0 * radius_m, 30_000.0]))
    hole_m = draw(st.sampled_from([0.0, 0.0, 0.1 * inner_m]))
    return SiteCase("generated", lon, lat, inner_m, crs, fmt=layer.split("-")[0], ring_m=ring,
                    exclusions=draw(st.booleans()), second_part_m=second_part_m, hole_m=hole_m)


def sites() -> st.SearchStrategy[SiteCase]:
    return st.one_of(
        st.builds(SiteCase, kind=st.just("taji"), centre_lon=st.just(TAJI_DISK[0]),
                  centre_lat=st.just(TAJI_DISK[1]), inner_m=st.just(TAJI_DISK[2]),
                  layer_crs=st.just("EPSG:4326"), exclusions=st.booleans()),
        st.builds(SiteCase, kind=st.just("fob"), centre_lon=st.just(FOB_DISK[0]),
                  centre_lat=st.just(FOB_DISK[1]), inner_m=st.just(FOB_DISK[2]),
                  layer_crs=st.just("EPSG:32638"), fmt=st.just("gpkg")),
        generated_sites(),
    )


# ---------------------------------------------------------------------------------------------
# Positions, defences, assets
# ---------------------------------------------------------------------------------------------


def position(site: SiteCase, offset_m: tuple[float, float], mode: str, pos_crs: str) -> dict:
    """``offset_m`` east/north of the site centre as lon/lat keys or x/y keys in ``pos_crs``."""
    lon, lat = _aeqd(site.centre_lon, site.centre_lat).transform(*offset_m, direction="INVERSE")
    if mode == "lonlat":
        return {"lon": round(float(lon), 9), "lat": round(float(lat), 9)}
    x, y = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(pos_crs),
                                always_xy=True).transform(lon, lat)
    return {"x": float(x), "y": float(y)}


def _offsets(max_m: float) -> st.SearchStrategy[tuple[float, float]]:
    return st.tuples(st.floats(0.0, max_m), st.floats(0.0, 2 * math.pi)).map(
        lambda rt: (rt[0] * math.cos(rt[1]), rt[0] * math.sin(rt[1])))


# Per-unit overrides at and inside the schema bounds (forceprot/catalog/defences.py).
CRAM_EDGES: dict[str, st.SearchStrategy] = {
    "sensor_range_m": st.sampled_from([1.0, 2_000.0, 500_000.0]),
    "sensor_height_m": st.sampled_from([0.0, 200.0]),
    "sensor_min_elevation_deg": st.sampled_from([-1.0, 0.0, 30.0]),
    "reaction_s": st.sampled_from([0.0, 300.0]),
    "max_range_m": st.sampled_from([1.0, 4_000.0, 20_000.0]),
    "min_height_m": st.sampled_from([0.0, 10_000.0]),
    "defended_radius_m": st.sampled_from([1.0, 100_000.0]),
    "engage_s": st.sampled_from([1e-3, 60.0]),
    "p_kill": st.sampled_from([0.0, 1.0]),
    "reload_s": st.sampled_from([0.0, 86_400.0]),
    "track_s": st.sampled_from([0.0, 120.0]),
    "min_threat_range_m": st.sampled_from([0.0, 500_000.0]),
}
PATRIOT_EDGES: dict[str, st.SearchStrategy] = {
    "radar_range_m": st.sampled_from([1.0, 500_000.0]),
    "radar_height_m": st.sampled_from([0.0, 200.0]),
    "radar_min_elevation_deg": st.sampled_from([-1.0, 30.0]),
    "reaction_s": st.sampled_from([0.0, 600.0]),
    "interceptor_speed_mps": st.sampled_from([1e-3, 5_000.0]),
    "defended_radius_m": st.sampled_from([1.0, 500_000.0]),
    "launchers": st.sampled_from([1, 64]),
    "missiles_per_launcher": st.sampled_from([1, 64]),
    "launch_interval_s": st.sampled_from([0.0, 600.0]),
    "assess_s": st.sampled_from([0.0, 600.0]),
    "p_kill": st.sampled_from([0.0, 1.0]),
    "track_s": st.sampled_from([0.0, 120.0]),
    "min_threat_range_m": st.sampled_from([0.0, 4_500.0, 500_000.0]),
}


@st.composite
def _overrides(draw, edges: dict[str, st.SearchStrategy]) -> dict:
    keys = draw(st.lists(st.sampled_from(sorted(edges)), unique=True, max_size=4))
    return {k: draw(edges[k]) for k in sorted(keys)}


@st.composite
def cram_units(draw) -> dict:
    unit = {"kind": "cram", **draw(_overrides(CRAM_EDGES))}
    if draw(st.booleans()):  # magazine and burst at their bounds, burst <= magazine
        magazine = draw(st.sampled_from([1, 100, 1_000_000]))
        unit["magazine_rounds"] = magazine
        unit["rounds_per_engagement"] = draw(st.sampled_from(sorted({1, min(magazine, 100_000)})))
    return unit


@st.composite
def patriot_units(draw, kind: str = "patriot") -> dict:
    """A Patriot-class or Iron Dome-class battery (one engagement code, other defaults)."""
    unit = {"kind": kind, "doctrine": draw(st.sampled_from(
        ["single", "ripple2", "shoot_look_shoot"])), **draw(_overrides(PATRIOT_EDGES))}
    if draw(st.booleans()):
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (0.0, 500_000.0), (1_500.0, 20_000.0),
                                       (499_999.0, 500_000.0)]))
        unit["min_intercept_range_m"], unit["max_intercept_range_m"] = lo, hi
    if draw(st.booleans()):
        lo, hi = draw(st.sampled_from([(0.0, 1.0), (0.0, 100_000.0), (300.0, 20_000.0),
                                       (50_000.0, 100_000.0)]))
        unit["min_intercept_alt_m"], unit["max_intercept_alt_m"] = lo, hi
    return unit


# ---------------------------------------------------------------------------------------------
# Rockets
# ---------------------------------------------------------------------------------------------


def _published(name: str, **changes) -> dict:
    """A bundled class's published figures as a ``[rockets.NAME]`` table, with changes."""
    body = BUNDLED_ROCKETS[name].model_dump(exclude_defaults=False)
    body.pop("published_burnout_speed_mps")
    body["drag_mach"] = list(body["drag_mach"])
    body["drag_cd"] = list(body["drag_cd"])
    body.update(changes)
    return body


#: Scenario-defined rockets. The figures are the published ones of the bundled classes (see
#: forceprot/catalog/rockets.py for sources), written out in full under another name, plus
#: illustrative variants at field bounds (a short drag table, a high rail, the lowest and a
#: steep minimum elevation).
CUSTOM_ROCKETS: dict[str, dict] = {
    "type63_copy": _published("107mm", label="Type 63 class, figures written out"),
    "grad_two_point_drag": _published(
        "122mm", label="9M22U class, two-point drag table (illustrative)",
        drag_mach=[0.0, 6.0], drag_cd=[GENERIC_FIN_ROCKET_DRAG[0][1], 0.24]),
    "type63_high_rail": _published(
        "107mm", label="Type 63 class from a 20 m rail, laid from 0 deg (illustrative)",
        launch_height_m=20.0, tube_length_m=20.0, min_elevation_deg=0.0),
    "type63_steep_floor": _published(
        "107mm", label="Type 63 class laid no lower than 30 deg (illustrative)",
        min_elevation_deg=30.0, min_range_m=5_000.0),
}

ROCKET_NAMES = ["107mm", "122mm", *CUSTOM_ROCKETS]


def rocket_ranges_m(name: str) -> tuple[float, float]:
    body = CUSTOM_ROCKETS.get(name) or BUNDLED_ROCKETS[name].model_dump()
    return float(body["min_range_m"]), float(body["max_range_m"])


# ---------------------------------------------------------------------------------------------
# Whole scenarios
# ---------------------------------------------------------------------------------------------


@dataclass
class ScenarioCase:
    """A drawn scenario: the TOML mapping without its layer keys, and the site to write."""

    site: SiteCase
    data: dict = field(default_factory=dict)
    #: occupancy squares (east, north, half side [m], kind, people) and shelter points (east,
    #: north [m], capacity) around the site centre, written as GeoJSON for ``[people]``
    occupancy: tuple = ()
    shelters: tuple = ()

    @property
    def rocket(self) -> str:
        return self.data["threat"]["rocket"]

    @property
    def custom_rocket(self) -> bool:
        return self.rocket in self.data.get("rockets", {})

    def write(self, folder: Path, name: str = "scenario.toml", *, changes: dict | None = None
              ) -> Path:
        """Write the layers and the scenario (with top-level ``changes`` merged per table)."""
        folder.mkdir(parents=True, exist_ok=True)
        data = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
                for k, v in self.data.items()}
        data["site"] = {**data["site"], **self.site.write(folder)}
        if "people" in data:
            data["people"] = {**data["people"], **self._write_people(folder)}
        for key, value in (changes or {}).items():
            data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
        path = folder / name
        path.write_text(to_toml(data), encoding="utf-8")
        return path


    def _write_people(self, folder: Path) -> dict:
        """The occupancy (and shelter) layers in EPSG:4326; the ``[people]`` keys naming them."""
        to_ll = _aeqd(self.site.centre_lon, self.site.centre_lat)

        def lonlat(x: float, y: float) -> list[float]:
            lon, lat = to_ll.transform(x, y, direction="INVERSE")
            return [float(lon), float(lat)]

        feats = [{"type": "Feature", "properties": {"name": f"area {i}", "kind": kind,
                                                    "people": people},
                  "geometry": {"type": "Polygon", "coordinates": [[
                      lonlat(x - h, y - h), lonlat(x + h, y - h), lonlat(x + h, y + h),
                      lonlat(x - h, y + h), lonlat(x - h, y - h)]]}}
                 for i, (x, y, h, kind, people) in enumerate(self.occupancy)]
        (folder / "occupancy.geojson").write_text(json.dumps(
            {"type": "FeatureCollection", "features": feats}))
        keys = {"occupancy": "occupancy.geojson", "kind_field": "kind"}
        if self.shelters:
            feats = [{"type": "Feature", "properties": {"capacity": cap},
                      "geometry": {"type": "Point", "coordinates": lonlat(x, y)}}
                     for x, y, cap in self.shelters]
            (folder / "shelters.geojson").write_text(json.dumps(
                {"type": "FeatureCollection", "features": feats}))
            keys.update(shelters="shelters.geojson", capacity_field="capacity")
        return keys


@st.composite
def people_case(draw, inner_m: float) -> tuple[dict, tuple, tuple]:
    """``[people]`` keys (layers aside), occupancy squares and shelters inside the inner disk."""
    occupancy = []
    for _ in range(draw(st.integers(1, 3))):
        x, y = draw(_offsets(0.3 * inner_m))
        occupancy.append((x, y, draw(st.sampled_from([0.02, 0.05, 0.1])) * inner_m,
                          draw(st.sampled_from(OCCUPANCY_KINDS)),
                          draw(st.sampled_from([0.0, 3.0, 2_000.0]))))
    shelters = tuple((*draw(_offsets(0.3 * inner_m)), draw(st.sampled_from([1.0, 40.0, 1e4])))
                     for _ in range(draw(st.integers(0, 3))))
    keys: dict = {"damage": draw(st.sampled_from(["carleton", "cookie_cutter"])),
                  "cell_m": draw(st.sampled_from([5.0, 10.0, 100.0])),
                  "reaction_s": draw(st.sampled_from([0.0, 5.0, 600.0])),
                  "walk_speed_mps": draw(st.sampled_from([0.5, 1.5, 10.0])),
                  "indoor_factor": draw(st.sampled_from([0.0, 0.3, 1.0])),
                  "prone_factor": draw(st.sampled_from([0.0, 0.6, 1.0]))}
    if draw(st.booleans()):
        keys["lethal_radius_m"] = draw(st.sampled_from([1.0, 10.0, 500.0]))
        keys["wounding_radius_m"] = keys["lethal_radius_m"] * draw(st.sampled_from([1.0, 2.0]))
    return keys, tuple(occupancy), shelters


@st.composite
def scenarios(draw, *, max_tubes: int = 48, max_units: int = 4) -> ScenarioCase:
    """A scenario that should pass ``forceprot validate`` (a few are refused for reach; callers
    filter those with ``assume``)."""
    site = draw(sites())
    pos_crs = draw(st.sampled_from([None, "EPSG:3857", "EPSG:4326"]))
    crs_for_xy = pos_crs or site.layer_crs

    def place(offset_m: tuple[float, float]) -> dict:
        mode = draw(st.sampled_from(["lonlat", "xy"]))
        return position(site, offset_m, mode, crs_for_xy)

    rocket = draw(st.sampled_from(ROCKET_NAMES))
    min_range_m, max_range_m = rocket_ranges_m(rocket)
    # standoff band: the inner edge inside the maximum range, the outer edge past the minimum
    # range less the base's size, so that some launch position can reach the base
    min_standoff_m = draw(st.sampled_from([0.0, 0.1, 0.5, 0.95])) * max_range_m
    max_standoff_m = min_standoff_m + draw(st.sampled_from([1.0, 0.3, 1.0, 2.0])) * \
        (min_range_m if draw(st.booleans()) else max_range_m)
    max_standoff_m = min(max_standoff_m, 100_000.0)

    assets = []
    for i in range(draw(st.integers(0, 3))):
        # within 0.35 of the inner disk: clear of a generated hole (0.4 to 0.6 of it)
        assets.append({"name": f"asset {i}", **place(draw(_offsets(0.35 * site.inner_m))),
                       "weight": draw(st.sampled_from([1e-6, 1.0, 1e6])),
                       "radius_m": draw(st.sampled_from([1e-3, 50.0, 5_000.0]))})
    aim = draw(st.sampled_from(["uniform", "assets"])) if assets else "uniform"

    units = []
    kinds = draw(st.lists(st.sampled_from(["cram", "patriot", "iron_dome"]), max_size=max_units))
    for i, kind in enumerate(kinds):
        body = draw(cram_units() if kind == "cram" else patriot_units(kind))
        units.append({"name": f"{kind} {i}", **body,
                      **place(draw(_offsets(draw(st.sampled_from([0.5 * site.inner_m,
                                                                  5_000.0, 99_000.0])))))})
        units[-1] = {"kind": units[-1].pop("kind"), **units[-1]}

    wind_mps = draw(st.sampled_from([0.0, 4.0, MAX_WIND_MPS]))
    threat = {
        "rocket": rocket,
        "tubes": draw(st.sampled_from(sorted({1, 2, 12, max_tubes}))),
        "ripple_s": draw(st.sampled_from([0.0, 0.5, 60.0])),
        "min_standoff_m": min_standoff_m,
        "max_standoff_m": max_standoff_m,
        "aim": aim,
        "aim_sigma_m": draw(st.sampled_from([0.0, 150.0, 10_000.0])),
        "range_sigma_frac": draw(st.sampled_from([0.0, 0.015, 0.5])),
        "deflection_sigma_mil": draw(st.sampled_from([0.0, 5.0, 500.0])),
        "wind_mps": wind_mps,
        "wind_from_deg": draw(st.sampled_from([0.0, 315.0, 359.999])),
        "lay_for_wind": draw(st.booleans()),
        "hour": draw(st.sampled_from([0, 19, "uniform", "night", [1.0] * 12 + [0.0] * 12])),
    }
    site_keys = {"name": "generated site" if site.kind == "generated" else site.kind,
                 "ground_altitude_m": draw(st.sampled_from([-500.0, 0.0, 40.0, 5_000.0])),
                 "defended_margin_m": draw(st.sampled_from([0.0, 200.0, 10_000.0]))}
    if pos_crs is not None:
        site_keys["crs"] = pos_crs
    if site.kind == "generated" and draw(st.booleans()):
        # launch areas: a sector of the standoff band, outside the base's farthest vertex
        outer_m = max(math.hypot(*v) for v in site.ring_m) + site.second_part_m
        site = dataclasses.replace(site, launch_sector=(
            outer_m + min_standoff_m, outer_m + max_standoff_m,
            draw(st.floats(0.0, 360.0)), draw(st.sampled_from([5.0, 90.0, 359.0]))))
    data: dict = {"site": site_keys, "threat": threat,
                  "fire_control": draw(st.sampled_from(["coordinated", "independent"]))}
    if rocket in CUSTOM_ROCKETS:
        data["rockets"] = {rocket: CUSTOM_ROCKETS[rocket]}
    data["warning"] = {"alert_delay_s": draw(st.sampled_from([0.0, 2.0, 120.0]))}
    data["simulation"] = {
        "salvos": draw(st.sampled_from([1, 20_000])),
        "seed": draw(st.sampled_from([0, 42, MAX_SEED])),
        "cell_m": draw(st.sampled_from([50.0, 100.0, 10_000.0])),
        "launch_cell_m": draw(st.sampled_from([250.0, 1_000.0, 20_000.0])),
        "story_salvos": draw(st.sampled_from([0, 1, 200])),
    }
    if draw(st.booleans()):
        data["simulation"]["precision"] = draw(st.sampled_from([0.5, 0.01]))
    if units:
        data["defence"] = units
    if assets:
        data["asset"] = assets
    occupancy: tuple = ()
    shelters: tuple = ()
    if draw(st.booleans()):
        data["people"], occupancy, shelters = draw(people_case(site.inner_m))
    # drawn after the rest, so that the draws above (and the examples they give) stay as they were
    surveillance = draw(st.lists(st.sampled_from(["camera", "aerostat", "patrol", "drone"]),
                                 max_size=2))
    for i, kind in enumerate(surveillance):
        body = draw(_overrides(SURVEILLANCE_EDGES[kind]))
        if kind == "patrol":
            body["route_lonlat"] = [
                [position(site, draw(_offsets(20_000.0)), "lonlat", crs_for_xy)[k]
                 for k in ("lon", "lat")] for _ in range(draw(st.integers(2, 4)))]
        else:
            body.update(place(draw(_offsets(draw(st.sampled_from([0.5 * site.inner_m,
                                                                   20_000.0]))))))
        data.setdefault("surveillance", []).append({"kind": kind, "name": f"{kind} {i}", **body})
    if surveillance and draw(st.booleans()):
        data["launch_team"] = draw(_overrides(LAUNCH_TEAM_EDGES))
    return ScenarioCase(site=site, data=data, occupancy=occupancy, shelters=shelters)


# Surveillance entries and the launch team at and inside the schema bounds
# (forceprot/catalog/surveillance.py).
_RATE = st.sampled_from([0.0, 0.2, 1e4])
SURVEILLANCE_EDGES: dict[str, dict[str, st.SearchStrategy]] = {
    "camera": {"height_m": st.sampled_from([0.0, 500.0]),
               "range_m": st.sampled_from([1.0, 50_000.0]),
               "fov_deg": st.sampled_from([1e-3, 90.0, 360.0]),
               "heading_deg": st.sampled_from([0.0, 359.999]),
               "detect_rate_per_min": _RATE},
    "aerostat": {"height_m": st.sampled_from([0.0, 5_000.0]),
                 "range_m": st.sampled_from([1.0, 100_000.0]),
                 "detect_rate_per_min": _RATE},
    "patrol": {"speed_mps": st.sampled_from([0.1, 50.0]),
               "height_m": st.sampled_from([0.0, 50.0]),
               "range_m": st.sampled_from([1.0, 20_000.0]),
               "detect_rate_per_min": _RATE},
    "drone": {"orbit_radius_m": st.sampled_from([0.0, 50_000.0]),
              "height_m": st.sampled_from([0.0, 10_000.0]),
              "speed_mps": st.sampled_from([0.1, 200.0]),
              "range_m": st.sampled_from([1.0, 50_000.0]),
              "detect_rate_per_min": _RATE},
}
LAUNCH_TEAM_EDGES: dict[str, st.SearchStrategy] = {
    "setup": st.sampled_from(["fixed", "lognormal", "gamma"]),
    "setup_median_min": st.sampled_from([1e-3, 15.0, 1_440.0]),
    "setup_sigma_log": st.sampled_from([1e-3, 3.0]),
    "setup_shape": st.sampled_from([0.5, 4.0, 1_000.0]),
    "approach_exposed_min": st.sampled_from([0.0, 1_440.0]),
    "target_height_m": st.sampled_from([0.0, 50.0]),
    "response_time_min": st.sampled_from([0.0, 1_440.0]),
    "prevent_p": st.sampled_from([0.0, 1.0]),
}
