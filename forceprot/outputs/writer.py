"""Write a run's outputs into a folder, atomically, refusing to overwrite unless asked."""

from __future__ import annotations

import json
from pathlib import Path

from forceprot.outputs.files import atomic_write_text, prepare_out_dir
from forceprot.results import Results

__all__ = ["RUN_OUTPUTS", "write_run_outputs", "write_summary"]

#: Files ``forceprot run --out DIR`` writes.
RUN_OUTPUTS = ["summary.json"]


def write_summary(results: Results, path: Path, *, overwrite: bool = True) -> Path:
    """``summary.json``: the run's figures under stable keys."""
    atomic_write_text(path, json.dumps(results.summary(), indent=2) + "\n", overwrite=overwrite)
    return path


def write_run_outputs(results: Results, out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Write every run output into ``out_dir``; checks all targets before writing any."""
    out_dir = prepare_out_dir(out_dir, RUN_OUTPUTS, overwrite=overwrite)
    return [write_summary(results, out_dir / "summary.json", overwrite=overwrite)]
