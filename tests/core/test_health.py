import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from tongzhirong.outbox.models import DeadLetter, OutboxMessage


@pytest.mark.django_db
def test_ready_reports_each_dependency_when_all_answer(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "outbox": "ok",
    }
    assert body["checks"]["outbox"] == {
        "status": "ok",
        "backlog": 0,
        "oldest_undelivered_seconds": 0.0,
        "dead_letters": 0,
    }


@pytest.mark.django_db
def test_ready_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connections

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == {"status": "error", "error": "OperationalError"}


@pytest.mark.django_db
def test_an_unreachable_broker_degrades_but_does_not_take_the_instance_out(client, settings):
    """Writes still commit without the broker: the outbox publishes their tasks when it returns."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["broker"]["status"] == "error"


@pytest.mark.django_db
def test_an_unreachable_cache_degrades_but_does_not_take_the_instance_out(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"] == {"status": "error", "error": "ConnectionError"}


@pytest.mark.django_db
def test_ready_reports_the_outbox_backlog_and_its_oldest_message(client, settings):
    now = timezone.now()
    late = now - dt.timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER + 60)
    OutboxMessage.objects.create(task_name="t", published_at=now)
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.create(task_name="t").pk).update(created_at=late)
    OutboxMessage.objects.create(task_name="t", done_at=now)
    DeadLetter.objects.create(task_id="x", task_name="t", exception="E")

    outbox = client.get("/health/ready").json()["checks"]["outbox"]

    assert outbox["status"] == "degraded"
    assert outbox["backlog"] == 2
    assert outbox["oldest_undelivered_seconds"] >= settings.OUTBOX_REDELIVER_AFTER + 60
    assert outbox["dead_letters"] == 1


def test_live_needs_no_database(client):
    assert client.get("/health/live").status_code == 200


@pytest.mark.django_db
def test_the_start_page_links_the_api_docs_and_admin_in_chinese_first(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "通知融" in body
    assert "/api/docs/" in body
    assert "/admin/" in body
