"""The risk-compensation pool: set-up, filings before disbursement, the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Organisation, OrganisationKind, Role
from tongzhirong.core.errors import (
    Conflict,
    DuplicateObject,
    ValidationFailed,
)
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS, District, TechMarker
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Application, ApplicationStatus, LoanStatus

from .. import ledger, waterfall
from ..models import (
    LIVE_FILING,
    Pool,
    PoolFiling,
    PoolSponsor,
)
from ..selectors import pool_exposure
from .common import FS, ZERO, pool_post, require_bank

FILEABLE = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.OFFER_ACCEPTED,
    ApplicationStatus.PLEDGE_REGISTRATION,
    ApplicationStatus.REGISTERED,
)


class PoolCapacityExceeded(Conflict):
    code = "pool_capacity_exceeded"
    title = "The pool's exposure would exceed fund × leverage."


def _pool_errors(
    *, waterfall_order, eligible_districts, required_tech_markers, shares: dict, sponsors
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        waterfall._check_order(waterfall_order)
    except waterfall.WaterfallError:
        errors["waterfall_order"] = [_("Name each of recovery, cover, pool at most once.")]
    if set(eligible_districts) - set(District.values):
        errors["eligible_districts"] = [_("Unknown district codes.")]
    if set(required_tech_markers) - set(TechMarker.values):
        errors["required_tech_markers"] = [_("Unknown tech markers.")]
    if any(v < 0 for v in shares.values()) or not any(v > 0 for v in shares.values()):
        errors["shares"] = [_("Loss shares are non-negative and not all zero.")]
    if not sponsors or any(amount <= 0 for _, amount in sponsors):
        errors["sponsors"] = [_("Name at least one sponsor with a positive contribution.")]
    elif len({org.pk for org, _ in sponsors}) != len(sponsors):
        errors["sponsors"] = [_("Name each sponsor once.")]
    return errors


def pool_create(
    *,
    actor,
    name: str,
    sponsors: list[tuple[Organisation, Decimal]],
    leverage_cap: Decimal,
    share_fund: Decimal,
    share_bank: Decimal,
    share_insurer: Decimal = ZERO,
    share_guarantor: Decimal = ZERO,
    share_appraiser: Decimal = ZERO,
    waterfall_order: list[str] | None = None,
    eligible_districts: list[str] | None = None,
    required_tech_markers: list[str] | None = None,
    max_loan_amount: Decimal | None = None,
    max_compensation_per_loan: Decimal | None = None,
    appraiser_cap: Decimal | None = None,
    trigger_days_past_due: int = DEFAULT_AFTER_DAYS,
) -> Pool:
    """A city office sets up a pool it runs; the fund is what the sponsors contribute, posted to the ledger."""
    require(
        actor,
        kinds=(OrganisationKind.CITY_OFFICE,),
        roles=(Role.ANALYST,),
        message=_("Pools are set up by the city office."),
    )
    order = list(waterfall_order or waterfall.DEFAULT_ORDER)
    shares = {
        "share_fund": share_fund,
        "share_bank": share_bank,
        "share_insurer": share_insurer,
        "share_guarantor": share_guarantor,
        "share_appraiser": share_appraiser,
    }
    sponsors = [(org, to_yuan(amount)) for org, amount in sponsors]
    errors = _pool_errors(
        waterfall_order=order,
        eligible_districts=eligible_districts or [],
        required_tech_markers=required_tech_markers or [],
        shares=shares,
        sponsors=sponsors,
    )
    if leverage_cap <= 0:
        errors["leverage_cap"] = [_("The leverage cap is positive.")]
    if Pool.objects.filter(name=name).exists():
        errors["name"] = [_("A pool of this name exists.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        pool = Pool.objects.create(
            name=name,
            operator_id=actor.organisation_id,
            fund_size=sum((amount for _, amount in sponsors), ZERO),
            leverage_cap=leverage_cap,
            waterfall_order=order,
            eligible_districts=eligible_districts or [],
            required_tech_markers=required_tech_markers or [],
            max_loan_amount=max_loan_amount,
            max_compensation_per_loan=max_compensation_per_loan,
            appraiser_cap=appraiser_cap,
            trigger_days_past_due=trigger_days_past_due,
            **shares,
        )
        for org, amount in sponsors:
            PoolSponsor.objects.create(pool=pool, organisation=org, contribution=amount)
            pool_post(pool, ledger.Journal.CONTRIBUTION, amount, memo=str(org))
    return pool


def pool_top_up(*, actor, pool: Pool, sponsor: Organisation, amount: Decimal) -> Pool:
    """A sponsor adds to the pool's fund (the operator records it): the contribution is posted to the
    ledger, the fund balance and so the capacity (fund balance × leverage) grow with it."""
    require(
        actor,
        kinds=(OrganisationKind.CITY_OFFICE,),
        roles=(Role.ANALYST,),
        organisation_id=pool.operator_id,
        message=_("Top-ups are recorded by the pool's operator."),
    )
    amount = to_yuan(amount)
    if amount <= 0:
        raise ValidationFailed({"amount": [_("A top-up is a positive amount.")]})
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        share, created = PoolSponsor.objects.select_for_update().get_or_create(
            pool=pool, organisation=sponsor, defaults={"contribution": amount}
        )
        if not created:
            share.contribution += amount
            share.save(update_fields=["contribution"])
        pool_post(pool, ledger.Journal.CONTRIBUTION, amount, memo=_("top-up: %s") % sponsor)
    return pool


def _eligibility_errors(pool: Pool, application: Application, amount: Decimal) -> list[str]:
    enterprise = application.enterprise
    problems = []
    if pool.eligible_districts and enterprise.district not in pool.eligible_districts:
        problems.append(_("The borrower's district is outside the pool's."))
    if pool.required_tech_markers and not set(enterprise.tech_markers) & set(pool.required_tech_markers):
        problems.append(_("The borrower has none of the pool's required tech markers."))
    if pool.max_loan_amount is not None and amount > pool.max_loan_amount:
        problems.append(_("The pool takes loans up to %(max)s yuan.") % {"max": pool.max_loan_amount})
    return problems


def pool_file(*, actor, pool: Pool, application: Application, appraiser: Organisation | None = None) -> PoolFiling:
    """File an approved application with the pool before disbursement (事前备案). The pool's row is locked,
    so concurrent filings are counted one after another and the exposure never passes fund × leverage."""
    require_bank(actor, application.product.bank_id)
    if application.status not in FILEABLE:
        raise Conflict(
            _("A loan is filed between approval and disbursement (the application is %s).") % application.status
        )
    if appraiser is not None and appraiser.kind != OrganisationKind.APPRAISER:
        raise ValidationFailed({"appraiser": [_("Name an appraisal firm.")]})
    amount = application.approved_amount
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        if not pool.is_active:
            raise Conflict(_("The pool takes no filings."))
        problems = _eligibility_errors(pool, application, amount)
        if problems:
            raise ValidationFailed({"application": problems})
        if PoolFiling.objects.filter(application=application, status__in=[*LIVE_FILING, FS.SETTLED]).exists():
            raise DuplicateObject(_("This application is already filed with a pool."))
        exposure = pool_exposure(pool=pool)
        if exposure + amount > pool.capacity:
            raise PoolCapacityExceeded(
                _("Filed loans would reach %(total)s yuan; the pool covers at most %(cap)s.")
                % {"total": exposure + amount, "cap": pool.capacity}
            )
        filing = PoolFiling.objects.create(
            pool=pool,
            application=application,
            bank_id=application.product.bank_id,
            appraiser=appraiser,
            amount=amount,
            filed_by=actor,
        )
        pool_post(pool, ledger.Journal.FILING, amount, memo=application.reference, filing=filing)
    return filing


def pool_filing_withdraw(*, actor, filing: PoolFiling) -> PoolFiling:
    with transaction.atomic():
        filing = PoolFiling.objects.select_for_update().get(pk=filing.pk)
        require_bank(actor, filing.bank_id)
        transition(filing, to=FS.WITHDRAWN, actor=actor, reason="withdrawn")
        pool_post(filing.pool, ledger.Journal.RELEASE, filing.amount, memo=_("withdrawn"), filing=filing)
    return filing


def pool_filings_release_repaid() -> int:
    """Release the exposure of filed loans that were repaid. Daily; safe to run twice."""
    released = 0
    for filing_id in PoolFiling.objects.filter(status=FS.COVERED, loan__status=LoanStatus.REPAID).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            filing = PoolFiling.objects.select_for_update().get(pk=filing_id)
            if filing.status != FS.COVERED:
                continue
            transition(filing, to=FS.RELEASED, actor=None, reason="loan repaid")
            pool_post(filing.pool, ledger.Journal.RELEASE, filing.amount, memo=_("loan repaid"), filing=filing)
            released += 1
    return released
