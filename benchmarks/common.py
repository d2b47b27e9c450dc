"""What every benchmark case shares: the machine, targets, JSON results, timing, tables.

Each case returns a document (a dict) with its settings, its measurements and a list of
``targets`` (name, target, measured, unit, pass); :func:`write_result` writes it atomically to
``<results>/<case>.json`` (``<case>.quick.json`` for a ``--quick`` smoke run, which the README
never shows). Nothing here asserts a timing.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numba
import numpy as np
from rich.console import Console
from rich.table import Table

from forceprot.atomic import atomic_write_text

__all__ = [
    "RESULTS",
    "console",
    "cpu_s",
    "fmt",
    "load_average",
    "machine",
    "new_document",
    "read_proc_status_kb",
    "repeat",
    "result_path",
    "target",
    "targets_table",
    "verdict",
    "write_result",
]

#: Default folder of the JSON results.
RESULTS = Path(__file__).resolve().parent / "results"

console = Console(width=120)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_s() -> float:
    """CPU time of this process, all threads, user + system [s]."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_average() -> float | None:
    """1-minute load average (runnable processes; above the core count, runs share cores)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def machine() -> dict:
    """Where the figures came from: cores, CPU model, library versions."""
    import shapely

    return {
        "nproc": os.cpu_count(),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "numba_threading_layer": numba.config.THREADING_LAYER,
        "cpu_model": _cpu_model(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": np.__version__,
        "shapely": shapely.__version__,
        "load_average_1min_at_start": load_average(),
    }


def new_document(case: str, *, quick: bool) -> dict:
    return {"case": case, "quick": quick,
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "targets": []}


def target(name: str, measured: float | None, goal: float, *, unit: str, higher_is_better: bool,
           note: str = "") -> dict:
    """One figure against its target; ``pass`` is None when it was not measured."""
    ok = None if measured is None else (measured >= goal if higher_is_better else measured <= goal)
    return {"name": name, "measured": measured, "target": goal, "unit": unit,
            "comparison": ">=" if higher_is_better else "<=", "pass": ok, "note": note}


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if unit in ("rockets/s", "salvos/s"):
        return f"{value:,.0f} {unit}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "pp":
        return f"{value:.3f} pp"
    if unit == "MB":
        return f"{value:.1f} MB"
    if isinstance(value, float):
        return f"{value:.3g} {unit}".strip()
    return f"{value} {unit}".strip()


def targets_table(doc: dict, title: str) -> Table:
    """Rich table of a document's targets with PASS/MISS."""
    table = Table(title=title)
    for col in ("figure", "measured", "target", "verdict", "note"):
        table.add_column(col, justify="left" if col in ("figure", "note") else "right")
    for t in doc["targets"]:
        v = verdict(t["pass"])
        style = {"PASS": "green", "MISS": "red"}.get(v, "")
        table.add_row(t["name"], fmt(t["measured"], t["unit"]),
                      f"{t['comparison']} {fmt(t['target'], t['unit'])}",
                      f"[{style}]{v}[/{style}]" if style else v, t.get("note", ""))
    return table


def result_path(results: Path, case: str, *, quick: bool) -> Path:
    return Path(results) / (f"{case}.quick.json" if quick else f"{case}.json")


def write_result(doc: dict, results: Path) -> Path:
    """Write a case's document to ``<results>/<case>[.quick].json`` atomically."""
    doc["machine"]["load_average_1min_at_end"] = load_average()
    path = result_path(results, doc["case"], quick=doc["quick"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=False) + "\n", overwrite=True)
    return path


def repeat(fn: Callable[[], object], n: int) -> dict:
    """Time ``n`` calls of ``fn`` (its return value is dropped).

    Returns best, median and all durations [s].
    """
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"best_s": min(times), "median_s": statistics.median(times), "all_s": times}


def read_proc_status_kb(*keys: str) -> dict:
    """Fields of /proc/self/status in kB (VmRSS, VmHWM), or {} off Linux."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name in keys:
                    out[name] = int(rest.split()[0])
    except OSError:
        pass
    return out
