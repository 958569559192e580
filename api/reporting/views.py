"""The financial office's dashboard: progress to the 200亿 target, series, breakdowns, coverage, speed, risk,
the plan's other indicators, exports and reported loans. City-wide for the city office and the platform (who
stand in for the IP office, which has no organisation kind yet); a bank sees its own book; others get 403."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.catalogue.serializers import ImportInput
from api.parsers import UPLOAD_PARSERS
from api.renderers import CSVFileRenderer, XLSXFileRenderer
from tongzhirong.core.db_routing import reads_reporting
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, TabularError, read_table, write_table
from tongzhirong.reporting import exports
from tongzhirong.reporting.importing import template_headers, template_rows
from tongzhirong.reporting.selectors import (
    ReportFilters,
    breakdown,
    city_wide_scope,
    coverage,
    dashboard_summary,
    indicators,
    reporting_scope,
    risk_figures,
    speed_league,
    volume_series,
)
from tongzhirong.reporting.services import official_figure_record, reported_loans_import

from .serializers import (
    BreakdownOutput,
    BreakdownQueryInput,
    CoverageOutput,
    DistrictReportQueryInput,
    ExportQueryInput,
    IndicatorsOutput,
    OfficialFigureInput,
    OfficialFigureOutput,
    ReportedImportOutput,
    ReportQueryInput,
    RiskOutput,
    SeriesOutput,
    SeriesQueryInput,
    SpeedOutput,
    SummaryOutput,
)

# XLSX first: a generated client reads the first media type it knows as bytes (api/client-config.yml).
FILE_RESPONSES = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY}


class ReportView(APIView):
    """Resolves who sees what before anything else, then reads the query's filters."""

    query_serializer = ReportQueryInput

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.scope = reporting_scope(user=request.user)

    def query(self) -> dict:
        data = self.query_serializer(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    @staticmethod
    def filters(query: dict) -> ReportFilters:
        return ReportFilters(
            start=query.get("start"),
            end=query.get("end"),
            district=query.get("district"),
            cluster=query.get("cluster"),
            bank=query.get("bank"),
            source=query.get("source", "all"),
        )


class SummaryView(ReportView):
    @extend_schema(
        parameters=[ReportQueryInput],
        responses=SummaryOutput,
        summary="Progress to each target (2026 annual and 2024-2026 cumulative side by side) with a forecast",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        body = dashboard_summary(scope=self.scope, filters=self.filters(query), as_of=query.get("as_of"))
        return Response(SummaryOutput(body).data)


class SeriesView(ReportView):
    query_serializer = SeriesQueryInput

    @extend_schema(
        parameters=[SeriesQueryInput],
        responses=SeriesOutput,
        summary="Amount, loans and firms per month, quarter or year, with running totals and % of each target",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        filters = self.filters(query)
        if query.get("as_of") and not filters.end:
            filters = ReportFilters(**{**filters.__dict__, "end": query["as_of"]})
        series = volume_series(scope=self.scope, filters=filters, bucket=query["bucket"])
        return Response(SeriesOutput({"bucket": query["bucket"], "series": series}).data)


class BreakdownView(ReportView):
    query_serializer = BreakdownQueryInput

    @extend_schema(
        parameters=[BreakdownQueryInput],
        responses=BreakdownOutput,
        summary="Figures by district, cluster, chain, bank, product type, IP type, size band, first loan or "
        "tech marker",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        rows = breakdown(scope=self.scope, filters=self.filters(query), by=query["by"])
        return Response(BreakdownOutput({"by": query["by"], "rows": rows}).data)


class CoverageView(ReportView):
    @extend_schema(
        parameters=[ReportQueryInput],
        responses=CoverageOutput,
        summary="Tech SMEs with an IP pledge loan over registered tech SMEs, against the 2.5% baseline",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        body = coverage(scope=self.scope, filters=self.filters(query), as_of=query.get("as_of"))
        return Response(CoverageOutput(body).data)


class SpeedView(ReportView):
    @extend_schema(
        parameters=[ReportQueryInput],
        responses=SpeedOutput,
        summary="Median days from submission to disbursement per bank, fastest first",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        return Response(SpeedOutput({"league": speed_league(scope=self.scope, filters=self.filters(query))}).data)


class RiskView(ReportView):
    @extend_schema(
        parameters=[ReportQueryInput],
        responses=RiskOutput,
        summary="Overdue and non-performing ratios of the platform's open book (pool figures: null for now)",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        return Response(RiskOutput(risk_figures(scope=self.scope, filters=self.filters(query))).data)


class IndicatorsView(ReportView):
    @extend_schema(
        parameters=[ReportQueryInput],
        responses=IndicatorsOutput,
        summary="The plan's indicators: target, the office's official figure and what the platform derives",
    )
    @reads_reporting
    def get(self, request):
        scope = city_wide_scope(user=request.user)
        as_of = self.query().get("as_of") or timezone.localdate()
        return Response(IndicatorsOutput({"as_of": as_of, "indicators": indicators(scope=scope, as_of=as_of)}).data)


class OfficialFigureView(APIView):
    @extend_schema(
        request=OfficialFigureInput,
        responses={201: OfficialFigureOutput},
        summary="City office: enter an indicator's official figure as of a day (a second one that day replaces it)",
    )
    def post(self, request):
        city_wide_scope(user=request.user)
        data = OfficialFigureInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        figure = official_figure_record(
            actor=request.user,
            indicator_code=values["indicator"],
            as_of=values["as_of"],
            value=values["value"],
            source=values["source"],
        )
        return Response(OfficialFigureOutput(figure).data, status=status.HTTP_201_CREATED)


class ReportedLoanImportView(ReportView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={201: ReportedImportOutput, 200: ReportedImportOutput},
        summary="Import loans made outside the platform (CSV or XLSX), all or none: 422 `rows_rejected` lists "
        "every problem by row; one loan per bank and contract number, platform loans included",
    )
    def post(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            rows = read_table(upload, name=upload.name)
        except TabularError as exc:
            raise ValidationFailed({"file": [str(exc)]}) from exc
        result = reported_loans_import(actor=request.user, rows=rows, dry_run=data.validated_data["dry_run"])
        body = {"dry_run": result.dry_run, "rows": result.rows, "created": len(result.created), "ids": result.created}
        code = status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        return Response(ReportedImportOutput(body).data, status=code)


class ReportedLoanTemplateView(ReportView):
    renderer_classes = [CSVFileRenderer, XLSXFileRenderer]

    @extend_schema(responses=FILE_RESPONSES, summary="The reported-loan import template (?format=csv or xlsx)")
    def get(self, request):
        chinese = (get_language() or "").startswith("zh")
        kind = request.accepted_renderer.format
        content = write_table(template_headers(chinese=chinese), template_rows(), kind=kind, title=_("Loans"))
        disposition = f'attachment; filename="reported-loans-template.{kind}"'
        return Response(content, headers={"Content-Disposition": disposition})


class ExportView(ReportView):
    renderer_classes = [CSVFileRenderer, XLSXFileRenderer]
    query_serializer = ExportQueryInput

    @extend_schema(
        parameters=[ExportQueryInput],
        responses=FILE_RESPONSES,
        summary="A series or a breakdown as CSV or XLSX (?format=csv or xlsx), formulas defused",
    )
    @reads_reporting
    def get(self, request):
        query = self.query()
        filters = self.filters(query)
        if query["table"] == "series":
            headers, rows = exports.series_table(scope=self.scope, filters=filters, bucket=query["bucket"])
            name = f"series-{query['bucket']}"
        else:
            headers, rows = exports.breakdown_table(scope=self.scope, filters=filters, by=query["by"])
            name = f"breakdown-{query['by']}"
        kind = request.accepted_renderer.format
        title = exports.export_title(table=query["table"], bucket=query["bucket"], by=query.get("by", ""))
        content = write_table(headers, rows, kind=kind, title=title)
        return Response(content, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


class DistrictReportView(ReportView):
    renderer_classes = [XLSXFileRenderer]
    query_serializer = DistrictReportQueryInput

    @extend_schema(
        parameters=[DistrictReportQueryInput],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
        summary="The monthly report per district (XLSX): all districts on one sheet, then one sheet each",
    )
    @reads_reporting
    def get(self, request):
        month = dt.date.fromisoformat(self.query()["month"] + "-01")
        if month > timezone.localdate():
            raise ValidationFailed({"month": [_("The month has not begun.")]})
        content = exports.district_report_xlsx(scope=self.scope, month=month)
        disposition = f'attachment; filename="district-report-{month:%Y-%m}.xlsx"'
        return Response(content, headers={"Content-Disposition": disposition})
