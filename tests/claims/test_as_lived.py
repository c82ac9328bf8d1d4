"""Claims as people live them: claimants without accounts, one notice at a time, no clock on closed claims,
no blank drafts, answering on one screen, receipts on their items, actions offered only when allowed."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.claims import operations as ops
from coordination.claims.models import (
    Claim,
    ClaimChange,
    ClaimState,
    Notification,
    PaymentPreference,
)
from coordination.communities.models import Person
from coordination.extensions import db
from tests.claims.conftest import png_bytes
from tests.conftest import error_messages, page, sign_in


def _date(name, day):
    return {name: [str(day.day), str(day.month), str(day.year)]}


def _person(name="Jo Clarke", email=None):
    person = Person(name=name, email=email)
    db.session.add(person)
    db.session.commit()
    return person


# ---------------------------------------------------------------- claimants without accounts


def test_a_coordinator_enters_a_phone_claim_for_a_person_without_an_account_in_the_third_person(app, create_user):
    jo = _person()
    amira, bilal = create_user("coordinator"), create_user("coordinator")
    client = app.test_client()
    sign_in(client, amira)
    form = page(client.get("/claims/on-behalf"))
    assert any(o["value"] == f"person-{jo.id}" for o in form.select("#claimant option"))
    response = client.post(
        "/claims/on-behalf",
        data={
            "claimant": f"person-{jo.id}",
            "activity_description": "Panel",
            **_date("activity_date", date.today() - timedelta(days=1)),
        },
    )
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert claim.claimant_id is None and claim.person_id == jo.id and claim.on_behalf
    response = client.post(
        f"/claims/people/{jo.id}/payment-details?claim={claim.id}",
        data={"payment_preference": "voucher", "payee_reference": "PAY-JO"},
    )
    assert response.status_code == 302
    client.post(
        f"/claims/{claim.id}/edit",
        data={"activity_description": "Panel", **_date("activity_date", claim.activity_date), "kind": "half_day_fee"},
    )
    soup = page(client.get(f"/claims/{claim.id}/send"))
    assert soup.h1.get_text(strip=True) == "Check and send Jo's claim"
    assert "I confirm Jo Clarke told me these details" in soup.select_one("label[for=declaration]").get_text()
    assert client.post(f"/claims/{claim.id}/send", data={"declaration": "y"}).status_code == 302
    soup = page(client.get(f"/claims/{claim.id}"))
    reason = soup.select_one("#not-allowed").get_text()
    assert "you entered this claim, so another coordinator must approve it" in reason
    assert not [o for o in soup.select("input[name=decision]") if o["value"] == "approve"]
    other = app.test_client()
    sign_in(other, bilal)
    assert other.post(f"/claims/{claim.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.state == ClaimState.APPROVED and claim.payment_preference == PaymentPreference.VOUCHER


def test_a_person_invited_to_an_account_inherits_their_claims_and_payment_details(app, create_user):
    jo = _person()
    amira = create_user("coordinator")
    claim = ops.create_claim(jo, actor=amira, activity_description="Panel", activity_date=date.today())
    ops.save_person_profile(
        jo, payment_preference="expenses_only", payee_reference="PAY-9", access_needs="", actor=amira
    )
    client = app.test_client()
    sign_in(client, amira)
    soup = page(client.post(f"/claims/people/{jo.id}/invite", data={"email": "Jo@Example.org"}))
    assert "/set-password/" in soup.select_one("#setup-link")["value"]
    db.session.expire_all()
    user = db.session.get(Person, jo.id).user
    assert user.email == "jo@example.org"
    assert db.session.get(Claim, claim.id).claimant_id == user.id
    assert ops.get_profile(user).payment_preference == PaymentPreference.EXPENSES_ONLY
    assert ops.get_profile(user).payee_reference == "PAY-9"
    assert "already has an account" in " ".join(
        error_messages(page(client.post(f"/claims/people/{jo.id}/invite", data={"email": "jo2@example.org"})))
    )


# ---------------------------------------------------------------- contributor pages


def test_only_the_newest_notice_shows_and_it_can_be_dismissed_with_older_ones_in_the_news(app, create_user, make_claim):
    jo = create_user("contributor")
    claims = [make_claim(jo, state="approved") for _ in range(3)]
    client = app.test_client()
    sign_in(client, jo)
    soup = page(client.get("/claims"))
    banners = soup.select(".govuk-notification-banner")
    assert len(banners) == 1
    assert claims[-1].reference in soup.select_one("#current-notice").get_text()
    assert "5 more earlier messages" in banners[0].get_text()
    newest = db.session.scalar(select(Notification).order_by(Notification.id.desc()))
    assert client.post(f"/claims/news/{newest.id}/dismiss").status_code == 302
    assert not page(client.get("/claims")).select(".govuk-notification-banner")
    news = page(client.get("/claims/news")).select(".app-news__item")
    assert len(news) == 6 and "Dismissed" in news[0].get_text()


def test_someone_elses_notice_cannot_be_dismissed(app, create_user, make_claim):
    claim = make_claim(state="submitted")
    client = app.test_client()
    sign_in(client, create_user("contributor"))
    notice = db.session.scalar(select(Notification))
    client.post(f"/claims/news/{notice.id}/dismiss")
    db.session.expire_all()
    assert db.session.get(Notification, notice.id).dismissed_at is None and claim


@pytest.mark.parametrize("state", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_claim_has_no_payment_clock(app, create_user, make_claim, state):
    jo = create_user("contributor")
    claim = make_claim(jo, state=state)
    client = app.test_client()
    sign_in(client, jo)
    text = page(client.get(f"/claims/{claim.id}")).select_one("#payment-target").get_text()
    assert "working days to pay" not in text and "aim to pay" not in text.lower()
    assert "We aim to pay" not in page(client.get("/claims")).select_one(".app-claim-list").get_text()


def test_pressing_start_with_nothing_filled_in_creates_no_claim(signed_in):
    client, _ = signed_in("contributor")
    soup = page(client.post("/claims/new", data={}))
    assert "Enter what the activity was, or choose the event" in error_messages(soup)
    assert "Enter the date of the activity" in error_messages(soup)
    soup = page(
        client.post(
            "/claims/new",
            data={"activity_description": "Forum", **_date("activity_date", date.today() + timedelta(days=3))},
        )
    )
    assert "The date of the activity must be today or in the past" in error_messages(soup)
    assert soup.select_one("#activity_description")["value"] == "Forum"
    assert db.session.scalar(select(db.func.count()).select_from(Claim)) == 0
    with pytest.raises(ops.ClaimError):
        ops.create_claim(db.session.scalar(select(ops.User)), actor=db.session.scalar(select(ops.User)))


def test_a_query_is_answered_on_one_screen_with_the_question_above_the_box(app, create_user, make_claim):
    jo = create_user("contributor")
    claim = make_claim(jo, state="queried")
    client = app.test_client()
    sign_in(client, jo)
    view = page(client.get(f"/claims/{claim.id}"))
    answer_link = [a for a in view.select("a.govuk-button") if "Answer the question" in a.get_text()][0]
    assert answer_link["href"].endswith(f"/claims/{claim.id}/send")
    soup = page(client.get(answer_link["href"]))
    form = soup.select_one("#answer-form")
    parts = [el.get("id") for el in form.select("#the-question, textarea#answer")]
    assert parts == ["the-question", "answer"] and "Which bus did you take?" in form.get_text()
    response = client.post(f"/claims/{claim.id}/send", data={"answer": "The 17", "declaration": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).state == ClaimState.SUBMITTED


def test_a_receipt_is_attached_to_the_item_it_supports_and_each_ticket_needs_its_own(app, create_user):
    jo = create_user("contributor")
    claim = ops.create_claim(jo, actor=jo, activity_description="Forum", activity_date=date.today())
    client = app.test_client()
    sign_in(client, jo)
    base = {"activity_description": "Forum", **_date("activity_date", claim.activity_date)}
    client.post(
        f"/claims/{claim.id}/edit",
        content_type="multipart/form-data",
        data=base | {"kind": "public_transport", "cost": "4.20", "receipt": (io.BytesIO(png_bytes()), "a.png")},
    )
    client.post(
        f"/claims/{claim.id}/edit",
        data=base | {"kind": "taxi", "cost": "12.00", "agreed_by": "Amira", **_date("agreed_on", claim.activity_date)},
    )
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    bus, taxi = claim.lines
    assert [r.line_id for r in claim.receipts] == [bus.id]
    with pytest.raises(ops.ClaimError, match="receipt or ticket for: Taxi"):
        ops.submit_claim(claim, actor=jo, declared=True)
    soup = page(client.get(f"/claims/{claim.id}/edit"))
    assert [o["value"] for o in soup.select("#receipt_for option")][1:] == [str(bus.id), str(taxi.id)]
    client.post(
        f"/claims/{claim.id}/edit",
        content_type="multipart/form-data",
        data=base | {"receipt_for": str(taxi.id), "receipt": (io.BytesIO(png_bytes()), "b.png")},
    )
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert sorted(r.line_id for r in claim.receipts) == sorted([bus.id, taxi.id])
    ops.submit_claim(claim, actor=jo, declared=True)


# ---------------------------------------------------------------- coordinator and finance pages


def test_the_review_list_shows_sent_and_queried_claims_and_never_drafts(app, create_user, make_claim):
    draft, sent, queried = make_claim(), make_claim(state="submitted"), make_claim(state="queried")
    client = app.test_client()
    sign_in(client, create_user("coordinator"))
    text = page(client.get("/claims/review")).get_text()
    assert sent.reference in text and queried.reference in text and draft.reference not in text


def test_who_changed_a_claim_is_an_explicit_record(create_user):
    jo, amira = create_user("contributor"), create_user("coordinator")
    claim = ops.create_claim(jo, actor=amira, activity_description="Phone claim", activity_date=date.today())
    ops.add_line(claim, actor=amira, kind="half_day_fee")
    assert {c.user_id for c in db.session.scalars(select(ClaimChange))} == {amira.id}
    assert ops.changed_by(claim, amira) and not ops.changed_by(claim, jo)


def test_plausibility_warnings_must_be_acknowledged_before_approving(app, create_user):
    jo = create_user("contributor")
    claim = ops.create_claim(jo, actor=jo, activity_description="Long drive", activity_date=date.today())
    ops.add_line(claim, actor=jo, kind="car_miles", quantity="600")
    ops.add_line(claim, actor=jo, kind="full_day_fee")
    ops.add_line(claim, actor=jo, kind="half_day_fee")
    ops.submit_claim(claim, actor=jo, declared=True)
    client = app.test_client()
    sign_in(client, create_user("coordinator"))
    soup = page(client.get(f"/claims/{claim.id}"))
    warnings = soup.select_one("#plausibility-warnings").find_next("ul").get_text()
    assert "more than 500 in one claim" in warnings and "more than one day for one date" in warnings
    soup = page(client.post(f"/claims/{claim.id}/decide", data={"decision": "approve"}))
    assert any("Tick the box to say you have checked the warnings" in m for m in error_messages(soup))
    approved = client.post(f"/claims/{claim.id}/decide", data={"decision": "approve", "acknowledge": "y"})
    assert approved.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "claims.approve"))
    assert len(entry.after["warnings_acknowledged"]) == 2


def test_a_batch_is_paid_through_the_same_pay_step_for_each_claim(make_claim, quick_user):
    finance = quick_user("finance")
    claims = [make_claim(state="approved") for _ in range(3)]
    batch = ops.create_batch(actor=finance)
    ops.mark_batch_paid(batch, actor=finance)
    pays = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "claims.pay")))
    assert sorted(int(p.entity_id) for p in pays) == sorted(c.id for c in claims)
    assert all(p.after["batch_id"] == batch.id for p in pays)
    assert (
        db.session.scalar(
            select(db.func.count()).select_from(Notification).where(Notification.message.contains("has been paid"))
        )
        == 3
    )
