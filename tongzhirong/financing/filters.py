"""The review queue's filters, one definition for ``GET /api/v1/applications/`` and the bank's queue page: the
same parameter names and values are accepted and the same ones refused, in the same words.
``application_queue`` applies them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongzhirong.core.filtering import (
    ChoiceFilter,
    DecimalFilter,
    IntegerFilter,
    ListFilterSet,
    MultipleChoiceFilter,
    NullBooleanFilter,
    TextFilter,
)
from tongzhirong.core.reference import RISK_BANDS, Cluster, District

from .models import Application, ApplicationStatus

ORDERING_FIELDS = ("created_at", "requested_amount", "stage_entered_at", "pd", "submitted_at")
ORDERINGS = (*ORDERING_FIELDS, *(f"-{f}" for f in ORDERING_FIELDS))  # "-" for the largest or latest first


class QueueFilter(ListFilterSet):
    status = MultipleChoiceFilter(choices=ApplicationStatus.choices, label=_("Status"))
    band = MultipleChoiceFilter(choices=[(b, b) for b in RISK_BANDS], label=_("Band"))
    district = MultipleChoiceFilter(choices=District.choices, label=_("District"))
    cluster = MultipleChoiceFilter(choices=Cluster.choices, label=_("616 cluster"))
    product = IntegerFilter(label=_("Product"))
    min_amount = DecimalFilter(max_digits=16, decimal_places=2, label=_("Amount from"))
    max_amount = DecimalFilter(max_digits=16, decimal_places=2, label=_("Amount to"))
    # The queue filters by days in the current stage, not by a date: this is its time filter.
    # At most a century: a larger number of days is no filter, and would overflow the date it is taken from.
    min_days_in_stage = IntegerFilter(min_value=0, max_value=36500, label=_("Days in stage, at least"))
    sla_breached = NullBooleanFilter(label=_("Service level"))
    awaiting_checker = NullBooleanFilter(
        label=_("Awaiting checker"),
        help_text="Terms proposed above the bank's maker-checker threshold that no checker has confirmed yet.",
    )
    q = TextFilter(
        max_length=100,
        label=_("Search"),
        help_text="Part of the applicant's legal name or USCC, or of the application's reference.",
    )
    ordering = ChoiceFilter(choices=[(o, o) for o in ORDERINGS], label=_("Order by"))

    class Meta:
        model = Application
        fields = ()  # only the filters declared above

    def queue_filters(self) -> dict:
        """The accepted filters as ``application_queue`` takes them (the ordering as a list of columns)."""
        filters = self.chosen()
        if filters.get("ordering"):
            filters["ordering"] = [filters["ordering"]]
        return filters
