"""Property: whatever file ``forceprot validate`` or ``run`` is given, it exits 0 or 2, in one
line at most.

Generated garbage (random bytes, text in other encodings, deep nesting, odd file names, TOML
that looks right but has wrong types) must never produce a traceback (exit 1) or a
multi-line error. Derandomised with a fixed number of examples: the same inputs on every run
and machine, a few seconds in all.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forceprot.cli import app
from tests.conftest import SITES

runner = CliRunner()

GARBAGE = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
_toml_values = st.recursive(
    _scalars.filter(lambda v: v is not None),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8)

_SECTIONS = {"site": ["name", "boundary", "boundary_layer", "crs", "defended_margin_m",
                      "exclusions", "launch_areas"],
             "threat": ["rocket", "tubes", "ripple_s", "min_standoff_m", "max_standoff_m",
                        "aim", "wind_mps", "lay_for_wind"],
             "simulation": ["salvos", "seed", "cell_m"]}
_BASE = {"site": {"name": "Taji", "boundary": "taji.geojson"},
         "threat": {"rocket": "107mm", "tubes": 24, "ripple_s": 0.5, "min_standoff_m": 500,
                    "max_standoff_m": 6000}}


def _toml(value) -> str:
    """A TOML value: JSON's strings, numbers, booleans and arrays are TOML; tables are inline."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


@st.composite
def _wrong_typed_toml(draw) -> bytes:
    """A scenario that parses as TOML, with one known field given a random value."""
    section = draw(st.sampled_from(sorted(_SECTIONS)))
    key = draw(st.sampled_from(_SECTIONS[section]))
    doc = {k: dict(v) for k, v in _BASE.items()}
    doc.setdefault(section, {})[key] = draw(_toml_values)
    return "\n".join(f"[{name}]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n"
                                             for k, v in table.items())
                     for name, table in doc.items()).encode()


_contents = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).flatmap(
        lambda t: st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "utf-32"]).map(
            lambda enc: t.encode(enc, errors="replace"))),
    st.integers(min_value=1, max_value=4000).map(lambda n: ("a = " + "[" * n + "]" * n).encode()),
    st.integers(min_value=1, max_value=4000).map(lambda n: ("[" + "a." * n + "b]\n").encode()),
    _wrong_typed_toml(),
)
_names = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))


def _assert_exit_0_or_2_one_line(result) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert len([ln for ln in result.stderr.splitlines() if ln.strip()]) <= 1, result.stderr


@GARBAGE
@given(content=_contents, name=_names)
def test_validate_garbage_file(content: bytes, name: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="forceprot-garbage-"))
    try:
        shutil.copy(SITES / "taji.geojson", folder / "taji.geojson")
        try:
            path = folder / name
            path.write_bytes(content)
        except OSError:  # a name this file system refuses (too long in bytes)
            path = folder / "scenario.toml"
            path.write_bytes(content)
        _assert_exit_0_or_2_one_line(runner.invoke(app, ["validate", str(path)]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@GARBAGE
@given(path=st.text(alphabet=st.characters(blacklist_characters="\x00",
                                           blacklist_categories=("Cs",)), max_size=600))
def test_validate_odd_paths(path: str) -> None:
    # "--": a path that starts with "-" is a path here (option parsing is click's, not ours).
    _assert_exit_0_or_2_one_line(runner.invoke(app, ["validate", "--", path]))


@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(content=_contents)
def test_run_garbage_file(content: bytes) -> None:
    """``run`` reads a scenario the same way: garbage gives exit 2 in one line, never a
    traceback and never a half-written output folder. (A file that happens to validate runs a
    few salvos.)"""
    folder = Path(tempfile.mkdtemp(prefix="forceprot-garbage-run-"))
    try:
        shutil.copy(SITES / "taji.geojson", folder / "taji.geojson")
        path = folder / "scenario.toml"
        path.write_bytes(content)
        out = folder / "out"
        result = runner.invoke(app, ["run", str(path), "--salvos", "512", "--out", str(out)])
        _assert_exit_0_or_2_one_line(result)
        if result.exit_code != 0:
            assert not out.exists(), "a failed run left an output folder"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
