"""Assertions shared by the bad-input tests of every command."""

from __future__ import annotations

import subprocess

from click.testing import Result


def assert_bad_input(result: Result | subprocess.CompletedProcess, *fragments: str,
                     file: str | None = None, field: str | None = None,
                     value: str | None = None) -> str:
    """Assert that a refused command failed the way bad input must: exit code 2, exactly one
    non-blank line on stderr, no traceback, and that line names what was wrong.

    Parameters
    ----------
    result : click.testing.Result or subprocess.CompletedProcess
        A ``CliRunner.invoke`` result, or a finished ``forceprot`` process (``text=True``).
    *fragments : str
        Further text the line must contain (the reason, the valid choices).
    file, field, value : str, optional
        The file, field and offending value the line must name.

    Returns
    -------
    str
        The error line, for further checks.
    """
    if isinstance(result, subprocess.CompletedProcess):
        code, stderr, output = result.returncode, result.stderr, result.stdout + result.stderr
        exception = None
    else:
        code, stderr, output = result.exit_code, result.stderr, result.output
        # CliRunner catches what the command raised; a clean exit leaves SystemExit or nothing
        exception = None if isinstance(result.exception, SystemExit) else result.exception
    assert code == 2, f"exit code {code}, not 2; output:\n{output}"
    assert exception is None, f"the command raised {exception!r} (a bug, not bad input)"
    assert "Traceback" not in output, output
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{len(lines)} stderr lines, not 1:\n{stderr}"
    line = lines[0]
    for name, expected in (("file", file), ("field", field), ("value", value)):
        if expected is not None:
            assert expected in line, f"{name} {expected!r} not named in {line!r}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line
