"""The files of ``forceprot uncertainty --out``: ``uncertainty.json``, ``uncertainty.md`` and
``uncertainty.png`` (tornado of one-at-a-time swings beside the Sobol' or Morris indices), all
or nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from forceprot.atomic import write_file_set
from forceprot.studies.uncertainty import (
    MEASURES,
    PROBABILITY_MEASURES,
    UncertaintyResult,
    uncertainty_summary,
)

__all__ = ["UNCERTAINTY_OUTPUTS", "plot_uncertainty", "uncertainty_markdown",
           "write_uncertainty_outputs"]

UNCERTAINTY_OUTPUTS = ["uncertainty.json", "uncertainty.md", "uncertainty.png"]


def _pct(x) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def _num(x, digits: int = 2) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _ci(pair) -> str:
    lo, hi = pair
    return "n/a" if lo is None or hi is None else f"[{lo:.2f}, {hi:.2f}]"


def uncertainty_markdown(result: UncertaintyResult) -> str:
    """``uncertainty.md``: what the parameters do to the answer, in a planner's words."""
    s = uncertainty_summary(result)
    plan = result.plan
    q = s["leak_rate_quantiles"]
    spread = s["measures"]["leak_rate"]["spread"]
    lines = [
        f"# Uncertainty: {plan.spec.label}", "",
        f"{s['runs']:,} runs of {s['salvos_per_run']:,} salvos each on one seed ({s['seed']}: "
        "common random numbers, so runs differ only by their parameters); "
        f"{'Saltelli design, Sobol indices' if plan.method == 'sobol' else 'Morris screening'}"
        f" with {plan.n_base} base samples.", "",
        "## The answer under parameter uncertainty", "",
        f"Leak rate: median **{_pct(q['p50'])}**, 90 % of parameter draws between "
        f"**{_pct(q['p05'])} and {_pct(q['p95'])}** (all parameters at their medians: "
        f"{_pct(s['leak_rate_at_medians'])}). Across draws the leak rate varies by "
        f"{_pct(spread['sd_parameters'])} (one standard deviation, parameters alone); one run's "
        f"Monte Carlo error is {_pct(spread['mc_se'])}. The interval `forceprot run` prints is "
        "that Monte Carlo error only; this band is what the assumptions below are worth.", "",
        "| measure | at medians | 5th pct | median | 95th pct |", "|---|---|---|---|---|"]
    for m, label in MEASURES.items():
        if m not in s["measures"]:
            continue
        mq = s["measures"][m]["quantiles"]
        fmt = _pct if m in PROBABILITY_MEASURES else _num
        lines.append(f"| {label} | {fmt(s['measures'][m]['at_medians'])} | {fmt(mq['p05'])} | "
                     f"{fmt(mq['p50'])} | {fmt(mq['p95'])} |")
    lines += ["", "## Which parameters matter (leak rate)", ""]
    if plan.method == "sobol":
        lines += ["S1: share of the leak rate's variance a parameter explains alone; ST: with "
                  "all its interactions (bootstrap 95 % intervals). A parameter with ST near 0 "
                  "can be left at any value in its range. Swing: leak rate with the parameter at "
                  "its 5th / 95th percentile, the others at their medians.", "",
                  "| parameter | S1 | S1 95 % | ST | ST 95 % | swing p05 → p95 |",
                  "|---|---|---|---|---|---|"]
        rows = sorted(s["parameters"], key=lambda r: -(r["ST"] or 0.0))
        for r in rows:
            lines.append(f"| `{r['name']}` | {_num(r['S1'])} | {_ci(r['S1_ci'])} | "
                         f"{_num(r['ST'])} | {_ci(r['ST_ci'])} | {_pct(r['swing_p05'])} → "
                         f"{_pct(r['swing_p95'])} |")
    else:
        lines += ["mu*: mean absolute elementary effect on the leak rate of moving a parameter "
                  "across its range (Morris screening; bootstrap 95 % interval); sigma: how much "
                  "that effect depends on the other parameters.", "",
                  "| parameter | mu* | mu* 95 % | sigma | swing p05 → p95 |", "|---|---|---|---|---|"]
        rows = sorted(s["parameters"], key=lambda r: -(r["mu_star"] or 0.0))
        for r in rows:
            lines.append(f"| `{r['name']}` | {_num(r['mu_star'], 3)} | {_ci(r['mu_star_ci'])} | "
                         f"{_num(r['sigma'], 3)} | {_pct(r['swing_p05'])} → "
                         f"{_pct(r['swing_p95'])} |")
    lines += ["", "## The distributions", ""] + [f"- `{d}`" for d in s["uncertain_parameters"]]
    if s["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in s["notes"]]
    return "\n".join(lines) + "\n"


def plot_uncertainty(result: UncertaintyResult, path: Path) -> None:
    """Tornado of the one-at-a-time swings of the leak rate (left) and the sensitivity indices
    (right), parameters sorted by total effect."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = uncertainty_summary(result)
    rows = s["parameters"]
    key = "ST" if result.plan.method == "sobol" else "mu_star"
    rows = sorted(rows, key=lambda r: (r[key] or 0.0))
    names = [r["name"] for r in rows]
    y = np.arange(len(rows))
    centre = s["leak_rate_at_medians"] or 0.0
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 1.2 + 0.45 * len(rows)), dpi=120,
                                   sharey=True)
    for i, r in enumerate(rows):
        lo, hi = (r["swing_p05"] or centre), (r["swing_p95"] or centre)
        ax1.barh(i, lo - centre, left=centre, color="tab:blue", alpha=0.8,
                 label="at 5th percentile" if i == 0 else None)
        ax1.barh(i, hi - centre, left=centre, color="tab:red", alpha=0.8,
                 label="at 95th percentile" if i == 0 else None)
    ax1.axvline(centre, color="k", lw=1)
    ax1.set_yticks(y, names, fontsize=8)
    ax1.set_xlabel("leak rate")
    ax1.set_title("one at a time (others at medians)", fontsize=9)
    ax1.legend(fontsize=7, loc="lower right")
    if result.plan.method == "sobol":
        for offset, k, colour, label in ((-0.18, "S1", "tab:gray", "S1 (alone)"),
                                         (0.18, "ST", "tab:green", "ST (with interactions)")):
            v = np.array([r[k] or 0.0 for r in rows])
            lo = np.array([(r[k + "_ci"][0] if r[k + "_ci"][0] is not None else 0.0)
                           for r in rows])
            hi = np.array([(r[k + "_ci"][1] if r[k + "_ci"][1] is not None else 0.0)
                           for r in rows])
            ax2.barh(y + offset, v, height=0.34, color=colour, label=label,
                     xerr=np.vstack([np.maximum(v - lo, 0), np.maximum(hi - v, 0)]), capsize=2)
        ax2.set_xlabel("Sobol' index of the leak rate")
        ax2.set_xlim(left=0)
    else:
        v = np.array([r["mu_star"] or 0.0 for r in rows])
        ax2.barh(y, v, color="tab:green", label="mu*")
        ax2.set_xlabel("Morris mu* (leak rate)")
    ax2.legend(fontsize=7, loc="lower right")
    ax2.set_title("global sensitivity (95 % bootstrap)", fontsize=9)
    q = s["leak_rate_quantiles"]
    fig.suptitle(f"{result.plan.spec.label}: leak rate {_pct(q['p05'])} to {_pct(q['p95'])} "
                 f"(5th-95th pct over parameters), {s['runs']:,} runs", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def write_uncertainty_outputs(result: UncertaintyResult, out_dir: Path, *,
                              overwrite: bool = False) -> list[Path]:
    """Write :data:`UNCERTAINTY_OUTPUTS` into ``out_dir``, all or nothing."""
    summary = json.dumps(uncertainty_summary(result), indent=2) + "\n"
    text = uncertainty_markdown(result)
    writers = {"uncertainty.json": lambda p: p.write_text(summary, encoding="utf-8"),
               "uncertainty.md": lambda p: p.write_text(text, encoding="utf-8"),
               "uncertainty.png": lambda p: plot_uncertainty(result, p)}
    return write_file_set(out_dir, writers, overwrite=overwrite, replaceable=UNCERTAINTY_OUTPUTS)
