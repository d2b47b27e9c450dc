"""What an optimisation returns: every step, the baseline, the comparisons, the final run,
and the stable summary written as ``optimize.json``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forceprot.compile import Prepared
from forceprot.geo import SiteGeometry
from forceprot.results import Results
from forceprot.stats import Estimate, finite_or_none
from forceprot.studies.optimize.candidates import Candidates
from forceprot.studies.optimize.layouts import KIND_LABEL, OBJECTIVES, Layout, Score, unit_names
from forceprot.studies.optimize.mclp import MclpSolution
from forceprot.studies.optimize.search import Step

__all__ = ["OptimizationResult"]

@dataclass
class OptimizationResult:
    """A placement optimisation: settings, every step, the baseline, the comparisons, and the
    full run of the chosen layout.

    Attributes
    ----------
    results : Results
        The chosen layout sampled on the full sample, with the scenario's stories, for the usual
        run outputs.
    prepared : Prepared
        The chosen layout as a scenario and its site (the fixed units, then the placed ones):
        what ``results`` were compiled from, which the run outputs describe. The study made
        this scenario, so it hands it back beside the run.
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
    prepared: Prepared
    executor: str
    layout_runs: int
    salvos_sampled: int
    timings_s: dict
    min_gain: float = 0.0
    #: Parameter draws each layout's score averaged over (0: the scenario as given).
    robust_draws: int = 0

    @property
    def site(self) -> SiteGeometry:
        return self.prepared.site

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
            # >0: each layout scored by its objective averaged over this many parameter draws
            "robust_draws": self.robust_draws,
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
