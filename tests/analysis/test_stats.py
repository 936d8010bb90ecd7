"""Estimators against published values and independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from cxkit.analysis.stats import mean_ci, net_promoter_score, responses_needed_proportion, wilson_ci


def test_mean_ci_matches_scipy_t_interval():
    x = np.array([3, 4, 4, 5, 2, 3, 4, np.nan, 5, 1], dtype=float)
    est = mean_ci(x)
    clean = x[~np.isnan(x)]
    low, high = sps.t.interval(0.95, len(clean) - 1, loc=clean.mean(), scale=sps.sem(clean))
    assert est.n == 9 and est.value == pytest.approx(clean.mean())
    assert (est.low, est.high) == pytest.approx((low, high))


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_1998(k, n, low, high):
    est = wilson_ci(k, n)
    assert est.low == pytest.approx(low, abs=1e-4)
    assert est.high == pytest.approx(high, abs=1e-4)


@given(n=st.integers(1, 100_000), all_or_none=st.booleans())
def test_a_wilson_interval_always_holds_its_share(n, all_or_none):
    est = wilson_ci(n if all_or_none else 0, n)
    assert est.low <= est.value <= est.high      # never a hair on the wrong side at 0% or 100%


def test_nps_interval_matches_the_variance_of_the_respondent_score():
    rng = np.random.default_rng(3)
    ltr = rng.integers(0, 11, 500).astype(float)
    est = net_promoter_score(ltr)
    score = np.where(ltr >= 9, 1.0, np.where(ltr <= 6, -1.0, 0.0))  # +1 / 0 / -1 per respondent
    half = sps.norm.ppf(0.975) * 100 * score.std() / np.sqrt(len(score))
    assert est.nps == pytest.approx(100 * score.mean())
    assert (est.low, est.high) == pytest.approx((est.nps - half, est.nps + half))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=300))
def test_nps_shares_sum_to_one_and_score_is_bounded(ratings):
    est = net_promoter_score(np.array(ratings, dtype=float))
    assert est.promoters + est.passives + est.detractors == pytest.approx(1)
    assert -100 <= est.nps <= 100 and est.low <= est.nps <= est.high


def _power(p0, p1, n, alpha=0.05):
    """Power of the two-sided two-proportion z test with n per group (independent check of the inverse)."""
    pbar = (p0 + p1) / 2
    se0 = np.sqrt(2 * pbar * (1 - pbar) / n)
    se1 = np.sqrt((p0 * (1 - p0) + p1 * (1 - p1)) / n)
    return sps.norm.cdf((abs(p1 - p0) - sps.norm.ppf(1 - alpha / 2) * se0) / se1)


@pytest.mark.parametrize("p0, p1", [(0.5, 0.6), (0.2, 0.25), (0.7, 0.65), (0.05, 0.1)])
def test_responses_needed_is_the_smallest_n_with_80_percent_power(p0, p1):
    n = responses_needed_proportion(p0, p1)
    assert _power(p0, p1, n) >= 0.8 > _power(p0, p1, n - 1)


def test_responses_needed_textbook_value():
    # 50% -> 60%, alpha 5% two-sided, power 80%, no continuity correction: 388 per group (Fleiss et al. 2003)
    assert responses_needed_proportion(0.5, 0.6) == 388


def test_a_share_pooled_over_people_has_its_interval_over_people():
    import statsmodels.api as sm

    from cxkit.analysis.stats import clustered_share

    rng = np.random.default_rng(2)
    answered = rng.integers(1, 6, 200)
    hits = rng.binomial(answered, rng.beta(2, 3, 200))
    est = clustered_share(hits, answered)
    share = hits / answered
    fit = sm.WLS(share, np.ones(len(share)), weights=answered).fit(cov_type="HC1")   # independent: robust WLS
    assert est.value == pytest.approx(hits.sum() / answered.sum()) == pytest.approx(fit.params[0])
    half = 1.959963984540054 * fit.bse[0]
    assert (est.low, est.high) == pytest.approx((fit.params[0] - half, fit.params[0] + half))
    naive = wilson_ci(hits.sum(), answered.sum())
    assert est.high - est.low > naive.high - naive.low   # answers counted as independent are too sure
