from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import RejectsUnknownFields
from scoring.ml.risk import KINDS
from scoring.models import BankModelTraining, ModelRole, ModelVersion, TrainingStatus
from scoring.training import model_card


@extend_schema_field({"type": "string", "enum": list(TrainingStatus.values)}, component_name="TrainingStatusEnum")
class TrainingStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=TrainingStatus.choices, **kwargs)


class BankModelTrainingInput(RejectsUnknownFields, serializers.Serializer):
    file = serializers.FileField(
        help_text="The bank's loans as CSV or XLSX, oldest first, the platform's risk feature columns and the "
        "outcome column; at most 5 MB and 5,000 rows (the importers' limits)."
    )
    target = serializers.CharField(max_length=100, help_text="The outcome column, e.g. status.")
    bad = serializers.CharField(max_length=100, help_text="The value of the outcome column that marks a default.")
    kind = serializers.ChoiceField(choices=KINDS, default="scorecard")


class BankModelVersionOutput(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=ModelRole.choices)
    metrics = serializers.DictField(
        read_only=True,
        help_text="cv (AUC, KS, Brier, ECE, auc_std); holdout and platform_holdout (out of time: this model and the "
        "model then in charge of the queue on the file's last rows); versus_champion (their paired AUC difference and "
        "its standard error, which promotion needs above 1.96).",
    )
    card = serializers.SerializerMethodField(help_text="The model card (Markdown) written with the artefact.")

    class Meta:
        model = ModelVersion
        fields = ("id", "name", "version", "kind", "role", "metrics", "registered_at", "promoted_at", "card")
        read_only_fields = fields

    def get_card(self, version) -> str:
        return model_card(version)


class BankModelTrainingOutput(serializers.ModelSerializer):
    status = TrainingStatusField()
    model_version = serializers.IntegerField(source="model_version_id", allow_null=True)

    class Meta:
        model = BankModelTraining
        fields = (
            "id",
            "status",
            "kind",
            "target",
            "bad_value",
            "original_name",
            "sha256",
            "rows",
            "bad_rows",
            "error",
            "model_version",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields
