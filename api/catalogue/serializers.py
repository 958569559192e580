from rest_framework import serializers

from api.serializers import IdField, RejectsUnknownFields
from tongzhirong.assets.importing import COLUMNS
from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.core.reference import Cluster, District, IPType, RepaymentMethod, TechMarker
from tongzhirong.financing.eligibility import REASON_CODES
from tongzhirong.products.models import LoanProduct, PledgeRateCap


class PledgeRateCapOutput(serializers.ModelSerializer):
    class Meta:
        model = PledgeRateCap
        fields = ("ip_type", "max_pledge_rate")


PRODUCT_WRITE_FIELDS = (
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
    "is_active",
)


class LoanProductUpdateInput(RejectsUnknownFields, serializers.ModelSerializer):
    """A bank's product terms. Once an application has used the product only ``is_active`` may change."""

    fixed_fields = ("id", "bank", "pledge_rate_caps")
    repayment_methods = serializers.ListField(child=serializers.ChoiceField(choices=RepaymentMethod.choices))
    eligible_districts = serializers.ListField(child=serializers.ChoiceField(choices=District.choices), required=False)
    eligible_clusters = serializers.ListField(child=serializers.ChoiceField(choices=Cluster.choices), required=False)
    required_tech_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=TechMarker.choices), required=False
    )

    class Meta:
        model = LoanProduct
        fields = PRODUCT_WRITE_FIELDS


class LoanProductCreateInput(LoanProductUpdateInput):
    fixed_fields = ("id", "bank")
    pledge_rate_caps = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1),
        allow_empty=False,
        help_text='Maximum pledge rate per IP type, e.g. {"invention_patent": "0.30"}.',
    )

    class Meta(LoanProductUpdateInput.Meta):
        fields = (*PRODUCT_WRITE_FIELDS, "pledge_rate_caps")

    def validate_pledge_rate_caps(self, value):
        unknown = sorted(set(value) - set(IPType.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown IP types: {', '.join(unknown)}.")
        return value


class LoanProductOutput(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.name", read_only=True)
    repayment_methods = serializers.ListField(child=serializers.ChoiceField(choices=RepaymentMethod.choices))
    eligible_districts = serializers.ListField(
        child=serializers.ChoiceField(choices=District.choices), help_text="Empty: every district."
    )
    eligible_clusters = serializers.ListField(
        child=serializers.ChoiceField(choices=Cluster.choices), help_text="Empty: every cluster."
    )
    required_tech_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=TechMarker.choices), help_text="Any one of them; empty: none needed."
    )
    pledge_rate_caps = PledgeRateCapOutput(many=True, read_only=True)

    class Meta:
        model = LoanProduct
        fields = ("id", "bank", *PRODUCT_WRITE_FIELDS, "pledge_rate_caps")


class CoOwnerOutput(serializers.ModelSerializer):
    class Meta:
        model = CoOwner
        fields = ("id", "name", "uscc", "share_percent", "consent_given", "consent_recorded_at")


class IPAssetOutput(serializers.ModelSerializer):
    co_owners = CoOwnerOutput(many=True, read_only=True)
    ipc_classes = serializers.ListField(child=serializers.CharField())
    nice_classes = serializers.ListField(child=serializers.IntegerField())

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
            "use_revenue",
            "ipc_classes",
            "claims_count",
            "forward_citations",
            "backward_citations",
            "family_size",
            "overseas_family_members",
            "award",
            "nice_classes",
            "renewals",
            "well_known",
            "co_owners",
            "archived_at",
        )


class MatchInput(serializers.Serializer):
    assets = serializers.ListField(child=IdField(), min_length=1, max_length=50)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=1, required=False)
    term_months = serializers.IntegerField(min_value=1, max_value=120, required=False, default=12)


class EligibilityReasonOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=REASON_CODES)
    zh = serializers.CharField()
    en = serializers.CharField()


class IneligibleAssetOutput(serializers.Serializer):
    asset = serializers.IntegerField(source="asset.pk")
    identifier = serializers.CharField(source="asset.identifier")
    reasons = EligibilityReasonOutput(many=True)


INELIGIBLE_HELP = "The chosen assets that cannot secure this product, left out of the limit, each with its reasons."


class MatchOutput(serializers.Serializer):
    product = LoanProductOutput()
    band = serializers.CharField()
    pd = serializers.DecimalField(max_digits=7, decimal_places=6, help_text="Probability of default, a fraction.")
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
    ineligible_assets = IneligibleAssetOutput(many=True, source="ineligible", help_text=INELIGIBLE_HELP)


# --- Writing IP assets --------------------------------------------------------------------------------------

# The import's columns, co-owners aside (they have their own endpoint).
ASSET_WRITE_FIELDS = tuple(column.field for column in COLUMNS if column.field != "co_owners")
# On the asset, but set by the platform: a request that carries them is told they cannot change.
ASSET_FIXED_FIELDS = ("id", "owner", "archived_at", "created_at", "updated_at")


class CoOwnerInput(RejectsUnknownFields, serializers.ModelSerializer):
    fixed_fields = ("id", "consent_recorded_at")

    class Meta:
        model = CoOwner
        fields = ("name", "uscc", "share_percent", "consent_given")
        # One name per asset is checked by the service, with the asset known.
        validators = []


class IPAssetUpdateInput(RejectsUnknownFields, serializers.ModelSerializer):
    """Types, choices and lengths are checked here; identifiers, dates and terms by the service (the model's
    validation), the same for one asset as for an import."""

    fixed_fields = (*ASSET_FIXED_FIELDS, "co_owners")
    ipc_classes = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50, required=False)
    nice_classes = serializers.ListField(child=serializers.IntegerField(), max_length=45, required=False)

    class Meta:
        model = IPAsset
        fields = ASSET_WRITE_FIELDS
        validators = []  # one live record per right: the service answers 409 ``duplicate``
        # The database's check constraint, as a field error rather than a constraint name.
        extra_kwargs = {"licence_revenue": {"min_value": 0}, "use_revenue": {"min_value": 0}}


class IPAssetCreateInput(IPAssetUpdateInput):
    fixed_fields = ASSET_FIXED_FIELDS
    co_owners = CoOwnerInput(many=True, required=False, max_length=50)

    class Meta(IPAssetUpdateInput.Meta):
        fields = (*ASSET_WRITE_FIELDS, "co_owners")


class ConsentInput(RejectsUnknownFields, serializers.Serializer):
    consent_given = serializers.BooleanField()


class ImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or GBK) or XLSX, at most 5 MB and 5,000 rows.")
    dry_run = serializers.BooleanField(default=False, help_text="Check every row and report, but write nothing.")


class ImportOutput(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Data rows read from the file.")
    created = serializers.IntegerField(help_text="Assets registered: all rows, or none on a dry run.")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="The new assets' ids, in file order.")


MATCH_REASON_CODES = (
    "district",
    "cluster",
    "tech_marker",
    "ip_type",
    "no_eligible_asset",
    "no_value",
    "below_minimum",
)


class MatchReasonOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=MATCH_REASON_CODES)
    zh = serializers.CharField()
    en = serializers.CharField()


class ExcludedProductOutput(serializers.Serializer):
    product = LoanProductOutput()
    reasons = MatchReasonOutput(many=True)
    ineligible_assets = IneligibleAssetOutput(many=True, source="ineligible", help_text=INELIGIBLE_HELP)


class MatchesOutput(serializers.Serializer):
    matches = MatchOutput(many=True)
    excluded = ExcludedProductOutput(many=True)
