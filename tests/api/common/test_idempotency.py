"""Writes sent with an Idempotency-Key run once; the notifications endpoints that exercise them."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from api import idempotency
from api.idempotency import request_fingerprint
from api.notifications import views as notification_views
from tests.factories import UserFactory
from tongzhirong.core.errors import Conflict
from tongzhirong.financing.models import Application
from tongzhirong.idempotency.models import IdempotencyRecord
from tongzhirong.idempotency.tasks import purge_idempotency_records
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: each test starts, and leaves, with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def notification(user):
    return Notification.objects.create(recipient=user, title="APP00000001: submitted → approved")


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def mark_read(client, notification, key=None, body=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/v1/notifications/{notification.pk}/read/", body or {}, format="json", headers=headers)


@pytest.fixture
def service_calls(monkeypatch):
    """Counts how often the view really runs the write."""
    calls = []
    real = notification_views.notification_mark_read

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(notification_views, "notification_mark_read", counting)
    return calls


# --- The notifications endpoints ----------------------------------------------------------------


def test_a_person_lists_only_their_own_notifications(user, notification):
    Notification.objects.create(recipient=UserFactory(), title="someone else's")

    body = client_for(user).get("/api/v1/notifications/").json()

    assert [n["id"] for n in body["results"]] == [notification.pk]


def test_the_list_filters_unread_notifications(user, notification):
    Notification.objects.create(recipient=user, title="already read", read_at=timezone.now())

    body = client_for(user).get("/api/v1/notifications/", {"read_at__isnull": "true"}).json()

    assert [n["id"] for n in body["results"]] == [notification.pk]


def test_marking_ones_own_notification_read(user, notification):
    response = mark_read(client_for(user), notification)

    assert response.status_code == 200
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert response.json()["read_at"] is not None


def test_reading_a_notification_again_keeps_the_first_read_time(user, notification):
    first = mark_read(client_for(user), notification).json()["read_at"]

    assert mark_read(client_for(user), notification).json()["read_at"] == first


def test_another_persons_notification_is_not_found(notification):
    response = mark_read(client_for(UserFactory()), notification)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    notification.refresh_from_db()
    assert notification.read_at is None


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_write_without_a_key_keeps_no_record(user, notification):
    mark_read(client_for(user), notification)

    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_and_body_replays_the_first_response(user, notification):
    client = client_for(user)
    first = mark_read(client, notification, key="k-1")

    again = mark_read(client, notification, key="k-1")

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert IdempotencyRecord.objects.count() == 1


def test_a_replay_does_not_run_the_write_again(user, notification, service_calls):
    client = client_for(user)
    mark_read(client, notification, key="k-1")
    mark_read(client, notification, key="k-1")

    assert len(service_calls) == 1


def test_the_record_keeps_the_status_and_body(user, notification):
    response = mark_read(client_for(user), notification, key="k-1")

    record = IdempotencyRecord.objects.get()
    assert (record.user, record.method, record.path) == (user, "POST", f"/api/v1/notifications/{notification.pk}/read/")
    assert (record.status_code, bytes(record.response_content)) == (200, response.content)
    assert record.content_type == response["Content-Type"]


def test_a_replay_is_byte_identical_to_the_first_response(user, notification):
    client = client_for(user)
    first = mark_read(client, notification, key="k-1")

    again = mark_read(client, notification, key="k-1")

    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_json_key_order_does_not_make_another_body(user, notification):
    client = client_for(user)
    mark_read(client, notification, key="k-1", body={"a": 1, "b": 2})

    assert mark_read(client, notification, key="k-1", body={"b": 2, "a": 1})["Idempotent-Replayed"] == "true"


def test_the_same_key_with_a_different_body_is_a_422_problem(user, notification):
    client = client_for(user)
    mark_read(client, notification, key="k-1", body={"note": "first"})

    response = mark_read(client, notification, key="k-1", body={"note": "second"})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "idempotency_key_reused"


def test_the_same_key_on_another_path_is_a_422_problem(user, notification):
    other = Notification.objects.create(recipient=user, title="another")
    client = client_for(user)
    mark_read(client, notification, key="k-1")

    response = mark_read(client, other, key="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    other.refresh_from_db()
    assert other.read_at is None


def test_another_person_may_use_the_same_key(user, notification):
    stranger = UserFactory()
    theirs = Notification.objects.create(recipient=stranger, title="theirs")
    mark_read(client_for(user), notification, key="k-1")

    response = mark_read(client_for(stranger), theirs, key="k-1")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_write_keeps_no_record(user, notification, monkeypatch):
    monkeypatch.setattr(notification_views, "notification_mark_read", _refuse)

    response = mark_read(client_for(user), notification, key="k-1")

    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_write_can_be_retried_with_the_same_key(user, notification, monkeypatch):
    client = client_for(user)
    with monkeypatch.context() as patched:
        patched.setattr(notification_views, "notification_mark_read", _refuse)
        mark_read(client, notification, key="k-1")

    response = mark_read(client, notification, key="k-1")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.get().status_code == 200


def test_a_crashed_write_frees_its_key(user, notification, monkeypatch):
    monkeypatch.setattr(notification_views, "notification_mark_read", _crash)

    with pytest.raises(RuntimeError):
        mark_read(client_for(user), notification, key="k-1")

    assert not IdempotencyRecord.objects.exists()


def test_a_duplicate_while_the_first_is_in_flight_is_a_409_problem(user, notification, service_calls):
    path = f"/api/v1/notifications/{notification.pk}/read/"
    IdempotencyRecord.objects.create(
        user=user, key="k-1", method="POST", path=path, request_hash=fingerprint_of_post(path, {})
    )

    response = mark_read(client_for(user), notification, key="k-1")

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "idempotency_in_progress"
    assert service_calls == []


def test_a_key_whose_first_request_died_is_released_when_its_lease_runs_out(user, notification, service_calls):
    path = f"/api/v1/notifications/{notification.pk}/read/"
    IdempotencyRecord.objects.create(  # the reservation of a request whose process was killed
        user=user,
        key="k-1",
        method="POST",
        path=path,
        request_hash=fingerprint_of_post(path, {}),
        leased_until=timezone.now() - timedelta(seconds=1),
    )

    response = mark_read(client_for(user), notification, key="k-1")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert len(service_calls) == 1
    assert IdempotencyRecord.objects.get().status_code == 200


def test_a_write_whose_response_cannot_be_stored_is_undone_and_a_retry_books_it_once(sme, product, assets, monkeypatch):
    """The crash the record guards against: after the write, before its response is stored."""
    client = client_for(sme)
    body = {
        "product": product.pk,
        "assets": [a.pk for a in assets],
        "requested_amount": "2000000.00",
        "requested_term_months": 12,
        "repayment_method": "equal_instalment",
    }
    headers = {"Idempotency-Key": "draft-1"}
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "idempotency_record_complete", _crash)
        with pytest.raises(RuntimeError):
            client.post("/api/v1/applications/", body, format="json", headers=headers)
    assert not Application.objects.exists()

    first = client.post("/api/v1/applications/", body, format="json", headers=headers)
    again = client.post("/api/v1/applications/", body, format="json", headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_a_key_older_than_a_day_no_longer_replays(user, notification):
    client = client_for(user)
    mark_read(client, notification, key="k-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = mark_read(client, notification, key="k-1")

    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_a_key_longer_than_255_characters_is_a_400_problem(user, notification):
    response = mark_read(client_for(user), notification, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": ["Send between 1 and 255 characters."]}
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_read_ignores_the_key(user):
    client_for(user).get("/api/v1/notifications/", headers={"Idempotency-Key": "k-1"})

    assert not IdempotencyRecord.objects.exists()


# --- Purging and the schema ------------------------------------------------------------------


def test_the_purge_task_deletes_records_older_than_a_day(user):
    old = IdempotencyRecord.objects.create(
        user=user, key="old", method="POST", path="/x/", request_hash="0" * 64, status_code=200
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    IdempotencyRecord.objects.create(user=user, key="new", method="POST", path="/x/", request_hash="0" * 64)

    assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_purge_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "tongzhirong.idempotency.tasks.purge_idempotency_records" in tasks


@pytest.fixture
def schema(client):
    return json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)


def test_the_schema_documents_the_key_on_writes(schema):
    parameters = schema["paths"]["/api/v1/notifications/{id}/read/"]["post"]["parameters"]

    assert {"in": "header", "name": "Idempotency-Key"}.items() <= next(
        p for p in parameters if p["name"] == "Idempotency-Key"
    ).items()


def test_the_schema_does_not_offer_the_key_on_reads(schema):
    parameters = schema["paths"]["/api/v1/notifications/"]["get"]["parameters"]

    assert "Idempotency-Key" not in {p["name"] for p in parameters}


# --- Helpers ----------------------------------------------------------------------------------


def _refuse(**kwargs):
    raise Conflict("Not now.")


def _crash(**kwargs):
    raise RuntimeError("the database went away")


def fingerprint_of_post(path, body):
    return request_fingerprint(Request(APIRequestFactory().post(path, body, format="json"), parsers=[JSONParser()]))
