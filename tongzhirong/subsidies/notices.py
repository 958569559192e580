"""The subsidy claim's notices: who acts next is told, once per person and status.

Below both the task that sends them and the services that enqueue that task."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tongzhirong.accounts.models import OrganisationKind, User
from tongzhirong.notifications.services import notify_users

from .models import ClaimStatus as C
from .models import SubsidyClaim


def subsidy_claim_notify(*, claim_id: int) -> int:
    """Tell whoever acts next about the claim's current status: the city office of a new claim, the firm of a
    decision or payment. One notice per person and status however often it runs."""
    claim = SubsidyClaim.objects.select_related("enterprise", "policy").get(pk=claim_id)
    if claim.status == C.SUBMITTED:
        users = User.objects.filter(organisation__kind=OrganisationKind.CITY_OFFICE, is_active=True)
        title = _("New subsidy claim %(reference)s from %(firm)s: %(amount)s yuan")
    else:
        users = User.objects.filter(organisation_id=claim.enterprise.organisation_id, is_active=True)
        title = _("Subsidy claim %(reference)s: %(status)s")
    title = title % {
        "reference": claim.reference,
        "firm": claim.enterprise.legal_name,
        "amount": claim.amount,
        "status": claim.get_status_display(),
    }
    body = claim.decision_reason if claim.status in (C.APPROVED, C.REJECTED) else ""
    notices = notify_users(users=users, title=title, body=body, dedupe_key=f"subsidy-claim:{claim.pk}:{claim.status}")
    return len(notices)
