from django.urls import path

from . import views

urlpatterns = [
    path("summary/", views.SummaryView.as_view(), name="reporting-summary"),
    path("monthly/", views.SeriesView.as_view(), name="reporting-monthly"),
    path("breakdowns/", views.BreakdownView.as_view(), name="reporting-breakdowns"),
    path("coverage/", views.CoverageView.as_view(), name="reporting-coverage"),
    path("speed/", views.SpeedView.as_view(), name="reporting-speed"),
    path("risk/", views.RiskView.as_view(), name="reporting-risk"),
    path("indicators/", views.IndicatorsView.as_view(), name="reporting-indicators"),
    path("official-figures/", views.OfficialFigureView.as_view(), name="reporting-official-figures"),
    path("reported-loans/import/", views.ReportedLoanImportView.as_view(), name="reporting-reported-import"),
    path(
        "reported-loans/import-template/",
        views.ReportedLoanTemplateView.as_view(),
        name="reporting-reported-template",
    ),
    path("export/", views.ExportView.as_view(), name="reporting-export"),
    path("district-report/", views.DistrictReportView.as_view(), name="reporting-district-report"),
]
