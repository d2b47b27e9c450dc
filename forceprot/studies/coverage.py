"""Coverage map: where over the base a rocket that lands is likely to be intercepted.

For every cell of a grid over the base, the probability that a rocket landing in the cell is
intercepted is estimated by aiming salvos at the cells (equal weight each) and counting, cell by
cell, how many of the rockets that landed there were killed (:meth:`Results.base_cells`). The
threat is otherwise the scenario's: the same launch zone, rocket, salvo size and dispersion, so
the estimate includes saturation by the rest of the salvo.

Coverage is then the share of the base's *area* whose cell clears a threshold: each cell weighs
its area inside the base (edge cells count only their part inside). A cell in which no rocket
landed has no estimate; it counts as not covered, and the share of the base area in such cells is
reported (``unsampled_share``) so that a thin sample cannot pass for coverage. The conservative
figure counts a cell only if the lower end of its 95 % interval clears the threshold.

The work is split so that a command can check everything before it spends time:
:func:`plan_coverage` validates the options and compiles the aimed scenario,
:func:`forceprot.simulate.simulate` runs it, :func:`coverage_from_results` reduces it.
:func:`coverage_map` does all three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely

from forceprot.compile import CompiledScenario, Grid, Prepared, compile_scenario
from forceprot.errors import ForceprotError, ReachError
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.results import Results
from forceprot.stats import finite_or_none
from forceprot.scenario import Simulation
from forceprot.settings import RunSettings

__all__ = [
    "AssetCoverage",
    "Coverage",
    "CoveragePlan",
    "DEFAULT_CELL_M",
    "DEFAULT_THRESHOLD",
    "SALVOS_PER_CELL",
    "cells_in",
    "coverage_from_results",
    "coverage_map",
    "plan_coverage",
]

#: Default coverage cell size [m].
DEFAULT_CELL_M = 100.0
#: P(intercept) levels at which the summary also gives the share of the base area, for context
#: when the threshold is far from what the layout achieves.
SHARE_LEVELS = (0.25, 0.5, 0.75, 0.9, 0.99)
#: Smallest cell size the scenario format accepts [m].
MIN_CELL_M = float(next(m.ge for m in Simulation.model_fields["cell_m"].metadata
                        if hasattr(m, "ge")))
#: Default threshold on P(intercept) for a cell to count as covered [-]: one rocket in four
#: landing there is intercepted. Against an unguided salvo counter-rocket defences rarely do
#: much better over a whole base (Taji's illustrative layout averages 18 %, and no cell reaches
#: 50 %), so a 0.9 default answered "0 % covered" and told the planner nothing; the coverage
#: curve (the share of the base at every threshold from 5 % to 95 %) gives the whole picture.
DEFAULT_THRESHOLD = 0.25
#: Thresholds of the coverage curve [-].
CURVE_LEVELS = tuple(round(0.05 * k, 2) for k in range(1, 20))
#: Salvos aimed per cell by default [-]. A salvo spreads its rockets over several cells (aim error
#: and dispersion are one to a few cells wide), so each cell then collects on the order of
#: ``SALVOS_PER_CELL * rockets landing inside per salvo`` rockets: about 200 on Taji at 100 m, from
#: a few dozen salvos, which puts a cell's interval within about +-0.1 of its estimate.
SALVOS_PER_CELL = 10
#: Fewest salvos sampled by default (20 blocks): a small base still gets a dense sample, cheaply.
MIN_DEFAULT_SALVOS = 20 * BLOCK_SALVOS


#: Clipped cells with less area than this are slivers of the outline and are dropped [m^2]: below
#: the 1 cm precision of exported coordinates, and no estimate could rest on them.
MIN_CELL_AREA_M2 = 1.0


def cells_in(grid: Grid, geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of ``grid`` that overlap ``geometry``, clipped to it.

    Parameters
    ----------
    grid : Grid
        Regular grid in the local CRS [m].
    geometry : shapely Polygon or MultiPolygon
        Area to clip to, same CRS [m].

    Returns
    -------
    index : ndarray, int64, shape (n,)
        Flat cell indices (``iy * nx + ix``) of the cells with at least
        :data:`MIN_CELL_AREA_M2` inside.
    polygons : ndarray of shapely geometries, shape (n,)
        Each cell clipped to ``geometry`` (the full square where it lies wholly inside).
    area_m2 : ndarray, float64, shape (n,)
        Area of each clipped cell [m^2].
    """
    boxes = grid.boxes()
    shapely.prepare(geometry)
    hit = np.flatnonzero(shapely.intersects(geometry, boxes))
    polygons = boxes[hit].copy()
    edge = ~shapely.contains(geometry, polygons)
    polygons[edge] = _polygonal(shapely.intersection(polygons[edge], geometry))
    area = shapely.area(polygons)
    keep = area >= MIN_CELL_AREA_M2
    return hit[keep].astype(np.int64), polygons[keep], area[keep]


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop the line and point slivers an intersection can leave beside its polygons."""
    out = geoms.copy()
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)  # GeometryCollection
    for i in mixed:
        parts = shapely.get_parts(out[i])
        out[i] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
    return out


@dataclass(frozen=True)
class CoveragePlan:
    """A coverage run, checked and compiled, not yet sampled.

    Attributes
    ----------
    compiled : CompiledScenario
        The scenario with salvos aimed at the cells, on a base grid of ``cell_m``.
    cell_m : float
        Cell size [m].
    threshold : float
        P(intercept) a cell must reach to count as covered [-].
    index, polygons, area_m2 : ndarray
        The grid cells overlapping the base (:func:`cells_in`).
    aim_xy_m : ndarray, float64, shape (n, 2)
        Aim point of each cell [m]: its centre, or a point of its part inside the base when the
        centre lies outside.
    salvos : int
        Salvos to sample.
    settings : RunSettings
        The scenario's ``[simulation]`` settings for the run: every planned salvo (no precision
        stop: each cell needs its share), no stories.
    """

    compiled: CompiledScenario
    cell_m: float
    threshold: float
    index: np.ndarray
    polygons: np.ndarray
    area_m2: np.ndarray
    aim_xy_m: np.ndarray
    salvos: int
    settings: RunSettings

    @property
    def grid(self) -> Grid:
        return self.compiled.base_grid

    def run_settings(self, *, seed: int | None = None, threads: int | None = None) -> RunSettings:
        """Every planned salvo (no precision stop: each cell needs its share), no stories; the
        scenario's seed unless ``seed`` is given."""
        return self.settings.replace(seed=self.settings.seed if seed is None else int(seed),
                                     threads=threads)

    @property
    def n_cells(self) -> int:
        return int(self.index.shape[0])


def plan_coverage(prepared: Prepared, *, cell_m: float = DEFAULT_CELL_M,
                  threshold: float = DEFAULT_THRESHOLD, salvos: int | None = None) -> CoveragePlan:
    """Check the options and compile the scenario with salvos aimed at every cell of the base.

    Parameters
    ----------
    prepared : Prepared
        Scenario and site.
    cell_m : float
        Cell size [m]; at least :data:`MIN_CELL_M`, and the grid over the defended area may
        have at most :data:`forceprot.compile.MAX_GRID_CELLS` cells.
    threshold : float
        Covered where P(intercept) >= threshold; in [0, 1].
    salvos : int, optional
        Salvos to sample (default: :data:`SALVOS_PER_CELL` per cell in whole blocks of
        :data:`forceprot.kernel.BLOCK_SALVOS`, at least :data:`MIN_DEFAULT_SALVOS`).

    Raises
    ------
    ForceprotError
        A threshold outside [0, 1], a cell size below :data:`MIN_CELL_M`, a salvo count below 1.
    OutputError
        A cell size that would make too many cells.
    ForceprotError
        No cell's point within the rocket's reach of the launch zone (``--cell-m``: smaller
        cells put the edge cells' points nearer the edge), or too rarely to sample.
    """
    label = prepared.scenario.label
    if not (isinstance(threshold, (int, float)) and 0.0 <= threshold <= 1.0):
        raise ForceprotError("must be between 0 and 1 (a probability)", field="--threshold",
                             value=threshold)
    if not (isinstance(cell_m, (int, float)) and math.isfinite(cell_m) and cell_m > 0):
        raise ForceprotError("must be a positive number of metres", field="--cell-m", value=cell_m)
    if salvos is not None and salvos < 1:
        raise ForceprotError("must be at least 1", field="--salvos", value=salvos)
    site = prepared.site
    # The grid compile will build; checked here first so a huge grid fails fast, with the
    # option's name rather than the scenario field's.
    grid = Grid.covering(site.defended_area, float(cell_m), label=label, field="--cell-m")
    if cell_m < MIN_CELL_M:
        raise ForceprotError(f"must be at least {MIN_CELL_M:g} m", field="--cell-m", value=cell_m)
    # the coverage grid is the compiled base grid: a compile setting, not a run setting
    scenario = prepared.scenario.updated({"simulation": {"cell_m": float(cell_m)}})
    index, polygons, area = cells_in(grid, site.base)
    cx, cy = grid.centers()
    aim = np.column_stack([cx[index], cy[index]])
    centre_out = ~shapely.contains_xy(site.base, aim[:, 0], aim[:, 1])
    if centre_out.any():
        aim[centre_out] = shapely.get_coordinates(shapely.point_on_surface(polygons[centre_out]))
    # interceptions only: no casualties to score
    try:
        compiled = compile_scenario(Prepared(scenario=scenario, site=site),
                                    aim_points_xy=aim).without_people()
    except ReachError as exc:
        # the scenario's own aim passed this check (prepare): what the rockets cannot reach is
        # this grid's points, one per cell inside the base (a centre, or a point of the cell's
        # part of the base), which can lie well inside the edge of a coarse grid
        raise ForceprotError(
            f"none of the {len(aim):,} point{'s' if len(aim) != 1 else ''} this grid aims at, "
            f"one per cell of the base, is within reach of the launch zone ({exc.message}); a "
            "smaller cell puts the points of the cells on the base's edge nearer to it, if the "
            "rockets reach the base at all", field="--cell-m", value=cell_m) from None
    if salvos is None:
        blocks = math.ceil(SALVOS_PER_CELL * len(index) / BLOCK_SALVOS)
        salvos = max(blocks * BLOCK_SALVOS, MIN_DEFAULT_SALVOS)
    return CoveragePlan(compiled=compiled, cell_m=float(cell_m), threshold=float(threshold),
                        index=index, polygons=polygons, area_m2=area, aim_xy_m=aim,
                        salvos=int(salvos),
                        settings=RunSettings.from_scenario(scenario, salvos=int(salvos),
                                                           precision=None, story_salvos=0))


@dataclass(frozen=True)
class AssetCoverage:
    """Coverage of one asset's hit area inside the base: a circle asset's disk (its
    ``radius_m`` around it) or a polygon asset's outline."""

    name: str
    radius_m: float | None              # circle radius [m]; None for a polygon asset
    area_m2: float                      # hit area inside the base [m^2]
    covered_share: float                # of that area, share with P(intercept) >= threshold
    covered_share_conservative: float   # ... with the interval's lower bound >= threshold
    unsampled_share: float              # ... in cells where no rocket landed
    p_intercept_mean: float             # area-weighted mean P(intercept) over sampled cells
    curve: tuple = ()                   # (threshold, share, share_conservative) per CURVE_LEVELS


def coverage_curve(area: np.ndarray, sampled: np.ndarray, p: np.ndarray, lo: np.ndarray,
                   levels=CURVE_LEVELS) -> tuple:
    """Share of ``area`` whose P(intercept) estimate, and whose interval's lower bound, is at
    least each level: ``((level, share, share_conservative), ...)`` [-]; unsampled cells count
    as not covered."""
    total = float(area.sum())
    if total <= 0:
        return tuple((lv, math.nan, math.nan) for lv in levels)
    p = np.where(sampled, np.nan_to_num(p, nan=-1.0), -1.0)
    lo = np.where(sampled, np.nan_to_num(lo, nan=-1.0), -1.0)
    return tuple((float(lv), float(area[p >= lv].sum()) / total,
                  float(area[lo >= lv].sum()) / total) for lv in levels)


@dataclass(frozen=True)
class Coverage:
    """A coverage map and the shares it gives.

    Attributes
    ----------
    plan : CoveragePlan
        Cells, their clipped polygons and areas.
    results : Results
        The aimed run.
    p_intercept, p_intercept_lo, p_intercept_hi : ndarray, float64, shape (n_cells,)
        Per cell (in ``plan.index`` order): estimate and 95 % interval; NaN where no rocket landed.
    impacts : ndarray, float64, shape (n_cells,)
        Rockets that landed in the cell [-].
    covered, covered_conservative : ndarray, bool, shape (n_cells,)
        Estimate, or interval lower bound, at least the threshold (False where unsampled).
    covered_share, covered_share_conservative, unsampled_share : float
        Shares of the base area [-].
    p_intercept_mean : float
        Area-weighted mean P(intercept) over the sampled part of the base [-].
    assets : list of AssetCoverage
    """

    plan: CoveragePlan
    results: Results
    p_intercept: np.ndarray
    p_intercept_lo: np.ndarray
    p_intercept_hi: np.ndarray
    impacts: np.ndarray
    covered: np.ndarray
    covered_conservative: np.ndarray
    covered_share: float
    covered_share_conservative: float
    unsampled_share: float
    p_intercept_mean: float
    assets: list[AssetCoverage]
    curve: tuple = ()

    @property
    def threshold(self) -> float:
        return self.plan.threshold

    @property
    def cell_m(self) -> float:
        return self.plan.cell_m

    @property
    def base_area_m2(self) -> float:
        return float(self.plan.area_m2.sum())

    def share_at_least(self, level: float) -> float:
        """Share of the base area whose cell estimate is at least ``level`` (unsampled: not) [-]."""
        ok = (self.impacts > 0) & (np.nan_to_num(self.p_intercept, nan=-1.0) >= level)
        return float(self.plan.area_m2[ok].sum()) / self.base_area_m2

    def summary(self) -> dict:
        """The figures under stable keys (``coverage.json``)."""
        r = self.results
        named = r.compiled.provenance
        impacts = self.impacts
        return {
            "scenario": named.label,
            "site": named.site_name,
            "rocket": named.rocket,
            "tubes": r.compiled.tubes,
            "threshold": self.threshold,
            "cell_m": self.cell_m,
            "cells_in_base": self.plan.n_cells,
            "cells_clipped_to_base": True,
            "base_area_m2": self.base_area_m2,
            "covered_share": self.covered_share,
            "covered_area_m2": float(self.plan.area_m2[self.covered].sum()),
            "covered_share_conservative": self.covered_share_conservative,
            "covered_area_conservative_m2":
                float(self.plan.area_m2[self.covered_conservative].sum()),
            "unsampled_share": self.unsampled_share,
            "unsampled_cells_count_as": "not covered",
            "p_intercept_mean": finite_or_none(self.p_intercept_mean),
            "share_at_least": {f"{level:g}": self.share_at_least(level) for level in SHARE_LEVELS},
            "coverage_curve": [{"threshold": t, "share": finite_or_none(v),
                                "share_conservative": finite_or_none(c)}
                               for t, v, c in self.curve],
            "impacts_per_cell_median": float(np.median(impacts)) if len(impacts) else None,
            "impacts_per_cell_min": float(impacts.min()) if len(impacts) else None,
            "assets": [
                {"name": a.name, "radius_m": a.radius_m, "area_m2": a.area_m2,
                 "covered_share": finite_or_none(a.covered_share),
                 "covered_share_conservative": finite_or_none(a.covered_share_conservative),
                 "unsampled_share": finite_or_none(a.unsampled_share),
                 "p_intercept_mean": finite_or_none(a.p_intercept_mean),
                 "coverage_curve": [{"threshold": t, "share": finite_or_none(v),
                                     "share_conservative": finite_or_none(c)}
                                    for t, v, c in a.curve]}
                for a in self.assets
            ],
            "salvos": r.salvos,
            "salvos_per_cell": r.salvos / max(self.plan.n_cells, 1),
            "seed": r.seed,
            "rockets_fired": r.rockets_fired,
            "rockets_landing_inside": r.rockets_threatening,
            "run_time_s": r.elapsed_s,
            "threads": r.threads,
        }



def _shares(area: np.ndarray, covered: np.ndarray, covered_cons: np.ndarray,
            sampled: np.ndarray, p: np.ndarray) -> tuple[float, float, float, float]:
    total = float(area.sum())
    if total <= 0:
        return math.nan, math.nan, math.nan, math.nan
    sampled_area = float(area[sampled].sum())
    mean = (float((area[sampled] * p[sampled]).sum() / sampled_area) if sampled_area > 0
            else math.nan)
    return (float(area[covered].sum()) / total, float(area[covered_cons].sum()) / total,
            1.0 - sampled_area / total, mean)


def coverage_from_results(plan: CoveragePlan, results: Results,
                          prepared: Prepared) -> Coverage:
    """Reduce an aimed run to per-cell estimates and area-weighted coverage shares.

    Parameters
    ----------
    plan : CoveragePlan
        The plan the run was compiled from.
    results : Results
        ``simulate(plan.compiled, ...)``.
    prepared : Prepared
        The scenario the plan was made from (:func:`plan_coverage`): its assets' shares.
    """
    cells = results.base_cells()
    idx = plan.index
    impacts = cells["impacts"][idx]
    p = cells["p_intercept"][idx]
    lo = cells["p_intercept_lo"][idx]
    hi = cells["p_intercept_hi"][idx]
    sampled = impacts > 0
    thr = plan.threshold
    covered = sampled & (np.nan_to_num(p, nan=-1.0) >= thr)
    covered_cons = sampled & (np.nan_to_num(lo, nan=-1.0) >= thr)
    share, share_cons, unsampled, mean = _shares(plan.area_m2, covered, covered_cons, sampled, p)

    site = prepared.site
    assets = []
    for a, disk in enumerate(site.assets.areas_m()):
        near = shapely.intersects(plan.polygons, disk)
        area = np.zeros_like(plan.area_m2)
        area[near] = shapely.area(shapely.intersection(plan.polygons[near], disk))
        s, sc, un, m = _shares(area, covered, covered_cons, sampled, p)
        radius_m = None if site.assets.polygons[a] is not None else float(site.assets.radius_m[a])
        assets.append(AssetCoverage(name=site.assets.names[a], radius_m=radius_m,
                                    area_m2=float(area.sum()), covered_share=s,
                                    covered_share_conservative=sc, unsampled_share=un,
                                    p_intercept_mean=m,
                                    curve=coverage_curve(area, sampled, p, lo)))
    return Coverage(plan=plan, results=results, p_intercept=p, p_intercept_lo=lo,
                    p_intercept_hi=hi, impacts=impacts, covered=covered,
                    covered_conservative=covered_cons, covered_share=share,
                    covered_share_conservative=share_cons, unsampled_share=unsampled,
                    p_intercept_mean=mean, assets=assets,
                    curve=coverage_curve(plan.area_m2, sampled, p, lo))


def coverage_map(prepared: Prepared, *, cell_m: float = DEFAULT_CELL_M,
                 threshold: float = DEFAULT_THRESHOLD, salvos: int | None = None,
                 seed: int | None = None, threads: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Coverage:
    """Plan, sample and reduce a coverage map (see the module notes).

    Parameters
    ----------
    prepared : Prepared
        Scenario and site.
    cell_m, threshold, salvos :
        See :func:`plan_coverage`.
    seed, threads, progress :
        See :func:`forceprot.simulate.simulate`.
    """
    from forceprot.simulate import simulate

    plan = plan_coverage(prepared, cell_m=cell_m, threshold=threshold, salvos=salvos)
    results = simulate(plan.compiled, plan.run_settings(seed=seed, threads=threads),
                       progress=progress)
    return coverage_from_results(plan, results, prepared)
