"""A sweep the way people use the service: every page each demo role can reach, on phones and a desktop.

Each role seeds the real demo data, signs in, visits every link in the header and on the home page,
then each page's own task buttons and the first item in its main table or list. Every page is loaded once
and looked at 375, 320 and 1280 px wide (resizing, not reloading, so the sweep stays quick): it must have
no axe finding of any impact at the narrowest phone and the desktop, log no console errors, ask no other
host for anything, fit the phone widths without sideways scrolling and have exactly one h1. Axe runs at
320 and 1280 px: 375 px has the same phone layout as 320 (the design system's breakpoint is 641 px), and
whatever scrolls or crowds at 375 does so at 320 too, so a third run found nothing more and took a
third of the sweep's axe time (about 0.6 s a page). Problems are collected across pages so one run reports them all.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ALL_IMPACTS,
    axe_violations,
    browser_sign_in,
    screenshot,
)
from tests.conftest import PASSWORD

PHONE_WIDTH = 375
# The phone width first (the page is loaded at it), then the narrowest phones, then a desktop.
WIDTHS = (PHONE_WIDTH, 320, 1280)
AXE_WIDTHS = (320, 1280)  # the narrowest phone and the desktop (375 shares the phone layout)
ROLES = ("coordinator", "finance", "partner.rochdale", "contributor")
# Files, not pages: following them would start a download.
NOT_PAGES = (".csv", ".ttl", ".json", ".jsonld", ".rdf", ".pdf", ".zip", ".xlsx", ".geojson")
# The first link in a page's main table or list: a detail page.
DETAIL_LINK = (
    "main table tbody a[href], main .govuk-summary-card a[href], "
    "main ul.govuk-list:not(.app-task-list) a[href], main .app-list a[href]"
)

# The outermost elements that stick out past the screen's right edge, to say what to fix.
WIDEST_ELEMENTS = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1
          && e.parentElement.getBoundingClientRect().right <= width + 1)
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(' ').join('.') : '')
            + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')"""


def seed_demo() -> None:
    """The same data `flask demo seed` creates, at its default size."""
    from coordination import _import_optional, demo

    demo.seed_accounts(PASSWORD)
    for area in demo.SEED_ORDER:
        module = _import_optional(f"coordination.{area}.demo")
        if module is not None:
            module.seed(None)


def is_page(href: str | None, origin: str) -> bool:
    """An in-app page worth visiting (not a file, an anchor, mail or another site)."""
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return False
    url = urljoin(origin + "/", href)
    parts = urlsplit(url)
    return parts.netloc == urlsplit(origin).netloc and not parts.path.lower().endswith(NOT_PAGES)


def page_links(page, selector: str, origin: str) -> list[str]:
    """In-app page paths behind the links matching selector, in page order, without repeats."""
    hrefs = page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")
    paths = []
    for href in hrefs:
        if is_page(href, origin):
            parts = urlsplit(urljoin(origin + "/", href))
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in paths:
                paths.append(path)
    return paths


def check_page(page, path: str, origin: str, label: str) -> list[str]:
    """Visit path and return what is wrong with it at each width (empty when nothing is)."""
    page.hosts.clear()
    page.console_errors.clear()
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    response = page.goto(path)
    problems = []
    if response is None or response.status >= 400:
        return [f"{path}: HTTP {response.status if response else 'no response'}"]
    expect(page.locator("main")).to_be_visible()
    page.wait_for_load_state("load")
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{path}: {headings} h1 elements")
    for width in WIDTHS:
        if width != WIDTHS[0]:
            page.set_viewport_size({"width": width, "height": 800})
        for v in axe_violations(page, ALL_IMPACTS) if width in AXE_WIDTHS else []:
            problems.append(
                f"{path} at {width} px: axe {v['id']} ({v['impact']}): {v['help']} at "
                f"{[n['target'] for n in v['nodes'][:3]]}"
            )
        if width <= PHONE_WIDTH:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(
                    f"{path}: scrolls sideways at {width} px (document is {scroll} px wide; "
                    f"too wide: {page.evaluate(WIDEST_ELEMENTS, width)})"
                )
        if width == PHONE_WIDTH:
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-").replace("&", "-") or "home"
            # The first screenful only: a full-page picture of a long list costs seconds and says little more.
            screenshot(page, f"sweep-{label}-{name}"[:120], full_page=False)
    others = page.hosts - {urlsplit(origin).netloc}
    if others:
        problems.append(f"{path}: requests to other hosts {sorted(others)}")
    if page.console_errors:
        problems.append(f"{path}: console errors {page.console_errors}")
    for problem in problems:
        print(f"SWEEP {label}: {problem}", flush=True)  # seen at once with -s, before the run ends
    return problems


@pytest.mark.parametrize("email_name", ROLES)
def test_every_page_a_demo_role_reaches_is_accessible_and_fits_a_phone(browser_page, live_server, email_name):
    from coordination.accounts.models import User
    from coordination.extensions import db

    seed_demo()
    # As `make run` and a server's timer do: partners' small-number-checked figures made ahead of time.
    from coordination.engagement import publication

    publication.publish_all()
    user = db.session.scalar(db.select(User).where(User.email == f"{email_name}@example.org"))
    page = browser_page
    origin = live_server.url
    browser_sign_in(page, user, PASSWORD)
    label = email_name.split(".")[0]

    problems = check_page(page, "/", origin, label)
    to_visit = page_links(page, "header a[href], main a[href]", origin)
    visited = {"/"}
    for path in to_visit:
        if path in visited:
            continue
        visited.add(path)
        problems += check_page(page, path, origin, label)
        details = page_links(page, DETAIL_LINK, origin)
        detail = next((d for d in details if d not in visited), None)
        # The page's own tasks (buttons such as "Prompt payment dashboard") and its first item.
        for next_path in page_links(page, "main .govuk-button-group a[href]", origin) + ([detail] if detail else []):
            if next_path not in visited:
                visited.add(next_path)
                problems += check_page(page, next_path, origin, label)
    print(f"{email_name}: {len(visited)} pages: {' '.join(sorted(visited))}")
    assert len(visited) > 3, visited
    assert not problems, f"{len(problems)} problems on {len(visited)} pages:\n" + "\n".join(problems)
