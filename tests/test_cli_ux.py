"""The CLI a user expects: units in --help, --version, schema bounds on options, Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.scenario import Simulation, Threat
from tests.conftest import SITES

runner = CliRunner()


def _forceprot(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forceprot", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("command, units", [
    ("trajectory", ["[m]", "[m/s]", "[deg]", "[s]"]),
    ("coverage", ["[m]", "[0-1]"]),
    ("optimize", ["[m]", "[0-1)", "[s]"]),
    ("sweep", ["[s]"]),
])
def test_help_keeps_units(command, units) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    for unit in units:
        assert unit in result.stdout, f"{unit} missing from {command} --help"


def test_no_help_text_loses_a_bracket() -> None:
    """Every option's help text appears whole in --help (rich markup once ate '[m]')."""
    import typer.main

    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        out = runner.invoke(app, [name, "--help"], terminal_width=400).stdout
        flat = re.sub(r"\s+", " ", out)
        for param in command.params:
            text = getattr(param, "help", None)
            if text and "[" in text:
                assert re.sub(r"\s+", " ", text) in flat, (name, param.name)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"forceprot {version('forceprot')}"


@pytest.mark.parametrize("args, option", [
    (("run", str(SITES / "taji.toml"), "--salvos", str(Simulation.model_fields["salvos"].metadata[-1].le + 1)), "--salvos"),
    (("run", str(SITES / "taji.toml"), "--seed", str(2**64)), "--seed"),
    (("run", str(SITES / "taji.toml"), "--salvos", str(2**64)), "--salvos"),
    (("run", str(SITES / "taji.toml"), "--precision", "0"), "--precision"),
    (("coverage", str(SITES / "taji.toml"), "--salvos", str(10**10)), "--salvos"),
    (("trajectory", "--wind-mps", "1000"), "--wind-mps"),
    (("trajectory", "--wind-from-deg", "360"), "--wind-from-deg"),
])
def test_options_refuse_what_the_schema_refuses(args, option) -> None:
    proc = _forceprot(*args)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and option in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_option_bounds_are_the_schema_bounds() -> None:
    """--help shows the schema's own limits (nothing stricter, nothing looser)."""
    def limits(model, name):
        meta = model.model_fields[name].metadata
        lo = next(m.ge for m in meta if getattr(m, "ge", None) is not None)
        hi = next(m.le for m in meta if getattr(m, "le", None) is not None)
        return f"{lo}<=x<={hi}"

    run_help = re.sub(r"\s+", "", runner.invoke(app, ["run", "--help"]).stdout)
    assert limits(Simulation, "salvos") in run_help and limits(Simulation, "seed") in run_help
    traj_help = re.sub(r"\s+", "", runner.invoke(app, ["trajectory", "--help"]).stdout)
    assert limits(Threat, "wind_mps") in traj_help


def test_ctrl_c_exits_130_with_one_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "forceprot", "run", str(SITES / "taji.toml"), "--salvos",
         "100000000", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3.0)  # past start-up, into compiling or sampling
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == ["interrupted"], err
    assert out == ""
