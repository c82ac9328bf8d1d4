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


def test_found_both_by_its_words_and_its_tag_it_comes_once_ranked_by_its_words(app, create_organisation):
    from coordination.organisations.operations import close_organisation
    from coordination.organisations.queries import OrganisationFilters, search_organisations
    from coordination.terminology.demo import seed

    seed(None)
    ssm = db.session.scalar(select(Concept).where(Concept.pref_label == "Supported self-management"))
    both = create_organisation(
        name="Oldham Self-Care Circle", description="Self-care sessions.", practice_areas=[ssm.id]
    )
    create_organisation(name="Aardvark Tagged Only", practice_areas=[ssm.id])
    create_organisation(name="Zebra Tagged Only", practice_areas=[ssm.id], postcode="WN1 1XL")
    close_organisation(create_organisation(name="Closed Tagged", practice_areas=[ssm.id]))
    result = search_organisations(OrganisationFilters(q="self-care"))
    names = [org.name for org in result.items]
    assert names == [both.name, "Aardvark Tagged Only", "Zebra Tagged Only"]  # words first, then by name
    assert result.total == 3
    # Filters apply to both kinds of match; paging walks the same order.
    assert [o.name for o in search_organisations(OrganisationFilters(q="self-care", borough="E08000010")).items] == [
        "Zebra Tagged Only"
    ]
    second = search_organisations(OrganisationFilters(q="self-care"), page=2, per_page=2)
    assert [o.name for o in second.items] == ["Zebra Tagged Only"] and second.total == 3
    assert search_organisations(OrganisationFilters(q="self-care", status="any")).total == 4


@pytest.mark.parametrize("typed", ["meals on wheels", "Meals-on-Wheels", "meals_on_wheels"])
def test_a_phrase_with_small_words_and_any_punctuation_finds_the_same_records(app, create_organisation, typed):
    from coordination.organisations.queries import OrganisationFilters, search_organisations

    create_organisation(name="Rochdale Meals on Wheels", description="Hot dinners delivered.")
    create_organisation(name="Wheels for All", description="Meals and cycling on Sundays.")
    assert [o.name for o in search_organisations(OrganisationFilters(q=typed)).items] == ["Rochdale Meals on Wheels"]
