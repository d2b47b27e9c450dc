"""Shared fixtures: paths to the bundled sites and a scratch copy of them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "sites"

#: Every run, local or CI, draws the same hypothesis examples: derandomised (examples derived
#: from each test's source, not a random seed) and no example database (a failure found once
#: is not replayed from ``.hypothesis/`` on one machine only). A counterexample worth keeping
#: becomes an explicit ``@example``. ``pytest --hypothesis-profile=explore`` hunts with random
#: seeds, by hand.
settings.register_profile("forceprot", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("explore", database=None, deadline=None, print_blob=True)
settings.load_profile("forceprot")


@pytest.fixture
def sites_copy(tmp_path: Path) -> Path:
    """A writable copy of ``sites/`` to edit scenarios and layers in."""
    dst = tmp_path / "sites"
    shutil.copytree(SITES, dst)
    return dst


def edit_toml(path: Path, old: str, new: str) -> Path:
    """Replace one exact snippet of a TOML file (fails loudly if it is not there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
    return path


def pytest_configure(config):
    """Keep built trajectory families out of the user's cache: one scratch cache per session
    (subprocesses and dask workers started by tests inherit it)."""
    config._forceprot_cache = tempfile.mkdtemp(prefix="forceprot-test-cache-")
    os.environ["FORCEPROT_CACHE_DIR"] = config._forceprot_cache


def pytest_unconfigure(config):
    path = getattr(config, "_forceprot_cache", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)
