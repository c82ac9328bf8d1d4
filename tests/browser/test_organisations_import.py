"""Real Chromium: the register imported in the background (the progress page refreshes itself), then undone."""

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD

FIXTURES = Path(__file__).parent.parent / "organisations" / "fixtures"


def test_a_coordinator_imports_a_borough_register_in_the_background_and_undoes_it(browser_page, create_user, app):
    page = browser_page
    app.config["IMPORT_IN_BACKGROUND"] = True
    try:
        browser_sign_in(page, create_user("coordinator"), PASSWORD)
        page.goto("/organisations/import")
        page.set_input_files("input#file", str(FIXTURES / "bolton-register-extract.csv"))
        page.click("button#submit")
        expect(page.locator("h1")).to_have_text("Check the columns")
        expect(page.locator("#register-note")).to_contain_text("Charity Commission register")
        page.check("input[name=operates_in][value=E08000001]")
        page.click("button#submit")
        # The page refreshes itself (no script needed) until the background import has finished.
        expect(page.locator("h1")).to_have_text("Finished", timeout=30000)
    finally:
        app.config["IMPORT_IN_BACKGROUND"] = False
    expect(page.locator('[data-count="created"]')).to_have_text("35")
    expect(page.locator('[data-count="refused"]')).to_have_text("0")
    expect(page.locator("#warnings")).to_contain_text("books at example.org")
    assert_accessible(page)
    screenshot(page, "organisations-import-finished")
    page.click("form[action$='/undo'] button")
    expect(page.locator("h1")).to_have_text("Undone")
    expect(page.locator("#undo-result")).to_contain_text("35 removed")
    assert_accessible(page)
    screenshot(page, "organisations-import-undone")
    page.goto("/organisations/imports")
    expect(page.locator("#imports tbody tr")).to_have_count(1)
    assert_accessible(page)
    assert page.console_errors == []
