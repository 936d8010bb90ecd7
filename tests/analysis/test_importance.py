"""The importance engine: against R's relaimpo (published), brute force, scikit-learn and planted structure."""

import itertools
import json
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression, LogisticRegression

from conftest import REFERENCE
from cxkit.analysis import importance
from cxkit.analysis.importance import (ImportanceError, all_subset_mcfadden, all_subset_r2, collinearity, correlations,
                              logistic_fit, logistic_relative_weights, nearest_correlation, relative_weights,
                              shapley_from_subsets, shapley_r2)


@pytest.fixture(scope="module")
def swiss():
    ref = json.loads((REFERENCE / "swiss_lmg.json").read_text())
    data = pd.read_csv(REFERENCE / "swiss.csv")
    drivers = list(ref["lmg"])
    corr, _ = correlations(data[drivers + ["Fertility"]].to_numpy(float))
    return ref, drivers, corr


def test_all_subset_r2_matches_hier_part(swiss):
    ref, drivers, corr = swiss
    r2 = all_subset_r2(corr)
    order = [()] + [c for k in range(1, len(drivers) + 1) for c in itertools.combinations(range(len(drivers)), k)]
    mine = [r2[sum(1 << j for j in subset)] for subset in order]
    assert mine == pytest.approx(ref["all_subset_R2"]["values"], abs=1e-6)  # published to 7 digits


def test_lmg_matches_relaimpo(swiss):
    ref, drivers, corr = swiss
    lmg = shapley_r2(corr)
    assert lmg == pytest.approx([ref["lmg"][d] for d in drivers], abs=1e-7)
    assert lmg.sum() == pytest.approx(ref["R2"], abs=1e-6)


def test_first_and_last_match_relaimpo(swiss):
    ref, drivers, corr = swiss
    r2 = all_subset_r2(corr)
    full = (1 << len(drivers)) - 1
    assert [r2[1 << j] for j in range(len(drivers))] == pytest.approx([ref["first"][d] for d in drivers], abs=1e-6)
    assert [r2[full] - r2[full ^ (1 << j)] for j in range(len(drivers))] == pytest.approx(
        [ref["last"][d] for d in drivers], abs=1e-6)


def _random_corr(seed, p, n=200):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p + 1)) + rng.normal(size=(n, 1)) * rng.uniform(0, 1.5)
    return np.corrcoef(x, rowvar=False)


def _brute_force_r2(corr):
    """One least-squares solve per subset: the plain implementation."""
    p = len(corr) - 1
    out = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        s = [j for j in range(p) if mask >> j & 1]
        beta = np.linalg.lstsq(corr[np.ix_(s, s)], corr[s, -1], rcond=None)[0]
        out[mask] = corr[s, -1] @ beta
    return out


def _brute_force_shapley(r2):
    """LMG straight from its definition: a loop over drivers and subsets."""
    p = int(np.log2(len(r2)))
    phi = np.zeros(p)
    for j in range(p):
        for mask in range(1 << p):
            if not mask >> j & 1:
                s = bin(mask).count("1")
                phi[j] += factorial(s) * factorial(p - s - 1) / factorial(p) * (r2[mask | 1 << j] - r2[mask])
    return phi


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12))
def test_sweep_recursion_equals_one_solve_per_subset(seed, p):
    corr = _random_corr(seed, p)
    assert np.abs(all_subset_r2(corr) - _brute_force_r2(corr)).max() < 1e-10


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_shapley_equals_its_definition_for_any_set_function(seed, p):
    values = np.random.default_rng(seed).uniform(0, 1, 1 << p)
    values[0] = 0.0
    assert np.abs(shapley_from_subsets(values) - _brute_force_shapley(values)).max() < 1e-12


def test_memory_split_gives_the_same_answer(monkeypatch):
    corr = _random_corr(3, 11)
    whole = all_subset_r2(corr)
    monkeypatch.setattr(importance, "MEMORY_BUDGET", 4.5 * 2 ** 7)   # forces 4 drivers swept one pattern at a time
    assert np.abs(all_subset_r2(corr) - whole).max() < 1e-13


def test_a_stack_of_matrices_equals_one_at_a_time():
    stack = np.array([_random_corr(s, 6) for s in range(5)])
    assert np.abs(shapley_r2(stack) - np.array([shapley_r2(c) for c in stack])).max() < 1e-14
    assert np.abs(relative_weights(stack) - np.array([relative_weights(c) for c in stack])).max() < 1e-12


def test_collinear_and_duplicated_drivers_behave_like_least_squares():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 3))
    data = np.column_stack([x, x[:, 0], x[:, 0] + x[:, 1], x @ [0.5, 0.3, 0.1] + rng.normal(size=300)])
    corr = np.corrcoef(data, rowvar=False)
    assert np.abs(all_subset_r2(corr) - _brute_force_r2(corr)).max() < 1e-9
    phi = shapley_r2(corr)
    assert phi.sum() == pytest.approx(_brute_force_r2(corr)[-1], abs=1e-9)
    assert phi[0] == pytest.approx(phi[3], abs=1e-12)  # identical drivers split their importance equally


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 8))
def test_shares_sum_to_r2_and_follow_their_driver(seed, p):
    corr = _random_corr(seed, p)
    r2_full = all_subset_r2(corr)[-1]
    assert shapley_r2(corr).sum() == pytest.approx(r2_full, abs=1e-9)
    assert relative_weights(corr).sum() == pytest.approx(r2_full, abs=1e-9)
    perm = np.random.default_rng(seed).permutation(p)
    order = list(perm) + [p]
    assert shapley_r2(corr[np.ix_(order, order)]) == pytest.approx(shapley_r2(corr)[perm], abs=1e-10)


def test_uncorrelated_drivers_get_their_squared_correlation():
    r = np.array([0.5, 0.3, 0.2])
    corr = np.eye(4)
    corr[:3, 3] = corr[3, :3] = r
    assert shapley_r2(corr) == pytest.approx(r ** 2)
    assert relative_weights(corr) == pytest.approx(r ** 2)


def test_pairwise_correlations_match_pandas():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 6)) + rng.normal(size=(400, 1))
    x[rng.random(x.shape) < 0.2] = np.nan
    corr, base = correlations(x)
    assert np.abs(corr - pd.DataFrame(x).corr().to_numpy()).max() < 1e-12
    present = (~np.isnan(x)).astype(float)
    assert np.array_equal(base, present.T @ present)


def test_weighted_correlations_match_numpy_and_stack():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(300, 4)) + rng.normal(size=(300, 1))
    w = rng.uniform(0.2, 3, 300)
    corr, _ = correlations(x, w)
    cov = np.cov(x, rowvar=False, aweights=w)
    d = np.sqrt(np.diag(cov))
    assert np.abs(corr - cov / np.outer(d, d)).max() < 1e-12
    stack, _ = correlations(x, np.array([w, np.ones(300)]))
    assert np.abs(stack[0] - corr).max() < 1e-14
    assert np.abs(stack[1] - np.corrcoef(x, rowvar=False)).max() < 1e-12


def test_nearest_correlation_repairs_an_invalid_matrix_and_keeps_a_valid_one():
    bad = np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    fixed, repaired = nearest_correlation(bad)
    assert repaired and np.linalg.eigvalsh(fixed).min() > 0 and np.allclose(np.diag(fixed), 1)
    good = _random_corr(1, 4)
    same, repaired = nearest_correlation(good)
    assert not repaired and same is good


def test_vif_and_condition_number_against_regressions():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(500, 4))
    x[:, 3] = x[:, 0] + 0.3 * rng.normal(size=500)
    vif, condition = collinearity(np.corrcoef(x, rowvar=False))
    for j in range(4):
        others = np.delete(x, j, axis=1)
        r2 = LinearRegression().fit(others, x[:, j]).score(others, x[:, j])
        assert vif[j] == pytest.approx(1 / (1 - r2), rel=1e-9)
    assert condition == pytest.approx(np.sqrt(np.linalg.cond(np.corrcoef(x, rowvar=False))), rel=1e-9)
    assert collinearity(np.ones((2, 2)))[0].tolist() == [np.inf, np.inf]


def _logistic_data(seed, n=1500, p=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))
    eta = x @ np.linspace(1.0, 0.1, p) - 0.4
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return x, y


def _sklearn_loglik(x, y):
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(x, y)
    prob = model.predict_proba(x)[:, 1]
    return float(np.sum(y * np.log(prob) + (1 - y) * np.log(1 - prob))), model


@given(st.lists(st.floats(-1e308, 1e308, allow_nan=False), min_size=1, max_size=50))
@settings(max_examples=200, deadline=None)
def test_the_logistic_function_equals_scipys_expit_everywhere(values):
    """(1 + tanh(x / 2)) / 2 against scipy's expit, from the overflow range to the tiny, also written in place."""
    from scipy.special import expit

    x = np.array(values + [0.0, 1e-300, -1e-300, 36.0, -36.0, 710.0, -710.0, np.inf, -np.inf])
    expected = expit(x)
    assert np.allclose(importance.logistic(x), expected, rtol=0, atol=2.3e-16)
    assert np.all((importance.logistic(x) >= 0) & (importance.logistic(x) <= 1))
    inplace = x.copy()
    assert importance.logistic(inplace, out=inplace) is inplace and np.allclose(inplace, expected, rtol=0, atol=2.3e-16)


def test_logistic_fit_matches_scikit_learn():
    x, y = _logistic_data(1)
    beta, loglik = logistic_fit(np.column_stack([np.ones(len(y)), x])[None], y)
    ll, model = _sklearn_loglik(x, y)
    assert beta[0, 1:] == pytest.approx(model.coef_[0], abs=1e-6)
    assert loglik[0] == pytest.approx(ll, abs=1e-6)


def test_mcfadden_for_every_subset_matches_separate_fits():
    x, y = _logistic_data(2, p=4)
    r2 = all_subset_mcfadden(x, y, budget=5_000)  # a small budget: several blocks per size
    p0 = y.mean()
    null = len(y) * (p0 * np.log(p0) + (1 - p0) * np.log(1 - p0))
    for mask in range(1, 16):
        cols = [j for j in range(4) if mask >> j & 1]
        assert r2[mask] == pytest.approx(1 - _sklearn_loglik(x[:, cols], y)[0] / null, abs=1e-8)


def test_logistic_relative_weights_follow_the_published_steps():
    """An independent re-implementation of Tonidandel & LeBreton's steps (as R's rwa::rwa_logit)."""
    x, y = _logistic_data(3, p=5)
    mine, r2 = logistic_relative_weights(x, y)
    xs = (x - x.mean(axis=0)) / x.std(axis=0)
    u, _, vt = np.linalg.svd(xs, full_matrices=False)
    z = u @ vt
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    lam = np.linalg.solve(z.T @ z, z.T @ xs)
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(z, y)
    b = model.coef_[0]
    prob = model.predict_proba(z)[:, 1]
    logit = np.log(prob / (1 - prob))
    rsq = np.corrcoef(prob, y)[0, 1] ** 2
    beta = b * np.sqrt(rsq) / logit.std()
    expected = (lam ** 2).T @ beta ** 2
    assert mine == pytest.approx(expected, abs=1e-6)
    assert mine.sum() == pytest.approx(r2, abs=1e-9) and r2 == pytest.approx(rsq, abs=1e-9)


def test_separated_outcome_is_a_clear_error():
    x = np.linspace(-1, 1, 50)[:, None]
    y = (x[:, 0] > 0).astype(float)
    with pytest.raises(ImportanceError, match="separate"):
        logistic_fit(np.column_stack([np.ones(50), x])[None], y)


def test_logistic_relative_weights_for_a_stack_equal_one_at_a_time():
    x, y = _logistic_data(4, n=600, p=4)
    counts = np.random.default_rng(0).poisson(1.0, size=(3, 600)).astype(float)
    stacked, r2 = logistic_relative_weights(x, y, counts)
    for b in range(3):
        one, one_r2 = logistic_relative_weights(x, y, counts[b])
        assert stacked[b] == pytest.approx(one, abs=1e-10) and r2[b] == pytest.approx(one_r2, abs=1e-12)


def test_a_resample_where_a_driver_never_varies_has_no_weights_and_the_others_keep_theirs():
    rng = np.random.default_rng(4)
    n = 60
    x = rng.integers(1, 6, size=(n, 3)).astype(float)
    y = (x @ [0.8, 0.5, 0.2] + rng.normal(0, 1.5, n) > 4.5).astype(float)
    counts = rng.multinomial(n, np.ones(n) / n, size=3).astype(float)
    counts[1] = 0
    counts[1][x[:, 0] == 3] = 1.0          # resample 1 holds only customers who rated driver 0 a 3
    weights, fit = importance.logistic_relative_weights(x, y, counts)
    assert np.isnan(weights[1]).all() and np.isnan(fit[1])
    for b in (0, 2):
        alone, r2 = importance.logistic_relative_weights(x, y, counts[b])
        assert weights[b] == pytest.approx(alone) and fit[b] == pytest.approx(r2)
    corr = np.stack([np.corrcoef(np.column_stack([x, y]), rowvar=False)] * 2)
    corr[1, 0, :] = corr[1, :, 0] = np.nan   # a driver with no variance has no correlations
    rw = importance.relative_weights(corr)
    assert np.isnan(rw[1]).all() and rw[0] == pytest.approx(importance.relative_weights(corr[0]))


def test_sampled_orderings_average_to_the_exact_decomposition():
    """Over every ordering the sampled decomposition is the exact one; over a sample it sums to R² exactly."""
    from itertools import permutations

    from cxkit.analysis.importance import driver_orderings, sampled_shapley_r2

    rng = np.random.default_rng(4)
    x = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    data = np.column_stack([x, x @ [0.5, 0.3, 0.2, 0.1, 0.0] + rng.normal(size=400)])
    corr, _ = correlations(data)
    every = np.array(list(permutations(range(5))))
    np.testing.assert_allclose(sampled_shapley_r2(corr, every), shapley_r2(corr), atol=1e-8)
    some = sampled_shapley_r2(corr, driver_orderings(5, 8, seed=1))
    assert some.sum() == pytest.approx(shapley_r2(corr).sum(), abs=1e-8)
    assert not np.allclose(some, shapley_r2(corr), atol=1e-4)   # eight orderings are a sample, not the whole
    broken = np.stack([corr, np.full_like(corr, np.nan)])
    assert np.isnan(sampled_shapley_r2(broken, every)[1]).all() and np.isfinite(sampled_shapley_r2(broken, every)[0]).all()


@given(st.integers(1, 30), st.integers(1, 300), st.integers(0, 10**6))
@settings(max_examples=60, deadline=None)
def test_orderings_come_in_blocks_where_every_driver_stands_once_in_every_position(p, count, seed):
    """Each block of 2p: p orderings, each driver once in every position, then the same reversed; whole blocks
    covering at least ``count``."""
    from cxkit.analysis.importance import driver_orderings

    orderings = driver_orderings(p, count, seed)
    assert orderings.shape[1] == p and len(orderings) % (2 * p) == 0 and count <= len(orderings) < count + 2 * p
    for block in orderings.reshape(-1, 2 * p, p):
        first, second = block[:p], block[p:]
        assert (np.sort(first, axis=0) == np.arange(p)[:, None]).all()      # each column: every driver once
        assert (np.sort(first, axis=1) == np.arange(p)).all()               # each row: an ordering
        np.testing.assert_array_equal(second, first[:, ::-1])


def test_balanced_orderings_estimate_without_bias_closer_than_random_ones_and_state_their_error_honestly():
    """Planted correlations, 12 drivers: over 300 seeds the balanced estimate's mean is the exact Shapley value
    (within 4 standard errors of that mean), the stated Monte Carlo error covers the actual error as a standard
    error from 20 blocks should (93.5% within 1.96 of it, Student's t on 19 degrees of freedom), and plain random
    orderings, as many, miss by more."""
    from cxkit.analysis.importance import driver_orderings, sampled_shapley_error, sampled_shapley_r2

    rng = np.random.default_rng(12)
    latent = np.sqrt(0.6) * rng.normal(size=(3000, 1)) + np.sqrt(0.4) * rng.normal(size=(3000, 12))
    corr, _ = correlations(np.column_stack([latent, latent @ np.linspace(0.5, 0.05, 12) + rng.normal(size=3000)]))
    exact = shapley_r2(corr)
    runs = [sampled_shapley_error(corr, driver_orderings(12, 480, seed)) for seed in range(300)]
    values, errors = np.array([v for v, _ in runs]), np.array([e for _, e in runs])
    bias = values.mean(axis=0) - exact
    assert (np.abs(bias) < 4 * values.std(axis=0) / np.sqrt(len(values))).all()
    assert 0.9 < (np.abs(values - exact) < 1.96 * errors).mean() < 0.97
    plain = np.array([sampled_shapley_r2(corr, np.array([np.random.default_rng([seed, i]).permutation(12)
                                                         for i in range(480)])) for seed in range(60)])
    assert np.sqrt(((plain - exact) ** 2).mean()) > 2 * np.sqrt(((values - exact) ** 2).mean())


@pytest.mark.parametrize("missing", [0.0, 0.1])
def test_correlations_of_a_stack_of_weights_equal_one_weight_vector_at_a_time(missing):
    """The bootstrap's stacked path (one matrix product for every resample when answers are complete, pair sums
    when not) against the single-vector path, resample by resample."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(700, 5)) @ rng.normal(size=(5, 5))
    x[rng.random(x.shape) < missing] = np.nan
    counts = rng.poisson(1.0, size=(4, 700)).astype(float)
    stacked, base = correlations(x, counts)
    for b in range(4):
        one, one_base = correlations(x, counts[b])
        np.testing.assert_allclose(stacked[b], one, atol=1e-12)
        np.testing.assert_allclose(base[b], one_base)


def test_logistic_relative_weights_the_same_whether_cross_products_are_held_or_not(monkeypatch):
    """Long designs (a million respondents) take one product per weight vector instead of holding every
    respondent's cross-products: the same weights either way."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3000, 5))
    y = (x @ [1, 0.5, 0, 0, 0.2] + rng.logistic(size=3000) > 0).astype(float)
    counts = rng.poisson(1.0, size=(3, 3000)).astype(float)
    held = importance.logistic_relative_weights(x, y, counts)
    monkeypatch.setattr(importance, "_PRODUCTS_BUDGET", 10)
    looped = importance.logistic_relative_weights(x, y, counts)
    np.testing.assert_allclose(held[0], looped[0], atol=1e-12)
    np.testing.assert_allclose(held[1], looped[1], atol=1e-12)
