"""The demo seed tells the story: Rochdale and Oldham under-represented in peer support."""

import random

from sqlalchemy import func, select

from coordination.communities import demo
from coordination.communities.models import Attendance, Community, EventType, Person, Pledge
from coordination.engagement import queries
from coordination.extensions import db
from geo.boroughs import BOROUGH_CODES
from tests.communities import factories as f


def test_the_demo_works_with_no_organisations_or_concepts(app, create_user):
    assert "communities" in demo.seed(None)
    assert db.session.scalar(select(func.count()).select_from(Community)) >= 3
    assert demo.seed(None) == "communities already present; nothing added"


def test_the_demo_makes_rochdale_under_represented_in_peer_support(app, create_user):
    user = create_user("contributor", email="contributor@example.org")
    concepts = [f.concept(label) for label in demo.PRACTICE_AREAS]
    rng = random.Random(3)
    for n in range(600):
        f.organisation(f"Org {n}", BOROUGH_CODES[n % 10], rng.sample(concepts, 2))
    db.session.commit()
    demo.seed(None)
    rows = queries.engagement_figures(queries.find_period("12m"))
    peer = concepts[0].id
    rochdale = next(r for r in rows if r["borough_code"] == "E08000005" and r["concept_id"] == peer)
    assert rochdale["gap_index"] < 0.6
    averages = {}
    for row in queries.attendance_over_time(queries.find_period("all")):
        total = averages.setdefault(row["event_type"], [0, 0])
        total[0] += row["attended"]
        total[1] += row["events"]
    mean = {k: a / e for k, (a, e) in averages.items()}
    assert mean[EventType.ONE_OFF.value] > mean[EventType.REGULAR_MEETING.value]
    assert mean[EventType.MASTERCLASS.value] > mean[EventType.REGULAR_MEETING.value]
    assert db.session.scalar(select(Person).where(Person.user_id == user.id)).lived_experience
    assert db.session.scalar(select(func.count()).select_from(Pledge)) > 0
    assert db.session.scalar(select(func.count()).select_from(Attendance)) > 500
