"""Underwriting before disbursement: the lending bank asks the insurer or guarantor of an approved application to
cover its loan; the provider's underwriters accept (on the product's terms or their own, with conditions) or
decline with a reason. A loan whose terms include cover is disbursed only once that cover is accepted; after a
decline the bank asks another provider, or goes ahead without the cover where its loan product allows. A request
still standing when its application is rejected, withdrawn or expires lapses with it (the lending workflow closes
it in the same transaction; a nightly sweep closes any an application left behind)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import Conflict, InvalidTransition, ValidationFailed
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.financing.access import application_locked
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.notifications.tasks import notify_organisations
from tongzhirong.outbox.services import task_enqueue
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct

from ..models import LIVE_COVER_REQUEST, CoverKind, CoverLapseReason, CoverRequest
from ..models import CoverRequestStatus as CR
from .common import require_bank

S = ApplicationStatus
# Cover is asked for once the terms are approved and until the loan is disbursed.
COVERABLE = frozenset({S.APPROVED, S.OFFER_ACCEPTED, S.PLEDGE_REGISTRATION, S.REGISTERED})
UNDERWRITER_ROLES = frozenset({Role.UNDERWRITER})
# The application's field naming the product of each kind, and the loan product's flag that makes it compulsory.
PRODUCT_FIELD = {CoverKind.INSURANCE: "insurance_product", CoverKind.GUARANTEE: "guarantee_product"}
REQUIRED_FLAG = {CoverKind.INSURANCE: "requires_insurance", CoverKind.GUARANTEE: "requires_guarantee"}
# The ends of an application before disbursement, and the reason its live cover lapses with.
LAPSE_REASON = {
    S.REJECTED: CoverLapseReason.APPLICATION_REJECTED,
    S.WITHDRAWN: CoverLapseReason.APPLICATION_WITHDRAWN,
    S.EXPIRED: CoverLapseReason.APPLICATION_EXPIRED,
}
# What the provider, the bank and the API read of a request, in the words of its kind: an insurer underwrites
# (核保申请, 已承保, 已拒保), a guarantor guarantees (担保申请, 已同意担保, 已拒绝担保) and must not read the insurer's.
WORDS = {
    CoverKind.INSURANCE: {
        "requested": gettext_lazy(
            "Cover requested: %(reference)s, %(firm)s, %(amount)s yuan for %(months)s months, by %(bank)s"
        ),
        "accepted": gettext_lazy("Cover accepted: %(reference)s, %(provider)s"),
        "declined": gettext_lazy("Cover declined: %(reference)s, %(provider)s"),
        "lapsed": gettext_lazy("Cover lapsed: %(reference)s, %(firm)s. %(reason)s"),
        "decided": gettext_lazy("This cover request is already decided (%(status)s)."),
        "not_live": gettext_lazy("Only a request awaiting a decision or accepted can be withdrawn (it is %(status)s)."),
        "no_reason": gettext_lazy("Say why the cover is declined."),
    },
    CoverKind.GUARANTEE: {
        "requested": gettext_lazy(
            "Guarantee requested: %(reference)s, %(firm)s, %(amount)s yuan for %(months)s months, by %(bank)s"
        ),
        "accepted": gettext_lazy("Guarantee accepted: %(reference)s, %(provider)s"),
        "declined": gettext_lazy("Guarantee declined: %(reference)s, %(provider)s"),
        "lapsed": gettext_lazy("Guarantee request lapsed: %(reference)s, %(firm)s. %(reason)s"),
        "decided": gettext_lazy("This guarantee request is already decided (%(status)s)."),
        "not_live": gettext_lazy(
            "Only a guarantee request awaiting the guarantor or accepted can be withdrawn (it is %(status)s)."
        ),
        "no_reason": gettext_lazy("Say why the guarantee is declined."),
    },
}
# What the evidence chain holds of a request as it was made (fields never changed afterwards).
REQUEST_FACTS = ("reference", "application", "kind", "provider", "amount", "term_months", "requested_by")


def _kind_of(product) -> str:
    if isinstance(product, InsuranceProduct):
        return CoverKind.INSURANCE
    if isinstance(product, GuaranteeProduct):
        return CoverKind.GUARANTEE
    raise ValidationFailed({"product": [_("Choose an insurance or a guarantee product.")]})


def _provider_id(product) -> int:
    return product.insurer_id if isinstance(product, InsuranceProduct) else product.guarantor_id


def _kind_word(kind: str) -> str:
    return _("insurance") if kind == CoverKind.INSURANCE else _("guarantee")


def _live(application: Application, kind: str):
    return CoverRequest.objects.filter(application=application, kind=kind, status__in=LIVE_COVER_REQUEST)


def _open(*, actor, application: Application, product) -> CoverRequest:
    """Inside the caller's transaction, the application locked: the request, its evidence and the provider told."""
    kind = _kind_of(product)
    if not product.is_active:
        raise ValidationFailed({"product": [_("This product is withdrawn; choose a published one.")]})
    if _live(application, kind).exists():
        raise Conflict(
            _("This application already has a %(kind)s request awaiting a decision or accepted.")
            % {"kind": _kind_word(kind)}
        )
    field = PRODUCT_FIELD[kind]
    if getattr(application, f"{field}_id") != product.pk:  # the bank chose another provider after a decline
        setattr(application, field, product)
        application.save(update_fields=[field, "updated_at"])
    cover = CoverRequest.objects.create(
        reference=next_reference("CVR", CoverRequest),
        application=application,
        kind=kind,
        provider_id=_provider_id(product),
        insurance_product=product if kind == CoverKind.INSURANCE else None,
        guarantee_product=product if kind == CoverKind.GUARANTEE else None,
        amount=application.approved_amount or application.requested_amount,
        term_months=application.approved_term_months or application.requested_term_months,
        rate=product.premium_rate if kind == CoverKind.INSURANCE else product.fee_rate,
        coverage_ratio=product.coverage_ratio,
        coverage_cap=getattr(product, "coverage_cap", None),
        requested_by=actor,
    )
    evidence_append(actor=actor, kind="cover_request", record=cover, fields=REQUEST_FACTS, subject=application)
    title = WORDS[kind]["requested"] % {
        "reference": application.reference,
        "firm": application.enterprise.legal_name,
        "amount": cover.amount,
        "months": cover.term_months,
        "bank": application.product.bank.name,
    }
    task_enqueue(notify_organisations, [cover.provider_id], title, dedupe_key=f"cover-requested:{cover.pk}")
    return cover


def cover_request_open(*, actor, application: Application, product) -> CoverRequest:
    """The lending bank asks the provider of ``product`` to cover the approved application's loan. A product other
    than the one the application names (after a decline) becomes the application's choice of that kind."""
    with transaction.atomic():
        application = application_locked(application)
        require_bank(actor, application.product.bank_id)
        if application.status not in COVERABLE:
            raise Conflict(_("Cover is asked for once the application is approved and before the loan is disbursed."))
        return _open(actor=actor, application=application, product=product)


def cover_requests_open_for(*, actor, application: Application) -> list[CoverRequest]:
    """On approval (inside its transaction): ask for each cover the application's terms name and nobody covers yet."""
    opened = []
    for kind, field in PRODUCT_FIELD.items():
        product = getattr(application, field)
        if product is not None and not _live(application, kind).exists():
            opened.append(_open(actor=actor, application=application, product=product))
    return opened


def _locked(cover: CoverRequest) -> CoverRequest:
    return (
        CoverRequest.objects.select_for_update(of=("self",))
        .select_related("application__product__bank", "application__enterprise", "provider")
        .get(pk=cover.pk)
    )


def _require_underwriter(actor, cover: CoverRequest) -> None:
    require(
        actor,
        organisation_id=cover.provider_id,
        roles=UNDERWRITER_ROLES,
        message=_("Only the underwriters of the insurer or guarantor asked decide this cover."),
    )


def _decidable(cover: CoverRequest) -> None:
    if cover.status != CR.REQUESTED:
        raise InvalidTransition(WORDS[cover.kind]["decided"] % {"status": cover.status_words()})
    if cover.application.status not in COVERABLE:
        raise Conflict(_("The application is no longer going ahead (%s).") % cover.application.get_status_display())


def _tell_bank(cover: CoverRequest, title: str) -> None:
    task_enqueue(
        notify_organisations,
        [cover.application.product.bank_id],
        title,
        dedupe_key=f"cover-decided:{cover.pk}:{cover.status}",
    )


def cover_request_accept(
    *,
    actor,
    cover: CoverRequest,
    conditions: str = "",
    rate: Decimal | None = None,
    coverage_ratio: Decimal | None = None,
    coverage_cap: Decimal | None = None,
) -> CoverRequest:
    """The provider's underwriter accepts, on the product's terms or on the rate, share covered and cap given, with
    the conditions the bank must meet (written down; shown to the bank). The bank is told."""
    errors = {}
    if rate is not None and not (0 <= rate <= 1):
        errors["rate"] = [_("The rate is between 0% and 100% a year.")]
    if coverage_ratio is not None and not (0 < coverage_ratio <= 1):
        errors["coverage_ratio"] = [_("The share covered is more than 0% and at most 100%.")]
    if coverage_cap is not None and coverage_cap < 0:
        errors["coverage_cap"] = [_("The cap is zero or more.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        cover = _locked(cover)
        _require_underwriter(actor, cover)
        _decidable(cover)
        if rate is not None:
            cover.rate = rate
        if coverage_ratio is not None:
            cover.coverage_ratio = coverage_ratio
        if coverage_cap is not None:
            cover.coverage_cap = to_yuan(coverage_cap)
        cover.conditions = conditions.strip()
        cover.decided_by, cover.decided_at = actor, timezone.now()
        transition(
            cover,
            to=CR.ACCEPTED,
            actor=actor,
            reason=cover.conditions,
            extra_fields=("rate", "coverage_ratio", "coverage_cap", "conditions", "decided_by", "decided_at"),
        )
        _tell_bank(
            cover,
            WORDS[cover.kind]["accepted"]
            % {
                "reference": cover.application.reference,
                "provider": cover.provider.name,
            },
        )
    return cover


def cover_request_decline(*, actor, cover: CoverRequest, reason: str) -> CoverRequest:
    """The provider's underwriter declines, saying why; the bank is told and may ask another provider."""
    if not reason.strip():
        raise ValidationFailed({"reason": [str(WORDS[cover.kind]["no_reason"])]})
    with transaction.atomic():
        cover = _locked(cover)
        _require_underwriter(actor, cover)
        _decidable(cover)
        cover.decline_reason = reason.strip()
        cover.decided_by, cover.decided_at = actor, timezone.now()
        transition(
            cover,
            to=CR.DECLINED,
            actor=actor,
            reason=cover.decline_reason,
            extra_fields=("decline_reason", "decided_by", "decided_at"),
        )
        _tell_bank(
            cover,
            WORDS[cover.kind]["declined"]
            % {
                "reference": cover.application.reference,
                "provider": cover.provider.name,
            },
        )
    return cover


def cover_request_withdraw(*, actor, cover: CoverRequest, reason: str = "") -> CoverRequest:
    """The bank withdraws a request awaiting a decision or accepted, before the loan is disbursed."""
    with transaction.atomic():
        cover = _locked(cover)
        require_bank(actor, cover.application.product.bank_id)
        if cover.status not in LIVE_COVER_REQUEST:
            raise InvalidTransition(WORDS[cover.kind]["not_live"] % {"status": cover.status_words()})
        if cover.application.status == S.DISBURSED:
            raise Conflict(_("The loan is disbursed: its cover is bound and stays."))
        transition(cover, to=CR.WITHDRAWN, actor=actor, reason=reason.strip() or "withdrawn")
    return cover


def cover_go_without(*, actor, cover: CoverRequest) -> Application:
    """After a decline (or a withdrawal) the bank goes ahead without this kind of cover, where its loan product
    does not require it: the application's terms no longer name the product."""
    with transaction.atomic():
        cover = _locked(cover)
        application = application_locked(cover.application)
        require_bank(actor, application.product.bank_id)
        if application.status not in COVERABLE:
            raise Conflict(_("The terms change only before the loan is disbursed."))
        if getattr(application.product, REQUIRED_FLAG[cover.kind]):
            raise Conflict(
                _("The loan product requires %(kind)s: ask another provider to cover it.")
                % {"kind": _kind_word(cover.kind)}
            )
        if _live(application, cover.kind).exists():
            raise Conflict(
                _("A %(kind)s request still stands: withdraw it first, or wait for the decision.")
                % {"kind": _kind_word(cover.kind)}
            )
        field = PRODUCT_FIELD[cover.kind]
        setattr(application, field, None)
        application.save(update_fields=[field, "updated_at"])
        evidence_append(
            actor=actor,
            kind="cover_waived",
            record=application,
            fields=("reference",),
            context={"kind": cover.kind, "request": cover.reference},
        )
    return application


def _lapse(*, actor, cover: CoverRequest) -> None:
    """Inside the caller's transaction, ``cover`` locked: close it with its application's end; the provider is told
    after commit that there is nothing more to underwrite (or to bind, had it accepted)."""
    cover.lapse_reason = LAPSE_REASON[cover.application.status]
    transition(cover, to=CR.LAPSED, actor=actor, reason=cover.lapse_reason, extra_fields=("lapse_reason",))
    title = WORDS[cover.kind]["lapsed"] % {
        "reference": cover.application.reference,
        "firm": cover.application.enterprise.legal_name,
        "reason": cover.get_lapse_reason_display(),
    }
    task_enqueue(notify_organisations, [cover.provider_id], title, dedupe_key=f"cover-lapsed:{cover.pk}")


def _live_locked(**filters) -> list[CoverRequest]:
    return list(
        CoverRequest.objects.select_for_update(of=("self",))
        .select_related("application__enterprise", "provider")
        .filter(status__in=LIVE_COVER_REQUEST, **filters)
        .order_by("pk")
    )


def cover_requests_lapse_for(*, actor, application: Application) -> list[CoverRequest]:
    """Inside the transaction that rejected, withdrew or let ``application`` expire (the lending workflow): each
    request still standing, awaiting a decision or accepted, lapses with the reason, audited and chained, and its
    provider is told. An application still going ahead (or disbursed, its cover bound) keeps its requests."""
    if application.status not in LAPSE_REASON:
        return []
    covers = _live_locked(application=application)
    for cover in covers:
        _lapse(actor=actor, cover=cover)
    return covers


def cover_requests_lapse_ended(*, limit: int = 1000) -> int:
    """The nightly sweep: requests still standing for applications that ended without the workflow closing them
    (before it did, or by a move made around it) lapse as ``cover_requests_lapse_for`` would, with no actor, each
    in its own transaction. Idempotent; returns how many lapsed."""
    ended = (
        CoverRequest.objects.filter(status__in=LIVE_COVER_REQUEST, application__status__in=list(LAPSE_REASON))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in list(ended):
        with transaction.atomic():
            for cover in _live_locked(pk=pk, application__status__in=list(LAPSE_REASON)):
                _lapse(actor=None, cover=cover)
                closed += 1
    return closed


def cover_for_disbursement(*, application: Application) -> dict[str, CoverRequest]:
    """The accepted cover each kind the application's terms name, locked for the disbursement's transaction; a
    Conflict saying what is missing otherwise."""
    accepted = {}
    for kind, field in PRODUCT_FIELD.items():
        product_id = getattr(application, f"{field}_id")
        if product_id is None:
            continue
        found = (
            CoverRequest.objects.select_for_update()
            .filter(application=application, kind=kind, status=CR.ACCEPTED, **{f"{field}_id": product_id})
            .first()
        )
        if found is None:
            raise Conflict(
                _(
                    "The loan's terms include %(kind)s, which is not accepted yet: disburse once the provider accepts"
                    " the cover, ask another provider, or go ahead without it where the product allows."
                )
                % {"kind": _kind_word(kind)},
                missing=kind,
            )
        accepted[kind] = found
    return accepted
