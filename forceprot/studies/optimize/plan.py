"""An optimisation request checked into a plan, and the plan run end to end."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from forceprot.compile import Prepared, prepare
from forceprot.errors import ScenarioError
from forceprot.settings import RunSettings
from forceprot.studies.executors import Executor, InProcessExecutor, ScenarioSpec
from forceprot.studies.optimize.candidates import (
    DEFAULT_GRID_M, Candidates, grid_candidates, read_candidates)
from forceprot.studies.optimize.evaluate import (
    Progress, _base_compiled, _evaluate_batch, _EvalJob, _Evaluator, _Problem)
from forceprot.studies.optimize.layouts import KINDS, OBJECTIVES, Layout, PerSalvo, layout_compiled
from forceprot.studies.optimize.mclp import _mclp_class, mclp_layout, mclp_solver
from forceprot.studies.optimize.paired import paired_difference, paired_sample_size
from forceprot.studies.optimize.result import OptimizationResult
from forceprot.studies.optimize.search import (
    DEFAULT_MIN_GAIN, DEFAULT_REFINE, DEFAULT_SCREEN_SALVOS, MAX_SWAP_ROUNDS, Step, _greedy,
    _swaps)

__all__ = ["OptimizationPlan", "SearchOptions", "optimize_placement", "plan_optimization",
           "run_optimization"]

@dataclass(frozen=True)
class SearchOptions:
    """How the search screens and accepts moves, and the MCLP baseline's demand cells.

    Attributes
    ----------
    screen_salvos : int
        Salvos of the first screening stage, a prefix of the full sample [-]
        (:func:`screening_stages`; capped at the full sample by :func:`plan_optimization`).
    refine : int
        Moves re-evaluated on the full sample per step [-].
    max_swap_rounds : int
        Most accepted swaps per search [-].
    min_gain : float
        A swap is accepted only if it lowers the objective by at least this fraction of its
        value [-], in [0, 1) (0: any decrease).
    search_from_mclp : bool or None
        Also run a swap search from the MCLP layout: always (True), never (False), or only when
        the MCLP layout beats the greedy search's result (None, the default), which keeps the
        result at least as good as the baseline.
    demand_cell_m : float or None
        MCLP demand cell size [m] (default: the candidate grid spacing, or
        :data:`DEFAULT_GRID_M`).

    Raises
    ------
    ScenarioError
        A count below 1, or ``min_gain`` outside [0, 1), naming the command-line option.
    """

    screen_salvos: int = DEFAULT_SCREEN_SALVOS
    refine: int = DEFAULT_REFINE
    max_swap_rounds: int = MAX_SWAP_ROUNDS
    min_gain: float = DEFAULT_MIN_GAIN
    search_from_mclp: bool | None = None
    demand_cell_m: float | None = None

    def __post_init__(self) -> None:
        for name, n in (("--screen-salvos", self.screen_salvos), ("--refine", self.refine),
                        ("max_swap_rounds", self.max_swap_rounds)):
            if n < 1:
                raise ScenarioError("must be at least 1", field=name, value=n)
        if not (0.0 <= self.min_gain < 1.0):
            raise ScenarioError("must be at least 0 and below 1", field="--min-gain",
                                value=self.min_gain)


@dataclass(frozen=True)
class OptimizationPlan:
    """A checked optimisation problem, ready to run (:func:`plan_optimization`).

    ``search`` is resolved: ``screen_salvos`` at most ``salvos``, ``demand_cell_m`` set.
    """

    spec: ScenarioSpec
    base_spec: ScenarioSpec
    base_prepared: Prepared
    candidates: Candidates
    counts: dict
    objective: str
    salvos: int
    seed: int
    keep_existing: bool
    search: SearchOptions
    #: Robust search: overrides of each parameter draw (empty: the scenario as given).
    draws: tuple = ()

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
    seed: int | None = None,
    keep_existing: bool = True,
    search: SearchOptions = SearchOptions(),
    robust_draws: int = 0,
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
    seed : int, optional
        Root seed (default: the scenario's).
    keep_existing : bool
        Keep the scenario's units fixed (default), or drop them: the layouts are then built from
        scratch and the scenario's own layout is the reference to beat.
    search : SearchOptions
        Screening, acceptance and baseline options (checked when made).
    robust_draws : int
        With ``n >= 2``: a robust search. The scenario's uncertain parameters are drawn ``n``
        times (a scrambled Sobol' sequence) and each layout is scored by its objective averaged
        over the draws, on the same salvos; the paired comparisons and the final run stay at
        the scenario as given (the medians). 0: the scenario as given throughout.

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
    if salvos is not None and salvos < 1:
        raise ScenarioError("must be at least 1", field="--salvos", value=salvos)

    scenario = spec.scenario()
    if objective == "asset_risk" and not scenario.asset and scenario.assets is None:
        raise ScenarioError("objective asset_risk needs at least one [[asset]] or an [assets] "
                            "layer", file=spec.label,
                            field="--objective", value=objective)
    if objective == "casualties" and scenario.people is None:
        raise ScenarioError("objective casualties needs a [people] section (occupancy layer)",
                            file=spec.label, field="--objective", value=objective)
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
    draws: tuple = ()
    if robust_draws:
        from forceprot.studies.uncertainty import draw_changes, parameter_draws

        base_scenario = base_spec.scenario()  # without the dropped units' parameters
        params = list(base_scenario.uncertain)
        if not params:
            raise ScenarioError("the scenario has no uncertain parameter to be robust to; give "
                                "some as distributions", file=spec.label, field="--robust",
                                value=robust_draws)
        if robust_draws < 2:
            raise ScenarioError("must be at least 2 draws", field="--robust", value=robust_draws)
        draws = tuple(draw_changes(base_scenario, params,
                                   parameter_draws(params, robust_draws, seed)))
    resolved = SearchOptions(
        screen_salvos=min(int(search.screen_salvos), salvos), refine=int(search.refine),
        max_swap_rounds=int(search.max_swap_rounds), min_gain=float(search.min_gain),
        search_from_mclp=search.search_from_mclp,
        demand_cell_m=float(search.demand_cell_m or grid_m or DEFAULT_GRID_M))
    return OptimizationPlan(
        spec=spec, base_spec=base_spec, base_prepared=base_prepared, candidates=candidates,
        counts={**{k: 0 for k in KINDS}, "cram": int(n_cram), "patriot": int(n_patriot)},
        objective=objective,
        salvos=salvos, seed=seed, keep_existing=keep_existing, search=resolved, draws=draws)


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
    opts = plan.search
    problem = _Problem(plan.base_spec, candidates.xy_m, objective, fixed_names, plan.draws)
    ev = _Evaluator(problem, executor, seed, progress)
    timings: dict[str, float] = {}

    # the reference: the scenario's layout as given
    if plan.keep_existing:
        initial_label = "scenario units" if fixed_names else "no units"
        initial_problem = problem
    else:
        initial_label = "scenario units (replaced)"
        initial_problem = _Problem(plan.spec, candidates.xy_m, objective, (), plan.draws)
    t = time.perf_counter()
    initial_score = _Evaluator(initial_problem, executor, seed, progress).scores(
        [()], salvos, "initial layout")[0]

    kwargs = dict(salvos=salvos, screen_salvos=opts.screen_salvos, refine=opts.refine)
    greedy = _greedy(ev, len(candidates), counts, **kwargs)
    timings["greedy"] = time.perf_counter() - t
    t = time.perf_counter()
    greedy += _swaps(ev, greedy[-1], len(candidates), max_rounds=opts.max_swap_rounds,
                     min_gain=opts.min_gain, **kwargs)
    timings["greedy_swaps"] = time.perf_counter() - t

    t = time.perf_counter()
    mclp = mclp_layout(plan.base_prepared, candidates, counts, demand_cell_m=opts.demand_cell_m)
    timings["mclp_solve"] = time.perf_counter() - t
    t = time.perf_counter()
    mclp_start = Step("mclp", "start", 0, mclp.layout,
                      ev.scores([mclp.layout], salvos, "MCLP layout")[0])
    mclp_steps = [mclp_start]
    if opts.search_from_mclp or (opts.search_from_mclp is None
                                 and mclp_start.score.key < greedy[-1].score.key):
        mclp_steps += _swaps(ev, mclp_start, len(candidates), max_rounds=opts.max_swap_rounds,
                             min_gain=opts.min_gain, **kwargs)
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
    base_prepared, base = _base_compiled(problem)
    prepared, compiled = layout_compiled(base, base_prepared, candidates.xy_m, final.layout,
                                         fixed_names)
    # the scenario's own story sample, for the run outputs; every salvo, no precision stop
    results = simulate(compiled, RunSettings.from_scenario(plan.spec.scenario(), salvos=salvos,
                                                            seed=seed, precision=None))
    timings["final_runs"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_start

    return OptimizationResult(
        scenario_label=plan.spec.label, objective=objective, counts=counts,
        keep_existing=plan.keep_existing, salvos=salvos, screen_salvos=opts.screen_salvos,
        refine=opts.refine, seed=seed, candidates=candidates, fixed_names=fixed_names,
        initial_label=initial_label, initial_score=initial_score, greedy_steps=greedy,
        mclp=mclp, mclp_steps=mclp_steps, final_start=final.start, final_layout=final.layout,
        final_score=final.score, comparisons=comparisons, paired_salvos=paired_salvos,
        results=results, prepared=prepared, executor=executor.description, layout_runs=ev.runs,
        salvos_sampled=ev.salvos_sampled, timings_s=timings, min_gain=opts.min_gain,
        robust_draws=len(plan.draws))


def optimize_placement(spec: ScenarioSpec, *, executor: Executor | None = None,
                       progress: Progress | None = None, **options) -> OptimizationResult:
    """:func:`plan_optimization` then :func:`run_optimization` (options as the former)."""
    return run_optimization(plan_optimization(spec, **options), executor=executor,
                            progress=progress)
