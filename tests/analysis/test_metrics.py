"""Scorecard: baselines, grounded targets, owners and the responses each cadence needs."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxkit.analysis import drivers, metrics


@pytest.fixture(scope="module")
def card(eng, feedback):
    key = drivers.key_drivers(feedback, eng).table
    return metrics.scorecard(feedback, eng, key, drivers.moments_of_truth(key)), key


def test_scorecard_layers_and_top_drivers(eng, card):
    table, key = card
    drivers_rows = table[table["layer"] == "driver"]
    expected = metrics.scorecard_drivers(key, drivers.moments_of_truth(key), eng)
    assert len(drivers_rows) == len(expected) >= eng.targets.scorecard_drivers
    assert drivers_rows["metric"].str.startswith(tuple(key["label"].head(5))).all()
    assert {"Share truly impressed", "Net Promoter Score"} <= set(table["metric"])


def test_baselines_are_recomputable(eng, feedback, card):
    table, key = card
    top = key.iloc[0]
    values = feedback[top["attribute"]].dropna()
    row = table[table["metric"].str.startswith(top["label"])].iloc[0]
    assert row["baseline"] == pytest.approx((values >= 4).mean())
    assert row["ci_low"] < row["baseline"] < row["ci_high"]


def test_targets_say_which_rule_made_them_and_never_come_from_segments(eng, feedback, card):
    table, key = card
    assert table["target_rule"].str.contains("best group|uplift").all()
    assert set(table["target_source"]) <= {"best_group", "uplift"} and "segment" not in " ".join(table["target_rule"])
    assert (table["target_source"] == "best_group").eq(table["target_rule"].str.startswith("the best group")).all()
    assert (table["target"] >= table["baseline"]).all()
    # a grounded target is what a real group of customers reaches: recomputed by hand from the group named
    row = table[table["target_source"] == "best_group"].iloc[0]
    descriptor, value = row["target_rule"].split("(")[1].rstrip(")").split(" ", 1)
    group = feedback[feedback[descriptor].astype(str) == value]
    if row["metric"] == "Share truly impressed":
        assert row["target"] == pytest.approx((group["overall_satisfaction"] >= 9).mean())


def test_a_metric_without_owner_is_flagged(eng, feedback, card):
    _, key = card
    unowned = key.copy()
    unowned.loc[0, "owner"] = None
    table = metrics.scorecard(feedback, eng, unowned, drivers.moments_of_truth(unowned))
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


# ---------------------------------------------------------------- issue 7: layers, targets, waves, balance, export

@pytest.mark.parametrize("sd, change", [(1.0, 0.2), (2.1, 0.3), (0.8, 0.05)])
def test_responses_for_a_mean_match_statsmodels(sd, change):
    from statsmodels.stats.power import zt_ind_solve_power

    n = zt_ind_solve_power(effect_size=change / sd, alpha=0.05, power=0.8, ratio=1.0, alternative="two-sided")
    assert metrics.responses_needed_mean(sd, change) == pytest.approx(np.ceil(n), abs=1)


@pytest.mark.parametrize("p0, p1", [(0.15, 0.20), (0.48, 0.53), (0.7, 0.75)])
def test_responses_for_a_proportion_agree_with_statsmodels(p0, p1):
    # statsmodels works on Cohen's arcsine effect size, Fleiss on the proportions: they agree to a few percent
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    n = NormalIndPower().solve_power(effect_size=proportion_effectsize(p1, p0), alpha=0.05, power=0.8, ratio=1.0)
    assert metrics.responses_needed_proportion(p0, p1) == pytest.approx(n, rel=0.03)


def _people(diagnostic, eng) -> dict:
    """The reality check's tables the people metrics read, as notebook 01 saves them."""
    from cxkit.analysis import reality

    return {"readiness": reality.readiness(diagnostic, eng),
            "readiness_by_department": reality.readiness_by_group(diagnostic, eng, "department"),
            "maturity": reality.maturity(diagnostic, eng),
            "maturity_by_department": reality.maturity_by_group(diagnostic, eng, "department")}


def test_a_dimension_that_cannot_be_read_as_one_score_is_no_people_metric(eng, diagnostic):
    """No-signal data: "Leadership and coaching cannot be read as one score" (alpha 0.58) stood on the reality check
    while the scorecard tracked it as a metric."""
    from cxkit.analysis import reality

    people = _people(diagnostic, eng)
    reliability = reality.reliability_table(diagnostic, eng)
    label = eng.framework.dimensions["leadership_coaching"].label
    assert label in [r["metric"] for r in metrics.people_metrics(eng, **people, reliability=reliability)]
    broken = reliability.assign(alpha=np.where(reliability["dimension"] == "leadership_coaching",
                                               eng.thresholds.reliability_alpha - 0.02, reliability["alpha"]))
    shown = [r["metric"] for r in metrics.people_metrics(eng, **people, reliability=broken)]
    assert label not in shown and eng.framework.dimensions["organisational_support"].label in shown
    # the reality check's target stays in sight: the grounded target is a step toward it, said in the rule
    card = {r["metric"]: r for r in metrics.people_metrics(eng, **people)}
    maturity = people["maturity"].set_index("dimension")
    rule = card[label]["target_rule"]
    aim = maturity.loc["leadership_coaching", "target"]
    assert (f"a step toward the maturity target of {aim:.1f}" in rule) == (aim > card[label]["target"])


@pytest.fixture(scope="module")
def full_card(eng, feedback, diagnostic):
    key = drivers.key_drivers(feedback, eng).table
    scenarios = drivers.what_if(feedback, eng)
    return (metrics.scorecard(feedback, eng, key, drivers.moments_of_truth(key), scenarios, _people(diagnostic, eng)),
            key, scenarios)


def test_three_linked_layers_with_retention_and_people(eng, diagnostic, full_card):
    from cxkit.analysis.privacy import POOLED
    from cxkit.analysis.reality import group_labels, readiness_scores

    card, _, _ = full_card
    assert list(dict.fromkeys(card["layer"])) == ["outcome", "driver", "people"]
    assert "Renewed contract: share yes" in set(card["metric"])
    people = card[card["layer"] == "people"].set_index("metric")
    know = readiness_scores(diagnostic, eng)["know"]   # from the raw answers, not the saved tables
    assert people.loc["I know index", "baseline"] == pytest.approx(know.mean())
    assert people.loc["I know index", "needed_per_period"] == metrics.responses_needed_mean(
        know.std(), people.loc["I know index", "target"] - know.mean())
    by_department = know.groupby(group_labels(diagnostic, eng, "department")).agg(["mean", "count"])
    shown = by_department[(by_department["count"] >= eng.thresholds.min_group_size) & (by_department.index != POOLED)]
    if shown["mean"].max() >= know.mean() + 0.01 * 4:
        assert people.loc["I know index", "target"] == pytest.approx(shown["mean"].max())
    assert (people["owner"] == eng.targets.people_owner).all()
    assert people["target_rule"].str.startswith(("the best department", "baseline plus")).all()
    assert set(people["target_source"]) <= {"best_department", "uplift"}
    assert not people["target_rule"].str.contains("Legal|pooled").any()   # the 3-person department is never named
    assert (people["available_per_period"] == people["n"]).all() and (people["cadence"] == "per pulse survey").all()


def test_the_answers_available_per_period_are_those_to_each_metrics_own_question(eng, feedback, full_card):
    """A touchpoint many skip is tracked on fewer customers than answer the survey: the cadence check counted every
    response for every metric (the sample's installation question: 27% not answered)."""
    _, key, scenarios = full_card
    wave = eng.feedback.wave
    first = key.iloc[0]["attribute"]
    skipped = feedback.copy()
    skipped.loc[skipped.sample(frac=0.4, random_state=1).index, first] = np.nan   # planted: 40% skip the top driver
    card = metrics.scorecard(skipped, eng, key, drivers.moments_of_truth(key), scenarios)
    per_wave = skipped.groupby(wave).count()   # answers (not blanks) per wave, counted apart from the kit
    for row in card[card["layer"] == "driver"].itertuples():
        column = next(a for a, label in zip(key["attribute"], key["label"]) if row.metric.startswith(f"{label}:"))
        assert row.available_per_period == int(per_wave[column].median()), row.metric
    top = card[card["metric"].str.startswith(f"{key.iloc[0]['label']}:")].iloc[0]
    assert top.available_per_period < int(skipped[wave].value_counts().median()) * 0.7
    impressed = card.set_index("metric").loc["Share truly impressed"]
    assert impressed.available_per_period == int(per_wave[eng.feedback.main_outcome.column].median())
    assert (card["cadence"][card["layer"] != "people"] == "per wave").all()


def test_what_if_targets_move_the_outcome_by_the_goal(eng, feedback, diagnostic, full_card):
    _, key, scenarios = full_card
    goal = eng.model_copy(update={"targets": eng.targets.model_copy(update={"outcome_goal": 0.3})})
    card = metrics.scorecard(feedback, goal, key, drivers.moments_of_truth(key), scenarios=scenarios).set_index("metric")
    top = scenarios.set_index("attribute").loc[key["attribute"].iloc[0]]
    slope = top["outcome_change"] / (top["mean_after"] - top["mean_now"])
    row = card.loc[f"{key['label'].iloc[0]}: mean rating"]
    assert row["target"] - row["baseline"] == pytest.approx(0.3 / slope)
    assert row["target_rule"].startswith("what-if") and row["target_source"] == "what_if"


def test_wave_changes_match_statsmodels_and_bands_by_hand(eng, feedback, full_card):
    from statsmodels.stats.proportion import proportions_ztest

    _, key, _ = full_card
    trend = metrics.wave_trend(feedback, eng, metrics.scorecard_drivers(key, drivers.moments_of_truth(key), eng))
    top = trend[trend["metric"] == f"{key['label'].iloc[0]}: top-2-box"].reset_index(drop=True)
    rated = feedback[[key["attribute"].iloc[0], "wave"]].dropna()
    hits = rated.assign(hit=rated.iloc[:, 0] >= 4).groupby("wave")["hit"].agg(["sum", "count"])
    _, p = proportions_ztest(hits["sum"].to_numpy()[::-1], hits["count"].to_numpy()[::-1])
    assert top.loc[1, "change_p"] == pytest.approx(p, rel=1e-9) and top.loc[1, "significant"]
    assert not top.loc[0, "significant"] and np.isnan(top.loc[0, "change"])
    centre = hits["sum"].sum() / hits["count"].sum()
    half = 3 * np.sqrt(centre * (1 - centre) / hits["count"].iloc[0])
    assert top.loc[0, "band_low"] == pytest.approx(centre - half) and top.loc[0, "band_high"] == pytest.approx(centre + half)
    # the planted rise is the only real change among the scorecard's metrics
    last = trend[trend["wave"] == "2026-Q2"]
    assert last.loc[last["significant"], "metric"].tolist() == [top.loc[0, "metric"]]
    # the finding: Holm across each wave's metrics (statsmodels), enough answers in both waves, a change that matters
    from statsmodels.stats.multitest import multipletests

    holm = multipletests(last["change_p"].to_numpy(), method="holm")[1]
    assert last["change_p_holm"].to_numpy() == pytest.approx(holm, rel=1e-12)
    size = last["change"].abs() / last["unit"].map({"share": 1.0, "points": 200.0, "mean": 9.0})   # 0-10 outcome
    expected = (holm < eng.thresholds.alpha) & (size >= eng.thresholds.min_effect).to_numpy() & (
        last["n"] >= eng.thresholds.min_respondents).to_numpy()
    assert last["real_change"].tolist() == expected.tolist() and last["real_change"].sum() == 1
    assert not trend.loc[trend["wave"] == "2026-Q1", "real_change"].any()   # nothing to compare the first wave with


def test_departmental_balance_by_hand():
    key = pd.DataFrame({"label": ["A", "B", "C", "D"], "owner": ["Ops", "Ops", "Fin", None],
                        "share": [0.4, 0.2, 0.3, 0.1], "top2": [0.5, 0.8, 0.2, 0.9]})
    table = metrics.departmental_balance(key).set_index("owner")
    overall = 0.4 * 0.5 + 0.2 * 0.8 + 0.3 * 0.2 + 0.1 * 0.9
    assert table.loc["Ops", "importance"] == pytest.approx(0.6)
    assert table.loc["Ops", "performance"] == pytest.approx((0.4 * 0.5 + 0.2 * 0.8) / 0.6)
    assert table.loc["Fin", "vs_all"] == pytest.approx(0.2 - overall)
    left = {"Ops": 0.4 * 0.5 + 0.2 * 0.2, "Fin": 0.3 * 0.8, "No owner": 0.1 * 0.1}
    assert table.loc["Fin", "impact"] == pytest.approx(left["Fin"] / sum(left.values()))
    assert list(table.index) == ["Ops", "Fin", "No owner"]


def test_metric_definitions_export_as_yaml_a_bi_team_can_load(eng, full_card, tmp_path):
    import yaml

    from cxkit.results.store import write_yaml

    card, _, _ = full_card
    path = write_yaml(tmp_path / "metric_definitions.yaml", metrics.metric_definitions(card, eng))
    loaded = yaml.safe_load(path.read_text())
    assert [m["name"] for m in loaded["metrics"]] == card["metric"].tolist()
    first = loaded["metrics"][0]
    assert set(first) >= {"definition", "baseline", "interval_95", "target", "target_rule", "owner", "cadence",
                          "responses_needed_per_period"}
    assert first["target"] == pytest.approx(card["target"].iloc[0], abs=1e-4)


def test_moments_of_truth_below_the_top_drivers_join_the_scorecard(eng, card):
    from cxkit.analysis.drivers import moments_of_truth

    _, key = card
    one = eng.model_copy(update={"targets": eng.targets.model_copy(update={"scorecard_drivers": 1})})
    fix = moments_of_truth(key)
    expected = {key["attribute"].iloc[0]} | set(fix.loc[fix["quadrant"] == "fix_first", "attribute"])
    assert set(metrics.scorecard_drivers(key, fix, one)["attribute"]) == expected and len(expected) > 1


def test_a_metric_already_at_the_top_needs_no_responses_not_infinitely_many(eng, feedback, card):
    from cxkit.claims.metrics import scorecard_claims

    assert metrics.responses_needed_mean(1.0, 0.0) is None
    assert metrics.responses_needed_nps(0.5, 0.1, 0) is None
    assert metrics.responses_needed_proportion(1.0, 1.0) is None
    _, key = card
    top = key.iloc[0]
    fb = feedback.copy()
    fb[top["attribute"]] = fb[top["attribute"]].where(fb[top["attribute"]].isna(), 5.0)   # everyone rates it top
    table = metrics.scorecard(fb, eng, key, drivers.moments_of_truth(key)).set_index("metric")
    row = table.loc[f"{top['label']}: top-2-box"]
    assert row["baseline"] == row["target"] == 1.0
    assert pd.isna(row["needed_per_period"]) and row["cadence_supported"]
    (cadence,) = [c for c in scorecard_claims(table.reset_index()) if c.kind == "cadence"]
    assert top["label"].lower() not in cadence.text.lower() and "9,223" not in cadence.text
    exported = {m["name"]: m for m in metrics.metric_definitions(table.reset_index(), eng)["metrics"]}
    assert exported[f"{top['label']}: top-2-box"]["responses_needed_per_period"] is None
    assert exported["Share truly impressed"]["responses_needed_per_period"] > 0


def test_a_touchpoint_that_goes_with_a_lower_outcome_never_gets_a_target_to_raise_it(eng, card):
    """Star Wars: the scorecard set a target to raise Jar Jar Binks's favourability (direction -1: more of it went
    with fewer fans). The top drivers are taken from those that go with a higher outcome."""
    from cxkit.analysis.drivers import moments_of_truth

    _, key = card
    flipped = key.assign(direction=[-1] + [1] * (len(key) - 1))
    chosen = metrics.scorecard_drivers(flipped, moments_of_truth(flipped), eng)
    assert key["attribute"].iloc[0] not in set(chosen["attribute"])
    assert list(chosen["attribute"][:eng.targets.scorecard_drivers]) == \
        list(key["attribute"].iloc[1:eng.targets.scorecard_drivers + 1])
