"""Write a run's (or a coverage map's) outputs into a folder, all or nothing.

Every target is checked before anything is written (:func:`prepare_out_dir`: the folder can be
written, no file would be replaced without ``overwrite``). Each file is then written to a temp
file beside its target; only when every one is complete are they moved into place, so a failure
part-way leaves the folder as it was.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Callable

from forceprot.outputs.files import atomic_path, atomic_write_text, prepare_out_dir
from forceprot.results import Results

__all__ = ["COVERAGE_OUTPUTS", "GPKG_OUTPUT", "RUN_LAYERS", "RUN_OUTPUTS", "run_output_names",
           "write_coverage_outputs", "write_run_outputs", "write_summary"]

#: GeoJSON layers of a run, in drawing order; each is also a table of the GeoPackage.
RUN_LAYERS = ["base", "launch_zone", "leak_grid", "launch_risk", "defences", "impacts"]
#: Files ``forceprot run --out DIR`` writes.
RUN_OUTPUTS = ["summary.json", "report.md", "map.png"] + [f"{n}.geojson" for n in RUN_LAYERS]
#: The GeoPackage ``forceprot run --out DIR --gpkg`` adds.
GPKG_OUTPUT = "forceprot.gpkg"
#: Files ``forceprot coverage --out DIR`` writes.
COVERAGE_OUTPUTS = ["coverage_grid.geojson", "coverage.json", "coverage.png"]


def run_output_names(*, gpkg: bool = False) -> list[str]:
    """The files a run writes, with or without the GeoPackage."""
    return RUN_OUTPUTS + ([GPKG_OUTPUT] if gpkg else [])


def write_summary(results: Results, path: Path, *, overwrite: bool = True) -> Path:
    """``summary.json``: the run's figures under stable keys."""
    atomic_write_text(path, json.dumps(results.summary(), indent=2) + "\n", overwrite=overwrite)
    return path


def _write_all(out_dir: Path, writers: dict[str, Callable[[Path], None]], *,
               overwrite: bool) -> list[Path]:
    """Call each ``writers[name](temp_path)``; move every temp file into place once all are done."""
    out_dir = prepare_out_dir(out_dir, list(writers), overwrite=overwrite)
    with contextlib.ExitStack() as stack:
        for name, write in writers.items():
            write(stack.enter_context(atomic_path(out_dir / name, overwrite=overwrite)))
    return [out_dir / name for name in writers]


def write_run_outputs(results: Results, out_dir: Path, *, overwrite: bool = False,
                      gpkg: bool = False) -> list[Path]:
    """Write every run output into ``out_dir`` (:data:`RUN_OUTPUTS`, and the GeoPackage if asked).

    Parameters
    ----------
    results : Results
        The run.
    out_dir : Path
        Folder; created if its parent exists.
    overwrite : bool
        Replace existing files of the same names.
    gpkg : bool
        Also write :data:`GPKG_OUTPUT` with every layer as a named table.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        The folder cannot be written, or a file exists and ``overwrite`` is False; nothing is
        written then.
    """
    from forceprot.outputs.layers import run_layers, top_launch_areas, write_geojson, write_gpkg
    from forceprot.outputs.mapplot import render_run_map
    from forceprot.outputs.report import run_report_markdown

    prepare_out_dir(out_dir, run_output_names(gpkg=gpkg), overwrite=overwrite)
    layers = run_layers(results)
    top = top_launch_areas(results)
    report = run_report_markdown(results, top_launch=top, map_name="map.png")
    summary = json.dumps(results.summary(), indent=2) + "\n"
    writers: dict[str, Callable[[Path], None]] = {
        "summary.json": lambda p: p.write_text(summary, encoding="utf-8"),
        "report.md": lambda p: p.write_text(report, encoding="utf-8"),
        "map.png": lambda p: render_run_map(results, p, top_launch=top),
    }
    for name in RUN_LAYERS:
        writers[f"{name}.geojson"] = lambda p, name=name: write_geojson(layers[name], p, layer=name)
    if gpkg:
        writers[GPKG_OUTPUT] = lambda p: write_gpkg(layers, p)
    return _write_all(out_dir, writers, overwrite=overwrite)


def write_coverage_outputs(coverage, out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Write :data:`COVERAGE_OUTPUTS` of a :class:`forceprot.coverage.Coverage` into ``out_dir``.

    Raises
    ------
    OutputError
        As :func:`write_run_outputs`.
    """
    from forceprot.outputs.layers import coverage_grid_layer, write_geojson
    from forceprot.outputs.mapplot import render_coverage_map

    prepare_out_dir(out_dir, COVERAGE_OUTPUTS, overwrite=overwrite)
    grid = coverage_grid_layer(coverage)
    summary = json.dumps(coverage.summary(), indent=2) + "\n"
    return _write_all(out_dir, {
        "coverage_grid.geojson": lambda p: write_geojson(grid, p, layer="coverage_grid"),
        "coverage.json": lambda p: p.write_text(summary, encoding="utf-8"),
        "coverage.png": lambda p: render_coverage_map(coverage, p),
    }, overwrite=overwrite)
