from tongzhirong.accounts.models import OrganisationKind

from .models import Enterprise


def enterprise_of(*, user) -> Enterprise | None:
    """The enterprise profile of the caller's own SME organisation, if it has one yet."""
    if user.kind != OrganisationKind.SME:
        return None
    return Enterprise.objects.filter(organisation_id=user.organisation_id).first()
