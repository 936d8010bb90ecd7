"""Claims of the metric stage: segment drivers, the departmental balance, wave changes, and the scorecard's
ownership and measurement gaps.

Materiality: the largest share of explained variance among touchpoints whose
drivers differ by segment; a department's part of what is left to win; a real
change as a share of its metric's range; half the share of metrics without an
owner, or that the response volume cannot track (half: they are about how the
client measures, not about its customers).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..analysis.metrics import DRIVER_SEPARATOR, metric_range
from ..inputs.config import Engagement
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text, join, number


def _value(value: float, unit: str) -> str:
    return f"{value:.0%}" if unit == "share" else f"{value:+.0f}" if unit == "points" else f"{value:.2f}"


def segment_drivers_claim(segments: pd.DataFrame, eng: Engagement, segments_real: bool = True) -> list[Claim]:
    """Whether what drives the outcome differs by segment: the overall test of all slopes, then each touchpoint
    (Holm-adjusted), at ``drivers.alpha``; a touchpoint differs only when the overall test passes too. Segments
    that are not real, or differ only in how generously customers rate, are not compared: they were made from
    the same ratings."""
    if segments is None or not len(segments):
        return []
    alpha = eng.drivers.alpha
    first = segments.iloc[0]
    left_out = str(first["left_out"]) if isinstance(first.get("left_out"), str) else ""
    differ = segments[segments["differs"].astype(bool)].sort_values("differs_p", kind="stable") \
        .drop_duplicates("attribute")
    facts = dict(differ=join(differ["label"].map(in_text)), overall_p=first["overall_p"], alpha=alpha,
                 left_out=left_out or None)
    common = dict(comparison="driver slopes across segments", test=str(first["test"]) + ", Holm-adjusted per touchpoint",
                  p=first["overall_p"], n=segments.drop_duplicates("segment")["n"].sum(), lead=True)
    note = " ({left_out} left out)" if left_out else ""
    if not segments_real:
        return [Claim("segment_drivers", "all", "Drivers are not compared by segment: the segments do not differ "
                      "in what customers value", facts, NOT_TESTABLE, "segments made from the same ratings, without "
                      "real structure in shape, would only restate it", 0.0, **common)]
    if segments["segment"].nunique() < 2:
        return [Claim("segment_drivers", "all", "Drivers cannot be compared by segment: fewer than two segments are "
                      "large enough for a model of their own" + note, facts, NOT_TESTABLE,
                      "a model needs ten customers per touchpoint", 0.0, **common)]
    if len(differ):
        return [Claim("segment_drivers", "all", "Drivers differ by segment for {differ}" + note, facts, SUPPORTED,
                      f"the overall test and each named touchpoint's (Holm-adjusted) pass at {alpha:g}",
                      float(segments.loc[segments["differs"].astype(bool), "share"].max()), **common)]
    if pd.isna(first["overall_p"]):
        return [Claim("segment_drivers", "all", "Drivers cannot be compared by segment: the model with a slope per "
                      "segment cannot be estimated" + note, facts, NOT_TESTABLE, str(first["test"]), 0.0, **common)]
    if first["overall_p"] < alpha:
        return [Claim("segment_drivers", "all", "Segments are driven differently overall, but no single "
                      "touchpoint clearly differs once every touchpoint is tested" + note, facts, WITHIN_NOISE,
                      "no touchpoint's Holm-adjusted p under the level", 0.0, **common)]
    return [Claim("segment_drivers", "all", "What drives the outcome is much the same in every segment: no touchpoint "
                  "clearly differs" + note, facts, WITHIN_NOISE,
                  f"the overall test does not pass at {alpha:g}", 0.0, **common)]


def balance_claims(balance: pd.DataFrame, model: Claim | None = None, boxes: str = "top-2-box") -> list[Claim]:
    """Each department's part of what drives the outcome and of what is left to win; the largest owned one leads.

    Touchpoints with no owning department are a claim of their own, not testable as a department's: it says
    which touchpoints need an owner and never leads when a real department can.
    """
    if balance is None or not len(balance):
        return []
    supported = model is None or model.supported   # no model given: the shares are taken as they stand
    out = []
    for r in balance.itertuples():
        facts = dict(owner=r.owner, drivers=join(in_text(s) for s in r.drivers.split(DRIVER_SEPARATOR)),
                     importance=r.importance, performance=r.performance, vs_all=r.vs_all, points=abs(r.vs_all) * 100,
                     side="below" if r.vs_all < 0 else "above", impact=r.impact)
        common = dict(comparison="a department's touchpoints against all", direction=facts["side"],
                      effect=float(r.vs_all), effect_unit="share points")
        points = "point" if number(facts["points"], ".0f") == "1" else "points"
        if r.owner == "No owner":
            out.append(Claim("departmental_balance", "none", ("No department owns {drivers} ({importance:.0%} of what "
                             "drives the outcome): name owners to share it out") if supported else
                             "No department owns {drivers}: name owners", facts, NOT_TESTABLE,
                             "no owner is mapped for these touchpoints (feedback.attributes[].owner)", 0.0, **common))
            continue
        if not supported:   # the shares come from a model that cannot carry them: the text quotes none
            out.append(Claim("departmental_balance", str(r.owner), "{owner} owns {drivers}, but its share of what "
                             "drives the outcome cannot be read from this driver model", facts,
                             model.verdict if model else NOT_TESTABLE,
                             f"the driver model cannot share importance out: {model.reason}" if model else
                             "no driver model", 0.0, **common))
            continue
        out.append(Claim("departmental_balance", str(r.owner),
                         "{owner} owns {importance:.0%} of what drives the outcome ({drivers}); its touchpoints score "
                         "{points:.0f} " + points + " {side} the average ({performance:.0%} " + boxes + "), "
                         "{impact:.0%} of what is left to win", facts, SUPPORTED,
                         "sums of the key driver shares by owning department", float(r.impact), **common))
    owned = [c for c in out if c.subject != "none"]
    lead = owned[0] if owned else out[0]   # the table is sorted by importance: the first owned department leads
    return [replace(c, lead=True) if c is lead else c for c in out]


def wave_claims(trend: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What moved between the last two waves by a real change at least ``thresholds.min_effect`` of the metric's
    range. Materiality: the change as a share of the metric's range."""
    if trend is None or not len(trend):
        return []
    trend = trend.assign(wave=trend["wave"].astype(str))
    waves = sorted(trend["wave"].unique())
    previous, last = waves[-2], waves[-1]
    latest = trend[trend["wave"] == last]
    # the analysis's own verdict (Holm-adjusted across the metrics, enough answers in both waves, a change that
    # matters): the same one the deck's table of every metric shows
    real = latest["real_change"].astype(bool)
    size = latest["change"].abs() / latest["unit"].map(lambda u: metric_range(u, eng))
    moved = latest[real].assign(size=size[real], adjusted=latest["change_p_holm"][real])
    out = []
    if len(moved):
        top = moved.sort_values("size", ascending=False, kind="stable").iloc[0]
        before = trend[(trend["wave"] == previous) & (trend["metric"] == top["metric"])].iloc[0]
        facts = dict(metric=top["metric"].split(":")[0], before=_value(before["value"], top["unit"]),
                     after=_value(top["value"], top["unit"]), previous=previous, last=last,
                     p="p < 0.001" if top["adjusted"] < 0.001 else f"p = {top['adjusted']:.3f}",
                     moved="rose" if top["change"] > 0 else "fell", others=len(latest) - len(moved),
                     total=len(latest))
        out.append(Claim("wave_change", "latest", "{metric} {moved} from {before} in {previous} to {after} in {last} "
                         "(a real change, every metric tested); {others} of {total} metrics did not move beyond noise",
                         facts,
                         SUPPORTED,
                         "two-sided test of the change against the previous wave, Holm-adjusted across the metrics, "
                         f"on at least {eng.thresholds.min_respondents} answers a wave, and a change of at least "
                         f"{eng.thresholds.min_effect:.0%} of the metric's range", float(top["size"]),
                         comparison=f"{last} against {previous}", direction=facts["moved"], effect=float(top["change"]),
                         effect_unit=str(top["unit"]), test="two-proportion z or difference z test, Holm-adjusted",
                         p=float(top["adjusted"]), n=top["n"] + before["n"], lead=True))
    else:
        facts = dict(metric=None, before=None, after=None, previous=previous, last=last, p=None, moved=None,
                     others=len(latest), total=len(latest))
        out.append(Claim("wave_change", "latest", "No scorecard metric moved beyond noise between {previous} and {last}",
                         facts, WITHIN_NOISE, "no change on enough answers both passes its test (Holm-adjusted) "
                         f"and reaches {eng.thresholds.min_effect:.0%} of the metric's range", 0.0,
                         comparison=f"{last} against {previous}", test="two-proportion z or difference z test",
                         lead=True))
    return out


def scorecard_claims(card: pd.DataFrame) -> list[Claim]:
    """Whether every metric has an owner, whether the volume can track each one, and who owns the top driver."""
    if card is None or not len(card):
        return []
    owner_missing = card["owner_missing"].astype(bool)
    unowned = card[owner_missing]
    facts = dict(unowned=len(unowned), metrics=len(card), unowned_share=len(unowned) / len(card),
                 unowned_names=join(unowned["metric"]))   # at most four named: long labels stay readable
    if len(card) == 1:
        text = ("The one scorecard metric has no owning department ({unowned_names})" if len(unowned)
                else "The one scorecard metric has an owning department")
    elif len(unowned):
        text = ("{unowned} of {metrics} scorecard metrics " + ("has" if len(unowned) == 1 else "have")
                + " no owning department ({unowned_names})")
    else:
        text = "Every one of the {metrics} scorecard metrics has an owning department"
    out = [Claim("unowned_metrics", "all", text, facts, SUPPORTED, "owners as mapped in the engagement",
                 facts["unowned_share"] / 2, comparison="metrics with and without an owner", n=len(card), lead=True)]
    short = card[~card["cadence_supported"].astype(bool)]
    worst = short.sort_values("needed_per_period", ascending=False, kind="stable").iloc[0] if len(short) else None
    facts = dict(short=len(short), metrics=len(card), short_share=len(short) / len(card),
                 short_names=", ".join(short["metric"]), cadence=str(card["cadence"].iloc[0]),
                 metric=None if worst is None else in_text(worst["metric"]),
                 needed=None if worst is None else int(worst["needed_per_period"]),
                 available=None if worst is None else int(worst["available_per_period"]))
    # answers, not responses: a metric is tracked on those who answer its own question
    text = ("Tracking {metric} {cadence} needs {needed:,} answers to see the target change; about {available:,} "
            "come in" if worst is not None else
            "The answers that come in can show every metric's target change {cadence}")
    out.append(Claim("cadence", "all", text, facts, SUPPORTED,
                     "answers needed for 80% power at 5% against those to the metric's own question per period",
                     facts["short_share"] / 2, comparison="responses needed against available", n=len(card), lead=True))
    owned = card[~owner_missing & (card["layer"] == "driver")]
    if len(owned):
        first = owned.iloc[0]
        facts = dict(owner=first["owner"], metric=in_text(first["metric"].split(":")[0]),
                     baseline=_value(first["baseline"], first["unit"]), target=_value(first["target"], first["unit"]))
        out.append(Claim("top_driver_metric", "all", "{owner} owns the top driver metric, {metric}: {baseline} today, "
                         "target {target}", facts, SUPPORTED, str(first["target_rule"]), 0.0,
                         comparison="baseline against target", n=first["n"], lead=True))
    return out


def metric_claims(eng: Engagement, card: pd.DataFrame, trend: pd.DataFrame, balance: pd.DataFrame,
                  segments: pd.DataFrame | None, model: Claim | None = None,
                  segments_real: bool = True) -> list[Claim]:
    """Every claim of the metric stage, from the tables notebook 04 saved; ``model`` (the key drivers' lead claim,
    whose verdict and reason the departments' shares of importance take) and ``segments_real`` say whether the
    driver model and the segments stood (:func:`cxkit.claims.customers.real_segments`)."""
    return (segment_drivers_claim(segments, eng, segments_real)
            + balance_claims(balance, model, eng.scales[eng.feedback.scale].top_boxes)
            + wave_claims(trend, eng)
            + scorecard_claims(card))
