from django.contrib import admin

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "uscc", "district", "cluster", "chain", "employees", "is_high_tech", "is_specialised")
    list_filter = ("district", "cluster", "chain", "is_high_tech", "is_tech_sme", "is_specialised", "is_little_giant")
    search_fields = ("legal_name", "uscc")
    list_select_related = ("organisation",)
