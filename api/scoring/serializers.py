from rest_framework import serializers

from api.serializers import FEATURES, SCORE_INPUTS, documented_json
from scoring.models import ApplicationScore, AssetValuation


class SubScoreFactorOutput(serializers.Serializer):
    factor = serializers.CharField()
    label_zh = serializers.CharField()
    points = serializers.FloatField()
    max_points = serializers.FloatField()


class SubScoreOutput(serializers.Serializer):
    score = serializers.FloatField(help_text="0-100.")
    factors = SubScoreFactorOutput(many=True)


class AssetValuationOutput(serializers.ModelSerializer):
    model_version = serializers.SerializerMethodField()
    high_value_flags = serializers.DictField(
        child=serializers.BooleanField(), help_text="Each of the five high-value categories: raised or not."
    )
    sub_scores = serializers.DictField(
        child=SubScoreOutput(), help_text="Legal, technical and economic sub-scores with their factors."
    )
    inputs = documented_json(FEATURES)

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
    pd_impact = serializers.DecimalField(
        max_digits=8, decimal_places=6, help_text="How much this feature moves the probability of default."
    )
    zh = serializers.CharField()
    en = serializers.CharField()
    actionable = serializers.BooleanField()


class ImprovementOutput(serializers.Serializer):
    feature = serializers.CharField()
    zh = serializers.CharField()
    en = serializers.CharField()


class ApplicationScoreOutput(serializers.ModelSerializer):
    model_version = serializers.SerializerMethodField()
    inputs = documented_json(SCORE_INPUTS)
    reasons = ReasonOutput(many=True)
    improvements = ImprovementOutput(many=True)

    class Meta:
        model = ApplicationScore
        fields = (
            "application", "pd", "points", "band", "reasons", "improvements", "inputs", "model_version", "created_at",
        )  # fmt: skip

    def get_model_version(self, obj) -> str:
        return f"{obj.model_version.name}/{obj.model_version.version}"
