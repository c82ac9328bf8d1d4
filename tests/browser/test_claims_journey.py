"""Real Chromium at phone width, keyboard only: a contributor claims a fee, 23 car miles and care, then sends it."""

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, browser_sign_in, screenshot
from tests.conftest import PASSWORD


def _type_into(page, selector, text):
    page.focus(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _type_date(page, prefix, day):
    _type_into(page, f"#{prefix}-day", str(day.day))
    _type_into(page, f"#{prefix}-month", str(day.month))
    _type_into(page, f"#{prefix}-year", str(day.year))


def _choose(page, value):
    # Keyboard on a closed <select>: arrow down (or back up, if a slow key press overshot) until the option is chosen.
    # Each key press is applied asynchronously: wait for it to land before the next one, and put the focus back on
    # the select before every press (a slow page may still be settling after the last reload).
    options = page.eval_on_selector("#kind", "el => [...el.options].map(o => o.value)")
    target = options.index(value)
    seen = []
    for _ in range(4 * len(options) + 10):
        current = page.eval_on_selector("#kind", "el => el.value")
        seen.append(current)
        if current == value:
            return
        page.focus("#kind")
        page.keyboard.press("ArrowDown" if options.index(current) < target else "ArrowUp")
        for _ in range(150):
            if page.eval_on_selector("#kind", "el => el.value") != current:
                break
            page.wait_for_timeout(20)
    raise AssertionError(f"could not reach {value} with the keyboard; values seen: {seen}")


def test_a_contributor_sends_a_claim_on_a_phone_with_the_keyboard_alone(browser, live_server, create_user):
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    jo = create_user("contributor", name="Jo Clarke")
    when = date.today() - timedelta(days=2)
    browser_sign_in(page, jo, PASSWORD)
    page.goto("/claims")
    expect(page.locator("h1")).to_have_text("My claims")
    assert_accessible(page)
    screenshot(page, "claims-my-claims-phone")
    page.focus("text=Start a new claim")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Start a claim")
    _type_into(page, "#activity_description", "Carers' forum in Rochdale")
    _type_date(page, "activity_date", when)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your claim")
    assert_accessible(page)
    # Saved as you type: the script posts the draft, and a reload shows it.
    _type_into(page, "#activity_description", "Carers' forum in Rochdale, morning")
    expect(page.locator("#autosave-status")).to_have_text("Saved.", timeout=10000)
    page.reload()
    expect(page.locator("#activity_description")).to_have_value("Carers' forum in Rochdale, morning")

    _choose(page, "half_day_fee")
    page.focus("#submit")
    page.keyboard.press("Enter")
    expect(page.locator("#claim-total")).to_have_text("£50.00")
    _choose(page, "car_miles")
    # Only the questions for car miles show, so the form stays short on a phone.
    expect(page.locator("#miles")).to_be_visible()
    expect(page.locator("#passengers")).to_be_visible()
    expect(page.locator("#cost")).to_be_hidden()
    expect(page.locator("#agreed_by")).to_be_hidden()
    _type_into(page, "#miles", "23")
    page.keyboard.press("Enter")
    expect(page.locator("#claim-total")).to_have_text("£60.35")
    _choose(page, "replacement_care")
    _type_into(page, "#cost", "30")
    page.focus("#submit")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    expect(page.locator("#cost")).to_have_value("30")  # nothing typed is lost
    _type_into(page, "#agreed_by", "Amira Hussain")
    _type_date(page, "agreed_on", when - timedelta(days=7))
    page.focus("#submit")
    page.keyboard.press("Enter")
    expect(page.locator("#claim-total")).to_have_text("£90.35")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "claims-edit-phone")

    page.focus("text=Check and send")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Check and send your claim")
    assert_accessible(page)
    page.focus("#declaration")
    page.keyboard.press("Space")
    page.focus("#submit")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-tag").first).to_have_text("Sent – waiting for a check")
    expect(page.locator("#payment-target")).to_contain_text("We aim to pay by")
    assert_accessible(page)
    screenshot(page, "claims-sent-phone")
    assert not errors, errors
    context.close()


def test_the_coordinator_and_finance_pages_pass_axe_at_desktop_width(browser_page, create_user, app):
    from sqlalchemy import select

    from coordination.accounts.models import User
    from coordination.claims import demo
    from coordination.demo import seed_accounts
    from coordination.extensions import db

    seed_accounts(PASSWORD)
    demo.seed(None)
    page = browser_page
    amira = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    browser_sign_in(page, amira, PASSWORD)
    for url, name in (("/claims/review", "review"), ("/claims/dashboard", "dashboard"), ("/claims/policy", "policy")):
        page.goto(url)
        assert_accessible(page)
        screenshot(page, f"claims-{name}-desktop")
    page.goto("/claims/review")
    page.locator("table a.govuk-link").first.click()
    expect(page.locator("h2", has_text="Decide")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "claims-decide-desktop")
    page.context.clear_cookies()
    gareth = db.session.scalar(select(User).where(User.email == "finance@example.org"))
    browser_sign_in(page, gareth, PASSWORD)
    page.goto("/claims/payments")
    assert_accessible(page)
    screenshot(page, "claims-payments-desktop")
    page.locator("table a.govuk-link", has_text="PB-").first.click()
    expect(page.locator("h1")).to_contain_text("Payment batch")
    assert_accessible(page)
    assert not page.console_errors, page.console_errors
