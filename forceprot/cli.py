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


def main() -> None:  # pragma: no cover - console entry point
    app()
