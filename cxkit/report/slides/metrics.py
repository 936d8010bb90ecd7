"""Slides about metrics: the scorecard, the departmental balance, and the metrics across survey waves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...results.catalogue import LAYER, METRIC_TARGET
from ..deck import DeckContext, slide_builder
from ..kit import interval, p_text, pct, value_text


@slide_builder("section_metrics")
def section_metrics(ctx: DeckContext):
    ctx.section("Metrics: what to track and who owns it", "metrics")


def _scorecard_claim(ctx: DeckContext) -> str:
    """The scorecard's title claim: its ownership gap, else its measurement gap, else that every metric is owned."""
    unowned, cadence = ctx.claim("unowned_metrics"), ctx.claim("cadence")
    if unowned is not None and unowned.facts["unowned"]:
        return "unowned_metrics"
    if cadence is not None and cadence.facts["short"]:
        return "cadence"
    return "unowned_metrics"


def _needed(value) -> str:
    # no change to detect where the baseline is already at the top of its scale
    return "none: at the top" if pd.isna(value) else f"{int(value):,}"


@slide_builder("scorecard", claim="unowned_metrics")
def scorecard_slide(ctx: DeckContext):
    card = ctx.available("scorecard")
    if card is None:
        return
    rows = [[LAYER.label(r.layer), r.metric,
             f"{value_text(r.baseline, r.unit)} ({value_text(r.ci_low, r.unit)} to {value_text(r.ci_high, r.unit)})",
             value_text(r.target, r.unit), METRIC_TARGET.label(r.target_source), r.owner,
             _needed(r.needed_per_period) + ("" if r.cadence_supported else " (short)")] for r in card.itertuples()]
    fills = [[None] * 5 + [ctx.palette.bad if r.owner_missing else None,
                           None if r.cadence_supported else ctx.palette.caution] for r in card.itertuples()]
    kind = _scorecard_claim(ctx)
    ctx.canvas.paged_table(
        ctx.title(kind),
        f"Baseline with 95% interval, grounded target, owner, and responses needed {card['cadence'].iloc[0]} to see "
        "the target change (80% power, 5% level)",
        ctx.notes(kind, *[f"{r.metric}: {r.definition}. Target rule: {r.target_rule}. n {r.n}; needs "
                          f"{_needed(r.needed_per_period)} {r.cadence}, about {r.available_per_period} available."
                          for r in card.itertuples()], tables=("scorecard",)),
        ["Layer", "Metric", "Baseline (95% CI)", "Target", "Target from", "Owner", "Responses needed"],
        rows, [0.9, 3.3, 2.1, 0.8, 1.3, 1.9, 1.5], fills)


@slide_builder("departmental_balance", claim="departmental_balance")
def departmental_balance_slide(ctx: DeckContext):
    balance = ctx.available("departmental_balance")
    if balance is None:
        return
    if not ctx.stands("departmental_balance"):
        return
    rows = [[r.owner, r.drivers, pct(r.importance), pct(r.performance), f"{r.vs_all * 100:+.0f} pts", pct(r.impact)]
            for r in balance.itertuples()]
    fills = [[None] * 4 + [ctx.palette.bad if r.vs_all < 0 else None, None] for r in balance.itertuples()]
    ctx.canvas.paged_table(
        ctx.title("departmental_balance"),
        "Share of the explained outcome each department's touchpoints carry, how they score (importance-weighted "
        "top-2-box) against the average (shaded: below it), and their part of what is left to win",
        ctx.notes("departmental_balance", "Method: key driver shares summed by owning department "
                  "(feedback.attributes[].owner); performance weighted by those shares; what is left to win = share x "
                  "(1 - top-2-box), as a part of the total.", tables=("departmental_balance",)),
        ["Department", "Touchpoints", "Importance", "Top-2-box", "Vs average", "Left to win"], rows,
        [1.8, 4.2, 1.2, 1.2, 1.2, 1.2], fills)


def _waves(ctx: DeckContext):
    trend = ctx.available("wave_trend")
    if trend is None:
        return None, []
    trend = trend.assign(wave=trend["wave"].astype(str))
    return trend, sorted(trend["wave"].unique())


@slide_builder("wave_changes")
def wave_changes_slide(ctx: DeckContext):
    trend, waves = _waves(ctx)
    if trend is None:
        return
    previous, last = waves[-2], waves[-1]
    rows, fills = [], []
    for metric, part in trend.groupby("metric", sort=False):
        before, now = part[part["wave"] == previous].iloc[0], part[part["wave"] == last].iloc[0]
        change = now["change"] * (100 if now["unit"] == "share" else 1)
        verdict = "Real change" if now["real_change"] else "Within noise"   # the findings' own verdict
        if now["outside_band"]:
            verdict += "; outside control band"
        rows.append([metric, value_text(before["value"], now["unit"]), value_text(now["value"], now["unit"]),
                     f"{change:+.1f}" + (" pts" if now["unit"] == "share" else ""), p_text(now["change_p_holm"]),
                     verdict])
        fills.append([None] * 5 + [ctx.palette.secondary if now["real_change"] else None])
    ctx.canvas.paged_table(
        f"Every metric, {last} against {previous}",
        f"Each metric in {last} against {previous}: a change is real when its test passes at the "
        f"{ctx.eng.thresholds.alpha:g} level once every metric is tested, on {ctx.eng.thresholds.min_respondents} "
        f"answers or more a wave, and it moves {ctx.eng.thresholds.min_effect:.0%} of the metric's range or more; the "
        "control band is three standard errors around the metric's level over all waves",
        ctx.notes(None, "Tests: two-proportion z test (pooled) for shares; z test of the difference for NPS "
                  "and means; p-values Holm-adjusted across the metrics. Control band: centre over all waves +/- 3 "
                  "standard errors at each wave's n.", tables=("wave_trend",)),
        ["Metric", previous, last, "Change", "Test", "Verdict"], rows, [3.6, 1.1, 1.1, 1.1, 1.3, 2.6], fills)


@slide_builder("wave_trend", claim="wave_change")
def wave_trend_slide(ctx: DeckContext):
    trend, waves = _waves(ctx)
    if trend is None:
        return
    if not ctx.stands("wave_change"):
        return
    shares = trend[trend["unit"] == "share"]
    shares = shares[shares["metric"].isin(list(dict.fromkeys(shares["metric"]))[:3])]  # the outcomes and top driver
    nps = trend[trend["unit"] == "points"]
    slide = ctx.finding(
        "Two charts", "wave_change",
        f"Left: shares per wave. Right: NPS per wave with 95% intervals. Waves: {', '.join(waves)}",
        *[f"{r.wave} {r.metric}: {r.value:.3f} (95% CI {r.ci_low:.3f}-{r.ci_high:.3f}), n {r.n}"
          for r in trend.itertuples()], tables=("wave_trend",))
    left = ctx.canvas.take_region(slide, 1)
    series = {metric: list(part.set_index("wave").reindex(waves)["value"])
              for metric, part in shares.groupby("metric", sort=False)}
    ctx.canvas.line_chart(slide, left, waves, series, [ctx.palette.primary, ctx.palette.accent, ctx.palette.secondary],
                          "0%", minimum=0.0)
    right = ctx.canvas.take_region(slide, 2)
    if len(nps):
        values = nps.set_index("wave").reindex(waves)
        low = max(-100.0, min(0.0, 10 * np.floor(values["ci_low"].min() / 10 - 0.5)))
        high = min(100.0, max(0.0, 10 * np.ceil(values["ci_high"].max() / 10 + 0.5)))
        ctx.canvas.bar_chart(slide, right, waves, {"NPS": values["value"]}, [ctx.palette.primary], "+0;-0;0",
                             horizontal=False, legend=False, axis=(low, high),
                             errors={"NPS": interval(values, "value")})
