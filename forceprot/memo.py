"""A small least-recently-used memo for what a process builds again and again.

Studies compile thousands of scenario variants that share a site: the same base polygon,
launch zone and parsed base scenario. What is built from those alone (triangles, cell grids,
the reach proof, the parse of a base scenario) is kept here, so a variant pays only for what
it changes. Values are shared, never copied: whatever is memoised must not be modified by its
users (the kernel only reads its inputs).

Keys may hold the :func:`id` of objects; the memo then keeps those objects alive as long as the
entry lives (``keep``), so an id is never reused by another object while it is a key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

__all__ = ["LruMemo"]


class LruMemo:
    """Values by key, at most ``max_entries`` of them, the least recently used dropped first.

    Building holds the memo's lock, so two threads never build the same value twice (builds
    are short and the memo is per process).
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], Any], *, keep: Any = None) -> Any:
        """The value memoised for ``key``, built by ``build()`` on a miss.

        ``keep``: objects whose :func:`id` is part of ``key``; they are kept alive with the
        entry. A build that raises memoises nothing.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[1]
            value = build()
            self._entries[key] = (keep, value)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
