from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.core.errors import DuplicateObject, PermissionDenied, ValidationFailed
from tongzhirong.core.models import save_validated

from .models import Enterprise

EDITABLE_FIELDS = (
    "legal_name",
    "district",
    "cluster",
    "chain",
    "founded_on",
    "registered_capital",
    "employees",
    "annual_revenue",
    "is_high_tech",
    "is_tech_sme",
    "is_specialised",
    "is_little_giant",
    "is_ip_certified",
    "existing_debt",
    "prior_ip_loans",
    "overdue_events_24m",
    "max_days_past_due_24m",
    "has_court_enforcement",
    "tax_credit_grade",
)


def enterprise_create(*, organisation: Organisation, uscc: str, **fields) -> Enterprise:
    """The SME's one profile. Refused as a duplicate when the organisation has one already."""
    if organisation.kind != OrganisationKind.SME:
        raise ValidationFailed({"organisation": [_("Only an SME organisation has an enterprise profile.")]})
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: [_("Unknown field.")] for name in sorted(unknown)})
    if Enterprise.objects.filter(organisation=organisation).exists():
        raise _profile_exists()
    try:
        with transaction.atomic():
            return save_validated(Enterprise(organisation=organisation, uscc=uscc.strip().upper(), **fields))
    except IntegrityError as exc:  # a concurrent creation won the race: for this organisation or this USCC
        if Enterprise.objects.filter(organisation=organisation).exists():
            raise _profile_exists() from exc
        raise ValidationFailed({"uscc": [_("An enterprise with this USCC is already registered.")]}) from exc


def _profile_exists() -> DuplicateObject:
    return DuplicateObject(_("This organisation already has an enterprise profile; change it instead."))


def enterprise_update(*, enterprise: Enterprise, actor, **fields) -> Enterprise:
    require(actor, organisation_id=enterprise.organisation_id, message=PermissionDenied.title, superuser_ok=True)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        return save_validated(locked, update_fields=[*fields, "updated_at"])
