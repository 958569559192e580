from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import IdField
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, FlagStatus, Severity


# Other resources have a "kind" too: a named component keeps the schema's enum names unambiguous.
@extend_schema_field({"type": "string", "enum": list(FlagKind.values)}, component_name="CollateralFlagKindEnum")
class FlagKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=FlagKind.choices, **kwargs)


class CollateralFlagOutput(serializers.ModelSerializer):
    kind = FlagKindField()
    contract_number = serializers.CharField(source="loan.contract_number")
    asset_identifier = serializers.CharField(source="asset.identifier")
    asset_title = serializers.CharField(source="asset.title")

    class Meta:
        model = CollateralFlag
        fields = (
            "id", "loan", "contract_number", "asset", "asset_identifier", "asset_title", "kind", "severity",
            "status", "detail", "detected_on", "notified_at", "resolved_at", "resolution",
        )  # fmt: skip


class FlagFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=FlagStatus.choices, required=False)
    kind = FlagKindField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    loan = IdField(required=False)


class AcceptInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, help_text="Why the new co-owners are acceptable (e.g. consent).")
