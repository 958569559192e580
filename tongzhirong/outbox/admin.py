from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.errors import DomainError

from .models import DeadLetter, OutboxMessage
from .services import dead_letters_resend


class ReadOnly(admin.ModelAdmin):
    """Written by the services and the workers; an operator looks (and resends dead letters by the action)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnly):
    list_display = ("created_at", "task_name", "args", "published_at", "publications", "done_at", "dead")
    list_filter = ("dead", ("done_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name", "task_id")
    date_hierarchy = "created_at"


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnly):
    list_display = ("failed_at", "task_name", "args", "exception", "retries", "resent_at")
    list_filter = (("resent_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name", "task_id", "exception")
    actions = ("resend",)

    @admin.action(description=_("Send the selected tasks again"))
    def resend(self, request, queryset):
        try:
            count = dead_letters_resend(actor=request.user, letters=list(queryset))
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return
        self.message_user(request, _("%(count)s task(s) sent again.") % {"count": count}, messages.SUCCESS)
