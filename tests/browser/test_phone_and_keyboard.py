"""Real Chromium at 375 and 1280 px: the gap map, a borough page and the organisation map on a phone and by
keyboard (key closed on a phone, areas reachable with Tab, figures below the map, Enter opens the page,
clusters coloured by what they hold), each passing axe with no finding of any impact; screenshots for a
person to look at (SCREENSHOT_DIR, for example /tmp/shots-17)."""

import re

import pytest
from playwright.sync_api import expect

from coordination.engagement import gap_map
from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.browser.test_engagement_journeys import ROCHDALE, story  # noqa: F401  (fixture)
from tests.conftest import PASSWORD
from tests.organisations.conftest import create_organisation  # noqa: F401  (fixture)

WIDTHS = (375, 1280)


def _context(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return context, page


def _look(page, name, selector=".app-map"):
    """A screenshot of one part of the page (the map by default), small enough to look at."""
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).first.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _tab_to_first_area(page):
    """Press Tab from the map until a borough shape has the focus; return its accessible name."""
    page.focus(".leaflet-container")
    for _ in range(40):
        page.keyboard.press("Tab")
        name = page.evaluate("""() => { const el = document.activeElement;
            return el && el.tagName.toLowerCase() === 'path' ? el.getAttribute('aria-label') : null; }""")
        if name:
            return name
    raise AssertionError("no borough shape could be reached with Tab")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_partner_reads_the_gap_map_by_keyboard_and_opens_their_borough(
    browser, live_server, create_user, story, width
):  # noqa: F811
    context, page = _context(browser, live_server, width)
    browser_sign_in(page, create_user("partner", boroughs=[ROCHDALE]), PASSWORD)
    page.goto("/engagement/")
    expect(page.locator(".leaflet-container")).to_be_visible()
    toggle = page.locator(".geo-key__toggle")
    # Closed on a phone (the map stays readable), open on a desktop.
    expect(toggle).to_have_attribute("aria-expanded", "false" if width < 641 else "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"gap-map-partner-{width}")
    _look(page, f"look-gap-map-partner-{width}")
    _look(page, f"look-gap-chart-{width}", ".app-bars")
    if width < 641:
        toggle.click()
        expect(page.locator(".geo-key__panel")).to_be_visible()
        expect(page.locator(".geo-key__panel")).to_contain_text("Gap index")
        expect(page.locator(".geo-key__panel")).to_contain_text("thick green arc")
        _look(page, f"look-gap-map-key-open-{width}")
        page.locator(".geo-key__panel input[type=radio]").nth(2).check()
        expect(page.locator(".geo-key .geo-legend").first).to_contain_text("Engagement rate")
        toggle.click()
    # Every borough's gap index can be read on the phone: the bar chart fits and the table is beside it.
    for name in ("Bolton", "Bury", "Wigan"):
        bar = page.locator(".app-bars__item", has_text=name)
        box = bar.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, name
    # By keyboard: Tab reaches the boroughs, each announcing its name and figures, shown below the map too.
    first = _tab_to_first_area(page)
    assert "Gap index" in first
    for _ in range(12):
        label = page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if label.startswith("Rochdale"):
            break
        page.keyboard.press("Tab")
    assert label.startswith("Rochdale") and label.endswith("Opens its page"), label
    expect(page.locator(".geo-details__title")).to_have_text("Rochdale")
    _look(page, f"look-gap-map-keyboard-{width}")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/engagement/boroughs/E08000005"))
    expect(page.locator("h1")).to_have_text("Rochdale: engagement by practice area")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"engagement-borough-{width}")
    # How it is worked out, without leaving the service.
    page.click("text=How the gap index is worked out")
    expect(page).to_have_url(re.compile(r"/help/engagement#the-gap-index$"))
    expect(page.locator("h2#the-gap-index")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"help-gap-index-{width}")
    assert not page.console_errors, page.console_errors
    context.close()


def test_clusters_show_what_they_hold_not_how_many(browser, live_server, create_user, story):  # noqa: F811
    gap_map.cache().clear()
    context, page = _context(browser, live_server, 1280)
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto(f"/engagement/?area={story.id}")
    page.wait_for_selector(".geo-cluster", state="attached")
    # Every group's hidden text and arc agree with its markers: engaged share, not size, decides the look.
    groups = page.evaluate("""() => [...document.querySelectorAll('.geo-cluster')].map(el => ({
        text: el.querySelector('.geo-visually-hidden').textContent, background: el.style.background}))""")
    assert groups
    for group in groups:
        total, engaged = map(int, re.match(r"(\d+) organisations: (\d+) engaged", group["text"]).groups())
        assert f"{round(100 * engaged / total)}%" in group["background"]
    assert_accessible(page)
    screenshot(page, "gap-map-coordinator-1280")
    _look(page, "look-gap-map-coordinator-1280")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_boroughs_map_reaches_each_borough_by_keyboard(browser, live_server, create_user, width):
    context, page = _context(browser, live_server, width)
    browser_sign_in(page, create_user("contributor"), PASSWORD)
    page.goto("/boroughs")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    expect(page.locator(".geo-place-label")).to_have_count(10)  # the drawn background names the boroughs
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"boroughs-{width}")
    _look(page, f"look-boroughs-{width}")
    name = _tab_to_first_area(page)
    assert name.startswith("Bolton") and "Population (2021)" in name
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Bolton")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    assert_accessible(page)
    screenshot(page, f"borough-bolton-{width}")
    _look(page, f"look-borough-bolton-{width}")
    assert not page.console_errors, page.console_errors
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_organisation_map_and_list_fit_and_pass_axe(browser, live_server, create_user, create_organisation, width):  # noqa: F811
    for n, postcode in enumerate(["BL1 1RU", "M1 1AD", "OL16 1AA", "WN1 1XL", "SK1 3XE", "M3 2BW"]):
        create_organisation(name=f"Organisation {n} with a long name for a small screen", postcode=postcode)
    context, page = _context(browser, live_server, width)
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/organisations/map?borough=all")
    expect(page.locator(".folium-map[data-view-loaded]")).to_have_attribute("data-view-loaded", "6")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"organisations-map-{width}")
    _look(page, f"look-organisations-map-{width}")
    page.goto("/organisations?borough=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width < 641:
        # A card per organisation: each cell says which column it is.
        assert page.locator("table.app-stack-table thead").evaluate("el => el.getBoundingClientRect().height") <= 1
        expect(page.locator("td[data-label='Address in']").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"organisations-list-{width}")
    _look(page, f"look-organisations-list-{width}", "table")
    context.close()


@pytest.mark.parametrize("width", (320,) + WIDTHS)
def test_the_claim_journey_fits_and_passes_axe(browser, live_server, create_user, width):
    from datetime import date, timedelta

    context, page = _context(browser, live_server, width)
    browser_sign_in(page, create_user("contributor", name="Jo Clarke"), PASSWORD)
    page.goto("/claims")
    page.click("text=Start a new claim")
    page.fill("#activity_description", "Carers' forum in Rochdale")
    when = date.today() - timedelta(days=2)
    for part, value in (("day", when.day), ("month", when.month), ("year", when.year)):
        page.fill(f"#activity_date-{part}", str(value))
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Your claim")
    page.select_option("#kind", "half_day_fee")
    page.click("#submit")
    expect(page.locator("#claim-total")).to_have_text("£50.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"claim-edit-{width}", full_page=False)
    page.click("text=Check and send")
    expect(page.locator("h1")).to_have_text("Check and send your claim")
    assert_accessible(page)
    page.check("#declaration")
    page.click("#submit")
    expect(page.locator("#payment-target")).to_contain_text("We aim to pay by")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    screenshot(page, f"claim-sent-{width}", full_page=False)
    assert not page.console_errors, page.console_errors
    context.close()


def test_every_guide_fits_the_narrowest_phone(browser, live_server, create_user):
    from coordination.help.guides import GUIDES

    context, page = _context(browser, live_server, 320)
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    for guide in GUIDES:
        page.goto(f"/help/{guide.slug}")
        for width in (320, 375):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (guide.slug, width)
        page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    context.close()
