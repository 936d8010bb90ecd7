"""Metric design: a scorecard of outcome and driver metrics, each with a definition,
a baseline with interval, a grounded target, an owner and the responses needed
to see the target change (DOMAIN.md section 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .config import Engagement
from .customers import loyalty_band
from .stats import mean_ci, net_promoter_score, responses_needed_proportion, wilson_ci

ALPHA, POWER = 0.05, 0.80
MIN_TARGET_STEP = 0.01  # a best segment must beat the baseline by a point (1%) to set the target


def _z_sum() -> float:
    return float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER))


def responses_needed_mean(sd: float, change: float) -> int:
    """Responses per period to detect a change in a mean between two periods.

    Notes
    -----
    Two-sided two-sample z approximation, equal groups: n = 2 (z_{1-a/2} + z_power)^2 sd^2 / change^2
    (e.g. Chow, Shao & Wang 2008, *Sample Size Calculations in Clinical Research*, 3.2).
    """
    if not change:
        return np.iinfo(np.int64).max
    return int(np.ceil(2 * _z_sum() ** 2 * sd ** 2 / change ** 2))


def responses_needed_nps(promoters: float, detractors: float, change_points: float) -> int:
    """Responses per period to detect an NPS change of ``change_points`` between two periods.

    Notes
    -----
    Per-respondent score +1/0/-1 has variance p + d - (p - d)^2; two periods
    with equal n: n = (z_{1-a/2} + z_power)^2 * 2 var / (change / 100)^2, the
    variance held at the baseline mix.
    """
    if not change_points:
        return np.iinfo(np.int64).max
    var = promoters + detractors - (promoters - detractors) ** 2
    return int(np.ceil(_z_sum() ** 2 * 2 * var / (change_points / 100) ** 2))


def _target(baseline: float, best: float | None, best_label: str, uplift: float, upper: float) -> tuple[float, str]:
    if best is not None and np.isfinite(best) and best >= baseline + MIN_TARGET_STEP * (upper if upper > 1 else 1):
        return best, f"best segment already achieves it ({best_label})"
    return min(baseline + uplift, upper), f"baseline plus the configured uplift ({uplift:g})"


def scorecard(fb: pd.DataFrame, eng: Engagement, drivers: pd.DataFrame, assignment: pd.Series | None = None,
              profiles: pd.DataFrame | None = None) -> pd.DataFrame:
    """The engagement's scorecard: outcome metrics and the top drivers as driver metrics.

    Parameters
    ----------
    fb : DataFrame
        Cleaned feedback.
    eng : Engagement
    drivers : DataFrame
        From :func:`cxkit.drivers.key_drivers`.
    assignment, profiles : optional
        Segments (from :mod:`cxkit.customers`), used to ground targets in what
        the best segment already achieves.

    Returns
    -------
    DataFrame
        One row per metric: ``layer``, ``metric``, ``definition``, ``unit``,
        ``baseline``, ``ci_low``, ``ci_high``, ``n``, ``target``, ``target_rule``,
        ``owner``, ``owner_missing``, ``cadence``, ``needed_per_period``,
        ``available_per_period``, ``cadence_supported``.

    Notes
    -----
    Targets: the best segment's value where it beats the baseline by at least a
    point, else baseline + the configured uplift (points for percentages and NPS,
    a tenth of that for a mean rating), capped at the scale's top. Responses
    needed: 80% power at 5% (two-sided) to detect baseline -> target between two
    periods (:func:`cxkit.stats.responses_needed_proportion`,
    :func:`responses_needed_mean`, :func:`responses_needed_nps`).
    """
    spec = eng.feedback
    uplift = eng.targets.uplift_points
    segs = [] if assignment is None else sorted(assignment.dropna().unique())
    seg_names = {int(r.segment): r.name for r in profiles.itertuples()} if profiles is not None else {}

    def best_of(values_by_segment):
        if not values_by_segment:
            return None, ""
        seg = max(values_by_segment, key=values_by_segment.get)
        return values_by_segment[seg], f"segment {seg}: {seg_names.get(seg, '')}".rstrip(": ")

    def in_segment(seg):
        return (assignment == seg).fillna(False).to_numpy()

    rows = []
    outcome = spec.main_outcome
    bands = loyalty_band(fb[outcome.column], eng)
    answered = bands.notna()
    est = wilson_ci(float((bands == "truly_impressed").sum()), float(answered.sum()))
    by_seg = {int(s): float((bands[in_segment(s)] == "truly_impressed").sum() / max(bands[in_segment(s)].notna().sum(), 1)) for s in segs}
    best, label = best_of(by_seg)
    target, rule = _target(est.value, best, label, uplift / 100, 1.0)
    cut = eng.loyalty_bands[eng.scales[outcome.scale].range_key]["truly_impressed"]
    rows.append(dict(layer="Outcome", metric="Share truly impressed",
                     definition=f"share of respondents rating {outcome.column} >= {cut:g} (top box)", unit="share",
                     baseline=est.value, ci_low=est.low, ci_high=est.high, n=est.n, target=target, target_rule=rule,
                     owner=eng.targets.outcome_owner, needed=responses_needed_proportion(est.value, target, ALPHA, POWER)))
    if spec.outcomes.recommend is not None:
        column = spec.outcomes.recommend.column
        score = net_promoter_score(fb[column])
        by_seg = {int(s): net_promoter_score(fb.loc[in_segment(s), column]).nps for s in segs}
        best, label = best_of(by_seg)
        target, rule = _target(score.nps, best, label, uplift, 100.0)
        rows.append(dict(layer="Outcome", metric="Net Promoter Score",
                         definition=f"% rating {column} 9-10 minus % rating 0-6", unit="points",
                         baseline=score.nps, ci_low=score.low, ci_high=score.high, n=score.n, target=target,
                         target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_nps(score.promoters, score.detractors, target - score.nps)))
    if spec.outcomes.satisfaction is not None:
        column = spec.outcomes.satisfaction.column
        m = mean_ci(fb[column])
        by_seg = {int(s): float(fb.loc[in_segment(s), column].mean()) for s in segs}
        best, label = best_of(by_seg)
        top = eng.scales[spec.outcomes.satisfaction.scale].max
        target, rule = _target(m.value, best, label, uplift / 10, float(top))
        rows.append(dict(layer="Outcome", metric=f"Mean {spec.outcomes.satisfaction.label.lower()}",
                         definition=f"mean of {column} ({eng.scales[spec.outcomes.satisfaction.scale].range_key})",
                         unit="mean", baseline=m.value, ci_low=m.low, ci_high=m.high, n=m.n, target=target,
                         target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_mean(float(fb[column].std()), target - m.value)))
    scale = eng.scales[spec.scale]
    for driver in drivers.head(eng.targets.scorecard_drivers).itertuples():
        column = driver.attribute
        values = fb[column].dropna()
        est = wilson_ci(float((values >= scale.top2_min).sum()), len(values))
        by_seg = {}
        for s in segs:
            v = fb.loc[in_segment(s), column].dropna()
            if len(v):
                by_seg[int(s)] = float((v >= scale.top2_min).sum() / len(v))
        best, label = best_of(by_seg)
        target, rule = _target(est.value, best, label, uplift / 100, 1.0)
        rows.append(dict(layer="Driver", metric=f"{driver.label}: top-2-box",
                         definition=f"share rating {column} {scale.top2_min}-{scale.max}; driver rank {driver.rank} "
                                    f"({driver.share:.0%} of explained variance)", unit="share",
                         baseline=est.value, ci_low=est.low, ci_high=est.high, n=est.n, target=target, target_rule=rule,
                         owner=driver.owner if isinstance(driver.owner, str) and driver.owner else None,
                         needed=responses_needed_proportion(est.value, target, ALPHA, POWER)))
    table = pd.DataFrame(rows).rename(columns={"needed": "needed_per_period"})
    table["owner_missing"] = table["owner"].isna()
    table["owner"] = table["owner"].fillna("No owner: assign one")
    cadence, available = _cadence(fb, eng)
    table["cadence"] = cadence
    table["available_per_period"] = available
    table["cadence_supported"] = table["needed_per_period"] <= available
    return table


def _cadence(fb: pd.DataFrame, eng: Engagement) -> tuple[str, int]:
    """The reporting period the data shows (its waves) and the typical responses per period."""
    wave = eng.feedback.wave
    if wave and wave in fb and fb[wave].notna().any():
        counts = fb[wave].value_counts()
        return "per wave", int(counts.median())
    return "per survey", len(fb)


def wave_trend(fb: pd.DataFrame, eng: Engagement, drivers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outcome metrics (and the top driver's top-2-box) per survey wave, with 95% intervals.

    Returns
    -------
    DataFrame
        Long format, waves in sorted order: ``wave``, ``metric``, ``unit``, ``value``,
        ``ci_low``, ``ci_high``, ``n``. Empty when the feedback has no wave column
        or a single wave.

    Notes
    -----
    Shares with Wilson intervals, NPS with the interval of
    :func:`cxkit.stats.net_promoter_score`, means with t intervals: the same
    estimators as the scorecard, applied to each wave's respondents.
    """
    columns = ["wave", "metric", "unit", "value", "ci_low", "ci_high", "n"]
    spec = eng.feedback
    if not spec.wave or spec.wave not in fb or fb[spec.wave].nunique() < 2:
        return pd.DataFrame(columns=columns)
    outcome = spec.main_outcome
    cut = eng.loyalty_bands[eng.scales[outcome.scale].range_key]["truly_impressed"]
    scale = eng.scales[spec.scale]
    top = drivers.iloc[0] if drivers is not None and len(drivers) else None
    rows = []
    for wave, group in fb.groupby(spec.wave, sort=True):
        values = group[outcome.column].dropna()
        est = wilson_ci(float((values >= cut).sum()), len(values))
        rows.append((wave, "Share truly impressed", "share", est.value, est.low, est.high, est.n))
        if spec.outcomes.recommend is not None:
            score = net_promoter_score(group[spec.outcomes.recommend.column])
            rows.append((wave, "Net Promoter Score", "points", score.nps, score.low, score.high, score.n))
        if top is not None:
            rated = group[top["attribute"]].dropna()
            est = wilson_ci(float((rated >= scale.top2_min).sum()), len(rated))
            rows.append((wave, f"{top['label']}: top-2-box", "share", est.value, est.low, est.high, est.n))
    return pd.DataFrame(rows, columns=columns)
