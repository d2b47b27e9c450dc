"""Parameter sweeps: the grid of scenario variants, each run with the same seed.

``--set threat.tubes=12,24,48 --set defence[0].pk=0.5,0.7`` makes the cartesian product of the
values (6 variants). A path is dotted, with ``[i]`` list indexes (``defence[0].pk``,
``asset[1].weight``, ``rockets.MYROCKET.burn_time_s``); a key may be any name or alias the
scenario file accepts. Values are TOML scalars (``12``, ``0.7``, ``true``, ``"assets"``); a value
that is not valid TOML is taken as a string (``uniform``). Every variant is validated through
:meth:`forceprot.scenario.Scenario.updated` before anything runs, so a bad path or value is one
error line naming it.

Each variant is one task (:mod:`forceprot.studies.executors`): the scenario's TOML data and the
variant's overrides go to the worker, which compiles and samples it with the sweep's seed and
salvo count. Results do not depend on where a task ran.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from forceprot.studies.executors import Executor, InProcessExecutor, ScenarioSpec
from forceprot.errors import ScenarioError
from forceprot.scenario import Scenario, resolve_path, variant_changes  # the path language
from forceprot.settings import RunSettings

__all__ = [
    "MAX_VARIANTS",
    "Setting",
    "SweepResult",
    "parse_setting",
    "plan_sweep",
    "run_sweep",
    "sweep_summary_rows",
]

#: Most variants one sweep may have [-].
MAX_VARIANTS = 10_000


#: Result columns of a sweep row, after the swept parameters, with what they hold.
METRIC_COLUMNS = {
    "leak_rate": "leaked / threatening rockets [-]",
    "leak_rate_lo": "95 % interval, lower [-]",
    "leak_rate_hi": "95 % interval, upper [-]",
    "p_any_leak": "P(salvo puts >= 1 leaker inside) [-]",
    "p_any_leak_lo": "95 % interval, lower [-]",
    "p_any_leak_hi": "95 % interval, upper [-]",
    "expected_leakers_per_salvo": "mean leakers per salvo [rockets]",
    "expected_leakers_per_salvo_lo": "95 % interval, lower [rockets]",
    "expected_leakers_per_salvo_hi": "95 % interval, upper [rockets]",
    "expected_threatening_per_salvo": "mean rockets landing inside per salvo [rockets]",
    "threat_fraction": "share of fired rockets landing inside [-]",
    "warning_time_mean_s": "mean warning time of threatening rockets [s]",
    "warning_time_p05_s": "5th percentile of warning time [s]",
    "undetected_fraction": "threatening rockets no sensor saw [-]",
    "asset_risk_per_salvo": "weighted asset hits per salvo [-]",
    "asset_risk_per_salvo_lo": "95 % interval, lower [-]",
    "asset_risk_per_salvo_hi": "95 % interval, upper [-]",
    "expected_killed_per_salvo": "expected killed per salvo, with [people] (else empty) [persons]",
    "expected_killed_per_salvo_lo": "95 % interval, lower [persons]",
    "expected_killed_per_salvo_hi": "95 % interval, upper [persons]",
    "expected_wounded_per_salvo": "expected wounded per salvo, with [people] [persons]",
    "expected_wounded_per_salvo_lo": "95 % interval, lower [persons]",
    "expected_wounded_per_salvo_hi": "95 % interval, upper [persons]",
    "p_casualty": "P(salvo kills or wounds >= 1 person), with [people] [-]",
    "p_prevented": "P(salvo prevented before it fires), with [[surveillance]] (else empty) [-]",
    "p_prevented_lo": "95 % interval, lower [-]",
    "p_prevented_hi": "95 % interval, upper [-]",
    "expected_leakers_per_attempted_salvo": "mean leakers per attempted salvo (a prevented "
                                            "salvo fires nothing), with [[surveillance]] "
                                            "[rockets]",
    "expected_leakers_per_attempted_salvo_lo": "95 % interval, lower [rockets]",
    "expected_leakers_per_attempted_salvo_hi": "95 % interval, upper [rockets]",
    "salvos": "salvos sampled [-]",
    "seed": "root seed [-]",
}


@dataclass(frozen=True)
class Setting:
    """One ``--set PATH=V1,V2,...``.

    Attributes
    ----------
    path : str
        The path as written (``defence[0].pk``); also the column name in the results.
    loc : tuple
        The canonical location in the scenario (``("defence", 0, "p_kill")``).
    values : tuple
        The parsed values, in the order given.
    """

    path: str
    loc: tuple
    values: tuple


@dataclass
class SweepResult:
    """The rows of a sweep, one per variant, in grid order (last setting varies fastest)."""

    settings: list[Setting]
    table: pd.DataFrame
    salvos: int
    seed: int
    executor: str

    def records(self) -> list[dict]:
        return self.table.to_dict(orient="records")


# ---------------------------------------------------------------------------------------------
# Parsing --set
# ---------------------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A TOML scalar (``12``, ``0.7``, ``true``, ``"x"``); anything else is a bare string."""
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if isinstance(value, (dict, list)):
        raise ValueError("only scalar values can be swept")
    return value


def _split_values(text: str) -> list[str]:
    """Split on commas outside double quotes, keeping the quotes."""
    parts, cur, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_setting(text: str, scenario: Scenario, *, label: str | None = None) -> Setting:
    """Parse one ``PATH=V1,V2,...`` against ``scenario``.

    Raises
    ------
    ScenarioError
        No ``=``, an unknown path, an empty or non-scalar value, a repeated value.
    """
    label = label or scenario.label
    if "=" not in text:
        raise ScenarioError("expected PATH=V1,V2,... (e.g. threat.tubes=12,24)", file=label,
                            field="--set", value=text)
    path, _, rhs = text.partition("=")
    path = path.strip()
    loc = resolve_path(scenario, path, label=label)
    raw = _split_values(rhs)
    if any(not r.strip() for r in raw):
        raise ScenarioError("empty value in the list", file=label, field=path, value=rhs)
    values = []
    for r in raw:
        try:
            values.append(parse_value(r))
        except ValueError as exc:
            raise ScenarioError(str(exc), file=label, field=path, value=r.strip()) from None
    if len({repr(v) for v in values}) != len(values):
        raise ScenarioError("a value is repeated", file=label, field=path, value=rhs)
    return Setting(path=path, loc=loc, values=tuple(values))


# ---------------------------------------------------------------------------------------------
# Planning and running
# ---------------------------------------------------------------------------------------------


#: Settings under these sections, or of these fields, change the geometry or the rocket's reach;
#: their variants are also checked against the layers before the sweep starts.
_GEOMETRY_SECTIONS = ("site", "threat", "rockets", "asset", "assets")
_GEOMETRY_KEYS = ("lon", "lat", "x", "y")


@dataclass(frozen=True)
class _VariantJob:
    """One sweep point, picklable: scenario spec with overrides and the run's settings."""

    spec: ScenarioSpec
    settings: RunSettings


def plan_sweep(spec: ScenarioSpec, set_texts: list[str]) -> tuple[list[Setting], list[ScenarioSpec]]:
    """Parse the settings and validate every variant of their grid.

    Returns
    -------
    settings : list of Setting
    variants : list of ScenarioSpec
        One per grid point, in ``itertools.product`` order (the last setting varies fastest).

    Raises
    ------
    ScenarioError
        A bad ``--set``, a path given twice, too many variants, or a variant that does not
        validate (the message names the field and value).
    """
    scenario = spec.scenario()
    if not set_texts:
        raise ScenarioError("give at least one --set PATH=V1,V2,...", file=spec.label,
                            field="--set")
    settings = [parse_setting(t, scenario, label=spec.label) for t in set_texts]
    seen: dict[tuple, str] = {}
    for s in settings:
        if s.loc in seen:
            raise ScenarioError(f"set twice (also as {seen[s.loc]})", file=spec.label,
                                field=s.path)
        seen[s.loc] = s.path
    n = math.prod(len(s.values) for s in settings)
    if n > MAX_VARIANTS:
        raise ScenarioError(f"{n:,} variants; at most {MAX_VARIANTS:,}", file=spec.label,
                            field="--set")
    geometric = any(s.loc[0] in _GEOMETRY_SECTIONS or s.loc[-1] in _GEOMETRY_KEYS
                    for s in settings)
    variants = []
    for combo in itertools.product(*(s.values for s in settings)):
        changes = variant_changes(scenario, [(s.loc, v) for s, v in zip(settings, combo)])
        variant = spec.with_changes(changes)
        checked = variant.scenario()  # validate now: a bad value fails before any work is done
        if geometric:
            from forceprot.compile import prepare

            prepare(checked)  # layers, positions, reach: also before any work
        variants.append(variant)
    return settings, variants


def _people_columns(s: dict) -> dict:
    """The people-at-risk columns of a run's summary; None (an empty cell) without people."""
    out = {}
    for key in ("expected_killed_per_salvo", "expected_wounded_per_salvo"):
        ci = s.get(f"{key}_ci", [None, None])
        out.update({key: s.get(key), f"{key}_lo": ci[0], f"{key}_hi": ci[1]})
    out["p_casualty"] = s["people"]["p_casualty"] if "people" in s else None
    return out


def _surveillance_columns(s: dict) -> dict:
    """The before-the-salvo columns of a run's summary; None (an empty cell) without
    ``[[surveillance]]``."""
    out = {}
    for key in ("p_prevented", "expected_leakers_per_attempted_salvo"):
        ci = s.get(f"{key}_ci", [None, None])
        out.update({key: s.get(key), f"{key}_lo": ci[0], f"{key}_hi": ci[1]})
    return out


def _run_variant(job: _VariantJob) -> dict:
    """Compile and sample one variant; its figures under :data:`METRIC_COLUMNS` names."""
    from forceprot.compile import compile_scenario, prepare
    from forceprot.simulate import simulate

    prepared = prepare(job.spec.scenario())
    results = simulate(compile_scenario(prepared), job.settings)
    s = results.summary(prepared)

    def ci(key: str) -> list:
        return s[f"{key}_ci"]

    return {
        "leak_rate": s["leak_rate"], "leak_rate_lo": ci("leak_rate")[0],
        "leak_rate_hi": ci("leak_rate")[1],
        "p_any_leak": s["p_any_leak"], "p_any_leak_lo": ci("p_any_leak")[0],
        "p_any_leak_hi": ci("p_any_leak")[1],
        "expected_leakers_per_salvo": s["expected_leakers_per_salvo"],
        "expected_leakers_per_salvo_lo": ci("expected_leakers_per_salvo")[0],
        "expected_leakers_per_salvo_hi": ci("expected_leakers_per_salvo")[1],
        "expected_threatening_per_salvo": s["expected_threatening_per_salvo"],
        "threat_fraction": s["threat_fraction"],
        "warning_time_mean_s": s["warning_time_mean_s"],
        "warning_time_p05_s": s["warning_time_p05_s"],
        "undetected_fraction": s["undetected_fraction"],
        "asset_risk_per_salvo": s["asset_risk_per_salvo"],
        "asset_risk_per_salvo_lo": ci("asset_risk_per_salvo")[0],
        "asset_risk_per_salvo_hi": ci("asset_risk_per_salvo")[1],
        **_people_columns(s),
        **_surveillance_columns(s),
        "salvos": s["salvos"],
        "seed": s["seed"],
    }


def run_sweep(spec: ScenarioSpec, settings: list[Setting], variants: list[ScenarioSpec], *,
              salvos: int | None = None, seed: int | None = None,
              executor: Executor | None = None,
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Sample every variant with the same salvo count and seed.

    Parameters
    ----------
    spec : ScenarioSpec
        The scenario swept.
    settings, variants
        From :func:`plan_sweep`.
    salvos : int, optional
        Salvos per variant (default: the scenario's ``simulation.salvos``). A precision target in
        the scenario is ignored: every variant samples exactly this many.
    seed : int, optional
        Root seed of every variant (default: the scenario's).
    executor : Executor, optional
        Where variants run (default: in-process).
    progress : callable, optional
        ``progress(variants_done, variants_total)``.
    """
    executor = executor or InProcessExecutor()
    # every variant samples exactly the same salvos: no precision stop, no stories
    run = RunSettings.from_scenario(spec.scenario(), salvos=salvos, seed=seed, precision=None,
                                    story_salvos=0, threads=executor.task_threads)
    jobs = [_VariantJob(v, run) for v in variants]
    rows = executor.map(_run_variant, jobs, progress=progress)
    params = []
    for combo in itertools.product(*(s.values for s in settings)):
        params.append({s.path: v for s, v in zip(settings, combo)})
    table = pd.DataFrame([{**p, **r} for p, r in zip(params, rows)])
    return SweepResult(settings=settings, table=table, salvos=run.salvos, seed=run.seed,
                       executor=executor.description)


def sweep_summary_rows(result: SweepResult) -> list[dict]:
    """The rows with NaN as None (for JSON)."""
    out = []
    for row in result.records():
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        (v.item() if isinstance(v, np.generic) else v)) for k, v in row.items()})
    return out

