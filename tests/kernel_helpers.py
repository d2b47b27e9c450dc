"""Builders of small synthetic scenarios for the kernel's reference tests, and independent
re-implementations (plain Python) of what the tests compare the kernel against.

The sites are squares (or other shapes) written to a layer in ``tmp_path``, near 33.5 N 44.3 E.
Layers written in UTM zone 38N (EPSG:32638), the zone forceprot picks for that place, keep the
local metric coordinates equal to the layer's coordinates, so positions can be set in metres.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from scipy import stats as st

from forceprot.kernel import tally as T
from forceprot.compile import CompiledScenario, Prepared, compile_scenario, prepare
from forceprot.engage.params import OUT_NONE
from forceprot.scenario import parse_scenario

#: UTM zone 38N, the local CRS forceprot estimates for a base near 44.3 E.
UTM_38N = "EPSG:32638"
#: Centre of the synthetic bases in UTM 38N [m] (about 44.30 E, 33.50 N).
CX_M = 435_000.0
CY_M = 3_707_000.0

#: A deterministic test that compares a Monte Carlo estimate with a known truth fails by chance
#: with probability 1 - confidence when the seed (or the random stream) changes; at 99.9 % a
#: change of stream almost never breaks a correct kernel, while a wrong model still does (the
#: intervals here are a few tenths of a percentage point wide).
Z999 = float(st.norm.ppf(0.9995))


# ---------------------------------------------------------------------------------- geometry
def square(half_m: float, cx: float = CX_M, cy: float = CY_M) -> shapely.Polygon:
    """An axis-aligned square of half-side ``half_m`` [m] centred on (cx, cy)."""
    return shapely.box(cx - half_m, cy - half_m, cx + half_m, cy + half_m)


def write_layer(path: Path, geometry, *, crs: str = UTM_38N, layer: str | None = None) -> Path:
    """Write one polygon feature to a vector file (format from the suffix)."""
    gdf = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[geometry], crs=crs)
    if path.suffix == ".gpkg":
        gdf.to_file(path, layer=layer or "boundary", driver="GPKG")
    else:
        gdf.to_file(path, driver="GeoJSON")
    return path


# --------------------------------------------------------------------------------- defences
def ideal_patriot(name: str, x: float, y: float, p_kill: float, **override: Any) -> dict:
    """A battery that engages every rocket landing in the defended area, without saturation.

    Radar sees everything (500 km; antenna at ground level, so every rocket above the 4/3-earth
    curvature drop is seen: the elevation limit is measured from the antenna's horizontal, so a
    raised antenna would miss rockets flying below it), reacts at once, launches without
    interval, the interceptor is fast (5 km/s) and its envelope spans every range and altitude,
    the magazine
    holds 4096 interceptors, one per rocket.
    """
    unit = {
        "kind": "patriot", "name": name, "x": x, "y": y, "p_kill": p_kill,
        "radar_range_m": 500_000.0, "radar_height_m": 0.0, "radar_min_elevation_deg": 0.0,
        "track_s": 0.0, "reaction_s": 0.0,
        "interceptor_speed_mps": 5_000.0, "min_intercept_range_m": 0.0,
        "max_intercept_range_m": 500_000.0, "min_intercept_alt_m": 0.0,
        "max_intercept_alt_m": 100_000.0, "defended_radius_m": 500_000.0,
        "launchers": 64, "missiles_per_launcher": 64, "launch_interval_s": 0.0,
        "doctrine": "single",
    }
    unit.update(override)
    return unit


def ideal_cram(name: str, x: float, y: float, p_kill: float, **override: Any) -> dict:
    """A gun mount that engages every rocket landing in the defended area, without saturation.

    Sensor 500 km at ground level (see :func:`ideal_patriot`), no reaction time, 20 km slant
    range from the ground up, a microsecond per engagement, one round per engagement from a
    million-round magazine.
    """
    unit = {
        "kind": "cram", "name": name, "x": x, "y": y, "p_kill": p_kill,
        "sensor_range_m": 500_000.0, "sensor_height_m": 0.0, "sensor_min_elevation_deg": 0.0,
        "track_s": 0.0, "reaction_s": 0.0,
        "max_range_m": 20_000.0, "min_height_m": 0.0, "defended_radius_m": 100_000.0,
        "engage_s": 1e-6, "rounds_per_engagement": 1, "magazine_rounds": 1_000_000,
        "reload_s": 0.0,
    }
    unit.update(override)
    return unit


# --------------------------------------------------------------------------------- scenarios
def scenario_data(*, boundary: str = "base.gpkg", tubes: int = 6, ripple_s: float = 0.5,
                  min_standoff_m: float = 2_000.0, max_standoff_m: float = 4_000.0,
                  aim: str = "uniform", aim_sigma_m: float = 150.0,
                  range_sigma_frac: float = 0.015, deflection_sigma_mil: float = 5.0,
                  wind_mps: float = 0.0, wind_from_deg: float = 0.0,
                  defended_margin_m: float = 200.0, launch_areas: str | None = None,
                  defence: list[dict] | None = None, asset: list[dict] | None = None,
                  simulation: dict | None = None, alert_delay_s: float = 2.0,
                  fire_control: str | None = None) -> dict:
    """A scenario mapping (as parsed TOML) for a 107 mm salvo at a synthetic base."""
    site = {"name": "synthetic base", "boundary": boundary,
            "defended_margin_m": defended_margin_m}
    if launch_areas is not None:
        site["launch_areas"] = launch_areas
    sim = {"salvos": 2_000, "seed": 1, "story_salvos": 0}
    sim.update(simulation or {})
    extra = {} if fire_control is None else {"fire_control": fire_control}
    return {
        **extra,
        "site": site,
        "threat": {"rocket": "107mm", "tubes": tubes, "ripple_s": ripple_s,
                   "min_standoff_m": min_standoff_m, "max_standoff_m": max_standoff_m,
                   "aim": aim, "aim_sigma_m": aim_sigma_m, "range_sigma_frac": range_sigma_frac,
                   "deflection_sigma_mil": deflection_sigma_mil, "wind_mps": wind_mps,
                   "wind_from_deg": wind_from_deg},
        "defence": list(defence or []),
        "asset": list(asset or []),
        "warning": {"alert_delay_s": alert_delay_s},
        "simulation": sim,
    }


def compile_data(tmp_path: Path, data: dict) -> tuple[Prepared, CompiledScenario]:
    """Validate, prepare and compile a scenario mapping whose layers live in ``tmp_path``.

    Returns
    -------
    prepared : Prepared
        The scenario and its site: what run settings, outputs and geometric checks read.
    compiled : CompiledScenario
        Its arrays, what the kernel runs on.
    """
    scenario = parse_scenario(data, source="synthetic.toml", path=tmp_path / "synthetic.toml")
    prepared = prepare(scenario)
    return prepared, compile_scenario(prepared)


def square_base(tmp_path: Path, half_m: float = 1_000.0) -> Path:
    """Write the default square base (UTM 38N GeoPackage) into ``tmp_path``."""
    return write_layer(tmp_path / "base.gpkg", square(half_m))


# ------------------------------------------------------------------------------------ stories
# ----------------------------------------------------------------------------------- people
#: Lethal and casualty radii of the synthetic people scenarios [m].
R_L = 10.0
R_W = 25.0


def _utm_layer(path: Path, features: list[dict]) -> str:
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32638"}},
        "features": features}))
    return path.name


def people_scenario(tmp_path: Path, areas: list[tuple], shelters: list[tuple] = (),
                    **kwargs) -> Prepared:
    """:func:`people_data`, validated and prepared."""
    data = people_data(tmp_path, areas, shelters, **kwargs)
    return prepare(parse_scenario(data, source="synthetic.toml", path=tmp_path / "synthetic.toml"))


def people_data(tmp_path: Path, areas: list[tuple], shelters: list[tuple] = (), *,
                defence: list[dict] | None = None, simulation: dict | None = None,
                **people) -> dict:
    """The square base with ``[people]`` (layers written into ``tmp_path``): ``areas`` (cx,
    cy, half side [m], peak people, kind) and ``shelters`` (x, y, capacity) in metres of UTM
    38N; Carleton damage (``R_L``, ``R_W``), no protection under a roof or lying down, 1 m
    cells, unless ``people`` says otherwise (``hour`` goes to ``[threat]``)."""
    square_base(tmp_path)
    hour = people.pop("hour", "uniform")
    features = [{"type": "Feature",
                 "properties": {"name": f"{a[4] if len(a) > 4 else 'constant'} {i}",
                                "kind": a[4] if len(a) > 4 else "constant", "people": a[3]},
                 "geometry": shapely.geometry.mapping(square(a[2], a[0], a[1]))}
                for i, a in enumerate(areas)]
    keys = {"occupancy": _utm_layer(tmp_path / "occ.geojson", features), "kind_field": "kind",
            "damage": "carleton", "lethal_radius_m": R_L, "wounding_radius_m": R_W,
            "indoor_factor": 1.0, "prone_factor": 1.0, "cell_m": 1.0}
    if shelters:
        keys.update(shelters=_utm_layer(tmp_path / "shelters.geojson", [
            {"type": "Feature", "properties": {"capacity": c},
             "geometry": {"type": "Point", "coordinates": [x, y]}} for x, y, c in shelters]),
            capacity_field="capacity")
    keys.update(people)
    data = scenario_data(defence=defence, simulation=simulation)
    data["people"] = keys
    data["threat"]["hour"] = hour
    return data


def salvo_rows(story: np.ndarray, tubes: int) -> np.ndarray:
    """Row indices of the story grouped by salvo, shape (n_salvos, tubes); checks the layout."""
    n = story.shape[0] // tubes
    rows = np.arange(n * tubes).reshape(n, tubes)
    np.testing.assert_array_equal(story[rows, T.R_SALVO], np.repeat(np.arange(n), tubes)
                                  .reshape(n, tubes), err_msg="story rows are not salvo-major")
    np.testing.assert_array_equal(story[rows, T.R_TUBE], np.tile(np.arange(tubes), (n, 1)),
                                  err_msg="story rows are not in tube order")
    return rows


def engaged(story_units: np.ndarray, unit: int) -> np.ndarray:
    """Bool per story row: did ``unit`` engage the rocket."""
    return story_units[:, unit, T.RU_OUTCOME] != OUT_NONE


# --------------------------------------------------------------- independent kill-draw hash
_MASK64 = (1 << 64) - 1


def _splitmix64(z: int) -> int:
    """splitmix64 finaliser (Steele, Lea & Flood 2014; Vigna's reference C), in Python ints."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def kill_draw(root_seed: int, salvo: int, tube: int, unit: int, shot: int) -> float:
    """The kill draw of one engagement as documented by ``forceprot.spatial.counter_uniform``:
    splitmix64 chained over (root seed, salvo, tube/unit/shot key), top 53 bits as U[0, 1).
    Written independently of the numba code."""
    root_seed, salvo, tube, unit, shot = (int(v) for v in (root_seed, salvo, tube, unit, shot))
    z = _splitmix64(root_seed ^ 0xD1B54A32D192ED03)
    z = _splitmix64(z ^ salvo)
    z = _splitmix64(z ^ ((tube << 24) | (unit << 4) | shot))
    return (z >> 11) / 2.0**53


# ------------------------------------------------------------------------------- assertions
def assert_covers(truth: float, value: float, n_eff: float, *, what: str,
                  z: float = Z999) -> None:
    """``truth`` lies in the Wilson interval of ``value`` on ``n_eff`` at normal quantile ``z``.

    ``n_eff`` is the estimate's own (cluster-robust) effective sample size, so this is the
    result's own interval, taken at the confidence ``z`` stands for.
    """
    from forceprot.stats import wilson_interval

    lo, hi = wilson_interval(value, n_eff, z=z)
    assert lo <= truth <= hi, (
        f"{what}: expected {truth:.5f}, got {value:.5f} with interval [{float(lo):.5f}, "
        f"{float(hi):.5f}] (n_eff {n_eff:.0f}, z {z:.2f}): off by "
        f"{abs(value - truth) / max(float(hi - lo) / 2, 1e-12):.1f} half-widths")


def binomial_band(p: float, n: int, confidence: float = 0.999) -> tuple[float, float]:
    """Central band of the observed fraction of ``n`` Bernoulli(p) trials (scipy.stats)."""
    a = (1.0 - confidence) / 2.0
    return float(st.binom.ppf(a, n, p)) / n, float(st.binom.isf(a, n, p)) / n


def clopper_pearson(k: int, n: int, confidence: float = 0.999) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion."""
    a = (1.0 - confidence) / 2.0
    lo = float(st.beta.ppf(a, k, n - k + 1)) if k > 0 else 0.0
    hi = float(st.beta.isf(a, k + 1, n - k)) if k < n else 1.0
    return lo, hi

