"""Status-change notifications reach the parties' people once, whatever happens to the task."""

import pytest

from tests.factories import ApplicationFactory, BankOfficerFactory, UserFactory
from tongzhirong.core.state import transition
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.services import notifications_for_status_change
from tongzhirong.notifications.tasks import notify_status_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    officer = BankOfficerFactory()
    application = ApplicationFactory(product__bank=officer.organisation)
    applicant = UserFactory(organisation=application.enterprise.organisation)
    return application, applicant, officer


def test_everyone_in_both_parties_but_the_actor_is_told(parties):
    application, applicant, officer = parties
    colleague = UserFactory(organisation=applicant.organisation)
    change = transition(application, to=ApplicationStatus.SUBMITTED, actor=applicant)

    notifications_for_status_change(status_change_id=change.pk)

    assert set(Notification.objects.values_list("recipient", flat=True)) == {officer.pk, colleague.pk}


def test_running_the_task_twice_notifies_once(parties):
    application, applicant, officer = parties
    change = transition(application, to=ApplicationStatus.SUBMITTED, actor=applicant)

    assert notify_status_change.delay(change.pk).get() == 1
    assert notify_status_change.delay(change.pk).get() == 1

    assert Notification.objects.filter(recipient=officer).count() == 1


def test_inactive_people_are_not_told(parties):
    application, applicant, officer = parties
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    change = transition(application, to=ApplicationStatus.SUBMITTED, actor=applicant)

    assert notifications_for_status_change(status_change_id=change.pk) == []


def test_a_system_move_tells_both_parties(parties):
    application, applicant, officer = parties
    change = transition(application, to=ApplicationStatus.WITHDRAWN, actor=None, reason="cleanup")

    notifications_for_status_change(status_change_id=change.pk)

    assert set(Notification.objects.values_list("recipient", flat=True)) == {applicant.pk, officer.pk}
