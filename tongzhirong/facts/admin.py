"""Facts, authorisations, disputes, the sources' fetch states and fee receipts are read here, never edited: they
change only through the services."""

from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import CreditAuthorisation, Fact, FactDispute, FeeReceipt, SourceFetch


@admin.register(Fact)
class FactAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "asset", "name", "value", "source", "reference", "observed_at", "fetched_by")
    list_filter = ("source", "name")
    search_fields = ("enterprise__legal_name", "enterprise__uscc", "reference")
    list_select_related = ("enterprise", "asset", "fetched_by")


@admin.register(CreditAuthorisation)
class CreditAuthorisationAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "bank", "scope", "expires_on", "signed_by", "signed_at", "revoked_at")
    list_select_related = ("enterprise", "bank", "signed_by")


@admin.register(FactDispute)
class FactDisputeAdmin(ReadOnlyAdmin):
    list_display = ("fact", "enterprise", "status", "raised_by", "created_at", "resolved_by", "resolved_at")
    list_filter = ("status",)
    list_select_related = ("fact", "enterprise", "raised_by", "resolved_by")


@admin.register(SourceFetch)
class SourceFetchAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "source", "outcome", "succeeded_at", "attempted_at", "failing_since", "error")
    list_filter = ("source", "outcome")
    search_fields = ("enterprise__legal_name", "enterprise__uscc", "error")
    list_select_related = ("enterprise",)


@admin.register(FeeReceipt)
class FeeReceiptAdmin(ReadOnlyAdmin):
    list_display = ("asset", "paid_through", "status", "uploaded_by", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("asset__identifier", "asset__owner__legal_name", "sha256")
    list_select_related = ("asset", "uploaded_by", "decided_by")
