"""Every page type as every role, in Chinese, on a 390 px phone (issue 18: "Done when").

One demo world (the one `make run` loads) and one browser: each demo account signs in and follows the links of
its own pages breadth-first, opening one page of each type (a path with its ids taken out). Each page must:

- speak Chinese: no snake_case code, raw enum value or English phrase in what it shows (text, titles, labels,
  placeholders, option texts), outside a short allow-list of brand names, units and identifiers;
- fit a 390 px screen: nothing scrolls sideways;
- pass axe-core (axe-playwright-python's bundled script, run in the page) with no serious or critical violation.

All problems are gathered and reported together, per page."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.browser.conftest import SCREENSHOTS, Visitor
from tongzhirong.demo.reference import DEMO_USERNAMES
from tongzhirong.demo.seed import build_demo_world
from tongzhirong.web import urls as web_urls

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
# Shown buttons taller than several lines of text: a layout that stretches a control over the page (the queue's
# filter form, styled by Pico as a one-row search bar, made its 筛选 button 1,644 px tall and pushed the queue off the
# first screen).
STRETCHED = """() => [...document.querySelectorAll('button, input[type=submit], [role=button]')]
  .filter(e => e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().height > 200)
  .map(e => `${(e.innerText || e.value || '').trim().slice(0, 9)} ${Math.round(e.getBoundingClientRect().height)}px`)"""
DESKTOP = {"width": 1280, "height": 900}
# Pages not to open: leaving, switching language, the API and the admin (their own languages and layouts),
# downloads, static files.
SKIP = re.compile(r"^/(logout|i18n|api|admin|static|media|health)/|\.(xlsx|csv|pdf|png|jpg|svg)$")
PAGES_PER_ROLE = 40
# Pages reached through a form's button rather than a link, or not linked from the account's own pages.
UNLINKED = {"demo-sme": ("/sme/assets/import/",), "demo-admin": ("/platform/disputes/",)}

# Latin words a Chinese page may show: the brand, units, standards and acronyms a bank officer reads as such, and
# the tax credit grades (纳税信用等级 A, B, M, C, D: M is the grade of a firm new to the tax office).
ALLOWED_WORDS = {
    "API", "ReDoc", "Swagger", "OpenAPI", "JSON", "CSV", "XLSX", "PDF", "PNG", "JPEG", "SHA", "LPR", "PD", "IPC",
    "USCC", "SLA", "IP", "P10", "P50", "P90", "English", "Tongzhirong", "DEMO_PASSWORD", "tongzhirong", "demo",
    "YYYY", "MM", "DD", "v", "A", "B", "C", "D", "E", "M", "AAA", "AA", "ZL", "CN", "PCT", "ID", "MCU",
}  # fmt: skip
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Identifiers (patent and contract numbers, references, user names, e-mail and web addresses) are shown as they
# are: any token with a digit, a hyphen joining Latin parts, an @ or a dot inside.
IDENTIFIER = re.compile(r"[\w.@/+-]*(?:\d|@|[A-Za-z]-[A-Za-z]|[A-Za-z]\.[A-Za-z])[\w.@/+-]*")
ACRONYM = re.compile(r"[A-Z]{2,5}")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_']*")

# What a page shows a person, beyond its text: titles, labels for assistive technology, placeholders, buttons'
# values and the options of every select (the closed ones too).
SHOWN_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[title],[aria-label],[placeholder],[alt]")) {
    for (const a of ["title", "aria-label", "placeholder", "alt"]) {
      if (el.getAttribute(a)) parts.push(el.getAttribute(a));
    }
  }
  for (const o of document.querySelectorAll("option")) parts.push(o.textContent);
  for (const b of document.querySelectorAll("input[type=submit],input[type=button]")) parts.push(b.value);
  return parts.join("\\n");
}"""
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && getComputedStyle(el).position !== "fixed") {
      const named = typeof el.className === "string" && el.className;
      const classes = named ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5)};
}"""


def foreign_words(text: str) -> list[str]:
    """The snake_case codes and English words in ``text`` that are not allowed on a Chinese page."""
    found = SNAKE.findall(text)
    rest = IDENTIFIER.sub(" ", SNAKE.sub(" ", text))
    # An all-capitals word of two to five letters is an acronym people read as such (LNG, MCU in a patent's title).
    found += [w for w in LATIN_WORD.findall(rest) if w not in ALLOWED_WORDS and not ACRONYM.fullmatch(w)]
    return sorted(set(found))


def status_of(visitor: Visitor, path: str, *, expected: int | None = None) -> int | None:
    """Open ``path``; a status the test asks for (the site's own 404 and 403) is not a console error."""
    response = visitor.page.goto(visitor.base_url + path)
    if expected is not None:
        assert response.status == expected, f"{path}: {response.status}, not {expected}"
        visitor.console_errors = [e for e in visitor.console_errors if f"status of {expected}" not in e]
    return response.status if response else None


def page_types_of_the_site() -> set[str]:
    """Every page the web app routes, as a page type (/sme/assets/<id>/): what the crawl must have opened.
    Downloads, the sign-out, the USCC check (a fragment htmx fetches) and a form's target that only redirects (the
    bank's cover steps) are no pages."""
    types = set()
    for pattern in web_urls.urlpatterns:
        route = "/" + re.sub(r"<int:\w+>", "<id>", str(pattern.pattern))
        if route in ("/logout/", "/sme/profile/check-uscc/", "/bank/applications/<id>/cover/") or re.search(
            r"\.\w+$", route
        ):
            continue
        types.add(route)
    return types


def page_type(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/<id>", path)


class Crawl:
    def __init__(self, browser, base_url: str):
        from axe_playwright_python.sync_playwright import Axe

        self.browser, self.base_url, self.axe = browser, base_url, Axe()
        self.seen_types: set[str] = set()
        self.problems: list[str] = []
        self.visited = 0

    def check(self, visitor: Visitor, who: str, status: int | None) -> None:
        page, where = visitor.page, f"{who} {urlsplit(visitor.page.url).path}"
        if status is not None and status >= 500:
            self.problems.append(f"{where}: answered {status}")
        words = foreign_words(page.evaluate(SHOWN_TEXT))
        if words:
            self.problems.append(f"{where}: not Chinese: {', '.join(words[:25])}")
        box = page.evaluate(OVERFLOW)
        if box["scroll"] > box["width"]:
            self.problems.append(f"{where}: {box['scroll']} px wide on a {box['width']} px screen: {box['wide']}")
        if stretched := page.evaluate(STRETCHED):
            self.problems.append(f"{where}: controls stretched out of shape: {stretched}")
        results = self.axe.run(page, options={"resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in violation["nodes"][:3]]
                self.problems.append(f"{where}: axe {violation['impact']} {violation['id']}: {targets}")
        self.visited += 1

    def screenshots(self, visitor: Visitor, who: str, name: str) -> None:
        """The README's pictures of each side's start page and of the bank's application page, phone and desktop
        (artifacts/screenshots/, kept by CI)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        visitor.page.screenshot(path=str(SCREENSHOTS / f"{name}-{who}-phone.png"))  # the first screen, as seen
        visitor.page.set_viewport_size(DESKTOP)
        visitor.page.screenshot(path=str(SCREENSHOTS / f"{name}-{who}-desktop.png"))
        visitor.page.set_viewport_size(PHONE)

    def walk(self, visitor: Visitor, who: str, start: str) -> None:
        queue, queued = deque([start]), {start}
        opened = 0
        while queue and opened < PAGES_PER_ROLE:
            path = queue.popleft()
            kind = f"{who}:{page_type(path)}"
            if kind in self.seen_types:
                continue
            self.seen_types.add(kind)
            opened += 1
            self.check(visitor, who, status_of(visitor, path))
            if opened == 1 or page_type(path) == "/bank/applications/<id>/":
                self.screenshots(visitor, who, "landing" if opened == 1 else "bank-application")
            for href in visitor.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                parts = urlsplit(href)
                if parts.netloc or not parts.path.startswith("/") or parts.path == "/" or SKIP.search(parts.path):
                    continue
                if parts.path not in queued and f"{who}:{page_type(parts.path)}" not in self.seen_types:
                    queued.add(parts.path)
                    queue.append(parts.path)


def menu_folds_on_a_phone(visitor: Visitor) -> None:
    """On a phone the menu hides behind its button, which opens it and says so."""
    page = visitor.page
    visitor.go("/sme/")
    assert not page.is_visible("#site-menu")
    page.click(".nav-toggle")
    assert page.is_visible("#site-menu a[href='/sme/assets/']")
    assert page.get_attribute(".nav-toggle", "aria-expanded") == "true"


def sign_in(browser, base_url: str, username: str) -> Visitor:
    visitor = Visitor(browser, base_url)
    visitor.context.close()
    visitor.context = browser.new_context(locale="zh-CN", viewport=PHONE)
    visitor.page = visitor.context.new_page()
    visitor.page.on("console", visitor._console)
    visitor.page.on("pageerror", lambda e: visitor.console_errors.append(str(e)))
    if username:
        visitor.go("/login/")
        visitor.page.fill("#id_username", username)
        visitor.page.fill("#id_password", settings.DEMO_PASSWORD)
        with visitor.page.expect_navigation():
            visitor.page.click("main form button[type=submit]")
    return visitor


def test_every_page_type_as_every_role_speaks_chinese_fits_a_phone_and_passes_axe(browser, live_server, people):
    build_demo_world(seed=42)
    crawl = Crawl(browser, live_server.url)

    anonymous = sign_in(browser, live_server.url, "")
    people.append(anonymous)
    for path, expected in (("/", 200), ("/login/", 200), ("/no-such-page/", 404)):
        crawl.check(anonymous, "anonymous", status_of(anonymous, path, expected=expected))

    for username in DEMO_USERNAMES:
        visitor = sign_in(browser, live_server.url, username)
        people.append(visitor)
        assert "/login/" not in visitor.page.url, f"{username} could not sign in"
        crawl.walk(visitor, username, urlsplit(visitor.page.url).path)
        for path in UNLINKED.get(username, ()):
            if f"{username}:{page_type(path)}" in crawl.seen_types:
                continue
            crawl.seen_types.add(f"{username}:{page_type(path)}")
            crawl.check(visitor, username, status_of(visitor, path))
        if username == "demo-sme":
            menu_folds_on_a_phone(visitor)
            # A page of another side: the site's own 403, in its layout.
            crawl.check(visitor, username, status_of(visitor, "/bank/loans/", expected=403))

    opened = {kind.split(":", 1)[1] for kind in crawl.seen_types} | {"/", "/login/"}
    assert page_types_of_the_site() - opened == set(), "page types no account reached"
    assert crawl.problems == [], f"{len(crawl.problems)} problems on {crawl.visited} pages:\n" + "\n".join(
        crawl.problems
    )
