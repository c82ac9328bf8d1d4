"""Real Chromium: the coordinator manages practice-area names; a partner reads them in Rochdale's words; axe
everywhere."""

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD


def _seed_vocabulary_and_an_unfound_search():
    from coordination.extensions import db
    from coordination.organisations.models import Organisation
    from coordination.terminology import demo
    from coordination.terminology.search import record_zero_result

    demo.seed(None)
    record_zero_result("expert patients")
    for n in range(4):  # enough for the evidence report to suggest a local name in Rochdale
        db.session.add(
            Organisation(
                name=f"Rochdale group {n}",
                normalised_name=f"rochdale group {n}",
                description="Our link workers connect people to local groups.",
                borough_code="E08000005",
            )
        )
    db.session.commit()


def test_the_coordinator_reads_and_edits_the_vocabulary_and_every_page_passes_axe(browser_page, create_user):
    page = browser_page
    _seed_vocabulary_and_an_unfound_search()
    browser_sign_in(page, create_user("coordinator", name="Amira Hussain"), PASSWORD)
    page.click("header >> text=Terms")
    expect(page.locator("h1")).to_have_text("Practice areas and their names")
    expect(page.locator("tbody a").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "terminology-list")
    page.click("text=Self-care (supported self-management)")
    expect(page.locator("h1")).to_have_text("Self-care (supported self-management)")
    assert_accessible(page)
    screenshot(page, "terminology-concept")
    page.click("text=Add a name")
    expect(page.locator("h1")).to_have_text("Add a name")
    page.check("input[value=local]")
    page.fill("#text", "looking after yourself")
    page.click("button#submit")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#text")).to_have_value("looking after yourself")
    assert_accessible(page)
    page.select_option("#area", "E08000001")
    page.fill("#proposed_by", "Bolton CVS")
    page.click("button#submit")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("looking after yourself")
    page.click("button:has-text('Agree')")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("agreed local name")
    page.goto("/terms/unfound")
    expect(page.locator("h1")).to_have_text("Searches that found nothing")
    assert_accessible(page)
    screenshot(page, "terminology-unfound")
    page.select_option("#main-content select", label="Supported self-management")
    page.click("button:has-text('Add')")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("expert patients")
    page.goto("/terms/evidence")
    expect(page.locator("h1")).to_have_text("Which words each borough uses")
    expect(page.locator("#main-content")).to_contain_text("Use ‘link workers’ locally")
    assert_accessible(page)
    screenshot(page, "terminology-evidence")
    assert page.hosts == {page.url.split("/")[2]}
    assert not page.console_errors, page.console_errors


def test_a_partner_on_a_phone_reads_practice_areas_in_their_boroughs_words(browser, live_server, create_user):
    _seed_vocabulary_and_an_unfound_search()
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    browser_sign_in(page, create_user("partner", name="Sue Whitworth"), PASSWORD)
    page.goto("/terms")
    expect(page.locator("#borough")).to_have_value("E08000005")
    expect(page.locator("caption")).to_contain_text("Rochdale")
    screenshot(page, "terminology-list-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
    page.click("text=Self-care (supported self-management)")
    expect(page.locator("h1")).to_have_text("Self-care (supported self-management)")
    screenshot(page, "terminology-concept-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
    context.close()
