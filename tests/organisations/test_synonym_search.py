"""The directory search speaks local language: any label of a concept finds the same organisations."""

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.terminology.models import Concept
from tests.conftest import page


@pytest.fixture
def vocabulary_and_directory(app, create_organisation):
    from coordination.terminology.demo import seed

    seed(None)
    ssm = db.session.scalar(select(Concept).where(Concept.pref_label == "Supported self-management"))
    names = {
        "tagged": create_organisation(name="Bury Diabetes Friends", practice_areas=[ssm.id]),
        "local words": create_organisation(name="Wigan Wellbeing Hub", description="We run weekly self-care groups."),
        "national words": create_organisation(
            name="Stockport Courses", description="Supported self-management courses for long-term conditions."
        ),
        "alternative words": create_organisation(
            name="Salford Steps", description="Self-management support for people after a stroke."
        ),
    }
    create_organisation(name="Decoy Crafts", description="Help yourself carefully to the tea and cake.")
    return {org.name for org in names.values()}


def _found(client, q):
    soup = page(client.get("/organisations", query_string={"q": q, "borough": "all"}))
    return soup, {a.get_text(strip=True) for a in soup.select("main table a[href^='/organisations/']")}


@pytest.mark.parametrize(
    "typed", ["supported self-management", "self care", "Self-Care", "selfcare", "self management support", "self mgmt"]
)
def test_every_label_of_a_concept_finds_the_same_organisations(vocabulary_and_directory, signed_in, typed):
    client, _ = signed_in("coordinator")
    _, found = _found(client, typed)
    assert found == vocabulary_and_directory


def test_the_results_page_says_what_else_it_searched_for(vocabulary_and_directory, signed_in):
    client, _ = signed_in("coordinator")
    soup, _ = _found(client, "self care")
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "also:" in text and "supported self-management" in text.lower()


def test_searches_that_find_nothing_are_counted_without_the_person(vocabulary_and_directory, signed_in):
    from coordination.terminology.models import UnfoundSearch

    client, user = signed_in("coordinator")
    _found(client, "men's sheds")
    _found(client, "Men's sheds")
    rows = db.session.scalars(select(UnfoundSearch)).all()
    assert len(rows) == 1 and rows[0].count == 2
    assert not [column for column in UnfoundSearch.__table__.columns if "user" in column.name]


def test_a_partner_sees_practice_areas_in_local_words_first(vocabulary_and_directory, signed_in):
    client, _ = signed_in("partner", boroughs=["E08000010"])
    soup = page(client.get("/organisations", query_string={"q": "self care"}))
    options = [o.get_text(strip=True) for o in soup.select("select[name=practice_area] option")]
    assert "Self-care (supported self-management)" in options


def test_an_organisation_shows_its_practice_areas_in_local_words_first(vocabulary_and_directory, signed_in):
    client, _ = signed_in("coordinator")
    soup, _ = _found(client, "Bury Diabetes Friends")
    link = soup.select_one("main table a[href^='/organisations/']")
    record = page(client.get(link["href"])).select_one("main").get_text(" ", strip=True)
    assert "Self-care (supported self-management)" in record
