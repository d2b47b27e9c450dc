"""Charts that are not maps: the coverage curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_coverage_curve"]


def plot_coverage_curve(coverage, prepared, path: Path) -> None:
    """``coverage_curve.png``: share of the base (and of each asset's disk) whose P(intercept)
    is at least each threshold, the estimate and the conservative (95 % lower bound) share,
    with the chosen threshold marked. ``prepared``: the scenario the map was made for (its site
    names the chart)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.6), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    t = np.array([c[0] for c in coverage.curve])
    ax.plot(t, [c[1] for c in coverage.curve], color="k", lw=2, label="base: cell estimate")
    ax.plot(t, [c[2] for c in coverage.curve], color="k", lw=1, ls="--",
            label="base: 95 % lower bound (conservative)")
    for asset in coverage.assets:
        if asset.curve:
            ax.plot(t, [c[1] for c in asset.curve], lw=1.2, label=f"asset: {asset.name}")
    ax.axvline(coverage.threshold, color="tab:red", lw=1, ls=":",
               label=f"threshold {coverage.threshold:g}: {coverage.covered_share:.0%} covered")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("threshold on P(a rocket landing in the cell is intercepted)")
    ax.set_ylabel("share of the area covered")
    sc = prepared.scenario
    ax.set_title(f"{sc.site.name}: coverage curve (mean P(intercept) "
                 f"{coverage.p_intercept_mean:.0%})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, format="png")
