from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import (
    Auction,
    Bid,
    Claim,
    CoverPolicy,
    CoverRequest,
    DisposalCase,
    Pool,
    PoolEntry,
    PoolFiling,
    PoolJournal,
    Recovery,
)


@admin.register(CoverPolicy)
class CoverPolicyAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "loan", "provider", "premium", "coverage_ratio", "coverage_cap")
    list_filter = ("kind", "provider")
    search_fields = ("number", "loan__contract_number")
    raw_id_fields = ("loan",)


@admin.register(CoverRequest)
class CoverRequestAdmin(ReadOnlyAdmin):
    """Cover is asked for, accepted and declined through the services (evidence and notices): read here only."""

    list_display = ("reference", "kind", "application", "provider", "amount", "status", "decided_at")
    list_filter = ("kind", "status", "provider")
    search_fields = ("reference", "application__reference")


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    list_display = ("name", "operator", "fund_size", "leverage_cap", "trigger_days_past_due", "is_active")
    # The fund is what the sponsors paid in, posted to the ledger: not edited here.
    readonly_fields = ("fund_size",)


@admin.register(PoolFiling)
class PoolFilingAdmin(admin.ModelAdmin):
    list_display = ("pool", "application", "loan", "bank", "amount", "status", "created_at")
    list_filter = ("status", "pool", "bank")
    raw_id_fields = ("application", "loan")
    readonly_fields = ("status",)


class PoolEntryInline(admin.TabularInline):
    model = PoolEntry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "debit", "credit")


@admin.register(PoolJournal)
class PoolJournalAdmin(ReadOnlyAdmin):
    """The ledger is append-only: journals are posted by the services, never edited."""

    list_display = ("pool", "kind", "amount", "memo", "created_at")
    list_filter = ("pool", "kind")
    inlines = [PoolEntryInline]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "kind",
        "loan",
        "bank",
        "payer",
        "status",
        "coverage",
        "approved_amount",
        "paid_amount",
    )
    list_filter = ("kind", "status", "payer")
    search_fields = ("reference", "loan__contract_number")
    raw_id_fields = ("loan", "policy", "filing", "documents")
    readonly_fields = ("status",)


class BidInline(admin.TabularInline):
    model = Bid
    extra = 0
    can_delete = False
    readonly_fields = ("bidder", "placed_by", "amount", "placed_at")


@admin.register(Auction)
class AuctionAdmin(admin.ModelAdmin):
    list_display = ("case", "opens_at", "closes_at", "reserve_price", "closed_at", "winning_bid")
    raw_id_fields = ("case", "winning_bid")
    inlines = [BidInline]


@admin.register(DisposalCase)
class DisposalCaseAdmin(admin.ModelAdmin):
    list_display = ("reference", "loan", "asset", "bank", "route", "status", "exposure")
    list_filter = ("route", "status", "bank")
    raw_id_fields = ("loan", "asset")
    readonly_fields = ("status",)


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = ("case", "source", "gross", "costs", "net", "received_on", "after_payment")
    raw_id_fields = ("case", "loan")
