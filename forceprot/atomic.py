"""The one atomic writer: a set of files appears together or not at all.

Two primitives, both built on the same temp naming and the same commit rules:

* :func:`staged_dir` (a folder of outputs): every file is written into a hidden sibling folder
  ``.OUT.forceprot-tmp.HOST.PID.RANDOM``; only when all are complete is that folder renamed onto
  ``OUT``. A failure or a signal part-way removes the hidden folder and leaves ``OUT`` as it was
  (absent stays absent: no empty folder is left behind).
* :func:`atomic_file` (one file: ``schema --out``, ``trajectory --path``, the trajectory-family
  cache): a hidden temp file beside the target, then a link or rename onto it.

Commit rules
------------
Without ``overwrite``, nothing that exists at *commit* time is replaced, whatever was checked
earlier: a folder is committed by ``rename(2)`` onto an absent or empty ``OUT`` (the kernel
refuses a non-empty one with ``ENOTEMPTY``/``EEXIST``), a file by ``link(2)`` (``EEXIST``). Of two
runs racing into one folder exactly one wins; the other gets an :class:`OutputError`.

With ``overwrite``, the new folder replaces the old one whole, so no file of an earlier run (a
GeoPackage the new run does not write) sits beside the new ones: Linux's
``renameat2(RENAME_EXCHANGE)`` swaps the two folders in one step; elsewhere the old folder is
renamed aside, the new one renamed in, and the old one removed.

Unrelated files
---------------
``OUT`` belongs to forceprot. Without ``overwrite`` it must be absent or empty. With
``overwrite`` it may hold only files the command itself writes (its ``replaceable`` names): a
folder that also holds anything else (a user's notes, a sub-folder) is refused even then, naming
the entry, because replacing the folder would delete it. This is checked again on the folder
actually swapped out, so a file added during the run is not lost either.

Stale temps
-----------
Temp names carry the host and the process id. Each write first removes the temps beside its
target left by a process of this host that no longer exists (killed with SIGKILL, or a power
cut); temps of live processes, or of other hosts sharing the folder, are left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import secrets
import shutil
import signal
import socket
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from forceprot.errors import OutputError

__all__ = ["TEMP_TAG", "atomic_file", "atomic_write_bytes", "atomic_write_text",
           "check_writable", "prepare_out_dir", "remove_stale_temps", "staged_dir",
           "write_file_set"]

#: Marks every temp file and folder forceprot makes: ``.NAME.forceprot-tmp.HOST.PID.RANDOM``.
TEMP_TAG = "forceprot-tmp"
_TEMP_RE = re.compile(rf"^\..+\.{TEMP_TAG}\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.[0-9a-f]+")
#: Signals held back while a commit renames folders, so that one never stops half-way.
_COMMIT_SIGNALS = {signal.SIGINT, signal.SIGTERM} | (
    {signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())


def _host() -> str:
    """This machine's name as it appears in temp names (letters, digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"


def _temp_name(target: Path, suffix: str = "") -> Path:
    """A hidden sibling of ``target`` that :func:`remove_stale_temps` can attribute."""
    return target.parent / (f".{target.name}.{TEMP_TAG}.{_host()}.{os.getpid()}."
                            f"{secrets.token_hex(4)}{suffix}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True  # cannot tell: keep its files
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove forceprot temps in ``folder`` whose process (on this host) has died.

    Parameters
    ----------
    folder : Path
        Where to look (not recursive).

    Returns
    -------
    list of Path
        What was removed. Errors are ignored: a temp that cannot be removed is only untidy.
    """
    removed: list[Path] = []
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or m["host"] != host:
            continue
        pid = int(m["pid"])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        removed.append(path)
    return removed


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back for the few renames of a commit (main thread only; they
    are delivered, and their handlers run, as soon as the block ends)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _COMMIT_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --- checks ----------------------------------------------------------------------------------


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _check_parent(path: Path) -> None:
    parent = _parent(path)
    if not parent.is_dir():
        raise OutputError("folder does not exist" if not parent.exists() else "is not a folder",
                          file=str(parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError("folder is not writable", file=str(parent))


def check_writable(path: Path, *, overwrite: bool) -> None:
    """Raise :class:`OutputError` if the file ``path`` cannot be (re)written.

    An early check, to refuse before spending time; the commit checks again.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError("is a folder, not a file", file=str(path))
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputError("file exists (use --overwrite to replace it)", file=str(path))
    _check_parent(path)


def _folder_problem(out_dir: Path, *, overwrite: bool,
                    replaceable: Iterable[str] | None) -> str | None:
    """Why ``out_dir`` may not be replaced now, or None if it may."""
    try:
        present = sorted(os.listdir(out_dir))
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return "output path exists and is not a folder"
    except OSError as err:
        return f"cannot read the folder: {err.strerror or err}"
    if not present:
        return None
    names = set(replaceable) if replaceable is not None else set(present)
    foreign = [n for n in present if n not in names or (out_dir / n).is_dir()]
    if foreign:
        return (f"holds {_listing(foreign)}, which forceprot does not write; the folder is "
                f"replaced whole, so choose a new or empty one (even --overwrite refuses)")
    if not overwrite:
        return f"would overwrite {_listing(present)} (use --overwrite)"
    return None


def _listing(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def prepare_out_dir(out_dir: Path, names: Iterable[str] | None, *, overwrite: bool) -> Path:
    """Check, before any work, that the files ``names`` can be written as the folder ``out_dir``.

    Nothing is created: the folder appears only when :func:`staged_dir` commits it.

    Parameters
    ----------
    out_dir : Path
        The output folder; absent (its parent must exist), empty, or (with ``overwrite``)
        holding only files among ``names``.
    names : iterable of str, or None
        The files the command writes; with ``overwrite`` these are the only ones it replaces
        (None: any file, but no sub-folder).
    overwrite : bool
        Whether an earlier run's outputs may be replaced.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    OutputError
        With the reason, naming the folder.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("output path exists and is not a folder", file=str(out_dir))
    if not out_dir.exists():
        parent = _parent(out_dir)
        if not parent.exists():
            raise OutputError("parent folder does not exist", file=str(parent))
    _check_parent(out_dir)
    if out_dir.exists() and not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError("folder is not writable", file=str(out_dir))
    problem = _folder_problem(out_dir, overwrite=overwrite,
                              replaceable=None if names is None else list(names))
    if problem:
        raise OutputError(problem, file=str(out_dir))
    return out_dir


# --- renames ---------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_libc = None


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """Linux ``renameat2``; False where the system or the filesystem lacks it (then fall back)."""
    global _libc
    if not os.uname().sysname == "Linux":
        return False
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # old kernel or a filesystem without it (some network mounts)
    raise OSError(err, os.strerror(err), str(dst))


def _commit_dir(staged: Path, out_dir: Path, *, overwrite: bool,
                replaceable: list[str] | None) -> None:
    """Move the complete ``staged`` folder onto ``out_dir`` under the module's commit rules."""
    try:
        os.rename(staged, out_dir)  # absent or empty target: atomic, and never loses a file
        return
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise OutputError(f"cannot create the folder: {err.strerror}",
                              file=str(out_dir)) from None
    # The target exists and is not empty (perhaps another run just committed it).
    if not overwrite:
        raise OutputError("another run wrote this folder first; nothing was replaced "
                          "(use --overwrite to replace it)", file=str(out_dir))
    if _renameat2(staged, out_dir, _RENAME_EXCHANGE):
        old = staged  # the old folder now sits at the staged name
        problem = _folder_problem(old, overwrite=True, replaceable=replaceable)
        if problem:  # something foreign appeared during the run: put the old folder back
            _renameat2(staged, out_dir, _RENAME_EXCHANGE)
            raise OutputError(problem, file=str(out_dir))
        shutil.rmtree(old, ignore_errors=True)
        return
    aside = _temp_name(out_dir, ".old")
    os.rename(out_dir, aside)
    problem = _folder_problem(aside, overwrite=True, replaceable=replaceable)
    if problem:
        os.rename(aside, out_dir)
        raise OutputError(problem, file=str(out_dir))
    try:
        os.rename(staged, out_dir)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.rename(aside, out_dir)  # the old results stay rather than none
        raise OutputError(f"cannot replace the folder: {err.strerror}", file=str(out_dir)) from None
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(out_dir: Path, *, overwrite: bool = False,
               replaceable: Iterable[str] | None = None) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``out_dir``; on success it becomes ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        The output folder (see the module notes for the commit rules).
    overwrite : bool
        Replace an existing folder of earlier outputs.
    replaceable : iterable of str, optional
        File names a replaced folder may hold (the command's outputs); anything else refuses the
        commit. None: whatever the staged folder holds.

    Raises
    ------
    OutputError
        The folder cannot be written or replaced; nothing changed then.
    """
    out_dir = Path(out_dir)
    names = None if replaceable is None else list(replaceable)
    prepare_out_dir(out_dir, names, overwrite=overwrite)
    remove_stale_temps(_parent(out_dir))
    staged = _temp_name(out_dir)
    try:
        staged.mkdir(mode=0o777)
    except OSError as err:
        raise OutputError(f"cannot write: {err.strerror}", file=str(_parent(out_dir))) from None
    try:
        yield staged
        if names is None:
            names = os.listdir(staged)
        else:
            names = sorted(set(names) | set(os.listdir(staged)))
        with _signals_deferred():
            _commit_dir(staged, out_dir, overwrite=overwrite, replaceable=names)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def write_file_set(out_dir: Path, writers: Mapping[str, Callable[[Path], object]], *,
                   overwrite: bool = False,
                   replaceable: Iterable[str] | None = None) -> list[Path]:
    """Write a set of files into ``out_dir``, all or nothing.

    Parameters
    ----------
    out_dir : Path
        The output folder.
    writers : mapping of str to callable
        ``writers[name](path)`` writes the file ``name`` at ``path`` (inside the staged folder,
        so drivers that infer a format from the suffix still work).
    overwrite : bool
        Replace an earlier run's folder (see :func:`staged_dir`).
    replaceable : iterable of str, optional
        Names an existing folder may hold to be replaced; default: the names in ``writers``.

    Returns
    -------
    list of Path
        The files, at their final paths, in the order of ``writers``.

    Raises
    ------
    OutputError
        The folder cannot be written or replaced, or the disk refused a file; nothing is left.
    """
    out_dir = Path(out_dir)
    allowed = set(writers) | set(replaceable or ())
    with staged_dir(out_dir, overwrite=overwrite, replaceable=allowed) as staged:
        for name, write in writers.items():
            try:
                write(staged / name)
            except OSError as err:  # a full disk, a quota, a read-only remount
                raise OutputError(f"cannot write {name}: {err.strerror or err}",
                                  file=str(out_dir)) from None
    return [out_dir / name for name in writers]


# --- single files ----------------------------------------------------------------------------


def _commit_file(tmp: Path, path: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails with EEXIST if the target appeared meanwhile
    except FileExistsError:
        raise OutputError("file exists (use --overwrite to replace it)", file=str(path)) from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if not _renameat2(tmp, path, _RENAME_NOREPLACE):  # no hard links here: FAT, some mounts
            if path.exists():
                raise OutputError("file exists (use --overwrite to replace it)",
                                  file=str(path)) from None
            os.replace(tmp, path)
        return
    tmp.unlink()


@contextlib.contextmanager
def atomic_file(path: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden temp path beside ``path``; on success move it into place.

    The temp name keeps the target's suffix, so drivers that infer a format from it (GDAL,
    matplotlib, ``np.savez``) still work; the caller creates the file. Without ``overwrite`` a
    file that exists at commit time is never replaced.

    Raises
    ------
    OutputError
        The target exists (without ``overwrite``), is a folder, or its folder is missing or
        not writable.
    """
    path = Path(path)
    check_writable(path, overwrite=overwrite)
    remove_stale_temps(_parent(path))
    tmp = _temp_name(path, path.suffix)
    try:
        yield tmp
        with _signals_deferred():
            _commit_file(tmp, path, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
