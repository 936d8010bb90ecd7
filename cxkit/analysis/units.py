"""Units (regions, stores, teams) of one engagement: which get a deck of their own, and how each compares with the
rest on the headline metrics and the moments of truth. DOMAIN.md section 4 (pilots in one or two units, then
roll-out).

Functions take the cleaned feedback and the engagement (its ``units`` settings) and return tidy tables; the
batch runner (:mod:`cxkit.run.units`) cuts the data by :func:`unit_plan` and hands each unit's run its rows of
:func:`compare_units`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import CxkitError
from ..inputs.config import Engagement
from .customers import loyalty_band, respondent_weights
from .stats import holm, net_promoter_score, weighted_mean_ci, weighted_share

OWN, POOLED_UNIT, TOO_SMALL = "own_deck", "pooled", "too_small"


@dataclass(frozen=True)
class Metric:
    """A headline metric units are compared on: a mean, a share or NPS of one column."""

    key: str
    label: str
    column: str
    kind: str       # "mean", "share" or "nps"
    span: float     # the range of its scale: a difference is judged against it (thresholds.min_effect)


def unit_settings(eng: Engagement):
    if eng.units is None:
        raise CxkitError(f"{eng.source}: the engagement names no units. Fix: add 'units: {{column: region}}' (the "
                         "feedback column whose values are the units) or pass --units COLUMN")
    return eng.units


def unit_minimum(eng: Engagement) -> int:
    """Customers a unit needs for a deck of its own: ``units.minimum``, never under ``thresholds.min_respondents``
    (the smallest base the kit reports on)."""
    settings = unit_settings(eng)
    return max(settings.minimum or 0, eng.thresholds.min_respondents)


def unit_values(fb: pd.DataFrame, eng: Engagement) -> pd.Series:
    """Each customer's unit as text (missing where the unit column is blank)."""
    column = unit_settings(eng).column
    if column not in fb.columns:
        raise CxkitError(f"{eng.data_path('feedback')}: the units column {column!r} (units.column) is not in the "
                         f"feedback data. Fix: name one of its columns, e.g. one of the descriptors "
                         f"{list(eng.feedback.descriptors)}")
    return unit_text(fb[column])


def unit_text(values: pd.Series) -> pd.Series:
    """Unit names as text, as they are matched everywhere (trimmed; missing where blank): the feedback's and the
    diagnostic's units column alike."""
    text = values.astype("string").str.strip()
    return text.where(text.notna() & (text != ""))


def unit_id(eng: Engagement, value: str, taken: set[str]) -> str:
    """A folder-safe engagement id for a unit: the engagement's id and the unit's name in letters and digits
    (a short hash of the name where that is empty or taken), at most 80 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40]
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=3).hexdigest()
    base = eng.engagement_id[:80 - len(slug) - 9]
    candidate = f"{base}-{slug}" if slug else f"{base}-{digest}"
    if candidate in taken:
        candidate = f"{base}-{slug}-{digest}" if slug else f"{base}-{digest}-{len(taken)}"
    taken.add(candidate)
    return candidate


def unit_plan(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Which units get a deck of their own, which are pooled, and which are too small for any.

    Returns
    -------
    DataFrame
        One row per unit in the data (largest first): ``unit`` (its name), ``customers``, ``status``
        (``own_deck``; ``pooled``: under the minimum, its customers go into one pooled unit; ``too_small``: a
        pooled unit itself under the minimum, shown nowhere on its own), ``deck_unit`` (the unit whose deck
        holds its customers, or blank) and ``unit_id`` (the folder its deck goes to).

    Notes
    -----
    A unit under :func:`unit_minimum` customers is never shown on its own: it joins a pooled unit named
    "Other <units> (pooled)", which gets a deck (and a row in the roll-up) only when it reaches the minimum
    itself. Customers with no unit are in no unit's deck (the whole engagement's deck holds them).
    """
    settings = unit_settings(eng)
    values = unit_values(fb, eng)
    counts = values.value_counts()
    if counts.empty:
        raise CxkitError(f"{eng.data_path('feedback')}: the units column {settings.column!r} is blank in every row")
    minimum = unit_minimum(eng)
    small = counts[counts < minimum]
    pooled_name = f"Other {settings.name}s (pooled)"
    pooled_ok = small.sum() >= minimum
    taken: set[str] = set()
    rows = []
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if n >= minimum:
            rows.append({"unit": str(name), "customers": int(n), "status": OWN, "deck_unit": str(name),
                         "unit_id": unit_id(eng, str(name), taken)})
    pooled_id = unit_id(eng, pooled_name, taken) if pooled_ok and len(small) else ""
    for name, n in sorted(small.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        rows.append({"unit": str(name), "customers": int(n), "status": POOLED_UNIT if pooled_ok else TOO_SMALL,
                     "deck_unit": pooled_name if pooled_ok else "", "unit_id": pooled_id})
    return pd.DataFrame(rows, columns=["unit", "customers", "status", "deck_unit", "unit_id"])


def deck_units(plan: pd.DataFrame) -> pd.DataFrame:
    """The decks a plan makes: ``deck_unit``, ``unit_id``, ``customers`` and ``members`` (the units in it)."""
    made = plan[plan["deck_unit"] != ""]
    return (made.groupby(["deck_unit", "unit_id"], sort=False)
            .agg(customers=("customers", "sum"), members=("unit", lambda s: ", ".join(s)))
            .reset_index())


def unit_rows(fb: pd.DataFrame, eng: Engagement, plan: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which customers each unit's deck holds (a pooled unit: those of every unit pooled into it), by deck unit."""
    values = unit_values(fb, eng)
    codes, names = pd.factorize(values)
    position = {name: i for i, name in enumerate(names)}
    out = {}
    for deck_unit, members in plan[plan["deck_unit"] != ""].groupby("deck_unit", sort=False)["unit"]:
        wanted = [position[m] for m in members if m in position]
        out[deck_unit] = np.isin(codes, wanted)
    return out


def headline_metrics(eng: Engagement) -> list[Metric]:
    """What units are compared on: the main outcome's mean, NPS, the share truly impressed, the yes/no
    outcome's share of yes, and each touchpoint's mean, as the engagement maps them."""
    spec = eng.feedback
    metrics = []
    main = spec.main_outcome
    if main is not None:
        scale = eng.scales[main.scale]
        metrics.append(Metric("outcome", main.label, main.column, "mean", float(scale.max - scale.min)))
    if eng.nps_column:
        metrics.append(Metric("nps", "NPS", eng.nps_column, "nps", 200.0))
    if main is not None:
        metrics.append(Metric("truly_impressed", "Truly impressed", main.column, "truly_impressed", 1.0))
    if spec.outcomes.yes_no is not None:
        metrics.append(Metric("yes_no", spec.outcomes.yes_no.label, spec.outcomes.yes_no.column, "share", 1.0))
    scale = eng.scales[spec.scale]
    for a in spec.attributes:
        metrics.append(Metric(a.column, a.label, a.column, "mean", float(scale.max - scale.min)))
    return metrics


def _scores(metric: Metric, fb: pd.DataFrame, eng: Engagement) -> list[np.ndarray]:
    """Each customer's score(s) on a metric, NaN where they did not answer: the rating, 1/0 for a share, and
    for NPS two: promoter 1/0 and detractor 1/0."""
    values = fb[metric.column]
    if metric.kind == "nps":
        x = values.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return [np.where(np.isnan(x), np.nan, (x >= 9).astype(float)),
                    np.where(np.isnan(x), np.nan, (x <= 6).astype(float))]
    if metric.kind == "truly_impressed":
        band = loyalty_band(values, eng)
        return [np.where(band.isna().to_numpy(), np.nan, (band == "truly_impressed").to_numpy(dtype=float))]
    if metric.kind == "share":
        x = values.to_numpy(dtype=float)
        return [np.where(np.isnan(x), np.nan, (x == 1).astype(float))]
    return [values.to_numpy(dtype=float)]


def _sums(scores: list[np.ndarray], w: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """Per group (codes 0..groups-1; -1 in none): answered count, sum of w, of w^2, and of w x and w x^2 for each
    score. Shape (groups, 3 + 2 * len(scores))."""
    answered = ~np.isnan(scores[0])
    inside = answered & (codes >= 0)
    c, ww = codes[inside], w[inside]
    columns = [np.bincount(c, minlength=groups).astype(float), np.bincount(c, ww, groups),
               np.bincount(c, ww * ww, groups)]
    for x in scores:
        xx = x[inside]
        columns += [np.bincount(c, ww * xx, groups), np.bincount(c, ww * xx * xx, groups)]
    return np.column_stack(columns)


def _value_and_se(kind: str, sums: np.ndarray) -> tuple[float, float, int]:
    """A metric's (weighted) value and its standard error on Kish's effective n, from a group's sums."""
    n, w, w2 = sums[0], sums[1], sums[2]
    if w <= 0 or n == 0:
        return np.nan, np.nan, int(n)
    n_eff = w * w / w2
    if kind == "nps":
        p, d = sums[3] / w, sums[5] / w
        return 100 * (p - d), 100 * np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n_eff), int(n)
    mean = sums[3] / w
    if kind in ("share", "truly_impressed"):
        return mean, np.sqrt(max(mean * (1 - mean), 0.0) / n_eff), int(n)
    if n_eff <= 1:
        return mean, np.nan, int(n)
    variance = max(sums[4] / w - mean * mean, 0.0) * n_eff / (n_eff - 1)
    return mean, np.sqrt(variance / n_eff), int(n)


def _interval(metric: Metric, fb: pd.DataFrame, eng: Engagement, rows: np.ndarray,
              weights: np.ndarray | None) -> tuple[float, float, float, int]:
    """The kit's estimate and 95% interval of a metric among ``rows`` (as the stages compute it)."""
    values = fb[metric.column][rows]
    w = None if weights is None else weights[rows]
    if metric.kind == "nps":
        est = net_promoter_score(values.to_numpy(dtype=float), weights=w)
        return est.nps, est.low, est.high, est.n
    if metric.kind in ("share", "truly_impressed"):
        score = _scores(metric, fb[rows], eng)[0]
        est = weighted_share(pd.Series(score).map({1.0: True, 0.0: False}).astype("boolean"), w)
        return est.value, est.low, est.high, est.n
    est = weighted_mean_ci(values.to_numpy(dtype=float), w)
    return est.value, est.low, est.high, est.n


def compare_units(fb: pd.DataFrame, eng: Engagement, plan: pd.DataFrame) -> pd.DataFrame:
    """Each unit with a deck against the rest of the engagement, on every headline metric.

    Returns
    -------
    DataFrame
        One row per unit and metric: ``unit``, ``unit_id``, ``metric``, ``label``, ``kind``, ``span`` (the metric's
        range), ``n``, ``value``, ``ci_low``, ``ci_high``, ``rest`` (the other units shown), ``whole`` (all the
        units shown), ``diff`` (unit - rest), ``p``, ``p_holm``, ``verdict`` (``above``, ``below``,
        ``small_difference``: beyond chance but under the minimum effect, or ``no_clear_difference``) and
        ``rank`` (1 = the highest value among the units on that metric).

    Notes
    -----
    Each value is the kit's weighted estimate with its interval (means: t on Kish's effective n; shares: Wilson;
    NPS: the multinomial interval). The unit is tested against the rest (two independent samples) by the Wald
    z test of the difference, z = (unit - rest) / sqrt(se_unit^2 + se_rest^2), each standard error on Kish's
    effective sample size (means: the weighted variance with Kish's correction; shares: p(1 - p); NPS:
    (p + d - (p - d)^2)); the rest's figures come from the totals less the unit's, so a batch of hundreds of
    units reads the data once per metric. The rest and the whole are the units shown (each with a deck, the
    pooled one included): customers of a unit too small to show, or with no unit, are in neither, so no
    subtraction recovers a small unit's figures. p-values are Holm-adjusted across every unit and metric. A unit is
    above or below the rest only when the adjusted p is under ``thresholds.alpha`` and the difference is at
    least ``thresholds.min_effect`` of the metric's range, in the direction found.
    """
    weights = respondent_weights(fb, eng)
    w = np.ones(len(fb)) if weights is None else np.asarray(weights, dtype=float)
    decks = deck_units(plan)
    masks = unit_rows(fb, eng, plan)
    codes = np.full(len(fb), -1)
    for i, d in enumerate(decks.itertuples()):
        codes[masks[d.deck_unit]] = i
    # the rest and the whole are the units shown: with a unit too small to show among them (or in the whole), its
    # figures could be had by subtraction
    shown = np.where(codes >= 0, 0, -1)
    rows = []
    for metric in headline_metrics(eng):
        scores = _scores(metric, fb, eng)
        per_unit = _sums(scores, w, codes, len(decks))
        all_shown = _sums(scores, w, shown, 1)[0]
        whole = _value_and_se(metric.kind, all_shown)[0]
        found = []
        for i, d in enumerate(decks.itertuples()):
            value, low, high, n = _interval(metric, fb, eng, masks[d.deck_unit], weights)
            _, se, _ = _value_and_se(metric.kind, per_unit[i])
            rest, se_rest, n_rest = _value_and_se(metric.kind, all_shown - per_unit[i])
            spread = se ** 2 + se_rest ** 2
            z = (value - rest) / np.sqrt(spread) if n and n_rest and spread > 0 else np.nan
            p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
            found.append({"unit": d.deck_unit, "unit_id": d.unit_id, "metric": metric.key, "label": metric.label,
                          "kind": metric.kind, "span": metric.span, "n": int(n), "value": value, "ci_low": low,
                          "ci_high": high, "rest": rest, "whole": whole, "diff": value - rest if n_rest else np.nan,
                          "p": p})
        ranks = pd.Series([f["value"] for f in found]).rank(ascending=False, method="min")
        for f, rank in zip(found, ranks):
            f["rank"] = int(rank) if np.isfinite(rank) else pd.NA
        rows += found
    # one family: every unit on every metric (a unit's deck reads all its metrics, the roll-up all its units)
    for f, p_holm in zip(rows, holm([f["p"] for f in rows])):
        span = f["span"]
        beyond_chance = bool(np.isfinite(p_holm) and p_holm < eng.thresholds.alpha)
        large = abs(f["diff"]) >= eng.thresholds.min_effect * span
        f["p_holm"] = float(p_holm)
        f["verdict"] = (("above" if f["diff"] > 0 else "below") if beyond_chance and large
                        else "small_difference" if beyond_chance else "no_clear_difference")
    columns = ["unit", "unit_id", "metric", "label", "kind", "span", "n", "value", "ci_low", "ci_high", "rest",
               "whole", "diff", "p", "p_holm", "verdict", "rank"]
    return pd.DataFrame(rows, columns=columns)


def league_table(comparison: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Units ranked on the lead metric (NPS where there is one, else the main outcome, else the yes/no share):
    one row per unit with its value, interval, base, verdict against the rest and rank."""
    lead = next((m for m in ("nps", "outcome", "yes_no") if (comparison["metric"] == m).any()), None)
    if lead is None:
        return comparison.iloc[0:0]
    return comparison[comparison["metric"] == lead].sort_values(["rank", "unit"]).reset_index(drop=True)


def moment_leaders(comparison: pd.DataFrame, moments: pd.DataFrame) -> pd.DataFrame:
    """For each moment of truth (the whole engagement's fix-first touchpoints), the units clearly above and below
    the rest on it.

    ``moments`` holds ``attribute``, ``label`` and ``share`` (importance) of the moments of truth. Returns one
    row per moment: ``attribute``, ``label``, ``share``, ``leaders`` and ``laggards`` (unit names, best and
    worst first; blank when none differs clearly), ``units`` compared.
    """
    rows = []
    for m in moments.itertuples():
        on = comparison[comparison["metric"] == m.attribute]
        above = on[on["verdict"] == "above"].sort_values("diff", ascending=False)
        below = on[on["verdict"] == "below"].sort_values("diff")
        rows.append({"attribute": m.attribute, "label": m.label, "share": float(m.share),
                     "leaders": ", ".join(above["unit"]), "laggards": ", ".join(below["unit"]), "units": len(on)})
    return pd.DataFrame(rows, columns=["attribute", "label", "share", "leaders", "laggards", "units"])


def pilot_candidates(comparison: pd.DataFrame, moments: pd.DataFrame, most: int = 3) -> pd.DataFrame:
    """Units where a pilot on the moments of truth has the most to win and would show: those clearly below the
    rest on at least one moment of truth, ranked by the shortfall weighted by importance.

    Notes
    -----
    Score = sum over the moments of truth the unit is clearly below the rest on of (the moment's share of the
    explained outcome x the unit's shortfall as a share of the scale). A unit below on no moment of truth is
    no candidate: a pilot there could not show a gain the data already doubts. Returns ``unit``,
    ``unit_id``, ``n``, ``score``, ``moments`` (the moments it lags on) and ``gaps`` (their count).
    """
    columns = ["unit", "unit_id", "n", "score", "moments", "gaps"]
    share = dict(zip(moments["attribute"], moments["share"]))
    below = comparison[comparison["metric"].isin(share) & (comparison["verdict"] == "below")]
    if below.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for unit, group in below.groupby("unit", sort=False):
        score = float(sum(share[r.metric] * abs(r.diff) / r.span for r in group.itertuples()))
        rows.append({"unit": unit, "unit_id": group["unit_id"].iloc[0], "n": int(group["n"].max()), "score": score,
                     "moments": ", ".join(group["label"]), "gaps": len(group)})
    return pd.DataFrame(rows, columns=columns).sort_values(["score", "unit"], ascending=[False, True]).head(most) \
        .reset_index(drop=True)
