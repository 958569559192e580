"""The figures at the top of each side's start page: what waits for the person who signs in, counted from what
the selectors let them see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from tongzhirong.financing.models import Application, ApplicationStatus, ScheduleLine
from tongzhirong.financing.selectors import application_list, loan_list

S = ApplicationStatus
WEEK = dt.timedelta(days=7)
OWED = ExpressionWrapper(
    F("principal_due") - F("principal_paid") + F("interest_due") - F("interest_paid"),
    output_field=DecimalField(max_digits=18, decimal_places=2),
)


def _due(user, *, start: dt.date, end: dt.date) -> dict:
    lines = ScheduleLine.objects.filter(
        loan__in=loan_list(user=user), settled_at__isnull=True, due_date__gte=start, due_date__lte=end
    )
    figures = lines.aggregate(amount=Sum(OWED))
    return {"count": lines.count(), "amount": figures["amount"] or Decimal("0.00")}


def sme_counts(*, user) -> dict:
    """In progress, waiting for the firm (information to send, an offer to answer), and instalments due within
    a week."""
    today = timezone.localdate()
    applications = application_list(user=user)
    return {
        "in_progress": applications.exclude(status__in=Application.TERMINAL | {S.DRAFT}).count(),
        "waiting_for_you": applications.filter(status__in=(S.INFO_REQUESTED, S.APPROVED)).count(),
        "due_this_week": _due(user, start=today, end=today + WEEK),
    }


def bank_book_counts(*, user) -> dict:
    """The loan book's week: instalments due within seven days and those already past due."""
    today = timezone.localdate()
    return {
        "due_this_week": _due(user, start=today, end=today + WEEK),
        "past_due": _due(user, start=dt.date.min, end=today - dt.timedelta(days=1)),
    }
