"""Recommendations from the firm's rule file, an engagement's overrides, and the sample's planted truth."""

import pytest
import yaml

from conftest import ROOT
from cxkit import ConfigError, load_engagement
from cxkit.paths import RunPaths
from cxkit.claims.recommend import engagement_rules, evidence_tables, recommendations
from cxkit.results.store import RunResults
from cxkit.claims.rules import load_rules


@pytest.fixture(scope="module")
def results(demo_run):
    return RunResults(RunPaths(demo_run.folder))


def _with(engagement_copy, **recommendations):
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["recommendations"] = recommendations
    engagement_copy.write_text(yaml.safe_dump(raw))
    return load_engagement(engagement_copy)


def test_the_firm_rule_file_parses_and_names_tables_the_evidence_has(eng, results):
    rules = load_rules(ROOT / "templates" / "recommendations.yaml")
    tables = evidence_tables(results, eng)
    assert {r.table for r in rules} <= set(tables)
    for rule in rules:  # every field a rule reads is in its table
        assert rule.fields() <= set(tables[rule.table].columns), rule.id


def test_the_planted_worst_moment_of_truth_is_a_top_ranked_action(eng, results, truth):
    table = recommendations(results, eng)
    top_driver = truth["feedback"]["top_driver"]
    label = next(a.label for a in eng.feedback.attributes if a.column == top_driver)
    fix = table[(table["rule"] == "fix_moment_of_truth") & (table["headline"] == f"Fix {label.lower()}")]
    assert len(fix) == 1 and fix["rank"].iloc[0] <= 3
    assert table["priority"].is_monotonic_decreasing and table["rule"].iloc[-1] == "pilot"
    assert fix["priority_basis"].iloc[0].startswith("share = 0.")
    assert set(table["horizon"]) <= {"Quick win", "90 days", "12 months"}


def test_an_engagement_disables_replaces_and_adds_rules(engagement_copy, results):
    eng = _with(engagement_copy, disable=["close_silo"], rules=[
        {"id": "fix_moment_of_truth", "table": "moments_of_truth",
         "when": {"field": "quadrant", "op": "startswith", "value": "Moment of truth"}, "limit": 1, "sort": "share",
         "headline": "Fix {label|lower}", "action": "Fix {label|lower}", "evidence": "{share:.0%}",
         "component": "Engagement strategy", "horizon": "Quick win", "priority": {"field": "share"}},
        {"id": "celebrate_strength", "table": "moments_of_truth",
         "when": {"field": "quadrant", "op": "==", "value": "Strength: keep"},
         "headline": "Keep {label|lower}", "action": "Tell the people behind {label|lower} what it is worth",
         "evidence": "{share:.0%} of explained variance", "component": "Leadership and coaching",
         "horizon": "Quick win", "priority": 0.05}])
    table = recommendations(results, eng)
    assert "close_silo" not in set(table["rule"])
    assert (table["rule"] == "fix_moment_of_truth").sum() == 1
    assert table.loc[table["rule"] == "fix_moment_of_truth", "horizon"].iloc[0] == "Quick win"
    assert "celebrate_strength" in set(table["rule"])
    assert len(engagement_rules(eng)) == len(load_rules(ROOT / "templates" / "recommendations.yaml")) - 1 + 1


@pytest.mark.parametrize("settings, message", [
    ({"disable": ["no_such_rule"]}, "no rules named"),
    ({"rules": [{"id": "bad", "table": "maturity", "headline": "{label.__class__}", "action": "a",
                 "component": "c", "horizon": "90 days", "priority": 0.1}]}, "not allowed"),
    ({"rules": [{"id": "bad", "table": "maturity", "when": {"field": "gap", "op": "~", "value": 1},
                 "headline": "h", "action": "a", "component": "c", "horizon": "90 days", "priority": 0.1}]},
     "unknown operator"),
])
def test_bad_engagement_rules_are_config_errors(engagement_copy, settings, message):
    with pytest.raises(ConfigError, match=message):
        eng = _with(engagement_copy, **settings)
        engagement_rules(eng)


def test_roadmap_phases_pilot_before_roll_out(eng, results):
    from cxkit.claims.recommend import roadmap

    actions = recommendations(results, eng)
    phases = roadmap(actions)
    assert phases["phase"].tolist() == sorted(phases["phase"])              # quick wins, pilot, roll out
    assert phases["count"].sum() == len(actions)
    assert "#1 " in " ".join(phases["actions"]) and phases.iloc[-1]["actions"].endswith("Pilot, then roll out")


def test_measurement_and_department_rules_fire_on_the_sample(eng, results):
    table = recommendations(results, eng).set_index("rule")
    assert "Renewed contract: share yes" in table.loc["fund_the_measurement", "evidence"]
    assert table.loc["balance_department", "owner"] == "Operations"


def test_targets_by_rule_on_constructed_cases():
    from cxkit.analysis.metrics import _target

    assert _target(0.40, 0.46, "segment 2", 0.05, 1.0) == (0.46, "best segment already achieves it (segment 2)")
    assert _target(0.40, 0.405, "segment 2", 0.05, 1.0)[1].startswith("baseline plus")   # under a point: uplift
    assert _target(0.98, None, "", 0.05, 1.0)[0] == 1.0                                     # capped at the top
    assert _target(6.2, 6.8, "segment 1", 0.5, 10.0)[0] == 6.8
    assert _target(6.2, 6.25, "segment 1", 0.5, 10.0) == (6.7, "baseline plus the configured uplift (0.5)")
