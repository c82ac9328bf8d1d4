"""Real Chromium: the coordinator adds a community, records attendance and a pledge; axe on every page."""

from datetime import datetime

from playwright.sync_api import expect

from coordination.extensions import db
from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.communities import factories as f
from tests.conftest import PASSWORD


def test_the_coordinator_runs_a_community_and_records_an_event(browser_page, create_user):
    page = browser_page
    peer = f.concept("peer support")
    community = f.community("Peer support community of practice", area=peer)
    member = f.person("Asha Khan", organisation=f.organisation("Rochdale Carers"))
    f.member(community, member)
    event = f.event(community, datetime(2026, 3, 10, 10), title="Peer support masterclass")
    db.session.commit()
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.click(".govuk-service-navigation__link >> text=Communities")
    expect(page.locator("h1")).to_have_text("Communities of practice")
    assert_accessible(page)
    screenshot(page, "communities-list")
    page.click("text=Add a community")
    page.click("button#submit")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/events/{event.id}")
    expect(page.locator("h1")).to_have_text("Peer support masterclass")
    page.click("text=Record attendance")
    expect(page.locator("h1")).to_have_text("Record attendance")
    assert_accessible(page)
    screenshot(page, "communities-attendance")
    page.check(f"#person-{member.id}-attended")
    page.click("button#submit")
    expect(page.locator("#attendance-counts")).to_contain_text("1 attended")
    page.fill("#text", "Pay people for their time")
    page.click("text=Record pledge")
    expect(page.locator("#pledges + div table")).to_contain_text("Pay people for their time")
    assert_accessible(page)
    screenshot(page, "communities-event")
    assert not page.console_errors, page.console_errors
