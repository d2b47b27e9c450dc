"""Scenarios the benchmarks and the reference cross-check run: Taji as shipped, and variants.

Every variant starts from the bundled ``sites/taji.toml`` and changes it with
:meth:`forceprot.scenario.Scenario.updated`, so each is validated exactly as a user's file would
be. Unit positions are chosen in local metres inside the base and written back as WGS84 lon/lat.

Each variant comes twice, both cached: ``name_prepared(...)`` is the validated scenario and its
site (:class:`~forceprot.compile.Prepared`: run settings, the reference model's polygons and
people), ``name(...)`` its compiled arrays (what the kernel runs on).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from forceprot.compile import (CompiledScenario, Prepared, compile_scenario, prepare,
                               prepare_scenario)

__all__ = ["ROOT", "TAJI", "stress", "stress_prepared", "taji", "taji_leakers_only",
           "taji_prepared", "with_defence_kinds", "with_defence_kinds_prepared", "with_tubes",
           "with_tubes_prepared", "with_units", "with_units_prepared"]

ROOT = Path(__file__).resolve().parent.parent
TAJI = ROOT / "sites" / "taji.toml"


@lru_cache(maxsize=None)
def taji_prepared() -> Prepared:
    """The bundled Taji scenario, prepared."""
    return prepare_scenario(TAJI)


@lru_cache(maxsize=None)
def taji() -> CompiledScenario:
    """The bundled Taji scenario, compiled."""
    return compile_scenario(taji_prepared())


@lru_cache(maxsize=None)
def taji_leakers_only() -> CompiledScenario:
    """Taji without its people at risk: the model the simple script and earlier figures cover
    (no casualty stage). Its scenario is :func:`taji_prepared`'s."""
    return taji().without_people()


def _lonlat(x_m: float, y_m: float) -> dict:
    lon, lat = taji_prepared().site.xy_to_lonlat(np.array([x_m]), np.array([y_m]))
    return {"lon": round(float(lon[0]), 6), "lat": round(float(lat[0]), 6)}


def _spread_points(n: int) -> list[tuple[float, float]]:
    """``n`` points spread evenly over the base [m], deterministic: farthest-point picks from a
    60 x 60 grid of interior points, starting next to the centroid."""
    base = taji_prepared().site.base
    minx, miny, maxx, maxy = base.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 60), np.linspace(miny, maxy, 60))
    inside = shapely.contains_xy(base, xs.ravel(), ys.ravel())
    pts = np.column_stack([xs.ravel()[inside], ys.ravel()[inside]])
    # farthest-point sampling from the point nearest the centroid: even spread, deterministic
    c = np.array(base.centroid.coords[0])
    chosen = [int(np.argmin(((pts - c) ** 2).sum(axis=1)))]
    d = ((pts - pts[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < n:
        k = int(np.argmax(d))
        chosen.append(k)
        d = np.minimum(d, ((pts - pts[k]) ** 2).sum(axis=1))
    return [tuple(map(float, pts[k])) for k in chosen]


@lru_cache(maxsize=None)
def stress_prepared(fire_control: str = "coordinated") -> Prepared:
    """Taji under a heavier attack, with every engagement rule exercised.

    40 tubes rippled 0.25 s apart in a 12 m/s wind (the crew aims off for it) saturate the gun
    mounts; one mount has a 200-round magazine (two engagements, then a 3 s reload inside
    the salvo); three batteries fly the ``ripple2``, ``shoot_look_shoot`` and ``single``
    doctrines, with magazines of 6, 8 and 4 interceptors that run dry within a salvo; an Iron
    Dome-class battery (5 interceptors) engages only flights of at least 4.5 km; two sensors
    have low antennas with a beam floor below the horizontal, so the line of sight over the
    earth, not the floor, decides when they first see a distant launch. ``fire_control``:
    ``"coordinated"`` (the scenario default) or ``"independent"``.
    """
    base = taji_prepared().scenario
    cram_n, cram_s, patriot = (u.model_dump(mode="python") for u in base.defence)
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = _spread_points(5)[1:]
    defence = [
        {**cram_n, "magazine_rounds": 200, "reload_s": 3.0, "engage_s": 2.0},
        {**cram_s, "defended_radius_m": 2_000.0, "p_kill": 0.6},
        {**patriot, "launchers": 1, "missiles_per_launcher": 6, "doctrine": "ripple2"},
        {**patriot, "name": "Patriot SLS", **_lonlat(x1, y1), "launchers": 2,
         "missiles_per_launcher": 4, "doctrine": "shoot_look_shoot", "reaction_s": 6.0,
         "min_intercept_range_m": 500.0, "min_intercept_alt_m": 150.0, "assess_s": 1.5,
         "radar_height_m": 1.0, "radar_min_elevation_deg": -1.0},
        {**patriot, "name": "Patriot single", **_lonlat(x2, y2), "launchers": 1,
         "missiles_per_launcher": 4, "doctrine": "single", "p_kill": 0.5,
         "launch_interval_s": 1.0},
        {**cram_s, "name": "C-RAM east", **_lonlat(x3, y3), "max_range_m": 2_000.0,
         "reaction_s": 1.5, "engage_s": 3.0, "rounds_per_engagement": 150,
         "magazine_rounds": 450, "reload_s": 5.0, "sensor_height_m": 2.0,
         "sensor_min_elevation_deg": -1.0},
        {"kind": "iron_dome", "name": "Iron Dome", **_lonlat(x4, y4), "launchers": 1,
         "missiles_per_launcher": 5, "track_s": 3.0},
    ]
    scenario = base.updated({
        "threat": {"tubes": 40, "ripple_s": 0.25, "wind_mps": 12.0, "wind_from_deg": 250.0,
                   "lay_for_wind": True},
        "defence": defence,
        "fire_control": fire_control,
    }, label=f"taji.toml (stress variant, {fire_control} fire control)")
    return prepare(scenario)


@lru_cache(maxsize=None)
def stress(fire_control: str = "coordinated") -> CompiledScenario:
    """:func:`stress_prepared`, compiled."""
    return compile_scenario(stress_prepared(fire_control))


@lru_cache(maxsize=None)
def with_units_prepared(n_units: int) -> Prepared:
    """Taji with ``n_units`` defence units spread over the base: C-RAM-class mounts, and one
    Patriot-class battery in every four units."""
    base = taji_prepared().scenario
    cram, patriot = (base.defence[0].model_dump(mode="python"),
                     base.defence[2].model_dump(mode="python"))
    defence = []
    for k, (x, y) in enumerate(_spread_points(n_units)):
        proto = patriot if k % 4 == 3 else cram
        defence.append({**proto, "name": f"unit {k + 1}", **_lonlat(x, y)})
    return prepare(base.updated({"defence": defence},
                                 label=f"taji.toml ({n_units} units)"))


@lru_cache(maxsize=None)
def with_units(n_units: int) -> CompiledScenario:
    """:func:`with_units_prepared`, compiled."""
    return compile_scenario(with_units_prepared(n_units))


@lru_cache(maxsize=None)
def with_tubes_prepared(tubes: int) -> Prepared:
    """Taji with ``tubes`` rockets per salvo (same ripple interval)."""
    base = taji_prepared().scenario
    return prepare(base.updated({"threat": {"tubes": tubes}},
                                 label=f"taji.toml ({tubes} tubes)"))


@lru_cache(maxsize=None)
def with_tubes(tubes: int) -> CompiledScenario:
    """:func:`with_tubes_prepared`, compiled."""
    return compile_scenario(with_tubes_prepared(tubes))


@lru_cache(maxsize=None)
def with_defence_kinds_prepared(kinds: tuple[str, ...]) -> Prepared:
    """Taji keeping only its units of the given kinds (``()``: undefended)."""
    base = taji_prepared().scenario
    defence = [u.model_dump(mode="python") for u in base.defence if u.kind in kinds]
    label = "+".join(kinds) if kinds else "no units"
    return prepare(base.updated({"defence": defence}, label=f"taji.toml ({label})"))


@lru_cache(maxsize=None)
def with_defence_kinds(kinds: tuple[str, ...]) -> CompiledScenario:
    """:func:`with_defence_kinds_prepared`, compiled."""
    return compile_scenario(with_defence_kinds_prepared(kinds))
