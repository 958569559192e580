"""The loss waterfall, in plain Python: who bears how much of a defaulted loan's loss, exact to the fen.

No Django here, so the arithmetic can be checked on its own (and by property tests) and reused by any
caller. Amounts are ``Decimal`` yuan with two places.

The loss runs through configurable steps, in the pool's order, and the bank bears whatever is left:

* ``recovery`` — net recoveries from disposal reduce the loss first;
* ``cover`` — each bound insurance policy or guarantee pays its coverage ratio of the loss left when the
  step starts, within its cap;
* ``pool`` — the loss left is split by the pool's loss-sharing weights among fund, bank, insurer, guarantor
  and appraiser (e.g. 54:26:16:4, or bank 60 / fund 40). A party that is not on the loan, and anything above
  a party's cap, falls to the bank.

Every split uses the largest-remainder method in fen, so the parts add up exactly to the whole. Recoveries
that arrive after the parties have paid flow back to them in the shares they bore (``flow_back``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tongzhirong.core.money import FEN, to_yuan  # the one rounding rule (no Django in core.money)

ZERO = Decimal("0.00")

FUND, BANK, INSURER, GUARANTOR, APPRAISER = "fund", "bank", "insurer", "guarantor", "appraiser"
PARTIES = (FUND, BANK, INSURER, GUARANTOR, APPRAISER)
COVER_PARTIES = (INSURER, GUARANTOR)

RECOVERY, COVER, POOL = "recovery", "cover", "pool"
STEPS = (RECOVERY, COVER, POOL)
DEFAULT_ORDER = (RECOVERY, COVER, POOL)


class WaterfallError(ValueError):
    """The terms cannot be computed (a negative amount, an unknown step or party, weights summing to zero)."""


def split(amount: Decimal, weights: Mapping[str, Decimal | int]) -> dict[str, Decimal]:
    """Split ``amount`` in proportion to ``weights`` by the largest-remainder method: each part is its exact
    quota rounded down to the fen, and the fen left over go one each to the largest remainders (ties to the
    earlier key). The parts sum exactly to ``amount``; none is negative; a zero weight gets nothing."""
    amount = to_yuan(amount)
    if amount < 0:
        raise WaterfallError(f"Cannot split a negative amount ({amount}).")
    if any(Decimal(w) < 0 for w in weights.values()):
        raise WaterfallError("Weights cannot be negative.")
    total_weight = sum((Decimal(w) for w in weights.values()), Decimal(0))
    if total_weight == 0:
        if amount == 0:
            return dict.fromkeys(weights, ZERO)
        raise WaterfallError("The weights sum to zero.")
    cents = int(amount / FEN)
    floors, remainders = {}, []
    for position, (key, weight) in enumerate(weights.items()):
        numerator = cents * Decimal(weight)
        whole = int(numerator // total_weight)
        floors[key] = whole
        remainders.append((-(numerator - whole * total_weight), position, key))
    left = cents - sum(floors.values())
    for _, _, key in sorted(remainders)[:left]:
        floors[key] += 1
    return {key: Decimal(n) * FEN for key, n in floors.items()}


@dataclass(frozen=True)
class Cover:
    """An insurance policy or guarantee on the loan. ``ratio`` of the loss at the cover step, at most ``cap``
    over all steps (``None``: no cap). ``limit``, once the insurer or guarantor has decided, caps the party's
    total too: the approved amount, or zero after a rejection."""

    ratio: Decimal
    cap: Decimal | None = None
    limit: Decimal | None = None

    def ceiling(self) -> Decimal | None:
        caps = [c for c in (self.cap, self.limit) if c is not None]
        return min(caps) if caps else None


@dataclass(frozen=True)
class PoolTerms:
    """The pool's loss-sharing ``weights`` by party, and caps by party (``fund`` is the per-loan
    compensation cap, bounded by the pool's cash; ``appraiser`` the appraiser's liability)."""

    weights: Mapping[str, Decimal | int]
    caps: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Allocation:
    loss: Decimal
    recovered: Decimal  # the part of the recoveries that reduced the loss
    surplus: Decimal  # recoveries beyond the loss (returned to the borrower, not a share)
    shares: dict[str, Decimal]  # the loss each party bears, by party (all of PARTIES)
    steps: list[tuple[str, str, Decimal]]  # (step, party, amount) in the order they were taken

    @property
    def total(self) -> Decimal:
        return self.recovered + sum(self.shares.values(), ZERO)


def _check_order(order: Iterable[str]) -> tuple[str, ...]:
    order = tuple(order)
    unknown = [s for s in order if s not in STEPS]
    if unknown or len(set(order)) != len(order):
        raise WaterfallError(f"The order must name each of {', '.join(STEPS)} at most once, not {order}.")
    return order


def allocate(
    loss: Decimal,
    *,
    recovered: Decimal = ZERO,
    covers: Mapping[str, Cover] | None = None,
    pool: PoolTerms | None = None,
    appraiser_on_loan: bool = False,
    order: Iterable[str] = DEFAULT_ORDER,
) -> Allocation:
    """Run ``loss`` through the steps of ``order``; the bank bears the rest.

    ``covers`` maps ``insurer``/``guarantor`` to the loan's cover; ``pool`` is ``None`` for a loan not filed
    with a pool. The result's shares and the recovered part sum exactly to ``loss``; no share is negative;
    a cover party's total stays within its cap and limit, the fund within its cap."""
    loss, recovered = to_yuan(loss), to_yuan(recovered)
    if loss < 0 or recovered < 0:
        raise WaterfallError("Loss and recoveries cannot be negative.")
    covers = dict(covers or {})
    if set(covers) - set(COVER_PARTIES):
        raise WaterfallError(f"Covers are for {', '.join(COVER_PARTIES)} only.")
    for cover in covers.values():
        if not Decimal(0) <= cover.ratio <= 1:
            raise WaterfallError("A coverage ratio lies between 0 and 1.")
        if (cover.cap is not None and cover.cap < 0) or (cover.limit is not None and cover.limit < 0):
            raise WaterfallError("Caps cannot be negative.")
    shares = dict.fromkeys(PARTIES, ZERO)
    steps: list[tuple[str, str, Decimal]] = []
    remaining = loss
    used = ZERO

    def room(party: str) -> Decimal:
        """What ``party`` may still take: its cap less what it already bears, within the loss left."""
        ceiling = covers[party].ceiling() if party in covers else None
        if pool is not None and party in pool.caps:
            pool_cap = to_yuan(pool.caps[party])
            ceiling = pool_cap if ceiling is None else min(ceiling, pool_cap)
        free = remaining if ceiling is None else min(remaining, max(to_yuan(ceiling) - shares[party], ZERO))
        return max(free, ZERO)

    for step in _check_order(order):
        if step == RECOVERY:
            used = min(recovered, remaining)
            remaining -= used
            steps.append((RECOVERY, "recovery", used))
        elif step == COVER:
            base = remaining
            for party in COVER_PARTIES:
                if party not in covers:
                    continue
                amount = min(to_yuan(covers[party].ratio * base), room(party))
                shares[party] += amount
                remaining -= amount
                steps.append((COVER, party, amount))
        elif step == POOL and pool is not None:
            weights = {p: Decimal(pool.weights.get(p, 0)) for p in PARTIES}
            if any(w < 0 for w in weights.values()):
                raise WaterfallError("Loss-sharing weights cannot be negative.")
            if sum(weights.values()) == 0:
                raise WaterfallError("Loss-sharing weights sum to zero.")
            on_loan = {FUND, BANK, *covers}
            if appraiser_on_loan:
                on_loan.add(APPRAISER)
            parts = split(remaining, weights)
            to_bank = ZERO
            for party in PARTIES:
                if party == BANK:
                    continue
                wanted = parts[party] if party in on_loan else ZERO
                taken = min(wanted, room(party))
                to_bank += parts[party] - taken
                shares[party] += taken
                remaining -= taken
                steps.append((POOL, party, taken))
            steps.append((POOL, BANK, parts[BANK] + to_bank))
    shares[BANK] += remaining
    return Allocation(loss=loss, recovered=used, surplus=recovered - used, shares=shares, steps=steps)


def flow_back(amount: Decimal, borne: Mapping[str, Decimal]) -> tuple[dict[str, Decimal], Decimal]:
    """Share a recovery that arrived after payment among those who bore the loss, in the shares they bore.

    Returns the part for each party (largest remainder; none more than it bore) and the surplus beyond the
    whole loss borne, which goes to no party."""
    amount = to_yuan(amount)
    if amount < 0:
        raise WaterfallError("A recovery cannot be negative.")
    total = sum((to_yuan(v) for v in borne.values()), ZERO)
    if total == 0:
        return dict.fromkeys(borne, ZERO), amount
    distributable = min(amount, total)
    return split(distributable, {k: to_yuan(v) for k, v in borne.items()}), amount - distributable
