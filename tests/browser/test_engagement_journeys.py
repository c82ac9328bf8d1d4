"""Real Chromium: a Rochdale partner's engagement journey, and the coordinator's gap map; axe on each page."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from coordination.engagement import gap_map
from coordination.extensions import db
from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.communities import factories as f
from tests.conftest import PASSWORD

ROCHDALE = "E08000005"
BOROUGHS = tuple(f"E08{n:06d}" for n in range(1, 11))


@pytest.fixture
def story(app):
    gap_map.cache().clear()
    peer = f.concept("peer support")
    community = f.community("Peer support community of practice", area=peer)
    event = f.event(community, datetime.now().replace(microsecond=0))
    for n, code in enumerate(BOROUGHS):
        for k in range(3 if code == ROCHDALE else 8):
            org = f.organisation(
                f"{code} organisation {k}", code, [peer], latitude=53.45 + n * 0.01, longitude=-2.5 + n * 0.04
            )
            if k < (1 if code == ROCHDALE else 6):
                f.attend(event, f.person(organisation=org))
    db.session.commit()
    yield peer
    gap_map.cache().clear()


def test_a_rochdale_partner_sees_their_borough_the_gap_map_and_downloads_an_outreach_list(
    browser_page, create_user, story
):
    page = browser_page
    partner = create_user("partner", name="Sue Whitworth", boroughs=[ROCHDALE])
    browser_sign_in(page, partner, PASSWORD)
    page.click(".govuk-service-navigation__link >> text=Engagement")
    expect(page.locator("h1")).to_have_text("Engagement and gaps")
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator(".geo-key .geo-legend").first).to_contain_text("Gap index")
    assert_accessible(page)
    screenshot(page, "engagement-overview-partner")
    page.click("text=Rochdale engagement by practice area")
    expect(page.locator("h1")).to_have_text("Rochdale: engagement by practice area")
    assert_accessible(page)
    screenshot(page, "engagement-borough-partner")
    page.click("a:has-text('eer support: 2 organisations never engaged')")
    expect(page.locator("h1")).to_have_text("Outreach list: Rochdale")
    assert_accessible(page)
    href = page.locator("#outreach-csv").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and "text/csv" in response.headers["content-type"]
    assert response.text().count("organisation") == 2
    response = page.request.get("/engagement/boroughs/E08000003")
    assert response.status == 403
    assert page.hosts <= {page.url.split("/")[2], "tile.openstreetmap.org"}  # tiles are the only other host
    assert not page.console_errors, page.console_errors


def _click_borough(page, code):
    """Hide the markers, then click the middle of a borough's shape on the map as a person would."""
    for box in page.locator(".geo-key__overlay input").all():
        if box.is_checked():
            box.uncheck()
    point = page.evaluate(
        """(code) => {
        var map = Object.values(window).find(v => v instanceof L.Map);
        var found = null;
        map.eachLayer(layer => {
            if (!found && layer.feature && layer.feature.properties.code === code && layer.getCenter) { found = layer; }
        });
        map.setView(found.getCenter(), map.getZoom(), {animate: false});  // away from the controls
        var p = map.latLngToContainerPoint(found.getCenter());
        var box = map.getContainer().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""",
        code,
    )
    page.mouse.click(point["x"], point["y"])


def test_the_coordinator_sees_all_ten_boroughs_and_clicking_one_on_the_map_opens_its_page(
    browser_page, create_user, story
):
    page = browser_page
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto(f"/engagement/?area={story.id}")
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator("#borough-figures tbody tr")).to_have_count(11)
    assert_accessible(page)
    screenshot(page, "engagement-gap-map-coordinator")
    page.locator(".geo-key__choice label", has_text="Engagement rate").click()
    expect(page.locator(".geo-key .geo-legend").first).to_contain_text("Engagement rate")
    page.locator(".geo-key__choice label", has_text="Gap index weighted by need").click()
    _click_borough(page, ROCHDALE)
    expect(page).to_have_url(re.compile(r"/engagement/boroughs/E08000005"))
    expect(page.locator("h1")).to_have_text("Rochdale: engagement by practice area")
    page.goto("/engagement/attendance")
    expect(page.locator("svg.app-chart")).to_be_visible()
    assert_accessible(page)
    assert not page.console_errors, page.console_errors


def test_the_gap_map_page_fits_a_phone(browser, live_server, create_user, story):
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    browser_sign_in(page, create_user("partner", boroughs=[ROCHDALE]), PASSWORD)
    page.goto("/engagement/boroughs/E08000005")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "engagement-borough-phone")
    page.goto("/engagement/")
    expect(page.locator(".leaflet-container")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "engagement-overview-phone")
    context.close()


HOSTILE = "<img src=x onerror=alert(1)>`${x}` Café & Co"


def test_the_gap_maps_tooltips_show_the_tables_figures_and_names_stay_text(browser_page, create_user, story):
    f.organisation(HOSTILE, ROCHDALE, [story], latitude=53.62, longitude=-2.16)
    db.session.commit()
    gap_map.cache().clear()
    page = browser_page
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto(f"/engagement/?area={story.id}")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    table = {
        row.locator("th").inner_text().strip(): row.locator("td[data-figure=gap_index]").inner_text().strip()
        for row in page.locator("#borough-figures tbody tr").all()
    }
    # Each borough's tooltip in the shown layer, opened the way a pointer would.
    tooltips = page.evaluate(
        """() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const group = Object.values(window).find(v => v instanceof L.GeoJSON && map.hasLayer(v));
            const texts = [];
            group.eachLayer(layer => {
                layer.fire("mouseover", {latlng: layer.getCenter()}, true);
                texts.push(group.getTooltip().getElement().innerText);
            });
            return texts;
        }"""
    )
    assert len(tooltips) == 10
    for text in tooltips:
        name = re.search(r"Borough\s+(.+)", text).group(1).strip()
        assert re.search(r"Gap index\s+" + re.escape(table[name]) + r"\s", text + "\n"), (name, text)
    # The organisation's name, from its marker, reads literally and runs nothing.
    shown = page.evaluate(
        """(name) => {
            const cluster = Object.values(window).find(v => v instanceof L.MarkerClusterGroup);
            const marker = cluster.getLayers().find(m => String(m.getTooltip().getContent()).includes("Caf"));
            return new Promise(resolve => cluster.zoomToShowLayer(marker, () => {
                marker.openTooltip();
                resolve(marker.getTooltip().getElement().innerText);
            }));
        }""",
        HOSTILE,
    )
    assert shown == HOSTILE
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.locator("img[src='x']").count() == 0
    assert not page.console_errors, page.console_errors


def test_a_partner_waiting_for_checked_figures_gets_a_page_that_says_so_and_passes_axe(
    browser_page, create_user, story, app, live_server
):
    """Another worker is still checking this moment's figures (its claim is fresh), and there has never
    been a publication for this partner: the page says so, offers Try again and the guide, and is
    accessible like every other page."""
    from coordination.engagement import publication
    from coordination.engagement.models import EngagementPublication
    from coordination.timeutil import utcnow

    db.session.add(
        EngagementPublication(
            viewer=publication.viewer_key((ROCHDALE,)),
            moment=publication.fingerprint(),
            state=publication.BUILDING,
            started_at=utcnow(),
        )
    )
    db.session.commit()
    app.config["ENGAGEMENT_PUBLISH_IN_BACKGROUND"] = True
    try:
        page = browser_page
        partner = create_user("partner", name="Sue Whitworth", boroughs=[ROCHDALE])
        browser_sign_in(page, partner, PASSWORD)
        response = page.goto(live_server.url + "/engagement/")
        assert response.status == 503
        expect(page.locator("h1")).to_have_text("The figures are being prepared")
        expect(page.locator("a.govuk-button")).to_have_text("Try again")
        assert_accessible(page)
        screenshot(page, "engagement-being-prepared-partner")
        page.click("text=Why figures are checked (the small-number rule)")
        expect(page.locator("h1")).to_be_visible()
        assert "/help/" in page.url
    finally:
        app.config["ENGAGEMENT_PUBLISH_IN_BACKGROUND"] = False
