"""The loan's moves that reach across apps: disbursement binds the cover, a default opens the claims."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from tongzhirong.financing import services as financing
from tongzhirong.financing.models import Application, Loan
from tongzhirong.outbox.services import task_enqueue
from tongzhirong.risksharing.services import loan_default_open_claims, loan_risk_bind
from tongzhirong.risksharing.tasks import notify_loan_defaulted


def loan_disburse(
    *, actor, application: Application, contract_number: str, disbursed_at: datetime | None = None
) -> Loan:
    """Disburse (the loan and its schedule) and, in the same transaction, bind the application's insurance and
    guarantee and bring its pool filing onto the loan."""
    with transaction.atomic():
        loan = financing.loan_disburse(
            actor=actor, application=application, contract_number=contract_number, disbursed_at=disbursed_at
        )
        loan_risk_bind(loan=loan, actor=actor)
    return loan


def application_disburse(*, actor, application: Application, contract_number: str) -> Loan:
    """The bank disburses on a contract number as typed (surrounding blanks dropped)."""
    return loan_disburse(actor=actor, application=application, contract_number=contract_number.strip())


def loan_default(loan: Loan) -> None:
    """A loan just defaulted (inside that transaction): claims open on its cover, and the bank, the providers
    and the pool's operator are told after commit."""
    loan_default_open_claims(loan=loan)
    task_enqueue(notify_loan_defaulted, loan.pk)


def loans_refresh_delinquency(*, as_of: date | None = None) -> int:
    """The daily delinquency refresh, with what a default sets off."""
    return financing.loans_refresh_delinquency(as_of=as_of, on_default=loan_default)
