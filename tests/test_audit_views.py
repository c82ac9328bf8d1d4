"""The audit trail, visible: filters, CSV export, plain words, and each record's own history."""

import csv
import io
from datetime import date, timedelta

from tests.claims import conftest as _claim_fixtures
from tests.conftest import page, sign_in

make_claim, quick_user = _claim_fixtures.make_claim, _claim_fixtures.quick_user  # the claim factories


def test_the_audit_page_filters_by_person_record_action_and_date_in_plain_words(app, create_user, make_claim):
    amira = create_user("coordinator", name="Amira Hussain")
    claim = make_claim(state="approved", approver=amira)
    client = app.test_client()
    sign_in(client, amira)
    soup = page(client.get("/audit", query_string={"person": amira.id, "action": "claims.approve"}))
    rows = soup.select(".app-history__table tbody tr")
    assert len(rows) == 1
    text = rows[0].get_text(" ", strip=True)
    assert "Amira Hussain" in text and "Approved a claim" in text and f"Claim {claim.id}" in text
    assert "State : submitted → approved" in text.replace(":", " :") or "submitted → approved" in text
    soup = page(client.get("/audit", query_string={"record": "Claim", "record_id": claim.id}))
    actions = [r.select("td")[2].get_text(" ", strip=True) for r in soup.select(".app-history__table tbody tr")]
    assert any("Started a claim" in a for a in actions) and any("Sent a claim" in a for a in actions)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "No changes recorded" in page(client.get("/audit", query_string={"from": tomorrow})).get_text()
    soup = page(client.get("/audit", query_string={"from": "31/02/2026"}))
    assert "is not a date" in soup.select_one(".govuk-error-summary").get_text()


def test_the_audit_csv_exports_what_the_filters_show(app, create_user, make_claim):
    amira = create_user("coordinator")
    make_claim(state="approved", approver=amira)
    client = app.test_client()
    sign_in(client, amira)
    response = client.get("/audit.csv", query_string={"action": "claims.approve"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv" and len(rows) == 1
    assert rows[0]["what"] == "Approved a claim" and "submitted → approved" in rows[0]["changes"]


def test_only_coordinators_see_the_audit_page(app, create_user):
    for role in ("finance", "partner", "contributor"):
        client = app.test_client()
        sign_in(client, create_user(role))
        assert client.get("/audit").status_code == 403


def test_a_claim_an_organisation_and_an_account_each_show_their_own_history(app, create_user, make_claim):
    amira = create_user("coordinator")
    claim = make_claim(state="submitted")
    client = app.test_client()
    sign_in(client, amira)
    history = page(client.get(f"/claims/{claim.id}")).select_one(".app-history")
    assert "History of this claim" in history.get_text() and "Sent a claim" in history.get_text()
    account = page(client.get(f"/accounts/{amira.id}")).select_one(".app-history")
    assert "Created an account" in account.get_text()
    from coordination.organisations.operations import create_organisation

    org = create_organisation(
        {"name": "Rochdale Carers", "org_type": "community_group", "postcode": "", "email": "hello@example.org"},
        actor=amira,
    )
    history = page(client.get(f"/organisations/{org.id}")).select_one(".app-history")
    assert "Added an organisation" in history.get_text()
