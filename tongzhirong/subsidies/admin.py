from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import SubsidyAllowance, SubsidyClaim, SubsidyClaimLine, SubsidyPolicy
from .services import EDITABLE_AFTER_CLAIMS


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "share", "covered_share", "annual_cap", "first_year", "last_year", "is_active")
    list_filter = ("kind", "is_active", "repayment_condition")
    search_fields = ("name",)

    def get_readonly_fields(self, request, obj=None):
        # Firms claimed under these terms: only the wording and the opening may change (as in the service).
        if obj is not None and obj.claims.exists():
            return [f.name for f in obj._meta.concrete_fields if f.name not in EDITABLE_AFTER_CLAIMS]
        return ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class SubsidyClaimLineInline(admin.TabularInline):
    model = SubsidyClaimLine
    extra = 0
    fields = ("loan", "base", "share", "covered", "loan_cap", "amount", "live")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(ReadOnlyAdmin):
    """Claims move only through the services (and the API): status and amounts are read-only here."""

    list_display = ("reference", "enterprise", "policy", "year", "amount", "status", "paid_on")
    list_filter = ("status", "year", "policy")
    search_fields = ("reference", "enterprise__legal_name", "enterprise__uscc")
    list_select_related = ("enterprise", "policy")
    inlines = [SubsidyClaimLineInline]


@admin.register(SubsidyAllowance)
class SubsidyAllowanceAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "policy", "year", "committed", "cap")
    list_filter = ("year", "policy")
    list_select_related = ("enterprise", "policy")
