"""The results contract: every stage and every table a run saves, declared once.

Each table names the stage (and so the notebook) that writes it, says in one
line what it holds, and lists its columns with their kinds. Saving a table that
is not declared here, or one that lacks a declared column, holds an undeclared
one or a value of the wrong kind, fails at once; so does reading an undeclared
table. The Excel appendix, the deck's source notes and the recommendation rules
all read these declarations, so a newcomer changes a table in one place.

Categories are stored as codes (``fix_first``, ``dissatisfier``) and shown by
their labels (:class:`Codes`), so display text is never used as a key.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import pandas as pd

TEXT, INT, NUMBER, BOOL = "text", "int", "number", "bool"


@dataclass(frozen=True)
class Stage:
    """A step of a run: the notebook that performs it, the data it needs, and its title."""

    name: str
    notebook: str | None
    needs: str | None
    title: str
    mapping: str | None = None   # a column the engagement must map for the stage to run ("feedback.comment")
    writer: str = "cxkit run"    # what writes the stage's results when no notebook does

    @property
    def notebook_name(self) -> str:
        """The notebook's name without its suffix, or what writes the stage's results when no notebook does."""
        return self.notebook.removesuffix(".ipynb") if self.notebook else self.writer


STAGES: Mapping[str, Stage] = MappingProxyType({s.name: s for s in (
    Stage("inputs", None, None, "Data checks"),
    Stage("reality_check", "01_reality_check.ipynb", "diagnostic", "Reality check"),
    Stage("customers", "02_customers_segments.ipynb", "feedback", "Customers and segments"),
    Stage("drivers", "03_drivers.ipynb", "feedback", "Key drivers"),
    Stage("comments", "02b_comments.ipynb", "feedback", "What customers say", mapping="feedback.comment"),
    Stage("metrics", "04_metrics.ipynb", "feedback", "Metrics"),
    Stage("recommendations", "05_recommendations.ipynb", None, "Recommendations"),
    Stage("deck", "06_deck.ipynb", None, "Deck"),
    Stage("units", None, "feedback", "Units compared", writer="cxkit batch --units"),
)})
ANALYSIS_STAGES = ("reality_check", "customers", "comments", "drivers", "metrics")
# tables only a batch by units writes: a unit's comparison with the rest (in each unit's run) and the roll-up's
UNIT_TABLES = frozenset({"unit_vs_rest", "unit_plan", "unit_comparison", "unit_league", "unit_moments", "unit_pilots"})


@dataclass(frozen=True)
class Codes:
    """A category stored as codes and shown by labels."""

    name: str
    labels: Mapping[str, str]

    def label(self, code) -> str:
        """The display label of a code (a missing value shows as an empty text)."""
        if code is None or (isinstance(code, float) and code != code):
            return ""
        try:
            return self.labels[code]
        except KeyError:
            raise ValueError(f"{code!r} is not a {self.name} code; codes are {', '.join(self.labels)}") from None

    def __contains__(self, code) -> bool:
        return code in self.labels


QUADRANT = Codes("quadrant", {"fix_first": "Moment of truth: fix first", "strength": "Strength: keep",
                              "over_served": "Possible over-service", "lower_priority": "Lower priority"})
ASYMMETRY = Codes("asymmetry kind", {"dissatisfier": "Dissatisfier", "delighter": "Delighter", "both": "Both",
                                     "no_clear_effect": "No clear effect"})
CONSISTENCY = Codes("consistency group", {"consistent": "Consistent", "mixed": "Mixed", "inconsistent": "Inconsistent",
                                          "all_good": "All good", "one_poor": "One poor among good"})
DIMENSION_TARGET = Codes("target source", {"data": "target ratings in the data",
                                           "configured": "engagement configuration"})
METRIC_TARGET = Codes("target source", {"best_group": "Best customer group", "best_department": "Best department",
                                        "what_if": "What-if", "uplift": "Uplift"})
LAYER = Codes("scorecard layer", {"outcome": "Outcome", "driver": "Driver", "people": "People"})
UNIT = Codes("unit", {"share": "share", "points": "points", "mean": "mean"})
HORIZON = Codes("horizon", {"quick_win": "Quick win", "days_90": "90 days", "months_12": "12 months"})
SEVERITY = Codes("severity", {"error": "error", "warning": "warning", "info": "info"})
SEGMENT_PATTERN = Codes("segment pattern", {"shape": "differ in what they rate well and poorly",
                                             "level": "differ only in how generously they rate"})
LEVEL_ORDER = ("executive", "manager", "frontline")   # the diagnostic's levels, in the order every chart shows them
UNIT_VERDICT = Codes("unit verdict", {"above": "Above the rest", "below": "Below the rest",
                                      "small_difference": "Beyond chance, but small",
                                      "no_clear_difference": "No clear difference"})
UNIT_STATUS = Codes("unit status", {"own_deck": "Own deck", "pooled": "Pooled with other small units",
                                    "too_small": "Too small to show"})
LOYALTY_BAND = Codes("loyalty band", {"truly_impressed": "Truly impressed", "satisfied": "Satisfied",
                                      "indifferent": "Indifferent", "unhappy": "Unhappy"})


@dataclass(frozen=True)
class Column:
    name: str
    kind: str | Codes
    optional: bool = False   # present only when the engagement maps the data behind it


@dataclass(frozen=True)
class Table:
    """One results table: where it comes from, what it holds, and its columns.

    ``patterns`` admits columns named after the engagement's own columns (``mean_*``), all numbers;
    ``appendix`` is false for tables too large or too raw for the Excel appendix.
    """

    name: str
    stage: str
    description: str
    columns: tuple[Column, ...]
    patterns: tuple[str, ...] = ()
    appendix: bool = True

    @property
    def file(self) -> str:
        return f"results/{self.name}.csv"

    @property
    def source(self) -> str:
        """Where a number comes from, for speaker notes: ``results/x.csv (0N_notebook)``."""
        return f"{self.file} ({STAGES[self.stage].notebook_name})"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def problems(self, frame: pd.DataFrame) -> list[str]:
        """What in ``frame`` breaks this declaration (missing, undeclared or mistyped columns)."""
        found = [str(c) for c in frame.columns]
        out = []
        missing = [c.name for c in self.columns if not c.optional and c.name not in found]
        if missing:
            out.append(f"lacks the declared columns {missing}")
        extra = [c for c in found if c not in self.names and not any(fnmatch.fnmatchcase(c, p) for p in self.patterns)]
        if extra:
            out.append(f"has undeclared columns {extra}")
        if len(set(found)) < len(found):
            out.append("has a column twice")
        for column in self.columns:
            if column.name in found and len(frame):
                problem = _kind_problem(frame[column.name], column.kind)
                if problem:
                    out.append(f"column '{column.name}' {problem}")
        for name in found:
            if name not in self.names and name not in extra and len(frame):
                problem = _kind_problem(frame[name], NUMBER)
                if problem:
                    out.append(f"column '{name}' {problem}")
        return out


def _kind_problem(values: pd.Series, kind) -> str | None:
    present = values.dropna()
    if present.empty:
        return None
    if isinstance(kind, Codes):
        unknown = sorted({str(v) for v in present.unique() if v not in kind})
        return f"holds {unknown[:5]}, not {kind.name} codes ({', '.join(kind.labels)})" if unknown else None
    if kind == BOOL:
        ok = pd.api.types.is_bool_dtype(values) or all(isinstance(v, bool) for v in present)
        return None if ok else f"should hold true/false, holds {values.dtype}"
    if kind in (INT, NUMBER):
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            return f"should hold numbers, holds {values.dtype}"
        if kind == INT and not (present.astype(float) % 1 == 0).all():
            return "should hold whole numbers"
        return None
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return f"should hold text, holds {values.dtype}"
    return None


def _table(table_name: str, stage: str, description: str, /, *, patterns: tuple[str, ...] = (),
           appendix: bool = True, optional: tuple[str, ...] = (), **columns) -> Table:
    return Table(table_name, stage, description,
                 tuple(Column(c, kind, c in optional) for c, kind in columns.items()), patterns, appendix)


_GROUP = dict(group=TEXT, n=NUMBER, mean=NUMBER, ci_low=NUMBER, ci_high=NUMBER, diff_from_all=NUMBER, suppressed=BOOL)
_DRIVERS = dict(attribute=TEXT, label=TEXT, owner=TEXT, rank=INT, importance=NUMBER, importance_low=NUMBER,
                importance_high=NUMBER, share=NUMBER, share_low=NUMBER, share_high=NUMBER, direction=INT,
                signed_share=NUMBER, performance=NUMBER, top2=NUMBER, vif=NUMBER, outcome=TEXT, outcome_label=TEXT,
                method=TEXT, fit=TEXT, r2=NUMBER, r2_low=NUMBER, r2_high=NUMBER, n=INT, missing=TEXT, resamples=INT,
                interval_method=TEXT)

_UNIT_ROW = dict(unit=TEXT, unit_id=TEXT, metric=TEXT, label=TEXT, kind=TEXT, span=NUMBER, n=INT, value=NUMBER,
                 ci_low=NUMBER, ci_high=NUMBER, rest=NUMBER, whole=NUMBER, diff=NUMBER, p=NUMBER, p_holm=NUMBER,
                 verdict=UNIT_VERDICT, rank=INT)

TABLES: Mapping[str, Table] = MappingProxyType({t.name: t for t in (
    # ---------------------------------------------------------------- inputs (cxkit run, before any notebook)
    _table("data_quality", "inputs", "What the data checks found (cxkit validate), and what the export readers did",
           severity=SEVERITY, file=TEXT, column=TEXT, message=TEXT, rows=TEXT, rows_affected=INT, fix=TEXT),
    _table("unit_vs_rest", "inputs", "A unit's run: the unit against the rest of the engagement on each headline "
           "metric (cxkit batch --units)", **_UNIT_ROW),
    # ---------------------------------------------------------------- units (cxkit batch --units: the roll-up)
    _table("unit_plan", "units", "Which units have a deck of their own, which are pooled, which are too small",
           unit=TEXT, customers=INT, status=UNIT_STATUS, deck_unit=TEXT, unit_id=TEXT),
    _table("unit_comparison", "units", "Every unit with a deck against the rest, on every headline metric",
           **_UNIT_ROW),
    _table("unit_league", "units", "Units ranked on the lead metric, with intervals and their verdict against "
           "the rest", **_UNIT_ROW),
    _table("unit_moments", "units", "For each moment of truth, the units clearly above and below the rest",
           attribute=TEXT, label=TEXT, share=NUMBER, leaders=TEXT, laggards=TEXT, units=INT),
    _table("unit_pilots", "units", "Pilot candidates: units clearly below the rest on moments of truth, by the "
           "shortfall weighted by importance", unit=TEXT, unit_id=TEXT, n=INT, score=NUMBER, moments=TEXT,
           gaps=INT),
    # ---------------------------------------------------------------- 01 reality check
    _table("reliability", "reality_check", "Cronbach's alpha per dimension; item-rest correlations and alpha if deleted",
           dimension=TEXT, label=TEXT, item=TEXT, text=TEXT, n=INT, alpha=NUMBER, item_rest=NUMBER,
           alpha_if_deleted=NUMBER, lowers_alpha=BOOL, low_alpha=BOOL),
    _table("maturity", "reality_check", "Maturity per dimension: mean with 95% interval, % favourable, level, target "
           "and gap", dimension=TEXT, label=TEXT, n=INT, mean=NUMBER, ci_low=NUMBER, ci_high=NUMBER, sd=NUMBER,
           favourable=NUMBER, fav_low=NUMBER, fav_high=NUMBER, share_of_scale=NUMBER, level=INT, level_name=TEXT,
           target=NUMBER, target_source=DIMENSION_TARGET, gap=NUMBER, accomplished=NUMBER, remaining=NUMBER, rank=INT),
    _table("maturity_index", "reality_check", "The overall maturity index with its 95% interval and level",
           n=INT, mean=NUMBER, ci_low=NUMBER, ci_high=NUMBER, share_of_scale=NUMBER, level=INT, level_name=TEXT),
    _table("maturity_items", "reality_check", "Maturity per statement, furthest from target first",
           item=TEXT, text=TEXT, dimension=TEXT, readiness=TEXT, reverse=BOOL, n=INT, mean=NUMBER, ci_low=NUMBER,
           ci_high=NUMBER, favourable=NUMBER, level=INT, target=NUMBER, target_source=DIMENSION_TARGET, gap=NUMBER,
           p_below=NUMBER, p_below_holm=NUMBER),
    _table("maturity_by_level", "reality_check", "Maturity per dimension by level (small groups pooled)",
           **_GROUP, dimension=TEXT, label=TEXT, gap=NUMBER),
    _table("perception_gaps", "reality_check", "Executives against frontline per dimension, with tests and effect sizes",
           dimension=TEXT, label=TEXT, executive=NUMBER, manager=NUMBER, frontline=NUMBER, gap=NUMBER,
           n_executive=NUMBER, n_frontline=NUMBER, rank_biserial=NUMBER, p=NUMBER, p_holm=NUMBER, epsilon2=NUMBER,
           kw_p=NUMBER, kw_p_holm=NUMBER, flagged=BOOL, significant=BOOL),
    _table("maturity_by_department", "reality_check", "Maturity per dimension by department (small groups pooled)",
           **_GROUP, dimension=TEXT, label=TEXT, gap=NUMBER),
    _table("lagging_departments", "reality_check", "Departments at least the lagging margin below the organisation on "
           "a dimension", **_GROUP, dimension=TEXT, label=TEXT, gap=NUMBER),
    _table("department_variance", "reality_check", "Share of each dimension's variance between departments: ICC(1), "
           "eta squared", dimension=TEXT, label=TEXT, icc1=NUMBER, eta_squared=NUMBER, f=NUMBER, p=NUMBER,
           departments=INT, n=INT),
    _table("readiness", "reality_check", "Know / Care / Can indices",
           readiness=TEXT, label=TEXT, items=INT, n=INT, mean=NUMBER, ci_low=NUMBER, ci_high=NUMBER, sd=NUMBER,
           weakest=BOOL),
    _table("readiness_by_level", "reality_check", "Know / Care / Can by level (small groups pooled, thin cells "
           "suppressed)", **_GROUP, readiness=TEXT, label=TEXT),
    _table("readiness_by_department", "reality_check", "Know / Care / Can by department (small groups pooled, thin "
           "cells suppressed)", **_GROUP, readiness=TEXT, label=TEXT),
    _table("driving_force", "reality_check", "The 100-point split across business drivers, overall and by level",
           group=TEXT, force=TEXT, label=TEXT, n=NUMBER, mean=NUMBER, ci_low=NUMBER, ci_high=NUMBER, suppressed=BOOL),
    # ---------------------------------------------------------------- 02 customers and segments
    _table("loyalty_mix", "customers", "Truly impressed, satisfied, indifferent, unhappy: shares with 95% intervals",
           band=LOYALTY_BAND, label=TEXT, ratings=TEXT, count=INT, n=INT, n_effective=NUMBER, share=NUMBER,
           ci_low=NUMBER, ci_high=NUMBER),
    _table("nps", "customers", "Net Promoter Score with its 95% interval",
           nps=NUMBER, ci_low=NUMBER, ci_high=NUMBER, promoters=NUMBER, passives=NUMBER, detractors=NUMBER, n=INT),
    _table("expectation_gaps", "customers", "Perception against expectation per touchpoint: mean gap, share exceeding",
           attribute=TEXT, label=TEXT, n=INT, perception=NUMBER, expectation=NUMBER, gap=NUMBER, ci_low=NUMBER,
           ci_high=NUMBER, exceeds=NUMBER, exceeds_low=NUMBER, exceeds_high=NUMBER, meets=NUMBER, below=NUMBER),
    _table("consistency", "customers", "Outcome by how consistent customers' ratings are across touchpoints",
           group=CONSISTENCY, kind=TEXT, rule=TEXT, n=INT, share=NUMBER, outcome=NUMBER, ci_low=NUMBER,
           ci_high=NUMBER, truly_impressed=NUMBER),
    _table("segment_choice", "customers", "Silhouette per number of segments; the chosen k",
           k=INT, silhouette=NUMBER, inertia=NUMBER, chosen=BOOL),
    _table("segment_structure", "customers", "Whether the segments are real: silhouette against ratings with no "
           "structure, stability on refits, and whether they differ in shape or only in level",
           k=INT, silhouette=NUMBER, null_silhouette=NUMBER, null_high=NUMBER, structured=BOOL, stability=NUMBER,
           stability_low=NUMBER, level_range=NUMBER, shape_range=NUMBER, pattern=SEGMENT_PATTERN),
    _table("segment_profiles", "customers", "Segment sizes, touchpoint means against the rest, outcomes, value",
           segment=INT, name=TEXT, n=INT, share=NUMBER, outcome_mean=NUMBER, truly_impressed=NUMBER,
           satisfied=NUMBER, indifferent=NUMBER, unhappy=NUMBER, nps=NUMBER, value_share=NUMBER,
           patterns=("mean_*", "diff_*", "p_*"),
           optional=("nps", "value_share", "truly_impressed", "satisfied", "indifferent", "unhappy")),
    _table("segment_assignment", "customers", "Each respondent's segment (one row per respondent)",
           respondent=TEXT, segment=INT, appendix=False),
    _table("segment_descriptors", "customers", "Who is in each segment: descriptor shares against overall "
           "(index 100 = average)", segment=INT, descriptor=TEXT, value=TEXT, share_in_segment=NUMBER,
           share_overall=NUMBER, index=NUMBER),
    _table("value_at_stake", "customers", "Value held by indifferent and unhappy customers per segment",
           segment=INT, customers=INT, at_risk_customers=INT, at_risk_share=NUMBER, value=NUMBER,
           value_at_stake=NUMBER, share_at_risk=NUMBER, rest_share_at_risk=NUMBER, p_vs_rest=NUMBER,
           optional=("value", "value_at_stake")),
    _table("descriptor_comparisons", "customers", "Outcomes by region, channel, customer type ... with tests; small "
           "bases blanked", descriptor=TEXT, value=TEXT, n=INT, small_base=BOOL, outcome=NUMBER, ci_low=NUMBER,
           ci_high=NUMBER, truly_impressed=NUMBER, nps=NUMBER, kw_p=NUMBER, epsilon2=NUMBER, chi2_p=NUMBER),
    # ---------------------------------------------------------------- 03 drivers
    _table("key_drivers", "drivers", "Shapley (LMG) importance of each touchpoint with 95% bootstrap intervals, "
           "direction and VIF", **_DRIVERS),
    _table("moments_of_truth", "drivers", "Importance against performance: quadrants",
           **_DRIVERS, important=BOOL, performing=BOOL, quadrant=QUADRANT, share_threshold=NUMBER,
           performance_threshold=NUMBER, threshold_rule=TEXT, clearly_important=BOOL),
    _table("asymmetry", "drivers", "Penalty-reward contrast: points lost when rated low, gained when rated top; "
           "dissatisfier or delighter", attribute=TEXT, label=TEXT, low_share=NUMBER, high_share=NUMBER,
           penalty=NUMBER, penalty_low=NUMBER, penalty_high=NUMBER, penalty_p=NUMBER, reward=NUMBER,
           reward_low=NUMBER, reward_high=NUMBER, reward_p=NUMBER, asymmetry=NUMBER, asymmetry_p=NUMBER,
           kind=ASYMMETRY, share=NUMBER, n=INT, low_rule=TEXT, high_rule=TEXT, outcome=TEXT, outcome_label=TEXT),
    _table("what_if", "drivers", "Modelled change in the outcome and the share truly impressed from raising one "
           "touchpoint", attribute=TEXT, label=TEXT, raise_by=NUMBER, mean_now=NUMBER, mean_after=NUMBER,
           at_top=NUMBER, outcome_now=NUMBER, outcome_change=NUMBER, outcome_after=NUMBER, impressed_now=NUMBER,
           impressed_change=NUMBER, impressed_after=NUMBER, n=INT, outcome=TEXT, outcome_label=TEXT,
           optional=("impressed_now", "impressed_change", "impressed_after")),
    _table("yes_no_drivers", "drivers", "Drivers of yes/no outcomes (truly impressed, renewal ...) by logistic models",
           **_DRIVERS),
    _table("nonlinear_check", "drivers", "Gradient boosting permutation importance beside the Shapley shares",
           attribute=TEXT, label=TEXT, shapley_share=NUMBER, shapley_rank=INT, boosting_share=NUMBER,
           boosting_rank=INT, rank_gap=INT, disagree=BOOL, holdout_r2=NUMBER, r2=NUMBER, n=INT),
    _table("staff_comment_themes", "reality_check", "What stops our people serving customers: each theme of their "
           "comments, overall and by department (small departments pooled)", theme=TEXT, label=TEXT, owner=TEXT,
           group=TEXT, commenters=INT, mentions=INT, share=NUMBER, sentiment=NUMBER, vs_next_p=NUMBER),
    _table("staff_comment_quotes", "reality_check", "Short quotes from staff per leading theme, personal data "
           "removed, no department named", theme=TEXT, label=TEXT, sentiment_label=TEXT, sentiment=NUMBER,
           quote=TEXT, group_size=INT),
    # ---------------------------------------------------------------- 02b comments
    _table("comment_themes", "comments", "Each theme of the comments: mentions, sentiment, and its share among the "
           "least and most loyal customers, with the test of the difference", theme=TEXT, label=TEXT, owner=TEXT,
           mentions=INT, share=NUMBER, sentiment=NUMBER, negative=NUMBER, positive=NUMBER, worst_group=TEXT,
           best_group=TEXT, share_worst=NUMBER, share_best=NUMBER, n_worst=INT, n_best=INT, lift=NUMBER,
           chi2_p=NUMBER, optional=("worst_group", "best_group", "share_worst", "share_best", "n_worst", "n_best",
                                    "lift", "chi2_p")),
    _table("comment_themes_by_group", "comments", "Each theme's share of each loyalty group's comments",
           theme=TEXT, label=TEXT, group=TEXT, group_label=TEXT, comments=INT, mentions=INT, share=NUMBER),
    _table("comment_themes_by_descriptor", "comments", "Each theme's share of the comments by region, channel, "
           "customer type and wave, with the test across values", descriptor=TEXT, value=TEXT, theme=TEXT, label=TEXT,
           comments=INT, mentions=INT, share=NUMBER, chi2_p=NUMBER),
    _table("comment_theme_drivers", "comments", "How much each theme drives the outcome among those who commented "
           "(Shapley decomposition of R² on theme indicators)", theme=TEXT, label=TEXT, owner=TEXT, rank=INT,
           importance=NUMBER, share=NUMBER, direction=INT, signed_share=NUMBER, mentions=INT, r2=NUMBER, n=INT,
           method=TEXT, outcome=TEXT),
    _table("comment_quotes", "comments", "Short quotes per leading theme, balanced across sentiment, personal data "
           "removed", theme=TEXT, label=TEXT, sentiment_label=TEXT, sentiment=NUMBER, quote=TEXT, group_size=INT),
    _table("comment_topics", "comments", "Themes the codeframe misses, found by topic modelling, as codeframe "
           "entries to consider", topic=TEXT, terms=TEXT, comments=INT, share=NUMBER, example=TEXT,
           suggestion=TEXT),
    # ---------------------------------------------------------------- 04 metrics
    _table("segment_drivers", "metrics", "Driver shares within each segment, with tests of whether they differ",
           segment=INT, name=TEXT, attribute=TEXT, label=TEXT, share=NUMBER, share_low=NUMBER, share_high=NUMBER,
           rank=INT, n=INT, r2=NUMBER, method=TEXT, differs_p=NUMBER, differs=BOOL, overall_stat=NUMBER,
           overall_df=INT, overall_p=NUMBER, test=TEXT, left_out=TEXT, optional=("share_low", "share_high")),
    _table("scorecard", "metrics", "Metrics in three layers with definition, baseline, target and its rule, owner and "
           "responses needed", layer=LAYER, metric=TEXT, definition=TEXT, unit=UNIT, baseline=NUMBER,
           ci_low=NUMBER, ci_high=NUMBER, n=INT, target=NUMBER, target_source=METRIC_TARGET, target_rule=TEXT,
           owner=TEXT, owner_missing=BOOL, cadence=TEXT, needed_per_period=INT, available_per_period=INT,
           cadence_supported=BOOL),
    _table("departmental_balance", "metrics", "Each department's share of what drives the outcome, how its touchpoints "
           "score, what is left to win", owner=TEXT, drivers=TEXT, count=INT, importance=NUMBER,
           performance=NUMBER, vs_all=NUMBER, impact=NUMBER),
    _table("wave_trend", "metrics", "Metrics per survey wave: change against the previous wave with its test, and the "
           "control band", wave=TEXT, metric=TEXT, unit=UNIT, value=NUMBER, ci_low=NUMBER, ci_high=NUMBER, n=INT,
           change=NUMBER, change_p=NUMBER, significant=BOOL, change_p_holm=NUMBER, real_change=BOOL, centre=NUMBER,
           band_low=NUMBER, band_high=NUMBER, outside_band=BOOL),
    # ---------------------------------------------------------------- 05 recommendations
    _table("recommendations", "recommendations", "Actions that follow from the evidence, ranked, with the claim they "
           "rest on, the rule and why each ranks where it does", rank=INT, headline=TEXT, action=TEXT,
           evidence=TEXT, component=TEXT, owner=TEXT, horizon=HORIZON, priority=NUMBER, priority_basis=TEXT,
           rule=TEXT, claim=TEXT, source=TEXT),
    _table("roadmap", "recommendations", "The actions by phase: quick wins, a pilot in one or two units, then the "
           "roll-out", phase=TEXT, when=TEXT, actions=TEXT, owners=TEXT, count=INT),
)})


class ContractError(RuntimeError):
    """Code broke the results contract: an undeclared table, or a table that does not match its declaration.

    A programming error in cxkit or in a firm's extension, never a problem with a client's data.
    """


def declared(name: str) -> Table:
    """The declaration of a results table; raise :class:`ContractError` for a name that is not declared."""
    try:
        return TABLES[name]
    except KeyError:
        raise ContractError(f"results table '{name}' is not declared in cxkit/results/catalogue.py; declare it "
                            "there with its stage, description and columns") from None


def check(name: str, frame: pd.DataFrame, stage: str | None = None) -> Table:
    """Check a table against its declaration (and, given ``stage``, that this stage is the one that writes it)."""
    table = declared(name)
    if stage is not None and table.stage != stage:
        raise ContractError(f"results table '{name}' is written by the {table.stage} stage "
                            f"({STAGES[table.stage].notebook_name}), not by {stage}")
    problems = table.problems(frame)
    if problems:
        raise ContractError(f"results table '{name}' does not match its declaration in cxkit/results/catalogue.py: "
                            + "; ".join(problems))
    return table


def tables_of(stage: str) -> list[Table]:
    """The tables a stage writes, in declaration order."""
    return [t for t in TABLES.values() if t.stage == stage]


def readable(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table with coded columns shown by their labels (for notebooks and the Excel appendix)."""
    table = declared(name)
    out = frame.copy()
    for column in table.columns:
        if isinstance(column.kind, Codes) and column.name in out:
            out[column.name] = out[column.name].map(column.kind.label)
    return out


# ---------------------------------------------------------------------------------------------- claims

VERDICT = Codes("verdict", {"supported": "supported", "within_noise": "within noise",
                            "not_testable": "not testable"})


@dataclass(frozen=True)
class ClaimKind:
    """A kind of claim a stage makes: what it is about, the facts its sentence and the rules read, its tables.

    ``per_subject`` kinds make one claim per dimension, touchpoint, segment or department (recommendation rules
    fire per claim); the others make one claim per run. ``summary`` kinds may lead the executive summary (their
    lead claim only); the others title a slide or support a claim that does. ``design`` kinds are about the
    scorecard's design (owners, response volume), not about customers or people: the summary states them after
    the findings.
    """

    name: str
    stage: str
    description: str
    facts: tuple[str, ...]
    tables: tuple[str, ...]
    per_subject: bool = False
    summary: bool = True
    design: bool = False

    @property
    def sources(self) -> str:
        """Where the claim's numbers come from, for speaker notes."""
        return "; ".join(TABLES[t].source for t in self.tables) if self.tables else f"{STAGES[self.stage].title}"


def _claim(name: str, stage: str, description: str, facts: str, tables: str = "", per_subject: bool = False,
           summary: bool = True, design: bool = False):
    return ClaimKind(name, stage, description, tuple(facts.split()), tuple(tables.split()), per_subject, summary,
                     design)


CLAIMS: Mapping[str, ClaimKind] = MappingProxyType({c.name: c for c in (
    _claim("data_quality", "inputs", "What the data checks found", "warnings infos", "data_quality", summary=False),
    _claim("unit_vs_rest", "inputs", "How a unit compares with the rest of the engagement on the headline metrics",
           "unit client label value rest above below", "unit_vs_rest"),
    # the roll-up of a batch run by units
    _claim("unit_league", "units", "Which units differ clearly from the rest on the lead metric",
           "label units leaders laggards differ name", "unit_league"),
    _claim("unit_pilots", "units", "Where to pilot: units below the rest on moments of truth",
           "units moments name", "unit_pilots unit_moments"),
    # 01 reality check
    _claim("maturity_gap", "reality_check", "A dimension's distance from its target",
           "dimension label mean target gap gap_share favourable level level_name scale_max move", "maturity", True),
    _claim("maturity_index", "reality_check", "The overall maturity level and how far each dimension has come",
           "level level_name mean scale_max ahead_label ahead_accomplished behind_label behind_accomplished",
           "maturity_index maturity"),
    _claim("what_remains", "reality_check", "How many statements are below target, and where the furthest is",
           "below statements item dimension_label mean target gap", "maturity_items", summary=False),
    _claim("perception_gap", "reality_check", "Executives against the frontline on a dimension (or on all)",
           "dimension label executive frontline gap size gap_share higher lower p_holm rank_biserial flagged "
           "dimensions", "perception_gaps", True),
    _claim("lagging_department", "reality_check", "A department below the organisation on a dimension",
           "group label diff_from_all gap_share mean lagging dimensions variance_share variance_label margin",
           "lagging_departments maturity_by_department department_variance", True),
    _claim("weakest_link", "reality_check", "The weakest of Know, Care and Can", "label mean others gap",
           "readiness"),
    _claim("driving_force", "reality_check", "Where customers rank among what drives the business",
           "customer_points lead_label lead_points executive_points frontline_points", "driving_force"),
    # 02 customers
    _claim("loyalty_mix", "customers", "How many customers are truly impressed, and how many could leave",
           "impressed at_risk n", "loyalty_mix"),
    _claim("nps", "customers", "The Net Promoter Score", "nps ci_low ci_high promoters detractors n", "nps"),
    _claim("expectations", "customers", "Where experience beats or misses expectations",
           "above below_label below_gap below_exceeds next_label next_gap", "expectation_gaps"),
    _claim("consistency", "customers", "What an inconsistent experience does to the outcome",
           "inconsistent_share inconsistent_outcome steadier_label steadier_outcome direction", "consistency"),
    _claim("consistency_pattern", "customers", "What one poor touchpoint among good ones does to the outcome",
           "one_poor_share one_poor_outcome all_good_outcome direction", "consistency"),
    _claim("segments", "customers", "Whether customers fall into real segments, and how they differ",
           "k described stability threshold silhouette null_high", "segment_structure segment_profiles"),
    _claim("value_at_stake", "customers", "A segment's part of the value held by indifferent and unhappy customers",
           "segment name stake stake_share what at_risk_share rest_share p", "value_at_stake segment_profiles", True),
    _claim("descriptor_differences", "customers", "Whether the outcome differs by region, channel, customer type ...",
           "outcome_label descriptor low_group low high_group high nps_low nps_high differ same alpha p",
           "descriptor_comparisons"),
    # 03 drivers
    _claim("top_driver", "drivers", "The touchpoint that drives the main outcome most",
           "label share share_low share_high outcome_label top2 r2 fit", "key_drivers"),
    _claim("moment_of_truth", "drivers", "An important touchpoint that performs below average",
           "attribute label share top2 performance owner", "moments_of_truth", True),
    _claim("moments_of_truth", "drivers", "The moments of truth to fix first, together", "names share count",
           "moments_of_truth"),
    _claim("asymmetry", "drivers", "A touchpoint that only punishes when poor, or only rewards when excellent",
           "attribute label kind penalty reward share owner", "asymmetry", True),
    _claim("asymmetries", "drivers", "The dissatisfiers and delighters, together", "dissatisfiers delighters",
           "asymmetry"),
    _claim("what_if", "drivers", "What raising the strongest touchpoint would be worth",
           "label raise_by outcome_label outcome_change impressed_now impressed_after impressed_points", "what_if"),
    _claim("yes_no_drivers", "drivers", "What drives the yes/no outcomes", "label names shares parts weak few",
           "yes_no_drivers"),
    _claim("staff_obstacle", "reality_check", "What our people say stops them serving customers",
           "label share mentions commenters second second_share p", "staff_comment_themes"),
    # 02b comments
    _claim("comment_theme", "comments", "What the least loyal customers write about more than the rest",
           "label share_worst share_best worst_group best_group lift comments", "comment_themes", True),
    _claim("comment_drivers", "comments", "Which theme of the comments goes with the outcome most",
           "label share r2 n direction outcome_label", "comment_theme_drivers"),
    _claim("comments_read", "comments", "How many comments were read and coded",
           "comments coded coded_share themes topics written", "comment_themes", summary=False),
    # 04 metrics
    _claim("segment_drivers", "metrics", "Whether segments are driven by different touchpoints",
           "differ overall_p alpha left_out", "segment_drivers"),
    _claim("departmental_balance", "metrics", "A department's part of what drives the outcome and of what is left",
           "owner drivers importance performance vs_all points side impact", "departmental_balance", True),
    _claim("wave_change", "metrics", "What moved beyond noise between the last two waves",
           "metric before after previous last p moved others total", "wave_trend"),
    _claim("unowned_metrics", "metrics", "Scorecard metrics without an owning department",
           "unowned metrics unowned_share unowned_names", "scorecard", design=True),
    _claim("cadence", "metrics", "Metrics the response volume cannot track at the reporting cadence",
           "short metrics short_share short_names cadence metric needed available", "scorecard", design=True),
    _claim("top_driver_metric", "metrics", "Who owns the top driver metric, its baseline and target",
           "owner metric baseline target", "scorecard", design=True),
    # 05 recommendations
    _claim("actions", "recommendations", "The actions that follow from the evidence", "count", "recommendations",
           summary=False),
    _claim("not_covered", "recommendations", "A stage the data did not allow", "stage_title reason", "", True,
           summary=False),
)})


def claim_kind(name: str) -> ClaimKind:
    """The declaration of a claim kind; raise :class:`ContractError` for a kind that is not declared."""
    try:
        return CLAIMS[name]
    except KeyError:
        raise ContractError(f"claim kind '{name}' is not declared in cxkit/results/catalogue.py") from None
