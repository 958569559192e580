from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.models import Organisation
from tongzhirong.core.models import TimeStampedModel, non_negative
from tongzhirong.core.reference import Cluster, District, IPType, RepaymentMethod, TechMarker


def _ratio_constraint(field: str, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 1}), name=f"{prefix}_{field}_ratio"
    )


def _validate_choice_list(value, choices: type[models.TextChoices], label: str) -> None:
    if not isinstance(value, list) or any(v not in choices.values for v in value):
        raise ValidationError(_("%(label)s must be a list of known codes.") % {"label": label})


class LoanProduct(TimeStampedModel):
    """An IP pledge loan product posted by a bank."""

    bank = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="loan_products",
        verbose_name=_("bank"),
        limit_choices_to={"kind": "bank"},
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    min_amount = models.DecimalField(_("minimum amount (yuan)"), max_digits=16, decimal_places=2)
    max_amount = models.DecimalField(_("maximum amount (yuan)"), max_digits=16, decimal_places=2)
    min_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    max_term_months = models.PositiveSmallIntegerField(_("maximum term (months)"))
    min_rate = models.DecimalField(_("minimum annual rate"), max_digits=9, decimal_places=6)
    max_rate = models.DecimalField(_("maximum annual rate"), max_digits=9, decimal_places=6)
    repayment_methods = models.JSONField(_("repayment methods"), default=list)
    eligible_districts = models.JSONField(_("eligible districts (empty: all)"), default=list, blank=True)
    eligible_clusters = models.JSONField(_("eligible 616 clusters (empty: all)"), default=list, blank=True)
    required_tech_markers = models.JSONField(_("tech markers, any of (empty: none required)"), default=list, blank=True)
    requires_insurance = models.BooleanField(_("requires IP insurance"), default=False)
    requires_guarantee = models.BooleanField(_("requires a guarantee"), default=False)
    appraisal_free_ceiling = models.DecimalField(
        _("appraisal-free ceiling (yuan)"),
        max_digits=16,
        decimal_places=2,
        default=0,
        help_text=_("Loans up to this amount need no formal appraisal report."),
    )
    is_active = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        ordering = ["bank__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "name"], name="loanproduct_unique_name_per_bank"),
            *non_negative("min_amount", "appraisal_free_ceiling", prefix="loanproduct"),
            models.CheckConstraint(condition=Q(max_amount__gte=F("min_amount")), name="loanproduct_amount_range"),
            models.CheckConstraint(
                condition=Q(min_term_months__gte=1) & Q(max_term_months__gte=F("min_term_months")),
                name="loanproduct_term_range",
            ),
            models.CheckConstraint(
                condition=Q(min_rate__gte=0) & Q(max_rate__gte=F("min_rate")) & Q(max_rate__lte=1),
                name="loanproduct_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for field, choices, label in (
            ("repayment_methods", RepaymentMethod, _("Repayment methods")),
            ("eligible_districts", District, _("Districts")),
            ("eligible_clusters", Cluster, _("Clusters")),
            ("required_tech_markers", TechMarker, _("Tech markers")),
        ):
            try:
                _validate_choice_list(getattr(self, field), choices, label)
            except ValidationError as exc:
                errors[field] = exc
        if not self.repayment_methods and "repayment_methods" not in errors:
            errors["repayment_methods"] = _("Offer at least one repayment method.")
        if self.min_amount is not None and self.max_amount is not None and self.max_amount < self.min_amount:
            errors["max_amount"] = _("The maximum amount is below the minimum.")
        if self.min_term_months and self.max_term_months and self.max_term_months < self.min_term_months:
            errors["max_term_months"] = _("The maximum term is below the minimum.")
        if self.min_rate is not None and self.max_rate is not None and self.max_rate < self.min_rate:
            errors["max_rate"] = _("The maximum rate is below the minimum.")
        if errors:
            raise ValidationError(errors)


class PledgeRateCap(models.Model):
    """The highest pledge rate (loan ÷ appraised value) a product lends at, per IP type."""

    product = models.ForeignKey(
        LoanProduct, on_delete=models.CASCADE, related_name="pledge_rate_caps", verbose_name=_("product")
    )
    ip_type = models.CharField(_("IP type"), max_length=32, choices=IPType.choices)
    max_pledge_rate = models.DecimalField(_("maximum pledge rate"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("pledge rate cap")
        verbose_name_plural = _("pledge rate caps")
        constraints = [
            models.UniqueConstraint(fields=["product", "ip_type"], name="pledgeratecap_unique"),
            models.CheckConstraint(condition=Q(ip_type__in=IPType.values), name="pledgeratecap_type_valid"),
            models.CheckConstraint(
                condition=Q(max_pledge_rate__gt=0) & Q(max_pledge_rate__lte=1), name="pledgeratecap_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_ip_type_display()} ≤ {self.max_pledge_rate:.0%}"


class InsuranceProduct(TimeStampedModel):
    """IP pledge financing insurance (知识产权质押融资保证保险) posted by an insurer."""

    insurer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="insurance_products",
        verbose_name=_("insurer"),
        limit_choices_to={"kind": "insurer"},
    )
    name = models.CharField(_("name"), max_length=120)
    premium_rate = models.DecimalField(_("premium rate (of principal, per year)"), max_digits=9, decimal_places=6)
    coverage_ratio = models.DecimalField(_("coverage ratio of the loss"), max_digits=5, decimal_places=4)
    coverage_cap = models.DecimalField(_("cover cap per loan (yuan)"), max_digits=16, decimal_places=2)
    is_active = models.BooleanField(_("published"), default=True)
    # Terms never change under a loan that took them: a revision is a new version, the old one withdrawn.
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )

    class Meta:
        verbose_name = _("insurance product")
        verbose_name_plural = _("insurance products")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "name", "version"], name="insuranceproduct_unique_version"),
            _ratio_constraint("premium_rate", "insuranceproduct"),
            _ratio_constraint("coverage_ratio", "insuranceproduct"),
            *non_negative("coverage_cap", prefix="insuranceproduct"),
        ]

    def __str__(self) -> str:
        return self.name


class GuaranteeProduct(TimeStampedModel):
    """A credit guarantee for IP pledge loans posted by a guarantor."""

    guarantor = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="guarantee_products",
        verbose_name=_("guarantor"),
        limit_choices_to={"kind": "guarantor"},
    )
    name = models.CharField(_("name"), max_length=120)
    fee_rate = models.DecimalField(_("guarantee fee rate (per year)"), max_digits=9, decimal_places=6)
    coverage_ratio = models.DecimalField(_("coverage ratio of the loss"), max_digits=5, decimal_places=4)
    is_active = models.BooleanField(_("published"), default=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )

    class Meta:
        verbose_name = _("guarantee product")
        verbose_name_plural = _("guarantee products")
        constraints = [
            models.UniqueConstraint(fields=["guarantor", "name", "version"], name="guaranteeproduct_unique_version"),
            _ratio_constraint("fee_rate", "guaranteeproduct"),
            _ratio_constraint("coverage_ratio", "guaranteeproduct"),
        ]

    def __str__(self) -> str:
        return self.name
