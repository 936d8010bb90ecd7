"""Recommendation rules as data: conditions over a run's claims, parsed and checked, never executed.

A rule names a kind of claim (:data:`cxkit.results.catalogue.CLAIMS`), a
condition on a claim's facts, and the action to recommend for each supported
claim that meets it, with text templates filled from the facts. A claim whose
verdict is not ``supported`` never fires a rule: no recommendation follows from
evidence that is not there. Conditions are a small declarative form::

    {field: gap, op: ">=", value: 0.5}
    {all: [condition, ...]}    {any: [condition, ...]}    {not: condition}

Operators: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``,
``startswith``, ``contains``. Templates hold ``{field}``, ``{field:spec}``
(a number format such as ``.0%`` or ``.1f``) and ``{field|lower}`` and nothing
else: no attribute access, no indexing, no expressions. Everything read from a
file is checked here, and every problem is reported at once with its place
("rules[3].when.all[1]: ..."), including fields the claim kind does not
declare; nothing in a rule file is ever passed to ``eval``, ``exec`` or
``str.format``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..results.catalogue import CLAIMS, HORIZON
from ..results.claim import Claim
from ..results.text import MAX_TEXT, Template, template

MAX_DEPTH = 8          # nesting of all / any / not
MAX_NODES = 2_000      # condition nodes in one file (a guard against alias bombs, too)
MAX_RULES = 200
CONTEXT_FIELDS = ("outcome_owner",)   # every claim's facts also carry these, from the engagement

OPERATORS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "startswith": lambda a, b: isinstance(a, str) and a.startswith(b),
    "contains": lambda a, b: isinstance(a, str) and b in a,
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_RULE_KEYS = {"id", "claim", "when", "limit", "sort", "descending", "headline", "action", "evidence", "component",
              "owner", "horizon", "priority", "enabled"}
_SCALAR = (str, int, float, bool)


class RuleError(ValueError):
    """A rule file breaks the rule grammar; ``problems`` lists every problem with its place."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


# ------------------------------------------------------------------ the parsed forms

@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any

    def holds(self, row: dict) -> bool:
        if self.field not in row:
            raise KeyError(self.field)
        got = row[self.field]
        if got is None or (isinstance(got, float) and math.isnan(got)):
            return False      # a missing value meets no condition
        try:
            return bool(OPERATORS[self.op](got, self.value))
        except TypeError:     # e.g. a number compared with text: the row does not match
            return False

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class Combine:
    kind: str                       # "all", "any" or "not"
    parts: tuple

    def holds(self, row: dict) -> bool:
        if self.kind == "all":
            return all(p.holds(row) for p in self.parts)
        if self.kind == "any":
            return any(p.holds(row) for p in self.parts)
        return not self.parts[0].holds(row)

    def fields(self) -> set[str]:
        return set().union(*(p.fields() for p in self.parts))


@dataclass(frozen=True)
class Rule:
    """One recommendation rule (see the module docstring); ``priority`` is a field of the row times ``scale``."""

    id: str
    claim: str
    when: Compare | Combine | None
    headline: Template
    action: Template
    evidence: Template
    component: Template
    owner: Template
    horizon: str
    priority_field: str | None
    priority_scale: float
    priority_value: float
    limit: int
    sort: str | None
    descending: bool

    def fields(self) -> set[str]:
        used = set() if self.when is None else self.when.fields()
        for text in (self.headline, self.action, self.evidence, self.component, self.owner):
            used |= set(text.fields)
        return used | ({self.priority_field} if self.priority_field else set()) | ({self.sort} if self.sort else set())


# ------------------------------------------------------------------ parsing

class _Parser:
    def __init__(self):
        self.problems: list[str] = []
        self.nodes = 0

    def fail(self, where: str, message: str):
        self.problems.append(f"{where}: {message}")

    def condition(self, node, where: str, depth: int = 0):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.fail(where, f"more than {MAX_NODES} conditions in one file")
            return None
        if depth > MAX_DEPTH:
            self.fail(where, f"conditions nest deeper than {MAX_DEPTH} levels")
            return None
        if not isinstance(node, dict):
            self.fail(where, f"a condition is a mapping ({{field, op, value}} or all / any / not), not {_kind(node)}")
            return None
        keys = set(node)
        for kind in ("all", "any"):
            if keys == {kind}:
                items = node[kind]
                if not isinstance(items, list) or not items:
                    self.fail(f"{where}.{kind}", "expected a non-empty list of conditions")
                    return None
                parts = [self.condition(item, f"{where}.{kind}[{i}]", depth + 1) for i, item in enumerate(items)]
                return None if any(p is None for p in parts) else Combine(kind, tuple(parts))
        if keys == {"not"}:
            part = self.condition(node["not"], f"{where}.not", depth + 1)
            return None if part is None else Combine("not", (part,))
        if keys != {"field", "op", "value"}:
            extra = sorted(map(str, keys - {"field", "op", "value"}))
            missing = sorted({"field", "op", "value"} - keys)
            detail = (f"unknown keys {extra}" if extra else "") + ("; " if extra and missing else "") + (
                f"missing {missing}" if missing else "")
            self.fail(where, f"a condition is {{field, op, value}} or a single all / any / not ({detail})")
            return None
        field, op, value = node["field"], node["op"], node["value"]
        ok = True
        if not isinstance(field, str) or not _NAME.match(field):
            self.fail(f"{where}.field", f"{field!r} is not a column name (lower-case letters, digits, _)")
            ok = False
        if not isinstance(op, str) or op not in OPERATORS:
            self.fail(f"{where}.op", f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
            ok = False
        if not self.value(value, f"{where}.value", op):
            ok = False
        return Compare(field, op, tuple(value) if isinstance(value, list) else value) if ok else None

    def value(self, value, where: str, op) -> bool:
        if op in ("in", "not in"):
            if not isinstance(value, list) or not value or not all(isinstance(v, _SCALAR) for v in value):
                self.fail(where, f"'{op}' needs a non-empty list of numbers or texts")
                return False
            return all(self.value(v, where, None) for v in value)
        if not isinstance(value, _SCALAR):
            self.fail(where, f"expected a number or a text, not {_kind(value)}")
            return False
        if isinstance(value, str) and len(value) > MAX_TEXT:
            self.fail(where, f"text longer than {MAX_TEXT} characters")
            return False
        if op in ("startswith", "contains") and not isinstance(value, str):
            self.fail(where, f"'{op}' needs a text")
            return False
        if op in ("<", "<=", ">", ">=") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.fail(where, f"'{op}' needs a number")
            return False
        return True

    def template(self, text, where: str, required: bool = True) -> Template | None:
        if text is None and not required:
            return Template("", ())
        try:
            return template(text)
        except ValueError as exc:
            self.fail(where, str(exc))
            return None

    def rule(self, raw, where: str) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(where, f"a rule is a mapping, not {_kind(raw)}")
            return None
        before = len(self.problems)
        unknown = sorted(map(str, set(raw) - _RULE_KEYS - ({"table"} if "claim" not in raw else set())))
        if unknown:
            self.fail(where, f"unknown keys {unknown}; a rule has {', '.join(sorted(_RULE_KEYS))}")
        rule_id, kind = raw.get("id"), raw.get("claim")
        if not isinstance(rule_id, str) or not _NAME.match(rule_id):
            self.fail(f"{where}.id", f"{rule_id!r} is not a rule id (lower-case letters, digits, _)")
        if "table" in raw and "claim" not in raw:
            self.fail(f"{where}.table", "rules read claims now, not tables: name the kind of claim with 'claim:' "
                                        f"(one of {', '.join(CLAIMS)})")
        elif not isinstance(kind, str) or kind not in CLAIMS:
            self.fail(f"{where}.claim", f"{kind!r} is not a kind of claim; use one of {', '.join(CLAIMS)}")
        when = None if raw.get("when") is None else self.condition(raw["when"], f"{where}.when")
        texts = {key: self.template(raw.get(key), f"{where}.{key}", required=key not in ("evidence",))
                 for key in ("headline", "action", "evidence", "component")}
        default_owner = "{owner}" if isinstance(kind, str) and kind in CLAIMS and "owner" in CLAIMS[kind].facts \
            else "{outcome_owner}"
        owner = self.template(raw.get("owner", default_owner), f"{where}.owner")
        horizon = raw.get("horizon")
        horizon = next((code for code, label in HORIZON.labels.items() if horizon in (code, label)), horizon)
        if horizon not in HORIZON:
            self.fail(f"{where}.horizon", f"{horizon!r} is not a horizon; use one of "
                                          f"{', '.join(HORIZON.labels.values())}")
        limit = raw.get("limit", 1)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            self.fail(f"{where}.limit", "expected a whole number from 1 to 50")
        sort, descending = raw.get("sort"), raw.get("descending", True)
        if sort is not None and (not isinstance(sort, str) or not _NAME.match(sort)):
            self.fail(f"{where}.sort", f"{sort!r} is not a column name")
        if not isinstance(descending, bool):
            self.fail(f"{where}.descending", "expected true or false")
        priority = self.priority(raw.get("priority"), f"{where}.priority")
        if len(self.problems) > before:
            return None
        rule = Rule(rule_id, kind, when, texts["headline"], texts["action"], texts["evidence"], texts["component"],
                    owner, horizon, *priority, limit, sort, descending)
        unknown = sorted(rule.fields() - set(CLAIMS[kind].facts) - set(CONTEXT_FIELDS))
        if unknown:
            self.fail(where, f"uses {unknown}, which {kind} claims do not have; their fields are "
                             f"{', '.join(CLAIMS[kind].facts + CONTEXT_FIELDS)}")
            return None
        return rule

    def priority(self, raw, where: str) -> tuple[str | None, float, float]:
        """``priority: 0.2`` (a fixed value) or ``priority: {field: gap, scale: 0.25}`` (the field times scale)."""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw <= 1:
            return None, 1.0, float(raw)
        if isinstance(raw, dict) and set(raw) <= {"field", "scale"} and "field" in raw:
            field, scale = raw["field"], raw.get("scale", 1.0)
            if isinstance(field, str) and _NAME.match(field) and isinstance(scale, (int, float)) \
                    and not isinstance(scale, bool) and math.isfinite(scale) and scale > 0:
                return field, float(scale), 0.0
        self.fail(where, "expected a number from 0 to 1, or {field: <column>, scale: <positive number>}")
        return None, 1.0, 0.0


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value), f"{type(value).__name__}")


def parse_rules(data, source: str = "rules") -> tuple[Rule, ...]:
    """Check a rule file's content (already read with ``yaml.safe_load``) and return its rules.

    Parameters
    ----------
    data : object
        ``{rules: [rule, ...]}``.
    source : str
        The file, for messages.

    Raises
    ------
    RuleError
        Listing every problem with its place and what is allowed.
    """
    parser = _Parser()
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list):
        raise RuleError(source, ["expected a mapping with one key, 'rules', holding a list of rules"])
    if len(data["rules"]) > MAX_RULES:
        raise RuleError(source, [f"more than {MAX_RULES} rules"])
    rules = [parser.rule(raw, f"rules[{i}]") for i, raw in enumerate(data["rules"])]
    ids = [r.id for r in rules if r is not None]
    for rule_id in sorted({i for i in ids if ids.count(i) > 1}):
        parser.fail("rules", f"rule id {rule_id!r} is used twice")
    if parser.problems:
        raise RuleError(source, parser.problems)
    return tuple(rules)


@dataclass(frozen=True)
class Fired:
    """A rule that fired on one claim: its filled texts, priority and the claim it rests on."""

    rule: str
    headline: str
    action: str
    evidence: str
    component: str
    owner: str
    horizon: str
    priority: float
    claim: str
    source: str


def fire(rule: Rule, claims: list[Claim], context: dict | None = None) -> list[Fired]:
    """The rule's recommendations for the supported claims of its kind that meet its condition.

    ``context`` adds the engagement's fields every claim carries (:data:`CONTEXT_FIELDS`). Claims are taken
    in ``sort`` order of a fact (descending unless ``descending: false``), up to ``limit``.
    """
    context = context or {}
    rows = [(c, {**c.facts, **context}) for c in claims if c.kind == rule.claim and c.supported]
    if rule.sort:
        present = [(c, r) for c, r in rows if _sortable(r.get(rule.sort))]
        absent = [(c, r) for c, r in rows if not _sortable(r.get(rule.sort))]
        rows = sorted(present, key=lambda cr: cr[1][rule.sort], reverse=rule.descending) + absent
    out = []
    for claim, row in rows:
        if rule.when is not None and not rule.when.holds(row):
            continue
        priority = rule.priority_value
        if rule.priority_field:
            value = row.get(rule.priority_field)
            priority = abs(float(value)) * rule.priority_scale if _sortable(value) else 0.0
        owner = rule.owner.fill(row)
        out.append(Fired(rule.id, rule.headline.fill(row), rule.action.fill(row), rule.evidence.fill(row),
                         rule.component.fill(row), owner if owner and owner != "n/a" else "No owner: assign one",
                         rule.horizon, min(priority, 1.0), claim.id, claim.sources))
        if len(out) == rule.limit:
            break
    return out


def _sortable(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_rules(path) -> tuple[Rule, ...]:
    """Read and check a rule file (YAML, safe loading only: no tags that build Python objects).

    Raises
    ------
    RuleError
        The file cannot be read as YAML (with the line), or breaks the rule grammar.
    """
    import yaml

    from ..inputs.config import load_yaml

    path = Path(path)
    if not path.is_file():
        raise RuleError(str(path), [f"{'is a folder' if path.is_dir() else 'not found'}: recommendations.file names "
                                    "a rule file (YAML), relative to the engagement or to the kit's templates/"])
    text = path.read_text(encoding="utf-8")
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise RuleError(str(path), [f"{where}: not valid YAML for a rule file ({getattr(exc, 'problem', exc)})"]) from None
    return parse_rules(data, str(path))
