"""On a server the impact report's joint small-number protection is worked out in the background: partners and
the public see the last protected figures (labelled) meanwhile, never new counts with an old protection."""

from __future__ import annotations

import pytest

from coordination.caching import app_cache
from coordination.evaluation import report
from tests.conftest import page
from tests.evaluation.helpers import respond
from tests.evaluation.test_public_report import _publish, attack_data  # noqa: F401 (fixture)
from tests.evaluation.test_report import ROCHDALE, example  # noqa: F401 (fixture)


@pytest.fixture
def in_background(app):
    # Each test starts with nothing worked out yet in this (shared) app: no cached report, no last figures.
    app_cache("evaluation-report", maxsize=64).clear()
    app.extensions.pop("coordination.evaluation.latest", None)
    app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = True
    yield
    report.wait_for_protection()
    app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = False


def _scope_text(response) -> str:
    return page(response).select_one("#report-scope").get_text(" ", strip=True)


def _note(response) -> str:
    return page(response).select_one("#figures-as-at").get_text(" ", strip=True)


def test_a_partner_is_told_the_figures_are_being_prepared_until_the_first_protection_is_ready(
    signed_in, example, in_background
):
    client, _ = signed_in("partner")  # Rochdale
    waiting = client.get("/evaluation/report")
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "30"
    assert "being prepared" in page(waiting).h1.get_text()
    assert client.get("/evaluation/report.csv").status_code == 503, "no unprotected CSV meanwhile"
    report.wait_for_protection()
    ready = client.get("/evaluation/report")
    assert ready.status_code == 200
    assert _note(ready).startswith("Figures as at") and "being prepared" not in _note(ready)
    assert "Rochdale" in _scope_text(ready)


def test_after_a_new_answer_the_last_protected_figures_are_shown_labelled_until_the_new_ones_are_ready(
    signed_in, example, in_background
):
    client, _ = signed_in("partner")
    client.get("/evaluation/report")
    report.wait_for_protection()
    before = _scope_text(client.get("/evaluation/report"))
    outcomes = example[0]
    respond(outcomes, {"outcome_knowledge": "yes"})

    meanwhile = client.get("/evaluation/report")
    assert meanwhile.status_code == 200
    assert "Newer figures are being prepared" in _note(meanwhile)
    assert _scope_text(meanwhile) == before, "the old figures with their own protection"

    report.wait_for_protection()
    fresh = client.get("/evaluation/report")
    assert "being prepared" not in _note(fresh)
    assert _scope_text(fresh) != before


def test_the_public_version_waits_in_the_same_way(signed_in, attack_data, app):
    coordinator, _ = signed_in("coordinator")
    published = _publish(coordinator, "programme=Attack")
    stranger = app.test_client()
    first = stranger.get(f"/impact/{published.token}")
    assert first.status_code == 200
    app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = True
    try:
        respond(attack_data, {"outcome_knowledge": "no"})  # a new moment: its protection is not ready yet
        meanwhile = stranger.get(f"/impact/{published.token}")
        assert meanwhile.status_code == 200
        assert "Newer figures are being prepared" in _note(meanwhile)
        assert _scope_text(meanwhile) == _scope_text(first)
        report.wait_for_protection()
        again = stranger.get(f"/impact/{published.token}")
        assert "being prepared" not in _note(again)
    finally:
        report.wait_for_protection()
        app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = False


def test_the_publish_page_answers_at_once_while_the_public_preview_is_worked_out(signed_in, example, in_background):
    """Protecting the preview with everything else takes seconds at Greater Manchester scale: the page does not
    wait for it (a request that long risks the server's worker timeout). It shows the coordinator's own count,
    says the preview is coming, keeps the title on its "check again" link, and lets them publish meanwhile."""
    client, _ = signed_in("coordinator")
    waiting = client.get("/evaluation/report/publish")
    assert waiting.status_code == 200
    note = page(waiting).select_one("#preview-being-prepared")
    assert note is not None and "being worked out" in note.get_text()
    again = page(waiting).select_one("#check-preview")["href"]
    assert "title=" in again
    report.wait_for_protection()
    ready = client.get(again.replace("title=", "title=Kept+title&ignored="))
    assert page(ready).select_one("#preview-being-prepared") is None
    assert "as the public will see them" in page(ready).select_one("#publish-scope").get_text()
    assert page(ready).select_one("#title")["value"] == "Kept title"
    published = client.post("/evaluation/report/publish", data={"title": "Published while waiting"})
    assert published.status_code == 302
