"""Connectedness pages, as the coordinator and partners use them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from coordination.extensions import db
from coordination.networks.models import NetworkExclusion, RecordedTie
from tests.communities import factories as f
from tests.conftest import error_messages, page

BOLTON, BURY, ROCHDALE, WIGAN = "E08000001", "E08000002", "E08000005", "E08000010"
YEAR = 2026


@pytest.fixture
def network(app):
    """Eight people: a small Rochdale event, an introduction Bolton–Wigan by Bea, a Bury pair."""
    orgs = {code: f.organisation(f"Org in {code}", borough=code) for code in (BOLTON, BURY, ROCHDALE, WIGAN)}
    people = {}
    for name, code in (
        ("Ann", BOLTON),
        ("Bea", BOLTON),
        ("Cal", WIGAN),
        ("Dan", ROCHDALE),
        ("Eve", ROCHDALE),
        ("Fay", ROCHDALE),
        ("Gus", BURY),
        ("Hal", BURY),
    ):
        people[name] = f.person(name, organisation=orgs[code], borough_code=code)
    event = f.event(when=datetime(YEAR, 3, 10, 10))
    for name in ("Dan", "Eve", "Fay", "Ann"):
        f.attend(event, people[name])
    a, c = sorted((people["Ann"], people["Cal"]), key=lambda p: p.id)
    db.session.add(
        RecordedTie(
            person_a_id=a.id,
            person_b_id=c.id,
            source="introduction",
            made_on=date(YEAR, 5, 1),
            introduced_by_id=people["Bea"].id,
        )
    )
    g, h = sorted((people["Gus"], people["Hal"]), key=lambda p: p.id)
    db.session.add(RecordedTie(person_a_id=g.id, person_b_id=h.id, source="met_at_event", made_on=date(YEAR, 6, 1)))
    db.session.commit()
    return people


def test_the_coordinator_sees_the_years_cross_borough_connections_and_who_made_them(signed_in, network):
    client, _ = signed_in("coordinator")
    soup = page(client.get(f"/networks/?year={YEAR}"))
    lead = soup.select_one(".govuk-body-l").get_text(" ", strip=True)
    # Ann–Dan, Ann–Eve, Ann–Fay (Bolton–Rochdale at the event) and Ann–Cal (introduced): 4 of 8 new ties.
    assert "4 new connections across boroughs" in lead and "of 8 new connections" in lead
    bridges = soup.find("caption", string="People who bridge boroughs").find_parent("table")
    names = [a.get_text(strip=True) for a in bridges.select("tbody a")]
    assert names[0] == "Ann" and "Bea" in names
    assert soup.select_one(".app-map") is not None
    matrix = soup.find("table", class_="app-matrix")
    assert matrix is not None


def test_ego_view_lists_a_persons_ties_and_their_growth(signed_in, network):
    client, _ = signed_in("coordinator")
    soup = page(client.get(f"/networks/people/{network['Ann'].id}"))
    rows = soup.find("caption", string=lambda s: s and s.startswith("Who Ann knows")).find_parent("table")
    others = [a.get_text(strip=True) for a in rows.select("tbody a")]
    assert set(others) == {"Cal", "Dan", "Eve", "Fay"}
    assert "introduced by Bea" in rows.get_text(" ", strip=True)
    growth = soup.find("caption", string="Connections grown over time").find_parent("table")
    assert "2026 Q2" in growth.get_text(" ", strip=True)


def test_recording_an_introduction_checks_the_people_and_keeps_what_was_typed(signed_in, network):
    client, _ = signed_in("coordinator")
    dan, eve = network["Dan"], network["Eve"]
    response = client.post(
        "/networks/ties/new",
        data={
            "source": "introduction",
            "person_a_id": dan.id,
            "person_b_id": dan.id,
            "made_on": ["2", "7", str(YEAR)],
            "note": "At the carers' café",
        },
    )
    assert response.status_code == 400
    soup = page(response)
    assert "Choose two different people" in error_messages(soup)
    assert soup.select_one("textarea[name=note]").get_text() == "At the carers' café"
    response = client.post(
        "/networks/ties/new",
        data={
            "source": "introduction",
            "person_a_id": eve.id,
            "person_b_id": dan.id,
            "introduced_by_id": network["Gus"].id,
            "made_on": ["2", "7", str(YEAR)],
        },
    )
    assert response.status_code == 302
    tie = db.session.query(RecordedTie).filter_by(introduced_by_id=network["Gus"].id).one()
    assert (tie.person_a_id, tie.person_b_id) == tuple(sorted((dan.id, eve.id)))


def test_a_person_left_out_disappears_from_every_network_figure(signed_in, network):
    client, _ = signed_in("coordinator")
    ann = network["Ann"]
    assert client.post(f"/networks/people/{ann.id}/leave-out", data={"note": "Asked by phone"}).status_code == 302
    assert db.session.get(NetworkExclusion, ann.id) is not None
    lead = page(client.get(f"/networks/?year={YEAR}")).select_one(".govuk-body-l").get_text(" ", strip=True)
    assert "0 new connections across boroughs" in lead
    soup = page(client.get(f"/networks/people/{ann.id}"))
    assert "asked to be left out" in soup.get_text(" ", strip=True)
    assert client.post(f"/networks/people/{ann.id}/include").status_code == 302
    lead = page(client.get(f"/networks/?year={YEAR}")).select_one(".govuk-body-l").get_text(" ", strip=True)
    assert "4 new connections across boroughs" in lead


def test_partners_see_borough_counts_only_with_small_numbers_protected(signed_in, network):
    client, _ = signed_in("partner", boroughs=[BURY])
    soup = page(client.get(f"/networks/boroughs?year={YEAR}"))
    text = soup.get_text(" ", strip=True)
    for name in ("Ann", "Bea", "Cal", "Dan"):
        assert name not in text.split()
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup.find("caption", string=lambda s: s and s.startswith("New connections by borough"))
        .find_parent("table")
        .select("tbody tr")
    }
    # Their own borough (Bury: one tie inside it, none with others) is exact; Bolton's 4 is small, so hidden.
    assert rows["Bury"] == ["0"]
    assert rows["Bolton"][0] in ("fewer than 5", "not shown")
    own_row = soup.find("table", class_="app-matrix").select("tbody tr")
    assert [tr.th.get_text(strip=True) for tr in own_row] == ["Bury"]
    assert own_row[0].select("td")[1].get_text(strip=True) == "1"
    assert "4" not in [cell for row in rows.values() for cell in row]


def test_the_coordinator_sees_the_same_borough_page_exactly(signed_in, network):
    client, _ = signed_in("coordinator")
    soup = page(client.get(f"/networks/boroughs?year={YEAR}"))
    table = soup.find("caption", string=lambda s: s and s.startswith("New connections by borough")).find_parent("table")
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in table.select("tbody tr")
    }
    assert rows["Bolton"] == ["4"] and rows["Rochdale"] == ["3"]
