"""Every change to recorded ties and to who is left out of network views."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .. import audit
from ..communities.models import Event, Person
from ..errors import OperationError
from ..extensions import db
from ..timeutil import utcnow
from .models import NetworkExclusion, RecordedTie, TieSource


def record_tie(
    person_a: Person,
    person_b: Person,
    *,
    source: str,
    made_on: date,
    introduced_by: Person | None = None,
    event: Event | None = None,
    note: str | None = None,
    actor=None,
) -> RecordedTie:
    """Record that two people were introduced, or met for the first time (at an event)."""
    source = TieSource(source)
    if person_a.id == person_b.id:
        raise OperationError("Choose two different people", "person_b_id")
    if made_on > utcnow().date():
        raise OperationError("The date cannot be in the future", "made_on")
    if (
        source == TieSource.INTRODUCTION
        and introduced_by is not None
        and introduced_by.id in (person_a.id, person_b.id)
    ):
        raise OperationError("The person who made the introduction must be someone else", "introduced_by_id")
    if source == TieSource.MET_AT_EVENT:
        introduced_by = None
        if event is not None and event.starts_at.date() > made_on:
            made_on = event.starts_at.date()
    a, b = sorted((person_a, person_b), key=lambda p: p.id)
    duplicate = db.session.scalar(
        select(RecordedTie.id).where(
            RecordedTie.person_a_id == a.id,
            RecordedTie.person_b_id == b.id,
            RecordedTie.source == source,
            RecordedTie.made_on == made_on,
        )
    )
    if duplicate:
        raise OperationError(f"That is already recorded for {a.name} and {b.name} on that date", "person_b_id")
    tie = RecordedTie(
        person_a_id=a.id,
        person_b_id=b.id,
        source=source,
        made_on=made_on,
        introduced_by_id=introduced_by.id if introduced_by else None,
        event_id=event.id if event else None,
        note=note or None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(tie)
    try:
        db.session.flush()
        audit.record(
            "network.tie_recorded",
            tie,
            after={
                "person_a_id": a.id,
                "person_b_id": b.id,
                "source": source.value,
                "made_on": made_on,
                "introduced_by_id": tie.introduced_by_id,
                "event_id": tie.event_id,
                "note": tie.note,
            },
            actor=actor,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return tie


def delete_tie(tie: RecordedTie, actor=None) -> None:
    """Remove a tie recorded in error."""
    before = {
        "person_a_id": tie.person_a_id,
        "person_b_id": tie.person_b_id,
        "source": tie.source.value,
        "made_on": tie.made_on,
        "introduced_by_id": tie.introduced_by_id,
        "event_id": tie.event_id,
    }
    ident = tie.id
    db.session.delete(tie)
    audit.record("network.tie_removed", entity_type="RecordedTie", entity_id=ident, before=before, actor=actor)
    db.session.commit()


def leave_out(person: Person, *, note: str | None = None, actor=None) -> NetworkExclusion:
    """Leave a person out of every network view and figure, at their request."""
    existing = db.session.get(NetworkExclusion, person.id)
    if existing is not None:
        return existing
    row = NetworkExclusion(
        person_id=person.id, requested_on=utcnow().date(), note=note or None, recorded_by_id=getattr(actor, "id", None)
    )
    db.session.add(row)
    audit.record("network.person_left_out", person, after={"note": row.note}, actor=actor)
    db.session.commit()
    return row


def include_again(person: Person, actor=None) -> None:
    """Show a person in network views again (they changed their mind)."""
    row = db.session.get(NetworkExclusion, person.id)
    if row is None:
        return
    db.session.delete(row)
    audit.record("network.person_included", person, before={"note": row.note}, actor=actor)
    db.session.commit()
