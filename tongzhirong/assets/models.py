from datetime import date

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongzhirong.core import identifiers as ids
from tongzhirong.core.models import TimeStampedModel, non_negative
from tongzhirong.core.reference import PATENT_TYPES, IPType
from tongzhirong.enterprises.models import Enterprise


class LegalStatus(models.TextChoices):
    PENDING = "pending", _("Pending examination 审查中")
    VALID = "valid", _("Valid 有效")
    LAPSED = "lapsed", _("Lapsed (fees unpaid) 未缴年费终止")
    INVALIDATED = "invalidated", _("Invalidated 宣告无效")
    EXPIRED = "expired", _("Expired 期限届满")
    WITHDRAWN = "withdrawn", _("Withdrawn or rejected 撤回/驳回")


class Award(models.TextChoices):
    NONE = "", _("None")
    CHINA_PATENT_GOLD = "china_patent_gold", _("China Patent Gold Award 中国专利金奖")
    CHINA_PATENT_SILVER = "china_patent_silver", _("China Patent Silver Award 中国专利银奖")
    CHINA_PATENT_EXCELLENCE = "china_patent_excellence", _("China Patent Excellence Award 中国专利优秀奖")
    PROVINCIAL = "provincial", _("Provincial patent award 省级专利奖")


DUPLICATE_MESSAGE = "This IP right is already registered on the platform."

# Statutory terms from the filing date (years). Design patents filed from 2021-06-01 run 15 years.
PATENT_TERM_YEARS = {IPType.INVENTION_PATENT: 20, IPType.UTILITY_MODEL: 10, IPType.DESIGN_PATENT: 15}
DESIGN_TERM_CHANGE = date(2021, 6, 1)

_NORMALISERS = {
    IPType.INVENTION_PATENT: ids.normalise_patent_number,
    IPType.UTILITY_MODEL: ids.normalise_patent_number,
    IPType.DESIGN_PATENT: ids.normalise_patent_number,
    IPType.TRADEMARK: ids.normalise_trademark_number,
    IPType.SOFTWARE_COPYRIGHT: ids.normalise_software_copyright_number,
    IPType.COPYRIGHT: ids.normalise_copyright_number,
    IPType.GEOGRAPHICAL_INDICATION: ids.normalise_generic_number,
    IPType.IC_LAYOUT: ids.normalise_generic_number,
}


def normalise_identifier(ip_type: str, value: str) -> str:
    """Canonical identifier for the IP type, or ``IdentifierError`` saying what is wrong."""
    number = _NORMALISERS[ip_type](value)
    if ip_type in PATENT_TYPES:
        encoded = ids.patent_type_of(number)
        if encoded and encoded != ip_type:
            raise ids.IdentifierError(f"The number {number} is a {encoded.replace('_', ' ')} number.")
    return number


def statutory_expiry(ip_type: str, filing_date: date) -> date | None:
    years = PATENT_TERM_YEARS.get(ip_type)
    if ip_type == IPType.DESIGN_PATENT and filing_date < DESIGN_TERM_CHANGE:
        years = 10
    if years is None:
        return None
    try:
        return filing_date.replace(year=filing_date.year + years)
    except ValueError:  # 29 February
        return filing_date.replace(year=filing_date.year + years, day=28)


class IPAsset(TimeStampedModel):
    """One IP right of the 一窗通办 set, owned by an enterprise."""

    owner = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="ip_assets", verbose_name=_("owner"))
    ip_type = models.CharField(_("IP type"), max_length=32, choices=IPType.choices, db_index=True)
    identifier = models.CharField(
        _("registration or application number"),
        max_length=40,
        help_text=_("Patents: 201710601862.3; trademarks: digits; software copyright: 2023SR0123456."),
    )
    title = models.CharField(_("title"), max_length=300)
    filing_date = models.DateField(_("filing date"))
    grant_date = models.DateField(_("grant or registration date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    legal_status = models.CharField(
        _("legal status"), max_length=16, choices=LegalStatus.choices, default=LegalStatus.VALID, db_index=True
    )
    annual_fee_paid_through = models.DateField(_("annual fees paid through"), null=True, blank=True)
    invalidation_pending = models.BooleanField(_("invalidation proceedings pending 无效宣告中"), default=False)
    ownership_dispute = models.BooleanField(_("ownership dispute 权属纠纷"), default=False)
    court_preservation = models.BooleanField(_("court preservation 法院保全"), default=False)
    licence_count = models.PositiveIntegerField(_("licences granted"), default=0)
    licence_revenue = models.DecimalField(_("licence revenue (yuan/year)"), max_digits=16, decimal_places=2, default=0)
    # Use evidence: yearly sales of goods or products under the right, the base a relief-from-royalty appraisal
    # of a mark or a copyright reads; 0 when none is on file (a mark unused for 3 years can be cancelled).
    use_revenue = models.DecimalField(
        _("sales under the right (yuan/year)"), max_digits=16, decimal_places=2, default=0
    )
    # Patents.
    ipc_classes = models.JSONField(_("IPC classes"), default=list, blank=True)
    claims_count = models.PositiveIntegerField(pgettext_lazy("patent", "claims"), default=0)
    forward_citations = models.PositiveIntegerField(_("forward citations"), default=0)
    backward_citations = models.PositiveIntegerField(_("backward citations"), default=0)
    family_size = models.PositiveIntegerField(_("family size"), default=1)
    overseas_family_members = models.PositiveIntegerField(_("overseas family members"), default=0)
    award = models.CharField(_("award"), max_length=32, choices=Award.choices, blank=True)
    # Trademarks.
    nice_classes = models.JSONField(_("Nice classes"), default=list, blank=True)
    renewals = models.PositiveIntegerField(_("renewals"), default=0)
    well_known = models.BooleanField(_("well-known mark 驰名商标"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("IP asset")
        verbose_name_plural = _("IP assets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ip_type", "identifier"],
                condition=models.Q(archived_at__isnull=True),
                name="ipasset_one_live_record",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
            models.CheckConstraint(condition=models.Q(ip_type__in=IPType.values), name="ipasset_type_valid"),
            models.CheckConstraint(
                condition=models.Q(legal_status__in=LegalStatus.values), name="ipasset_legal_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(grant_date__isnull=True) | models.Q(grant_date__gte=models.F("filing_date")),
                name="ipasset_grant_after_filing",
            ),
            models.CheckConstraint(
                condition=models.Q(expiry_date__isnull=True) | models.Q(expiry_date__gt=models.F("filing_date")),
                name="ipasset_expiry_after_filing",
            ),
            *non_negative("licence_revenue", "use_revenue", prefix="ipasset"),
        ]

    def __str__(self) -> str:
        return f"{self.get_ip_type_display()} {self.identifier} {self.title}"

    @property
    def is_patent(self) -> bool:
        return self.ip_type in PATENT_TYPES

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.ip_type and self.identifier:
            try:
                self.identifier = normalise_identifier(self.ip_type, self.identifier)
            except ids.IdentifierError as exc:
                errors["identifier"] = str(exc)
        errors.update(self._date_errors())
        if self.legal_status == LegalStatus.VALID and self.is_patent and not self.grant_date:
            errors["grant_date"] = _("A valid patent has a grant date.")
        if self.ip_type == IPType.TRADEMARK:
            classes = self.nice_classes or []
            if not classes or any(type(c) is not int or not 1 <= c <= 45 for c in classes):
                errors["nice_classes"] = _("A trademark has one or more Nice classes, each from 1 to 45.")
        if self.overseas_family_members >= max(self.family_size, 1):
            errors["overseas_family_members"] = _("Overseas members are part of the family: fewer than family size.")
        if any(not isinstance(c, str) or not c.strip() for c in self.ipc_classes or []):
            errors["ipc_classes"] = _("IPC classes are codes such as H01L 21/02.")
        if errors:
            raise ValidationError(errors)

    def _date_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.filing_date:
            return errors
        if self.filing_date > timezone.localdate():
            errors["filing_date"] = _("The filing date cannot be in the future.")
        if self.grant_date and self.grant_date < self.filing_date:
            errors["grant_date"] = _("The grant date cannot be before the filing date.")
        if self.expiry_date:
            if self.expiry_date <= self.filing_date:
                errors["expiry_date"] = _("The expiry date must be after the filing date.")
            elif self.grant_date and self.expiry_date <= self.grant_date:
                errors["expiry_date"] = _("The expiry date must be after the grant date.")
            statutory = statutory_expiry(self.ip_type, self.filing_date)
            if statutory and self.expiry_date > statutory:
                errors["expiry_date"] = _("The expiry date is past the statutory term of this patent type.")
        if self.annual_fee_paid_through and self.annual_fee_paid_through < self.filing_date:
            errors["annual_fee_paid_through"] = _("Fees cannot be paid through a date before filing.")
        return errors


class CoOwner(TimeStampedModel):
    """A co-owner of an IP right. A co-owned right is pledged only with every co-owner's consent."""

    asset = models.ForeignKey(IPAsset, on_delete=models.CASCADE, related_name="co_owners", verbose_name=_("IP asset"))
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    share_percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    consent_given = models.BooleanField(_("consent to pledge given"), default=False)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-owner")
        verbose_name_plural = _("co-owners")
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="coowner_unique_per_asset"),
            models.CheckConstraint(
                condition=models.Q(share_percent__isnull=True)
                | (models.Q(share_percent__gt=0) & models.Q(share_percent__lt=100)),
                name="coowner_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.uscc:
            try:
                self.uscc = ids.normalise_uscc(self.uscc)
            except ids.IdentifierError as exc:
                raise ValidationError({"uscc": str(exc)}) from exc


class FilingSignal(models.TextChoices):
    """Abnormal patent filing and bad-faith trademark signals (computed in ``tongzhirong.facts.filing``)."""

    NEAR_DUPLICATE = "near_duplicate", _("Near-duplicate application")
    SPLIT_FILING = "split_filing", _("Same invention filed by a related party")
    FILING_VOLUME = "filing_volume", _("Filing volume out of line with R&D capacity")
    TRANSFERRED_BEFORE_PLEDGE = "transferred_before_pledge", _("Transferred shortly before the pledge")
    HIGH_LAPSE_SHARE = "high_lapse_share", _("High share of applications withdrawn, rejected or lapsed")
    NOTIFIED_LIST = "notified_list", _("On CNIPA's notified list of abnormal applications")
    MASS_CLASS_FILING = "mass_class_filing", _("Marks filed across many classes without use")
    WELL_KNOWN_MARK = "well_known_mark", _("Near-identical to a well-known mark")
    HOARDING = "hoarding", _("Trademark hoarding")


class FilingFlag(models.Model):
    """A signal raised on an enterprise's filing, with the evidence that raised it. Written only by the refresh
    service (``tongzhirong.facts.flagging``, from the register's records and facts); a signal no longer found
    is cleared, not deleted, so the bank can see what was flagged when."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="filing_flags", verbose_name=_("enterprise")
    )
    asset = models.ForeignKey(
        IPAsset,
        on_delete=models.PROTECT,
        related_name="filing_flags",
        null=True,
        blank=True,
        verbose_name=_("IP asset"),
        help_text=_("Empty for a signal about the enterprise's filing as a whole."),
    )
    code = models.CharField(_("signal"), max_length=32, choices=FilingSignal.choices)
    evidence = models.JSONField(_("evidence"), encoder=DjangoJSONEncoder)
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("filing flag")
        verbose_name_plural = _("filing flags")
        ordering = ["enterprise_id", "code", "asset_id", "id"]
        indexes = [models.Index(fields=["enterprise", "cleared_at"]), models.Index(fields=["asset", "cleared_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__in=FilingSignal.values), name="filingflag_code_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.asset_id or '-'} {self.code}"

    @property
    def is_live(self) -> bool:
        return self.cleared_at is None
