"""Write a run's (or a coverage map's) outputs into a folder, all or nothing.

Every target is checked before the simulation starts (:func:`forceprot.atomic.prepare_out_dir`)
and again at commit: the files are written into a hidden sibling folder that becomes the output
folder only once every one is complete (:func:`forceprot.atomic.write_file_set`). A failure
or a signal part-way leaves the folder as it was; ``overwrite`` replaces an earlier run's folder
whole, so none of its files survive beside the new ones.

Every writer takes the results and then ``prepared``, the scenario and site they were compiled
from: the outputs describe that scenario, and the results carry only arrays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from forceprot.atomic import atomic_write_text, write_file_set
from forceprot.compile import Prepared
from forceprot.results import Results

__all__ = ["COVERAGE_OUTPUTS", "GPKG_OUTPUT", "RUN_LAYERS", "RUN_OUTPUTS", "run_output_names",
           "run_writers", "write_coverage_outputs", "write_run_outputs", "write_summary"]

#: GeoJSON layers of a run, in drawing order; each is also a table of the GeoPackage. Each holds
#: one geometry type: ``defences`` the units (points), ``defence_envelopes`` their sensor,
#: engagement and defended areas (polygons), ``assets`` every asset's hit area (polygon assets
#: as drawn, circle assets as their disks), ``exposure`` the ``[people]`` occupancy areas with
#: their casualties (empty without people).
RUN_LAYERS = ["base", "launch_zone", "leak_grid", "launch_risk", "assets", "exposure",
              "defence_envelopes", "defences", "impacts"]
#: Files ``forceprot run --out DIR`` writes.
RUN_OUTPUTS = ["summary.json", "report.md", "map.png"] + [f"{n}.geojson" for n in RUN_LAYERS]
#: The layer a run with ``[[surveillance]]`` adds: the launch zone no sensor sees.
SURVEILLANCE_LAYERS = ["unwatched"]
#: The GeoPackage ``forceprot run --out DIR --gpkg`` adds.
GPKG_OUTPUT = "forceprot.gpkg"
#: Files ``forceprot coverage --out DIR`` writes.
COVERAGE_OUTPUTS = ["coverage_grid.geojson", "coverage.json", "coverage.png",
                    "coverage_curve.png"]

Writers = dict[str, Callable[[Path], object]]


def run_output_names(*, gpkg: bool = False, surveillance: bool = False) -> list[str]:
    """The files a run writes, with or without the GeoPackage and the surveillance layers."""
    return (RUN_OUTPUTS + [f"{n}.geojson" for n in SURVEILLANCE_LAYERS if surveillance]
            + ([GPKG_OUTPUT] if gpkg else []))


def write_summary(results: Results, prepared: Prepared, path: Path, *,
                  overwrite: bool = True) -> Path:
    """``summary.json``: the run's figures under stable keys."""
    atomic_write_text(path, json.dumps(results.summary(prepared), indent=2) + "\n",
                      overwrite=overwrite)
    return path


def run_writers(results: Results, prepared: Prepared, *, gpkg: bool = False,
                launch_risk=None) -> Writers:
    """``{file name: write(path)}`` for every run output, for :func:`write_file_set` (commands
    that write a run beside their own files merge this with theirs).

    With ``launch_risk`` (:func:`forceprot.studies.launch_risk.launch_risk`), the launch areas
    in the report, the map and ``launch_risk.geojson`` come from that stratified study;
    without it, from the run's own launch cells (enough salvos only for a coarse picture).
    """
    from forceprot.outputs.layers import (
        run_layers,
        stratified_launch_layer,
        stratified_launch_table,
        top_launch_areas,
        write_geojson,
        write_gpkg,
    )
    from forceprot.outputs.mapplot import render_run_map
    from forceprot.outputs.report import run_report_markdown

    layers = run_layers(results, prepared)
    if launch_risk is not None:
        table = stratified_launch_table(results, prepared, launch_risk)
        layers["launch_risk"] = stratified_launch_layer(results, prepared, table)
        top = table[table["in_top_group"]]
    else:
        table = None
        top = top_launch_areas(results, prepared)
    report = run_report_markdown(results, prepared, top_launch=top, map_name="map.png",
                                 launch_table=table)
    summary = json.dumps(results.summary(prepared), indent=2) + "\n"
    writers: Writers = {
        "summary.json": lambda p: p.write_text(summary, encoding="utf-8"),
        "report.md": lambda p: p.write_text(report, encoding="utf-8"),
        "map.png": lambda p: render_run_map(results, prepared, p, top_launch=top,
                                            launch_table=table),
    }
    for name in RUN_LAYERS + [n for n in SURVEILLANCE_LAYERS if n in layers]:
        writers[f"{name}.geojson"] = lambda p, name=name: write_geojson(layers[name], p, layer=name)
    if gpkg:
        writers[GPKG_OUTPUT] = lambda p: write_gpkg(layers, p)
    return writers


def write_run_outputs(results: Results, prepared: Prepared, out_dir: Path, *,
                      overwrite: bool = False, gpkg: bool = False,
                      launch_risk=None) -> list[Path]:
    """Write every run output into ``out_dir`` (:data:`RUN_OUTPUTS`, and the GeoPackage if asked).

    Parameters
    ----------
    results : Results
        The run.
    prepared : Prepared
        The scenario and site the run was compiled from, which the outputs describe.
    out_dir : Path
        Folder; created at commit if its parent exists. Must be absent or empty, or hold only
        an earlier run's files with ``overwrite``.
    overwrite : bool
        Replace an earlier run's folder whole (a GeoPackage it held goes too).
    gpkg : bool
        Also write :data:`GPKG_OUTPUT` with every layer as a named table.
    launch_risk : LaunchRisk, optional
        The stratified launch-area study (see :func:`run_writers`).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        The folder cannot be written, holds files a run does not write, or (without
        ``overwrite``) is not empty at commit time; nothing is written then.
    """
    return write_file_set(out_dir, run_writers(results, prepared, gpkg=gpkg,
                                               launch_risk=launch_risk),
                          overwrite=overwrite,
                          replaceable=run_output_names(gpkg=True, surveillance=True))


def write_coverage_outputs(coverage, prepared: Prepared, out_dir: Path, *,
                           overwrite: bool = False) -> list[Path]:
    """Write :data:`COVERAGE_OUTPUTS` of a :class:`forceprot.studies.coverage.Coverage`, made
    for the scenario ``prepared``, into ``out_dir``.

    Raises
    ------
    OutputError
        As :func:`write_run_outputs`.
    """
    from forceprot.outputs.layers import coverage_grid_layer, write_geojson
    from forceprot.outputs.charts import plot_coverage_curve
    from forceprot.outputs.mapplot import render_coverage_map

    grid = coverage_grid_layer(coverage, prepared)
    summary = json.dumps(coverage.summary(), indent=2) + "\n"
    return write_file_set(out_dir, {
        "coverage_grid.geojson": lambda p: write_geojson(grid, p, layer="coverage_grid"),
        "coverage.json": lambda p: p.write_text(summary, encoding="utf-8"),
        "coverage.png": lambda p: render_coverage_map(coverage, prepared, p),
        "coverage_curve.png": lambda p: plot_coverage_curve(coverage, prepared, p),
    }, overwrite=overwrite)
