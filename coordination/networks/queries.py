"""Read side: gather the evidence of who knows whom, build the network once per data version, and report on it."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import func, select, union_all

from geo.boroughs import BOROUGH_CODES

from ..communities.models import Attendance, AttendanceStatus, Event, Membership, Person
from ..extensions import db
from ..organisations.models import Organisation
from ..timeutil import utcnow
from . import analysis
from .models import NetworkExclusion, RecordedTie


@dataclass
class Network:
    """Everything the pages need, built once per data version."""

    ties: dict[tuple[int, int], analysis.Tie]
    people: dict[int, analysis.PersonInfo]
    first_seen: dict[int, date]
    organisation_boroughs: dict[int, str | None]
    excluded: set[int]
    quarters: list[tuple[int, int]]
    figures: list[analysis.QuarterFigures]

    def figures_for(self, quarter: tuple[int, int]) -> analysis.QuarterFigures | None:
        return next((f for f in self.figures if f.quarter == quarter), None)

    # Worked out once per network (so per data version) and year: the bridges of a year (queries.bridges).
    bridges_by_year: dict = field(default_factory=dict, repr=False, compare=False)


_lock = threading.Lock()


def _cache() -> LRUCache:
    """Built networks, attached to the app (so each app and test has its own)."""
    return current_app.extensions.setdefault("networks_cache", LRUCache(maxsize=4))


def data_version() -> tuple:
    """A cheap fingerprint of every table the network reads: one row of counts and newest changes."""
    parts = []
    for table, stamp in (
        (Person, Person.updated_at),
        (Membership, Membership.updated_at),
        (Attendance, Attendance.recorded_at),
        (RecordedTie, RecordedTie.created_at),
        (NetworkExclusion, NetworkExclusion.created_at),
    ):
        parts.append(select(func.count().label("n"), func.max(stamp).label("latest")).select_from(table))
    rows = db.session.execute(union_all(*parts)).all()
    return tuple((n, str(latest)) for n, latest in rows)


def network() -> Network:
    """The network as the data stands now (cached by data version)."""
    key = data_version()
    cache = _cache()
    with _lock:
        built = cache.get(key)
    if built is None:
        built = build_network()
        with _lock:
            cache[key] = built
    return built


def excluded_ids() -> set[int]:
    return set(db.session.scalars(select(NetworkExclusion.person_id)))


def people_info() -> tuple[dict[int, analysis.PersonInfo], dict[int, str | None]]:
    """Each person's borough (theirs, else their organisation's), organisation and sector (organisation type)."""
    rows = db.session.execute(
        select(
            Person.id, Person.borough_code, Person.organisation_id, Organisation.org_type, Organisation.borough_code
        ).outerjoin(Organisation, Organisation.id == Person.organisation_id)
    ).all()
    people, organisation_boroughs = {}, {}
    for person_id, borough, organisation_id, org_type, org_borough in rows:
        people[person_id] = analysis.PersonInfo(
            borough or org_borough, organisation_id, org_type.value if org_type is not None else None
        )
        if organisation_id is not None:
            organisation_boroughs[organisation_id] = org_borough
    return people, organisation_boroughs


def recorded_evidence():
    for a, b, made_on, source, introducer in db.session.execute(
        select(
            RecordedTie.person_a_id,
            RecordedTie.person_b_id,
            RecordedTie.made_on,
            RecordedTie.source,
            RecordedTie.introduced_by_id,
        )
    ):
        yield analysis.Evidence(a, b, made_on, source.value, 1.0, introducer)


def attended_events() -> list[tuple[date, list[int]]]:
    """(event date, people who attended) for every event."""
    by_event: dict[int, tuple[date, list[int]]] = {}
    for event_id, starts_at, person_id in db.session.execute(
        select(Attendance.event_id, Event.starts_at, Attendance.person_id)
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.status == AttendanceStatus.ATTENDED, Attendance.person_id.is_not(None))
    ):
        by_event.setdefault(event_id, (starts_at.date(), []))[1].append(person_id)
    return list(by_event.values())


def memberships() -> list[tuple[int, int, date, date | None]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(Membership.community_id, Membership.person_id, Membership.joined_on, Membership.left_on)
        )
    ]


def build_network() -> Network:
    """Gather the evidence and compute the quarterly figures (the slow part, cached by network())."""
    excluded = excluded_ids()
    people, organisation_boroughs = people_info()
    events = attended_events()
    member_rows = memberships()
    evidence = [*recorded_evidence(), *analysis.community_evidence(member_rows), *analysis.event_evidence(events)]
    ties = analysis.aggregate(evidence, excluded)
    first_seen: dict[int, date] = {}

    def seen(person: int, day: date) -> None:
        if person not in excluded and (person not in first_seen or day < first_seen[person]):
            first_seen[person] = day

    for day, attendees in events:
        for person in attendees:
            seen(person, day)
    for _, person, joined, _ in member_rows:
        seen(person, joined)
    for tie in ties.values():
        seen(tie.a, tie.since)
        seen(tie.b, tie.since)
    today = utcnow().date()
    quarters = analysis.quarters_between(min(first_seen.values()), today) if first_seen else []
    figures = analysis.quarterly(ties, people, first_seen, quarters)
    return Network(ties, people, first_seen, organisation_boroughs, excluded, quarters, figures)


@dataclass
class YearSummary:
    """The answer to "how many new cross-borough connections did we make this year, and who made them possible?"."""

    year: int
    quarters: list[analysis.QuarterFigures]
    previous: list[analysis.QuarterFigures]
    new_ties: int
    new_cross_borough: int
    new_cross_sector: int
    previous_new_ties: int
    previous_new_cross_borough: int
    end: analysis.QuarterFigures | None
    previous_end: analysis.QuarterFigures | None


def year_summary(net: Network, year: int) -> YearSummary:
    """Totals of the year's quarters beside the year before."""
    mine = [f for f in net.figures if f.quarter[0] == year]
    before = [f for f in net.figures if f.quarter[0] == year - 1]
    return YearSummary(
        year,
        mine,
        before,
        sum(f.new_ties for f in mine),
        sum(f.new_cross_borough for f in mine),
        sum(f.new_cross_sector for f in mine),
        sum(f.new_ties for f in before),
        sum(f.new_cross_borough for f in before),
        mine[-1] if mine else None,
        before[-1] if before else None,
    )


def years(net: Network) -> list[int]:
    return sorted({q[0] for q in net.quarters}, reverse=True) or [utcnow().year]


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def matrix(net: Network, year: int) -> dict[tuple[str, str], int]:
    """New ties made in the year between each pair of boroughs (upper triangle)."""
    start, end = year_bounds(year)
    return analysis.borough_matrix(net.ties, net.people, BOROUGH_CODES, since=start, until=end)


def people_by_id(ids) -> dict[int, Person]:
    ids = list(ids)
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def organisations_by_id(ids) -> dict[int, Organisation]:
    ids = list(ids)
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


def bridges(net: Network, year: int, top: int = 10):
    """The people and organisations that connect boroughs, as the network stood at the end of the year.

    Worked out once per network and year, in a child process (coordination.apart): networkx and rustworkx
    (about 25 MB) are loaded there, not in the worker for the rest of its life."""
    from ..apart import NotApart, run_apart

    _, end = year_bounds(year)

    def work():
        return (
            analysis.person_bridges(net.ties, net.people, until=end, top=top),
            analysis.organisation_bridges(net.ties, net.people, net.organisation_boroughs, until=end, top=top),
        )

    key = (year, top)
    if key not in net.bridges_by_year:
        try:
            net.bridges_by_year[key] = run_apart(work)
        except NotApart:
            net.bridges_by_year[key] = work()
    return net.bridges_by_year[key]


def organisation_ties(net: Network, organisation_id: int) -> list[tuple[int, analysis.Tie]]:
    """Ties of the organisation's people to people elsewhere, oldest first."""
    members = {pid for pid, info in net.people.items() if info.organisation_id == organisation_id}
    rows = []
    for tie in net.ties.values():
        inside_a, inside_b = tie.a in members, tie.b in members
        if inside_a != inside_b:
            rows.append((tie.b if inside_a else tie.a, tie))
    return sorted(rows, key=lambda item: (item[1].since, item[0]))


def introducers_in(net: Network, year: int) -> dict[int, int]:
    """How many cross-borough ties each introducer made possible in the year."""
    start, end = year_bounds(year)
    counts: dict[int, int] = defaultdict(int)
    for tie in net.ties.values():
        if start <= tie.since <= end and analysis.crosses(tie, net.people, "borough"):
            for person in tie.introduced_by:
                counts[person] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def exclusion(person_id: int) -> NetworkExclusion | None:
    return db.session.get(NetworkExclusion, person_id)


PAGE_SIZE = 50


def recorded_ties(page: int = 1) -> dict:
    """Recorded introductions and first meetings, newest first, a page at a time."""
    total = db.session.scalar(select(func.count()).select_from(RecordedTie))
    rows = list(
        db.session.scalars(
            select(RecordedTie)
            .order_by(RecordedTie.made_on.desc(), RecordedTie.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return {"rows": rows, "total": total, "pages": max(1, -(-total // PAGE_SIZE))}


@dataclass
class ProtectedMatrix:
    """Borough-to-borough counts of new ties as a viewer may see them (cells are disclosure.Cell)."""

    cells: dict[tuple[str, str], object]
    across: dict[str, object]
    total: object
    total_across: object
    rows: tuple[str, ...] = BOROUGH_CODES

    def visible_matrix(self) -> dict[tuple[str, str], int]:
        """Only the counts that are shown (hidden ones as 0), for drawing the map: no line gives a hidden count away."""
        return {key: (cell.shown or 0) for key, cell in self.cells.items()}

    def display_matrix(self) -> dict[tuple[str, str], str]:
        return {key: cell.display() for key, cell in self.cells.items()}


def protected_matrix(net: Network, year: int, viewer) -> ProtectedMatrix:
    """The year's borough matrix with per-borough and overall totals, through the small-number protection.

    Partners know their own boroughs exactly; everything else they see is protected as one table, so
    no hidden cell can be worked out from the totals beside it. Coordinators see every figure.
    """
    from .. import disclosure
    from ..permissions import Role

    counts = matrix(net, year)
    values: dict = {("cell", x, y): n for (x, y), n in counts.items()}
    relations = []
    for code in BOROUGH_CODES:
        # Only ties with other boroughs per borough: adding ties inside the borough as well would put
        # two totals side by side whose difference is the (often small) count inside it.
        others = [k for k in values if k[0] == "cell" and code in k[1:] and k[1] != k[2]]
        values[("across", code)] = sum(values[k] for k in others)
        relations.append(disclosure.Relation.total(("across", code), others))
    cells = [k for k in values if k[0] == "cell"]
    values[("total",)] = sum(values[k] for k in cells)
    values[("total_across",)] = sum(values[k] for k in cells if k[1] != k[2])
    relations.append(disclosure.Relation.total(("total",), cells))
    relations.append(disclosure.Relation.total(("total_across",), [k for k in cells if k[1] != k[2]]))
    if viewer.role == Role.COORDINATOR:
        protected = {key: disclosure.shown(value) for key, value in values.items()}
    else:
        own = set(viewer.borough_codes)
        exact = {
            k
            for k in values
            if (k[0] == "cell" and own & set(k[1:])) or (k[0] != "cell" and len(k) > 1 and k[1] in own)
        }
        # Partners get the per-borough totals and their own boroughs' rows, not every pair of other
        # boroughs (mostly small numbers that would force most totals to be hidden). The unpublished
        # pairs still enter the check as unknowns, so the totals cannot be combined to find them either.
        unpublished = {k for k in values if k[0] == "cell" and not own & set(k[1:])}
        protected = _protected_cells(values, relations, exact, unpublished)
        protected = {
            k: (disclosure.Cell(None, disclosure.SECONDARY) if k in unpublished else cell)
            for k, cell in protected.items()
        }
    return ProtectedMatrix(
        {(k[1], k[2]): protected[k] for k in values if k[0] == "cell"},
        {code: protected[("across", code)] for code in BOROUGH_CODES},
        protected[("total",)],
        protected[("total_across",)],
        BOROUGH_CODES if viewer.role == Role.COORDINATOR else tuple(sorted(viewer.borough_codes)),
    )


def _protected_cells(values: dict, relations: list, exact: set, hide: set) -> dict:
    """disclosure.protect(...).cells for this table, worked out once per process (the same counts, known
    and unpublished cells give the same answer) and in a child process (coordination.apart), so a worker
    that shows partners their network figures never loads the HiGHS solver (about 25 MB)."""
    from .. import disclosure
    from ..apart import NotApart, run_apart
    from ..caching import app_cache

    def work() -> dict:
        return disclosure.protect(values, relations, exact=exact, hide=hide).cells

    def build() -> dict:
        try:
            return run_apart(work)
        except NotApart:
            return work()

    key = (tuple(sorted(values.items())), frozenset(exact), frozenset(hide))
    return app_cache("networks-protected", maxsize=64).get_or_build(key, build)
