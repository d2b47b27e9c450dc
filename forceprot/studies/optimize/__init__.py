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

Modules
-------
:mod:`.candidates`
    candidate sites: a grid over the base, or a point layer;
:mod:`.layouts`
    placements, unit names, a layout's kernel inputs, per-salvo figures and scores;
:mod:`.evaluate`
    layouts scored as tasks over an executor, remembered;
:mod:`.search`
    the screening ladder, greedy additions and swaps;
:mod:`.mclp`
    the MCLP baseline (demand points, spopt and HiGHS);
:mod:`.paired`
    paired differences on the common sample;
:mod:`.plan`
    a request checked into a plan (:class:`SearchOptions`), and the plan run;
:mod:`.result`
    what a run returns, and its ``optimize.json`` summary.
"""

from forceprot.studies.optimize.candidates import (
    DEFAULT_GRID_M,
    MAX_CANDIDATES,
    Candidates,
    grid_candidates,
    read_candidates,
)
from forceprot.studies.optimize.evaluate import Progress
from forceprot.studies.optimize.layouts import (
    KIND_LABEL,
    KINDS,
    OBJECTIVES,
    Layout,
    PerSalvo,
    Placement,
    Score,
    layout_compiled,
    layout_scored_compiled,
    layout_units,
    objective_estimate,
    per_salvo,
    score_results,
    unit_names,
)
from forceprot.studies.optimize.mclp import (
    MclpSolution,
    demand_points,
    envelope_radius_m,
    mclp_layout,
    mclp_solver,
)
from forceprot.studies.optimize.paired import (
    PAIRED_MAX_BYTES,
    PAIRED_MAX_SALVOS,
    paired_difference,
    paired_sample_size,
)
from forceprot.studies.optimize.plan import (
    OptimizationPlan,
    SearchOptions,
    optimize_placement,
    plan_optimization,
    run_optimization,
)
from forceprot.studies.optimize.result import OptimizationResult
from forceprot.studies.optimize.search import (
    DEFAULT_MIN_GAIN,
    DEFAULT_REFINE,
    DEFAULT_SCREEN_SALVOS,
    MAX_SWAP_ROUNDS,
    Step,
    screening_stages,
)

__all__ = [
    "Candidates",
    "DEFAULT_GRID_M",
    "DEFAULT_MIN_GAIN",
    "DEFAULT_REFINE",
    "DEFAULT_SCREEN_SALVOS",
    "KINDS",
    "KIND_LABEL",
    "Layout",
    "MAX_CANDIDATES",
    "MAX_SWAP_ROUNDS",
    "MclpSolution",
    "OBJECTIVES",
    "OptimizationPlan",
    "OptimizationResult",
    "PAIRED_MAX_BYTES",
    "PAIRED_MAX_SALVOS",
    "PerSalvo",
    "Placement",
    "Progress",
    "Score",
    "SearchOptions",
    "Step",
    "demand_points",
    "envelope_radius_m",
    "grid_candidates",
    "layout_compiled",
    "layout_scored_compiled",
    "layout_units",
    "mclp_layout",
    "mclp_solver",
    "objective_estimate",
    "optimize_placement",
    "paired_difference",
    "paired_sample_size",
    "per_salvo",
    "plan_optimization",
    "read_candidates",
    "run_optimization",
    "score_results",
    "screening_stages",
    "unit_names",
]
