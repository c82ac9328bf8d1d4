"""The issue's 'done when': a phone claim for someone without an account, approved by another coordinator,
paid by finance in a batch for three contributors with three preferences; notices, tax-year totals and the
audit trail seen in a real browser."""

import csv
import io
import os
from datetime import date, timedelta

from playwright.sync_api import expect

from coordination.claims import operations as ops
from coordination.communities.models import Person
from coordination.extensions import db
from tests.browser.conftest import assert_accessible, browser_sign_in
from tests.claims.conftest import make_claim, quick_user  # noqa: F401 (the claim factories)
from tests.conftest import PASSWORD

SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp/claims-as-lived")


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _context(browser, live_server, width=1280):
    return browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url, accept_downloads=True
    )


def test_phone_claim_to_paid_batch_with_three_preferences(browser, live_server, create_user, make_claim):
    amira = create_user("coordinator", name="Amira Hussain")
    bilal = create_user("coordinator", name="Bilal Khan")
    gareth = create_user("finance", name="Gareth Evans")
    ann = create_user("contributor", name="Ann Voucher")
    cat = create_user("contributor", name="Cat Expenses")
    jo = Person(name="Jo Clarke")
    db.session.add(jo)
    db.session.commit()
    ops.save_profile(ann, payment_preference="voucher", payee_reference="PAY-ANN", access_needs="", actor=ann)
    ops.save_profile(cat, payment_preference="expenses_only", payee_reference="PAY-CAT", access_needs="", actor=cat)
    make_claim(ann, state="approved", approver=bilal)
    claim = ops.create_claim(cat, actor=cat, activity_description="Forum", activity_date=date.today())
    ops.add_line(claim, actor=cat, kind="bicycle_miles", quantity="12")
    ops.submit_claim(claim, actor=cat, declared=True)
    ops.approve_claim(claim, actor=bilal)

    # A coordinator takes Jo's claim by phone.
    context = _context(browser, live_server)
    page = context.new_page()
    browser_sign_in(page, amira, PASSWORD)
    page.goto("/claims/on-behalf")
    page.select_option("#claimant", f"person-{jo.id}")
    page.fill("#activity_description", "Patient panel, Oldham")
    when = date.today() - timedelta(days=2)
    page.fill("#activity_date-day", str(when.day))
    page.fill("#activity_date-month", str(when.month))
    page.fill("#activity_date-year", str(when.year))
    page.click("button#submit")
    expect(page.locator("h1")).to_have_text("Jo's claim")
    page.click("text=Change how Jo is paid")
    page.check("input[name=payment_preference][value=fee_and_expenses]")
    page.fill("#payee_reference", "PAY-JO")
    page.click("button#submit")
    expect(page.locator("h1")).to_have_text("Jo's claim")
    page.select_option("#kind", "half_day_fee")
    page.click("button#submit")
    page.select_option("#kind", "car_miles")
    page.fill("#miles", "23")
    page.click("button#submit")
    expect(page.locator("#claim-total")).to_have_text("£60.35")
    assert_accessible(page)
    _shot(page, "1-coordinator-enters-phone-claim")
    page.click("text=Check and send")
    expect(page.locator("h1")).to_have_text("Check and send Jo's claim")
    expect(page.locator("label[for=declaration]")).to_contain_text("I confirm Jo Clarke told me")
    _shot(page, "2-check-and-send-jos-claim")
    page.check("#declaration")
    page.click("button#submit")
    expect(page.locator("#not-allowed")).to_contain_text("you entered this claim, so another coordinator must")
    _shot(page, "3-entering-coordinator-cannot-approve")
    jo_claim_url = page.url
    context.close()

    # Another coordinator approves it.
    context = _context(browser, live_server)
    page = context.new_page()
    browser_sign_in(page, bilal, PASSWORD)
    page.goto(jo_claim_url)
    page.check("input[name=decision][value=approve]")
    page.click("button#submit")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved")
    context.close()

    # Finance pays one batch for the three of them.
    context = _context(browser, live_server)
    page = context.new_page()
    browser_sign_in(page, gareth, PASSWORD)
    page.goto("/claims/payments")
    page.click("text=Build a payment batch")
    expect(page.locator("h1")).to_contain_text("Payment batch PB-")
    expect(page.locator("#bank-total")).to_have_text("£103.10")  # Jo £60.35 + Ann's expenses £40.35 + Cat £2.40
    expect(page.locator("#voucher-total")).to_have_text("£50.00")
    assert_accessible(page)
    _shot(page, "4-finance-batch-fees-expenses-vouchers")
    csv_text = page.request.get(page.url + ".csv").text()
    rows = {(r["payee_name"], r["payment_kind"], r["amount"]) for r in csv.DictReader(io.StringIO(csv_text))}
    assert rows == {
        ("Jo Clarke", "fee", "50.00"),
        ("Jo Clarke", "expenses", "10.35"),
        ("Ann Voucher", "expenses", "40.35"),
        ("Ann Voucher", "voucher", "50.00"),
        ("Cat Expenses", "expenses", "2.40"),
    }
    page.click("text=Mark the batch paid")
    expect(page.locator(".govuk-tag--green")).to_have_text("Paid")
    context.close()

    # Ann sees one notice and her fee counted as a voucher.
    context = _context(browser, live_server, width=375)
    page = context.new_page()
    browser_sign_in(page, ann, PASSWORD)
    page.goto("/claims")
    expect(page.locator(".govuk-notification-banner")).to_have_count(1)
    expect(page.locator("#current-notice")).to_contain_text("has been paid")
    expect(page.locator("#tax-year-vouchers")).to_have_text("£50.00")
    expect(page.locator("#tax-year-expenses")).to_have_text("£40.35")
    assert_accessible(page)
    _shot(page, "5-contributor-one-notice-phone")
    context.close()

    # The audit page shows each step.
    context = _context(browser, live_server)
    page = context.new_page()
    browser_sign_in(page, amira, PASSWORD)
    page.goto("/audit")
    table = page.locator(".app-history__table")
    for step in (
        "Started a claim",
        "Saved someone's payment details",
        "Sent a claim",
        "Approved a claim",
        "Built a payment batch",
        "Marked a payment batch paid",
        "Marked a claim paid",
    ):
        expect(table).to_contain_text(step)
    assert_accessible(page)
    _shot(page, "6-audit-log")
    context.close()
