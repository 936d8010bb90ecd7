"""The closing slides: recommendations and the roadmap, then the appendix (method and sample sizes, data quality)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...analysis.privacy import POOLED
from ...results.catalogue import ANALYSIS_STAGES, HORIZON, SEVERITY, STAGES
from ..deck import TITLED_BY, DeckContext, labelled_columns, slide_builder, source
from ...results.text import sentence
from ..kit import chart_labels, notes


def _actions(ctx: DeckContext) -> pd.DataFrame | None:
    table = ctx.table("recommendations")
    return table if table is not None and not table.empty else None


@slide_builder("not_shown")
def not_shown_slide(ctx: DeckContext):
    """What the data does not show: the lead claims of the storyline's finding slides that their evidence does not
    support, each in its own words (within noise, too small to matter, not testable), instead of those slides."""
    ctx.close_section()   # this slide belongs to no analysis section
    kinds = [TITLED_BY[name] for name in ctx.eng.deck.storyline if name in TITLED_BY]
    claims = [c for c in (ctx.claim(kind) for kind in dict.fromkeys(kinds)) if c is not None and not c.supported]
    if not claims:
        return
    ctx.canvas.paged_table(
        "What the data does not show", "Findings the evidence does not support: not drawn as slides, and no "
        "recommendation follows from them",
        notes("Each row is the claim in its own words and why its evidence falls short:",
              *[f"- {c.text}: {c.evidence()} [source: {c.sources}]" for c in claims]),
        ["What the data does not show", "Why"], [[c.text, sentence(c.reason)] for c in claims], [6.0, 4.0])


@slide_builder("section_recommendations")
def section_recommendations(ctx: DeckContext):
    if _actions(ctx) is not None:
        ctx.section("Recommendations and roadmap")


@slide_builder("recommendations", claim="actions")
def recommendations_slide(ctx: DeckContext):
    table = _actions(ctx)
    if table is None:
        return
    if not ctx.stands("actions"):
        return
    rows = [[str(r.rank), r.action, r.evidence, r.owner, HORIZON.label(r.horizon)] for r in table.itertuples()]
    ctx.canvas.paged_table(
        ctx.title("actions"), "Ranked by the materiality of the evidence (share of scale, explained variance or value "
        "at stake); each rests on a finding its evidence supports",
        ctx.notes("actions", "Each action comes from a rule in the engagement's rule file (templates/recommendations.yaml "
                  "unless overridden), fired on a claim the stages saved (results/claims.json).",
                  *[f"{r.rank}. [{r.component}] {str(r.action).rstrip('.')}. Evidence: {str(r.evidence).rstrip('.')} "
                    f"(claim {r.claim if isinstance(r.claim, str) and r.claim else 'none'}; "
                    f"source: {r.source}; rule {r.rule}; priority: {r.priority_basis})" for r in table.itertuples()],
                  tables=("recommendations",)),
        ["#", "Action", "Evidence", "Owner", "Horizon"], rows, [0.4, 4.6, 3.6, 1.6, 1.1])


@slide_builder("roadmap")
def roadmap_slide(ctx: DeckContext):
    phases = ctx.table("roadmap")
    if phases is None or phases.empty:
        return
    rows = [[f"{r.phase}: {r.when}", r.actions, r.owners] for r in phases.itertuples()]
    steps = {"Quick wins": "quick wins first", "Pilot": "pilot in one or two units", "Roll out": "roll out"}
    named = [steps[name] for name in (p.split(". ", 1)[-1] for p in phases["phase"]) if name in steps]
    title = "Roadmap: " + (", then ".join(named) if named else "the actions by phase")
    ctx.canvas.paged_table(title,
                           "The recommended actions by phase; numbers refer to the ranked list of actions",
                           notes("Phases group the recommendations by horizon.", source("roadmap", "recommendations")),
                           ["Phase", "Actions", "Owners"], rows, [2.4, 7.0, 2.4])


@slide_builder("section_appendix")
def section_appendix(ctx: DeckContext):
    ctx.section("Appendix: method, sample sizes and data quality")


def _method_lines(ctx: DeckContext) -> list[str]:
    results = ctx.results
    lines = [c.text + "." for c in results.claims_of("not_covered")]
    analyses = [entry for s in ANALYSIS_STAGES if results.record(s) is not None for entry in results.record(s).left_out]
    if analyses:
        lines.append("Analyses the data could not support: " + "; ".join(analyses) + ".")
    if ctx.left_out:
        lines.append("Left out of this deck for want of data: " + "; ".join(ctx.left_out) + ".")
    lines += [f"{STAGES[s].title}: no results found." for s in ANALYSIS_STAGES if results.record(s) is None]
    reality = results.headlines("reality_check")
    if reality is not None:
        lines.append(f"Diagnostic: {reality.respondents:,} employees. Maturity = mean agreement per dimension "
                     "(t interval); % favourable = top two boxes; levels on the framework's 1-5 scale.")
        if reality.alpha_low is not None:
            warned = len(reality.reliability_warnings)
            lines.append(f"Reliability: Cronbach's alpha {reality.alpha_low:.2f} to {reality.alpha_high:.2f} across "
                         f"dimensions; {warned} warning{'s' if warned != 1 else ''} (see notes).")
        pooled = {"departments": reality.pooled_departments, "levels": reality.pooled_levels}
        pooled_text = " and ".join(f"{n} {kind}" for kind, n in pooled.items() if n)
        cells = reality.suppressed_cells
        lines.append(f"Privacy: no group under {reality.min_group_size} respondents is shown anywhere. "
                     + (f"{pooled_text} were pooled as '{POOLED}' (each too small, or needed to make the pool large "
                        "enough); pooled groups are not named." if pooled_text else "No group needed pooling.")
                     + (f" {cells} cells with too few answers were suppressed." if cells else ""))
    customers = results.headlines("customers")
    if customers is not None:
        segments = (f" Segments: k-means, k = {customers.segments} by silhouette; {customers.imputed_share:.1%} of "
                    f"ratings imputed, {customers.unsegmented} customers unsegmented."
                    if customers.segments is not None else "")
        made = results.record("customers").tables
        lines.append(f"Feedback: {customers.customers:,} customers."
                     + (" Loyalty bands on the main outcome with Wilson intervals." if "loyalty_mix" in made else "")
                     + (" NPS interval from the variance of a difference of proportions." if customers.nps is not None
                        else "") + segments)
    drivers = results.headlines("drivers")
    if drivers is not None:
        model = drivers.model
        intervals = (f"; 95% intervals from {model.resamples:,} resamples ({model.interval_method})"
                     if model.resamples else "")
        # only the methods of analyses that ran: each names the table it made
        more = [what for table, what in (("asymmetry", "dissatisfiers and delighters by penalty-reward contrasts"),
                                         ("segment_drivers", "segments compared by F tests of attribute-by-segment "
                                                             "interactions"))
                if results.table(table) is not None and len(results.table(table))]
        lines.append(f"Drivers: {model.method}, {model.fit} = {model.r2:.2f} on {model.n:,} customers (missing "
                     f"answers: {model.missing}){intervals}." + (f" {'; '.join(more)[:1].upper()}{'; '.join(more)[1:]}."
                                                              if more else ""))
    read = results.claim("comments_read")
    if read is not None:
        lines.append(f"Comments: {read.text}. Themes by the codeframe's stated rules; sentiment by VADER (compound "
                     "score, cut-offs -0.05 and 0.05); personal data removed before any analysis.")
    claims = results.claims()
    if claims:
        supported = sum(c.supported for c in claims)
        lines.append(f"Findings: {len(claims)} claims, {supported} supported by their evidence at "
                     f"{ctx.eng.thresholds.alpha:g} (drivers at {ctx.eng.drivers.alpha:g}); recommendations follow "
                     "only from supported ones. Every claim and its evidence: results/claims.json.")
    lines.append("Tables behind every slide: the Excel appendix beside this deck, one sheet per results table.")
    return lines


@slide_builder("method")
def method_slide(ctx: DeckContext):
    reality = ctx.results.headlines("reality_check")
    slide = ctx.canvas.new_slide("Bullets", "Method and sample sizes", notes_text=notes(
        "Source: results/stage_*.json, summary.json and claims.json"
        + ("; reliability in " + source("reliability").removeprefix("Source: ")
           if ctx.results.has("reliability") else "."),   # only a file the run wrote
        *(reality.reliability_warnings if reality else ())))
    ctx.canvas.set_text(ctx.canvas.placeholder(slide, 1), _method_lines(ctx), 16, 10, space_after_ratio=0.4)


COLUMN_MAX = 48   # characters of a column's name in the data-quality table (the appendix workbook keeps it whole)


@slide_builder("data_quality", claim="data_quality")
def data_quality_slide(ctx: DeckContext):
    quality = ctx.table("data_quality")
    if quality is None or quality.empty:
        return
    if not ctx.stands("data_quality"):
        return
    # a mapped column by the label the deck knows it by (Star Wars' 130-character questions had filled eight slides
    # with two warnings each); others cut as chart labels are, start and end kept where the cut makes two alike
    names = labelled_columns(ctx.eng)
    columns = chart_labels(["" if pd.isna(c) else names.get(str(c), str(c)) for c in quality["column"]], COLUMN_MAX)
    rows = [[SEVERITY.label(r.severity), Path(str(r.file)).name, column, str(r.message)]
            for r, column in zip(quality.itertuples(), columns)]
    ctx.canvas.paged_table(ctx.title("data_quality"), "Warnings from cxkit validate and what the export readers did "
                           "(info); none stopped the run",
                           ctx.notes("data_quality", tables=("data_quality",)),
                           ["Severity", "File", "Column", "Finding"], rows, [1.0, 1.6, 2.0, 7.0])
