"""Sentences filled from named values, by a small grammar that is parsed, never executed.

Claims render their sentence from their facts, and recommendation rules their
texts from a claim's facts, with the same grammar: ``{field}``,
``{field:spec}`` (a number format such as ``.0%``, ``.1f`` or ``+.1f``) and
``{field|lower}`` (a label as it reads inside a sentence, names and acronyms kept, :func:`in_text`) /
``{field|upper}``; nothing else, so text read from a file can
never reach attributes, indexing or ``str.format``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

MAX_TEXT = 600   # characters in one template
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD = re.compile(r"^(?P<name>[a-z_][a-z0-9_]{0,63})(?::(?P<spec>[^{}|]*))?(?:\|(?P<filter>lower|upper))?$")
_SPEC = re.compile(r"^[+\- ]?,?(?:\.\d{1,2})?[fe%dg]?$")   # number formats only: sign, thousands, precision, type


@dataclass(frozen=True)
class Template:
    """Text with ``{field}`` placeholders, checked when made (:func:`template`) and filled from a mapping."""

    text: str
    fields: tuple[str, ...]

    def fill(self, values: dict) -> str:
        def one(match: re.Match) -> str:
            parts = _FIELD.match(match.group(1).strip())
            value = values.get(parts["name"])
            if value is None or (isinstance(value, float) and math.isnan(value)):
                text = "n/a"
            elif parts["spec"] and isinstance(value, (int, float)) and not isinstance(value, bool):
                text = number(value, parts["spec"])
            else:
                text = str(value)
            if parts["filter"] == "lower":
                text = in_text(text)
            elif parts["filter"] == "upper":
                text = text.upper()
            return text
        return _PLACEHOLDER.sub(one, self.text)


def number(value: float, spec: str) -> str:
    """A number formatted by ``spec``, without the minus sign of a value that rounds to zero (-0.3 is "0").

    Fixed-point and per-cent formats round a half away from zero, on the number as written (its shortest
    decimal form), as Excel, PowerPoint and LibreOffice round the values they show: 0.125 is "13%" and 0.285
    "29%" in a sentence as on a chart's label, where Python's own format gives "12%" (half to even) and "28%"
    (0.285 is stored a little under it).
    """
    if spec[-1:] in ("f", "%") and isinstance(value, float) and math.isfinite(value):
        with localcontext() as context:
            context.rounding = ROUND_HALF_UP   # the decimal module's "half up" is away from zero
            text = format(Decimal(repr(float(value))), spec)
    else:
        text = format(value, spec)
    return text[1:] if re.fullmatch(r"-0(\.0*)?%?", text) else text


def template(text) -> Template:
    """Check a template's text and return it parsed.

    Raises
    ------
    ValueError
        Not text, too long, unbalanced braces, or a placeholder outside the grammar (the message says which).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected text, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters")
    bare = _PLACEHOLDER.sub("", text)
    if text.count("{") != text.count("}") or "{" in bare or "}" in bare:
        raise ValueError("unbalanced braces; placeholders are {field}, {field:.0%} or {field|lower}")
    fields = []
    for inner in _PLACEHOLDER.findall(text):
        parts = _FIELD.match(inner.strip())
        if parts is None or (parts["spec"] and not _SPEC.match(parts["spec"])):
            raise ValueError(f"placeholder {{{inner}}} is not allowed; use {{field}}, {{field:.0%}}, {{field:.1f}} "
                             "or {field|lower}")
        fields.append(parts["name"])
    return Template(text, tuple(fields))


def in_text(label: str) -> str:
    """A label as it reads inside a sentence: its first letter lowered ("Billing clarity" -> "billing clarity",
    "Favourability of Yoda" -> "favourability of Yoda"), unless it starts with an acronym or a name, which stays
    as written ("NPS score", "C-3PO", "I know", "eBay checkout", "Luke Skywalker": a second word capitalised), or
    is a code ("Val1"); a survey question ("Do you ...?") is quoted as asked.
    """
    text = str(label)
    words = text.split()
    if not words:
        return text
    # a survey question, quoted as asked ("in do you consider yourself ...?"), with any words after; a text that
    # quotes one already ("Strong on “How easy ...?”", a segment's name) is not quoted again around it
    if "?" in text and "“" not in text:
        question, rest = text.split("?", 1)
        return f"“{question.strip()}?”{rest.rstrip()}"
    first = words[0]
    if first == "I" or (len(first) > 1 and not first[1:].islower()) or not first[:1].isupper():
        return text
    if any(c.isdigit() for c in first):   # a code ("Val1", "Q3a"): as the client wrote it
        return text
    if len(words) > 1 and words[1][:1].isupper():
        return text
    return text[:1].lower() + text[1:]


def apart(value: float, other: float, digits: int = 2, most: int = 4) -> tuple[str, str]:
    """Two numbers to as many decimals as it takes to show they differ (never "0.60 is below 0.60")."""
    for places in range(digits, most + 1):
        a, b = f"{value:.{places}f}", f"{other:.{places}f}"
        if a != b or value == other:
            return a, b
    return f"{value:.{most}f}", f"{other:.{most}f}"


def join(names, most: int = 4) -> str:
    """Names in running text: joined with commas and a final "and"; past ``most``, "and N more"."""
    names = [str(n) for n in names]
    if not names:
        return ""
    if len(names) > most:
        return ", ".join(names[:most - 1]) + f" and {len(names) - most + 1} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def sentence(text: str) -> str:
    """The text with its first letter in upper case (the rest as it is)."""
    return text[:1].upper() + text[1:]


def metric_text(kind: str, value, signed: bool = False) -> str:
    """A unit metric's value as the decks write it: shares in per cent (a difference in points), NPS in signed
    points, means to two places; a missing value as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind in ("share", "truly_impressed"):
        return number(value * 100, "+.0f") + " pts" if signed else number(value, ".0%")
    if kind == "nps":
        return number(value, "+.0f")
    return number(value, "+.2f" if signed else ".2f")
