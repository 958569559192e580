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
from ..filing import package_ready_to_file
from ..models import (
    Application,
    ApplicationStatus,
    PledgeRegistration,
)
from ..pledge import precheck_require_pass
from .applications import application_change_status, require_party

S = ApplicationStatus


def pledge_registration_file(*, actor, application: Application) -> PledgeRegistration:
    """The bank files the pledge after the offer is accepted and both parties signed the package; a failed
    pre-check ground stops it."""
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        precheck_require_pass(locked)
        # Grounds that need the parties' confirmation are confirmed by signing the package, which lists them.
        package_ready_to_file(locked)
        application_change_status(actor=actor, application=locked, to=S.PLEDGE_REGISTRATION, reason="pledge filed")
        registration = PledgeRegistration.objects.create(application=locked, filed_at=timezone.now(), filed_by=actor)
        evidence_append(
            actor=actor, kind="pledge_filing", record=registration, fields=("application", "filed_by"), subject=locked
        )
    return registration


def pledge_registration_record(
    *, actor, application: Application, registration_number: str, registered_on: date
) -> PledgeRegistration:
    """Record the registration notice (number and date): the application becomes registered."""
    number = registration_number.strip()
    if not number:
        raise ValidationFailed({"registration_number": [_("The notice's registration number is required.")]})
    if registered_on > timezone.localdate():
        raise ValidationFailed({"registered_on": [_("The registration date cannot be in the future.")]})
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        if PledgeRegistration.objects.filter(registration_number=number).exclude(application=locked).exists():
            raise DuplicateObject(_("Registration number %(number)s is already recorded.") % {"number": number})
        registration = PledgeRegistration.objects.select_for_update().filter(application=locked).first()
        if registration is None:
            raise InvalidTransition(
                _("The notice is recorded after the pledge is filed (it is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        registration.registration_number, registration.registered_on = number, registered_on
        registration.save(update_fields=["registration_number", "registered_on", "updated_at"])
        evidence_append(
            actor=actor,
            kind="pledge_registration",
            record=registration,
            fields=("registration_number", "registered_on"),
            subject=locked,
        )
        application_change_status(actor=actor, application=locked, to=S.REGISTERED, reason=f"registered {number}")
    return registration


# Delinquency buckets by days past due: (name, first day, last day or None for no end).
