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
        # The browser's own words (a file input's 选择文件) in Chinese: chromium-l10n, chosen by LANGUAGE on Linux.
        env = {**os.environ, "LANGUAGE": "zh_CN"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        yield browser
        browser.close()


# Every Content-Security-Policy violation, whatever Chromium itself logs for it (a blocked inline style attribute
# in markup set by a script, a worker, a report-only policy), reaches the console as an error. Playwright injects
# this past the policy, before any script of the page runs.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.effectiveDirective} blocked `
    + `${event.blockedURI || "inline"} in ${event.sourceFile || document.URL}:${event.lineNumber}`);
});
"""


class Visitor:
    """One person in their own browser context, with the console errors and CSP violations their pages raised."""

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.context.add_init_script(CSP_REPORTER)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.csp_violations: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")
        elif message.type == "error":
            # A failed load names no address in its text; the message's location does.
            self.console_errors.append(f"{message.text} ({message.location.get('url', self.page.url)})")

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


class Person(Visitor):
    """A visitor signed in through the sign-in page."""

    def __init__(self, browser, base_url: str, username: str, password: str):
        super().__init__(browser, base_url)
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")
        if "/login/" in self.page.url:
            self.shot(f"failed-sign-in-{username}")
            pytest.fail(f"{username} could not sign in: {self.page.inner_text('main')[:300]}")


@pytest.fixture(autouse=True)
def _plan_targets(request):
    """The targets the dashboard reads come from a data migration, which the flush after an earlier
    transactional test removes: write them again when they are gone."""
    if not request.node.get_closest_marker("django_db"):
        return
    from importlib import import_module

    from django.apps import apps

    from tongzhirong.reporting.models import Target

    if not Target.objects.exists():
        import_module("tongzhirong.reporting.migrations.0002_targets_and_indicators").forwards(apps, None)


@pytest.fixture(autouse=True)
def _chinese_first(settings):
    """The product's default language, not the English the other tests assert on."""
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def people():
    """Everyone a test opened a browser for; afterwards, none of their pages may have logged an error or broken
    the Content-Security-Policy."""
    opened: list[Visitor] = []
    yield opened
    violations = [v for p in opened for v in p.csp_violations]
    errors = [e for p in opened for e in p.console_errors]
    for p in opened:
        p.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def person(browser, live_server, people):
    def sign_in(user):
        people.append(Person(browser, live_server.url, user.username, TEST_PASSWORD))
        return people[-1]

    return sign_in


@pytest.fixture
def visitor(browser, live_server, people):
    """Someone not signed in."""
    people.append(Visitor(browser, live_server.url))
    return people[-1]
