from django.db import transaction

from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.identifiers import IdentifierError, normalise_uscc

from .models import ROLES_BY_KIND, Organisation, User


def organisation_create(
    *, kind: str, name: str, short_name: str = "", uscc: str | None = None, **fields
) -> Organisation:
    errors: dict[str, list[str]] = {}
    if uscc:
        try:
            uscc = normalise_uscc(uscc)
        except IdentifierError as exc:
            errors["uscc"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    return Organisation.objects.create(kind=kind, name=name, short_name=short_name, uscc=uscc or None, **fields)


def user_create(
    *, username: str, password: str, organisation: Organisation, role: str, email: str = "", **fields
) -> User:
    if role not in ROLES_BY_KIND.get(organisation.kind, ()):
        raise ValidationFailed({"role": [f"Role {role} does not exist in a {organisation.kind} organisation."]})
    with transaction.atomic():
        user = User(username=username, organisation=organisation, role=role, email=email, **fields)
        user.set_password(password)
        user.save()
    return user
