"""Metric design: a scorecard of outcome and driver metrics, each with a definition,
a baseline with interval, a grounded target, an owner and the responses needed
to see the target change (DOMAIN.md section 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..inputs.config import Engagement
from .customers import loyalty_band
from .reality import unreliable
from .stats import holm, mean_ci, net_promoter_score, responses_needed_proportion, wilson_ci
from ..results.headlines import MetricHeadlines

ALPHA, POWER = 0.05, 0.80
MIN_TARGET_STEP = 0.01  # a best group must beat the baseline by a point (1%) of the scale to set the target


def _z_sum() -> float:
    return float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER))


def responses_needed_mean(sd: float, change: float) -> int | None:
    """Responses per period to detect a change in a mean between two periods; ``None`` without a change.

    Notes
    -----
    Two-sided two-sample z approximation, equal groups: n = 2 (z_{1-a/2} + z_power)^2 sd^2 / change^2
    (e.g. Chow, Shao & Wang 2008, *Sample Size Calculations in Clinical Research*, 3.2).
    """
    if not change:
        return None
    return int(np.ceil(2 * _z_sum() ** 2 * sd ** 2 / change ** 2))


def responses_needed_nps(promoters: float, detractors: float, change_points: float) -> int | None:
    """Responses per period to detect an NPS change of ``change_points`` between two periods; ``None`` without one.

    Notes
    -----
    Per-respondent score +1/0/-1 has variance p + d - (p - d)^2; two periods
    with equal n: n = (z_{1-a/2} + z_power)^2 * 2 var / (change / 100)^2, the
    variance held at the baseline mix.
    """
    if not change_points:
        return None
    var = promoters + detractors - (promoters - detractors) ** 2
    return int(np.ceil(_z_sum() ** 2 * 2 * var / (change_points / 100) ** 2))


def _target(baseline: float, best: float | None, best_label: str, uplift: float, upper: float,
            kind: str = "group") -> tuple[float, str, str]:
    """A metric's target, where it came from (a code: best_group, best_department, uplift) and the rule in words."""
    if best is not None and np.isfinite(best) and best >= baseline + MIN_TARGET_STEP * (upper if upper > 1 else 1):
        return best, f"best_{kind}", f"the best {kind} already achieves it ({best_label})"
    return min(baseline + uplift, upper), "uplift", f"baseline plus the configured uplift ({uplift:g})"


def scorecard(fb: pd.DataFrame, eng: Engagement, drivers: pd.DataFrame, quadrants: pd.DataFrame,
              scenarios: pd.DataFrame | None = None, people: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The engagement's scorecard in three linked layers: outcomes, the drivers behind them, and people.

    Parameters
    ----------
    fb : DataFrame
        Cleaned feedback.
    eng : Engagement
    drivers : DataFrame
        The key drivers table (:func:`cxkit.analysis.drivers.key_drivers`).
    quadrants : DataFrame
        The moments of truth table (:func:`cxkit.analysis.drivers.moments_of_truth`): every moment of
        truth becomes a driver metric.
    scenarios : DataFrame, optional
        The what-if table (:func:`cxkit.analysis.drivers.what_if`); with ``targets.outcome_goal``
        it sets the driver targets.
    people : dict of DataFrame, optional
        The reality check's saved ``readiness``, ``readiness_by_department``,
        ``maturity`` and ``maturity_by_department`` tables: adds the people
        layer (Know / Care / Can and ``targets.people_dimensions``), with
        targets from the best department (:func:`people_metrics`).

    Returns
    -------
    DataFrame
        One row per metric: ``layer`` (a code: outcome, driver, people), ``metric``,
        ``definition`` (formula and source columns), ``unit``, ``baseline``,
        ``ci_low``, ``ci_high``, ``n``, ``target``, ``target_source`` (a code:
        best_group, best_department, what_if, uplift), ``target_rule`` (in words), ``owner``,
        ``owner_missing``, ``cadence``, ``needed_per_period``,
        ``available_per_period`` (the typical answers per period to the metric's own question), ``cadence_supported``.

    Notes
    -----
    Targets, each naming its rule: what the best group of customers already
    achieves, among the groups of each descriptor (region, channel, customer
    type ...) with at least ``thresholds.min_respondents`` answers whose
    interval (95%, Bonferroni-adjusted across the groups) lies above the
    baseline, by at least ``thresholds.min_effect`` of the metric's range (for people metrics, the best department's, among
    departments shown for privacy); else baseline + the configured uplift (points for
    percentages and NPS, a tenth of that for a mean), capped at the scale's
    top. With ``targets.outcome_goal``, driver metrics are mean ratings and
    their target is the rise the what-if says lifts the main outcome by the
    goal (the regression slope read from the what-if table). Responses needed:
    80% power at 5% (two-sided) to detect baseline -> target between two
    periods (:func:`cxkit.analysis.stats.responses_needed_proportion`,
    :func:`responses_needed_mean`, :func:`responses_needed_nps`); none (empty) where the baseline
    is already at the scale's top and the target cannot rise. Outcome and
    driver metrics are read per feedback wave, people metrics per pulse of the
    diagnostic. Never a segment's value: segments are made from the same
    ratings, so their best would be a circular target.
    """
    spec = eng.feedback
    uplift = eng.targets.uplift_points
    groups = _descriptor_groups(fb, eng)

    def best_of(per_respondent: pd.Series, baseline: float, unit: str):
        """The best value a descriptor group reaches and which group: among groups with the minimum base whose
        interval (Bonferroni across the groups) lies above the baseline, by at least the smallest difference
        that matters."""
        span = {"share": 1.0, "points": 200.0}.get(unit, _outcome_span(eng))
        level = 1 - eng.thresholds.alpha / max(len(groups), 1)   # Bonferroni: every group is a comparison
        found = {}
        for label, mask in groups.items():
            part = per_respondent[mask].dropna()
            if len(part) < eng.thresholds.min_respondents:
                continue
            value, low = _estimate_with_low(part, unit, level)
            if np.isfinite(value) and low > baseline and value - baseline >= eng.thresholds.min_effect * span:
                found[label] = value
        if not found:
            return None, ""
        label = max(found, key=found.get)
        return found[label], label

    cadence = _cadence(fb, eng)[0]

    def answers(column: str) -> int:   # a metric is tracked on those who answer its question, not on every response
        return _cadence(fb, eng, column)[1]

    rows = []
    outcome = spec.main_outcome
    if outcome is not None:   # the share truly impressed needs a rating outcome
        bands = loyalty_band(fb[outcome.column], eng)
        impressed = (bands == "truly_impressed").astype(float).where(bands.notna())
        est = wilson_ci(float(impressed.sum()), float(impressed.notna().sum()))
        best, label = best_of(impressed, est.value, "share")
        target, source, rule = _target(est.value, best, label, uplift / 100, 1.0, kind="group")
        cut = eng.loyalty_bands[eng.scales[outcome.scale].range_key]["truly_impressed"]
        rows.append(dict(layer="outcome", metric="Share truly impressed",
                         definition=f"share of respondents rating {outcome.column} >= {cut:g} (top box)", unit="share",
                         baseline=est.value, ci_low=est.low, ci_high=est.high, n=est.n, target=target,
                         target_source=source, target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_proportion(est.value, target, ALPHA, POWER),
                         cadence=cadence, available=answers(outcome.column)))
    if eng.nps_column is not None:
        column = eng.nps_column
        score = net_promoter_score(fb[column])
        best, label = best_of(fb[column], score.nps, "points")
        target, source, rule = _target(score.nps, best, label, uplift, 100.0, kind="group")
        rows.append(dict(layer="outcome", metric="Net Promoter Score",
                         definition=f"% rating {column} 9-10 minus % rating 0-6", unit="points",
                         baseline=score.nps, ci_low=score.low, ci_high=score.high, n=score.n, target=target,
                         target_source=source, target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_nps(score.promoters, score.detractors, target - score.nps),
                         cadence=cadence, available=answers(column)))
    if spec.outcomes.satisfaction is not None:
        column = spec.outcomes.satisfaction.column
        m = mean_ci(fb[column])
        best, label = best_of(fb[column], m.value, "mean")
        top = eng.scales[spec.outcomes.satisfaction.scale].max
        target, source, rule = _target(m.value, best, label, uplift / 10, float(top), kind="group")
        rows.append(dict(layer="outcome", metric=f"Mean {spec.outcomes.satisfaction.label.lower()}",
                         definition=f"mean of {column} ({eng.scales[spec.outcomes.satisfaction.scale].range_key})",
                         unit="mean", baseline=m.value, ci_low=m.low, ci_high=m.high, n=m.n, target=target,
                         target_source=source, target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_mean(float(fb[column].std()), target - m.value),
                         cadence=cadence, available=answers(column)))
    if spec.outcomes.yes_no is not None:
        column = spec.outcomes.yes_no.column
        yes = fb[column]
        est = wilson_ci(float(yes.sum()), float(yes.notna().sum()))
        best, label = best_of(yes, est.value, "share")
        target, source, rule = _target(est.value, best, label, uplift / 100, 1.0, kind="group")
        rows.append(dict(layer="outcome", metric=f"{spec.outcomes.yes_no.label}: share yes",
                         definition=f"share of respondents answering yes to {column}", unit="share",
                         baseline=est.value, ci_low=est.low, ci_high=est.high, n=est.n, target=target,
                         target_source=source, target_rule=rule, owner=eng.targets.outcome_owner,
                         needed=responses_needed_proportion(est.value, target, ALPHA, POWER),
                         cadence=cadence, available=answers(column)))
    rows += _driver_metrics(fb, eng, scorecard_drivers(drivers, quadrants, eng), scenarios, best_of, cadence,
                            answers)
    if people is not None and eng.diagnostic is not None:
        rows += people_metrics(eng, **people)
    table = pd.DataFrame(rows).rename(columns={"needed": "needed_per_period", "available": "available_per_period"})
    table["owner_missing"] = table["owner"].isna()
    table["owner"] = table["owner"].fillna("No owner: assign one")
    # a metric already at its ceiling (target = baseline) has no change to detect: nothing for the volume to show
    table["needed_per_period"] = table["needed_per_period"].astype(float)
    table["cadence_supported"] = table["needed_per_period"].isna() | (table["needed_per_period"]
                                                                      <= table["available_per_period"])
    columns = ["layer", "metric", "definition", "unit", "baseline", "ci_low", "ci_high", "n", "target", "target_source",
               "target_rule", "owner", "owner_missing", "cadence", "needed_per_period", "available_per_period",
               "cadence_supported"]
    return table[columns]


def _driver_metrics(fb, eng, chosen, scenarios, best_of, cadence, answers) -> list[dict]:
    spec = eng.feedback
    scale = eng.scales[spec.scale]
    goal = eng.targets.outcome_goal
    slopes = {}
    if goal is not None and scenarios is not None and len(scenarios):
        rise = scenarios["mean_after"] - scenarios["mean_now"]
        slopes = dict(zip(scenarios["attribute"], scenarios["outcome_change"] / rise.where(rise > 0)))
    rows = []
    for driver in chosen.itertuples():
        column = driver.attribute
        values = fb[column].dropna()
        owner = driver.owner if isinstance(driver.owner, str) and driver.owner else None
        context = f"driver rank {driver.rank} ({driver.share:.0%} of explained variance)"
        slope = slopes.get(column)
        if slope is not None and np.isfinite(slope) and slope > 0:
            m = mean_ci(values)
            raise_by = goal / slope
            target = min(m.value + raise_by, float(scale.max))
            rule = (f"what-if: a rise of {raise_by:.2f} points lifts {spec.main_outcome.label.lower()} by the goal "
                    f"of {goal:g}" + (" (capped at the scale's top)" if target < m.value + raise_by else ""))
            rows.append(dict(layer="driver", metric=f"{driver.label}: mean rating",
                             definition=f"mean of {column} ({scale.range_key}); {context}", unit="mean",
                             baseline=m.value, ci_low=m.low, ci_high=m.high, n=m.n, target=target,
                             target_source="what_if", target_rule=rule,
                             owner=owner, needed=responses_needed_mean(float(values.std()), target - m.value),
                             cadence=cadence, available=answers(column)))
            continue
        hit = (fb[column] >= scale.top2_min).astype(float).where(fb[column].notna())
        est = wilson_ci(float((values >= scale.top2_min).sum()), len(values))
        best, label = best_of(hit, est.value, "share")
        target, source, rule = _target(est.value, best, label, eng.targets.uplift_points / 100, 1.0, kind="group")
        rows.append(dict(layer="driver", metric=f"{driver.label}: {scale.top_boxes}",
                         definition=f"share rating {column} {scale.top2_min}-{scale.max}; {context}", unit="share",
                         baseline=est.value, ci_low=est.low, ci_high=est.high, n=est.n, target=target,
                         target_source=source, target_rule=rule,
                         owner=owner, needed=responses_needed_proportion(est.value, target, ALPHA, POWER),
                         cadence=cadence, available=answers(column)))
    return rows


def scorecard_drivers(drivers: pd.DataFrame, quadrants: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """The drivers that become driver metrics: the top ``targets.scorecard_drivers`` of those whose ratings go with
    a higher outcome, and every moment of truth below them (the ``fix_first`` quadrant of
    :func:`cxkit.analysis.drivers.moments_of_truth`, as saved); none without a driver model. A touchpoint whose
    ratings go with a lower outcome (direction -1) is never one: its metric's target would raise it."""
    if drivers is None or quadrants is None:
        return pd.DataFrame(columns=["attribute", "label", "owner"])
    fix = set(quadrants.loc[quadrants["quadrant"] == "fix_first", "attribute"])
    rising = drivers[drivers["direction"] >= 0] if "direction" in drivers else drivers
    return rising[(np.arange(len(rising)) < eng.targets.scorecard_drivers) | rising["attribute"].isin(fix).to_numpy()]


def people_metrics(eng: Engagement, readiness: pd.DataFrame, readiness_by_department: pd.DataFrame | None,
                   maturity: pd.DataFrame, maturity_by_department: pd.DataFrame | None,
                   reliability: pd.DataFrame | None = None) -> list[dict]:
    """Know / Care / Can and the chosen dimensions as people metrics, from the reality check's saved tables.

    A chosen dimension whose statements do not hang together (Cronbach's alpha under
    ``thresholds.reliability_alpha`` in ``reliability``) is no metric: the reality check says it cannot be read
    as one score.

    Baselines are the saved means with their intervals; targets the best department's mean (departments are
    already pooled for privacy and thin cells suppressed; the pool itself never sets a target), else the
    configured uplift (always, without departments); responses needed from the respondents' standard deviation
    (``sd``).
    """
    from .privacy import POOLED

    no_departments = pd.DataFrame(columns=["readiness", "dimension", "group", "mean"])
    readiness_by_department = no_departments if readiness_by_department is None else readiness_by_department
    maturity_by_department = no_departments if maturity_by_department is None else maturity_by_department
    scale = eng.scales[eng.diagnostic.scale]
    items = eng.diagnostic.items
    metrics = [(f"{r['label']} index", r, readiness_by_department[readiness_by_department["readiness"] == r["readiness"]],
                f"mean of each employee's mean agreement with the statements mapped to '{r['readiness']}' "
                f"(columns {', '.join(i.column for i in items if i.readiness == r['readiness'])})")
               for r in readiness.to_dict("records")]
    chosen = {r["dimension"]: r for r in maturity.to_dict("records")}
    metrics += [(eng.framework.dimensions[d].label, chosen[d],
                 maturity_by_department[maturity_by_department["dimension"] == d],
                 f"mean of each employee's mean agreement with the {eng.framework.dimensions[d].label.lower()} "
                 f"statements (columns {', '.join(i.column for i in items if i.dimension == d)})")
                for d in eng.targets.people_dimensions if d in chosen and unreliable(reliability, d, eng) is None]
    rows = []
    for name, row, by_department, definition in metrics:
        shown = by_department[(by_department["group"] != POOLED) & by_department["mean"].notna()]
        best, label = None, ""
        if len(shown):
            top = shown.loc[shown["mean"].idxmax()]
            best, label = float(top["mean"]), f"department {top['group']}"
        baseline = float(row["mean"])
        target, source, rule = _target(baseline, best, label, eng.targets.uplift_points / 10, float(scale.max),
                                       kind="department")
        aim = row.get("target")   # a dimension's maturity target (the reality check's): the grounded one is a step
        if aim is not None and pd.notna(aim) and float(aim) > target:
            rule += f"; a step toward the maturity target of {float(aim):.1f}"
        rows.append(dict(layer="people", metric=name, definition=f"{definition} ({scale.range_key}; diagnostic survey)",
                         unit="mean", baseline=baseline, ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                         n=int(row["n"]), target=target, target_source=source, target_rule=rule,
                         owner=eng.targets.people_owner,
                         needed=responses_needed_mean(float(row["sd"]), target - baseline),
                         cadence="per pulse survey", available=int(row["n"])))
    return rows


def _outcome_span(eng: Engagement) -> float:
    return eng.outcome_span


def _estimate_with_low(values: pd.Series, unit: str, level: float) -> tuple[float, float]:
    """A group's value and the lower end of its interval at ``level``: Wilson for shares, NPS's own, t for means."""
    if unit == "share":
        est = wilson_ci(float(values.sum()), len(values), level)
        return est.value, est.low
    if unit == "points":
        est = net_promoter_score(values, level)
        return est.nps, est.low
    est = mean_ci(values, level)
    return est.value, est.low


def _descriptor_groups(fb: pd.DataFrame, eng: Engagement) -> dict[str, np.ndarray]:
    """Each descriptor group of customers ("region North"), as a mask; numbers with many values in bands."""
    from .customers import descriptor_order, descriptor_values

    groups = {}
    for descriptor in eng.feedback.descriptors:
        values = descriptor_values(fb[descriptor])
        for value in descriptor_order(values):
            groups[f"{descriptor.replace('_', ' ')} {value}"] = (values == value).fillna(False).to_numpy()
    return groups


def _cadence(fb: pd.DataFrame, eng: Engagement, column: str | None = None) -> tuple[str, int]:
    """The reporting period the data shows (its waves) and the typical (median) number per period of responses, or
    of answers to ``column`` (a touchpoint many skip is tracked on fewer customers than answer the survey)."""
    answered = fb if column is None else fb[fb[column].notna()]
    wave = eng.feedback.wave
    if wave and wave in fb and fb[wave].notna().any():
        counts = answered[wave].value_counts().reindex(fb[wave].dropna().unique(), fill_value=0)
        return "per wave", int(counts.median())
    return "per survey", len(answered)


def wave_trend(fb: pd.DataFrame, eng: Engagement, chosen: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outcome and driver metrics per survey wave, each against the previous wave, with a control band.

    Returns
    -------
    DataFrame
        Long format, waves in sorted order: ``wave``, ``metric``, ``unit``, ``value``,
        ``ci_low``, ``ci_high``, ``n``, ``change`` (against the previous wave),
        ``change_p``, ``significant`` (p under ``thresholds.alpha``; never for the first wave),
        ``change_p_holm`` and ``real_change`` (the finding: :func:`_real_changes`),
        ``centre``, ``band_low``, ``band_high`` (the control band) and
        ``outside_band``. Empty when the feedback has no wave column or a single wave.

    Notes
    -----
    Metrics: share truly impressed, NPS, the mean outcome, the yes/no share
    where mapped, and the top-2-box of ``chosen``, the scorecard's drivers (:func:`scorecard_drivers`). Shares
    with Wilson intervals, NPS with the interval of
    :func:`cxkit.analysis.stats.net_promoter_score`, means with t intervals. Change
    tests: two-proportion z test with the pooled proportion; NPS and means by
    the z test of the difference with each wave's own standard error (Welch
    for means). Control band: the centre line is the value over all waves and
    the band +/- 3 standard errors at each wave's n (a p-chart for shares,
    Montgomery, *Introduction to Statistical Quality Control*, ch. 7; the same
    three-sigma rule for means and NPS). A change is flagged only when
    significant; a wave outside its band is flagged apart.
    """
    columns = ["wave", "metric", "unit", "value", "ci_low", "ci_high", "n", "change", "change_p", "significant",
               "change_p_holm", "real_change", "centre", "band_low", "band_high", "outside_band"]
    spec = eng.feedback
    if not spec.wave or spec.wave not in fb or fb[spec.wave].nunique() < 2:
        return pd.DataFrame(columns=columns)
    outcome = spec.main_outcome
    scale = eng.scales[spec.scale]
    series: list[tuple[str, str, pd.Series]] = []
    if outcome is not None:
        cut = eng.loyalty_bands[eng.scales[outcome.scale].range_key]["truly_impressed"]
        series.append(("Share truly impressed", "share",
                       (fb[outcome.column] >= cut).astype(float).where(fb[outcome.column].notna())))
    if eng.nps_column is not None:
        ratings = fb[eng.nps_column]
        series.append(("Net Promoter Score", "points",
                       (ratings >= 9).astype(float).sub((ratings <= 6).astype(float)).mul(100).where(ratings.notna())))
    if spec.outcomes.satisfaction is not None:
        series.append((f"Mean {spec.outcomes.satisfaction.label.lower()}", "mean", fb[spec.outcomes.satisfaction.column]))
    if spec.outcomes.yes_no is not None:
        series.append((f"{spec.outcomes.yes_no.label}: share yes", "share", fb[spec.outcomes.yes_no.column]))
    if chosen is not None:
        for driver in chosen.itertuples():
            rated = fb[driver.attribute]
            series.append((f"{driver.label}: {scale.top_boxes}", "share",
                           (rated >= scale.top2_min).astype(float).where(rated.notna())))
    waves = sorted(fb[spec.wave].dropna().unique())
    rows = []
    for metric, unit, values in series:
        rows += _one_trend(metric, unit, values, fb[spec.wave], waves, eng.thresholds.alpha)
    table = pd.DataFrame(rows, columns=[c for c in columns if c not in ("change_p_holm", "real_change")])
    return _real_changes(table, eng)[columns]


def metric_range(unit: str, eng: Engagement) -> float:
    """A metric's range in its unit: 1 for a share, 200 NPS points, the outcome scale's range for a mean."""
    if unit == "share":
        return 1.0
    if unit == "points":
        return 200.0
    scale = eng.scales[eng.feedback.main_outcome.scale]
    return float(scale.max - scale.min)


def _real_changes(table: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """``change_p_holm``: each wave's change tests Holm-adjusted across its metrics; ``real_change``: adjusted p under
    ``thresholds.alpha``, at least ``thresholds.min_respondents`` answers in the wave and the one before, and a change
    of at least ``thresholds.min_effect`` of the metric's range. The claims and the deck read these, so a table
    never calls real what the findings call noise."""
    table = table.copy()
    table["change_p_holm"] = np.nan
    for _, rows in table.groupby("wave", sort=False).groups.items():
        table.loc[rows, "change_p_holm"] = holm(table.loc[rows, "change_p"])
    earlier_n = table.groupby("metric", sort=False)["n"].shift(1)   # rows run wave by wave within each metric
    size = table["change"].abs() / table["unit"].map(lambda u: metric_range(u, eng))
    least = eng.thresholds.min_respondents
    table["real_change"] = ((table["change_p_holm"] < eng.thresholds.alpha) & (table["n"] >= least)
                            & (earlier_n >= least) & (size >= eng.thresholds.min_effect)).astype(bool)
    return table


def _estimate(unit: str, values: pd.Series):
    """Value, interval, n and standard error of one wave's metric."""
    x = values.dropna()
    n = len(x)
    if unit == "share":
        est = wilson_ci(float(x.sum()), n)
        return est.value, est.low, est.high, n, float(np.sqrt(est.value * (1 - est.value) / n)) if n else np.nan
    if unit == "points":  # NPS from the per-respondent +100 / 0 / -100 scores
        est = net_promoter_score(pd.Series(np.where(x > 0, 10, np.where(x < 0, 0, 8))))
        promoters, detractors = float((x > 0).mean()), float((x < 0).mean())
        se = 100 * np.sqrt((promoters + detractors - (promoters - detractors) ** 2) / n) if n else np.nan
        return est.nps, est.low, est.high, n, se
    est = mean_ci(x)
    return est.value, est.low, est.high, n, float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan


def _one_trend(metric: str, unit: str, values: pd.Series, wave: pd.Series, waves: list, alpha: float) -> list[list]:
    pooled = values.dropna()
    centre = float(pooled.mean())
    spread = float(pooled.std(ddof=1))   # per-respondent standard deviation over all waves
    if unit == "share":
        spread = float(np.sqrt(centre * (1 - centre)))
    rows, previous = [], None
    for w in waves:
        part = values[wave == w]
        value, low, high, n, se = _estimate(unit, part)
        change = change_p = np.nan
        if previous is not None and n and previous[3]:
            change = value - previous[0]
            if unit == "share":
                both = (previous[0] * previous[3] + value * n) / (previous[3] + n)
                z_se = np.sqrt(both * (1 - both) * (1 / previous[3] + 1 / n))
            else:
                z_se = np.sqrt(previous[4] ** 2 + se ** 2)
            change_p = float(2 * stats.norm.sf(abs(change) / z_se)) if z_se > 0 else np.nan
        band = 3 * spread / np.sqrt(n) if n else np.nan
        rows.append([w, metric, unit, value, low, high, n, change, change_p,
                     bool(change_p < alpha) if np.isfinite(change_p) else False,
                     centre, centre - band, centre + band, bool(value < centre - band or value > centre + band)])
        previous = (value, low, high, n, se)
    return rows


DRIVER_SEPARATOR = "; "   # between a department's drivers' labels: survey questions hold commas


def departmental_balance(drivers: pd.DataFrame) -> pd.DataFrame:
    """Which departments own the drivers that carry the importance, against how those drivers score.

    Parameters
    ----------
    drivers : DataFrame
        The key drivers table (``owner``, ``share``, ``top2``).

    Returns
    -------
    DataFrame
        One row per owning department (drivers without an owner as "No owner"),
        largest share first: ``owner``, ``drivers`` (their labels, joined by "; "), ``count``,
        ``importance`` (their summed share of the explained outcome),
        ``performance`` (their importance-weighted top-2-box share),
        ``vs_all`` (that minus the same over all drivers, in points of share),
        ``impact`` (importance x the top-2-box gap to 100%: the department's
        part of what is left to win, as a share of all that is left).

    Notes
    -----
    A balanced view of each department's impact on customers: a department
    can own little importance and score well, or own the moments that matter
    and score poorly. Weighting by importance follows the Shapley shares of
    :func:`cxkit.analysis.drivers.key_drivers`.
    """
    table = drivers.assign(owner=drivers["owner"].where(drivers["owner"].notna(), "No owner"))
    overall = float((table["share"] * table["top2"]).sum() / table["share"].sum())
    left = table["share"] * (1 - table["top2"])
    rows = []
    for owner, part in table.groupby("owner", sort=False):
        performance = float((part["share"] * part["top2"]).sum() / part["share"].sum())
        rows.append({"owner": owner, "drivers": DRIVER_SEPARATOR.join(part["label"]), "count": len(part),
                     "importance": float(part["share"].sum()), "performance": performance,
                     "vs_all": performance - overall, "impact": float(left[part.index].sum() / left.sum())})
    return pd.DataFrame(rows).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def metric_definitions(card: pd.DataFrame, eng: Engagement) -> dict:
    """The scorecard as plain data a client's BI team can load: each metric's definition, target and owner."""
    def number(value):
        return None if pd.isna(value) else round(float(value), 4)

    return {"client": eng.client, "engagement_id": eng.engagement_id, "metrics": [
        {"name": r.metric, "layer": r.layer, "definition": r.definition, "unit": r.unit, "baseline": number(r.baseline),
         "interval_95": [number(r.ci_low), number(r.ci_high)], "target": number(r.target), "target_rule": r.target_rule,
         "owner": None if r.owner_missing else r.owner, "cadence": r.cadence,
         "responses_needed_per_period": None if pd.isna(r.needed_per_period) else int(r.needed_per_period)} for r in card.itertuples()]}


def headlines(card: pd.DataFrame, trend: pd.DataFrame, by_segment: pd.DataFrame | None = None) -> MetricHeadlines:
    """The metric stage's headline figures."""
    return MetricHeadlines(
        metrics=len(card), without_owner=int(card["owner_missing"].sum()),
        cadence_unsupported=int((~card["cadence_supported"].astype(bool)).sum()),
        layers={str(k): int(v) for k, v in card["layer"].value_counts().items()},
        significant_changes=tuple(trend.loc[trend["real_change"].astype(bool), "metric"]) if len(trend) else (),
        segment_models=int(by_segment["segment"].nunique()) if by_segment is not None and len(by_segment) else 0)
