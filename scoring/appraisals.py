"""Formal appraisals: the lending bank engages an appraisal firm on an application's pledged assets, and the firm
files the value, its method, its fee and the signed report. Every refusal is here, so the pages and the shell are
refused alike."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, Organisation, OrganisationKind, Role
from tongzhirong.core.errors import Conflict, ValidationFailed
from tongzhirong.core.money import to_yuan
from tongzhirong.financing.documents import sniff_type
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.notifications.tasks import notify_organisations
from tongzhirong.outbox.services import task_enqueue

from .models import Appraisal, AppraisalMethod, AppraisalStatus

# An appraisal informs a decision: asked for while the bank can still decide on the terms.
OPEN_FOR_APPRAISAL = frozenset(
    {ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.INFO_REQUESTED}
)
REPORT_MAX_BYTES = 20 * 1024 * 1024


def appraisal_request(*, actor, application: Application, appraiser: Organisation) -> Appraisal:
    """The lending bank asks an appraisal firm to appraise the application's pledged assets; the firm is told."""
    require(
        actor,
        organisation_id=application.product.bank_id,
        roles=BANK_ROLES,
        message=_("Only the lending bank engages an appraiser for this application."),
    )
    if appraiser.kind != OrganisationKind.APPRAISER or not appraiser.is_active:
        raise ValidationFailed({"appraiser": [_("Choose an appraisal firm on the platform.")]})
    if application.status not in OPEN_FOR_APPRAISAL:
        raise Conflict(_("An appraisal is asked for while the application is being reviewed."))
    with transaction.atomic():
        if Appraisal.objects.filter(
            application=application, appraiser=appraiser, status=AppraisalStatus.REQUESTED
        ).exists():
            raise Conflict(_("This firm is already asked to appraise this application."))
        appraisal = Appraisal.objects.create(application=application, appraiser=appraiser, requested_by=actor)
        title = _("Appraisal requested: %(reference)s, %(firm)s, by %(bank)s") % {
            "reference": application.reference,
            "firm": application.enterprise.legal_name,
            "bank": application.product.bank.name,
        }
        task_enqueue(notify_organisations, [appraiser.pk], title, dedupe_key=f"appraisal-requested:{appraisal.pk}")
    return appraisal


def appraisal_file(*, actor, appraisal: Appraisal, value: Decimal, method: str, fee: Decimal, report) -> Appraisal:
    """The firm files its appraisal: the value, the method, its fee and the signed report (a PDF); the bank is told."""
    require(
        actor,
        organisation_id=appraisal.appraiser_id,
        roles={Role.APPRAISER},
        message=_("Only the appraisal firm asked files this appraisal."),
    )
    errors = {}
    value, fee = to_yuan(value), to_yuan(fee)
    if value <= 0:
        errors["value"] = [_("The appraised value is more than zero.")]
    if fee < 0:
        errors["fee"] = [_("The fee is zero or more.")]
    if method not in AppraisalMethod.values:
        errors["method"] = [_("Choose the method the report uses.")]
    content = b""
    if report is None or not report.size:
        errors["report"] = [_("Attach the signed report.")]
    elif report.size > REPORT_MAX_BYTES:
        errors["report"] = [_("The report is too large.")]
    else:
        report.seek(0)
        content = report.read()
        report.seek(0)
        if sniff_type(content[:16]) != "application/pdf":
            errors["report"] = [_("The report is a PDF.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        locked = Appraisal.objects.select_for_update().select_related("application__product").get(pk=appraisal.pk)
        if locked.status != AppraisalStatus.REQUESTED:
            raise Conflict(_("This appraisal is already filed."))
        locked.value, locked.method, locked.fee = value, method, fee
        locked.report_sha256 = hashlib.sha256(content).hexdigest()
        locked.report.save(f"{locked.application.reference}-{locked.pk}.pdf", report, save=False)
        # The file is written before the row; if the row cannot be saved, the file goes too (no orphan report).
        stored = locked.report.name
        try:
            locked.status, locked.filed_by, locked.filed_at = AppraisalStatus.FILED, actor, timezone.now()
            with transaction.atomic():
                locked.save(
                    update_fields=[
                        "value", "method", "fee", "report", "report_sha256", "status", "filed_by", "filed_at"
                    ]
                )  # fmt: skip
        except Exception:
            locked.report.storage.delete(stored)
            raise
        title = _("Appraisal filed: %(reference)s, %(value)s yuan") % {
            "reference": locked.application.reference,
            "value": value,
        }
        task_enqueue(
            notify_organisations, [locked.application.product.bank_id], title, dedupe_key=f"appraisal-filed:{locked.pk}"
        )
    return locked


def appraisal_list(*, user) -> QuerySet[Appraisal]:
    """The appraisals a person may read: the lending bank's, the firm's own; the platform all."""
    qs = Appraisal.objects.select_related("application__enterprise", "application__product__bank", "appraiser")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(application__product__bank_id=user.organisation_id)
    if user.kind == OrganisationKind.APPRAISER:
        return qs.filter(appraiser_id=user.organisation_id)
    return qs.none()


def appraisal_firms() -> QuerySet[Organisation]:
    """The appraisal firms a bank may engage."""
    return Organisation.objects.filter(kind=OrganisationKind.APPRAISER, is_active=True).order_by("name")


# A formal appraisal report is relied on for a year (banks ask for a new one after that).
APPRAISAL_VALID_DAYS = 365


def appraisal_on_file(*, enterprise, asset_ids) -> Appraisal | None:
    """The latest appraisal filed within the past year for an application of ``enterprise`` that pledged all of
    ``asset_ids``: what a new application on those assets would rely on, at the fee the firm charged."""
    since = timezone.now() - dt.timedelta(days=APPRAISAL_VALID_DAYS)
    wanted = set(asset_ids)
    filed = (
        Appraisal.objects.filter(status=AppraisalStatus.FILED, application__enterprise=enterprise, filed_at__gte=since)
        .prefetch_related("application__pledged_assets")
        .order_by("-filed_at", "-id")
    )
    for appraisal in filed:
        if wanted <= {p.asset_id for p in appraisal.application.pledged_assets.all()}:
            return appraisal
    return None
