"""Uncertain parameters: a distribution in a scenario file where a number would stand.

Any real-valued parameter of the site, the threat, a scenario-defined rocket, a defence unit, an
asset or the warning may be written as a table instead of a number::

    p_kill         = { dist = "beta", mean = 0.7, sd = 0.1 }
    engage_s       = { dist = "uniform", low = 1.5, high = 4 }
    reaction_s     = { dist = "triangular", low = 2, mode = 3, high = 6 }
    aim_sigma_m    = { dist = "normal", mean = 150, sd = 40 }
    sensor_range_m = { dist = "lognormal", median = 10000, sd_log = 0.2 }

Keys, in the field's own unit:

``uniform``     ``low``, ``high``: flat on [low, high].
``triangular``  ``low``, ``mode``, ``high``: peak at ``mode``.
``normal``      ``mean``, ``sd``: the mean and standard deviation *before* truncation.
``lognormal``   ``median``, ``sd_log``: ``log(X)`` is normal with mean ``log(median)`` and
                standard deviation ``sd_log`` (so ``exp(sd_log)`` is the multiplicative spread;
                ``sd_log = 0.2`` puts about 68 % of the mass within a factor 1.22 of the median).
                Median and log-sd rather than mean and sd: they are what a "factor of"
                judgement gives, and every pair of them is a valid distribution.
``beta``        ``mean``, ``sd``: a beta distribution stretched over the field's bounds
                ``[a, b]`` (both must be finite), with this mean and standard deviation. It exists
                only if ``sd**2 < (mean - a) * (b - mean)`` (for a probability on [0, 1]:
                ``sd**2 < mean * (1 - mean)``).

Every distribution is truncated to the field's bounds (its ``ge``/``gt``/``le``/``lt``), so no
value it yields can fail the field's own check. ``uniform`` and ``triangular`` ends, and the
``normal``/``beta`` mean and ``lognormal`` median, must lie inside those bounds.

The scenario itself holds the *truncated* distribution's median, so everything that runs one
scenario (``run``, ``map``, ``compare``) runs at the medians; :attr:`Scenario.uncertain
<forceprot.scenario.Scenario.uncertain>` lists the :class:`UncertainParameter` s, and
:func:`apply` makes the variant for one set of values (an uncertainty study maps a design in
``[0, 1]^d`` through :meth:`UncertainParameter.ppf` first).

Not every number may be uncertain:

* simulation settings (``[simulation]``) are choices of the run, not facts about the world;
* positions (``lon``, ``lat``, ``x``, ``y``) move a unit, which is a layout question
  (``optimize``), not a parameter;
* integer fields (``tubes``, ``rounds_per_engagement``, ...) are refused rather than rounded: a
  rounded continuous distribution no longer has the median and quantiles written in the file.
  Sweep them with ``forceprot sweep --set threat.tubes=12,24``.

scipy.stats is imported only when a scenario has a distribution, to keep start-up short.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Sequence

import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from forceprot.errors import ScenarioError
from forceprot.scenario import (
    Scenario,
    Simulation,
    _Positioned,
    field_name,
    format_path,
    resolve_path,
    variant_changes,
)

__all__ = [
    "DISTRIBUTIONS",
    "UncertainParameter",
    "apply",
    "check_extremes",
    "design_values",
    "distribution_json_schema",
    "extract_uncertain",
]

#: Distribution names and the keys each table needs (besides ``dist``), in the field's unit.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "beta": ("mean", "sd"),
    "lognormal": ("median", "sd_log"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
}

_UNIT = re.compile(r"\[([^\]]+)\]")
#: Probability at which an unbounded side is cut, so every design point maps to a finite value
#: (normal: 7.0 sd from the mean) [-].
_TAIL = 1e-12


# ---------------------------------------------------------------------------------------------
# The parameter
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertainParameter:
    """One scenario parameter given as a distribution, truncated to the field's bounds.

    Attributes
    ----------
    path : str
        Canonical scenario path, field names not aliases (``defence[0].p_kill``); the name an
        uncertainty study reports.
    loc : tuple
        The same location as a tuple (``("defence", 0, "p_kill")``).
    dist : str
        One of :data:`DISTRIBUTIONS`.
    params : tuple of (str, float)
        The table's keys and values as written (``(("mean", 0.7), ("sd", 0.1))``), field unit.
    bounds : tuple of float
        The field's bounds ``(low, high)`` in its unit (``-inf``/``inf`` where it has none).
        Every value :meth:`ppf` returns lies inside; an open bound (``gt``/``lt``) is never
        returned itself.
    open_bounds : tuple of bool
        Whether each bound is open (``gt``, ``lt``) rather than closed (``ge``, ``le``).
    median : float
        Median of the truncated distribution [field unit]: the value the scenario holds.
    unit : str
        The field's unit as its description gives it (``s``, ``m``, ``-``).
    description : str
        The field's description.
    """

    path: str
    loc: tuple
    dist: str
    params: tuple[tuple[str, float], ...]
    bounds: tuple[float, float]
    open_bounds: tuple[bool, bool]
    median: float
    unit: str
    description: str

    @property
    def table(self) -> dict[str, Any]:
        """The distribution as a scenario-file table (``{"dist": "beta", "mean": 0.7, ...}``)."""
        return {"dist": self.dist, **dict(self.params)}

    @cached_property
    def _interval(self) -> tuple[float, float]:
        """Closed interval the values lie in: open bounds moved one float inwards."""
        lo, hi = self.bounds
        lo_open, hi_open = self.open_bounds
        return (math.nextafter(lo, math.inf) if lo_open else lo,
                math.nextafter(hi, -math.inf) if hi_open else hi)

    @cached_property
    def _frozen(self):
        """The untruncated scipy.stats frozen distribution, its CDF at the ends of the interval
        the values lie in, and those ends."""
        base = _scipy_distribution(self.dist, dict(self.params), self.bounds)
        lo, hi = self._interval
        support_lo, support_hi = base.support()
        # where the values can lie: the field's interval, narrowed to the distribution's support
        lo, hi = max(lo, float(support_lo)), min(hi, float(support_hi))
        return base, float(base.cdf(lo)), float(base.cdf(hi)), lo, hi

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function of the truncated distribution.

        Truncation by inverse CDF on the truncated interval: ``F^-1(F(a) + u (F(b) - F(a)))``,
        so a uniform design point maps to a value distributed as the truncated distribution.

        Parameters
        ----------
        u : array_like of float
            Probabilities in [0, 1], any shape.

        Returns
        -------
        ndarray of float64
            Values in the field's unit, same shape as ``u``, inside :attr:`bounds`.

        Raises
        ------
        ValueError
            A probability outside [0, 1] or not finite (a caller's bug, not a user's input).
        """
        u = np.asarray(u, dtype=np.float64)
        if not np.all((u >= 0.0) & (u <= 1.0)):
            raise ValueError(f"{self.path}: probabilities must lie in [0, 1]")
        base, f_lo, f_hi, lo, hi = self._frozen
        q = f_lo + u * (f_hi - f_lo)
        values = np.asarray(base.ppf(q), dtype=np.float64)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            # an unbounded side: a design point at 0 or 1 maps to a far but finite quantile
            far = np.asarray(base.ppf(np.clip(q, _TAIL, 1.0 - _TAIL)), dtype=np.float64)
            values = np.where(np.isfinite(values), values, far)
        # scipy's beta quantile gives NaN for subnormal probabilities (boost's root finder gives
        # up); such a point is the interval's end to double precision
        values = np.where(np.isnan(values), np.where(u < 0.5, lo, hi), values)
        # the ends exactly (the CDF round trip misses them by a few ulps), and never outside
        values = np.where(u == 0.0, lo, values) if math.isfinite(lo) else values
        values = np.where(u == 1.0, hi, values) if math.isfinite(hi) else values
        return np.clip(values, lo, hi)

    def describe(self) -> str:
        """One line for consoles and reports: ``defence[0].p_kill ~ beta(mean=0.7, sd=0.1) on
        [0, 1] [-], median 0.7095``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.params)
        return (f"{self.path} ~ {self.dist}({args}) on {_range_text(self.bounds, self.open_bounds)}"
                f" [{self.unit}], median {self.median:.4g}")


def _scipy_distribution(dist: str, p: dict[str, float], bounds: tuple[float, float]):
    from scipy import stats  # slow to import; only scenarios with distributions pay for it

    if dist == "uniform":
        return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
    if dist == "triangular":
        width = p["high"] - p["low"]
        return stats.triang(c=(p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
    if dist == "normal":
        return stats.norm(loc=p["mean"], scale=p["sd"])
    if dist == "lognormal":
        return stats.lognorm(s=p["sd_log"], scale=p["median"])
    if dist == "beta":
        a, b = bounds
        alpha, beta = _beta_shapes(p["mean"], p["sd"], a, b)
        return stats.beta(alpha, beta, loc=a, scale=b - a)
    raise AssertionError(dist)  # tables are checked before this


def _beta_shapes(mean: float, sd: float, a: float, b: float) -> tuple[float, float]:
    """Method of moments on [a, b]: mean m' and variance v' of the beta on [0, 1] give
    ``alpha = m' k``, ``beta = (1 - m') k`` with ``k = m'(1 - m')/v' - 1``."""
    m = (mean - a) / (b - a)
    v = (sd / (b - a)) ** 2
    k = m * (1.0 - m) / v - 1.0
    return m * k, (1.0 - m) * k


def _range_text(bounds: tuple[float, float], open_bounds: tuple[bool, bool]) -> str:
    lo, hi = bounds
    return (f"{'(' if open_bounds[0] or lo == -math.inf else '['}{lo:g}, "
            f"{hi:g}{')' if open_bounds[1] or hi == math.inf else ']'}")


# ---------------------------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------------------------


def _field_bounds(info: FieldInfo) -> tuple[tuple[float, float], tuple[bool, bool]]:
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo, lo_open = float(meta.ge), False
        if getattr(meta, "gt", None) is not None:
            lo, lo_open = float(meta.gt), True
        if getattr(meta, "le", None) is not None:
            hi, hi_open = float(meta.le), False
        if getattr(meta, "lt", None) is not None:
            hi, hi_open = float(meta.lt), True
    return (lo, hi), (lo_open, hi_open)


def _inside(x: float, bounds: tuple[float, float], open_bounds: tuple[bool, bool]) -> bool:
    lo, hi = bounds
    return (x > lo if open_bounds[0] else x >= lo) and (x < hi if open_bounds[1] else x <= hi)


def _parameter(table: dict, loc: tuple, info: FieldInfo, source: str) -> UncertainParameter:
    """Check a distribution table against its field and make the parameter."""
    path = format_path(loc)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(message, file=source, field=path, value=table, has_value=True)

    names = ", ".join(DISTRIBUTIONS)
    dist = table.get("dist")
    if dist is None:
        raise fail(f"a table here must be a distribution: give dist = one of {names}")
    if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
        raise fail(f"unknown distribution {dist!r}; must be one of {names}")
    keys = DISTRIBUTIONS[dist]
    extra = [k for k in table if k != "dist" and k not in keys]
    if extra:
        raise fail(f"unknown key {extra[0]!r} for dist = {dist!r}; its keys are {', '.join(keys)}")
    missing = [k for k in keys if k not in table]
    if missing:
        raise fail(f"dist = {dist!r} needs {', '.join(keys)}; missing {', '.join(missing)}")
    p: dict[str, float] = {}
    for k in keys:
        v = table[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise fail(f"{k} must be a number, not {type(v).__name__}")
        if not math.isfinite(v):
            raise fail(f"{k} must be finite")
        p[k] = float(v)

    bounds, open_bounds = _field_bounds(info)
    rng = _range_text(bounds, open_bounds)

    def within(key: str) -> None:
        if not _inside(p[key], bounds, open_bounds):
            raise fail(f"{key} ({p[key]:g}) is outside the field's range {rng}")

    for k in ("sd", "sd_log"):
        if k in p and p[k] <= 0:
            raise fail(f"{k} must be > 0")
    if dist in ("uniform", "triangular"):
        if p["low"] >= p["high"]:
            raise fail(f"low ({p['low']:g}) must be below high ({p['high']:g})")
        if dist == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
            raise fail(f"mode ({p['mode']:g}) must lie in [low, high] = "
                       f"[{p['low']:g}, {p['high']:g}]")
        within("low")
        within("high")
    elif dist == "normal":
        within("mean")
    elif dist == "lognormal":
        if p["median"] <= 0:
            raise fail("median must be > 0 (a lognormal is positive)")
        within("median")
    elif dist == "beta":
        a, b = bounds
        if not (math.isfinite(a) and math.isfinite(b)):
            raise fail(f"beta needs a field with finite bounds; this one is {rng} "
                       "(use normal, lognormal, triangular or uniform)")
        if not a < p["mean"] < b:
            raise fail(f"mean ({p['mean']:g}) must lie strictly inside the field's range {rng}")
        # a beta on [a, b] with this mean has variance below (mean - a)(b - mean)
        sd_max = math.sqrt((p["mean"] - a) * (b - p["mean"]))
        if p["sd"] >= sd_max:
            raise fail(f"no beta on {rng} has mean {p['mean']:g} and sd {p['sd']:g}: "
                       f"sd must be below sqrt((mean - {a:g}) * ({b:g} - mean)) = {sd_max:.4g}")

    unit_match = _UNIT.search(info.description or "")
    partial = UncertainParameter(
        path=path, loc=loc, dist=dist, params=tuple((k, p[k]) for k in keys), bounds=bounds,
        open_bounds=open_bounds, median=math.nan,
        unit=unit_match.group(1) if unit_match else "", description=info.description or "")
    # the median of the truncated distribution, so the scenario holds a value inside the bounds
    return replace(partial, median=float(partial.ppf(np.array(0.5))))


def extract_uncertain(data: dict, *, source: str = "<scenario>"
                      ) -> tuple[dict, tuple[UncertainParameter, ...]]:
    """Find the distribution tables in raw scenario data and put their medians in their place.

    Parameters
    ----------
    data : dict
        The scenario as parsed TOML (plain dicts, lists, scalars). Not modified.
    source : str
        How errors name the file.

    Returns
    -------
    data : dict
        ``data`` itself if it has no distribution, otherwise a copy (along the changed paths
        only) with each table replaced by its truncated median.
    params : tuple of UncertainParameter
        In file order.

    Raises
    ------
    ScenarioError
        One line naming the file, the field path and the table: a bad distribution name,
        missing or unknown keys, a non-positive spread, ``low >= high``, a mean, median or end
        outside the field's bounds, an impossible beta, or a distribution on a field that cannot
        be uncertain (simulation settings, positions, integers, text).
    """
    found: list[UncertainParameter] = []
    out = _walk(data, Scenario, (), found, source, fixed=None)
    return out, tuple(found)


def _walk(raw: Any, model: type[BaseModel], loc: tuple, found: list, source: str,
          fixed: str | None) -> Any:
    if not isinstance(raw, dict):
        return raw  # pydantic reports the wrong type
    if issubclass(model, Simulation):
        fixed = "simulation settings are choices of the run and cannot be uncertain"
    new = None
    for key, value in raw.items():
        name = field_name(model, key) if isinstance(key, str) else None
        if name is None:
            continue  # pydantic reports the unknown key
        info = model.model_fields[name]
        why = fixed
        if issubclass(model, _Positioned) and name in _Positioned.model_fields:
            why = "positions cannot be uncertain (place units with optimize, or compare layouts)"
        replaced = _visit(value, info.annotation, info, loc + (name,), found, source, why)
        if replaced is not value:
            new = dict(raw) if new is None else new
            new[key] = replaced
    return raw if new is None else new


def _visit(value: Any, ann: Any, info: FieldInfo, loc: tuple, found: list, source: str,
           fixed: str | None) -> Any:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        inner, *extras = typing.get_args(ann)
        disc = next((getattr(e, "discriminator", None) for e in extras
                     if getattr(e, "discriminator", None)), None)
        return _visit_union(value, inner, disc, info, loc, found, source, fixed)
    if origin in (typing.Union, types.UnionType):
        return _visit_union(value, ann, None, info, loc, found, source, fixed)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return _walk(value, ann, loc, found, source, fixed)
    if origin is list and isinstance(value, list):
        (item_ann,) = typing.get_args(ann)
        items = [_visit(v, item_ann, info, loc + (i,), found, source, fixed)
                 for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value)) else items
    if origin is dict and isinstance(value, dict):
        _, item_ann = typing.get_args(ann)
        items = {k: _visit(v, item_ann, info, loc + (k,), found, source, fixed)
                 for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if not isinstance(value, dict):
        return value
    # a table where a scalar belongs: a distribution, if this field may have one
    path = format_path(loc)
    if fixed:
        raise ScenarioError(fixed, file=source, field=path, value=value, has_value=True)
    if ann is not float:
        kind = ("an integer field: distributions are refused rather than rounded; sweep it "
                "with forceprot sweep --set" if ann is int else "not a real number")
        if "dist" in value or ann is int:
            raise ScenarioError(f"cannot be uncertain: {kind}", file=source, field=path,
                                value=value, has_value=True)
        return value  # pydantic reports the wrong type
    param = _parameter(value, loc, info, source)
    found.append(param)
    return param.median


def _visit_union(value: Any, union: Any, disc: str | None, info: FieldInfo, loc: tuple,
                 found: list, source: str, fixed: str | None) -> Any:
    members = [m for m in typing.get_args(union) if m is not type(None)] \
        if typing.get_origin(union) in (typing.Union, types.UnionType) else [union]
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if models and isinstance(value, dict):
        if disc is None or len(models) == 1:
            return _walk(value, models[0], loc, found, source, fixed)
        tag = value.get(disc)
        for m in models:
            if tag in typing.get_args(m.model_fields[disc].annotation):
                return _walk(value, m, loc, found, source, fixed)
        return value  # no such kind: pydantic reports it
    if len(members) == 1:
        return _visit(value, members[0], info, loc, found, source, fixed)
    return value


# ---------------------------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------------------------


def design_values(params: Sequence[UncertainParameter], u: np.ndarray) -> np.ndarray:
    """Map a design in ``[0, 1]^d`` (Sobol', Saltelli, Latin hypercube) to parameter values.

    Parameters
    ----------
    params : sequence of UncertainParameter, length d
    u : ndarray of float, shape (n, d)
        Probabilities; column ``j`` belongs to ``params[j]``.

    Returns
    -------
    ndarray of float64, shape (n, d)
        Column ``j`` is ``params[j].ppf(u[:, j])``, in that field's unit.
    """
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] != len(params):
        raise ValueError(f"design has shape {u.shape}; expected (n, {len(params)})")
    out = np.empty_like(u)
    for j, p in enumerate(params):
        out[:, j] = p.ppf(u[:, j])
    return np.ascontiguousarray(out)


def apply(scenario: Scenario, params: Sequence[UncertainParameter],
          values: Sequence[float] | np.ndarray, *, label: str | None = None) -> Scenario:
    """The scenario with each parameter set to its value, validated.

    Parameters
    ----------
    scenario : Scenario
        Usually the one the parameters were read with (it holds their medians).
    params : sequence of UncertainParameter, length d
    values : array_like of float, shape (d,)
        One value per parameter, in its field's unit (a row of :func:`design_values`).
    label : str, optional
        How errors name the variant (default: the scenario's label).

    Returns
    -------
    Scenario
        A validated copy. Its :attr:`~forceprot.scenario.Scenario.uncertain` keeps only the
        parameters not set here.

    Raises
    ------
    ScenarioError
        A value the scenario refuses: outside the field's bounds, or a combination a
        cross-field rule forbids (``min_standoff_m`` not below ``max_standoff_m``); the line
        names the field.
    ValueError
        ``values`` and ``params`` differ in length, or a value is not finite (a caller's bug).
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.shape[0] != len(params):
        raise ValueError(f"{values.shape[0]} values for {len(params)} parameters")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite")
    assignments = [(resolve_path(scenario, p.path, label=label), float(v))
                   for p, v in zip(params, values)]
    variant = scenario.updated(variant_changes(scenario, assignments), label=label)
    set_paths = {p.path for p in params}
    return variant.with_uncertain(tuple(p for p in variant.uncertain if p.path not in set_paths))


def check_extremes(scenario: Scenario, *, source: str | None = None) -> None:
    """Check that each uncertain parameter, alone at either end of its distribution (the
    others at their medians), still gives a valid scenario.

    The field's own bounds hold by truncation; this catches the cross-field rules, e.g.
    ``min_standoff_m`` reaching ``max_standoff_m``. Combinations of several parameters at once
    are not checked here: :func:`apply` reports them.

    Raises
    ------
    ScenarioError
        Names the parameter, its table, the end and the rule it breaks.
    """
    params = scenario.uncertain
    for j, p in enumerate(params):
        for end, u in (("lower", 0.0), ("upper", 1.0)):
            value = float(p.ppf(np.array(u)))
            try:
                apply(scenario, [p], [value], label=source)
            except ScenarioError as exc:
                raise ScenarioError(
                    f"at its {end} end ({value:.6g}) the scenario is invalid: "
                    f"{exc.field + ': ' if exc.field else ''}{exc.message}",
                    file=source or scenario.label, field=p.path, value=p.table,
                    has_value=True) from None


# ---------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------


def distribution_json_schema() -> dict:
    """JSON Schema of one distribution table (a ``oneOf`` over :data:`DISTRIBUTIONS`)."""
    positive = {"type": "number", "exclusiveMinimum": 0}
    variants = []
    for dist, keys in DISTRIBUTIONS.items():
        props: dict[str, Any] = {"dist": {"const": dist}}
        for k in keys:
            props[k] = dict(positive) if k in ("sd", "sd_log", "median") else {"type": "number"}
        variants.append({"type": "object", "title": dist, "properties": props,
                         "required": ["dist", *keys], "additionalProperties": False})
    return {
        "title": "Distribution",
        "description": "An uncertain parameter, truncated to the field's bounds; the scenario "
                       "runs at its median (see forceprot.uncertain).",
        "oneOf": variants,
    }


def admit_distributions(schema: dict) -> dict:
    """``schema`` (the scenario's JSON Schema) with every field that may be uncertain also
    accepting a distribution table (``$defs/Distribution``). Modified in place and returned."""
    defs = schema.setdefault("$defs", {})
    defs["Distribution"] = distribution_json_schema()
    ref = {"$ref": "#/$defs/Distribution"}
    for model in _uncertain_models():
        props = defs.get(model.__name__, {}).get("properties", {})
        for name, info in model.model_fields.items():
            if info.annotation is not float and info.annotation != (float | None):
                continue
            if issubclass(model, _Positioned) and name in _Positioned.model_fields:
                continue
            prop = props.get(name)
            if prop is None:
                continue
            if "anyOf" in prop:
                prop["anyOf"].append(ref)
            else:
                number = {k: prop.pop(k) for k in list(prop)
                          if k not in ("title", "description", "default")}
                prop["anyOf"] = [number, ref]
    return schema


def _uncertain_models() -> list[type[BaseModel]]:
    """Every model reachable from :class:`Scenario` whose fields may be uncertain."""
    seen: list[type[BaseModel]] = []

    def visit(ann: Any) -> None:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if ann in seen or issubclass(ann, Simulation):
                return
            seen.append(ann)
            for info in ann.model_fields.values():
                visit(info.annotation)
            return
        for arg in typing.get_args(ann):
            visit(arg)

    visit(Scenario)
    return seen
