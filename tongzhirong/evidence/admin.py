from django.contrib import admin

from tongzhirong.core.admin import ReadOnlyAdmin

from .models import Checkpoint, Entry


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "kind", "subject_type", "subject_id", "created_at", "hash")
    list_filter = ("kind", "subject_type")
    search_fields = ("=seq", "=hash", "=subject_id")
    date_hierarchy = "created_at"


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("signed_at", "seq", "hash", "key_fingerprint")
    date_hierarchy = "signed_at"
