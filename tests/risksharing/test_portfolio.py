"""The pool simulator against the closed form (issue 20, item 5): a homogeneous pool's simulated loss
distribution is the binomial mixture of the one-factor model within Monte Carlo error, and that mixture
is Vasicek's large-pool distribution up to the pool's granularity."""

import numpy as np
import pytest
from scipy.stats import binom, norm

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


def test_impossible_inputs_are_refused():
    with pytest.raises(SimulationError):
        simulate_losses([0.0, 0.5], [1.0, 1.0])
    with pytest.raises(SimulationError):
        simulate_losses([0.1], [-1.0])
    with pytest.raises(SimulationError):
        simulate_losses([0.1], [1.0], rho=1.0)
