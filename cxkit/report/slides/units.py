"""The unit slides: in a unit's deck, how the unit compares with the rest; in the roll-up deck, the units side by
side (league, chart, moments of truth, pilot candidates, pooled units, method)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...results.catalogue import UNIT_STATUS, UNIT_VERDICT
from ...results.text import metric_text
from ..deck import DeckContext, slide_builder


def value_text(kind: str, value) -> str:
    return metric_text(kind, None if pd.isna(value) else float(value))


def diff_text(kind: str, value) -> str:
    return metric_text(kind, None if pd.isna(value) else float(value), signed=True)


def p_value(p) -> str:
    return "–" if pd.isna(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def _fill(ctx: DeckContext, verdict: str):
    return {"above": ctx.palette.good, "below": ctx.palette.bad, "small_difference": ctx.palette.caution}.get(verdict)


def comparison_rows(ctx: DeckContext, table: pd.DataFrame) -> tuple[list[list[str]], list[list]]:
    rows, fills = [], []
    for r in table.itertuples():
        interval = (f" ({value_text(r.kind, r.ci_low)} to {value_text(r.kind, r.ci_high)})"
                    if pd.notna(r.ci_low) else "")
        rows.append([r.label, f"{value_text(r.kind, r.value)}{interval}", value_text(r.kind, r.rest),
                     diff_text(r.kind, r.diff), p_value(r.p_holm), UNIT_VERDICT.label(r.verdict)])
        fills.append([None, None, None, None, None, _fill(ctx, r.verdict)])
    return rows, fills


METHOD = ("Each value is the kit's estimate with its 95% interval (means: t on Kish's effective n; shares: Wilson; "
          "NPS: the multinomial interval).",
          "Each unit is tested against the rest (every other unit shown) by the Wald z test of the difference; "
          "p-values are Holm-adjusted across every unit and metric.",
          "Above or below the rest needs the adjusted p under {alpha:g} and a difference of at least {effect:.0%} of "
          "the metric's range; a difference beyond chance but smaller is called small.")


def method(ctx: DeckContext) -> list[str]:
    return [line.format(alpha=ctx.eng.thresholds.alpha, effect=ctx.eng.thresholds.min_effect) for line in METHOD]


@slide_builder("unit_comparison", claim="unit_vs_rest")
def unit_comparison_slide(ctx: DeckContext):
    """A unit's deck: the unit against the rest of the engagement on every headline metric."""
    table = ctx.available("unit_vs_rest")
    if table is None:
        return
    rows, fills = comparison_rows(ctx, table)
    ctx.canvas.paged_table(
        ctx.title("unit_vs_rest"),
        f"{table['unit'].iloc[0]} ({int(table['n'].max()):,} customers) against the rest; shaded: clearly above / "
        "below the rest, or beyond chance but small",
        ctx.notes("unit_vs_rest", *method(ctx),
                  "The whole engagement's deck and the roll-up deck (the units side by side) come from the same batch.",
                  tables=("unit_vs_rest",)),
        ["Metric", "This unit (95% CI)", "Rest", "Difference", "p (Holm)", "Verdict"], rows,
        [2.6, 2.0, 1.0, 1.2, 1.0, 1.6], fills)


# ---------------------------------------------------------------- the roll-up deck


@slide_builder("unit_league", claim="unit_league")
def league_slide(ctx: DeckContext):
    league = ctx.available("unit_league")
    if league is None:
        return
    kind = league["kind"].iloc[0]
    rows, fills = [], []
    for r in league.itertuples():
        rows.append([str(r.rank), str(r.unit), f"{r.n:,}",
                     f"{value_text(kind, r.value)} ({value_text(kind, r.ci_low)} to {value_text(kind, r.ci_high)})",
                     diff_text(kind, r.diff), p_value(r.p_holm), UNIT_VERDICT.label(r.verdict)])
        fills.append([None, None, None, None, None, None, _fill(ctx, r.verdict)])
    eng = ctx.eng
    ctx.canvas.paged_table(
        ctx.title("unit_league"),
        f"{league['label'].iloc[0]} by {eng.units.name}, highest first, against the rest; all {eng.units.name}s "
        f"shown: {value_text(kind, league['whole'].iloc[0])}",
        ctx.notes("unit_league", *method(ctx),
                  tables=("unit_league",)),
        ["#", eng.units.name.capitalize(), "Answered", f"{league['label'].iloc[0]} (95% CI)", "vs rest",
         "p (Holm)", "Verdict"], rows, [0.5, 2.6, 1.1, 2.2, 1.0, 1.0, 1.6], fills)


CHART_MOST = 25   # units a chart can label legibly; more are in the league table only


@slide_builder("unit_chart")
def unit_chart_slide(ctx: DeckContext):
    league = ctx.available("unit_league")
    if league is None:
        return
    if len(league) > CHART_MOST:
        ctx.leave_out("Units chart", f"{len(league)} units, more than a chart can label ({CHART_MOST}); the league "
                      "table has them all")
        return
    kind, label = league["kind"].iloc[0], league["label"].iloc[0]
    scale = 100 if kind in ("share", "truly_impressed") else 1
    slide = ctx.canvas.new_slide(
        "Finding + chart", f"{label} by {ctx.eng.units.name}, with 95% intervals",
        f"All {ctx.eng.units.name}s shown: {value_text(kind, league['whole'].iloc[0])}; bars: each "
        f"{ctx.eng.units.name}'s value",
        ctx.notes(None, "Intervals as in the league table; the order is the league's.", tables=("unit_league",)))
    values = (league["value"] * scale).tolist()
    # the axis holds every interval (a chart's own axis stops at the bars), at round numbers
    step = 10.0 if kind in ("nps", "share", "truly_impressed") else 0.5
    low = np.floor(min(0.0, float(league["ci_low"].min() * scale)) / step) * step
    high = np.ceil(max(0.0, float(league["ci_high"].max() * scale)) / step) * step
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), league["unit"].astype(str).tolist(), {label: values},
                         [ctx.palette.primary], "0" if kind in ("nps", "share", "truly_impressed") else "0.00",
                         errors={label: ((league["value"] - league["ci_low"]) * scale,
                                         (league["ci_high"] - league["value"]) * scale)}, legend=False,
                         axis=(float(low), float(high)))


@slide_builder("unit_moments")
def moments_slide(ctx: DeckContext):
    moments = ctx.available("unit_moments")
    if moments is None:
        ctx.leave_out("Moments of truth by unit", "the whole engagement's driver model found no moments of truth")
        return
    name = ctx.eng.units.name
    rows = [[r.label, f"{r.share:.0%}", r.leaders if isinstance(r.leaders, str) and r.leaders else "none clearly",
             r.laggards if isinstance(r.laggards, str) and r.laggards else "none clearly"]
            for r in moments.itertuples()]
    # (names as text: a units column of numbers reads back as numbers)
    ctx.canvas.paged_table(
        f"Moments of truth: the {name}s clearly above and below the rest",
        f"The whole engagement's fix-first touchpoints (important, below the average performance), by {name}",
        ctx.notes(None, "Above or below the rest on the touchpoint's mean rating, by the tests of the league table "
                  "(Holm across every unit and metric). The rest is every other unit shown: a few very low units lift "
                  "the others above it.", tables=("unit_moments", "unit_comparison")),
        ["Moment of truth", "Share of what drives the outcome", "Above the rest", "Below the rest"], rows,
        [2.4, 1.6, 3.0, 3.0])


@slide_builder("unit_pilots", claim="unit_pilots")
def pilots_slide(ctx: DeckContext):
    pilots = ctx.available("unit_pilots")
    claim = ctx.claim("unit_pilots")
    if claim is None:
        return
    if pilots is None or not claim.supported:
        slide = ctx.canvas.new_slide("Bullets", claim.text, None, ctx.notes("unit_pilots", tables=("unit_pilots",)))
        ctx.canvas.set_text(ctx.canvas.placeholder(slide, 1), [
            "No pilot candidate follows from the data: no unit is clearly below the rest on a moment of truth.",
            "Choose pilots on other grounds (readiness, a willing manager), and measure against the rest."], 20, 12)
        return
    rows = [[str(r.unit), f"{r.n:,}", r.moments, f"{r.score:.3f}"] for r in pilots.itertuples()]
    ctx.canvas.paged_table(
        ctx.title("unit_pilots"), "Units clearly below the rest on moments of truth, by the shortfall weighted by "
        "importance: where a pilot has the most to win and a gain would show",
        ctx.notes("unit_pilots", "Score: the sum over the moments of truth the unit lags on of (the moment's share of "
                  "what drives the outcome x the unit's shortfall as a share of the scale).",
                  tables=("unit_pilots", "unit_moments")),
        ["Unit", "Customers", "Below the rest on", "Score"], rows, [2.4, 1.2, 4.4, 1.0])


def _count(n: int, name: str) -> str:
    return f"{n} {name}" + ("" if n == 1 else "s")


@slide_builder("unit_plan")
def plan_slide(ctx: DeckContext):
    plan = ctx.available("unit_plan")
    if plan is None:
        return
    plan = plan.assign(unit=plan["unit"].astype(str))
    small = plan[plan["status"] != "own_deck"]
    name = ctx.eng.units.name
    minimum = max(ctx.eng.units.minimum or 0, ctx.eng.thresholds.min_respondents)
    own = int((plan["status"] == "own_deck").sum())
    lines = [f"{own} of {_count(len(plan), name)} have at least {minimum} customers and a deck of their own."]
    if len(small):
        pooled = small[small["status"] == "pooled"]
        too_small = small[small["status"] == "too_small"]
        if len(pooled):
            lines.append(f"{_count(len(pooled), 'smaller ' + name)} pooled into '{pooled['deck_unit'].iloc[0]}' "
                         f"({int(pooled['customers'].sum()):,} customers), which has a deck of its own: "
                         + ", ".join(pooled["unit"]) + ".")
        if len(too_small):
            lines.append(f"{_count(len(too_small), name)} too small to show, even pooled "
                         f"({int(too_small['customers'].sum())} customers in all): " + ", ".join(too_small["unit"])
                         + ". Their customers are in no comparison.")
    lines += method(ctx)
    lines += [f"Left out: {line}" for line in ctx.left_out]
    slide = ctx.canvas.new_slide("Bullets", f"Method: which {name}s are shown, and how they are compared", None,
                                 ctx.notes(None, *[f"{r.unit}: {r.customers} customers, "
                                                   f"{UNIT_STATUS.label(r.status)}" for r in plan.itertuples()],
                                           tables=("unit_plan",)))
    ctx.canvas.set_text(ctx.canvas.placeholder(slide, 1), lines, 18, 10, space_after_ratio=0.4)
