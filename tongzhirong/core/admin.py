from django.contrib import admin

from .models import StatusChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records only the services write (audit trails, ledgers, computed flags): an operator only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "content_type", "object_id", "from_status", "to_status", "actor")
    list_filter = ("content_type", "to_status", "created_at")
    search_fields = ("object_id", "reason", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("content_type", "actor")
