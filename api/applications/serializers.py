from django.utils import timezone
from rest_framework import serializers

from api.rows import PlainRowsSerializer
from api.schema import CONTENT_HASH_RULE, PDF_HASH_RULE
from api.scoring.serializers import AssetValuationOutput
from api.serializers import SCORE_CHANGES, IdField, documented_json
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.financing.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    FilingPackage,
    PackageSignature,
    PledgeRegistration,
    Registry,
    RejectReason,
    SigningParty,
)
from tongzhirong.financing.selectors import STAGE_SLA_DAYS


class PledgedAssetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    ip_type = serializers.CharField()
    identifier = serializers.CharField()
    title = serializers.CharField()

    class Meta:
        list_serializer_class = PlainRowsSerializer


class ApplicationOutput(serializers.ModelSerializer):
    """An application as the queue shows it, from a row of ``application_queue_page`` (financing.selectors)."""

    enterprise = serializers.CharField(help_text="The applicant's legal name.")
    district = serializers.CharField()
    cluster = serializers.CharField()
    product = serializers.IntegerField()
    product_name = serializers.CharField()
    bank = serializers.CharField()
    assets = PledgedAssetOutput(many=True)
    band = serializers.CharField(allow_null=True)
    pd = serializers.DecimalField(max_digits=7, decimal_places=6, allow_null=True)
    stage_entered_at = serializers.DateTimeField()
    days_in_stage = serializers.SerializerMethodField()
    sla_days = serializers.SerializerMethodField()
    sla_breached = serializers.BooleanField()
    approval_pending = serializers.SerializerMethodField()
    internal_note = serializers.SerializerMethodField(
        help_text="The bank's own remarks on its approval (maker and checker); null for the applicant."
    )
    insurance_product = serializers.IntegerField(allow_null=True)
    guarantee_product = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Application
        fields = (
            "id", "reference", "status", "enterprise", "district", "cluster", "product", "product_name", "bank",
            "requested_amount", "requested_term_months", "repayment_method", "purpose", "assets",
            "insurance_product", "guarantee_product",
            "band", "pd", "stage_entered_at", "days_in_stage", "sla_days", "sla_breached",
            "approved_amount", "approved_rate", "approved_term_months", "approval_pending",
            "reject_reason_code", "decision_comment", "internal_note", "created_at", "submitted_at", "decided_at",
        )  # fmt: skip
        list_serializer_class = PlainRowsSerializer

    def get_days_in_stage(self, row) -> float:
        return round((timezone.now() - row["stage_entered_at"]).total_seconds() / 86400, 1)

    def get_sla_days(self, row) -> int | None:
        return STAGE_SLA_DAYS.get(row["status"])

    def get_internal_note(self, row) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.kind == OrganisationKind.SME:
            return None
        return row["internal_note"]

    def get_approval_pending(self, row) -> bool:
        return row["status"] == ApplicationStatus.UNDER_REVIEW and row["approval_proposed_by"] is not None


class ApplicationCreateInput(serializers.Serializer):
    product = IdField()
    assets = serializers.ListField(child=IdField(), min_length=1, max_length=50)
    requested_amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=1)
    requested_term_months = serializers.IntegerField(min_value=1, max_value=120)
    repayment_method = serializers.ChoiceField(choices=RepaymentMethod.choices)
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    insurance_product = IdField(
        required=False, allow_null=True, default=None, help_text="A published IP insurance product to take."
    )
    guarantee_product = IdField(
        required=False, allow_null=True, default=None, help_text="A published guarantee product to take."
    )


class ApplicationUpdateInput(serializers.Serializer):
    assets = serializers.ListField(child=IdField(), min_length=1, max_length=50, required=False)
    requested_amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=1, required=False)
    requested_term_months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    repayment_method = serializers.ChoiceField(choices=RepaymentMethod.choices, required=False)
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CommentInput(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RequiredCommentInput(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class ApproveInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=1)
    rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=0, max_value=1)
    term_months = serializers.IntegerField(min_value=1, max_value=120)
    comment = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The offer's conditions: the applicant reads them and the pledge contract carries them.",
    )
    internal_note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="A remark for the bank alone; the applicant never sees it.",
    )


class RejectInput(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=RejectReason.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TimelineEntryOutput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["status_change", "rescore", "cover"],
        help_text="A status change, a rescore (the bank's or the nightly batch's; no status moves), or a step of the "
        "cover asked of an insurer or guarantor (asked, accepted with its conditions, declined with the reason, "
        "withdrawn; no status of the application moves).",
    )
    from_status = serializers.CharField(help_text="Empty for a rescore.")
    to_status = serializers.CharField(help_text="Empty for a rescore.")
    reason = serializers.CharField(help_text="Why; for a rescore, what changed in words; for cover, the step in words.")
    at = serializers.DateTimeField(source="created_at")
    actor_organisation = serializers.CharField(source="actor.organisation.name", default=None)
    actor_role = serializers.CharField(source="actor.role", default=None)
    days_in_stage = serializers.FloatField(
        allow_null=True, help_text="Days in the status entered here, until the next change or now; null for a rescore."
    )
    changes = documented_json(
        SCORE_CHANGES,
        allow_null=True,
        help_text="A rescore's changes, each [before, after]: band, pd, points, model_version, inputs (by risk "
        "input), provenance (verified/declared/terms by risk input), conflicts (the facts declared otherwise than "
        "their sources say); null for a status change or a cover step.",
    )


class PrecheckItemOutput(serializers.Serializer):
    ground = serializers.IntegerField()
    code = serializers.CharField()
    result = serializers.ChoiceField(
        choices=["pass", "fail", "needs_confirmation", "not_applicable", "awaiting_terms"],
        help_text="awaiting_terms: the contract is drawn up once the bank sets the terms (ground 8 before approval).",
    )
    result_label = serializers.CharField(help_text="The result in the reader's language.")
    reason_zh = serializers.CharField()
    reason_en = serializers.CharField()


class PrecheckAssetOutput(serializers.Serializer):
    asset = serializers.IntegerField()
    identifier = serializers.CharField()
    checks = PrecheckItemOutput(many=True)


class PrecheckOutput(serializers.Serializer):
    application = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["pass", "fail", "awaiting_terms", "needs_confirmation"])
    result_label = serializers.CharField(help_text="The result in the reader's language.")
    assets = PrecheckAssetOutput(many=True)


class RegistrationInput(serializers.Serializer):
    registry = serializers.ChoiceField(
        choices=Registry.choices,
        required=False,
        help_text="The registry whose filing this concerns; may be left out when the application files at one only.",
    )
    registration_number = serializers.CharField(max_length=40)
    registered_on = serializers.DateField()


class RegistryInput(serializers.Serializer):
    registry = serializers.ChoiceField(
        choices=Registry.choices,
        required=False,
        help_text="The registry whose filing this concerns; may be left out when the application files at one only.",
    )


class PackagePdfInput(RegistryInput):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="An earlier version of the registry's package (default: the current one).",
    )


class DisburseInput(serializers.Serializer):
    contract_number = serializers.CharField(max_length=40)


class DocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, PNG or JPEG; the content decides, and it must match the name.")


class DocumentOutput(serializers.ModelSerializer):
    uploaded_by_organisation = serializers.CharField(source="uploaded_by.organisation.name")

    class Meta:
        model = ApplicationDocument
        fields = (
            "id",
            "kind",
            "original_name",
            "mime_type",
            "size",
            "sha256",
            "uploaded_by_organisation",
            "created_at",
        )


class SignatureOutput(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.get_full_name")
    organisation = serializers.CharField(source="organisation.name")

    class Meta:
        model = PackageSignature
        fields = ("party", "signer", "organisation", "document_sha256", "signed_at")


class FilingPartyOutput(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()
    address = serializers.CharField()


class SecuredDebtOutput(serializers.Serializer):
    kind = serializers.CharField()
    amount_yuan = serializers.CharField(help_text="The approved amount, a decimal string in yuan.")
    annual_rate = serializers.CharField(help_text="The approved annual rate, a decimal string (a fraction).")


DebtTermOutput = type(
    "DebtTermOutput",
    (serializers.Serializer,),
    {"months": serializers.IntegerField(), "from": serializers.DateField(), "to": serializers.DateField()},
)


class BilingualOutput(serializers.Serializer):
    zh = serializers.CharField()
    en = serializers.CharField()


class FiledRightOutput(serializers.Serializer):
    ip_type = serializers.CharField()
    identifier = serializers.CharField()
    title = serializers.CharField()
    filing_date = serializers.DateField()
    grant_date = serializers.DateField(allow_null=True)
    co_owners = serializers.ListField(child=serializers.CharField())


class FilingFormOutput(serializers.Serializer):
    pledgor = FilingPartyOutput()
    pledgee = FilingPartyOutput()
    secured_debt = SecuredDebtOutput()
    debt_term = DebtTermOutput()
    guarantee_scope = BilingualOutput()
    rights = FiledRightOutput(many=True)
    patent_count = serializers.IntegerField()


class ContractItemOutput(serializers.Serializer):
    code = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    present = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())


class ConfirmationOutput(serializers.Serializer):
    identifier = serializers.CharField()
    ground = serializers.IntegerField()
    reason_zh = serializers.CharField()
    reason_en = serializers.CharField()


class AttachmentOutput(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField(help_text="SHA-256 of the attachment's bytes (the asset-list download).")
    size = serializers.IntegerField()


class RegistryNameOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=Registry.choices)
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class FilingContentOutput(serializers.Serializer):
    """One registry's filing package as both parties sign it (专利权质押登记 at CNIPA, 著作权质权登记 at the
    copyright centre): what the form asks, the contract's required items, the confirmed pre-check grounds and the
    attachments by hash. It lists only the rights registered at its registry."""

    version = serializers.IntegerField()
    application = serializers.CharField(help_text="The application's reference.")
    registry = RegistryNameOutput(required=False, help_text="Absent from packages generated before registries.")
    generated_on = serializers.DateField()
    form = FilingFormOutput()
    contract_items = ContractItemOutput(many=True)
    no_forfeiture_clause = serializers.BooleanField()
    confirmations = ConfirmationOutput(many=True)
    attachments = AttachmentOutput(many=True)


class FilingPackageOutput(serializers.ModelSerializer):
    content = documented_json(
        FilingContentOutput, help_text="The data the PDF renders, exactly as `content_sha256` hashes it."
    )
    sha256 = serializers.CharField(help_text=PDF_HASH_RULE)
    content_sha256 = serializers.CharField(help_text=CONTENT_HASH_RULE)
    signatures = SignatureOutput(many=True)
    fully_signed = serializers.SerializerMethodField()
    has_asset_list = serializers.SerializerMethodField()

    class Meta:
        model = FilingPackage
        fields = (
            "registry", "version", "sha256", "content_sha256", "content", "has_asset_list", "signatures",
            "fully_signed", "created_at",
        )  # fmt: skip

    def get_fully_signed(self, obj) -> bool:
        return {s.party for s in obj.signatures.all() if s.document_sha256 == obj.sha256} == set(SigningParty.values)

    def get_has_asset_list(self, obj) -> bool:
        return obj.asset_list_xlsx is not None


class SignInput(serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="The hash of the package version you read and sign (its `sha256`)."
    )
    registry = serializers.ChoiceField(
        choices=Registry.choices,
        required=False,
        help_text="The registry whose package you sign; left out, the current package with this hash.",
    )


class PledgeRegistrationOutput(serializers.ModelSerializer):
    class Meta:
        model = PledgeRegistration
        fields = (
            "registry", "filed_at", "registration_number", "registered_on", "release_generated_at", "released_on",
        )  # fmt: skip


class FilingOutput(serializers.Serializer):
    """One registry's filing: the rights it lists, its current package and its registration."""

    registry = serializers.ChoiceField(choices=Registry.choices)
    registry_name = serializers.CharField(source="label", help_text="The registry's name in the reader's language.")
    rights = serializers.ListField(child=serializers.CharField(), help_text="The numbers of the rights filed here.")
    package = FilingPackageOutput(allow_null=True, help_text="The current package; null until generated.")
    registration = PledgeRegistrationOutput(allow_null=True, help_text="Null until the pledge is filed.")


class StageTimesInput(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=730, default=90)


class StageTimeOutput(serializers.Serializer):
    bank = serializers.CharField()
    stage = serializers.ChoiceField(choices=ApplicationStatus.choices)
    completed = serializers.IntegerField(help_text="Stages left within the window.")
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)
    open = serializers.IntegerField(help_text="Applications in this stage now.")
    open_median_days = serializers.FloatField(allow_null=True)
    sla_days = serializers.IntegerField(allow_null=True)
    open_breached = serializers.IntegerField(help_text="Open ones past the stage's service level.")


class CollateralItemOutput(serializers.Serializer):
    asset = PledgedAssetOutput()
    valuation = AssetValuationOutput(allow_null=True, help_text="The latest valuation; null until the asset is valued.")
    pledge_rate_cap = serializers.DecimalField(max_digits=5, decimal_places=4)
    limit = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="P50 × the pledge-rate cap.")


class CollateralOutput(serializers.Serializer):
    limit = serializers.DecimalField(max_digits=16, decimal_places=2)
    items = CollateralItemOutput(many=True)
