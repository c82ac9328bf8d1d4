"""Read side for communities, people and events: lists, look-ups and form choices."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..organisations.models import Organisation, OrganisationStatus
from ..terminology.models import Concept
from .models import Attendance, AttendanceStatus, Community, Event, Membership, Person, Pledge


def get_or_404(model, item_id: int):
    """The row with this id, or a 404 page."""
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return item


def list_communities() -> list[dict]:
    """Communities with their current member count and events held, by name."""
    members = (
        select(Membership.community_id, func.count().label("n"))
        .where(Membership.left_on.is_(None))
        .group_by(Membership.community_id)
        .subquery()
    )
    events = select(Event.community_id, func.count().label("n")).group_by(Event.community_id).subquery()
    rows = db.session.execute(
        select(Community, func.coalesce(members.c.n, 0), func.coalesce(events.c.n, 0))
        .outerjoin(members, members.c.community_id == Community.id)
        .outerjoin(events, events.c.community_id == Community.id)
        .options(selectinload(Community.practice_area))
        .order_by(Community.name)
    )
    return [{"community": c, "members": m, "events": e} for c, m, e in rows]


def events_for(community_id: int | None = None, limit: int | None = None) -> list[dict]:
    """Events, newest first, with attended and apologies counts."""
    attended = func.count(Attendance.id).filter(Attendance.status == AttendanceStatus.ATTENDED)
    apologies = func.count(Attendance.id).filter(Attendance.status == AttendanceStatus.APOLOGIES)
    query = (
        select(Event, attended, apologies)
        .outerjoin(Attendance, Attendance.event_id == Event.id)
        .group_by(Event.id)
        .order_by(Event.starts_at.desc())
        .options(selectinload(Event.community))
    )
    if community_id is not None:
        query = query.where(Event.community_id == community_id)
    if limit:
        query = query.limit(limit)
    return [{"event": e, "attended": a, "apologies": p} for e, a, p in db.session.execute(query)]


def current_members(community: Community) -> list[Membership]:
    """Memberships of a community, current ones first, then by join date."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.community_id == community.id)
            .options(selectinload(Membership.person), selectinload(Membership.organisation))
            .order_by(Membership.left_on.is_not(None), Membership.joined_on, Membership.id)
        )
    )


PEOPLE_PER_PAGE = 100


def list_people(page: int = 1, per_page: int = PEOPLE_PER_PAGE) -> tuple[list[Person], int]:
    """One page of everyone, by name, and how many people there are in all.

    A page at a time: at Greater Manchester scale there are ten thousand people, and one page of them all
    was 3 MB of HTML that left the worker some 30 MB larger for the rest of its life."""
    total = db.session.scalar(select(func.count()).select_from(Person)) or 0
    people = db.session.scalars(
        select(Person)
        .options(selectinload(Person.organisation))
        .order_by(Person.name, Person.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(people), total


def attendance_people(event: Event) -> list[tuple[Person, str | None]]:
    """People to show on an event's attendance page: the community's current members plus anyone recorded."""
    recorded = {row.person_id: row.status.value for row in event.attendance if row.person_id is not None}
    ids = set(recorded)
    if event.community_id:
        ids |= set(
            db.session.scalars(
                select(Membership.person_id).where(
                    Membership.community_id == event.community_id, Membership.left_on.is_(None)
                )
            )
        )
    people = (
        db.session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(selectinload(Person.organisation))
            .order_by(Person.name, Person.id)
        )
        if ids
        else []
    )
    return [(person, recorded.get(person.id)) for person in people]


def pledges_for(event: Event) -> list[Pledge]:
    """An event's pledges in the order they were made."""
    return list(
        db.session.scalars(
            select(Pledge).where(Pledge.event_id == event.id).options(selectinload(Pledge.person)).order_by(Pledge.id)
        )
    )


def concept_choices() -> list[tuple[int, str]]:
    """Practice areas for a select, by preferred label."""
    return [(c.id, c.pref_label) for c in db.session.scalars(select(Concept).order_by(Concept.pref_label))]


def organisation_choices(limit: int = 3000) -> list[tuple[int, str]]:
    """Active organisations for a select, by name (capped: the organisations area has a search)."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.status == OrganisationStatus.ACTIVE)
        .order_by(Organisation.name)
        .limit(limit)
    )
    return [(i, n) for i, n in rows]


def person_choices() -> list[tuple[int, str]]:
    """People for a select, with their organisation to tell namesakes apart."""
    rows = db.session.execute(
        select(Person.id, Person.name, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .order_by(Person.name, Person.id)
    )
    return [(i, f"{n} ({o})" if o else n) for i, n, o in rows]


def community_choices() -> list[tuple[int, str]]:
    """Communities for a select, by name."""
    return [(c.id, c.name) for c in db.session.scalars(select(Community).order_by(Community.name))]


def contributor_account_choices() -> list[tuple[int, str]]:
    """Contributor accounts that can be linked to a person."""
    from ..accounts.models import User
    from ..permissions import Role

    rows = db.session.execute(
        select(User.id, User.name, User.email).where(User.role == Role.CONTRIBUTOR).order_by(User.name)
    )
    return [(i, f"{n} ({e})") for i, n, e in rows]


def recent_event_choices(
    today: date | None = None, days_back: int = 120, days_ahead: int = 30
) -> list[tuple[int, str]]:
    """Events people may claim for (recent and soon), newest first, labelled with their date."""
    today = today or date.today()
    start = datetime.combine(today - timedelta(days=days_back), time.min)
    end = datetime.combine(today + timedelta(days=days_ahead), time.max)
    events = db.session.scalars(
        select(Event).where(Event.starts_at.between(start, end)).order_by(Event.starts_at.desc(), Event.id.desc())
    )
    return [(event.id, f"{event.title}, {event.starts_at.day} {event.starts_at:%B %Y}") for event in events]
