"""Search uses the vocabulary: any label of a concept finds the same organisations; misses are counted."""

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.terminology import operations
from coordination.terminology.models import LabelKind, LabelStatus, UnfoundSearch
from coordination.terminology.search import (
    display_label,
    expand_query,
    find_organisation_ids,
    record_zero_result,
    resolve_concept,
)


@pytest.fixture
def directory(vocabulary, create_organisation):
    ssm = vocabulary["Supported self-management"]
    orgs = {
        "tagged": create_organisation("Bolton Wellbeing Hub", "A drop-in for everyone.", practice_areas=[ssm]),
        "selfcare": create_organisation("Wigan Selfcare Circle", "We run selfcare groups on Tuesdays."),
        "national": create_organisation("Oldham Health Forum", "Supported self management courses for carers."),
        "support": create_organisation("Salford Friends", "Self-management support for people with COPD."),
        "hidden": create_organisation("Bury Notes", "Self mgmt tips, written by members."),
        "unrelated": create_organisation("Trafford Allotments", "Looking after myself carefully in the garden."),
        "peer": create_organisation("Rochdale Peers", "Peer-led groups for new dads."),
    }
    return orgs


@pytest.mark.parametrize(
    "typed",
    [
        "self care",
        "Self-Care",
        "selfcare",
        "self management support",
        "supported self-management",
        "Supported Self Management",
        "self mgmt",
    ],
)
def test_every_name_of_supported_self_management_finds_the_same_organisations(directory, typed):
    expected = {directory[key].id for key in ("tagged", "selfcare", "national", "support", "hidden")}
    assert set(find_organisation_ids(typed)) == expected


def test_the_expansion_says_what_else_it_searched_for_without_hidden_names(vocabulary):
    phrases, concept_ids, also = expand_query("self-care")
    assert phrases[0] == "self-care"
    assert concept_ids == [vocabulary["Supported self-management"].id]
    assert also == ["Supported self-management", "self-management support", "supported self-care"]
    assert "self mgmt" in phrases and "self mgmt" not in also


def test_a_label_inside_a_longer_query_is_matched_as_a_phrase(vocabulary):
    _, concept_ids, _ = expand_query("peer-led groups in Rochdale")
    assert concept_ids == [vocabulary["Peer support"].id]
    assert expand_query("peer groups")[1] == []  # "peer-led groups" must appear whole


def test_a_query_naming_nothing_is_searched_as_typed(vocabulary):
    assert expand_query("allotments") == (["allotments"], [], [])
    assert expand_query("   ") == ([""], [], [])


def test_proposed_local_names_are_not_searched_until_agreed(vocabulary, directory):
    social = vocabulary["Social prescribing"]
    assert expand_query("community connectors")[1] == []
    label = next(label for label in social.local_labels if label.text == "community connectors")
    operations.agree_label(label)
    assert expand_query("community connectors")[1] == [social.id]


def test_searches_that_find_nothing_are_counted_by_words_only(app):
    record_zero_result("Befriending for Deaf people")
    record_zero_result("befriending  for deaf PEOPLE!")
    record_zero_result("jo@example.org 0161 496 0000 M1 1AA")
    record_zero_result("")
    rows = db.session.scalars(select(UnfoundSearch)).all()
    assert [(row.words, row.count) for row in rows] == [("befriending for deaf people", 2)]


def test_an_unfound_search_becomes_a_label_in_one_step_and_then_finds_the_concept(vocabulary):
    record_zero_result("self managment")  # already a hidden label: not unfound in real life, but counts here
    record_zero_result("expert patients")
    unfound = db.session.scalar(select(UnfoundSearch).where(UnfoundSearch.words == "expert patients"))
    ssm = vocabulary["Supported self-management"]
    operations.add_unfound_as_label(unfound, ssm, "alt")
    assert expand_query("expert patient")[1] == [ssm.id]
    assert db.session.scalar(select(UnfoundSearch).where(UnfoundSearch.words == "expert patients")) is None


@pytest.mark.parametrize(
    "borough, expected",
    [
        (None, "Self-care (supported self-management)"),
        ("E08000005", "Self-care (supported self-management)"),
        ("E08000001", "Looking after yourself (supported self-management)"),
    ],
)
def test_concepts_are_shown_in_the_boroughs_own_words_with_the_national_name_after(vocabulary, borough, expected):
    ssm = vocabulary["Supported self-management"]
    operations.add_label(
        ssm,
        kind=LabelKind.LOCAL,
        text="looking after yourself",
        borough_code="E08000001",
        status=LabelStatus.AGREED,
        proposed_by="Bolton CVS",
    )
    assert display_label(ssm, borough) == expected


def test_a_concept_without_local_names_shows_its_national_name(vocabulary):
    assert display_label(vocabulary["Peer support"], "E08000005") == "Peer support"
    assert display_label(None) == ""


def test_only_one_local_name_per_borough_is_agreed_at_a_time(vocabulary):
    ssm = vocabulary["Supported self-management"]
    first = operations.add_label(
        ssm, kind="local", text="self-help", borough_code="E08000009", status="agreed", proposed_by="Trafford"
    )
    operations.add_label(
        ssm,
        kind="local",
        text="looking after yourself",
        borough_code="E08000009",
        status="agreed",
        proposed_by="Trafford",
    )
    db.session.refresh(first)
    assert first.status == LabelStatus.PROPOSED
    assert display_label(ssm, "E08000009").startswith("Looking after yourself")


def test_a_label_already_naming_another_concept_is_refused(vocabulary):
    with pytest.raises(operations.TerminologyError, match="already a name of ‘Supported self-management’"):
        operations.add_label(vocabulary["Peer support"], kind="alt", text="Self Care")


def test_an_importer_can_resolve_any_name_to_its_concept(vocabulary):
    ssm = vocabulary["Supported self-management"]
    assert resolve_concept("Self Care") is ssm
    assert resolve_concept("SUPPORTED SELF-MANAGEMENT") is ssm
    assert resolve_concept("self care groups") is None and resolve_concept("") is None
