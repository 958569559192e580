from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import CoOwner, FilingFlag, IPAsset


class CoOwnerInline(admin.TabularInline):
    model = CoOwner
    extra = 0


@admin.register(IPAsset)
class IPAssetAdmin(admin.ModelAdmin):
    list_display = ("identifier", "ip_type", "title", "owner", "legal_status", "filing_date", "expiry_date")
    list_filter = ("ip_type", "legal_status", "invalidation_pending", "ownership_dispute", "owner__district")
    search_fields = ("identifier", "title", "owner__legal_name", "owner__uscc")
    list_select_related = ("owner",)
    date_hierarchy = "filing_date"
    inlines = [CoOwnerInline]


@admin.register(CoOwner)
class CoOwnerAdmin(admin.ModelAdmin):
    list_display = ("name", "asset", "share_percent", "consent_given", "consent_recorded_at")
    list_filter = ("consent_given",)
    search_fields = ("name", "uscc", "asset__identifier")
    list_select_related = ("asset",)


@admin.register(FilingFlag)
class FilingFlagAdmin(ReadOnlyAdmin):
    """Raised and cleared only by the refresh (``tongzhirong.facts.flagging``)."""

    list_display = ("enterprise", "asset", "code", "detected_at", "cleared_at")
    list_filter = ("code", "cleared_at")
    search_fields = ("enterprise__legal_name", "enterprise__uscc", "asset__identifier")
    list_select_related = ("enterprise", "asset")
