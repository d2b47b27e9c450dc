"""Bad output options to ``run``, ``coverage`` and ``compare``: one stderr line, exit 2, nothing
written (every file under the scratch folder is byte-for-byte as it was)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from tests.conftest import SITES
from tests.helpers import assert_bad_input

runner = CliRunner()
TAJI = str(SITES / "taji.toml")


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _file(path: Path, text: str = "keep me") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# (id, setup(tmp) -> argv, fragments expected in the one error line)
CASES = [
    ("run-out-is-a-file",
     lambda t: ["run", TAJI, "--salvos", "512", "--out", str(_file(t / "out"))],
     ["out", "not a folder"]),
    ("run-parent-missing",
     lambda t: ["run", TAJI, "--salvos", "512", "--out", str(t / "missing" / "out")],
     ["missing", "does not exist"]),
    ("run-existing-map",
     lambda t: (_file(t / "out" / "map.png"),
                ["run", TAJI, "--salvos", "512", "--out", str(t / "out")])[1],
     ["would overwrite map.png", "--overwrite"]),
    ("run-existing-gpkg",
     lambda t: (_file(t / "out" / "forceprot.gpkg"),
                ["run", TAJI, "--salvos", "512", "--out", str(t / "out"), "--gpkg"])[1],
     ["would overwrite forceprot.gpkg", "--overwrite"]),
    ("coverage-billion-cells",
     lambda t: ["coverage", TAJI, "--cell-m", "0.001", "--out", str(t / "out")],
     ["--cell-m = 0.001", "grid cells", "at most 4,000,000"]),
    ("coverage-cell-below-minimum",
     lambda t: ["coverage", TAJI, "--cell-m", "4.5", "--out", str(t / "out")],
     ["--cell-m = 4.5", "at least 5 m"]),
    ("coverage-negative-cell",
     lambda t: ["coverage", TAJI, "--cell-m", "-100", "--out", str(t / "out")],
     ["--cell-m = -100", "positive"]),
    ("coverage-threshold-over-one",
     lambda t: ["coverage", TAJI, "--threshold", "1.5", "--out", str(t / "out")],
     ["--threshold = 1.5", "between 0 and 1"]),
    ("coverage-existing-json",
     lambda t: (_file(t / "out" / "coverage.json"),
                ["coverage", TAJI, "--cell-m", "500", "--out", str(t / "out")])[1],
     ["would overwrite coverage.json", "--overwrite"]),
    ("compare-too-few-salvos",
     lambda t: ["compare", TAJI, TAJI, "--salvos", "100"],
     ["--salvos = 100", "at least 1,024 salvos"]),
    ("compare-missing-scenario",
     lambda t: ["compare", TAJI, str(t / "nope.toml"), "--salvos", "2048"],
     ["nope.toml", "file not found"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_output_is_one_line_exit_2_nothing_written(tmp_path: Path, case) -> None:
    _, setup, fragments = case
    argv = setup(tmp_path)
    before = _snapshot(tmp_path)
    result = runner.invoke(app, argv)
    assert_bad_input(result, *fragments)
    assert _snapshot(tmp_path) == before, "a refused command changed the output folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that bind the user (root ignores them)")
def test_unwritable_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = runner.invoke(app, ["run", TAJI, "--salvos", "512", "--out", str(out)])
        assert_bad_input(result, "not writable")
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o700)
