"""The ``forceprot`` command line: parse, call the library, render.

Bad input raises a :class:`~forceprot.errors.ForceprotError`; it is printed as one line on
stderr and the command exits with code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from forceprot.errors import ForceprotError

app = typer.Typer(
    name="forceprot",
    help="How many rockets of a salvo get through a base's defences, where they land, and where "
         "the next counter-rocket system should go.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_BAD_INPUT = 2


def guarded(fn: Callable) -> Callable:
    """Turn bad input into one stderr line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ForceprotError as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario TOML file.", show_default=False)]


@app.command()
@guarded
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario and its layers; print the site, launch zone, threat and defences."""
    from forceprot.compile import prepare_scenario

    prepared = prepare_scenario(scenario)
    from forceprot.outputs.console import render_validation

    render_validation(console, prepared)


@app.command()
@guarded
def sites() -> None:
    """List the bundled example sites."""
    from forceprot.sites import bundled_sites

    table = Table(title="Bundled sites", title_justify="left")
    table.add_column("scenario")
    table.add_column("site")
    table.add_column("rocket")
    table.add_column("tubes", justify="right")
    table.add_column("defences", justify="right")
    for entry in bundled_sites():
        table.add_row(str(entry.path), entry.name, entry.rocket, str(entry.tubes),
                      str(entry.n_defences))
    console.print(table)


@app.command()
@guarded
def schema(
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the schema to this file.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
) -> None:
    """Print the JSON Schema of scenario files."""
    from forceprot.outputs.files import atomic_write_text
    from forceprot.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        atomic_write_text(out, text + "\n", overwrite=overwrite)
        console.print(f"wrote {out}")


@app.command()
@guarded
def trajectory(
    rocket: Annotated[str, typer.Option(help="Rocket class: 107mm or 122mm.")] = "107mm",
    range_m: Annotated[float, typer.Option("--range-m", help="Ground range to lay for [m].")] = 6000.0,
    wind_mps: Annotated[float, typer.Option("--wind-mps", help="Wind speed [m/s].")] = 0.0,
    wind_from_deg: Annotated[float, typer.Option("--wind-from-deg", help="Compass bearing the wind blows from [deg].")] = 0.0,
    azimuth_deg: Annotated[float, typer.Option("--azimuth-deg", help="Compass bearing of the line of fire [deg].")] = 0.0,
    ground_altitude_m: Annotated[float, typer.Option("--ground-altitude-m", help="Ground altitude above sea level [m].")] = 0.0,
    dt_s: Annotated[float, typer.Option("--dt-s", min=1e-4, max=0.5, help="Integrator step [s].")] = 0.01,
    path: Annotated[Optional[Path], typer.Option("--path", help="Write the flight path as .csv or .json.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --path file.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the solution as JSON.")] = False,
) -> None:
    """Fire-control solution and flight of one rocket: elevation, time of flight, apogee, impact."""
    from forceprot.ballistics import solve_trajectory, write_path

    if path is not None:
        from forceprot.outputs.files import check_writable

        check_writable(path, overwrite=overwrite)
    solution = solve_trajectory(rocket, range_m, wind_speed_mps=wind_mps,
                                wind_from_deg=wind_from_deg, firing_azimuth_deg=azimuth_deg,
                                ground_altitude_m=ground_altitude_m, dt_s=dt_s)
    if path is not None:
        write_path(solution, path, overwrite=overwrite)
    if json_out:
        sys.stdout.write(json.dumps({"rocket": rocket, **solution.to_dict()}, indent=2) + "\n")
        return
    from forceprot.outputs.console import render_trajectory

    render_trajectory(console, rocket, solution)
    if path is not None:
        console.print(f"wrote {path}", style="dim")


@app.command()
@guarded
def run(
    scenario: ScenarioArg,
    salvos: Annotated[Optional[int], typer.Option(min=1, help="Salvos to sample (default: scenario).")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="Root seed (default: scenario).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="Worker threads (default: all cores).")] = None,
    precision: Annotated[Optional[float], typer.Option(
        min=0.0001, max=0.5,
        help="Stop once the leak-rate 95 % interval half-width is at most this (0.005 = 0.5 pp).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for summary.json and the map layers.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    gpkg: Annotated[bool, typer.Option("--gpkg", help="Also write every layer into --out/forceprot.gpkg.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout instead of the report.")] = False,
) -> None:
    """Sample salvos against the defences; report leak rate, warning time and per-unit figures."""
    from forceprot.compile import compile_scenario, prepare_scenario
    from forceprot.outputs.console import render_results
    from forceprot.simulate import simulate

    prepared = prepare_scenario(scenario)
    if out is not None:
        from forceprot.outputs.writer import run_output_names
        from forceprot.outputs.files import prepare_out_dir

        # refuse before spending the time
        prepare_out_dir(out, run_output_names(gpkg=gpkg), overwrite=overwrite)
    compiled = compile_scenario(prepared)
    results = _simulate_with_progress(compiled, salvos=salvos, seed=seed, threads=threads,
                                      precision=precision, quiet=json_out)
    if out is not None:
        from forceprot.outputs.writer import write_run_outputs

        written = write_run_outputs(results, out, overwrite=overwrite, gpkg=gpkg)
    if json_out:
        sys.stdout.write(json.dumps(results.summary(), indent=2) + "\n")
    else:
        render_results(console, results)
        if out is not None:
            console.print(f"wrote {len(written)} file(s) to {out}/", style="dim")


def _simulate_with_progress(compiled, *, quiet: bool, **kwargs):
    """Run the kernel behind a rich progress bar (on stderr, so --json stays clean)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from forceprot.simulate import simulate

    if quiet:
        return simulate(compiled, **kwargs)
    with Progress(TextColumn("salvos"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("salvos", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return simulate(compiled, progress=tick, **kwargs)


def main() -> None:  # pragma: no cover - console entry point
    app()
