import datetime as dt

from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhirong.accounts.models import Organisation
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.models import TimeStampedModel, non_negative, status_constraint
from tongzhirong.core.reference import PATENT_TYPES, SHANGHAI, IPType, RepaymentMethod
from tongzhirong.core.triggers import append_only
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

from .rollups import (
    BANK_CROSSED_BY,
    BOTH,
    KEY_SEPARATOR,
    LARGE_LOAN,
    PLATFORM,
    REPORTED,
    TECH_MARKERS,
    LoanFirmSpan,
    RollupEntry,
    large_loan_assets_record,
    leading_ip_type,
    loan_entry,
    product_type,
    rollup_record,
    size_band,
    span_set,
    tech_marker_keys,
    wait_record,
    wait_seconds,
)

BANK_FIRST = BANK_CROSSED_BY["first_time"]  # a bank's first-time groups, which a backdated first loan moves


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft 草稿")
    SUBMITTED = "submitted", _("Submitted 已提交")
    UNDER_REVIEW = "under_review", _("Under review 审查中")
    INFO_REQUESTED = "info_requested", _("Information requested 待补充材料")
    APPROVED = "approved", _("Approved 已批准")
    OFFER_ACCEPTED = "offer_accepted", _("Offer accepted 已接受授信")
    PLEDGE_REGISTRATION = "pledge_registration", _("Pledge registration 质押登记中")
    REGISTERED = "registered", _("Pledge registered 质押已登记")
    DISBURSED = "disbursed", _("Disbursed 已放款")
    REJECTED = "rejected", _("Rejected 已拒绝")
    WITHDRAWN = "withdrawn", _("Withdrawn 已撤回")
    EXPIRED = "expired", _("Expired 已过期")


S = ApplicationStatus


class RejectReason(models.TextChoices):
    INSUFFICIENT_COLLATERAL = "insufficient_collateral", _("Collateral value insufficient 质押物价值不足")
    HIGH_RISK = "high_risk", _("Credit risk too high 信用风险过高")
    IP_LEGAL_DEFECT = "ip_legal_defect", _("IP legal defect 知识产权法律瑕疵")
    INELIGIBLE = "ineligible", _("Not eligible for the product 不符合产品准入条件")
    INCOMPLETE_DOCUMENTS = "incomplete_documents", _("Documents incomplete 材料不全")
    OTHER = "other", _("Other 其他")


class Application(TimeStampedModel):
    """An SME's request for an IP pledge loan on one or several of its IP assets (a portfolio)."""

    # The bank may reject at any stage before disbursement (e.g. the collateral turns out to be pledged
    # elsewhere), not only from review; a registered pledge is then released (financing.filing).
    TRANSITIONS: dict[str, frozenset[str]] = {
        S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
        S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
        S.UNDER_REVIEW: frozenset({S.INFO_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
        S.INFO_REQUESTED: frozenset({S.UNDER_REVIEW, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
        S.APPROVED: frozenset({S.OFFER_ACCEPTED, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
        S.OFFER_ACCEPTED: frozenset({S.PLEDGE_REGISTRATION, S.REJECTED, S.WITHDRAWN}),
        S.PLEDGE_REGISTRATION: frozenset({S.REGISTERED, S.REJECTED, S.WITHDRAWN}),
        S.REGISTERED: frozenset({S.DISBURSED, S.REJECTED}),
        S.DISBURSED: frozenset(),
        S.REJECTED: frozenset(),
        S.WITHDRAWN: frozenset(),
        S.EXPIRED: frozenset(),
    }
    TERMINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="applications", verbose_name=_("enterprise")
    )
    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="applications", verbose_name=_("product")
    )
    assets = models.ManyToManyField(
        IPAsset, through="ApplicationAsset", related_name="applications", verbose_name=_("pledged IP assets")
    )
    status = models.CharField(
        _("status"), max_length=24, choices=ApplicationStatus.choices, default=S.DRAFT, db_index=True
    )
    requested_amount = models.DecimalField(_("requested amount (yuan)"), max_digits=16, decimal_places=2)
    requested_term_months = models.PositiveSmallIntegerField(_("requested term (months)"))
    repayment_method = models.CharField(_("repayment method"), max_length=24, choices=RepaymentMethod.choices)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Terms set by the bank; never writable by the applicant.
    approved_amount = models.DecimalField(
        _("approved amount (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    approved_rate = models.DecimalField(
        _("approved annual rate"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    approved_term_months = models.PositiveSmallIntegerField(_("approved term (months)"), null=True, blank=True)
    insurance_product = models.ForeignKey(
        InsuranceProduct,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("insurance"),
    )
    guarantee_product = models.ForeignKey(
        GuaranteeProduct,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("guarantee"),
    )
    # Maker-checker: above the bank's threshold the maker proposes the terms, a checker confirms.
    approval_proposed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval proposed by (maker)"),
    )
    approval_proposed_at = models.DateTimeField(_("approval proposed at"), null=True, blank=True)
    approval_confirmed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval confirmed by (checker)"),
    )
    reject_reason_code = models.CharField(
        _("reject reason code"), max_length=40, blank=True, choices=RejectReason.choices
    )
    # What the applicant is told with a decision (a rejection's explanation). The bank's own remarks on its
    # approval (maker and checker) go to ``internal_note``, which only the bank reads.
    decision_comment = models.TextField(_("decision comment"), blank=True)
    internal_note = models.TextField(_("internal note (bank only)"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint("application", ApplicationStatus),
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="application_requested_amount_positive"),
            models.CheckConstraint(condition=Q(requested_term_months__gte=1), name="application_term_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gt=0),
                name="application_approved_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(approved_rate__isnull=True) | (Q(approved_rate__gte=0) & Q(approved_rate__lte=1)),
                name="application_approved_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(repayment_method__in=RepaymentMethod.values), name="application_repayment_method_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def bank_id(self) -> int:
        return self.product.bank_id

    @property
    def awaiting_checker(self) -> bool:
        """Terms above the bank's maker-checker threshold are proposed and wait for a checker's confirmation."""
        return self.status == ApplicationStatus.UNDER_REVIEW and self.approval_proposed_by_id is not None


class ApplicationAsset(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pledged_assets")
    asset = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("pledged asset")
        verbose_name_plural = _("pledged assets")
        constraints = [models.UniqueConstraint(fields=["application", "asset"], name="applicationasset_unique")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.asset_id}"


class Registry(models.TextChoices):
    """Where a pledge is registered. A portfolio mixing both files once at each, with its own package,
    signatures and registration notice."""

    CNIPA = "cnipa", _("CNIPA 国家知识产权局")
    COPYRIGHT_CENTRE = "copyright_centre", _("Copyright Protection Center 中国版权保护中心")


# Patents, marks (geographical indications register as collective or certification marks) and layout designs
# register their pledges at CNIPA; copyrights and software at the Copyright Protection Center (BRIEF §"Where the
# facts come from").
REGISTRY_OF_TYPE: dict[str, str] = {
    **dict.fromkeys(
        (*PATENT_TYPES, IPType.TRADEMARK, IPType.GEOGRAPHICAL_INDICATION, IPType.IC_LAYOUT), Registry.CNIPA
    ),
    IPType.COPYRIGHT: Registry.COPYRIGHT_CENTRE,
    IPType.SOFTWARE_COPYRIGHT: Registry.COPYRIGHT_CENTRE,
}


def registries_of(ip_types) -> list[str]:
    """The registries a portfolio of these types files at, CNIPA first."""
    needed = {REGISTRY_OF_TYPE[t] for t in ip_types}
    return [r for r in Registry.values if r in needed]


class PledgeRegistration(TimeStampedModel):
    """The pledge's record at one registry (CNIPA or the copyright centre): filing, the registration notice,
    release. A mixed portfolio has one per registry."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="pledge_registrations", verbose_name=_("application")
    )
    registry = models.CharField(_("registry"), max_length=16, choices=Registry.choices)
    filed_at = models.DateTimeField(_("filed at"))
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    # Release (注销) follows payoff: the platform drafts the release application, the bank records the date.
    release_form = models.JSONField(_("release application"), null=True, blank=True)
    release_sha256 = models.CharField(_("release document hash"), max_length=64, blank=True)
    release_generated_at = models.DateTimeField(_("release generated at"), null=True, blank=True)
    released_on = models.DateField(_("released on"), null=True, blank=True)

    class Meta:
        verbose_name = _("pledge registration")
        verbose_name_plural = _("pledge registrations")
        ordering = ["application", "registry"]
        constraints = [
            models.UniqueConstraint(fields=["application", "registry"], name="pledgeregistration_one_per_registry"),
            models.CheckConstraint(condition=Q(registry__in=Registry.values), name="pledgeregistration_registry_valid"),
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=~Q(registration_number=""),
                name="pledgeregistration_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(released_on__isnull=True) | Q(registered_on__isnull=False),
                name="pledgeregistration_release_after_registration",
            ),
        ]

    def __str__(self) -> str:
        return self.registration_number or f"{self.application} {self.registry} (filed)"


class DocumentKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence 营业执照")
    FINANCIAL_STATEMENT = "financial_statement", _("Financial statement 财务报表")
    APPRAISAL_REPORT = "appraisal_report", _("Appraisal report 评估报告")
    IDENTITY_PROOF = "identity_proof", _("Identity proof 身份证明")
    POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney 委托书")
    UNDERTAKING = "undertaking", _("Undertaking 承诺书")
    OTHER = "other", _("Other 其他")


# What an uploaded document may be: its content decides, not the name it came with.
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _document_path(document: "ApplicationDocument", filename: str) -> str:
    return f"applications/{document.application.reference}/{document.sha256[:16]}.{DOCUMENT_TYPES[document.mime_type]}"


class ApplicationDocument(TimeStampedModel):
    """A PDF or image attached to an application by the applicant or the reviewing bank."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="documents", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    mime_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["application", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="applicationdocument_kind_valid"),
            models.CheckConstraint(
                condition=Q(mime_type__in=list(DOCUMENT_TYPES)), name="applicationdocument_mime_type_valid"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="applicationdocument_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.kind} {self.original_name}"


class FilingPackage(TimeStampedModel):
    """The pledge registration package for one registry as both parties sign it: the application form's data,
    the contract's required items, the confirmations and (over 10 patents, CNIPA only) the asset list as XLSX.
    ``sha256`` is the hash of the canonical content, which names the XLSX by its own hash; a signature binds to
    that hash, so a regenerated package needs new signatures. Versions count per registry."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="filing_packages", verbose_name=_("application")
    )
    registry = models.CharField(_("registry"), max_length=16, choices=Registry.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    content = models.JSONField(_("content"))
    asset_list_xlsx = models.BinaryField(_("asset list (XLSX)"), null=True, blank=True)
    sha256 = models.CharField(_("document hash (SHA-256)"), max_length=64)
    # The document both parties read and sign, rendered once at generation (``package_pdf``): ``sha256`` is the
    # hash of these bytes; the PDF prints ``content_sha256``, the hash of ``content`` as canonical JSON.
    pdf = models.BinaryField(_("document (PDF)"), null=True, blank=True)
    content_sha256 = models.CharField(_("content hash (SHA-256, canonical JSON)"), max_length=64)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("generated by")
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("filing package")
        verbose_name_plural = _("filing packages")
        ordering = ["application", "registry", "version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "registry", "version"], name="filingpackage_unique_version"),
            models.UniqueConstraint(
                fields=["application", "registry"],
                condition=Q(superseded_at__isnull=True),
                name="filingpackage_one_current",
            ),
            models.CheckConstraint(condition=Q(registry__in=Registry.values), name="filingpackage_registry_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.registry} v{self.version}"


class SigningParty(models.TextChoices):
    PLEDGOR = "pledgor", _("Pledgor 出质人")
    PLEDGEE = "pledgee", _("Pledgee 质权人")


class PackageSignature(models.Model):
    """One party's in-app signature of one package version: who, for which organisation, when, on which hash."""

    package = models.ForeignKey(
        FilingPackage, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("package")
    )
    party = models.CharField(_("party"), max_length=8, choices=SigningParty.choices)
    signer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("signer"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    document_sha256 = models.CharField(_("signed document hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("package signature")
        verbose_name_plural = _("package signatures")
        ordering = ["package", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "party"], name="packagesignature_one_per_party"),
            models.CheckConstraint(condition=Q(party__in=SigningParty.values), name="packagesignature_party_valid"),
        ]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.package} {self.party} {self.signer}"


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("Active 正常")
    OVERDUE = "overdue", _("Overdue 逾期")
    DEFAULTED = "defaulted", _("Defaulted 违约")
    REPAID = "repaid", _("Repaid 已结清")
    WRITTEN_OFF = "written_off", _("Written off 已核销")


# A loan still owed: repayments are taken, the monitor watches its collateral, the office counts it outstanding.
OPEN_LOAN_STATUSES = (LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED)
L = LoanStatus


class Loan(TimeStampedModel):
    TRANSITIONS: dict[str, frozenset[str]] = {
        L.ACTIVE: frozenset({L.OVERDUE, L.REPAID}),
        L.OVERDUE: frozenset({L.ACTIVE, L.DEFAULTED, L.REPAID}),
        L.DEFAULTED: frozenset({L.REPAID, L.WRITTEN_OFF}),
        L.REPAID: frozenset(),
        L.WRITTEN_OFF: frozenset(),
    }

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="loan", verbose_name=_("application")
    )
    # Denormalised from the application so that scoping and city-wide figures need no joins.
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loans", verbose_name=_("bank"))
    borrower = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="loans", verbose_name=_("borrower"))
    contract_number = models.CharField(_("contract number"), max_length=40)
    principal = models.DecimalField(_("principal (yuan)"), max_digits=16, decimal_places=2)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=9, decimal_places=6)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    repayment_method = models.CharField(_("repayment method"), max_length=24, choices=RepaymentMethod.choices)
    disbursed_at = models.DateTimeField(_("disbursed at"))  # indexed by loan_disbursed_cover
    maturity_date = models.DateField(_("maturity date"))
    status = models.CharField(_("status"), max_length=16, choices=LoanStatus.choices, default=L.ACTIVE, db_index=True)
    outstanding_principal = models.DecimalField(_("outstanding principal (yuan)"), max_digits=16, decimal_places=2)
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The leading type of the pledged rights (rollups.IP_TYPE_PRECEDENCE), fixed when the loan is written: the
    # office's IP-type figures read it instead of ranking every loan's pledged assets. "" when none is pledged.
    ip_type = models.CharField(_("leading IP type"), max_length=32, choices=IPType.choices, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-disbursed_at", "-id"]
        constraints = [
            status_constraint("loan", LoanStatus),
            models.UniqueConstraint(fields=["bank", "contract_number"], name="loan_unique_contract_per_bank"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0) & Q(outstanding_principal__lte=F("principal")),
                name="loan_outstanding_within_principal",
            ),
            models.CheckConstraint(condition=Q(annual_rate__gte=0) & Q(annual_rate__lte=1), name="loan_rate_range"),
            models.CheckConstraint(condition=Q(term_months__gte=1), name="loan_term_positive"),
            models.CheckConstraint(
                condition=Q(repayment_method__in=RepaymentMethod.values), name="loan_repayment_method_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["bank", "status"]),
            # The financial office's city-wide figures (reporting.selectors) read these indexes only, not the table:
            # amounts and loans per range of days; distinct firms per period in one pass in borrower order, and
            # whether a firm borrowed in a period (the bank included for a bank's own book). SQLite ignores include.
            models.Index(fields=["disbursed_at"], include=["principal"], name="loan_disbursed_cover"),
            models.Index(fields=["borrower", "disbursed_at"], include=["bank"], name="loan_borrower_disbursed"),
        ]

    def __str__(self) -> str:
        return self.contract_number

    def save(self, *args, **kwargs):
        """A new loan enters the office's rollups in its own transaction, whichever path writes it (the
        disbursement service, the demo, a test's factory): the dashboard's figures never lag its loans. Bulk
        writes (``generate_load``) bypass this and call ``manage.py rebuild_rollups``."""
        if not self._state.adding:
            return super().save(*args, **kwargs)
        if not self.ip_type:
            pledged = IPAsset.objects.filter(
                pk__in=ApplicationAsset.objects.filter(application_id=self.application_id).values("asset_id")
            )
            self.ip_type = leading_ip_type(pledged.values_list("ip_type", flat=True))
        with transaction.atomic():
            super().save(*args, **kwargs)
            entries, backdated = self._rollup_entries()
            rollup_record(entries)
            submitted = self.application.submitted_at
            if submitted is not None:  # the speed league's wait, fixed at disbursement
                wait_record(bank=self.bank_id, seconds=wait_seconds(submitted, self.disbursed_at))
            if self.principal >= LARGE_LOAN:
                links = ApplicationAsset.objects.filter(application_id=self.application_id)
                large_loan_assets_record(links.values_list("asset_id", flat=True))
            if backdated:
                self._first_time_spans()

    def _rollup_entries(self) -> tuple[list[RollupEntry], bool]:
        borrower, application = self.borrower, self.application
        day = timezone.localtime(self.disbursed_at, SHANGHAI).date()
        others = Loan.objects.filter(borrower_id=self.borrower_id).exclude(pk=self.pk)
        first = borrower.prior_ip_loans == 0 and not others.filter(disbursed_at__lt=self.disbursed_at).exists()
        entries = [
            loan_entry(
                source=PLATFORM,
                day=day,
                firm=borrower.uscc,
                amount=self.principal,
                groups={
                    "district": [borrower.district],
                    "cluster": [borrower.cluster],
                    "chain": [borrower.chain],
                    "bank": [str(self.bank_id)],
                    "product_type": [
                        product_type(
                            insured=application.insurance_product_id is not None,
                            guaranteed=application.guarantee_product_id is not None,
                        )
                    ],
                    "ip_type": [self.ip_type],
                    "size_band": [size_band(self.principal)],
                    "first_time": ["first" if first else "repeat"],
                    "tech_marker": tech_marker_keys({m: getattr(borrower, m) for m in TECH_MARKERS}),
                },
            )
        ]
        backdated = False
        if first:
            # Written after its borrower's earlier-dated first loans (a backdated loan): those become repeats.
            earliest = others.aggregate(m=models.Min("disbursed_at"))["m"]
            if earliest is not None and earliest > self.disbursed_at:
                backdated = True
                for moved in others.filter(disbursed_at=earliest):
                    moved_day = timezone.localtime(moved.disbursed_at, SHANGHAI).date()
                    for key, sign in (("first", -1), ("repeat", 1)):
                        groups = {"first_time": [key], BANK_FIRST: [f"{moved.bank_id}{KEY_SEPARATOR}{key}"]}
                        entries.append(
                            RollupEntry(PLATFORM, moved_day, borrower.uscc, sign * moved.principal, groups, sign)
                        )
        return entries, backdated

    def _first_time_spans(self) -> None:
        """After a backdated first loan: its borrower's first-time spans as the loans now say (the first loans
        are this one's instant, the rest repeats), and the spans of both sources merged with the reported ones."""
        firm = self.borrower.uscc
        loans = Loan.objects.filter(borrower_id=self.borrower_id).values_list("disbursed_at", "bank_id")
        days: dict[tuple[str, str], list[dt.date]] = {}
        banks = set()
        for moment, bank in loans:
            kind = "first" if moment == self.disbursed_at else "repeat"
            day = timezone.localtime(moment, SHANGHAI).date()
            banks.add(bank)
            days.setdefault(("first_time", kind), []).append(day)
            days.setdefault((BANK_FIRST, f"{bank}{KEY_SEPARATOR}{kind}"), []).append(day)
        # Every group the borrower's platform loans may have left (None: none left in it).
        groups = [("first_time", kind) for kind in ("first", "repeat")]
        groups += [(BANK_FIRST, f"{bank}{KEY_SEPARATOR}{kind}") for bank in banks for kind in ("first", "repeat")]
        platform = {group: (min(days[group]), max(days[group])) if group in days else None for group in groups}
        reported = {
            (span.dimension, span.key): (span.first_day, span.last_day)
            for span in LoanFirmSpan.objects.filter(
                dimension__in=["first_time", BANK_FIRST],
                key__in=[key for _dimension, key in groups],
                source=REPORTED,
                firm=firm,
            )
        }
        wanted = {}
        for (dimension, key), span in platform.items():
            wanted[(dimension, key, PLATFORM, firm)] = span
            merged = [s for s in (span, reported.get((dimension, key))) if s is not None]
            wanted[(dimension, key, BOTH, firm)] = (
                (min(s[0] for s in merged), max(s[1] for s in merged)) if merged else None
            )
        span_set(wanted)


class ScheduleLine(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="schedule", verbose_name=_("loan"))
    sequence = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"), db_index=True)
    principal_due = models.DecimalField(_("principal due"), max_digits=16, decimal_places=2)
    interest_due = models.DecimalField(_("interest due"), max_digits=16, decimal_places=2)
    principal_paid = models.DecimalField(_("principal paid"), max_digits=16, decimal_places=2, default=0)
    interest_paid = models.DecimalField(_("interest paid"), max_digits=16, decimal_places=2, default=0)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("schedule line")
        verbose_name_plural = _("schedule lines")
        ordering = ["loan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "sequence"], name="scheduleline_unique_sequence"),
            *non_negative("principal_due", "interest_due", prefix="scheduleline"),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0) & Q(principal_paid__lte=F("principal_due")),
                name="scheduleline_principal_paid_range",
            ),
            models.CheckConstraint(
                condition=Q(interest_paid__gte=0) & Q(interest_paid__lte=F("interest_due")),
                name="scheduleline_interest_paid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} #{self.sequence}"


class Repayment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments", verbose_name=_("loan"))
    paid_at = models.DateTimeField(_("paid at"), db_index=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2)
    principal_part = models.DecimalField(_("principal part"), max_digits=16, decimal_places=2)
    interest_part = models.DecimalField(_("interest part"), max_digits=16, decimal_places=2)
    penalty_part = models.DecimalField(_("penalty part"), max_digits=16, decimal_places=2, default=0)
    reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # A wrong repayment is never edited: a reversing entry (negative amount and parts, ``paid_at`` = when it was
    # reversed) undoes it. One-to-one, so the database itself refuses a second reversal of the same repayment.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reason = models.CharField(_("reason for the reversal"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["loan", "paid_at", "id"]
        constraints = [
            # A repayment is positive; its reversal is the exact negative and names it (with a reason).
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True, amount__gt=0, principal_part__gte=0, interest_part__gte=0)
                    & Q(penalty_part__gte=0)
                )
                | (
                    Q(reverses__isnull=False, amount__lt=0, principal_part__lte=0, interest_part__lte=0)
                    & Q(penalty_part__lte=0)
                    & ~Q(reason="")
                ),
                name="repayment_sign_matches_kind",
            ),
            models.CheckConstraint(condition=~Q(reverses=F("id")), name="repayment_not_self_reversing"),
            models.CheckConstraint(
                # ROUND to the fen: SQLite stores decimals as floats, where 600 + 64.07 != 664.07.
                condition=Q(amount=Round(F("principal_part") + F("interest_part") + F("penalty_part"), 2)),
                name="repayment_parts_sum_to_amount",
            ),
        ]
        # A repayment is never edited or removed (PostgreSQL refuses it). The schedule lines stay open: repayments
        # update what they paid and an early payoff removes the instalments it replaces.
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.loan} {self.amount}"


class RepaymentAllocation(models.Model):
    """What one repayment (or its reversal, negated) paid of one instalment, so a reversal takes back exactly
    what the repayment put on each line, to the fen."""

    repayment = models.ForeignKey(
        Repayment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("repayment")
    )
    line = models.ForeignKey(
        ScheduleLine, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("instalment")
    )
    principal = models.DecimalField(_("principal (yuan)"), max_digits=16, decimal_places=2)
    interest = models.DecimalField(_("interest (yuan)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("repayment allocation")
        verbose_name_plural = _("repayment allocations")
        ordering = ["repayment", "line"]
        constraints = [
            models.UniqueConstraint(fields=["repayment", "line"], name="repaymentallocation_unique_line"),
        ]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.repayment_id} → {self.line}"
