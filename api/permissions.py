from rest_framework.permissions import BasePermission


class InOrganisationKind(BasePermission):
    """Allow only people whose organisation is of one of ``kinds`` (set on the view as ``allowed_kinds``)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        kinds = getattr(view, "allowed_kinds", None)
        return bool(user and user.is_authenticated and (kinds is None or user.kind in kinds))
