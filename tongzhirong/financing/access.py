"""Who stands where on an application, and the application locked for a state change."""

from __future__ import annotations

from tongzhirong.accounts.models import OrganisationKind

from .models import Application


def application_locked(application: Application) -> Application:
    """The application as stored, locked for the rest of the transaction (not a caller's stale copy)."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise", "product", "product__bank")
        .get(pk=application.pk)
    )


def party_of(application: Application, actor) -> str | None:
    """The actor's side on this application: the SME, the bank, the platform, an outsider, or None (the system)."""
    if actor is None:
        return None
    if actor.organisation_id == application.enterprise.organisation_id:
        return OrganisationKind.SME
    if actor.organisation_id == application.product.bank_id:
        return OrganisationKind.BANK
    if actor.is_superuser or actor.kind == OrganisationKind.PLATFORM:
        return OrganisationKind.PLATFORM
    return "outsider"
