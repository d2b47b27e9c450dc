"""How much the answer moves when the illustrative parameters move: uncertainty and sensitivity.

A scenario may give any real parameter as a distribution (:mod:`forceprot.uncertain`). This
study samples parameter sets from those distributions with a Saltelli design on a scrambled
Sobol' sequence (SALib; Saltelli et al. 2010, *Comput. Phys. Commun.* 181, 259-270), runs every
set on the same salvos (common random numbers: the same seed, so the launchers, aims,
dispersions and kill draws are shared and differences between runs come from the parameters),
and reports

- the spread of the leak rate, P(at least one leaker) and expected leakers per salvo under
  parameter uncertainty (5th / 50th / 95th percentiles over the independent rows of the design),
  beside the Monte Carlo noise of a single run, so that the two are never confused;
- first-order and total Sobol' indices per parameter with bootstrap intervals (Jansen's total
  and Saltelli's first-order estimators, as SALib computes them), or with ``method="morris"``
  the elementary-effects screening of Morris (1991), for many parameters cheaply;
- one-at-a-time swings (each parameter at its 5th and 95th percentile, the others at their
  medians) for a tornado chart.

Nothing here writes a file: :mod:`forceprot.outputs.uncertainty` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from forceprot.errors import ScenarioError
from forceprot.settings import RunSettings
from forceprot.stats import Estimate
from forceprot.studies.executors import Executor, InProcessExecutor, ScenarioSpec, worker_cached

__all__ = [
    "DEFAULT_N_BASE",
    "MEASURES",
    "PROBABILITY_MEASURES",
    "METHODS",
    "UncertaintyPlan",
    "UncertaintyResult",
    "plan_uncertainty",
    "robust_compare",
    "run_uncertainty",
]

#: The measures a study reports, with how the report names them; the last two only for a
#: scenario with ``[people]`` (a study's ``outputs`` hold the ones it measured).
MEASURES = {
    "leak_rate": "leak rate (leaked / rockets landing inside)",  # probabilities first
    "p_any_leak": "P(at least one leaker in a salvo)",
    "leakers_per_salvo": "expected leakers per salvo",
    "killed_per_salvo": "expected killed per salvo",
    "casualties_per_salvo": "expected casualties (killed or wounded) per salvo",
}
#: The measures that are probabilities (shown as percentages); the rest are counts per salvo.
PROBABILITY_MEASURES = ("leak_rate", "p_any_leak")
#: Sensitivity methods.
METHODS = ("sobol", "morris")
#: Base samples of the Saltelli design (runs: N (d + 2)) and Morris trajectories (N (d + 1)).
DEFAULT_N_BASE = {"sobol": 64, "morris": 16}
#: Salvos per run by default: enough that one run's Monte Carlo noise on the leak rate (about
#: +/-1 pp on Taji) is small against parameter spreads of tens of points, and common random
#: numbers cancel most of it between runs.
DEFAULT_SALVOS = 2048
#: Most runs one study may ask for.
MAX_RUNS = 200_000
#: Bootstrap resamples of the Sobol' and Morris intervals.
BOOTSTRAP_RESAMPLES = 1000
#: Morris grid levels (Saltelli et al., *Global Sensitivity Analysis: The Primer*, 2008, ch. 3).
MORRIS_LEVELS = 4
#: Wind speeds are snapped to this grid [m/s]: each distinct wind speed needs its own trajectory
#: family (seconds to build; cached on disk), and crosswind drift changes by only about 48 m
#: per m/s at 6 km for the 107 mm class, so a 0.25 m/s snap moves impacts ~12 m, far inside the
#: salvo's dispersion.
WIND_SNAP_MPS = 0.5
_WIND_PATH = "threat.wind_mps"
#: Paths that change the site geometry or the launch zone: a variant touching one is prepared
#: from its layers again; any other variant reuses the base scenario's geometry.
_GEOMETRIC_PREFIXES = ("site.", "threat.min_standoff_m", "threat.max_standoff_m")


@dataclass(frozen=True)
class UncertaintyPlan:
    """An uncertainty study, designed and checked, not yet run.

    Attributes
    ----------
    spec : ScenarioSpec
        The scenario (its distributions at their medians).
    params : tuple of UncertainParameter
        The uncertain parameters, in design column order.
    method : str
        ``"sobol"`` or ``"morris"``.
    n_base : int
        Base samples (Sobol': rows of A and of B) or trajectories (Morris).
    design_u : ndarray, float64, shape (n_runs, d)
        The design in ``[0, 1]^d``.
    values : ndarray, float64, shape (n_runs, d)
        The design mapped through each parameter's quantile function [field units].
    swing_values : ndarray, float64, shape (2 d + 1, d)
        One-at-a-time rows: all medians, then each parameter at its 5th and 95th percentile.
    settings : RunSettings
        Every run's settings: the same salvos and seed for all (common random numbers).
    """

    spec: ScenarioSpec
    params: tuple
    method: str
    n_base: int
    design_u: np.ndarray
    values: np.ndarray
    swing_values: np.ndarray
    settings: RunSettings

    @property
    def names(self) -> list[str]:
        return [p.path for p in self.params]

    @property
    def n_runs(self) -> int:
        return int(self.values.shape[0] + self.swing_values.shape[0])

    @property
    def problem(self) -> dict:
        """The SALib problem: every parameter on [0, 1] (values come through its quantiles)."""
        return {"num_vars": len(self.params), "names": self.names,
                "bounds": [[0.0, 1.0]] * len(self.params)}


@dataclass(frozen=True)
class _PointJob:
    """One run, picklable: the base scenario, the variant's changes, the run settings."""

    base: ScenarioSpec
    changes: dict
    geometric: bool
    settings: RunSettings


def _measures(results) -> dict[str, float]:
    """The study's measures of one run, with each one's Monte Carlo half-width."""
    out = {}
    pairs = [("leak_rate", results.leak_rate), ("p_any_leak", results.p_any_leak),
             ("leakers_per_salvo", results.expected_leakers_per_salvo)]
    if results.has_people:
        killed, wounded = results.expected_killed_per_salvo, results.expected_wounded_per_salvo
        # casualties: the sum of the two means; its half-width bounded by the sum of theirs
        cas = Estimate(killed.value + wounded.value, math.nan, math.nan)
        pairs += [("killed_per_salvo", killed), ("casualties_per_salvo", cas)]
    for key, est in pairs:
        out[key] = float(est.value)
        out[key + "_mc_half_width"] = float(est.half_width)
    if results.has_people:
        out["casualties_per_salvo_mc_half_width"] = float(killed.half_width
                                                          + wounded.half_width)
    return out


def _run_point(job: _PointJob) -> dict[str, float]:
    """Task: prepare, compile and sample one parameter set."""
    from forceprot.compile import Prepared, compile_scenario, prepare
    from forceprot.simulate import simulate

    scenario = job.base.with_changes(job.changes).scenario()
    if job.geometric:
        prepared = prepare(scenario)
    else:  # same layers and positions: reuse the base geometry (reading layers dominates)
        base = worker_cached("uncertainty-site:" + job.base.key,
                             lambda: prepare(job.base.scenario()))
        prepared = Prepared(scenario=scenario, site=base.site)
    return _measures(simulate(compile_scenario(prepared), job.settings))


def _sobol_design(d: int, n_base: int, seed: int) -> np.ndarray:
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    return np.asarray(sobol_sample.sample(problem, n_base, calc_second_order=False,
                                          scramble=True, seed=seed), dtype=np.float64)


def _morris_design(d: int, n_base: int, seed: int) -> np.ndarray:
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    return np.asarray(morris_sample.sample(problem, n_base, num_levels=MORRIS_LEVELS, seed=seed),
                      dtype=np.float64)


def plan_uncertainty(spec: ScenarioSpec, *, method: str = "sobol", n_base: int | None = None,
                     salvos: int | None = None, seed: int | None = None,
                     threads: int | None = None) -> UncertaintyPlan:
    """Design an uncertainty study and check every parameter set before any run.

    Parameters
    ----------
    spec : ScenarioSpec
        A scenario with at least one parameter given as a distribution.
    method : {"sobol", "morris"}
        Saltelli design and Sobol' indices, or Morris screening.
    n_base : int, optional
        Sobol': base samples, a power of two (default 64: 64 (d + 2) runs). Morris:
        trajectories (default 16: 16 (d + 1) runs).
    salvos : int, optional
        Salvos per run (default :data:`DEFAULT_SALVOS`), all on the same seed.
    seed : int, optional
        Root seed of every run and of the design (default: the scenario's).
    threads : int, optional
        Threads per run.

    Raises
    ------
    ScenarioError
        No uncertain parameter, a bad method or size, or a parameter set the scenario refuses
        (a cross-field rule broken by a combination of values; the line names the field).
    """
    from forceprot.uncertain import apply, design_values

    scenario = spec.scenario()
    params = tuple(scenario.uncertain)
    if not params:
        raise ScenarioError("no parameter is uncertain: give at least one as a distribution, "
                            'e.g. p_kill = { dist = "beta", mean = 0.7, sd = 0.1 }',
                            file=spec.label)
    if method not in METHODS:
        raise ScenarioError(f"must be one of {', '.join(METHODS)}", field="--method", value=method)
    n = int(DEFAULT_N_BASE[method] if n_base is None else n_base)
    if n < 2 or (method == "sobol" and n & (n - 1)):
        raise ScenarioError("must be a power of two, at least 2 (Sobol' sequences balance at "
                            "powers of two)" if method == "sobol" else "must be at least 2",
                            field="--n", value=n)
    settings = RunSettings.from_scenario(scenario, salvos=salvos or DEFAULT_SALVOS, seed=seed,
                                         precision=None, story_salvos=0, threads=threads)
    d = len(params)
    runs = n * (d + 2) if method == "sobol" else n * (d + 1)
    if runs + 2 * d + 1 > MAX_RUNS:
        raise ScenarioError(f"{runs:,} runs; at most {MAX_RUNS:,}", field="--n", value=n)
    # the design's own seed: SALib treats 0 as "no seed", so shift it
    design_seed = int(settings.seed % (2 ** 31 - 1)) + 1
    design_u = (_sobol_design(d, n, design_seed) if method == "sobol"
                else _morris_design(d, n, design_seed))
    values = design_values(params, design_u)
    medians = np.array([p.median for p in params])
    swing = np.tile(medians, (2 * d + 1, 1))
    for j, p in enumerate(params):
        swing[1 + 2 * j, j], swing[2 + 2 * j, j] = p.ppf(np.array([0.05, 0.95]))
    for j, p in enumerate(params):
        if p.path == _WIND_PATH:
            lo, hi = p.bounds
            for table in (values, swing):
                table[:, j] = np.clip(np.round(table[:, j] / WIND_SNAP_MPS) * WIND_SNAP_MPS,
                                      lo, hi)
    # every parameter set must be a valid scenario: refuse before any run
    for row in np.unique(np.vstack([values, swing]), axis=0):
        apply(scenario, params, row)
    return UncertaintyPlan(spec=spec, params=params, method=method, n_base=n, design_u=design_u,
                           values=values, swing_values=swing, settings=settings)


@dataclass(frozen=True)
class ParameterSensitivity:
    """One parameter's sensitivity indices for one measure (Sobol' or Morris)."""

    name: str
    describe: str
    s1: float = math.nan
    s1_ci: tuple[float, float] = (math.nan, math.nan)
    st: float = math.nan
    st_ci: tuple[float, float] = (math.nan, math.nan)
    mu_star: float = math.nan
    mu_star_ci: tuple[float, float] = (math.nan, math.nan)
    sigma: float = math.nan
    swing_low: float = math.nan
    swing_high: float = math.nan


@dataclass
class UncertaintyResult:
    """What an uncertainty study found.

    Attributes
    ----------
    plan : UncertaintyPlan
    outputs : dict of str to ndarray
        Every measure and its Monte Carlo half-width, per design run (design order).
    swings : dict of str to ndarray
        The same for the one-at-a-time rows of ``plan.swing_values``.
    sensitivity : dict of str to list of ParameterSensitivity
        Per measure, per parameter.
    executor : str
        Where the runs ran.
    """

    plan: UncertaintyPlan
    outputs: dict[str, np.ndarray]
    swings: dict[str, np.ndarray]
    sensitivity: dict[str, list[ParameterSensitivity]]
    executor: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def independent_rows(self) -> np.ndarray:
        """Rows of the design that are independent draws of the joint distribution: A and B of
        the Saltelli design (step d + 2), or the first point of each Morris trajectory."""
        d = len(self.plan.params)
        n_rows = self.plan.values.shape[0]
        if self.plan.method == "sobol":
            step = d + 2
            return np.sort(np.concatenate([np.arange(0, n_rows, step),
                                           np.arange(step - 1, n_rows, step)]))
        return np.arange(0, n_rows, d + 1)

    def quantiles(self, measure: str) -> dict[str, float]:
        """5th, 50th and 95th percentile of a measure under parameter uncertainty."""
        y = self.outputs[measure][self.independent_rows]
        y = y[np.isfinite(y)]
        if y.size == 0:
            return {"p05": math.nan, "p50": math.nan, "p95": math.nan}
        p05, p50, p95 = np.quantile(y, [0.05, 0.5, 0.95])
        return {"p05": float(p05), "p50": float(p50), "p95": float(p95)}

    def spread(self, measure: str) -> dict[str, float]:
        """Standard deviation of a measure across parameter draws, the typical Monte Carlo
        standard error of one run, and the parameter part with the noise taken out
        (``sqrt(max(var_total - mean(se^2), 0))``)."""
        rows = self.independent_rows
        y = self.outputs[measure][rows]
        se = self.outputs[measure + "_mc_half_width"][rows] / 1.959963984540054
        ok = np.isfinite(y) & np.isfinite(se)
        if ok.sum() < 2:
            return {"sd_total": math.nan, "mc_se": math.nan, "sd_parameters": math.nan}
        var_total = float(np.var(y[ok], ddof=1))
        mc_var = float(np.mean(se[ok] ** 2))
        return {"sd_total": math.sqrt(var_total), "mc_se": math.sqrt(mc_var),
                "sd_parameters": math.sqrt(max(var_total - mc_var, 0.0))}

    @property
    def at_medians(self) -> dict[str, float]:
        """Every measure with all parameters at their medians (what ``run`` reports)."""
        return {k: float(v[0]) for k, v in self.swings.items()}


def _analyse(plan: UncertaintyPlan, y: np.ndarray, swing: np.ndarray,
             seed: int) -> list[ParameterSensitivity]:
    """Sensitivity of one measure: Sobol' indices or Morris effects, plus the swings."""
    indices: dict[str, Any] = {}
    if np.all(np.isfinite(y)) and float(np.var(y)) > 0.0:
        if plan.method == "sobol":
            from SALib.analyze import sobol as sobol_analyze

            indices = sobol_analyze.analyze(plan.problem, y, calc_second_order=False,
                                            num_resamples=BOOTSTRAP_RESAMPLES, conf_level=0.95,
                                            seed=seed)
        else:
            from SALib.analyze import morris as morris_analyze

            indices = morris_analyze.analyze(plan.problem, plan.design_u, y,
                                             num_resamples=BOOTSTRAP_RESAMPLES, conf_level=0.95,
                                             num_levels=MORRIS_LEVELS, seed=seed)
    out = []
    for j, p in enumerate(plan.params):
        kw: dict[str, Any] = {"swing_low": float(swing[1 + 2 * j]),
                              "swing_high": float(swing[2 + 2 * j])}
        if plan.method == "sobol":
            if indices:
                s1, c1 = float(indices["S1"][j]), float(indices["S1_conf"][j])
                st, ct = float(indices["ST"][j]), float(indices["ST_conf"][j])
            else:  # the measure does not move at all: nothing depends on anything
                s1 = st = 0.0
                c1 = ct = 0.0
            kw.update(s1=s1, s1_ci=(s1 - c1, s1 + c1), st=st, st_ci=(st - ct, st + ct))
        else:
            if indices:
                mu, cm = float(indices["mu_star"][j]), float(indices["mu_star_conf"][j])
                sg = float(indices["sigma"][j])
            else:
                mu = cm = sg = 0.0
            kw.update(mu_star=mu, mu_star_ci=(mu - cm, mu + cm), sigma=sg)
        out.append(ParameterSensitivity(name=p.path, describe=p.describe(), **kw))
    return out


def run_uncertainty(plan: UncertaintyPlan, *, executor: Executor | None = None,
                    progress: Callable[[int, int], None] | None = None) -> UncertaintyResult:
    """Run every parameter set of the plan (in-process or on a cluster: identical results)
    and analyse them."""
    from forceprot.scenario import resolve_path, variant_changes

    executor = executor or InProcessExecutor()
    scenario = plan.spec.scenario()
    settings = plan.settings.replace(threads=executor.task_threads or plan.settings.threads)
    geometric = any(p.path.startswith(_GEOMETRIC_PREFIXES) for p in plan.params)
    locs = [resolve_path(scenario, p.path, label=plan.spec.label) for p in plan.params]
    rows = np.vstack([plan.values, plan.swing_values])
    jobs = [_PointJob(plan.spec, variant_changes(scenario, list(zip(locs, map(float, row)))),
                      geometric, settings) for row in rows]
    measured = executor.map(_run_point, jobs, progress=progress)
    n_design = plan.values.shape[0]
    keys = list(measured[0]) if measured else []
    table = {k: np.array([m[k] for m in measured], dtype=np.float64) for k in keys}
    outputs = {k: v[:n_design] for k, v in table.items()}
    swings = {k: v[n_design:] for k, v in table.items()}
    seed = int(plan.settings.seed % (2 ** 31 - 1)) + 1
    sensitivity = {m: _analyse(plan, outputs[m], swings[m], seed) for m in MEASURES
                   if m in outputs}
    notes = []
    if any(p.path == _WIND_PATH for p in plan.params):
        notes.append(f"wind speeds are snapped to {WIND_SNAP_MPS:g} m/s steps (one trajectory "
                     "family per step)")
    spread = UncertaintyResult(plan, outputs, swings, {}).spread("leak_rate")
    if math.isfinite(spread["mc_se"]) and spread["mc_se"] > 0.5 * spread["sd_total"]:
        notes.append("one run's Monte Carlo noise is not small against the spread the "
                     "parameters cause: raise --salvos for sharper indices")
    return UncertaintyResult(plan=plan, outputs=outputs, swings=swings, sensitivity=sensitivity,
                             executor=executor.description, notes=notes)


def _pair(ci: tuple[float, float]) -> list:
    from forceprot.stats import finite_or_none

    return [finite_or_none(ci[0]), finite_or_none(ci[1])]


def uncertainty_summary(result: UncertaintyResult) -> dict:
    """The study under stable keys (``uncertainty.json``, ``--json``).

    ``leak_rate_quantiles`` ({"p05", "p50", "p95"}) and ``parameters`` (a list of {"name",
    "S1", "S1_ci", "ST", "ST_ci"} for Sobol', {"name", "mu_star", "mu_star_ci", "sigma"} for
    Morris; the leak rate's indices, ``name`` the scenario path) are the headline; every
    measure's quantiles, spread and indices follow under ``measures``.
    """
    from forceprot.stats import finite_or_none

    plan = result.plan

    def sens_dict(s: ParameterSensitivity) -> dict:
        out: dict[str, Any] = {"name": s.name, "distribution": s.describe}
        if plan.method == "sobol":
            out.update(S1=finite_or_none(s.s1), S1_ci=_pair(s.s1_ci), ST=finite_or_none(s.st),
                       ST_ci=_pair(s.st_ci))
        else:
            out.update(mu_star=finite_or_none(s.mu_star), mu_star_ci=_pair(s.mu_star_ci),
                       sigma=finite_or_none(s.sigma))
        out.update(swing_p05=finite_or_none(s.swing_low), swing_p95=finite_or_none(s.swing_high))
        return out

    measures = {}
    for m, label in MEASURES.items():
        if m not in result.outputs:
            continue
        measures[m] = {"label": label,
                       "quantiles": {k: finite_or_none(v) for k, v in result.quantiles(m).items()},
                       "at_medians": finite_or_none(result.at_medians[m]),
                       "spread": {k: finite_or_none(v) for k, v in result.spread(m).items()},
                       "parameters": [sens_dict(s) for s in result.sensitivity[m]]}
    return {
        "uncertainty_version": 1,
        "scenario": plan.spec.label,
        "method": plan.method,
        "n_base": plan.n_base,
        "runs": plan.n_runs,
        "salvos_per_run": plan.settings.salvos,
        "seed": plan.settings.seed,
        "executor": result.executor,
        "uncertain_parameters": [p.describe() for p in plan.params],
        "leak_rate_quantiles": measures["leak_rate"]["quantiles"],
        "leak_rate_at_medians": measures["leak_rate"]["at_medians"],
        "parameters": measures["leak_rate"]["parameters"],
        "measures": measures,
        "notes": list(result.notes),
    }


# ---------------------------------------------------------------------------------------------
# Robust comparison of two layouts across the parameter distribution
# ---------------------------------------------------------------------------------------------

#: Parameter draws of a robust comparison by default (a scrambled Sobol' sequence).
DEFAULT_ROBUST_DRAWS = 16


@dataclass
class RobustComparison:
    """Two layouts compared at each of a set of parameter draws, on common random numbers.

    Attributes
    ----------
    a_label, b_label : str
    paths : list of str
        The uncertain parameters drawn (union of both scenarios', by path).
    values : ndarray, shape (n_draws, d)
        The draws.
    a, b : dict of str to ndarray
        Every measure per draw for each layout.
    settings : RunSettings
    """

    a_label: str
    b_label: str
    paths: list[str]
    values: np.ndarray
    a: dict[str, np.ndarray]
    b: dict[str, np.ndarray]
    settings: RunSettings
    executor: str = ""

    def difference(self, measure: str) -> np.ndarray:
        """``B - A`` of a measure at each draw."""
        return self.b[measure] - self.a[measure]

    def summary(self, min_effect: dict[str, float] | None = None) -> dict:
        """Per measure: both layouts' mean over the draws, the difference's mean and 5th / 50th /
        95th percentiles over the draws, and the share of draws in which B is lower (better)
        by at least the smallest effect that matters."""
        from forceprot.stats import finite_or_none
        from forceprot.studies.compare import DEFAULT_MIN_EFFECT

        effects = {**DEFAULT_MIN_EFFECT, **(min_effect or {})}
        out = {}
        for m, label in MEASURES.items():
            if m not in self.a or m not in self.b:
                continue
            d = self.difference(m)
            ok = np.isfinite(d)
            effect = effects.get("expected_leakers_per_salvo" if m == "leakers_per_salvo" else m,
                                 0.0)
            q = np.quantile(d[ok], [0.05, 0.5, 0.95]) if ok.any() else [math.nan] * 3
            out[m] = {"label": label,
                      "a_mean": finite_or_none(np.nanmean(self.a[m])),
                      "b_mean": finite_or_none(np.nanmean(self.b[m])),
                      "difference_mean": finite_or_none(np.mean(d[ok])) if ok.any() else None,
                      "difference_quantiles": {k: finite_or_none(v)
                                               for k, v in zip(("p05", "p50", "p95"), q)},
                      "min_effect": effect,
                      "share_b_lower": float(np.mean(d[ok] < -effect)) if ok.any() else None,
                      "share_b_higher": float(np.mean(d[ok] > effect)) if ok.any() else None}
        return {"a": self.a_label, "b": self.b_label, "difference_is": "b - a",
                "draws": int(self.values.shape[0]), "salvos_per_run": self.settings.salvos,
                "seed": self.settings.seed, "uncertain_parameters": self.paths,
                "executor": self.executor, "measures": out}


def parameter_draws(params, n: int, seed: int) -> np.ndarray:
    """``n`` parameter sets from a scrambled Sobol' sequence over ``params`` (seeded, so the
    same on every machine), mapped through their quantile functions; wind speeds snapped as in
    :func:`plan_uncertainty`. Returns float64 (n, d)."""
    from scipy.stats import qmc

    from forceprot.uncertain import design_values

    # draw a power of two (Sobol' points balance there) and keep the first n
    m = 1 << max(int(n) - 1, 1).bit_length()
    sobol = qmc.Sobol(d=len(params), scramble=True, seed=int(seed % (2 ** 31 - 1)) + 1)
    u = sobol.random_base2(m.bit_length() - 1)[:int(n)]
    values = design_values(params, u)
    for j, p in enumerate(params):
        if p.path == _WIND_PATH:
            values[:, j] = np.clip(np.round(values[:, j] / WIND_SNAP_MPS) * WIND_SNAP_MPS,
                                   *p.bounds)
    return values


def draw_changes(scenario, params, values: np.ndarray, *,
                 skip_missing: bool = False) -> list[dict]:
    """Scenario overrides (``ScenarioSpec.with_changes``) setting each draw's values, checked:
    a drawn set the scenario refuses raises :class:`ScenarioError` naming the field.

    With ``skip_missing``, parameters whose path the scenario lacks (another layout's unit)
    are left out instead of refused.
    """
    from forceprot.scenario import resolve_path, variant_changes

    cols = []
    for j, p in enumerate(params):
        try:
            cols.append((j, resolve_path(scenario, p.path)))
        except ScenarioError:
            if not skip_missing:
                raise
    out = []
    for row in values:
        changes = variant_changes(scenario, [(loc, float(row[j])) for j, loc in cols])
        scenario.updated(changes)  # a drawn set the scenario refuses fails here, early
        out.append(changes)
    return out


def robust_compare(spec_a: ScenarioSpec, spec_b: ScenarioSpec, *,
                   draws: int = DEFAULT_ROBUST_DRAWS, salvos: int | None = None,
                   seed: int | None = None, executor: Executor | None = None,
                   progress: Callable[[int, int], None] | None = None) -> RobustComparison:
    """Compare two layouts across the scenarios' parameter distributions, not only at the
    medians: both are run at each draw of a scrambled Sobol' sequence over the union of their
    uncertain parameters (a path uncertain in one is set in both wherever it exists), every run
    on the same salvos.

    Raises
    ------
    ScenarioError
        Neither scenario has an uncertain parameter, too few draws, or a drawn set a scenario
        refuses.
    """
    sa, sb = spec_a.scenario(), spec_b.scenario()
    params = {p.path: p for p in sb.uncertain}
    params.update({p.path: p for p in sa.uncertain})  # A's distribution where both have one
    if not params:
        raise ScenarioError("neither scenario has an uncertain parameter: --robust compares "
                            "across distributions", file=spec_a.label, field="--robust")
    if draws < 2:
        raise ScenarioError("must be at least 2", field="--draws", value=draws)
    paths = sorted(params)
    settings = RunSettings.from_scenario(sa, salvos=salvos or DEFAULT_SALVOS, seed=seed,
                                         precision=None, story_salvos=0)
    values = parameter_draws([params[p] for p in paths], draws, settings.seed)
    executor = executor or InProcessExecutor()
    run = settings.replace(threads=executor.task_threads)
    geometric = any(p.startswith(_GEOMETRIC_PREFIXES) for p in paths)

    ordered = [params[p] for p in paths]
    jobs = [_PointJob(spec, changes, geometric, run)
            for spec, scenario in ((spec_a, sa), (spec_b, sb))
            for changes in draw_changes(scenario, ordered, values, skip_missing=True)]
    measured = executor.map(_run_point, jobs, progress=progress)
    n = values.shape[0]
    a = {m: np.array([r[m] for r in measured[:n]]) for m in MEASURES if m in measured[0]}
    b = {m: np.array([r[m] for r in measured[n:]]) for m in MEASURES if m in measured[n]}
    return RobustComparison(a_label=spec_a.label, b_label=spec_b.label, paths=paths,
                            values=values, a=a, b=b, settings=run,
                            executor=executor.description)
