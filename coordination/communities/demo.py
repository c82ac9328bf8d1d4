"""Demo communities, people, events, attendance and pledges that make the gap map tell a story.

The story: masterclasses and one-off events draw bigger crowds than regular meetings; engagement ebbs
and flows; and Rochdale and Oldham are under-represented in peer support and supported
self-management, so their gap index there is well below 1. Runs after the organisations seed.
`--scale gm` adds five years of events and about 60,000 attendance records with bulk inserts.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select

from ..extensions import db
from ..organisations.models import Organisation, OrganisationStatus, organisation_practice_area
from ..terminology.models import Concept
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

ROCHDALE, OLDHAM = "E08000005", "E08000004"
PRACTICE_AREAS = (
    "peer support",
    "supported self-management",
    "social prescribing",
    "community development",
    "mental health",
    "carers support",
)
UNDER_REPRESENTED = {
    ROCHDALE: ("peer support", "supported self-management"),
    OLDHAM: ("peer support", "social prescribing"),
}
FIRST_NAMES = (
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Farah",
    "Gary",
    "Hannah",
    "Imran",
    "Jess",
    "Kofi",
    "Leah",
    "Mo",
    "Nadia",
    "Owen",
    "Priya",
    "Rhys",
    "Sadia",
    "Tom",
    "Uzma",
    "Vic",
    "Wes",
    "Yasmin",
    "Zak",
)
LAST_NAMES = (
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lee",
    "Murphy",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Shah",
    "Taylor",
)
PLEDGES = (
    "Ask people with lived experience to co-chair our next planning meeting",
    "Pay people for their time when they help design our services",
    "Share our referral pathway with two neighbouring groups",
    "Offer our room free to a peer support group once a month",
    "Use plain English in every invitation we send",
    "Invite a carers' group to our next open day",
    "Record what people tell us changed for them, not just numbers",
)
# Mean attendance by type: the finding that one-offs and masterclasses draw more than meetings.
MEAN_ATTENDANCE = {
    EventType.REGULAR_MEETING: 7,
    EventType.MASTERCLASS: 22,
    EventType.WORKSHOP: 14,
    EventType.ROUNDTABLE: 10,
    EventType.ONE_OFF: 30,
}
BOROUGHS = tuple(f"E08{n:06d}" for n in range(1, 11))


def seed(scale: str | None) -> str | None:
    """Create the demo communities (once); with scale 'gm' add five years of events at Greater Manchester size."""
    if db.session.scalar(select(func.count()).select_from(Community)):
        return "communities already present; nothing added"
    rng = random.Random(2026)
    concepts = _concepts()
    organisations = _organisations()
    communities = _communities(concepts)
    people = _people(rng, organisations)
    _link_contributor(people)
    today = utcnow().date()
    events, attendance, pledges = _story(rng, communities, people, organisations, today, months=18)
    summary = (
        f"{len(communities)} communities, {len(people)} people, {events} events, {attendance} attendance "
        f"records, {pledges} pledges"
    )
    if scale == "gm":
        added = _scale_gm(rng, communities, organisations, today)
        summary += f"; at GM scale {added[0]:,} more events and {added[1]:,} attendance records"
    db.session.commit()
    return summary


def _concepts() -> list[Concept]:
    by_label = {c.pref_label.lower(): c for c in db.session.scalars(select(Concept))}
    chosen = [by_label[label] for label in PRACTICE_AREAS if label in by_label]
    if not chosen:  # the terminology seed may use other labels; take what exists
        chosen = list(db.session.scalars(select(Concept).order_by(Concept.id).limit(6)))
    return chosen


def _organisations() -> list[dict]:
    """Active organisations with a borough, each with the ids of its practice areas."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.borough_code)
        .where(Organisation.status == OrganisationStatus.ACTIVE, Organisation.borough_code.in_(BOROUGHS))
        .order_by(Organisation.id)
    ).all()
    tags: dict[int, set[int]] = {}
    for org_id, concept_id in db.session.execute(
        select(organisation_practice_area.c.organisation_id, organisation_practice_area.c.concept_id)
    ):
        tags.setdefault(org_id, set()).add(concept_id)
    return [{"id": i, "borough": b, "areas": tags.get(i, set())} for i, b in rows]


def _communities(concepts: list[Concept]) -> list[Community]:
    made = []
    for concept in concepts:
        made.append(
            Community(
                name=f"{concept.pref_label.capitalize()} community of practice",
                practice_area=concept,
                scope=CommunityScope.GREATER_MANCHESTER,
                status=CommunityStatus.ACTIVE,
                purpose=f"Share what works in {concept.pref_label} across Greater Manchester.",
            )
        )
    first = concepts[0] if concepts else None
    made.append(
        Community(
            name="Wigan and Bolton place-based network",
            practice_area=first,
            scope=CommunityScope.BOROUGHS,
            status=CommunityStatus.ACTIVE,
            purpose="Neighbouring boroughs learning together.",
            borough_rows=[CommunityBoroughRow(borough_code="E08000010"), CommunityBoroughRow(borough_code="E08000001")],
        )
    )
    made.append(
        Community(
            name="National lived experience leadership forum",
            practice_area=None,
            scope=CommunityScope.NATIONAL,
            status=CommunityStatus.PAUSED,
            purpose="Paused while the national programme is re-commissioned.",
        )
    )
    made.append(
        Community(
            name="Tameside carers' circle",
            practice_area=concepts[-1] if concepts else None,
            scope=CommunityScope.BOROUGHS,
            status=CommunityStatus.FORMING,
            borough_rows=[CommunityBoroughRow(borough_code="E08000008")],
        )
    )
    db.session.add_all(made)
    db.session.flush()
    return made


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _engage_chance(org: dict, concepts_by_id: dict[int, str]) -> float:
    """How likely this organisation is to take part: low where the story needs a gap."""
    labels = {concepts_by_id.get(c, "") for c in org["areas"]}
    if any(label in UNDER_REPRESENTED.get(org["borough"], ()) for label in labels):
        return 0.08
    return 0.55


def _people(rng: random.Random, organisations: list[dict]) -> list[Person]:
    concepts_by_id = {c.id: c.pref_label.lower() for c in db.session.scalars(select(Concept))}
    people = []
    engaged = [o for o in organisations if rng.random() < _engage_chance(o, concepts_by_id)]
    # A cap keeps the demo small; shuffle first so the cap does not favour boroughs early in the list.
    rng.shuffle(engaged)
    engaged = sorted(engaged[:400], key=lambda o: o["id"])
    for org in engaged:
        name = _name(rng)
        people.append(
            Person(
                name=name,
                email=f"{name.lower().replace(' ', '.').replace(chr(39), '')}.{org['id']}@example.org",
                organisation_id=org["id"],
                borough_code=org["borough"],
            )
        )
    for n in range(24):  # people taking part with lived experience or as carers, without an organisation
        borough = BOROUGHS[n % 10]
        people.append(Person(name=_name(rng), borough_code=borough, lived_experience=n % 3 != 2, carer=n % 3 == 2))
    db.session.add_all(people)
    db.session.flush()
    return people


def _link_contributor(people: list[Person]) -> None:
    from ..accounts.models import User

    user = db.session.scalar(select(User).where(User.email == "contributor@example.org"))
    if user is not None:
        jo = Person(name=user.name, email=user.email, borough_code=ROCHDALE, lived_experience=True, user_id=user.id)
        db.session.add(jo)
        db.session.flush()
        people.append(jo)


def _event_plan(rng: random.Random, community: Community, start: date, end: date) -> list[tuple[EventType, datetime]]:
    """Monthly meetings, quarterly masterclasses, and the odd workshop, roundtable and one-off event."""
    plan = []
    day = start
    month = 0
    while day < end:
        when = datetime(day.year, day.month, min(10 + rng.randrange(10), 28), 10)
        plan.append((EventType.REGULAR_MEETING, when))
        if month % 3 == 1:
            plan.append((EventType.MASTERCLASS, when + timedelta(days=7, hours=3)))
        if month % 4 == 2:
            plan.append((rng.choice([EventType.WORKSHOP, EventType.ROUNDTABLE]), when + timedelta(days=3)))
        if month % 6 == 5:
            plan.append((EventType.ONE_OFF, when + timedelta(days=12)))
        month += 1
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return [(t, w) for t, w in plan if w.date() < end]


def _story(
    rng: random.Random,
    communities: list[Community],
    people: list[Person],
    organisations: list[dict],
    today: date,
    months: int,
) -> tuple[int, int, int]:
    start = today - timedelta(days=months * 30)
    events = attendance = pledges = 0
    by_area: dict[int | None, list[Person]] = {}
    areas = {o["id"]: o["areas"] for o in organisations}
    for person in people:
        for area in areas.get(person.organisation_id, set()) or {None}:
            by_area.setdefault(area, []).append(person)
    lived = [p for p in people if p.lived_experience or p.carer]
    for community in communities:
        if community.status == CommunityStatus.FORMING:
            continue
        pool = by_area.get(community.practice_area_id) or by_area.get(None) or people
        if community.borough_codes:
            pool = [p for p in people if p.borough_code in community.borough_codes] or pool
        members = rng.sample(pool, min(len(pool), 12)) + rng.sample(lived, min(len(lived), 3))
        for person in dict.fromkeys(members):
            joined = start + timedelta(days=rng.randrange(200))
            left = joined + timedelta(days=300 + rng.randrange(200)) if rng.random() < 0.2 else None
            db.session.add(
                Membership(
                    community=community,
                    person=person,
                    organisation_id=person.organisation_id,
                    role="Chair" if person is members[0] else "Member",
                    joined_on=joined,
                    left_on=left if left and left < today else None,
                )
            )
        stop = today if community.status == CommunityStatus.ACTIVE else today - timedelta(days=120)
        for n, (event_type, when) in enumerate(_event_plan(rng, community, start, stop)):
            venue = (
                community.borough_codes[n % len(community.borough_codes)]
                if community.borough_codes
                else BOROUGHS[rng.randrange(10)]
            )
            online = event_type == EventType.REGULAR_MEETING and n % 2 == 0
            event = Event(
                title=f"{community.name.split(' community')[0]}: {event_type.title.lower()} {when:%B %Y}",
                event_type=event_type,
                starts_at=when,
                community=community,
                venue_borough_code=None if online else venue,
                online=online,
                capacity=MEAN_ATTENDANCE[event_type] * 2,
            )
            db.session.add(event)
            # Engagement ebbs and flows: busier in spring and autumn.
            season = 1.3 if when.month in (3, 4, 5, 9, 10) else 0.8 if when.month in (7, 8, 12) else 1.0
            size = max(2, int(rng.gauss(MEAN_ATTENDANCE[event_type] * season, 3)))
            chosen = rng.sample(pool + lived, min(size, len(pool + lived)))
            for person in dict.fromkeys(chosen):
                status = (
                    AttendanceStatus.ATTENDED
                    if rng.random() < 0.85
                    else rng.choice([AttendanceStatus.APOLOGIES, AttendanceStatus.DID_NOT_ATTEND])
                )
                db.session.add(
                    Attendance(event=event, person=person, organisation_id=person.organisation_id, status=status)
                )
                attendance += 1
            if event_type in (EventType.MASTERCLASS, EventType.ONE_OFF, EventType.WORKSHOP):
                for person in chosen[:2]:
                    done = when.date() < today - timedelta(days=90)
                    status = (
                        rng.choice([PledgeStatus.DONE, PledgeStatus.IN_PROGRESS, PledgeStatus.NOT_DONE])
                        if done
                        else PledgeStatus.MADE
                    )
                    db.session.add(
                        Pledge(
                            event=event,
                            person=person,
                            organisation_id=person.organisation_id,
                            text=rng.choice(PLEDGES),
                            status=status,
                            followed_up_on=when.date() + timedelta(days=90) if done else None,
                        )
                    )
                    pledges += 1
            events += 1
    db.session.flush()
    return events, attendance, pledges


def _scale_gm(
    rng: random.Random, communities: list[Community], organisations: list[dict], today: date
) -> tuple[int, int]:
    """Five years of events and about 60,000 attendance records, inserted in bulk."""
    concepts_by_id = {c.id: c.pref_label.lower() for c in db.session.scalars(select(Concept))}
    likely = [o for o in organisations if rng.random() < _engage_chance(o, concepts_by_id)]
    if not likely:
        return 0, 0
    now = utcnow()
    # One person for each organisation that takes part (a few thousand), inserted in one statement.
    ids = db.session.scalars(
        insert(Person).returning(Person.id, sort_by_parameter_order=True),
        [
            {
                "name": _name(rng),
                "organisation_id": o["id"],
                "borough_code": o["borough"],
                "lived_experience": n % 11 == 0,
                "carer": n % 17 == 0,
                "created_at": now,
                "updated_at": now,
            }
            for n, o in enumerate(likely)
        ],
    ).all()
    people = [(person_id, o["id"], o["areas"]) for person_id, o in zip(ids, likely)]
    by_area: dict[int, list[tuple[int, int]]] = {}
    for person_id, org_id, areas in people:
        for area in areas or {0}:
            by_area.setdefault(area, []).append((person_id, org_id))
    active = [c for c in communities if c.status != CommunityStatus.FORMING]
    events, attendees = [], []
    start = today - timedelta(days=5 * 365)
    target = 60_000
    plan = []
    for community in active:
        for event_type, when in _event_plan(rng, community, start, today - timedelta(days=18 * 30)):
            plan.append((community, event_type, when))
        for event_type, when in _event_plan(rng, community, start, today):
            if event_type != EventType.REGULAR_MEETING:  # extra sessions in every borough
                plan.append((community, event_type, when + timedelta(days=1)))
    per_event = max(5, target // max(len(plan), 1))
    for community, event_type, when in plan:
        pool = by_area.get(community.practice_area_id or 0) or [(p, o) for p, o, _ in people]
        events.append(
            {
                "title": f"{community.name}: {event_type.title.lower()} {when:%B %Y}",
                "event_type": event_type.value,
                "starts_at": when,
                "community_id": community.id,
                "venue_borough_code": BOROUGHS[len(events) % 10],
                "online": False,
                "capacity": per_event * 2,
                "created_at": now,
                "updated_at": now,
            }
        )
        scale = MEAN_ATTENDANCE[event_type] / 14
        size = min(len(pool), max(3, int(per_event * scale)))
        attendees.append(rng.sample(pool, size))
    event_ids = db.session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True), events).all()
    rows = [
        {
            "event_id": event_id,
            "person_id": person_id,
            "organisation_id": org_id,
            "status": "attended" if rng.random() < 0.85 else "apologies",
            "recorded_at": now,
        }
        for event_id, chosen in zip(event_ids, attendees)
        for person_id, org_id in chosen
    ]
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(Attendance), rows[chunk : chunk + 5000])
    return len(events), len(rows)
