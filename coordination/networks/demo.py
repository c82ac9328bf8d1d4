"""Demo introductions and first meetings, so the connections pages tell a story (runs after communities).

The story: most introductions happen inside a borough, but a few people (community leads) introduce
people across boroughs, and first meetings at events cross boroughs more often in the last year.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from ..communities.models import Attendance, AttendanceStatus, Event, Person
from ..extensions import db
from ..timeutil import utcnow
from .models import RecordedTie, TieSource

INTRODUCTIONS = {None: 120, "gm": 3000}
NOTES = (
    "Both run carers' groups and wanted to compare waiting lists",
    "Introduced after the masterclass on peer support",
    "Looking for a partner for a joint funding bid",
    "Shared interest in social prescribing for young people",
    None,
    None,
)


def seed(scale: str | None) -> str | None:
    """Record demo introductions and first meetings between people who took part (once)."""
    if db.session.scalar(select(func.count()).select_from(RecordedTie)):
        return "connections already present; nothing added"
    rng = random.Random(13)
    people = db.session.execute(
        select(Person.id, Person.borough_code).where(Person.borough_code.is_not(None)).order_by(Person.id)
    ).all()
    if len(people) < 3:
        return None
    by_borough: dict[str, list[int]] = {}
    for person_id, borough in people:
        by_borough.setdefault(borough, []).append(person_id)
    # A few connectors per borough make most cross-borough introductions: they will show up as bridges.
    connectors = [rng.choice(ids) for ids in by_borough.values() if ids]
    events = db.session.execute(select(Event.id, Event.starts_at).order_by(Event.starts_at)).all()
    today = utcnow().date()
    borough_of = dict(people)
    boroughs = sorted(by_borough)
    rows, seen = [], set()
    wanted = INTRODUCTIONS.get(scale, INTRODUCTIONS[None])
    attempts = 0
    while len(rows) < wanted and attempts < wanted * 20:
        attempts += 1
        days_ago = int(rng.triangular(0, 5 * 365 if scale == "gm" else 540, 0))
        made_on = today - timedelta(days=days_ago)
        introducer = rng.choice(connectors) if rng.random() < 0.6 else None
        a = rng.choice(people)[0]
        # Connections across boroughs grow in the most recent year: the programme's story.
        across = rng.random() < (0.45 if days_ago < 365 else 0.25)
        others = [code for code in boroughs if (code != borough_of[a]) == across]
        b = rng.choice(by_borough[rng.choice(others)]) if others else rng.choice(people)[0]
        if a == b or introducer in (a, b):
            continue
        key = (min(a, b), max(a, b))
        if key in seen:
            continue
        seen.add(key)
        met = introducer is None and events and rng.random() < 0.7
        event_id = None
        if met:
            event_id, starts_at = min(events, key=lambda e: abs((e.starts_at.date() - made_on).days))
            made_on = min(starts_at.date(), today)
        rows.append(
            {
                "person_a_id": key[0],
                "person_b_id": key[1],
                "source": (TieSource.MET_AT_EVENT if met else TieSource.INTRODUCTION).value,
                "made_on": made_on,
                "introduced_by_id": None if met else introducer,
                "event_id": event_id,
                "note": rng.choice(NOTES),
                "created_at": utcnow(),
            }
        )
    if rows:
        db.session.execute(insert(RecordedTie), rows)
    db.session.commit()
    attended = db.session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.status == AttendanceStatus.ATTENDED)
    )
    return f"{len(rows):,} introductions and first meetings between people ({attended:,} attendance records)"
