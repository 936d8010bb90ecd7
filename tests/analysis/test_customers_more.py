"""Weights, expectation gaps, consistency, stability, profiles and descriptor comparisons."""

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from cxkit import load_engagement
from cxkit.analysis import customers, stats
from cxkit.inputs.data import load_feedback, validate
from cxkit.inputs.sample import write_sample
from cxkit.analysis.stats import kish_n, weighted_mean_ci, weighted_share, wilson_ci


def _weighted(engagement_copy, weights):
    path = engagement_copy.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["weight"] = weights if isinstance(weights, (str, list)) else [f"{w:g}" for w in weights(len(frame))]
    frame.to_csv(path, index=False)
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["weight"] = "weight"
    engagement_copy.write_text(yaml.safe_dump(raw))
    return load_engagement(engagement_copy)


def test_weights_all_one_give_the_unweighted_answers(engagement_copy, eng, feedback):
    weighted = _weighted(engagement_copy, lambda n: np.ones(n))
    fb = load_feedback(weighted)
    for name in ("loyalty_mix", "nps", "expectation_gaps", "consistency", "descriptor_comparisons"):
        plain = getattr(customers, name)(feedback, eng)
        with_weights = getattr(customers, name)(fb, weighted)
        pd.testing.assert_frame_equal(plain, with_weights, obj=name)
    seg = customers.segment_customers(feedback, eng)
    assert customers.segment_customers(fb, weighted).assignment.equals(seg.assignment)


def test_weights_change_the_answers_as_they_should(engagement_copy):
    # doubling the weight of truly impressed customers: their weighted share is 2p / (1 + p)
    eng = load_engagement(engagement_copy)
    raw = pd.read_csv(engagement_copy.parent / "feedback.csv")
    impressed = (raw["overall_satisfaction"] >= 9).to_numpy()
    weighted = _weighted(engagement_copy, lambda n: np.where(impressed, 2.0, 1.0))
    mix = customers.loyalty_mix(load_feedback(weighted), weighted).set_index("band")
    p = (raw["overall_satisfaction"] >= 9).mean()
    assert mix.loc["truly_impressed", "share"] == pytest.approx(2 * p / (1 + p))
    assert mix["n_effective"].iloc[0] < len(raw)
    assert eng.feedback.weight is None


def test_kish_and_weighted_estimators_by_hand():
    w = np.array([1, 1, 2, 4.0])
    assert kish_n(w) == pytest.approx(64 / 22)
    x = np.array([1, 2, 3, 4.0])
    est = weighted_mean_ci(x, w)
    assert est.value == pytest.approx((1 + 2 + 6 + 16) / 8)
    share = weighted_share(pd.Series([True, False, True, pd.NA], dtype="boolean"), w)
    assert share.value == pytest.approx(3 / 4) and share.n == 3
    assert weighted_share(pd.Series([True, False, True], dtype="boolean")) == wilson_ci(2, 3)


def test_bad_weights_are_clear_errors(engagement_copy):
    weights = ["1"] * 3000
    weights[4], weights[9] = "-1", "heavy"
    eng = _weighted(engagement_copy, weights)
    errors = validate(eng).errors
    assert {p.rows for p in errors} == {(6,), (11,)} and all(p.column == "weight" for p in errors)


def test_zero_weights_count_for_nothing_with_a_warning(engagement_copy):
    eng = _weighted(engagement_copy, lambda n: np.r_[np.zeros(10), np.ones(n - 10)])
    report = validate(eng)
    assert report.ok and any("weight 0" in p.message for p in report.warnings)
    fb = load_feedback(eng)
    plain = load_engagement(engagement_copy.parent / "engagement.yaml")
    nps = customers.nps(fb, eng)["nps"].iloc[0]
    trimmed = fb.iloc[10:]
    assert nps == pytest.approx(customers.nps(trimmed, eng)["nps"].iloc[0])
    assert plain.feedback.weight == "weight"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 10)), min_size=1, max_size=200),
       st.lists(st.floats(0.1, 5), min_size=200, max_size=200))
def test_loyalty_shares_sum_to_one(eng, ratings, weights):
    fb = pd.DataFrame({eng.feedback.main_outcome.column: pd.Series(ratings, dtype=float)})
    if fb.iloc[:, 0].notna().sum() == 0:
        return
    mix = customers.loyalty_mix(fb, eng)
    assert mix["share"].sum() == pytest.approx(1)
    weighted = eng.model_copy(update={"feedback": eng.feedback.model_copy(update={"weight": "w"})})
    fb["w"] = weights[: len(fb)]
    assert customers.loyalty_mix(fb, weighted)["share"].sum() == pytest.approx(1)


def test_expectation_gaps_by_hand(eng, feedback):
    table = customers.expectation_gaps(feedback, eng).set_index("attribute")
    both = feedback[["staff_courtesy", "staff_courtesy_expected"]].dropna()
    diff = both["staff_courtesy"] - both["staff_courtesy_expected"]
    row = table.loc["staff_courtesy"]
    assert row["gap"] == pytest.approx(diff.mean()) and row["n"] == len(diff)
    assert row["exceeds"] == pytest.approx((diff > 0).mean())
    assert row["exceeds"] + row["meets"] + row["below"] == pytest.approx(1)
    assert table.index[0] == "staff_courtesy"  # planted: the only touchpoint above expectations


def test_consistency_bands_by_hand(eng, feedback):
    table = customers.consistency(feedback, eng).set_index("group")
    columns = [a.column for a in eng.feedback.attributes]
    ratings = feedback[columns]
    rated = ratings.notna().sum(axis=1) >= 3
    spread = ratings.std(axis=1, ddof=0)[rated]
    assert table.loc["consistent", "n"] == (spread <= 0.5).sum()
    assert table.loc["inconsistent", "n"] == (spread > 1.0).sum()
    assert table.loc[["consistent", "mixed", "inconsistent"], "share"].sum() == pytest.approx(1)
    inconsistent = feedback.loc[spread[spread > 1.0].index, "overall_satisfaction"]
    assert table.loc["inconsistent", "outcome"] == pytest.approx(inconsistent.mean())
    answered = ratings[rated]
    all_good = (answered >= 4).sum(axis=1) == answered.notna().sum(axis=1)
    assert table.loc["all_good", "n"] == all_good.sum() and table.loc["all_good", "rule"] == "every touchpoint rated 4 or more"


def test_consistency_taken_a_block_of_rows_at_a_time_is_the_same(eng, feedback, monkeypatch):
    """At a million customers the spreads are computed a block of rows at a time (bounded memory); blocks that do not
    divide the rows give the table computed in one block."""
    whole = customers.consistency(feedback, eng)
    monkeypatch.setattr(stats, "ROW_BLOCK", 7)
    pd.testing.assert_frame_equal(customers.consistency(feedback, eng), whole)


def test_consistency_on_a_0_to_10_scale_is_read_in_proportion(eng, feedback):
    """The same experiences on 0-10 instead of 1-5 fall in the same groups: spread bands and good/poor ratings
    stretch with the scale (2.5 times its range), so a long scale does not make everyone inconsistent."""
    columns = [a.column for a in eng.feedback.attributes]
    eleven = eng.model_copy(update={"scales": {**eng.scales, eng.feedback.scale: eng.scales[eng.feedback.scale]
                                               .model_copy(update={"min": 0, "max": 10})}})
    stretched = feedback.copy()
    stretched[columns] = (stretched[columns] - 1) * 2.5
    five = customers.consistency(feedback, eng).set_index("group")
    ten = customers.consistency(stretched, eleven).set_index("group")
    assert (ten.loc[["consistent", "mixed", "inconsistent"], "n"] == five.loc[["consistent", "mixed", "inconsistent"],
                                                                                 "n"]).all()
    assert ten.loc["consistent", "rule"] == "spread up to 1.25" and ten.loc["inconsistent", "rule"] == "spread over 2.5"
    assert customers.good_and_poor(eleven.scales[eng.feedback.scale]) == (7, 3)
    assert customers.good_and_poor(eng.scales[eng.feedback.scale]) == (4, 2)


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_planted_segments_recovered_across_seeds(tmp_path, seed):
    written = write_sample(tmp_path, seed=seed, customers=3000, employees=60, engagement_id=f"s{seed}")
    eng = load_engagement(written.config)
    fb = load_feedback(eng)
    seg = customers.segment_customers(fb, eng)
    truth = pd.read_json(written.truth, typ="series")["feedback"]["segment_of_customer"]
    planted = fb[eng.feedback.id].map(truth)
    found = seg.assignment.notna()
    assert adjusted_rand_score(planted[found], seg.assignment[found].astype(int)) >= 0.8
    assert seg.stability >= 0.8


def test_profiles_test_each_attribute_and_show_the_mix(eng, feedback):
    seg = customers.segment_customers(feedback, eng)
    profiles = customers.segment_profiles(feedback, eng, seg.assignment)
    bands = ["truly_impressed", "satisfied", "indifferent", "unhappy"]
    assert np.allclose(profiles[bands].sum(axis=1), 1)
    p_columns = [c for c in profiles if c.startswith("p_")]
    assert len(p_columns) == len(eng.feedback.attributes) and (profiles[p_columns] <= 1).all(axis=None)
    who = customers.segment_descriptors(feedback, eng, seg.assignment)
    region = who[(who["segment"] == 1) & (who["descriptor"] == "region")]
    assert region["share_in_segment"].sum() == pytest.approx(1)


def test_descriptor_comparisons_blank_small_bases(eng, feedback):
    fb = feedback.copy()
    fb.loc[fb.index[:12], "channel"] = "Kiosk"
    table = customers.descriptor_comparisons(fb, eng)
    kiosk = table[table["value"] == "Kiosk"].iloc[0]
    assert kiosk["small_base"] and np.isnan(kiosk["outcome"]) and kiosk["n"] == 12
    region = table[table["descriptor"] == "region"]
    assert region["outcome"].notna().all() and (region["kw_p"] > 0.01).all()  # no region effect was planted


def test_an_attribute_nobody_answered_is_left_out(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["app_ease"] = ""
    frame.to_csv(path, index=False)
    eng = load_engagement(engagement_copy)
    assert any("no answers at all" in p.message for p in validate(eng).warnings)
    seg = customers.segment_customers(load_feedback(eng), eng)
    assert "app_ease" not in seg.attributes and seg.k >= 2


def test_a_single_segment_is_reported_not_a_crash(eng, feedback):
    one = eng.model_copy(update={"thresholds": eng.thresholds.model_copy(
        update={"segment_k_range": (2, 2), "min_segment_size": 1450})})   # the smaller of two is merged away
    seg = customers.segment_customers(feedback, one)
    assert seg.k == 1 and seg.merged == 1
    profiles = customers.segment_profiles(feedback, one, seg.assignment)
    assert profiles["name"].iloc[0] == "All customers"
    assert np.isnan(seg.stability)


def test_too_few_customers_for_two_segments_is_said_not_a_crash(eng, feedback):
    from cxkit.errors import NotEnoughData

    with pytest.raises(NotEnoughData, match="only 59 customers .* two segments of at least 30 customers "
                                            "\\(thresholds.min_segment_size\\) need 60"):
        customers.segment_customers(feedback.head(59), eng)
    with pytest.raises(NotEnoughData, match="ratings of at least two touchpoints; 1 has answers"):
        customers.segment_customers(feedback, eng.model_copy(update={"feedback": eng.feedback.model_copy(
            update={"attributes": eng.feedback.attributes[:1]})}))


def test_a_scale_without_loyalty_cut_offs_is_a_config_error(engagement_copy):
    from cxkit import ConfigError

    raw = yaml.safe_load(engagement_copy.read_text())
    raw["scales"] = {"sat6": {"min": 1, "max": 6}}  # the firm defaults have no cut-offs for 1-6
    raw["feedback"]["outcomes"]["satisfaction"]["scale"] = "sat6"
    engagement_copy.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="no loyalty_bands for the 1-6 scale"):
        load_engagement(engagement_copy)


def test_a_numeric_descriptor_with_many_values_is_banded_and_ordered_as_numbers(eng, feedback):
    from cxkit.analysis.customers import descriptor_order, descriptor_values

    rng = np.random.default_rng(4)
    ages = pd.Series(rng.integers(18, 81, len(feedback)).astype(float)).mask(rng.random(len(feedback)) < 0.1)
    bands = descriptor_values(ages)
    order = descriptor_order(bands)
    assert len(order) == 5 and order[0].startswith("18-") and order[-1].endswith("-80")
    lows = [int(label.split("-")[0]) for label in order]
    assert lows == sorted(lows) and bands.isna().sum() == ages.isna().sum()
    for label in order:   # each band holds exactly the ages in its range
        low, high = map(int, label.split("-"))
        assert ((ages >= low) & (ages <= high)).sum() == (bands == label).sum()
    assert descriptor_order(pd.Series(["7", "70", "8", "80", None])) == ["7", "8", "70", "80"]
    table = customers.descriptor_comparisons(feedback.assign(region=ages.to_numpy()), eng)
    assert table.loc[table["descriptor"] == "region", "value"].tolist() == order
