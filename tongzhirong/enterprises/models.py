import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.models import Organisation
from tongzhirong.core.identifiers import IdentifierError, normalise_uscc
from tongzhirong.core.models import TimeStampedModel, non_negative
from tongzhirong.core.reference import CLUSTER_CHAINS, Chain, Cluster, District


def validate_uscc(value: str) -> None:
    try:
        normalise_uscc(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_uscc") from exc


class TaxCreditGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"
    NONE = "", _("Not rated")


class Enterprise(TimeStampedModel):
    """The profile of an SME borrower. One per SME organisation."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="enterprise",
        verbose_name=_("organisation"),
        limit_choices_to={"kind": "sme"},
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc])
    district = models.CharField(_("district or park"), max_length=16, choices=District.choices, db_index=True)
    cluster = models.CharField(_("616 cluster"), max_length=32, choices=Cluster.choices, db_index=True)
    chain = models.CharField(_("616 chain"), max_length=32, choices=Chain.choices, db_index=True)
    founded_on = models.DateField(_("founding date"))
    registered_capital = models.DecimalField(_("registered capital (yuan)"), max_digits=16, decimal_places=2)
    employees = models.PositiveIntegerField(_("employees"))
    annual_revenue = models.DecimalField(_("annual revenue (yuan)"), max_digits=16, decimal_places=2)
    # Technology-SME markers.
    is_high_tech = models.BooleanField(_("high-tech enterprise 高新技术企业"), default=False)
    is_tech_sme = models.BooleanField(_("tech-based SME 科技型中小企业"), default=False)
    is_specialised = models.BooleanField(_("specialised SME 专精特新"), default=False)
    is_little_giant = models.BooleanField(_("little giant 小巨人"), default=False)
    is_ip_certified = models.BooleanField(_("IP management certified 贯标"), default=False)
    # What a lender needs to know of its credit history.
    existing_debt = models.DecimalField(_("existing debt (yuan)"), max_digits=16, decimal_places=2, default=0)
    prior_ip_loans = models.PositiveIntegerField(_("prior IP pledge loans"), default=0)
    overdue_events_24m = models.PositiveIntegerField(_("overdue events in 24 months"), default=0)
    max_days_past_due_24m = models.PositiveIntegerField(_("worst days past due in 24 months"), default=0)
    has_court_enforcement = models.BooleanField(_("under court enforcement 被执行"), default=False)
    tax_credit_grade = models.CharField(
        _("tax credit grade 纳税信用等级"), max_length=1, choices=TaxCreditGrade.choices, blank=True
    )
    # The day of the firm's first IP pledge loan on the platform or reported by a bank (by its USCC), for the
    # office's coverage figure. Kept by the database (financing.rollups.FIRST_LOAN_TRIGGERS, from the firms'
    # spans): whatever a save writes here is replaced by what the loans say.
    first_loan_on = models.DateField(_("first IP pledge loan on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(district__in=District.values), name="enterprise_district_valid"),
            models.CheckConstraint(condition=models.Q(cluster__in=Cluster.values), name="enterprise_cluster_valid"),
            models.CheckConstraint(condition=models.Q(chain__in=Chain.values), name="enterprise_chain_valid"),
            *non_negative("registered_capital", "annual_revenue", "existing_debt", prefix="enterprise"),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        errors = {}
        if self.uscc:
            # Stored canonical (full-width characters typed by a Chinese input method become ASCII), so that
            # the unique constraint sees one company once; an invalid code is reported by the field's validator.
            try:
                self.uscc = normalise_uscc(self.uscc)
            except IdentifierError:
                self.uscc = self.uscc.strip().upper()
        if self.cluster and self.chain and self.chain not in CLUSTER_CHAINS.get(self.cluster, ()):
            errors["chain"] = _("This chain is not part of the chosen cluster.")
        if self.founded_on and self.founded_on > timezone.localdate():
            errors["founded_on"] = _("The founding date cannot be in the future.")
        if self.is_little_giant and not self.is_specialised:
            errors["is_little_giant"] = _("A little giant is a specialised SME first.")
        if errors:
            raise ValidationError(errors)

    @property
    def tech_markers(self) -> list[str]:
        flags = {
            "high_tech": self.is_high_tech,
            "tech_sme": self.is_tech_sme,
            "specialised": self.is_specialised,
            "little_giant": self.is_little_giant,
        }
        return [name for name, on in flags.items() if on]

    @property
    def is_tech_enterprise(self) -> bool:
        return bool(self.tech_markers)


class ProfileChange(models.Model):
    """One changed field of a profile: who changed it, when, from what to what. ``source`` is empty for the SME's
    own edit and names the source when a recorded fact set a verified field. Rows are only ever added."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="changes", verbose_name=_("enterprise")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        help_text=_("Empty when the system recorded it (a source's feed)."),
    )
    field = models.CharField(_("field"), max_length=40)
    old = models.JSONField(_("old value"), encoder=DjangoJSONEncoder, null=True)
    new = models.JSONField(_("new value"), encoder=DjangoJSONEncoder, null=True)
    source = models.CharField(_("source"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("profile change")
        verbose_name_plural = _("profile changes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["enterprise", "created_at"])]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.enterprise_id}.{self.field}: {self.old} → {self.new}"
