"""Repayment schedules are exact to the fen: principal parts sum to the principal for every method."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.financing.schedule import add_months, build_schedule

M = RepaymentMethod
START = dt.date(2025, 1, 31)
FEN = Decimal("0.01")

principals = st.decimals(min_value=Decimal("1000.00"), max_value=Decimal("50000000.00"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.2"), places=6)
terms = st.integers(min_value=1, max_value=60)
methods = st.sampled_from(M.values)
PROPERTY = settings(max_examples=300, deadline=None)


def schedule(principal="1200000.00", rate="0.0435", term=12, method=M.EQUAL_INSTALMENT):
    return build_schedule(
        principal=Decimal(principal), annual_rate=Decimal(rate), term_months=term, method=method, start=START
    )


def has_two_places(amount: Decimal) -> bool:
    return amount.as_tuple().exponent == -2


# --- Every method -----------------------------------------------------------------------------


@PROPERTY
@given(principals, rates, terms, methods)
def test_principal_parts_sum_exactly_to_the_principal(principal, rate, term, method):
    lines = build_schedule(principal=principal, annual_rate=rate, term_months=term, method=method, start=START)

    assert sum(line.principal for line in lines) == principal


@PROPERTY
@given(principals, rates, terms, methods)
def test_every_amount_is_in_yuan_and_fen(principal, rate, term, method):
    lines = build_schedule(principal=principal, annual_rate=rate, term_months=term, method=method, start=START)

    assert all(has_two_places(line.principal) and has_two_places(line.interest) for line in lines)


@PROPERTY
@given(principals, rates, terms, methods)
def test_there_is_one_non_negative_instalment_a_month(principal, rate, term, method):
    lines = build_schedule(principal=principal, annual_rate=rate, term_months=term, method=method, start=START)

    assert [line.sequence for line in lines] == list(range(1, term + 1))
    assert [line.due_date for line in lines] == [add_months(START, k) for k in range(1, term + 1)]
    assert all(line.principal >= 0 and line.interest >= 0 for line in lines)


@PROPERTY
@given(principals, rates, terms, methods)
def test_interest_is_the_monthly_rate_on_the_balance_rounded_to_the_fen(principal, rate, term, method):
    lines = build_schedule(principal=principal, annual_rate=rate, term_months=term, method=method, start=START)

    balance = principal
    for line in lines:
        assert abs(line.interest - balance * rate / 12) <= Decimal("0.005")
        balance -= line.principal


@pytest.mark.parametrize("method", M.values)
def test_a_zero_rate_loan_charges_no_interest(method):
    assert all(line.interest == 0 for line in schedule(rate="0", method=method))


@pytest.mark.parametrize(
    ("principal", "rate", "term"),
    [("0", "0.04", 12), ("-1.00", "0.04", 12), ("1000", "0.04", 0), ("1000", "-0.01", 12)],
)
def test_impossible_loans_have_no_schedule(principal, rate, term):
    with pytest.raises(ValueError, match="principal > 0"):
        schedule(principal=principal, rate=rate, term=term)


def test_an_unknown_method_has_no_schedule():
    with pytest.raises(ValueError, match="unknown repayment method"):
        schedule(method="whenever")


# --- Equal instalments (等额本息) -------------------------------------------------------------


@PROPERTY
@given(principals, rates, terms)
def test_equal_instalments_are_equal_except_the_last(principal, rate, term):
    lines = build_schedule(
        principal=principal, annual_rate=rate, term_months=term, method=M.EQUAL_INSTALMENT, start=START
    )

    assert len({line.total for line in lines[:-1]}) <= 1


def test_equal_instalments_of_a_known_loan():
    # 120,000 at 6% over 12 months: P·r / (1 − (1 + r)^−n) with r = 0.5% gives 10,327.97 a month.
    lines = schedule(principal="120000.00", rate="0.06")

    assert [line.total for line in lines[:-1]] == [Decimal("10327.97")] * 11
    assert lines[0].interest == Decimal("600.00")
    assert abs(lines[-1].total - Decimal("10327.97")) <= Decimal("0.05")


# --- Equal principal (等额本金) ---------------------------------------------------------------


@PROPERTY
@given(principals, rates, terms)
def test_equal_principal_repays_the_same_principal_every_month_but_the_last(principal, rate, term):
    lines = build_schedule(
        principal=principal, annual_rate=rate, term_months=term, method=M.EQUAL_PRINCIPAL, start=START
    )

    assert {line.principal for line in lines[:-1]} <= {(principal / term).quantize(FEN, rounding=ROUND_HALF_UP)}
    assert abs(lines[-1].principal - principal / term) < Decimal("0.01") * term


@PROPERTY
@given(principals, rates, terms)
def test_equal_principal_interest_never_rises(principal, rate, term):
    lines = build_schedule(
        principal=principal, annual_rate=rate, term_months=term, method=M.EQUAL_PRINCIPAL, start=START
    )

    assert all(a.interest >= b.interest for a, b in pairwise(lines))


def test_equal_principal_of_a_known_loan():
    lines = schedule(principal="120000.00", rate="0.06", method=M.EQUAL_PRINCIPAL)

    assert [line.principal for line in lines] == [Decimal("10000.00")] * 12
    assert [line.interest for line in lines] == [Decimal(50 * k).quantize(FEN) for k in range(12, 0, -1)]


# --- Interest only, balloon at maturity (先息后本) ---------------------------------------------


@PROPERTY
@given(principals, rates, terms)
def test_interest_only_repays_all_principal_at_maturity(principal, rate, term):
    lines = build_schedule(principal=principal, annual_rate=rate, term_months=term, method=M.INTEREST_ONLY, start=START)

    assert all(line.principal == 0 for line in lines[:-1])
    assert lines[-1].principal == principal
    assert len({line.interest for line in lines}) == 1


# --- Due dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 31), 3, dt.date(2025, 4, 30)),
        (dt.date(2025, 11, 15), 2, dt.date(2026, 1, 15)),
        (dt.date(2025, 3, 10), 60, dt.date(2030, 3, 10)),
    ],
)
def test_a_due_date_falls_on_the_same_day_or_the_months_last_day(start, months, due):
    assert add_months(start, months) == due


def test_month_end_clipping_does_not_drift():
    assert [line.due_date.day for line in schedule(term=4)] == [28, 31, 30, 31]
