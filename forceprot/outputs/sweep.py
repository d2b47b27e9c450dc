"""The files of a sweep: ``sweep.csv``, ``sweep.parquet`` and ``sweep.png``, all or nothing."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from forceprot.atomic import write_file_set
from forceprot.studies.sweep import SweepResult

__all__ = ["SWEEP_OUTPUTS", "has_parquet", "plot_sweep", "sweep_output_names",
           "write_sweep_outputs"]

#: Every file a sweep can write (Parquet only with pyarrow).
SWEEP_OUTPUTS = ["sweep.csv", "sweep.parquet", "sweep.png"]


def has_parquet() -> bool:
    """Whether pyarrow (for Parquet output) is installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def sweep_output_names() -> list[str]:
    """The files :func:`write_sweep_outputs` writes here."""
    return [n for n in SWEEP_OUTPUTS if n != "sweep.parquet" or has_parquet()]


def write_sweep_outputs(result: SweepResult, out_dir: Path, *,
                        overwrite: bool = False) -> tuple[list[Path], list[str]]:
    """Write ``sweep.csv``, ``sweep.parquet`` (if pyarrow is installed) and ``sweep.png``, all
    or nothing, through :func:`forceprot.atomic.write_file_set`.

    Returns
    -------
    written : list of Path
    notes : list of str
        What was left out and why (Parquet without pyarrow).

    Raises
    ------
    OutputError
        The folder cannot be written or replaced; nothing is written then.
    """
    names = sweep_output_names()
    notes = []
    writers = {"sweep.csv": lambda p: result.table.to_csv(p, index=False)}
    if "sweep.parquet" in names:
        table = result.table.copy()
        for col in table.columns:  # a swept column mixing strings and numbers: store as text
            if table[col].dtype == object:
                table[col] = table[col].astype(str)
        writers["sweep.parquet"] = lambda p: table.to_parquet(p, index=False)
    else:
        notes.append("sweep.parquet not written: pyarrow is not installed (CSV only)")
    writers["sweep.png"] = lambda p: plot_sweep(result, p)
    written = write_file_set(out_dir, writers, overwrite=overwrite, replaceable=SWEEP_OUTPUTS)
    return written, notes


def plot_sweep(result: SweepResult, path: Path) -> None:
    """Leak rate with its 95 % interval against the first swept parameter, one line per value
    of the others."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result.table
    first = result.settings[0]
    others = result.settings[1:]
    xs = list(first.values)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    groups = [()] if not others else list(itertools.product(*(s.values for s in others)))
    n_groups = len(groups)
    for g, combo in enumerate(groups):
        mask = np.ones(len(table), dtype=bool)
        for s, v in zip(others, combo):
            mask &= table[s.path].map(repr).to_numpy() == repr(v)
        sub = table[mask]
        order = [xs.index(v) for v in sub[first.path]]
        sub = sub.iloc[np.argsort(order)]
        if numeric:
            x = sub[first.path].to_numpy(dtype=float)
        else:  # categories, nudged apart so the interval bars do not hide each other
            x = np.sort(order) + (g - (n_groups - 1) / 2) * 0.08
        y = sub["leak_rate"].to_numpy(dtype=float)
        err = np.vstack([y - sub["leak_rate_lo"].to_numpy(dtype=float),
                         sub["leak_rate_hi"].to_numpy(dtype=float) - y])
        label = ", ".join(f"{s.path} = {v}" for s, v in zip(others, combo)) or None
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=label)
    if not numeric:
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_xlabel(first.path)
    ax.set_ylabel("leak rate (leaked / threatening rockets)")
    ax.margins(y=0.15)
    ax.grid(alpha=0.3)
    ax.set_title(f"Sweep: {result.salvos:,} salvos per point, seed {result.seed}, 95 % intervals",
                 fontsize=10)
    if others:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
