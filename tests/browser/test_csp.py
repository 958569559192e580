"""The Content-Security-Policy in a real browser: every page is sent with it, and the pages we did not write
(the admin, Swagger UI, ReDoc) work under it as ours do. The fixtures fail a test on any violation."""

import pytest

from tests.factories import TEST_PASSWORD, BankFactory, LoanFactory, SuperuserFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_is_sent_with_the_policy(visitor):
    for path in ("/", "/login/", "/api/docs/", "/api/redoc/", "/admin/login/"):
        response = visitor.page.goto(visitor.base_url + path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy


def test_the_front_door_and_the_sign_in_keep_to_the_policy(visitor):
    visitor.go("/")
    assert visitor.page.locator("h1").inner_text().startswith("通知融")
    # The stylesheet applies: the page's own colours, not the browser's defaults.
    assert visitor.page.eval_on_selector("h1", "h => getComputedStyle(h).color") == "rgb(11, 79, 138)"
    visitor.go("/login/")
    assert visitor.page.eval_on_selector("article", "a => getComputedStyle(a).maxWidth") == "448px"


def test_swagger_ui_works_under_the_policy(visitor):
    visitor.go("/api/docs/")
    visitor.page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30_000)
    visitor.page.click(".swagger-ui .opblock-summary >> nth=0")
    visitor.page.wait_for_selector(".swagger-ui .opblock-body", timeout=10_000)


def test_redoc_works_under_the_policy(visitor):
    visitor.go("/api/redoc/")
    visitor.page.wait_for_selector("#redoc-container h1", timeout=30_000)
    # The search runs in a web worker.
    visitor.page.fill("input[placeholder='Search...']", "loan")
    visitor.page.wait_for_selector("[data-role='search:results'] li, [role=search] ~ * li", timeout=10_000)
    # Redocly's logo would come from their CDN: swapped for an empty image, nothing fetched from elsewhere.
    assert not visitor.page.locator("img[src^='https://']").count()


def test_the_admin_works_under_the_policy(visitor):
    admin = SuperuserFactory()
    someone = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    page = visitor.go("/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.url.endswith("/admin/")
    for path in (
        "/admin/accounts/user/",
        f"/admin/accounts/user/{someone.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/organisation/",
    ):
        visitor.go(path)
    # The date widget's calendar, the admin's own script.
    visitor.go(f"/admin/accounts/user/{someone.pk}/change/")
    page.click("#calendarlink0")
    page.wait_for_selector("#calendarbox0", state="visible")
    visitor.shot("csp-admin-user")


def test_the_city_dashboard_chart_works_under_the_policy(person):
    LoanFactory()
    city = person(UserFactory(organisation=BankFactory(kind=OrganisationKind.CITY_OFFICE), role=Role.ANALYST))
    page = city.go("/city/")
    page.wait_for_selector("#volume-chart canvas")
    # The share-of-target bars are <meter>s: a width in a style attribute would be refused.
    assert page.locator("meter.bar").count() >= 1
    city.shot("csp-city-dashboard")


def test_a_violation_fails_the_test(visitor):
    """The check itself: a style attribute injected into the page is reported, and the fixture would fail."""
    visitor.go("/login/")
    visitor.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    visitor.page.wait_for_timeout(200)

    assert any("style-src" in v for v in visitor.csp_violations), visitor.csp_violations
    visitor.csp_violations.clear()
