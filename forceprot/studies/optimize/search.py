"""Where should the next counter-rocket systems go: placement by Monte Carlo local search.

Given a scenario, ``n_cram`` C-RAM-class mounts and ``n_patriot`` Patriot-class batteries (class
defaults, named ``opt C-RAM 1``, ``opt Patriot 1``...) are placed on candidate sites (points from a
file, or a grid over the base and a margin around it), one unit per site, with the scenario's
own units kept where they are (or dropped, to compare a fresh layout with them), so as to
minimise one objective estimated by the Monte Carlo kernel:

``leak_rate``
    leaked / threatening rockets (:attr:`forceprot.results.Results.leak_rate`);
``p_any_leak``
    P(a salvo puts at least one unintercepted rocket inside the base);
``asset_risk``
    weighted asset hits per salvo (needs ``[[asset]]``).

Common random numbers
---------------------
Every layout is sampled with the same seed and salvo count, so launcher, aim and dispersion draws
are identical across layouts; kill draws come from a counter-based hash of (seed, salvo, tube, unit
index, shot) (:func:`forceprot.spatial.counter_uniform`), so the scenario's units keep their draws
and the unit at index ``j`` has the same draws wherever it stands. Differences between layouts are
then far more precise than each layout's own interval, and the objective is a deterministic
function of the layout: the search terminates. The scenario is compiled once (per worker); a
layout replaces only the unit arrays.

Search
------
1. Greedy: add the (kind, site) that most lowers the objective, one unit at a time.
2. Swap: move one placed unit to a free site while that lowers the objective.
3. Baseline: the maximal covering location problem (PySAL ``spopt.locate.MCLP``) with static
   envelope disks over the base's demand points (:func:`mclp_layout`). When the MCLP layout beats
   the greedy result (or when asked), a swap search also starts from it; the better final layout
   is kept, so the result is never worse than the baseline on the common sample.

Each greedy step and swap round screens every move on the first ``screen_salvos`` salvos (a
prefix of the full sample: same seed), the best ``4 * refine`` again on four times as many, and
the best ``refine`` on all ``salvos`` (:func:`screening_stages`); a swap is accepted only if it
beats the current layout on the full sample. The cost is then close to ``moves x screen_salvos``
per step: on Camp Taji with the default 250 m grid (about 700 sites) the first greedy step of a
C-RAM-plus-battery placement screens about 1,400 moves. A move the screen ranks low is not looked
at again in that round: the result is a local optimum with respect to the screened neighbourhood.

Layout evaluations run as tasks through :mod:`forceprot.studies.executors` (in-process or on a dask
cluster) and give identical numbers either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

from forceprot.engage.state import Units
from forceprot.kernel import tally as T
from forceprot.catalog.defences import DEFENCE_CLASSES, DEFENCE_KINDS
from forceprot.compile import CompiledScenario, Prepared, compile_scenario, prepare, unit_parameters
from forceprot.studies.executors import Executor, InProcessExecutor, ScenarioSpec, worker_cached
from forceprot.errors import ForceprotError, GeometryError, ScenarioError
from forceprot.geo import MAX_UNIT_DISTANCE_M, SiteGeometry
from forceprot.results import Results
from forceprot.settings import RunSettings
from forceprot.stats import Estimate, finite_or_none, mean_estimate, paired_ratio_estimate

__all__ = [
    "Candidates",
    "DEFAULT_GRID_M",
    "DEFAULT_MIN_GAIN",
    "DEFAULT_REFINE",
    "DEFAULT_SCREEN_SALVOS",
    "KINDS",
    "MclpSolution",
    "OBJECTIVES",
    "OptimizationResult",
    "PerSalvo",
    "Placement",
    "Score",
    "Step",
    "grid_candidates",
    "mclp_layout",
    "OptimizationPlan",
    "optimize_placement",
    "plan_optimization",
    "run_optimization",
    "paired_difference",
    "read_candidates",
]

#: Objectives, with what they measure.
OBJECTIVES = {
    "leak_rate": "leaked / threatening rockets [-]",
    "p_any_leak": "P(a salvo puts >= 1 leaker inside the base) [-]",
    "asset_risk": "weighted asset hits per salvo [-]",
}
#: Unit kinds that can be placed, and how they are named.
KINDS = DEFENCE_KINDS
KIND_LABEL = {"cram": "C-RAM", "patriot": "Patriot"}

#: Candidate grid spacing when no candidate file is given [m].
DEFAULT_GRID_M = 250.0
#: Salvos on which every move is screened [-] (two kernel blocks: both cores busy in-process).
DEFAULT_SCREEN_SALVOS = 1024
#: Best screened moves re-evaluated on the full sample [-].
DEFAULT_REFINE = 8
#: Most swap rounds per search [-] (each accepted swap strictly lowers the objective).
MAX_SWAP_ROUNDS = 30
#: A swap must lower the objective by at least this fraction of its value [-]: smaller gains
#: are fitted to the sample rather than to the defence, and each round costs a full screen.
DEFAULT_MIN_GAIN = 1e-3
#: Most candidate sites [-]; beyond this use a coarser grid.
MAX_CANDIDATES = 5_000
#: Most salvos recorded rocket by rocket for the paired comparisons [-].
PAIRED_MAX_SALVOS = 20_000
#: Memory the rocket-by-rocket records of one paired run may take [bytes].
PAIRED_MAX_BYTES = 256 * 2**20
#: Files ``forceprot optimize --out DIR`` writes, besides those of ``forceprot run``.

Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------------------------------------
# Candidate sites
# ---------------------------------------------------------------------------------------------


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
    """Grid points inside the base grown by ``margin_m``.

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


# ---------------------------------------------------------------------------------------------
# Layouts and their evaluation (runs in tasks)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Placement:
    """One placed unit: its kind (``cram``/``patriot``) and candidate site index."""

    kind: str
    site: int


Layout = tuple[Placement, ...]


@dataclass(frozen=True)
class PerSalvo:
    """Per-salvo figures of a layout, for paired comparisons on the common sample.

    Arrays of shape (n_salvos,): rockets landing inside the base, leakers, whether any leaked,
    and weighted asset hits.
    """

    threat: np.ndarray
    leaked: np.ndarray
    any_leak: np.ndarray
    asset_risk: np.ndarray


@dataclass(frozen=True)
class Score:
    """A layout's objective on a sample, with its 95 % interval and the leak rate (tie-break)."""

    objective: str
    value: float
    lo: float
    hi: float
    leak_rate: float
    salvos: int
    per_salvo: PerSalvo | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[float, float]:
        """Sort key: objective, then leak rate; NaN sorts last."""
        return (_or_inf(self.value), _or_inf(self.leak_rate))

    def as_dict(self) -> dict:
        return {"value": finite_or_none(self.value), "ci": [finite_or_none(self.lo), finite_or_none(self.hi)],
                "leak_rate": finite_or_none(self.leak_rate), "salvos": self.salvos}


def _or_inf(x: float) -> float:
    return x if math.isfinite(x) else math.inf



@dataclass(frozen=True)
class _Problem:
    """What every layout task needs, picklable: the base scenario (the units kept fixed, no
    precision stop, no stories), candidate positions, objective, and the fixed units' names."""

    spec: ScenarioSpec
    candidates_xy: np.ndarray
    objective: str
    fixed_names: tuple[str, ...]


@dataclass(frozen=True)
class _EvalJob:
    problem: _Problem
    layouts: tuple[Layout, ...]
    salvos: int
    seed: int
    threads: int | None
    per_salvo: bool = False


def unit_names(layout: Layout, fixed_names: tuple[str, ...]) -> list[str]:
    """Names of a layout's new units in order: ``opt C-RAM 1``, ``opt Patriot 1``... skipping
    any name a fixed unit already has."""
    taken = set(fixed_names)
    count = {k: 0 for k in KINDS}
    out = []
    for p in layout:
        while True:
            count[p.kind] += 1
            name = f"opt {KIND_LABEL[p.kind]} {count[p.kind]}"
            if name not in taken:
                break
        taken.add(name)
        out.append(name)
    return out


def _base_compiled(problem: _Problem) -> CompiledScenario:
    """The problem's base scenario compiled once per process."""
    return worker_cached("optimize:" + problem.spec.key,
                         lambda: compile_scenario(prepare(problem.spec.scenario())))


def layout_compiled(base: CompiledScenario, candidates_xy: np.ndarray, layout: Layout,
                    fixed_names: tuple[str, ...]) -> CompiledScenario:
    """``base`` with the layout's units appended after its own: only unit arrays change.

    The new units (class defaults) are validated through :meth:`Scenario.updated`; their
    parameter rows come from :func:`forceprot.compile.unit_parameters`, their positions are the
    candidate positions [m], exactly.
    """
    scenario = base.prepared.scenario
    site = base.prepared.site
    xy = candidates_xy[[p.site for p in layout]].reshape(-1, 2)
    lon, lat = site.xy_to_lonlat(xy[:, 0], xy[:, 1])
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    new = [{"kind": p.kind, "name": name, "lon": float(lon[i]), "lat": float(lat[i])}
           for i, (p, name) in enumerate(zip(layout, unit_names(layout, fixed_names)))]
    layout_scenario = scenario.updated(
        {"defence": [u.model_dump() for u in scenario.defence] + new})
    kind, par = unit_parameters(layout_scenario)
    unit_xy = np.ascontiguousarray(np.vstack([base.inputs.units.xy_m.reshape(-1, 2), xy]),
                                   dtype=np.float64)
    prepared = Prepared(scenario=layout_scenario,
                        site=dataclasses.replace(site, unit_xy_m=unit_xy))
    return dataclasses.replace(base, prepared=prepared).with_inputs(
        units=Units(kind, unit_xy, par))


def objective_estimate(results: Results, objective: str) -> Estimate:
    """The objective's estimate and 95 % interval from a run."""
    if objective == "leak_rate":
        return results.leak_rate
    if objective == "p_any_leak":
        return results.p_any_leak
    return results.asset_risk_per_salvo


def per_salvo(results: Results) -> PerSalvo:
    """Per-salvo figures from a run that recorded every salvo's rockets (``story_salvos`` at
    least the salvos sampled).

    Mirrors the kernel's tallies: a leaker is a rocket landing inside the base and not killed;
    it hits an asset if it lands within the asset's radius.
    """
    story = results.story
    tubes = results.compiled.tubes
    fired = np.isfinite(story[:, T.R_SALVO]).reshape(-1, tubes)[:, 0]
    rows = story.reshape(-1, tubes, T.N_STORY)[fired]
    inside = rows[:, :, T.R_INSIDE] > 0.5
    leak = inside & ~(rows[:, :, T.R_INTERCEPTED] > 0.5)
    risk = np.zeros(len(rows))
    assets = results.compiled.inputs.assets
    for a in range(assets.xy_m.shape[0]):
        dx = rows[:, :, T.R_IMPACT_X] - assets.xy_m[a, 0]
        dy = rows[:, :, T.R_IMPACT_Y] - assets.xy_m[a, 1]
        risk += assets.weight[a] * (leak & (dx * dx + dy * dy <= assets.r2_m2[a])).sum(axis=1)
    leaked = leak.sum(axis=1).astype(np.float64)
    return PerSalvo(threat=inside.sum(axis=1).astype(np.float64), leaked=leaked,
                    any_leak=(leaked > 0).astype(np.float64), asset_risk=risk)


def _score(results: Results, objective: str, *, with_per_salvo: bool) -> Score:
    est = objective_estimate(results, objective)
    return Score(objective=objective, value=float(est.value), lo=float(est.lo), hi=float(est.hi),
                 leak_rate=float(results.leak_rate.value), salvos=int(results.salvos),
                 per_salvo=per_salvo(results) if with_per_salvo else None)


def _evaluate_batch(job: _EvalJob) -> list[Score]:
    """Task: sample each layout of the job on the common sample and score it."""
    from forceprot.simulate import simulate

    problem = job.problem
    base = _base_compiled(problem)
    # every layout on the same salvos; per-salvo figures need every rocket's story
    settings = RunSettings(salvos=job.salvos, seed=job.seed, precision=None,
                           story_salvos=job.salvos if job.per_salvo else 0, threads=job.threads)
    out = []
    for layout in job.layouts:
        compiled = layout_compiled(base, problem.candidates_xy, layout, problem.fixed_names)
        results = simulate(compiled, settings)
        out.append(_score(results, problem.objective, with_per_salvo=job.per_salvo))
    return out


class _Evaluator:
    """Scores layouts through an executor, remembering every score (a layout is never sampled
    twice at the same size)."""

    def __init__(self, problem: _Problem, executor: Executor, seed: int,
                 progress: Progress | None) -> None:
        self.problem = problem
        self.executor = executor
        self.seed = seed
        self.progress = progress
        self.memo: dict[tuple[Layout, int], Score] = {}
        self.runs = 0
        self.salvos_sampled = 0

    def scores(self, layouts: list[Layout], salvos: int, label: str) -> list[Score]:
        todo = list(dict.fromkeys(l for l in layouts if (l, salvos) not in self.memo))
        if todo:
            # enough chunks to keep every worker busy and the progress bar moving
            n_chunks = min(len(todo), max(1, self.executor.n_workers) * 4,
                           max(1, len(todo) // 2))
            if isinstance(self.executor, InProcessExecutor):
                n_chunks = min(len(todo), 40)
            chunks = [tuple(c) for c in np.array_split(np.arange(len(todo)), n_chunks) if len(c)]
            jobs = [_EvalJob(self.problem, tuple(todo[i] for i in c), salvos, self.seed,
                             self.executor.task_threads) for c in chunks]
            sizes = [len(j.layouts) for j in jobs]
            done_layouts = np.cumsum([0] + sizes)

            def tick(done: int, total: int) -> None:
                if self.progress is not None:
                    self.progress(label, int(done_layouts[done]), len(todo))

            if self.progress is not None:
                self.progress(label, 0, len(todo))
            results = self.executor.map(_evaluate_batch, jobs, progress=tick)
            for job, scores in zip(jobs, results):
                for layout, score in zip(job.layouts, scores):
                    self.memo[(layout, salvos)] = score
            self.runs += len(todo)
            self.salvos_sampled += len(todo) * salvos
        return [self.memo[(l, salvos)] for l in layouts]


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a search.

    Attributes
    ----------
    start : str
        Which search: ``greedy`` (from the fixed units) or ``mclp`` (from the MCLP layout).
    phase : str
        ``start``, ``greedy`` (a unit added) or ``swap`` (a unit moved).
    index : int
        Step number within its search (0 = the starting layout).
    layout : tuple of Placement
        The layout after the step.
    score : Score
        Its objective on the full sample.
    unit : int or None
        Index in ``layout`` of the unit added or moved.
    from_site : int or None
        Where a moved unit came from.
    screened : int
        Moves screened for this step.
    """

    start: str
    phase: str
    index: int
    layout: Layout
    score: Score
    unit: int | None = None
    from_site: int | None = None
    screened: int = 0


def screening_stages(salvos: int, screen_salvos: int, refine: int) -> list[tuple[int, int]]:
    """The screening ladder: (salvos, moves kept) per stage before the full sample.

    Every move is sampled on ``screen_salvos``; the best ``4 * refine`` go on to four times as
    many salvos (when that is still short of the full sample), and the best ``refine`` of those
    to the full sample.
    """
    if screen_salvos >= salvos:
        return []
    if 4 * screen_salvos < salvos:
        return [(screen_salvos, 4 * refine), (4 * screen_salvos, refine)]
    return [(screen_salvos, refine)]


def _best_move(ev: _Evaluator, moves: list[Layout], *, salvos: int, screen_salvos: int,
               refine: int, label: str) -> tuple[Layout, Score]:
    """The move with the lowest objective on the full sample, after the screening ladder."""
    for size, keep in screening_stages(salvos, screen_salvos, refine):
        if len(moves) <= keep:
            continue
        scores = ev.scores(moves, size, f"{label}, {size:,} salvos")
        order = sorted(range(len(moves)), key=lambda i: (scores[i].key, i))
        moves = [moves[i] for i in order[:keep]]
    full = ev.scores(moves, salvos, f"{label}, {salvos:,} salvos")
    j = min(range(len(moves)), key=lambda i: (full[i].key, i))
    return moves[j], full[j]


def _greedy(ev: _Evaluator, n_sites: int, counts: dict[str, int], *, salvos: int,
            screen_salvos: int, refine: int) -> list[Step]:
    layout: Layout = ()
    steps = [Step("greedy", "start", 0, layout, ev.scores([layout], salvos, "start")[0])]
    total = sum(counts.values())
    for t in range(total):
        placed = {k: sum(p.kind == k for p in layout) for k in KINDS}
        used = {p.site for p in layout}
        moves = [layout + (Placement(k, c),) for k in KINDS if placed[k] < counts[k]
                 for c in range(n_sites) if c not in used]
        layout, score = _best_move(ev, moves, salvos=salvos, screen_salvos=screen_salvos,
                                   refine=refine, label=f"greedy step {t + 1}/{total}")
        steps.append(Step("greedy", "greedy", t + 1, layout, score, unit=len(layout) - 1,
                          screened=len(moves)))
    return steps


def _improves(new: Score, current: Score, min_gain: float) -> bool:
    """Whether ``new`` is lower than ``current`` by at least ``min_gain`` of its value."""
    if not new.key < current.key:
        return False
    return current.value - new.value >= min_gain * abs(current.value) if min_gain > 0 else True


def _swaps(ev: _Evaluator, start: Step, n_sites: int, *, salvos: int, screen_salvos: int,
           refine: int, max_rounds: int, min_gain: float) -> list[Step]:
    steps: list[Step] = []
    layout, score = start.layout, start.score
    for r in range(max_rounds):
        used = {p.site for p in layout}
        moves = [layout[:j] + (Placement(p.kind, c),) + layout[j + 1:]
                 for j, p in enumerate(layout) for c in range(n_sites) if c not in used]
        if not moves:
            break
        best, best_score = _best_move(ev, moves, salvos=salvos, screen_salvos=screen_salvos,
                                      refine=refine, label=f"{start.start} swap round {r + 1}")
        if not _improves(best_score, score, min_gain):
            break
        j = next(i for i, (a, b) in enumerate(zip(layout, best)) if a != b)
        steps.append(Step(start.start, "swap", start.index + len(steps) + 1, best, best_score,
                          unit=j, from_site=layout[j].site, screened=len(moves)))
        layout, score = best, best_score
    return steps


# ---------------------------------------------------------------------------------------------
# MCLP baseline
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MclpSolution:
    """The maximal covering layout with static envelope disks.

    Attributes
    ----------
    layout : tuple of Placement
        C-RAM-class mounts first, then batteries.
    radius_m : dict
        Envelope disk radius per kind [m].
    coverage : dict
        Share of the demand weight inside at least one disk of that kind (fixed units included).
    solver : str
        The MILP solver PuLP used.
    demand : str
        What the demand points were.
    n_demand : int
        Demand points.
    """

    layout: Layout
    radius_m: dict
    coverage: dict
    solver: str
    demand: str
    n_demand: int


def envelope_radius_m(kind: str) -> float:
    """Static envelope disk radius of a class-default unit [m]: the defended radius, capped by
    the engagement reach (gun slant range; battery maximum intercept range)."""
    return DEFENCE_CLASSES[kind]().envelope_radius_m


def _unit_radius_m(unit) -> float:
    return unit.envelope_radius_m


def demand_points(prepared: Prepared, cell_m: float) -> tuple[np.ndarray, np.ndarray, str]:
    """MCLP demand: base cells weighted by their area inside the base, or the aim assets.

    Returns
    -------
    xy : ndarray, float64, shape (n, 2)
        Demand points [m] (a point on each clipped cell; or the assets).
    weight : ndarray, float64, shape (n,)
        Area inside the base [m^2], or the assets' aim weights.
    description : str
    """
    from forceprot.compile import Grid

    scenario, site = prepared.scenario, prepared.site
    if scenario.threat.aim == "assets":
        w = np.array([a.weight for a in scenario.asset], dtype=np.float64)
        return site.asset_xy_m.reshape(-1, 2).copy(), w, "aim assets weighted by aim weight"
    grid = Grid.covering(site.base, cell_m, label=scenario.label, field="demand cell")
    pieces = shapely.intersection(grid.boxes(), site.base)
    area = shapely.area(pieces)
    keep = area > 0
    pts = shapely.point_on_surface(pieces[keep])
    xy = shapely.get_coordinates(pts)
    return xy, area[keep], f"{cell_m:g} m base cells weighted by area inside the base"


def mclp_solver():
    """A PuLP MILP solver that works here, and its name.

    Prefers HiGHS through highspy (``pulp.HiGHS``), then the HiGHS and CBC command-line
    solvers. PuLP's bundled CBC (``PULP_CBC_CMD``) is deprecated from PuLP 3 and goes in 4.0,
    so it is not used.

    Raises
    ------
    ForceprotError
        PuLP missing, or no solver available.
    """
    try:
        import pulp
    except ImportError:
        raise ForceprotError("the MCLP baseline needs PuLP and highspy: pip install "
                             "'forceprot[optimize]'") from None
    for factory, name in (("HiGHS", "HiGHS (highspy)"), ("HiGHS_CMD", "HiGHS (command line)"),
                          ("COIN_CMD", "CBC (command line)")):
        cls = getattr(pulp, factory, None)
        if cls is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solver = cls(msg=False)
            if solver.available():
                return solver, name
    raise ForceprotError("no MILP solver for the MCLP baseline: pip install highspy")


@contextlib.contextmanager
def _native_stdout_silenced():
    """Silence file descriptor 1 (the HiGHS library prints its banner there, below Python)."""
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError):
        pass
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _mclp_class():
    """``spopt.locate.MCLP``, or a ForceprotError saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from spopt.locate import MCLP
    except ImportError:
        raise ForceprotError("the MCLP baseline needs spopt: pip install "
                             "'forceprot[optimize]'") from None
    return MCLP


def _solve_mclp(cost: np.ndarray, weight: np.ndarray, radius_m: float, p: int, name: str,
                solver) -> list[int]:
    MCLP = _mclp_class()
    with warnings.catch_warnings():
        # spopt builds variables through the PuLP 3 constructor that PuLP 4 removes
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, weight, service_radius=radius_m, p_facilities=p,
                                      name=name)
        with _native_stdout_silenced():
            model.solve(solver, results=False)
    return [j for j, var in enumerate(model.fac_vars) if var.value() is not None
            and var.value() > 0.5]


def mclp_layout(prepared: Prepared, candidates: Candidates, counts: dict[str, int], *,
                demand_cell_m: float) -> MclpSolution:
    """The maximal covering location problem per kind, with static envelope disks.

    For each kind (C-RAM-class mounts first, then batteries, each on sites the other did not
    take), ``spopt.locate.MCLP`` picks ``counts[kind]`` candidate sites whose disks of radius
    :func:`envelope_radius_m` cover the most demand weight (:func:`demand_points`) not already
    covered by the scenario's fixed units of that kind (their own radius). Kinds are solved
    apart: in a layered defence a battery's coverage does not make a gun's redundant.

    Notes
    -----
    Church & ReVelle (1974), "The maximal covering location problem", Papers of the Regional
    Science Association 32: 101-118. Static disks ignore time: reaction, saturation, the
    rockets' approach direction and a battery's minimum range, which is what the Monte Carlo
    search measures. A battery-class disk (20 km) typically covers the whole base from any site,
    so MCLP cannot tell battery sites apart; the solver's pick among equals is arbitrary.
    """
    solver, solver_name = mclp_solver()
    xy, weight, description = demand_points(prepared, demand_cell_m)
    weight = weight / weight.mean()
    fixed = prepared.scenario.defence
    fixed_xy = prepared.site.unit_xy_m.reshape(-1, 2)
    used: set[int] = set()
    layout: list[Placement] = []
    radius, coverage = {}, {}
    for kind in KINDS:
        p = counts.get(kind, 0)
        if p <= 0:
            continue
        r = envelope_radius_m(kind)
        radius[kind] = r
        covered = np.zeros(len(xy), dtype=bool)
        for unit, uxy in zip(fixed, fixed_xy):
            if unit.kind == kind:
                covered |= np.hypot(xy[:, 0] - uxy[0], xy[:, 1] - uxy[1]) <= _unit_radius_m(unit)
        free = np.array([c for c in range(len(candidates)) if c not in used], dtype=np.int64)
        fxy = candidates.xy_m[free]
        cost = np.hypot(xy[:, None, 0] - fxy[None, :, 0], xy[:, None, 1] - fxy[None, :, 1])
        chosen = _solve_mclp(cost, np.where(covered, 0.0, weight), r, p, f"mclp_{kind}", solver)
        if len(chosen) != p:  # a solver that returns fewer picks: fill deterministically
            rest = [j for j in range(len(free)) if j not in chosen]
            chosen = sorted(chosen) + rest[: p - len(chosen)]
        picks = [int(free[j]) for j in sorted(chosen)]
        for c in picks:
            covered |= cost[:, int(np.flatnonzero(free == c)[0])] <= r
            used.add(c)
            layout.append(Placement(kind, c))
        coverage[kind] = float(weight[covered].sum() / weight.sum())
    return MclpSolution(layout=tuple(layout), radius_m=radius, coverage=coverage,
                        solver=solver_name, demand=description, n_demand=int(len(xy)))


# ---------------------------------------------------------------------------------------------
# Paired comparison on the common sample
# ---------------------------------------------------------------------------------------------


def paired_sample_size(salvos: int, tubes: int, n_units: int) -> int:
    """Salvos on which layouts are compared pair-wise: all of them, up to
    :data:`PAIRED_MAX_SALVOS` and what :data:`PAIRED_MAX_BYTES` of rocket records hold (the
    first salvos of the common sample)."""
    per_salvo_bytes = 8 * tubes * (T.N_STORY + max(n_units, 1) * T.N_STORY_UNIT)
    return int(max(1, min(salvos, PAIRED_MAX_SALVOS, PAIRED_MAX_BYTES // per_salvo_bytes)))


def paired_difference(a: PerSalvo, b: PerSalvo, objective: str) -> Estimate:
    """Objective of layout ``a`` minus that of ``b`` on the same salvos, with a 95 % interval.

    Both layouts saw the same salvos (common random numbers), so the difference is estimated
    salvo by salvo: for the leak rate, the ratio ``sum(leaked_a - leaked_b) / sum(threat)`` with
    the cluster-robust linearisation variance (Cochran, *Sampling Techniques*, 3rd ed., 6.4) and
    a normal interval; for the per-salvo objectives, the mean difference with a t interval.
    """
    n = len(a.threat)
    if objective == "leak_rate":
        return paired_ratio_estimate(a.leaked - b.leaked, a.threat)
    d = a.any_leak - b.any_leak if objective == "p_any_leak" else a.asset_risk - b.asset_risk
    return mean_estimate(float(d.sum()), float((d * d).sum()), float(n))


# ---------------------------------------------------------------------------------------------
# The whole optimisation
# ---------------------------------------------------------------------------------------------


@dataclass
class OptimizationResult:
    """A placement optimisation: settings, every step, the baseline, the comparisons, and the
    full run of the chosen layout.

    Attributes
    ----------
    results : Results
        The chosen layout sampled on the full sample, with the scenario's stories, for the usual
        run outputs.
    comparisons : dict
        ``final_minus_initial`` and ``final_minus_mclp``: paired differences of the objective
        (:func:`paired_difference`) on the first ``paired_salvos`` salvos.
    """

    scenario_label: str
    objective: str
    counts: dict
    keep_existing: bool
    salvos: int
    screen_salvos: int
    refine: int
    seed: int
    candidates: Candidates
    fixed_names: tuple[str, ...]
    initial_label: str
    initial_score: Score
    greedy_steps: list[Step]
    mclp: MclpSolution
    mclp_steps: list[Step]
    final_start: str
    final_layout: Layout
    final_score: Score
    comparisons: dict
    paired_salvos: int
    results: Results
    executor: str
    layout_runs: int
    salvos_sampled: int
    timings_s: dict
    min_gain: float = 0.0

    @property
    def site(self) -> SiteGeometry:
        return self.results.compiled.prepared.site

    @property
    def mclp_score(self) -> Score:
        return self.mclp_steps[0].score

    @property
    def final_steps(self) -> list[Step]:
        return self.greedy_steps if self.final_start == "greedy" else self.mclp_steps

    def names(self, layout: Layout) -> list[str]:
        return unit_names(layout, self.fixed_names)

    def placements(self) -> list[dict]:
        """The chosen units: name, kind, site, position, and the step that put each there."""
        layout = self.final_layout
        arrived: dict[int, Step] = {}
        added: dict[int, Step] = {}
        for step in self.final_steps:
            if step.phase == "start":
                for j in range(len(step.layout)):
                    arrived[j] = added[j] = step
            elif step.unit is not None:
                arrived[step.unit] = step
                added.setdefault(step.unit, step)
        names = self.names(layout)
        xy = self.candidates.xy_m[[p.site for p in layout]].reshape(-1, 2)
        lon, lat = self.site.xy_to_lonlat(xy[:, 0], xy[:, 1])
        lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
        rows = []
        for j, p in enumerate(layout):
            st = arrived[j]
            rows.append({
                "name": names[j], "kind": p.kind, "site": self.candidates.names[p.site],
                "site_index": p.site, "x_m": float(xy[j, 0]), "y_m": float(xy[j, 1]),
                "lon": float(lon[j]), "lat": float(lat[j]),
                "search": self.final_start, "step": st.index, "phase": st.phase,
                "added_step": added[j].index,
                "objective": self.objective, "objective_after_step": finite_or_none(st.score.value),
                "objective_lo": finite_or_none(st.score.lo), "objective_hi": finite_or_none(st.score.hi),
            })
        return rows

    def _step_dict(self, step: Step) -> dict:
        names = self.names(step.layout)
        action = "start"
        if step.phase == "greedy":
            p = step.layout[step.unit]
            action = f"add {names[step.unit]} at {self.candidates.names[p.site]}"
        elif step.phase == "swap":
            p = step.layout[step.unit]
            action = (f"move {names[step.unit]} from {self.candidates.names[step.from_site]} "
                      f"to {self.candidates.names[p.site]}")
        return {"search": step.start, "step": step.index, "phase": step.phase, "action": action,
                "objective": step.score.as_dict(), "moves_screened": step.screened,
                "layout": [{"name": n, "kind": p.kind, "site": self.candidates.names[p.site]}
                           for n, p in zip(names, step.layout)]}

    def step_rows(self) -> list[dict]:
        return [self._step_dict(s) for s in self.greedy_steps + self.mclp_steps]

    def summary(self) -> dict:
        """Everything about the optimisation under stable keys (``optimize.json``)."""
        def est(e: Estimate) -> dict:
            return {"value": finite_or_none(e.value), "ci": [finite_or_none(e.lo), finite_or_none(e.hi)]}

        return {
            "scenario": self.scenario_label,
            "objective": self.objective,
            "objective_meaning": OBJECTIVES[self.objective],
            "units_placed": {KIND_LABEL[k]: v for k, v in self.counts.items()},
            "existing_units": "kept fixed" if self.keep_existing else "replaced",
            "fixed_units": list(self.fixed_names),
            "candidates": {"count": len(self.candidates), "source": self.candidates.source},
            "seed": self.seed,
            "salvos": self.salvos,
            "screen_salvos": self.screen_salvos,
            "refine": self.refine,
            "min_gain": self.min_gain,
            "initial": {"layout": self.initial_label, "objective": self.initial_score.as_dict()},
            "mclp": {
                "solver": self.mclp.solver, "demand": self.mclp.demand,
                "demand_points": self.mclp.n_demand,
                "radius_m": {KIND_LABEL[k]: v for k, v in self.mclp.radius_m.items()},
                "coverage": {KIND_LABEL[k]: v for k, v in self.mclp.coverage.items()},
                "objective": self.mclp_score.as_dict(),
                "layout": [{"name": n, "kind": p.kind, "site": self.candidates.names[p.site]}
                           for n, p in zip(self.names(self.mclp.layout), self.mclp.layout)],
            },
            "final": {"search": self.final_start, "objective": self.final_score.as_dict(),
                      "placements": self.placements()},
            "paired_salvos": self.paired_salvos,
            "final_minus_initial": est(self.comparisons["final_minus_initial"]),
            "final_minus_mclp": est(self.comparisons["final_minus_mclp"]),
            "steps": self.step_rows(),
            "executor": self.executor,
            "layout_runs": self.layout_runs,
            "salvos_sampled": self.salvos_sampled,
            "timings_s": self.timings_s,
        }


@dataclass(frozen=True)
class OptimizationPlan:
    """A checked optimisation problem, ready to run (:func:`plan_optimization`)."""

    spec: ScenarioSpec
    base_spec: ScenarioSpec
    base_prepared: Prepared
    candidates: Candidates
    counts: dict
    objective: str
    salvos: int
    screen_salvos: int
    refine: int
    seed: int
    keep_existing: bool
    demand_cell_m: float
    max_swap_rounds: int
    search_from_mclp: bool | None
    min_gain: float

    @property
    def fixed_names(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.base_prepared.scenario.defence)


def plan_optimization(
    spec: ScenarioSpec,
    *,
    n_cram: int = 0,
    n_patriot: int = 0,
    candidates_path: str | Path | None = None,
    grid_m: float | None = None,
    margin_m: float | None = None,
    objective: str = "leak_rate",
    salvos: int | None = None,
    screen_salvos: int = DEFAULT_SCREEN_SALVOS,
    refine: int = DEFAULT_REFINE,
    seed: int | None = None,
    keep_existing: bool = True,
    demand_cell_m: float | None = None,
    max_swap_rounds: int = MAX_SWAP_ROUNDS,
    search_from_mclp: bool | None = None,
    min_gain: float = DEFAULT_MIN_GAIN,
) -> OptimizationPlan:
    """Check an optimisation request and build its candidate sites; nothing is sampled.

    Parameters
    ----------
    spec : ScenarioSpec
        The scenario (:meth:`ScenarioSpec.from_file`).
    n_cram, n_patriot : int
        Units of each class to place (class defaults).
    candidates_path : str or Path, optional
        Point layer of candidate sites; otherwise a grid (``grid_m``, default
        :data:`DEFAULT_GRID_M`) over the base and ``margin_m`` around it (default: the site's
        ``defended_margin_m``) [m].
    objective : str
        One of :data:`OBJECTIVES`.
    salvos : int, optional
        Salvos of the full sample every compared layout sees (default: the scenario's).
    screen_salvos : int
        Salvos of the first screening stage (a prefix of the full sample).
    refine : int
        Moves re-evaluated on the full sample per step (:func:`screening_stages`).
    seed : int, optional
        Root seed (default: the scenario's).
    keep_existing : bool
        Keep the scenario's units fixed (default), or drop them: the layouts are then built from
        scratch and the scenario's own layout is the reference to beat.
    demand_cell_m : float, optional
        MCLP demand cell size [m] (default: the grid spacing, or 250 m).
    max_swap_rounds : int
        Most accepted swaps per search.
    search_from_mclp : bool, optional
        Also run a swap search from the MCLP layout: always (True), never (False), or only when
        the MCLP layout beats the greedy search's result (None, the default), which keeps the
        result at least as good as the baseline.
    min_gain : float
        A swap is accepted only if it lowers the objective by at least this fraction of its
        value [-] (0: any decrease).

    Raises
    ------
    ForceprotError
        Bad counts or objective, unreadable or unsuitable candidates, fewer candidate sites than
        units to place, or no MILP solver for the baseline.
    """
    if objective not in OBJECTIVES:
        raise ScenarioError(f"unknown objective; must be one of {', '.join(OBJECTIVES)}",
                            field="--objective", value=objective)
    for name, n in (("--cram", n_cram), ("--patriot", n_patriot)):
        if n < 0:
            raise ScenarioError("must be zero or more", field=name, value=n)
    if n_cram + n_patriot < 1:
        raise ScenarioError("nothing to place: give --cram K and/or --patriot M (at least one)",
                            field="--cram", value=n_cram)
    if candidates_path is not None and grid_m is not None:
        raise ScenarioError("give --candidates or --grid-m, not both", field="--grid-m",
                            value=grid_m)
    for name, n in (("--screen-salvos", screen_salvos), ("--refine", refine),
                    ("max_swap_rounds", max_swap_rounds)):
        if n < 1:
            raise ScenarioError("must be at least 1", field=name, value=n)
    if salvos is not None and salvos < 1:
        raise ScenarioError("must be at least 1", field="--salvos", value=salvos)
    if not (0.0 <= min_gain < 1.0):
        raise ScenarioError("must be at least 0 and below 1", field="--min-gain", value=min_gain)

    scenario = spec.scenario()
    if objective == "asset_risk" and not scenario.asset:
        raise ScenarioError("objective asset_risk needs at least one [[asset]]", file=spec.label,
                            field="--objective", value=objective)
    salvos = int(salvos if salvos is not None else scenario.simulation.salvos)
    seed = int(seed if seed is not None else scenario.simulation.seed)

    base_spec = spec if keep_existing else spec.with_changes({"defence": []})
    base_prepared = prepare(base_spec.scenario())
    site = base_prepared.site
    if candidates_path is not None:
        candidates = read_candidates(candidates_path, site)
    else:
        gm = float(grid_m if grid_m is not None else DEFAULT_GRID_M)
        mm = float(margin_m if margin_m is not None else scenario.site.defended_margin_m)
        candidates = grid_candidates(site, grid_m=gm, margin_m=mm)
    need = n_cram + n_patriot
    if need > len(candidates):
        raise ScenarioError(
            f"{need} unit(s) to place but only {len(candidates)} candidate site(s) (one unit per "
            "site); use a finer grid or more points",
            field="--candidates" if candidates_path is not None else "--cram", value=need)
    mclp_solver()  # fail now, not after the search, if the baseline cannot be solved
    _mclp_class()
    return OptimizationPlan(
        spec=spec, base_spec=base_spec, base_prepared=base_prepared, candidates=candidates,
        counts={"cram": int(n_cram), "patriot": int(n_patriot)}, objective=objective,
        salvos=salvos, screen_salvos=min(int(screen_salvos), salvos), refine=int(refine),
        seed=seed, keep_existing=keep_existing,
        demand_cell_m=float(demand_cell_m or grid_m or DEFAULT_GRID_M),
        max_swap_rounds=int(max_swap_rounds), search_from_mclp=search_from_mclp,
        min_gain=float(min_gain))


def run_optimization(plan: OptimizationPlan, *, executor: Executor | None = None,
                     progress: Progress | None = None) -> OptimizationResult:
    """Run a planned optimisation: greedy, swaps, the MCLP baseline, comparisons, final run.

    Parameters
    ----------
    plan : OptimizationPlan
        From :func:`plan_optimization`.
    executor : Executor, optional
        Where layout evaluations run (default: in-process). Results do not depend on it.
    progress : callable, optional
        ``progress(label, layouts_done, layouts_total)`` as layouts are evaluated.
    """
    from forceprot.simulate import simulate

    t_start = time.perf_counter()
    executor = executor or InProcessExecutor()
    candidates, counts, objective = plan.candidates, plan.counts, plan.objective
    salvos, seed = plan.salvos, plan.seed
    fixed_names = plan.fixed_names
    problem = _Problem(plan.base_spec, candidates.xy_m, objective, fixed_names)
    ev = _Evaluator(problem, executor, seed, progress)
    timings: dict[str, float] = {}

    # the reference: the scenario's layout as given
    if plan.keep_existing:
        initial_label = "scenario units" if fixed_names else "no units"
        initial_problem = problem
    else:
        initial_label = "scenario units (replaced)"
        initial_problem = _Problem(plan.spec, candidates.xy_m, objective, ())
    t = time.perf_counter()
    initial_score = _Evaluator(initial_problem, executor, seed, progress).scores(
        [()], salvos, "initial layout")[0]

    kwargs = dict(salvos=salvos, screen_salvos=plan.screen_salvos, refine=plan.refine)
    greedy = _greedy(ev, len(candidates), counts, **kwargs)
    timings["greedy"] = time.perf_counter() - t
    t = time.perf_counter()
    greedy += _swaps(ev, greedy[-1], len(candidates), max_rounds=plan.max_swap_rounds,
                     min_gain=plan.min_gain, **kwargs)
    timings["greedy_swaps"] = time.perf_counter() - t

    t = time.perf_counter()
    mclp = mclp_layout(plan.base_prepared, candidates, counts, demand_cell_m=plan.demand_cell_m)
    timings["mclp_solve"] = time.perf_counter() - t
    t = time.perf_counter()
    mclp_start = Step("mclp", "start", 0, mclp.layout,
                      ev.scores([mclp.layout], salvos, "MCLP layout")[0])
    mclp_steps = [mclp_start]
    if plan.search_from_mclp or (plan.search_from_mclp is None
                                 and mclp_start.score.key < greedy[-1].score.key):
        mclp_steps += _swaps(ev, mclp_start, len(candidates), max_rounds=plan.max_swap_rounds,
                             min_gain=plan.min_gain, **kwargs)
    timings["mclp_swaps"] = time.perf_counter() - t

    final = min((greedy[-1], mclp_steps[-1]), key=lambda s: (s.score.key, s.start != "greedy"))

    # paired comparisons and the full run of the chosen layout, in this process
    t = time.perf_counter()
    n_units = len(fixed_names) + sum(counts.values())
    paired_salvos = paired_sample_size(salvos, plan.base_prepared.scenario.threat.tubes, n_units)

    def paired(prob: _Problem, layout: Layout) -> PerSalvo:
        job = _EvalJob(prob, (layout,), paired_salvos, seed, None, per_salvo=True)
        return _evaluate_batch(job)[0].per_salvo

    final_ps = paired(problem, final.layout)
    comparisons = {
        "final_minus_initial": paired_difference(final_ps, paired(initial_problem, ()),
                                                 objective),
        "final_minus_mclp": paired_difference(final_ps, paired(problem, mclp.layout), objective),
    }
    compiled = layout_compiled(_base_compiled(problem), candidates.xy_m, final.layout,
                               fixed_names)
    # the scenario's own story sample, for the run outputs; every salvo, no precision stop
    results = simulate(compiled, RunSettings.from_scenario(plan.spec.scenario(), salvos=salvos,
                                                            seed=seed, precision=None))
    timings["final_runs"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_start

    return OptimizationResult(
        scenario_label=plan.spec.label, objective=objective, counts=counts,
        keep_existing=plan.keep_existing, salvos=salvos, screen_salvos=plan.screen_salvos,
        refine=plan.refine, seed=seed, candidates=candidates, fixed_names=fixed_names,
        initial_label=initial_label, initial_score=initial_score, greedy_steps=greedy,
        mclp=mclp, mclp_steps=mclp_steps, final_start=final.start, final_layout=final.layout,
        final_score=final.score, comparisons=comparisons, paired_salvos=paired_salvos,
        results=results, executor=executor.description, layout_runs=ev.runs,
        salvos_sampled=ev.salvos_sampled, timings_s=timings, min_gain=plan.min_gain,
    )


def optimize_placement(spec: ScenarioSpec, *, executor: Executor | None = None,
                       progress: Progress | None = None, **options) -> OptimizationResult:
    """:func:`plan_optimization` then :func:`run_optimization` (options as the former)."""
    return run_optimization(plan_optimization(spec, **options), executor=executor,
                            progress=progress)
