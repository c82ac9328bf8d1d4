"""Engagement figures from SQL: definitions, the gap index, periods, small-number suppression."""

from datetime import date, datetime

import pytest

from coordination.communities.models import AttendanceStatus, EventType
from coordination.engagement import figures, protection, queries
from coordination.extensions import db
from geo.boroughs import load_facts
from tests.communities import factories as f

ROCHDALE, MANCHESTER, OLDHAM = "E08000005", "E08000003", "E08000004"
YEAR_2026 = queries.Period("2026", "2026", date(2026, 1, 1), date(2027, 1, 1))


def row(rows, borough, concept_id=0):
    return next(r for r in rows if r["borough_code"] == borough and r["concept_id"] == concept_id)


@pytest.fixture
def scene(app):
    """Peer support: 2 Rochdale organisations (1 engaged), 3 Manchester (3 engaged, 1 new this year)."""
    peer = f.concept("peer support")
    other = f.concept("social prescribing")
    rochdale = [f.organisation(f"Rochdale {n}", ROCHDALE, [peer]) for n in range(2)]
    manchester = [f.organisation(f"Manchester {n}", MANCHESTER, [peer, other]) for n in range(3)]
    f.organisation("Closed one", ROCHDALE, [peer], status="closed")
    community = f.community(area=peer)
    meeting = f.event(community, datetime(2026, 2, 1, 10), EventType.REGULAR_MEETING)
    masterclass = f.event(community, datetime(2026, 5, 1, 10), EventType.MASTERCLASS)
    old = f.event(community, datetime(2025, 5, 1, 10), EventType.ONE_OFF)
    lived = f.person("Lived", None, borough_code=ROCHDALE, lived_experience=True)
    f.attend(meeting, f.person(organisation=rochdale[0]))
    f.attend(meeting, lived)
    f.attend(meeting, f.person(organisation=rochdale[1]), status=AttendanceStatus.APOLOGIES)
    f.attend(masterclass, f.person(organisation=manchester[0]))
    f.attend(old, f.person(organisation=manchester[1]))  # engaged before 2026 ...
    f.member(community, f.person(organisation=manchester[1]), joined=date(2025, 6, 1))  # ... and still a member
    f.member(community, f.person(organisation=manchester[2]), joined=date(2024, 1, 1), left=date(2026, 3, 1))
    db.session.commit()
    return {"peer": peer, "other": other, "rochdale": rochdale, "manchester": manchester}


def test_counts_follow_the_definitions_in_the_docs(scene):
    rows = queries.engagement_figures(YEAR_2026)
    peer = scene["peer"].id
    r, m, gm = row(rows, ROCHDALE, peer), row(rows, MANCHESTER, peer), row(rows, "GM", peer)
    assert (r["directory"], r["engaged"], r["never_engaged"]) == (2, 1, 1)  # closed organisations do not count
    assert (m["directory"], m["engaged"], m["new_reached"], m["never_engaged"]) == (3, 3, 1, 0)
    assert (gm["directory"], gm["engaged"]) == (5, 4)
    assert r["engagement_rate"] == pytest.approx(0.5)
    assert r["attended_regular_meeting"] == 2 and r["attended_masterclass"] == 0  # apologies are not attendance
    assert r["lived_experience_people"] == 1
    assert row(rows, MANCHESTER, scene["other"].id)["engaged"] == 3


def test_the_gap_index_is_share_of_engaged_over_share_of_population(scene):
    rows = queries.engagement_figures(YEAR_2026)
    facts = load_facts().set_index("code")
    total = facts["population"].sum()
    need = (facts["population"] * facts["imd_score"]).sum()
    r = row(rows, ROCHDALE, scene["peer"].id)
    assert r["gap_index"] == pytest.approx((1 / 4) / (facts.loc[ROCHDALE, "population"] / total))
    assert r["gap_index_need"] == pytest.approx(
        (1 / 4) / (facts.loc[ROCHDALE, "population"] * facts.loc[ROCHDALE, "imd_score"] / need)
    )
    assert r["engaged_per_100k"] == pytest.approx(100000 / facts.loc[ROCHDALE, "population"])
    assert row(rows, OLDHAM, scene["peer"].id)["gap_index"] == 0


def test_a_period_with_no_engagement_has_no_gap_index_rather_than_a_division_error(scene):
    rows = queries.engagement_figures(queries.Period("2020", "2020", date(2020, 1, 1), date(2021, 1, 1)))
    assert all(r["gap_index"] is None for r in rows)
    assert row(rows, ROCHDALE)["directory"] == 2


def test_last_year_counts_the_one_off_event_and_the_membership(scene):
    rows = queries.engagement_figures(queries.Period("2025", "2025", date(2025, 1, 1), date(2026, 1, 1)))
    m = row(rows, MANCHESTER, scene["peer"].id)
    assert m["engaged"] == 2 and m["attended_one_off"] == 1


def test_partners_see_small_counts_as_fewer_than_five_and_no_gap_index_built_on_them(scene):
    moment = protection.gather([YEAR_2026, queries.find_period("all")])
    guard = protection.protect(moment, own=())
    rows = figures.present_all(moment.rows["2026"], "2026", guard)
    r = row(rows, ROCHDALE, scene["peer"].id)
    assert r["engaged_display"] == "fewer than 5" and r["engaged_shown"] is None
    assert r["gap_index_display"] == "not shown" and r["gap_index_shown"] is None
    assert row(rows, OLDHAM, scene["peer"].id)["engaged_display"] == "0"
    assert not guard.unprotectable
    shown = figures.present_all(moment.rows["2026"], "2026")
    assert row(shown, ROCHDALE, scene["peer"].id)["engaged_display"] == "1"


def test_a_partners_own_borough_is_exact_and_the_gm_row_does_not_give_the_others_away(scene):
    moment = protection.gather([YEAR_2026, queries.find_period("all")])
    rows = figures.present_all(moment.rows["2026"], "2026", protection.protect(moment, own=(ROCHDALE,)))
    assert row(rows, ROCHDALE, scene["peer"].id)["engaged_display"] == "1"
    # Manchester's 3 with Rochdale's 1 would be GM − 1: the GM count cannot be shown.
    assert row(rows, MANCHESTER, scene["peer"].id)["engaged_display"] in ("fewer than 5", "not shown")
    assert row(rows, "GM", scene["peer"].id)["engaged_display"] in ("fewer than 5", "not shown")


def test_the_organisation_list_agrees_with_the_counts(scene):
    peer = scene["peer"].id
    orgs = queries.organisation_engagement(YEAR_2026, concept_id=peer)
    rows = queries.engagement_figures(YEAR_2026)
    for code in (ROCHDALE, MANCHESTER):
        mine = [o for o in orgs if o["borough_code"] == code]
        assert len(mine) == row(rows, code, peer)["directory"]
        assert sum(o["engaged_in_period"] for o in mine) == row(rows, code, peer)["engaged"]
    never = queries.organisation_engagement(YEAR_2026, concept_id=peer, borough_code=ROCHDALE, never_engaged=True)
    assert [o["name"] for o in never] == ["Rochdale 1"]


def test_periods_offer_the_last_twelve_months_five_years_and_all_time():
    options = queries.periods(date(2026, 11, 26))
    assert [p.key for p in options] == ["12m", "2026", "2025", "2024", "2023", "2022", "all"]
    assert options[0].start == date(2025, 11, 27) and options[0].end == date(2026, 11, 27)
    assert queries.find_period("nonsense", date(2026, 11, 26)).key == "12m"


def test_the_data_version_changes_when_attendance_is_recorded(scene):
    before = queries.data_version()
    f.attend(f.event(None, datetime(2026, 6, 1)), f.person(organisation=scene["rochdale"][1]))
    db.session.commit()
    assert queries.data_version() != before
