from rest_framework import serializers

from api.serializers import RejectsUnknownFields
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.enterprises.services import EDITABLE_FIELDS, PROFILE_FIELDS, VERIFIED_FIELD_REFUSAL, VERIFIED_FIELDS

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
    within the cluster, founding date, little giant) by the service. A field a source verifies (credit
    history, court enforcement, tax grade, certifications, register data) is refused by name: the applicant
    disputes the fact instead (``/api/v1/enterprise/facts/``)."""

    fixed_fields = FIXED_FIELDS

    class Meta:
        model = Enterprise
        fields = EDITABLE_FIELDS

    def to_internal_value(self, data):
        verified = sorted(set(data) & set(VERIFIED_FIELDS)) if hasattr(data, "keys") else []
        if verified:
            raise serializers.ValidationError({name: [VERIFIED_FIELD_REFUSAL] for name in verified})
        return super().to_internal_value(data)


class EnterpriseCreateInput(RejectsUnknownFields, serializers.ModelSerializer):
    """The whole profile as the applicant declares it once; the verified fields are kept as declared when a
    source later says otherwise."""

    fixed_fields = tuple(f for f in FIXED_FIELDS if f != "uscc")

    class Meta:
        model = Enterprise
        fields = ("uscc", *PROFILE_FIELDS)
        # The service checks the USCC (check character, canonical form, one enterprise per code).
        extra_kwargs = {"uscc": {"validators": []}}
