"""A claim can name the event it is for (from communities), and still works without one."""

from datetime import datetime, timedelta

from sqlalchemy import select

from coordination.claims.models import Claim
from coordination.communities.models import EventType
from coordination.extensions import db
from tests.communities import factories
from tests.conftest import error_messages, page


def _recent_event(days_ago: int = 3):
    event = factories.event(
        when=datetime.now().replace(microsecond=0) - timedelta(days=days_ago),
        event_type=EventType.MASTERCLASS,
        title="Self-care masterclass",
    )
    db.session.commit()
    return event


def test_a_contributor_picks_a_recent_event_and_it_names_and_dates_the_claim(signed_in):
    event = _recent_event()
    client, jo = signed_in("contributor")
    form = page(client.get("/claims/new"))
    options = {o["value"]: o.get_text(strip=True) for o in form.select("#event option")}
    assert options[""] == "Something else (describe it below)"
    assert options[str(event.id)].startswith("Self-care masterclass, ")
    response = client.post("/claims/new", data={"event": str(event.id)})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim).where(Claim.claimant_id == jo.id))
    assert claim.event_id == event.id
    assert claim.activity_description == "Self-care masterclass"
    assert claim.activity_date == event.starts_at.date()
    shown = page(client.get(f"/claims/{claim.id}")).select_one("main").get_text(" ", strip=True)
    assert "Event Self-care masterclass" in shown


def test_an_event_that_no_longer_exists_is_refused_with_a_message_and_the_typed_words_kept(signed_in):
    _recent_event()
    client, _ = signed_in("contributor")
    soup = page(client.post("/claims/new", data={"event": "999999", "activity_description": "Peer support group"}))
    assert error_messages(soup) == ["That event is no longer in the list. Choose another, or describe the activity"]
    assert soup.select_one("#activity_description")["value"] == "Peer support group"


def test_old_events_are_not_offered(signed_in):
    _recent_event(days_ago=400)
    client, _ = signed_in("contributor")
    assert page(client.get("/claims/new")).select_one("#event") is None


def test_a_coordinator_entering_a_claim_on_someones_behalf_can_name_the_event(signed_in, create_user):
    event = _recent_event()
    jo = create_user("contributor")
    client, _ = signed_in("coordinator")
    response = client.post("/claims/on-behalf", data={"claimant": str(jo.id), "event": str(event.id)})
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim).where(Claim.claimant_id == jo.id))
    assert claim.on_behalf and claim.event_id == event.id
