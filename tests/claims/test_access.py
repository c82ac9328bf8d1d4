"""Contributors never see other people's claims: every claim and receipt URL, as another contributor."""

import pytest

from coordination.claims import operations as ops
from tests.claims.conftest import png_bytes
from tests.conftest import sign_in


@pytest.fixture
def someone_elses_claim(make_claim):
    claim = make_claim()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="t.png")
    return claim, receipt


def _claim_urls(claim, receipt):
    line = claim.lines[0].id
    return [
        ("GET", f"/claims/{claim.id}"),
        ("GET", f"/claims/{claim.id}/edit"),
        ("POST", f"/claims/{claim.id}/edit"),
        ("POST", f"/claims/{claim.id}/autosave"),
        ("POST", f"/claims/{claim.id}/items/{line}/remove"),
        ("GET", f"/claims/{claim.id}/send"),
        ("POST", f"/claims/{claim.id}/send"),
        ("POST", f"/claims/{claim.id}/withdraw"),
        ("GET", f"/claims/receipts/{receipt.id}"),
    ]


def test_every_claim_and_receipt_url_is_hidden_from_other_contributors(app, create_user, someone_elses_claim):
    claim, receipt = someone_elses_claim
    client = app.test_client()
    sign_in(client, create_user("contributor"))
    for method, url in _claim_urls(claim, receipt):
        response = client.open(url, method=method, data={"declaration": "y", "activity_description": "hijack"})
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    from coordination.claims.models import Claim, ClaimState
    from coordination.extensions import db

    db.session.expire_all()
    fresh = db.session.get(Claim, claim.id)
    assert fresh.state == ClaimState.DRAFT and fresh.activity_description != "hijack" and len(fresh.lines) == 3


def test_a_contributors_list_shows_only_their_own_claims(app, create_user, make_claim):
    jo = create_user("contributor")
    mine = make_claim(jo)
    theirs = make_claim()
    client = app.test_client()
    sign_in(client, jo)
    text = client.get("/claims").get_data(as_text=True)
    assert mine.reference in text and theirs.reference not in text


def test_coordinators_can_only_edit_claims_they_entered_on_someones_behalf(app, create_user, someone_elses_claim):
    claim, _ = someone_elses_claim
    client = app.test_client()
    sign_in(client, create_user("coordinator"))
    assert client.get(f"/claims/{claim.id}").status_code == 200
    assert client.get(f"/claims/{claim.id}/edit").status_code == 403
    assert client.post(f"/claims/{claim.id}/items/{claim.lines[0].id}/remove").status_code == 403


def test_finance_sees_approved_claims_but_cannot_change_them(app, create_user, make_claim):
    # Changed by issue 14: finance sees approved and paid claims and their receipts only (the roles guide).
    claim = make_claim()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="t.png")
    ops.submit_claim(claim, actor=claim.claimant, declared=True)
    ops.approve_claim(claim, actor=create_user("coordinator"))
    client = app.test_client()
    sign_in(client, create_user("finance"))
    assert client.get(f"/claims/{claim.id}").status_code == 200
    assert client.get(f"/claims/receipts/{receipt.id}").status_code == 200
    assert client.get(f"/claims/{claim.id}/edit").status_code == 403


@pytest.mark.parametrize("state", ["draft", "submitted", "queried", "rejected", "withdrawn"])
def test_finance_cannot_open_claims_before_they_are_approved_nor_their_receipts(app, create_user, make_claim, state):
    claim = make_claim()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="t.png")
    if state != "draft":
        claim = (
            make_claim(state=state)
            if state != "submitted"
            else ops.submit_claim(claim, actor=claim.claimant, declared=True)
        )
    client = app.test_client()
    sign_in(client, create_user("finance"))
    assert client.get(f"/claims/{claim.id}").status_code == 404
    if claim.id == receipt.claim_id:
        assert client.get(f"/claims/receipts/{receipt.id}").status_code == 404
