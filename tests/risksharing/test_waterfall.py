"""The pure loss waterfall and pool ledger: worked examples from the field, and properties for any terms."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongzhirong.risksharing import ledger, waterfall
from tongzhirong.risksharing.waterfall import (
    APPRAISER,
    BANK,
    FUND,
    GUARANTOR,
    INSURER,
    PARTIES,
    Cover,
    PoolTerms,
    allocate,
    flow_back,
    split,
)

D = Decimal


def test_zhongshan_54_26_16_4_splits_the_loss_among_all_four():
    """Zhongshan fund:bank:insurer:appraiser = 54:26:16:4, the insurer's share inside the pool agreement."""
    result = allocate(
        D("1000000.00"),
        covers={INSURER: Cover(ratio=D(0), cap=D("500000"))},
        pool=PoolTerms(weights={FUND: 54, BANK: 26, INSURER: 16, APPRAISER: 4}),
        appraiser_on_loan=True,
        order=(waterfall.RECOVERY, waterfall.POOL),
    )
    assert result.shares == {
        FUND: D("540000.00"),
        BANK: D("260000.00"),
        INSURER: D("160000.00"),
        GUARANTOR: D("0.00"),
        APPRAISER: D("40000.00"),
    }


def test_zhuhai_bank_60_fund_40_after_recoveries_and_insurance():
    result = allocate(
        D("1000000.00"),
        recovered=D("100000.00"),
        covers={INSURER: Cover(ratio=D("0.3"), cap=D("250000"))},
        pool=PoolTerms(weights={FUND: 40, BANK: 60}),
    )
    # 900,000 left; insurer min(270,000, cap 250,000); pool 40% of 650,000; the bank the rest.
    assert result.recovered == D("100000.00")
    assert result.shares[INSURER] == D("250000.00")
    assert result.shares[FUND] == D("260000.00")
    assert result.shares[BANK] == D("390000.00")


def test_shenzhen_1_to_1_rounds_to_the_fen_and_still_adds_up():
    result = allocate(D("0.03"), pool=PoolTerms(weights={FUND: 1, BANK: 1}))
    assert result.shares[FUND] + result.shares[BANK] == D("0.03")
    assert result.shares[FUND] == D("0.02")  # the tie goes to the earlier party


def test_a_party_not_on_the_loan_leaves_its_share_to_the_bank():
    result = allocate(D("1000.00"), pool=PoolTerms(weights={FUND: 54, BANK: 26, INSURER: 16, APPRAISER: 4}))
    assert result.shares[FUND] == D("540.00")
    assert result.shares[BANK] == D("460.00")


def test_the_fund_stops_at_its_cap_and_the_bank_takes_the_excess():
    result = allocate(D("1000.00"), pool=PoolTerms(weights={FUND: 80, BANK: 20}, caps={FUND: D("300")}))
    assert result.shares[FUND] == D("300.00")
    assert result.shares[BANK] == D("700.00")


def test_a_rejected_claim_leaves_the_insurer_nothing():
    result = allocate(D("1000.00"), covers={INSURER: Cover(ratio=D("0.5"), limit=D("0"))})
    assert result.shares[INSURER] == D("0.00")
    assert result.shares[BANK] == D("1000.00")


def test_an_unknown_step_is_refused():
    with pytest.raises(waterfall.WaterfallError):
        allocate(D("1"), order=("recovery", "court"))


def test_recoveries_after_payment_flow_back_in_the_shares_borne():
    parts, surplus = flow_back(D("192654.33"), {INSURER: D("250000"), FUND: D("300000"), BANK: D("450000")})
    assert parts == {INSURER: D("48163.58"), FUND: D("57796.30"), BANK: D("86694.45")}
    assert surplus == D("0.00")


# --- Properties ---------------------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("0"), max_value=D("100000000"), places=2, allow_nan=False, allow_infinity=False)
ratios = st.decimals(min_value=D("0"), max_value=D("1"), places=4, allow_nan=False, allow_infinity=False)
weights = st.integers(min_value=0, max_value=100)
optional_cap = st.none() | amounts
covers = st.dictionaries(
    st.sampled_from((INSURER, GUARANTOR)),
    st.builds(Cover, ratio=ratios, cap=optional_cap, limit=optional_cap),
)
pools = st.none() | st.builds(
    PoolTerms,
    weights=st.fixed_dictionaries(dict.fromkeys(PARTIES, weights)).filter(lambda w: sum(w.values()) > 0),
    caps=st.dictionaries(st.sampled_from((FUND, APPRAISER)), amounts),
)
orders = st.permutations(waterfall.STEPS).flatmap(lambda order: st.integers(0, 3).map(lambda n: tuple(order[:n])))


@settings(max_examples=1000, deadline=None)
@given(
    loss=amounts,
    recovered=amounts,
    covers=covers,
    pool=pools,
    appraiser=st.booleans(),
    order=orders,
)
def test_shares_sum_exactly_to_the_loss_none_negative_caps_hold(loss, recovered, covers, pool, appraiser, order):
    result = allocate(loss, recovered=recovered, covers=covers, pool=pool, appraiser_on_loan=appraiser, order=order)
    assert result.recovered + sum(result.shares.values()) == loss
    assert result.recovered + result.surplus == recovered
    assert all(v >= 0 for v in result.shares.values())
    assert all(v == v.quantize(D("0.01")) for v in result.shares.values())
    for party, cover in covers.items():
        ceiling = cover.ceiling()
        if ceiling is not None:
            assert result.shares[party] <= ceiling
    for party in (INSURER, GUARANTOR):
        if party not in covers:
            assert result.shares[party] == 0
    if pool is None:
        assert result.shares[FUND] == 0
    else:
        for party, cap in pool.caps.items():
            assert result.shares[party] <= cap
    if not appraiser:
        assert result.shares[APPRAISER] == 0


@settings(max_examples=1000, deadline=None)
@given(amount=amounts, weights=st.dictionaries(st.sampled_from(PARTIES), weights, min_size=1))
def test_split_by_largest_remainder_is_exact_and_within_one_fen_of_the_quota(amount, weights):
    if sum(weights.values()) == 0:
        return
    parts = split(amount, weights)
    assert sum(parts.values()) == amount
    total = sum(weights.values())
    for key, part in parts.items():
        assert part >= 0
        assert abs(part - amount * weights[key] / total) < D("0.01")


@settings(max_examples=1000, deadline=None)
@given(amount=amounts, borne=st.dictionaries(st.sampled_from(PARTIES), amounts, min_size=1))
def test_flow_back_never_returns_more_than_a_party_bore(amount, borne):
    parts, surplus = flow_back(amount, borne)
    assert sum(parts.values()) + surplus == amount
    assert surplus >= 0
    for party, part in parts.items():
        assert 0 <= part <= borne[party]


events = st.lists(
    st.tuples(st.sampled_from(list(ledger.Journal)), st.decimals(min_value=D("0.01"), max_value=D("1e9"), places=2)),
    max_size=40,
)


@settings(max_examples=1000, deadline=None)
@given(events=events)
def test_the_ledger_always_balances_and_its_position_follows_from_the_events(events):
    postings = []
    for kind, amount in events:
        journal = ledger.journal(kind, amount)
        assert ledger.is_balanced(journal)
        postings.extend(journal)
    assert ledger.is_balanced(postings)
    position = ledger.position(postings)
    total = {kind: sum((a for k, a in events if k == kind), D(0)) for kind in ledger.Journal}
    assert position.contributions == total[ledger.Journal.CONTRIBUTION]
    assert position.claims_paid == total[ledger.Journal.CLAIM_PAYMENT]
    assert position.recoveries == total[ledger.Journal.RECOVERY]
    assert position.balance == position.contributions - position.claims_paid + position.recoveries
    assert position.exposure == total[ledger.Journal.FILING] - total[ledger.Journal.RELEASE]
