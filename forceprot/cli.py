"""The ``forceprot`` command line: parse, call the library, render.

Bad input raises a :class:`~forceprot.errors.ForceprotError`; it is printed as one line on
stderr and the command exits with code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Optional

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from forceprot.errors import ForceprotError
from forceprot.scenario import Simulation, Site, Threat
from forceprot.signals import install_signal_handlers

app = typer.Typer(
    name="forceprot",
    help="How many rockets of a salvo get through a base's defences, where they land, and where "
         "the next counter-rocket system should go.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help texts carry units in brackets ("[m]", "[m/s]"): rich markup would swallow them
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_BAD_INPUT = 2
#: Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            text = version("forceprot")
        except PackageNotFoundError:  # running from a source tree that was never installed
            from forceprot import __version__ as text
        sys.stdout.write(f"forceprot {text}\n")
        raise typer.Exit(0)


@app.callback()
def _main_options(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Print the installed version and exit.")] = None,
) -> None:
    """Options of the ``forceprot`` command itself."""


def _field_option(model, name: str, *param_decls: str, help: str, **kwargs):
    """A typer option bounded exactly as the scenario field ``model.name``.

    One bound per quantity: the option takes its limits from the pydantic field the scenario
    file is checked against, so the CLI never accepts what the schema refuses (nor refuses what
    it accepts). Closed bounds also go to click, which shows them in ``--help``; every value is
    then checked by the field's own validator (open bounds, types).
    """
    from pydantic import TypeAdapter, ValidationError

    info = model.model_fields[name]
    closed = {}
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            closed["min"] = meta.ge
        if getattr(meta, "le", None) is not None:
            closed["max"] = meta.le
    adapter = TypeAdapter(Annotated[(info.annotation, *info.metadata)])

    def check(value):
        if value is None:
            return value
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            msg = exc.errors()[0]["msg"]
            raise typer.BadParameter(f"{value}: {msg[0].lower()}{msg[1:]}") from None

    return typer.Option(*param_decls, help=help, callback=check, **closed, **kwargs)



def options_command(options: type) -> Callable:
    """Let a command take one frozen dataclass of its options instead of one parameter each.

    Typer reads a command's options from its signature; a command with many options would
    need many parameters. The decorated function takes one ``options`` instance; the wrapper
    Typer sees has one keyword parameter per field of ``options`` (its annotation, typer
    ``Option``/``Argument`` included, and its default), and builds the instance.
    """
    hints = typing.get_type_hints(options, include_extras=True)
    params = []
    for f in dataclasses.fields(options):
        default = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        params.append(inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=default, annotation=hints[f.name]))

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(**kwargs):
            return fn(options(**kwargs))

        wrapper.__signature__ = inspect.Signature(params)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # Typer must see the fields, not fn's one parameter
        return wrapper

    return decorate


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


def _kernels_ready(entry: str = "forceprot.kernel") -> None:
    """Say so before numba compiles for minutes; rebuild an unreadable kernel cache."""
    from forceprot.numba_cache import inspect_cache

    status = inspect_cache(entry)
    if status.removed:
        err_console.print(f"kernel cache unreadable: removed {len(status.removed)} file(s) in "
                          f"{status.removed[0].parent}; rebuilding", markup=False)
    if status.compile_estimate_s >= 1.0:
        err_console.print(f"compiling kernels, once, about {status.compile_estimate_s:.0f} s",
                          markup=False)


def _print_json(data) -> None:
    """Machine-readable output: JSON on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _report_written(out: Optional[Path], written) -> None:
    if out is not None:
        console.print(f"wrote {len(written)} file(s) to {out}/", style="dim")


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario TOML file.", show_default=False)]
WorkersOpt = Annotated[Optional[int], typer.Option(
    "--workers", min=1, help="Run tasks on a local dask cluster of this many worker processes.")]
SchedulerOpt = Annotated[Optional[str], typer.Option(
    "--scheduler", help="Run tasks on an existing dask cluster (tcp://host:8786).")]
ConnectTimeoutOpt = Annotated[float, typer.Option(
    "--connect-timeout", min=0.1, help="Give up on a --scheduler that does not answer as a dask scheduler within this long [s].")]
WorkersTimeoutOpt = Annotated[float, typer.Option(
    "--workers-timeout", min=0.1, help="Give up when a --scheduler has no worker and none joins within this long [s].")]


@app.command()
@guarded
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario and its layers; print the site, launch zone, threat and defences."""
    from forceprot.compile import prepare_scenario, terrain_description

    prepared = prepare_scenario(scenario)
    from forceprot.outputs.console import render_validation
    from forceprot.rocketry import range_warnings

    render_validation(console, prepared, terrain_description(prepared))
    for line in range_warnings(prepared.scenario):
        err_console.print(f"warning: {line}", markup=False)


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
    from forceprot.atomic import atomic_write_text
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
    rocket: Annotated[str, typer.Option(help="Rocket class: 107mm, 122mm, or a [rockets.NAME] of --scenario.")] = "107mm",
    scenario: Annotated[Optional[Path], typer.Option("--scenario", help="Scenario TOML file whose [rockets.NAME] classes --rocket may name.")] = None,
    range_m: Annotated[Optional[float], typer.Option("--range-m", help="Ground range to lay for [m] (default 6000; not with a fixed --angle).")] = None,
    angle: Annotated[str, typer.Option("--angle", help="Firing angle: low (flat solution), high (steep solution) or a fixed quadrant elevation [deg].")] = "low",
    wind_mps: Annotated[float, _field_option(Threat, "wind_mps", "--wind-mps", help="Wind speed [m/s].")] = 0.0,
    wind_from_deg: Annotated[float, _field_option(Threat, "wind_from_deg", "--wind-from-deg", help="Compass bearing the wind blows from [deg].")] = 0.0,
    azimuth_deg: Annotated[float, typer.Option("--azimuth-deg", help="Compass bearing of the line of fire [deg].")] = 0.0,
    ground_altitude_m: Annotated[float, _field_option(Site, "ground_altitude_m", "--ground-altitude-m", help="Ground altitude above sea level [m].")] = 0.0,
    dt_s: Annotated[float, typer.Option("--dt-s", min=1e-4, max=0.5, help="Integrator step [s].")] = 0.01,
    path: Annotated[Optional[Path], typer.Option("--path", help="Write the flight path as .csv or .json.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --path file.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the solution as JSON.")] = False,
) -> None:
    """Fire-control solution and flight of one rocket: elevation, time of flight, apogee, impact."""
    from forceprot.ballistics import solve_trajectory, write_path

    if path is not None:
        from forceprot.atomic import check_writable

        check_writable(path, overwrite=overwrite)
    from forceprot.rocketry import resolve_rocket

    loaded = None
    if scenario is not None:
        from forceprot.scenario import load_scenario

        loaded = load_scenario(scenario)
    rocket_class, _ = resolve_rocket(rocket, loaded)
    _kernels_ready("forceprot.ballistics")
    if range_m is None and angle.strip().lower() in ("low", "high"):
        range_m = 6000.0
    solution = solve_trajectory(rocket_class, range_m, angle=angle, wind_speed_mps=wind_mps,
                                wind_from_deg=wind_from_deg, firing_azimuth_deg=azimuth_deg,
                                ground_altitude_m=ground_altitude_m, dt_s=dt_s)
    if path is not None:
        write_path(solution, path, overwrite=overwrite)
    if json_out:
        _print_json({"rocket": rocket, **solution.to_dict()})
        return
    from forceprot.outputs.console import render_trajectory

    render_trajectory(console, rocket, solution)
    if path is not None:
        console.print(f"wrote {path}", style="dim")


rockets_app = typer.Typer(
    help="Rocket classes: list them (bundled and a scenario's), stated against flown max range; "
         "`rockets calibrate` fits one to its published figures.",
    invoke_without_command=True, rich_markup_mode=None)
app.add_typer(rockets_app, name="rockets")
RocketScenarioOpt = Annotated[Optional[Path], typer.Option(
    "--scenario", help="Scenario TOML file whose [rockets.NAME] classes to include.")]


@rockets_app.callback()
@guarded
def rockets(
    ctx: typer.Context,
    scenario: RocketScenarioOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List rocket classes: label, calibre, max range stated and flown, muzzle speed, source."""
    if ctx.invoked_subcommand is not None:
        return
    from forceprot.rocketry import list_rockets

    loaded = None
    if scenario is not None:
        from forceprot.scenario import load_scenario

        loaded = load_scenario(scenario)
    _kernels_ready("forceprot.ballistics")
    rows = list_rockets(loaded)
    if json_out:
        _print_json([row.to_dict() for row in rows])
        return
    from forceprot.outputs.rockets import render_rocket_list

    render_rocket_list(console, rows)


@rockets_app.command("calibrate")
@guarded
def rockets_calibrate(
    rocket: Annotated[str, typer.Option("--rocket", help="Class to fit: a [rockets.NAME] of --scenario, or bundled.")],
    scenario: RocketScenarioOpt = None,
) -> None:
    """Fit a rocket class to its published max range (and burnout speed, if it states one);
    print the [rockets.NAME] TOML block to paste into the scenario."""
    from forceprot.rocketry import calibrate_rocket, resolve_rocket

    loaded = None
    if scenario is not None:
        from forceprot.scenario import load_scenario

        loaded = load_scenario(scenario)
    rocket_class, origin = resolve_rocket(rocket, loaded)
    _kernels_ready("forceprot.ballistics")
    result = calibrate_rocket(rocket, rocket_class, origin=origin)
    from forceprot.outputs.rockets import render_calibration

    render_calibration(console, result)


@app.command()
@guarded
def run(
    scenario: ScenarioArg,
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos to sample (default: scenario).")] = None,
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed (default: scenario).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="Worker threads (default: all cores).")] = None,
    precision: Annotated[Optional[float], _field_option(
        Simulation, "precision",
        help="Stop once the leak-rate 95 % interval half-width is at most this (0.005 = 0.5 pp).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for summary.json and the map layers.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    gpkg: Annotated[bool, typer.Option("--gpkg", help="Also write every layer into --out/forceprot.gpkg.")] = False,
    area_salvos: Annotated[int, typer.Option("--area-salvos", min=16, max=1_000_000, help="With --out: salvos fired from each launch area for the launch-risk ranking (the top group is sampled again with up to 16 times more).")] = 1024,
    json_out: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout instead of the report.")] = False,
) -> None:
    """Sample salvos against the defences; report leak rate, warning time and per-unit figures."""
    from forceprot.compile import compile_scenario, prepare_scenario
    from forceprot.outputs.console import render_results

    prepared = prepare_scenario(scenario)
    if out is not None:
        from forceprot.outputs.writer import run_output_names
        from forceprot.atomic import prepare_out_dir

        # refuse before spending the time (an earlier --gpkg run's folder is replaceable too)
        prepare_out_dir(out, run_output_names(gpkg=True, surveillance=True), overwrite=overwrite)
    _kernels_ready()
    from forceprot.settings import RunSettings

    compiled = compile_scenario(prepared)
    settings = RunSettings.from_scenario(
        prepared.scenario, salvos=salvos, seed=seed, threads=threads,
        **({} if precision is None else {"precision": precision}))
    results = _simulate_with_progress(compiled, settings, quiet=json_out,
                                      keep_block_scalars=True)
    if results.has_people:
        from forceprot.studies.people import unit_values

        # each unit switched off in turn, on the salvos the run sampled (it may have stopped at
        # its precision): the casualties it avoids, paired block by block with the run itself
        results.extra["unit_value"] = unit_values(
            compiled, settings.replace(salvos=results.salvos), base=results)
    written: list = []
    if out is not None:
        from forceprot.outputs.writer import write_run_outputs
        from forceprot.studies.launch_risk import launch_risk

        # the launch areas of the report and map: each area sampled on its own
        with _progress_bar(quiet=json_out, label="launch areas") as tick:
            risk = launch_risk(compiled, prepared, settings, salvos_per_area=area_salvos,
                               progress=tick)
        written = write_run_outputs(results, prepared, out, overwrite=overwrite, gpkg=gpkg,
                                    launch_risk=risk)
    if json_out:
        _print_json(results.summary(prepared))
    else:
        render_results(console, results, prepared)
        _report_written(out, written)


def _simulate_with_progress(compiled, settings, *, quiet: bool,
                            keep_block_scalars: bool = False):
    """Run the kernel behind a rich progress bar (on stderr, so --json stays clean)."""
    from forceprot.simulate import simulate

    with _progress_bar(quiet=quiet) as tick:
        return simulate(compiled, settings, progress=tick,
                        keep_block_scalars=keep_block_scalars)


@app.command()
@guarded
def coverage(
    scenario: ScenarioArg,
    cell_m: Annotated[float, typer.Option("--cell-m", help="Cell size of the coverage grid [m].")] = 100.0,
    threshold: Annotated[float, typer.Option(help="A cell is covered where P(intercept) >= this [0-1]; the report also gives the share covered at every threshold from 0.05 to 0.95.")] = 0.25,
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos to sample (default: 10 per cell, at least 10,240).")] = None,
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed (default: scenario).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="Worker threads (default: all cores).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for coverage_grid.geojson, coverage.json, coverage.png, coverage_curve.png.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print coverage.json to stdout instead of the report.")] = False,
) -> None:
    """Map where over the base a landing rocket is intercepted; share of the base area covered."""
    from forceprot.compile import prepare_scenario
    from forceprot.studies.coverage import coverage_from_results, plan_coverage

    prepared = prepare_scenario(scenario)
    _kernels_ready()
    plan = plan_coverage(prepared, cell_m=cell_m, threshold=threshold, salvos=salvos)
    if out is not None:
        from forceprot.atomic import prepare_out_dir
        from forceprot.outputs.writer import COVERAGE_OUTPUTS

        prepare_out_dir(out, COVERAGE_OUTPUTS, overwrite=overwrite)  # refuse before sampling
    results = _simulate_with_progress(plan.compiled, plan.run_settings(seed=seed, threads=threads),
                                      quiet=json_out)
    cov = coverage_from_results(plan, results, prepared)
    written: list = []
    if out is not None:
        from forceprot.outputs.writer import write_coverage_outputs

        written = write_coverage_outputs(cov, prepared, out, overwrite=overwrite)
    if json_out:
        _print_json(cov.summary())
        return
    _render_coverage(cov, prepared)
    _report_written(out, written)


def _render_coverage(cov, prepared) -> None:
    sc = prepared.scenario
    plan, r = cov.plan, cov.results
    console.print(f"[bold]{sc.site.name}[/bold]: coverage against {sc.threat.tubes} × "
                  f"{sc.threat.rocket} salvos, covered where P(intercept) ≥ {cov.threshold:g}")
    t = Table(title="Share of the base area covered", title_justify="left")
    t.add_column("measure")
    t.add_column("share", justify="right")
    t.add_column("area", justify="right")
    area = cov.base_area_m2
    t.add_row("covered: cell estimate ≥ threshold", f"{cov.covered_share:.1%}",
              f"{cov.covered_share * area / 1e6:,.2f} km²")
    t.add_row("covered, conservative: 95 % lower bound ≥ threshold",
              f"{cov.covered_share_conservative:.1%}",
              f"{cov.covered_share_conservative * area / 1e6:,.2f} km²")
    t.add_row("no rocket landed (counted not covered)", f"{cov.unsampled_share:.1%}",
              f"{cov.unsampled_share * area / 1e6:,.2f} km²")
    t.add_row("mean P(intercept), area-weighted", f"{cov.p_intercept_mean:.1%}", "")
    console.print(t)
    console.print("coverage curve, share of the base with P(intercept) at least: "
                  + ", ".join(f"{t:g}: {v:.0%}" for t, v, _ in cov.curve
                              if round(t * 10) == t * 10))
    if cov.assets:
        a = Table(title="Assets (hit area inside the base: disk or polygon)",
                  title_justify="left")
        for col in ("asset", "radius", "covered", "conservative", "mean P(intercept)"):
            a.add_column(col, justify="left" if col == "asset" else "right")
        for ac in cov.assets:
            a.add_row(ac.name, "polygon" if ac.radius_m is None else f"{ac.radius_m:g} m",
                      f"{ac.covered_share:.1%}",
                      f"{ac.covered_share_conservative:.1%}", f"{ac.p_intercept_mean:.1%}")
        console.print(a)
    console.print(f"{plan.n_cells:,} cells of {plan.cell_m:g} m (clipped to the base); "
                  f"{r.salvos:,} salvos aimed at them, {r.salvos / max(plan.n_cells, 1):.1f} per "
                  f"cell; median {float(np.median(cov.impacts)):.0f} rockets landed per cell",
                  style="dim")
    console.print(f"run time {r.elapsed_s:.2f} s on {r.threads} thread(s), seed {r.seed}",
                  style="dim")


@app.command()
@guarded
def compare(
    a: Annotated[Path, typer.Argument(help="Scenario TOML of layout A.", show_default=False)],
    b: Annotated[Path, typer.Argument(help="Scenario TOML of layout B (compared against A).", show_default=False)],
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos per layout (default: A's scenario).")] = None,
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed of both runs (default: A's scenario).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="Worker threads (default: all cores).")] = None,
    min_effect: Annotated[Optional[list[str]], typer.Option("--min-effect", help="MEASURE=VALUE (repeatable): the smallest difference that matters, e.g. leak_rate=0.02 or warning_time_mean_s=1. Defaults: leak_rate 0.01, p_any_leak 0.01, expected_leakers_per_salvo 0.1, warning_time_mean_s 0.5.")] = None,
    allow_different: Annotated[bool, typer.Option("--allow-different", help="Compare even if the site, threat or rocket differ (the salvos are then not shared).")] = False,
    robust: Annotated[bool, typer.Option("--robust", help="Compare across the scenarios' uncertain parameters (distributions), not only at their medians: both layouts at each of --draws parameter sets.")] = False,
    draws: Annotated[int, typer.Option("--draws", min=2, max=4096, help="Parameter sets of --robust (a scrambled Sobol' sequence).")] = 16,
    workers: WorkersOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Two layouts on the same salvos: leak rate, P(>=1 leaker), leakers, warning; paired B - A."""
    from forceprot.studies.compare import compare_layouts
    from forceprot.compile import prepare_scenario

    effects = {}
    for text in min_effect or []:
        key, sep, value = text.partition("=")
        try:
            effects[key.strip()] = float(value)
        except ValueError:
            raise ForceprotError("expected MEASURE=NUMBER", field="--min-effect",
                                 value=text) from None
        if not sep:
            raise ForceprotError("expected MEASURE=NUMBER", field="--min-effect", value=text)
    prepared_a, prepared_b = prepare_scenario(a), prepare_scenario(b)
    _kernels_ready()
    if robust:
        _robust_compare(a, b, prepared_a, prepared_b, draws=draws, salvos=salvos, seed=seed,
                        workers=workers, allow_different=allow_different, min_effect=effects,
                        json_out=json_out)
        return
    with _progress_bar(quiet=json_out) as tick:
        comparison = compare_layouts(prepared_a, prepared_b, salvos=salvos, seed=seed,
                                     threads=threads, min_effect=effects,
                                     allow_different=allow_different, progress=tick)
    if json_out:
        _print_json(comparison.summary())
        return
    _render_comparison(comparison)


def _robust_compare(a: Path, b: Path, prepared_a, prepared_b, *, draws: int, salvos, seed,
                    workers, allow_different: bool, min_effect: dict, json_out: bool) -> None:
    """``compare --robust``: both layouts at each parameter draw, the differences' spread."""
    from forceprot.studies.compare import same_salvos
    from forceprot.studies.executors import ScenarioSpec
    from forceprot.studies.uncertainty import robust_compare

    if not allow_different and not same_salvos(prepared_a, prepared_b):
        raise ForceprotError(
            "A and B differ in site, threat or rocket, so they do not see the same salvos and "
            "their difference is not a comparison of layouts; pass --allow-different to compare "
            "them anyway", file=str(b))
    with _connect(None, workers, 5.0, 60.0) as executor:
        with _progress_bar(quiet=json_out) as tick:
            result = robust_compare(ScenarioSpec.from_file(a), ScenarioSpec.from_file(b),
                                    draws=draws, salvos=salvos, seed=seed, executor=executor,
                                    progress=tick)
    doc = result.summary(min_effect)
    if json_out:
        _print_json(doc)
        return
    console.print(f"[bold]A[/bold] {doc['a']}  vs  [bold]B[/bold] {doc['b']}: {doc['draws']} "
                  f"parameter draws over {', '.join(doc['uncertain_parameters'])}; "
                  f"{doc['salvos_per_run']:,} salvos per run, seed {doc['seed']}", style="dim")
    t = Table(title="B - A across the parameter distribution", title_justify="left")
    for col in ("measure", "A mean", "B mean", "B - A mean", "B - A 5th-95th pct",
                "draws B lower", "draws B higher"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for key, m in doc["measures"].items():
        scale, unit = (1.0, "") if key == "leakers_per_salvo" else (100.0, " pp")
        q = m["difference_quantiles"]
        t.add_row(m["label"], f"{scale * m['a_mean']:.2f}", f"{scale * m['b_mean']:.2f}",
                  f"{scale * m['difference_mean']:+.2f}{unit}",
                  f"[{scale * q['p05']:+.2f}, {scale * q['p95']:+.2f}]{unit}",
                  f"{m['share_b_lower']:.0%}", f"{m['share_b_higher']:.0%}")
    console.print(t)
    leak = doc["measures"]["leak_rate"]
    effect = f"{100 * leak['min_effect']:g} percentage points"
    if leak["share_b_lower"] == 1.0:
        console.print(f"B leaks less than A at every parameter draw, by at least {effect}.")
    elif leak["share_b_higher"] == 1.0:
        console.print(f"B leaks more than A at every parameter draw, by at least {effect}.")
    else:
        console.print(f"Which layout leaks less depends on the uncertain parameters: B is lower "
                      f"by at least {effect} in {leak['share_b_lower']:.0%} of the draws, "
                      f"higher in {leak['share_b_higher']:.0%}.")


def _render_comparison(comparison) -> None:
    ca, cb = comparison.a.compiled, comparison.b.compiled
    console.print(f"[bold]A[/bold] {ca.label} ({ca.n_units} units)  vs  "
                  f"[bold]B[/bold] {cb.label} ({cb.n_units} units)")
    console.print(f"{comparison.a.salvos:,} salvos each, seed {comparison.a.seed}; "
                  + ("the same salvos for both (common random numbers)" if comparison.same_salvos
                     else "site or threat differ, so the salvos differ")
                  + f"; paired over {comparison.n_batches} batches of salvos", style="dim")
    t = Table(title="Paired difference B - A with its 95 % interval", title_justify="left")
    for col in ("measure", "A", "B", "B - A [95 %]", "p", "matters if beyond", "verdict"):
        t.add_column(col, justify="left" if col in ("measure", "verdict") else "right")
    for key, d in comparison.differences.items():
        if key == "warning_time_mean_s":
            val, diff, unit = (lambda x: f"{x:.2f} s"), (lambda x: f"{x:+.3g}"), " s"
        elif key in ("expected_leakers_per_salvo", "expected_killed_per_salvo",
                     "expected_wounded_per_salvo", "expected_leakers_per_attempted_salvo",
                     "expected_killed_per_attempted_salvo"):
            val, diff, unit = (lambda x: f"{x:.3f}"), (lambda x: f"{x:+.3f}"), ""
        else:
            val, diff, unit = (lambda x: f"{x:.2%}"), (lambda x: f"{100 * x:+.2f}"), " pp"
        t.add_row(d.label, val(d.a), val(d.b),
                  f"{diff(d.difference)}{unit}  [{diff(d.lo)}, {diff(d.hi)}]",
                  f"{d.p_value:.2g}", f"±{diff(d.min_effect).lstrip('+')}{unit}",
                  f"[bold]{d.verdict}[/bold]" if d.verdict.startswith("B ") else d.verdict)
    console.print(t)
    leak = comparison.differences["leak_rate"]
    effect = f"{100 * leak.min_effect:g} percentage points"
    if leak.verdict.startswith("B "):
        console.print(f"B's leak rate is {'lower' if leak.difference < 0 else 'higher'} than A's "
                      f"by {abs(leak.difference) * 100:.2f} percentage points; the whole 95 % "
                      f"interval lies beyond the {effect} that matters.")
    elif leak.verdict == "no practical difference":
        console.print(f"A and B leak alike: the whole 95 % interval of the difference lies "
                      f"within ±{effect} (--min-effect leak_rate=...).")
    else:
        console.print(f"Inconclusive on this sample: the 95 % interval of the leak-rate "
                      f"difference reaches past ±{effect}; more salvos would tell.")


@contextlib.contextmanager
def _progress_bar(*, quiet: bool, label: str = "salvos"):
    """Yield ``tick(done, total)`` driving a rich progress bar of ``label`` on stderr (None when
    quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _connect(scheduler, workers, connect_timeout: float, workers_timeout: float):
    """The executor for --scheduler / --workers; says on stderr when it waits for workers."""
    from forceprot.studies.executors import connect

    return connect(scheduler=scheduler, workers=workers, timeout_s=connect_timeout,
                   workers_timeout_s=workers_timeout,
                   on_wait=lambda msg: err_console.print(msg, markup=False))


def _layout_progress(quiet: bool):
    """A rich progress bar for labelled batches of tasks (on stderr), or nothing."""
    import contextlib

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        return contextlib.nullcontext(None)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


@dataclass(frozen=True)
class OptimizeOptions:
    """``forceprot optimize``'s options, one field each (:func:`options_command`)."""

    scenario: ScenarioArg
    cram: Annotated[int, typer.Option("--cram", min=0, help="C-RAM-class mounts to place (class defaults).")] = 0
    patriot: Annotated[int, typer.Option("--patriot", min=0, help="Patriot-class batteries to place (class defaults).")] = 0
    camera: Annotated[int, typer.Option("--camera", min=0, help="Cameras to place (class defaults; alone, without --cram/--patriot): greedy on the run's own salvos, then rerun and paired against the scenario as given.")] = 0
    patrol: Annotated[Optional[Path], typer.Option("--patrol", help="With or without --camera: candidate patrol routes (lines or polygons, any format and CRS); one patrol (class defaults) is placed on the best.")] = None
    candidates: Annotated[Optional[Path], typer.Option("--candidates", help="Point layer of candidate sites (GeoJSON, GPKG...; any CRS).")] = None
    grid_m: Annotated[Optional[float], typer.Option("--grid-m", help="Without --candidates: grid spacing of candidate sites over the base [m] (default 250).")] = None
    margin_m: Annotated[Optional[float], typer.Option("--margin-m", help="How far outside the perimeter grid sites may lie [m] (default: site.defended_margin_m).")] = None
    objective: Annotated[str, typer.Option(help="What to minimise: leak_rate, p_any_leak, asset_risk or casualties (expected killed or wounded per salvo; needs [people]).")] = "leak_rate"
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos every compared layout sees (default: scenario).")] = None
    screen_salvos: Annotated[int, _field_option(Simulation, "salvos", "--screen-salvos", help="Salvos on which every move is first screened.")] = 1024
    refine: Annotated[int, typer.Option(min=1, help="Best screened moves re-evaluated on all salvos, per step.")] = 8
    min_gain: Annotated[float, typer.Option("--min-gain", help="A swap must lower the objective by at least this fraction of its value [0-1).")] = 1e-3
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed (default: scenario).")] = None
    replace_existing: Annotated[bool, typer.Option("--replace-existing", help="Drop the scenario's units and place from scratch; their layout becomes the reference to beat.")] = False
    search_from_mclp: Annotated[bool, typer.Option("--search-from-mclp", help="Always run a swap search from the MCLP layout too (default: only if MCLP beats the greedy result).")] = False
    workers: WorkersOpt = None
    scheduler: SchedulerOpt = None
    connect_timeout: ConnectTimeoutOpt = 5.0
    workers_timeout: WorkersTimeoutOpt = 60.0
    robust: Annotated[int, typer.Option("--robust", min=0, max=256, help="Score each layout by its objective averaged over this many draws of the scenario's uncertain parameters (0: the scenario as given, its distributions at their medians).")] = 0
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for placements.geojson, improvement.png, optimize.json and the run outputs of the chosen layout.")] = None
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False
    json_out: Annotated[bool, typer.Option("--json", help="Print optimize.json to stdout instead of the report.")] = False


@app.command()
@guarded
@options_command(OptimizeOptions)
def optimize(opts: OptimizeOptions) -> None:
    """Choose sites for new C-RAM-class mounts and Patriot-class batteries by Monte Carlo search."""
    from forceprot.studies.executors import ScenarioSpec
    from forceprot.outputs.optimize import optimize_output_names, write_optimization_outputs
    from forceprot.studies.optimize import SearchOptions, plan_optimization, run_optimization

    if opts.camera or opts.patrol is not None:
        if opts.cram or opts.patriot:
            raise ForceprotError("place surveillance alone (--camera/--patrol without "
                                 "--cram/--patriot), then weigh the two layouts on the same "
                                 "salvos with forceprot compare",
                                 field="--camera" if opts.camera else "--patrol",
                                 value=opts.camera if opts.camera else str(opts.patrol))
        _optimize_cameras(opts)
        return
    spec = ScenarioSpec.from_file(opts.scenario)
    _kernels_ready()
    search = SearchOptions(screen_salvos=opts.screen_salvos, refine=opts.refine,
                           min_gain=opts.min_gain,
                           search_from_mclp=True if opts.search_from_mclp else None)
    plan = plan_optimization(
        spec, n_cram=opts.cram, n_patriot=opts.patriot, candidates_path=opts.candidates,
        grid_m=opts.grid_m, margin_m=opts.margin_m, objective=opts.objective,
        salvos=opts.salvos, seed=opts.seed, keep_existing=not opts.replace_existing,
        search=search, robust_draws=opts.robust)
    with _connect(opts.scheduler, opts.workers, opts.connect_timeout,
                  opts.workers_timeout) as executor:
        if opts.out is not None:
            from forceprot.atomic import prepare_out_dir

            prepare_out_dir(opts.out, optimize_output_names(), overwrite=opts.overwrite)
        with _layout_progress(opts.json_out) as bar:
            tick = None
            if bar is not None:
                task = bar.add_task("layouts", total=None)

                def tick(label: str, done: int, total: int) -> None:
                    bar.update(task, description=label, completed=done, total=total)

            result = run_optimization(plan, executor=executor, progress=tick)
    written: list = []
    if opts.out is not None:
        written = write_optimization_outputs(result, opts.out, overwrite=opts.overwrite)
    if opts.json_out:
        _print_json(result.summary())
        return
    _render_optimization(result)
    _report_written(opts.out, written)


#: Files ``optimize --camera --out DIR`` writes.
CAMERA_OUTPUTS = ["camera_placements.toml", "camera_placements.json"]


def _optimize_cameras(opts: OptimizeOptions) -> None:
    """``optimize --camera N``: :func:`forceprot.studies.optimize.cameras.place_cameras`."""
    from forceprot.compile import prepare_scenario
    from forceprot.studies.optimize.cameras import place_cameras

    n, out, overwrite = opts.camera, opts.out, opts.overwrite
    prepared = prepare_scenario(opts.scenario)
    _kernels_ready()
    if out is not None:
        from forceprot.atomic import prepare_out_dir

        prepare_out_dir(out, CAMERA_OUTPUTS, overwrite=overwrite)
    result = place_cameras(prepared, n, candidates_path=opts.candidates, grid_m=opts.grid_m,
                           margin_m=opts.margin_m, salvos=opts.salvos, seed=opts.seed,
                           patrol_routes_path=opts.patrol)
    summary = result.summary()
    written: list = []
    if out is not None:
        from forceprot.atomic import write_file_set

        text = json.dumps(summary, indent=2) + "\n"
        written = write_file_set(out, {
            "camera_placements.toml": lambda p: p.write_text(result.toml(), encoding="utf-8"),
            "camera_placements.json": lambda p: p.write_text(text, encoding="utf-8")},
            overwrite=overwrite)
    if opts.json_out:
        _print_json(summary)
        return
    routes = (f" and one patrol on the best of {summary['patrol_routes']} route(s)"
              if summary["patrol_routes"] else "")
    console.print(f"[bold]Surveillance placement[/bold] ({summary['scenario']}): {n} camera(s) "
                  f"of the class defaults on {summary['candidates']:,} sites x "
                  f"{summary['headings_per_site']} headings ({summary['candidates_source']})"
                  f"{routes}; {summary['salvos']:,} salvos, seed {summary['seed']}")
    t = Table(title="Chosen, in order (greedy on the run's own salvos)", title_justify="left")
    for col in ("sensor", "where", "heading / revisit", "leakers per attempted salvo after"):
        t.add_column(col, justify="left" if col in ("sensor", "where") else "right")
    for c in summary["cameras"]:
        if c["kind"] == "patrol":
            t.add_row(c["name"], c["candidate"], f"{c['revisit_min']:.0f} min",
                      f"{c['leakers_per_attempted_salvo_after']:.3f}")
            continue
        t.add_row(c["name"], f"{c['lon']:.5f}, {c['lat']:.5f}", f"{c['heading_deg']:g}°",
                  f"{c['leakers_per_attempted_salvo_after']:.3f}")
    console.print(t)
    for key, label, fmt in (("expected_leakers_per_attempted_salvo",
                             "leakers per attempted salvo", "{:+.3f}"),
                            ("p_prevented", "P(salvo prevented)", "{:+.2%}")):
        d = summary[key]
        lo, hi = d["difference_ci"]
        console.print(f"{label}: {d['before']:.4g} -> {d['after']:.4g}, paired difference "
                      f"{fmt.format(d['difference'])} [{fmt.format(lo) if lo is not None else 'n/a'}"
                      f", {fmt.format(hi) if hi is not None else 'n/a'}] (same salvos)")
    console.print("Camera figures are illustrative class defaults; paste camera_placements.toml "
                  "(--out) into the scenario and compare it with a layout that adds a mount "
                  "instead (forceprot compare).", style="dim")
    _report_written(out, written)


def _render_optimization(result) -> None:
    from forceprot.studies.optimize import KIND_LABEL, OBJECTIVES

    def ci(score) -> str:
        return f"{score.value:.4f}  [{score.lo:.4f}, {score.hi:.4f}]"

    def diff(e) -> str:
        return f"{e.value:+.4f}  [{e.lo:+.4f}, {e.hi:+.4f}]"

    placed = ", ".join(f"{n} {KIND_LABEL[k]}" for k, n in result.counts.items() if n)
    console.print(f"[bold]Placement[/bold] of {placed} ({result.scenario_label}): minimise "
                  f"{result.objective} ({OBJECTIVES[result.objective]})")
    console.print(f"{len(result.candidates):,} candidate sites ({result.candidates.source}); "
                  f"existing units {'kept fixed' if result.keep_existing else 'replaced'}; "
                  f"{result.salvos:,} salvos per compared layout, seed {result.seed}; moves "
                  f"screened on {result.screen_salvos:,} salvos", style="dim")
    steps = Table(title="Search (objective on the full sample, 95 % interval)",
                  title_justify="left")
    for col in ("search", "step", "action", result.objective, "moves screened"):
        steps.add_column(col, justify="right" if col in ("step", "moves screened") else "left")
    for row in result.step_rows():
        o = row["objective"]
        steps.add_row(row["search"], str(row["step"]), row["action"],
                      f"{o['value']:.4f}  [{o['ci'][0]:.4f}, {o['ci'][1]:.4f}]"
                      if o["value"] is not None else "n/a",
                      f"{row['moves_screened']:,}" if row["moves_screened"] else "")
    console.print(steps)

    ref = Table(title="Layouts compared on the same salvos", title_justify="left")
    ref.add_column("layout")
    ref.add_column(result.objective)
    ref.add_column("chosen minus this (paired)")
    ref.add_row(result.initial_label, ci(result.initial_score),
                diff(result.comparisons["final_minus_initial"]))
    mc = ", ".join(f"{KIND_LABEL[k]} {r:,.0f} m" for k, r in result.mclp.radius_m.items())
    ref.add_row(f"MCLP (disks {mc}; {result.mclp.solver})", ci(result.mclp_score),
                diff(result.comparisons["final_minus_mclp"]))
    ref.add_row(f"[bold]chosen[/bold] (search from {result.final_start})",
                ci(result.final_score), "")
    console.print(ref)

    units = Table(title="Chosen sites", title_justify="left")
    for col in ("unit", "kind", "site", "lon", "lat", "placed at step"):
        units.add_column(col, justify="right" if col in ("lon", "lat", "placed at step") else "left")
    for p in result.placements():
        units.add_row(p["name"], KIND_LABEL[p["kind"]], p["site"], f"{p['lon']:.5f}",
                      f"{p['lat']:.5f}", f"{p['search']} {p['step']} ({p['phase']})")
    console.print(units)
    console.print(f"{result.layout_runs:,} layout runs, {result.salvos_sampled:,} salvos "
                  f"sampled, {result.executor}, {result.timings_s['total']:.1f} s; paired "
                  f"differences on {result.paired_salvos:,} salvos", style="dim")


@app.command()
@guarded
def origin(
    impacts: Annotated[Path, typer.Argument(help="Observed impact points of one salvo (GeoJSON, GeoPackage, Shapefile, FlatGeobuf; any CRS).", show_default=False)],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario TOML whose threat model (rocket, dispersion, salvo, wind) and launch zone are assumed.", show_default=False)],
    times_field: Annotated[Optional[str], typer.Option("--times-field", help="Attribute holding each impact's time: seconds or date-times (then the time of flight also points at the launcher).")] = None,
    time_sigma_s: Annotated[float, typer.Option("--time-sigma-s", min=0.001, max=60.0, help="Timing error of an observed impact time [s].")] = 0.1,
    cell_m: Annotated[float, typer.Option("--cell-m", min=20.0, max=5000.0, help="Coarse cell size of the launch-zone grid [m]; refined where the posterior is.")] = 200.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for origin.geojson, origin.png, origin.json and origin_threat.toml.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print origin.json (lon, lat, radius_95_m, fitted dispersion, ...) instead of the table.")] = False,
) -> None:
    """Where a salvo came from: the launch position behind observed impact points, its 95 % region and the fitted dispersion."""
    from forceprot.compile import compile_scenario, prepare_scenario
    from forceprot.outputs.origin import ORIGIN_OUTPUTS, render_origin, write_origin_outputs
    from forceprot.studies.origin import estimate_origin, read_impacts

    prepared = prepare_scenario(scenario)
    if out is not None:
        from forceprot.atomic import prepare_out_dir

        prepare_out_dir(out, ORIGIN_OUTPUTS, overwrite=overwrite)
    points = read_impacts(impacts, prepared.site, times_field=times_field)
    _kernels_ready("forceprot.ballistics")
    result = estimate_origin(compile_scenario(prepared), prepared, points, cell_m=cell_m,
                             time_sigma_s=time_sigma_s)
    written: list = []
    if out is not None:
        written = write_origin_outputs(result, prepared, out, overwrite=overwrite)
    if json_out:
        _print_json({**result.summary(prepared), "threat_toml": result.threat_toml(prepared)})
        return
    render_origin(console, result, prepared)
    _report_written(out, written)


@app.command()
@guarded
def uncertainty(
    scenario: ScenarioArg,
    method: Annotated[str, typer.Option(help="sobol (Saltelli design, Sobol' indices) or morris (cheap screening of many parameters).")] = "sobol",
    n: Annotated[Optional[int], typer.Option("--n", help="Base samples (sobol: a power of two, runs N(d+2); default 64) or trajectories (morris: runs N(d+1); default 16).")] = None,
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos per run, all on one seed (default 2048).")] = None,
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed of every run and of the design (default: scenario).")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    connect_timeout: ConnectTimeoutOpt = 5.0,
    workers_timeout: WorkersTimeoutOpt = 60.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for uncertainty.json, uncertainty.md and uncertainty.png.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print uncertainty.json to stdout instead of the tables.")] = False,
) -> None:
    """Spread of the answer over the scenario's uncertain parameters, and which ones matter."""
    from forceprot.outputs.console import render_uncertainty
    from forceprot.outputs.uncertainty import UNCERTAINTY_OUTPUTS, write_uncertainty_outputs
    from forceprot.studies.executors import ScenarioSpec
    from forceprot.studies.uncertainty import plan_uncertainty, run_uncertainty, uncertainty_summary

    spec = ScenarioSpec.from_file(scenario)
    _kernels_ready()
    plan = plan_uncertainty(spec, method=method, n_base=n, salvos=salvos, seed=seed)
    with _connect(scheduler, workers, connect_timeout, workers_timeout) as executor:
        if out is not None:
            from forceprot.atomic import prepare_out_dir

            prepare_out_dir(out, UNCERTAINTY_OUTPUTS, overwrite=overwrite)
        with _progress_bar(quiet=json_out, label="parameter sets") as tick:
            result = run_uncertainty(plan, executor=executor, progress=tick)
    written: list = []
    if out is not None:
        written = write_uncertainty_outputs(result, out, overwrite=overwrite)
    if json_out:
        _print_json(uncertainty_summary(result))
        return
    render_uncertainty(console, result)
    _report_written(out, written)


@app.command()
@guarded
def sweep(
    scenario: ScenarioArg,
    settings: Annotated[Optional[list[str]], typer.Option("--set", help="PATH=V1,V2,... (repeatable; the grid is their product), e.g. threat.tubes=12,24,48 or defence[0].pk=0.5,0.7.")] = None,
    salvos: Annotated[Optional[int], _field_option(Simulation, "salvos", help="Salvos per variant (default: scenario).")] = None,
    seed: Annotated[Optional[int], _field_option(Simulation, "seed", help="Root seed of every variant (default: scenario).")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    connect_timeout: ConnectTimeoutOpt = 5.0,
    workers_timeout: WorkersTimeoutOpt = 60.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for sweep.csv, sweep.parquet and sweep.png.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files in --out.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the rows as JSON to stdout instead of the table.")] = False,
) -> None:
    """Run the grid of scenario variants given by --set; one row of results per variant."""
    from forceprot.studies.executors import ScenarioSpec
    from forceprot.outputs.sweep import sweep_output_names, write_sweep_outputs
    from forceprot.studies.sweep import plan_sweep, run_sweep, sweep_summary_rows

    spec = ScenarioSpec.from_file(scenario)
    _kernels_ready()
    plan_settings, variants = plan_sweep(spec, list(settings or []))
    with _connect(scheduler, workers, connect_timeout, workers_timeout) as executor:
        if out is not None:
            from forceprot.atomic import prepare_out_dir

            prepare_out_dir(out, sweep_output_names(), overwrite=overwrite)
        with _progress_bar(quiet=json_out, label="variants") as tick:
            result = run_sweep(spec, plan_settings, variants, salvos=salvos, seed=seed,
                               executor=executor, progress=tick)
    written: list = []
    notes: list[str] = []
    if out is not None:
        written, notes = write_sweep_outputs(result, out, overwrite=overwrite)
    if json_out:
        _print_json(sweep_summary_rows(result))
        return
    table = Table(title=f"Sweep of {spec.label}: {result.salvos:,} salvos per variant, seed "
                        f"{result.seed} (95 % intervals)", title_justify="left")
    for s in result.settings:
        table.add_column(s.path, justify="right")
    for col in ("leak rate", "P(≥1 leaker)", "leakers / salvo"):
        table.add_column(col, justify="right")
    for row in result.records():
        table.add_row(*[str(row[s.path]) for s in result.settings],
                      f"{row['leak_rate']:.3f} [{row['leak_rate_lo']:.3f}, {row['leak_rate_hi']:.3f}]",
                      f"{row['p_any_leak']:.3f} [{row['p_any_leak_lo']:.3f}, {row['p_any_leak_hi']:.3f}]",
                      f"{row['expected_leakers_per_salvo']:.2f} "
                      f"[{row['expected_leakers_per_salvo_lo']:.2f}, {row['expected_leakers_per_salvo_hi']:.2f}]")
    console.print(table)
    console.print(f"{len(result.table)} variant(s), {result.executor}", style="dim")
    for note in notes:
        console.print(note, style="yellow")
    _report_written(out, written)


def _click_exception(name: str) -> type:
    """typer bundles its own click; find its exception classes through a public one."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


def _interrupted() -> None:
    """Ctrl-C: one line and the shell's code for SIGINT, not a traceback."""
    err_console.print("interrupted", markup=False)
    sys.exit(EXIT_INTERRUPTED)


def main() -> None:  # pragma: no cover - console entry point (tests drive ``app`` directly)
    """Console entry point: like ``app()``, but a usage error (a bad option value, a missing
    argument, an unknown command) is one line on stderr with exit code 2, as every other bad
    input is."""
    usage_error = _click_exception("UsageError")
    install_signal_handlers()  # SIGTERM and SIGHUP unwind through the writers' cleanup too
    try:
        code = app(standalone_mode=False)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            sys.exit(0)
        name = ctx.command_path if ctx is not None else "forceprot"
        err_console.print(f"error: {exc.format_message()} (see '{name} --help')", markup=False)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Abort as exc:
        # click turns Ctrl-C into Abort (and prints an empty line first)
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            _interrupted()
        err_console.print("aborted", markup=False)
        sys.exit(1)
    if code == EXIT_INTERRUPTED:  # typer >= 0.16 turns Ctrl-C into a silent Exit(130)
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)
