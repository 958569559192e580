"""The pool's double-entry ledger, in plain Python: the journals each event posts and what they add up to.

Every journal is balanced (debits = credits). The pool's position is derived from the postings alone:

* ``cash`` (debit-normal) — the pool's money: contributions in, claims paid out, recoveries back;
* ``contributions`` (credit-normal) — what the sponsors paid in;
* ``claims_paid`` (debit-normal) — compensation paid to banks;
* ``recoveries`` (credit-normal) — the pool's part of recoveries after it paid;
* ``exposure`` / ``commitments`` — memorandum pair: loans filed and still covered (debit exposure, credit
  commitments on filing; the reverse on release), so the ledger shows the exposure too and stays balanced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class Account(StrEnum):
    CASH = "cash"
    CONTRIBUTIONS = "contributions"
    CLAIMS_PAID = "claims_paid"
    RECOVERIES = "recoveries"
    EXPOSURE = "exposure"
    COMMITMENTS = "commitments"


DEBIT_NORMAL = frozenset({Account.CASH, Account.CLAIMS_PAID, Account.EXPOSURE})


class Journal(StrEnum):
    CONTRIBUTION = "contribution"
    FILING = "filing"
    RELEASE = "release"
    CLAIM_PAYMENT = "claim_payment"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class Posting:
    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


class UnbalancedJournal(ValueError):
    pass


def _pair(debit: Account, credit: Account, amount: Decimal) -> list[Posting]:
    amount = Decimal(amount)
    if amount <= 0:
        raise UnbalancedJournal(f"A journal moves a positive amount, not {amount}.")
    return [Posting(debit, debit=amount), Posting(credit, credit=amount)]


# What each kind of event posts: (debited account, credited account).
JOURNALS: dict[Journal, tuple[Account, Account]] = {
    Journal.CONTRIBUTION: (Account.CASH, Account.CONTRIBUTIONS),
    Journal.FILING: (Account.EXPOSURE, Account.COMMITMENTS),
    Journal.RELEASE: (Account.COMMITMENTS, Account.EXPOSURE),
    Journal.CLAIM_PAYMENT: (Account.CLAIMS_PAID, Account.CASH),
    Journal.RECOVERY: (Account.CASH, Account.RECOVERIES),
}


def journal(kind: Journal, amount: Decimal) -> list[Posting]:
    debit, credit = JOURNALS[Journal(kind)]
    return _pair(debit, credit, amount)


def is_balanced(postings: Iterable[Posting]) -> bool:
    postings = list(postings)
    valid = all(p.debit >= 0 and p.credit >= 0 and (p.debit == 0) != (p.credit == 0) for p in postings)
    return valid and sum((p.debit for p in postings), ZERO) == sum((p.credit for p in postings), ZERO)


def balances(postings: Iterable[Posting]) -> dict[Account, Decimal]:
    """Each account's balance on its normal side."""
    totals = dict.fromkeys(Account, ZERO)
    for p in postings:
        account = Account(p.account)
        signed = p.debit - p.credit
        totals[account] += signed if account in DEBIT_NORMAL else -signed
    return totals


@dataclass(frozen=True)
class Position:
    balance: Decimal
    contributions: Decimal
    claims_paid: Decimal
    recoveries: Decimal
    exposure: Decimal


def position(postings: Iterable[Posting]) -> Position:
    b = balances(postings)
    return Position(
        balance=b[Account.CASH],
        contributions=b[Account.CONTRIBUTIONS],
        claims_paid=b[Account.CLAIMS_PAID],
        recoveries=b[Account.RECOVERIES],
        exposure=b[Account.EXPOSURE],
    )
