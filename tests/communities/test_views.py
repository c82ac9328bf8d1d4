"""Coordinator pages for communities, people, events, attendance and pledges; partners only read."""

from datetime import datetime

from sqlalchemy import select

from coordination.communities.models import Attendance, Community, Event, Membership, Pledge
from coordination.extensions import db
from tests.communities import factories as f
from tests.conftest import error_messages, page


def test_the_coordinator_adds_a_community_and_is_told_exactly_what_is_missing(signed_in):
    client, _ = signed_in("coordinator")
    peer = f.concept("peer support")
    db.session.commit()
    soup = page(
        client.post(
            "/communities/new", data={"name": "", "scope": "boroughs", "status": "forming", "practice_area_id": "None"}
        )
    )
    assert error_messages(soup) == [
        "Enter the community's name",
        "Choose at least one borough for a place-based community",
    ]
    response = client.post(
        "/communities/new",
        data={
            "name": "Rochdale peer network",
            "scope": "boroughs",
            "boroughs": ["E08000005"],
            "status": "active",
            "practice_area_id": str(peer.id),
            "purpose": "Learn",
        },
    )
    assert response.status_code == 302
    community = db.session.scalar(select(Community))
    assert community.practice_area_id == peer.id and community.borough_codes == ["E08000005"]
    listing = page(client.get("/communities"))
    assert "Rochdale peer network" in listing.get_text()


def test_the_coordinator_adds_an_event_and_bad_times_get_a_plain_message(signed_in):
    client, _ = signed_in("coordinator")
    data = {
        "title": "Masterclass",
        "event_type": "masterclass",
        "date": ["3", "4", "2026"],
        "start_time": "25:99",
        "community_id": "None",
        "venue_borough_code": "",
        "capacity": "0",
    }
    soup = page(client.post("/events/new", data=data))
    assert error_messages(soup) == [
        "Enter the start time in 24-hour format, like 14:30",
        "Choose a venue borough or tick online",
        "Capacity must be a whole number of 1 or more",
    ]
    assert soup.select_one("#title")["value"] == "Masterclass"  # nothing typed is lost
    data.update(start_time="14:30", venue_borough_code="E08000005", capacity="40")
    assert client.post("/events/new", data=data).status_code == 302
    event = db.session.scalar(select(Event))
    assert event.starts_at == datetime(2026, 4, 3, 14, 30) and event.capacity == 40


def test_recording_attendance_on_the_event_page(signed_in):
    client, _ = signed_in("coordinator")
    community = f.community()
    member = f.person("Asha Member", organisation=f.organisation("Org A"))
    f.member(community, member)
    visitor = f.person("Ben Visitor")
    event = f.event(community)
    db.session.commit()
    form = page(client.get(f"/events/{event.id}/attendance"))
    assert form.select_one(f"input[name=person-{member.id}]") is not None
    response = client.post(
        f"/events/{event.id}/attendance",
        data={f"person-{member.id}": "attended", "add_person": str(visitor.id), "add_status": "apologies"},
    )
    assert response.status_code == 302
    statuses = {a.person_id: a.status.value for a in db.session.scalars(select(Attendance))}
    assert statuses == {member.id: "attended", visitor.id: "apologies"}
    detail = page(client.get(f"/events/{event.id}"))
    assert detail.select_one("#attendance-counts").get_text(" ", strip=True).startswith("1 attended, 1 sent apologies")
    bad = client.post(f"/events/{event.id}/attendance", data={f"person-{member.id}": "maybe"})
    assert bad.status_code == 400 and "Choose attended" in bad.get_data(as_text=True)


def test_pledges_are_recorded_and_followed_up(signed_in):
    client, _ = signed_in("coordinator")
    event = f.event()
    db.session.commit()
    assert client.post(f"/events/{event.id}/pledges", data={"text": "", "person_id": "None"}).status_code == 400
    client.post(f"/events/{event.id}/pledges", data={"text": "Use plain English", "person_id": "None"})
    pledge = db.session.scalar(select(Pledge))
    assert pledge.text == "Use plain English"
    response = client.post(f"/pledges/{pledge.id}", data={"status": "done", "note": "Did it", "expected": "made"})
    assert response.status_code == 302
    stale = page(client.post(f"/pledges/{pledge.id}", data={"status": "not_done", "expected": "made"}))
    assert error_messages(stale) == ["Someone else updated this pledge while you were editing; check it and try again"]


def test_partners_read_communities_and_events_but_not_people(signed_in):
    community = f.community("Peer network")
    person = f.person("Private Person", email="private@example.org", lived_experience=True)
    f.member(community, person)
    event = f.event(community)
    f.attend(event, person)
    db.session.commit()
    client, _ = signed_in("partner")
    text = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert "Peer network" in text and "Private Person" not in text and "1 current members" in text
    assert "Private Person" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert client.get("/people").status_code == 403
    assert client.post(f"/events/{event.id}/attendance", data={}).status_code == 403


def test_every_coordinator_page_renders_with_its_current_values(signed_in):
    client, _ = signed_in("coordinator")
    peer = f.concept("peer support")
    community = f.community("Network", area=peer, scope="boroughs")
    community.borough_rows = []
    person = f.person("Asha", organisation=f.organisation("Org"), borough_code="E08000005", carer=True)
    membership = f.member(community, person)
    event = f.event(community, datetime(2026, 3, 10, 14, 5), capacity=30)
    from coordination.communities import operations

    pledge = operations.add_pledge(event, text="Invite carers")
    db.session.commit()
    edit = page(client.get(f"/communities/{community.id}/edit"))
    assert edit.select_one("#name")["value"] == "Network"
    assert edit.select_one(f"#practice_area_id option[value='{peer.id}']").has_attr("selected")
    assert page(client.get(f"/people/{person.id}")).select_one("#borough_code option[selected]")["value"] == "E08000005"
    event_form = page(client.get(f"/events/{event.id}/edit"))
    assert event_form.select_one("#start_time")["value"] == "14:05"
    assert event_form.select_one("#date-day")["value"] == "10"
    assert client.get(f"/memberships/{membership.id}/end").status_code == 200
    assert "Invite carers" in client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "Asha" in client.get("/people").get_data(as_text=True)
    assert client.get("/events").status_code == 200
    assert client.get(f"/events/new?community_id={community.id}").status_code == 200
    assert client.get("/people/new").status_code == 200
    assert "Carer" in client.get(f"/communities/{community.id}").get_data(as_text=True)


def test_members_are_added_and_leave_through_the_community_page(signed_in):
    client, _ = signed_in("coordinator")
    community = f.community("Network")
    person = f.person("Asha", organisation=f.organisation("Org"))
    db.session.commit()
    bad = client.post(
        f"/communities/{community.id}/members",
        data={"person_id": "None", "role": "Member", "joined_on": ["31", "2", "2026"]},
    )
    assert bad.status_code == 400
    assert error_messages(page(bad)) == ["Choose a person", "Date they joined must be a real date, like 27 3 2026"]
    ok = client.post(
        f"/communities/{community.id}/members",
        data={"person_id": str(person.id), "role": "Chair", "joined_on": ["1", "2", "2026"]},
    )
    assert ok.status_code == 302
    membership = db.session.scalar(select(Membership))
    assert membership.role == "Chair" and membership.organisation_id == person.organisation_id
    early = page(client.post(f"/memberships/{membership.id}/end", data={"left_on": ["1", "1", "2026"]}))
    assert error_messages(early) == ["The date they left must be on or after the date they joined"]
    assert client.post(f"/memberships/{membership.id}/end", data={"left_on": ["1", "3", "2026"]}).status_code == 302


def test_the_coordinator_adds_a_person_and_changes_them_through_the_same_form(signed_in):
    from coordination.communities.models import Person

    client, _ = signed_in("coordinator")
    data = {"name": "Asha", "email": "", "organisation_id": "None", "borough_code": "E08000005", "user_id": "None"}
    response = client.post("/people/new", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/people")
    person = db.session.scalar(select(Person).where(Person.name == "Asha"))
    assert person.borough_code == "E08000005"
    response = client.post(f"/people/{person.id}", data={**data, "name": "Asha Khan", "carer": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/people")
    db.session.refresh(person)
    assert person.name == "Asha Khan" and person.carer
    bad = client.post("/people/new", data={**data, "name": ""})
    assert bad.status_code == 200 and error_messages(page(bad))


def test_people_are_listed_a_page_at_a_time_by_name(signed_in, monkeypatch):
    from coordination.communities import queries

    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 2)
    for name in ("Cara", "Asha", "Ben"):
        f.person(name=name)
    db.session.commit()
    client, _ = signed_in("coordinator")
    first = page(client.get("/people"))
    names = [a.get_text(strip=True) for a in first.select("tbody a")]
    assert names == ["Asha", "Ben"]
    assert "3 people, by name: 1 to 2 on this page." in first.get_text(" ", strip=True)
    assert first.select_one(".govuk-pagination__next a")["href"] == "/people?page=2"
    second = page(client.get("/people?page=2"))
    assert [a.get_text(strip=True) for a in second.select("tbody a")] == ["Cara"]
    assert second.select_one(".govuk-pagination__prev a")["href"] == "/people?page=1"
    assert "Page 2 of 2" in second.get_text(" ", strip=True)
    past = page(client.get("/people?page=99"))  # past the end: the last page
    assert [a.get_text(strip=True) for a in past.select("tbody a")] == ["Cara"]
    assert page(client.get("/people?page=x")).select_one(".govuk-pagination__next a")  # not a number: the first
