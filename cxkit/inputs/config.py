"""Engagement configuration: one YAML file per engagement over the firm's defaults.

The firm's defaults live in ``templates/defaults.yaml`` and ``templates/framework.yaml``;
an engagement's YAML overrides what it names (mappings merge key by key, the
engagement wins). YAML is read with ``yaml.safe_load`` only: configuration is data.
Every problem found on load is reported at once, each naming the file, the key,
what was expected and what to do.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError, ConfigProblem
from ..paths import ENGAGEMENT_ID, TEMPLATES, input_path, template_path


class _DataLoader(yaml.SafeLoader):
    """YAML's safe loader with YAML 1.2's booleans: only true and false. Under YAML 1.1, ``yes``, ``no``,
    ``on`` and ``off`` turn into booleans, so ``yes: [Yes, Y]`` or a level called ``No`` would silently
    become True and False; here they stay the text the consultant wrote."""


_DataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_DataLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


# Bounds on a YAML file: an engagement is a few kilobytes and a rule file tens, nested a dozen levels. Past
# these the file is refused before it is built, in well under a second, naming the key: a "billion laughs"
# (aliases of aliases) would otherwise expand to billions of values once the settings are checked or hashed.
MAX_YAML_CHARS = 1_000_000
MAX_YAML_DEPTH = 50
MAX_YAML_VALUES = 200_000   # values once every alias is expanded


class YamlLimit(yaml.YAMLError):
    """YAML refused for its shape, before it is built: too large, nested too deep, or aliases that expand too
    far or refer to themselves. ``key`` names where (``lol5``, ``thresholds[0][0]``), ``fix`` what to do."""

    def __init__(self, key: str, problem: str, fix: str, mark=None):
        super().__init__(f"{key}: {problem}")
        self.key, self.problem, self.fix, self.problem_mark = key, problem, fix, mark


class _BoundedLoader(_DataLoader):
    """The data loader, measuring each node as it is composed: its depth, and its size with aliases expanded
    (an alias costs the size of what it names, though YAML shares it), so a file whose settings would expand
    past :data:`MAX_YAML_VALUES` or nest past :data:`MAX_YAML_DEPTH` is refused while it is read."""

    def __init__(self, stream):
        super().__init__(stream)
        self._path: list[str] = []
        self._measured: dict[int, tuple[int, int]] = {}   # id(node) -> (values, depth) once composed

    def _key(self) -> str:
        key = "".join(p if p.startswith("[") else f".{p}" for p in self._path[:4]).lstrip(".") or "(top level)"
        return key + (f" ... ({len(self._path)} levels in)" if len(self._path) > 4 else "")

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self._measured:   # an alias inside its own anchor
                raise YamlLimit(self._key(), f"the alias *{event.anchor} refers to the value that holds it",
                                "write the value out instead of the alias", event.start_mark)
            return super().compose_node(parent, index)
        if parent is not None:
            self._path.append(f"[{index}]" if isinstance(index, int) else
                              str(index.value) if isinstance(index, yaml.ScalarNode) else "(key)")
        if len(self._path) > MAX_YAML_DEPTH:
            raise YamlLimit(self._key(), f"nested more than {MAX_YAML_DEPTH} levels deep",
                            "an engagement needs a few levels; check the brackets and indentation",
                            self.peek_event().start_mark)
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.ScalarNode):
            children = []
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [part for pair in node.value for part in pair]
        measured = [self._measured[id(child)] for child in children]
        values = 1 + sum(m[0] for m in measured)
        depth = 1 + max((m[1] for m in measured), default=0)
        self._measured[id(node)] = (values, depth)
        if values > MAX_YAML_VALUES or depth > MAX_YAML_DEPTH:
            what = (f"expands to more than {MAX_YAML_VALUES:,} values through its aliases" if values > MAX_YAML_VALUES
                    else f"nests more than {MAX_YAML_DEPTH} levels deep through its aliases")
            raise YamlLimit(self._key(), what, "write the values out, or use fewer aliases of aliases",
                            node.start_mark)
        if parent is not None:
            self._path.pop()
        return node


def load_yaml(text: str):
    """Read YAML text as data (safe loading: no tags that build objects), with YAML 1.2's true/false only.

    Raises
    ------
    YamlLimit
        Text longer than :data:`MAX_YAML_CHARS`, nested deeper than :data:`MAX_YAML_DEPTH`, or whose aliases
        expand past :data:`MAX_YAML_VALUES` values or refer to themselves (a ``yaml.YAMLError``).
    yaml.YAMLError
        Text that is not YAML.
    """
    if len(text) > MAX_YAML_CHARS:
        raise YamlLimit("(file)", f"{len(text):,} characters, more than the {MAX_YAML_CHARS:,} a settings file "
                        "may hold", "check that this is the engagement's YAML and not a data file")
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass


def _text_keys(mapping):
    # numbers as keys (level codes 1, 2, 3) are the text the file holds
    return {str(k): v for k, v in mapping.items()} if isinstance(mapping, dict) else mapping


class _Model(BaseModel):
    # Unknown keys are errors: a typo must not silently drop a setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _each_column_once(entries, what: str):
    columns = [e.column for e in entries]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValueError(f"{what} columns listed twice: {dupes}")
    return entries


class Scale(_Model):
    """A rating scale: its range and the codes that mean "not applicable" or "don't know"."""

    min: int
    max: int
    missing_codes: tuple[float, ...] = ()
    label: str = ""
    # answers exported as label text: a built-in map (agree5, satisfaction5, quality5, likely11) or label: rating
    labels: str | dict[str, float] | None = None
    missing_labels: tuple[str, ...] = ()   # more labels meaning "not applicable" / "don't know" (common ones are known)

    @model_validator(mode="after")
    def _range(self):
        from .readers import SCALE_MAPS

        if isinstance(self.labels, str) and self.labels not in SCALE_MAPS:
            raise ValueError(f"labels {self.labels!r} is not a built-in map; use one of {sorted(SCALE_MAPS)} "
                             "or a mapping of label: rating")
        if isinstance(self.labels, dict):
            outside = [k for k, v in self.labels.items() if not self.min <= v <= self.max]
            if outside:
                raise ValueError(f"labels {outside} map outside the scale {self.min}-{self.max}")
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        inside = [c for c in self.missing_codes if self.min <= c <= self.max]
        if inside:
            raise ValueError(f"missing_codes {inside} lie inside the scale {self.min}-{self.max}; they would hide real ratings")
        return self

    @property
    def range_key(self) -> str:
        return f"{self.min}-{self.max}"

    @property
    def top2_min(self) -> int:
        """Lowest rating counted as favourable: the top two boxes on scales of five points or more, the top box on
        shorter ones (on a two-point scale the top two boxes would be every answer)."""
        return self.max - 1 if self.max - self.min >= 4 else self.max

    @property
    def top_boxes(self) -> str:
        """The favourable ratings in words: "top-2-box" (five points or more) or "top box"."""
        return "top-2-box" if self.max - self.min >= 4 else "top box"

    @property
    def top_boxes_words(self) -> str:
        """The favourable ratings in a sentence: "the top two boxes" or "the top box"."""
        return "the top two boxes" if self.max - self.min >= 4 else "the top box"


class Attribute(_Model):
    """A touchpoint or attribute customers rate."""

    column: str
    label: str
    owner: str | None = None
    expectation: str | None = None


class Outcome(_Model):
    column: str
    label: str
    scale: str


class YesNoOutcome(_Model):
    column: str
    label: str
    yes: tuple[str, ...] = ("yes", "y", "1", "true")
    no: tuple[str, ...] = ("no", "n", "0", "false")

    @field_validator("yes", "no", mode="before")
    @classmethod
    def _as_text(cls, values):
        # codes written as numbers (1, 0) are the text the file holds
        return [str(v).lower() if isinstance(v, bool) else str(v) for v in values] if isinstance(values, (list, tuple)) \
            else values


class Outcomes(_Model):
    satisfaction: Outcome | None = None
    recommend: Outcome | None = None
    yes_no: YesNoOutcome | None = None

    @model_validator(mode="after")
    def _at_least_one(self):
        if self.satisfaction is None and self.recommend is None and self.yes_no is None:
            raise ValueError("name at least one of 'satisfaction', 'recommend' or 'yes_no'")
        return self


class DataFile(_Model):
    file: str
    # "table": a plain CSV or Excel table; a platform's name (or "auto" to detect it) reads its export as it
    # comes (cxkit.inputs.readers): header rows, ImportIds, previews and unfinished responses, encodings
    format: Literal["table", "auto", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "spss"] = "table"
    sheet: str | None = None
    header_row: int = Field(1, ge=1)
    # text files: stated, else detected (UTF-8 with or without a byte-order mark, UTF-16, Windows-1252, Latin-1)
    encoding: str | None = None
    qsf: str | None = None   # a Qualtrics survey definition: recode values in the export become their choice labels

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value):
        import codecs

        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"{value!r} is not an encoding Python knows; use utf-8, utf-16, cp1252 or latin-1, "
                                 "or remove 'encoding:' to have it detected") from None
        return value


class FeedbackConfig(DataFile):
    id: str | None = None        # a respondent id column; without one, respondents are known by their row in the file
    scale: str = "rating5"
    # none or one is allowed (an NPS-only survey): the stages that need touchpoints skip and say why
    attributes: tuple[Attribute, ...] = ()
    outcomes: Outcomes
    descriptors: tuple[str, ...] = ()
    value: str | None = None
    wave: str | None = None
    wave_period: Literal["month", "quarter", "year"] | None = None  # the wave column holds dates: group them so
    date_format: str | None = None   # how the wave column writes dates (strftime, e.g. "%d/%m/%Y %H:%M"), where the
                                     # form is ambiguous; read from the data otherwise
    comment: str | None = None
    weight: str | None = None   # a respondent weight column, used in every estimate
    duration: str | None = None  # seconds each response took (Qualtrics' "Duration (in seconds)" is found alone)
    exclude_speeders: bool = False         # leave out responses faster than thresholds.speeder_share of the median
    exclude_straight_liners: bool = False  # leave out respondents who gave every attribute the same rating

    @field_validator("date_format")
    @classmethod
    def _a_date_form(cls, value):
        if value is not None and not re.search(r"%[dmYyHIMSpbB]", value):
            raise ValueError(f"{value!r} is not a date form; write it with strftime codes, for example "
                             "'%d/%m/%Y %H:%M' (day/month/year hour:minute) or '%m/%d/%Y'")
        return value

    @field_validator("attributes")
    @classmethod
    def _unique(cls, attributes):
        labels = [a.label for a in attributes]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:   # charts and tables name touchpoints by label: two alike could not be told apart
            raise ValueError(f"attribute labels used twice: {twice}; give each touchpoint its own label")
        return _each_column_once(attributes, "attribute")

    @property
    def main_outcome(self) -> Outcome | None:
        """The rating outcome the loyalty mix and driver model use: satisfaction if mapped, else recommend; none
        when the only outcome is yes/no."""
        return self.outcomes.satisfaction or self.outcomes.recommend


class Item(_Model):
    """A diagnostic statement mapped to its column: from the framework's item bank (``item``) or the engagement's own."""

    column: str
    item: str | None = None      # the bank id it came from
    dimension: str
    readiness: Literal["know", "care", "can"] | None = None
    reverse: bool = False
    text: str = ""
    target: str | None = None    # a column of target ("where we should be") ratings for this statement


class DiagnosticConfig(DataFile):
    id: str | None = None
    department: str | None = None   # without departments, silos and department comparisons are skipped
    level: str | None = None        # without levels, leaders and frontline are not compared
    levels: dict[str, Literal["executive", "manager", "frontline"]] = Field(default_factory=dict)
    scale: str = "agree5"
    items: tuple[Item, ...] = Field(min_length=2)
    driving_force: dict[str, str] = Field(default_factory=dict)
    comment: str | None = None       # free text ("what stops us serving customers better?"): redacted, coded
    exclude_straight_liners: bool = False   # leave out employees who gave every statement the same answer

    @field_validator("items")
    @classmethod
    def _unique_columns(cls, items):
        return _each_column_once(items, "item")

    @field_validator("levels", mode="before")
    @classmethod
    def _level_codes(cls, levels):
        return _text_keys(levels)

    @model_validator(mode="after")
    def _levels_mapped(self):
        if self.level is not None and not self.levels:
            raise ValueError("map each value of the level column to executive, manager or frontline under "
                             "'levels:' (for example levels: {Director: executive, Team lead: manager, Agent: "
                             "frontline}), or remove 'level:' to run without comparing levels")
        return self


class Thresholds(_Model):
    """Judgement thresholds. The firm's values are in templates/defaults.yaml, the one place defaults are written."""

    min_group_size: int = Field(ge=2)
    perception_margin: float = Field(ge=0)   # leaders this far above the frontline are flagged
    reliability_alpha: float = Field(gt=0, lt=1)  # Cronbach's alpha below this is warned about
    lagging_margin: float = Field(ge=0)      # a department this far below everyone lags
    min_segment_size: int = Field(ge=2)
    segment_k_range: tuple[int, int]
    segment_stability: float = Field(gt=0, le=1)  # bootstrap adjusted Rand index below this is warned about
    missing_warning_share: float = Field(gt=0, le=1)
    min_respondents: int = Field(ge=2)
    driving_force_tolerance: float = Field(ge=0)
    speeder_share: float = Field(gt=0, lt=1)   # a response faster than this share of the median is a speeder
    alpha: float = Field(gt=0, lt=1)   # significance level of the tests claims rest on (drivers: drivers.alpha)
    min_effect: float = Field(ge=0, lt=1)   # a difference under this share of its scale's range is not called one

    @field_validator("segment_k_range")
    @classmethod
    def _k(cls, value):
        if not 2 <= value[0] <= value[1] <= 12:
            raise ValueError("expected [low, high] with 2 <= low <= high <= 12")
        return value


class Targets(_Model):
    """How scorecard and maturity targets are set (firm values in templates/defaults.yaml)."""

    maturity_default: float
    uplift_points: float = Field(gt=0)
    scorecard_drivers: int = Field(ge=1)
    outcome_owner: str
    people_owner: str
    people_dimensions: tuple[str, ...]
    outcome_goal: float | None = Field(gt=0)   # with it, driver targets come from the what-if: the rise
                                               # each driver needs to lift the main outcome by this much
    dimensions: dict[str, float] = Field(default_factory=dict)   # per-dimension targets over maturity_default


class DriverSettings(_Model):
    """How the key driver models are fitted and when their results are warned about (firm values in
    templates/defaults.yaml)."""

    missing: Literal["listwise", "pairwise", "impute"]
    bootstrap: int = Field(ge=0, le=100_000)     # resamples for the 95% intervals; 0 for none
    exact_limit: int = Field(ge=2, le=27)          # more drivers than this: Shapley over sampled orderings
    max_exact: int = Field(ge=2, le=27)            # more drivers than this: Johnson's relative weights
    yes_no_method: Literal["relative_weights", "shapley"]
    interval_method: Literal["auto", "exact", "sampled"]   # how each bootstrap resample is decomposed
    quadrant_cut: Literal["mean", "median"]   # importance-performance thresholds
    what_if_raise: float = Field(gt=0)            # points added to one attribute in the what-if
    nonlinear_check: bool                      # gradient boosting beside the Shapley shares
    warn_r2: float = Field(ge=0, lt=1)            # R^2 below this: the model explains little
    warn_n: int = Field(ge=1)                     # fewer respondents than this: shares are unstable
    warn_vif: float = Field(gt=1)                 # variance inflation above this: collinear drivers
    warn_condition: float = Field(gt=1)          # condition number above this: collinear drivers
    alpha: float = Field(gt=0, lt=1)             # significance level of the asymmetry and segment tests


class RecommendationSettings(_Model):
    """The recommendation rules: the firm's file, rules switched off, and the engagement's own or replacing ones."""

    file: str = "recommendations.yaml"          # relative to templates/ unless absolute or beside the engagement
    disable: tuple[str, ...] = ()
    rules: tuple[dict, ...] = ()

    @field_validator("rules")
    @classmethod
    def _rules(cls, rules):
        from ..claims.rules import RuleError, parse_rules

        if rules:
            try:
                parse_rules({"rules": list(rules)}, "recommendations.rules")
            except RuleError as exc:
                raise ValueError("; ".join(exc.problems)) from None
        return rules


class Brand(_Model):
    primary: str
    secondary: str
    accent: str
    positive: str
    negative: str
    neutral: str

    @field_validator("*")
    @classmethod
    def _hex(cls, value):
        text = str(value).lstrip("#").upper()
        if len(text) != 6 or any(c not in "0123456789ABCDEF" for c in text):
            raise ValueError(f"{value!r} is not a colour; expected six hex digits such as '1F4E79'")
        return text


# What a deck template must hold: its layouts by name, and the placeholders (by idx) the deck fills in each:
# 0 the title, 1 the body (text, a chart or a table), 2 a second chart. A caption (idx 13) is used where present.
DECK_LAYOUTS = {"Title": (0, 1), "Section": (0, 1), "Finding + chart": (0, 1), "Two charts": (0, 1, 2),
                "Table": (0, 1), "Bullets": (0, 1)}
# the picture formats a slide can carry (python-pptx's), as Pillow names them
LOGO_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF")


class DeckConfig(_Model):
    template: str
    brand: Brand
    logo: str | None
    storyline: tuple[str, ...] = Field(min_length=1)


class Dimension(_Model):
    label: str
    description: str = ""
    move: str = ""  # the typical recommendation when this dimension lags


class MaturityLevel(_Model):
    level: int
    name: str
    start: float = Field(alias="from", ge=0, lt=1)
    description: str = ""


class BankItem(_Model):
    dimension: str
    readiness: Literal["know", "care", "can"] | None = None
    text: str
    reverse: bool = False


class Framework(_Model):
    name: str
    scale: str = "agree5"
    maturity_levels: tuple[MaturityLevel, ...] = Field(min_length=2)
    dimensions: dict[str, Dimension]
    readiness: dict[str, dict[str, str]]
    levels: dict[str, str]
    driving_forces: dict[str, str]
    items: dict[str, BankItem] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self):
        starts = [m.start for m in self.maturity_levels]
        if starts[0] != 0 or starts != sorted(starts):
            raise ValueError("maturity_levels must start 'from: 0' and rise")
        stray = sorted({i.dimension for i in self.items.values()} - set(self.dimensions))
        if stray:
            raise ValueError(f"item bank names dimensions {stray} that the framework does not define")
        return self

    def maturity_level(self, share_of_scale: float) -> MaturityLevel | None:
        """The level whose threshold the share of the scale reached has passed."""
        if share_of_scale != share_of_scale:  # NaN
            return None
        return [m for m in self.maturity_levels if m.start <= share_of_scale][-1]


class CommentSettings(_Model):
    """How comments are coded, what is quoted, and what personal data is looked for (firm values in
    templates/defaults.yaml)."""

    codeframe: str                      # relative to templates/ unless absolute or beside the engagement
    staff_codeframe: str                # the staff comments' codeframe (the diagnostic's comment column)
    themes: dict[str, dict] = Field(default_factory=dict)   # themes added, or terms added to the codeframe's
    replace: bool = False               # the engagement's themes replace the codeframe's rather than extend it
    min_quote_group: int = Field(ge=1)  # commenters a group needs before any of its comments is quoted
    quotes: int = Field(ge=0, le=10)    # quotes shown per leading theme
    quote_length: int = Field(ge=40)    # characters a quote may have (longer ones are cut at a sentence)
    discover: int = Field(ge=0, le=20)  # themes looked for among the comments the codeframe misses
    names: tuple[str, ...] = ()         # people's names removed besides the kit's first-name list (staff, say)
    region: str = Field(pattern=r"^[A-Z]{2}$")   # phone numbers without a country code read as this country's


STARTER_CLIENT = "Client name"   # what a starter engagement (cxkit inspect --write-config) names the client until set


class UnitSettings(_Model):
    """One deck per unit (region, store, team) from one engagement's data, and a roll-up that compares them
    (``cxkit batch ENGAGEMENT.yaml --units``)."""

    column: str = Field(min_length=1)     # the feedback column whose values are the units
    diagnostic_column: str | None = None  # the diagnostic's column naming the same units: each unit's reality check
    minimum: int | None = Field(None, ge=2)   # customers a unit needs for its own deck (thresholds.min_respondents)
    name: str = Field("unit", min_length=1, max_length=40)   # what a unit is called in the decks (region, store)


class Engagement(_Model):
    """A validated engagement: client, data mapping, thresholds, framework and deck settings."""

    client: str = Field(min_length=1)
    engagement_id: str
    seed: int = 0
    feedback: FeedbackConfig | None = None
    diagnostic: DiagnosticConfig | None = None
    scales: dict[str, Scale]
    loyalty_bands: dict[str, dict[Literal["truly_impressed", "satisfied", "indifferent"], float]]
    thresholds: Thresholds
    targets: Targets
    drivers: DriverSettings
    recommendations: RecommendationSettings = RecommendationSettings()
    comments: CommentSettings
    units: UnitSettings | None = None
    deck: DeckConfig
    framework: Framework
    source: Path = Field(exclude=True)
    config_hash: str = Field("", exclude=True)

    @field_validator("engagement_id")
    @classmethod
    def _safe_id(cls, value):
        if not ENGAGEMENT_ID.match(value) or ".." in value:
            raise ValueError(
                f"{value!r} is not usable as a folder name; use letters, digits, '.', '-', '_' (at most 80, no '..')"
            )
        return value

    @model_validator(mode="after")
    def _cross_references(self):
        problems = []
        if self.feedback is None and self.diagnostic is None:
            problems.append("the engagement names neither 'feedback' nor 'diagnostic' data")
        for name in self._scale_names():
            if name not in self.scales:
                problems.append(f"scale {name!r} is not defined; defined scales: {sorted(self.scales)}")
        if self.feedback is not None and self.feedback.main_outcome is not None:
            main = self.scales.get(self.feedback.main_outcome.scale)
            if main is not None and main.range_key not in self.loyalty_bands:
                problems.append(
                    f"no loyalty_bands for the {main.range_key} scale of the main outcome; "
                    f"add loyalty_bands: {{'{main.range_key}': {{truly_impressed: .., satisfied: .., indifferent: ..}}}}"
                )
        if self.diagnostic is not None:
            dims = set(self.framework.dimensions)
            for item in self.diagnostic.items:
                if item.dimension not in dims:
                    problems.append(f"item {item.column!r} maps to dimension {item.dimension!r}, not in the framework {sorted(dims)}")
            counts = {d: sum(i.dimension == d for i in self.diagnostic.items) for d in dims}
            thin = sorted(d for d, n in counts.items() if 0 < n < 2)
            if thin:
                problems.append(f"dimensions with fewer than two items: {thin}; a dimension needs at least two statements")
            unknown = sorted(set(self.diagnostic.driving_force) - set(self.framework.driving_forces))
            if unknown:
                problems.append(f"driving_force names {unknown} not in the framework's driving_forces {sorted(self.framework.driving_forces)}")
        if self.deck.logo and not input_path(self.folder, self.deck.logo).exists():
            problems.append(f"deck.logo {self.deck.logo!r} not found next to the engagement")
        unknown_dims = sorted(set(self.targets.dimensions) - set(self.framework.dimensions))
        if unknown_dims:
            problems.append(f"targets.dimensions names {unknown_dims}, not in the framework")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _scale_names(self):
        if self.feedback is not None:
            yield self.feedback.scale
            for outcome in (self.feedback.outcomes.satisfaction, self.feedback.outcomes.recommend):
                if outcome is not None:
                    yield outcome.scale
        if self.diagnostic is not None:
            yield self.diagnostic.scale

    @property
    def folder(self) -> Path:
        return self.source.parent

    def data_path(self, part: Literal["feedback", "diagnostic"]) -> Path:
        spec = getattr(self, part)
        return input_path(self.folder, spec.file)

    @property
    def template(self) -> Path:
        return template_path(self.deck.template, self.folder)

    @property
    def logo_path(self) -> Path | None:
        return input_path(self.folder, self.deck.logo) if self.deck.logo else None

    @property
    def nps_column(self) -> str | None:
        """The likelihood-to-recommend column NPS is computed from, or None: NPS's cut-offs (promoters 9-10,
        detractors 0-6) hold only on a 0-10 scale, so another recommend scale gets no NPS (validate says why)."""
        recommend = self.feedback.outcomes.recommend if self.feedback is not None else None
        if recommend is None:
            return None
        scale = self.scales.get(recommend.scale)
        return recommend.column if scale is not None and (scale.min, scale.max) == (0, 10) else None

    @property
    def outcome(self) -> Outcome | YesNoOutcome | None:
        """The outcome the customer analyses describe: the main rating outcome, else the yes/no one (read as
        its share of yes)."""
        if self.feedback is None:
            return None
        return self.feedback.main_outcome or self.feedback.outcomes.yes_no

    @property
    def outcome_span(self) -> float:
        """The range of :attr:`outcome`'s scale (1 for a yes/no outcome's share): effects are judged against it."""
        main = self.feedback.main_outcome if self.feedback is not None else None
        if main is None:
            return 1.0
        scale = self.scales[main.scale]
        return float(scale.max - scale.min)

    def dimension_target(self, dimension: str) -> float:
        return self.targets.dimensions.get(dimension, self.targets.maturity_default)

    def has(self, part: str) -> bool:
        return getattr(self, part) is not None


def deep_merge(base: dict, override: dict) -> dict:
    """Merge ``override`` into a copy of ``base``: mappings key by key, anything else replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read_yaml(path: Path) -> dict:
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.y*ml"))[:5]
        raise ConfigError([ConfigProblem(str(path), "(file)", "is a folder, not a YAML file",
                                         f"name the YAML file itself{': ' + ', '.join(found) if found else ''}")])
    try:
        if path.stat().st_size > 4 * MAX_YAML_CHARS:   # refused unread: a data file named by mistake
            raise YamlLimit("(file)", f"{path.stat().st_size:,} bytes, more than a settings file may hold",
                            "check that this is the engagement's YAML and not a data file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), "(file)", "file not found", "check the path")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                         "save the file as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "(file)", f"cannot be read ({exc.strerror or exc})",
                                         "check the file's permissions")]) from None
    except YamlLimit as exc:
        raise ConfigError([ConfigProblem(str(path), exc.key, exc.problem, exc.fix)]) from None
    try:
        data = load_yaml(text)
    except YamlLimit as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError([ConfigProblem(str(path), exc.key + where, exc.problem, exc.fix)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(str(path), where, f"not valid YAML: {reason}",
                                         "check indentation and quoting near that line")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(str(path), "(top level)", f"expected a mapping of keys, found {type(data).__name__}",
                                         "start the file with keys such as 'client:' and 'engagement_id:'")])
    return data


_FIXES = {
    "missing": "add this key",
    "extra_forbidden": "remove the key or correct its spelling",
    "string_type": "write it as text (in quotes if it looks like a number: '5')",
    "dict_type": "write it as a mapping, one 'key: value' per indented line",
    "list_type": "write it as a list: [a, b] or one '- item' per line",
    "tuple_type": "write it as a list: [a, b] or one '- item' per line",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_parsing": "write a number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "greater_than": "use a larger number",
    "greater_than_equal": "use a larger number",
    "less_than": "use a smaller number",
    "less_than_equal": "use a smaller number",
    "too_short": "add entries, or remove the key",
}


def _problems_from(exc: ValidationError, file: Path, raw: dict) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        loc = [p for p in error["loc"] if p not in ("function-after",)]
        key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(error["type"], "")
        if error["type"] == "extra_forbidden" and loc:
            allowed = _allowed_keys(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                fix = f"did you mean '{close[0]}'?"
            elif allowed:
                fix = f"remove it; allowed keys here: {', '.join(sorted(allowed))}"
        elif error["type"] not in ("missing", "extra_forbidden") and "input" in error \
                and not isinstance(error["input"], dict):
            message += f" (found {error['input']!r})"
        problems.append(ConfigProblem(str(file), key, message, fix))
    return problems


def _allowed_keys(loc) -> list[str]:
    model: Any = Engagement
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            inner = getattr(annotation, "__args__", ())
            candidates = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return [k for k, f in model.model_fields.items() if not f.exclude]


def _resolve_bank_items(merged: dict, path: Path) -> list[ConfigProblem]:
    """Fill diagnostic items that name a bank item (``item: cd1``) from the framework's item bank."""
    diagnostic = merged.get("diagnostic")
    if not isinstance(diagnostic, dict):
        return []
    framework = merged.get("framework") or {}
    diagnostic.setdefault("scale", framework.get("scale", "agree5"))
    bank = framework.get("items") or {}
    problems = []
    resolved = []
    for k, item in enumerate(diagnostic.get("items") or []):
        if isinstance(item, dict) and item.get("item") is not None:
            entry = bank.get(item["item"])
            if entry is None:
                close = difflib.get_close_matches(str(item["item"]), list(bank), n=1)
                problems.append(ConfigProblem(str(path), f"diagnostic.items[{k}].item",
                                              f"{item['item']!r} is not in the framework's item bank",
                                              f"did you mean '{close[0]}'?" if close else
                                              "use an id from templates/framework.yaml (items:), or give the statement's "
                                              "dimension, readiness and text yourself"))
                resolved.append(item)
                continue
            item = {**entry, **item}
        resolved.append(item)
    diagnostic["items"] = resolved
    return problems


def _control_characters(value, file: str, key: str = "") -> list[ConfigProblem]:
    """Text in the YAML holding control characters (written as escapes such as "\\v" in quotes): no slide, cell or
    XML file can show them, so they are named here rather than met by the deck stage."""
    from .readers import CONTROL_CHARACTERS

    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _control_characters(k, file, key) +
                _control_characters(v, file, f"{key}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _control_characters(v, file, f"{key}[{i}]")]
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        found = sorted({f"\\x{ord(c):02x}" for c in CONTROL_CHARACTERS.findall(value)})
        return [ConfigProblem(file, key or "(top level)", f"the text holds control characters ({', '.join(found)}), "
                              "which no slide or spreadsheet can show", "remove them from the text")]
    return []


def firm_defaults() -> dict:
    """The firm's defaults (``templates/defaults.yaml``): the one place default settings are written."""
    return _read_yaml(TEMPLATES / "defaults.yaml")


def load_engagement(path: str | Path) -> Engagement:
    """Load and validate an engagement YAML over the firm's defaults.

    Parameters
    ----------
    path : str or Path
        The engagement's YAML file. Data file paths inside it are relative to it.

    Returns
    -------
    Engagement
        The validated, frozen configuration.

    Raises
    ------
    ConfigError
        With every problem found, each naming the file, key, expectation and fix.
    """
    path = Path(path).resolve()
    raw = _read_yaml(path)
    controls = _control_characters(raw, str(path))
    if controls:
        raise ConfigError(controls)
    defaults = firm_defaults()
    framework_ref = raw.pop("framework", None)
    framework_override = {}
    if isinstance(framework_ref, str):
        framework = _read_yaml(template_path(framework_ref, path.parent))
    else:
        framework = _read_yaml(TEMPLATES / "framework.yaml")
        if isinstance(framework_ref, dict):
            framework_override = framework_ref
    merged = deep_merge(defaults, raw)
    merged["framework"] = deep_merge(framework, framework_override)
    bank_problems = _resolve_bank_items(merged, path)
    if bank_problems:
        raise ConfigError(bank_problems)
    digest = hashlib.sha256(json.dumps(merged, sort_keys=True, default=str).encode()).hexdigest()[:16]
    try:
        eng = Engagement(**merged, source=path, config_hash=digest)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, path, raw)) from None
    except TypeError as exc:
        raise ConfigError([ConfigProblem(str(path), "(top level)", str(exc), "check the keys at the top of the file")]) from None
    problems = deck_file_problems(eng)
    from ..claims.recommend import engagement_rules

    try:   # the rule file and 'disable' are checked now, not met by the recommendations stage after the analysis
        engagement_rules(eng)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return eng


def deck_file_problems(eng: Engagement) -> list[ConfigProblem]:
    """Check the deck's template and logo files before any analysis, so a deck never fails on them at the end.

    The template must be a PowerPoint file (.pptx) python-pptx opens, with the layouts and placeholders of
    :data:`DECK_LAYOUTS`; the logo an image a slide can carry (:data:`LOGO_FORMATS`), not a folder or another
    kind of file named like one.

    Returns
    -------
    list of ConfigProblem
        One per problem, naming ``deck.template`` or ``deck.logo``, the file and the fix.
    """
    file, problems = str(eng.source), []
    template = eng.template
    named = f"{eng.deck.template!r}" + (f" ({template})" if str(template) != eng.deck.template else "")
    use_kit = "or remove deck.template to use the kit's own (templates/deck.pptx)"
    if not template.is_file():
        problems.append(ConfigProblem(file, "deck.template", f"{named} {'is a folder' if template.is_dir() else 'not found'}",
                                      f"name a .pptx file, relative to the engagement or to the kit's templates/, "
                                      f"{use_kit}"))
    elif template.suffix.lower() != ".pptx":
        problems.append(ConfigProblem(file, "deck.template", f"{named} is not a PowerPoint presentation (.pptx)",
                                      f"save the template from PowerPoint as .pptx, {use_kit}"))
    else:
        problems += _template_problems(template, named, file, use_kit)
    logo = eng.logo_path
    if logo is not None and logo.is_dir():
        problems.append(ConfigProblem(file, "deck.logo", f"{eng.deck.logo!r} is a folder", "name the image file itself"))
    elif logo is not None and logo.exists():
        from PIL import Image

        try:
            with Image.open(logo) as image:
                found = image.format
                image.verify()
        except Exception as exc:  # Pillow raises its own and OS errors for files that are not images
            problems.append(ConfigProblem(file, "deck.logo", f"{eng.deck.logo!r} is not a readable image "
                                          f"({type(exc).__name__})", "save the logo as PNG or JPEG"))
        else:
            if found not in LOGO_FORMATS:
                problems.append(ConfigProblem(file, "deck.logo", f"{eng.deck.logo!r} is a {found} image, which a "
                                              "slide cannot carry", f"save it as {', '.join(LOGO_FORMATS)}"))
    return problems


def _template_problems(template: Path, named: str, file: str, use_kit: str) -> list[ConfigProblem]:
    from pptx import Presentation

    try:
        prs = Presentation(str(template))
    except Exception as exc:  # python-pptx raises zipfile, KeyError and its own errors for files it cannot open
        return [ConfigProblem(file, "deck.template", f"{named} cannot be opened as a PowerPoint presentation "
                              f"({type(exc).__name__})", f"open it in PowerPoint and save it as .pptx again, {use_kit}")]
    layouts = {layout.name: {ph.placeholder_format.idx for ph in layout.placeholders} for layout in prs.slide_layouts}
    missing = [name for name in DECK_LAYOUTS if name not in layouts]
    lacking = [f"'{name}' has no placeholder idx {', '.join(str(i) for i in needed if i not in layouts[name])}"
               for name, needed in DECK_LAYOUTS.items() if name in layouts and not set(needed) <= layouts[name]]
    problems = []
    if missing:
        problems.append(ConfigProblem(file, "deck.template", f"{named} lacks the layouts {missing}",
                                      f"add layouts with those names (it has {sorted(layouts)}), {use_kit}"))
    if lacking:
        problems.append(ConfigProblem(file, "deck.template", f"{named}: layout {'; '.join(lacking)}",
                                      "give each layout a title (idx 0) and its body placeholders (idx 1, and 2 for "
                                      f"'Two charts'), {use_kit}"))
    return problems
