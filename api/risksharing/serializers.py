from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import IdField, documented_json
from tongzhirong.core.reference import District, TechMarker
from tongzhirong.risksharing import waterfall
from tongzhirong.risksharing.models import (
    Auction,
    Claim,
    CoverKind,
    CoverPolicy,
    CoverRequest,
    DisposalCase,
    Pool,
    PoolFiling,
    Recovery,
)
from tongzhirong.risksharing.selectors import pool_position

MONEY = {"max_digits": 16, "decimal_places": 2}
POSITIVE = {**MONEY, "min_value": Decimal("0.01")}
NON_NEGATIVE = {**MONEY, "min_value": Decimal("0")}


def money(**kwargs):
    return serializers.DecimalField(**MONEY, **kwargs)


# --- Cover ----------------------------------------------------------------------------------------------


class CoverPolicyOutput(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.name")
    contract_number = serializers.CharField(source="loan.contract_number")

    class Meta:
        model = CoverPolicy
        fields = (
            "id", "number", "kind", "loan", "contract_number", "provider", "cover_request", "insured_amount", "rate",
            "premium", "coverage_ratio", "coverage_cap", "starts_on", "ends_on", "created_at",
        )  # fmt: skip


class CoverRequestOutput(serializers.ModelSerializer):
    application_reference = serializers.CharField(source="application.reference")
    enterprise = serializers.CharField(source="application.enterprise.legal_name")
    bank = serializers.CharField(source="application.product.bank.name")
    provider = serializers.CharField(source="provider.name")
    product = serializers.IntegerField(source="product.pk", help_text="The insurance or guarantee product asked for.")
    product_name = serializers.CharField(source="product.name")
    rate = serializers.DecimalField(
        max_digits=9, decimal_places=6, help_text="Premium or fee per year, a fraction (0.012 = 1.2%)."
    )
    coverage_ratio = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of the loss covered, a fraction."
    )

    class Meta:
        model = CoverRequest
        fields = (
            "id", "reference", "kind", "status", "application", "application_reference", "enterprise", "bank",
            "provider", "product", "product_name", "amount", "term_months", "rate", "coverage_ratio", "coverage_cap",
            "conditions", "decline_reason", "lapse_reason", "decided_at", "created_at",
        )  # fmt: skip
        extra_kwargs = {
            "lapse_reason": {
                "help_text": "Why the request lapsed (status lapsed): the application was rejected, withdrawn or "
                "expired before disbursement; empty otherwise."
            }
        }


class CoverRequestCreateInput(serializers.Serializer):
    application = IdField()
    kind = serializers.ChoiceField(choices=CoverKind.choices)
    product = IdField(help_text="An insurance product (kind insurance) or a guarantee product (kind guarantee).")


class CoverRequestAcceptInput(serializers.Serializer):
    conditions = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="What the bank must meet."
    )
    rate = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(0),
        max_value=Decimal(1),
        required=False,
        help_text="Premium or fee per year, a fraction; default: the product's.",
    )
    coverage_ratio = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal(1),
        required=False,
        help_text="Share of the loss covered, a fraction; default: the product's.",
    )
    coverage_cap = serializers.DecimalField(
        **NON_NEGATIVE, required=False, help_text="Most paid on the loan, in yuan; default: the product's."
    )


class CoverRequestDeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CoverRequestWithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- Claims ---------------------------------------------------------------------------------------------


class AllocationOutput(serializers.Serializer):
    loss = serializers.CharField(help_text="A decimal string in yuan.")
    recovered = serializers.CharField(help_text="A decimal string in yuan.")
    shares = serializers.DictField(
        child=serializers.CharField(), help_text="What each party bears, by party: decimal strings in yuan."
    )


class RiskClaimOutput(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.name")
    payer = serializers.CharField(source="payer.name")
    contract_number = serializers.CharField(source="loan.contract_number")
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    allocation = documented_json(
        AllocationOutput,
        allow_null=True,
        help_text="The waterfall when submitted (null before): loss, recovered, shares.",
    )

    class Meta:
        model = Claim
        fields = (
            "id", "reference", "kind", "status", "loan", "contract_number", "bank", "payer", "policy", "filing",
            "loss", "coverage", "claimed_amount", "approved_amount", "paid_amount", "paid_on", "payment_reference",
            "comment", "reject_reason", "documents", "allocation", "submitted_at", "decided_at", "created_at",
        )  # fmt: skip


class RiskClaimSubmitInput(serializers.Serializer):
    claimed_amount = serializers.DecimalField(
        **POSITIVE, required=False, help_text="Default: everything payable under the terms (the coverage)."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    documents = serializers.ListField(
        child=IdField(), required=False, default=list, help_text="Ids of the application's documents."
    )


class RiskClaimApproveInput(serializers.Serializer):
    amount = serializers.DecimalField(**POSITIVE)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RiskClaimRejectInput(serializers.Serializer):
    reason = serializers.CharField()


class RiskClaimPaymentInput(serializers.Serializer):
    paid_on = serializers.DateField(required=False, help_text="Default: today.")
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


# --- Pools ----------------------------------------------------------------------------------------------


class SponsorOutput(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.name")
    contribution = money()


class PositionOutput(serializers.Serializer):
    balance = money(help_text="Cash: contributions − claims paid + recoveries.")
    contributions = money()
    claims_paid = money()
    recoveries = money()
    exposure = money(help_text="Filed loans still covered.")


class PoolOutput(serializers.ModelSerializer):
    operator = serializers.CharField(source="operator.name")
    waterfall_order = serializers.ListField(child=serializers.ChoiceField(choices=waterfall.STEPS))
    eligible_districts = serializers.ListField(child=serializers.ChoiceField(choices=District.choices))
    required_tech_markers = serializers.ListField(child=serializers.ChoiceField(choices=TechMarker.choices))
    capacity = money(
        help_text="Fund balance (after claims paid, recoveries and top-ups) × leverage: the most the filed loans "
        "may add up to."
    )
    sponsors = SponsorOutput(many=True)
    position = serializers.SerializerMethodField()

    class Meta:
        model = Pool
        fields = (
            "id", "name", "operator", "fund_size", "leverage_cap", "capacity", "share_fund", "share_bank",
            "share_insurer", "share_guarantor", "share_appraiser", "waterfall_order", "eligible_districts",
            "required_tech_markers", "max_loan_amount", "max_compensation_per_loan", "appraiser_cap",
            "trigger_days_past_due", "is_active", "sponsors", "position",
        )  # fmt: skip

    @extend_schema_field(PositionOutput(allow_null=True))
    def get_position(self, obj) -> dict | None:
        """The pool's books, for the city office and the platform only (null for anyone else)."""
        if not self.context.get("balances"):
            return None
        positions = self.context.get("positions")  # a list page computes them all at once
        return PositionOutput(positions[obj.pk] if positions else pool_position(pool=obj)).data


class SponsorInput(serializers.Serializer):
    organisation = IdField()
    contribution = serializers.DecimalField(**POSITIVE)


class PoolTopUpInput(serializers.Serializer):
    sponsor = IdField(help_text="The organisation adding to the fund.")
    amount = serializers.DecimalField(**POSITIVE, help_text="Yuan added to the fund.")


class PoolWhatIfInput(serializers.Serializer):
    correlation = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.150"),
        help_text="Asset correlation ρ of the one-factor model, 0.01–0.5 (Basel's SME range is 0.12–0.24).",
    )
    target = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0100"),
        help_text="The probability of exhausting the fund to size the top-up and the leverage for, 0.001–0.5.",
    )
    recovery_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        help_text="Share of a defaulted loan recovered before the waterfall, 0 ≤ r < 1.",
    )
    scenarios = serializers.IntegerField(default=20_000, help_text="Scenarios simulated, 1,000–100,000.")


class PoolWhatIfOutput(serializers.Serializer):
    """Pool losses simulated under the one-factor Gaussian copula on the pool's live filings (yuan as strings)."""

    loans = serializers.IntegerField(help_text="Live filings simulated.")
    unscored_loans = serializers.IntegerField(help_text="Filings without a score, given the mean PD of the others.")
    exposure = money(help_text="Sum of the live filings.")
    fund_balance = money(help_text="The fund's cash now.")
    leverage_cap = serializers.DecimalField(max_digits=6, decimal_places=2)
    capacity = money(help_text="Fund balance × leverage.")
    capacity_left = money(help_text="Capacity less exposure (negative when claims paid have shrunk the fund).")
    expected_loss = money(help_text="Σ PD × the fund's loss on a default (exact).")
    simulated_expected_loss = money(help_text="Mean simulated loss (checks the simulation).")
    quantile_95 = money(help_text="The loss not exceeded in 95% of scenarios.")
    quantile_99 = money(help_text="The loss not exceeded in 99% of scenarios.")
    probability_exhausted = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of scenarios whose loss exceeds the fund balance."
    )
    top_up_for_target = money(help_text="Cash to add so the probability of exhaustion is at most the target.")
    max_leverage_for_target = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Leverage at which a pool filled to capacity with such loans keeps exhaustion at the target "
        "(null when no scenario loses anything).",
    )
    correlation = serializers.DecimalField(max_digits=4, decimal_places=3)
    target = serializers.DecimalField(max_digits=5, decimal_places=4)
    recovery_rate = serializers.DecimalField(max_digits=4, decimal_places=3)
    scenarios = serializers.IntegerField()


class PoolCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    sponsors = SponsorInput(many=True, help_text="The fund is the sum of the sponsors' contributions.")
    leverage_cap = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    share_fund = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal(0))
    share_bank = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal(0))
    share_insurer = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal(0), default=Decimal(0))
    share_guarantor = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal(0), default=Decimal(0))
    share_appraiser = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal(0), default=Decimal(0))
    waterfall_order = serializers.ListField(
        child=serializers.ChoiceField(choices=waterfall.STEPS),
        required=False,
        default=list,
        help_text="Steps before the bank bears the rest; default recovery, cover, pool.",
    )
    eligible_districts = serializers.ListField(
        child=serializers.ChoiceField(choices=District.choices), required=False, default=list
    )
    required_tech_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=TechMarker.choices), required=False, default=list
    )
    max_loan_amount = serializers.DecimalField(**POSITIVE, required=False, allow_null=True, default=None)
    max_compensation_per_loan = serializers.DecimalField(**POSITIVE, required=False, allow_null=True, default=None)
    appraiser_cap = serializers.DecimalField(**NON_NEGATIVE, required=False, allow_null=True, default=None)
    trigger_days_past_due = serializers.IntegerField(min_value=1, max_value=720, default=90)


class JournalEntryOutput(serializers.Serializer):
    account = serializers.CharField()
    debit = money()
    credit = money()


class JournalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = money()
    memo = serializers.CharField()
    filing = serializers.IntegerField(source="filing_id", allow_null=True)
    claim = serializers.IntegerField(source="claim_id", allow_null=True)
    recovery = serializers.IntegerField(source="recovery_id", allow_null=True)
    created_at = serializers.DateTimeField()
    entries = JournalEntryOutput(many=True)


class LedgerOutput(serializers.Serializer):
    position = PositionOutput()
    journals = JournalOutput(many=True)


class PoolFilingOutput(serializers.ModelSerializer):
    pool_name = serializers.CharField(source="pool.name")
    application_reference = serializers.CharField(source="application.reference")
    bank = serializers.CharField(source="bank.name")

    class Meta:
        model = PoolFiling
        fields = (
            "id", "pool", "pool_name", "application", "application_reference", "loan", "bank", "appraiser",
            "amount", "status", "created_at",
        )  # fmt: skip


class PoolFilingInput(serializers.Serializer):
    pool = IdField()
    application = IdField(help_text="An approved application, not yet disbursed.")
    appraiser = IdField(required=False, allow_null=True, default=None)


# --- Loss -----------------------------------------------------------------------------------------------


class PartyLossOutput(serializers.Serializer):
    party = serializers.ChoiceField(choices=waterfall.PARTIES)
    expected = money(help_text="The waterfall's share on the records now.")
    borne = money(help_text="What the party paid (the bank: the loss not recovered or paid by others).")
    recovered = money(help_text="What came back to it from recoveries after payment.")
    final_loss = money()


class LoanLossOutput(serializers.Serializer):
    loss = money(help_text="Outstanding principal of the loan.")
    recovered_before_payment = money()
    recovered_after_payment = money()
    surplus = money()
    parties = PartyLossOutput(many=True)


# --- Disposal -------------------------------------------------------------------------------------------


class AuctionOutput(serializers.ModelSerializer):
    bid_count = serializers.SerializerMethodField()
    highest_bid = serializers.SerializerMethodField()
    winning_amount = money(source="winning_bid.amount", allow_null=True, default=None)
    reserve_valuation = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The valuation whose realisable value is the reserve; null when the bank set it."
    )

    class Meta:
        model = Auction
        fields = (
            "id", "opens_at", "closes_at", "reserve_price", "reserve_source", "reserve_valuation", "closed_at",
            "bid_count", "highest_bid", "winning_amount",
        )  # fmt: skip

    def get_bid_count(self, obj) -> int:
        return len(obj.bids.all())

    def get_highest_bid(self, obj) -> Decimal | None:
        return max((b.amount for b in obj.bids.all()), default=None)


class RecoveryOutput(serializers.ModelSerializer):
    class Meta:
        model = Recovery
        fields = ("id", "source", "gross", "costs", "net", "received_on", "after_payment", "surplus")


class CaseAssetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    ip_type = serializers.CharField()
    identifier = serializers.CharField()
    title = serializers.CharField()


class RoyaltyLineOutput(serializers.Serializer):
    due_on = serializers.DateField()
    amount = serializers.CharField(help_text="A decimal string in yuan.")


class DisposalTermsOutput(serializers.Serializer):
    """What the route agreed; which keys appear depends on the route."""

    price = serializers.CharField(required=False, help_text="Sale, swap or winning bid, a decimal string in yuan.")
    costs = serializers.CharField(required=False, help_text="A decimal string in yuan.")
    exchange = serializers.CharField(required=False)
    listing_reference = serializers.CharField(required=False)
    stake = serializers.CharField(required=False, help_text="Equity swap: the stake taken, a decimal fraction.")
    auction = serializers.IntegerField(required=False, help_text="Auction: its id.")
    bid = serializers.IntegerField(required=False, help_text="Auction: the winning bid's id.")
    royalties = RoyaltyLineOutput(many=True, required=False, help_text="Licence: the royalty schedule.")


class DisposalCaseOutput(serializers.ModelSerializer):
    asset = CaseAssetOutput()
    terms = documented_json(DisposalTermsOutput)
    bank = serializers.CharField(source="bank.name")
    auction = serializers.SerializerMethodField()
    recoveries = RecoveryOutput(many=True)

    class Meta:
        model = DisposalCase
        fields = (
            "id", "reference", "loan", "asset", "bank", "status", "route", "exposure", "counterparty", "terms",
            "auction", "recoveries", "created_at", "closed_at",
        )  # fmt: skip

    @extend_schema_field(AuctionOutput(allow_null=True))
    def get_auction(self, obj) -> dict | None:
        auction = max(obj.auctions.all(), key=lambda a: a.pk, default=None)  # the latest, from the prefetch
        return AuctionOutput(auction).data if auction else None


class AuctionListingOutput(serializers.ModelSerializer):
    """A running auction as a would-be buyer sees it: the right, the seller, the window, the reserve and the
    bids so far; not the defaulted loan, its exposure or its recoveries."""

    asset = CaseAssetOutput()
    bank = serializers.CharField(source="bank.name", help_text="The seller: the lending bank.")
    auction = serializers.SerializerMethodField()

    class Meta:
        model = DisposalCase
        fields = ("id", "reference", "asset", "bank", "auction")

    @extend_schema_field(AuctionOutput)
    def get_auction(self, obj) -> dict:
        running = max((a for a in obj.auctions.all() if a.closed_at is None), key=lambda a: a.pk)
        return AuctionOutput(running).data


class DisposalCaseInput(serializers.Serializer):
    loan = IdField()
    asset = IdField(help_text="One of the loan's pledged assets.")


class AgreedTransferInput(serializers.Serializer):
    buyer = serializers.CharField(max_length=200)
    price = serializers.DecimalField(**POSITIVE)
    costs = serializers.DecimalField(**NON_NEGATIVE, default=Decimal(0))
    received_on = serializers.DateField(required=False)


class ExchangeSaleInput(serializers.Serializer):
    exchange = serializers.CharField(max_length=120, help_text="The IP exchange it was listed on.")
    listing_reference = serializers.CharField(max_length=60)
    buyer = serializers.CharField(max_length=200)
    price = serializers.DecimalField(**POSITIVE)
    costs = serializers.DecimalField(**NON_NEGATIVE, default=Decimal(0))
    received_on = serializers.DateField(required=False)


class EquitySwapInput(serializers.Serializer):
    company = serializers.CharField(max_length=200)
    stake = serializers.DecimalField(max_digits=7, decimal_places=6, min_value=Decimal("0.000001"), max_value=1)
    value = serializers.DecimalField(**POSITIVE, help_text="What the stake is taken at (作价).")
    costs = serializers.DecimalField(**NON_NEGATIVE, default=Decimal(0))
    received_on = serializers.DateField(required=False)


class AuctionInput(serializers.Serializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reserve_price = serializers.DecimalField(
        **POSITIVE, required=False, help_text="Default: the valuation's realisable value."
    )


class BidInput(serializers.Serializer):
    amount = serializers.DecimalField(**POSITIVE)


class BidOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = money()
    placed_at = serializers.DateTimeField()


class CostsInput(serializers.Serializer):
    costs = serializers.DecimalField(**NON_NEGATIVE, default=Decimal(0))


class RoyaltyLineInput(serializers.Serializer):
    due_on = serializers.DateField()
    amount = serializers.DecimalField(**POSITIVE)


class LicenceInput(serializers.Serializer):
    licensee = serializers.CharField(max_length=200)
    royalties = RoyaltyLineInput(many=True)


class RoyaltyInput(serializers.Serializer):
    amount = serializers.DecimalField(**POSITIVE)
    costs = serializers.DecimalField(**NON_NEGATIVE, default=Decimal(0))
    received_on = serializers.DateField(required=False)


class RecoveryRateOutput(serializers.Serializer):
    route = serializers.CharField()
    ip_type = serializers.CharField()
    cases = serializers.IntegerField()
    exposure = money()
    gross = money()
    costs = money()
    net = money()
    rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True, help_text="net ÷ exposure")
