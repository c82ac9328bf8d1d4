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
    for name, postcode in zip(XSS_NAMES, POSTCODES):
        create_organisation(name=name, postcode=postcode)
    browser_sign_in(page, create_user("coordinator"), PASSWORD)
    page.goto("/organisations/map?borough=all")
    expect(page.locator("h1")).to_have_text("Map of organisations")
    expect(page.locator(".folium-map[data-points-loaded]")).to_have_attribute("data-points-loaded", "6")
    # Open every point's popup: spiderfy clusters by zooming right in, then click each marker.
    page.evaluate("""() => {
        const map = window[document.querySelector('.folium-map').id];
        map.setView([53.5, -2.3], 18);
        map.eachLayer(layer => { if (layer instanceof L.MarkerClusterGroup) {
            layer.getLayers().forEach(marker => { layer.zoomToShowLayer(marker, () => marker.openPopup()); });
        }});
    }""")
    page.wait_for_timeout(500)
    texts = page.evaluate("""() => {
        const map = window[document.querySelector('.folium-map').id];
        const out = [];
        map.eachLayer(layer => { if (layer instanceof L.MarkerClusterGroup) {
            layer.getLayers().forEach(marker => {
                const div = document.createElement('div');
                const content = marker.getPopup().getContent();
                div.innerHTML = typeof content === 'function' ? content(marker) : content;
                out.push(div.textContent);
            });
        }});
        return out;
    }""")
    assert sorted(texts) == sorted(XSS_NAMES)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert page.hosts == {page.url.split("/")[2]}, page.hosts
    assert not page.console_errors, page.console_errors
    assert_accessible(page)
    screenshot(page, "organisations-map")


def test_the_list_and_record_pages_pass_axe_at_desktop_and_phone_width(browser_page, create_user,
                                                                      create_organisation):
    page = browser_page
    org = create_organisation(name="Bolton Community Food Network", postcode="BL1 1RU",
                              description="Food bank and community pantry", operates_in=["E08000001"],
                              website="boltonfood.org.uk")
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
    source.write_bytes("Group name,Post code,Areas served\nCafé Hope,m3 2bw,Salford\nNo Postcode Group,,\n,M1 1AD,\n"
                       .encode("cp1252"))
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
