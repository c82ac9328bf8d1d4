"""The borough pages in Chromium: hostile labels stay text, only our host (and tiles) is contacted, axe passes."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD
from tests.geo.conftest import XSS_CORPUS

TILE_HOST = "tile.openstreetmap.org"


@pytest.fixture
def hostile_names(monkeypatch):
    """Borough names replaced by the XSS corpus, as if someone had typed them."""
    from coordination.geography import queries

    real = queries.borough_facts
    names = (XSS_CORPUS * 2)[:10]

    def facts():
        rows = real()
        for row, name in zip(rows, names):
            row["name"] = name
        return rows

    monkeypatch.setattr(queries, "borough_facts", facts)
    # A stored map frame is keyed by the facts it is drawn from: these names draw a frame of their own.
    return names


@pytest.fixture
def with_tiles(app, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_URL", f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png")


def _tooltips(page) -> list[str]:
    """Open every borough's tooltip the way a pointer would, and read what it shows."""
    layer = re.search(r"var (geo_json_\w+) = L\.geoJson", page.content()).group(1)
    return page.evaluate(
        """(name) => {
            const group = window[name];
            const texts = [];
            group.eachLayer((layer) => {
                layer.fire("mouseover", {latlng: layer.getCenter()}, true);
                texts.push(group.getTooltip().getElement().innerText);
            });
            return texts;
        }""",
        layer,
    )


def test_hostile_borough_names_show_literally_and_run_nothing(
    browser_page, create_user, live_server, hostile_names, with_tiles
):
    page = browser_page
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/boroughs")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    assert page.locator("path.leaflet-interactive").count() == 10

    shown = _tooltips(page)
    cells = page.locator("table.govuk-table tbody th").all_inner_texts()
    for name in hostile_names:
        assert any(name in text for text in shown), name
        assert name in cells
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.hosts <= {urlsplit(live_server.url).netloc, TILE_HOST}
    assert TILE_HOST in page.hosts  # the basemap was asked for (and blocked): the map still drew


def test_the_boroughs_page_passes_axe_and_contacts_no_other_host(browser_page, create_user, live_server):
    page = browser_page
    browser_sign_in(page, create_user("partner"), PASSWORD)
    page.goto("/boroughs")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    page.wait_for_selector(".geo-legend")
    assert_accessible(page)
    assert page.console_errors == []
    assert page.hosts == {urlsplit(live_server.url).netloc}
    screenshot(page, "boroughs-1280")
    # Reload at phone width so the map fits its bounds as a phone would.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.wait_for_selector(".geo-key")  # the key starts closed on a phone
    assert_accessible(page)
    screenshot(page, "boroughs-375")


def test_one_borough_page_passes_axe(browser_page, create_user, live_server, with_tiles):
    page = browser_page
    browser_sign_in(page, create_user("contributor"), PASSWORD)
    page.goto("/boroughs/E08000005")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    assert_accessible(page)
    assert page.dialogs == []
    assert page.hosts <= {urlsplit(live_server.url).netloc, TILE_HOST}
    screenshot(page, "borough-rochdale-1280")


def test_a_hostile_name_on_one_borough_page_is_shown_as_text(browser_page, create_user, live_server, hostile_names):
    page = browser_page
    browser_sign_in(page, create_user("finance"), PASSWORD)
    page.goto("/boroughs/E08000001")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    assert page.locator("h1").inner_text() == hostile_names[0]
    shown = _tooltips(page)
    assert any(hostile_names[0] in text for text in shown)
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.hosts == {urlsplit(live_server.url).netloc}
