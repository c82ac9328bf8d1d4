"""Real Chromium (issue 15): a set-up link becomes a token-free page; the throttled sign-in page; axe on each."""

import re

from playwright.sync_api import expect

from coordination.accounts import operations
from tests.browser.conftest import assert_accessible, screenshot
from tests.conftest import PASSWORD


def test_a_newcomer_follows_the_set_up_link_and_the_token_leaves_the_address_bar(browser, live_server, create_user):
    coordinator = create_user("coordinator")
    person = operations.create_user(
        email="newcomer@example.org", name="Priya Shah", role="contributor", actor=coordinator
    )
    token = operations.issue_link(person, "setup", actor=coordinator)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto(f"/set-password/{token}")
    assert page.url.endswith("/set-password") and token not in page.url
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "set-password-token-free")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("button#submit")
    page.wait_for_url(lambda url: "/set-password" not in url)
    assert page.locator("h1").inner_text() == "Hello, Priya"
    context.close()


def test_the_paused_sign_in_page_says_how_long_to_wait(browser, live_server, create_user):
    user = create_user("contributor")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    for _ in range(6):
        page.goto("/sign-in")
        page.fill("#email", user.email)
        page.fill("#password", "not the password")
        page.click("button#submit")
    expect(page.locator("h1")).to_have_text("Too many attempts to sign in")
    # A 30-second pause after the sixth failure, counted from the fifth: a slow machine may take a second
    # or more between the two, so the page can already say a little less.
    wait = re.search(r"Wait (\d+) seconds, then try again", page.locator("main").inner_text())
    assert wait and 20 <= int(wait.group(1)) <= 30, page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "sign-in-paused")
    context.close()
