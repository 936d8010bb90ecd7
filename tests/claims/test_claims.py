"""Claims: the record and its contract, the executive summary's rule, and claim makers on constructed tables
(worded by the direction found, verdicts by the evidence)."""

import numpy as np
import pandas as pd
import pytest

from cxkit.claims.drivers import driver_claims, moments_of_truth_claims, top_driver_claim, what_if_claim
from cxkit.claims.metrics import segment_drivers_claim
from cxkit.claims.reality import (maturity_gap_claims, maturity_index_claim, perception_gap_claims,
                                  weakest_link_claim)
from cxkit.claims.rules import fire, parse_rules
from cxkit.claims.summary import executive_summary
from cxkit.results.text import in_text
from cxkit.results.catalogue import CLAIMS, ContractError
from cxkit.results.claim import Claim


def _claim(kind="loyalty_mix", materiality=0.5, verdict="supported", lead=True, subject="all"):
    facts = {name: 0.5 for name in CLAIMS[kind].facts}
    return Claim(kind, subject, "A claim about {" + CLAIMS[kind].facts[0] + ":.0%}", facts, verdict, "why",
                 materiality, lead=lead)


def test_a_claim_renders_its_sentence_from_its_facts_and_round_trips():
    claim = Claim("nps", "all", "nPS is {nps:+.0f} ({ci_low:+.0f} to {ci_high:+.0f})",
                  dict(nps=12.4, ci_low=np.float64(8.1), ci_high=16.0, promoters=0.4, detractors=0.28, n=np.int64(900)),
                  "supported", "an interval", 0.28, effect=float("nan"), ci=(8.1, 16.0), n=np.float64(900))
    assert claim.text == "NPS is +12 (+8 to +16)"                         # a sentence starts with a capital
    assert claim.effect is None and claim.n == 900 and claim.id == "nps:all" and claim.stage == "customers"
    assert Claim.from_dict(claim.to_dict()) == claim
    assert "n = 900" in claim.evidence() and "supported: an interval" in claim.evidence()


@pytest.mark.parametrize("change, message", [
    (dict(facts={"nps": 1}), "missing"),                                    # facts are exactly the declared ones
    (dict(template="{nps} {not_a_fact}"), "not its facts"),
    (dict(kind="no_such_kind"), "not declared"),
    (dict(verdict="probably"), "verdict"),
])
def test_a_claim_that_breaks_its_declaration_fails_loudly(change, message):
    base = dict(kind="nps", subject="all", template="{nps}", facts={f: 1 for f in CLAIMS["nps"].facts})
    with pytest.raises(ContractError, match=message):
        Claim(**{**base, **change})


def test_summary_takes_each_stage_best_supported_then_the_most_material():
    claims = [_claim("maturity_gap", 0.1), _claim("weakest_link", 0.9), _claim("loyalty_mix", 0.8),
              _claim("nps", 0.7), _claim("consistency", 0.6), _claim("top_driver", 0.2),
              _claim("maturity_index", 0.95, verdict="within_noise"), _claim("what_remains", 0.99)]
    chosen = executive_summary(claims, limit=5)
    assert [c.kind for c in chosen] == ["weakest_link", "loyalty_mix", "top_driver", "nps", "consistency"]


def test_the_summary_states_findings_before_the_scorecard_design():
    claims = [_claim("cadence", 0.45), _claim("unowned_metrics", 0.4), _claim("loyalty_mix", 0.3),
              _claim("wave_change", 0.05), _claim("top_driver", 0.2)]
    assert [c.kind for c in executive_summary(claims)] == ["loyalty_mix", "top_driver", "wave_change", "cadence",
                                                           "unowned_metrics"]
    assert [c.kind for c in executive_summary(claims, limit=3)] == ["loyalty_mix", "top_driver", "wave_change"]
    # steak: "The one scorecard metric has an owning department" (nothing to fix, materiality 0) was a headline
    fine = [_claim("unowned_metrics", 0.0), _claim("cadence", 0.0), _claim("loyalty_mix", 0.3)]
    assert [c.kind for c in executive_summary(fine)] == ["loyalty_mix"]


def test_the_summary_states_only_supported_claims_and_no_skipped_stage():
    skipped = Claim("not_covered", "reality_check", "{stage_title} was not covered: {reason}",
                    {"stage_title": "Reality check", "reason": "no diagnostic"}, "not_testable", "", 0.0, lead=True)
    claims = [_claim("top_driver", 0.0, verdict="within_noise"), _claim("moments_of_truth", 0.0, verdict="within_noise"),
              _claim("loyalty_mix", 0.4), skipped]
    assert [c.kind for c in executive_summary(claims)] == ["loyalty_mix"]


def test_only_lead_claims_of_summary_kinds_are_candidates():
    claims = [_claim("maturity_gap", 0.9, lead=False, subject="a"), _claim("maturity_gap", 0.2, subject="b"),
              _claim("what_remains", 0.99)]
    assert [c.subject for c in executive_summary(claims)] == ["b"]


def test_perception_gaps_are_worded_by_the_direction_found(eng):
    gaps = pd.DataFrame({"dimension": ["a", "b", "c"], "label": ["Clear definition", "Leadership", "Skills"],
                         "executive": [3.1, 4.4, 3.5], "frontline": [3.9, 3.6, 3.4], "gap": [-0.8, 0.8, 0.1],
                         "n_executive": 20, "n_frontline": 200, "rank_biserial": [-0.4, 0.4, 0.05],
                         "p_holm": [0.001, 0.002, 0.6], "flagged": [False, True, False]})
    claims = {c.subject: c for c in perception_gap_claims(gaps, eng)}
    assert claims["a"].text.startswith("Executives rate clear definition 0.8 points below the frontline")
    assert claims["b"].text == ("Frontline rate leadership 0.8 points below executives (3.6 vs 4.4; a real "
                                "difference, every dimension tested): leaders see a rosier picture")   # no test names
    assert claims["c"].text == "Executives and frontline rate skills alike within noise (3.5 vs 3.4)"
    assert claims["c"].verdict == "within_noise" and "Holm-adjusted" in claims["c"].reason
    assert [c.subject for c in claims.values() if c.lead] == ["a"]   # ties: the first largest real difference


def test_no_real_perception_gap_and_no_comparison_say_so(eng):
    gaps = pd.DataFrame({"dimension": ["a"], "label": ["Clear definition"], "executive": [4.0], "frontline": [3.9],
                         "gap": [0.1], "n_executive": 20, "n_frontline": 200, "rank_biserial": [0.05],
                         "p_holm": [0.7], "flagged": [False]})
    lead = next(c for c in perception_gap_claims(gaps, eng) if c.lead)
    assert lead.verdict == "within_noise" and "no difference is both real and large enough to matter" in lead.text
    (pooled,) = perception_gap_claims(gaps.iloc[:0], eng)      # a level pooled for privacy: nothing to compare
    assert pooled.verdict == "not_testable" and pooled.text == (
        "Executives and frontline cannot be compared: one of the two levels has fewer than "
        f"{eng.thresholds.min_group_size} respondents, so it is pooled for privacy")
    assert "0 of 0" not in pooled.text and executive_summary([pooled]) == []


def test_a_gap_whose_interval_holds_the_target_is_within_noise(eng):
    maturity = pd.DataFrame({"dimension": ["clear_definition"], "label": ["Clear definition"], "n": [40],
                             "mean": [3.9], "ci_low": [3.7], "ci_high": [4.1], "favourable": [0.6], "level": [3],
                             "level_name": ["Defined"], "target": [4.0], "gap": [0.1]})
    claim = maturity_gap_claims(maturity, eng)[0]
    assert claim.verdict == "within_noise" and "at its target within noise" in claim.text


def test_dimensions_are_contrasted_on_their_way_to_target_only_where_their_intervals_are_apart(eng):
    """No-signal data: "come 100% of the way to target on clear definition but 98% on skills and behaviours"."""
    index = pd.DataFrame({"level": [3], "level_name": ["Defined"], "mean": [3.2], "n": [300], "ci_low": [3.1],
                          "ci_high": [3.3]})

    def maturity(behind_mean, half):
        return pd.DataFrame({"label": ["Clear definition", "Skills and behaviours"], "mean": [4.1, behind_mean],
                             "ci_low": [4.0, behind_mean - half], "ci_high": [4.2, behind_mean + half],
                             "target": [4.0, 4.0], "accomplished": [1.0, (behind_mean - 1) / 3],
                             "remaining": [0.0, 1 - (behind_mean - 1) / 3]})

    close = maturity_index_claim(index, maturity(3.95, 0.1), eng)[0]
    assert "but" not in close.text and close.text.endswith(
        "no dimension is clearly further along than another (98% to 100% of the way to target)")
    far = maturity_index_claim(index, maturity(2.5, 0.1), eng)[0]
    assert far.text.endswith("come 100% of the way to target on clear definition but 50% on skills and behaviours")


def test_a_weakest_link_inside_the_noise_is_not_called_one(eng):
    readiness = pd.DataFrame({"readiness": ["know", "care", "can"], "label": ["I know", "I care", "I can"],
                              "n": 30, "mean": [2.72, 2.70, 2.75], "ci_low": [2.5, 2.5, 2.5],
                              "ci_high": [2.9, 2.9, 3.0]})
    claim = weakest_link_claim(readiness, eng)[0]
    assert claim.verdict == "within_noise" and claim.text.startswith("No clear weakest link")


def _key(r2, shares=(0.6, 0.3, 0.1)):
    labels = ["Waiting time", "Billing", "App"]
    return pd.DataFrame({"attribute": ["w", "b", "a"], "label": labels, "owner": "Ops", "share": shares,
                         "share_low": [s - 0.05 for s in shares], "share_high": [s + 0.05 for s in shares],
                         "top2": 0.4, "performance": [3.0, 3.1, 4.5], "r2": r2, "fit": "R²", "n": 500,
                         "outcome_label": "Overall satisfaction", "method": "Shapley", "rank": [1, 2, 3],
                         "direction": 1})


def test_a_top_driver_whose_higher_ratings_go_with_a_lower_outcome_is_said_so_not_said_to_drive(eng):
    """By the sign found: a touchpoint with a negative coefficient (the others held equal) explains variance, but
    "drives" and its top-box share would read as a lever to pull."""
    plus, minus = (top_driver_claim(_key(0.5).assign(direction=d), eng)[0] for d in (1, -1))
    assert plus.text.startswith("Waiting time drives 60% of the explained variance") and "top two" in plus.text
    assert minus.text == ("Waiting time accounts for 60% of the explained variance in overall satisfaction (95% "
                          "interval 55% to 65%), more than any other touchpoint; with the other touchpoints held "
                          "equal, higher ratings of it go with lower overall satisfaction")
    assert minus.verdict == plus.verdict == "supported"


def test_the_what_if_states_the_change_in_the_share_truly_impressed_not_the_models_own_levels(eng):
    """The model's customers (who rated every touchpoint) gave 15% truly impressed where the loyalty slide, on
    every customer, said 14%: the title now says the modelled change, which both bases share."""
    scenarios = pd.DataFrame({"attribute": ["w"], "label": ["Waiting time"], "raise_by": [0.5],
                              "outcome_label": ["Overall satisfaction"], "outcome_change": [0.13],
                              "impressed_now": [0.15], "impressed_after": [0.162], "impressed_change": [0.012],
                              "n": [400]})
    (claim,) = what_if_claim(scenarios, _key(0.5), eng)
    assert claim.text == ("Raising waiting time by 0.5 points would lift the average overall satisfaction by 0.13 "
                          "and the share truly impressed by 1.2 percentage points (modelled association, not a "
                          "guarantee)")
    assert "15%" not in claim.text and claim.facts["impressed_now"] == 0.15   # the levels stay in the evidence


def test_a_moment_of_truth_is_named_only_when_its_importance_clearly_clears_the_line(eng):
    """Star Wars: Darth Vader was a moment of truth "to fix first" at 7.4% against a line at 7.1%, with an interval
    of 1.2% to 17%; the fix-first rule fired on it."""
    from cxkit.analysis.drivers import moments_of_truth

    key = _key(0.5, shares=(0.45, 0.40, 0.15)).assign(share_low=[0.40, 0.20, 0.10], share_high=[0.5, 0.6, 0.2])
    quadrants = moments_of_truth(key)
    assert quadrants["quadrant"].tolist()[:2] == ["fix_first", "fix_first"]
    assert quadrants["clearly_important"].tolist() == [True, False, False]
    claims = moments_of_truth_claims(quadrants, key, eng)
    each = {c.subject: c for c in claims if c.kind == "moment_of_truth"}
    assert each["w"].supported and each["b"].verdict == "within_noise" and "reaches below" in each["b"].reason
    (lead,) = [c for c in claims if c.lead]
    assert lead.supported and lead.text.startswith("Moments of truth to fix first: waiting time (")
    rule = parse_rules({"rules": [{"id": "fix", "claim": "moment_of_truth", "headline": "Fix {label}",
                                   "action": "Fix it", "component": "c", "horizon": "90 days", "priority": 0.5}]})[0]
    assert [a.headline for a in fire(rule, claims)] == ["Fix Waiting time"]


def test_a_model_that_explains_little_names_no_driver_and_fires_no_rule(eng):
    key = _key(0.002)
    quadrants = key.assign(quadrant=["fix_first", "fix_first", "over_served"])
    claims = top_driver_claim(key, eng) + moments_of_truth_claims(quadrants, key, eng)
    assert all(c.verdict == "within_noise" for c in claims)
    assert next(c for c in claims if c.kind == "top_driver").text.startswith("No touchpoint can be named")
    rule = parse_rules({"rules": [{"id": "fix", "claim": "moment_of_truth", "headline": "Fix {label}",
                                   "action": "Fix it", "component": "c", "horizon": "90 days", "priority": 0.5}]})[0]
    assert fire(rule, claims) == []
    supported = moments_of_truth_claims(quadrants, _key(0.5), eng)
    assert len(fire(rule, supported)) == 1     # the same rule fires once the evidence is there (limit 1)


def test_claims_name_at_most_four_touchpoints(eng):
    labels = [f"Touchpoint {k}" for k in range(12)]
    key = pd.DataFrame({"attribute": labels, "label": labels, "owner": None, "share": [1 / 12] * 12,
                        "share_low": 0.05, "share_high": 0.1, "top2": 0.5, "performance": 3.0, "r2": 0.5, "fit": "R²",
                        "n": 400, "outcome_label": "Overall", "method": "Shapley", "rank": range(1, 13),
                        "direction": 1})
    quadrants = key.assign(quadrant="fix_first")
    segments = pd.DataFrame({"segment": np.repeat([1, 2], 12), "attribute": labels * 2, "label": labels * 2,
                             "share": 0.1, "differs": True, "differs_p": [0.001 * k for k in range(12)] * 2,
                             "overall_p": 0.001, "test": "F test", "n": 100})
    found = {c.kind: c.text for c in driver_claims(eng, key, quadrants, None, None, None)
             + segment_drivers_claim(segments, eng) if c.lead}
    assert "touchpoint 0, touchpoint 1, touchpoint 2 and 9 more" in found["moments_of_truth"]
    assert found["segment_drivers"].startswith("Drivers differ by segment for touchpoint 0, touchpoint 1, touchpoint 2 "
                                               "and 9 more")


def test_touchpoints_without_an_owner_never_stand_for_a_department():
    from cxkit.claims.metrics import balance_claims

    balance = pd.DataFrame({"owner": ["No owner", "Finance"], "drivers": ["A; B", "C"], "count": [2, 1],
                            "importance": [0.8, 0.2], "performance": [0.5, 0.4], "vs_all": [0.02, -0.08],
                            "impact": [0.75, 0.25]})
    claims = {c.subject: c for c in balance_claims(balance)}
    assert claims["none"].verdict == "not_testable" and claims["none"].text.startswith("No department owns a and b")
    assert claims["Finance"].lead and claims["Finance"].text.startswith("Finance owns 20%")
    only = balance_claims(balance.iloc[:1])
    assert len(only) == 1 and only[0].lead and only[0].verdict == "not_testable"
    assert executive_summary(only) == []   # never in the summary: it is said on the slide of what the data does not show


def test_a_departments_share_of_importance_takes_the_driver_models_verdict_and_reason(eng):
    """40 respondents: the reason given was "the driver model explains too little" where the model rested on 20."""
    from cxkit.claims.metrics import balance_claims

    balance = pd.DataFrame({"owner": ["Finance"], "drivers": ["Waiting time"], "count": [1], "importance": [0.6],
                            "performance": [0.5], "vs_all": [-0.08], "impact": [0.6]})
    (few,) = balance_claims(balance, top_driver_claim(_key(0.5).assign(n=20), eng)[0])
    assert few.verdict == "not_testable" and "only 20 customers in the model" in few.reason
    assert few.text == ("Finance owns waiting time, but its share of what drives the outcome cannot be read from this "
                        "driver model")   # no share quoted from a model that cannot carry one (it had said 60%)
    (weak,) = balance_claims(balance, top_driver_claim(_key(0.05), eng)[0])
    assert weak.verdict == "within_noise" and "explains little" in weak.reason
    (standing,) = balance_claims(balance, top_driver_claim(_key(0.5), eng)[0])
    assert standing.supported and standing.reason == "sums of the key driver shares by owning department"


def test_yes_no_drivers_are_named_only_where_their_model_explains_enough(eng):
    from cxkit.claims.drivers import yes_no_claim

    key = _key(0.5)
    yes_no = pd.DataFrame({"outcome": ["truly_impressed", "renewed"], "outcome_label": ["Truly impressed", "Renewed"],
                           "attribute": ["w", "b"], "label": ["Waiting time", "Billing"], "share": [0.5, 0.4],
                           "r2": [0.4, 0.05], "fit": "R²_O", "n": 500, "method": "relative weights"})
    (claim,) = yes_no_claim(yes_no, key, eng)
    assert claim.text == ("Waiting time also drives being truly impressed most (50% of what its model explains); the "
                          "model of renewed (pseudo-R² = 0.05) explains too little to name a driver")
    assert "R²_O = 0.05" in claim.reason   # the exact measure stays in the evidence
    (weak,) = yes_no_claim(yes_no.assign(r2=0.05), key, eng)
    assert weak.verdict == "within_noise" and weak.text.startswith("No yes/no outcome's driver can be named: the models")
    # a model on fewer customers than ten per touchpoint names no driver, however well it fits (an overfit one does)
    (few,) = yes_no_claim(yes_no.assign(r2=0.5, n=22), key, eng)
    assert few.verdict == "not_testable" and few.text == (
        f"No yes/no outcome's driver can be named: the models of being truly impressed (22 customers, under "
        f"{max(10, eng.thresholds.min_respondents)}) and renewed (22 customers, under "
        f"{max(10, eng.thresholds.min_respondents)}) rest on too few customers")


def test_a_yes_no_driver_is_said_to_drive_most_only_when_its_interval_clears_the_next(eng):
    """As for the main model: the bank's value-for-money item led its yes/no model at 12% (7% to 19%) with the next
    at 10%, and had been said to drive it "most"."""
    from cxkit.claims.drivers import yes_no_claim

    key = _key(0.5)
    yes_no = pd.DataFrame({"outcome": ["renewed"] * 3, "outcome_label": ["Renewed"] * 3, "attribute": ["v", "w", "b"],
                           "label": ["Value for money", "Waiting time", "Billing"], "share": [0.12, 0.10, 0.05],
                           "share_low": [0.07, 0.036, 0.01], "share_high": [0.19, 0.175, 0.09],
                           "r2": 0.4, "fit": "R²_O", "n": 500, "method": "relative weights"})
    (level,) = yes_no_claim(yes_no, key, eng)
    assert level.text == ("Value for money leads for renewed (12% of what its model explains), but not clearly ahead "
                          "of waiting time (10%, within its interval)")
    (ahead,) = yes_no_claim(yes_no.assign(share_low=[0.105, 0.036, 0.01]), key, eng)
    assert ahead.text == "Value for money drives renewed most (12% of what its model explains)"
    # the main model's top driver "also drives" it only when it clears the next there too
    waiting_first = yes_no.assign(attribute=["w", "v", "b"], label=["Waiting time", "Value for money", "Billing"])
    (also,) = yes_no_claim(waiting_first.assign(share_low=[0.105, 0.036, 0.01]), key, eng)
    assert also.text == "Waiting time also drives renewed most (12% of what its model explains)"
    (level_also,) = yes_no_claim(waiting_first, key, eng)
    assert level_also.text == ("Waiting time leads for renewed (12% of what its model explains), but not clearly "
                               "ahead of value for money (10%, within its interval)")


def test_a_dimension_whose_statements_do_not_hang_together_is_not_read_as_one_score(eng):
    maturity = pd.DataFrame({"dimension": ["clear_definition"], "label": ["Clear definition"], "n": [300],
                             "mean": [2.5], "ci_low": [2.4], "ci_high": [2.6], "favourable": [0.2], "level": [2],
                             "level_name": ["Developing"], "target": [4.0], "gap": [1.5]})
    reliability = pd.DataFrame({"dimension": ["clear_definition"] * 2, "alpha": [0.05, 0.05]})
    (claim,) = maturity_gap_claims(maturity, eng, reliability)
    assert claim.verdict == "not_testable"
    assert claim.text == "Clear definition cannot be read as one score: its statements do not hang together"
    assert "Cronbach's alpha 0.05, under 0.60" in claim.reason
    (almost,) = maturity_gap_claims(maturity, eng, reliability.assign(alpha=0.598))
    assert "alpha 0.598, under 0.600" in almost.reason           # never "0.60 is below 0.60"


def test_a_recommend_question_on_one_to_ten_gets_no_nps_claim_but_says_why(eng):
    from cxkit.claims.customers import nps_claim

    one_to_ten = eng.model_copy(update={"feedback": eng.feedback.model_copy(update={"outcomes": eng.feedback.outcomes
                                .model_copy(update={"recommend": eng.feedback.outcomes.recommend.model_copy(
                                    update={"scale": "sat10"})})})})
    (claim,) = nps_claim(pd.DataFrame(), one_to_ten)
    assert claim.verdict == "not_testable" and claim.text.startswith("No NPS: likelihood to recommend was asked on 1-10")


def test_a_dissatisfier_on_one_respondent_makes_no_claim(eng, feedback):
    from cxkit.analysis.drivers import key_drivers, penalty_reward
    from cxkit.claims.drivers import asymmetry_claims

    fb = feedback.copy()
    fb["installation"] = fb["installation"].clip(lower=3)
    first = fb.index[fb["installation"].notna() & fb["overall_satisfaction"].notna()][0]
    fb.loc[first, ["installation", "overall_satisfaction"]] = [1, 1]
    key = key_drivers(fb, eng).table
    claims = asymmetry_claims(penalty_reward(fb, eng, key), key, eng)
    assert not any(c.subject == "installation" for c in claims)
    assert not any("installation" in c.text.lower() for c in claims if c.lead)


def test_no_asymmetry_is_said_only_as_far_as_it_was_tested(eng, feedback):
    """40 customers: "low and top ratings move the outcome alike" stood on a model of 20, where no touchpoint had
    enough customers in both bands to be tested at all."""
    from cxkit.analysis.drivers import key_drivers, penalty_reward
    from cxkit.claims.drivers import asymmetry_claims

    key = key_drivers(feedback, eng).table
    table = penalty_reward(feedback, eng, key).assign(kind="no_clear_effect")
    (lead,) = [c for c in asymmetry_claims(table, key, eng) if c.lead]
    assert lead.verdict == "within_noise" and lead.text == "No touchpoint clearly only punishes or only rewards"
    untested = table.assign(penalty_p=np.nan)
    (lead,) = [c for c in asymmetry_claims(untested, key, eng) if c.lead]
    assert lead.verdict == "not_testable" and lead.text.startswith("Dissatisfiers and delighters cannot be told apart")


def test_a_scale_without_a_middle_rating_tests_no_asymmetry_and_says_why(eng, feedback):
    from cxkit.analysis.drivers import boxes, key_drivers, penalty_reward
    from cxkit.claims.drivers import asymmetry_claims

    two = eng.model_copy(update={"scales": {**eng.scales, eng.feedback.scale: eng.scales[eng.feedback.scale]
                                            .model_copy(update={"min": 1, "max": 2})}})
    assert boxes(two.scales[two.feedback.scale]) == (1, 2)          # low and top touch: no middle rating
    fb = feedback.copy()
    touchpoints = [a.column for a in eng.feedback.attributes]
    fb[touchpoints] = (fb[touchpoints] >= 4).astype(float).where(fb[touchpoints].notna()) + 1
    key = key_drivers(fb, eng).table
    table = penalty_reward(fb, two, key)
    assert table.empty and "penalty" in table.columns
    (claim,) = asymmetry_claims(table, key, two)
    assert claim.verdict == "not_testable" and "no middle rating" in claim.text
    assert executive_summary([claim]) == []
    assert len(asymmetry_claims(penalty_reward(feedback, eng, key), key, eng)) > 1   # a 1-5 scale is tested


def test_segments_that_differ_only_in_level_are_not_compared_for_drivers(eng):
    from cxkit.claims.customers import real_segments

    segments = pd.DataFrame({"segment": [1, 2], "attribute": ["a", "a"], "label": ["A", "A"], "share": 0.5,
                             "differs": True, "differs_p": 0.001, "overall_p": 0.001, "test": "F test", "n": 300})
    stood = _claim("segments")
    shape, level = pd.DataFrame({"pattern": ["shape"]}), pd.DataFrame({"pattern": ["level"]})
    assert real_segments(stood, shape) and not real_segments(stood, level)
    assert not real_segments(_claim("segments", verdict="within_noise"), shape) and not real_segments(None, shape)
    (compared,) = segment_drivers_claim(segments, eng, real_segments(stood, shape))
    (refused,) = segment_drivers_claim(segments, eng, real_segments(stood, level))
    assert compared.supported and compared.text == "Drivers differ by segment for a"   # the test in the evidence
    assert "Holm" in compared.evidence() and "Holm" in compared.reason
    assert refused.verdict == "not_testable" and "do not differ in what customers value" in refused.text
    overall = segment_drivers_claim(segments.assign(differs=False, differs_p=0.2), eng, True)[0]
    same = segment_drivers_claim(segments.assign(differs=False, differs_p=0.2, overall_p=0.3), eng, True)[0]
    assert overall.text == ("Segments are driven differently overall, but no single touchpoint clearly differs once "
                            "every touchpoint is tested")
    assert same.text == "What drives the outcome is much the same in every segment: no touchpoint clearly differs"


def test_segments_strong_on_the_same_thing_are_told_apart_by_their_full_names(eng):
    from cxkit.claims.customers import segments_claim

    profiles = pd.DataFrame({"name": ["Strong on price, let down by delivery", "Strong on smokes, let down by speeds",
                                      "Strong on smokes, let down by fees"], "share": [0.5, 0.3, 0.2],
                             "n": [500, 300, 200]})
    structure = pd.DataFrame({"stability": [0.9], "silhouette": [0.4], "null_high": [0.2], "structured": [True],
                              "pattern": ["shape"], "shape_range": [1.0], "level_range": [0.2]})
    (claim,) = segments_claim(profiles, structure, eng)
    assert claim.text == ("3 segments of customers want different things: strong on price (50%); strong on smokes, "
                          "let down by speeds (30%); strong on smokes, let down by fees (20%)")


def test_labels_with_commas_stay_whole_in_segment_names_and_a_departments_drivers(eng):
    """Survey questions as labels hold commas: a segment was named "strong on “How would you rate the courtesy"
    (its name cut at the first comma) and "“Strong on “How easy ...?”” (quoted twice); a department's drivers read
    "thinking about the last time ..., “how satisfied ...?”" (one question split in two at its comma)."""
    from cxkit.analysis.metrics import departmental_balance
    from cxkit.claims.customers import segments_claim
    from cxkit.claims.metrics import balance_claims

    courtesy = "How would you rate the courtesy, politeness and respect shown to you?"
    resolved = "Thinking about your last contact, how satisfied were you that it was resolved?"
    profiles = pd.DataFrame({"name": [f"Strong on {in_text(courtesy)}, let down by {in_text(resolved)}",
                                      "Strong on price"], "share": [0.6, 0.4], "n": [600, 400]})
    structure = pd.DataFrame({"stability": [0.9], "silhouette": [0.4], "null_high": [0.2], "structured": [True],
                              "pattern": ["shape"], "shape_range": [1.0], "level_range": [0.2]})
    (claim,) = segments_claim(profiles, structure, eng)
    assert claim.text == (f"2 segments of customers want different things: strong on “{courtesy}” (60%); strong on "
                          "price (40%)")

    key = pd.DataFrame({"attribute": ["a", "b", "c"], "label": [resolved, courtesy, "Billing clarity"],
                        "owner": ["Operations", "Operations", "Finance"], "share": [0.5, 0.3, 0.2],
                        "top2": [0.4, 0.6, 0.5]})
    claims = {c.subject: c for c in balance_claims(departmental_balance(key))}
    assert f"(“{resolved}” and “{courtesy}”)" in claims["Operations"].text


def _steady(inconsistent_outcome, n=(200, 300, 300)):
    return pd.DataFrame({"group": ["consistent", "mixed", "inconsistent"], "kind": "band", "n": list(n),
                         "share": [x / sum(n) for x in n], "outcome": [8.0, 8.0, inconsistent_outcome],
                         "ci_low": [7.8, 7.8, inconsistent_outcome - 0.2],
                         "ci_high": [8.2, 8.2, inconsistent_outcome + 0.2]})


def test_consistency_is_worded_by_the_direction_found_and_needs_a_base_and_a_middle(eng):
    from cxkit.claims.customers import consistency_claim

    (lower,) = consistency_claim(_steady(6.5), eng)
    (higher,) = consistency_claim(_steady(9.5), eng)
    assert lower.supported and "they rate the outcome lower: 6.5 against 8.0 for those with a mixed one" in lower.text
    assert higher.supported and "they rate the outcome higher: 9.5 against 8.0" in higher.text
    # the larger steadier band, named: with more customers consistent than mixed, the consistent ones
    (consistent,) = consistency_claim(_steady(6.5, n=(400, 300, 300)), eng)
    assert "6.5 against 8.0 for those with a consistent one" in consistent.text
    (small,) = consistency_claim(_steady(6.5, n=(5, 10, 300)), eng)
    assert small.verdict == "not_testable" and "fewer than" in small.text
    two = eng.model_copy(update={"scales": {**eng.scales, eng.feedback.scale: eng.scales[eng.feedback.scale]
                                            .model_copy(update={"min": 1, "max": 2})}})
    (binary,) = consistency_claim(_steady(6.5), two)
    assert binary.verdict == "not_testable" and binary.text.startswith("Consistency across touchpoints cannot be read")


def _pattern(one_poor_outcome, n=(40, 40), half=0.3):
    bands = _steady(7.0)
    pattern = pd.DataFrame({"group": ["all_good", "one_poor"], "kind": "pattern", "n": list(n),
                            "share": [x / 800 for x in n], "outcome": [8.5, one_poor_outcome],
                            "ci_low": [8.5 - half, one_poor_outcome - half],
                            "ci_high": [8.5 + half, one_poor_outcome + half]})
    return pd.concat([bands, pattern], ignore_index=True)


def test_one_poor_touchpoint_among_good_ones_is_worded_by_the_direction_found(eng):
    """The demo's second consistency chart showed one poor among good (8.7) above all good (7.1) with no sentence;
    now the chart has its claim, in the direction the data show, or within noise, or not judged."""
    from cxkit.claims.customers import consistency_pattern_claim, customer_claims

    (lower,) = consistency_pattern_claim(_pattern(6.9), eng)
    assert lower.supported and lower.lead and lower.text == (
        "Customers with one poor touchpoint among good ones rate the outcome lower: 6.9 against 8.5 for those with "
        "every touchpoint good")
    assert lower.effect == pytest.approx(-1.6) and lower.test == "95% t intervals (non-overlap)"
    (higher,) = consistency_pattern_claim(_pattern(9.6), eng)
    assert higher.supported and "rate the outcome higher: 9.6 against 8.5" in higher.text
    (close,) = consistency_pattern_claim(_pattern(8.2), eng)
    assert close.verdict == "within_noise" and "about as high as those with every touchpoint good" in close.text
    (small,) = consistency_pattern_claim(_pattern(6.9, n=(40, 5)), eng)
    assert small.verdict == "not_testable" and "fewer than" in small.text and small.materiality == 0
    assert consistency_pattern_claim(_steady(6.5), eng) == []     # no pattern groups, nothing said
    kinds = [c.kind for c in customer_claims(eng, None, None, None, _pattern(6.9), None, None, None, None)]
    assert "consistency_pattern" in kinds


def test_a_wave_change_is_claimed_only_after_holm_across_the_metrics_and_on_enough_answers(eng):
    """The claim reads the analysis's verdict (``real_change``, :func:`cxkit.analysis.metrics._real_changes`), as the
    deck's table of every metric does: on no-signal data that table had called a change real (p = 0.044) under a
    claim that nothing moved."""
    from cxkit.analysis.metrics import _real_changes
    from cxkit.claims.metrics import wave_claims

    def trend(p_values, n):
        rows = []
        for k, p in enumerate(p_values):
            rows += [{"wave": "Q1", "metric": f"M{k}: top-2-box", "unit": "share", "value": 0.5, "change": 0.0,
                      "change_p": 1.0, "significant": False, "n": n},
                     {"wave": "Q2", "metric": f"M{k}: top-2-box", "unit": "share", "value": 0.65, "change": 0.15,
                      "change_p": p, "significant": p < 0.05, "n": n}]
        return _real_changes(pd.DataFrame(rows), eng)

    nine = [0.02] + [0.5] * 8   # one p under 0.05 among nine: 0.18 after Holm
    (claim,) = wave_claims(trend(nine, 500), eng)
    assert claim.verdict == "within_noise" and not trend(nine, 500)["real_change"].any()
    (claim,) = wave_claims(trend([0.001] + [0.5] * 8, 500), eng)
    assert claim.supported and "(a real change, every metric tested)" in claim.text and claim.p == pytest.approx(0.009)
    assert "Holm" not in claim.text and "p = 0.009" in claim.facts["p"]   # the test in the evidence, not the title
    (claim,) = wave_claims(trend([0.001] + [0.5] * 8, max(eng.thresholds.min_respondents - 1, 1)), eng)
    assert claim.verdict == "within_noise"   # too few answers a wave


def test_counted_sentences_agree_with_their_count():
    """"1 of 9 metrics has", "the one scorecard metric", never "1 ... have" or "every one of the 1"."""
    from cxkit.claims.metrics import scorecard_claims

    def card(owners):
        return pd.DataFrame({"metric": [f"Metric {i}" for i in range(len(owners))], "owner": owners,
                             "owner_missing": [o is None for o in owners], "cadence_supported": True,
                             "cadence": "quarterly", "needed_per_period": 100, "available_per_period": 500,
                             "layer": "driver", "baseline": 3.0, "target": 3.5, "unit": "mean", "n": 400,
                             "target_rule": "uplift"})

    def text(owners):
        return next(c.text for c in scorecard_claims(card(owners)) if c.kind == "unowned_metrics")

    assert text(["Ops", None, "Sales"]) == "1 of 3 scorecard metrics has no owning department (Metric 1)"
    assert text([None, None, "Sales"]).startswith("2 of 3 scorecard metrics have no owning department")
    assert text(["Ops"]) == "The one scorecard metric has an owning department"
    assert text(["Ops", "Sales"]) == "Every one of the 2 scorecard metrics has an owning department"


def test_furthest_short_of_expectations_only_when_the_interval_clears_the_next(eng):
    """40 respondents: the title said "falls furthest short" of a touchpoint whose interval held the next one's gap."""
    from cxkit.claims.customers import expectations_claim

    gaps = pd.DataFrame({"label": ["Billing clarity", "Waiting time", "Staff courtesy"], "gap": [-0.8, -0.6, 0.1],
                         "ci_low": [-1.2, -1.0, -0.2], "ci_high": [-0.4, -0.2, 0.4], "exceeds": [0.12, 0.2, 0.4],
                         "n": 40})
    (claim,) = expectations_claim(gaps, eng)
    assert claim.text == ("Billing clarity falls short by the most (-0.8 points; only 12% find it better than expected), "
                          "not clearly more than waiting time (-0.6)")
    (clear,) = expectations_claim(gaps.assign(ci_high=[-0.65, -0.2, 0.4]), eng)
    assert clear.text == "Billing clarity falls furthest short (-0.8 points; only 12% find it better than expected)"
    (alone,) = expectations_claim(gaps.iloc[[0]], eng)
    assert alone.text.startswith("Billing clarity falls furthest short")


def test_one_comment_is_counted_in_the_singular():
    """A 40-respondent survey had "1 comments read"."""
    from cxkit.claims.comments import read_claim

    assert read_claim(1, 1, 10, 0)[0].text == "1 comment read, coded to the 10 themes of the codeframe"
    assert read_claim(1, 0, 10, 1)[0].text == ("1 comment read, not coded to the 10 themes of the codeframe; 1 further "
                                               "topic found and offered as a codeframe entry")
    assert read_claim(2, 1, 10, 2)[0].text == ("2 comments read, 50% of them coded to the 10 themes of the codeframe; 2 "
                                               "further topics found and offered as codeframe entries")


def test_a_segment_holds_value_at_stake_as_a_finding_only_when_more_of_it_is_at_risk(eng):
    """No-signal data: the largest segment held 49% of the value at stake because it held 48% of all value, and the
    deck's first action was a retention play for it. Its part is a finding only when more of its customers are at
    risk than in the other segments (two-proportion z test, Holm-adjusted)."""
    from scipy.stats import norm

    from cxkit.analysis.customers import _at_risk_against_the_rest
    from cxkit.claims.customers import value_at_stake_claims

    def tested(stake):   # the table as the customers stage saves it, with its test against the rest
        return stake.assign(**dict(zip(("share_at_risk", "rest_share_at_risk", "p_vs_rest"),
                                       _at_risk_against_the_rest(stake))))

    profiles = pd.DataFrame({"segment": [1, 2, 3], "name": ["Strong on price", "Strong on app", "Strong on staff"]})
    sized = pd.DataFrame({"segment": [1, 2, 3], "customers": [400, 300, 300], "at_risk_customers": [204, 147, 144],
                          "at_risk_share": [0.51, 0.49, 0.48], "value": [480.0, 260.0, 260.0],
                          "value_at_stake": [245.0, 127.0, 125.0]})
    claims = value_at_stake_claims(tested(sized), profiles, True, eng=eng)
    lead = next(c for c in claims if c.lead)
    assert lead.subject == "1" and lead.verdict == "within_noise" and "follows its size" in lead.reason
    assert lead.text.endswith("51% of its customers are indifferent or unhappy, against 49% in the others")
    assert not any(c.supported for c in claims)
    # the test by hand: 204 of 400 against 291 of 600, pooled
    pooled = 495 / 1000
    z = (204 / 400 - 291 / 600) / np.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 600))
    assert lead.facts["p"] == pytest.approx(min(1.0, 2 * norm.sf(abs(z)) * 3))   # the smallest p of three, Holm
    riskier = sized.assign(at_risk_customers=[280, 120, 110], value_at_stake=[330.0, 100.0, 95.0])
    lead = next(c for c in value_at_stake_claims(tested(riskier), profiles, True, eng=eng) if c.lead)
    assert lead.supported and lead.facts["at_risk_share"] == pytest.approx(0.7)
    from cxkit.claims.recommend import engagement_rules

    (retain,) = [r for r in engagement_rules(eng) if r.id == "retain_segment"]
    assert fire(retain, [lead], {"outcome_owner": "CX lead"})       # a retention play for the riskier segment
    assert not fire(retain, claims, {"outcome_owner": "CX lead"})   # none for one that is only large
    # no-signal data: no segment is named one row after "customers do not fall into real segments"
    unreal = value_at_stake_claims(tested(riskier), profiles, False, eng=eng)
    assert all(c.text == "The value held by indifferent and unhappy customers cannot be placed in segments: the "
                         "segments are not real" and not c.supported for c in unreal)


def test_a_descriptor_claim_quotes_a_question_and_names_the_descriptor_in_lower_case(eng):
    """Star Wars' title began with the raw question and read "... differs by Gender"."""
    from cxkit.claims.customers import descriptor_claim

    outcomes = eng.feedback.outcomes
    asked = outcomes.satisfaction.model_copy(update={"label": "How satisfied are you with us overall?"})
    fb = eng.feedback.model_copy(update={"outcomes": outcomes.model_copy(update={"satisfaction": asked})})
    question = eng.model_copy(update={"feedback": fb})
    table = pd.DataFrame({"descriptor": "Gender", "value": ["Female", "Male"], "outcome": [6.0, 8.0], "n": [300, 300],
                          "small_base": False, "kw_p": 1e-6})
    (claim,) = descriptor_claim(table, question)
    assert claim.supported and claim.text.startswith(
        "“How satisfied are you with us overall?” differs by gender: from 6.0 in Female to 8.0 in Male")
    (same,) = descriptor_claim(table.assign(kw_p=0.5), eng)
    assert same.text == f"{eng.outcome.label} is much the same across gender"
