"""Atomic file writing: a temp file beside the target, then ``os.replace``.

A failed write leaves no half-written file behind, and an existing file is replaced only when
the caller says so.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from forceprot.errors import OutputError

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "check_writable",
           "prepare_out_dir"]


def check_writable(path: Path, *, overwrite: bool) -> None:
    """Raise :class:`OutputError` if ``path`` cannot be (re)written."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise OutputError("is a folder, not a file", file=str(path))
    if path.exists() and not overwrite:
        raise OutputError("file exists (use --overwrite to replace it)", file=str(path))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise OutputError("folder does not exist", file=str(parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError("folder is not writable", file=str(parent))


def prepare_out_dir(out_dir: Path, names: list[str], *, overwrite: bool) -> Path:
    """Create ``out_dir`` if needed and check that each of ``names`` can be written in it.

    Everything is checked before anything is written, so a refused run writes nothing.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("output path exists and is not a folder", file=str(out_dir))
    if not out_dir.exists():
        parent = out_dir.parent if str(out_dir.parent) else Path(".")
        if not parent.exists():
            raise OutputError("parent folder does not exist", file=str(parent))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError("folder is not writable", file=str(parent))
    elif not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError("folder is not writable", file=str(out_dir))
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not overwrite:
        raise OutputError(f"would overwrite {', '.join(existing)} (use --overwrite)",
                          file=str(out_dir))
    out_dir.mkdir(parents=False, exist_ok=True)
    return out_dir


@contextlib.contextmanager
def atomic_path(path: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place.

    The temp file keeps the target's suffix, so drivers that infer a format from the name
    (GDAL, matplotlib) still work.
    """
    path = Path(path)
    check_writable(path, overwrite=overwrite)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                               dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves (GDAL refuses an empty GPKG)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
