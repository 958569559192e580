from rest_framework.permissions import BasePermission


class InOrganisationKind(BasePermission):
    """Allow only people whose organisation is of one of ``kinds`` (set on the view as ``allowed_kinds``).
    The view's ``kind_denied_message``, if any, tells a refused caller why."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        kinds = getattr(view, "allowed_kinds", None)
        allowed = bool(user and user.is_authenticated and (kinds is None or user.kind in kinds))
        if not allowed and getattr(view, "kind_denied_message", None):
            self.message = view.kind_denied_message
        return allowed
