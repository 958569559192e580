from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .batches import run_progress
from .models import ApplicationScore, AssetValuation, BatchRun, DriftReport, ModelVersion


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


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    """Scoring runs and how far they are: chunks done, applications per second, time left. Read only: the
    chunk tasks move the counters."""

    list_display = ("pk", "key", "started_at", "progress", "chunks", "written", "eta", "finished_at")
    readonly_fields = ("key", "started_at", "finished_at", "total", "chunks_total", "chunks_done", "done", "written")

    @admin.display(description=_("progress"))
    def progress(self, run: BatchRun) -> str:
        return f"{run.done}/{run.total} ({run.done / run.total:.0%})" if run.total else "0/0"

    @admin.display(description=_("chunks"))
    def chunks(self, run: BatchRun) -> str:
        return f"{run.chunks_done}/{run.chunks_total}"

    @admin.display(description=_("time left"))
    def eta(self, run: BatchRun) -> str:
        progress = run_progress(run)
        if progress.finished:
            return "—"
        return "—" if progress.eta is None else f"{progress.eta.total_seconds():.0f} s ({progress.per_second:.0f}/s)"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
