"""The pool simulator against the closed form (issue 20, item 5): a homogeneous pool's simulated loss
distribution is the binomial mixture of the one-factor model within Monte Carlo error, and that mixture
is Vasicek's large-pool distribution up to the pool's granularity."""

import warnings

import numpy as np
import pytest
from scipy.special import ndtr, ndtri
from scipy.stats import binom, ks_2samp, norm

from tongzhirong.risksharing.portfolio import (
    SimulationError,
    pool_risk,
    simulate_losses,
    vasicek_cdf,
    vasicek_quantile,
)

PD, RHO, LOANS, SCENARIOS = 0.03, 0.15, 3_000, 20_000


def finite_pool_cdf(defaults: np.ndarray, n: int, pd: float, rho: float) -> np.ndarray:
    """P(at most k of n defaults): the binomial given the factor, integrated over the factor."""
    z = np.linspace(-8, 8, 4001)
    weights = norm.pdf(z) * (z[1] - z[0])
    p_given_z = norm.cdf((norm.ppf(pd) - np.sqrt(rho) * z) / np.sqrt(1 - rho))
    return binom.cdf(defaults[:, None], n, p_given_z[None, :]) @ weights


@pytest.fixture(scope="module")
def simulated_fraction():
    return simulate_losses(np.full(LOANS, PD), np.ones(LOANS), rho=RHO, scenarios=SCENARIOS, seed=11) / LOANS


@pytest.mark.parametrize("q", [0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
def test_simulation_matches_the_one_factor_model_within_monte_carlo_error(simulated_fraction, q):
    k = np.floor(vasicek_quantile(q, PD, RHO) * LOANS)
    exact = finite_pool_cdf(np.array([k]), LOANS, PD, RHO)[0]
    simulated = (simulated_fraction * LOANS <= k + 0.5).mean()
    standard_error = np.sqrt(exact * (1 - exact) / SCENARIOS)
    assert abs(simulated - exact) <= 4 * standard_error


def test_a_large_homogeneous_pool_follows_vasicek_closed_form():
    loans = 30_000  # the mixture computed exactly; the closed form is its limit as the pool grows
    fractions = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2])
    exact = finite_pool_cdf(np.floor(fractions * loans), loans, PD, RHO)
    assert np.abs(exact - vasicek_cdf(fractions, PD, RHO)).max() < 0.005


def test_simulated_quantiles_and_mean_are_vasicek_s(simulated_fraction):
    assert simulated_fraction.mean() == pytest.approx(PD, rel=0.03)
    for q in (0.95, 0.99):
        assert np.quantile(simulated_fraction, q) == pytest.approx(vasicek_quantile(q, PD, RHO), rel=0.1)


def test_pool_risk_sizes_the_top_up_and_the_leverage_for_the_target():
    pd = np.full(1_000, 0.02)
    lgd = np.full(1_000, 40_000.0)  # yuan the pool pays on a default
    risk = pool_risk(pd, lgd, exposure=np.full(1_000, 1_000_000.0), cash=500_000.0, target=0.01, scenarios=20_000)
    assert risk.expected_loss == pytest.approx(800_000.0)
    assert risk.simulated_expected_loss == pytest.approx(800_000.0, rel=0.05)
    assert risk.quantile_95 < risk.quantile_99
    assert risk.probability_exhausted > 0.5  # cash below the expected loss
    # With the top-up the same scenarios leave the pool exhausted at most at the target.
    topped_up = pool_risk(
        pd, lgd, exposure=np.full(1_000, 1e6), cash=500_000.0 + risk.top_up_for_target, scenarios=20_000
    )
    assert topped_up.probability_exhausted <= 0.01 + 1e-9
    assert risk.max_leverage_for_target == pytest.approx(1e9 / risk.quantile_99, rel=1e-3)


def textbook_losses(pd, lgd, *, rho: float, scenarios: int, seed: int) -> np.ndarray:
    """The one-factor model written the plain way: every loan's conditional PD and a uniform per loan."""
    rng = np.random.default_rng(seed)
    losses = []
    for z in np.array_split(rng.standard_normal(scenarios), max(1, scenarios // 2_000)):
        conditional = ndtr((ndtri(pd)[None, :] - np.sqrt(rho) * z[:, None]) / np.sqrt(1 - rho))
        losses.append((rng.random(conditional.shape) < conditional) @ lgd)
    return np.concatenate(losses)


@pytest.fixture(scope="module")
def heterogeneous_pool():
    """PDs from 0.01 % to 97 % (a hundred buckets, some whose conditional PD reaches 1 in a bad scenario) and
    losses given default from 1万 to 300万."""
    rng = np.random.default_rng(5)
    pd = np.concatenate((np.clip(np.exp(rng.normal(np.log(0.03), 1.2, 380)), 1e-4, 0.6), [0.8, 0.9, 0.97] * 4))
    lgd = rng.uniform(10_000, 3_000_000, len(pd))
    scenarios = 40_000
    ours = simulate_losses(pd, lgd, rho=0.2, scenarios=scenarios, seed=3)
    plain = textbook_losses(pd, lgd, rho=0.2, scenarios=scenarios, seed=4)
    return pd, lgd, ours, plain


def test_a_heterogeneous_pool_has_the_textbook_loss_distribution(heterogeneous_pool):
    pd, lgd, ours, plain = heterogeneous_pool
    n = len(ours)
    assert ours.mean() == pytest.approx((pd * lgd).sum(), abs=4 * ours.std() / np.sqrt(n))
    assert ours.mean() - plain.mean() == pytest.approx(0, abs=4 * np.sqrt(ours.var() / n + plain.var() / n))
    for q in (0.5, 0.95, 0.99):
        # The textbook sample's share at or below our quantile is q, up to both samples' error.
        share = (plain <= np.quantile(ours, q)).mean()
        assert share == pytest.approx(q, abs=4 * np.sqrt(q * (1 - q) * 2 / n) + 1 / n)
    assert ks_2samp(ours, plain).pvalue > 0.001


def test_a_heterogeneous_pool_is_exhausted_as_often_as_the_textbook_says(heterogeneous_pool):
    *_, ours, plain = heterogeneous_pool
    n = len(ours)
    for cash in np.quantile(plain, [0.9, 0.97, 0.995]):
        ours_exhausted, plain_exhausted = (ours > cash).mean(), (plain > cash).mean()
        pooled = (ours_exhausted + plain_exhausted) / 2
        assert ours_exhausted == pytest.approx(plain_exhausted, abs=4 * np.sqrt(pooled * (1 - pooled) * 2 / n))


def test_the_same_seed_gives_the_same_losses_whatever_the_threads():
    pd = np.full(2_000, 0.5)  # a thousand candidates a scenario: several blocks of scenarios
    once = simulate_losses(pd, np.ones(2_000), scenarios=3_000, seed=9, threads=1)
    again = simulate_losses(pd, np.ones(2_000), scenarios=3_000, seed=9, threads=2)
    assert np.array_equal(once, again)
    assert not np.array_equal(once, simulate_losses(pd, np.ones(2_000), scenarios=3_000, seed=10, threads=1))


def test_a_pool_certain_to_default_in_a_bad_scenario_is_simulated_without_warnings():
    pd = np.array([0.999] * 50 + [0.001] * 50)  # under ρ = 0.9 the first fifty's conditional PD rounds to 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = simulate_losses(pd, np.ones(100), rho=0.9, scenarios=50_000, seed=1)
    assert losses.mean() == pytest.approx(pd.sum(), abs=4 * losses.std() / np.sqrt(50_000))


def test_impossible_inputs_are_refused():
    with pytest.raises(SimulationError):
        simulate_losses([0.0, 0.5], [1.0, 1.0])
    with pytest.raises(SimulationError):
        simulate_losses([0.1], [-1.0])
    with pytest.raises(SimulationError):
        simulate_losses([0.1], [1.0], rho=1.0)
