"""A search's page statement is built once per shape and run with each search's values: the results must be
exactly those of a statement built afresh, and agree with the filters, the total and the paging."""

import itertools

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.organisations import queries
from coordination.organisations.operations import close_organisation
from coordination.organisations.queries import OrganisationFilters, search_organisations
from coordination.terminology.models import Concept

POSTCODES = {"BL1 1RU": "E08000001", "WN1 1XL": "E08000010", "M1 1AD": "E08000003", "": None}
TYPES = ["community_group", "registered_charity", "cic"]
WORDS = ["", "food", "carers", "self-care", "food club", "befriending", "nothing matches this"]


@pytest.fixture
def directory(app, create_organisation):
    from coordination.terminology.demo import seed

    seed(None)
    concepts = {c.pref_label: c.id for c in db.session.scalars(select(Concept))}
    self_care = concepts["Supported self-management"]
    others = [cid for label, cid in concepts.items() if cid != self_care][:2]
    descriptions = ["Food club and pantry", "Carers breaks and befriending", "Self-care groups", "Walking", ""]
    postcodes = list(POSTCODES)
    made = []
    for n in range(36):
        org = create_organisation(
            name=f"{'ABCDEFGH'[n % 8]} organisation {n:02d}",
            description=descriptions[n % 5],
            postcode=postcodes[n % 4],
            org_type=TYPES[n % 3],
            operates_in=[["E08000001"], ["E08000010", "E08000003"], []][n % 3],
            practice_areas=[[self_care], [self_care, others[0]], [], [others[1]]][n % 4],
        )
        made.append(org)
    for org in made[::7]:
        close_organisation(org)
    return self_care


def _filters():
    for q, borough, status, org_type, operates_in in itertools.product(
        WORDS, [None, "E08000001", "E08000010"], ["active", "any", "closed"], [None, "cic"], [None, "E08000003"]
    ):
        yield OrganisationFilters(q=q, borough=borough, status=status, org_type=org_type, operates_in=operates_in)
    yield OrganisationFilters(q="self-care", needs_attention=True, status="any")
    yield OrganisationFilters(q="food", practice_area=1)


def _seen(result):
    return result.total, [(o.id, o.name, o.status.value, o.borough_code, o.practice_areas) for o in result.items]


def test_a_statement_kept_per_shape_finds_what_a_fresh_one_finds(directory):
    asked = [(filters, page) for filters in _filters() for page in (1, 3)]
    queries._STATEMENTS.clear()
    kept = [_seen(search_organisations(filters, page, per_page=4)) for filters, page in asked]  # shapes reused
    assert len(queries._STATEMENTS) < len(asked) / 4
    for (filters, page), seen in zip(asked, kept, strict=True):
        queries._STATEMENTS.clear()
        assert seen == _seen(search_organisations(filters, page, per_page=4)), (filters, page)


def test_every_page_agrees_with_the_filters_the_total_and_the_whole_list(directory):
    for filters in _filters():
        whole = search_organisations(filters, 1, per_page=200)
        assert whole.total == len(whole.items)
        pages = [search_organisations(filters, n, per_page=5) for n in range(1, -(-whole.total // 5) + 3)]
        assert [o.id for p in pages for o in p.items] == [o.id for o in whole.items]
        assert {p.total for p in pages} == {whole.total}
        for org in whole.items:
            assert filters.status == "any" or org.status.value == filters.status
            assert filters.borough is None or org.borough_code == filters.borough
            assert filters.org_type is None or org.org_type.value == filters.org_type
            assert filters.operates_in is None or filters.operates_in in org.operates_in_codes


def test_a_concept_named_in_the_words_finds_its_tagged_records_in_any_borough(directory):
    found = search_organisations(OrganisationFilters(q="self-care", status="any"), per_page=200)
    assert found.total == len(found.items) >= 18  # 18 tagged with the concept, more with the words
    in_wigan = search_organisations(OrganisationFilters(q="self-care", borough="E08000010", status="any"))
    assert {o.id for o in in_wigan.items} == {o.id for o in found.items if o.borough_code == "E08000010"}
