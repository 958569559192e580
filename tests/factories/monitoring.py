"""Collateral flags."""

import datetime as dt

from tongzhirong.financing.models import Loan
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, Severity


def open_flag(loan: Loan, *, kind: str = FlagKind.CO_OWNERS_CHANGED, asset=None) -> CollateralFlag:
    asset = asset or loan.application.assets.first()
    return CollateralFlag.objects.create(
        loan=loan,
        asset=asset,
        kind=kind,
        severity=Severity.WATCH,
        detail="共有人变更",
        detected_on=dt.date(2026, 11, 25),
    )
