"""Facts with their provenance: what a source said about an enterprise (or one of its IP assets), where, when
it was observed and fetched, and by whom. Append-only: the current value of a fact is its latest row. The
credit-check authorisation a bank holds before it records a credit report, and the applicant's disputes."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.models import Organisation
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.models import status_constraint
from tongzhirong.enterprises.models import Enterprise

from .catalogue import FACT_NAME_CHOICES, FACTS, Source


def _append_only() -> pgtrigger.Protect:
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class AuthorisationScope(models.TextChoices):
    LOAN_REVIEW = "loan_review", _("Loan application review")
    POST_LOAN = "post_loan", _("Post-loan management")
    REVIEW_AND_POST_LOAN = "review_and_post_loan", _("Loan review and post-loan management")


class CreditAuthorisation(models.Model):
    """The firm's signed credit-check authorisation (征信授权书): the bank named may pull its central-bank
    credit report for the scope until the expiry day (inclusive), unless revoked earlier."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="credit_authorisations", verbose_name=_("enterprise")
    )
    bank = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="credit_authorisations",
        verbose_name=_("bank"),
        limit_choices_to={"kind": "bank"},
    )
    scope = models.CharField(_("scope"), max_length=24, choices=AuthorisationScope.choices)
    expires_on = models.DateField(_("expires on"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit-check authorisation")
        verbose_name_plural = _("credit-check authorisations")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=AuthorisationScope.values), name="creditauthorisation_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} → {self.bank_id} until {self.expires_on}"

    def is_live(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.revoked_at is None and self.expires_on >= on


class Fact(models.Model):
    """One observation of one input by one source. Never changed: a newer observation is a new row."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="facts", verbose_name=_("enterprise")
    )
    asset = models.ForeignKey(
        IPAsset, on_delete=models.PROTECT, related_name="facts", null=True, blank=True, verbose_name=_("IP asset")
    )
    name = models.CharField(_("fact"), max_length=40, choices=FACT_NAME_CHOICES)
    value = models.JSONField(_("value"), encoder=DjangoJSONEncoder)
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    reference = models.CharField(
        _("source reference"),
        max_length=100,
        blank=True,
        help_text=_("The source's own number for what it said: a report number, a case number, a list's batch."),
    )
    observed_at = models.DateTimeField(_("observed at"), help_text=_("When the source says this was so."))
    fetched_at = models.DateTimeField(_("fetched at"), default=timezone.now)
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fetched by"),
        help_text=_("Empty when a source's feed recorded it."),
    )
    authorisation = models.ForeignKey(
        CreditAuthorisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facts",
        verbose_name=_("credit-check authorisation"),
    )

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        ordering = ["observed_at", "fetched_at", "id"]
        indexes = [models.Index(fields=["enterprise", "name", "observed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=Source.values), name="fact_source_valid"),
            models.CheckConstraint(condition=Q(name__in=list(FACTS)), name="fact_name_valid"),
            models.CheckConstraint(
                condition=~Q(source=Source.CREDIT_REPORT) | Q(authorisation__isnull=False),
                name="fact_credit_report_authorised",
            ),
        ]
        triggers = [_append_only()]

    def __str__(self) -> str:
        return f"{self.enterprise_id}.{self.name} = {self.value} ({self.source})"

    @property
    def is_verified(self) -> bool:
        return self.source != Source.DECLARED

    @property
    def label(self):
        return FACTS[self.name].label


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld: the source corrected it")
    REJECTED = "rejected", _("Rejected: the source stands")


class FactDispute(models.Model):
    """The applicant says a source is wrong. The bank sees it next to the fact; the platform resolves it. The
    fact itself never changes: an upheld dispute records the corrected value as a new fact."""

    TRANSITIONS = {
        DisputeStatus.OPEN: {DisputeStatus.UPHELD, DisputeStatus.REJECTED},
    }

    fact = models.ForeignKey(Fact, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("fact"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="fact_disputes", verbose_name=_("enterprise")
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    correction = models.ForeignKey(
        Fact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected fact"),
    )
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fact dispute")
        verbose_name_plural = _("fact disputes")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("factdispute", DisputeStatus),
            models.UniqueConstraint(fields=["fact"], condition=Q(status="open"), name="factdispute_one_open_per_fact"),
        ]

    def __str__(self) -> str:
        return f"{self.fact} disputed ({self.status})"


class FetchOutcome(models.TextChoices):
    OK = "ok", _("Fetched")
    UNAVAILABLE = "unavailable", _("Source unavailable")
    MALFORMED = "malformed", _("Source answered with malformed data")


class SourceFetch(models.Model):
    """The last time the platform asked one source about one enterprise (its own facts and its assets'), and
    how it went. A failure keeps the last good fetch, so the bank reads "facts stale since …" and "source
    unavailable since …" instead of a default. Updated in place: the facts themselves are the history."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="source_fetches", verbose_name=_("enterprise")
    )
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FetchOutcome.choices)
    attempted_at = models.DateTimeField(_("last attempted at"))
    succeeded_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("source fetch")
        verbose_name_plural = _("source fetches")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "source"], name="sourcefetch_one_per_source"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="sourcefetch_source_valid"),
            models.CheckConstraint(condition=Q(outcome__in=FetchOutcome.values), name="sourcefetch_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.source}: {self.outcome}"


class ReceiptStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting the bank's confirmation")
    CONFIRMED = "confirmed", _("Confirmed by the bank")
    REJECTED = "rejected", _("Rejected by the bank")


def _receipt_path(receipt: FeeReceipt, filename: str) -> str:
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[receipt.mime_type]
    return f"fee-receipts/{receipt.asset_id}/{receipt.sha256[:16]}.{extension}"


class FeeReceipt(models.Model):
    """The office's receipt for a pledged asset's annual fee, uploaded by the owner between two register
    refreshes. The pledgee bank confirms it, which records "paid through" as a fact from the receipt (and so
    sets the asset's record and clears the monitor's fee flag), or rejects it with a reason."""

    TRANSITIONS = {ReceiptStatus.SUBMITTED: {ReceiptStatus.CONFIRMED, ReceiptStatus.REJECTED}}

    asset = models.ForeignKey(
        IPAsset, on_delete=models.PROTECT, related_name="fee_receipts", verbose_name=_("IP asset")
    )
    paid_through = models.DateField(_("paid through (as the receipt says)"))
    file = models.FileField(_("file"), upload_to=_receipt_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    mime_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReceiptStatus.choices, default=ReceiptStatus.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    fact = models.ForeignKey(
        Fact, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded fact")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("annual fee receipt")
        verbose_name_plural = _("annual fee receipts")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("feereceipt", ReceiptStatus),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(fact__isnull=False), name="feereceipt_confirmed_has_fact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} paid through {self.paid_through} ({self.status})"
