from rest_framework import serializers

from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.products.models import LoanProduct, PledgeRateCap


class PledgeRateCapOutput(serializers.ModelSerializer):
    class Meta:
        model = PledgeRateCap
        fields = ("ip_type", "max_pledge_rate")


class LoanProductOutput(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.name", read_only=True)
    pledge_rate_caps = PledgeRateCapOutput(many=True, read_only=True)

    class Meta:
        model = LoanProduct
        fields = (
            "id",
            "bank",
            "name",
            "description",
            "min_amount",
            "max_amount",
            "min_term_months",
            "max_term_months",
            "min_rate",
            "max_rate",
            "repayment_methods",
            "eligible_districts",
            "eligible_clusters",
            "required_tech_markers",
            "requires_insurance",
            "requires_guarantee",
            "appraisal_free_ceiling",
            "pledge_rate_caps",
            "is_active",
        )


class CoOwnerOutput(serializers.ModelSerializer):
    class Meta:
        model = CoOwner
        fields = ("name", "share_percent", "consent_given", "consent_recorded_at")


class IPAssetOutput(serializers.ModelSerializer):
    co_owners = CoOwnerOutput(many=True, read_only=True)

    class Meta:
        model = IPAsset
        fields = (
            "id",
            "ip_type",
            "identifier",
            "title",
            "filing_date",
            "grant_date",
            "expiry_date",
            "legal_status",
            "annual_fee_paid_through",
            "invalidation_pending",
            "ownership_dispute",
            "court_preservation",
            "licence_count",
            "licence_revenue",
            "ipc_classes",
            "claims_count",
            "forward_citations",
            "backward_citations",
            "family_size",
            "overseas_family_members",
            "award",
            "nice_classes",
            "renewals",
            "co_owners",
        )


class MatchInput(serializers.Serializer):
    assets = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=1, required=False)
    term_months = serializers.IntegerField(min_value=1, max_value=120, required=False, default=12)


class MatchOutput(serializers.Serializer):
    product = LoanProductOutput()
    band = serializers.CharField()
    pd = serializers.FloatField()
    estimated_limit = serializers.DecimalField(max_digits=16, decimal_places=2)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    rate = serializers.DecimalField(max_digits=9, decimal_places=6)
    term_months = serializers.IntegerField()
    interest = serializers.DecimalField(max_digits=16, decimal_places=2)
    appraisal_fee = serializers.DecimalField(max_digits=16, decimal_places=2)
    insurance_premium = serializers.DecimalField(max_digits=16, decimal_places=2)
    guarantee_fee = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    all_in_annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6)
