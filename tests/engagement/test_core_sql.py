"""Engagement's SQL is SQLAlchemy Core on the models' tables: a rename fails loudly, and the figures follow
the definitions in docs/engagement.md (checked against a plain Python count over demo-like random data)."""

from __future__ import annotations

import importlib
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.sql import visitors

from coordination.communities import models as community_models
from coordination.communities.models import AttendanceStatus, EventType
from coordination.engagement import queries
from coordination.extensions import db
from geo.boroughs import BOROUGH_CODES
from tests.communities import factories as f


def test_every_table_the_figures_read_is_a_models_table():
    tables = {element for element in visitors.iterate(queries._FIGURES) if isinstance(element, Table) and element.name}
    assert {t.name for t in tables} == set(queries.ENGAGEMENT_TABLES)
    assert all(db.metadata.tables[t.name] is t for t in tables)


def test_a_column_the_model_no_longer_has_fails_when_the_module_is_imported(monkeypatch):
    class Renamed:
        __table__ = Table("attendance", MetaData(), Column("id", Integer), Column("event_id", Integer))

    monkeypatch.setattr(community_models, "Attendance", Renamed)
    try:
        with pytest.raises(AttributeError, match="organisation_id|status|person_id"):
            importlib.reload(queries)
    finally:
        monkeypatch.undo()
        importlib.reload(queries)


def test_event_types_are_the_models_event_types():
    assert tuple(kind.value for kind in EventType) == queries.EVENT_TYPES


def _random_scene(seed: int) -> None:
    """Organisations, communities, people, events, attendance and memberships, shaped like the demo."""
    rng = random.Random(seed)
    areas = [f.concept(f"area {n}") for n in range(3)]
    boroughs = [*BOROUGH_CODES[:4], None, "E06000001"]  # no borough, and one outside Greater Manchester
    orgs = [
        f.organisation(
            f"Org {n}",
            rng.choice(boroughs),
            rng.sample(areas, rng.randint(0, 2)),
            status="closed" if rng.random() < 0.1 else "active",
        )
        for n in range(40)
    ]
    communities = [f.community(f"Community {n}", area=rng.choice([*areas, None])) for n in range(4)]
    people = [
        f.person(
            organisation=rng.choice([*orgs, None]),
            borough_code=rng.choice(boroughs),
            lived_experience=rng.random() < 0.3,
            carer=rng.random() < 0.2,
        )
        for _ in range(30)
    ]
    start = datetime(2024, 1, 1, 10)
    events = [
        f.event(
            rng.choice([*communities, None]),
            start + timedelta(days=rng.randint(0, 1000)),
            rng.choice(list(EventType)),
        )
        for _ in range(15)
    ]
    statuses = list(AttendanceStatus)
    for event in events:
        for person in rng.sample(people, rng.randint(0, 8)):
            organisation = rng.choice([person.organisation, rng.choice(orgs)])
            f.attend(event, person, organisation=organisation, status=rng.choice(statuses))
        if rng.random() < 0.3:
            f.attend(event, None, organisation=rng.choice(orgs))  # an organisation without a named person
    for person in rng.sample(people, 12):
        joined = date(2023, 6, 1) + timedelta(days=rng.randint(0, 900))
        left = joined + timedelta(days=rng.randint(1, 500)) if rng.random() < 0.5 else None
        f.member(rng.choice(communities), person, joined=joined, left=left)
    db.session.commit()


def _expected(period: queries.Period) -> dict:
    """The figures counted in Python, one definition at a time (docs/engagement.md)."""
    from coordination.communities.models import Attendance, Community, Membership
    from coordination.organisations.models import Organisation

    attendance = [a for a in db.session.query(Attendance) if a.status == AttendanceStatus.ATTENDED]
    memberships = list(db.session.query(Membership))
    epoch, forever = datetime(1900, 1, 1), datetime(9999, 1, 1)

    def engaged(org_id, start_at, end_at):
        return any(a.organisation_id == org_id and start_at <= a.event.starts_at < end_at for a in attendance) or any(
            m.organisation_id == org_id
            and m.joined_on < end_at.date()
            and (m.left_on or queries.FAR_FUTURE) >= start_at.date()
            for m in memberships
        )

    counts = defaultdict(lambda: defaultdict(int))
    concepts = {0} | {c.practice_area_id for c in db.session.query(Community) if c.practice_area_id}
    for org in db.session.query(Organisation):
        if org.status != "active" or org.borough_code not in BOROUGH_CODES:
            continue
        now = engaged(org.id, period.start_at, period.end_at)
        before = engaged(org.id, epoch, period.start_at)
        ever = engaged(org.id, epoch, forever)
        for concept_id in [0, *(c.id for c in org.practice_areas)]:
            concepts.add(concept_id)
            cell = counts[(org.borough_code, concept_id)]
            cell["directory"] += 1
            cell["engaged"] += now
            cell["new_reached"] += now and not before
            cell["never_engaged"] += not ever
    lived = defaultdict(set)
    in_period = [a for a in attendance if period.start_at <= a.event.starts_at < period.end_at]
    taking_part = [(a.person, a.event.community) for a in in_period if a.person is not None] + [
        (m.person, m.community)
        for m in memberships
        if m.joined_on < period.end and (m.left_on or queries.FAR_FUTURE) >= period.start
    ]
    for person, community in taking_part:
        if person.lived_experience or person.carer:
            borough = person.borough_code or (person.organisation.borough_code if person.organisation else None)
            area = community.practice_area_id if community and community.practice_area_id else 0
            for concept_id in {0, area}:
                lived[(borough, concept_id)].add(person.id)
    for key, people in lived.items():
        counts[key]["lived_experience_people"] = len(people)
    for a in in_period:
        borough = (
            (a.person.borough_code if a.person else None)
            or (a.organisation.borough_code if a.organisation else None)
            or (a.person.organisation.borough_code if a.person and a.person.organisation else None)
        )
        community = a.event.community
        area = community.practice_area_id if community and community.practice_area_id else 0
        for concept_id in {0, area}:
            counts[(borough, concept_id)][f"attended_{a.event.event_type.value}"] += 1
    return {
        (code, concept_id): {column: counts[(code, concept_id)][column] for column in queries.FIGURE_COLUMNS}
        for code in BOROUGH_CODES
        for concept_id in concepts
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_the_figures_match_a_plain_count_of_the_definitions(app, seed):
    _random_scene(seed)
    for period in (
        queries.Period("2025", "2025", date(2025, 1, 1), date(2026, 1, 1)),
        queries.Period("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
        queries.Period("all", "All time", date(1900, 1, 1), date(2027, 6, 1)),
    ):
        rows = queries.engagement_figures(period)
        expected = _expected(period)
        got = {
            (r["borough_code"], r["concept_id"]): {c: r[c] for c in queries.FIGURE_COLUMNS}
            for r in rows
            if r["borough_code"] != queries.GM
        }
        assert got == expected, period.key
        if period.key == "all":  # the scene is not empty: every kind of figure has something to count
            assert all(any(v[c] for v in expected.values()) for c in ("engaged", "lived_experience_people"))
        for r in rows:
            if r["borough_code"] == queries.GM:
                cells = [v for (code, concept_id), v in expected.items() if concept_id == r["concept_id"]]
                assert r["engaged"] == sum(c["engaged"] for c in cells)
                assert r["directory"] == sum(c["directory"] for c in cells)
            elif r["directory"]:
                assert r["engagement_rate"] == pytest.approx(r["engaged"] / r["directory"])
        listed = queries.organisation_engagement(period)
        for code in BOROUGH_CODES:
            mine = [o for o in listed if o["borough_code"] == code]
            assert len(mine) == expected[(code, 0)]["directory"]
            assert sum(o["engaged_in_period"] for o in mine) == expected[(code, 0)]["engaged"]
