"""From offer to money: the pledge's registration, filed and recorded."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import BANK_ROLES, OrganisationKind
from tongzhirong.core.errors import DuplicateObject, InvalidTransition, ValidationFailed
from tongzhirong.evidence.services import evidence_append

from ..access import application_locked
from ..filing import application_registries, packages_ready_to_file, registry_named
from ..models import (
    Application,
    ApplicationStatus,
    PledgeRegistration,
    Registry,
)
from ..pledge import precheck_require_pass
from .applications import application_change_status, require_party

S = ApplicationStatus


def pledge_registration_file(*, actor, application: Application) -> list[PledgeRegistration]:
    """The bank files the pledge at every registry the assets need (one filing each) after the offer is
    accepted and both parties signed each registry's package; a failed pre-check ground stops it."""
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        precheck_require_pass(locked)
        # Grounds that need the parties' confirmation are confirmed by signing the package, which lists them.
        packages = packages_ready_to_file(locked)
        reason = "pledge filed" + _registries_suffix([p.registry for p in packages])
        application_change_status(actor=actor, application=locked, to=S.PLEDGE_REGISTRATION, reason=reason)
        now, registrations = timezone.now(), []
        for package in packages:
            registration = PledgeRegistration.objects.create(
                application=locked, registry=package.registry, filed_at=now, filed_by=actor
            )
            evidence_append(
                actor=actor,
                kind="pledge_filing",
                record=registration,
                fields=("application", "registry", "filed_by"),
                subject=locked,
                context={"package_version": package.version, "package_sha256": package.sha256},
            )
            registrations.append(registration)
    return registrations


def pledge_registration_record(
    *, actor, application: Application, registration_number: str, registered_on: date, registry: str | None = None
) -> PledgeRegistration:
    """Record one registry's registration notice (number and date); once every registry's notice is recorded
    the application becomes registered, and only then may the loan be disbursed. ``registry`` may be left out
    when the application files at one registry only."""
    number = registration_number.strip()
    if not number:
        raise ValidationFailed({"registration_number": [_("The notice's registration number is required.")]})
    if registered_on > timezone.localdate():
        raise ValidationFailed({"registered_on": [_("The registration date cannot be in the future.")]})
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        registry = registry_named(locked, registry)
        if (
            PledgeRegistration.objects.filter(registration_number=number)
            .exclude(application=locked, registry=registry)
            .exists()
        ):
            raise DuplicateObject(_("Registration number %(number)s is already recorded.") % {"number": number})
        registrations = {
            r.registry: r for r in PledgeRegistration.objects.select_for_update().filter(application=locked)
        }
        registration = registrations.get(registry)
        if registration is None or locked.status != S.PLEDGE_REGISTRATION:
            raise InvalidTransition(
                _("The notice is recorded after the pledge is filed (it is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        if registration.registered_on is not None:
            raise DuplicateObject(
                _("The %(registry)s notice is already recorded: %(number)s of %(registered_on)s.")
                % {
                    "registry": Registry(registry).label,
                    "number": registration.registration_number,
                    "registered_on": registration.registered_on,
                }
            )
        registration.registration_number, registration.registered_on = number, registered_on
        registration.save(update_fields=["registration_number", "registered_on", "updated_at"])
        evidence_append(
            actor=actor,
            kind="pledge_registration",
            record=registration,
            fields=("registry", "registration_number", "registered_on"),
            subject=locked,
        )
        outstanding = [
            r for r in application_registries(locked) if r not in registrations or not registrations[r].registered_on
        ]
        if not outstanding:
            ordered = sorted(registrations.values(), key=lambda r: Registry.values.index(r.registry))
            numbers = ", ".join(r.registration_number for r in ordered)
            reason = f"registered {numbers}" + _registries_suffix([r.registry for r in ordered])
            application_change_status(actor=actor, application=locked, to=S.REGISTERED, reason=reason)
    return registration


def _registries_suffix(registries: list[str]) -> str:
    """A mixed portfolio's status reasons name the registries (the pages put them in words); one registry's read
    as they always did."""
    return f" [{', '.join(registries)}]" if len(registries) > 1 else ""


# Delinquency buckets by days past due: (name, first day, last day or None for no end).
