from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.core.errors import DuplicateObject, PermissionDenied, ValidationFailed
from tongzhirong.core.models import save_validated

from .models import Enterprise, ProfileChange

# What the SME may change on its profile at any time; each change is kept (``ProfileChange``: who, when, old →
# new). Declared by the applicant, and shown so wherever they decide something.
EDITABLE_FIELDS = (
    "district",
    "cluster",
    "chain",
    "employees",
    "annual_revenue",
)
# What a source says (enterprise register, credit report, court lists, tax grade, certification lists). The
# SME declares them once, when it creates the profile; afterwards only a recorded fact changes them
# (``tongzhirong.facts``) and the SME disputes a fact instead of overwriting it.
VERIFIED_FIELDS = (
    "legal_name",
    "founded_on",
    "registered_capital",
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
VERIFIED_FIELD_REFUSAL = gettext_lazy(
    "This comes from a verified source and cannot be changed here; dispute the fact if it is wrong."
)

# Everything the applicant declares when it creates the profile, in the order a form shows it.
PROFILE_FIELDS = (
    "legal_name",
    *EDITABLE_FIELDS[:3],
    "founded_on",
    "registered_capital",
    *EDITABLE_FIELDS[3:],
    *VERIFIED_FIELDS[3:],
)


def enterprise_create(*, actor, organisation: Organisation, uscc: str, **fields) -> Enterprise:
    """The SME's one profile, created by its own people. Refused as a duplicate when the organisation has one
    already."""
    require(
        actor,
        organisation_id=organisation.pk,
        kinds=(OrganisationKind.SME,),
        message=_("Only an SME has an enterprise profile."),
    )
    unknown = set(fields) - set(PROFILE_FIELDS)
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
    """Change what the SME may change; each changed field leaves a ``ProfileChange`` (who, when, old → new).
    A field a source verifies is refused by name: the SME disputes the fact instead."""
    require(actor, organisation_id=enterprise.organisation_id, message=PermissionDenied.title, superuser_ok=True)
    errors = {
        name: [str(VERIFIED_FIELD_REFUSAL) if name in VERIFIED_FIELDS else _("This field cannot be changed.")]
        for name in sorted(set(fields) - set(EDITABLE_FIELDS))
    }
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        return _apply(locked, fields, actor=actor, source="")


def enterprise_verified_set(*, enterprise: Enterprise, actor, source: str, **fields) -> Enterprise:
    """Set verified columns from a recorded fact. Only ``tongzhirong.facts`` calls this, inside the
    transaction that records the fact and after its own checks; the change is kept like a profile edit,
    naming the source."""
    unknown = set(fields) - set(VERIFIED_FIELDS)
    if unknown:
        raise ValidationFailed({name: [_("Not a verified field.")] for name in sorted(unknown)})
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        return _apply(locked, fields, actor=actor, source=source)


def _apply(locked: Enterprise, fields: dict, *, actor, source: str) -> Enterprise:
    changes = []
    for name, value in fields.items():
        old = getattr(locked, name)
        setattr(locked, name, value)
        if old != value:
            changes.append(ProfileChange(enterprise=locked, actor=actor, field=name, old=old, new=value, source=source))
    save_validated(locked, update_fields=[*fields, "updated_at"])
    ProfileChange.objects.bulk_create(changes)
    return locked
