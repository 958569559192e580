from django.contrib import admin

from .models import Indicator, OfficialFigure, ReportedLoan, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "reading", "amount", "period_start", "period_end", "includes_reported", "is_active")


@admin.register(ReportedLoan)
class ReportedLoanAdmin(admin.ModelAdmin):
    list_display = ("bank", "contract_number", "borrower_uscc", "principal", "disbursed_on", "district", "ip_type")
    list_filter = ("bank", "district", "ip_type")
    search_fields = ("contract_number", "borrower_uscc", "borrower_name")
    raw_id_fields = ("borrower", "imported_by")
    # Imported with a row-by-row check (importing.py): corrections go through a new import, not this form.
    readonly_fields = ("disbursed_at", "imported_by")


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "target", "target_year")


@admin.register(OfficialFigure)
class OfficialFigureAdmin(admin.ModelAdmin):
    list_display = ("indicator", "as_of", "value", "source")
    list_filter = ("indicator",)
    raw_id_fields = ("entered_by",)
