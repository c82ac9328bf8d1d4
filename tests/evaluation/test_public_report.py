"""The public (signed-out) impact report: off until published, revocable, audited, and attacked.

The attacks read only what a stranger can: the public page and its CSV. For each group of answers they
enumerate every set of counts consistent with what is shown (totals, complements, "fewer than 5" = 1 to 4,
"not shown" = not zero) and check that no count of 1 to 4 can be pinned down, without using the disclosure
module's own arithmetic.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.evaluation import operations, queries, report
from coordination.evaluation.models import Channel, PublishedReport, QuestionnaireKind
from coordination.extensions import db
from tests.conftest import page
from tests.evaluation.attack import assert_no_small_count_is_pinned, seen
from tests.evaluation.helpers import equality_record, respond, survey_round

BOLTON, WIGAN = "E08000001", "E08000010"


def _publish(client, query: str, title: str = "Our impact"):
    response = client.post(f"/evaluation/report/publish?{query}", data={"title": title})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(select(PublishedReport).order_by(PublishedReport.id.desc()))


@pytest.fixture
def attack_data(app, create_user):
    """Answers built to tempt an attacker: small cells beside totals and complements."""
    create_user("coordinator")  # who typed in the paper forms
    outcomes = survey_round(programme="Attack", expected_count=40, borough_code=BOLTON)
    # Knowledge: yes 3 (small), partly 6, no 8. "Yes or partly" (9) and n (17) sit beside "yes".
    for answer in ["yes"] * 3 + ["partly"] * 6 + ["no"] * 8:
        respond(outcomes, {"outcome_knowledge": answer, "outcome_skills": "yes"})
    # Two paper forms: the channel count is small, and online = total − paper.
    for _ in range(2):
        respond(outcomes, {"outcome_knowledge": "no"}, channel=Channel.PAPER)
    # Carers: 2 (small) beside "No" (20) and n (22), a complement of the headline figure.
    for i in range(22):
        equality_record(outcomes, carer="up_to_9" if i < 2 else "no", sex="female" if i < 19 else "male")
    return outcomes


def test_nothing_is_public_until_a_coordinator_publishes(client, attack_data):
    assert db.session.scalars(select(PublishedReport)).all() == []
    response = client.get("/impact/not-a-real-token")
    assert response.status_code == 404
    assert "not published" in page(response).h1.get_text()


def test_publishing_and_taking_down_are_audited_and_the_link_follows(signed_in, attack_data, app):
    client, user = signed_in("coordinator")
    published = _publish(client, "programme=Attack", "Attack programme")
    assert published.title == "Attack programme" and published.programme == "Attack" and published.live
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "impact_report.published"))
    assert entry.actor_id == user.id and entry.after["programme"] == "Attack"
    listing = page(client.get("/evaluation/published"))
    assert listing.select_one(f'[data-published="{published.id}"] a')["href"] == f"/impact/{published.token}"

    stranger = app.test_client()
    soup = page(stranger.get(f"/impact/{published.token}"))
    assert soup.h1.get_text(strip=True).endswith("Attack programme")
    assert soup.select_one("#protection-note")
    assert not soup.select("form.app-report-filters")  # a stranger gets no filters onto other scopes
    assert soup.select_one('meta[name="robots"]')["content"] == "noindex"  # shared by link, not listed

    assert client.post(f"/evaluation/published/{published.id}/revoke").status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "impact_report.revoked"))
    assert stranger.get(f"/impact/{published.token}").status_code == 404
    assert stranger.get(f"/impact/{published.token}.csv").status_code == 404


def test_other_roles_cannot_publish_or_take_down(signed_in, attack_data):
    client, _ = signed_in("partner")
    assert client.post("/evaluation/report/publish", data={"title": "x"}).status_code == 403
    assert db.session.scalars(select(PublishedReport)).all() == []


def test_a_title_is_needed_and_what_was_typed_is_kept(signed_in, attack_data):
    client, _ = signed_in("coordinator")
    response = client.post("/evaluation/report/publish?programme=Attack", data={"title": "   "})
    assert response.status_code == 400
    soup = page(response)
    assert "Enter a title" in soup.select_one(".govuk-error-summary").get_text()


def test_overlapping_public_reports_are_refused_so_they_cannot_be_subtracted(signed_in, attack_data):
    client, _ = signed_in("coordinator")
    _publish(client, "programme=Attack")
    # All of Greater Manchester contains the Attack programme and more: subtracting would give the rest.
    other = survey_round(programme="Other", borough_code=WIGAN)
    for _ in range(3):
        respond(other, {"outcome_knowledge": "yes"})
    response = client.post("/evaluation/report/publish", data={"title": "Everything"})
    assert response.status_code == 400
    assert "subtract" in page(response).select_one(".govuk-error-summary").get_text()
    # A disjoint scope is fine: the other programme shares no answers or equality records.
    assert client.post("/evaluation/report/publish?programme=Other", data={"title": "Other"}).status_code == 302


def _public_csv(app, token) -> list[list[str]]:
    text = app.test_client().get(f"/impact/{token}.csv").get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_an_attacker_cannot_pin_a_small_count_from_the_public_csv(signed_in, attack_data, app):
    client, _ = signed_in("coordinator")
    published = _publish(client, "programme=Attack")
    rows = {r[1]: r for r in _public_csv(app, published.token)}

    # Knowledge: 'yes' and 'yes or partly', each with n (yes 3, partly 6, no 10).
    yes, at_least_partly = rows["Knowledge increased"], rows["Knowledge increased at least in part"]
    assert yes[3] == at_least_partly[3]  # the same n on both rows
    published_sums = [
        (("yes",), seen(yes[2])),
        (("yes", "partly"), seen(at_least_partly[2])),
        (("yes", "partly", "no"), seen(yes[3])),
    ]
    assert_no_small_count_is_pinned(["yes", "partly", "no"], published_sums, {"yes": 3, "partly": 6, "no": 10})
    assert yes[4] == "not shown"  # no percentage on a count of 3

    # Unpaid carers: the headline (all 'yes' answers) beside the breakdown's 'No' and n.
    carers = rows["Unpaid carers"]
    no_care = next(r for r in _public_csv(app, published.token) if r[0].startswith("Who took part: Do you look after"))
    breakdown = {r[1]: r for r in _public_csv(app, published.token) if r[0] == no_care[0] or r[0] == ""}
    carer_sums = [
        (("yes",), seen(carers[2])),
        (("yes", "no"), seen(carers[3])),
        (("no",), seen(breakdown["No"][2])),
        (("yes",), seen(breakdown["Yes, 9 hours a week or less"][2])),
    ]
    assert_no_small_count_is_pinned(["yes", "no"], carer_sums, {"yes": 2, "no": 20})

    # Responses: 19 online and 2 on paper. The total and the channels add up, so they are protected together.
    responses = rows["Responses in this report"][2]
    soup = page(app.test_client().get(f"/impact/{published.token}"))
    channels = soup.select_one("#channels").get_text(" ", strip=True)
    assert "2 typed in from paper" not in channels and "fewer than 5 typed in from paper" in channels
    online = channels.split(" online")[0]
    assert not (online.isdigit() and responses.replace(",", "").isdigit())  # else paper = total − online


def test_the_public_page_and_its_csv_show_the_same_figures(signed_in, attack_data, app):
    client, _ = signed_in("coordinator")
    published = _publish(client, "programme=Attack")
    soup = page(app.test_client().get(f"/impact/{published.token}"))
    rows = {r[1]: r for r in _public_csv(app, published.token)}
    shown = report.figures(queries.scope_of(published), "public")
    for section in shown["sections"]:
        for row in section["rows"]:
            cell = soup.select_one(f'tr[data-figure="{row["key"]}"]')
            text = report.display(row)
            csv_row = rows[row["label"]]
            assert cell.select_one('[data-cell="percent"]').get_text(strip=True) == csv_row[4] == text["percent"]
            counted = cell.select_one('[data-cell="count"]').get_text(" ", strip=True)
            assert csv_row[2] in counted and csv_row[3] in counted


def test_the_public_version_leaves_out_quotes_and_is_the_most_restrictive(signed_in, app):
    round_ = survey_round(QuestionnaireKind.ORGANISATION_CHANGE, programme="Quotes")
    for i in range(6):
        respond(round_, {"practice_developed": "yes", "story": f"Story number {i}", "borough": BOLTON}, quote=True)
    client, _ = signed_in("coordinator")
    coordinator = page(client.get("/evaluation/report?programme=Quotes")).get_text()
    assert "Story number 1" in coordinator
    published = _publish(client, "programme=Quotes")
    public = page(app.test_client().get(f"/impact/{published.token}")).get_text()
    assert "Story number" not in public and "Quotes are not shown here" in public


def test_publishing_records_the_chosen_period_and_the_public_page_keeps_to_it(signed_in, attack_data, app):
    from datetime import date

    client, _ = signed_in("coordinator")
    published = _publish(
        client,
        "programme=Attack&period=custom&start-day=1&start-month=1&start-year=2000"
        "&end-day=31&end-month=12&end-year=2000",
    )
    assert (published.start, published.end) == (date(2000, 1, 1), date(2000, 12, 31))
    soup = page(app.test_client().get(f"/impact/{published.token}"))
    assert "1 January 2000" in soup.select_one("#report-scope").get_text()
    assert soup.select_one("#report-scope").get_text(" ", strip=True).startswith("0 responses")


def test_a_revoked_report_can_be_published_again_and_only_live_ones_clash(signed_in, attack_data):
    client, user = signed_in("coordinator")
    first = _publish(client, "programme=Attack")
    operations.revoke_report(first, actor=user)
    with pytest.raises(operations.EvaluationError):
        operations.revoke_report(first, actor=user)
    second = _publish(client, "programme=Attack", "Again")
    assert second.id != first.id and second.token != first.token


def test_the_attack_does_find_small_counts_in_the_unprotected_csv(signed_in, attack_data):
    """The attack is real: on the coordinator's own (unprotected) CSV it pins every small count."""
    client, _ = signed_in("coordinator")
    text = client.get("/evaluation/report.csv?programme=Attack").get_data(as_text=True).lstrip("\ufeff")
    rows = {r[1]: r for r in csv.reader(io.StringIO(text))}
    yes, at_least_partly = rows["Knowledge increased"], rows["Knowledge increased at least in part"]
    published_sums = [
        (("yes",), seen(yes[2])),
        (("yes", "partly"), seen(at_least_partly[2])),
        (("yes", "partly", "no"), seen(yes[3])),
    ]
    with pytest.raises(AssertionError):
        assert_no_small_count_is_pinned(["yes", "partly", "no"], published_sums, {"yes": 3, "partly": 6, "no": 10})


def test_a_report_that_comes_to_overlap_an_older_one_is_withheld(signed_in, attack_data, app):
    client, _ = signed_in("coordinator")
    wigan = survey_round(programme="Other", borough_code=WIGAN)
    for _ in range(6):
        respond(wigan, {"outcome_knowledge": "yes"})
    older = _publish(client, "programme=Attack", "Attack")
    newer = _publish(client, f"borough={WIGAN}", "Wigan")  # disjoint when published
    stranger = app.test_client()
    assert stranger.get(f"/impact/{newer.token}").status_code == 200
    # Later, an Attack-programme answer from Wigan: both public reports would count it.
    later = survey_round(programme="Attack")
    respond(later, {"outcome_knowledge": "no", "borough": WIGAN})
    assert stranger.get(f"/impact/{newer.token}").status_code == 404
    assert stranger.get(f"/impact/{newer.token}.csv").status_code == 404
    assert stranger.get(f"/impact/{older.token}").status_code == 200  # the older one stays
    card = page(client.get("/evaluation/published")).select_one(f'[data-published="{newer.id}"]')
    assert "Withheld" in card.get_text() and "'Attack'" in card.get_text()
