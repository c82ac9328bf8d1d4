"""Every change to communities, people, memberships, events, attendance and pledges."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..timeutil import utcnow
from .models import (
    Attendance,
    AttendanceStatus,
    Community,
    CommunityBoroughRow,
    CommunityScope,
    CommunityStatus,
    Event,
    EventType,
    Membership,
    Person,
    Pledge,
    PledgeStatus,
)


class CommunityError(OperationError):
    """A change that cannot be made, with a message for the person making it."""


def _snapshot(item, fields) -> dict:
    return {field: getattr(item, field) for field in fields}


_COMMUNITY_FIELDS = ("name", "practice_area_id", "scope", "purpose", "status")


def save_community(
    community: Community | None,
    *,
    name: str,
    practice_area_id: int | None,
    scope: str,
    boroughs: list[str],
    purpose: str | None,
    status: str,
    actor=None,
) -> Community:
    """Create (community=None) or update a community of practice."""
    scope = CommunityScope(scope)
    boroughs = sorted(set(boroughs or [])) if scope == CommunityScope.BOROUGHS else []
    if scope == CommunityScope.BOROUGHS and not boroughs:
        raise CommunityError("Choose at least one borough for a place-based community")
    creating = community is None
    before = None if creating else {**_snapshot(community, _COMMUNITY_FIELDS), "boroughs": community.borough_codes}
    community = community or Community()
    community.name, community.practice_area_id, community.scope = name, practice_area_id, scope
    community.purpose, community.status = purpose or None, CommunityStatus(status)
    community.borough_rows = [CommunityBoroughRow(borough_code=code) for code in boroughs]
    db.session.add(community)
    db.session.flush()
    audit.record(
        "community.created" if creating else "community.updated",
        community,
        before=before,
        after={**_snapshot(community, _COMMUNITY_FIELDS), "boroughs": boroughs},
        actor=actor,
    )
    db.session.commit()
    return community


_PERSON_FIELDS = ("name", "email", "organisation_id", "borough_code", "lived_experience", "carer", "user_id")


def save_person(person: Person | None, *, actor=None, **values) -> Person:
    """Create (person=None) or update a person; a contributor account links to one person only."""
    values["email"] = (values.get("email") or "").strip().lower() or None
    values["borough_code"] = values.get("borough_code") or None
    user_id = values.get("user_id")
    if user_id:
        taken = db.session.scalar(select(Person.id).where(Person.user_id == user_id))
        if taken and (person is None or taken != person.id):
            raise CommunityError("That contributor account is already linked to someone else")
    creating = person is None
    before = None if creating else _snapshot(person, _PERSON_FIELDS)
    person = person or Person()
    for field in _PERSON_FIELDS:
        setattr(person, field, values.get(field))
    person.lived_experience, person.carer = bool(person.lived_experience), bool(person.carer)
    db.session.add(person)
    db.session.flush()
    audit.record(
        "person.created" if creating else "person.updated",
        person,
        before=before,
        after=_snapshot(person, _PERSON_FIELDS),
        actor=actor,
    )
    db.session.commit()
    return person


def add_member(community: Community, person: Person, *, role: str, joined_on: date, actor=None) -> Membership:
    """Add a person to a community (they bring their current organisation)."""
    current = db.session.scalar(
        select(Membership.id).where(
            Membership.community_id == community.id, Membership.person_id == person.id, Membership.left_on.is_(None)
        )
    )
    if current:
        raise CommunityError(f"{person.name} is already a member of {community.name}")
    membership = Membership(
        community=community, person=person, organisation_id=person.organisation_id, role=role, joined_on=joined_on
    )
    names = (person.name, community.name)
    db.session.add(membership)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request added them between the check above and this insert (uq_membership_current).
        db.session.rollback()
        raise CommunityError(f"{names[0]} is already a member of {names[1]}") from None
    audit.record(
        "membership.added",
        membership,
        after={"community_id": community.id, "person_id": person.id, "role": role, "joined_on": joined_on},
        actor=actor,
    )
    db.session.commit()
    return membership


def end_membership(membership: Membership, *, left_on: date, actor=None) -> None:
    """Record the day a member left; only a current membership can end, and not before it began."""
    if left_on < membership.joined_on:
        raise CommunityError("The date they left must be on or after the date they joined")
    changed = db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.left_on.is_(None))
        .values(left_on=left_on)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise CommunityError("This membership has already ended")
    audit.record(
        "membership.ended", entity_type="Membership", entity_id=membership.id, after={"left_on": left_on}, actor=actor
    )
    db.session.commit()
    db.session.refresh(membership)


_EVENT_FIELDS = (
    "title",
    "event_type",
    "starts_at",
    "community_id",
    "venue_borough_code",
    "online",
    "capacity",
    "description",
)


def save_event(event: Event | None, *, actor=None, **values) -> Event:
    """Create (event=None) or update an event; it needs a venue borough, or to be online."""
    values["venue_borough_code"] = values.get("venue_borough_code") or None
    values["event_type"] = EventType(values["event_type"])
    values["online"] = bool(values.get("online"))
    if not values["online"] and not values["venue_borough_code"]:
        raise CommunityError("Choose a venue borough or tick online")
    creating = event is None
    before = None if creating else _snapshot(event, _EVENT_FIELDS)
    event = event or Event()
    for field in _EVENT_FIELDS:
        setattr(event, field, values.get(field))
    event.description = event.description or None
    db.session.add(event)
    db.session.flush()
    audit.record(
        "event.created" if creating else "event.updated",
        event,
        before=before,
        after=_snapshot(event, _EVENT_FIELDS),
        actor=actor,
    )
    db.session.commit()
    return event


def record_attendance(event: Event, statuses: dict[int, str | None], *, actor=None) -> int:
    """Set each person's attendance at an event (None or '' removes the record); returns rows changed."""
    existing = {row.person_id: row for row in event.attendance if row.person_id is not None}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(list(statuses))))}
    unknown = set(statuses) - set(people)
    if unknown:
        raise CommunityError("Some of those people are no longer in the list; reload the page and try again")
    changes = {}
    for person_id, status in statuses.items():
        row = existing.get(person_id)
        if not status:
            if row is not None:
                db.session.delete(row)
                changes[person_id] = None
            continue
        status = AttendanceStatus(status)
        if row is None:
            db.session.add(
                Attendance(
                    event=event, person_id=person_id, organisation_id=people[person_id].organisation_id, status=status
                )
            )
            changes[person_id] = status.value
        elif row.status != status:
            row.status = status
            changes[person_id] = status.value
    if changes:
        audit.record("event.attendance_recorded", event, after={str(k): v for k, v in changes.items()}, actor=actor)
    db.session.commit()
    return len(changes)


def add_pledge(event: Event, *, text: str, person_id: int | None = None, actor=None) -> Pledge:
    """Record a 'one thing I will change' pledge made at an event."""
    text = (text or "").strip()
    if not text:
        raise CommunityError("Enter the pledge")
    person = db.session.get(Person, person_id) if person_id else None
    pledge = Pledge(
        event=event, person=person, organisation_id=person.organisation_id if person else None, text=text[:280]
    )
    db.session.add(pledge)
    db.session.flush()
    audit.record(
        "pledge.recorded",
        pledge,
        after={"event_id": event.id, "text": pledge.text, "person_id": person_id},
        actor=actor,
    )
    db.session.commit()
    return pledge


def follow_up_pledge(
    pledge: Pledge, *, status: str, note: str | None, expected: PledgeStatus, on: date | None = None, actor=None
) -> None:
    """Record how a pledge went; a conditional update so two people following up cannot clash silently."""
    status = PledgeStatus(status)
    followed_up_on = None if status == PledgeStatus.MADE else (on or utcnow().date())
    changed = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.status == expected)
        .values(status=status, follow_up_note=note or None, followed_up_on=followed_up_on, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise CommunityError("Someone else updated this pledge while you were editing; check it and try again")
    audit.record(
        "pledge.followed_up",
        entity_type="Pledge",
        entity_id=pledge.id,
        before={"status": expected.value},
        after={"status": status.value, "note": note},
        actor=actor,
    )
    db.session.commit()
    db.session.refresh(pledge)
