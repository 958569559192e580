"""Repayment schedules. Pure Decimal arithmetic, monthly instalments, exact to the fen: every rounding
goes through ``to_yuan`` and the last instalment takes the remainder so principal sums exactly."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import RepaymentMethod


@dataclass(frozen=True)
class Instalment:
    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def build_schedule(
    *, principal: Decimal, annual_rate: Decimal, term_months: int, method: str, start: date
) -> list[Instalment]:
    if principal <= 0 or term_months < 1 or annual_rate < 0:
        raise ValueError("principal > 0, term ≥ 1 month and a non-negative rate are required")
    monthly = Decimal(annual_rate) / 12
    balance = to_yuan(principal)
    lines: list[Instalment] = []
    if method == RepaymentMethod.EQUAL_INSTALMENT and monthly > 0:
        payment = to_yuan(balance * monthly / (1 - (1 + monthly) ** -term_months))
    for k in range(1, term_months + 1):
        interest = to_yuan(balance * monthly)
        last = k == term_months
        if last:
            part = balance
        elif method == RepaymentMethod.EQUAL_INSTALMENT:
            part = payment - interest if monthly > 0 else to_yuan(principal / term_months)
        elif method == RepaymentMethod.EQUAL_PRINCIPAL:
            part = to_yuan(Decimal(principal) / term_months)
        elif method == RepaymentMethod.INTEREST_ONLY:
            part = Decimal("0.00")
        else:
            raise ValueError(f"unknown repayment method {method}")
        part = min(part, balance)
        lines.append(Instalment(k, add_months(start, k), part, interest))
        balance -= part
    return lines


DAY_COUNT_BASIS = 360  # RMB loans accrue interest actual/360


def accrued_interest(*, principal: Decimal, annual_rate: Decimal, start: date, end: date) -> Decimal:
    """Interest on ``principal`` from ``start`` to ``end`` (actual days / 360), rounded once to the fen."""
    days = max((end - start).days, 0)
    return to_yuan(Decimal(principal) * Decimal(annual_rate) * days / DAY_COUNT_BASIS)
