"""Caches attached to the app (cachetools), so every app – and every test app – has its own.

Keys carry the versions of what was read (engagement's data version, the boundaries' version), so a
cache never needs clearing when data changes: a new version is a new key, and old keys age out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import LRUCache
from flask import current_app


class BuildCache:
    """A small thread-safe LRU cache that builds missing values (outside the lock) and counts hits."""

    def __init__(self, maxsize: int = 32):
        self._items: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The cached value for key, building it when missing."""
        with self._lock:
            if key in self._items:
                self.hits += 1
                return self._items[key]
        value = build()
        with self._lock:
            self.misses += 1
            self._items[key] = value
        return value

    def __contains__(self, key: Hashable) -> bool:
        """Whether key is built (without building it or counting a hit)."""
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def app_cache(name: str, maxsize: int = 32) -> BuildCache:
    """The current app's cache called name (made on first use, kept in app.extensions)."""
    caches = current_app.extensions.setdefault("coordination.caches", {})
    if name not in caches:
        with _creating:
            caches.setdefault(name, BuildCache(maxsize))
    return caches[name]


_creating = threading.Lock()
