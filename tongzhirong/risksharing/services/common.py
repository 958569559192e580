"""What the risk-sharing services share: the status aliases, zero yuan and the lending bank's check."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES
from tongzhirong.core.errors import (
    Conflict,
)
from tongzhirong.core.money import to_yuan
from tongzhirong.evidence.services import evidence_append

from .. import ledger
from ..models import (
    ClaimStatus,
    DisposalStatus,
    FilingStatus,
    Pool,
    PoolEntry,
    PoolJournal,
)

C, D, FS = ClaimStatus, DisposalStatus, FilingStatus
ZERO = Decimal("0.00")


def require_bank(actor, bank_id: int) -> None:
    require(
        actor, organisation_id=bank_id, roles=BANK_ROLES, message=_("Only the lending bank's officers may do this.")
    )


def pool_post(pool: Pool, kind: ledger.Journal, amount: Decimal, *, memo: str = "", **links) -> PoolJournal:
    postings = ledger.journal(kind, to_yuan(amount))
    if not ledger.is_balanced(postings):  # by construction; a broken journal must never be written
        raise Conflict("An unbalanced journal was refused.")
    entry = PoolJournal.objects.create(pool=pool, kind=kind, amount=to_yuan(amount), memo=memo[:200], **links)
    cash = sum((p.debit - p.credit for p in postings if p.account == ledger.Account.CASH), ZERO)
    if cash:
        Pool.objects.filter(pk=pool.pk).update(fund_balance=F("fund_balance") + cash)
        pool.fund_balance += cash
    PoolEntry.objects.bulk_create(
        PoolEntry(journal=entry, account=p.account, debit=p.debit, credit=p.credit) for p in postings
    )
    evidence_append(
        actor=None,
        kind="pool_journal",
        record=entry,
        fields=("pool", "kind", "amount", "memo", "filing", "claim", "recovery"),
        subject=pool,
        context={"postings": [[p.account, p.debit, p.credit] for p in postings]},
    )
    return entry
