"""The pages around a claim: saving as you go, signing in again without losing anything, profile, policy, on behalf."""

from datetime import date, timedelta

from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.claims.models import Claim, ClaimantProfile, ClaimPolicy, ClaimState, PaymentPreference
from coordination.extensions import db
from tests.conftest import error_messages, page, sign_in


def _date(name, day):
    return {name: [str(day.day), str(day.month), str(day.year)]}


def test_autosave_keeps_the_activity_and_a_half_typed_item(app, make_claim, create_user):
    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    sign_in(client, jo)
    response = client.post(
        f"/claims/{claim.id}/autosave",
        data={
            "activity_description": "Typed so far",
            **_date("activity_date", claim.activity_date),
            "kind": "taxi",
            "cost": "9.99",
        },
    )
    assert response.get_json()["saved"] is True
    soup = page(client.get(f"/claims/{claim.id}/edit"))
    assert soup.select_one("#activity_description")["value"] == "Typed so far"
    assert soup.select_one("#cost")["value"] == "9.99"


def test_autosave_never_trusts_an_amount_from_the_browser(app, make_claim, create_user):
    jo = create_user("contributor")
    claim = make_claim(jo)
    before = claim.total_pence
    client = app.test_client()
    sign_in(client, jo)
    client.post(
        f"/claims/{claim.id}/edit",
        data={
            "activity_description": "x",
            **_date("activity_date", claim.activity_date),
            "total_pence": "999999",
            "amount_pence": "999999",
        },
    )
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).total_pence == before


def test_what_was_typed_when_the_session_ended_comes_back_after_signing_in(app, make_claim, create_user):
    from coordination.accounts.models import UserSession

    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    sign_in(client, jo)
    db.session.query(UserSession).delete()  # the session expires server-side
    db.session.commit()
    response = client.post(
        f"/claims/{claim.id}/edit",
        data={
            "activity_description": "Typed while signed out",
            **_date("activity_date", claim.activity_date),
            "kind": "car_miles",
            "miles": "12",
        },
    )
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    response = client.post(
        "/sign-in?next=" + f"/claims/{claim.id}/edit",
        data={"email": jo.email, "password": "correct horse battery staple"},
    )
    soup = page(client.get(response.headers["Location"]))
    assert "we kept what you typed" in soup.get_text()
    db.session.expire_all()
    fresh = db.session.get(Claim, claim.id)
    assert fresh.activity_description == "Typed while signed out"
    assert [line.kind.value for line in fresh.lines][-1] == "car_miles"


def test_a_signed_out_post_cannot_be_replayed_into_someone_elses_claim(app, make_claim, create_user):
    victim_claim = make_claim()
    client = app.test_client()
    client.post(f"/claims/{victim_claim.id}/edit", data={"activity_description": "junk"})
    sign_in(client, create_user("contributor"))
    assert client.get(f"/claims/{victim_claim.id}/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Claim, victim_claim.id).activity_description != "junk"


def test_a_contributor_saves_their_payment_details_without_bank_details(signed_in):
    client, jo = signed_in("contributor")
    response = client.post(
        "/claims/my-details",
        data={"payment_preference": "voucher", "payee_reference": "PAY-0042", "access_needs": "Step-free access"},
    )
    assert response.status_code == 302
    profile = db.session.get(ClaimantProfile, jo.id)
    assert profile.payment_preference == PaymentPreference.VOUCHER and profile.payee_reference == "PAY-0042"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "claims.profile_saved"))
    assert entry.after["access_needs"] is True and "Step-free" not in str(entry.after)


def test_a_coordinator_changes_the_policy_in_the_browser_and_it_is_audited(signed_in):
    client, amira = signed_in("coordinator")
    form = page(client.get("/claims/policy"))
    data = {field["name"]: field.get("value", "") for field in form.select("form input.govuk-input")}
    data = {k: v for k, v in data.items() if not k.startswith("effective_from")}
    data |= _date("effective_from", date(2027, 4, 6)) | {"half_day_fee_pence": "55.00"}
    response = client.post("/claims/policy", data=data)
    assert response.status_code == 302, error_messages(page(response))
    policy = db.session.scalar(select(ClaimPolicy).where(ClaimPolicy.effective_from == date(2027, 4, 6)))
    assert policy.half_day_fee_pence == 5500 and policy.car_pence_per_mile == 45
    assert (
        db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "claims.policy_created", AuditEntry.actor_id == amira.id)
        )
        is not None
    )


def test_a_bad_policy_value_gets_a_specific_message(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(
        client.post("/claims/policy", data={**_date("effective_from", date(2027, 4, 6)), "half_day_fee_pence": "fifty"})
    )
    assert "Involvement fee for half a day must be a number, like 50.00" in error_messages(soup)


def test_a_coordinator_enters_a_claim_for_someone_who_prefers_the_phone(signed_in, create_user):
    client, amira = signed_in("coordinator")
    jo = create_user("contributor", name="Jo Clarke")
    response = client.post(
        "/claims/on-behalf",
        data={
            "claimant": str(jo.id),
            "activity_description": "Phone claim",
            **_date("activity_date", date.today() - timedelta(days=1)),
        },
    )
    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert claim.claimant_id == jo.id and claim.on_behalf and claim.entered_by_id == amira.id
    edit = client.post(
        f"/claims/{claim.id}/edit",
        data={
            "activity_description": "Phone claim",
            **_date("activity_date", claim.activity_date),
            "kind": "half_day_fee",
        },
    )
    assert edit.status_code == 302
    assert client.post(f"/claims/{claim.id}/send", data={"declaration": "y"}).status_code == 302
    soup = page(client.post(f"/claims/{claim.id}/decide", data={"decision": "approve"}))
    assert any("cannot approve a claim you made, entered or changed" in m for m in error_messages(soup))


def test_sending_without_the_declaration_explains_what_to_do(signed_in, make_claim):
    client, jo = signed_in("contributor")
    claim = make_claim(jo)
    soup = page(client.post(f"/claims/{claim.id}/send", data={}))
    assert error_messages(soup) == ["Tick the box to say the claim is true"]
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).state == ClaimState.DRAFT


def test_finance_sees_the_queue_and_the_csv_guards_against_spreadsheet_formulas(app, make_claim, create_user):
    jo = create_user("contributor", name='=HYPERLINK("x")')
    make_claim(jo, state="approved")
    client = app.test_client()
    sign_in(client, create_user("finance"))
    assert "Approved claims waiting for payment" in client.get("/claims/payments").get_data(as_text=True)
    location = client.post("/claims/payments/batches").headers["Location"]
    csv_text = client.get(location + ".csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "NO-REFERENCE" in csv_text


def test_coordinators_see_access_needs_and_finance_does_not(app, make_claim, create_user):
    from coordination.claims import operations as ops

    claim = make_claim(state="submitted")
    ops.save_profile(
        claim.claimant,
        payment_preference="fee_and_expenses",
        payee_reference="",
        access_needs="Hearing loop please",
        actor=claim.claimant,
    )
    for role, shown in (("coordinator", True), ("finance", False)):
        client = app.test_client()
        sign_in(client, create_user(role))
        assert ("Hearing loop please" in client.get(f"/claims/{claim.id}").get_data(as_text=True)) is shown


def test_status_changes_are_emailed_when_smtp_is_configured(app, make_claim, monkeypatch):
    # Issue 14: the emails go through the outbox, written with the change and sent after commit.
    from coordination import mail

    sent = []
    monkeypatch.setattr(mail, "_deliver", lambda to, subject, body: sent.append((to, subject, body)))
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    claim = make_claim(state="approved")
    assert sent == []  # nothing is sent inside the request that changed the claim
    assert mail.send_pending()["sent"] == 2
    assert [s[0] for s in sent] == [claim.claimant.email] * 2  # sent, approved
    assert "is approved" in sent[-1][2] and claim.reference in sent[-1][1]


def test_a_coordinator_is_offered_only_the_decisions_the_claims_state_allows(app, make_claim, create_user):
    claim = make_claim(state="queried")
    client = app.test_client()
    sign_in(client, create_user("coordinator"))
    soup = page(client.get(f"/claims/{claim.id}"))
    assert [i["value"] for i in soup.select("input[name=decision]")] == ["reject"]
    soup = page(client.post(f"/claims/{claim.id}/decide", data={"decision": "approve"}))
    assert any("cannot be changed that way now" in m for m in error_messages(soup))


def test_withdrawing_asks_first_then_withdraws(signed_in, make_claim):
    client, jo = signed_in("contributor")
    claim = make_claim(jo, state="submitted")
    soup = page(client.get(f"/claims/{claim.id}/withdraw"))
    assert soup.h1.get_text(strip=True) == "Do you want to withdraw this claim?"
    assert client.post(f"/claims/{claim.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).state == ClaimState.WITHDRAWN
