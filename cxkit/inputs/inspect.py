"""What a survey file holds, and a starter engagement written from it.

:func:`suggest_columns` gives each column of a read file (:class:`~cxkit.inputs.readers.Export`) a role a
consultant would give it: the respondent ``id``; the outcomes (overall satisfaction, likelihood to
recommend, a yes/no outcome such as renewal); the touchpoint ratings (``attribute``, on one common
scale); ``descriptor`` (a few categories, or a number such as age to be banded); ``comment`` (long free
text); ``date``, ``wave``, ``weight`` and ``value`` (spend or revenue); and the columns that are none of
these, each with why: platform ``meta``data, a ``ranking``, a ``number`` that is no rating (a distance,
delay, duration or count), a ``checkbox`` option, a ``yes_no`` or ``category`` question, other ratings
(``rating``) and ``outcome-like`` measures. Scales are inferred from the values: a 0 seldom given on an
otherwise 1-k item is read as "not applicable" (and said so), a 0 as common as its neighbours as a real
score (0-10); label text (Very favorably ... ) is ordered by its words, never guessed silently.

:func:`write_starter` turns the suggestions into an engagement YAML that loads as it is, with a ``# CHECK:``
comment wherever the consultant must decide, and refuses, saying why, a file with no outcome to analyse.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from ..errors import ConfigError, CxkitError
from .config import STARTER_CLIENT
from .data import DATE_FORMATS as _DATE_FORMATS   # the forms validation reads: one list
from .readers import (LEGACY_EXTRA, LEGACY_META, MISSING_LABELS, QUALTRICS_META, SCALE_MAPS, SURVEYMONKEY_META,
                      Export, Question, _norm, key)


class StarterError(CxkitError):
    """No engagement can be written from the file as it is; the message says why and what would let it."""


# ------------------------------------------------------------------ words

ID_WORDS = {"id", "uid", "uuid", "guid", "respondent", "respondentid", "responseid", "participant", "panelist",
            "serial", "caseid", "recordid"}
# numbers that are never ratings, whatever their range
NUMBER_WORDS = {"distance", "delay", "delayed", "duration", "minutes", "minute", "mins", "seconds", "secs", "hours",
                "hrs", "days", "weeks", "months", "count", "number", "num", "times", "visits", "km", "kms", "miles",
                "mahalanobis", "latitude", "longitude", "lat", "lon", "lng", "zip", "zipcode", "postcode", "phone",
                "height", "progress", "percent", "percentage", "pct", "price", "cost"}
# numbers that describe the respondent: descriptors, banded downstream
DESCRIBING_NUMBERS = {"age", "aged", "tenure", "income", "salary", "household", "children", "kids", "employees",
                      "years", "yrs", "year"}
VALUE_WORDS = {"spend", "spending", "revenue", "sales", "turnover", "clv", "ltv", "arr", "mrr", "amount", "billing",
               "purchases", "basket"}
WEIGHT_WORDS = {"weight", "weights", "wt", "wgt", "weighting"}
WAVE_WORDS = {"wave", "round", "period", "quarter", "fieldwork", "sweep"}
# a coded column named only by these (region, customer_segment) holds groups, not ratings
GROUP_WORDS = {"gender", "sex", "region", "country", "state", "province", "city", "county", "segment", "tier", "plan",
               "department", "branch", "site", "industry", "sector", "occupation", "employment", "marital",
               "ethnicity", "ethnic", "race", "language", "education", "group", "cohort", "zone", "area"}
GROUP_FILLER = {"customer", "client", "code", "type", "of", "the", "your", "home", "main"}
DEMOGRAPHIC_WORDS = {"gender", "sex", "age", "income", "education", "region", "location", "country", "state",
                     "province", "city", "town", "county", "channel", "segment", "tier", "plan", "product", "department",
                     "branch", "store", "site", "industry", "sector", "role", "occupation", "job", "employment",
                     "marital", "ethnicity", "ethnic", "race", "language", "tenure", "type", "class", "category",
                     "membership", "customer", "market", "team", "area", "division", "business", "size", "travel",
                     "loyalty"}
SATISFACTION_WORDS = {"sat", "satis", "satisfaction", "satisfied", "osat", "csat", "overall"}
RECOMMEND_WORDS = {"recommend", "recommendation", "nps", "ltr", "promoter", "referral"}
LOYALTY_WORDS = {"loy", "loyal", "loyalty", "retention", "repurchase", "rebuy", "intent", "intention", "advocacy"}
FILLER_WORDS = {"to", "of", "the", "a", "q", "score", "rating", "likelihood", "likely", "net", "total", "index"}
YES_NO_OUTCOME = re.compile(r"\b(renew\w*|re-?purchas\w*|buy again|purchase again|come back|return\w*|continu\w*|"
                            r"stay\w*|retain\w*|churn\w*|cancel\w*|switch\w*|loyal\w*|recommend\w*|would you use|"
                            r"use again|fan)\b", re.IGNORECASE)
SATISFACTION_TEXT = re.compile(r"overall.{0,40}satisf|satisf.{0,40}overall|overall (experience|rating|impression)",
                               re.IGNORECASE)
RECOMMEND_TEXT = re.compile(r"recommend|net promoter|\bnps\b", re.IGNORECASE)
LOYALTY_TEXT = re.compile(r"likely.{0,30}\b(buy|purchase|return|renew|continue|use)\b.{0,20}again|repurchase|"
                          r"\brenew", re.IGNORECASE)
RANK_TEXT = re.compile(r"\brank|1 being|1 = (most|your|best|first)|order of (preference|importance)|"
                       r"\bfavou?rite\b", re.IGNORECASE)
PLATFORM_META = ({key(c) for c in QUALTRICS_META} | {key(c) for c in LEGACY_META.values()}
                 | {key(c) for c in LEGACY_EXTRA} | set(SURVEYMONKEY_META) | {"timestamp", "locationaccuracy",
                                                                             "responseset", "name"})

# label words and how strongly they say it; "none" is a bare label ("Agree", "Satisfied")
INTENSITY = {"extremely": 3, "completely": 3, "totally": 3, "very": 2.5, "strongly": 2.5, "highly": 2.5,
             "moderately": 2, "mostly": 2, "somewhat": 1, "fairly": 1, "slightly": 0.5, "little": 0.5}
NEGATIVE_WORDS = {"poor", "bad", "terrible", "awful", "worse", "difficult", "hard", "low", "negative", "never"}
POSITIVE_WORDS = {"good", "excellent", "great", "easy", "high", "positive", "better", "always"}
NEUTRAL_WORDS = {"neither", "neutral", "average", "ok", "okay", "mixed", "fair", "sometimes"}
MISSING_HINTS = re.compile(r"n/a|not applicable|don'?t know|do not know|unfamiliar|no opinion|not sure|prefer not|"
                           r"never used|did not use|does not apply|can'?t say|not heard", re.IGNORECASE)
RATING_WORDS = re.compile(r"poor|excellent|good|bad|agree|satisf|likely|very|extremely|not at all|strongly|"
                          r"favou?rabl", re.IGNORECASE)

# the firm's scales (templates/defaults.yaml) a suggestion may name when it fits exactly: name -> min, max, codes
BUILT_IN = {"rating5": (1, 5, (0, 99)), "rating7": (1, 7, (0, 99)), "sat10": (1, 10, (0, 99)),
            "recommend11": (0, 10, (99,))}
DEFAULT_BANDS = ("1-5", "1-7", "1-10", "0-10")


def words(text: str) -> set[str]:
    """The words of a name or text, lower case; "RespondentID" and "respondent_id" give respondent and id."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return {w for w in re.split(r"[^a-z]+", spaced.lower()) if w}


# ------------------------------------------------------------------ scales

@dataclass(frozen=True)
class ScaleGuess:
    """A rating scale read from a column's values: its range, codes or labels meaning "not applicable",
    and a note on how a doubtful point (a 0) was read."""

    min: int
    max: int
    missing_codes: tuple[float, ...] = ()
    labels: str | tuple[tuple[str, int], ...] | None = None   # a built-in map's name, or (label, rating) pairs
    missing_labels: tuple[str, ...] = ()
    note: str = ""
    base: str = ""   # the word the labels rate on (favorably), for the scale's name

    @property
    def key(self) -> tuple:
        return self.min, self.max, self.missing_codes, self.labels, self.missing_labels

    @property
    def range_key(self) -> str:
        return f"{self.min}-{self.max}"

    def describe(self) -> str:
        if isinstance(self.labels, str):
            text = f"labels {self.labels} ({self.range_key})"
        elif self.labels:
            ordered = [label for label, _ in sorted(self.labels, key=lambda kv: kv[1])]
            text = f"labels {self.range_key}: {ordered[0]} ... {ordered[-1]}"
        else:
            text = self.range_key
        if self.missing_codes:
            text += f"; missing codes {', '.join(f'{c:g}' for c in self.missing_codes)}"
        if self.missing_labels:
            text += f"; not applicable: {', '.join(self.missing_labels)}"
        return text

    def as_yaml(self) -> dict:
        out: dict = {"min": self.min, "max": self.max}
        if self.missing_codes:
            out["missing_codes"] = [int(c) if float(c).is_integer() else c for c in self.missing_codes]
        if isinstance(self.labels, str):
            out["labels"] = self.labels
        elif self.labels:
            out["labels"] = {label: rating for label, rating in self.labels}
        if self.missing_labels:
            out["missing_labels"] = list(self.missing_labels)
        out["label"] = f"{self.describe()}, as read by cxkit inspect"
        return out


def label_scale(values) -> ScaleGuess | None:
    """An ordered rating scale from answer labels, when their words say the order.

    A built-in map (agreement, satisfaction, quality, 0-10 likelihood) is used when it covers every label;
    otherwise each label is placed by its polarity (a word and its negation: favorably / unfavorably,
    satisfied / dissatisfied, good / poor) and its strength (extremely > very > bare > somewhat > slightly),
    with "neither ... nor" and "neutral" in the middle. Labels meaning not applicable or don't know are kept
    apart. Labels whose order the words do not settle give None: they are never guessed.
    """
    labels = sorted({str(v).strip() for v in values if str(v).strip()})
    missing = tuple(v for v in labels if _norm(v) in {_norm(m) for m in MISSING_LABELS} or MISSING_HINTS.search(v))
    answers = [v for v in labels if v not in missing]
    extra_missing = tuple(v for v in missing if _norm(v) not in {_norm(m) for m in MISSING_LABELS})
    if len(answers) < 2:
        return None
    normed = {_norm(a) for a in answers}
    for name, table in SCALE_MAPS.items():
        if normed <= {_norm(k) for k in table}:
            low, high = int(min(table.values())), int(max(table.values()))
            if name == "likely11" and all(a.isdigit() for a in answers):
                return None   # plain numbers are read as numbers
            return ScaleGuess(low, high, labels=name, missing_labels=extra_missing)
    if len(answers) < 3:
        return None
    parsed = {a: _label_position(a) for a in answers}
    if any(p is None for p in parsed.values()):
        return None
    bases = {p[1] for p in parsed.values() if p[1]}
    scores = {}
    for label, (strength, base, neutral) in parsed.items():
        if neutral:
            scores[label] = 0.0
            continue
        sign = _polarity(base, bases)
        if sign == 0:
            return None
        scores[label] = sign * strength
    if len(set(scores.values())) != len(scores) or min(scores.values()) >= 0 or max(scores.values()) <= 0:
        return None
    ordered = sorted(scores, key=scores.get)
    positive = sorted((b for b in bases if _polarity(b, bases) > 0), key=len)
    return ScaleGuess(1, len(ordered), labels=tuple((label, i + 1) for i, label in enumerate(ordered)),
                      missing_labels=extra_missing, base=positive[0] if positive else "labels")


def _label_position(label: str) -> tuple[float, str, bool] | None:
    """(strength, base word, neutral) of a label such as "Somewhat unfavorably"; None when it has no base."""
    text = re.sub(r"\([^)]*\)", " ", label.lower())
    tokens = [t for t in re.split(r"[^a-z']+", text) if t]
    if not tokens:
        return None
    if set(tokens) & NEUTRAL_WORDS:
        return 0.0, "", True
    strength = max((INTENSITY[t] for t in tokens if t in INTENSITY), default=2.0)
    content = [t for t in tokens if t not in INTENSITY and t not in {"a", "not", "at", "all", "so"}]
    if "not" in tokens and "all" in tokens:
        strength = 3.0
    base = ("not " if "not" in tokens else "") + (content[-1] if content else "")
    return (strength, base, False) if content else None


NEGATING_PREFIXES = ("un", "dis", "in", "im", "ir", "il")


def _polarity(base: str, bases: set[str]) -> int:
    """+1 or -1 for a label's base word among the scale's others (unfavorably is the negation of favorably;
    "not likely" of likely); 0 when the words do not say."""
    negated = base.startswith("not ")
    word = base.removeprefix("not ")
    plain = {b.removeprefix("not ") for b in bases}
    if word in NEGATIVE_WORDS:
        sign = -1
    elif word in POSITIVE_WORDS:
        sign = 1
    elif any(word.startswith(p) and word[len(p):] in plain for p in NEGATING_PREFIXES):
        sign = -1
    elif any(other == p + word for other in plain for p in NEGATING_PREFIXES) or negated or "not " + word in bases:
        sign = 1
    else:
        return 0
    return -sign if negated else sign


def _numeric_codes(counts: pd.Series) -> tuple[list[float], pd.Series]:
    """Codes that mean "don't know" or "not applicable" among whole-number answers: negatives, 97-99 and
    999 beside answers up to 11, and 9 beside a scale of at most 7 points."""
    values = counts.index.to_numpy(dtype=float)
    codes = [v for v in values if v < 0]
    rest = values[values >= 0]
    small = rest[rest <= 11]
    if len(small):
        codes += [v for v in rest if v in (97, 98, 99, 999, 9999) and v > small.max()]
        kept = [v for v in small if v not in codes]
        if 9 in kept and 8 not in kept and max((v for v in kept if v != 9), default=0) <= 7:
            codes.append(9.0)
    return sorted(codes), counts[~counts.index.isin(codes)]


# ------------------------------------------------------------------ columns

@dataclass
class Column:
    """One column: what it asked, its answers, and its suggested role."""

    name: str
    question: str
    matrix_row: str | None
    import_id: str | None
    kind: str | None
    text: pd.Series                 # the answers as text
    numbers: pd.Series | None       # the answers as numbers, when every answer is one
    value_labels: dict
    role: str = ""
    scale: ScaleGuess | None = None
    note: str = ""
    block: str = ""

    @cached_property
    def answered(self) -> int:
        return int(self.text.notna().sum())

    @cached_property
    def distinct(self) -> int:
        return int(self.text.nunique())

    @property
    def label(self) -> str:
        """What to call it on slides: its matrix row, else its question, else its name."""
        text = self.matrix_row or (self.question if self.question != self.name else _words(self.name))
        text = re.sub(r"<[^>]+>", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        return text if len(text) <= 80 else text[:77].rsplit(" ", 1)[0] + "..."


def _words(name: str) -> str:
    """A column name written as an identifier (app_ease, AppEase) as words for a slide (App ease)."""
    if " " in name.strip() or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", name):
        return name
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").replace(".", " ").split()
    if any(w.isdigit() for w in words) or not any(len(re.sub(r"\d", "", w)) >= 3 for w in words):
        return name   # a code (Q1_1, x2): written as it is
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.map(lambda v: f"{v:g}" if isinstance(v, float) and v.is_integer() else
                          (repr(v) if isinstance(v, float) else str(v)), na_action="ignore").astype("string")
    return values.astype("string").str.strip().replace("", pd.NA)


def _columns(export: Export) -> list[Column]:
    out = []
    for name in export.frame.columns:
        q = export.question(name) or Question(name, name)
        text = _as_text(export.frame[name])
        numbers = pd.to_numeric(text, errors="coerce")
        numeric = bool(text.notna().any()) and int(numbers.notna().sum()) == int(text.notna().sum())
        out.append(Column(name, q.text, q.matrix_row, q.import_id, q.kind, text, numbers if numeric else None,
                          dict(export.value_labels.get(name, {}))))
    blocks: dict[str, list[Column]] = {}
    for c in out:
        if c.matrix_row and c.kind in ("matrix", "checkbox", None):
            c.block = f"q:{c.question}"
        else:   # a plain table's family of columns: imag1, imag2 ... or rank_price, rank_speed ...
            stem = re.sub(r"[\W_]*\d+$", "", c.name)
            if stem == c.name:
                stem = re.split(r"[_\s.:-]+", c.name)[0]
            c.block = f"s:{stem}" if stem and stem != c.name else f"c:{c.name}"
        blocks.setdefault(c.block, []).append(c)
    for members in blocks.values():
        if len(members) == 1:
            members[0].block = f"c:{members[0].name}"
    return out


def _first_role(c: Column, n: int) -> str:
    """The role a column has on its own, before the columns are weighed together."""
    if c.answered == 0:
        return "empty"
    name_words = words(c.name)
    own_words = name_words | (words(c.question) if not c.matrix_row else set())
    unique = c.answered == n and c.distinct == n and n > 1
    if unique and (name_words & ID_WORDS or key(c.name) in ("respondentid", "responseid")):
        return "id"
    if c.kind == "meta" or key(c.name) in PLATFORM_META:
        return "date" if _is_date(c.text) else "meta"
    if c.kind == "checkbox" or set(c.text.dropna().str.lower().unique()) <= {"selected", "not selected"}:
        return "checkbox"
    if c.kind == "open":   # an open-ended answer, never a rating or a category
        return "comment" if c.text.dropna().str.len().mean() >= 15 else "text"
    if c.distinct == 1:   # one answer or blank: a ticked option; one answer from everyone says nothing
        return "checkbox" if c.answered < n else "constant"
    if c.numbers is not None:
        return _numeric_role(c, own_words, n)
    if _is_date(c.text):
        return "date"
    if own_words & WAVE_WORDS and 2 <= c.distinct <= 12:
        return "wave"
    if _is_yes_no(c.text):
        return "yes_no"
    if _is_multi(c.text):
        return "checkbox"
    if c.text.dropna().str.len().mean() >= 15 and c.distinct >= max(3, 0.3 * c.answered):
        return "comment"   # sentences, most of them different
    if c.distinct <= 15 and (c.answered < 20 or c.distinct <= 0.5 * c.answered):
        return "category"
    return "text"


def _numeric_role(c: Column, own_words: set[str], n: int) -> str:
    values = c.numbers.dropna()
    whole = bool((values == values.round()).all())
    distinct = values.nunique()
    if whole and (RANK_TEXT.search(c.question or "") or RANK_TEXT.search(c.name)):
        return "ranked"   # a question that says it ranks: never a rating
    if own_words & WEIGHT_WORDS and (values >= 0).all() and 0.2 <= values.mean() <= 5:
        return "weight"
    if own_words & VALUE_WORDS and (values >= 0).all() and distinct > 11:
        return "value"
    if own_words & WAVE_WORDS and 2 <= distinct <= 12:
        return "wave"
    if own_words & DESCRIBING_NUMBERS:
        return "descriptor_number"
    if own_words & NUMBER_WORDS:
        return "number"
    if whole and distinct == 2 and set(values.unique()) <= {0, 1}:
        return "yes_no"
    content = words(c.name) - GROUP_FILLER
    if content and content <= GROUP_WORDS and distinct <= 12:
        return "category"
    if c.value_labels and _labels_are_categories(c.value_labels):
        return "category"
    if c.name.strip() == "" or c.name.lower().startswith("unnamed"):
        return "number"   # a row index a spreadsheet or pandas wrote
    if whole:
        return "numeric"   # weighed as a rating with its block below
    return "descriptor_number" if distinct <= 15 else "number"


def _labels_are_categories(labels: dict) -> bool:
    texts = [str(v) for v in labels.values()]
    return label_scale(texts) is None and not any(RATING_WORDS.search(t) for t in texts)


def _is_date(text: pd.Series) -> bool:
    sample = text.dropna().head(200)
    if sample.empty or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").all():
        return False
    sample = sample.str.replace(r"\s+[A-Z]{2,4}([+-]\d+)?$", "", regex=True)
    return any(pd.to_datetime(sample, format=f, errors="coerce").notna().mean() >= 0.9 for f in _DATE_FORMATS)


def _is_yes_no(text: pd.Series) -> bool:
    values = {v.lower() for v in text.dropna().unique()}
    return len(values) >= 2 and values <= {"yes", "no", "y", "n", "true", "false"}


def _is_multi(text: pd.Series) -> bool:
    """Checkbox answers joined in one cell ("Phone, Email"): the parts recur across respondents."""
    answers = text.dropna()
    joined = answers.str.contains(", ")
    if joined.mean() < 0.2:
        return False
    cells = pd.Series(answers.unique())
    parts = cells.str.split(", ").explode().str.strip()
    shared = parts.value_counts()   # in how many different answers each part appears
    return len(shared) <= max(12, 0.2 * len(answers)) and int((shared >= 2).sum()) >= 2


# ------------------------------------------------------------------ weighing columns together

def _rankings(columns: list[Column]) -> None:
    """Ranks: a block of whole numbers where each respondent uses each number once, or a question that says
    it ranks ("1 being your favourite"). Never ratings."""
    blocks: dict[str, list[Column]] = {}
    for c in columns:
        if c.role == "ranked":
            c.role, c.note = "ranking", "ranks, not ratings: the question asks to rank"
        elif c.role == "numeric":
            blocks.setdefault(c.block, []).append(c)
    for members in blocks.values():
        complete = pd.DataFrame({c.name: c.numbers for c in members}).dropna()
        if len(members) < 3 or complete.empty:
            continue
        distinct_rows = (complete.nunique(axis=1) == len(members)).mean()
        permutations = ((complete.min(axis=1) == 1) & (complete.max(axis=1) == len(members))).mean()
        if distinct_rows >= 0.8 and permutations >= 0.8:
            for c in members:
                c.role, c.note = "ranking", "ranks, not ratings: each respondent uses each number once"


def _numeric_scales(columns: list[Column]) -> None:
    """Whole-number columns read as ratings, their scale decided on every column that shares its range.

    A column is a rating when its answers (codes such as 99 or -1 set aside) lie between 0 and 11 with at
    least three different answers in its block. Blocks with the same top point share one scale. A 0 on a
    scale of up to 7 points, or a 0 given seldom (under 2% of answers and under a quarter as often as 1)
    on a longer one, is read as "not applicable" and said so; a 0 given as often as its neighbours is a
    real score (0-10).
    """
    blocks: dict[str, list[Column]] = {}
    for c in columns:
        if c.role == "numeric":
            blocks.setdefault(c.block, []).append(c)
    classes: dict[int, list[tuple[list[Column], pd.Series, list[float]]]] = {}
    queue = list(blocks.values())
    while queue:
        members = queue.pop(0)
        counts = pd.concat([c.numbers.dropna() for c in members]).value_counts()
        codes, kept = _numeric_codes(counts)
        values = kept.index.to_numpy(dtype=float)
        rating = len(values) >= 3 and values.min() >= 0 and values.max() - values.min() >= 2 and (
            values.max() <= 11 or (members[0].block.startswith("q:") and values.max() - values.min() <= 10))
        if rating:
            classes.setdefault(int(values.max()), []).append((members, kept, codes))
        elif len(members) > 1:   # columns that only share a name's stem (q1, q2 ...) are weighed one by one
            queue += [[c] for c in members]
        else:
            members[0].role = "descriptor_number" if members[0].numbers.nunique() <= 12 else "number"
    for high in sorted(classes):   # a block whose top point is unusual joins the next standard scale above
        target = next((h for h in (7, 10) if h > high and h in classes), None)
        if high in (6, 8, 9) and target:
            classes[target] += classes.pop(high)
    for high, entries in classes.items():
        counts = pd.concat([kept for _, kept, _ in entries]).groupby(level=0).sum()
        codes = sorted({code for _, _, cs in entries for code in cs})
        total = int(counts.sum())
        zeros, ones = int(counts.get(0.0, 0)), int(counts.get(1.0, 0))
        low, note = 1, ""
        if counts.index.min() > 1 and high > 11:   # recode values (10-14): the range as it stands
            low = int(counts.index.min())
            note = f"recode values {low}-{high}: give the survey definition (--qsf) to read them as their labels"
        elif zeros:
            rare = high <= 7 or (zeros < 0.02 * total and zeros < 0.25 * ones)
            spread = sum(len(members) for members, _, _ in entries)
            where = f"{zeros:,} of {total:,} answers ({zeros / total:.1%}) in the {spread} column(s) on this scale"
            if rare:
                codes = sorted(set(codes) | {0.0})
                note = f"0 is seldom given on an otherwise 1-{high} scale ({where}): read as not applicable " \
                       "(missing_codes: [0])"
            else:
                low = 0
                note = f"0 is a real score on this scale ({where})"
        guess = ScaleGuess(low, high, tuple(codes), note=note)
        for members, _, _ in entries:
            for c in members:
                c.role, c.scale, c.note = "rating", guess, note


def _label_scales(columns: list[Column]) -> None:
    """Text columns whose answers are ordered labels (a matrix of Very favorably ... Very unfavorably), their
    scale read on every column of their question together."""
    blocks: dict[str, list[Column]] = {}
    for c in columns:
        if c.role in ("category", "text", "comment") and c.numbers is None:
            blocks.setdefault(c.block, []).append(c)
    queue = list(blocks.values())
    while queue:
        members = queue.pop(0)
        answers = pd.concat([c.text.dropna() for c in members]).unique()
        guess = label_scale(answers)
        if guess is None:
            if len(members) > 1 and not members[0].block.startswith("q:"):
                queue += [[c] for c in members]
            continue
        for c in members:
            c.role, c.scale = "rating", guess
            if guess.missing_labels:
                c.note = f"not applicable: {', '.join(guess.missing_labels)}"


def _outcome_family(c: Column) -> str | None:
    """Whether a rating measures an outcome (satisfaction, recommendation, loyalty) rather than a touchpoint."""
    if c.matrix_row:
        text = c.matrix_row
        if _norm(text) in ("overall", "overall satisfaction") or SATISFACTION_TEXT.search(text):
            return "satisfaction"
        return "recommend" if RECOMMEND_TEXT.search(text) else None
    name_words = words(c.name)
    content = name_words - FILLER_WORDS
    for family, vocabulary in (("recommend", RECOMMEND_WORDS), ("satisfaction", SATISFACTION_WORDS),
                               ("loyalty", LOYALTY_WORDS)):
        if content and content <= vocabulary | {"overall"} and content & vocabulary:
            return family
    if c.question:
        if RECOMMEND_TEXT.search(c.question):
            return "recommend"
        if SATISFACTION_TEXT.search(c.question):
            return "satisfaction"
        if LOYALTY_TEXT.search(c.question):
            return "loyalty"
    return None


# ------------------------------------------------------------------ the plan

@dataclass
class Plan:
    """Every column with its role, and the engagement's mapping drawn from them."""

    columns: list[Column]
    id: Column | None = None
    satisfaction: Column | None = None
    recommend: Column | None = None
    yes_no: Column | None = None
    attributes: list[Column] = field(default_factory=list)
    descriptors: list[Column] = field(default_factory=list)
    comment: Column | None = None
    value: Column | None = None
    weight: Column | None = None
    wave: Column | None = None
    named_outcome: str | None = None   # the column given with --outcome, rather than found

    def table(self) -> pd.DataFrame:
        rows = []
        for c in self.columns:
            counts = c.text.value_counts()
            shown = "; ".join(f"{_shown(c, v)} ({n:,})" for v, n in counts.head(6).items())
            rows.append({"column": c.name, "question": c.question, "matrix_row": c.matrix_row,
                         "import_id": c.import_id, "answered": c.answered, "distinct": c.distinct, "values": shown,
                         "role": c.role, "scale": c.scale.describe() if c.scale else None, "note": c.note})
        return pd.DataFrame(rows)


def _shown(c: Column, value: str) -> str:
    """A value as inspect shows it: an SPSS code with its value label."""
    if not c.value_labels:
        return value
    number = pd.to_numeric(value, errors="coerce")
    label = c.value_labels.get(number, c.value_labels.get(value)) if not pd.isna(number) else None
    return f"{value} = {label}" if label is not None else value


def plan_engagement(export: Export, outcome: str | None = None) -> Plan:
    """Each column's role, and the engagement's mapping: id, outcomes, touchpoints on their common scale,
    descriptors, comment, value, weight and wave.

    Parameters
    ----------
    export : Export
    outcome : str, optional
        The column the consultant names as the outcome (a rating, or a yes/no question); otherwise it is
        found by name and question (overall satisfaction, likelihood to recommend, renewal ...).
    """
    n = len(export.frame)
    columns = _columns(export)
    for c in columns:
        c.role = _first_role(c, n)
    _rankings(columns)
    _numeric_scales(columns)
    _label_scales(columns)
    plan = Plan(columns)
    ids = [c for c in columns if c.role == "id"]
    plan.id = ids[0] if ids else None
    for extra in ids[1:]:
        extra.role, extra.note = "meta", "another unique column; the first is the id"
    named = next((c for c in columns if c.name == outcome), None) if outcome else None
    if outcome and named is None:
        raise StarterError(f"{export.report.file}: no column named {outcome!r}. Fix: give --outcome one of the "
                           "column names cxkit inspect lists")
    ratings = [c for c in columns if c.role == "rating"]
    family = {c.name: _outcome_family(c) for c in ratings}
    if named is not None:
        plan.named_outcome = named.name
        _name_outcome(plan, named, export.report.file)
    else:
        satisfied = [c for c in ratings if family[c.name] == "satisfaction"]
        overall = [c for c in satisfied if "overall" in (c.name + " " + c.label).lower()]
        plan.satisfaction = (overall or satisfied or [None])[0]
        recommend = [c for c in ratings if family[c.name] == "recommend"]
        plan.recommend = (sorted(recommend, key=lambda c: c.scale.range_key != "0-10") or [None])[0]
        _recommend_on_0_10(plan.recommend)
        yes_no = [c for c in columns if c.role == "yes_no" and YES_NO_OUTCOME.search(f"{c.name} {c.question}")]
        plan.yes_no = yes_no[0] if yes_no else None
    for c in ratings:   # the other outcome measures are never touchpoints
        if family[c.name] and c not in (plan.satisfaction, plan.recommend):
            c.role, c.note = "outcome-like", f"another {family[c.name]} measure, not a touchpoint"
    for role, c in (("satisfaction", plan.satisfaction), ("recommend", plan.recommend), ("yes_no", plan.yes_no)):
        if c is not None:
            c.role = f"outcome: {role}"
    _attributes(plan)
    _the_rest(plan, export.report.format == "table")
    return plan


def _recommend_on_0_10(c: Column | None) -> None:
    """Likelihood to recommend is asked 0-10: a 1-10 range seen (nobody chose 0) or a 0 taken for "not
    applicable" is read on 0-10, so NPS is computed and no answer of 0 is lost."""
    if c is None or c.scale.labels is not None or c.scale.max != 10 or c.scale.min == 0:
        return
    codes = tuple(code for code in c.scale.missing_codes if code != 0)
    c.scale = ScaleGuess(0, 10, codes, note="likelihood to recommend read on 0-10, as NPS asks it")
    c.note = c.scale.note


def _name_outcome(plan: Plan, c: Column, file: str) -> None:
    if c.role == "rating":
        if RECOMMEND_TEXT.search(f"{c.name} {c.question} {c.matrix_row or ''}") or \
                words(c.name) & RECOMMEND_WORDS:
            plan.recommend = c
            _recommend_on_0_10(c)
        else:
            plan.satisfaction = c
    elif c.role in ("yes_no", "checkbox") or _is_yes_no(c.text):
        plan.yes_no = c
    else:
        raise StarterError(f"{file}: column {c.name!r} cannot be the outcome: it is {c.role.replace('_', ' ')}, neither a "
                           "rating nor a yes/no answer. Fix: name a rating (overall satisfaction, likelihood to "
                           "recommend) or a yes/no question with --outcome")


def _attributes(plan: Plan) -> None:
    """Touchpoints: the ratings on the scale most of them share; ratings on other scales are named, not used."""
    ratings = [c for c in plan.columns if c.role == "rating"]
    groups: dict[tuple, list[Column]] = {}
    for c in ratings:
        groups.setdefault(c.scale.key, []).append(c)
    if not groups:
        return
    common = max(groups.values(), key=len)
    plan.attributes = common
    for c in common:
        c.role = "attribute"
    for members in groups.values():
        if members is not common:
            for c in members:
                c.note = (c.note + "; " if c.note else "") + \
                    f"on another scale ({c.scale.describe()}) than the touchpoints ({common[0].scale.describe()})"


def _the_rest(plan: Plan, plain_table: bool) -> None:
    """Descriptors (demographic questions, a plain table's categorical columns, numbers such as age), the
    comment, value, weight and wave."""
    for c in plan.columns:
        own = words(c.name) | (words(c.question) if not c.matrix_row else set())
        if c.role == "category":
            if own & DEMOGRAPHIC_WORDS or (plain_table and c.distinct <= 12) or (c.value_labels and c.distinct <= 12):
                c.role = "descriptor"
        elif c.role == "descriptor_number":
            c.role = "descriptor"
            if c.distinct > 12:
                c.note = "a number with many values: banded in the descriptor cuts"
        elif c.role == "numeric":
            c.role = "number"
        elif c.role == "yes_no" and own & DEMOGRAPHIC_WORDS:
            c.role = "descriptor"
    plan.descriptors = [c for c in plan.columns if c.role == "descriptor"]
    comments = sorted((c for c in plan.columns if c.role == "comment"),
                      key=lambda c: -float(c.text.dropna().str.len().mean()))
    plan.comment = comments[0] if comments else None
    for c in comments[1:]:
        c.role, c.note = "text", "free text; the longest answers are the comment"
    for attribute in ("value", "weight", "wave"):
        found = [c for c in plan.columns if c.role == attribute]
        setattr(plan, attribute, found[0] if found else None)


# ------------------------------------------------------------------ suggestions as a table

def suggest_columns(export: Export) -> pd.DataFrame:
    """Each column of a read file with what it asked, its values, and its suggested role and scale.

    Returns
    -------
    DataFrame
        One row per column: ``column``, ``question``, ``matrix_row``, ``import_id``, ``answered``,
        ``distinct``, ``values`` (the commonest, with SPSS value labels), ``role`` (see the module's
        description; ``outcome: satisfaction`` and the like for the outcomes), ``scale`` (described) and
        ``note`` (why, where it is not plain). A suggestion is a starting point for the consultant.
    """
    return plan_engagement(export).table()


# ------------------------------------------------------------------ the starter engagement

@dataclass(frozen=True)
class Starter:
    """A starter engagement: its settings and the YAML text with the consultant's checks as comments."""

    config: dict
    text: str
    checks: tuple[str, ...]


def starter_config(export: Export, data_path: str | Path, yaml_path: str | Path, client: str | None = None,
                   qsf: str | Path | None = None, outcome: str | None = None, schema_check: bool = True) -> Starter:
    """A starter engagement for a feedback file, to be checked line by line by the consultant.

    Parameters
    ----------
    export : Export
        The file as read (with its survey definition applied, if there is one).
    data_path, yaml_path : path
        Where the data is and where the YAML will be: ``file:`` (and ``qsf:``) are written relative to
        the YAML's folder, as the engagement reads them.
    client : str, optional
        The client's name (a placeholder with a CHECK otherwise).
    outcome : str, optional
        The outcome column, when the consultant names it.
    schema_check : bool, default=True
        Check the settings against the engagement schema; a shape it refuses (a yes/no outcome alone where
        the schema needs a rating outcome) falls back to what it accepts, with a CHECK saying so.

    Raises
    ------
    StarterError
        When the file holds no outcome to analyse, or too little for the schema: the message says why and
        what would let a starter be written.
    """
    plan = plan_engagement(export, outcome)
    file = export.report.file
    if plan.satisfaction is None and plan.recommend is None and plan.yes_no is None:
        raise StarterError(_no_outcome(plan, file))
    scales, names = _scale_names(plan)
    config, checks = _config(plan, export, data_path, yaml_path, client, qsf, names, scales)
    if schema_check:
        config, checks = _fit_schema(plan, config, checks, names, scales, file)
    return Starter(config, _render(config, checks), tuple(c for cs in checks.values() for c in cs))


def _no_outcome(plan: Plan, file: str) -> str:
    found: dict[str, list[str]] = {}
    for c in plan.columns:
        found.setdefault(c.role.replace("_", " "), []).append(c.label)
    listed = "; ".join(f"{len(v)} {role} ({_listing(v, 2)})" for role, v in found.items() if role not in ("meta", "id"))
    return (f"{file}: no outcome to analyse: no overall satisfaction or likelihood-to-recommend rating and no yes/no "
            f"outcome such as renewal was found (the file holds {listed}). cxkit's customer analysis explains an "
            "outcome by the touchpoints rated. Fix: if one of these columns is the outcome, rerun with --outcome "
            "'COLUMN'; otherwise this file is not customer feedback cxkit can analyse, and no starter is written")


def _listing(texts: list[str], most: int) -> str:
    shown = ", ".join(t if len(t) <= 40 else t[:37] + "..." for t in texts[:most])
    return shown + (f" and {len(texts) - most} more" if len(texts) > most else "")


def _scale_names(plan: Plan) -> tuple[dict[str, ScaleGuess], dict[tuple, str]]:
    """A name for each scale the engagement uses: the firm's built-in one where it fits exactly, else one the
    starter defines under ``scales:``."""
    used = [c for c in (plan.satisfaction, plan.recommend, *plan.attributes) if c is not None and c.scale]
    defined: dict[str, ScaleGuess] = {}
    names: dict[tuple, str] = {}
    for c in used:
        if c.scale.key in names:
            continue
        s = c.scale
        built_in = next((name for name, (low, high, codes) in BUILT_IN.items()
                         if s.labels is None and (s.min, s.max) == (low, high) and set(s.missing_codes) <= set(codes)
                         and (name != "recommend11" or c is plan.recommend)), None)
        if built_in:
            names[s.key] = built_in
            continue
        if isinstance(s.labels, str):
            base = f"{s.labels}_labels"
        elif s.labels:
            base = re.sub(r"[^a-z0-9]+", "_", s.base.lower()).strip("_") + str(s.max)
        else:
            base = f"scale{s.min}_{s.max}"
        name, k = base, 2
        while name in defined or name in BUILT_IN:
            name, k = f"{base}_{k}", k + 1
        defined[name] = s
        names[s.key] = name
    return defined, names


def _config(plan, export, data_path, yaml_path, client, qsf, names, scales):
    checks: dict[str, list[str]] = {}
    folder = Path(yaml_path).resolve().parent
    report = export.report
    config: dict = {"client": client or STARTER_CLIENT}
    if not client:
        checks["client"] = ["CHECK: the client's name, as the deck should show it"]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(data_path).stem).strip("-._")[:80]
    config["engagement_id"] = stem if stem and stem[0].isalnum() else "engagement"
    if scales:
        config["scales"] = {name: s.as_yaml() for name, s in scales.items()}
        checks["scales"] = ["scales read from the answers; CHECK each range and the codes meaning not applicable"]
    main = plan.satisfaction or plan.recommend
    if main is not None and main.scale.range_key not in DEFAULT_BANDS:
        config["loyalty_bands"] = {main.scale.range_key: _bands(main.scale)}
        checks["loyalty_bands"] = [f"CHECK: the loyalty mix's cut-offs on the {main.scale.range_key} scale (the "
                                   "lowest rating of truly impressed, satisfied and indifferent)"]
    feedback: dict = {"file": _relative(data_path, folder), "format": report.format}
    if report.format == "table" and report.encoding not in ("utf-8", "xlsx"):
        feedback["encoding"] = report.encoding
    if report.sheet:
        feedback["sheet"] = report.sheet
    if qsf:
        feedback["qsf"] = _relative(qsf, folder)
    if plan.id is not None:
        feedback["id"] = plan.id.name
    else:
        checks["feedback"] = ["no id column: a respondent is known by their row in the file"]
    used = [c for c in (plan.satisfaction, plan.recommend, *plan.attributes) if c is not None]
    where = "feedback.scale" if plan.attributes else "feedback.outcomes"
    for s in {c.scale.key: c.scale for c in used}.values():
        if s.note:
            settled = "real score" in s.note or "as NPS asks it" in s.note
            checks.setdefault(where, []).append(f"{names[s.key]}: " + (s.note if settled else f"CHECK: {s.note}"))
    if plan.attributes:
        feedback["scale"] = names[plan.attributes[0].scale.key]
        feedback["attributes"] = [{"column": c.name, "label": c.label} for c in plan.attributes]
        checks["feedback.attributes"] = [f"{len(plan.attributes)} touchpoints rated on {plan.attributes[0].scale.describe()}"
                                         "; CHECK the labels and add owner: (the department answerable for each)"]
    else:
        checks["feedback.attributes"] = ["CHECK: no touchpoint ratings on a common scale were found; without them the "
                                         "driver analysis is skipped"]
    outcomes: dict = {}
    # the outcome's standard name reads in a sentence ("drives 40% of overall satisfaction"); a question does not
    if plan.satisfaction is not None:
        outcomes["satisfaction"] = {"column": plan.satisfaction.name, "label": "Overall satisfaction",
                                    "scale": names[plan.satisfaction.scale.key]}
    if plan.recommend is not None:
        outcomes["recommend"] = {"column": plan.recommend.name, "label": "Likelihood to recommend",
                                 "scale": names[plan.recommend.scale.key]}
    if plan.yes_no is not None:
        outcomes["yes_no"] = _yes_no(plan.yes_no)
    feedback["outcomes"] = outcomes
    checks.setdefault("feedback.outcomes", []).extend([f"{role}: {c.name!r}, "
                                   + ("given with --outcome" if c.name == plan.named_outcome else "found by its "
                                      + ("name" if c.question == c.name else f"question ({c.label})"))
                                   + "; CHECK it is the outcome the engagement is about"
                                   for role, c in (("satisfaction", plan.satisfaction), ("recommend", plan.recommend),
                                                   ("yes/no", plan.yes_no)) if c is not None])
    if plan.descriptors:
        feedback["descriptors"] = [c.name for c in plan.descriptors]
        checks["feedback.descriptors"] = ["groups to compare customers by; numbers with many values are banded"]
    for attribute in ("value", "weight", "wave", "comment"):
        c = getattr(plan, attribute)
        if c is not None:
            feedback[attribute] = c.name
    dates = [c for c in plan.columns if c.role == "date"]
    if dates and plan.wave is None:
        checks["feedback.end"] = [f"CHECK: {dates[0].name!r} holds response dates; to compare survey waves add "
                                  f"wave: {dates[0].name!r} and wave_period: quarter (or month, year)"]
    config["feedback"] = feedback
    checks.setdefault("feedback.end", []).extend(_unused(plan))
    return config, checks


def _yes_no(c: Column) -> dict:
    out: dict = {"column": c.name, "label": c.label}
    values = {v for v in c.text.dropna().unique()}
    lowered = {v.lower() for v in values}
    if c.role == "checkbox" or lowered <= {"selected", "not selected"}:
        out |= {"yes": ["Selected"], "no": ["Not selected"]}
    elif not lowered <= {"yes", "y", "1", "true", "no", "n", "0", "false"}:
        out |= {"yes": sorted(v for v in values if v.lower().startswith("y")),
                "no": sorted(v for v in values if not v.lower().startswith("y"))}
    return out


def _bands(s: ScaleGuess) -> dict:
    points = s.max - s.min + 1
    if points <= 5:
        return {"truly_impressed": s.max, "satisfied": s.max - 1, "indifferent": max(s.min, s.max - 2)}
    return {"truly_impressed": s.max if points < 10 else s.max - 1,
            "satisfied": s.min + int(0.65 * (points - 1) + 0.5), "indifferent": s.min + (points - 1) // 2}


def _relative(path: str | Path, folder: Path) -> str:
    target = Path(path).resolve()
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:   # another drive (Windows): only an absolute path reaches it
        return target.as_posix()


def _unused(plan: Plan) -> list[str]:
    reasons = {"ranking": "rankings (ranks, never touchpoints)", "number": "numbers that are not ratings",
               "rating": "ratings on another scale than the touchpoints", "outcome-like": "other outcome measures",
               "yes_no": "yes/no questions (one can be the outcome: --outcome)", "category":
               "other single-choice questions (add to descriptors to compare by them)",
               "checkbox": "checkbox options", "text": "other free text", "date": "dates", "empty": "empty columns",
               "constant": "columns with one answer from everyone"}
    out = []
    for role, why in reasons.items():
        names = [c.name for c in plan.columns if c.role == role]
        if names:
            out.append(f"not used, {why}: {_listing(names, 3)}")
    return out


def _fit_schema(plan, config, checks, names, scales, file):
    """The settings checked against the engagement schema: a starter that would not validate is not written."""
    from pydantic import ValidationError

    from .config import FeedbackConfig

    try:
        FeedbackConfig.model_validate(config["feedback"])
        return config, checks
    except ValidationError as exc:
        problems = _messages(exc)
    found = f"{len(plan.attributes)} touchpoint rating(s)"
    raise StarterError(f"{file}: no starter engagement fits this file: {'; '.join(problems)} ({found} and the "
                       "outcome(s) " + ", ".join(config["feedback"]["outcomes"]) + " were found). Fix: name the "
                       "outcome with --outcome, or write the feedback section by hand")


def _messages(exc) -> list[str]:
    return [f"feedback.{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            if e["loc"] else e["msg"].removeprefix("Value error, ") for e in exc.errors()]


# ------------------------------------------------------------------ YAML with comments

def _inline(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=math.inf, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _render(config: dict, checks: dict[str, list[str]]) -> str:
    """The settings as YAML, each CHECK as a comment above the key it is about."""
    lines = ["# A starter engagement written by `cxkit inspect`: check every line marked CHECK before running.",
             "# Roles and scales are suggestions read from the answers; labels come from the questions.", ""]

    def comment(path: str, indent: str = "") -> None:
        lines.extend(f"{indent}# {text}" for text in checks.get(path, ()))

    for top, value in config.items():
        comment(top)
        if top == "feedback":
            lines.append("feedback:")
            for name, item in value.items():
                comment(f"feedback.{name}", "  ")
                if name == "attributes" or (name == "descriptors" and item):
                    lines.append(f"  {name}:")
                    lines.extend(f"    - {_inline(entry)}" for entry in item)
                elif name == "outcomes":
                    lines.append("  outcomes:")
                    lines.extend(f"    {role}: {_inline(entry)}" for role, entry in item.items())
                else:
                    lines.append(f"  {name}: {_inline(item)}")
            comment("feedback.end", "  ")
        elif isinstance(value, dict):
            lines.append(f"{top}:")
            lines.extend(f"  {_inline(name)}: {_inline(entry)}" for name, entry in value.items())
        else:
            lines.append(f"{top}: {_inline(value)}")
    return "\n".join(lines) + "\n"


def write_starter(export: Export, data_path: str | Path, yaml_path: str | Path, client: str | None = None,
                  qsf: str | Path | None = None, outcome: str | None = None) -> Starter:
    """Write a starter engagement YAML (never over an existing file) and check that it loads.

    Raises
    ------
    StarterError
        The file exists, or no starter fits the data (see :func:`starter_config`).
    """
    from .config import load_engagement

    target = Path(yaml_path)
    if target.exists():
        raise StarterError(f"{target}: exists; not overwritten. Fix: name another file with --write-config, or "
                           "remove this one")
    starter = starter_config(export, data_path, target, client, qsf, outcome)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter.text, encoding="utf-8")
    try:
        load_engagement(target)
    except ConfigError as exc:   # a starter the schema refuses is cxkit's fault: nothing half-made is left
        target.unlink()
        raise StarterError(f"{target}: the starter written does not load ({exc}); it was removed. Please report "
                           "this with the file's header") from None
    return starter
