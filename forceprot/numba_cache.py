"""The on-disk numba cache of forceprot's kernels: is it warm, is it readable.

numba compiles every ``@njit(cache=True)`` function on its first call and stores the result
beside the source (``forceprot/__pycache__/*.nbi`` index, ``*.nbc`` data) or under
``NUMBA_CACHE_DIR``. Two things go wrong for a user:

- the first run compiles for minutes without a word: :func:`inspect_cache` says how many
  functions have no cache yet, so the command can announce it;
- a cache file holding garbage (a full disk, a killed writer, a bad copy) makes numba raise an
  unpickling error on every later run: :func:`inspect_cache` reads each file the way numba will
  and deletes the unreadable function's files, so numba rebuilds them once. Reading every
  data file costs about 0.3 s, so a stamp (:data:`VERIFIED_STAMP`, in each cache directory)
  records the inode, size, modification and change times of the files last found readable: a
  warm start whose files are unchanged only stats them. A file spoiled in place with all four
  unchanged (bit rot under the file system) is not re-read; everything else that writes a file,
  copies or restores a cache changes them.

Only numba's on-disk format is relied on (an index is a pickled version followed by a pickled
``(stamp, {key: data file name})``; a data file is one pickle), read through the paths numba's own
cache objects report.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CacheStatus", "COLD_COMPILE_S", "VERIFIED_STAMP", "inspect_cache"]

#: Prefix of the files, in each cache directory, holding a digest of (name, inode, size,
#: modification and change times) of an entry's kernel cache files when they were last all
#: found readable (one per entry module of :data:`COLD_COMPILE_S`).
VERIFIED_STAMP = "forceprot-verified"

#: What a command compiles, by the entry module it calls: (packages whose kernels it runs,
#: wall time to compile them all with a cold cache [s]). The simulation: 40.8 s for the kernel's
#: first call in a fresh process with an empty NUMBA_CACHE_DIR (43 s for the whole process;
#: `python -m benchmarks throughput`, 2-core machine), 80-110 s when blocks ran in a numba
#: ``prange``; a single trajectory (flight kernels only): about 5 s, on the same kind of machine.
#: The announcement scales the figure by the share of functions cold.
COLD_COMPILE_S = {
    "forceprot.kernel": (("forceprot",), 40.0),
    "forceprot.ballistics": (("forceprot.flight.trajectory", "forceprot.flight.atmosphere",
                              "forceprot.flight.drag"), 5.0),
}


@dataclass(frozen=True)
class CacheStatus:
    """What :func:`inspect_cache` found.

    Attributes
    ----------
    n_functions : int
        Cached kernel functions in the inspected modules [-].
    n_missing : int
        Of those, how many sit in a module with no cache yet (they compile on first call) [-].
    removed : list of Path
        Unreadable cache files deleted (with the rest of their function's files).
    cold_compile_s : float
        Compile time of all the inspected kernels from a cold cache [s].
    """

    n_functions: int
    n_missing: int
    removed: list[Path] = field(default_factory=list)
    cold_compile_s: float = 0.0

    @property
    def compile_estimate_s(self) -> float:
        """Expected compile time for the missing functions [s]."""
        return self.cold_compile_s * self.n_missing / max(self.n_functions, 1)


def _dispatchers(entry: str, packages: tuple[str, ...]):
    """Every ``cache=True`` dispatcher of ``packages`` once ``entry`` is imported."""
    from numba.core.dispatcher import Dispatcher

    importlib.import_module(entry)
    seen = set()
    for mod_name, module in list(sys.modules.items()):
        if module is None or not any(mod_name == p or mod_name.startswith(p + ".")
                                     for p in packages):
            continue
        for value in list(vars(module).values()):
            if (isinstance(value, Dispatcher) and id(value) not in seen
                    and getattr(value.py_func, "__module__", None) == mod_name
                    and hasattr(getattr(value, "_cache", None), "_cache_file")):
                seen.add(id(value))
                yield value


def _unreadable(index_path: Path) -> bool:
    """True if numba would fail to read this index or a data file it lists."""
    try:
        with index_path.open("rb") as fh:
            pickle.load(fh)  # numba's format version; a mismatch makes numba ignore the file
            _, overloads = pickle.loads(fh.read())
        for data_name in dict(overloads).values():
            data_path = index_path.parent / data_name
            if data_path.exists():
                pickle.loads(data_path.read_bytes())
    except Exception:  # noqa: BLE001 - anything numba would trip on
        return True
    return False


def _cache_files(index_path: Path) -> list[Path]:
    """A function's index and data files (``<stem>.nbi``, ``<stem>.*.nbc``), sorted."""
    stem = index_path.name[: -len(".nbi")]
    return sorted(p for p in index_path.parent.glob(f"{stem}.*") if p.suffix in (".nbi", ".nbc"))


def _files_digest(indexes: list[Path]) -> dict[Path, str]:
    """Per cache directory, a digest of the name, inode, size, modification and change times of
    every index and data file of the inspected kernels in it (a copied or restored cache has
    new inodes and change times, which no user can set back)."""
    by_dir: dict[Path, list[str]] = {}
    for index_path in indexes:
        for path in _cache_files(index_path):
            try:
                st = path.stat()
            except FileNotFoundError:  # removed meanwhile by another process's repair
                continue
            by_dir.setdefault(path.parent, []).append(
                f"{path.name}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
    return {d: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()
            for d, v in by_dir.items()}


def _stamp_path(directory: Path, entry: str) -> Path:
    """The stamp of ``entry``'s kernels in a cache directory (commands that run different
    kernels share directories, each keeps its own stamp)."""
    return directory / f"{VERIFIED_STAMP}-{entry}"


def _verified(digests: dict[Path, str], entry: str) -> bool:
    """Whether every cache directory's files are as they were when last found readable."""
    try:
        return bool(digests) and all(
            _stamp_path(d, entry).read_text(encoding="ascii") == h for d, h in digests.items())
    except OSError:
        return False


def _mark_verified(digests: dict[Path, str], entry: str) -> None:
    """Record files found readable (best effort: a read-only cache is simply re-read)."""
    for d, h in digests.items():
        tmp = d / f"{VERIFIED_STAMP}.{os.getpid()}.tmp"
        try:
            tmp.write_text(h, encoding="ascii")
            os.replace(tmp, _stamp_path(d, entry))
        except OSError:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


def inspect_cache(entry: str = "forceprot.kernel", *, repair: bool = True) -> CacheStatus:
    """Count uncompiled kernels and delete unreadable cache files, before numba loads them.

    Parameters
    ----------
    entry : str
        The module whose kernels the caller is about to run, a key of :data:`COLD_COMPILE_S`.
    repair : bool
        If any cache file is unreadable, delete the cache files of every inspected kernel (numba
        then recompiles them all, as on a first run).

    Returns
    -------
    CacheStatus
    """
    by_module: dict[str, list[Path]] = {}
    packages, cold_compile_s = COLD_COMPILE_S[entry]
    for dispatcher in _dispatchers(entry, packages):
        by_module.setdefault(dispatcher.py_func.__module__, []).append(
            Path(dispatcher._cache._cache_file._index_path))
    removed: list[Path] = []
    indexes = [p for v in by_module.values() for p in v]
    before = _files_digest(indexes) if repair else {}
    checked = repair and not _verified(before, entry)
    if checked and any(p.exists() and _unreadable(p) for p in indexes):
        # Drop every inspected kernel's files, not just the unreadable function's: a caller's
        # cache embeds its callees, so a lone deleted callee would never be rebuilt and the
        # cache would look half cold forever after.
        for index_path in indexes:
            for path in _cache_files(index_path):
                path.unlink(missing_ok=True)
                removed.append(path)
    # stamp only what was read, and only if no file changed while it was being read
    if checked and not removed and _files_digest(indexes) == before:
        _mark_verified(before, entry)
    # A function only ever called from other kernels is compiled into its caller and never gets
    # an index of its own, so a missing index alone does not mean a compile: a module is cold
    # when none of its functions has one.
    n_functions = sum(len(v) for v in by_module.values())
    n_missing = sum(len(v) for v in by_module.values() if not any(p.exists() for p in v))
    return CacheStatus(n_functions=n_functions, n_missing=n_missing, removed=removed,
                       cold_compile_s=cold_compile_s)
