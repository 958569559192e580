"""The pool what-if (issue 20, item 5): the simulator of ``portfolio.py`` run on the loans filed with a pool.

Each live filing brings its exposure (the filed amount), the PD of its application's latest score and the
pool's loss on a default: the exposure less the assumed recovery rate, run through the pool's waterfall
(the loan's cover, the pool's shares and per-loan cap), of which the fund's share is what the pool pays.
Nothing is stored: the city office asks (a POST), the figures come back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.utils.translation import gettext as _

from scoring.models import ApplicationScore
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.core.money import to_yuan

from .. import portfolio, waterfall
from ..models import LIVE_FILING, Pool
from ..selectors import PARTY_OF_KIND, pool_may_read_ledger

SCENARIOS_DEFAULT, SCENARIOS_MAX = 20_000, 100_000
RECOVERY_RATE_DEFAULT = Decimal("0.20")
SEED = 20261207  # the same question gives the same figures


class NothingToSimulate(Conflict):
    code = "pool_nothing_to_simulate"
    title = "The pool has no scored loans to simulate."


@dataclass(frozen=True)
class WhatIf:
    loans: int
    unscored_loans: int
    exposure: Decimal
    fund_balance: Decimal
    leverage_cap: Decimal
    capacity: Decimal
    capacity_left: Decimal
    expected_loss: Decimal
    simulated_expected_loss: Decimal
    quantile_95: Decimal
    quantile_99: Decimal
    probability_exhausted: Decimal
    top_up_for_target: Decimal
    max_leverage_for_target: Decimal | None
    correlation: Decimal
    target: Decimal
    recovery_rate: Decimal
    scenarios: int

    def as_dict(self) -> dict:
        return asdict(self)


def _errors(correlation: Decimal, target: Decimal, recovery_rate: Decimal, scenarios: int) -> dict[str, list[str]]:
    errors = {}
    if not Decimal("0.01") <= correlation <= Decimal("0.5"):
        errors["correlation"] = [_("The correlation lies between 0.01 and 0.5.")]
    if not Decimal("0.001") <= target <= Decimal("0.5"):
        errors["target"] = [_("The target probability lies between 0.001 and 0.5.")]
    if not Decimal(0) <= recovery_rate < Decimal(1):
        errors["recovery_rate"] = [_("The recovery rate lies between 0 and 1.")]
    if not 1_000 <= scenarios <= SCENARIOS_MAX:
        errors["scenarios"] = [_("Simulate between 1,000 and %(max)s scenarios.") % {"max": SCENARIOS_MAX}]
    return errors


def _fund_loss(pool: Pool, filing, loss: Decimal) -> Decimal:
    """The fund's part of ``loss`` on this loan: the pool's waterfall with the loan's cover (none before
    disbursement) and the per-loan cap; recoveries are already netted out of ``loss``."""
    covers = {}
    if filing.loan is not None:
        covers = {
            PARTY_OF_KIND[p.kind]: waterfall.Cover(ratio=p.coverage_ratio, cap=p.coverage_cap)
            for p in filing.loan.cover_policies.all()
        }
    caps = {}
    if pool.max_compensation_per_loan is not None:
        caps[waterfall.FUND] = pool.max_compensation_per_loan
    if pool.appraiser_cap is not None:
        caps[waterfall.APPRAISER] = pool.appraiser_cap
    allocation = waterfall.allocate(
        loss,
        covers=covers,
        pool=waterfall.PoolTerms(weights=pool.weights(), caps=caps),
        appraiser_on_loan=filing.appraiser_id is not None,
        order=[s for s in (pool.waterfall_order or waterfall.DEFAULT_ORDER) if s != waterfall.RECOVERY],
    )
    return allocation.shares[waterfall.FUND]


def pool_what_if(
    *,
    actor,
    pool: Pool,
    correlation: Decimal = Decimal(str(portfolio.DEFAULT_CORRELATION)),
    target: Decimal = Decimal("0.01"),
    recovery_rate: Decimal = RECOVERY_RATE_DEFAULT,
    scenarios: int = SCENARIOS_DEFAULT,
) -> WhatIf:
    """Simulate the pool's losses on its live filings under the one-factor model; see ``portfolio.pool_risk``.
    A filing whose application was never scored takes the mean PD of the scored ones (counted apart)."""
    require(
        actor,
        kinds=(OrganisationKind.CITY_OFFICE, OrganisationKind.PLATFORM),
        message=_("The pool's what-if is for the city office."),
    )
    if not pool_may_read_ledger(user=actor, pool=pool):  # it reads the fund's cash, as the ledger does
        raise PermissionDenied(_("The pool's what-if is for its operator."))
    correlation, target, recovery_rate = Decimal(correlation), Decimal(target), Decimal(recovery_rate)
    errors = _errors(correlation, target, recovery_rate, scenarios)
    if errors:
        raise ValidationFailed(errors)
    pool = Pool.objects.get(pk=pool.pk)  # the fund balance as it stands
    filings = list(
        pool.filings.filter(status__in=LIVE_FILING)
        .select_related("loan")
        .prefetch_related("loan__cover_policies")
        .order_by("pk")
    )
    scores = {}
    for application_id, pd in (
        ApplicationScore.objects.filter(application_id__in=[f.application_id for f in filings])
        .order_by("application_id", "created_at", "id")
        .values_list("application_id", "pd")
    ):
        scores[application_id] = float(pd)  # the last one wins: the latest score
    scored = [scores[f.application_id] for f in filings if f.application_id in scores]
    if filings and not scored:
        raise NothingToSimulate(_("None of the pool's loans has a score yet."))
    fallback = float(np.mean(scored)) if scored else 0.0
    pd = np.clip([scores.get(f.application_id, fallback) for f in filings], 1e-6, 1 - 1e-6)
    loss_given_default = [float(_fund_loss(pool, f, to_yuan(f.amount * (1 - recovery_rate)))) for f in filings]
    exposure = [float(f.amount) for f in filings]
    risk = portfolio.pool_risk(
        pd,
        loss_given_default,
        exposure=exposure,
        cash=float(pool.fund_balance),
        target=float(target),
        rho=float(correlation),
        scenarios=scenarios,
        seed=SEED,
    )
    total = sum((f.amount for f in filings), Decimal(0))

    def yuan(value: float) -> Decimal:
        return to_yuan(Decimal(repr(value)))

    return WhatIf(
        loans=len(filings),
        unscored_loans=len(filings) - len(scored),
        exposure=to_yuan(total),
        fund_balance=pool.fund_balance,
        leverage_cap=pool.leverage_cap,
        capacity=pool.capacity,
        capacity_left=to_yuan(pool.capacity - total),
        expected_loss=yuan(risk.expected_loss),
        simulated_expected_loss=yuan(risk.simulated_expected_loss),
        quantile_95=yuan(risk.quantile_95),
        quantile_99=yuan(risk.quantile_99),
        probability_exhausted=Decimal(repr(risk.probability_exhausted)).quantize(Decimal("0.0001"), ROUND_HALF_UP),
        top_up_for_target=yuan(risk.top_up_for_target),
        max_leverage_for_target=(
            Decimal(repr(risk.max_leverage_for_target)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if risk.max_leverage_for_target is not None
            else None
        ),
        correlation=correlation,
        target=target,
        recovery_rate=recovery_rate,
        scenarios=scenarios,
    )
