"""What customers say: comments coded to themes, their sentiment, the themes linked to the outcome, and quotes.

The comments reach this module with personal data already removed (:mod:`cxkit.inputs.redact`, at
validation). Themes come from a codeframe of stated rules (``templates/codeframe.yaml``, extended or
replaced per engagement); what the codeframe misses is looked for by topic modelling and offered as
codeframe entries, never coded silently. Sentiment is VADER's (Hutto & Gilbert 2014), a lexicon method that
ships with its package. Every table here is a tidy DataFrame; nothing is drawn or written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..errors import ConfigError, ConfigProblem, NotEnoughData
from ..inputs.config import Engagement, load_yaml
from ..inputs.redact import PLACEHOLDERS
from ..paths import template_path
from .customers import loyalty_band, respondent_weights
from .drivers import ESTIMATE_ORDERINGS
from .importance import correlations, driver_orderings, sampled_shapley_error, shapley_r2, standardised_betas
from .stats import holm

POSITIVE, NEGATIVE = 0.05, -0.05   # VADER's compound score cut-offs (Hutto & Gilbert 2014, section 3.4)
NPS_GROUPS = (("detractor", "Detractors (0-6)"), ("passive", "Passives (7-8)"), ("promoter", "Promoters (9-10)"))
BAND_GROUPS = (("unhappy", "Unhappy"), ("indifferent", "Indifferent"), ("satisfied", "Satisfied"),
               ("truly_impressed", "Truly impressed"))
# what the redaction left in place of personal data, but a name: none of it is a word of the comment
_PLACEHOLDER = re.compile("|".join(re.escape(v) for k, v in PLACEHOLDERS.items() if k != "name"))
COMMENT_SAMPLE = 50_000    # beyond this many comments, themes and sentiment come from a seeded random sample of them


# ------------------------------------------------------------------ the codeframe

@dataclass(frozen=True)
class Theme:
    """One theme of a codeframe: its id, label, owner, and the words and phrases that code a comment to it."""

    id: str
    label: str
    owner: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern:
        return _terms_pattern(self.terms)

    @property
    def exclusion(self) -> re.Pattern | None:
        return _terms_pattern(self.exclude) if self.exclude else None

    @property
    def stems(self) -> tuple[str, ...]:
        """The first word of each term in lower case: a comment without any of them in it cannot match."""
        return _stems(self.terms)


@lru_cache(maxsize=512)
def _stems(terms: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({(re.split(r"[\s-]+", t.strip().rstrip("*").lower()) or [""])[0] for t in terms}))


@lru_cache(maxsize=512)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One case-insensitive pattern for a theme's terms: each escaped (a term is words, never a pattern), whole
    words only, a final ``*`` for any ending, and any spacing or punctuation between a phrase's words."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        stem = term.strip()
        wildcard = stem.endswith("*")
        words = [re.escape(w) for w in re.split(r"[\s-]+", stem.rstrip("*")) if w]
        body = r"[\s\-/,.]+".join(words) + (r"\w*" if wildcard else "")
        parts.append(rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class Codeframe:
    """The themes comments are coded to, and where they were read from."""

    themes: tuple[Theme, ...]
    source: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def theme(self, theme_id: str) -> Theme:
        return next(t for t in self.themes if t.id == theme_id)

    def code(self, texts) -> pd.DataFrame:
        """One boolean column per theme: whether each comment matches the theme's terms outside its exclusions.

        Placeholders left by the redaction (``[phone]`` ...) are not words of the comment and never match; a
        ``[name]`` does (it is a person the customer mentions: the staff theme lists it).
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        cleaned = [_PLACEHOLDER.sub(" ", t) for t in texts]
        lowered = [t.lower() for t in cleaned]
        out = {}
        for theme in self.themes:
            pattern, exclusion, stems = theme.pattern, theme.exclusion, theme.stems
            hits = []
            for text, low in zip(cleaned, lowered):
                if not any(stem in low for stem in stems):   # a cheap test first: most themes are not there
                    hits.append(False)
                    continue
                if exclusion is not None:
                    text = exclusion.sub(" ", text)
                hits.append(bool(pattern.search(text)))
            out[theme.id] = hits
        return pd.DataFrame(out, dtype=bool)


def load_codeframe(eng: Engagement, staff: bool = False) -> Codeframe:
    """The engagement's codeframe: the firm's file (``comments.codeframe``) with ``comments.themes`` added (new
    themes, or more terms and exclusions for a firm theme), or those alone when ``comments.replace`` is true.

    Raises
    ------
    ConfigError
        The file cannot be read, or a theme lacks a label or terms, names a term that is not text, or has an
        id that is not a plain name.

    With ``staff``, the staff comments' codeframe (``comments.staff_codeframe``) alone.
    """
    settings = eng.comments
    path = template_path(settings.staff_codeframe if staff else settings.codeframe, eng.folder)
    problems: list[ConfigProblem] = []
    firm: dict = {}
    extra = {} if staff else settings.themes   # the engagement's themes are for customers' comments
    if staff or not settings.replace:
        try:
            firm = (load_yaml(path.read_text(encoding="utf-8")) or {}).get("themes") or {}
        except (OSError, yaml.YAMLError, AttributeError) as exc:
            raise ConfigError([ConfigProblem(str(path), "themes", f"cannot read the codeframe: {exc}",
                                             "fix the file, or point comments.codeframe at another")]) from None
    merged: dict[str, dict] = {k: dict(v or {}) for k, v in firm.items()}
    for key, more in extra.items():
        base = merged.setdefault(key, {})
        for field in ("label", "owner"):
            if field in more:
                base[field] = more[field]
        for field in ("terms", "exclude"):
            base[field] = list(base.get(field) or []) + list(more.get(field) or [])
    themes = []
    for key, spec in merged.items():
        where = f"comments.themes.{key}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", str(key)):
            problems.append(ConfigProblem(str(eng.source), where, f"{key!r} is not a theme id",
                                          "use lower-case letters, digits and _ (e.g. billing)"))
            continue
        terms = spec.get("terms") or []
        if not spec.get("label") or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            problems.append(ConfigProblem(str(eng.source), where, "a theme needs a label and a list of terms (words "
                                          "or phrases)", "give it label: and terms: [...]"))
            continue
        themes.append(Theme(key, str(spec["label"]), str(spec.get("owner") or ""), tuple(terms),
                            tuple(str(t) for t in spec.get("exclude") or ())))
    if problems:
        raise ConfigError(problems)
    if not themes:
        raise ConfigError([ConfigProblem(str(eng.source), "comments", "the codeframe has no themes",
                                         "set comments.themes, or comments.replace: false")])
    return Codeframe(tuple(themes), str(path) if staff or not settings.replace else str(eng.source))


# ------------------------------------------------------------------ sentiment

@lru_cache(maxsize=1)
def _analyser():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_scores(texts) -> np.ndarray:
    """VADER's compound score (-1 to 1) of each text (Hutto & Gilbert 2014, ICWSM): a rule-based lexicon method,
    tuned on social-media text, that reads negation, intensifiers, capitals and "but". Empty text scores NaN."""
    analyser = _analyser()
    return np.array([analyser.polarity_scores(t)["compound"] if isinstance(t, str) and t.strip() else np.nan
                     for t in texts])


def sentiment_label(score) -> np.ndarray:
    """``negative`` (compound at most -0.05), ``positive`` (at least 0.05) or ``neutral``: VADER's cut-offs."""
    score = np.asarray(score, dtype=float)
    return np.where(np.isnan(score), None, np.where(score >= POSITIVE, "positive",
                                                    np.where(score <= NEGATIVE, "negative", "neutral")))


# ------------------------------------------------------------------ coding

@dataclass(frozen=True)
class CodedComments:
    """Every comment coded: the tidy table, the codeframe, and the outcome groups used."""

    table: pd.DataFrame        # row, text, words, sentiment, sentiment_label, group, outcome, weight, one bool per theme
    codeframe: Codeframe
    groups: tuple[tuple[str, str], ...]   # (code, label) of the outcome groups, worst first
    grouping: str              # "nps" or "loyalty band" or ""
    written: int = 0           # comments written; ``table`` holds a seeded random COMMENT_SAMPLE of them beyond that

    @property
    def sampled(self) -> bool:
        return self.written > len(self.table)


def code_comments(fb: pd.DataFrame, eng: Engagement, codeframe: Codeframe | None = None) -> CodedComments:
    """Code every customer comment to themes and score its sentiment.

    Beyond ``COMMENT_SAMPLE`` (50,000) comments, a seeded random sample of that many is coded (every comment
    had its personal data removed all the same): a share estimated from 50,000 is within half a point at 95%.

    Returns
    -------
    CodedComments
        ``table``: one row per comment coded (blank ones left out): ``row`` (the respondent's row in the data),
        ``text`` (redacted), ``words``, ``sentiment`` (VADER compound), ``sentiment_label``, ``group``
        (detractor / passive / promoter on a 0-10 recommend question, else the loyalty band on the main
        outcome; missing without either), ``outcome`` (the main rating outcome, or NPS's question), ``weight``
        and one boolean column per theme.

    Raises
    ------
    NotEnoughData
        The engagement maps no comment column, or no one wrote a comment.
    """
    column = eng.feedback.comment if eng.feedback is not None else None
    if not column or column not in fb:
        raise NotEnoughData("the engagement maps no comment column (feedback.comment)")
    codeframe = codeframe or load_codeframe(eng)
    text = fb[column].astype(object).where(fb[column].notna(), "")
    text = text.map(lambda t: t.strip() if isinstance(t, str) else "")
    keep = (text.str.len() > 0).to_numpy()
    if not keep.any():
        raise NotEnoughData(f"no one wrote a comment (column {column!r} is blank throughout)")
    written = int(keep.sum())
    if written > COMMENT_SAMPLE:   # shares from 50,000 comments are within half a point: code a sample of them
        chosen = np.sort(np.random.default_rng([eng.seed, written]).choice(np.flatnonzero(keep), COMMENT_SAMPLE,
                                                                           replace=False))
        keep = np.zeros(len(keep), dtype=bool)
        keep[chosen] = True
    texts = text[keep].tolist()
    weights = respondent_weights(fb, eng)
    table = pd.DataFrame({"row": np.flatnonzero(keep), "text": texts, "words": [len(t.split()) for t in texts]})
    table["sentiment"] = sentiment_scores(texts)
    table["sentiment_label"] = sentiment_label(table["sentiment"].to_numpy())
    groups, grouping, group, outcome = _outcome_groups(fb, eng)
    table["group"] = group[keep] if group is not None else None
    table["outcome"] = outcome[keep] if outcome is not None else np.nan
    table["weight"] = weights[keep] if weights is not None else 1.0
    coded = codeframe.code(texts)
    for theme in codeframe.ids:
        table[theme] = coded[theme].to_numpy()
    return CodedComments(table, codeframe, groups, grouping, written)


def _outcome_groups(fb: pd.DataFrame, eng: Engagement):
    """NPS groups where there is a 0-10 recommend question, else loyalty bands on the main rating outcome."""
    if eng.nps_column is not None:
        x = fb[eng.nps_column].to_numpy(dtype=float)
        group = np.where(np.isnan(x), None, np.where(x >= 9, "promoter", np.where(x >= 7, "passive", "detractor")))
        return NPS_GROUPS, "nps", group, x
    if eng.feedback.main_outcome is not None:
        ratings = fb[eng.feedback.main_outcome.column]
        band = loyalty_band(ratings, eng)
        return BAND_GROUPS, "loyalty band", band.to_numpy(dtype=object), ratings.to_numpy(dtype=float)
    return (), "", None, None


def code_staff_comments(diag: pd.DataFrame, eng: Engagement) -> CodedComments:
    """Code the staff's comments in the diagnostic (``diagnostic.comment``: what stops them serving customers
    better) to the staff codeframe, with their sentiment; ``group`` is the department as the privacy rules let
    it be shown (:func:`cxkit.analysis.privacy.protect_groups` over the commenters, at
    ``thresholds.min_group_size``; missing where even all together are fewer).

    Raises
    ------
    NotEnoughData
        The engagement maps no staff comment column, or no one wrote one.
    """
    from .privacy import protect_groups

    column = eng.diagnostic.comment if eng.diagnostic is not None else None
    if not column or column not in diag:
        raise NotEnoughData("the engagement maps no staff comment column (diagnostic.comment)")
    codeframe = load_codeframe(eng, staff=True)
    text = diag[column].map(lambda t: t.strip() if isinstance(t, str) else "")
    keep = (text.str.len() > 0).to_numpy()
    if not keep.any():
        raise NotEnoughData(f"no one wrote a comment (column {column!r} is blank throughout)")
    texts = text[keep].tolist()
    table = pd.DataFrame({"row": np.flatnonzero(keep), "text": texts, "words": [len(t.split()) for t in texts]})
    table["sentiment"] = sentiment_scores(texts)
    table["sentiment_label"] = sentiment_label(table["sentiment"].to_numpy())
    department = eng.diagnostic.department
    if department and department in diag:
        shown = protect_groups(diag.loc[keep, department].astype(str).reset_index(drop=True),
                               eng.thresholds.min_group_size)
        table["group"] = shown.to_numpy(dtype=object)
    else:
        table["group"] = None
    table["outcome"], table["weight"] = np.nan, 1.0
    coded = codeframe.code(texts)
    for theme in codeframe.ids:
        table[theme] = coded[theme].to_numpy()
    return CodedComments(table, codeframe, (), "", len(table))


def staff_themes(coded: CodedComments, eng: Engagement) -> pd.DataFrame:
    """Each staff theme's share of the comments, overall and per department as the privacy rules let it be shown.

    Returns
    -------
    DataFrame
        ``theme``, ``label``, ``owner``, ``group`` ("All" or a department, or the pooled group), ``commenters``
        (in the group), ``mentions``, ``share``, ``sentiment`` (mean compound of the group's comments on the
        theme), ``vs_next_p`` (overall rows: McNemar's exact test of the theme against the next most named, on
        the commenters who name one and not the other); themes by overall mentions, largest first.
    """
    t = coded.table
    groups = [("All", np.ones(len(t), dtype=bool))]
    if t["group"].notna().any():
        groups += [(g, (t["group"] == g).to_numpy()) for g in sorted(t["group"].dropna().unique())]
    rows = []
    for theme in coded.codeframe.themes:
        hit = t[theme.id].to_numpy(dtype=bool)
        for name, inside in groups:
            rows.append({"theme": theme.id, "label": theme.label, "owner": theme.owner, "group": name,
                         "commenters": int(inside.sum()), "mentions": int((inside & hit).sum()),
                         "share": float((inside & hit).sum() / inside.sum()) if inside.any() else np.nan,
                         "sentiment": float(t.loc[inside & hit, "sentiment"].mean()) if (inside & hit).any() else np.nan})
    table = pd.DataFrame(rows, columns=["theme", "label", "owner", "group", "commenters", "mentions", "share",
                                        "sentiment"])
    order = table[table["group"] == "All"].sort_values(["mentions", "theme"], ascending=[False, True])["theme"]
    # does each theme lead the next one overall? McNemar's exact test on the commenters who name one and not the
    # other (the same people answer both: a paired comparison; McNemar 1947)
    table["vs_next_p"] = np.nan
    for this, nxt in zip(order.iloc[:-1], order.iloc[1:]):
        a, b = t[this].to_numpy(dtype=bool), t[nxt].to_numpy(dtype=bool)
        only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
        p = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
        table.loc[(table["theme"] == this) & (table["group"] == "All"), "vs_next_p"] = float(p)
    table["_order"] = table["theme"].map({k: i for i, k in enumerate(order)})
    table["_all"] = table["group"] != "All"
    return table.sort_values(["_order", "_all", "group"], kind="stable").drop(columns=["_order", "_all"]).reset_index(
        drop=True)


# ------------------------------------------------------------------ themes and what they say about the outcome

def theme_summary(coded: CodedComments, eng: Engagement) -> pd.DataFrame:
    """Each theme's size, sentiment and tie to the outcome groups.

    Returns
    -------
    DataFrame
        One row per theme, largest first: ``theme``, ``label``, ``owner``, ``mentions`` (comments coded to it),
        ``share`` (of all comments, weighted), ``sentiment`` (mean compound), ``negative`` / ``positive``
        (shares of its comments), then, where outcome groups exist: ``worst_group`` and ``best_group`` (codes),
        ``share_worst`` / ``share_best`` (the theme's share of each group's comments), ``lift`` (share among the
        worst group over its share among everyone else), ``chi2_p`` (the chi-square test of the theme against
        the groups, Holm-adjusted across themes) and ``n_worst`` / ``n_best`` (comments in each group).

    Notes
    -----
    The test is Pearson's chi-square of independence on the theme-by-group table of comment counts
    (unweighted counts; weights move the shares only), with Holm's adjustment across the themes (Holm 1979).
    """
    t = coded.table
    w = t["weight"].to_numpy(dtype=float)
    rows = []
    codes = [c for c, _ in coded.groups]
    has_groups = bool(codes) and t["group"].notna().sum() > 0
    for theme in coded.codeframe.themes:
        hit = t[theme.id].to_numpy(dtype=bool)
        labels = t.loc[hit, "sentiment_label"]
        row = {"theme": theme.id, "label": theme.label, "owner": theme.owner, "mentions": int(hit.sum()),
               "share": float(w[hit].sum() / w.sum()) if w.sum() > 0 else np.nan,
               "sentiment": float(t.loc[hit, "sentiment"].mean()) if hit.any() else np.nan,
               "negative": float((labels == "negative").mean()) if hit.any() else np.nan,
               "positive": float((labels == "positive").mean()) if hit.any() else np.nan}
        if has_groups:
            worst, best = codes[0], codes[-1]
            group = t["group"].to_numpy(dtype=object)
            in_worst, in_best = group == worst, group == best
            others = (group != worst) & pd.notna(group)
            share = lambda mask: float(w[mask & hit].sum() / w[mask].sum()) if w[mask].sum() > 0 else np.nan  # noqa: E731
            row.update({"worst_group": worst, "best_group": best, "share_worst": share(in_worst),
                        "share_best": share(in_best), "n_worst": int(in_worst.sum()), "n_best": int(in_best.sum())})
            rest = share(others)
            row["lift"] = row["share_worst"] / rest if rest and rest > 0 else np.nan
            counts = pd.crosstab(pd.Series(group[pd.notna(group)]), pd.Series(hit[pd.notna(group)]))
            row["chi2_p"] = (float(stats.chi2_contingency(counts.to_numpy())[1])
                             if counts.shape == (counts.shape[0], 2) and counts.shape[0] > 1 and hit.any()
                             and (~hit).any() else np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    if has_groups and len(table):
        table["chi2_p"] = holm(table["chi2_p"])
    return table.sort_values(["mentions", "theme"], ascending=[False, True], kind="stable").reset_index(drop=True)


def themes_by_group(coded: CodedComments) -> pd.DataFrame:
    """Each theme's share of each outcome group's comments (the chart of themes by loyalty), tidy.

    Returns
    -------
    DataFrame
        ``theme``, ``label``, ``group`` (code), ``group_label``, ``comments`` (in the group), ``mentions`` and
        ``share`` (weighted).
    """
    t = coded.table
    w = t["weight"].to_numpy(dtype=float)
    rows = []
    for code, group_label in coded.groups:
        inside = (t["group"] == code).to_numpy()
        for theme in coded.codeframe.themes:
            hit = t[theme.id].to_numpy(dtype=bool)
            rows.append({"theme": theme.id, "label": theme.label, "group": code, "group_label": group_label,
                         "comments": int(inside.sum()), "mentions": int((inside & hit).sum()),
                         "share": float(w[inside & hit].sum() / w[inside].sum()) if w[inside].sum() > 0 else np.nan})
    return pd.DataFrame(rows, columns=["theme", "label", "group", "group_label", "comments", "mentions", "share"])


def themes_by_descriptor(coded: CodedComments, fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Each theme's share of the comments by region, channel, customer type ... and by wave.

    Returns
    -------
    DataFrame
        ``descriptor``, ``value``, ``theme``, ``label``, ``comments`` (in the value), ``mentions``, ``share``
        (weighted; blank where the value has fewer than ``thresholds.min_respondents`` comments) and ``chi2_p``
        (the chi-square test of the theme against the descriptor's values, Holm-adjusted across the themes of
        that descriptor; the same on each of its rows).
    """
    from .customers import descriptor_order, descriptor_values

    columns = ["descriptor", "value", "theme", "label", "comments", "mentions", "share", "chi2_p"]
    spec = eng.feedback
    t = coded.table
    least = max(eng.thresholds.min_respondents, 1)
    frames = []
    for descriptor in [*spec.descriptors, *([spec.wave] if spec.wave else [])]:
        if descriptor not in fb:
            continue
        values = descriptor_values(fb[descriptor]).iloc[t["row"].to_numpy()].reset_index(drop=True)
        known = values.notna().to_numpy()
        if values[known].nunique() < 2:
            continue
        rows, tests = [], []
        w = t["weight"].to_numpy(dtype=float)
        order = descriptor_order(values[known])
        # each comment's value as a column of an indicator matrix: every theme's counts by value are one product
        codes = pd.Categorical(values[known], categories=order).codes
        members = np.zeros((len(codes), len(order)))
        members[np.arange(len(codes)), codes] = 1.0
        hits = t[list(coded.codeframe.ids)].to_numpy(dtype=bool)[known]
        n = members.sum(axis=0)
        mentions = members.T @ hits
        weight_in = members.T @ w[known]
        weight_hit = members.T @ (hits * w[known][:, None])
        for j, theme in enumerate(coded.codeframe.themes):
            # the value x (not mentioned, mentioned) table, tested where the theme is neither absent nor universal
            counts = np.column_stack([n - mentions[:, j], mentions[:, j]])
            tests.append(float(stats.chi2_contingency(counts)[1]) if 0 < counts[:, 1].sum() < n.sum() else np.nan)
            for i, value in enumerate(order):
                rows.append({"descriptor": descriptor, "value": str(value), "theme": theme.id, "label": theme.label,
                             "comments": int(n[i]), "mentions": int(mentions[i, j]),
                             "share": float(weight_hit[i, j] / weight_in[i])
                             if n[i] >= least and weight_in[i] > 0 else np.nan})
        adjusted = dict(zip(coded.codeframe.ids, holm(tests)))
        frame = pd.DataFrame(rows)
        frame["chi2_p"] = frame["theme"].map(adjusted)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class ThemeModel:
    """The outcome explained by which themes a customer wrote about."""

    table: pd.DataFrame   # theme, label, owner, importance, share, direction, signed_share, mentions, rank
    r2: float
    n: int
    method: str
    outcome: str


def theme_drivers(coded: CodedComments, eng: Engagement) -> ThemeModel:
    """How much each theme drives the outcome among the customers who commented: the kit's Shapley (LMG)
    decomposition of R² on theme indicators.

    The outcome is the one the groups come from: the 0-10 recommend question where there is one (so an
    NPS-only survey has its drivers), else the main rating outcome; each theme is a 0/1 indicator of whether
    the comment mentions it. Themes mentioned by fewer than ``thresholds.min_respondents`` commenters (or by all
    but that many) are left out. Decomposition: exact up to ``drivers.exact_limit`` themes
    (:func:`cxkit.analysis.importance.shapley_r2`), beyond it the mean over ``ESTIMATE_ORDERINGS`` sampled
    orderings as for the touchpoint model, with its Monte Carlo error in ``method``; direction: the sign of the
    theme's standardised coefficient in the full model.

    Raises
    ------
    NotEnoughData
        No rating outcome, fewer than two themes mentioned often enough, or fewer than ten commenters per theme.
    """
    t = coded.table
    keep = t["outcome"].notna().to_numpy() & (t["weight"].to_numpy(dtype=float) > 0)
    least = max(eng.thresholds.min_respondents, 1)
    themes = [th for th in coded.codeframe.themes
              if least <= int(t.loc[keep, th.id].sum()) <= int(keep.sum()) - least]
    if not keep.any() or t["outcome"].isna().all():
        raise NotEnoughData("no rating outcome beside the comments to explain")
    if len(themes) < 2:
        raise NotEnoughData(f"fewer than two themes are mentioned by at least {least} commenters "
                            "(thresholds.min_respondents) and not by all")
    n = int(keep.sum())
    if n < 10 * len(themes):
        raise NotEnoughData(f"{n} commenters with an outcome for {len(themes)} themes: fewer than ten per theme")
    x = t.loc[keep, [th.id for th in themes]].to_numpy(dtype=float)
    y = t.loc[keep, "outcome"].to_numpy(dtype=float)
    corr, _ = correlations(np.column_stack([x, y]), t.loc[keep, "weight"].to_numpy(dtype=float))
    p = len(themes)
    if p <= eng.drivers.exact_limit:
        importance, method = shapley_r2(corr), "Shapley decomposition of R² (LMG) on theme indicators, exact"
    else:
        orderings = driver_orderings(p, ESTIMATE_ORDERINGS, eng.seed)
        importance, error = sampled_shapley_error(corr, orderings)
        method = (f"Shapley decomposition of R² on theme indicators over {len(orderings):,} sampled orderings "
                  f"(Monte Carlo standard error at most {error.max():.4f} of R²)")
    r2 = float(importance.sum())
    direction = np.where(standardised_betas(corr) < 0, -1, 1)
    share = importance / r2 if r2 > 0 else np.full(p, np.nan)
    table = pd.DataFrame({"theme": [th.id for th in themes], "label": [th.label for th in themes],
                          "owner": [th.owner for th in themes], "importance": importance, "share": share,
                          "direction": direction, "signed_share": direction * share,
                          "mentions": x.sum(axis=0).astype(int)})
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(3, "rank", np.arange(1, len(table) + 1))
    table["r2"], table["n"], table["method"] = r2, n, method
    outcome = eng.nps_column if coded.grouping == "nps" else eng.feedback.main_outcome.column
    table["outcome"] = outcome
    return ThemeModel(table, r2, n, method, outcome)


# ------------------------------------------------------------------ what the codeframe misses

def discover_themes(coded: CodedComments, eng: Engagement) -> pd.DataFrame:
    """Themes the codeframe misses, found among the comments no theme matched, offered as codeframe entries.

    Method: TF-IDF of the uncoded comments' words (English stop words out, words in at least three comments),
    factored by non-negative matrix factorisation into ``comments.discover`` topics (Lee & Seung 1999;
    scikit-learn, NNDSVD start, seeded), comments of three words or fewer left out. Each topic's comments are those
    it weighs most, at least a fifth of the largest weight; a topic with fewer than ten is not offered, and one whose
    top words are half or more those of a larger topic (Jaccard) joins it. Its example prefers a comment that held no personal
    data.

    Returns
    -------
    DataFrame
        One row per topic, largest first: ``topic``, ``terms`` (its eight top words), ``comments``, ``share``
        (of all comments), ``example`` (its most typical comment, cut to ``comments.quote_length``) and
        ``suggestion`` (a codeframe entry to paste: ``topic_k: {label: ..., terms: [...]}``). Empty when too few
        comments are uncoded (fewer than 30 or than ten per topic).
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    columns = ["topic", "terms", "comments", "share", "example", "suggestion"]
    t = coded.table
    uncoded = ~t[list(coded.codeframe.ids)].any(axis=1).to_numpy()
    k = eng.comments.discover
    texts = [_PLACEHOLDER.sub(" ", s).replace("[name]", " ") for s in t["text"]]
    # comments of three words or fewer ("Fine overall.") name no topic
    uncoded &= np.array([len(x.split()) >= 4 for x in texts])
    texts = [x for x, keep in zip(texts, uncoded) if keep]
    if k == 0 or len(texts) < max(30, 10 * k):
        return pd.DataFrame(columns=columns)
    try:
        vectoriser = TfidfVectorizer(stop_words="english", min_df=3, max_df=0.5, token_pattern=r"(?u)\b[a-zA-Z]{3,}\b")
        matrix = vectoriser.fit_transform(texts)
    except ValueError:   # nothing left after the stop words
        return pd.DataFrame(columns=columns)
    k = min(k, matrix.shape[1] - 1, matrix.shape[0] // 10)
    if k < 1:
        return pd.DataFrame(columns=columns)
    model = NMF(n_components=k, init="nndsvd", random_state=eng.seed, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = np.array(vectoriser.get_feature_names_out())
    top = weights.argmax(axis=1)
    strong = weights.max(axis=1) >= 0.2 * weights.max()
    originals = t.loc[uncoded, "text"].tolist()
    rows, seen = [], []
    for j in np.argsort(-np.bincount(top[strong], minlength=k)):
        members = np.flatnonzero((top == j) & strong)
        if len(members) < 10:
            continue
        terms = vocabulary[np.argsort(model.components_[j])[::-1][:8]].tolist()
        same = next((i for i, other in enumerate(seen) if len(set(terms) & other) / len(set(terms) | other) >= 0.5),
                    None)
        if same is not None:   # the same words as a larger topic: its comments join that topic
            rows[same]["comments"] += len(members)
            rows[same]["share"] = rows[same]["comments"] / len(t)
            continue
        seen.append(set(terms))
        ranked = members[np.argsort(-weights[members, j])]
        example = next((originals[i] for i in ranked if not _PLACEHOLDER.search(originals[i])
                        and "[name]" not in originals[i]), originals[ranked[0]])
        name = f"topic_{len(rows) + 1}"
        rows.append({"topic": name, "terms": ", ".join(terms), "comments": len(members),
                     "share": len(members) / len(t), "example": cut_quote(example, eng.comments.quote_length),
                     "suggestion": f"{name}: {{label: {terms[0].capitalize()}, terms: [{', '.join(terms[:5])}]}}"})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("comments", ascending=False, kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ quotes

def cut_quote(text: str, limit: int) -> str:
    """A quote no longer than ``limit`` characters: whole sentences where they fit, else cut at a word, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    if out:
        return out
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def excerpt(text: str, theme: Theme) -> str:
    """The sentences of a comment that speak of the theme (its terms outside its exclusions), with "…" where
    sentences were left out; the whole comment when no single sentence matches."""
    sentences = [x for x in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if x]
    exclusion = theme.exclusion
    keep = [k for k, x in enumerate(sentences)
            if theme.pattern.search(exclusion.sub(" ", x) if exclusion is not None else x)]
    if not keep or len(keep) == len(sentences):
        return " ".join(sentences)
    parts = []
    for k in keep:
        if k > 0 and (not parts or k - 1 not in keep):
            parts.append("…")
        parts.append(sentences[k])
    if keep[-1] < len(sentences) - 1:
        parts.append("…")
    return " ".join(parts).replace("… …", "…")


def _bare(quote: str) -> str:
    """A quote's words without the marks of what was left out: the same words are one quote."""
    return " ".join(quote.replace("…", " ").split()).lower()


def quotes(coded: CodedComments, eng: Engagement, themes: list[str]) -> pd.DataFrame:
    """A few short quotes per theme, balanced across sentiment, from groups large enough to quote.

    For each theme in ``themes`` (in order), up to ``comments.quotes`` quotes: the sentences of a comment that
    speak of the theme (:func:`excerpt`), scored for sentiment on their own; the most negative, the most positive
    and the most neutral first, then round again, each of typical length (between the 25th and 75th percentile
    where there are eight or more); the same words are quoted once. No quote comes from a theme with fewer than
    ``comments.min_quote_group`` commenters (the comments' own privacy minimum, above the tables' one), and none
    holds a placeholder for removed personal data other than a name.

    Returns
    -------
    DataFrame
        ``theme``, ``label``, ``sentiment_label``, ``sentiment``, ``quote``, ``group_size`` (commenters the quote
        is drawn from).
    """
    t = coded.table
    limit, per_theme, minimum = eng.comments.quote_length, eng.comments.quotes, eng.comments.min_quote_group
    columns = ["theme", "label", "sentiment_label", "sentiment", "quote", "group_size"]
    if len(t) < minimum or per_theme == 0:
        return pd.DataFrame(columns=columns)
    said: set[str] = set()   # the same words from two customers are quoted once
    rows = []
    for theme_id in themes:
        theme = coded.codeframe.theme(theme_id)
        hit = t[t[theme_id]]
        if len(hit) < minimum:
            continue
        clean = hit[~hit["text"].str.contains(_PLACEHOLDER)]
        if clean.empty:
            continue
        cut = pd.Series([cut_quote(excerpt(x, theme), limit) for x in clean["text"]], index=clean.index)
        unique = ~cut.map(_bare).duplicated()
        candidates = pd.DataFrame({"quote": cut[unique]})
        candidates["sentiment"] = sentiment_scores(candidates["quote"].tolist())
        candidates["sentiment_label"] = sentiment_label(candidates["sentiment"].to_numpy())
        picked: list[pd.Series] = []
        while len(picked) < per_theme:
            before = len(picked)
            for label, key in (("negative", lambda x: x), ("positive", lambda x: -x), ("neutral", np.abs)):
                if len(picked) >= per_theme:
                    break
                pool = candidates[(candidates["sentiment_label"] == label) & ~candidates["quote"].map(_bare).isin(said)]
                if pool.empty:
                    continue
                lengths = pool["quote"].str.len()
                if len(pool) >= 8:
                    pool = pool[lengths.between(lengths.quantile(0.25), lengths.quantile(0.75))]
                choice = pool.loc[key(pool["sentiment"]).sort_values(kind="stable").index[0]]
                said.add(_bare(choice["quote"]))
                picked.append(choice)
            if len(picked) == before:
                break
        rows += [{"theme": theme_id, "label": theme.label, "sentiment_label": c["sentiment_label"],
                  "sentiment": float(c["sentiment"]), "quote": c["quote"], "group_size": len(hit)} for c in picked]
    return pd.DataFrame(rows, columns=columns)
