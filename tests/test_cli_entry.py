"""The console entry point: usage errors are one stderr line and exit code 2, like bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import SITES
from tests.helpers import assert_bad_input


def _forceprot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forceprot", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, fragment", [
    (("run", str(SITES / "taji.toml"), "--salvos", "0"), "--salvos"),
    (("run",), "Missing argument"),
    (("rn",), "No such command"),
    (("run", str(SITES / "taji.toml"), "--bogus"), "No such option"),
    (("run", "nope.toml"), "file not found"),
])
def test_usage_errors_are_one_line_exit_2(args, fragment) -> None:
    proc = _forceprot(*args)
    assert_bad_input(proc, fragment)
    assert proc.stdout == ""


def test_no_arguments_prints_help() -> None:
    proc = _forceprot()
    assert proc.returncode == 0
    assert "run" in proc.stdout and "validate" in proc.stdout
