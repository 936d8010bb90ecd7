"""Recommendation rules as data: conditions over a run's results, parsed and checked, never executed.

A rule names a results table, a condition on its rows, and the action to
recommend for each row that meets it, with text templates filled from the row.
Conditions are a small declarative form::

    {field: gap, op: ">=", value: 0.5}
    {all: [condition, ...]}    {any: [condition, ...]}    {not: condition}

Operators: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``,
``startswith``, ``contains``. Templates hold ``{field}``, ``{field:spec}``
(a number format such as ``.0%`` or ``.1f``) and ``{field|lower}`` and nothing
else: no attribute access, no indexing, no expressions. Everything read from a
file is checked here, and every problem is reported at once with its place
("rules[3].when.all[1]: ..."); nothing in a rule file is ever passed to
``eval``, ``exec`` or ``str.format``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

MAX_DEPTH = 8          # nesting of all / any / not
MAX_NODES = 2_000      # condition nodes in one file (a guard against alias bombs, too)
MAX_RULES = 200
MAX_TEXT = 600         # characters in one template or value
HORIZONS = ("Quick win", "90 days", "12 months")

OPERATORS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "startswith": lambda a, b: isinstance(a, str) and a.startswith(b),
    "contains": lambda a, b: isinstance(a, str) and b in a,
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD = re.compile(r"^(?P<name>[a-z_][a-z0-9_]{0,63})(?::(?P<spec>[^{}|]*))?(?:\|(?P<filter>lower|upper))?$")
_SPEC = re.compile(r"^[+\- ]?,?(?:\.\d{1,2})?[fe%d]?$")   # number formats only: sign, thousands, precision, type
_RULE_KEYS = {"id", "table", "when", "limit", "sort", "descending", "headline", "action", "evidence", "component",
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
class Template:
    """Text with ``{field}`` placeholders, checked when parsed and filled from a row."""

    text: str
    fields: tuple[str, ...]

    def fill(self, row: dict) -> str:
        def one(match: re.Match) -> str:
            parts = _FIELD.match(match.group(1).strip())
            value = row.get(parts["name"])
            if value is None or (isinstance(value, float) and math.isnan(value)):
                text = "n/a"
            elif parts["spec"] and isinstance(value, (int, float)) and not isinstance(value, bool):
                text = format(value, parts["spec"])
            else:
                text = str(value)
            if parts["filter"] == "lower":
                text = text.lower()
            elif parts["filter"] == "upper":
                text = text.upper()
            return text
        return _PLACEHOLDER.sub(one, self.text)


@dataclass(frozen=True)
class Rule:
    """One recommendation rule (see the module docstring); ``priority`` is a field of the row times ``scale``."""

    id: str
    table: str
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
        for template in (self.headline, self.action, self.evidence, self.component, self.owner):
            used |= set(template.fields)
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
        if not isinstance(text, str) or not text.strip():
            self.fail(where, f"expected text, not {_kind(text)}")
            return None
        if len(text) > MAX_TEXT:
            self.fail(where, f"text longer than {MAX_TEXT} characters")
            return None
        if text.count("{") != text.count("}") or _PLACEHOLDER.sub("", text).count("{") or _PLACEHOLDER.sub(
                "", text).count("}"):
            self.fail(where, "unbalanced braces; placeholders are {field}, {field:.0%} or {field|lower}")
            return None
        fields = []
        for inner in _PLACEHOLDER.findall(text):
            parts = _FIELD.match(inner.strip())
            if parts is None or (parts["spec"] and not _SPEC.match(parts["spec"])):
                self.fail(where, f"placeholder {{{inner}}} is not allowed; use {{field}}, {{field:.0%}}, "
                                 "{field:.1f} or {field|lower}")
                return None
            fields.append(parts["name"])
        return Template(text, tuple(fields))

    def rule(self, raw, where: str) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(where, f"a rule is a mapping, not {_kind(raw)}")
            return None
        before = len(self.problems)
        unknown = sorted(map(str, set(raw) - _RULE_KEYS))
        if unknown:
            self.fail(where, f"unknown keys {unknown}; a rule has {', '.join(sorted(_RULE_KEYS))}")
        rule_id, table = raw.get("id"), raw.get("table")
        if not isinstance(rule_id, str) or not _NAME.match(rule_id):
            self.fail(f"{where}.id", f"{rule_id!r} is not a rule id (lower-case letters, digits, _)")
        if not isinstance(table, str) or not _NAME.match(table):
            self.fail(f"{where}.table", f"{table!r} is not a results table name")
        when = None if raw.get("when") is None else self.condition(raw["when"], f"{where}.when")
        texts = {key: self.template(raw.get(key), f"{where}.{key}", required=key not in ("evidence",))
                 for key in ("headline", "action", "evidence", "component")}
        owner = self.template(raw.get("owner", "{owner}"), f"{where}.owner")
        horizon = raw.get("horizon")
        if horizon not in HORIZONS:
            self.fail(f"{where}.horizon", f"{horizon!r} is not a horizon; use one of {', '.join(HORIZONS)}")
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
        return Rule(rule_id, table, when, texts["headline"], texts["action"], texts["evidence"], texts["component"],
                    owner, horizon, *priority, limit, sort, descending)

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
    """A rule that fired on one row: its filled texts and priority."""

    rule: str
    headline: str
    action: str
    evidence: str
    component: str
    owner: str
    horizon: str
    priority: float
    source: str


def fire(rule: Rule, table: pd.DataFrame | None) -> list[Fired]:
    """The rule's recommendations for the rows of its table that meet its condition (none if the table is absent).

    Raises
    ------
    RuleError
        When the rule names a column the table does not have.
    """
    if table is None or table.empty:
        return []
    missing = sorted(rule.fields() - set(table.columns))
    if missing:
        raise RuleError(f"rule {rule.id}", [f"table {rule.table} has no column {missing}; its columns are "
                                            f"{', '.join(map(str, table.columns))}"])
    rows = table.sort_values(rule.sort, ascending=not rule.descending, kind="stable") if rule.sort else table
    out = []
    for row in rows.to_dict("records"):
        if rule.when is not None and not rule.when.holds(row):
            continue
        priority = rule.priority_value
        if rule.priority_field:
            value = row.get(rule.priority_field)
            priority = 0.0 if value is None or pd.isna(value) else abs(float(value)) * rule.priority_scale
        owner = rule.owner.fill(row)
        out.append(Fired(rule.id, rule.headline.fill(row), rule.action.fill(row), rule.evidence.fill(row),
                         rule.component.fill(row), owner if owner and owner != "n/a" else "No owner: assign one",
                         rule.horizon, min(priority, 1.0), f"results/{rule.table}.csv"))
        if len(out) == rule.limit:
            break
    return out


def load_rules(path) -> tuple[Rule, ...]:
    """Read and check a rule file (YAML, safe loading only: no tags that build Python objects).

    Raises
    ------
    RuleError
        The file cannot be read as YAML (with the line), or breaks the rule grammar.
    """
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise RuleError(str(path), [f"{where}: not valid YAML for a rule file ({getattr(exc, 'problem', exc)})"]) from None
    return parse_rules(data, str(path))
