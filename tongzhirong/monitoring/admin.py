from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import CollateralFlag, PledgeBaseline


@admin.register(CollateralFlag)
class CollateralFlagAdmin(ReadOnlyAdmin):
    """The monitor's record: read-only here, it opens and resolves flags itself."""

    list_display = ("loan", "asset", "kind", "severity", "status", "detected_on", "notified_at", "resolved_at")
    list_filter = ("status", "severity", "kind")
    search_fields = ("loan__contract_number", "asset__identifier", "asset__title")
    list_select_related = ("loan", "asset")
    date_hierarchy = "detected_on"


@admin.register(PledgeBaseline)
class PledgeBaselineAdmin(ReadOnlyAdmin):
    list_display = ("loan", "asset", "taken_at")
    search_fields = ("loan__contract_number", "asset__identifier")
    list_select_related = ("loan", "asset")
