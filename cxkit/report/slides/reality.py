"""Slides of the reality check: maturity, how far the organisation has come, what remains, the perception
gap, departments, Know / Care / Can and the driving force."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis.privacy import POOLED
from ...results.catalogue import DIMENSION_TARGET, LEVEL_ORDER
from ..deck import DeckContext, slide_builder
from ..kit import interval, num, pct

GROUPS = (*LEVEL_ORDER, POOLED)   # levels in the order every chart shows them


def _scale(ctx: DeckContext):
    return ctx.eng.scales[ctx.eng.diagnostic.scale]


def _level_names(ctx: DeckContext) -> dict:
    return {**ctx.eng.framework.levels, POOLED: POOLED, "all": "Everyone"}


@slide_builder("section_reality_check")
def section_reality(ctx: DeckContext):
    ctx.section("Reality check: where the organisation stands", "reality_check")


@slide_builder("maturity", claim="maturity_gap")
def maturity_slide(ctx: DeckContext):
    maturity = ctx.available("maturity")
    if maturity is None:
        return
    if not ctx.stands("maturity_gap"):
        return
    scale = _scale(ctx)
    ordered = maturity.sort_values("mean", ascending=False)
    sources = ", ".join(sorted({DIMENSION_TARGET.label(s) for s in maturity["target_source"]}))
    slide = ctx.finding(
        "Finding + chart", "maturity_gap",
        f"Mean agreement ({scale.min}-{scale.max}) per dimension with 95% intervals, against target ({sources}); "
        f"n = {int(maturity['n'].max())} employees",
        "Method: respondent's dimension score = mean of answered items (at least half); t interval.",
        *[f"{r.label}: mean {r.mean:.2f} (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}), {r.favourable:.0%} favourable, "
          f"level {r.level} ({r.level_name}), target {r.target:.2f} from {DIMENSION_TARGET.label(r.target_source)}, "
          f"gap {r.gap:.2f}, n {r.n}" for r in ordered.itertuples()], tables=("maturity",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), ordered["label"],
                         {"Current": ordered["mean"], "Target": ordered["target"]},
                         [ctx.palette.primary, ctx.palette.neutral], "0.0", axis=(scale.min, scale.max),
                         errors={"Current": interval(ordered, "mean")})


@slide_builder("accomplished", claim="maturity_index")
def accomplished_slide(ctx: DeckContext):
    maturity = ctx.available("maturity")
    if maturity is None:
        return
    if not ctx.stands("maturity_index"):
        return
    maturity = maturity.dropna(subset=["accomplished"]).sort_values("accomplished", ascending=False)
    index = ctx.table("maturity_index")
    levels = "; ".join(f"{m.level} {m.name} from {m.start:.0%}" for m in ctx.eng.framework.maturity_levels)
    slide = ctx.finding(
        "Finding + chart", "maturity_index",
        "Share of the way from the bottom of the scale to the target: accomplished and remaining",
        f"Accomplished = (mean - scale minimum) / (target - scale minimum). Maturity levels, on the share of the "
        f"scale reached: {levels}.",
        *([f"Overall index {index['mean'][0]:.2f} (95% CI {index['ci_low'][0]:.2f}-{index['ci_high'][0]:.2f}), level "
           f"{index['level'][0]} ({index['level_name'][0]}), n {index['n'][0]}"] if index is not None else []),
        tables=("maturity", "maturity_index"))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), maturity["label"],
                         {"Accomplished": maturity["accomplished"], "Remaining": maturity["remaining"]},
                         [ctx.palette.primary, ctx.palette.neutral], "0%", stacked=True, legend=True)


@slide_builder("what_remains", claim="what_remains")
def what_remains_slide(ctx: DeckContext):
    items = ctx.available("maturity_items")
    if items is None:
        return
    if not ctx.stands("what_remains"):
        return
    items = items.head(8)
    dims = ctx.eng.framework.dimensions
    ctx.canvas.paged_table(
        ctx.title("what_remains"), "The statements furthest from target: mean agreement and % favourable (top two "
        "boxes); gap = target - mean",
        ctx.notes("what_remains", *[f"{r.item}: mean {r.mean:.2f} (CI {r.ci_low:.2f}-{r.ci_high:.2f}), n {r.n}"
                                    for r in items.itertuples()], tables=("maturity_items",)),
        ["Statement", "Dimension", "Mean", "Favourable", "Gap"],
        [[r.text if isinstance(r.text, str) and r.text else r.item,
          dims[r.dimension].label if r.dimension in dims else r.dimension, num(r.mean), pct(r.favourable), num(r.gap)]
         for r in items.itertuples()], [6, 2.4, 0.9, 1.2, 0.9])


@slide_builder("perception_gap", claim="perception_gap")
def perception_gap_slide(ctx: DeckContext):
    by_level, gaps = ctx.available("maturity_by_level"), ctx.table("perception_gaps")
    if by_level is None:
        return
    if not ctx.stands("perception_gap"):
        return
    eng = ctx.eng
    scale = _scale(ctx)
    wide = by_level.pivot(index="label", columns="group", values="mean")
    wide = wide.loc[[d.label for d in eng.framework.dimensions.values() if d.label in wide.index]]
    levels = [lv for lv in GROUPS if lv in wide.columns]
    names = _level_names(ctx)
    counts = by_level.groupby("group")["n"].max()
    real = int(gaps["significant"].astype(bool).sum()) if gaps is not None and len(gaps) else 0
    tested = f"; a real difference on {real} of {len(gaps)} dimensions (Holm-adjusted tests)" \
        if gaps is not None and len(gaps) else "; executives and frontline are not both shown, so not tested"
    slide = ctx.finding(
        "Finding + chart", "perception_gap",
        "Mean agreement by level (" + ", ".join(f"{names.get(lv, lv)} n = {int(counts[lv])}" for lv in levels) + ")"
        + tested,
        f"Method: level means of respondents' dimension scores; groups under the minimum size "
        f"({eng.thresholds.min_group_size}) pooled. Mann-Whitney tests executives against frontline, Holm-adjusted "
        f"across dimensions, at {eng.thresholds.alpha:g}; effect size rank-biserial r. Flagged: leaders "
        f"{eng.thresholds.perception_margin:g}+ points above the frontline.",
        *[f"{r.label}: executives {r.executive:.2f}, frontline {r.frontline:.2f}, gap {r.gap:+.2f}, "
          f"r = {r.rank_biserial:.2f}, Holm p = {r.p_holm:.2g}{' (flagged)' if r.flagged else ''}"
          for r in (gaps.itertuples() if gaps is not None else [])],
        tables=("maturity_by_level", "perception_gaps"))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), wide.index,
                         {names.get(lv, lv): wide[lv] for lv in levels}, ctx.palette.series, "0.0",
                         axis=(scale.min, scale.max))


@slide_builder("departments", claim="lagging_department")
def departments_slide(ctx: DeckContext):
    by_dept = ctx.available("maturity_by_department")
    if by_dept is None:
        return
    if by_dept.loc[by_dept["group"] != POOLED, "group"].nunique() < 2:
        ctx.leave_out("Departments", "fewer than two departments large enough to show")
        return
    if not ctx.stands("lagging_department"):
        return
    eng = ctx.eng
    wide = by_dept.pivot(index="group", columns="label", values="mean")
    order = [d.label for d in eng.framework.dimensions.values() if d.label in wide.columns]
    wide = wide[order]
    overall = ctx.table("maturity").set_index("label")["mean"]
    counts = by_dept.groupby("group")["n"].max()
    margin = eng.thresholds.lagging_margin

    def heat(diff):
        if pd.isna(diff):
            return ctx.palette.muted
        return ctx.palette.bad if diff <= -margin else ctx.palette.good if diff >= margin else None

    rows, fills = [], []
    for group in sorted(wide.index, key=lambda g: (g == POOLED, g)):
        rows.append([group, "–" if pd.isna(counts[group]) else str(int(counts[group]))]
                    + ["–" if pd.isna(v) else num(v) for v in wide.loc[group]])
        fills.append([None, None] + [heat(v - overall[c]) for c, v in wide.loc[group].items()])
    variance = ctx.table("department_variance")
    between = ""
    if variance is not None and len(variance):
        between = f"; ICC(1) {max(variance['icc1'].min(), 0):.0%}-{max(variance['icc1'].max(), 0):.0%}"
    ctx.canvas.paged_table(
        ctx.title("lagging_department"),
        f"Mean agreement by department; shaded: {margin:g}+ points below / above everyone; – suppressed (base under "
        f"{eng.thresholds.min_group_size}){between}",
        ctx.notes("lagging_department",
                  "ICC(1) and eta squared from a one-way ANOVA of respondents' dimension scores across departments.",
                  *([f"{r.label}: ICC1 {r.icc1:.3f}, eta2 {r.eta_squared:.3f}, p {r.p:.2g}"
                     for r in variance.itertuples()] if variance is not None else []),
                  f"Groups under the minimum size ({eng.thresholds.min_group_size}) are pooled as '{POOLED}'.",
                  tables=("maturity_by_department", "department_variance")),
        ["Department", "n"] + order, rows, [2.2, 0.7] + [1.5] * len(order), fills)


@slide_builder("readiness", claim="weakest_link")
def readiness_slide(ctx: DeckContext):
    kcc, by_level = ctx.available("readiness"), ctx.table("readiness_by_level")
    if kcc is None:
        return
    if not ctx.stands("weakest_link"):
        return
    scale = _scale(ctx)
    names = _level_names(ctx)
    series = {"Everyone": list(kcc["mean"])}
    if by_level is not None and len(by_level):
        wide = by_level.pivot(index="group", columns="readiness", values="mean")
        for level in [lv for lv in GROUPS if lv in wide.index]:
            series[names.get(level, level)] = [wide.loc[level].get(k, np.nan) for k in kcc["readiness"]]
    slide = ctx.finding(
        "Finding + chart", "weakest_link",
        f"Readiness indices: mean agreement ({scale.min}-{scale.max}) with the statements mapped to each, for everyone "
        "and by level",
        "Method: each respondent's mean over the statements mapped to Know, Care or Can; t intervals.",
        *[f"{r.label}: {r.mean:.2f} (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}), {r.items} statements, n {r.n}"
          for r in kcc.itertuples()], tables=("readiness", "readiness_by_level"))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), kcc["label"], series,
                         [ctx.palette.neutral] + ctx.palette.series, "0.0", horizontal=False,
                         axis=(scale.min, scale.max))


@slide_builder("driving_force", claim="driving_force")
def driving_force_slide(ctx: DeckContext):
    forces = ctx.available("driving_force")
    if forces is None:
        return
    if not ctx.stands("driving_force"):
        return
    names = _level_names(ctx)
    wide = forces.pivot(index="label", columns="group", values="mean")
    order = list(dict.fromkeys(forces["label"]))
    groups = [g for g in ("all", *GROUPS) if g in wide.columns]
    n = forces.groupby("group")["n"].max()
    slide = ctx.finding(
        "Finding + chart", "driving_force",
        "Mean of 100 points split across what really drives the business (" + ", ".join(
            f"{names[g]} n = {n[g]:.0f}" for g in groups if pd.notna(n[g])) + ")",
        "Rows adding up to 100 within the tolerance were rescaled; rows further off, or with text or negative points, "
        "were left out (see the data quality slide).",
        *[f"{r.group} {r.label}: {r.mean:.1f} (95% CI {r.ci_low:.1f}-{r.ci_high:.1f}), n {r.n:.0f}"
          for r in forces.itertuples() if not r.suppressed], tables=("driving_force",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), order,
                         {names[g]: list(wide.loc[order, g]) for g in groups},
                         [ctx.palette.neutral] + ctx.palette.series, "0", horizontal=False)
