"""A real Celery worker executes a task that a service enqueued on commit.

Runs only where `.ci/run` has started a worker against PostgreSQL and Redis (CELERY_WORKER_RUNNING=1);
on the embedded default (SQLite, Celery eager) there is no worker to talk to.
"""

import os
import time

import pytest
from django.conf import settings

from tests.factories import ApplicationFactory, BankOfficerFactory, IPAssetFactory, UserFactory
from tongzhirong.celery import app
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.financing.services import application_change_status
from tongzhirong.notifications.models import Notification

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CELERY_WORKER_RUNNING") or not settings.CELERY_BROKER_URL,
        reason="needs a real broker and worker (run by .ci/run)",
    ),
]


@pytest.fixture
def real_broker():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)
def test_worker_sends_notification_enqueued_on_commit(real_broker):
    officer = BankOfficerFactory()
    application = ApplicationFactory(product__bank=officer.organisation)
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    owner = UserFactory(organisation=application.enterprise.organisation)

    application_change_status(actor=owner, application=application, to=ApplicationStatus.SUBMITTED)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Notification.objects.filter(recipient=officer).exists():
            break
        time.sleep(0.2)
    notification = Notification.objects.get(recipient=officer)
    assert "draft → submitted" in notification.title
    assert not Notification.objects.filter(recipient=owner).exists()
