"""Partners' engagement figures as publications: protected once per moment and viewer, off the request path.

Protecting everything a partner can download at one moment (every period, borough, practice area and
quarter, with every relation between them) is a large calculation: seconds at Greater Manchester
scale (bench/disclosure.py). So it is not done while a partner waits. The first partner request after
the figures change starts it in a background thread and is answered at once with the newest
publication already made for that viewer, labelled "figures as at …" (if there is none yet, a page
says the figures are being prepared). The finished publication is stored in the database, so every
worker and every later request reads it in a few milliseconds, and `flask engagement publish` makes
them ahead of time (after an import, or on a timer).

A publication holds the figures *and* the protection made from them, so what a partner sees is always
one consistent, protected moment, never today's figures with yesterday's hidden cells.

`ENGAGEMENT_PUBLISH_IN_BACKGROUND = False` builds inside the request instead (tests, or a host where
threads are not wanted).
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import background, disclosure
from ..caching import app_cache
from ..extensions import db
from ..timeutil import utcnow
from . import protection, queries
from .models import EngagementPublication

BUILDING, READY, FAILED = "building", "ready", "failed"
STALE_BUILD = timedelta(minutes=15)  # a build with no result after this long has stopped (its process ended)
RETRY_FAILED = timedelta(minutes=5)
KEEP = 3  # ready publications kept per viewer (the newest is served; older ones only while replaced)


@dataclass(frozen=True)
class Published:
    """One viewer's protected moment, as pages use it."""

    id: int
    moment: protection.Moment
    protection: disclosure.Protection
    built_at: datetime
    current: bool  # False: newer figures exist and are being prepared; this is the newest ready one

    @property
    def key(self) -> tuple:
        """What caches of things made from it are keyed by (an id can be used again after a reset)."""
        return (self.id, self.built_at)


def viewer_key(own: tuple[str, ...]) -> str:
    return ",".join(sorted(own))


def fingerprint(periods: list[queries.Period] | None = None) -> str:
    """The moment: the data version the figures read and the periods offered (which move with the date)."""
    periods = periods if periods is not None else queries.periods()
    moment = (queries.data_version(), tuple((p.key, p.start.isoformat(), p.end.isoformat()) for p in periods))
    return hashlib.sha256(repr(moment).encode()).hexdigest()


def current(own: tuple[str, ...]) -> Published | None:
    """The publication a partner with these own boroughs sees now: the one for this moment when it is
    ready; otherwise the newest ready one (while this moment's is built in the background), or None
    when there has never been one. Without background building, this moment's is built now."""
    viewer, moment = viewer_key(own), fingerprint()
    row = db.session.execute(
        select(
            EngagementPublication.id,
            EngagementPublication.state,
            EngagementPublication.started_at,
            EngagementPublication.built_at,
        ).where(*_of(viewer, moment))
    ).first()
    if row is not None and row.state == READY:
        return _load(row.id, row.built_at, current=True)
    if not current_app.config.get("ENGAGEMENT_PUBLISH_IN_BACKGROUND", True):
        made = db.session.get(EngagementPublication, build(own))
        return _load(made.id, made.built_at, current=True)
    _start(own, moment, row)
    newest = db.session.execute(_newest_ready(viewer, EngagementPublication.built_at).limit(1)).first()
    return _load(newest.id, newest.built_at, current=False) if newest is not None else None


def build(own: tuple[str, ...]) -> int:
    """Gather every period's figures now, protect them for this viewer, store the publication; its id."""
    viewer = viewer_key(own)
    periods = queries.periods()
    moment_key = fingerprint(periods)
    started = time.perf_counter()
    moment = protection.gather(periods)
    guard = protection.protect(moment, own)
    payload = _dump(moment, guard)
    seconds = time.perf_counter() - started
    values = {
        "state": READY,
        "built_at": utcnow(),
        "seconds": seconds,
        "payload": payload,
        "message": None,
    }
    existing = db.session.scalar(select(EngagementPublication.id).where(*_of(viewer, moment_key)))
    if existing is None:
        publication = EngagementPublication(viewer=viewer, moment=moment_key, started_at=utcnow(), **values)
        try:
            with db.session.begin_nested():
                db.session.add(publication)
            existing = publication.id
        except IntegrityError:  # another process stored the same moment meanwhile: the same figures
            db.session.rollback()
            return db.session.scalar(select(EngagementPublication.id).where(*_of(viewer, moment_key)))
    else:
        db.session.execute(update(EngagementPublication).where(EngagementPublication.id == existing).values(**values))
    _prune(viewer, keep=existing)
    db.session.commit()
    current_app.logger.info("engagement figures published for %s in %.1f s", viewer or "everyone", seconds)
    return existing


def publish_all() -> list[tuple[str, float | None]]:
    """Build the current moment's publication for every partner's set of boroughs (the command line):
    (viewer, seconds taken), with None for seconds when it was already up to date."""
    from ..accounts.interface import partner_borough_sets

    done = []
    moment = fingerprint()
    for own in partner_borough_sets():
        ready = db.session.scalar(
            select(EngagementPublication.id).where(*_of(viewer_key(own), moment), EngagementPublication.state == READY)
        )
        if ready is not None:
            done.append((viewer_key(own), None))
            continue
        started = time.perf_counter()
        build(own)
        done.append((viewer_key(own), time.perf_counter() - started))
    return done


def wait_for_builds(timeout: float = 120) -> None:
    """Block until every background build of this process has ended (tests)."""
    background.wait(timeout=timeout)


# --- background builds ---------------------------------------------------------------------------------


def _start(own: tuple[str, ...], moment: str, row) -> None:
    """Claim this moment's build for the viewer (one worker builds it) and run it in a thread."""
    now = utcnow()
    viewer = viewer_key(own)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(EngagementPublication(viewer=viewer, moment=moment, state=BUILDING, started_at=now))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return  # another request claimed it a moment ago
    else:
        dead = row.state == BUILDING and now - row.started_at > STALE_BUILD
        retry = row.state == FAILED and now - row.started_at > RETRY_FAILED
        if not (dead or retry):
            return  # being built, or failed a moment ago
        claimed = db.session.execute(
            update(EngagementPublication)
            .where(EngagementPublication.id == row.id, EngagementPublication.started_at == row.started_at)
            .values(state=BUILDING, started_at=now, message=None)
        ).rowcount
        db.session.commit()
        if not claimed:
            return
    app = current_app._get_current_object()
    background.start(
        app, ("engagement-publish", viewer, moment), lambda: _build_or_fail(own), f"engagement-publish-{viewer}"
    )


def _build_or_fail(own: tuple[str, ...]) -> None:
    """A background build (in the app's context): a failure is recorded on the row; the next request retries."""
    try:
        build(own)
    except Exception as error:  # noqa: BLE001 - recorded on the row and logged; the next request retries
        db.session.rollback()
        current_app.logger.exception("engagement figures could not be published for %s", viewer_key(own))
        db.session.execute(
            update(EngagementPublication)
            .where(EngagementPublication.viewer == viewer_key(own), EngagementPublication.state == BUILDING)
            .values(state=FAILED, message=str(error)[:2000])
        )
        db.session.commit()


def _of(viewer: str, moment: str) -> tuple:
    """The conditions naming one viewer's publication of one moment (at most one row: unique)."""
    return (EngagementPublication.viewer == viewer, EngagementPublication.moment == moment)


def _newest_ready(viewer: str, *columns):
    """The viewer's ready publications' ids (and `columns`), newest first."""
    return (
        select(EngagementPublication.id, *columns)
        .where(EngagementPublication.viewer == viewer, EngagementPublication.state == READY)
        .order_by(EngagementPublication.built_at.desc(), EngagementPublication.id.desc())
    )


def _prune(viewer: str, keep: int) -> None:
    """Keep the newest KEEP ready publications of a viewer (and the one just made)."""
    newest = db.session.scalars(_newest_ready(viewer).limit(KEEP)).all()
    db.session.execute(
        delete(EngagementPublication).where(
            EngagementPublication.viewer == viewer,
            EngagementPublication.state == READY,
            EngagementPublication.id.not_in([*newest, keep]),
        )
    )


# --- storing and reading -------------------------------------------------------------------------------


def _load(publication_id: int, built_at: datetime, current: bool) -> Published:
    """A stored publication, read once per process (then from the app cache: it never changes; the
    time it was made is part of the key, as an id can be used again after rows are deleted)."""

    def read():
        row = db.session.get(EngagementPublication, publication_id)
        moment, guard = _parse(row.payload)
        return row.id, moment, guard, row.built_at

    pid, moment, guard, built_at = app_cache("engagement-publications", maxsize=16).get_or_build(
        ("publication", publication_id, built_at), read
    )
    return Published(pid, moment, guard, built_at, current)


def _key(item) -> tuple:
    return tuple(tuple(part) if isinstance(part, list) else part for part in item)


def _dump(moment: protection.Moment, guard: disclosure.Protection) -> bytes:
    document = {
        "periods": [[p.key, p.label, p.start.isoformat(), p.end.isoformat()] for p in moment.periods],
        "rows": moment.rows,
        "timeline": moment.timeline,
        "cells": [[list(key), cell.value, cell.reason] for key, cell in guard.cells.items()],
        "primary": [list(k) for k in guard.primary],
        "secondary": [list(k) for k in guard.secondary],
        "unprotectable": [list(k) for k in guard.unprotectable],
        "rounds": guard.rounds,
    }
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)


def _parse(payload: bytes) -> tuple[protection.Moment, disclosure.Protection]:
    document = json.loads(zlib.decompress(payload))
    periods = [
        queries.Period(key, label, date.fromisoformat(start), date.fromisoformat(end))
        for key, label, start, end in document["periods"]
    ]
    moment = protection.Moment(periods, document["rows"], document["timeline"])
    cells = {_key(key): disclosure.Cell(value, reason) for key, value, reason in document["cells"]}
    guard = disclosure.Protection(
        cells,
        frozenset(map(_key, document["primary"])),
        frozenset(map(_key, document["secondary"])),
        frozenset(map(_key, document["unprotectable"])),
        document["rounds"],
    )
    return moment, guard
