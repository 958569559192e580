"""The subsidy claims' filters, one definition for ``GET /api/v1/subsidy-claims/`` (and its export) and the
city office's claims page: the same parameter names and values are accepted and the same ones refused, in the
same words. ``subsidy_claim_list`` (selectors) applies them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongzhirong.core.filtering import ChoiceFilter, IntegerFilter, ListFilterSet

from .models import SubsidyClaim


class ClaimFilter(ListFilterSet):
    status = ChoiceFilter(choices=SubsidyClaim._meta.get_field("status").choices, label=_("Status"))
    policy = IntegerFilter(label=_("Policy"))
    year = IntegerFilter(label=_("Year"))

    class Meta:
        model = SubsidyClaim
        fields = ()  # only the filters declared above
