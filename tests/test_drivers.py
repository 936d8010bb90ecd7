"""Key drivers: against R's relaimpo (published), independent computations and planted truth."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REFERENCE
from cxkit.data import load_feedback
from cxkit.drivers import all_subset_r2, key_drivers, moments_of_truth, relative_weights, shapley_r2


@pytest.fixture(scope="module")
def swiss():
    ref = json.loads((REFERENCE / "swiss_lmg.json").read_text())
    data = pd.read_csv(REFERENCE / "swiss.csv")
    drivers = list(ref["lmg"])
    corr = np.corrcoef(data[drivers + ["Fertility"]].to_numpy(float), rowvar=False)
    return ref, drivers, corr


def test_all_subset_r2_matches_hier_part(swiss):
    ref, drivers, corr = swiss
    r2 = all_subset_r2(corr)
    order = [()] + [c for k in range(1, len(drivers) + 1) for c in itertools.combinations(range(len(drivers)), k)]
    mine = [r2[sum(1 << j for j in subset)] for subset in order]
    assert mine == pytest.approx(ref["all_subset_R2"]["values"], abs=1e-6)


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


def _random_corr(draw_seed, p, n=200):
    rng = np.random.default_rng(draw_seed)
    x = rng.normal(size=(n, p + 1)) + rng.normal(size=(n, 1)) * rng.uniform(0, 1.5)
    return np.corrcoef(x, rowvar=False)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 7))
def test_shapley_and_relative_weights_sum_to_r2(seed, p):
    corr = _random_corr(seed, p)
    r2_full = all_subset_r2(corr)[-1]
    assert shapley_r2(corr).sum() == pytest.approx(r2_full, abs=1e-9)
    assert relative_weights(corr).sum() == pytest.approx(r2_full, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 6))
def test_shapley_follows_its_driver_when_drivers_are_reordered(seed, p):
    corr = _random_corr(seed, p)
    perm = np.random.default_rng(seed).permutation(p)
    order = list(perm) + [p]
    assert shapley_r2(corr[np.ix_(order, order)]) == pytest.approx(shapley_r2(corr)[perm], abs=1e-10)


def test_uncorrelated_drivers_get_their_squared_correlation():
    r = np.array([0.5, 0.3, 0.2])
    corr = np.eye(4)
    corr[:3, 3] = corr[3, :3] = r
    assert shapley_r2(corr) == pytest.approx(r ** 2)
    assert relative_weights(corr) == pytest.approx(r ** 2)


def test_planted_top_driver_ranks_first(eng, feedback, truth):
    table = key_drivers(feedback, eng)
    assert table.iloc[0]["attribute"] == truth["feedback"]["top_driver"]
    assert table["share"].sum() == pytest.approx(1)
    assert (table["direction"] == 1).all()
    assert table["n"].iloc[0] == len(feedback[[a.column for a in eng.feedback.attributes]
                                              + [eng.feedback.main_outcome.column]].dropna())


def test_planted_top_driver_ranks_first_on_another_seed(generated):
    eng, truth = generated
    table = key_drivers(load_feedback(eng), eng)
    assert table.iloc[0]["attribute"] == truth["feedback"]["top_driver"]
    weights = truth["feedback"]["driver_weights"]
    low = sorted(weights, key=weights.get)[:3]
    assert set(table.tail(5)["attribute"]) >= set(low[:2])


def test_moments_of_truth_quadrants():
    table = pd.DataFrame({"label": list("ABCD"), "share": [0.4, 0.3, 0.2, 0.1], "performance": [3.0, 4.5, 4.6, 3.1]})
    quad = moments_of_truth(table).set_index("label")["quadrant"]
    assert quad.to_dict() == {"A": "Moment of truth: fix first", "B": "Strength: keep",
                              "C": "Possible over-service", "D": "Lower priority"}
