"""What the financial office reports on, beyond the loans themselves: the targets, the IP pledge loans banks
made outside the platform, and the plan's other indicators with the official figures the office enters."""

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.models import Organisation
from tongzhirong.core.models import TimeStampedModel
from tongzhirong.core.reference import SHANGHAI, Chain, Cluster, District, IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.rollups import (
    REPORTED,
    TECH_MARKERS,
    RollupEntry,
    loan_entry,
    rollup_record,
    size_band,
    tech_marker_keys,
)

# The registers' counts (indicators, coverage) are models of this app, kept by triggers.
from .registers import FirmFigure, FirstLoanFigure, RegisterFigure  # noqa: F401


class TargetReading(models.TextChoices):
    """The plan says "above 200亿 by end-2026" without saying whether per year or in total: both are tracked."""

    ANNUAL = "annual", _("Annual 年度")
    CUMULATIVE = "cumulative", _("Cumulative 累计")


class TargetMeasure(models.TextChoices):
    DISBURSED_PRINCIPAL = "disbursed_principal", _("Disbursed principal of IP pledge loans 知识产权质押贷款发放本金")


class Target(TimeStampedModel):
    """A volume target as configuration: the amount, what counts and over which days (Asia/Shanghai)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    reading = models.CharField(_("reading"), max_length=16, choices=TargetReading.choices)
    measure = models.CharField(
        _("what counts"), max_length=32, choices=TargetMeasure.choices, default=TargetMeasure.DISBURSED_PRINCIPAL
    )
    amount = models.DecimalField(_("target amount (yuan)"), max_digits=16, decimal_places=2)
    period_start = models.DateField(_("first day (Asia/Shanghai)"))
    period_end = models.DateField(_("last day, inclusive (Asia/Shanghai)"))
    includes_reported = models.BooleanField(
        _("counts loans reported from outside the platform"),
        default=True,
        help_text=_("The plan counts all IP pledge financing in the city, not only the platform's."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["period_start", "period_end", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_positive"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="target_period_order"),
            models.CheckConstraint(condition=Q(reading__in=TargetReading.values), name="target_reading_valid"),
            models.CheckConstraint(condition=Q(measure__in=TargetMeasure.values), name="target_measure_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportedLoan(TimeStampedModel):
    """An IP pledge loan a bank made outside the platform, imported from the bank's report so that the office
    counts all of the city's IP pledge financing. One per bank and contract number, platform loans included.

    The borrower's district, cluster, chain and tech markers are copied from its platform profile when its
    USCC is known there, else the district is read from the USCC's division code; they are kept as imported."""

    bank = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reported_loans",
        verbose_name=_("bank"),
        limit_choices_to={"kind": "bank"},
    )
    contract_number = models.CharField(_("contract number"), max_length=40)
    borrower_uscc = models.CharField(_("borrower USCC"), max_length=18, db_index=True)
    borrower_name = models.CharField(_("borrower name"), max_length=200, blank=True)
    borrower = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_loans",
        verbose_name=_("borrower on the platform"),
    )
    # The platform firm with the same USCC, whenever it registered: a join on the USCC, no column. The dashboard
    # counts a reported firm once when this firm also has a platform loan in the same period.
    platform_firm = models.ForeignObject(
        Enterprise,
        on_delete=models.DO_NOTHING,
        from_fields=["borrower_uscc"],
        to_fields=["uscc"],
        null=True,
        related_name="+",
        verbose_name=_("firm on the platform with this USCC"),
    )
    ip_type = models.CharField(_("leading IP type"), max_length=32, choices=IPType.choices)
    ip_identifiers = models.JSONField(_("pledged IP identifiers"), default=list)
    principal = models.DecimalField(_("principal (yuan)"), max_digits=16, decimal_places=2)
    disbursed_on = models.DateField(_("disbursed on"))
    # Midnight of ``disbursed_on`` in Asia/Shanghai: the same periods apply to platform and reported loans.
    disbursed_at = models.DateTimeField(_("disbursed at"))
    maturity_date = models.DateField(_("maturity date"), null=True, blank=True)
    district = models.CharField(_("district or park"), max_length=16, choices=District.choices, blank=True)
    cluster = models.CharField(_("616 cluster"), max_length=32, choices=Cluster.choices, blank=True)
    chain = models.CharField(_("616 chain"), max_length=32, choices=Chain.choices, blank=True)
    is_high_tech = models.BooleanField(_("high-tech enterprise 高新技术企业"), default=False)
    is_tech_sme = models.BooleanField(_("tech-based SME 科技型中小企业"), default=False)
    is_specialised = models.BooleanField(_("specialised SME 专精特新"), default=False)
    is_little_giant = models.BooleanField(_("little giant 小巨人"), default=False)
    first_loan = models.BooleanField(_("borrower's first IP pledge loan 首贷"), null=True, blank=True)
    imported_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by")
    )

    class Meta:
        verbose_name = _("reported loan")
        verbose_name_plural = _("reported loans")
        ordering = ["-disbursed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "contract_number"], name="reportedloan_unique_contract_per_bank"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="reportedloan_principal_positive"),
            models.CheckConstraint(condition=Q(ip_type__in=IPType.values), name="reportedloan_ip_type_valid"),
            models.CheckConstraint(
                condition=Q(district="") | Q(district__in=District.values), name="reportedloan_district_valid"
            ),
            models.CheckConstraint(
                condition=Q(maturity_date__isnull=True) | Q(maturity_date__gt=F("disbursed_on")),
                name="reportedloan_maturity_after_disbursement",
            ),
        ]
        indexes = [
            models.Index(fields=["bank", "disbursed_at"]),
            # The dashboard's amounts per range of days read this index only (PostgreSQL; SQLite ignores include).
            models.Index(fields=["disbursed_at"], include=["principal"], name="reportedloan_disbursed_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.contract_number}"

    def save(self, *args, **kwargs):
        """A new reported loan enters the office's rollups in the same transaction (the import's bulk write
        records its loans itself)."""
        if not self._state.adding:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            super().save(*args, **kwargs)
            rollup_record([self.rollup_entry()])

    def rollup_entry(self) -> RollupEntry:
        first_time = {True: "first", False: "repeat"}.get(self.first_loan, "unknown")
        return loan_entry(
            source=REPORTED,
            day=timezone.localtime(self.disbursed_at, SHANGHAI).date(),
            firm=self.borrower_uscc,
            amount=self.principal,
            groups={
                "district": [self.district],
                "cluster": [self.cluster],
                "chain": [self.chain],
                "bank": [str(self.bank_id)],
                "product_type": ["reported"],
                "ip_type": [self.ip_type],
                "size_band": [size_band(self.principal)],
                "first_time": [first_time],
                "tech_marker": tech_marker_keys({m: getattr(self, m) for m in TECH_MARKERS}),
            },
        )


class Indicator(models.Model):
    """One of the plan's indicators (seed section 一), or a figure others are derived from (population)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=30)
    target = models.DecimalField(_("plan target"), max_digits=20, decimal_places=4, null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    derivation = models.CharField(
        _("what the platform can derive"),
        max_length=300,
        blank=True,
        help_text=_("Empty when only the official figure exists."),
    )
    ordering_key = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ["ordering_key", "code"]

    def __str__(self) -> str:
        return self.name


class OfficialFigure(TimeStampedModel):
    """A figure the office enters from official statistics, as of a day; the latest one is shown."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="official_figures", verbose_name=_("indicator")
    )
    as_of = models.DateField(_("as of"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    source = models.CharField(_("source"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )

    class Meta:
        verbose_name = _("official figure")
        verbose_name_plural = _("official figures")
        ordering = ["indicator", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "as_of"], name="officialfigure_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.as_of}: {self.value}"
