"""The pledgee bank's decision on a fee receipt, reaching across apps: a confirmed receipt is a fact that moves
the asset's fee date, and the collateral monitor re-checks the loans the asset secures in the same transaction,
so the fee flag clears when the bank confirms, not on the next nightly run."""

from __future__ import annotations

from django.db import transaction

from tongzhirong.facts.models import FeeReceipt
from tongzhirong.financing import fee_receipts
from tongzhirong.monitoring.services import collateral_monitor_asset


def fee_receipt_confirm(*, actor, receipt: FeeReceipt) -> FeeReceipt:
    with transaction.atomic():
        confirmed = fee_receipts.fee_receipt_confirm(actor=actor, receipt=receipt)
        collateral_monitor_asset(asset=confirmed.asset)
    return confirmed
