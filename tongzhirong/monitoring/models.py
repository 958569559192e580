"""The collateral health monitor's record: what it found wrong with pledged IP, and what the pledge looked like."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhirong.assets.models import IPAsset
from tongzhirong.core.models import TimeStampedModel
from tongzhirong.financing.models import Loan


class Severity(models.TextChoices):
    WATCH = "watch", _("Watch 关注")
    ALERT = "alert", _("Alert 警示")


class FlagKind(models.TextChoices):
    ANNUAL_FEE_DUE = "annual_fee_due", _("Annual fee due within 60 days 年费即将到期")
    ANNUAL_FEE_OVERDUE = "annual_fee_overdue", _("Annual fee overdue 年费逾期未缴")
    LEGAL_STATUS = "legal_status", _("Right no longer in force 权利失效")
    INVALIDATION_PENDING = "invalidation_pending", _("Invalidation requested 无效宣告请求中")
    SHORT_LIFE = "short_life", _("Expires before the loan matures 保护期短于贷款期限")
    CO_OWNERS_CHANGED = "co_owners_changed", _("Co-owners changed since the pledge 共有人变更")


# What each kind means for the loan: an alert is value lost now, a watch a risk ahead.
SEVERITY: dict[str, str] = {
    FlagKind.ANNUAL_FEE_DUE: Severity.WATCH,
    FlagKind.ANNUAL_FEE_OVERDUE: Severity.ALERT,
    FlagKind.LEGAL_STATUS: Severity.ALERT,
    FlagKind.INVALIDATION_PENDING: Severity.WATCH,
    FlagKind.SHORT_LIFE: Severity.WATCH,
    FlagKind.CO_OWNERS_CHANGED: Severity.WATCH,
}


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open 未解除")
    RESOLVED = "resolved", _("Resolved 已解除")


class CollateralHealth(models.TextChoices):
    OK = "ok", _("OK 正常")
    WATCH = "watch", _("Watch 关注")
    ALERT = "alert", _("Alert 警示")


class CollateralFlag(TimeStampedModel):
    """One condition found on one pledged asset of one loan. At most one open flag per loan, asset and kind;
    it is resolved when the condition clears, and a new one opens if it comes back."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="collateral_flags", verbose_name=_("loan"))
    asset = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="+", verbose_name=_("IP asset"))
    kind = models.CharField(_("kind"), max_length=24, choices=FlagKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=8, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    detail = models.CharField(_("detail"), max_length=300)
    detected_on = models.DateField(_("detected on"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("collateral flag")
        verbose_name_plural = _("collateral flags")
        ordering = ["-detected_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "asset", "kind"], condition=Q(status=FlagStatus.OPEN), name="collateralflag_one_open"
            ),
            models.CheckConstraint(condition=Q(kind__in=FlagKind.values), name="collateralflag_kind_valid"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="collateralflag_severity_valid"),
            models.CheckConstraint(
                condition=Q(status=FlagStatus.OPEN, resolved_at__isnull=True)
                | Q(status=FlagStatus.RESOLVED, resolved_at__isnull=False),
                name="collateralflag_resolved_at_iff_resolved",
            ),
        ]
        indexes = [models.Index(fields=["loan", "status"])]

    def __str__(self) -> str:
        return f"{self.loan} {self.asset_id} {self.kind} ({self.status})"


class PledgeBaseline(models.Model):
    """The co-owners of a pledged asset as the monitor first saw them under the loan (or as the bank last
    accepted them): later changes are measured against this."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="+", verbose_name=_("loan"))
    asset = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="+", verbose_name=_("IP asset"))
    co_owners = models.JSONField(_("co-owners"), default=list)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("pledge baseline")
        verbose_name_plural = _("pledge baselines")
        constraints = [models.UniqueConstraint(fields=["loan", "asset"], name="pledgebaseline_unique")]

    def __str__(self) -> str:
        return f"{self.loan_id}/{self.asset_id}"
