from rest_framework import serializers

from api.serializers import RejectsUnknownFields
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.enterprises.services import EDITABLE_FIELDS

# Set by the platform, never by the caller; named so that a request carrying them is told so.
FIXED_FIELDS = ("id", "organisation", "uscc", "tech_markers", "created_at", "updated_at")


class EnterpriseOutput(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    tech_markers = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Enterprise
        fields = (
            "id", "organisation", "legal_name", "uscc", "district", "cluster", "chain", "founded_on",
            "registered_capital", "employees", "annual_revenue",
            "is_high_tech", "is_tech_sme", "is_specialised", "is_little_giant", "is_ip_certified", "tech_markers",
            "existing_debt", "prior_ip_loans", "overdue_events_24m", "max_days_past_due_24m",
            "has_court_enforcement", "tax_credit_grade", "created_at", "updated_at",
        )  # fmt: skip


class EnterpriseUpdateInput(RejectsUnknownFields, serializers.ModelSerializer):
    """The profile's editable fields. Types, choices and lengths are checked here; the business rules (chain
    within the cluster, founding date, little giant) by the service."""

    fixed_fields = FIXED_FIELDS

    class Meta:
        model = Enterprise
        fields = EDITABLE_FIELDS


class EnterpriseCreateInput(EnterpriseUpdateInput):
    fixed_fields = tuple(f for f in FIXED_FIELDS if f != "uscc")

    class Meta:
        model = Enterprise
        fields = ("uscc", *EDITABLE_FIELDS)
        # The service checks the USCC (check character, canonical form, one enterprise per code).
        extra_kwargs = {"uscc": {"validators": []}}
