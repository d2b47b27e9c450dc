"""The shared bad-input assertion refuses each way a command can get bad input wrong."""

from __future__ import annotations

import subprocess

import click
import pytest
from click.testing import CliRunner

from tests.helpers import assert_bad_input

LINE = "taji.toml: threat.tubes = 0: must be >= 1\n"


def _proc(code: int, stderr: str, stdout: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(["forceprot"], code, stdout=stdout, stderr=stderr)


def test_accepts_one_line_naming_file_field_value() -> None:
    line = assert_bad_input(_proc(2, LINE), "must be", file="taji.toml", field="threat.tubes",
                            value="0")
    assert line == LINE.strip()


@pytest.mark.parametrize("proc, kwargs", [
    (_proc(1, LINE), {}),                                              # wrong exit code
    (_proc(2, LINE + "second line\n"), {}),                            # two lines
    (_proc(2, ""), {}),                                                # no line
    (_proc(2, "Traceback (most recent call last): x\n"), {}),          # a traceback
    (_proc(2, LINE), {"file": "fob.toml"}),                            # wrong file
    (_proc(2, LINE), {"field": "threat.ripple_s"}),                    # wrong field
    (_proc(2, LINE), {"value": "-3"}),                                 # wrong value
])
def test_refuses(proc, kwargs) -> None:
    with pytest.raises(AssertionError):
        assert_bad_input(proc, **kwargs)


def test_refuses_an_exception_caught_by_the_runner() -> None:
    @click.command()
    def boom():
        raise KeyError("magazine_rounds")

    result = CliRunner().invoke(boom, [])
    with pytest.raises(AssertionError):
        assert_bad_input(result)
