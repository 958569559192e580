"""The application's life, side by side: the SME's moves (create, edit, submit, withdraw, respond, accept or
decline the offer) and the bank's (review, request information, reject, approve, confirm under maker-checker)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, CHECKER_ROLES, SME_ROLES, OrganisationKind
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.evidence.state import transition
from tongzhirong.notifications.tasks import notify_status_change
from tongzhirong.outbox.services import task_enqueue
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

from ..access import application_locked, party_of
from ..eligibility import assets_eligibility, ineligible_errors
from ..filing import pledge_release_on_rejection
from ..models import (
    Application,
    ApplicationAsset,
    ApplicationStatus,
    RejectReason,
)

S = ApplicationStatus

# Which side of the marketplace may move an application into each status. ``None`` (the system,
# e.g. a scheduled expiry) may make any allowed move.
SIDE_FOR_TARGET: dict[str, str] = {
    S.SUBMITTED: OrganisationKind.SME,
    S.WITHDRAWN: OrganisationKind.SME,
    S.OFFER_ACCEPTED: OrganisationKind.SME,
    S.UNDER_REVIEW: OrganisationKind.BANK,
    S.INFO_REQUESTED: OrganisationKind.BANK,
    S.APPROVED: OrganisationKind.BANK,
    S.REJECTED: OrganisationKind.BANK,
    S.PLEDGE_REGISTRATION: OrganisationKind.BANK,
    S.REGISTERED: OrganisationKind.BANK,
    S.DISBURSED: OrganisationKind.BANK,
    S.EXPIRED: OrganisationKind.PLATFORM,
}

# Moves whose owner differs from the target's: the SME's answer sends an application back to review.
SIDE_FOR_MOVE: dict[tuple[str, str], str] = {(S.INFO_REQUESTED, S.UNDER_REVIEW): OrganisationKind.SME}

# How amount and term are named in errors: the applicant's request or the bank's approved terms.
APPROVED_FIELDS = ("amount", "term_months")
REQUESTED_FIELDS = ("requested_amount", "requested_term_months")

TIMESTAMP_ON_ENTRY = {S.SUBMITTED: "submitted_at", S.APPROVED: "decided_at", S.REJECTED: "decided_at"}


def application_create(
    *,
    actor,
    enterprise: Enterprise,
    product: LoanProduct,
    assets: list[IPAsset],
    requested_amount: Decimal,
    requested_term_months: int,
    repayment_method: str,
    purpose: str = "",
    insurance_product: InsuranceProduct | None = None,
    guarantee_product: GuaranteeProduct | None = None,
) -> Application:
    """A draft on ``product`` pledging ``assets``, with the IP insurance or guarantee the applicant takes
    (bound to the loan at disbursement); a product that requires one refuses an application without it."""
    require(actor, organisation_id=enterprise.organisation_id, message=_("Only the enterprise itself may apply."))
    amount = to_yuan(requested_amount)
    errors = _validate_terms(
        product, amount=amount, term=requested_term_months, method=repayment_method, fields=REQUESTED_FIELDS
    )
    if not product.is_active:
        errors["product"] = [_("This product is not open for applications.")]
    errors.update(_cover_errors(product, insurance_product, guarantee_product))
    with transaction.atomic():
        # Locked, so that two applications cannot both take the same asset as collateral.
        assets = _locked_assets(assets)
        errors.update(_asset_errors(enterprise, product, assets, term_months=requested_term_months))
        if errors:
            raise ValidationFailed(errors)
        application = Application.objects.create(
            reference=next_reference("APP", Application),
            enterprise=enterprise,
            product=product,
            requested_amount=amount,
            requested_term_months=requested_term_months,
            repayment_method=repayment_method,
            purpose=purpose,
            insurance_product=insurance_product,
            guarantee_product=guarantee_product,
        )
        ApplicationAsset.objects.bulk_create(ApplicationAsset(application=application, asset=a) for a in assets)
    return application


def _cover_errors(product: LoanProduct, insurance, guarantee) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if insurance is not None and not insurance.is_active:
        errors["insurance_product"] = [_("This insurance product is not offered.")]
    elif insurance is None and product.requires_insurance:
        errors["insurance_product"] = [_("This loan product requires IP pledge financing insurance: choose one.")]
    if guarantee is not None and not guarantee.is_active:
        errors["guarantee_product"] = [_("This guarantee product is not offered.")]
    elif guarantee is None and product.requires_guarantee:
        errors["guarantee_product"] = [_("This loan product requires a guarantee: choose one.")]
    return errors


def application_change_status(*, actor, application: Application, to: str, reason: str = "") -> Application:
    """Move an application. The side (SME, bank, platform) must be the one that owns the move."""
    current = Application.objects.values_list("status", flat=True).get(
        pk=application.pk
    )  # the caller's copy may be stale
    if to not in Application.TRANSITIONS[current]:
        # Before the side check: a party asking for a move its side owns elsewhere learns the state is wrong.
        raise InvalidTransition(
            _("An application cannot go from %(current)s to %(to)s.")
            % {"current": ApplicationStatus(current).label, "to": ApplicationStatus(to).label}
        )
    side = party_of(application, actor)
    owner = SIDE_FOR_MOVE.get((application.status, to), SIDE_FOR_TARGET.get(to))
    if side is not None and side != OrganisationKind.PLATFORM and owner != side:
        raise PermissionDenied(
            _("Your side may not move an application to %(to)s.") % {"to": ApplicationStatus(to).label}
        )
    extra = ()
    if to in TIMESTAMP_ON_ENTRY:
        setattr(application, TIMESTAMP_ON_ENTRY[to], timezone.now())
        extra = (TIMESTAMP_ON_ENTRY[to],)
    with transaction.atomic():
        change = transition(application, to=to, actor=actor, reason=reason, extra_fields=extra)
        task_enqueue(notify_status_change, change.pk)
    return application


EDITABLE_ON_DRAFT = ("requested_amount", "requested_term_months", "repayment_method", "purpose")


def require_party(actor, application: Application, side: str, roles: frozenset[str]) -> None:
    """The actor is one of ``roles`` on ``side`` (the SME or the bank) of this application."""
    party = application.enterprise.organisation_id if side == OrganisationKind.SME else application.product.bank_id
    require(
        actor,
        organisation_id=party,
        roles=roles,
        message=_("This application is not yours to act on."),
        name_the_role=True,
    )


def application_bank_abilities(*, actor, application: Application) -> frozenset[str]:
    """What ``actor`` may press on the bank's side of the application, by the checks the moves themselves make:
    ``decide`` (review, ask, approve, reject, file, disburse) for the lending bank's people, ``confirm`` for its
    checkers when terms wait and they did not propose them. Pages show only these buttons."""
    abilities = set()
    for name, roles in (("decide", BANK_ROLES), ("confirm", CHECKER_ROLES)):
        try:
            require_party(actor, application, OrganisationKind.BANK, roles)
        except PermissionDenied:
            continue
        abilities.add(name)
    if not application.awaiting_checker or application.approval_proposed_by_id == actor.pk:
        abilities.discard("confirm")
    return frozenset(abilities)


def _validate_terms(
    product: LoanProduct, *, amount: Decimal, term: int, method: str | None = None, fields=APPROVED_FIELDS
) -> dict:
    """Amount, term and repayment method against the product; ``fields`` names them in the errors."""
    amount_field, term_field = fields
    errors: dict[str, list[str]] = {}
    if not product.min_amount <= amount <= product.max_amount:
        errors[amount_field] = [
            _("The product lends %(min_amount)s to %(max_amount)s yuan.")
            % {"min_amount": product.min_amount, "max_amount": product.max_amount}
        ]
    if not product.min_term_months <= term <= product.max_term_months:
        errors[term_field] = [
            _("The product's term is %(min_term_months)s to %(max_term_months)s months.")
            % {"min_term_months": product.min_term_months, "max_term_months": product.max_term_months}
        ]
    if method is not None and method not in product.repayment_methods:
        errors["repayment_method"] = [_("The product does not offer this repayment method.")]
    return errors


def application_update(
    *, actor, application: Application, assets: list[IPAsset] | None = None, **fields
) -> Application:
    """Edit a draft: amounts, term, method, purpose and the pledged assets."""
    changes_assets = assets is not None
    unknown = set(fields) - set(EDITABLE_ON_DRAFT)
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    with transaction.atomic():
        application = application_locked(application)
        require_party(actor, application, OrganisationKind.SME, SME_ROLES)
        if application.status != S.DRAFT:
            raise Conflict(_("Only a draft can be edited; withdraw and apply again."))
        for name, value in fields.items():
            setattr(application, name, to_yuan(value) if name == "requested_amount" else value)
        errors = _validate_terms(
            application.product,
            amount=application.requested_amount,
            term=application.requested_term_months,
            method=application.repayment_method,
            fields=REQUESTED_FIELDS,
        )
        # The term decides eligibility too: the assets kept are checked again against a changed one.
        assets = _locked_assets(application.assets.all() if assets is None else assets)
        errors.update(
            _asset_errors(
                application.enterprise,
                application.product,
                assets,
                term_months=application.requested_term_months,
                application=application,
            )
        )
        if errors:
            raise ValidationFailed(errors)
        application.save(update_fields=[*fields, "updated_at"])
        if changes_assets:
            application.pledged_assets.all().delete()
            ApplicationAsset.objects.bulk_create(ApplicationAsset(application=application, asset=a) for a in assets)
    return application


def _locked_assets(assets) -> list[IPAsset]:
    """``assets`` locked for this transaction (in id order, so that two callers never wait on each other), with
    their co-owners, in the order given."""
    ids = [a.pk for a in assets]
    rows = IPAsset.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    locked = {a.pk: a for a in rows.prefetch_related("co_owners")}
    return [locked[pk] for pk in ids]


def _asset_errors(
    enterprise: Enterprise,
    product: LoanProduct,
    assets: list[IPAsset],
    *,
    term_months: int,
    application: Application | None = None,
) -> dict[str, list[str]]:
    """Each asset that cannot secure this loan, named with its reasons (``eligibility``). A portfolio may mix
    registries: it is filed once at each (``filing``)."""
    if not assets:
        return {"assets": [_("Pledge at least one IP asset.")]}
    reasons = assets_eligibility(
        assets=assets, product=product, enterprise_id=enterprise.pk, term_months=term_months, application=application
    )
    problems = ineligible_errors(assets, reasons)
    return {"assets": problems} if problems else {}


def _sme_move(*, actor, application: Application, to: str, reason: str = "") -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.SME, SME_ROLES)
        return application_change_status(actor=actor, application=locked, to=to, reason=reason)


def _bank_move(*, actor, application: Application, to: str, reason: str = "", roles=BANK_ROLES) -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, roles)
        return application_change_status(actor=actor, application=locked, to=to, reason=reason)


def application_submit(*, actor, application: Application) -> Application:
    """Submit the draft; its assets are checked again, as things may have changed since it was saved."""
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.SME, SME_ROLES)
        if not locked.pledged_assets.exists():
            raise ValidationFailed({"assets": [_("Pledge at least one IP asset before submitting.")]})
        if locked.status == S.DRAFT:
            errors = _asset_errors(
                locked.enterprise,
                locked.product,
                _locked_assets(locked.assets.all()),
                term_months=locked.requested_term_months,
                application=locked,
            )
            if errors:
                raise ValidationFailed(errors)
        return application_change_status(actor=actor, application=locked, to=S.SUBMITTED, reason="submitted")


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    with transaction.atomic():
        filed = application_locked(application).status == S.PLEDGE_REGISTRATION
        withdrawn = _sme_move(
            actor=actor, application=application, to=S.WITHDRAWN, reason=reason or "withdrawn by the applicant"
        )
        if filed:  # one registry of a mixed portfolio may have registered the pledge already: release it
            pledge_release_on_rejection(application=withdrawn, rejected_at=timezone.now(), withdrawn=True)
    return withdrawn


def application_respond(*, actor, application: Application, comment: str) -> Application:
    """The SME answers a request for information; the application goes back to review."""
    return _sme_move(actor=actor, application=application, to=S.UNDER_REVIEW, reason=comment)


def application_accept_offer(*, actor, application: Application) -> Application:
    return _sme_move(actor=actor, application=application, to=S.OFFER_ACCEPTED, reason="offer accepted")


def application_decline_offer(*, actor, application: Application, reason: str = "") -> Application:
    return _sme_move(actor=actor, application=application, to=S.WITHDRAWN, reason=reason or "offer declined")


def application_start_review(*, actor, application: Application) -> Application:
    return _bank_move(actor=actor, application=application, to=S.UNDER_REVIEW, reason="review started")


def application_request_info(*, actor, application: Application, comment: str) -> Application:
    if not comment.strip():
        raise ValidationFailed({"comment": [_("Say what information is needed.")]})
    return _bank_move(actor=actor, application=application, to=S.INFO_REQUESTED, reason=comment)


def application_reject(*, actor, application: Application, reason_code: str, comment: str = "") -> Application:
    if reason_code not in RejectReason.values:
        raise ValidationFailed(
            {"reason_code": [_("Use one of %(codes)s.") % {"codes": ", ".join(RejectReason.values)}]}
        )
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        # The register may hold the pledge already: fully registered, or at one registry of a mixed portfolio.
        registered = locked.status in (S.PLEDGE_REGISTRATION, S.REGISTERED)
        locked.reject_reason_code, locked.decision_comment = reason_code, comment
        locked.save(update_fields=["reject_reason_code", "decision_comment", "updated_at"])
        application_change_status(actor=actor, application=locked, to=S.REJECTED, reason=f"{reason_code}: {comment}")
        if registered:  # a register holds the pledge of a loan that will never be made: release it
            pledge_release_on_rejection(application=locked, rejected_at=timezone.now())
        return locked


def application_approve(
    *,
    actor,
    application: Application,
    amount: Decimal,
    rate: Decimal,
    term_months: int,
    collateral_limit: Callable[[Application], Decimal],
    comment: str = "",
    internal_note: str = "",
) -> Application:
    """Approve with terms. Above the bank's maker-checker threshold this only records the maker's
    proposal; a checker who is not the maker confirms it with ``application_confirm_approval``.

    ``collateral_limit`` gives the most the pledged assets support; it is asked only once the actor and the
    terms pass (the lending workflow values the assets for it)."""
    amount, rate = to_yuan(amount), Decimal(rate)
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        if locked.status != S.UNDER_REVIEW:
            raise InvalidTransition(
                _("Only an application under review can be approved (it is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        if locked.approval_proposed_by_id is not None:
            raise Conflict(_("Terms are already proposed and wait for a checker."))
        product = locked.product
        errors = _validate_terms(product, amount=amount, term=term_months)
        if not product.min_rate <= rate <= product.max_rate:
            errors["rate"] = [
                _("The product's rate is %(min_rate)s to %(max_rate)s.")
                % {"min_rate": product.min_rate, "max_rate": product.max_rate}
            ]
        if not errors:
            # An asset the register would refuse is never approved against: the bank rejects instead.
            ineligible = _asset_errors(
                locked.enterprise,
                product,
                _locked_assets(locked.assets.all()),
                term_months=term_months,
                application=locked,
            )
            errors.update(ineligible)
        if not errors:
            limit = collateral_limit(locked)
            if amount > limit:
                errors["amount"] = [
                    _("Above the pledge-rate limit of the collateral: at most %(limit)s yuan.") % {"limit": limit}
                ]
        if errors:
            raise ValidationFailed(errors)
        locked.approved_amount, locked.approved_rate, locked.approved_term_months = amount, rate, term_months
        # ``comment`` is the offer's conditions: the applicant reads them and the contract carries them (pre-check
        # ground 7). ``internal_note`` is the bank's own remark, which never reaches the applicant.
        locked.decision_comment, locked.internal_note = comment, internal_note
        fields = ["approved_amount", "approved_rate", "approved_term_months", "decision_comment", "internal_note"]
        if amount > product.bank.maker_checker_threshold:
            locked.approval_proposed_by, locked.approval_proposed_at = actor, timezone.now()
            locked.save(update_fields=[*fields, "approval_proposed_by", "approval_proposed_at", "updated_at"])
            return locked
        locked.save(update_fields=[*fields, "updated_at"])
        return application_change_status(actor=actor, application=locked, to=S.APPROVED, reason=comment or "approved")


def application_confirm_approval(*, actor, application: Application, comment: str = "") -> Application:
    """The checker confirms the maker's terms. The checker's ``comment`` is a remark for the bank alone (kept in the
    internal note), so the applicant's timeline and notices read only that the approval was confirmed."""
    with transaction.atomic():
        locked = application_locked(application)
        require_party(actor, locked, OrganisationKind.BANK, CHECKER_ROLES)
        if locked.approval_proposed_by_id is None:
            raise Conflict(_("There are no proposed terms to confirm."))
        if locked.approval_proposed_by_id == actor.pk:
            raise PermissionDenied(_("The maker cannot confirm their own proposal: a second person must."))
        locked.approval_confirmed_by = actor
        if comment:  # the checker's remark joins the maker's, for the bank alone
            locked.internal_note = "\n".join(filter(None, (locked.internal_note, comment)))
        locked.save(update_fields=["approval_confirmed_by", "internal_note", "updated_at"])
        return application_change_status(
            actor=actor, application=locked, to=S.APPROVED, reason="approval confirmed by checker"
        )
