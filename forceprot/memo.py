"""A small least-recently-used memo, and content keys for it.

Studies compile hundreds of scenario variants that share a site: the same base polygon,
launch zone, occupancy and parsed base scenario. What is built from those alone (triangles,
cell grids, the reach check's draws, people points and shelters, the parse of a base scenario)
is kept here, so a variant pays only for what it changes. Keys are digests of the inputs'
content (:func:`content_key`), so a variant whose site was read again from its files still
finds them. Values are shared, never copied: whatever is memoised must not be modified by its
users (the kernel only reads its inputs).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

import numpy as np
import shapely

__all__ = ["LruMemo", "content_key"]


class LruMemo:
    """Values by key, at most ``max_entries`` of them, the least recently used dropped first.

    Building holds the memo's lock, so two threads never build the same value twice (builds
    are short and the memo is per process).
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value memoised for ``key``, built by ``build()`` on a miss; a build that raises
        memoises nothing."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            value = build()
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def content_key(*values: Any) -> str:
    """SHA-256 of the values' content: equal content, equal key.

    Arrays by dtype, shape and bytes (object arrays element by element); shapely geometries
    by their WKB; dataclasses by type and fields; tuples and lists item by item; anything else
    as canonical JSON (dicts with sorted keys; other objects by ``repr``).
    """
    h = hashlib.sha256()
    for v in values:
        _feed(h, v)
    return h.hexdigest()


def _feed(h, v: Any) -> None:
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            h.update(b"O%d|" % v.size)
            for item in v.ravel():
                _feed(h, item)
        else:
            h.update(f"A{v.dtype.str}{v.shape}|".encode())
            h.update(np.ascontiguousarray(v).tobytes())
    elif isinstance(v, shapely.Geometry):
        wkb = shapely.to_wkb(v)
        h.update(b"G%d|" % len(wkb))
        h.update(wkb)
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        h.update(f"D{type(v).__qualname__}|".encode())
        for f in dataclasses.fields(v):
            _feed(h, getattr(v, f.name))
    elif isinstance(v, (tuple, list)):
        h.update(b"T%d|" % len(v))
        for item in v:
            _feed(h, item)
    else:
        text = json.dumps(v, sort_keys=True, default=repr).encode("utf-8")
        h.update(b"J%d|" % len(text))
        h.update(text)
