from rest_framework import serializers

from scoring.models import ApplicationScore, AssetValuation


class AssetValuationOutput(serializers.ModelSerializer):
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = AssetValuation
        fields = (
            "asset", "p10", "p50", "p90", "realisable", "high_value_flags", "sub_scores", "inputs",
            "model_version", "created_at",
        )  # fmt: skip

    def get_model_version(self, obj) -> str:
        return f"{obj.model_version.name}/{obj.model_version.version}"


class ReasonOutput(serializers.Serializer):
    feature = serializers.CharField()
    pd_impact = serializers.FloatField()
    zh = serializers.CharField()
    en = serializers.CharField()
    actionable = serializers.BooleanField()


class ImprovementOutput(serializers.Serializer):
    feature = serializers.CharField()
    zh = serializers.CharField()
    en = serializers.CharField()


class ApplicationScoreOutput(serializers.ModelSerializer):
    model_version = serializers.SerializerMethodField()
    reasons = ReasonOutput(many=True)
    improvements = ImprovementOutput(many=True)

    class Meta:
        model = ApplicationScore
        fields = (
            "application", "pd", "points", "band", "reasons", "improvements", "inputs", "model_version", "created_at",
        )  # fmt: skip

    def get_model_version(self, obj) -> str:
        return f"{obj.model_version.name}/{obj.model_version.version}"
