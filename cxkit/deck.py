"""The executive deck, built only from a run's saved results (no statistic is recomputed).

Slides come from a registry of small builders (:data:`STORYLINE`), each filling
named layouts of the engagement's template: title, executive summary, one
section per stage, recommendations and an appendix. Charts are native,
editable PowerPoint charts; text is measured to fit its box; each slide's
speaker notes give its numbers, their base, the method and the results file
and notebook that produced them. The deck is written to a temporary file and
moved into place, so a failed build leaves no half-written deck.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from . import __version__
from .config import Engagement
from .errors import CxkitError
from .findings import executive_summary
from .paths import RunPaths
from .privacy import POOLED
from .recommend import recommendations
from .results import STAGES, RunResults, save_table, write_summary
from .textfit import fit_size, text_height, wrap

REQUIRED_LAYOUTS = ("Title", "Section", "Finding + chart", "Two charts", "Table", "Bullets")
TITLE_MAX, TITLE_MIN = 24, 16
BODY_MAX, BODY_MIN = 18, 11
TABLE_FONT = 11
CAPTION_IDX = 13


@dataclass(frozen=True)
class Deck:
    """A built deck: where it is and what is in it."""

    path: Path
    slides: int
    titles: tuple[str, ...]


@dataclass
class DeckContext:
    eng: Engagement
    results: RunResults
    prs: object
    brand: dict
    titles: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- slide helpers

def _layout(ctx: DeckContext, name: str):
    for layout in ctx.prs.slide_layouts:
        if layout.name == name:
            return layout
    raise CxkitError(f"the deck template has no layout named '{name}'; it needs {', '.join(REQUIRED_LAYOUTS)}")


def _placeholder(slide, idx: int):
    for ph in slide.placeholders:
        if ph.placeholder_format.idx == idx:
            return ph
    return None


def _set_text(shape, paragraphs: list[str], max_size: float, min_size: float, bold: bool = False,
              colour: str | None = None, space_after_ratio: float = 0.0) -> None:
    """Put text in a shape at the largest size that fits; raise if it cannot fit at ``min_size``."""
    size = fit_size(paragraphs, shape.width, shape.height, max_size, min_size, bold, space_after_ratio)
    if size is None:
        raise CxkitError(f"text does not fit its box even at {min_size}pt: {paragraphs[0][:80]!r}...")
    frame = shape.text_frame
    frame.clear()
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for i, text in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour)
        if space_after_ratio:
            para.space_after = Pt(size * space_after_ratio)


def _new_slide(ctx: DeckContext, layout: str, title: str, caption: str | None = None, notes: str = ""):
    slide = ctx.prs.slides.add_slide(_layout(ctx, layout))
    _set_text(slide.shapes.title, [title], TITLE_MAX if layout not in ("Title",) else 36, TITLE_MIN, bold=True)
    cap = _placeholder(slide, CAPTION_IDX)
    if cap is not None:
        if caption:
            _set_text(cap, [caption], 13, 9)
        else:
            cap._element.getparent().remove(cap._element)
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    ctx.titles.append(title)
    return slide


def _take_region(slide, idx: int) -> tuple[int, int, int, int]:
    """The box of a layout placeholder, removed from the slide so it never shows empty."""
    ph = _placeholder(slide, idx)
    box = (ph.left, ph.top, ph.width, ph.height)
    ph._element.getparent().remove(ph._element)
    return box


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour)


def _style_chart(chart, legend: bool):
    chart.has_title = False
    chart.font.size = Pt(12)
    chart.font.name = "Arial"
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def _fill_series(series, colour: str):
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(colour)


def _error_bars(series, minus: list[float], plus: list[float]):
    """Custom error bars (95% intervals) on a bar series, in DrawingML (python-pptx has no API for them)."""
    ser = series._element

    def values(tag, data):
        node = ser.makeelement(qn(f"c:{tag}"), {})
        lit = node.makeelement(qn("c:numLit"), {})
        node.append(lit)
        fmt = lit.makeelement(qn("c:formatCode"), {})
        fmt.text = "General"
        lit.append(fmt)
        lit.append(lit.makeelement(qn("c:ptCount"), {"val": str(len(data))}))
        for i, v in enumerate(data):
            pt = lit.makeelement(qn("c:pt"), {"idx": str(i)})
            val = pt.makeelement(qn("c:v"), {})
            val.text = f"{max(float(v), 0.0):.6g}"
            pt.append(val)
            lit.append(pt)
        return node

    bars = ser.makeelement(qn("c:errBars"), {})
    bars.append(bars.makeelement(qn("c:errBarType"), {"val": "both"}))
    bars.append(bars.makeelement(qn("c:errValType"), {"val": "cust"}))
    bars.append(bars.makeelement(qn("c:noEndCap"), {"val": "0"}))
    bars.append(values("plus", plus))
    bars.append(values("minus", minus))
    # errBars sits after dLbls/trendline and before cat/val in CT_BarSer
    anchor = ser.find(qn("c:cat"))
    anchor.addprevious(bars)


def _bar_chart(slide, box, categories, series: dict[str, list[float]], colours: list[str], number_format: str,
               horizontal: bool = True, stacked: bool = False, axis: tuple[float, float] | None = None,
               legend: bool | None = None, labels: bool = True, gap_width: int = 60,
               errors: dict[str, tuple[list[float], list[float]]] | None = None):
    """A native bar chart; ``errors`` maps a series name to its (minus, plus) interval half-widths."""
    categories = list(categories)
    errors = {name: (list(m), list(p)) for name, (m, p) in (errors or {}).items()}
    series = {name: [None if pd.isna(v) else float(v) for v in values] for name, values in series.items()}
    if horizontal:
        # bar charts draw the first category at the bottom: feed them reversed so the table's order reads top-down
        categories = categories[::-1]
        series = {name: values[::-1] for name, values in reversed(list(series.items()))}
        colours = colours[: len(series)][::-1]
        errors = {name: (m[::-1], p[::-1]) for name, (m, p) in errors.items()}
    data = CategoryChartData(number_format=number_format)
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, values)
    if stacked:
        kind = XL_CHART_TYPE.BAR_STACKED_100 if horizontal else XL_CHART_TYPE.COLUMN_STACKED_100
    else:
        kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(kind, *box, data).chart
    _style_chart(chart, len(series) > 1 if legend is None else legend)
    plot = chart.plots[0]
    plot.gap_width = gap_width
    if stacked:
        plot.overlap = 100
    for s, colour in zip(chart.series, colours):
        _fill_series(s, colour)
    if labels:
        for s, colour in zip(chart.series, colours):
            s_labels = s.data_labels
            s_labels.show_value = True
            s_labels.number_format = number_format
            s_labels.number_format_is_linked = False
            s_labels.font.size = Pt(11)
            s_labels.font.color.rgb = _rgb("FFFFFF" if _is_dark(colour) else "262626")
            s_labels.position = XL_LABEL_POSITION.CENTER if stacked else XL_LABEL_POSITION.INSIDE_END
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = False
    value_axis.tick_labels.font.size = Pt(11)
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    if axis:
        value_axis.minimum_scale, value_axis.maximum_scale = axis
    if stacked:
        value_axis.visible = False
    for s in chart.series:
        if s.name in errors:
            _error_bars(s, *errors[s.name])
    category_axis = chart.category_axis
    category_axis.tick_labels.font.size = Pt(12)
    category_axis.has_major_gridlines = False
    return chart


def _is_dark(hex_colour: str) -> bool:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def _table(slide, box, header: list[str], rows: list[list[str]], widths: list[float], font: float = TABLE_FONT,
           fills: list[list[str | None]] | None = None, header_colour: str = "1F4E79"):
    left, top, width, height = box
    row_height = Emu(int(Pt(font * 2.1)))
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width, row_height * (len(rows) + 1))
    table = shape.table
    total = sum(widths)
    col_widths = [int(width * w / total) for w in widths]
    for i, w in enumerate(col_widths):
        table.columns[i].width = Emu(w)
    for r in range(len(rows) + 1):
        table.rows[r].height = row_height
    for c, text in enumerate(header):
        _cell(table.cell(0, c), text, font, bold=True, colour="FFFFFF", fill=header_colour)
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            fill = fills[r - 1][c] if fills else None
            _cell(table.cell(r, c), text, font, fill=fill or ("F2F2F2" if r % 2 == 0 else "FFFFFF"))
    return table


def _cell(cell, text: str, size: float, bold: bool = False, colour: str = "262626", fill: str | None = None):
    cell.text = ""
    frame = cell.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = _rgb(colour)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.margin_top = cell.margin_bottom = Pt(2)
    if fill:
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(fill)


def _row_heights(rows: list[list[str]], col_widths_emu: list[int], font: float) -> list[float]:
    """Height in points each row needs when its cells wrap to their column widths."""
    heights = []
    for row in rows:
        lines = max(len(wrap(text, w / 12700 - 14.4, font)) for text, w in zip(row, col_widths_emu))
        heights.append(lines * font * 1.2 + 4 + 7)
    return heights


def _paged_table(ctx: DeckContext, title: str, caption: str, notes: str, header: list[str], rows: list[list[str]],
                 widths: list[float], fills: list[list[str | None]] | None = None):
    """A table split across as many slides as its rows need, each page within the table area."""
    probe = ctx.prs.slides.add_slide(_layout(ctx, "Table"))
    box = next((ph.left, ph.top, ph.width, ph.height) for ph in probe.placeholders if ph.placeholder_format.idx == 1)
    _drop_last_slide(ctx.prs)
    total = sum(widths)
    col_emu = [int(box[2] * w / total) for w in widths]
    available = box[3] / 12700 - TABLE_FONT * 2.6  # room left after the header row
    heights = _row_heights(rows, col_emu, TABLE_FONT)
    pages, current, used = [], [], 0.0
    for i, h in enumerate(heights):
        if current and used + h > available:
            pages.append(current)
            current, used = [], 0.0
        current.append(i)
        used += h
    pages.append(current)
    if len(pages) > 1:
        pages = _balance(heights, len(pages), available)
    for n, page in enumerate(pages, start=1):
        page_title = title if len(pages) == 1 else f"{title} ({n} of {len(pages)})"
        slide = _new_slide(ctx, "Table", page_title, caption, notes)
        region = _take_region(slide, 1)
        table = _table(slide, region, header, [rows[i] for i in page], widths,
                       fills=[fills[i] for i in page] if fills else None)
        for r, i in enumerate(page, start=1):
            table.rows[r].height = Emu(int(Pt(heights[i])))


def _balance(heights: list[float], n_pages: int, available: float) -> list[list[int]]:
    """Rows spread evenly over ``n_pages`` (no page left with a single straggler), each page within ``available``."""
    target = sum(heights) / n_pages
    pages, current, used = [], [], 0.0
    for i, h in enumerate(heights):
        remaining_pages = n_pages - len(pages)
        if current and (used + h > available or (used + h / 2 > target and remaining_pages > 1)):
            pages.append(current)
            current, used = [], 0.0
        current.append(i)
        used += h
    pages.append(current)
    return pages


def _drop_last_slide(prs):
    slides = prs.slides._sldIdLst
    last = slides[-1]
    prs.part.drop_rel(last.rId)
    slides.remove(last)


def _pct(x) -> str:
    return "n/a" if pd.isna(x) else f"{x:.0%}"


def _num(x, digits: int = 1) -> str:
    return "n/a" if pd.isna(x) else f"{x:,.{digits}f}"


def _notes(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- slide builders

def title_slide(ctx: DeckContext):
    slide = ctx.prs.slides.add_slide(_layout(ctx, "Title"))
    _set_text(slide.shapes.title, [f"{ctx.eng.client}: customer experience, where you stand and what to do next"],
              36, 20, bold=True)
    sub = _placeholder(slide, 1)
    today = _dt.date.today().strftime("%d %B %Y")
    _set_text(sub, [f"Engagement {ctx.eng.engagement_id} | {today}", "Reality check, customers, drivers, metrics and roadmap"],
              18, 11, colour="595959")
    slide.notes_slide.notes_text_frame.text = _notes(
        f"Built by cxkit {__version__} from the run's results folder; configuration hash {ctx.eng.config_hash}.",
        "Every number in this deck is traced in its slide's notes to a results file and the notebook that wrote it.")
    ctx.titles.append(slide.shapes.title.text_frame.text)


def summary_slide(ctx: DeckContext):
    records = [r for r in (ctx.results.record(s) for s in STAGES if s != "deck") if r is not None]
    chosen = executive_summary(records)
    skipped = [f"{STAGES[r.stage]['title']} was not covered: {r.reason}." for r in records if r.status != "done"]
    lines = [f.text + "." for f in chosen] + skipped
    if not lines:
        lines = ["No stage produced results; see the appendix for what the data allowed."]
    slide = _new_slide(ctx, "Bullets", "Executive summary: what matters most", notes=_notes(
        "Ranking rule: the most material finding of each stage, then the next most material overall, up to five. "
        "Materiality is the share of the scale, of customers, of explained variance or of value the finding is about.",
        *[f"- {f.text} [source: {f.source}; materiality {f.materiality:.2f}]" for f in chosen]))
    _set_text(_placeholder(slide, 1), lines, BODY_MAX, BODY_MIN, space_after_ratio=0.5)


def _section(ctx: DeckContext, number: int, title: str):
    slide = ctx.prs.slides.add_slide(_layout(ctx, "Section"))
    _set_text(slide.shapes.title, [title], 32, 18, bold=True)
    _set_text(_placeholder(slide, 1), [f"{number:02d}"], 28, 14, colour="C55A11")
    ctx.titles.append(title)


def _finding_title(ctx: DeckContext, stage: str, fallback: str, index: int = 0) -> str:
    record = ctx.results.record(stage)
    if record and len(record.findings) > index:
        return record.findings[index].text
    return fallback


def reality_slides(ctx: DeckContext):
    if not ctx.results.done("reality_check"):
        return
    eng, res = ctx.eng, ctx.results
    _section(ctx, 1, "Reality check: where the organisation stands")
    maturity = res.table("maturity")
    scale = eng.scales[eng.diagnostic.scale]
    ordered = maturity.sort_values("mean", ascending=False)
    slide = _new_slide(
        ctx, "Finding + chart", _finding_title(ctx, "reality_check", "Maturity by dimension"),
        f"Mean agreement ({scale.min}-{scale.max}) per dimension with 95% intervals, against target; "
        f"n = {int(maturity['n'].max())} employees",
        _notes("Method: respondent's dimension score = mean of answered items (at least half); t interval. Target from the "
               "engagement configuration. Source: results/maturity.csv, notebook 01_reality_check.",
               *[f"{r.label}: mean {r.mean:.2f} (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}), {r.favourable:.0%} favourable, "
                 f"target {r.target:.1f}, gap {r.gap:.2f}, n {r.n}" for r in ordered.itertuples()]))
    _bar_chart(slide, _take_region(slide, 1), ordered["label"],
               {"Current": ordered["mean"], "Target": ordered["target"]},
               [ctx.brand["primary"], ctx.brand["neutral"]], "0.0", axis=(scale.min, scale.max),
               errors={"Current": (ordered["mean"] - ordered["ci_low"], ordered["ci_high"] - ordered["mean"])})

    items = res.table("maturity_items").head(8)
    _paged_table(ctx, "What remains: the statements furthest from target",
                 f"Mean agreement and % favourable (top two boxes) per statement; gap = target - mean",
                 _notes("Source: results/maturity_items.csv, notebook 01_reality_check.",
                        *[f"{r.item}: mean {r.mean:.2f} (CI {r.ci_low:.2f}-{r.ci_high:.2f}), n {r.n}" for r in items.itertuples()]),
                 ["Statement", "Dimension", "Mean", "Favourable", "Gap"],
                 [[r.text or r.item, eng.framework.dimensions[r.dimension].label, _num(r.mean), _pct(r.favourable), _num(r.gap)]
                  for r in items.itertuples()], [6, 2.4, 0.9, 1.2, 0.9])

    by_level = res.table("maturity_by_level")
    gaps = res.table("perception_gaps")
    if by_level is not None and not by_level.empty:
        wide = by_level.pivot(index="label", columns="group", values="mean")
        order = [d.label for d in eng.framework.dimensions.values() if d.label in wide.index]
        wide = wide.loc[order]
        levels = [lv for lv in ("executive", "manager", "frontline", POOLED) if lv in wide.columns]
        names = {**eng.framework.levels, POOLED: POOLED}
        counts = by_level.groupby("group")["n"].max()
        title = (_finding_title(ctx, "reality_check", "", 1) if len(gaps) and gaps["gap"].iloc[0] >= 0.3
                 else "Leaders and frontline see the organisation alike")
        slide = _new_slide(ctx, "Finding + chart", title or "Perception gap by level",
                           "Mean agreement per dimension by level; " + ", ".join(
                               f"{names.get(lv, lv)} n = {int(counts[lv])}" for lv in levels),
                           _notes("Method: level means of respondents' dimension scores; groups under the minimum size "
                                  f"({eng.thresholds.min_group_size}) pooled. Source: results/maturity_by_level.csv and "
                                  "results/perception_gaps.csv, notebook 01_reality_check.",
                                  *[f"{r.label}: executives {r.executive:.2f}, frontline {r.frontline:.2f}, gap {r.gap:+.2f}"
                                    for r in gaps.itertuples()]))
        _bar_chart(slide, _take_region(slide, 1), wide.index, {names.get(lv, lv): wide[lv] for lv in levels},
                   [ctx.brand["primary"], ctx.brand["secondary"], ctx.brand["accent"], ctx.brand["neutral"]], "0.0",
                   axis=(scale.min, scale.max))

    by_dept = res.table("maturity_by_department")
    if by_dept is not None and not by_dept.empty:
        wide = by_dept.pivot(index="group", columns="label", values="mean")
        order = [d.label for d in eng.framework.dimensions.values() if d.label in wide.columns]
        wide = wide[order]
        overall = maturity.set_index("label")["mean"]
        counts = by_dept.groupby("group")["n"].max()
        rows, fills = [], []
        for group in sorted(wide.index, key=lambda g: (g == POOLED, g)):
            rows.append([group, str(int(counts[group]))] + [_num(v) for v in wide.loc[group]])
            fills.append([None, None] + [_heat(v - overall[c]) for c, v in wide.loc[group].items()])
        lag = res.table("lagging_departments")
        title = _finding_title(ctx, "reality_check", "", 2) if lag is not None and len(lag) else \
            "No department lags the organisation by more than 0.3 points"
        _paged_table(ctx, title or "Departments", "Mean agreement by department and dimension; red: 0.3+ points below "
                     "the organisation, green: 0.3+ above", _notes(
                         "Source: results/maturity_by_department.csv, notebook 01_reality_check. Groups under the minimum "
                         f"size ({eng.thresholds.min_group_size}) are pooled as '{POOLED}'."),
                     ["Department", "n"] + order, rows, [2.2, 0.7] + [1.5] * len(order), fills)


def _heat(diff: float) -> str | None:
    if pd.isna(diff):
        return None
    if diff <= -0.3:
        return "F4B6B6"
    if diff >= 0.3:
        return "C6E0B4"
    return None


def customer_slides(ctx: DeckContext):
    if not ctx.results.done("customers"):
        return
    eng, res = ctx.eng, ctx.results
    _section(ctx, 2, "Customers: how they feel and who they are")
    mix, nps = res.table("loyalty_mix"), res.table("nps")
    n = int(mix["n"].iloc[0])
    outcome = eng.feedback.main_outcome
    slide = _new_slide(ctx, "Two charts", _finding_title(ctx, "customers", "Loyalty mix"),
                       f"Left: loyalty mix on {outcome.label.lower()} (n = {n:,}). Right: likelihood to recommend"
                       + (f" (n = {int(nps['n'].iloc[0]):,})" if len(nps) else ""),
                       _notes("Bands: " + "; ".join(f"{r.label} {r.ratings}" for r in mix.itertuples())
                              + ". Intervals: Wilson 95%.",
                              *[f"{r.label}: {r.share:.1%} (95% CI {r.ci_low:.1%}-{r.ci_high:.1%}), {r.count} of {r.n}"
                                for r in mix.itertuples()],
                              *([f"NPS {nps['nps'].iloc[0]:+.1f} (95% CI {nps['ci_low'].iloc[0]:+.1f} to "
                                 f"{nps['ci_high'].iloc[0]:+.1f}); variance of a difference of proportions"] if len(nps) else []),
                              "Source: results/loyalty_mix.csv, results/nps.csv, notebook 02_customers_segments."))
    colours = [ctx.brand["positive"], ctx.brand["secondary"], ctx.brand["neutral"], ctx.brand["negative"]]
    _bar_chart(slide, _take_region(slide, 1), [outcome.label], {r.label: [r.share] for r in mix.itertuples()},
               colours, "0%", stacked=True, legend=True)
    right = _take_region(slide, 2)
    if len(nps):
        row = nps.iloc[0]
        chart = _bar_chart(slide, right, [f"NPS {row['nps']:+.0f}"],
                           {"Promoters (9-10)": [row["promoters"]], "Passives (7-8)": [row["passives"]],
                            "Detractors (0-6)": [row["detractors"]]},
                           [ctx.brand["positive"], ctx.brand["neutral"], ctx.brand["negative"]], "0%", stacked=True,
                           legend=True)
        chart.has_title = False

    profiles, stake = res.table("segment_profiles"), res.table("value_at_stake")
    if profiles is not None and not profiles.empty:
        merged = profiles.merge(stake, on="segment", how="left")
        has_value = "value_at_stake" in merged
        header = ["Segment", "Customers", "NPS", "Truly impressed"] + (["Value share", "Value at stake"] if has_value
                                                                        else ["At risk"])
        rows = []
        for r in merged.itertuples():
            row = [f"{r.segment}. {r.name}", f"{r.n:,} ({r.share:.0%})", _num(getattr(r, 'nps', float('nan')), 0),
                   _pct(r.truly_impressed)]
            row += [_pct(r.value_share), f"{r.value_at_stake:,.0f}"] if has_value else [f"{r.at_risk_customers:,}"]
            rows.append(row)
        _paged_table(ctx, _finding_title(ctx, "customers", "Customer segments", 2),
                     "Attitudinal segments from touchpoint ratings (k-means, k by silhouette); value at stake = value held "
                     "by indifferent and unhappy customers", _notes(
                         "Method: standardised ratings, k-means; k chosen by the best silhouette (results/segment_choice.csv). "
                         "Names come from the touchpoints each segment rates furthest above and below the others.",
                         "Source: results/segment_profiles.csv, results/value_at_stake.csv, notebook 02_customers_segments."),
                     header, rows, [5, 1.8, 0.9, 1.4] + ([1.2, 1.6] if has_value else [1.2]))


def driver_slides(ctx: DeckContext):
    if not ctx.results.done("drivers"):
        return
    res = ctx.results
    _section(ctx, 3, "Drivers: which moments matter")
    key = res.table("key_drivers")
    r2, n, method = key["r2"].iloc[0], int(key["n"].iloc[0]), key["method"].iloc[0]
    slide = _new_slide(ctx, "Finding + chart", _finding_title(ctx, "drivers", "Key drivers"),
                       f"Share of explained variance in {key['outcome'].iloc[0].replace('_', ' ')} "
                       f"(R² = {r2:.2f}, n = {n:,} customers who rated every touchpoint)",
                       _notes(f"Method: {method}; shares of R^2 sum to 100%. Listwise deletion.",
                              *[f"{r.rank}. {r.label}: {r.share:.1%} of R^2 (importance {r.importance:.4f}), direction "
                                f"{'+' if r.direction >= 0 else '-'}, mean {r.performance:.2f}, top-2-box {r.top2:.0%}"
                                for r in key.itertuples()],
                              "Source: results/key_drivers.csv, notebook 03_drivers."))
    _bar_chart(slide, _take_region(slide, 1), key["label"], {"Share of explained variance": key["share"]},
               [ctx.brand["primary"]], "0%", legend=False)

    quad = res.table("moments_of_truth")
    slide = _new_slide(ctx, "Finding + chart", _finding_title(ctx, "drivers", "Importance against performance", 1),
                       "Importance (share of explained variance) against performance (mean rating); lines at the means",
                       _notes("Quadrants: high importance and below-mean performance = moment of truth to fix first; "
                              "high and high = strength; low importance and high performance = possible over-service.",
                              *[f"{r.label}: {r.quadrant} (share {r.share:.1%}, mean {r.performance:.2f})"
                                for r in quad.itertuples()],
                              "Source: results/moments_of_truth.csv, notebook 03_drivers."))
    _scatter(ctx, slide, _take_region(slide, 1), quad)


def _scatter(ctx: DeckContext, slide, box, quad: pd.DataFrame):
    data = XyChartData()
    points = data.add_series("Touchpoints")
    for r in quad.itertuples():
        points.add_data_point(float(r.performance), float(r.share))
    x_low, x_high = float(quad["performance"].min()) - 0.15, float(quad["performance"].max()) + 0.15
    y_high = float(quad["share"].max()) * 1.1
    x_cut, y_cut = quad["performance_threshold"].iloc[0], quad["share_threshold"].iloc[0]
    vertical = data.add_series("Performance threshold")
    vertical.add_data_point(x_cut, 0.0)
    vertical.add_data_point(x_cut, y_high)
    horizontal = data.add_series("Importance threshold")
    horizontal.add_data_point(x_low, y_cut)
    horizontal.add_data_point(x_high, y_cut)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER, *box, data).chart
    _style_chart(chart, legend=False)
    series = chart.series[0]
    series.marker.style = XL_MARKER_STYLE.CIRCLE
    series.marker.size = 10
    series.marker.format.fill.solid()
    series.marker.format.fill.fore_color.rgb = _rgb(ctx.brand["primary"])
    series.format.line.fill.background()
    for i, r in enumerate(quad.itertuples()):
        label = series.points[i].data_label
        label.has_text_frame = True
        label.text_frame.text = r.label
        label.position = XL_LABEL_POSITION.RIGHT
        label.font.size = Pt(11)
        if r.quadrant.startswith("Moment of truth"):
            series.points[i].marker.format.fill.solid()
            series.points[i].marker.format.fill.fore_color.rgb = _rgb(ctx.brand["negative"])
    for line in list(chart.series)[1:]:
        line.marker.style = XL_MARKER_STYLE.NONE
        line.format.line.fill.solid()
        line.format.line.fill.fore_color.rgb = _rgb(ctx.brand["neutral"])
        line.format.line.width = Pt(1)
        line.format.line.dash_style = 4  # dash
        line.smooth = False
    x_axis, y_axis = chart.category_axis, chart.value_axis
    x_axis.minimum_scale, x_axis.maximum_scale = x_low, x_high
    y_axis.minimum_scale, y_axis.maximum_scale = 0.0, y_high
    x_axis.has_major_gridlines = y_axis.has_major_gridlines = False
    x_axis.tick_labels.number_format, x_axis.tick_labels.number_format_is_linked = "0.0", False
    y_axis.tick_labels.number_format, y_axis.tick_labels.number_format_is_linked = "0%", False
    x_axis.has_title = y_axis.has_title = True
    x_axis.axis_title.text_frame.text = "Performance: mean rating"
    y_axis.axis_title.text_frame.text = "Importance: share of explained variance"
    for axis in (x_axis, y_axis):
        axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
        axis.tick_labels.font.size = Pt(11)


def metric_slides(ctx: DeckContext):
    if not ctx.results.done("metrics"):
        return
    card = ctx.results.table("scorecard")
    _section(ctx, 4, "Metrics: what to track and who owns it")

    def fmt(value, unit):
        return _pct(value) if unit == "share" else (f"{value:+.0f}" if unit == "points" else _num(value, 2))

    rows = [[r.layer, r.metric, f"{fmt(r.baseline, r.unit)} ({fmt(r.ci_low, r.unit)} to {fmt(r.ci_high, r.unit)})",
             fmt(r.target, r.unit), r.owner, f"{r.needed_per_period:,}" + ("" if r.cadence_supported else " (short)")]
            for r in card.itertuples()]
    fills = [[None, None, None, None, "F4B6B6" if r.owner_missing else None,
              None if r.cadence_supported else "FCE4D6"] for r in card.itertuples()]
    _paged_table(ctx, _finding_title(ctx, "metrics", "The scorecard: outcomes and the touchpoints that drive them"),
                 f"Baseline with 95% interval, grounded target, owner, and responses needed {card['cadence'].iloc[0]} "
                 "to see the target change (80% power, 5% level)",
                 _notes(*[f"{r.metric}: {r.definition}. Target rule: {r.target_rule}. n {r.n}; needs {r.needed_per_period} "
                          f"{r.cadence}, about {r.available_per_period} available." for r in card.itertuples()],
                        "Source: results/scorecard.csv, notebook 04_metrics."),
                 ["Layer", "Metric", "Baseline (95% CI)", "Target", "Owner", "Responses needed"],
                 rows, [0.9, 3.6, 2.2, 0.9, 2.0, 1.6], fills)


def recommendation_slides(ctx: DeckContext):
    table = recommendations(ctx.results, ctx.eng)
    save_table(ctx.results.paths, "recommendations", table)
    if table.empty:
        return
    _section(ctx, 5, "Recommendations and roadmap")
    rows = [[str(r.rank), r.action, r.evidence, r.owner, r.horizon] for r in table.itertuples()]
    _paged_table(ctx, f"{len(table)} actions follow from the evidence, the largest gaps first",
                 "Ranked by the materiality of the evidence (share of scale, explained variance or value at stake)",
                 _notes("Each action comes from a rule (cxkit.recommend) over the tables that notebooks 01-04 saved; the list "
                        "is results/recommendations.csv, written by notebook 05_deck.",
                        *[f"{r.rank}. [{r.component}] {r.action}. Evidence: {r.evidence} (source: {r.source})"
                          for r in table.itertuples()]),
                 ["#", "Action", "Evidence", "Owner", "Horizon"], rows, [0.4, 4.6, 3.6, 1.6, 1.1])


def appendix_slides(ctx: DeckContext):
    eng, res = ctx.eng, ctx.results
    _section(ctx, 6, "Appendix: method, sample sizes and data quality")
    lines = []
    for stage, meta in STAGES.items():
        if stage == "deck":
            continue
        record = res.record(stage)
        if record is None:
            lines.append(f"{meta['title']}: no results found.")
        elif record.status != "done":
            lines.append(f"{meta['title']}: not covered. {record.reason}.")
    reality = res.record("reality_check")
    if reality and reality.status == "done":
        h = reality.headlines
        lines.append(f"Diagnostic: {h['respondents']:,} employees. Maturity = mean agreement per dimension (t interval); "
                     "% favourable = top two boxes.")
        pooled = {"departments": h.get("pooled_departments", 0), "levels": h.get("pooled_levels", 0)}
        pooled_text = " and ".join(f"{n} {kind}" for kind, n in pooled.items() if n)
        lines.append(f"Privacy: no group under {h['min_group_size']} respondents is shown anywhere. "
                     + (f"{pooled_text} were pooled as '{POOLED}' (each too small, or needed to make the pool large "
                        "enough); pooled groups are not named." if pooled_text else "No group needed pooling."))
    customers = res.record("customers")
    if customers and customers.status == "done":
        h = customers.headlines
        lines.append(f"Feedback: {h['customers']:,} customers. Loyalty bands on the main outcome with Wilson intervals; "
                     f"NPS interval from the variance of a difference of proportions. Segments: k-means, k = {h['segments']} "
                     f"by silhouette; {h['imputed_share']:.1%} of ratings imputed, {h['unsegmented']} customers unsegmented.")
    drivers = res.record("drivers")
    if drivers and drivers.status == "done":
        h = drivers.headlines
        lines.append(f"Drivers: {h['method']} of R² = {h['r2']:.2f}, on {h['n']:,} customers who rated every touchpoint.")
    slide = _new_slide(ctx, "Bullets", "Method and sample sizes", notes="Source: results/stage_*.json and summary.json.")
    _set_text(_placeholder(slide, 1), lines or ["No results."], 16, 10, space_after_ratio=0.4)

    quality = res.table("data_quality")
    if quality is not None and not quality.empty:
        rows = [[r.severity, Path(str(r.file)).name, "" if pd.isna(r.column) else str(r.column), str(r.message)]
                for r in quality.itertuples()]
        _paged_table(ctx, "Data quality: what the checks found", "Warnings from cxkit validate; none stopped the run",
                     "Source: results/data_quality.csv, written by cxkit run before the notebooks.",
                     ["Severity", "File", "Column", "Finding"], rows, [1.0, 1.6, 2.0, 7.0])


STORYLINE = (title_slide, summary_slide, reality_slides, customer_slides, driver_slides, metric_slides,
             recommendation_slides, appendix_slides)


def _brand_from(eng: Engagement) -> dict:
    return eng.deck.brand.model_dump()


def build_deck(eng: Engagement, paths: RunPaths) -> Deck:
    """Build the executive deck from a run's saved results.

    Parameters
    ----------
    eng : Engagement
    paths : RunPaths
        The run folder holding ``results/``.

    Returns
    -------
    Deck
        The path of the written .pptx, its slide count and titles.

    Notes
    -----
    Writes ``summary.json`` (the stage records merged) and
    ``results/recommendations.csv``, then the deck through a temporary file that
    is moved into place only when complete.
    """
    template = eng.template
    if not template.exists():
        raise CxkitError(f"deck template {template} not found. Fix: set deck.template in {eng.source} to a .pptx "
                         "with the layouts " + ", ".join(REQUIRED_LAYOUTS))
    prs = Presentation(str(template))
    missing = [name for name in REQUIRED_LAYOUTS if name not in {layout.name for layout in prs.slide_layouts}]
    if missing:
        raise CxkitError(f"deck template {template} lacks layouts {missing}. Fix: add layouts with those names, or use "
                         "the kit's templates/deck.pptx")
    write_summary(paths, eng)
    ctx = DeckContext(eng, RunResults(paths), prs, _brand_from(eng))
    for builder in STORYLINE:
        builder(ctx)
    target = paths.deck(eng.engagement_id)
    tmp = target.with_name(f".{target.name}.tmp")
    prs.save(str(tmp))
    tmp.replace(target)
    return Deck(target, len(prs.slides), tuple(ctx.titles))
