"""The application state machine: the TRANSITIONS table is the whole truth, every move is audited, and
each side of the marketplace makes only its own moves."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    PlatformAdminFactory,
    PledgedApplicationFactory,
    UserFactory,
)
from tongzhirong.core.errors import InvalidTransition, PermissionDenied
from tongzhirong.core.models import StatusChange
from tongzhirong.core.state import history, transition
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.financing.services import application_change_status
from tongzhirong.notifications.models import Notification

S = ApplicationStatus
PAIRS = [(source, target) for source in S.values for target in S.values]
ALLOWED = [pair for pair in PAIRS if pair[1] in Application.TRANSITIONS[pair[0]]]
REFUSED = [pair for pair in PAIRS if pair not in ALLOWED]


def pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def audit_rows(application):
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    )


# --- The table --------------------------------------------------------------------------------


def test_every_status_has_a_row_in_the_table():
    assert set(Application.TRANSITIONS) == set(S.values)


def test_the_table_moves_only_between_known_statuses():
    assert all(targets <= set(S.values) for targets in Application.TRANSITIONS.values())


def test_the_terminal_statuses_are_disbursed_rejected_withdrawn_and_expired():
    assert {S.DISBURSED, S.REJECTED, S.WITHDRAWN, S.EXPIRED} == Application.TERMINAL


def test_every_status_is_reachable_from_a_draft():
    reached, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        for target in Application.TRANSITIONS[frontier.pop()] - reached:
            reached.add(target)
            frontier.append(target)
    assert reached == set(S.values)


# --- transition() over every pair -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[pair_id(p) for p in ALLOWED])
def test_an_allowed_move_changes_the_status_and_writes_one_audit_row(source, target):
    application = ApplicationFactory(status=source)
    actor = UserFactory()

    change = transition(application, to=target, actor=actor, reason="checked by the test")

    application.refresh_from_db()
    assert application.status == target
    row = audit_rows(application).get()
    assert row == change
    assert (row.from_status, row.to_status, row.actor, row.reason) == (source, target, actor, "checked by the test")


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), REFUSED, ids=[pair_id(p) for p in REFUSED])
def test_a_move_outside_the_table_is_refused_and_changes_nothing(source, target):
    application = ApplicationFactory(status=source)
    before = application.updated_at

    with pytest.raises(InvalidTransition) as refused:
        transition(application, to=target, actor=UserFactory(), reason="should not stick")

    assert refused.value.code == "invalid_transition"
    assert refused.value.extra == {"from_status": source, "to_status": target}
    application.refresh_from_db()
    assert (application.status, application.updated_at) == (source, before)
    assert not audit_rows(application).exists()


@pytest.mark.django_db
def test_the_check_uses_the_stored_status_not_a_stale_copy():
    application = ApplicationFactory(status=S.DRAFT)
    Application.objects.filter(pk=application.pk).update(status=S.WITHDRAWN)

    with pytest.raises(InvalidTransition):
        transition(application, to=S.SUBMITTED, actor=None)

    assert Application.objects.get(pk=application.pk).status == S.WITHDRAWN


@pytest.mark.django_db
def test_history_lists_the_moves_in_order():
    application = ApplicationFactory(status=S.DRAFT)
    for target in (S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED):
        transition(application, to=target, actor=None)

    assert [(c.from_status, c.to_status) for c in history(application)] == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.UNDER_REVIEW),
        (S.UNDER_REVIEW, S.APPROVED),
    ]


# --- application_change_status: who may make which move ---------------------------------------


@pytest.fixture
def officer(db):
    return BankOfficerFactory()


@pytest.fixture
def application(officer):
    return PledgedApplicationFactory(product__bank=officer.organisation)


@pytest.fixture
def applicant(application):
    return UserFactory(organisation=application.enterprise.organisation)


def move(application, status):
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    return application


def test_the_applicant_submits_its_draft(application, applicant):
    application_change_status(actor=applicant, application=application, to=S.SUBMITTED)

    application.refresh_from_db()
    assert application.status == S.SUBMITTED
    assert application.submitted_at is not None
    assert audit_rows(application).get().actor == applicant


@pytest.mark.parametrize("source", [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED])
def test_the_applicant_may_withdraw(application, applicant, source):
    move(application, source)

    application_change_status(actor=applicant, application=application, to=S.WITHDRAWN, reason="no longer needed")

    assert Application.objects.get(pk=application.pk).status == S.WITHDRAWN


def test_the_applicant_cannot_approve_its_own_application(application, applicant):
    move(application, S.UNDER_REVIEW)

    with pytest.raises(PermissionDenied):
        application_change_status(actor=applicant, application=application, to=S.APPROVED)

    application.refresh_from_db()
    assert (application.status, application.decided_at) == (S.UNDER_REVIEW, None)
    assert not audit_rows(application).exists()


def test_the_lending_bank_takes_a_submitted_application_under_review(application, officer):
    move(application, S.SUBMITTED)

    application_change_status(actor=officer, application=application, to=S.UNDER_REVIEW)

    assert Application.objects.get(pk=application.pk).status == S.UNDER_REVIEW


def test_the_lending_bank_approves_and_the_decision_time_is_recorded(application, officer):
    move(application, S.UNDER_REVIEW)

    application_change_status(actor=officer, application=application, to=S.APPROVED)

    application.refresh_from_db()
    assert application.status == S.APPROVED
    assert application.decided_at is not None


@pytest.mark.parametrize(("source", "target"), [(S.SUBMITTED, S.UNDER_REVIEW), (S.UNDER_REVIEW, S.APPROVED)])
def test_another_banks_officer_is_refused(application, source, target):
    move(application, source)

    with pytest.raises(PermissionDenied):
        application_change_status(actor=BankOfficerFactory(), application=application, to=target)

    assert Application.objects.get(pk=application.pk).status == source
    assert not audit_rows(application).exists()


def test_the_bank_cannot_submit_on_the_applicants_behalf(application, officer):
    with pytest.raises(PermissionDenied):
        application_change_status(actor=officer, application=application, to=S.SUBMITTED)


def test_another_enterprise_cannot_withdraw_the_application(application):
    with pytest.raises(PermissionDenied):
        application_change_status(actor=UserFactory(), application=application, to=S.WITHDRAWN)


def test_the_right_side_still_follows_the_table(application, officer):
    with pytest.raises(InvalidTransition):
        application_change_status(actor=officer, application=application, to=S.APPROVED)

    assert Application.objects.get(pk=application.pk).status == S.DRAFT


def test_the_system_may_expire_a_stale_application(application):
    move(application, S.SUBMITTED)

    application_change_status(actor=None, application=application, to=S.EXPIRED, reason="no answer in 30 days")

    assert Application.objects.get(pk=application.pk).status == S.EXPIRED
    assert audit_rows(application).get().actor is None


def test_the_platform_may_expire_an_application(application):
    move(application, S.SUBMITTED)

    application_change_status(actor=PlatformAdminFactory(), application=application, to=S.EXPIRED)

    assert Application.objects.get(pk=application.pk).status == S.EXPIRED


# --- Notifications after commit ---------------------------------------------------------------


def test_the_bank_hears_of_a_submission_only_after_commit(
    application, applicant, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        application_change_status(actor=applicant, application=application, to=S.SUBMITTED)

    assert callbacks
    assert not Notification.objects.exists()


def test_the_applicants_move_notifies_the_bank_and_not_the_applicant(
    application, applicant, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(actor=applicant, application=application, to=S.WITHDRAWN, reason="funded elsewhere")

    notification = Notification.objects.get(recipient=officer)
    assert notification.title == f"{application.reference}: draft → withdrawn"
    assert notification.body == "funded elsewhere"
    assert notification.status_change == audit_rows(application).get()
    assert not Notification.objects.filter(recipient=applicant).exists()


def test_an_approval_notifies_the_applicant_and_not_the_officer(
    application, applicant, officer, django_capture_on_commit_callbacks
):
    move(application, S.UNDER_REVIEW)

    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(actor=officer, application=application, to=S.APPROVED, reason="strong portfolio")

    notification = Notification.objects.get(recipient=applicant)
    assert notification.body == "strong portfolio"
    assert not Notification.objects.filter(recipient=officer).exists()


def test_a_refused_move_notifies_nobody(application, applicant, officer, django_capture_on_commit_callbacks):
    move(application, S.UNDER_REVIEW)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        application_change_status(actor=applicant, application=application, to=S.APPROVED)

    assert not Notification.objects.exists()


def test_outsiders_are_not_notified(application, applicant, django_capture_on_commit_callbacks):
    outsider = BankOfficerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(actor=applicant, application=application, to=S.WITHDRAWN)

    assert not Notification.objects.filter(recipient=outsider).exists()
