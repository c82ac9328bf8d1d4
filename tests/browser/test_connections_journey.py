"""Real Chromium: the coordinator answers "how many new cross-borough connections, and who made them possible?"
from one page, records an introduction by keyboard, and a partner reads protected borough counts; axe on each."""

from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from coordination.extensions import db
from coordination.networks.models import RecordedTie
from coordination.timeutil import utcnow
from tests.browser.conftest import axe_violations, browser_sign_in, screenshot
from tests.communities import factories as f
from tests.conftest import PASSWORD

BOROUGHS = tuple(f"E08{n:06d}" for n in range(1, 11))


@pytest.fixture
def story(app):
    """Two people in each borough; a small event in each borough; introductions across boroughs."""
    year = utcnow().year
    people = []
    for n, code in enumerate(BOROUGHS):
        org = f.organisation(f"Group in {code}", code)
        pair = [f.person(f"Person {code} {k}", organisation=org, borough_code=code) for k in range(2)]
        event = f.event(when=datetime(year, 1, 10 + n, 10), venue_borough_code=code)
        for person in pair:
            f.attend(event, person)
        people.extend(pair)
    for left, right in zip(people[::2], people[2::2]):
        a, b = sorted((left, right), key=lambda p: p.id)
        db.session.add(
            RecordedTie(
                person_a_id=a.id,
                person_b_id=b.id,
                source="introduction",
                made_on=date(year, 1, 28),
                introduced_by_id=people[1].id if people[1].id not in (a.id, b.id) else None,
            )
        )
    db.session.commit()
    return people


def _no_findings(page, label):
    found = axe_violations(page, ("minor", "moderate", "serious", "critical"))
    assert not found, f"{label}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in found
    )


def test_the_coordinator_reads_the_years_connections_and_records_one_by_keyboard(browser_page, create_user, story):
    page = browser_page
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.get_by_role("link", name="Connections").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who now knows whom")
    expect(page.locator(".govuk-body-l")).to_contain_text("9 new connections across boroughs")
    expect(page.locator(".app-map .leaflet-container")).to_be_visible()
    expect(page.get_by_role("table", name="People who bridge boroughs")).to_contain_text(story[8].name)
    expect(page.locator("main")).to_contain_text(f"{story[1].name}: 9 cross-borough introductions")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        _no_findings(page, f"connections overview at {width}px")
        screenshot(page, f"connections-overview-{width}")
    page.get_by_role("link", name="Record an introduction or a first meeting").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an introduction or a first meeting")
    page.get_by_label("Someone introduced them").check()
    page.get_by_label("First person").select_option(label=story[0].name + " (Group in E08000001)")
    page.get_by_label("Second person").select_option(label=story[19].name + " (Group in E08000010)")
    page.locator("#made_on-day").fill("1")
    page.locator("#made_on-month").fill("2")
    page.locator("#made_on-year").fill(str(utcnow().year if utcnow().month > 2 else utcnow().year - 1))
    page.locator("#note").focus()
    page.keyboard.type("Both run walking groups")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Recorded the connection")
    _no_findings(page, "recorded connections")


def test_a_partner_reads_protected_borough_counts_on_a_phone(browser_page, create_user, story):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 800})
    browser_sign_in(page, create_user("partner", boroughs=["E08000005"]), PASSWORD)
    page.goto("/networks/boroughs")
    expect(page.get_by_role("heading", level=1)).to_have_text("New connections between boroughs")
    table = page.get_by_role("table", name="New connections by borough")
    expect(table).to_be_visible()
    assert "Person" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _no_findings(page, "partner connections page at 375px")
    screenshot(page, "connections-partner-375")
