"""Real Chromium at phone width, keyboard only, axe-checked: someone without an account gives event feedback;
a closed link refuses politely; the coordinator's impact report and the partner's version pass axe too."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible, browser_sign_in
from tests.conftest import PASSWORD

SHOTS = Path("/tmp/evaluation-screenshots")


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _tab_to(page, selector: str, limit: int = 60):
    """Press Tab until the element matching selector has focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _choose_radio(page, value: str):
    """Tab into the radio group, then arrow down until the wanted option is chosen."""
    _tab_to(page, "input[type=radio]")
    for _ in range(30):
        if page.evaluate("() => document.activeElement.value") == value:
            if not page.evaluate("() => document.activeElement.checked"):
                page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not reach {value}")


def _fits(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375


def test_someone_gives_event_feedback_on_a_phone_with_the_keyboard_alone(browser, live_server, app):
    from coordination.evaluation import operations
    from coordination.evaluation.models import EqualityRecord, QuestionnaireKind, Response
    from coordination.extensions import db
    from tests.evaluation.helpers import survey_round

    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK, title="Peer support masterclass")
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"/survey/{round_.token}")
    expect(page.locator("h1")).to_have_text("Peer support masterclass")
    assert_accessible(page)
    _fits(page)
    _shot(page, "1-start")
    _tab_to(page, "button.govuk-button--start")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Overall, how would you rate the event?")
    # Continue without choosing: a clear message, focused, linked to the question.
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose an answer")
    assert_accessible(page)
    _shot(page, "2-question-error")
    _choose_radio(page, "5")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("understand the topic")
    _choose_radio(page, "4")
    _shot(page, "3-question")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("What was most useful?")
    _tab_to(page, "textarea")
    page.keyboard.type("Hearing from people with lived experience")
    assert_accessible(page)
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("What could we do better?")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Which borough")
    _choose_radio(page, "E08000005")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your name and quotes")
    _choose_radio(page, "no")
    _tab_to(page, "input[name=quote]")
    page.keyboard.press("Space")
    assert_accessible(page)
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Equality monitoring")
    assert_accessible(page)
    _choose_radio(page, "yes")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("What is your age?")
    for following in (
        "What is your sex?",
        "Is the gender you identify with",
        "best describes your sexual",
        "What is your ethnic group?",
    ):
        _choose_radio(page, "prefer_not_to_say")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(following)
    assert_accessible(page)
    _fits(page)
    _shot(page, "4-ethnic-group")
    for following in (
        "What is your religion?",
        "physical or mental health conditions",
        "day-to-day activities",
        "Do you look after",
        "Which borough do you live in?",
        "Check your answers",
    ):
        _tab_to(page, "button.govuk-button")  # left blank: each is voluntary
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(following)
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    assert_accessible(page)
    _fits(page)
    _shot(page, "5-check")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel__title")).to_contain_text("Thank you")
    expect(page.locator("#deletion-code")).to_be_visible()
    assert_accessible(page)
    _shot(page, "6-done")
    # The one 400 is the page that told them to choose an answer; nothing else went wrong.
    assert [e for e in errors if "status of 400" not in e] == [], errors
    db.session.expire_all()
    response = db.session.scalar(select(Response))
    assert response.borough_code == "E08000005" and response.respondent_name is None
    assert db.session.scalar(select(EqualityRecord)).age_band == "prefer_not_to_say"
    # The link closes: the next person is told politely, still accessibly.
    operations.set_round_status(round_, "closed")
    page.goto(f"/survey/{round_.token}")
    expect(page.locator("h1")).to_have_text("This survey has closed")
    assert_accessible(page)
    _shot(page, "7-closed")
    context.close()


def test_the_impact_report_and_the_partner_version_pass_axe_and_fit_a_phone(browser, live_server, app, create_user):
    from coordination.evaluation.models import QuestionnaireKind
    from tests.evaluation.helpers import equality_record, respond, survey_round

    outcomes = survey_round(
        QuestionnaireKind.INVOLVEMENT_OUTCOMES, programme="Demo", expected_count=30, borough_code="E08000005"
    )
    for i in range(24):
        respond(
            outcomes,
            {
                "outcome_knowledge": ["yes", "partly", "no"][i % 3],
                "outcome_skills": "yes",
                "outcome_confidence": "partly",
                "outcome_motivation": "yes",
                "before_confidence": 2,
                "after_confidence": 3 + i % 3,
            },
        )
        equality_record(outcomes, sex=["female", "male"][i % 2], ethnic_group="white_british", borough="E08000005")
    for role, name in (("coordinator", "report"), ("partner", "report-partner")):
        context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
        page = context.new_page()
        browser_sign_in(page, create_user(role), PASSWORD)
        page.goto("/evaluation/report")
        expect(page.locator("h1")).to_have_text("Impact report")
        assert_accessible(page)
        _shot(page, name)
        page.emulate_media(media="print")
        _shot(page, name + "-print")
        context.close()


def test_a_coordinator_publishes_a_public_version_that_a_stranger_reads_on_a_phone(
    browser, live_server, app, create_user
):
    from coordination.evaluation.models import QuestionnaireKind
    from tests.evaluation.helpers import equality_record, respond, survey_round

    outcomes = survey_round(
        QuestionnaireKind.INVOLVEMENT_OUTCOMES, programme="Public", expected_count=30, borough_code="E08000005"
    )
    for i in range(12):
        respond(outcomes, {"outcome_knowledge": ["yes", "no", "no"][i % 3], "outcome_skills": "yes"})
        equality_record(outcomes, sex=["female", "male", "female"][i % 3], carer="no" if i else "up_to_9")
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/evaluation/report?programme=Public")
    # A date typed wrongly: explained beside the boxes, and what was typed stays.
    page.select_option("#period", "custom")
    page.fill("#start-day", "31")
    page.fill("#start-month", "2")
    page.fill("#start-year", "2026")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The start date must be a real date")
    expect(page.locator("#start-day")).to_have_value("31")
    assert_accessible(page)
    _fits(page)
    _shot(page, "report-bad-date")
    page.select_option("#period", "all")
    page.fill("#start-day", "")
    page.fill("#start-month", "")
    page.fill("#start-year", "")
    page.get_by_role("button", name="Show the report").click()
    # As on a server: the preview's protection is worked out in the background, and the page does not wait.
    from coordination.evaluation import report

    app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = True
    try:
        page.get_by_role("link", name="Publish a public version").click()
        expect(page.locator("h1")).to_have_text("Publish a public version of this report")
        expect(page.locator("#preview-being-prepared")).to_contain_text("being worked out")
        assert_accessible(page)
        _fits(page)
        _shot(page, "publish-preview-being-prepared")
        report.wait_for_protection()
        page.locator("#check-preview").click()
    finally:
        report.wait_for_protection()
        app.config["EVALUATION_PROTECT_IN_BACKGROUND"] = False
    expect(page.locator("h1")).to_have_text("Publish a public version of this report")
    expect(page.locator("#publish-scope")).to_contain_text("as the public will see them")
    expect(page.locator("#preview-being-prepared")).to_have_count(0)
    assert_accessible(page)
    _fits(page)
    _shot(page, "publish")
    page.fill("#title", "Public programme: what changed")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1")).to_contain_text("Public versions of the impact report")
    assert_accessible(page)
    _fits(page)
    _shot(page, "published-list")
    link = page.get_by_role("link", name="Public programme: what changed").get_attribute("href")
    context.close()

    stranger = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = stranger.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("Public programme: what changed")
    expect(page.locator("#protection-note")).to_be_visible()
    assert_accessible(page)
    _fits(page)
    _shot(page, "public-report")
    stranger.close()
