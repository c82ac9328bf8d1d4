"""The issue's 'done when': claim on a phone, approve, pay in a batch, see 'paid' and the tax-year total.

All of it audited."""

import io
from datetime import date, timedelta

from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.claims.models import Claim, ClaimState
from coordination.extensions import db
from tests.claims.conftest import png_bytes
from tests.conftest import error_messages, page, sign_in


def _date_fields(name, day):
    return {name: [str(day.day), str(day.month), str(day.year)]}


def test_a_contributor_claims_a_coordinator_approves_finance_pays_and_every_step_is_audited(app, create_user):
    contributor = create_user("contributor", name="Jo Clarke")
    coordinator = create_user("coordinator")
    finance = create_user("finance")
    jo, amira, gareth = app.test_client(), app.test_client(), app.test_client()
    sign_in(jo, contributor)
    sign_in(amira, coordinator)
    sign_in(gareth, finance)
    when = date.today() - timedelta(days=2)

    response = jo.post(
        "/claims/new", data={"activity_description": "Carers' forum", **_date_fields("activity_date", when)}
    )
    assert response.status_code == 302
    claim_id = db.session.scalar(select(Claim.id))
    edit = f"/claims/{claim_id}/edit"
    base = {"activity_description": "Carers' forum", **_date_fields("activity_date", when)}
    assert jo.post(edit, data=base | {"kind": "half_day_fee"}).status_code == 302
    assert jo.post(edit, data=base | {"kind": "car_miles", "miles": "23"}).status_code == 302
    assert (
        jo.post(
            edit,
            data=base
            | {
                "kind": "replacement_care",
                "cost": "£30",
                "agreed_by": "Amira",
                **_date_fields("agreed_on", when - timedelta(days=5)),
            },
        ).status_code
        == 302
    )
    soup = page(jo.get(edit))
    assert soup.select_one("#claim-total").get_text(strip=True) == "£90.35"  # 50 + 23×45p + 30

    response = jo.post(f"/claims/{claim_id}/send", data={"declaration": "y"})
    assert response.status_code == 302
    soup = page(jo.get(f"/claims/{claim_id}"))
    assert "We aim to pay by" in soup.select_one("#payment-target").get_text()

    assert amira.post(f"/claims/{claim_id}/decide", data={"decision": "approve"}).status_code == 302
    assert gareth.post("/claims/payments/batches", data={"claim_id": str(claim_id)}).status_code == 302
    batch_id = db.session.get(Claim, claim_id).batch_id
    csv_text = gareth.get(f"/claims/payments/batches/{batch_id}.csv").get_data(as_text=True)
    # Issue 14: fees and expenses are separate lines (£50.00 fee + £40.35 expenses = the claim's £90.35).
    assert ",fee,bank transfer,50.00," in csv_text and ",expenses,bank transfer,40.35," in csv_text
    assert f"CL-{claim_id:05d}" in csv_text
    assert gareth.post(f"/claims/payments/batches/{batch_id}/paid").status_code == 302
    assert gareth.post(f"/claims/payments/batches/{batch_id}/paid").status_code == 302  # idempotent

    db.session.expire_all()
    assert db.session.get(Claim, claim_id).state == ClaimState.PAID
    soup = page(jo.get("/claims"))
    assert "Paid" in soup.get_text()
    assert soup.select_one("#tax-year-total").get_text(strip=True) == "£90.35"
    actions = set(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(claim_id), AuditEntry.entity_type == "Claim")
        )
    )
    assert {"claims.claim_started", "claims.line_added", "claims.submit", "claims.approve", "claims.pay"} <= actions
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "claims.batch_paid")) is not None


def test_a_rejected_upload_keeps_everything_else_that_was_typed(client, signed_in, make_claim):
    client, contributor = signed_in("contributor")
    claim = make_claim(contributor)
    when = claim.activity_date
    data = {
        "activity_description": "A new description",
        **_date_fields("activity_date", when),
        "kind": "taxi",
        "cost": "12.40",
        "agreed_by": "Sam",
        "receipt": (io.BytesIO(b"MZ not a picture"), "receipt.png"),
    }
    soup = page(client.post(f"/claims/{claim.id}/edit", data=data, content_type="multipart/form-data"))
    assert "The file must be a PDF, JPG or PNG" in error_messages(soup)
    assert "Enter the date it was agreed" in error_messages(soup)
    assert soup.select_one("#activity_description")["value"] == "A new description"
    assert soup.select_one("#cost")["value"] == "12.40"
    assert soup.select_one("#agreed_by")["value"] == "Sam"
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).activity_description == "A new description"


def test_a_good_receipt_is_saved_and_only_downloadable_by_the_claimant_and_staff(
    app, signed_in, create_user, make_claim
):
    client, contributor = signed_in("contributor")
    claim = make_claim(contributor)
    response = client.post(
        f"/claims/{claim.id}/edit",
        content_type="multipart/form-data",
        data={
            "activity_description": "x",
            **_date_fields("activity_date", claim.activity_date),
            "receipt": (io.BytesIO(png_bytes()), "ticket.png"),
        },
    )
    assert response.status_code == 302, error_messages(page(response))
    receipt_id = db.session.get(Claim, claim.id).receipts[0].id
    own = client.get(f"/claims/receipts/{receipt_id}")
    assert own.status_code == 200 and own.headers["Content-Disposition"].startswith("attachment")
    # Finance sees receipts of approved and paid claims only (issue 14); this claim is a draft.
    for role, expected in (("coordinator", 200), ("finance", 404), ("contributor", 404)):
        other = app.test_client()
        sign_in(other, create_user(role))
        assert other.get(f"/claims/receipts/{receipt_id}").status_code == expected, role
