"""The kernel cache: a cold one is announced, an unreadable one is rebuilt, not a traceback.

Each test runs ``forceprot trajectory`` (flight kernels only, a few seconds to compile) in a
subprocess whose ``NUMBA_CACHE_DIR`` is a fresh temporary folder, so the user's cache and the
package's ``__pycache__`` are never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forceprot.numba_cache import VERIFIED_STAMP


def _trajectory(cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "forceprot", "trajectory", "--json"],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def warm_cache(tmp_path) -> tuple[Path, subprocess.CompletedProcess]:
    cache = tmp_path / "numba"
    first = _trajectory(cache)
    return cache, first


def test_first_run_announces_the_compile_and_later_runs_do_not(warm_cache) -> None:
    cache, first = warm_cache
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("compiling kernels, once, about "), first.stderr
    assert list(cache.rglob("*.nbi")), "numba wrote no cache: the test proves nothing"
    again = _trajectory(cache)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)


@pytest.mark.slow  # four cold-ish runs of the CLI, about 10 s
@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_an_unreadable_cache_file_is_rebuilt(warm_cache, suffix) -> None:
    cache, first = warm_cache
    # a warm run records the files it found readable; a file spoiled after that is still found
    assert _trajectory(cache).returncode == 0
    assert list(cache.rglob(f"{VERIFIED_STAMP}-*")), sorted(p.name for p in cache.rglob("*"))
    victims = sorted(cache.rglob(f"trajectory.integrate-*{suffix}"))
    assert victims, sorted(p.name for p in cache.rglob("*"))
    # garbage of the same size, its modification time set back: only the change time tells
    st = victims[0].stat()
    garbage = b"garbage, not a pickle\n" * (st.st_size // 22 + 1)
    victims[0].write_bytes(garbage[:st.st_size])
    os.utime(victims[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    repaired = _trajectory(cache)
    assert repaired.returncode == 0, repaired.stderr
    assert "Traceback" not in repaired.stderr
    lines = repaired.stderr.splitlines()
    assert lines[0].startswith("kernel cache unreadable: removed "), repaired.stderr
    assert lines[1].startswith("compiling kernels, once, about "), repaired.stderr
    assert json.loads(repaired.stdout) == json.loads(first.stdout)
    after = _trajectory(cache)  # rebuilt: quiet and the same again
    assert after.returncode == 0 and after.stderr == "", after.stderr
