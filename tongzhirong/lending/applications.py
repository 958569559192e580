"""The application's moves that reach across apps: a submission is scored, an approval is held to the
collateral limit of the pledged assets' valuations and asks the insurer and guarantor its terms name for cover, and
a rejection, withdrawal or expiry closes the cover still asked for (it lapses with the application)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from scoring.selectors import collateral_limit
from scoring.services import application_collateral_valuate
from scoring.tasks import score_application
from tongzhirong.facts.sources.refresh import facts_refresh_stale
from tongzhirong.financing import services as financing
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.outbox.services import task_enqueue
from tongzhirong.risksharing.services import cover_requests_open_for

from .endings import application_ending
from .tasks import notify_checkers


def application_submit(*, actor, application: Application) -> Application:
    """Submit for review; the score the bank reviews is taken once the submission commits."""
    with transaction.atomic():
        application = financing.application_submit(actor=actor, application=application)
        task_enqueue(score_application, application.pk)
    return application


def application_approve(
    *,
    actor,
    application: Application,
    amount: Decimal,
    rate: Decimal,
    term_months: int,
    comment: str = "",
    internal_note: str = "",
) -> Application:
    """Approve with terms, at most the collateral limit of the pledged assets valued on their current inputs.
    Terms above the bank's maker-checker threshold wait for a checker, and the bank's checkers are told. The
    facts past their freshness window (the pledged assets' register records among them) are asked again first,
    so eligibility is judged on the register's current word."""
    facts_refresh_stale(enterprise=application.enterprise)
    with transaction.atomic():
        approved = financing.application_approve(
            actor=actor,
            application=application,
            amount=amount,
            rate=rate,
            term_months=term_months,
            comment=comment,
            internal_note=internal_note,
            collateral_limit=lambda locked: collateral_limit(application_collateral_valuate(application=locked)),
        )
        if approved.awaiting_checker:
            task_enqueue(notify_checkers, approved.pk)
        elif approved.status == ApplicationStatus.APPROVED:
            cover_requests_open_for(actor=actor, application=approved)
    return approved


def application_confirm_approval(*, actor, application: Application, comment: str = "") -> Application:
    """A checker confirms the terms a maker proposed; the insurer and guarantor the terms name are asked to cover."""
    with transaction.atomic():
        approved = financing.application_confirm_approval(actor=actor, application=application, comment=comment)
        cover_requests_open_for(actor=actor, application=approved)
    return approved


def application_reject(*, actor, application: Application, reason_code: str, comment: str = "") -> Application:
    """The bank rejects (a registered pledge is released); the cover asked for lapses."""
    return application_ending(
        financing.application_reject, actor=actor, application=application, reason_code=reason_code, comment=comment
    )


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    """The firm withdraws; the cover asked for lapses."""
    return application_ending(financing.application_withdraw, actor=actor, application=application, reason=reason)


def application_decline_offer(*, actor, application: Application, reason: str = "") -> Application:
    """The firm declines the bank's offer (the application is withdrawn); the cover asked on approval lapses."""
    return application_ending(financing.application_decline_offer, actor=actor, application=application, reason=reason)
