"""The API docs pages work offline: every script, stylesheet and icon is served by this site."""

import re

import pytest

pytestmark = pytest.mark.django_db

ASSET_TAGS = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']([^\"']+)[\"']", re.IGNORECASE)


def asset_urls(html: str) -> list[str]:
    return ASSET_TAGS.findall(html)


@pytest.fixture
def swagger(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_swagger_ui_loads_its_assets_from_this_site_only(swagger):
    urls = asset_urls(swagger)

    assert urls, "the page references no assets: the pattern no longer matches the template"
    assert not [url for url in urls if re.match(r"(?:https?:)?//", url)]


def test_swagger_uis_assets_are_actually_served(client, swagger):
    for url in asset_urls(swagger):
        assert client.get(url).status_code == 200, url


def test_swagger_ui_points_at_the_local_schema(client):
    # The start-up script is a file of its own (the Content-Security-Policy allows no inline script).
    script = client.get("/api/docs/?script=")

    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_redoc_loads_its_assets_from_this_site_only(client):
    response = client.get("/api/redoc/")

    assert response.status_code == 200
    assert not [url for url in asset_urls(response.content.decode()) if re.match(r"(?:https?:)?//", url)]
