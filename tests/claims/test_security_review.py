"""Security review for claims: the payment batch CSV quotes anything a spreadsheet would run."""

from __future__ import annotations

from tests.conftest import sign_in
from tests.test_security_review import FORMULA, _no_formula_cells


def test_the_payment_batch_csv_quotes_a_formula_typed_as_a_payee_reference(app, make_claim, create_user):
    from coordination.claims import operations as ops

    jo = create_user("contributor", name="\t=cmd")
    claim = make_claim(jo, state="submitted")
    ops.save_profile(jo, payment_preference="fee_and_expenses", payee_reference=FORMULA, access_needs="", actor=jo)
    ops.approve_claim(claim, actor=create_user("coordinator"))
    client = app.test_client()
    sign_in(client, create_user("finance"))
    location = client.post("/claims/payments/batches").headers["Location"]
    text = client.get(location + ".csv").get_data(as_text=True)
    assert "HYPERLINK" in text
    _no_formula_cells(text)


def test_a_signed_out_post_keeps_only_the_claim_form_fields_and_only_a_sensible_amount(app, make_claim):
    from coordination.claims.models import FormStash
    from coordination.extensions import db

    claim = make_claim()
    client = app.test_client()
    response = client.post(
        f"/claims/{claim.id}/edit",
        data={"activity_description": "x" * 200_000, "junk": "y" * 100_000, "kind": ["car_miles"] * 500},
    )
    assert response.status_code == 302
    stash = db.session.query(FormStash).one()
    assert set(stash.data) == {"activity_description", "kind"}
    assert len(stash.data["activity_description"][0]) <= 400 and len(stash.data["kind"]) <= 3


def test_a_contributor_reaches_none_of_another_contributors_claim_urls(app, make_claim, create_user):
    from coordination.claims import operations as ops
    from coordination.extensions import db
    from tests.claims.conftest import png_bytes

    victim_claim = make_claim()
    receipt = ops.add_receipt(victim_claim, actor=victim_claim.claimant, data=png_bytes(), filename="taxi.png")
    line_id = victim_claim.lines[0].id
    before = (victim_claim.state, victim_claim.activity_description, len(victim_claim.lines))
    client = app.test_client()
    sign_in(client, create_user("contributor"))
    cid = victim_claim.id
    for method, url in (
        ("get", f"/claims/{cid}"),
        ("get", f"/claims/{cid}/edit"),
        ("post", f"/claims/{cid}/edit"),
        ("post", f"/claims/{cid}/autosave"),
        ("get", f"/claims/{cid}/send"),
        ("post", f"/claims/{cid}/send"),
        ("get", f"/claims/{cid}/withdraw"),
        ("post", f"/claims/{cid}/withdraw"),
        ("post", f"/claims/{cid}/items/{line_id}/remove"),
        ("get", f"/claims/receipts/{receipt.id}"),
    ):
        response = getattr(client, method)(url, data={"activity_description": "Changed", "declaration": "y"})
        assert response.status_code == 404, (method, url, response.status_code)
    assert client.post(f"/claims/{cid}/decide", data={"decision": "approve"}).status_code == 403
    db.session.expire_all()
    claim = db.session.get(type(victim_claim), cid)
    assert (claim.state, claim.activity_description, len(claim.lines)) == before
