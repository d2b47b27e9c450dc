"""Shared fixtures: paths to the bundled sites and a scratch copy of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "sites"


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
