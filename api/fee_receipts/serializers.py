from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import IdField, RejectsUnknownFields
from tongzhirong.facts.models import FeeReceipt, ReceiptStatus


@extend_schema_field({"type": "string", "enum": list(ReceiptStatus.values)}, component_name="FeeReceiptStatusEnum")
class ReceiptStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ReceiptStatus.choices, **kwargs)


class FeeReceiptInput(RejectsUnknownFields, serializers.Serializer):
    asset = IdField(help_text="One of your IP assets, pledged in a live application or a running loan.")
    paid_through = serializers.DateField(help_text="The day the receipt says the annual fee is paid through.")
    file = serializers.FileField(help_text="The office's receipt: PDF, PNG or JPEG; the content decides.")


class FeeReceiptRejectInput(RejectsUnknownFields, serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class FeeReceiptOutput(serializers.ModelSerializer):
    status = ReceiptStatusField()
    asset_identifier = serializers.CharField(source="asset.identifier")
    fact = serializers.IntegerField(source="fact_id", allow_null=True, help_text="The fact the confirmation recorded.")

    class Meta:
        model = FeeReceipt
        fields = (
            "id",
            "asset",
            "asset_identifier",
            "paid_through",
            "status",
            "original_name",
            "mime_type",
            "size",
            "sha256",
            "created_at",
            "decided_at",
            "reason",
            "fact",
        )
        read_only_fields = fields
