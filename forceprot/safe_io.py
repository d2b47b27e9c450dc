"""Opening input files that a user (or an attacker) named: regular files only, reads capped.

A scenario or layer path may name a FIFO (``open`` blocks until a writer comes), a device
(``/dev/zero`` never ends), a folder, a path the OS refuses (too long, embedded NUL) or a
huge file. Every such case becomes one :class:`~forceprot.errors.ForceprotError` line here,
before anything reads the file.

Notes
-----
Files are opened with ``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor, so a
path swapped for a FIFO between the check and the read cannot block either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

from forceprot.errors import ForceprotError

__all__ = [
    "MAX_LAYER_BYTES",
    "MAX_SCENARIO_BYTES",
    "check_regular_file",
    "read_capped",
    "read_head",
]

#: Largest scenario file read [bytes]. Real scenarios are a few kB.
MAX_SCENARIO_BYTES: Final[int] = 1 << 20
#: Largest geodata layer file read [bytes]. A 100,000-vertex boundary in GeoJSON is about 4 MB.
MAX_LAYER_BYTES: Final[int] = 64 << 20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _os_error(exc: OSError, *, label: str, field: str | None,
              error: type[ForceprotError]) -> ForceprotError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return error("file not found", file=label, field=field)
    if exc.errno == errno.ENAMETOOLONG:
        return error("path is too long for the file system", file=label, field=field)
    return error(f"cannot read: {exc.strerror or type(exc).__name__}", file=label, field=field)


def check_regular_file(path: str | Path, *, label: str, field: str | None = None,
                       max_bytes: int, error: type[ForceprotError] = ForceprotError
                       ) -> os.stat_result:
    """Check that ``path`` is an existing regular file of at most ``max_bytes`` bytes.

    Parameters
    ----------
    path : str or Path
        The file (symbolic links are followed).
    label : str
        How the file is named in errors.
    field : str, optional
        The scenario field that named the file.
    max_bytes : int
        Size cap [bytes].
    error : type
        The :class:`ForceprotError` subclass to raise.

    Returns
    -------
    os.stat_result

    Raises
    ------
    ForceprotError
        Missing, not a regular file (folder, FIFO, device, socket), larger than the cap, or a
        path the OS refuses (too long, embedded NUL byte).
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_error(exc, label=label, field=field, error=error) from None
    except ValueError:  # embedded NUL byte
        raise error("path contains a NUL byte", file=label, field=field) from None
    _check_stat(st, label=label, field=field, max_bytes=max_bytes, error=error)
    return st


def _check_stat(st: os.stat_result, *, label: str, field: str | None, max_bytes: int,
                error: type[ForceprotError]) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise error(_kind(st.st_mode), file=label, field=field)
    if st.st_size > max_bytes:
        raise error(f"file is {st.st_size:,} bytes, more than the {max_bytes:,} forceprot reads",
                    file=label, field=field)


def _read(path: str | Path, n: int, *, label: str, field: str | None, max_bytes: int,
          error: type[ForceprotError]) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise error("is a folder, not a file", file=label, field=field) from None
        raise _os_error(exc, label=label, field=field, error=error) from None
    except ValueError:
        raise error("path contains a NUL byte", file=label, field=field) from None
    try:
        _check_stat(os.fstat(fd), label=label, field=field, max_bytes=max_bytes, error=error)
        chunks, got = [], 0
        while got < n:
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise _os_error(exc, label=label, field=field, error=error) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_capped(path: str | Path, *, label: str, field: str | None = None, max_bytes: int,
                error: type[ForceprotError] = ForceprotError) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` bytes.

    Raises the same errors as :func:`check_regular_file`; a file that grows past the cap while
    it is read is refused too.
    """
    data = _read(path, max_bytes + 1, label=label, field=field, max_bytes=max_bytes, error=error)
    if len(data) > max_bytes:
        raise error(f"file is more than the {max_bytes:,} bytes forceprot reads", file=label,
                    field=field)
    return data


def read_head(path: str | Path, n: int, *, label: str, field: str | None = None,
              max_bytes: int, error: type[ForceprotError] = ForceprotError) -> bytes:
    """The first ``n`` bytes of a regular file of at most ``max_bytes`` bytes (to sniff its format)."""
    return _read(path, n, label=label, field=field, max_bytes=max_bytes, error=error)
