"""The files of ``forceprot optimize --out``: placements (GeoJSON and TOML to paste), the
improvement plot, ``optimize.json`` and the run outputs of the chosen layout, all or nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from forceprot.atomic import write_file_set
from forceprot.studies.optimize import OBJECTIVES, OptimizationResult, Step

__all__ = ["OPTIMIZE_OUTPUTS", "optimize_output_names", "placements_toml", "plot_improvement",
           "write_optimization_outputs"]

#: The files of the optimisation itself (the chosen layout's run outputs come on top).
OPTIMIZE_OUTPUTS = ["placements.geojson", "placements.toml", "improvement.png", "optimize.json"]


def optimize_output_names() -> list[str]:
    """Every file ``forceprot optimize --out`` writes: its own and those of ``forceprot run``."""
    from forceprot.outputs.writer import run_output_names

    return list(dict.fromkeys([*OPTIMIZE_OUTPUTS, *run_output_names(surveillance=True)]))


def placements_toml(result: OptimizationResult) -> str:
    """The chosen units as ``[[defence]]`` tables to paste into the scenario."""
    lines = [f"# Placed by forceprot optimize: objective {result.objective} = "
             f"{result.final_score.value:.4f} on {result.salvos:,} salvos, seed {result.seed}.",
             f"# Class defaults; sites from {result.candidates.source}.", ""]
    for row in result.placements():
        lines += ["[[defence]]", f'kind = "{row["kind"]}"', f'name = "{row["name"]}"',
                  f"lon = {row['lon']:.6f}", f"lat = {row['lat']:.6f}", ""]
    return "\n".join(lines)


def write_optimization_outputs(result: OptimizationResult, out_dir: Path, *,
                               overwrite: bool = False) -> list[Path]:
    """Write ``placements.geojson`` (EPSG:4326), ``placements.toml``, ``improvement.png``,
    ``optimize.json`` and the run outputs of the chosen layout
    (:func:`forceprot.outputs.writer.run_writers`), all or nothing, through
    :func:`forceprot.atomic.write_file_set`.

    Raises
    ------
    OutputError
        As :func:`forceprot.outputs.writer.write_run_outputs`; nothing is written then.
    """
    import geopandas as gpd

    from forceprot.outputs.layers import write_geojson
    from forceprot.outputs.writer import run_writers

    rows = result.placements()
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows],
                                                             [r["lat"] for r in rows]),
                           crs="EPSG:4326")
    toml = placements_toml(result)
    summary = json.dumps(result.summary(), indent=2) + "\n"
    writers = {
        "placements.geojson": lambda p: write_geojson(gdf, p, layer="placements"),
        "placements.toml": lambda p: p.write_text(toml, encoding="utf-8"),
        "improvement.png": lambda p: plot_improvement(result, p),
        "optimize.json": lambda p: p.write_text(summary, encoding="utf-8"),
        # the chosen layout's run, described with the layout scenario the study made
        **run_writers(result.results, result.prepared),
    }
    return write_file_set(out_dir, writers, overwrite=overwrite,
                          replaceable=optimize_output_names())


def plot_improvement(result: OptimizationResult, path: Path) -> None:
    """Objective against step with 95 % intervals: greedy then swap steps, the swap search from
    the MCLP layout, and the MCLP and initial layouts as reference lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    for ref, style, colour, text in (
            (result.initial_score, ":", "0.35", f"initial ({result.initial_label})"),
            (result.mclp_score, "--", "tab:orange", "MCLP layout")):
        if math.isfinite(ref.value):
            ax.axhline(ref.value, ls=style, color=colour, lw=1.2,
                       label=f"{text}: {ref.value:.3f}")
            ax.axhspan(ref.lo, ref.hi, color=colour, alpha=0.08, lw=0)

    def series(steps: list[Step], colour: str, name: str) -> None:
        x = np.array([s.index for s in steps], dtype=float)
        y = np.array([s.score.value for s in steps])
        err = np.vstack([y - np.array([s.score.lo for s in steps]),
                         np.array([s.score.hi for s in steps]) - y])
        ax.plot(x, y, color=colour, lw=1, alpha=0.6)
        for phase, marker in (("start", "s"), ("greedy", "o"), ("swap", "D")):
            m = np.array([s.phase == phase for s in steps])
            if m.any():
                ax.errorbar(x[m], y[m], yerr=err[:, m], fmt=marker, color=colour, capsize=3,
                            ms=5, label=f"{name}: {phase}")

    series(result.greedy_steps, "tab:blue", "greedy")
    if len(result.mclp_steps) > 1:
        series(result.mclp_steps, "tab:orange", "from MCLP")
    n_greedy = sum(s.phase != "swap" for s in result.greedy_steps)
    if n_greedy < len(result.greedy_steps):
        ax.axvline(n_greedy - 0.5, color="0.7", lw=0.8)
    last = result.final_steps[-1]
    ax.plot([last.index], [last.score.value], marker="*", ms=14, color="tab:green", ls="none",
            label=f"chosen: {last.score.value:.3f}", zorder=5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step (0 = start; greedy additions, then swaps)")
    ax.set_ylabel(f"{result.objective} ({OBJECTIVES[result.objective]})")
    ax.set_title(f"{result.scenario_label}: {result.salvos:,} salvos per layout, seed "
                 f"{result.seed}, 95 % intervals", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
