"""The dashboard in a real browser: headless system Chromium driven by Playwright (which cannot
download its own browser here), and a page session that refuses and records any request leaving the
gateway. Screenshots land in the test's tmp dir (`<basetemp>/<test>/screens`)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.client import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000
"""How long an expectation waits for the page (a bound against hanging, not a timing assertion)."""
PHONE = {"width": 390, "height": 844}
REFUSED_FORM = "the server responded with a status of 422"
"""What the browser logs for a form the API refused (the page shows the API's message)."""


def playwright_expect() -> Any:
    """Playwright's `expect`, waiting up to WAIT_MS; called at a module's top, it skips the module where
    Playwright is not installed."""
    expect = pytest.importorskip("playwright.sync_api").expect
    expect.set_options(timeout=WAIT_MS)
    return expect


@contextmanager
def chromium(playwright_api: Any) -> Iterator[Any]:
    """The system Chromium, headless; a clear failure when it is missing."""
    if shutil.which(CHROMIUM) is None:
        raise AssertionError(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """A browser page on the gateway that records any request to another origin."""

    def __init__(self, browser: Any, base: str, screens: Path, expect: Any) -> None:
        self.base = base
        self.screens = screens
        self.expect = expect
        self.outside: list[str] = []
        self.context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(WAIT_MS)
        self.context.route(re.compile(r"^(?!" + re.escape(base) + r").*"), self._refuse)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # the confirmations say yes
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _refuse(self, route: Any) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        page.goto("/")
        self.expect(page).to_have_url(re.compile(r"/login$"))
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("form[action='/login'] button[type=submit]")
        self.expect(page.locator("h1")).to_have_text("Overview")

    def speak_ukrainian(self) -> None:
        """Choose Ukrainian in Settings (the profile's language): every page then speaks it."""
        page = self.page
        page.click("nav >> text=Settings")
        page.select_option("#language-form select", "uk")
        page.click("#language-form button")
        self.expect(page.locator("h1")).to_have_text("Налаштування")

    def shot(self, name: str) -> None:
        self.screens.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.screens / f"{name}.png"), full_page=True)

    def close(self) -> None:
        if self.errors or self.outside:
            self.shot("last")
        self.context.close()


@contextmanager
def browsing(
    browser: Any, base: str, screens: Path, expect: Any, *, tolerated: str | None = None
) -> Iterator[Session]:
    """A `Session` on the gateway at `base`, closed at the end; once the body has passed, no request may
    have left the gateway and the page may have logged no error (but those containing `tolerated`, which
    the test provoked)."""
    web = Session(browser, base, screens, expect)
    try:
        yield web
    finally:
        web.close()
    assert web.outside == []
    assert [error for error in web.errors if tolerated is None or tolerated not in error] == []
