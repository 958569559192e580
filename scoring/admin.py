from django.contrib import admin

from .models import ApplicationScore, AssetValuation, DriftReport, ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "kind", "role", "registered_at", "promoted_at")
    list_filter = ("name", "role", "kind")
    search_fields = ("name", "version", "sha256")
    # Roles change only through the promotion service, which checks the evidence.
    readonly_fields = ("name", "version", "kind", "task", "sha256", "metrics", "role", "promoted_at")


@admin.register(AssetValuation)
class AssetValuationAdmin(admin.ModelAdmin):
    list_display = ("asset", "model_version", "p10", "p50", "p90", "realisable", "created_at")
    list_filter = ("model_version", "asset__ip_type")
    search_fields = ("asset__identifier", "asset__title")
    list_select_related = ("asset", "model_version")


@admin.register(ApplicationScore)
class ApplicationScoreAdmin(admin.ModelAdmin):
    list_display = ("application", "model_version", "pd", "points", "band", "created_at")
    list_filter = ("band", "model_version")
    search_fields = ("application__reference",)
    list_select_related = ("application", "model_version")


@admin.register(DriftReport)
class DriftReportAdmin(admin.ModelAdmin):
    list_display = ("model_version", "computed_at", "rows", "max_psi", "alarm")
    list_filter = ("alarm", "model_version")
    search_fields = ("model_version__name",)
