"""Work done in a short-lived child process, so the worker never loads the libraries it needs.

Some work needs big libraries for a moment: drawing a map frame with folium, pandas and geopandas, or
protecting a table of small numbers with the HiGHS solver. Imported in a gunicorn worker they stay for
the rest of its life (100 MB and more per worker). `run_apart(work)` forks: the child, a copy of the
worker (its app, request and settings), does the work, sends the result back pickled through a pipe and
ends with os._exit, so no handler, database connection or buffer of the worker is closed or flushed twice.
The work must not use the database connection it inherits (read what it needs first).

Python re-makes its import and logging locks in a child, but a lock another thread of the worker held at
that instant would stay held there, so a child gets a time limit: past it, it is stopped and NotApart is
raised, as it is where there is no fork, where the child fails, or where RUN_APART is off. Callers then do
the work in-process, as before.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_app_context

SECONDS = 20  # the work here takes a second or two; past this the child is stopped (under gunicorn's 30 s timeout)
log = logging.getLogger(__name__)
T = TypeVar("T")


class NotApart(Exception):
    """The work could not be done in a child process: do it in this one."""


def enabled() -> bool:
    """Whether work may be done apart here (fork exists; the app's RUN_APART setting is on)."""
    return hasattr(os, "fork") and (not has_app_context() or current_app.config.get("RUN_APART", True))


def run_apart(work: Callable[[], T], seconds: float = SECONDS) -> T:
    """work()'s result, worked out in a forked child; NotApart when that cannot be done."""
    if not enabled():
        raise NotApart("no fork here, or RUN_APART is off")
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send the result, and end without running anything of the parent's
        status = 1
        try:
            os.close(reading)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writing, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: BLE001 - reported; the parent does the work itself
            log.exception("work apart (process %s) failed", os.getpid())
        finally:
            os._exit(status)
    os.close(writing)
    try:
        data = _read_all(reading, pid, seconds)
    finally:
        os.close(reading)
    _, status = os.waitpid(pid, 0)  # the child has closed its end: it is ending
    if os.waitstatus_to_exitcode(status) != 0:
        raise NotApart(f"the child process {pid} failed")
    return pickle.loads(data)


def _read_all(reading: int, pid: int, seconds: float) -> bytes:
    """Everything the child sends until it closes the pipe; the child is stopped after seconds."""
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        ready = select.select([reading], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            log.warning("work apart (process %s) took over %s s: stopped, done in-process", pid, seconds)
            raise NotApart(f"the child process {pid} took over {seconds} s")
        chunk = os.read(reading, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
