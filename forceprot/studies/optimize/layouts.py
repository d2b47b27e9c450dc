"""Layouts (units on candidate sites), their kernel inputs, and their scores.

A layout is a tuple of :class:`Placement`; its new units follow the scenario's fixed units, so
the unit at index ``j`` keeps its kill draws wherever it stands (common random numbers).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from forceprot.catalog.defences import DEFENCE_CLASSES, DEFENCE_KINDS
from forceprot.compile import CompiledScenario, Prepared, Provenance
from forceprot.engage.state import Units
from forceprot.terrain import stack_horizons, unit_horizons
from forceprot.kernel import tally as T
from forceprot.results import Results
from forceprot.stats import Estimate, finite_or_none, mean_estimate

__all__ = ["KINDS", "KIND_LABEL", "Layout", "OBJECTIVES", "PerSalvo", "Placement", "Score",
           "layout_compiled", "layout_scored_compiled", "layout_units",
           "objective_estimate", "per_salvo", "score_results", "unit_names"]

#: Objectives, with what they measure.
OBJECTIVES = {
    "leak_rate": "leaked / threatening rockets [-]",
    "p_any_leak": "P(a salvo puts >= 1 leaker inside the base) [-]",
    "asset_risk": "weighted asset hits per salvo [-]",
    "casualties": "expected killed or wounded per salvo, with [people] [persons]",
}
#: Unit kinds that can be placed, and how they are named.
KINDS = DEFENCE_KINDS
KIND_LABEL = {"cram": "C-RAM", "patriot": "Patriot", "iron_dome": "Iron Dome"}


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
    weighted asset hits, and expected casualties (killed or wounded, weighted over the attack
    hours; 0 without people).
    """

    threat: np.ndarray
    leaked: np.ndarray
    any_leak: np.ndarray
    asset_risk: np.ndarray
    casualties: np.ndarray


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


@functools.cache
def _class_default_row(kind: str) -> tuple[int, np.ndarray]:
    """Kernel kind code and parameter row of a class-default unit of ``kind``.

    A placed unit is a class default: its row depends on neither its name nor its position, so
    it is made once per process. Read-only, so that no caller can change the cached row.
    """
    cls = DEFENCE_CLASSES[kind]
    row = cls().parameter_row()
    row.setflags(write=False)
    return int(cls.kind_code), row


def layout_units(base: CompiledScenario, base_prepared: Prepared, candidates_xy: np.ndarray,
                 layout: Layout) -> Units:
    """The kernel's unit bundle for ``layout``: ``base``'s units, then the layout's, in order.

    Built straight from the catalog classes (:meth:`parameter_row`, ``kind_code``), without
    validating a scenario: this runs for every layout the search evaluates. The rows and
    positions are those :func:`layout_compiled` makes through a validated scenario.

    Parameters
    ----------
    base : CompiledScenario
        The scenario with its fixed units only.
    base_prepared : Prepared
        What ``base`` was compiled from: its site's terrain masks the new units.
    candidates_xy : ndarray, float64, shape (n_sites, 2)
        Candidate positions in the local CRS [m].
    layout : tuple of Placement
        The new units.

    Returns
    -------
    Units
        ``kind`` int64 (n_units,), ``xy_m`` float64 (n_units, 2) [m], ``par`` float64
        (n_units, N_PAR) in SI units and radians; C-contiguous; ``horizon`` the fixed units'
        masking tables, then those of the new units over the site's terrain (if any).
    """
    fixed = base.inputs.units
    xy = candidates_xy[[p.site for p in layout]].reshape(-1, 2)
    rows = [_class_default_row(p.kind) for p in layout]
    kind = np.concatenate([fixed.kind, np.array([k for k, _ in rows], dtype=np.int64)])
    par = np.ascontiguousarray(np.vstack([fixed.par.reshape(-1, fixed.par.shape[-1]),
                                          *[r for _, r in rows]]), dtype=np.float64)
    unit_xy = np.ascontiguousarray(np.vstack([fixed.xy_m.reshape(-1, 2), xy]), dtype=np.float64)
    n_fixed = len(fixed.kind)
    placed = unit_horizons(base_prepared.site.terrain, unit_xy[n_fixed:], par[n_fixed:])
    return fixed._replace(kind=kind, xy_m=unit_xy, par=par,
                          horizon=stack_horizons(fixed.horizon, placed))


def layout_compiled(base: CompiledScenario, base_prepared: Prepared, candidates_xy: np.ndarray,
                    layout: Layout, fixed_names: tuple[str, ...]
                    ) -> tuple[Prepared, CompiledScenario]:
    """``base`` with the layout's units appended after its own, as a validated scenario.

    For outputs (unit names, the defences layer, ``summary.json``): the new units (class
    defaults, named by :func:`unit_names`, at the lon/lat of their candidate sites) are validated
    through :meth:`Scenario.updated`. The kernel inputs are :func:`layout_units`: positions are
    the candidate positions [m] exactly, not the lon/lat round trip. Scoring needs only the
    kernel inputs (:func:`layout_scored_compiled`).

    Returns
    -------
    prepared : Prepared
        The layout's scenario and site (``base_prepared`` with the new units): what the outputs
        of a run of ``compiled`` describe.
    compiled : CompiledScenario
        ``base`` with the layout's units, its provenance naming them.
    """
    scenario = base_prepared.scenario
    site = base_prepared.site
    xy = candidates_xy[[p.site for p in layout]].reshape(-1, 2)
    lon, lat = site.xy_to_lonlat(xy[:, 0], xy[:, 1])
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    new = [{"kind": p.kind, "name": name, "lon": float(lon[i]), "lat": float(lat[i])}
           for i, (p, name) in enumerate(zip(layout, unit_names(layout, fixed_names)))]
    layout_scenario = scenario.updated(
        {"defence": [u.model_dump() for u in scenario.defence] + new})
    units = layout_units(base, base_prepared, candidates_xy, layout)
    prepared = Prepared(scenario=layout_scenario,
                        site=dataclasses.replace(site, unit_xy_m=units.xy_m))
    compiled = dataclasses.replace(base, provenance=Provenance.of(layout_scenario))
    return prepared, compiled.with_inputs(units=units)


def layout_scored_compiled(base: CompiledScenario, base_prepared: Prepared,
                           candidates_xy: np.ndarray, layout: Layout) -> CompiledScenario:
    """``base`` with only its unit bundle replaced by :func:`layout_units`: enough to sample and
    score a layout (tallies, per-salvo figures).

    Its ``provenance`` still names ``base``'s units (the fixed units only), so its unit names
    and per-unit results do not cover the new units: use :func:`layout_compiled` for outputs.
    """
    return base.with_inputs(units=layout_units(base, base_prepared, candidates_xy, layout))


def objective_estimate(results: Results, objective: str) -> Estimate:
    """The objective's estimate and 95 % interval from a run."""
    if objective == "leak_rate":
        return results.leak_rate
    if objective == "p_any_leak":
        return results.p_any_leak
    if objective == "casualties":
        killed, wounded = results.expected_killed_per_salvo, results.expected_wounded_per_salvo
        n = results.salvos
        # the sum's own interval needs the killed x wounded cross-product, which the tallies do
        # not keep: from the stories when they hold every salvo, else the sum of the two
        # intervals (never narrower than the truth: half-widths add at most linearly)
        if results.story.shape[0] >= n * results.compiled.tubes and n > 1:
            cas = per_salvo(results).casualties
            return mean_estimate(float(cas.sum()), float((cas * cas).sum()), float(len(cas)))
        return Estimate(killed.value + wounded.value, killed.lo + wounded.lo,
                        killed.hi + wounded.hi, n=killed.n, n_eff=killed.n_eff)
    return results.asset_risk_per_salvo


def per_salvo(results: Results) -> PerSalvo:
    """Per-salvo figures from a run that recorded every salvo's rockets (``story_salvos`` at
    least the salvos sampled).

    Mirrors the kernel's tallies: a leaker is a rocket landing inside the base and not killed;
    it hits an asset if it lands within a circle asset's radius or inside a polygon asset
    (:func:`forceprot.kernel.record.assets_contain`).
    """
    from forceprot.kernel.record import assets_contain

    story = results.story
    tubes = results.compiled.tubes
    fired = np.isfinite(story[:, T.R_SALVO]).reshape(-1, tubes)[:, 0]
    rows = story.reshape(-1, tubes, T.N_STORY)[fired]
    inside = rows[:, :, T.R_INSIDE] > 0.5
    leak = inside & ~(rows[:, :, T.R_INTERCEPTED] > 0.5)
    risk = np.zeros(len(rows))
    assets = results.compiled.inputs.assets
    if assets.xy_m.shape[0]:
        hit = assets_contain(assets, np.ascontiguousarray(rows[:, :, T.R_IMPACT_X].ravel()),
                             np.ascontiguousarray(rows[:, :, T.R_IMPACT_Y].ravel()))
        for a in range(assets.xy_m.shape[0]):
            risk += assets.weight[a] * (leak & hit[a].reshape(leak.shape)).sum(axis=1)
    leaked = leak.sum(axis=1).astype(np.float64)
    # R_CASUALTIES: each rocket's expected killed or wounded (the kernel's, NaN-free: 0 for a
    # rocket killed or near nobody)
    casualties = np.nan_to_num(rows[:, :, T.R_CASUALTIES]).sum(axis=1)
    return PerSalvo(threat=inside.sum(axis=1).astype(np.float64), leaked=leaked,
                    any_leak=(leaked > 0).astype(np.float64), asset_risk=risk,
                    casualties=casualties)


def score_results(results: Results, objective: str, *, with_per_salvo: bool) -> Score:
    est = objective_estimate(results, objective)
    return Score(objective=objective, value=float(est.value), lo=float(est.lo), hi=float(est.hi),
                 leak_rate=float(results.leak_rate.value), salvos=int(results.salvos),
                 per_salvo=per_salvo(results) if with_per_salvo else None)
