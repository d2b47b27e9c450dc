"""``python -m benchmarks uncertainty``: a 10-parameter Sobol' study of Taji, timed.

The bundled ``sites/taji_uncertain.toml`` has nine uncertain parameters; one more (the second
gun's kill probability) makes ten. The full case runs the
Saltelli design with 64 base samples (64 x 12 = 768 runs) plus the 21 one-at-a-time runs, each
of 2,048 salvos on one seed, in-process on all cores; ``--quick`` runs 4 base samples.
"""

from __future__ import annotations

import time

from rich.table import Table

from benchmarks import scenarios
from benchmarks.common import console, fmt, new_document, target

__all__ = ["run_uncertainty_case", "show_uncertainty_case"]

#: The issue's figure: a 10-parameter Sobol' study of Taji "in minutes" on 2 cores.
TARGET_UNCERTAINTY_S = 600.0
EXTRA = {"defence": [{}, {"p_kill": {"dist": "beta", "mean": 0.7, "sd": 0.1}}, {}]}


def _spec():
    from forceprot.scenario import deep_merge
    from forceprot.studies.executors import ScenarioSpec

    spec = ScenarioSpec.from_file(scenarios.ROOT / "sites" / "taji_uncertain.toml")
    data = dict(spec.data)
    data["defence"] = [deep_merge(u, e) for u, e in zip(data["defence"], EXTRA["defence"])]
    return ScenarioSpec(data=data, path=spec.path, label=spec.label)


def run_uncertainty_case(*, quick: bool) -> dict:
    """Plan and run the study; wall time, runs, rockets per second over the study."""
    from forceprot.studies.uncertainty import plan_uncertainty, run_uncertainty, uncertainty_summary

    doc = new_document("uncertainty", quick=quick)
    n_base = 4 if quick else 64
    salvos = 512 if quick else 2048
    t = time.perf_counter()
    plan = plan_uncertainty(_spec(), n_base=n_base, salvos=salvos)
    plan_s = time.perf_counter() - t
    t = time.perf_counter()
    result = run_uncertainty(plan)
    run_s = time.perf_counter() - t
    summary = uncertainty_summary(result)
    rockets = plan.n_runs * salvos * 24
    doc.update({"parameters": len(plan.params), "n_base": n_base, "runs": plan.n_runs,
                "salvos_per_run": salvos, "plan_s": plan_s, "run_s": run_s,
                "wall_s": plan_s + run_s, "rockets_per_s": rockets / run_s,
                "leak_rate_quantiles": summary["leak_rate_quantiles"],
                "top_parameters": sorted(((p["name"], p["ST"]) for p in summary["parameters"]),
                                         key=lambda x: -(x[1] or 0))[:3]})
    doc["targets"] = [target(f"{len(plan.params)}-parameter Sobol' study, {plan.n_runs} runs",
                             doc["wall_s"], TARGET_UNCERTAINTY_S, unit="s",
                             higher_is_better=False)]
    return doc


def show_uncertainty_case(doc: dict) -> None:
    table = Table(title=f"Uncertainty study: {doc['parameters']} parameters, {doc['runs']} runs "
                        f"x {doc['salvos_per_run']:,} salvos")
    for col in ("plan", "runs", "wall", "rockets/s", "leak rate p05-p95"):
        table.add_column(col, justify="right")
    q = doc["leak_rate_quantiles"]
    table.add_row(fmt(doc["plan_s"], "s"), fmt(doc["run_s"], "s"), fmt(doc["wall_s"], "s"),
                  f"{doc['rockets_per_s']:,.0f}",
                  f"{100 * q['p05']:.1f} %-{100 * q['p95']:.1f} %")
    console.print(table)
