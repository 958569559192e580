"""Public refunds of financing costs (贴息 / 保费补贴 / 评估费补贴): the city's policies, the firms' claims and the
per-firm, per-year allowance that keeps every claim under the policy's annual cap."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.models import TimeStampedModel, status_constraint
from tongzhirong.core.reference import District, TechMarker
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Loan


class SubsidyKind(models.TextChoices):
    INTEREST = "interest", _("Interest subsidy 贴息")
    PREMIUM = "premium", _("Premium or guarantee-fee subsidy 保费/担保费补贴")
    APPRAISAL = "appraisal", _("Appraisal-fee subsidy 评估费补贴")


class InterestBasis(models.TextChoices):
    INTEREST_PAID = "interest_paid", _("Share of the interest paid 按实付利息比例")
    LPR = "lpr", _("Share of the LPR 按LPR比例")


class RepaymentCondition(models.TextChoices):
    NONE = "none", _("No condition 无要求")
    ON_TIME = "on_time", _("Every instalment paid on time 按期还款")
    FULL = "full", _("Loan repaid in full 全部结清")


def _ratio(field: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0, f"{field}__lte": 1})
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return models.CheckConstraint(condition=condition, name=f"subsidypolicy_{field}_ratio")


class SubsidyPolicy(TimeStampedModel):
    """One subsidy programme of the city office, run per calendar year (Asia/Shanghai) from ``first_year``.

    Interest subsidy: ``share`` of the interest the firm actually paid in the year (basis ``interest_paid``), or
    the interest that ``share`` × ``lpr_rate`` would have produced on the same balance and days (basis ``lpr``:
    interest paid × share × LPR ÷ the loan's rate, never more than the interest paid). ``covered_share``
    replaces ``share`` when the loan is insured or guaranteed. Premium subsidy: a share of the premium and
    guarantee fee of loans disbursed in the year. Appraisal-fee subsidy: a share of the fee the firm declares
    for loans disbursed in the year. ``loan_cap_rate`` caps each loan's subsidy as a share of its principal;
    ``annual_cap`` caps all of one firm's claims on the policy in one year."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SubsidyKind.choices)
    interest_basis = models.CharField(
        _("interest basis"), max_length=16, choices=InterestBasis.choices, blank=True, default=""
    )
    lpr_rate = models.DecimalField(
        _("one-year LPR"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("The loan prime rate the policy refers to, e.g. 0.0310 for 3.10%."),
    )
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4)
    covered_share = models.DecimalField(
        _("share when insured or guaranteed"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    loan_cap_rate = models.DecimalField(
        _("cap per loan (share of principal)"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    annual_cap = models.DecimalField(_("cap per firm per year (yuan)"), max_digits=16, decimal_places=2)
    eligible_districts = models.JSONField(_("eligible districts (empty: all)"), default=list, blank=True)
    required_tech_markers = models.JSONField(_("tech markers, any of (empty: none required)"), default=list, blank=True)
    repayment_condition = models.CharField(
        _("repayment condition"), max_length=16, choices=RepaymentCondition.choices, default=RepaymentCondition.FULL
    )
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year (empty: open)"), null=True, blank=True)
    is_active = models.BooleanField(_("open for claims"), default=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    class Meta:
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")
        ordering = ["-first_year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SubsidyKind.values), name="subsidypolicy_kind_valid"),
            models.CheckConstraint(
                condition=Q(repayment_condition__in=RepaymentCondition.values),
                name="subsidypolicy_repayment_condition_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind=SubsidyKind.INTEREST) & Q(interest_basis__in=InterestBasis.values))
                | (~Q(kind=SubsidyKind.INTEREST) & Q(interest_basis="")),
                name="subsidypolicy_basis_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(interest_basis=InterestBasis.LPR) | Q(lpr_rate__isnull=False),
                name="subsidypolicy_lpr_needs_rate",
            ),
            _ratio("share"),
            _ratio("covered_share", nullable=True),
            _ratio("loan_cap_rate", nullable=True),
            _ratio("lpr_rate", nullable=True),
            models.CheckConstraint(condition=Q(annual_cap__gt=0), name="subsidypolicy_annual_cap_positive"),
            models.CheckConstraint(
                condition=Q(last_year__isnull=True) | Q(last_year__gte=F("first_year")),
                name="subsidypolicy_year_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field, choices in (("eligible_districts", District), ("required_tech_markers", TechMarker)):
            value = getattr(self, field)
            if not isinstance(value, list) or any(v not in choices.values for v in value):
                errors[field] = _("Use a list of known codes.")
        if self.kind == SubsidyKind.INTEREST and not self.interest_basis:
            errors["interest_basis"] = _("An interest subsidy is a share of the interest paid or of the LPR.")
        if self.kind != SubsidyKind.INTEREST and self.interest_basis:
            errors["interest_basis"] = _("Only an interest subsidy has an interest basis.")
        if self.interest_basis == InterestBasis.LPR and self.lpr_rate is None:
            errors["lpr_rate"] = _("Give the LPR the subsidy refers to.")
        if self.last_year is not None and self.first_year and self.last_year < self.first_year:
            errors["last_year"] = _("The last year is before the first.")
        if errors:
            raise ValidationError(errors)

    def covers_year(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted 已申报")
    APPROVED = "approved", _("Approved 已核准")
    REJECTED = "rejected", _("Rejected 未通过")
    PAID = "paid", _("Paid 已拨付")
    WITHDRAWN = "withdrawn", _("Withdrawn 已撤回")


C = ClaimStatus


class SubsidyClaim(TimeStampedModel):
    """A firm's claim on one policy for one year, over one or several of its loans. ``computed_amount`` is
    what the loans earn under the policy; ``amount`` what remains of the firm's annual cap for it."""

    TRANSITIONS: dict[str, frozenset[str]] = {
        C.SUBMITTED: frozenset({C.APPROVED, C.REJECTED, C.WITHDRAWN}),
        C.APPROVED: frozenset({C.PAID}),
        C.PAID: frozenset(),
        C.REJECTED: frozenset(),
        C.WITHDRAWN: frozenset(),
    }
    # Claims that hold part of the firm's annual cap.
    LIVE = frozenset({C.SUBMITTED, C.APPROVED, C.PAID})

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.PROTECT, related_name="claims", verbose_name=_("policy"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="subsidy_claims", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("policy year"))
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus.choices, default=C.SUBMITTED, db_index=True
    )
    computed_amount = models.DecimalField(_("computed amount (yuan)"), max_digits=16, decimal_places=2)
    amount = models.DecimalField(_("amount within the cap (yuan)"), max_digits=16, decimal_places=2)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("subsidy claim")
        verbose_name_plural = _("subsidy claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("subsidyclaim", ClaimStatus),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=F("computed_amount")), name="subsidyclaim_amount_range"
            ),
            models.CheckConstraint(
                condition=Q(status=C.PAID, paid_on__isnull=False) | (~Q(status=C.PAID) & Q(paid_on__isnull=True)),
                name="subsidyclaim_paid_on_iff_paid",
            ),
        ]
        indexes = [models.Index(fields=["policy", "year", "status"])]

    def __str__(self) -> str:
        return self.reference


class SubsidyClaimLine(models.Model):
    """What one loan earns in a claim. ``live`` follows the claim: a loan is claimed once per policy and year
    while its claim holds part of the cap; a rejected or withdrawn claim frees it."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.CASCADE, related_name="lines", verbose_name=_("claim"))
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="subsidy_lines", verbose_name=_("loan"))
    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("policy"))
    year = models.PositiveSmallIntegerField(_("policy year"))
    base = models.DecimalField(
        _("base (yuan)"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Interest paid in the year, the premium and guarantee fee, or the declared appraisal fee."),
    )
    share = models.DecimalField(_("share applied"), max_digits=9, decimal_places=6)
    covered = models.BooleanField(_("insured or guaranteed"), default=False)
    loan_cap = models.DecimalField(_("cap for this loan (yuan)"), max_digits=16, decimal_places=2, null=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2)
    live = models.BooleanField(_("holds the loan"), default=True)

    class Meta:
        verbose_name = _("subsidy claim line")
        verbose_name_plural = _("subsidy claim lines")
        ordering = ["claim", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "year", "loan"], condition=Q(live=True), name="subsidyclaimline_one_live_per_loan"
            ),
            models.CheckConstraint(
                condition=Q(base__gte=0) & Q(amount__gte=0) & Q(amount__lte=F("base")),
                name="subsidyclaimline_amount_within_base",
            ),
            models.CheckConstraint(
                condition=Q(loan_cap__isnull=True) | Q(amount__lte=F("loan_cap")),
                name="subsidyclaimline_amount_within_loan_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.loan_id} {self.amount}"


class SubsidyAllowance(models.Model):
    """One firm's use of one policy's annual cap in one year. Claims lock this row (select_for_update) to
    reserve their amount, so concurrent claims cannot together pass the cap; the database refuses it too."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise"))
    policy = models.ForeignKey(
        SubsidyPolicy, on_delete=models.PROTECT, related_name="allowances", verbose_name=_("policy")
    )
    year = models.PositiveSmallIntegerField(_("policy year"))
    cap = models.DecimalField(_("cap (yuan)"), max_digits=16, decimal_places=2)
    committed = models.DecimalField(_("held by live claims (yuan)"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("subsidy allowance")
        verbose_name_plural = _("subsidy allowances")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "policy", "year"], name="subsidyallowance_unique"),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=F("cap")), name="subsidyallowance_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.policy_id}/{self.year}: {self.committed} of {self.cap}"
