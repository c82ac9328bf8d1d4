"""Work done off the request path: one background thread per key in this process, inside the app's context.

`start(app, key, work)` runs `work()` in a daemon thread with an app context (the session removed at
the end, a failure logged), unless a thread for the same key is still running. With `again=True` a
thread already running for the key runs `work` once more when it ends, so a burst of changes costs at
most the build under way and one more (the map layer after each directory write); without it the
running thread is enough (an engagement publication of one moment). Claims between processes are the
caller's (a database row, a file lock): this only keeps one thread per key within a process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

_threads: dict[Hashable, threading.Thread] = {}
_again: set[Hashable] = set()
_lock = threading.Lock()


def start(app, key: Hashable, work: Callable[[], None], name: str = "background", again: bool = False) -> bool:
    """Run work() in a thread of its own for key; False when one is already running for it."""
    with _lock:
        for finished in [k for k, thread in _threads.items() if not thread.is_alive()]:
            del _threads[finished]
        if key in _threads:
            if again:
                _again.add(key)
            return False
        thread = threading.Thread(target=_run, args=(app, key, work), name=name, daemon=True)
        _threads[key] = thread
        thread.start()
        return True


def _run(app, key: Hashable, work: Callable[[], None]) -> None:
    from .extensions import db

    while True:
        with app.app_context():
            try:
                work()
            except Exception:  # noqa: BLE001 - logged; the caller's next request or write tries again
                app.logger.exception("background work %r failed", key)
            finally:
                db.session.remove()
        with _lock:
            if key not in _again:
                _threads.pop(key, None)
                return
            _again.discard(key)


def running(key: Hashable) -> bool:
    with _lock:
        thread = _threads.get(key)
        return thread is not None and thread.is_alive()


def wait(keys=None, timeout: float = 120) -> None:
    """Block until this process's threads for these keys (all when None) have ended (tests, commands)."""
    with _lock:
        threads = [thread for key, thread in _threads.items() if keys is None or key in keys]
    for thread in threads:
        thread.join(timeout)
