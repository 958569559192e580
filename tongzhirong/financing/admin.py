from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import Application, ApplicationAsset, Loan, Repayment, ScheduleLine
from .services import DISBURSEMENT_FACTS


class ApplicationAssetInline(admin.TabularInline):
    model = ApplicationAsset
    extra = 0
    raw_id_fields = ("asset",)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("reference", "enterprise", "product", "status", "requested_amount", "approved_amount", "created_at")
    list_filter = ("status", "product__bank", "enterprise__district", "enterprise__cluster")
    search_fields = ("reference", "enterprise__legal_name", "enterprise__uscc")
    list_select_related = ("enterprise", "product")
    date_hierarchy = "created_at"
    inlines = [ApplicationAssetInline]
    # Status moves only through the services, so that every move is audited.
    readonly_fields = ("status", "submitted_at", "decided_at")


class ScheduleLineInline(admin.TabularInline):
    """Shown, never edited: what was paid is moved by repayments through the services (and chained)."""

    model = ScheduleLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = (
        "contract_number",
        "borrower",
        "bank",
        "principal",
        "outstanding_principal",
        "status",
        "days_past_due",
        "disbursed_at",
    )
    list_filter = ("status", "bank", "repayment_method", "borrower__district")
    search_fields = ("contract_number", "borrower__legal_name", "borrower__uscc")
    list_select_related = ("borrower", "bank")
    date_hierarchy = "disbursed_at"
    # The money and its terms move only through the services (disbursement, repayments, delinquency), which
    # chain each fact as evidence; nothing is corrected by an edit here.
    readonly_fields = (*DISBURSEMENT_FACTS, "status", "outstanding_principal", "days_past_due", "closed_at")

    def has_delete_permission(self, request, obj=None):
        return False

    inlines = [ScheduleLineInline]


@admin.register(ScheduleLine)
class ScheduleLineAdmin(ReadOnlyAdmin):
    list_display = (
        "loan",
        "sequence",
        "due_date",
        "principal_due",
        "interest_due",
        "principal_paid",
        "interest_paid",
        "settled_at",
    )
    list_filter = ("due_date",)
    search_fields = ("loan__contract_number",)
    list_select_related = ("loan",)


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ("loan", "paid_at", "amount", "principal_part", "interest_part", "penalty_part")
    list_filter = ("paid_at",)
    search_fields = ("loan__contract_number", "reference")
    list_select_related = ("loan",)
