"""One search function: full text with phrases and synonym concepts, filters, ranking, paging."""

from datetime import date, timedelta

import pytest

from coordination.organisations.queries import OrganisationFilters, search_organisations


def _names(result):
    return [org.name for org in result.items]


@pytest.fixture
def directory(create_organisation, create_concept):
    self_care = create_concept("Supported self-management")
    orgs = {
        "food": create_organisation(
            name="Bolton Food Bank",
            description="Emergency food parcels",
            postcode="BL1 1RU",
            operates_in=["E08000001"],
            org_type="registered_charity",
            charity_number="1123456",
        ),
        "pantry": create_organisation(
            name="Wigan Community Pantry",
            description="Low cost food club for families",
            postcode="WN1 1XL",
            operates_in=["E08000010", "E08000001"],
        ),
        "diabetes": create_organisation(
            name="Diabetes Group",
            description="Peer sessions for type 2 diabetes",
            postcode="M1 1AD",
            practice_areas=[self_care.id],
        ),
        "outside": create_organisation(name="Cheshire Carers", description="Carers breaks", postcode="WA1 1UH"),
        "nowhere": create_organisation(name="Online Befrienders", description="Phone befriending", email=""),
    }
    return orgs, self_care


def test_free_text_matches_names_and_descriptions_with_stemming(directory):
    assert set(_names(search_organisations(OrganisationFilters(q="food")))) == {
        "Bolton Food Bank",
        "Wigan Community Pantry",
    }
    assert _names(search_organisations(OrganisationFilters(q="befriend"))) == ["Online Befrienders"]


def test_a_match_in_the_name_ranks_above_one_in_the_description(directory):
    assert _names(search_organisations(OrganisationFilters(q="food")))[0] == "Bolton Food Bank"


def test_words_are_matched_as_a_phrase(directory):
    assert _names(search_organisations(OrganisationFilters(q="food club"))) == ["Wigan Community Pantry"]
    assert _names(search_organisations(OrganisationFilters(q="club food"))) == []


@pytest.mark.parametrize("hostile", ['"', 'food" OR "', "NEAR(", "*", "'; DROP TABLE organisation; --", "💥"])
def test_search_syntax_in_the_query_is_treated_as_plain_words(directory, hostile):
    search_organisations(OrganisationFilters(q=hostile))  # no error


def test_filters_combine_with_the_text(directory):
    orgs, _ = directory
    assert _names(search_organisations(OrganisationFilters(q="food", borough="E08000010"))) == [
        "Wigan Community Pantry"
    ]
    assert set(_names(search_organisations(OrganisationFilters(operates_in="E08000001")))) == {
        "Bolton Food Bank",
        "Wigan Community Pantry",
    }
    assert _names(search_organisations(OrganisationFilters(org_type="registered_charity"))) == ["Bolton Food Bank"]


def test_needs_attention_finds_no_location_outside_without_boroughs_unchecked_and_uncontactable(directory):
    from coordination.extensions import db

    orgs, _ = directory
    orgs["food"].last_checked_on = date.today() - timedelta(days=400)
    db.session.commit()
    names = set(_names(search_organisations(OrganisationFilters(needs_attention=True))))
    assert names == {"Bolton Food Bank", "Cheshire Carers", "Online Befrienders"}


def test_closed_organisations_are_hidden_unless_asked_for(directory):
    from coordination.organisations.operations import close_organisation

    orgs, _ = directory
    close_organisation(orgs["outside"])
    assert "Cheshire Carers" not in _names(search_organisations(OrganisationFilters()))
    assert _names(search_organisations(OrganisationFilters(status="closed"))) == ["Cheshire Carers"]
    assert len(search_organisations(OrganisationFilters(status="any")).items) == 5


def test_results_are_paged(directory):
    first = search_organisations(OrganisationFilters(), page=1, per_page=2)
    third = search_organisations(OrganisationFilters(), page=3, per_page=2)
    assert first.total == 5 and first.pages == 3 and len(third.items) == 1
    assert not set(_names(first)) & set(_names(third))


def test_edits_are_searchable_at_once(directory):
    from coordination.organisations.operations import update_organisation

    orgs, _ = directory
    update_organisation(orgs["outside"], {"description": "Respite for unpaid carers and kinship carers"})
    assert _names(search_organisations(OrganisationFilters(q="kinship"))) == ["Cheshire Carers"]
    assert _names(search_organisations(OrganisationFilters(q="breaks"))) == []


def test_filters_survive_a_round_trip_through_query_parameters():
    filters = OrganisationFilters(
        q="food",
        borough="E08000001",
        operates_in="E08000010",
        practice_area=3,
        org_type="cic",
        status="any",
        needs_attention=True,
    )
    assert OrganisationFilters.from_args(filters.to_args()) == filters
    assert (
        OrganisationFilters.from_args({"borough": "nonsense", "type": "x", "practice_area": "1;"})
        == OrganisationFilters()
    )
