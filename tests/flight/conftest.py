"""Fixtures of the flight tests: a private trajectory-family cache folder."""

from __future__ import annotations

import pytest

from forceprot.ballistics import FAMILY_CACHE_ENV


@pytest.fixture(autouse=True, scope="package")
def _private_family_cache(tmp_path_factory):
    """Point the on-disk family cache at a temporary folder for the whole package.

    Package scope (not ``monkeypatch``, which is per test) so that hypothesis tests may use it;
    the tests never read or write a user's ``~/.cache/forceprot``.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FAMILY_CACHE_ENV, str(tmp_path_factory.mktemp("family-cache")))
        yield


@pytest.fixture
def fresh_cache_dir(tmp_path, monkeypatch):
    """A fresh, empty cache folder for one test (not created yet); the memos are cleared."""
    from forceprot import ballistics

    folder = tmp_path / "cache"
    monkeypatch.setenv(FAMILY_CACHE_ENV, str(folder))
    ballistics._build_family_cached.cache_clear()
    ballistics._max_range_cached.cache_clear()
    yield folder
    ballistics._build_family_cached.cache_clear()
