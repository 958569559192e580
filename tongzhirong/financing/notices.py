"""Maker-checker notices: the bank's checkers are told when terms wait for them.

Below both the task that sends them and the services that enqueue that task."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tongzhirong.accounts.models import CHECKER_ROLES, User
from tongzhirong.notifications.services import notify_users

from .models import Application, ApplicationStatus


def approval_proposal_notify(*, application_id: int) -> int:
    """Tell the lending bank's checkers (not the maker) that proposed terms wait for their confirmation. One notice
    per person and proposal however often it runs; nothing once the proposal is confirmed or gone."""
    application = Application.objects.select_related("enterprise", "product").get(pk=application_id)
    if application.approval_proposed_by_id is None or application.status != ApplicationStatus.UNDER_REVIEW:
        return 0
    checkers = User.objects.filter(
        organisation_id=application.product.bank_id, role__in=CHECKER_ROLES, is_active=True
    ).exclude(pk=application.approval_proposed_by_id)
    title = _("%(reference)s awaits your check: %(firm)s, %(amount)s yuan proposed") % {
        "reference": application.reference,
        "firm": application.enterprise.legal_name,
        "amount": application.approved_amount,
    }
    proposed_at = application.approval_proposed_at.isoformat()
    notices = notify_users(
        users=checkers,
        title=title,
        dedupe_key=f"approval-proposed:{application.pk}:{proposed_at}"[:80],
        subject=application,
    )
    return len(notices)
