"""Cover bound at disbursement: the insurance and guarantee policies of a loan."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.core.errors import (
    ValidationFailed,
)
from tongzhirong.core.money import to_yuan
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Loan

from .. import ledger
from ..models import (
    CoverKind,
    CoverPolicy,
    PoolFiling,
)
from .common import FS, pool_post
from .underwriting import cover_for_disbursement


def _premium(principal: Decimal, rate: Decimal, term_months: int) -> Decimal:
    """Premium or fee for the whole term: principal × annual rate × months ÷ 12, rounded once to the fen."""
    return to_yuan(principal * rate * Decimal(term_months) / Decimal(12))


def loan_risk_bind(*, loan: Loan, actor) -> list[CoverPolicy]:
    """At disbursement, inside its transaction: bind the insurance and guarantee the application's terms name on
    the terms their providers accepted (``underwriting``: refused when one is not accepted), and bring its pool
    filing (made before disbursement) onto the loan."""
    application = loan.application
    starts_on = timezone.localdate(loan.disbursed_at)
    policies = []
    for kind, request in cover_for_disbursement(application=application).items():
        policies.append(
            CoverPolicy.objects.create(
                loan=loan,
                kind=kind,
                provider_id=request.provider_id,
                insurance_product_id=request.insurance_product_id,
                guarantee_product_id=request.guarantee_product_id,
                cover_request=request,
                number=f"{'INS' if kind == CoverKind.INSURANCE else 'GUA'}-{loan.pk:010d}",
                insured_amount=loan.principal,
                rate=request.rate,
                premium=_premium(loan.principal, request.rate, loan.term_months),
                coverage_ratio=request.coverage_ratio,
                coverage_cap=request.coverage_cap,
                starts_on=starts_on,
                ends_on=max(loan.maturity_date, starts_on),
            )
        )
    filing = PoolFiling.objects.select_for_update().filter(application=application, status=FS.FILED).first()
    if filing is not None:
        if loan.principal > filing.amount:
            raise ValidationFailed(
                {"pool_filing": [_("The loan is larger than the amount filed with the pool; file it again.")]}
            )
        unused = filing.amount - loan.principal
        if unused:
            pool_post(filing.pool, ledger.Journal.RELEASE, unused, memo=_("unused part of the filing"), filing=filing)
        filing.loan, filing.amount = loan, loan.principal
        transition(filing, to=FS.COVERED, actor=actor, reason="disbursed", extra_fields=("loan", "amount"))
    return policies
