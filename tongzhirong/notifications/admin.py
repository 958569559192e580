from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "title", "read_at")
    list_filter = ("read_at", "created_at")
    search_fields = ("title", "recipient__username")
    list_select_related = ("recipient",)
