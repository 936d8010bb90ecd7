"""Customers: loyalty bands, mix, planted segments recovered, value at stake."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from cxkit.analysis import customers
from cxkit.inputs.data import load_feedback


def test_loyalty_bands_follow_the_configured_cutoffs(eng):
    ratings = pd.Series([1, 4, 5, 6, 7, 8, 9, 10, np.nan])
    bands = customers.loyalty_band(ratings, eng)
    assert bands.tolist()[:8] == ["unhappy", "unhappy", "indifferent", "indifferent", "satisfied", "satisfied",
                                  "truly_impressed", "truly_impressed"]
    assert pd.isna(bands.iloc[8])


def test_loyalty_mix_counts_and_shares(eng, feedback):
    mix = customers.loyalty_mix(feedback, eng)
    sat = feedback["overall_satisfaction"].dropna()
    assert mix["share"].sum() == pytest.approx(1)
    assert mix.set_index("band").loc["truly_impressed", "count"] == (sat >= 9).sum()
    assert mix.set_index("band").loc["unhappy", "count"] == (sat <= 4).sum()
    assert (mix["ci_low"] <= mix["share"]).all() and (mix["share"] <= mix["ci_high"]).all()


def test_nps_table(eng, feedback):
    table = customers.nps(feedback, eng)
    ltr = feedback["likelihood_to_recommend"].dropna()
    assert table["nps"].iloc[0] == pytest.approx(100 * ((ltr >= 9).mean() - (ltr <= 6).mean()))


@pytest.fixture(scope="module")
def segmentation(eng, feedback):
    return customers.segment_customers(feedback, eng)


def test_planted_segments_are_found(eng, feedback, truth, segmentation):
    assert segmentation.k == len(truth["feedback"]["segment_names"])
    planted = feedback[eng.feedback.id].map(truth["feedback"]["segment_of_customer"])
    found = segmentation.assignment.notna()
    assert adjusted_rand_score(planted[found], segmentation.assignment[found].astype(int)) > 0.8
    assert segmentation.choice["chosen"].sum() == 1


def test_planted_segments_on_another_seed(generated):
    eng, truth = generated
    fb = load_feedback(eng)
    seg = customers.segment_customers(fb, eng)
    planted = fb[eng.feedback.id].map(truth["feedback"]["segment_of_customer"])
    found = seg.assignment.notna()
    assert adjusted_rand_score(planted[found], seg.assignment[found].astype(int)) > 0.8


def test_above_the_fit_sample_centres_come_from_a_sample_and_everyone_is_assigned(eng, feedback, truth,
                                                                                  segmentation, monkeypatch):
    """The large-engagement route (k-means on a seeded sample, everyone to the nearest centre), forced on the
    sample's 3,000 customers with a sample of 800: the planted segments and nearly the same assignment."""
    monkeypatch.setattr(customers, "FIT_SAMPLE", 800)
    sampled = customers.segment_customers(feedback, eng)
    planted = feedback[eng.feedback.id].map(truth["feedback"]["segment_of_customer"])
    found = sampled.assignment.notna()
    assert found.sum() == segmentation.assignment.notna().sum()          # everyone kept is assigned
    assert sampled.k == segmentation.k
    assert adjusted_rand_score(planted[found], sampled.assignment[found].astype(int)) > 0.8
    assert adjusted_rand_score(segmentation.assignment[found].astype(int), sampled.assignment[found].astype(int)) > 0.9


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 60), st.integers(1, 4), st.integers(1, 6))
def test_silhouettes_equal_scikit_learns(seed, n, p, k):
    """The shared-distance silhouette against scikit-learn's silhouette_score, with singletons, ties and
    repeated points (integer ratings), and NaN for one cluster."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    z = rng.integers(1, 4, size=(n, p)).astype(float)
    labellings = [rng.integers(0, k, size=n), np.arange(n) % 2, np.zeros(n, dtype=int)]
    got = customers.silhouettes(z, labellings)
    for labels, value in zip(labellings, got):
        groups = len(set(labels))
        if groups < 2:
            assert np.isnan(value)
        elif groups < n:
            assert value == pytest.approx(silhouette_score(z, labels), abs=1e-9)


def test_segmentation_is_deterministic_for_a_seed(eng, feedback, segmentation):
    again = customers.segment_customers(feedback, eng)
    assert again.assignment.equals(segmentation.assignment)


def test_segmentation_leaves_the_customers_data_as_it_was(eng, feedback):
    """Missing ratings are filled in the segmentation's own copy (in place, to bound memory), never in the data."""
    before = feedback.copy()
    for data in (feedback, feedback.dropna(subset=[eng.feedback.attributes[0].column]).reset_index(drop=True)):
        kept = data.copy()
        customers.segment_customers(data, eng)
        pd.testing.assert_frame_equal(data, kept)
    pd.testing.assert_frame_equal(feedback, before)


def test_small_segments_are_merged(eng, feedback):
    strict = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(
        update={"segment_k_range": (6, 6), "min_segment_size": 600})})
    seg = customers.segment_customers(feedback, strict)
    sizes = seg.assignment.value_counts()
    assert (sizes >= 600).all() and seg.merged >= 1 and seg.k == len(sizes)


def test_profiles_and_names(eng, feedback, segmentation):
    profiles = customers.segment_profiles(feedback, eng, segmentation.assignment)
    assert profiles["share"].sum() == pytest.approx(1)
    assert profiles["value_share"].sum() == pytest.approx(1)
    assert list(profiles["segment"]) == sorted(profiles["segment"])
    assert profiles["n"].is_monotonic_decreasing
    assert all(name.startswith(("Strong on", "Let down by", "Close to", "Rates every")) for name in profiles["name"])


def test_value_at_stake_is_the_value_of_unhappy_and_indifferent_customers(eng, feedback, segmentation):
    stake = customers.value_at_stake(feedback, eng, segmentation.assignment)
    sat = feedback["overall_satisfaction"]
    at_risk = sat < 7  # indifferent (5-6) and unhappy (1-4) on the 1-10 scale
    inside = (segmentation.assignment == 1).fillna(False)
    expected = feedback.loc[inside & at_risk, "annual_revenue"].sum()
    assert stake.set_index("segment").loc[1, "value_at_stake"] == pytest.approx(expected)
