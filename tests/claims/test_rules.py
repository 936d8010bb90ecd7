"""The recommendation rule grammar: parsed and checked, fired on claims, and hostile files rejected."""

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from cxkit.claims.rules import RuleError, fire, load_rules, parse_rules
from cxkit.results.claim import Claim

RULE = {"id": "fix_moment", "claim": "moment_of_truth",
        "when": {"all": [{"field": "performance", "op": "<", "value": 3.5},
                         {"not": {"field": "share", "op": "<", "value": 0.05}}]},
        "sort": "share", "limit": 2,
        "headline": "Fix {label|lower}", "action": "Fix {label|lower} first",
        "evidence": "{share:.0%} of explained variance; mean {performance:.2f}",
        "component": "Engagement strategy", "owner": "{owner}", "horizon": "90 days",
        "priority": {"field": "share", "scale": 1.0}}

ROWS = [("billing", "Billing clarity", 0.14, 2.86, "Finance"), ("ftr", "Resolved first time", 0.39, 3.38, None),
        ("wait", "Wait", 0.2, 4.0, "Ops"), ("tiny", "Tiny", 0.01, 2.0, "Ops")]
CLAIMS = [Claim("moment_of_truth", a, "{label}", {"attribute": a, "label": label, "share": share, "top2": 0.5,
                                                  "performance": performance, "owner": owner}, "supported", "test", share)
          for a, label, share, performance, owner in ROWS]
SHARES = {label: share for _, label, share, _, _ in ROWS}


def _parse(*rules):
    return parse_rules({"rules": list(rules)}, "test.yaml")


def test_a_rule_fires_on_matching_claims_in_order_with_their_numbers():
    (rule,) = _parse(RULE)
    fired = fire(rule, CLAIMS)
    assert [f.headline for f in fired] == ["Fix resolved first time", "Fix billing clarity"]
    assert fired[0].evidence == "39% of explained variance; mean 3.38"
    assert fired[0].owner == "No owner: assign one" and fired[1].owner == "Finance"
    assert [f.priority for f in fired] == [0.39, 0.14] and fired[0].claim == "moment_of_truth:ftr"
    assert fired[0].source == "results/moments_of_truth.csv (03_drivers)" and fired[0].horizon == "days_90"


def test_a_claim_its_evidence_does_not_support_never_fires():
    (rule,) = _parse(dict(RULE, when=None))
    noise = [Claim(**{**c.__dict__, "verdict": v}) for c, v in zip(CLAIMS, ["within_noise", "not_testable"] * 2)]
    assert fire(rule, noise) == []


@pytest.mark.parametrize("condition, expected", [
    ({"field": "share", "op": ">=", "value": 0.2}, ["Resolved first time", "Wait"]),
    ({"field": "label", "op": "in", "value": ["Wait", "Tiny"]}, ["Wait", "Tiny"]),
    ({"field": "label", "op": "startswith", "value": "Res"}, ["Resolved first time"]),
    ({"field": "label", "op": "not in", "value": ["Wait", "Tiny"]}, ["Billing clarity", "Resolved first time"]),
    ({"field": "label", "op": "contains", "value": "first"}, ["Resolved first time"]),
    ({"any": [{"field": "share", "op": "<", "value": 0.05}, {"field": "owner", "op": "==", "value": "Finance"}]},
     ["Billing clarity", "Tiny"]),
    # a missing owner meets no comparison, so "not" holds for it
    ({"not": {"field": "owner", "op": "==", "value": "Ops"}}, ["Billing clarity", "Resolved first time"]),
    ({"field": "share", "op": ">", "value": "text"}, None),
])
def test_conditions(condition, expected):
    rule = dict(RULE, when=condition, sort=None, limit=10)
    if expected is None:
        with pytest.raises(RuleError, match="needs a number"):
            _parse(rule)
        return
    assert [f.evidence.split("%")[0] for f in fire(_parse(rule)[0], CLAIMS)] == [
        f"{SHARES[label]:.0%}".rstrip("%") for label in expected]


def test_a_field_the_claim_lacks_is_named_when_the_rule_is_read():
    with pytest.raises(RuleError, match=r"uses \['nonexistent'\], which moment_of_truth claims do not have"):
        _parse(dict(RULE, evidence="{nonexistent} points"))
    (rule,) = _parse(RULE)
    assert fire(rule, []) == []


@pytest.mark.parametrize("change, message", [
    ({"evidence": "{label.__class__}"}, "placeholder .* is not allowed"),
    ({"evidence": "{0}"}, "placeholder .* is not allowed"),
    ({"evidence": "{label!r}"}, "placeholder .* is not allowed"),
    ({"evidence": "{share:>{width}}"}, "unbalanced braces|not allowed"),
    ({"evidence": "{share:%Y}"}, "not allowed"),
    ({"evidence": "{ {"}, "unbalanced braces"),
    ({"horizon": "soon"}, "not a horizon"),
    ({"limit": True}, "whole number"),
    ({"priority": "high"}, "priority"),
    ({"priority": {"field": "share", "scale": -1}}, "priority"),
    ({"when": {"field": "share", "op": "=~", "value": 1}}, "unknown operator"),
    ({"when": {"field": "Share; DROP", "op": "==", "value": 1}}, "not a column name"),
    ({"when": {"field": "share", "op": "==", "value": {"nested": 1}}}, "a number or a text"),
    ({"when": {"all": []}}, "non-empty list"),
    ({"when": {"all": [{"field": "a", "op": "==", "value": 1}], "any": []}}, "unknown keys|single all"),
    ({"when": "share > 0.2"}, "a condition is a mapping"),
    ({"run": "import os"}, "unknown keys \\['run'\\]"),
    ({"id": "Bad Id"}, "not a rule id"),
])
def test_bad_rules_are_rejected_with_their_place(change, message):
    with pytest.raises(RuleError, match=message) as caught:
        _parse(dict(RULE, **change))
    assert str(caught.value).startswith("test.yaml: rules[0]")


def test_every_problem_is_reported_at_once_and_ids_are_unique():
    with pytest.raises(RuleError) as caught:
        _parse(dict(RULE, horizon="soon", limit=0), RULE, RULE)
    text = str(caught.value)
    assert "rules[0].horizon" in text and "rules[0].limit" in text and "used twice" in text


def test_deep_nesting_is_refused():
    condition = {"field": "share", "op": ">", "value": 0}
    for _ in range(40):
        condition = {"not": condition}
    with pytest.raises(RuleError, match="nest deeper"):
        _parse(dict(RULE, when=condition))


def test_an_alias_bomb_is_refused_without_blowing_up(tmp_path):
    lines = ["a0: &a0 {field: share, op: '>', value: 0}"]
    for i in range(1, 25):
        lines.append(f"a{i}: &a{i} {{all: [*a{i - 1}, *a{i - 1}, *a{i - 1}]}}")
    lines.append("rules:\n  - " + yaml.safe_dump(dict(RULE, when=None), default_flow_style=True).strip()
                 .replace("when: null", "when: *a24"))
    data = yaml.safe_load("\n".join(lines))
    data = {"rules": data["rules"]}
    with pytest.raises(RuleError, match="more than 2000 conditions|nest deeper"):
        parse_rules(data, "bomb.yaml")


def test_code_in_a_value_is_only_ever_compared(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    (rule,) = _parse(dict(RULE, when={"field": "label", "op": "==", "value": payload},
                          evidence=payload.replace("(", "[").replace(")", "]")))
    assert fire(rule, CLAIMS) == [] and not marker.exists()


def test_python_tags_in_the_file_are_a_yaml_error_not_an_object(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(RuleError, match="line 2: not valid YAML"):
        load_rules(path)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
_trees = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["field", "op", "value", "all", "any", "not", "id", "claim", "when", "x"]) |
                    st.text(max_size=5), inner, max_size=4)), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_trees, st.fixed_dictionaries({"rules": st.lists(st.one_of(
    _trees, st.builds(lambda w: dict(RULE, when=w), _trees)), max_size=3)})))
def test_any_structure_is_parsed_or_refused_with_a_rule_error(data):
    try:
        rules = parse_rules(data, "fuzz.yaml")
    except RuleError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
        return
    for rule in rules:
        fire(rule, CLAIMS, {"outcome_owner": "Board"})


def test_the_engine_never_executes_or_formats_text_from_files():
    source = (ROOT / "cxkit" / "claims" / "rules.py").read_text()
    assert not re.search(r"(?<!re\.)\b(eval|exec|compile)\(|\.format\(|format_map\(", source)


def test_no_committed_rule_that_fires_more_than_once_calls_each_action_the_first():
    """The bank deck read "Fix val1 first ..." and, next, "Fix val4 first ...": two firsts."""
    rules = load_rules(ROOT / "templates" / "recommendations.yaml")
    repeated = [r.id for r in rules if r.limit > 1 and re.search(r"\bfirst\b", r.action.text, re.IGNORECASE)]
    assert not repeated
    assert any(r.limit > 1 for r in rules)
