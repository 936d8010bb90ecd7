"""Slides about drivers: importance, importance against performance, dissatisfiers and delighters, the
what-if, yes/no outcomes, and drivers by segment."""

from __future__ import annotations

import pandas as pd

from ...results.catalogue import ASYMMETRY, QUADRANT
from ...results.text import in_text
from ..deck import DeckContext, slide_builder
from ..kit import POINT_LABEL_MAX, chart_labels, interval, p_text, pct, tagged


@slide_builder("section_drivers")
def section_drivers(ctx: DeckContext):
    ctx.section("Drivers: which moments matter", "drivers")


def _model_notes(ctx: DeckContext) -> list[str]:
    headlines = ctx.results.headlines("drivers")
    return list(headlines.model.warnings + headlines.model.notes) if headlines is not None else []


@slide_builder("key_drivers", claim="top_driver")
def key_drivers_slide(ctx: DeckContext):
    key = ctx.available("key_drivers")
    if key is None:
        return
    if not ctx.stands("top_driver"):
        return
    first = key.iloc[0]
    fit = first["fit"]
    has_intervals = key["share_low"].notna().all()
    # a share is a size, never a sign: touchpoints whose higher ratings go with a lower outcome are marked
    negative = key["direction"] < 0
    slide = ctx.finding(
        "Finding + chart", "top_driver",
        f"Share of explained variance in {in_text(first['outcome_label'])} ({fit} = {first['r2']:.2f}, n = "
        f"{int(first['n']):,} customers" + ("; bars show 95% bootstrap intervals" if has_intervals else "")
        + ("; (−): the higher the rating, the lower the outcome, other touchpoints equal)" if negative.any() else ")"),
        f"Method: {first['method']}; shares of {fit} sum to 100%. Missing answers: {first['missing']}. "
        f"Intervals: {int(first['resamples'])} bootstrap resamples ({first['interval_method']}).",
        *[f"{r.rank}. {r.label}: {r.share:.1%} of {fit} (95% CI {r.share_low:.1%}-{r.share_high:.1%}), direction "
          f"{'+' if r.direction >= 0 else '-'}, mean {r.performance:.2f}, top-2-box {r.top2:.0%}, VIF {r.vif:.1f}"
          for r in key.itertuples()], *_model_notes(ctx), tables=("key_drivers",))
    name = "Share of explained variance"
    labels = [tagged(label, "(−)") if neg else shown
              for label, neg, shown in zip(key["label"], negative, chart_labels(key["label"]))]
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), labels, {name: key["share"]},
                         [ctx.palette.primary], "0%", legend=False,
                         errors={name: interval(key, "share", "share_low", "share_high")}
                         if has_intervals else None)


@slide_builder("importance_performance", claim="moments_of_truth")
def importance_performance_slide(ctx: DeckContext):
    quad = ctx.available("moments_of_truth")
    if quad is None:
        return
    if not ctx.stands("moments_of_truth"):
        return
    # a touchpoint whose higher ratings go with a lower outcome is never a moment of truth, however important: marked,
    # so it does not read as one overlooked (Star Wars' Jar Jar Binks: second in importance, lowest rated)
    negative = quad["direction"] < 0 if "direction" in quad else pd.Series(False, index=quad.index)
    quad = quad.assign(label=[tagged(label, "(−)", POINT_LABEL_MAX) if neg else label
                              for label, neg in zip(quad["label"], negative)])
    slide = ctx.finding(
        "Finding + chart", "moments_of_truth",
        "Importance (share of explained variance) against performance (mean rating); lines at the "
        f"{quad['threshold_rule'].iloc[0]}s across touchpoints; red: moments of truth"
        + ("; (−): the higher the rating, the lower the outcome, so never one to raise" if negative.any() else ""),
        "Quadrants: high importance and below-threshold performance = moment of truth to fix first; high and high = "
        "strength; low importance and high performance = possible over-service.",
        *[f"{r.label}: {QUADRANT.label(r.quadrant)} (share {r.share:.1%}, mean {r.performance:.2f})"
          for r in quad.itertuples()], tables=("moments_of_truth",))
    fix = (quad["quadrant"] == "fix_first") & quad.get("clearly_important", True)   # red: those the title names
    ctx.canvas.labelled_scatter(
        slide, ctx.canvas.take_region(slide, 1),
        [("Moments of truth", quad[fix], ctx.palette.negative), ("Other touchpoints", quad[~fix], ctx.palette.primary)],
        "performance", "share", (quad["performance_threshold"].iloc[0], quad["share_threshold"].iloc[0]),
        ("Performance: mean rating", "Importance: share of explained variance"), ("0.0", "0%"),
        ("Performance threshold", "Importance threshold"))


@slide_builder("asymmetry", claim="asymmetries")
def asymmetry_slide(ctx: DeckContext):
    table = ctx.available("asymmetry")
    if table is None:
        return
    if not ctx.stands("asymmetries"):
        return
    table = table.sort_values("share", ascending=False, kind="stable")
    first = table.iloc[0]
    labels = [tagged(r.label, f"({ASYMMETRY.label(r.kind).lower()})") if r.kind in ("dissatisfier", "delighter")
              else r.label
              for r in table.itertuples()]
    slide = ctx.finding(
        "Finding + chart", "asymmetries",
        f"Points of {in_text(first['outcome_label'])} against a middle rating when a touchpoint is {first['low_rule']} "
        f"or {first['high_rule']}: left of zero lower, right of zero higher (n = {int(first['n']):,})"
        + (f"; no bar: too few customers in or out of that band to test (under "
           f"{max(ctx.eng.thresholds.min_respondents, 1)})"
           if table[["penalty", "reward"]].isna().any(axis=None) else ""),
        "Method: penalty-reward contrast analysis (Brandt 1987; Mittal, Ross & Baldasare 1998): one regression of the "
        "outcome on low and top dummies of every touchpoint; HC1 robust errors; p-values Holm-adjusted across the "
        "touchpoints. Dissatisfier: only the penalty is significant, or it is significantly larger; delighter: the "
        f"reverse; both: both significant and similar (at {ctx.eng.drivers.alpha:g}). A kind also needs both sides "
        "tested (enough customers rating the touchpoint low and top) and its effect to reach "
        f"{ctx.eng.thresholds.min_effect:.0%} of the outcome's range; otherwise: no clear effect.",
        *[f"{r.label}: penalty {_side(r.penalty, r.penalty_p)}, reward {_side(r.reward, r.reward_p)}, "
          f"difference p {_side(None, r.asymmetry_p)}: {ASYMMETRY.label(r.kind)}; share of R² {r.share:.1%}"
          for r in table.itertuples()], tables=("asymmetry",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), labels,
                         # named by the ratings, not by penalty and reward: either may come out the other way round
                         {f"When {first['low_rule']}": -table["penalty"], f"When {first['high_rule']}": table["reward"]},
                         [ctx.palette.negative, ctx.palette.positive], "0.0", legend=True, gap_width=40,
                         overlap=0)   # side by side: on one line, two bars on the same side hid each other


@slide_builder("what_if", claim="what_if")
def what_if_slide(ctx: DeckContext):
    table = ctx.available("what_if")
    if table is None:
        return
    if not ctx.stands("what_if"):
        return
    first = table.iloc[0]
    impressed = "impressed_change" in table and table["impressed_change"].notna().all()
    # charted by the measure the title ranks by (the mean outcome): ranked by the share truly impressed, the
    # title's touchpoint had stood sixth on the bank's chart; that share's change stays in the notes
    column, unit = "outcome_change", "0.00"
    ranked = table.sort_values(column, ascending=False, kind="stable")
    what = f"mean {in_text(first['outcome_label'])}"
    slide = ctx.finding(
        "Finding + chart", "what_if",
        f"Modelled rise in {what} if every customer rated one touchpoint {first['raise_by']:g} points higher (ratings "
        "stop at the top of the scale); associations, not guarantees",
        "Method: the outcome change is the full regression's slope times the mean possible rise; the share truly "
        "impressed comes from a logistic model of the top loyalty band (average of predicted probabilities with the "
        "touchpoint raised, minus as fitted).",
        *[f"{r.label}: mean {r.mean_now:.2f} to {r.mean_after:.2f} ({r.at_top:.0%} already at the top); outcome "
          f"{r.outcome_now:.2f} {r.outcome_change:+.2f}"
          + (f"; truly impressed {r.impressed_now:.1%} to {r.impressed_after:.1%}" if impressed else "")
          for r in ranked.itertuples()], tables=("what_if",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), ranked["label"], {"Modelled rise": ranked[column]},
                         [ctx.palette.primary], unit, legend=False)


@slide_builder("yes_no_drivers", claim="yes_no_drivers")
def yes_no_drivers_slide(ctx: DeckContext):
    table = ctx.available("yes_no_drivers")
    if table is None:
        return
    if not ctx.stands("yes_no_drivers"):
        return
    # a model the claim says explains too little to name a driver is not charted beside one that can
    models = table.drop_duplicates("outcome")
    weak = models[models["r2"] < ctx.eng.drivers.warn_r2]
    shown = table[~table["outcome"].isin(weak["outcome"])]
    if shown.empty:
        return
    outcomes = list(dict.fromkeys(shown["outcome_label"]))
    wide = shown.pivot(index="label", columns="outcome_label", values="share")[outcomes]
    wide = wide.sort_values(outcomes[0], ascending=False)
    fits = {r.outcome_label: f"{r.fit} = {r.r2:.2f}, n = {int(r.n):,}" for r in models.itertuples()
            if r.outcome not in set(weak["outcome"])}
    slide = ctx.finding(
        "Finding + chart", "yes_no_drivers",
        "Share of each yes/no outcome's explained variation by touchpoint; "
        + "; ".join(f"{name}: {fit}" for name, fit in fits.items())
        + "".join(f"; {r.outcome_label} not shown: its model explains too little ({r.fit} = {r.r2:.2f})"
                  for r in weak.itertuples()),
        f"Method: {table['method'].iloc[0]}.",
        *[f"{r.outcome_label} - {r.label}: {r.share:.1%} (95% CI {r.share_low:.1%}-{r.share_high:.1%}), direction "
          f"{'+' if r.direction >= 0 else '-'}" for r in table.itertuples()], tables=("yes_no_drivers",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), wide.index, {name: wide[name] for name in outcomes},
                         ctx.palette.series[: len(outcomes)], "0%", legend=len(outcomes) > 1, gap_width=50)


@slide_builder("segment_drivers", claim="segment_drivers")
def segment_drivers_slide(ctx: DeckContext):
    table = ctx.available("segment_drivers")
    if table is None or table["segment"].nunique() < 2:
        return
    if not ctx.stands("segment_drivers"):
        return
    segments = table.drop_duplicates("segment").sort_values("segment")
    order = ctx.table("key_drivers")["attribute"].tolist()
    header = ["Touchpoint"] + [f"Segment {s}" for s in segments["segment"]] + ["Differs?"]
    rows, fills = [], []
    for attribute in [a for a in order if a in set(table["attribute"])]:
        part = table[table["attribute"] == attribute].set_index("segment")
        shares = [part["share"].get(s) for s in segments["segment"]]
        differs = bool(part["differs"].iloc[0])
        top = max(range(len(shares)), key=lambda i: -1 if pd.isna(shares[i]) else shares[i])
        rows.append([part["label"].iloc[0]] + [pct(v) if pd.notna(v) else "-" for v in shares]
                    + [f"Yes ({p_text(part['differs_p'].iloc[0])})" if differs else "No"])
        fills.append([None] + [ctx.palette.secondary if differs and i == top else None for i in range(len(shares))]
                     + [None])
    first = table.iloc[0]
    ctx.canvas.paged_table(
        ctx.title("segment_drivers"),
        "Share of explained variance within each segment; shaded: the segment where a touchpoint that differs matters "
        f"most (overall test {p_text(first['overall_p'])}; per touchpoint at {ctx.eng.drivers.alpha:g}, Holm-adjusted)",
        ctx.notes("segment_drivers", f"Test: {first['test']}; per touchpoint, its interactions alone, Holm-adjusted.",
                  *([f"Shares: {first['method']}."] if "method" in table and pd.notna(first["method"]) else []),
                  *[f"Segment {r.segment}: {r.name} (n = {int(r.n):,}, R² = {r.r2:.2f})" for r in segments.itertuples()],
                  tables=("segment_drivers",)),
        header, rows, [3.2] + [1.2] * len(segments) + [1.6], fills)


def _side(effect, p) -> str:
    """A penalty or reward with its p, or that it was not tested (too few customers in the box)."""
    if pd.isna(p):
        return "not tested (too few customers rated it so)" if effect is not None else "not tested"
    return f"{effect:.2f} (p {p:.3f})" if effect is not None else f"{p:.3f}"
