import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_ready_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


@pytest.mark.django_db
def test_ready_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connections

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


def test_live_needs_no_database(client):
    assert client.get("/health/live").status_code == 200


@pytest.mark.django_db
def test_ready_is_200_when_database_and_broker_answer(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_the_start_page_links_the_api_docs_and_admin_in_chinese_first(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "通知融" in body
    assert "/api/docs/" in body
    assert "/admin/" in body
