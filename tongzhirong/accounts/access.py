"""One rule for every refusal: services call ``require`` so the API, the pages, tasks and the shell are refused
alike; views and forms only translate the error."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _

from tongzhirong.core.errors import PermissionDenied


def require(
    actor,
    *,
    organisation_id: int | Collection[int] | None = None,
    kinds: Collection[str] | None = None,
    roles: Collection[str] | None = None,
    message: str = "",
    name_the_role: bool = False,
    superuser_ok: bool = False,
) -> None:
    """Refuse unless ``actor`` is an active user of ``organisation_id`` (one id or several), of an organisation
    of one of ``kinds`` and in one of ``roles`` (each checked only when given).

    ``message`` says why the actor is refused; a member in another role is told their role may not, when there
    is no ``message`` or ``name_the_role`` asks for it. ``superuser_ok`` lets the platform's superusers through
    (support edits in the admin's stead)."""
    refusal = message or _("This is not yours to act on.")
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDenied(refusal)
    if superuser_ok and actor.is_superuser:
        return
    if organisation_id is not None:
        allowed = {organisation_id} if isinstance(organisation_id, int) else set(organisation_id)
        if actor.organisation_id not in allowed:
            raise PermissionDenied(refusal)
    if kinds is not None and actor.kind not in kinds:
        raise PermissionDenied(refusal)
    if roles is not None and actor.role not in roles:
        named = _("Your role (%(role)s) may not do this.") % {"role": actor.role}
        raise PermissionDenied(named if name_the_role or not message else message)
