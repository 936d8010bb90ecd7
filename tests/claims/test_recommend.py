"""Recommendations: the firm's rule file over the claims a real run saved, an engagement's overrides, bad rules,
and the sample's planted truth."""

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from cxkit import ConfigError, load_engagement
from cxkit.claims.recommend import engagement_rules, recommendations, roadmap
from cxkit.claims.rules import load_rules
from cxkit.paths import RunPaths
from cxkit.results.catalogue import CLAIMS, HORIZON
from cxkit.results.store import RunResults


@pytest.fixture(scope="module")
def claims(demo_run):
    return RunResults(RunPaths(demo_run.folder)).claims()


def _with(engagement_copy, **recommendations):
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["recommendations"] = recommendations
    engagement_copy.write_text(yaml.safe_dump(raw))
    return load_engagement(engagement_copy)


def test_every_firm_rule_reads_a_kind_of_claim_the_stages_make(claims):
    rules = load_rules(ROOT / "templates" / "recommendations.yaml")
    made = {c.kind for c in claims}
    for rule in rules:
        assert rule.claim in made, rule.id
        assert rule.fields() <= set(CLAIMS[rule.claim].facts) | {"outcome_owner"}, rule.id


def test_the_planted_worst_moment_of_truth_is_a_top_ranked_action(eng, claims, truth):
    table = recommendations(claims, eng)
    top_driver = truth["feedback"]["top_driver"]
    label = next(a.label for a in eng.feedback.attributes if a.column == top_driver)
    fix = table[(table["rule"] == "fix_moment_of_truth") & (table["headline"] == f"Fix {label.lower()}")]
    assert len(fix) == 1 and fix["rank"].iloc[0] <= 3
    assert fix["claim"].iloc[0] == f"moment_of_truth:{top_driver}"
    assert table["priority"].is_monotonic_decreasing and table["rule"].iloc[-1] == "pilot"
    assert fix["priority_basis"].iloc[0].startswith("share = 0.")
    assert set(table["horizon"]) <= set(HORIZON.labels)


def test_every_action_rests_on_a_supported_claim(eng, claims):
    table = recommendations(claims, eng)
    by_id = {c.id: c for c in claims}
    for row in table[table["rule"] != "pilot"].itertuples():
        assert by_id[row.claim].supported, row.claim


def test_an_engagement_disables_replaces_and_adds_rules(engagement_copy, claims):
    eng = _with(engagement_copy, disable=["close_silo"], rules=[
        {"id": "fix_moment_of_truth", "claim": "moment_of_truth", "limit": 1, "sort": "share",
         "headline": "Fix {label|lower}", "action": "Fix {label|lower}", "evidence": "{share:.0%}",
         "component": "Engagement strategy", "horizon": "Quick win", "priority": {"field": "share"}},
        {"id": "celebrate_driver", "claim": "top_driver", "when": {"field": "share", "op": ">", "value": 0.2},
         "headline": "Keep {label|lower}", "action": "Tell the people behind {label|lower} what it is worth",
         "evidence": "{share:.0%} of explained variance", "component": "Leadership and coaching",
         "horizon": "quick_win", "priority": 0.05}])
    table = recommendations(claims, eng)
    assert "close_silo" not in set(table["rule"])
    assert (table["rule"] == "fix_moment_of_truth").sum() == 1
    assert table.loc[table["rule"] == "fix_moment_of_truth", "horizon"].iloc[0] == "quick_win"
    assert "celebrate_driver" in set(table["rule"])
    assert len(engagement_rules(eng)) == len(load_rules(ROOT / "templates" / "recommendations.yaml")) - 1 + 1


@pytest.mark.parametrize("settings, message", [
    ({"disable": ["no_such_rule"]}, "no rules named"),
    ({"rules": [{"id": "bad", "claim": "maturity_gap", "headline": "{label.__class__}", "action": "a",
                 "component": "c", "horizon": "90 days", "priority": 0.1}]}, "not allowed"),
    ({"rules": [{"id": "bad", "claim": "maturity_gap", "when": {"field": "gap", "op": "~", "value": 1},
                 "headline": "h", "action": "a", "component": "c", "horizon": "90 days", "priority": 0.1}]},
     "unknown operator"),
    ({"rules": [{"id": "bad", "claim": "maturity_gap", "when": {"field": "quadrant", "op": "==", "value": 1},
                 "headline": "h", "action": "a", "component": "c", "horizon": "90 days", "priority": 0.1}]},
     "do not have"),
    ({"rules": [{"id": "bad", "table": "maturity", "headline": "h", "action": "a", "component": "c",
                 "horizon": "90 days", "priority": 0.1}]}, "rules read claims now"),
    ({"rules": [{"id": "bad", "claim": "no_such_claim", "headline": "h", "action": "a", "component": "c",
                 "horizon": "90 days", "priority": 0.1}]}, "not a kind of claim"),
])
def test_bad_engagement_rules_are_config_errors(engagement_copy, settings, message):
    with pytest.raises(ConfigError, match=message):
        eng = _with(engagement_copy, **settings)
        engagement_rules(eng)


def test_the_actions_counted_are_those_the_evidence_called_for_not_the_pilot_step(eng, claims):
    """The bank's deck said "6 actions follow from the evidence" of five fired rules and the method's pilot step."""
    from cxkit.claims.recommend import actions_claim

    actions = recommendations(claims, eng)
    fired = int((actions["rule"] != "pilot").sum())
    assert fired >= 2 and actions.iloc[-1]["rule"] == "pilot"
    (claim,) = actions_claim(actions, claims)
    assert claim.text == f"{fired} actions follow from the evidence, the most material first, then a pilot before " \
                         "the roll-out" and claim.facts["count"] == fired
    (one,) = actions_claim(pd.concat([actions.iloc[:1], actions.iloc[-1:]]), claims)
    assert one.text == "1 action follows from the evidence, then a pilot before the roll-out"


def test_roadmap_phases_pilot_before_roll_out(eng, claims):
    actions = recommendations(claims, eng)
    phases = roadmap(actions)
    assert phases["phase"].tolist() == sorted(phases["phase"])              # quick wins, pilot, roll out
    assert phases["count"].sum() == len(actions)
    assert "#1 " in " ".join(phases["actions"])
    # the pilot step sits in the pilot phase, so a roll-out of "what the pilot proved" always follows a pilot
    pilot = phases[phases["phase"].str.endswith("Pilot")]
    assert len(pilot) == 1 and pilot.iloc[0]["actions"].endswith("Pilot, then roll out")
    # the phases are numbered among those that have actions: no "1" then "3" when nothing is piloted at 90 days
    without_pilot = roadmap(actions[actions["horizon"] != "days_90"])
    assert [p.split(". ")[0] for p in without_pilot["phase"]] == [str(i) for i in range(1, len(without_pilot) + 1)]
    assert without_pilot["phase"].iloc[-1] == f"{len(without_pilot)}. Roll out"


def test_measurement_and_department_rules_fire_on_the_sample(eng, claims, demo_run):
    import pandas as pd

    table = recommendations(claims, eng).set_index("rule")
    card = pd.read_csv(demo_run.folder / "results" / "scorecard.csv")
    short = card.loc[~card["cadence_supported"], "metric"]
    assert len(short) and all(metric in table.loc["fund_the_measurement", "evidence"] for metric in short)
    assert table.loc["balance_department", "owner"] == "Operations"


def test_targets_by_rule_on_constructed_cases():
    from cxkit.analysis.metrics import _target

    assert _target(0.40, 0.46, "region North", 0.05, 1.0) == (0.46, "best_group",
                                                             "the best group already achieves it (region North)")
    assert _target(0.40, 0.405, "region North", 0.05, 1.0)[1] == "uplift"   # under a point: uplift
    assert _target(0.98, None, "", 0.05, 1.0)[0] == 1.0                       # capped at the top
    assert _target(6.2, 6.8, "channel Phone", 0.5, 10.0)[0] == 6.8
    assert _target(6.2, 6.25, "channel Phone", 0.5, 10.0) == (6.7, "uplift", "baseline plus the configured uplift (0.5)")
    assert _target(3.0, 3.5, "department Sales", 0.5, 5.0, kind="department")[1] == "best_department"
