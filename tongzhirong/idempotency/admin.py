from django.contrib import admin

from .models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Read-only: records are written by the API and purged by a task; an operator only looks."""

    list_display = ("created_at", "user", "method", "path", "key", "status_code")
    list_filter = ("method", "status_code")
    search_fields = ("key", "path", "user__username")
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
