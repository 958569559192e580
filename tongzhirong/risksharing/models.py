from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongzhirong.accounts.models import Organisation
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.models import TimeStampedModel, non_negative, status_constraint
from tongzhirong.core.money import to_yuan
from tongzhirong.core.triggers import append_only
from tongzhirong.financing.models import Application, ApplicationDocument, Loan
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct

from . import ledger, waterfall

MONEY = {"max_digits": 16, "decimal_places": 2}


def _money(label, **kwargs):
    return models.DecimalField(label, **MONEY, **kwargs)


# --- Insurance policies and guarantees ------------------------------------------------------------------


class CoverKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance 保证保险")
    GUARANTEE = "guarantee", _("Guarantee 融资担保")


class CoverPolicy(TimeStampedModel):
    """An insurance policy or guarantee bound to a loan at disbursement, on the product's terms then."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="cover_policies", verbose_name=_("loan"))
    kind = models.CharField(_("kind"), max_length=16, choices=CoverKind.choices)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cover_policies", verbose_name=_("insurer or guarantor")
    )
    insurance_product = models.ForeignKey(
        InsuranceProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("insurance")
    )
    guarantee_product = models.ForeignKey(
        GuaranteeProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("guarantee")
    )
    cover_request = models.OneToOneField(
        "CoverRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policy",
        verbose_name=_("underwritten on request"),
    )
    number = models.CharField(_("policy number"), max_length=40, unique=True)
    insured_amount = _money(_("insured principal (yuan)"))
    rate = models.DecimalField(_("premium or fee rate (per year)"), max_digits=9, decimal_places=6)
    premium = _money(_("premium or fee (yuan)"))
    coverage_ratio = models.DecimalField(_("coverage ratio of the loss"), max_digits=5, decimal_places=4)
    coverage_cap = _money(_("cover cap (yuan)"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("insurance policy or guarantee")
        verbose_name_plural = _("insurance policies and guarantees")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "kind"], name="coverpolicy_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=CoverKind.values), name="coverpolicy_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=CoverKind.INSURANCE) & Q(insurance_product__isnull=False))
                | (Q(kind=CoverKind.GUARANTEE) & Q(guarantee_product__isnull=False)),
                name="coverpolicy_product_matches_kind",
            ),
            *non_negative("premium", "insured_amount", prefix="coverpolicy"),
            models.CheckConstraint(
                condition=Q(coverage_ratio__gte=0) & Q(coverage_ratio__lte=1), name="coverpolicy_ratio_range"
            ),
            models.CheckConstraint(
                condition=Q(coverage_cap__isnull=True) | Q(coverage_cap__gte=0), name="coverpolicy_cap_non_negative"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="coverpolicy_period_valid"),
        ]

    def __str__(self) -> str:
        return self.number


class CoverRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting underwriting 待核保")
    ACCEPTED = "accepted", _("Cover accepted 已承保")
    DECLINED = "declined", _("Cover declined 已拒保")
    WITHDRAWN = "withdrawn", _("Withdrawn 已撤回")
    LAPSED = "lapsed", _("Lapsed with the application 随申请终止")


# A guarantee's request in a guarantor's words (担保, not the insurer's 核保 and 承保): the same states for its kind.
GUARANTEE_STATUS_WORDS = {
    CoverRequestStatus.REQUESTED: pgettext_lazy("guarantee", "Awaiting the guarantor 待审担保"),
    CoverRequestStatus.ACCEPTED: pgettext_lazy("guarantee", "Guarantee accepted 已同意担保"),
    CoverRequestStatus.DECLINED: pgettext_lazy("guarantee", "Guarantee declined 已拒绝担保"),
}


class CoverLapseReason(models.TextChoices):
    """Why a request lapsed: the application it was asked for left the way to disbursement."""

    APPLICATION_REJECTED = "application_rejected", _("The application was rejected 申请已被拒绝")
    APPLICATION_WITHDRAWN = "application_withdrawn", _("The application was withdrawn 申请已撤回")
    APPLICATION_EXPIRED = "application_expired", _("The application expired 申请已过期")


CR = CoverRequestStatus
# A request that still stands: one per application and kind of cover.
LIVE_COVER_REQUEST = frozenset({CR.REQUESTED, CR.ACCEPTED})


class CoverRequest(TimeStampedModel):
    """The lending bank asks an insurer or a guarantor to underwrite an approved application's loan before it is
    disbursed: the provider accepts (on its product's terms or its own, with conditions) or declines with a
    reason. The accepted terms are the ones the policy is bound on at disbursement and the claims pay by."""

    TRANSITIONS: dict[str, frozenset[str]] = {
        CR.REQUESTED: frozenset({CR.ACCEPTED, CR.DECLINED, CR.WITHDRAWN, CR.LAPSED}),
        # The bank may still change its mind before disbursement; a rejection, withdrawal or expiry of the
        # application closes a live request, decided or not (``lapse_reason`` says which).
        CR.ACCEPTED: frozenset({CR.WITHDRAWN, CR.LAPSED}),
        CR.DECLINED: frozenset(),
        CR.WITHDRAWN: frozenset(),
        CR.LAPSED: frozenset(),
    }

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="cover_requests", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CoverKind.choices)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cover_requests", verbose_name=_("insurer or guarantor")
    )
    insurance_product = models.ForeignKey(
        InsuranceProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("insurance")
    )
    guarantee_product = models.ForeignKey(
        GuaranteeProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("guarantee")
    )
    status = models.CharField(_("status"), max_length=12, choices=CoverRequestStatus.choices, default=CR.REQUESTED)
    amount = _money(_("principal to cover (yuan)"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    # The terms: the product's when asked, the provider's own once accepted.
    rate = models.DecimalField(_("premium or fee rate (per year)"), max_digits=9, decimal_places=6)
    coverage_ratio = models.DecimalField(_("coverage ratio of the loss"), max_digits=5, decimal_places=4)
    coverage_cap = _money(_("cover cap (yuan)"), null=True, blank=True)
    conditions = models.TextField(_("conditions of cover"), blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    lapse_reason = models.CharField(_("why it lapsed"), max_length=24, choices=CoverLapseReason.choices, blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cover request")
        verbose_name_plural = _("cover requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("coverrequest", CoverRequestStatus),
            models.CheckConstraint(condition=Q(kind__in=CoverKind.values), name="coverrequest_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=CoverKind.INSURANCE, insurance_product__isnull=False, guarantee_product__isnull=True)
                | Q(kind=CoverKind.GUARANTEE, guarantee_product__isnull=False, insurance_product__isnull=True),
                name="coverrequest_product_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(status__in=[CR.REQUESTED, CR.ACCEPTED]),
                name="coverrequest_one_live_per_kind",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="coverrequest_amount_positive"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="coverrequest_rate_range"),
            models.CheckConstraint(
                condition=Q(coverage_ratio__gt=0) & Q(coverage_ratio__lte=1), name="coverrequest_ratio_range"
            ),
            models.CheckConstraint(
                condition=Q(coverage_cap__isnull=True) | Q(coverage_cap__gte=0), name="coverrequest_cap_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status=CR.DECLINED) | ~Q(decline_reason=""), name="coverrequest_declined_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status=CR.LAPSED, lapse_reason__in=CoverLapseReason.values)
                | (~Q(status=CR.LAPSED) & Q(lapse_reason="")),
                name="coverrequest_lapsed_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"])]

    def status_words(self, status: str | None = None) -> str:
        """``status`` (default: the current one) in the words of the request's kind."""
        status = status or self.status
        if self.kind == CoverKind.GUARANTEE and status in GUARANTEE_STATUS_WORDS:
            return str(GUARANTEE_STATUS_WORDS[status])
        return str(CoverRequestStatus(status).label)

    @property
    def status_label(self) -> str:
        return self.status_words()

    def __str__(self) -> str:
        return self.reference

    @property
    def product(self):
        return self.insurance_product if self.kind == CoverKind.INSURANCE else self.guarantee_product


# --- The city risk-compensation pool --------------------------------------------------------------------


class Pool(TimeStampedModel):
    """A risk-compensation pool (风险补偿资金池) run by a city office, funded by its sponsors."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="operated_pools", verbose_name=_("operator")
    )
    fund_size = _money(_("fund size at set-up (yuan)"))
    # The pool's cash now: contributions (the set-up's and later top-ups) less claims paid plus recoveries.
    # Kept equal to the ledger's cash account by pool_post, in the same transaction as the journal.
    fund_balance = _money(_("fund balance (yuan)"), default=0)
    leverage_cap = models.DecimalField(_("leverage cap (× fund)"), max_digits=6, decimal_places=2)
    share_fund = models.DecimalField(_("loss share: fund"), max_digits=7, decimal_places=4)
    share_bank = models.DecimalField(_("loss share: bank"), max_digits=7, decimal_places=4)
    share_insurer = models.DecimalField(_("loss share: insurer"), max_digits=7, decimal_places=4, default=0)
    share_guarantor = models.DecimalField(_("loss share: guarantor"), max_digits=7, decimal_places=4, default=0)
    share_appraiser = models.DecimalField(_("loss share: appraiser"), max_digits=7, decimal_places=4, default=0)
    waterfall_order = models.JSONField(_("waterfall order"), default=list)
    eligible_districts = models.JSONField(_("eligible districts (empty: all)"), default=list, blank=True)
    required_tech_markers = models.JSONField(_("tech markers, any of (empty: none)"), default=list, blank=True)
    max_loan_amount = _money(_("largest eligible loan (yuan)"), null=True, blank=True)
    max_compensation_per_loan = _money(_("compensation cap per loan (yuan)"), null=True, blank=True)
    appraiser_cap = _money(_("appraiser's liability cap per loan (yuan)"), null=True, blank=True)
    trigger_days_past_due = models.PositiveSmallIntegerField(_("claim trigger (days past due)"), default=90)
    is_active = models.BooleanField(_("open for filings"), default=True)

    class Meta:
        verbose_name = _("risk-compensation pool")
        verbose_name_plural = _("risk-compensation pools")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(fund_size__gt=0), name="pool_fund_positive"),
            models.CheckConstraint(condition=Q(leverage_cap__gt=0), name="pool_leverage_positive"),
            *non_negative(
                "share_fund", "share_bank", "share_insurer", "share_guarantor", "share_appraiser", prefix="pool"
            ),
            models.CheckConstraint(
                condition=Q(share_fund__gt=0)
                | Q(share_bank__gt=0)
                | Q(share_insurer__gt=0)
                | Q(share_guarantor__gt=0)
                | Q(share_appraiser__gt=0),
                name="pool_shares_not_all_zero",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def capacity(self):
        """The most the filed loans may add up to: the fund as it stands (after claims paid, recoveries and
        top-ups) × leverage; nothing when the fund is used up."""
        return to_yuan(max(self.fund_balance, 0) * self.leverage_cap)

    def weights(self) -> dict:
        return {
            waterfall.FUND: self.share_fund,
            waterfall.BANK: self.share_bank,
            waterfall.INSURER: self.share_insurer,
            waterfall.GUARANTOR: self.share_guarantor,
            waterfall.APPRAISER: self.share_appraiser,
        }


class PoolSponsor(models.Model):
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="sponsors", verbose_name=_("pool"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("sponsor")
    )
    contribution = _money(_("contribution (yuan)"))

    class Meta:
        verbose_name = _("pool sponsor")
        verbose_name_plural = _("pool sponsors")
        constraints = [
            models.UniqueConstraint(fields=["pool", "organisation"], name="poolsponsor_unique"),
            models.CheckConstraint(condition=Q(contribution__gt=0), name="poolsponsor_contribution_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {self.organisation}"


class FilingStatus(models.TextChoices):
    FILED = "filed", _("Filed 已备案")
    COVERED = "covered", _("Covered 已放款纳入")
    CLAIMED = "claimed", _("Claimed 已申请代偿")
    SETTLED = "settled", _("Settled 已代偿")
    RELEASED = "released", _("Released 已解除")
    WITHDRAWN = "withdrawn", _("Withdrawn 已撤回")


FS = FilingStatus
# Filings that count against the pool's capacity.
LIVE_FILING = (FS.FILED, FS.COVERED, FS.CLAIMED)


class PoolFiling(TimeStampedModel):
    """A loan filed with the pool before disbursement (事前备案); it counts against the pool's capacity until
    released (the loan is repaid), withdrawn, or settled by a paid claim."""

    TRANSITIONS: dict[str, frozenset[str]] = {
        FS.FILED: frozenset({FS.COVERED, FS.WITHDRAWN}),
        FS.COVERED: frozenset({FS.CLAIMED, FS.RELEASED}),
        FS.CLAIMED: frozenset({FS.COVERED, FS.SETTLED}),
        FS.SETTLED: frozenset(),
        FS.RELEASED: frozenset(),
        FS.WITHDRAWN: frozenset(),
    }

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="filings", verbose_name=_("pool"))
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="pool_filings", verbose_name=_("application")
    )
    loan = models.OneToOneField(
        Loan, on_delete=models.PROTECT, null=True, blank=True, related_name="pool_filing", verbose_name=_("loan")
    )
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bank"))
    appraiser = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("appraiser")
    )
    amount = _money(_("filed amount (yuan)"))
    status = models.CharField(_("status"), max_length=12, choices=FilingStatus.choices, default=FS.FILED)
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )

    class Meta:
        verbose_name = _("pool filing")
        verbose_name_plural = _("pool filings")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("poolfiling", FilingStatus),
            models.CheckConstraint(condition=Q(amount__gt=0), name="poolfiling_amount_positive"),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=[FS.FILED, FS.COVERED, FS.CLAIMED, FS.SETTLED]),
                name="poolfiling_one_live_per_application",
            ),
        ]
        indexes = [models.Index(fields=["pool", "status"])]

    def __str__(self) -> str:
        return f"{self.pool}: {self.application}"


class PoolJournal(models.Model):
    """One balanced posting of the pool's ledger (see ``ledger.py``)."""

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="journals", verbose_name=_("pool"))
    kind = models.CharField(_("kind"), max_length=16, choices=[(j.value, j.value) for j in ledger.Journal])
    amount = _money(_("amount (yuan)"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    filing = models.ForeignKey(PoolFiling, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    claim = models.ForeignKey("Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recovery = models.ForeignKey("Recovery", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pool journal")
        verbose_name_plural = _("pool journals")
        ordering = ["pool", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pooljournal_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=[j.value for j in ledger.Journal]), name="pooljournal_kind_valid"
            ),
        ]
        # The ledger is corrected by a further journal, never by editing or removing one.
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.pool} {self.kind} {self.amount}"


class PoolEntry(models.Model):
    journal = models.ForeignKey(PoolJournal, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(_("account"), max_length=16, choices=[(a.value, a.value) for a in ledger.Account])
    debit = _money(_("debit"), default=0)
    credit = _money(_("credit"), default=0)

    class Meta:
        verbose_name = _("pool ledger entry")
        verbose_name_plural = _("pool ledger entries")
        ordering = ["journal", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__in=[a.value for a in ledger.Account]), name="poolentry_account_valid"
            ),
            # One side only, and positive: a balanced journal is then debits = credits.
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="poolentry_one_side",
            ),
        ]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.account} {self.debit or -self.credit}"


# --- Claims ---------------------------------------------------------------------------------------------


class ClaimKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance claim 保险理赔")
    GUARANTEE = "guarantee", _("Guarantee claim 担保代偿")
    POOL = "pool", _("Pool compensation 资金池补偿")


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Open 待提交")
    SUBMITTED = "submitted", _("Submitted 已提交")
    APPROVED = "approved", _("Approved 已核准")
    REJECTED = "rejected", _("Rejected 已拒赔")
    PAID = "paid", _("Paid 已赔付")
    WITHDRAWN = "withdrawn", _("Withdrawn 已撤回")


C = ClaimStatus


class Claim(TimeStampedModel):
    """A claim of the lending bank on a defaulted loan: on an insurer, a guarantor or the pool. Opened on
    default (insurance, guarantee) or by the bank (pool); the payer approves within the coverage or rejects
    with a reason, then records the payment."""

    TRANSITIONS: dict[str, frozenset[str]] = {
        C.OPEN: frozenset({C.SUBMITTED, C.WITHDRAWN}),
        C.SUBMITTED: frozenset({C.APPROVED, C.REJECTED, C.WITHDRAWN}),
        C.APPROVED: frozenset({C.PAID}),
        C.REJECTED: frozenset(),
        C.PAID: frozenset(),
        C.WITHDRAWN: frozenset(),
    }

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ClaimKind.choices)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="claims", verbose_name=_("loan"))
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("claimant bank"))
    payer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("payer"))
    policy = models.ForeignKey(
        CoverPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=pgettext_lazy("insurance", "policy"),
    )
    filing = models.ForeignKey(
        PoolFiling, on_delete=models.PROTECT, null=True, blank=True, related_name="claims", verbose_name=_("filing")
    )
    status = models.CharField(_("status"), max_length=12, choices=ClaimStatus.choices, default=C.OPEN)
    loss = _money(_("loss at claim (yuan)"), null=True, blank=True)
    coverage = _money(_("payable under the terms (yuan)"), null=True, blank=True)
    claimed_amount = _money(_("claimed amount (yuan)"), null=True, blank=True)
    approved_amount = _money(_("approved amount (yuan)"), null=True, blank=True)
    paid_amount = _money(_("paid amount (yuan)"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    allocation = models.JSONField(_("waterfall at submission"), null=True, blank=True)
    comment = models.TextField(_("claimant's comment"), blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    documents = models.ManyToManyField(
        ApplicationDocument, blank=True, related_name="+", verbose_name=_("supporting documents")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("insurance", "claim")
        verbose_name_plural = pgettext_lazy("insurance", "claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("claim", ClaimStatus),
            models.CheckConstraint(condition=Q(kind__in=ClaimKind.values), name="claim_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=ClaimKind.POOL) & Q(filing__isnull=False) & Q(policy__isnull=True))
                | (~Q(kind=ClaimKind.POOL) & Q(policy__isnull=False) & Q(filing__isnull=True)),
                name="claim_subject_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["loan", "kind"], condition=~Q(status=C.WITHDRAWN), name="claim_one_live_per_kind"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 0}), name=f"claim_{f}_nn"
                )
                for f in ("loss", "coverage", "claimed_amount", "approved_amount", "paid_amount")
            ],
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__lte=F("coverage")),
                name="claim_approved_within_coverage",
            ),
            models.CheckConstraint(
                condition=~Q(status=C.PAID) | (Q(paid_amount__isnull=False) & Q(paid_amount=F("approved_amount"))),
                name="claim_paid_is_approved",
            ),
        ]
        indexes = [models.Index(fields=["payer", "status"]), models.Index(fields=["bank", "status"])]

    def __str__(self) -> str:
        return self.reference


# --- Disposal of the pledged IP -------------------------------------------------------------------------


class DisposalRoute(models.TextChoices):
    AGREED_TRANSFER = "agreed_transfer", _("Agreed transfer 协议折价")
    AUCTION = "auction", _("Auction 拍卖")
    EXCHANGE_LISTING = "exchange_listing", _("IP exchange listing 挂牌交易")
    LICENSING = "licensing", _("Licensing 许可")
    EQUITY_SWAP = "equity_swap", _("Equity swap 作价入股")


class DisposalStatus(models.TextChoices):
    OPEN = "open", _("Open 待处置")
    AUCTION = "auction", _("In auction 拍卖中")
    LICENSING = "licensing", _("Licensing 许可中")
    COMPLETED = "completed", _("Completed 已处置")
    CANCELLED = "cancelled", _("Cancelled 已撤销")


D = DisposalStatus


class DisposalCase(TimeStampedModel):
    """The disposal (质物处置) of one pledged IP asset of a defaulted loan, by the lending bank."""

    TRANSITIONS: dict[str, frozenset[str]] = {
        D.OPEN: frozenset({D.AUCTION, D.LICENSING, D.COMPLETED, D.CANCELLED}),
        D.AUCTION: frozenset({D.COMPLETED, D.OPEN}),  # back to open when no valid bid
        D.LICENSING: frozenset({D.COMPLETED}),
        D.COMPLETED: frozenset(),
        D.CANCELLED: frozenset(),
    }

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="disposal_cases", verbose_name=_("loan"))
    asset = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="+", verbose_name=_("pledged IP"))
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bank"))
    status = models.CharField(_("status"), max_length=12, choices=DisposalStatus.choices, default=D.OPEN)
    route = models.CharField(_("route"), max_length=20, choices=DisposalRoute.choices, blank=True)
    exposure = _money(_("exposure attributed (yuan)"), help_text=_("The loan's loss at opening ÷ pledged assets."))
    counterparty = models.CharField(_("buyer, licensee or company"), max_length=200, blank=True)
    terms = models.JSONField(_("route terms"), default=dict, blank=True)
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disposal case")
        verbose_name_plural = _("disposal cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("disposalcase", DisposalStatus),
            models.CheckConstraint(condition=Q(route__in=[*DisposalRoute.values, ""]), name="disposalcase_route_valid"),
            *non_negative("exposure", prefix="disposalcase"),
            models.UniqueConstraint(
                fields=["loan", "asset"], condition=~Q(status=D.CANCELLED), name="disposalcase_one_live_per_asset"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ReserveSource(models.TextChoices):
    VALUATION = "valuation", _("the model's valuation")
    BANK = "bank", _("set by the bank")


class Auction(TimeStampedModel):
    case = models.ForeignKey(DisposalCase, on_delete=models.PROTECT, related_name="auctions", verbose_name=_("case"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    reserve_price = _money(_("reserve price (yuan)"))
    reserve_source = models.CharField(_("reserve from"), max_length=60, choices=ReserveSource.choices)
    # The valuation whose realisable value is the reserve (kept as long as the auction: PROTECT); none when the
    # bank set the reserve.
    reserve_valuation = models.ForeignKey(
        "scoring.AssetValuation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("valuation the reserve was taken from"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    winning_bid = models.OneToOneField(
        "Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("winning bid")
    )

    class Meta:
        verbose_name = _("auction")
        verbose_name_plural = _("auctions")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="auction_window_valid"),
            models.CheckConstraint(condition=Q(reserve_price__gt=0), name="auction_reserve_positive"),
            models.UniqueConstraint(fields=["case"], condition=Q(closed_at__isnull=True), name="auction_one_running"),
            models.CheckConstraint(
                condition=Q(reserve_source=ReserveSource.VALUATION, reserve_valuation__isnull=False)
                | Q(reserve_source=ReserveSource.BANK, reserve_valuation__isnull=True),
                name="auction_reserve_source_matches_valuation",
            ),
        ]

    @property
    def reserve_source_label(self) -> str:
        """Where the reserve came from, in the reader's language: the valuation it was taken from, or the bank."""
        if self.reserve_source == ReserveSource.VALUATION:
            return _("valuation #%(id)s") % {"id": self.reserve_valuation_id}
        return self.get_reserve_source_display()

    def __str__(self) -> str:
        return f"{self.case} @ {self.opens_at:%Y-%m-%d}"


class Bid(models.Model):
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids", verbose_name=_("auction"))
    bidder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder"))
    placed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    amount = _money(_("amount (yuan)"))
    placed_at = models.DateTimeField(_("placed at"), db_index=True)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        # The winner first: the highest amount, and among equal amounts the earlier bid.
        ordering = ["auction", "-amount", "placed_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive")]

    def __str__(self) -> str:
        return f"{self.auction}: {self.amount}"


class RecoverySource(models.TextChoices):
    SALE = "sale", _("Sale proceeds 转让价款")
    ROYALTY = "royalty", _("Royalty 许可费")
    EQUITY = "equity", _("Equity value 股权作价")


class Recovery(TimeStampedModel):
    """Money (or value) recovered from a disposal, net of its costs; shared back along the loss waterfall."""

    case = models.ForeignKey(DisposalCase, on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("case"))
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("loan"))
    source = models.CharField(_("source"), max_length=12, choices=RecoverySource.choices)
    gross = _money(_("gross (yuan)"))
    costs = _money(_("costs (yuan)"), default=0)
    net = _money(_("net (yuan)"))
    received_on = models.DateField(_("received on"))
    after_payment = models.BooleanField(_("arrived after claims were paid"), default=False)
    surplus = _money(_("beyond the loss (yuan)"), default=0)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["loan", "received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=RecoverySource.values), name="recovery_source_valid"),
            *non_negative("gross", "costs", "net", "surplus", prefix="recovery"),
            # ROUND to the fen: SQLite stores decimals as floats.
            models.CheckConstraint(
                condition=Q(net=Round(F("gross") - F("costs"), 2)), name="recovery_net_is_gross_less_costs"
            ),
        ]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.case} {self.net}"


class RecoveryShare(models.Model):
    """What a party who had paid gets back of a recovery (after payment), in the shares it bore."""

    recovery = models.ForeignKey(Recovery, on_delete=models.CASCADE, related_name="shares")
    party = models.CharField(_("party"), max_length=12, choices=[(p, p) for p in waterfall.PARTIES])
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = _money(_("amount (yuan)"))

    class Meta:
        verbose_name = _("recovery share")
        verbose_name_plural = _("recovery shares")
        constraints = [
            models.UniqueConstraint(fields=["recovery", "party"], name="recoveryshare_unique"),
            models.CheckConstraint(condition=Q(party__in=waterfall.PARTIES), name="recoveryshare_party_valid"),
            *non_negative("amount", prefix="recoveryshare"),
        ]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.recovery} {self.party} {self.amount}"
