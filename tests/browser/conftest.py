"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, with axe checks."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# SCREENSHOT_DIR puts screenshots elsewhere (for example /tmp/shots-17 while reviewing a change).
ARTIFACTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh page; records every request host, console error and dialog for assertions."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.hosts = set()
    page.dialogs = []
    page.console_errors = []
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # Tiles are the only third-party requests a page may make; tests never reach the internet.
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    yield page
    context.close()


def browser_sign_in(page, user, password: str) -> None:
    """Sign in through the real form."""
    page.goto("/sign-in")
    page.fill("#email", user.email)
    page.fill("#password", password)
    page.click("button#submit")
    page.wait_for_url(lambda url: "/sign-in" not in url)


ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
_AXE_SCRIPT = None


def axe_violations(page, minimum=("serious", "critical")) -> list[dict]:
    """Run axe on the current page; return the violations of the impacts named (serious and critical unless told)."""
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE_SCRIPT = Axe().axe_script
    # Injected once per page load (parsing axe is most of the cost of a check), then run as often as needed.
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(_AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in minimum]


def assert_accessible(page, impacts=ALL_IMPACTS) -> None:
    """Fail with a readable list when axe finds any problem (of the impacts named: every impact unless told)."""
    violations = axe_violations(page, impacts)
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in violations
    )


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ (or SCREENSHOT_DIR) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
