import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from rest_framework import serializers

from api.serializers import IdField, RejectsUnknownFields
from tongzhirong.core.reference import Cluster, District
from tongzhirong.reporting.models import OfficialFigure, TargetMeasure, TargetReading
from tongzhirong.reporting.selectors import BREAKDOWNS, Source

MONEY = {"max_digits": 18, "decimal_places": 2}


def _day(help_text: str) -> serializers.DateField:
    """A day of the figures: bounded, so that the period's edges stay within what dates and time zones hold."""
    return serializers.DateField(
        required=False,
        validators=[MinValueValidator(dt.date(1990, 1, 1)), MaxValueValidator(dt.date(2100, 12, 31))],
        help_text=help_text,
    )


class ReportQueryInput(serializers.Serializer):
    """The filters every figure takes. Days are Asia/Shanghai days; ``end`` is included."""

    start = _day("First day of the period (default: open, or 2024-01-01).")
    end = _day("Last day of the period, included (default: open, or today).")
    district = serializers.ChoiceField(
        choices=District.choices, required=False, help_text="Borrower's district or park."
    )
    cluster = serializers.ChoiceField(choices=Cluster.choices, required=False, help_text="Borrower's 616 cluster.")
    bank = IdField(required=False, help_text="A bank's id (a bank sees only its own).")
    source = serializers.ChoiceField(
        choices=Source.CHOICES, default=Source.ALL, help_text="Platform loans, reported loans, or all."
    )
    as_of = _day("The day the figures stand on (default today).")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The period ends before it starts."]})
        return attrs


class SeriesQueryInput(ReportQueryInput):
    bucket = serializers.ChoiceField(choices=("month", "quarter", "year"), default="month")


class BreakdownQueryInput(ReportQueryInput):
    by = serializers.ChoiceField(choices=BREAKDOWNS, help_text="The dimension to group by.")


class ExportQueryInput(ReportQueryInput):
    table = serializers.ChoiceField(choices=("series", "breakdown"), help_text="Which table to export.")
    bucket = serializers.ChoiceField(choices=("month", "quarter", "year"), default="month")
    by = serializers.ChoiceField(choices=BREAKDOWNS, required=False, help_text="For table=breakdown.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["table"] == "breakdown" and not attrs.get("by"):
            raise serializers.ValidationError({"by": ["Say what to break the figures down by."]})
        return attrs


class DistrictReportQueryInput(serializers.Serializer):
    month = serializers.RegexField(r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$", help_text="The month, as 2026-10 (1990-2099).")


class FiguresOutput(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, help_text="Disbursed principal, yuan.")
    count = serializers.IntegerField(help_text="Loans.")
    firms = serializers.IntegerField(help_text="Distinct borrowers (one firm with both kinds of loan counts once).")


class SplitOutput(serializers.Serializer):
    platform = FiguresOutput()
    reported = FiguresOutput()
    total = FiguresOutput()


class ForecastOutput(serializers.Serializer):
    point = serializers.DecimalField(**MONEY, help_text="Median simulated volume at the period's end, yuan.")
    low = serializers.DecimalField(**MONEY, help_text="10th percentile.")
    high = serializers.DecimalField(**MONEY, help_text="90th percentile.")
    percent_of_target = serializers.DecimalField(max_digits=12, decimal_places=4)
    probability_of_target = serializers.FloatField(allow_null=True)
    months_remaining = serializers.FloatField()
    months_used = serializers.IntegerField(help_text="Complete months of history resampled.")
    method = serializers.CharField()


class TargetProgressOutput(SplitOutput):
    code = serializers.CharField()
    name = serializers.CharField()
    reading = serializers.ChoiceField(choices=TargetReading.choices)
    measure = serializers.ChoiceField(choices=TargetMeasure.choices)
    amount = serializers.DecimalField(**MONEY, help_text="The target, yuan.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    includes_reported = serializers.BooleanField()
    reached = serializers.DecimalField(**MONEY, help_text="What counts towards the target so far, yuan.")
    percent_of_target = serializers.DecimalField(max_digits=12, decimal_places=4)
    forecast = ForecastOutput(allow_null=True, help_text="Null after the period or with under 3 months of history.")


class SummaryOutput(serializers.Serializer):
    as_of = serializers.DateField()
    city_wide = serializers.BooleanField(help_text="False: one bank's own book.")
    bank = serializers.IntegerField(allow_null=True)
    targets = TargetProgressOutput(many=True)


class RunningOutput(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    count = serializers.IntegerField()


class CumulativeOutput(serializers.Serializer):
    platform = RunningOutput()
    reported = RunningOutput()
    total = RunningOutput()


class SeriesRowOutput(SplitOutput):
    period = serializers.DateField(help_text="First day of the month, quarter or year.")
    cumulative = CumulativeOutput(help_text="Running totals from the period's start.")
    targets = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=4),
        help_text="Target code → percent of it reached by the end of this bucket.",
    )


class SeriesOutput(serializers.Serializer):
    bucket = serializers.CharField()
    series = SeriesRowOutput(many=True)


class BreakdownRowOutput(SplitOutput):
    key = serializers.CharField()
    label = serializers.CharField()
    inclusive = serializers.BooleanField(required=False, help_text="Size bands only: an inclusive (普惠) loan band.")


class BreakdownOutput(serializers.Serializer):
    by = serializers.CharField()
    rows = BreakdownRowOutput(many=True)


class RegisterCoverageOutput(serializers.Serializer):
    tech_smes = serializers.IntegerField()
    with_loan = serializers.IntegerField()
    coverage = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    ever_pledged = serializers.IntegerField(required=False)
    ever_coverage = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True, required=False)
    as_of = serializers.DateField(required=False)


class CoverageOutput(serializers.Serializer):
    as_of = serializers.DateField()
    baseline = serializers.DecimalField(max_digits=6, decimal_places=4, help_text="2.5% of tech SMEs (2021).")
    platform_register = RegisterCoverageOutput()
    official_register = RegisterCoverageOutput(allow_null=True)


class SpeedRowOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    bank = serializers.IntegerField()
    bank_name = serializers.CharField()
    loans = serializers.IntegerField()
    median_days = serializers.FloatField()


class SpeedOutput(serializers.Serializer):
    league = SpeedRowOutput(many=True)


class PoolFiguresOutput(serializers.Serializer):
    pools = serializers.IntegerField(allow_null=True, help_text="Number of pools; null for a bank.")
    balance = serializers.DecimalField(**MONEY, allow_null=True, help_text="Null for a bank.")
    exposure = serializers.DecimalField(**MONEY)
    claims_paid = serializers.DecimalField(**MONEY, allow_null=True, help_text="Null for a bank.")
    recoveries = serializers.DecimalField(**MONEY, allow_null=True, help_text="Null for a bank.")


class RiskOutput(serializers.Serializer):
    outstanding = serializers.DecimalField(**MONEY)
    open_loans = serializers.IntegerField()
    overdue_amount = serializers.DecimalField(**MONEY)
    overdue_loans = serializers.IntegerField()
    overdue_ratio = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    npl_amount = serializers.DecimalField(**MONEY)
    npl_loans = serializers.IntegerField()
    npl_ratio = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    written_off_loans = serializers.IntegerField()
    written_off_principal = serializers.DecimalField(**MONEY)
    pool = PoolFiguresOutput(
        help_text="Risk-compensation pools: number, cash balance, exposure, claims paid and recoveries "
        "(city-wide); for a bank only the exposure its own filings hold."
    )


class OfficialValueOutput(serializers.Serializer):
    value = serializers.DecimalField(max_digits=20, decimal_places=4)
    as_of = serializers.DateField()
    source = serializers.CharField()


class IndicatorOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    target_year = serializers.IntegerField(allow_null=True)
    official = OfficialValueOutput(allow_null=True, help_text="The latest figure the office entered.")
    platform = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text="What the platform derives; null if it cannot."
    )
    derivation = serializers.CharField()


class IndicatorsOutput(serializers.Serializer):
    as_of = serializers.DateField()
    indicators = IndicatorOutput(many=True)


class OfficialFigureInput(RejectsUnknownFields, serializers.Serializer):
    indicator = serializers.SlugField(help_text="The indicator's code, e.g. population.")
    as_of = serializers.DateField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4)
    source = serializers.CharField(max_length=200, required=False, default="")


class OfficialFigureOutput(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OfficialFigure
        fields = ("id", "indicator", "as_of", "value", "source")


class ReportedImportOutput(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Data rows read from the file.")
    created = serializers.IntegerField(help_text="Reported loans recorded: all rows, or none on a dry run.")
    ids = serializers.ListField(child=serializers.IntegerField())
