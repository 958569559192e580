"""Annual fee receipts for pledged IP: between two register refreshes the owner uploads the office's receipt, and
the bank holding the pledge confirms it (recording "paid through" as a fact from the receipt, which updates the
asset's record and clears the collateral monitor's fee flag on its next run) or rejects it with a reason."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, OrganisationKind, Role
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import Conflict, ValidationFailed
from tongzhirong.evidence.state import transition
from tongzhirong.facts.models import FeeReceipt, ReceiptStatus
from tongzhirong.facts.services import fee_receipt_fact_record

from .documents import _document_errors, stored_with_file
from .models import OPEN_LOAN_STATUSES, Application, ApplicationStatus

SME_ROLES = frozenset({Role.SME_OWNER, Role.SME_STAFF})


def pledgee_bank_ids(asset: IPAsset) -> set[int]:
    """The banks holding ``asset`` as collateral: a live application on it, or a running loan."""
    live = ~Q(status__in=Application.TERMINAL | {ApplicationStatus.DRAFT})
    running = Q(status=ApplicationStatus.DISBURSED, loan__status__in=OPEN_LOAN_STATUSES)
    applications = Application.objects.filter(pledged_assets__asset=asset).filter(live | running)
    return set(applications.values_list("product__bank_id", flat=True))


def fee_receipt_upload(*, actor, asset: IPAsset, paid_through: date, upload) -> FeeReceipt:
    """The owner uploads the receipt of a pledged asset's annual fee (PDF or image, checked by content)."""
    require(
        actor,
        organisation_id=asset.owner.organisation_id,
        roles=SME_ROLES,
        message=_("Only the owning enterprise uploads its fee receipts."),
    )
    if not pledgee_bank_ids(asset):
        raise Conflict(_("The asset is not pledged: the register's next refresh will show the payment."))
    errors = {}
    file_errors, mime = _document_errors(upload)
    if file_errors:
        errors["file"] = file_errors
    if asset.annual_fee_paid_through is not None and paid_through <= asset.annual_fee_paid_through:
        errors["paid_through"] = [
            _("The register already shows fees paid through %(day)s.") % {"day": asset.annual_fee_paid_through}
        ]
    if errors:
        raise ValidationFailed(errors)
    return stored_with_file(FeeReceipt(asset=asset, paid_through=paid_through, uploaded_by=actor), upload, mime=mime)


def _require_pledgee(actor, receipt: FeeReceipt) -> None:
    require(
        actor,
        organisation_id=pledgee_bank_ids(receipt.asset),
        kinds={OrganisationKind.BANK},
        roles=BANK_ROLES,
        message=_("Only the bank holding the pledge confirms a fee receipt."),
    )


def fee_receipt_confirm(*, actor, receipt: FeeReceipt) -> FeeReceipt:
    """The pledgee bank has checked the receipt: "paid through" becomes a fact from the receipt."""
    _require_pledgee(actor, receipt)
    with transaction.atomic():
        locked = FeeReceipt.objects.select_for_update().select_related("asset__owner").get(pk=receipt.pk)
        if locked.status != ReceiptStatus.SUBMITTED:
            raise Conflict(_("This receipt has been decided already."))
        locked.fact = fee_receipt_fact_record(
            actor=actor,
            asset=locked.asset,
            paid_through=locked.paid_through,
            reference=_("fee receipt %(sha)s") % {"sha": locked.sha256[:12]},
        )
        locked.decided_by, locked.decided_at = actor, timezone.now()
        transition(
            locked,
            to=ReceiptStatus.CONFIRMED,
            actor=actor,
            reason=_("Fee receipt confirmed"),
            extra_fields=("fact", "decided_by", "decided_at"),
        )
    return locked


def fee_receipt_reject(*, actor, receipt: FeeReceipt, reason: str) -> FeeReceipt:
    _require_pledgee(actor, receipt)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the receipt is rejected.")]})
    with transaction.atomic():
        locked = FeeReceipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.status != ReceiptStatus.SUBMITTED:
            raise Conflict(_("This receipt has been decided already."))
        locked.decided_by, locked.decided_at, locked.reason = actor, timezone.now(), reason[:300]
        transition(
            locked,
            to=ReceiptStatus.REJECTED,
            actor=actor,
            reason=reason,
            extra_fields=("decided_by", "decided_at", "reason"),
        )
    return locked


def fee_receipt_list(*, user) -> QuerySet[FeeReceipt]:
    """The owner's receipts, those of assets pledged to the user's bank, and all of them for the platform."""
    receipts = FeeReceipt.objects.select_related("asset", "uploaded_by", "decided_by")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return receipts
    if user.kind == OrganisationKind.SME:
        return receipts.filter(asset__owner__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        pledged = Application.objects.filter(product__bank_id=user.organisation_id).values("pledged_assets__asset")
        return receipts.filter(asset_id__in=pledged)
    return receipts.none()
