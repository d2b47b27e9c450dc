"""Where the next cameras (and a patrol) should go: greedy placement on the run's own salvos.

A camera changes nothing once a salvo is fired, only how often it is: so its value is read
from one run of the scenario as given. Each launch-grid cell ``c`` holds the leakers of the
salvos fired from it, ``L_c``; with the cameras' detection rate ``Lambda_c`` at its centre, the
expected leakers per attempted salvo are ``sum_c (1 - p(Lambda_c)) L_c / n_salvos``, ``p`` the
scenario's P(prevented) as a function of the rate (:func:`forceprot.surveillance.expected_found`,
tabulated on a log grid of rates for speed). Cameras of the class defaults
(:class:`forceprot.catalog.surveillance.CameraClass`) are added one at a time, each at the
(candidate site, heading) that lowers that sum most, headings every :data:`HEADING_STEP_DEG`
(or one, for an all-round field of view). With candidate patrol routes (``--patrol FILE``: each
line or polygon outline of the file is one route, driven by a patrol of the class defaults,
:class:`forceprot.catalog.surveillance.PatrolClass`), the best route is one more move of the
same greedy search, taken at most once.

The chosen layout is then run by the kernel on the same salvos (same seed and count), which
gives its exact figures and the paired difference against the scenario as given (batch means
over blocks, :func:`forceprot.stats.paired_ratio_difference`). The greedy ranking is exact up
to the variation of P(prevented) inside a launch cell (it reads the cell's centre; the kernel
reads the surveillance raster cell the launcher stands in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Final

import numpy as np
import shapely

from forceprot.catalog.surveillance import CameraClass, PatrolClass
from forceprot.compile import Prepared, compile_scenario, prepare
from forceprot.kernel import tally as T
from forceprot.results import Results, fired_scalars
from forceprot.settings import RunSettings
from forceprot.stats import paired_ratio_difference
from forceprot.studies.optimize.candidates import Candidates, grid_candidates, read_candidates

__all__ = ["CameraPlacement", "HEADING_STEP_DEG", "place_cameras"]

#: Spacing of the headings tried at each candidate site [deg].
HEADING_STEP_DEG: Final[float] = 45.0
#: Rates at which P(prevented) is tabulated for the search [1/min] (0 apart): 1e-6 to 1e4.
RATE_GRID_PER_MIN: Final[np.ndarray] = np.logspace(-6.0, 4.0, 601)
#: Moves scored at once (memory: moves x launch cells float64).
MOVE_CHUNK: Final[int] = 256


@dataclass(frozen=True)
class CameraPlacement:
    """Cameras placed by :func:`place_cameras` and what they buy on the same salvos.

    Attributes
    ----------
    chosen : list of dict
        Each camera: ``kind`` ("camera"), ``name``, ``lon``, ``lat``, ``heading_deg``,
        ``candidate`` (site name), ``leakers_per_attempted_salvo_after`` (the search's figure
        after adding it); a patrol: ``kind`` ("patrol"), ``name``, ``route_lonlat``,
        ``candidate`` (route number in the file), ``revisit_min`` and the same figure.
    before, after : Results
        The scenario as given, and with the cameras, on the same seed and salvos.
    difference : tuple
        ``(a, b, b - a, lo, hi, p_value)`` of expected leakers per attempted salvo.
    difference_p_prevented : tuple
        The same for P(salvo prevented).
    n_candidates, n_headings, n_routes : int
        Candidate sites, headings tried at each, candidate patrol routes.
    candidates_source : str
    camera : CameraClass
        The camera placed (class defaults).
    """

    chosen: list
    before: Results
    after: Results
    difference: tuple
    difference_p_prevented: tuple
    n_candidates: int
    n_headings: int
    candidates_source: str
    n_routes: int = 0
    camera: CameraClass = field(default_factory=CameraClass)

    def toml(self) -> str:
        """The cameras as ``[[surveillance]]`` tables to paste into the scenario."""
        out = ["# cameras placed by forceprot optimize --camera (class defaults; illustrative)"]
        for c in self.chosen:
            if c["kind"] == "patrol":
                route = ", ".join(f"[{lon:.6f}, {lat:.6f}]" for lon, lat in c["route_lonlat"])
                out += ["", "[[surveillance]]", 'kind = "patrol"', f'name = "{c["name"]}"',
                        f"route_lonlat = [{route}]"]
                continue
            out += ["", "[[surveillance]]", 'kind = "camera"', f'name = "{c["name"]}"',
                    f"lon = {c['lon']:.6f}", f"lat = {c['lat']:.6f}",
                    f"heading_deg = {c['heading_deg']:g}"]
        return "\n".join(out) + "\n"

    def summary(self) -> dict:
        """The placement under stable keys (``optimize --camera --json``)."""
        from forceprot.stats import finite_or_none as fin

        def diff(d: tuple) -> dict:
            a, b, delta, lo, hi, p = d
            return {"before": fin(a), "after": fin(b), "difference": fin(delta),
                    "difference_ci": [fin(lo), fin(hi)], "p_value": fin(p)}

        return {
            "scenario": self.before.compiled.label,
            "cameras": self.chosen,
            "camera_class": self.camera.model_dump(),
            "candidates": self.n_candidates,
            "candidates_source": self.candidates_source,
            "headings_per_site": self.n_headings,
            "patrol_routes": self.n_routes,
            "salvos": self.before.salvos,
            "seed": self.before.seed,
            "expected_leakers_per_attempted_salvo": diff(self.difference),
            "p_prevented": diff(self.difference_p_prevented),
        }


def _p_table(team) -> tuple[np.ndarray, np.ndarray]:
    from forceprot.surveillance import expected_found

    p = team.prevent_p * expected_found(RATE_GRID_PER_MIN, team, team.response_time_min)
    return np.log(RATE_GRID_PER_MIN), p


def _p_of(rate: np.ndarray, log_grid: np.ndarray, p_grid: np.ndarray) -> np.ndarray:
    """P(prevented) at ``rate`` [1/min], interpolated in log rate (0 at rate 0)."""
    with np.errstate(divide="ignore"):
        p = np.interp(np.log(rate), log_grid, p_grid, left=0.0, right=p_grid[-1])
    return np.where(rate > 0.0, p, 0.0)


def place_cameras(prepared: Prepared, n_cameras: int, *, candidates_path=None,
                  grid_m: float | None = None, margin_m: float | None = None,
                  salvos: int | None = None, seed: int | None = None, threads: int | None = None,
                  patrol_routes_path=None,
                  progress: Callable[[str, int, int], None] | None = None) -> CameraPlacement:
    """Place ``n_cameras`` cameras (class defaults), and one patrol on the best of the routes
    in ``patrol_routes_path`` if given, to lower the leakers per attempted salvo.

    Parameters
    ----------
    prepared : Prepared
        The scenario; its defences and surveillance stay as they are.
    n_cameras : int
        Cameras to place (>= 1).
    candidates_path : path, optional
        Point layer of candidate sites (else a grid over the base, ``grid_m`` apart, and
        ``margin_m`` around it, as ``optimize`` uses).
    salvos, seed, threads : optional
        Run settings (default: the scenario's); both runs see the same salvos.
    patrol_routes_path : path, optional
        Candidate patrol routes: each line or polygon outline of the layer is one route.
    progress : callable, optional
        ``progress(label, done, total)``.
    """
    from forceprot.studies.optimize.candidates import DEFAULT_GRID_M
    from forceprot.surveillance import Sensor, load_sensors, sensor_visibility

    scenario, site = prepared.scenario, prepared.site
    candidates: Candidates = (read_candidates(candidates_path, site) if candidates_path else
                              grid_candidates(site, grid_m=grid_m or DEFAULT_GRID_M,
                                              margin_m=scenario.site.defended_margin_m
                                              if margin_m is None else margin_m))
    settings = RunSettings.from_scenario(scenario, salvos=salvos, seed=seed, precision=None,
                                         story_salvos=0, threads=threads)
    if progress:
        progress("the scenario as given", 0, 1)
    before = _run(compile_scenario(prepared), settings)
    team = scenario.launch_team
    cam = CameraClass()
    launch = before.compiled.launch_grid
    cells = np.flatnonzero(before.launch[T.L_SALVOS] > 0)
    cx, cy = launch.centers()
    x, y = cx[cells], cy[cells]
    leaked = before.launch[T.L_LEAKED][cells]
    from forceprot.surveillance import rate_map

    rate = rate_map(load_sensors(scenario, site), x, y, team.target_height_m, site.terrain) \
        if scenario.surveillance else np.zeros(len(cells))
    log_grid, p_grid = _p_table(team)
    headings = [0.0] if cam.fov_deg >= 360.0 else \
        list(np.arange(0.0, 360.0, min(HEADING_STEP_DEG, cam.fov_deg)))
    moves = [(i, h) for i in range(len(candidates)) for h in headings]
    # added rate of each move at each cell [1/min]: camera rate x seen; a patrol's rate x the
    # share of its route from which the cell is in view
    added = np.zeros((len(moves), len(cells)))
    for m, (i, h) in enumerate(moves):
        s = Sensor("candidate", "camera", candidates.xy_m[i:i + 1], np.ones(1), cam.height_m,
                   cam.range_m, math.radians(cam.fov_deg), math.radians(90.0 - h),
                   cam.detect_rate_per_min)
        added[m] = cam.detect_rate_per_min * sensor_visibility(s, 0, x, y, team.target_height_m,
                                                               site.terrain)
        if progress and m % 500 == 0:
            progress("what each candidate camera sees", m, len(moves))
    routes = _read_routes(patrol_routes_path, scenario, site) if patrol_routes_path else []
    patrol = PatrolClass()
    patrol_sensors = []
    for r, route in enumerate(routes):
        from forceprot.surveillance import MAX_ROUTE_SAMPLES, MAX_ROUTE_SAMPLES_DEM, _sample_line

        pts, w = _sample_line(route, MAX_ROUTE_SAMPLES if site.terrain is None
                              else MAX_ROUTE_SAMPLES_DEM)
        s = Sensor(f"route {r + 1}", "patrol", pts, w, patrol.height_m, patrol.range_m,
                   2 * math.pi, 0.0, patrol.detect_rate_per_min,
                   route.length / patrol.speed_mps / 60.0, route)
        patrol_sensors.append(s)
        added = np.vstack([added, rate_map([s], x, y, team.target_height_m, site.terrain)[None]])
        moves.append((-1, r))
    n = max(before.salvos, 1)
    chosen = []
    allowed = np.ones(len(moves), dtype=bool)
    allowed[:len(candidates) * len(headings)] = n_cameras > 0
    for k in range(n_cameras + (1 if routes else 0)):
        best, best_obj = -1, math.inf
        for m0 in range(0, len(moves), MOVE_CHUNK):
            trial = rate[None, :] + added[m0:m0 + MOVE_CHUNK]
            obj = ((1.0 - _p_of(trial, log_grid, p_grid)) * leaked[None, :]).sum(axis=1)
            obj = np.where(allowed[m0:m0 + MOVE_CHUNK], obj, math.inf)
            j = int(np.argmin(obj))  # first of equals: candidate order, then heading
            if obj[j] < best_obj:
                best, best_obj = m0 + j, float(obj[j])
        i, h = moves[best]
        rate = rate + added[best]
        if i < 0:  # the patrol: one route only, and it does not count as a camera
            allowed[[m for m, mv in enumerate(moves) if mv[0] < 0]] = False
            s = patrol_sensors[int(h)]
            lon, lat = site.xy_to_lonlat(*shapely.get_coordinates(s.path_m).T)
            chosen.append({"kind": "patrol", "name": "opt patrol",
                           "route_lonlat": [[float(a), float(b)] for a, b in zip(lon, lat)],
                           "candidate": f"route {int(h) + 1}", "revisit_min": s.revisit_min,
                           "leakers_per_attempted_salvo_after": best_obj / n})
            continue
        lon, lat = site.xy_to_lonlat(candidates.xy_m[i, 0], candidates.xy_m[i, 1])
        n_cam = sum(c["kind"] == "camera" for c in chosen) + 1
        chosen.append({"kind": "camera", "name": f"opt camera {n_cam}", "lon": float(lon),
                       "lat": float(lat), "heading_deg": float(h),
                       "candidate": candidates.names[i],
                       "leakers_per_attempted_salvo_after": best_obj / n})
        if n_cam == n_cameras:
            allowed[:len(candidates) * len(headings)] = False
    if progress:
        progress("the chosen cameras", 0, 1)
    existing = [s.model_dump(exclude_unset=True) for s in scenario.surveillance]
    new = [{"kind": "camera", "name": c["name"], "lon": c["lon"], "lat": c["lat"],
            "heading_deg": c["heading_deg"]} if c["kind"] == "camera" else
           {"kind": "patrol", "name": c["name"], "route_lonlat": c["route_lonlat"]}
           for c in chosen]
    placed = prepare(scenario.updated({"surveillance": existing + new}))
    after = _run(compile_scenario(placed), settings)
    a_blk = before.extra["block_scalars"]
    a_blk = a_blk if before.has_surveillance else fired_scalars(a_blk)
    b_blk = after.extra["block_scalars"]
    return CameraPlacement(
        chosen=chosen, before=before, after=after,
        difference=paired_ratio_difference(a_blk[:, T.S_LEAKED_ATTEMPT], a_blk[:, T.S_SALVOS],
                                           b_blk[:, T.S_LEAKED_ATTEMPT], b_blk[:, T.S_SALVOS]),
        difference_p_prevented=paired_ratio_difference(
            a_blk[:, T.S_P_PREVENT], a_blk[:, T.S_SALVOS], b_blk[:, T.S_P_PREVENT],
            b_blk[:, T.S_SALVOS]),
        n_candidates=len(candidates), n_headings=len(headings),
        candidates_source=candidates.source, n_routes=len(routes), camera=cam)


def _read_routes(path, scenario, site) -> list:
    """Candidate patrol routes [m]: each line or polygon outline of the layer at ``path``."""
    from pathlib import Path

    from forceprot.geo import _to_local, read_route_layer

    route, crs = read_route_layer(Path(path), label=str(path), field_name="--patrol")
    return [part for part in shapely.get_parts(_to_local(route, crs, site.local_crs))
            if part.length > 0]


def _run(compiled, settings: RunSettings) -> Results:
    from forceprot.simulate import simulate

    return simulate(compiled, settings, keep_block_scalars=True)
