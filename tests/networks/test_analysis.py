"""Network measures against a small hand-drawn network."""

from __future__ import annotations

from datetime import date

import pytest

from coordination.networks import analysis
from coordination.networks.analysis import Evidence, PersonInfo

BOLTON, BURY, WIGAN = "E08000001", "E08000002", "E08000010"

# Six people in three boroughs. Ann (1) introduced Bea (2) to Cal (3) in Q1; Cal and Dan (4) met in Q2;
# Dan and Eve (5) met in Q2; Fay (6) took part but knows nobody.
PEOPLE = {
    1: PersonInfo(BOLTON, 10, "charity"),
    2: PersonInfo(BOLTON, 10, "charity"),
    3: PersonInfo(BURY, 20, "nhs"),
    4: PersonInfo(BURY, 30, "charity"),
    5: PersonInfo(WIGAN, 40, "community_group"),
    6: PersonInfo(WIGAN, 40, "community_group"),
}
EVIDENCE = [
    Evidence(2, 3, date(2025, 2, 1), "introduction", introduced_by=1),
    Evidence(1, 2, date(2025, 1, 10), "community", 1.0),
    Evidence(3, 4, date(2025, 5, 1), "met_at_event"),
    Evidence(4, 5, date(2025, 6, 1), "met_at_event"),
    Evidence(2, 3, date(2025, 7, 1), "small_event", 0.25),  # the same pair again, later: not a new tie
]
FIRST_SEEN = {
    1: date(2025, 1, 10),
    2: date(2025, 1, 10),
    3: date(2025, 2, 1),
    4: date(2025, 5, 1),
    5: date(2025, 6, 1),
    6: date(2025, 4, 2),
}


@pytest.fixture
def ties():
    return analysis.aggregate(EVIDENCE)


def test_a_pair_seen_twice_is_one_tie_dated_from_its_first_evidence(ties):
    tie = ties[(2, 3)]
    assert len(ties) == 4
    assert tie.since == date(2025, 2, 1)
    assert tie.weight == pytest.approx(1.25)
    assert ties[(1, 2)].since == date(2025, 1, 10)
    assert tie.sources == {"introduction", "small_event"}
    assert tie.introduced_by == {1}


def test_quarterly_figures_match_the_drawing(ties):
    q1, q2, q3 = analysis.quarterly(ties, PEOPLE, FIRST_SEEN, [(2025, 1), (2025, 2), (2025, 3)])
    assert (q1.people, q1.ties, q1.new_ties, q1.cross_borough, q1.components, q1.isolates) == (3, 2, 2, 1, 1, 0)
    assert q1.organisations == 2
    # Q2: Fay arrives alone; Cal–Dan (same borough, different sector) and Dan–Eve (cross-borough) form.
    assert (q2.people, q2.ties, q2.new_ties, q2.new_cross_borough, q2.new_cross_sector) == (6, 4, 2, 1, 2)
    assert (q2.components, q2.isolates, q2.largest_component) == (2, 1, 5)
    assert q2.share("new_cross_borough") == pytest.approx(0.5)
    # Q3 adds evidence for an existing pair only: no new tie.
    assert (q3.new_ties, q3.ties) == (0, 4)


def test_people_who_asked_to_be_left_out_disappear_with_their_ties():
    ties = analysis.aggregate(EVIDENCE, excluded={3})
    assert set(ties) == {(1, 2), (4, 5)}


def test_the_introducer_and_the_person_in_the_middle_are_the_bridges(ties):
    bridges = analysis.person_bridges(ties, PEOPLE)
    ids = [b.ident for b in bridges]
    # A path 1–2–3–4–5: Cal (3) sits on most shortest paths, then Bea (2) and Dan (4); Ann introduced
    # Bolton to Bury, so she counts as a bridge although she sits at the end of the path.
    assert ids[0] == 3 and set(ids[1:3]) == {2, 4}
    assert 1 in ids
    ann = next(b for b in bridges if b.ident == 1)
    assert ann.introductions == 1 and ann.boroughs == (BOLTON, BURY)


def test_borough_matrix_counts_each_tie_once_in_its_period(ties):
    matrix = analysis.borough_matrix(
        ties, PEOPLE, [BOLTON, BURY, WIGAN], since=date(2025, 1, 1), until=date(2025, 3, 31)
    )
    assert matrix[(BOLTON, BOLTON)] == 1 and matrix[(BOLTON, BURY)] == 1
    assert sum(matrix.values()) == 2
    assert (BURY, BOLTON) not in matrix


def test_organisations_roll_up_and_ties_inside_one_organisation_drop(ties):
    g = analysis.organisation_graph(ties, PEOPLE)
    assert set(map(frozenset, g.edges)) == {frozenset({10, 20}), frozenset({20, 30}), frozenset({30, 40})}


def test_small_events_make_weighted_ties_and_big_events_none():
    small = list(analysis.event_evidence([(date(2025, 1, 1), [1, 2, 3])]))
    assert {(e.a, e.b) for e in small} == {(1, 2), (1, 3), (2, 3)} and all(e.weight == 1.0 for e in small)
    nine = list(analysis.event_evidence([(date(2025, 1, 1), list(range(1, 10)))]))
    assert nine[0].weight == pytest.approx(0.5)
    assert list(analysis.event_evidence([(date(2025, 1, 1), list(range(100)))])) == []


def test_community_ties_start_when_the_later_member_joined_and_need_an_overlap():
    memberships = [
        (1, 1, date(2024, 1, 1), date(2024, 6, 1)),
        (1, 2, date(2024, 3, 1), None),
        (1, 3, date(2024, 7, 1), None),
    ]
    evidence = {(e.a, e.b): e.on for e in analysis.community_evidence(memberships)}
    assert evidence == {(1, 2): date(2024, 3, 1), (2, 3): date(2024, 7, 1)}


def test_quarters_and_growth():
    quarters = analysis.quarters_between(date(2024, 11, 5), date(2025, 4, 1))
    assert quarters == [(2024, 4), (2025, 1), (2025, 2)]
    assert analysis.quarter_bounds((2024, 4)) == (date(2024, 10, 1), date(2024, 12, 31))
    assert analysis.growth([date(2025, 1, 5), date(2025, 2, 5), date(2025, 5, 1)], quarters) == [
        ("2024 Q4", 0, 0),
        ("2025 Q1", 2, 2),
        ("2025 Q2", 1, 3),
    ]


def test_weak_evidence_adds_up_and_the_tie_dates_from_the_meeting_that_made_it():
    evidence = [
        Evidence(1, 2, date(2025, 1, 5), "small_event", 0.4),
        Evidence(1, 2, date(2025, 3, 5), "small_event", 0.4),
        Evidence(1, 2, date(2025, 8, 5), "small_event", 0.4),
        Evidence(3, 4, date(2025, 1, 5), "community", 0.1),
    ]
    ties = analysis.aggregate(evidence)
    assert set(ties) == {(1, 2)}
    assert ties[(1, 2)].since == date(2025, 8, 5)
