from django.contrib import admin

from .models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap
from .services import loan_product_is_locked


class PledgeRateCapInline(admin.TabularInline):
    model = PledgeRateCap
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not loan_product_is_locked(obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    list_display = ("name", "bank", "min_amount", "max_amount", "min_rate", "max_rate", "is_active")
    list_filter = ("bank", "is_active", "requires_insurance", "requires_guarantee")
    search_fields = ("name", "bank__name")
    list_select_related = ("bank",)
    inlines = [PledgeRateCapInline]

    def get_readonly_fields(self, request, obj=None):
        # A product an application has used cannot change under it; only publishing may.
        if obj is not None and loan_product_is_locked(obj):
            return [f.name for f in obj._meta.concrete_fields if f.name != "is_active"]
        return ()


@admin.register(PledgeRateCap)
class PledgeRateCapAdmin(admin.ModelAdmin):
    list_display = ("product", "ip_type", "max_pledge_rate")
    list_filter = ("ip_type",)
    search_fields = ("product__name",)

    # A used product's caps are part of its frozen terms, as in the product's own inline.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not loan_product_is_locked(obj.product))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not loan_product_is_locked(obj.product))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product":
            kwargs["queryset"] = LoanProduct.objects.filter(applications__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(InsuranceProduct)
class InsuranceProductAdmin(admin.ModelAdmin):
    list_display = ("name", "insurer", "premium_rate", "coverage_ratio", "coverage_cap", "is_active")
    list_filter = ("insurer", "is_active")
    search_fields = ("name", "insurer__name")


@admin.register(GuaranteeProduct)
class GuaranteeProductAdmin(admin.ModelAdmin):
    list_display = ("name", "guarantor", "fee_rate", "coverage_ratio", "is_active")
    list_filter = ("guarantor", "is_active")
    search_fields = ("name", "guarantor__name")
