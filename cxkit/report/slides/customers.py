"""Slides about customers: the loyalty mix and NPS, expectations, consistency, segments, the value at stake
and outcomes by descriptor."""

from __future__ import annotations

import pandas as pd

from ...results.catalogue import CONSISTENCY
from ...results.text import in_text
from ..deck import DeckContext, slide_builder
from ..kit import interval, num, pct


@slide_builder("section_customers")
def section_customers(ctx: DeckContext):
    ctx.section("Customers: how they feel and who they are", "customers")


@slide_builder("loyalty_mix", claim="loyalty_mix")
def loyalty_slide(ctx: DeckContext):
    mix, nps = ctx.available("loyalty_mix"), ctx.table("nps")
    if mix is None:
        return
    if not ctx.stands("loyalty_mix"):
        return
    n = int(mix["n"].iloc[0])
    outcome = ctx.eng.feedback.main_outcome
    has_nps = nps is not None and len(nps)
    slide = ctx.finding(
        "Two charts", "loyalty_mix",
        (f"Left: loyalty mix on {in_text(outcome.label)} (n = {n:,}). Right: likelihood to recommend "
         f"(n = {int(nps['n'].iloc[0]):,})" if has_nps else f"Loyalty mix on {in_text(outcome.label)} (n = {n:,})"),
        "Bands: " + "; ".join(f"{r.label} {r.ratings}" for r in mix.itertuples()) + ". Intervals: Wilson 95%.",
        *[f"{r.label}: {r.share:.1%} (95% CI {r.ci_low:.1%}-{r.ci_high:.1%}), {r.count} of {r.n}"
          for r in mix.itertuples()],
        *([f"NPS {nps['nps'].iloc[0]:+.1f} (95% CI {nps['ci_low'].iloc[0]:+.1f} to {nps['ci_high'].iloc[0]:+.1f}); "
           "variance of a difference of proportions"] if has_nps else []), tables=("loyalty_mix", "nps"))
    palette = ctx.palette
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), [outcome.label],
                         {r.label: [r.share] for r in mix.itertuples()},
                         [palette.positive, palette.secondary, palette.neutral, palette.negative], "0%", stacked=True,
                         legend=True)
    right = ctx.canvas.take_region(slide, 2)
    if has_nps:
        row = nps.iloc[0]
        ctx.canvas.bar_chart(slide, right, [f"NPS {row['nps']:+.0f}"],
                             {"Promoters (9-10)": [row["promoters"]], "Passives (7-8)": [row["passives"]],
                              "Detractors (0-6)": [row["detractors"]]},
                             [palette.positive, palette.neutral, palette.negative], "0%", stacked=True, legend=True)


@slide_builder("expectations", claim="expectations")
def expectations_slide(ctx: DeckContext):
    gaps = ctx.available("expectation_gaps")
    if gaps is None:
        return
    if not ctx.stands("expectations"):
        return
    slide = ctx.finding(
        "Finding + chart", "expectations",
        "Mean of perception minus expectation per touchpoint, with 95% intervals; above zero, customers find it "
        f"better than they expected (n = {int(gaps['n'].min()):,} to {int(gaps['n'].max()):,})",
        "Method: per-respondent paired difference, t interval; share exceeding with Wilson interval.",
        *[f"{r.label}: gap {r.gap:+.2f} (95% CI {r.ci_low:+.2f} to {r.ci_high:+.2f}); perception {r.perception:.2f}, "
          f"expectation {r.expectation:.2f}; {r.exceeds:.0%} exceed, n {r.n}" for r in gaps.itertuples()],
        tables=("expectation_gaps",))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), gaps["label"],
                         {"Perception - expectation": gaps["gap"]}, [ctx.palette.primary], "+0.0;-0.0;0.0",
                         legend=False, errors={"Perception - expectation": interval(gaps, "gap")})


@slide_builder("consistency", claim="consistency")
def consistency_slide(ctx: DeckContext):
    steady = ctx.available("consistency")
    if steady is None:
        return
    if not (steady["n"] > 0).any():
        ctx.leave_out("Consistency", "no customer rated three or more touchpoints")
        return
    if not ctx.stands("consistency"):
        return
    outcome = ctx.eng.outcome      # a yes/no outcome alone: its share of yes
    minimum = ctx.eng.thresholds.min_respondents
    # a group under the minimum base is named with its share but drawn without a bar
    big = steady["n"] >= minimum
    shown = steady.assign(outcome=steady["outcome"].where(big), ci_low=steady["ci_low"].where(big),
                          ci_high=steady["ci_high"].where(big))
    panels = [shown[shown["kind"] == "band"]]
    if big[steady["kind"] == "pattern"].any():   # the all-good / one-poor chart only where a group has a base
        panels.append(shown[shown["kind"] == "pattern"])
    # the second chart's sentence: its own claim, worded by the direction found (or within noise, or not judged)
    pattern = ctx.claim("consistency_pattern") if len(panels) == 2 else None
    slide = ctx.finding(
        "Two charts" if len(panels) == 2 else "Finding + chart", "consistency",
        f"Mean {in_text(outcome.label)} by how consistent a customer's ratings are"
        + (" (left: spread of ratings; right: all touchpoints good, or one poor among good)" if len(panels) == 2
           else " (spread of ratings)") + (f". Right: {pattern.text}" if pattern is not None else ""),
        f"Spread: standard deviation of a customer's ratings over 3+ touchpoints. Groups under {minimum} customers "
        "are not drawn.",
        *([f"Right: {pattern.text}. Evidence: {pattern.evidence()}."] if pattern is not None else []),
        *[f"{CONSISTENCY.label(r.group)} ({r.rule}): n {r.n}, {r.share:.0%} of customers, outcome {num(r.outcome, 2)} "
          f"(95% CI {num(r.ci_low, 2)}-{num(r.ci_high, 2)}), truly impressed {pct(r.truly_impressed)}"
          for r in steady.itertuples()],
        tables=("consistency",))
    main = ctx.eng.feedback.main_outcome
    axis, number = ((ctx.eng.scales[main.scale].min, ctx.eng.scales[main.scale].max), "0.0") if main else ((0, 1), "0%")
    for region, part in enumerate(panels, start=1):
        box = ctx.canvas.take_region(slide, region)
        labels = [f"{CONSISTENCY.label(r.group)} ({r.share:.0%}" + (")" if r.n >= minimum else ", too few)")
                  for r in part.itertuples()]
        ctx.canvas.bar_chart(slide, box, labels, {outcome.label: part["outcome"]}, [ctx.palette.primary], number,
                             horizontal=False, legend=False, axis=axis,
                             errors={outcome.label: interval(part, "outcome")})


@slide_builder("segments", claim="segments")
def segments_slide(ctx: DeckContext):
    profiles, stake = ctx.available("segment_profiles"), ctx.table("value_at_stake")
    if profiles is None:
        return
    if not ctx.stands("segments"):
        return
    merged = profiles.merge(stake, on="segment", how="left") if stake is not None else profiles
    # columns for what the run has: NPS on 0-10 only, the truly impressed with a rating outcome (else the yes/no
    # outcome's share of yes), value or customers at risk where the value at stake was found
    columns = [("Segment", 5, lambda r: f"{r.segment}. {r.name}"),
               ("Customers", 1.8, lambda r: f"{r.n:,} ({r.share:.0%})")]
    if "nps" in merged:
        columns.append(("NPS", 0.9, lambda r: num(r.nps, 0)))
    if "truly_impressed" in merged and merged["truly_impressed"].notna().any():   # not a column of n/a
        columns.append(("Truly impressed", 1.4, lambda r: pct(r.truly_impressed)))
    else:
        columns.append((ctx.eng.outcome.label, 1.6, lambda r: pct(r.outcome_mean)))
    if "value_at_stake" in merged:
        columns += [("Value share", 1.2, lambda r: pct(r.value_share)),
                    ("Value at stake", 1.6, lambda r: f"{r.value_at_stake:,.0f}")]
    elif "at_risk_customers" in merged:
        # a count beside the customers' count and share reads as one: the segment's share at risk with it
        columns.append(("At risk", 1.6, lambda r: f"{r.at_risk_customers:,.0f} ({r.at_risk_share:.0%})"))
    header, widths = [c[0] for c in columns], [c[1] for c in columns]
    rows = [[cell(r) for _, _, cell in columns] for r in merged.itertuples()]
    headlines = ctx.results.headlines("customers")
    stable = (f"; stability (bootstrap ARI) {headlines.stability:.2f}"
              if headlines is not None and headlines.stability is not None else "")
    ctx.canvas.paged_table(
        ctx.title("segments"),
        f"Attitudinal segments from touchpoint ratings (k-means, k by silhouette{stable})"
        + ("; value at stake = value held by indifferent and unhappy customers" if "value_at_stake" in merged else ""),
        ctx.notes("segments", "Method: standardised ratings, k-means; k chosen by the best silhouette "
                  "(segment_choice). Names come from the touchpoints each segment rates furthest above and below the "
                  "others.", tables=("segment_profiles", "value_at_stake", "segment_choice")),
        header, rows, widths)


@slide_builder("value_at_stake", claim="value_at_stake")
def value_at_stake_slide(ctx: DeckContext):
    stake, profiles = ctx.available("value_at_stake"), ctx.table("segment_profiles")
    if stake is None or "value_at_stake" not in stake:
        return
    if not ctx.stands("value_at_stake"):
        return
    names = profiles.set_index("segment")["name"]
    slide = ctx.finding(
        "Finding + chart", "value_at_stake",
        "Value held by each segment's customers: at stake (indifferent or unhappy) and secure",
        *[f"Segment {r.segment} ({names.get(r.segment, '')}): value {r.value:,.0f}, at stake {r.value_at_stake:,.0f} "
          f"({r.at_risk_share:.0%} of its customers at risk)" for r in stake.itertuples()],
        tables=("value_at_stake", "segment_profiles"))
    ctx.canvas.bar_chart(slide, ctx.canvas.take_region(slide, 1), [f"Segment {r.segment}" for r in stake.itertuples()],
                         {"At stake": stake["value_at_stake"], "Secure": stake["value"] - stake["value_at_stake"]},
                         [ctx.palette.negative, ctx.palette.secondary], "#,##0", horizontal=False, legend=True)


@slide_builder("descriptors", claim="descriptor_differences")
def descriptors_slide(ctx: DeckContext):
    table = ctx.available("descriptor_comparisons")
    if table is None:
        return
    if not ctx.stands("descriptor_differences"):
        return
    outcome = ctx.eng.outcome
    value = num if ctx.eng.feedback.main_outcome is not None else (lambda x, _digits=0: pct(x))  # yes/no: a share
    rows = [[str(r.descriptor).replace("_", " ").capitalize(), str(r.value), f"{r.n:,}",
             "small base" if r.small_base else f"{value(r.outcome, 2)} ({value(r.ci_low, 2)}-{value(r.ci_high, 2)})",
             "" if r.small_base else pct(r.truly_impressed), "" if r.small_base or pd.isna(r.nps) else f"{r.nps:+.0f}",
             f"{r.kw_p:.2g}"] for r in table.itertuples()]
    ctx.canvas.paged_table(
        ctx.title("descriptor_differences"),
        f"{outcome.label} (95% CI), truly impressed and NPS by descriptor; p: Kruskal-Wallis across the descriptor's "
        f"values, Holm-adjusted; bases under {ctx.eng.thresholds.min_respondents} not shown",
        ctx.notes("descriptor_differences", tables=("descriptor_comparisons",)),
        ["Descriptor", "Value", "n", f"{outcome.label} (95% CI)", "Truly impressed", "NPS", "p"], rows,
        [1.6, 1.6, 0.9, 2.4, 1.4, 0.9, 0.9])
