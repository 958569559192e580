from rest_framework.permissions import BasePermission

from tongzhirong.accounts.access import require
from tongzhirong.core.errors import PermissionDenied


class InOrganisationKind(BasePermission):
    """Allow only people whose organisation is of one of ``kinds`` (set on the view as ``allowed_kinds``), by
    the services' own rule (``require``). The anonymous are refused without a message, so DRF answers 401; the
    view's ``kind_denied_message``, if any, tells a refused caller why."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        try:
            require(user, kinds=getattr(view, "allowed_kinds", None))
        except PermissionDenied:
            if getattr(view, "kind_denied_message", None):
                self.message = view.kind_denied_message
            return False
        return True
