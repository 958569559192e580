from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import IdField, RejectsUnknownFields
from tongzhirong.core.reference import District, TechMarker
from tongzhirong.subsidies.models import SubsidyClaim, SubsidyClaimLine, SubsidyKind, SubsidyPolicy

POLICY_FIELDS = (
    "name",
    "description",
    "kind",
    "interest_basis",
    "lpr_rate",
    "share",
    "covered_share",
    "loan_cap_rate",
    "annual_cap",
    "eligible_districts",
    "required_tech_markers",
    "repayment_condition",
    "first_year",
    "last_year",
    "is_active",
)


# Other resources have a "kind" too: a named component keeps the schema's enum names unambiguous.
@extend_schema_field({"type": "string", "enum": list(SubsidyKind.values)}, component_name="SubsidyKindEnum")
class SubsidyKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=SubsidyKind.choices, **kwargs)


class SubsidyPolicyOutput(serializers.ModelSerializer):
    kind = SubsidyKindField()
    eligible_districts = serializers.ListField(child=serializers.ChoiceField(choices=District.choices))
    required_tech_markers = serializers.ListField(child=serializers.ChoiceField(choices=TechMarker.choices))

    class Meta:
        model = SubsidyPolicy
        fields = ("id", *POLICY_FIELDS, "created_at", "updated_at")


class SubsidyPolicyUpdateInput(RejectsUnknownFields, serializers.ModelSerializer):
    """Once a firm has claimed under the policy only the name, description, last year and opening may change."""

    fixed_fields = ("id", "created_by")
    kind = SubsidyKindField(required=False)
    eligible_districts = serializers.ListField(child=serializers.ChoiceField(choices=District.choices), required=False)
    required_tech_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=TechMarker.choices), required=False
    )

    class Meta:
        model = SubsidyPolicy
        fields = POLICY_FIELDS


class SubsidyPolicyCreateInput(SubsidyPolicyUpdateInput):
    kind = SubsidyKindField()


class EligibilityInput(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="The policy year (calendar year).")


class QuoteLineOutput(serializers.Serializer):
    loan = serializers.IntegerField(source="loan.pk")
    contract_number = serializers.CharField(source="loan.contract_number")
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why the loan earns nothing, if so.")
    base = serializers.DecimalField(max_digits=16, decimal_places=2)
    share = serializers.DecimalField(max_digits=9, decimal_places=6)
    covered = serializers.BooleanField(help_text="Insured or guaranteed: the higher share applies.")
    loan_cap = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class EligibilityOutput(serializers.Serializer):
    year = serializers.IntegerField()
    firm_reasons = serializers.ListField(child=serializers.CharField(), help_text="Why the firm is outside, if so.")
    cap = serializers.DecimalField(max_digits=16, decimal_places=2)
    committed = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Held by your submitted, approved and paid claims."
    )
    remaining = serializers.DecimalField(max_digits=16, decimal_places=2)
    computed_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="What your eligible loans would earn together."
    )
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="What a claim on all of them would hold, within the cap."
    )
    lines = QuoteLineOutput(many=True)


class ClaimLineOutput(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="loan.contract_number")

    class Meta:
        model = SubsidyClaimLine
        fields = ("loan", "contract_number", "base", "share", "covered", "loan_cap", "amount")


class SubsidyClaimOutput(serializers.ModelSerializer):
    policy_name = serializers.CharField(source="policy.name")
    enterprise_name = serializers.CharField(source="enterprise.legal_name")
    lines = ClaimLineOutput(many=True)

    class Meta:
        model = SubsidyClaim
        fields = (
            "id", "reference", "policy", "policy_name", "enterprise", "enterprise_name", "year", "status",
            "computed_amount", "amount", "lines", "created_at", "decided_at", "decision_reason", "paid_on",
            "payment_reference",
        )  # fmt: skip


class AppraisalFeeInput(serializers.Serializer):
    loan = IdField()
    fee = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))


class SubsidyClaimCreateInput(RejectsUnknownFields, serializers.Serializer):
    policy = IdField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    loans = serializers.ListField(child=IdField(), allow_empty=False, max_length=50)
    appraisal_fees = AppraisalFeeInput(
        many=True, required=False, help_text="Appraisal-fee policies: the fee paid per loan, as on the invoice."
    )


class DecisionInput(RejectsUnknownFields, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ClaimRejectInput(RejectsUnknownFields, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Told to the firm.")


class PaymentInput(RejectsUnknownFields, serializers.Serializer):
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=60, help_text="The treasury or bank transfer reference.")
