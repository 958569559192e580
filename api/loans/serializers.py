from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.schema import HASH_RULE
from api.serializers import documented_json
from tongzhirong.financing.models import Loan, Registry, Repayment, ScheduleLine
from tongzhirong.financing.services import delinquency_bucket
from tongzhirong.monitoring.models import CollateralHealth
from tongzhirong.monitoring.services import collateral_health


class ScheduleLineOutput(serializers.ModelSerializer):
    class Meta:
        model = ScheduleLine
        fields = (
            "sequence",
            "due_date",
            "principal_due",
            "interest_due",
            "principal_paid",
            "interest_paid",
            "settled_at",
        )


class ReleasePartyOutput(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()


class ReleaseRegistryOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=Registry.choices)
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class ReleaseFormOutput(serializers.Serializer):
    """The pledge release (注销) application drafted at payoff, one per registry: it lists that registry's rights."""

    registry = ReleaseRegistryOutput(required=False, help_text="Absent from releases drafted before registries.")
    registration_number = serializers.CharField()
    registered_on = serializers.DateField()
    pledgor = ReleasePartyOutput()
    pledgee = ReleasePartyOutput()
    loan_contract = serializers.CharField()
    principal_yuan = serializers.CharField(help_text="A decimal string in yuan.")
    paid_off_on = serializers.DateField()
    reason = serializers.CharField()
    rights = serializers.ListField(child=serializers.CharField(), help_text="The released rights' numbers.")


class PledgeReleaseOutput(serializers.Serializer):
    registry = serializers.ChoiceField(choices=Registry.choices)
    registration_number = serializers.CharField()
    registered_on = serializers.DateField(allow_null=True)
    release_generated_at = serializers.DateTimeField(allow_null=True)
    release_sha256 = serializers.CharField(help_text=HASH_RULE.replace("`content`", "`release_form`"))
    release_form = documented_json(ReleaseFormOutput, allow_null=True, help_text="Null until the loan is paid off.")
    released_on = serializers.DateField(allow_null=True)


class LoanOutput(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.legal_name")
    bank = serializers.CharField(source="bank.name")
    application = serializers.IntegerField(source="application_id")
    bucket = serializers.SerializerMethodField()
    schedule = ScheduleLineOutput(many=True)
    pledges = PledgeReleaseOutput(
        source="application.pledge_registrations",
        many=True,
        help_text="The pledge's registration at each registry its rights register at (CNIPA, the copyright centre).",
    )
    collateral_health = serializers.SerializerMethodField(
        help_text="ok, watch (a risk ahead) or alert (value lost now), from the collateral monitor's open flags."
    )

    class Meta:
        model = Loan
        fields = (
            "id", "contract_number", "application", "borrower", "bank", "principal", "annual_rate", "term_months",
            "repayment_method", "disbursed_at", "maturity_date", "status", "outstanding_principal",
            "days_past_due", "bucket", "closed_at", "schedule", "pledges", "collateral_health",
        )  # fmt: skip

    def get_bucket(self, obj) -> str:
        return delinquency_bucket(obj.days_past_due)

    @extend_schema_field(serializers.ChoiceField(choices=CollateralHealth.choices))
    def get_collateral_health(self, obj) -> str:
        return collateral_health(obj.collateral_flags.all())  # prefetched by loan_list


class RepaymentInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class RepaymentOutput(serializers.ModelSerializer):
    reverses = serializers.IntegerField(
        source="reverses_id",
        allow_null=True,
        help_text="For a reversing entry, the repayment it reverses (its amount and parts are that one's negatives).",
    )

    class Meta:
        model = Repayment
        fields = (
            "id", "loan", "paid_at", "amount", "principal_part", "interest_part", "penalty_part", "reference",
            "reverses", "reason",
        )  # fmt: skip


class RepaymentReverseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why the repayment is reversed (kept with the entry).")


class ReleaseInput(serializers.Serializer):
    registry = serializers.ChoiceField(
        choices=Registry.choices,
        required=False,
        help_text="The registry whose release this is; may be left out while only one release waits.",
    )
    released_on = serializers.DateField(help_text="The date on the registry's release (注销) notice.")


class PayoffQuoteInput(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default: today (Asia/Shanghai).")


class PayoffQuoteOutput(serializers.Serializer):
    as_of = serializers.DateField()
    principal = serializers.DecimalField(max_digits=16, decimal_places=2)
    interest = serializers.DecimalField(max_digits=16, decimal_places=2)
    accrued_interest = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Interest of the running period to the date, actual/360."
    )
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class PayoffInput(serializers.Serializer):
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
