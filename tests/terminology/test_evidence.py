"""The evidence report: which names organisations in each borough use, and local-name suggestions."""

from coordination.terminology.queries import evidence_report
from tests.conftest import page


def _row(report, borough, concept):
    return next(row for row in report[borough] if row.concept.pref_label == concept)


def test_usage_is_counted_per_borough_and_a_clearly_preferred_name_is_suggested(vocabulary, create_organisation):
    for n in range(4):
        create_organisation(f"Rochdale group {n}", "Peer mentoring and friendship.", borough_code="E08000005")
    create_organisation("Rochdale peers", "Peer support for carers.", borough_code="E08000005")
    create_organisation(
        "Citywide", "Peer support and peer mentoring.", borough_code="E08000003", operates_in=["E08000005"]
    )
    create_organisation("Salford hub", "Peer support everywhere.", borough_code="E08000006")
    report = evidence_report()
    rochdale = _row(report, "E08000005", "Peer support")
    counts = {usage.text: usage.organisations for usage in rochdale.usage}
    assert counts["peer mentoring"] == 5 and counts["Peer support"] == 2 and rochdale.organisations == 6
    assert rochdale.suggestion.text == "peer mentoring"
    salford = _row(report, "E08000006", "Peer support")
    assert salford.suggestion is None and salford.organisations == 1


def test_no_suggestion_when_the_name_is_already_the_agreed_local_one(vocabulary, create_organisation):
    for n in range(5):
        create_organisation(f"Group {n}", "Self-care groups.", borough_code="E08000001")
    row = _row(evidence_report(["E08000001"]), "E08000001", "Supported self-management")
    assert row.suggestion is None
    assert {u.text: u.organisations for u in row.usage}["self-care"] == 5


def test_a_partner_sees_the_report_for_their_boroughs_only(signed_in, vocabulary, create_organisation):
    create_organisation("Rochdale peers", "Peer support.", borough_code="E08000005")
    create_organisation("Salford hub", "Peer support.", borough_code="E08000006")
    client, _ = signed_in("partner")
    soup = page(client.get("/terms/evidence"))
    assert [h.get_text(strip=True) for h in soup.select("h2.govuk-heading-m")] == ["Rochdale"]


def test_the_coordinator_gets_a_link_to_propose_the_suggested_name(signed_in, vocabulary, create_organisation):
    for n in range(3):
        create_organisation(f"Group {n}", "Link workers help you.", borough_code="E08000007")
    client, _ = signed_in("coordinator")
    soup = page(client.get("/terms/evidence"))
    link = soup.select_one("#main-content a[href*='kind=local']")
    form = page(client.get(link["href"]))
    assert form.select_one("#text")["value"] == "link workers"
    assert form.select_one("#area option[selected]")["value"] == "E08000007"
