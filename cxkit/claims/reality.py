"""Claims of the reality check: maturity gaps, how far the organisation has come, what remains, the
perception gap, lagging departments, the weakest link of readiness and the driving force.

Each function takes the tables notebook 01 saved and returns claims
(:class:`cxkit.results.claim.Claim`). Materiality, the ranking key: a gap as a
share of the diagnostic scale's range (maturity, perception, departments,
readiness); the share of the way still to go (the index); the points by which
customers trail the leading force, over 100 (driving force).

The evidence bar: a comparison counts as supported when its test passes at
``thresholds.alpha`` (Holm-adjusted where several are made) or, for a mean
against a fixed value, when the value lies outside the mean's 95% interval;
and the difference is at least ``thresholds.min_effect`` of the scale's range
(0.2 points on 1-5); and, for a dimension, its statements hang together
(Cronbach's alpha at least ``thresholds.reliability_alpha``). Otherwise the
claim says the difference is within noise, too small to matter, or that the
dimension cannot be read as one score.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..analysis.reality import unreliable
from ..inputs.config import Engagement
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text


def _span(eng: Engagement) -> float:
    scale = eng.scales[eng.diagnostic.scale]
    return float(scale.max - scale.min)


def _bar(eng: Engagement) -> float:
    """The smallest difference that matters, in the diagnostic scale's points."""
    return eng.thresholds.min_effect * _span(eng)


def maturity_gap_claims(maturity: pd.DataFrame, eng: Engagement,
                        reliability: pd.DataFrame | None = None) -> list[Claim]:
    """One claim per dimension: its mean against its target. The largest supported gap leads.

    Supported when the target lies outside the mean's 95% t interval and the gap is at least the smallest
    difference that matters: above it, a real gap; below it, the target is met. A dimension whose statements
    do not hang together is not testable; otherwise a smaller or uncertain gap is within noise.
    """
    scale = eng.scales[eng.diagnostic.scale]
    bar = _bar(eng)
    rows = []
    for r in maturity.dropna(subset=["gap"]).to_dict("records"):
        dim = eng.framework.dimensions.get(r["dimension"])
        facts = dict(dimension=r["dimension"], label=r["label"], mean=r["mean"], target=r["target"], gap=r["gap"],
                     gap_share=max(r["gap"], 0.0) / _span(eng), favourable=r["favourable"],
                     level=None if pd.isna(r["level"]) else int(r["level"]), level_name=r["level_name"],
                     scale_max=scale.max, move=(dim.move if dim and dim.move else f"Close the gap on {in_text(r['label'])}"))
        interval = f"95% interval {r['ci_low']:.2f}-{r['ci_high']:.2f}"
        broken = unreliable(reliability, r["dimension"], eng)
        if broken:
            verdict, reason, text = NOT_TESTABLE, broken, "{label} cannot be read as one score: its statements do not " \
                                                          "hang together"
        elif r["ci_high"] < r["target"] and r["gap"] >= bar:
            verdict, reason, text = SUPPORTED, f"the target lies above the mean's {interval}", \
                "{label}: {mean:.1f} of {scale_max} against a target of {target:.1f} (gap {gap:.1f})"
        elif r["ci_low"] > r["target"] and -r["gap"] >= bar:
            verdict, reason, text = SUPPORTED, f"the mean's {interval} lies above the target", \
                "{label} already meets its target: {mean:.1f} of {scale_max} against {target:.1f}"
        else:
            small = r["ci_high"] < r["target"] or r["ci_low"] > r["target"]
            verdict = WITHIN_NOISE
            reason = (f"the gap ({abs(r['gap']):.2f}) is under the smallest that matters ({bar:.2f} points)" if small
                      else f"the target lies inside the mean's {interval}")
            text = "{label} is at its target within noise: {mean:.1f} of {scale_max} against {target:.1f}"
        rows.append((r, facts, verdict, reason, text))
    out = []
    lead = next((i for i, (r, _, v, _, _) in enumerate(rows) if v == SUPPORTED and r["gap"] > 0), 0 if rows else None)
    for i, (r, facts, verdict, reason, text) in enumerate(rows):
        if i == lead and verdict == SUPPORTED:
            text = ("{label} is furthest from target: {mean:.1f} of {scale_max} against {target:.1f} (gap {gap:.1f}, "
                    "maturity level {level}, {level_name|lower}); " + ("only " if r["favourable"] < 0.5 else "")
                    + "{favourable:.0%} of answers are favourable")
        real_gap = verdict == SUPPORTED and r["gap"] > 0
        out.append(Claim("maturity_gap", r["dimension"], text, facts, verdict, reason,
                         r["gap"] / _span(eng) if real_gap else 0.0, comparison="mean against target",
                         direction="below" if r["gap"] > 0 else "above", effect=float(r["gap"]),
                         effect_unit="scale points", ci=(r["target"] - r["ci_high"], r["target"] - r["ci_low"]),
                         test="95% t interval of the mean", n=r["n"], lead=i == lead))
    return out


def maturity_index_claim(index: pd.DataFrame, maturity: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """The overall level, and the dimensions furthest along and furthest behind on the way to target."""
    ranked = maturity.dropna(subset=["accomplished"]).sort_values("accomplished", kind="stable")
    if not len(index) or not len(ranked):
        return []
    row, ahead, behind = index.iloc[0], ranked.iloc[-1], ranked.iloc[0]
    scale = eng.scales[eng.diagnostic.scale]
    facts = dict(level=None if pd.isna(row["level"]) else int(row["level"]), level_name=row["level_name"],
                 mean=row["mean"], scale_max=scale.max, ahead_label=ahead["label"],
                 ahead_accomplished=ahead["accomplished"], behind_label=behind["label"],
                 behind_accomplished=behind["accomplished"])
    text = "Overall maturity is level {level} ({level_name|lower}), an index of {mean:.1f} of {scale_max}"

    def way(r, bound: str) -> float:   # a bound of a dimension's mean as a share of its way to target
        return float(np.clip((r[bound] - scale.min) / (r["target"] - scale.min), 0, 1))

    if len(ranked) > 1 and way(ahead, "ci_low") > way(behind, "ci_high"):
        text += ("; the organisation has come {ahead_accomplished:.0%} of the way to target on {ahead_label|lower} "
                 "but {behind_accomplished:.0%} on {behind_label|lower}")
    elif len(ranked) > 1:   # the contrast is only drawn where the two intervals are apart
        text += ("; no dimension is clearly further along than another ({behind_accomplished:.0%} to "
                 "{ahead_accomplished:.0%} of the way to target)")
    return [Claim("maturity_index", "all", text, facts, SUPPORTED,
                  f"a mean of {int(row['n'])} respondents' scores, 95% interval {row['ci_low']:.2f}-{row['ci_high']:.2f}",
                  float(ranked["remaining"].mean()), comparison="mean against the maturity levels",
                  effect=float(row["mean"]), effect_unit="scale points", ci=(row["ci_low"], row["ci_high"]),
                  test="95% t interval of the mean", n=row["n"], lead=True)]


def what_remains_claim(items: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """How many statements are below target beyond chance (the table's one-sided t test, Holm-adjusted across the
    statements, by at least the smallest gap that matters), and the dimension of the furthest."""
    ranked = items.dropna(subset=["gap"])
    if not len(ranked):
        return []
    # 1 of 22 statements under the 5% level is what chance alone gives: the adjusted test decides
    below = ranked[(ranked["p_below_holm"] < eng.thresholds.alpha) & (ranked["gap"] >= _bar(eng))]
    top = ranked.iloc[0]
    dims = eng.framework.dimensions
    facts = dict(below=len(below), statements=len(ranked), item=top["item"],
                 dimension_label=dims[top["dimension"]].label if top["dimension"] in dims else top["dimension"],
                 mean=top["mean"], target=top["target"], gap=top["gap"])
    test = "one-sided t test of each mean against its target, Holm-adjusted across the statements"
    rule = (f"below target by a one-sided t test, Holm-adjusted across the {len(ranked)} statements (at "
            f"{eng.thresholds.alpha:g}), by {_bar(eng):.2f} points or more")
    if len(below):
        return [Claim("what_remains", "all", "{below} of {statements} statements " + ("is" if len(below) == 1 else "are")
                      + " below target; the furthest is on {dimension_label|lower} ({mean:.1f} against "
                      "{target:.1f})", facts, SUPPORTED, f"statements {rule}", top["gap"] / _span(eng),
                      comparison="statement means against targets", direction="below", effect=float(top["gap"]),
                      effect_unit="scale points", test=test, n=top["n"], lead=True)]
    return [Claim("what_remains", "all", "No statement is clearly below target: the furthest, on "
                  "{dimension_label|lower}, is {mean:.1f} against {target:.1f}, within noise", facts, WITHIN_NOISE,
                  f"no statement {rule}", 0.0,
                  comparison="statement means against targets", effect=float(top["gap"]), effect_unit="scale points",
                  test=test, n=top["n"], lead=True)]


def perception_gap_claims(gaps: pd.DataFrame | None, eng: Engagement,
                          reliability: pd.DataFrame | None = None) -> list[Claim]:
    """One claim per dimension, executives against frontline, worded by the direction found.

    The lead is the largest real difference, in either direction; with none, a claim that the two levels
    agree within noise; without both levels shown (pooled for privacy), a claim that they cannot be compared.
    """
    alpha = eng.thresholds.alpha
    test = "Mann-Whitney U, Holm-adjusted across dimensions"
    empty = dict(dimension="all", label="", executive=None, frontline=None, gap=None, size=None, gap_share=None,
                 higher="", lower="", p_holm=None, rank_biserial=None, flagged=False,
                 dimensions=0 if gaps is None else len(gaps))
    if gaps is None:
        return [Claim("perception_gap", "all", "Executives and frontline cannot be compared: the diagnostic maps no "
                      "level column", empty, NOT_TESTABLE, "no level column (diagnostic.level)", 0.0,
                      comparison="executives against frontline", test=test, lead=True)]
    if not len(gaps):
        minimum = eng.thresholds.min_group_size
        return [Claim("perception_gap", "all", "Executives and frontline cannot be compared: one of the two levels "
                      f"has fewer than {minimum} respondents, so it is pooled for privacy", empty, NOT_TESTABLE,
                      f"executives or frontline under the minimum group size ({minimum})", 0.0,
                      comparison="executives against frontline", test=test, lead=True)]
    out = []
    for r in gaps.itertuples():
        if pd.isna(r.gap):
            continue   # a dimension nobody answered: nothing to compare
        higher, lower = ("executives", "the frontline") if r.gap > 0 else ("the frontline", "executives")
        facts = dict(dimension=r.dimension, label=r.label, executive=r.executive, frontline=r.frontline, gap=r.gap,
                     size=abs(r.gap), gap_share=abs(r.gap) / _span(eng), higher=higher, lower=lower, p_holm=r.p_holm,
                     rank_biserial=r.rank_biserial, flagged=bool(r.flagged), dimensions=len(gaps))
        significant = pd.notna(r.p_holm) and r.p_holm < alpha
        real = significant and abs(r.gap) >= _bar(eng)
        broken = unreliable(reliability, r.dimension, eng)
        if broken:
            out.append(Claim("perception_gap", r.dimension, "Executives and frontline cannot be compared on "
                             "{label|lower}: its statements do not hang together", facts, NOT_TESTABLE, broken, 0.0,
                             comparison="executives against frontline", test=test))
            continue
        if real and r.gap > 0:
            text = ("Frontline rate {label|lower} {size:.1f} points below executives ({frontline:.1f} vs "
                    "{executive:.1f}; a real difference, every dimension tested): leaders see a rosier picture")
        elif real:
            text = ("Executives rate {label|lower} {size:.1f} points below the frontline ({executive:.1f} vs "
                    "{frontline:.1f}; a real difference, every dimension tested): leaders see a harsher picture")
        elif significant:
            text = ("Executives and frontline rate {label|lower} about the same ({executive:.1f} vs {frontline:.1f}): "
                    "the difference is too small to matter")
        else:
            text = ("Executives and frontline rate {label|lower} alike within noise ({executive:.1f} vs "
                    "{frontline:.1f})")   # the adjusted p is in the evidence
        reason = (f"Holm-adjusted p < {alpha:g} and a gap of {abs(r.gap):.2f} points" if real else
                  f"the gap ({abs(r.gap):.2f}) is under the smallest that matters ({_bar(eng):.2f} points)" if significant
                  else f"Holm-adjusted p >= {alpha:g}")
        out.append(Claim("perception_gap", r.dimension, text, facts, SUPPORTED if real else WITHIN_NOISE, reason,
                         abs(r.gap) / _span(eng) if real else 0.0, comparison="executives against frontline",
                         direction=f"{higher} higher", effect=float(r.gap), effect_unit="scale points", test=test,
                         p=float(r.p_holm), n=r.n_executive + r.n_frontline))
    real = [c for c in out if c.supported]
    if real:
        lead = max(real, key=lambda c: c.materiality)
        out = [replace(c, lead=True) if c is lead else c for c in out]
    else:
        out.append(Claim("perception_gap", "all", "Executives and frontline rate all {dimensions} dimensions alike: "
                         "no difference is both real and large enough to matter", empty, WITHIN_NOISE,
                         f"no Holm-adjusted p under {alpha:g} with a gap of {_bar(eng):.2f} points or more", 0.0,
                         comparison="executives against frontline", test=test, lead=True))
    return out


def lagging_department_claims(lagging: pd.DataFrame, by_department: pd.DataFrame, variance: pd.DataFrame,
                              eng: Engagement, reliability: pd.DataFrame | None = None) -> list[Claim]:
    """One claim per department and dimension where the department sits the lagging margin below everyone.

    Supported when the organisation's mean lies above the department's 95% interval. The lead names the
    department with the largest real shortfall and on how many dimensions it lags.
    """
    if by_department is None or not len(by_department):
        return []
    margin = eng.thresholds.lagging_margin
    top_variance = variance.sort_values("icc1", ascending=False).iloc[0] if variance is not None and len(variance) \
        else None
    dimensions = len(eng.framework.dimensions)
    out = []
    for r in lagging.itertuples():
        if unreliable(reliability, r.dimension, eng):
            continue   # a dimension that is not one score has no departments lagging on it
        overall = r.mean - r.diff_from_all
        real = pd.notna(r.ci_high) and r.ci_high < overall and abs(r.diff_from_all) >= _bar(eng)
        facts = dict(group=r.group, label=r.label, diff_from_all=r.diff_from_all,
                     gap_share=abs(r.diff_from_all) / _span(eng), mean=r.mean, lagging=None, dimensions=dimensions,
                     variance_share=None, variance_label=None, margin=margin)
        out.append(Claim("lagging_department", f"{r.group}:{r.dimension}",
                         "{group} scores {diff_from_all:+.1f} points against the organisation on {label|lower}"
                         + ("" if real else ", within noise"), facts, SUPPORTED if real else WITHIN_NOISE,
                         f"the organisation's mean ({overall:.2f}) lies {'above' if real else 'inside'} the "
                         f"department's 95% interval ({r.ci_low:.2f}-{r.ci_high:.2f})",
                         abs(r.diff_from_all) / _span(eng) if real else 0.0,
                         comparison="department against the organisation", direction="below",
                         effect=float(r.diff_from_all), effect_unit="scale points", test="95% t interval of the mean",
                         n=None if pd.isna(r.n) else int(r.n)))
    real = [c for c in out if c.supported]
    if real:
        worst = max(real, key=lambda c: c.materiality)
        group = worst.facts["group"]
        facts = {**worst.facts, "lagging": sum(c.facts["group"] == group for c in real)}
        text = "{group} lags the organisation on {lagging} of {dimensions} dimensions, most on {label|lower} " \
               "({diff_from_all:+.1f} points)"
        if top_variance is not None:
            facts.update(variance_share=max(float(top_variance["icc1"]), 0.0), variance_label=top_variance["label"])
            text += "; departments account for {variance_share:.0%} of the variance in {variance_label|lower}"
        out = [replace(c, facts=facts, template=text, lead=True) if c is worst else c for c in out]
        return out
    facts = dict(group="", label="", diff_from_all=None, gap_share=None, mean=None, lagging=0, dimensions=dimensions,
                 variance_share=None, variance_label=None, margin=margin)
    if out:
        text = "No department lags the organisation beyond noise"
        reason = f"{len(out)} department-dimension means sit {margin:g}+ points below, each within its 95% interval"
    else:
        text = "No department lags the organisation by {margin} points or more"
        reason = f"every department is within {margin:g} points of the organisation on every dimension"
    verdict = WITHIN_NOISE   # no silo finding: said plainly, and nothing follows from it
    return out + [Claim("lagging_department", "none", text, facts, verdict, reason, 0.0,
                        comparison="departments against the organisation", lead=True)]


def weakest_link_claim(readiness: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """The weakest of Know, Care and Can: supported when its 95% interval lies below the next one's."""
    if readiness is None or len(readiness) < 2:
        return []
    ranked = readiness.sort_values("mean", kind="stable").reset_index(drop=True)
    weakest, runner_up = ranked.iloc[0], ranked.iloc[1]
    others = readiness[readiness["readiness"] != weakest["readiness"]]   # in the framework's order
    facts = dict(label=weakest["label"], mean=weakest["mean"],
                 others=" and ".join(f"{r.mean:.1f} for '{r.label}'" for r in others.itertuples()),
                 gap=others["mean"].max() - weakest["mean"])
    real = weakest["ci_high"] < runner_up["ci_low"] and facts["gap"] >= _bar(eng)
    text = ("'{label}' is the weakest link of readiness: {mean:.1f} against {others}" if real else
            "No clear weakest link of readiness: '{label}' at {mean:.1f} is within noise of {others}")
    return [Claim("weakest_link", str(weakest["readiness"]), text, facts, SUPPORTED if real else WITHIN_NOISE,
                  f"its 95% interval ({weakest['ci_low']:.2f}-{weakest['ci_high']:.2f}) "
                  f"{'lies below' if real else 'overlaps'} the next index's "
                  f"({runner_up['ci_low']:.2f}-{runner_up['ci_high']:.2f})",
                  facts["gap"] / _span(eng) if real else 0.0, comparison="readiness indices", direction="lowest",
                  effect=float(facts["gap"]), effect_unit="scale points", test="95% t intervals (non-overlap)",
                  n=weakest["n"], lead=True)]


def driving_force_claim(forces: pd.DataFrame) -> list[Claim]:
    """Where customers rank among what drives the business, worded by the rank found; executives against frontline."""
    if forces is None or not len(forces) or "customer" not in set(forces["force"]):
        return []
    everyone = forces[forces["group"] == "all"].set_index("force")
    lead = everyone["mean"].idxmax()

    def points(group):
        row = forces[(forces["group"] == group) & (forces["force"] == "customer")]
        return None if not len(row) or bool(row["suppressed"].iloc[0]) else float(row["mean"].iloc[0])

    facts = dict(customer_points=everyone.loc["customer", "mean"], lead_label=everyone.loc[lead, "label"],
                 lead_points=everyone.loc[lead, "mean"], executive_points=points("executive"),
                 frontline_points=points("frontline"))
    if lead == "customer":
        text = "Customers get the most points as what drives the business: {customer_points:.0f} of 100"
    else:
        text = ("Customers get {customer_points:.0f} of 100 points as what drives the business, against "
                "{lead_points:.0f} for {lead_label|lower}")
    if facts["executive_points"] is not None and facts["frontline_points"] is not None:
        text += "; executives give customers {executive_points:.0f}, the frontline {frontline_points:.0f}"
    n = int(everyone.loc["customer", "n"])
    return [Claim("driving_force", "customer", text, facts, SUPPORTED,
                  f"mean points of {n} respondents' 100-point splits", (everyone["mean"].max() - facts[
                      "customer_points"]) / 100, comparison="customers against the leading force",
                  effect=float(facts["customer_points"] - facts["lead_points"]), effect_unit="points of 100",
                  n=n, lead=True)]


def reality_claims(eng: Engagement, maturity: pd.DataFrame, index: pd.DataFrame, items: pd.DataFrame,
                   gaps: pd.DataFrame, lagging: pd.DataFrame, by_department: pd.DataFrame, variance: pd.DataFrame,
                   readiness: pd.DataFrame, forces: pd.DataFrame, reliability: pd.DataFrame | None = None) -> list[Claim]:
    """Every claim of the reality check, from the tables notebook 01 saved."""
    return (maturity_gap_claims(maturity, eng, reliability) + maturity_index_claim(index, maturity, eng)
            + what_remains_claim(items, eng) + perception_gap_claims(gaps, eng, reliability)
            + lagging_department_claims(lagging, by_department, variance, eng, reliability)
            + weakest_link_claim(readiness, eng) + driving_force_claim(forces))
