"""Scorecard: baselines, grounded targets, owners and the responses each cadence needs."""

import numpy as np
import pytest
from scipy import stats as sps

from cxkit import customers, drivers, metrics


@pytest.fixture(scope="module")
def card(eng, feedback):
    key = drivers.key_drivers(feedback, eng).table
    seg = customers.segment_customers(feedback, eng)
    profiles = customers.segment_profiles(feedback, eng, seg.assignment)
    return metrics.scorecard(feedback, eng, key, seg.assignment, profiles), key


def test_scorecard_layers_and_top_drivers(eng, card):
    table, key = card
    drivers_rows = table[table["layer"] == "Driver"]
    assert len(drivers_rows) == eng.targets.scorecard_drivers
    assert drivers_rows["metric"].str.startswith(tuple(key["label"].head(5))).all()
    assert {"Share truly impressed", "Net Promoter Score"} <= set(table["metric"])


def test_baselines_are_recomputable(eng, feedback, card):
    table, key = card
    top = key.iloc[0]
    values = feedback[top["attribute"]].dropna()
    row = table[table["metric"].str.startswith(top["label"])].iloc[0]
    assert row["baseline"] == pytest.approx((values >= 4).mean())
    assert row["ci_low"] < row["baseline"] < row["ci_high"]


def test_targets_say_which_rule_made_them(card):
    table, _ = card
    assert table["target_rule"].str.contains("best segment|uplift").all()
    assert (table["target"] >= table["baseline"]).all()


def test_a_metric_without_owner_is_flagged(eng, feedback, card):
    _, key = card
    unowned = key.copy()
    unowned.loc[0, "owner"] = None
    table = metrics.scorecard(feedback, eng, unowned)
    assert table["owner_missing"].sum() == 1
    assert "No owner" in table.loc[table["owner_missing"], "owner"].iloc[0]


def _power_mean(sd, change, n):
    return sps.norm.cdf(abs(change) / (sd * np.sqrt(2 / n)) - sps.norm.ppf(0.975))


@pytest.mark.parametrize("sd, change", [(1.0, 0.2), (2.1, 0.3), (0.8, 0.05)])
def test_responses_needed_for_a_mean(sd, change):
    n = metrics.responses_needed_mean(sd, change)
    assert _power_mean(sd, change, n) >= 0.8 > _power_mean(sd, change, n - 1)


def test_responses_needed_for_nps_by_simulation():
    # check the NPS formula against the power seen in simulated survey waves
    p, d = 0.25, 0.35
    n = metrics.responses_needed_nps(p, d, 8)
    rng = np.random.default_rng(5)
    before = rng.choice([1, 0, -1], size=(4000, n), p=[p, 1 - p - d, d])
    after = rng.choice([1, 0, -1], size=(4000, n), p=[p + 0.04, 1 - p - d, d - 0.04])
    diff = after.mean(axis=1) - before.mean(axis=1)
    se = np.sqrt(before.var(axis=1, ddof=1) / n + after.var(axis=1, ddof=1) / n)
    power = (diff / se > sps.norm.ppf(0.975)).mean()
    assert power == pytest.approx(0.8, abs=0.03)
