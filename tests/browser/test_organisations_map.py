"""Real Chromium: the organisations map with hostile names, the list and the import journey; axe on each page."""

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD
from tests.organisations.conftest import create_organisation  # noqa: F401  (fixture)

XSS_NAMES = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "Back`tick`s",
    "</script><script>alert(1)</script>",
    "Back\\slash\\",
    "\"Double\" and 'single' quotes",
]
POSTCODES = ["BL1 1RU", "M1 1AD", "OL16 1AA", "WN1 1XL", "SK1 3XE", "M3 2BW"]


def test_the_map_shows_hostile_names_as_text_and_runs_no_script(browser_page, create_user, create_organisation):
    page = browser_page
    orgs = [create_organisation(name=name, postcode=postcode) for name, postcode in zip(XSS_NAMES, POSTCODES)]
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/organisations/map?borough=all")
    expect(page.locator("h1")).to_have_text("Map of organisations")
    # The server sends what the view needs: every organisation is counted in it, most inside groups.
    expect(page.locator(".folium-map[data-view-loaded]")).to_have_attribute("data-view-loaded", "6")
    markers = page.locator(".leaflet-marker-pane .leaflet-marker-icon")
    assert markers.count() >= 1
    for index in range(markers.count()):
        marker = markers.nth(index)
        assert marker.get_attribute("tabindex") == "0" and marker.get_attribute("role") == "button"
        assert marker.get_attribute("aria-label")
    expect(page.locator("#map-view-summary")).to_contain_text("In this view: 6 organisations")
    assert_accessible(page)
    screenshot(page, "organisations-map-clusters")

    # A group can be opened from the keyboard: focus it, press Enter, and the map zooms in.
    cluster = page.locator(".app-map-cluster").first
    if cluster.count():
        zoom = int(page.locator(".folium-map").get_attribute("data-view-zoom"))
        cluster.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".folium-map")).not_to_have_attribute("data-view-zoom", str(zoom))

    # Close in, each organisation is its own marker; open every popup and read it as text.
    texts = []
    for org in orgs:
        page.evaluate(
            "([lat, lon]) => window[document.querySelector('.folium-map').id].setView([lat, lon], 17)",
            [org.latitude, org.longitude],
        )
        expect(page.locator(".folium-map")).to_have_attribute("data-view-zoom", "17")
        page.wait_for_function("() => document.querySelectorAll('.app-map-place').length > 0")
        texts += page.evaluate(
            """([lat, lon]) => {
            const map = window[document.querySelector('.folium-map').id];
            const out = [];
            map.eachLayer(layer => {
                if (layer instanceof L.Marker && layer.getPopup() && layer.getLatLng().distanceTo([lat, lon]) < 5) {
                    layer.openPopup();
                    const div = document.createElement('div');
                    div.innerHTML = layer.getPopup().getElement().querySelector('.leaflet-popup-content').innerHTML;
                    div.querySelectorAll('li').forEach(li => out.push(li.textContent));
                }
            });
            return out;
        }""",
            [org.latitude, org.longitude],
        )
    assert sorted(set(texts)) == sorted(XSS_NAMES)
    place = page.locator(".app-map-place").first
    assert place.get_attribute("aria-label")
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert page.hosts == {page.url.split("/")[2]}, page.hosts
    assert not page.console_errors, page.console_errors
    page.wait_for_timeout(500)  # Leaflet fades popups in: check colours once they are fully shown
    assert_accessible(page)
    screenshot(page, "organisations-map")


def test_the_list_and_record_pages_pass_axe_at_desktop_and_phone_width(browser_page, create_user, create_organisation):
    page = browser_page
    org = create_organisation(
        name="Bolton Community Food Network",
        postcode="BL1 1RU",
        description="Food bank and community pantry",
        operates_in=["E08000001"],
        website="boltonfood.org.uk",
    )
    create_organisation(name="Cheshire Carers", postcode="WA1 1UH")
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/organisations?q=food&borough=all")
    expect(page.locator("h1")).to_have_text("Organisations")
    assert_accessible(page)
    screenshot(page, "organisations-list")
    page.click("text=Bolton Community Food Network")
    expect(page.locator("h1")).to_have_text("Bolton Community Food Network")
    assert_accessible(page)
    screenshot(page, "organisations-record")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/organisations?borough=all")
    assert_accessible(page)
    screenshot(page, "organisations-list-375")
    page.goto(f"/organisations/{org.id}/edit")
    assert_accessible(page)
    screenshot(page, "organisations-edit-375")
    assert page.dialogs == []


def test_a_coordinator_imports_a_file_through_the_preview(browser_page, create_user, tmp_path):
    page = browser_page
    source = tmp_path / "groups.csv"
    source.write_bytes(
        "Group name,Post code,Areas served\nCafé Hope,m3 2bw,Salford\nNo Postcode Group,,\n,M1 1AD,\n".encode("cp1252")
    )
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/organisations/import")
    assert_accessible(page)
    page.set_input_files("input#file", str(source))
    page.click("button#submit")
    expect(page.locator("h1")).to_have_text("Check the columns")
    expect(page.locator("#encoding")).to_have_text("Windows-1252")
    assert_accessible(page)
    screenshot(page, "organisations-import-mapping")
    page.click("button#submit")
    expect(page.locator("h1")).to_have_text("Finished")
    expect(page.locator('[data-count="created"]')).to_have_text("2")
    expect(page.locator('[data-count="refused"]')).to_have_text("1")
    assert_accessible(page)
    screenshot(page, "organisations-import-summary")
