"""Browser tests: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright against the live test server.
Screenshots of the key pages go to ``artifacts/screenshots/`` (CI keeps them as test artefacts)."""

import os
from pathlib import Path

import pytest

from tests.factories import TEST_PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are
# ordinary synchronous calls, so Django's async-safety guard is lifted for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Without the background-networking switches Chromium keeps dialling out, and this machine's network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium and fonts-noto-cjk.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Person:
    """One signed-in person in their own browser context, with the console errors their pages raised."""

    def __init__(self, browser, base_url: str, username: str, password: str):
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")
        if "/login/" in self.page.url:
            self.shot(f"failed-sign-in-{username}")
            pytest.fail(f"{username} could not sign in: {self.page.inner_text('main')[:300]}")

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(autouse=True)
def _chinese_first(settings):
    """The product's default language, not the English the other tests assert on."""
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def person(browser, live_server):
    people = []

    def sign_in(user):
        people.append(Person(browser, live_server.url, user.username, TEST_PASSWORD))
        return people[-1]

    yield sign_in
    errors = [e for p in people for e in p.console_errors]
    for p in people:
        p.close()
    assert errors == [], f"console errors: {errors}"
