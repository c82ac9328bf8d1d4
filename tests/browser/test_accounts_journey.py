"""Real Chromium: sign in, move around the coordinator's pages, create an account; axe on every page."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD


def test_a_coordinator_signs_in_creates_an_account_and_every_page_passes_axe(browser_page, create_user):
    page = browser_page
    coordinator = create_user("coordinator", name="Amira Hussain")
    page.goto("/sign-in")
    assert_accessible(page)
    browser_sign_in(page, coordinator, PASSWORD)
    assert page.locator("h1").inner_text() == "Hello, Amira"
    assert_accessible(page)
    screenshot(page, "home-coordinator")
    page.click("text=Accounts >> nth=0")
    expect(page.locator("h1")).to_have_text("Accounts")
    assert_accessible(page)
    page.click("text=Create an account")
    expect(page.locator("h1")).to_have_text("Create an account")
    page.click("button#submit")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.fill("#name", "Priya Shah")
    page.fill("#email", "priya@example.org")
    page.check("input[value=partner]")
    page.check("input[value=E08000005]")
    page.click("button#submit")
    expect(page.locator("#setup-link")).to_have_value(re.compile("/set-password/"))
    assert_accessible(page)
    assert page.hosts == {page.url.split("/")[2]}
    assert not page.console_errors, page.console_errors


def test_the_sign_in_page_works_at_phone_width_with_the_keyboard_alone(browser, live_server, create_user):
    context = browser.new_context(viewport={"width": 320, "height": 640}, base_url=live_server.url)
    page = context.new_page()
    user = create_user("contributor", name="Jo Clarke")
    page.goto("/sign-in")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className").startswith("govuk-skip-link")
    page.focus("#email")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)
    assert page.locator("h1").inner_text() == "Hello, Jo"
    assert_accessible(page)
    screenshot(page, "home-contributor-phone")
    context.close()
