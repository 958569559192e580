"""DeLong's paired AUC difference (scoring.ml.metrics.paired_auc_difference): the figure that says whether
a model's lead over another on the same rows is more than the luck of the sample."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from scoring.ml.metrics import paired_auc_difference


def correlated_scores(rng, n=1_500, base_rate=0.1):
    """Two noisy readings of one latent risk: their AUCs differ a little and their errors are correlated."""
    y = (rng.random(n) < base_rate).astype(int)
    latent = rng.normal(size=n) + 1.2 * y
    shared = rng.normal(size=n)
    a = latent + 0.6 * shared + 0.5 * rng.normal(size=n)
    b = latent + 0.6 * shared + 1.0 * rng.normal(size=n)
    return y, a, b


def test_a_small_case_computed_by_hand():
    """Two defaults, three non-defaults, ties in b. Per default, the share of non-defaults it outranks (a tie
    counts half): a → 1, 2/3; b → 1/2, 1/3. Per non-default, the share of defaults outranking it:
    a → 1/2, 1, 1; b → 1/4, 1, 0. Differences: [1/2, 1/3] (variance 1/72) and [1/4, 0, 1] (variance 39/144);
    Var(Δ) = (1/72)/2 + (39/144)/3 = 14/144, Δ = 5/6 − 5/12 = 5/12."""
    y = np.array([1, 1, 0, 0, 0])
    a = np.array([0.9, 0.4, 0.5, 0.2, 0.1])
    b = np.array([0.6, 0.3, 0.6, 0.2, 0.7])
    delta, se = paired_auc_difference(y, a, b)
    assert delta == pytest.approx(5 / 12)
    assert se == pytest.approx(np.sqrt(14) / 12)


def test_the_difference_is_the_difference_of_the_two_aucs():
    y, a, b = correlated_scores(np.random.default_rng(1))
    delta, _ = paired_auc_difference(y, a, b)
    assert delta == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-12)


def test_the_standard_error_matches_a_paired_bootstrap():
    """Resampling defaults and non-defaults separately (the variance DeLong's estimates is conditional on
    their counts), 2,000 paired replicates; the bootstrap's own error is about 2%."""
    rng = np.random.default_rng(2)
    y, a, b = correlated_scores(rng)
    _, se = paired_auc_difference(y, a, b)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    replicates = []
    for _ in range(2_000):
        rows = np.concatenate([rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))])
        replicates.append(roc_auc_score(y[rows], a[rows]) - roc_auc_score(y[rows], b[rows]))
    assert se == pytest.approx(np.std(replicates, ddof=1), rel=0.08)


def test_pairing_makes_the_difference_far_surer_than_either_auc():
    """The two scores share most of their noise, so the SE of the difference is well below the sum of the
    unpaired SEs (each score against itself-shuffled gives its own AUC's SE)."""
    y, a, b = correlated_scores(np.random.default_rng(3))
    _, paired = paired_auc_difference(y, a, b)
    constant = np.zeros(len(y))  # AUC 0.5 with no variance: the SE of the other's AUC alone
    _, se_a = paired_auc_difference(y, a, constant)
    _, se_b = paired_auc_difference(y, b, constant)
    assert paired < 0.8 * np.hypot(se_a, se_b)


def test_the_same_ranking_has_no_difference_and_no_error():
    y, a, _ = correlated_scores(np.random.default_rng(4))
    assert paired_auc_difference(y, a, np.exp(a)) == (0.0, 0.0)


def test_swapping_the_scores_flips_the_sign_only():
    y, a, b = correlated_scores(np.random.default_rng(5))
    delta, se = paired_auc_difference(y, a, b)
    assert paired_auc_difference(y, b, a) == pytest.approx((-delta, se))


def test_two_equally_good_scores_differ_by_more_than_two_se_about_one_time_in_twenty():
    """Under the null the z-statistic is close to standard normal: 400 samples of 600 rows at 5% defaults."""
    rng = np.random.default_rng(6)
    beyond = 0
    for _ in range(400):
        y = (rng.random(600) < 0.05).astype(int)
        latent = rng.normal(size=600) + y
        delta, se = paired_auc_difference(y, latent + rng.normal(size=600), latent + rng.normal(size=600))
        beyond += abs(delta / se) > 1.96
    assert 0.02 <= beyond / 400 <= 0.09


@pytest.mark.parametrize(
    ("y", "message"),
    [([0, 0, 0], "both classes"), ([1, 1, 1], "both classes"), ([0, 1, 2], "0/1")],
)
def test_refuses_a_target_without_both_classes(y, message):
    with pytest.raises(ValueError, match=message):
        paired_auc_difference(np.array(y), np.arange(3.0), np.arange(3.0))


def test_refuses_scores_of_another_length():
    with pytest.raises(ValueError, match="one value per row"):
        paired_auc_difference(np.array([0, 1, 0]), np.arange(3.0), np.arange(4.0))
