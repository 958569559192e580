from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import SCALAR, IdField, RejectsUnknownFields
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.catalogue import FACT_NAME_CHOICES, Source
from tongzhirong.facts.credit import CREDIT_REPORT_FACTS
from tongzhirong.facts.models import AuthorisationScope, CreditAuthorisation, DisputeStatus, Fact, FactDispute


# Other resources have a "source" and a "status" too: named components keep the schema's enum names unambiguous.
@extend_schema_field({"type": "string", "enum": list(Source.values)}, component_name="FactSourceEnum")
class FactSourceField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Source.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": [name for name, _ in FACT_NAME_CHOICES]}, component_name="FactNameEnum")
class FactNameField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=FACT_NAME_CHOICES, **kwargs)


@extend_schema_field({"type": "string", "enum": list(DisputeStatus.values)}, component_name="FactDisputeStatusEnum")
class DisputeStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DisputeStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(AuthorisationScope.values)}, component_name="CreditAuthorisationScopeEnum"
)
class ScopeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=AuthorisationScope.choices, **kwargs)


@extend_schema_field(SCALAR | {"description": "As the source said it: a date as YYYY-MM-DD, money as a string."})
class FactValueField(serializers.JSONField):
    pass


class FactOutput(serializers.ModelSerializer):
    """One observation by one source, with its provenance. ``verified`` is false for what the applicant declared."""

    name = FactNameField()
    label = serializers.CharField(help_text="The fact's name in the reader's language.")
    value = FactValueField()
    source = FactSourceField()
    verified = serializers.BooleanField(source="is_verified")
    fetched_by = serializers.SerializerMethodField(help_text="Who recorded it (a bank, the platform); empty: a feed.")

    class Meta:
        model = Fact
        fields = (
            "id", "enterprise", "asset", "name", "label", "value", "source", "reference", "observed_at",
            "fetched_at", "fetched_by", "verified", "authorisation",
        )  # fmt: skip

    def get_fetched_by(self, fact: Fact) -> str:
        user = fact.fetched_by
        return user.organisation.name if user is not None and user.organisation_id else ""


class FactFilterInput(serializers.Serializer):
    enterprise = IdField(required=False)
    asset = IdField(required=False)
    name = FactNameField(required=False)
    source = FactSourceField(required=False)


class DisputeOpenInput(RejectsUnknownFields, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the source is wrong, with what shows it.")


class DisputeOutput(serializers.ModelSerializer):
    status = DisputeStatusField()
    fact_name = FactNameField(source="fact.name")
    fact_value = FactValueField(source="fact.value")
    fact_source = FactSourceField(source="fact.source")
    fact_reference = serializers.CharField(source="fact.reference")

    class Meta:
        model = FactDispute
        fields = (
            "id", "fact", "fact_name", "fact_value", "fact_source", "fact_reference", "enterprise", "reason",
            "status", "resolution", "resolved_at", "correction", "created_at",
        )  # fmt: skip


class DisputeFilterInput(serializers.Serializer):
    status = DisputeStatusField(required=False)
    enterprise = IdField(required=False)


class DisputeResolveInput(RejectsUnknownFields, serializers.Serializer):
    upheld = serializers.BooleanField(help_text="True: the source corrected it; false: the source stands.")
    resolution = serializers.CharField(max_length=2000)
    corrected_value = FactValueField(
        required=False, help_text="Upheld: the corrected value, recorded as a new fact of the same source."
    )
    reference = serializers.CharField(max_length=100, required=False, default="")


class AuthorisationOutput(serializers.ModelSerializer):
    scope = ScopeField()
    bank_name = serializers.CharField(source="bank.name")
    enterprise_name = serializers.CharField(source="enterprise.legal_name")
    live = serializers.SerializerMethodField()

    class Meta:
        model = CreditAuthorisation
        fields = (
            "id", "enterprise", "enterprise_name", "bank", "bank_name", "scope", "expires_on", "signed_at",
            "revoked_at", "live",
        )  # fmt: skip

    def get_live(self, authorisation: CreditAuthorisation) -> bool:
        return authorisation.is_live()


class AuthorisationSignInput(RejectsUnknownFields, serializers.Serializer):
    bank = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.filter(kind=OrganisationKind.BANK))
    scope = ScopeField()
    expires_on = serializers.DateField(help_text="The last day the bank may pull the report (a year at most).")


@extend_schema_field(
    {
        "type": "object",
        "properties": dict.fromkeys(CREDIT_REPORT_FACTS, SCALAR),
        "additionalProperties": False,
        "description": "The report's lines by fact name: counts as integers, money as decimal strings in yuan.",
    }
)
class CreditReportValuesField(serializers.DictField):
    pass


class CreditReportInput(RejectsUnknownFields, serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    reference = serializers.CharField(max_length=100, help_text="The report's number.")
    observed_at = serializers.DateTimeField(help_text="When the report was issued.")
    values = CreditReportValuesField()


class CreditReportOutput(serializers.Serializer):
    enterprise = serializers.IntegerField()
    reference = serializers.CharField()
    facts = FactOutput(many=True, help_text="The report's lines as recorded, one fact each.")
