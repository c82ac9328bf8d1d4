"""Plain factories for organisations, concepts, communities, people, events and attendance (direct inserts)."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from coordination.communities.models import (
    Attendance,
    AttendanceStatus,
    Community,
    CommunityStatus,
    Event,
    EventType,
    Membership,
    Person,
)
from coordination.extensions import db
from coordination.organisations.models import Organisation
from coordination.terminology.models import Concept

_n = itertools.count(1)


def concept(label: str = "peer support") -> Concept:
    """A practice-area concept."""
    item = Concept(uri=f"https://example.org/concept/{next(_n)}", pref_label=label)
    db.session.add(item)
    db.session.flush()
    return item


def organisation(name: str | None = None, borough: str | None = "E08000005", areas=(), **values) -> Organisation:
    """An active organisation with an address in a borough, tagged with practice areas."""
    name = name or f"Organisation {next(_n)}"
    values.setdefault("latitude", 53.6)
    values.setdefault("longitude", -2.15)
    item = Organisation(
        name=name, normalised_name=name.lower(), borough_code=borough, practice_areas=list(areas), **values
    )
    db.session.add(item)
    db.session.flush()
    return item


def community(name: str = "Peer support network", area: Concept | None = None, **values) -> Community:
    """An active community of practice."""
    values.setdefault("status", CommunityStatus.ACTIVE)
    item = Community(name=name, practice_area=area, **values)
    db.session.add(item)
    db.session.flush()
    return item


def person(name: str | None = None, organisation: Organisation | None = None, **values) -> Person:
    """Someone who takes part."""
    item = Person(name=name or f"Person {next(_n)}", organisation=organisation, **values)
    db.session.add(item)
    db.session.flush()
    return item


def event(
    community: Community | None = None,
    when: datetime = datetime(2026, 3, 10, 10),
    event_type: EventType = EventType.MASTERCLASS,
    **values,
) -> Event:
    """An event in a borough venue (Rochdale unless given)."""
    values.setdefault("venue_borough_code", "E08000005")
    item = Event(
        title=values.pop("title", f"Event {next(_n)}"),
        event_type=event_type,
        starts_at=when,
        community=community,
        **values,
    )
    db.session.add(item)
    db.session.flush()
    return item


def attend(
    event: Event,
    person: Person | None = None,
    organisation: Organisation | None = None,
    status: AttendanceStatus = AttendanceStatus.ATTENDED,
) -> Attendance:
    """An attendance record (the organisation defaults to the person's)."""
    if organisation is None and person is not None:
        organisation = person.organisation
    item = Attendance(event=event, person=person, organisation=organisation, status=status)
    db.session.add(item)
    db.session.flush()
    return item


def member(
    community: Community,
    person: Person,
    joined: date = date(2025, 1, 1),
    left: date | None = None,
    role: str = "Member",
) -> Membership:
    """A membership carrying the person's organisation."""
    item = Membership(
        community=community, person=person, organisation=person.organisation, role=role, joined_on=joined, left_on=left
    )
    db.session.add(item)
    db.session.flush()
    return item
