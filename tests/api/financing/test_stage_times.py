"""Time in stage: per application on the timeline, per bank for the bank and the platform."""

import datetime as dt

import pgtrigger
import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.api.helpers import client_for
from tests.factories import ApplicationFactory, PlatformAdminFactory
from tongzhirong.core.models import StatusChange
from tongzhirong.financing.models import Application

pytestmark = pytest.mark.django_db


def history(application, *moves):
    """Write ``(status, days_ago)`` moves as the audit trail of ``application``; the last is its status."""
    ct = ContentType.objects.get_for_model(Application)
    now = timezone.now()
    previous = "draft"
    for status, days_ago in moves:
        change = StatusChange.objects.create(
            content_type=ct, object_id=application.pk, from_status=previous, to_status=status
        )
        with pgtrigger.ignore("core.StatusChange:append_only"):  # the audit trail refuses updates on PostgreSQL
            StatusChange.objects.filter(pk=change.pk).update(created_at=now - dt.timedelta(days=days_ago))
        previous = status
    Application.objects.filter(pk=application.pk).update(status=previous)


@pytest.fixture
def bank_book(product):
    """Three applications of the fixture bank: review took 1, 3 and (still open) 9 days; one at another bank."""
    done = [ApplicationFactory(product=product) for _ in range(2)]
    history(done[0], ("submitted", 10), ("under_review", 9), ("approved", 8))
    history(done[1], ("submitted", 10), ("under_review", 6), ("rejected", 3))
    waiting = ApplicationFactory(product=product)
    history(waiting, ("submitted", 12), ("under_review", 9))
    history(ApplicationFactory(), ("submitted", 5), ("under_review", 4), ("approved", 1))


def test_a_bank_sees_median_and_open_times_of_its_own_stages(bank_book, officer, bank):
    response = client_for(officer).get("/api/v1/applications/stage-times/")
    assert response.status_code == 200, response.json()
    rows = {r["stage"]: r for r in response.json()["results"]}
    assert {r["bank"] for r in response.json()["results"]} == {bank.name}
    review = rows["under_review"]
    assert review["completed"] == 2
    assert review["median_days"] == pytest.approx(2.0, abs=0.01)  # 1 and 3 days
    assert review["open"] == 1
    assert review["open_median_days"] == pytest.approx(9.0, abs=0.01)
    assert review["open_breached"] == 1  # 9 days against a 5-day service level
    assert rows["submitted"]["completed"] == 3


def test_the_platform_sees_every_bank_and_an_sme_is_refused(bank_book, sme):
    rows = client_for(PlatformAdminFactory()).get("/api/v1/applications/stage-times/").json()["results"]
    assert len({r["bank"] for r in rows}) == 2
    assert client_for(sme).get("/api/v1/applications/stage-times/").status_code == 403


def test_the_window_is_bounded_and_validated(bank_book, officer):
    narrow = client_for(officer).get("/api/v1/applications/stage-times/?days=4").json()["results"]
    review = next(r for r in narrow if r["stage"] == "under_review")
    assert review["completed"] == 1  # only the rejection three days ago left review inside the window
    assert client_for(officer).get("/api/v1/applications/stage-times/?days=0").status_code == 400


def test_the_timeline_tells_how_long_each_stage_lasted(product, sme):
    application = ApplicationFactory(product=product, enterprise=sme.organisation.enterprise)
    history(application, ("submitted", 10), ("under_review", 7))
    entries = client_for(sme).get(f"/api/v1/applications/{application.pk}/timeline/").json()["results"]
    assert [e["days_in_stage"] for e in entries] == [pytest.approx(3, abs=0.01), pytest.approx(7, abs=0.01)]
