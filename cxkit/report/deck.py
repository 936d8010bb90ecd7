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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE, XL_TICK_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from .. import __version__
from ..inputs.config import Engagement
from ..report.template import LAYOUT_NAMES
from ..errors import CxkitError
from ..claims.findings import executive_summary
from ..paths import RunPaths
from ..analysis.privacy import POOLED
from ..claims.recommend import recommendations, roadmap
from ..results.store import STAGES, RunResults, save_table, write_summary
from ..report.textfit import fit_size, text_width, wrap
from ..report.workbook import build_workbook

REQUIRED_LAYOUTS = LAYOUT_NAMES
SLIDES: dict[str, Callable[["DeckContext"], None]] = {}


def slide_builder(name: str):
    """Register a slide builder under the name the storyline uses (``deck.storyline`` in the engagement)."""
    def register(builder):
        SLIDES[name] = builder
        return builder
    return register

TITLE_MAX, TITLE_MIN = 24, 16
BODY_MAX, BODY_MIN = 18, 11
TABLE_FONTS = (14, 13, 12, 11)  # the largest that fits one slide is used
CAPTION_IDX = 13


@dataclass(frozen=True)
class Deck:
    """A built deck: where it is and what is in it, and its Excel appendix."""

    path: Path
    slides: int
    titles: tuple[str, ...]
    workbook: Path


@dataclass
class DeckContext:
    eng: Engagement
    results: RunResults
    prs: object
    brand: dict
    recommendations: pd.DataFrame
    font: str = "Arial"  # the template's theme font: text is measured with its metrics
    titles: list[str] = field(default_factory=list)
    sections: int = 0


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


def _set_text(ctx: "DeckContext", shape, paragraphs: list[str], max_size: float, min_size: float, bold: bool = False,
              colour: str | None = None, space_after_ratio: float = 0.0) -> None:
    """Put text in a shape at the largest size that fits; raise if it cannot fit at ``min_size``."""
    size = fit_size(paragraphs, shape.width, shape.height, max_size, min_size, bold, space_after_ratio, ctx.font)
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
    _set_text(ctx, slide.shapes.title, [title], TITLE_MAX if layout not in ("Title",) else 36, TITLE_MIN, bold=True)
    cap = _placeholder(slide, CAPTION_IDX)
    if cap is not None:
        if caption:
            _set_text(ctx, cap, [caption], 13, 9)
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


def _style_chart(chart, legend: bool, family: str):
    chart.has_title = False
    chart.font.size = Pt(12)
    chart.font.name = family
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


def _bar_chart(ctx: "DeckContext", slide, box, categories, series: dict[str, list[float]], colours: list[str],
               number_format: str, horizontal: bool = True, stacked: bool = False, axis: tuple[float, float] | None = None,
               legend: bool | None = None, labels: bool = True, gap_width: int = 60,
               errors: dict[str, tuple[list[float], list[float]]] | None = None):
    """A native bar chart; ``errors`` maps a series name to its (minus, plus) interval half-widths."""
    categories = list(categories)
    errors = {name: (list(m), list(p)) for name, (m, p) in (errors or {}).items()}
    series = {name: [None if pd.isna(v) else float(v) for v in values] for name, values in series.items()}
    if horizontal:
        # bar charts draw the first category at the bottom: feed them reversed so the table's order reads top-down
        categories = categories[::-1]
        errors = {name: (m[::-1], p[::-1]) for name, (m, p) in errors.items()}
        if stacked:  # stacks read left to right in the table's order already
            series = {name: values[::-1] for name, values in series.items()}
        else:  # clustered bars draw the first series lowest in each group
            series = {name: values[::-1] for name, values in reversed(list(series.items()))}
            colours = colours[: len(series)][::-1]
    data = CategoryChartData(number_format=number_format)
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, values)
    if stacked:
        kind = XL_CHART_TYPE.BAR_STACKED_100 if horizontal else XL_CHART_TYPE.COLUMN_STACKED_100
    else:
        kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(kind, *box, data).chart
    _style_chart(chart, len(series) > 1 if legend is None else legend, ctx.font)
    plot = chart.plots[0]
    plot.gap_width = 150 if stacked and len(categories) == 1 else gap_width
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
    category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # labels stay outside, even below negative bars
    category_axis.tick_labels.font.size = Pt(12)
    category_axis.has_major_gridlines = False
    return chart


def _is_dark(hex_colour: str) -> bool:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def _table(slide, box, header: list[str], rows: list[list[str]], widths: list[float], header_colour: str,
           font: float, fills: list[list[str | None]] | None = None):
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


def _row_heights(rows: list[list[str]], col_widths_emu: list[int], font: float, family: str) -> list[float]:
    """Height in points each row needs when its cells wrap to their column widths (2 pt margins, 0.1 in sides)."""
    heights = []
    for row in rows:
        lines = max(len(wrap(text, w / 12700 - 14.4, font, family=family)) for text, w in zip(row, col_widths_emu))
        heights.append(lines * font * 1.2 + 4 + 2)
    return heights


def _paged_table(ctx: DeckContext, title: str, caption: str, notes: str, header: list[str], rows: list[list[str]],
                 widths: list[float], fills: list[list[str | None]] | None = None):
    """A table at the largest size (14 down to 11 pt) that fits one slide; below that, split across slides."""
    probe = ctx.prs.slides.add_slide(_layout(ctx, "Table"))
    box = next((ph.left, ph.top, ph.width, ph.height) for ph in probe.placeholders if ph.placeholder_format.idx == 1)
    _drop_last_slide(ctx.prs)
    for font in TABLE_FONTS:
        col_emu = _column_widths(header, rows, widths, box[2], font, ctx.font)
        header_height = _row_heights([header], col_emu, font, ctx.font)[0]
        available = box[3] / 12700 - header_height
        heights = _row_heights(rows, col_emu, font, ctx.font)
        if sum(heights) <= available:
            break
    pages = [list(range(len(rows)))]
    if sum(heights) > available:
        # the fewest pages that balance; each page holds what fits (a row taller than a page stands alone)
        for n_pages in range(2, len(rows) + 1):
            pages = _balance(heights, n_pages, available)
            if len(pages) <= n_pages:
                break
    for n, page in enumerate(pages, start=1):
        page_title = title if len(pages) == 1 else f"{title} ({n} of {len(pages)})"
        slide = _new_slide(ctx, "Table", page_title, caption, notes)
        region = _take_region(slide, 1)
        table = _table(slide, region, header, [rows[i] for i in page], col_emu, ctx.brand["primary"], font,
                       fills=[fills[i] for i in page] if fills else None)
        table.rows[0].height = Emu(int(Pt(header_height)))
        for r, i in enumerate(page, start=1):
            table.rows[r].height = Emu(int(Pt(heights[i])))


def _column_widths(header: list[str], rows: list[list[str]], weights: list[float], total_emu: int,
                   font: float, family: str) -> list[int]:
    """Column widths in EMU from their weights, widened so no word has to break inside a column."""
    inset = 14.4 + 2  # 0.1 in each side, and a little slack
    need = [max(text_width(word, font, bold=(r == 0), family=family) for r, row in enumerate([header] + rows)
                for word in str(row[j]).split() or [""]) + inset for j in range(len(header))]
    width = [total_emu / 12700 * w / sum(weights) for w in weights]
    short = sum(max(n - w, 0) for n, w in zip(need, width))
    slack = [max(w - n, 0) for n, w in zip(need, width)]
    if short and sum(slack):
        take = min(1.0, short / sum(slack))
        width = [n if n > w else w - s * take for n, w, s in zip(need, width, slack)]
    return [int(w * 12700) for w in width]


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


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _notes(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- slide builders (one slide each; pages where long)

def _finding(ctx: DeckContext, stage: str, key: str, fallback: str) -> str:
    """A slide title: the stage's finding with this key, in words, else the fallback."""
    record = ctx.results.record(stage)
    for finding in (record.findings if record else []):
        if finding.key == key:
            return finding.text
    return fallback


def _logo(ctx: DeckContext, slide, height_in: float):
    logo = ctx.eng.logo_path
    if logo is not None:
        height = Emu(int(height_in * 914400))
        top = Emu(int(0.3 * 914400))
        picture = slide.shapes.add_picture(str(logo), 0, top, height=height)
        picture.left = ctx.prs.slide_width - picture.width - Emu(int(0.4 * 914400))
        picture.name = "Logo"


@slide_builder("title")
def title_slide(ctx: DeckContext):
    slide = ctx.prs.slides.add_slide(_layout(ctx, "Title"))
    _set_text(ctx, slide.shapes.title, [f"{ctx.eng.client}: customer experience, where you stand and what to do next"],
              36, 20, bold=True)
    today = _dt.date.today().strftime("%d %B %Y")
    _set_text(ctx, _placeholder(slide, 1), [f"Engagement {ctx.eng.engagement_id} | {today}",
                                       "Reality check, customers, drivers, metrics and roadmap"], 18, 11)
    _logo(ctx, slide, 0.9)
    slide.notes_slide.notes_text_frame.text = _notes(
        f"Built by cxkit {__version__} from the run's results folder; configuration hash {ctx.eng.config_hash}.",
        "Every number in this deck is traced in its slide's notes to a results file and the notebook that wrote it.")
    ctx.titles.append(slide.shapes.title.text_frame.text)


@slide_builder("executive_summary")
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
    _set_text(ctx, _placeholder(slide, 1), lines, BODY_MAX, BODY_MIN, space_after_ratio=0.5)


def _section(ctx: DeckContext, title: str, stage: str | None = None):
    if stage is not None and not ctx.results.done(stage):
        return
    ctx.sections += 1
    slide = ctx.prs.slides.add_slide(_layout(ctx, "Section"))
    _set_text(ctx, slide.shapes.title, [title], 32, 18, bold=True)
    _set_text(ctx, _placeholder(slide, 1), [f"{ctx.sections:02d}"], 28, 14)
    _logo(ctx, slide, 0.6)
    ctx.titles.append(title)


@slide_builder("section_reality_check")
def section_reality(ctx):
    _section(ctx, "Reality check: where the organisation stands", "reality_check")


@slide_builder("maturity")
def maturity_slide(ctx: DeckContext):
    if not ctx.results.done("reality_check"):
        return
    eng = ctx.eng
    maturity = ctx.results.table("maturity")
    scale = eng.scales[eng.diagnostic.scale]
    ordered = maturity.sort_values("mean", ascending=False)
    slide = _new_slide(
        ctx, "Finding + chart", _finding(ctx, "reality_check", "largest_gap", "Maturity by dimension"),
        f"Mean agreement ({scale.min}-{scale.max}) per dimension with 95% intervals, against target "
        f"({', '.join(sorted(set(maturity['target_source'])))}); n = {int(maturity['n'].max())} employees",
        _notes("Method: respondent's dimension score = mean of answered items (at least half); t interval. Target from the "
               "engagement configuration. Source: results/maturity.csv, notebook 01_reality_check.",
               *[f"{r.label}: mean {r.mean:.2f} (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}), {r.favourable:.0%} favourable, "
                 f"level {r.level} ({r.level_name}), target {r.target:.2f} from {r.target_source}, gap {r.gap:.2f}, n {r.n}"
                 for r in ordered.itertuples()]))
    _bar_chart(ctx, slide, _take_region(slide, 1), ordered["label"],
               {"Current": ordered["mean"], "Target": ordered["target"]},
               [ctx.brand["primary"], ctx.brand["neutral"]], "0.0", axis=(scale.min, scale.max),
               errors={"Current": (ordered["mean"] - ordered["ci_low"], ordered["ci_high"] - ordered["mean"])})


@slide_builder("accomplished")
def accomplished_slide(ctx: DeckContext):
    if not ctx.results.done("reality_check"):
        return
    maturity = ctx.results.table("maturity").dropna(subset=["accomplished"]).sort_values("accomplished", ascending=False)
    index = ctx.results.table("maturity_index")
    levels = "; ".join(f"{m.level} {m.name} from {m.start:.0%}" for m in ctx.eng.framework.maturity_levels)
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "reality_check", "index", "How far the organisation has come"),
                       "Share of the way from the bottom of the scale to the target: accomplished and remaining",
                       _notes(f"Accomplished = (mean - scale minimum) / (target - scale minimum). Maturity levels, on the "
                              f"share of the scale reached: {levels}.",
                              *([f"Overall index {index['mean'][0]:.2f} (95% CI {index['ci_low'][0]:.2f}-"
                                 f"{index['ci_high'][0]:.2f}), level {index['level'][0]} ({index['level_name'][0]}), "
                                 f"n {index['n'][0]}"] if index is not None else []),
                              "Source: results/maturity.csv, results/maturity_index.csv, notebook 01_reality_check."))
    _bar_chart(ctx, slide, _take_region(slide, 1), maturity["label"],
               {"Accomplished": maturity["accomplished"], "Remaining": maturity["remaining"]},
               [ctx.brand["primary"], ctx.brand["neutral"]], "0%", stacked=True, legend=True)


@slide_builder("what_remains")
def what_remains_slide(ctx: DeckContext):
    if not ctx.results.done("reality_check"):
        return
    items = ctx.results.table("maturity_items").head(8)
    dims = ctx.eng.framework.dimensions
    _paged_table(ctx, "What remains: the statements furthest from target",
                 "Mean agreement and % favourable (top two boxes) per statement; gap = target - mean",
                 _notes("Source: results/maturity_items.csv, notebook 01_reality_check.",
                        *[f"{r.item}: mean {r.mean:.2f} (CI {r.ci_low:.2f}-{r.ci_high:.2f}), n {r.n}"
                          for r in items.itertuples()]),
                 ["Statement", "Dimension", "Mean", "Favourable", "Gap"],
                 [[r.text if isinstance(r.text, str) and r.text else r.item, dims[r.dimension].label, _num(r.mean),
                   _pct(r.favourable), _num(r.gap)] for r in items.itertuples()], [6, 2.4, 0.9, 1.2, 0.9])


@slide_builder("perception_gap")
def perception_gap_slide(ctx: DeckContext):
    by_level, gaps = ctx.results.table("maturity_by_level"), ctx.results.table("perception_gaps")
    if not ctx.results.done("reality_check") or by_level is None or by_level.empty:
        return
    eng = ctx.eng
    scale = eng.scales[eng.diagnostic.scale]
    wide = by_level.pivot(index="label", columns="group", values="mean")
    wide = wide.loc[[d.label for d in eng.framework.dimensions.values() if d.label in wide.index]]
    levels = [lv for lv in ("executive", "manager", "frontline", POOLED) if lv in wide.columns]
    names = {**eng.framework.levels, POOLED: POOLED}
    counts = by_level.groupby("group")["n"].max()
    title = _finding(ctx, "reality_check", "perception_gap", "Leaders and frontline see the organisation alike")
    significant = int(gaps["significant"].sum()) if len(gaps) else 0
    slide = _new_slide(ctx, "Finding + chart", title,
                       "Mean agreement by level (" + ", ".join(
                           f"{names.get(lv, lv)} n = {int(counts[lv])}" for lv in levels)
                       + f"); a real difference on {significant} of {len(gaps)} dimensions (Holm-adjusted tests)",
                       _notes("Method: level means of respondents' dimension scores; groups under the minimum size "
                              f"({eng.thresholds.min_group_size}) pooled. Mann-Whitney tests executives against frontline, "
                              "Holm-adjusted across dimensions; effect size rank-biserial r. Flagged: leaders "
                              f"{eng.thresholds.perception_margin:g}+ points above the frontline. Source: "
                              "results/maturity_by_level.csv and results/perception_gaps.csv, notebook 01_reality_check.",
                              *[f"{r.label}: executives {r.executive:.2f}, frontline {r.frontline:.2f}, gap {r.gap:+.2f}, "
                                f"r = {r.rank_biserial:.2f}, Holm p = {r.p_holm:.2g}{' (flagged)' if r.flagged else ''}"
                                for r in gaps.itertuples()]))
    _bar_chart(ctx, slide, _take_region(slide, 1), wide.index, {names.get(lv, lv): wide[lv] for lv in levels},
               [ctx.brand["primary"], ctx.brand["secondary"], ctx.brand["accent"], ctx.brand["neutral"]], "0.0",
               axis=(scale.min, scale.max))


@slide_builder("departments")
def departments_slide(ctx: DeckContext):
    by_dept = ctx.results.table("maturity_by_department")
    if not ctx.results.done("reality_check") or by_dept is None or by_dept.empty:
        return
    eng = ctx.eng
    wide = by_dept.pivot(index="group", columns="label", values="mean")
    order = [d.label for d in eng.framework.dimensions.values() if d.label in wide.columns]
    wide = wide[order]
    overall = ctx.results.table("maturity").set_index("label")["mean"]
    counts = by_dept.groupby("group")["n"].max()
    margin = eng.thresholds.lagging_margin
    rows, fills = [], []
    for group in sorted(wide.index, key=lambda g: (g == POOLED, g)):
        rows.append([group, str(int(counts[group]))] + ["–" if pd.isna(v) else _num(v) for v in wide.loc[group]])
        fills.append([None, None] + [_heat(v - overall[c], margin) for c, v in wide.loc[group].items()])
    variance = ctx.results.table("department_variance")
    between = ""
    if variance is not None and len(variance):
        between = f"; ICC(1) {max(variance['icc1'].min(), 0):.0%}-{max(variance['icc1'].max(), 0):.0%}"
    title = _finding(ctx, "reality_check", "lagging_department",
                     f"No department lags the organisation by more than {margin:g} points")
    _paged_table(ctx, title, f"Mean agreement by department; red / green: {margin:g}+ points below / above everyone; "
                 f"– suppressed (base under {eng.thresholds.min_group_size}){between}", _notes(
                     "ICC(1) and eta squared from a one-way ANOVA of respondents' dimension scores across departments "
                     "(results/department_variance.csv).",
                     *([f"{r.label}: ICC1 {r.icc1:.3f}, eta2 {r.eta_squared:.3f}, p {r.p:.2g}" for r in variance.itertuples()]
                       if variance is not None else []),
                     "Source: results/maturity_by_department.csv, notebook 01_reality_check. Groups under the minimum "
                     f"size ({eng.thresholds.min_group_size}) are pooled as '{POOLED}'."),
                 ["Department", "n"] + order, rows, [2.2, 0.7] + [1.5] * len(order), fills)


def _heat(diff: float, margin: float) -> str | None:
    if pd.isna(diff):
        return "E7E6E6"
    if diff <= -margin:
        return "F4B6B6"
    if diff >= margin:
        return "C6E0B4"
    return None


@slide_builder("readiness")
def readiness_slide(ctx: DeckContext):
    kcc, by_level = ctx.results.table("readiness"), ctx.results.table("readiness_by_level")
    if not ctx.results.done("reality_check") or kcc is None or kcc.empty:
        return
    eng = ctx.eng
    scale = eng.scales[eng.diagnostic.scale]
    names = {**eng.framework.levels, POOLED: POOLED}
    series = {"Everyone": list(kcc["mean"])}
    if by_level is not None and len(by_level):
        wide = by_level.pivot(index="group", columns="readiness", values="mean")
        for level in [lv for lv in ("executive", "manager", "frontline", POOLED) if lv in wide.index]:
            series[names.get(level, level)] = [wide.loc[level].get(k, np.nan) for k in kcc["readiness"]]
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "reality_check", "weakest_link", "Know, care and can"),
                       f"Readiness indices: mean agreement ({scale.min}-{scale.max}) with the statements mapped to each, "
                       "for everyone and by level",
                       _notes("Method: each respondent's mean over the statements mapped to Know, Care or Can; t intervals.",
                              *[f"{r.label}: {r.mean:.2f} (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}), {r.items} statements, "
                                f"n {r.n}" for r in kcc.itertuples()],
                              "Source: results/readiness.csv, results/readiness_by_level.csv, notebook 01_reality_check."))
    _bar_chart(ctx, slide, _take_region(slide, 1), kcc["label"], series,
               [ctx.brand["neutral"], ctx.brand["primary"], ctx.brand["secondary"], ctx.brand["accent"]], "0.0",
               horizontal=False, axis=(scale.min, scale.max))


@slide_builder("driving_force")
def driving_force_slide(ctx: DeckContext):
    forces = ctx.results.table("driving_force")
    if not ctx.results.done("reality_check") or forces is None or forces.empty:
        return
    names = {"all": "Everyone", **ctx.eng.framework.levels, POOLED: POOLED}
    wide = forces.pivot(index="label", columns="group", values="mean")
    order = list(dict.fromkeys(forces["label"]))
    groups = [g for g in ("all", "executive", "manager", "frontline", POOLED) if g in wide.columns]
    n = forces.groupby("group")["n"].max()
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "reality_check", "driving_force", "What drives the business"),
                       "Mean of 100 points split across what really drives the business (" + ", ".join(
                           f"{names[g]} n = {n[g]:.0f}" for g in groups if pd.notna(n[g])) + ")",
                       _notes("Rows adding up to 100 within the tolerance were rescaled; rows further off, or with text or "
                              "negative points, were left out (see the data quality slide).",
                              *[f"{r.group} {r.label}: {r.mean:.1f} (95% CI {r.ci_low:.1f}-{r.ci_high:.1f}), n {r.n:.0f}"
                                for r in forces.itertuples() if not r.suppressed],
                              "Source: results/driving_force.csv, notebook 01_reality_check."))
    _bar_chart(ctx, slide, _take_region(slide, 1), order, {names[g]: list(wide.loc[order, g]) for g in groups},
               [ctx.brand["neutral"], ctx.brand["primary"], ctx.brand["secondary"], ctx.brand["accent"], "7F7F7F"], "0",
               horizontal=False)


@slide_builder("section_customers")
def section_customers(ctx):
    _section(ctx, "Customers: how they feel and who they are", "customers")


@slide_builder("loyalty_mix")
def loyalty_slide(ctx: DeckContext):
    if not ctx.results.done("customers"):
        return
    mix, nps = ctx.results.table("loyalty_mix"), ctx.results.table("nps")
    n = int(mix["n"].iloc[0])
    outcome = ctx.eng.feedback.main_outcome
    slide = _new_slide(ctx, "Two charts", _finding(ctx, "customers", "loyalty_mix", "Loyalty mix"),
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
    _bar_chart(ctx, slide, _take_region(slide, 1), [outcome.label], {r.label: [r.share] for r in mix.itertuples()},
               colours, "0%", stacked=True, legend=True)
    right = _take_region(slide, 2)
    if len(nps):
        row = nps.iloc[0]
        _bar_chart(ctx, slide, right, [f"NPS {row['nps']:+.0f}"],
                   {"Promoters (9-10)": [row["promoters"]], "Passives (7-8)": [row["passives"]],
                    "Detractors (0-6)": [row["detractors"]]},
                   [ctx.brand["positive"], ctx.brand["neutral"], ctx.brand["negative"]], "0%", stacked=True, legend=True)


@slide_builder("expectations")
def expectations_slide(ctx: DeckContext):
    gaps = ctx.results.table("expectation_gaps")
    if not ctx.results.done("customers") or gaps is None or gaps.empty:
        return
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "customers", "expectations", "Expectation against perception"),
                       "Mean of perception minus expectation per touchpoint, with 95% intervals; above zero, customers "
                       f"find it better than they expected (n = {int(gaps['n'].min()):,} to {int(gaps['n'].max()):,})",
                       _notes("Method: per-respondent paired difference, t interval; share exceeding with Wilson interval.",
                              *[f"{r.label}: gap {r.gap:+.2f} (95% CI {r.ci_low:+.2f} to {r.ci_high:+.2f}); perception "
                                f"{r.perception:.2f}, expectation {r.expectation:.2f}; {r.exceeds:.0%} exceed, n {r.n}"
                                for r in gaps.itertuples()],
                              "Source: results/expectation_gaps.csv, notebook 02_customers_segments."))
    _bar_chart(ctx, slide, _take_region(slide, 1), gaps["label"], {"Perception - expectation": gaps["gap"]},
               [ctx.brand["primary"]], "+0.0;-0.0;0.0", legend=False,
               errors={"Perception - expectation": (gaps["gap"] - gaps["ci_low"], gaps["ci_high"] - gaps["gap"])})


@slide_builder("consistency")
def consistency_slide(ctx: DeckContext):
    steady = ctx.results.table("consistency")
    if not ctx.results.done("customers") or steady is None or steady.empty:
        return
    outcome = ctx.eng.feedback.main_outcome
    bands, patterns = steady[steady["kind"] == "band"], steady[steady["kind"] == "pattern"]
    slide = _new_slide(ctx, "Two charts", _finding(ctx, "customers", "consistency", "Consistency across touchpoints"),
                       f"Mean {outcome.label.lower()} by how consistent a customer's ratings are (left: spread of ratings; "
                       "right: all touchpoints good, or one poor among good)",
                       _notes("Spread: standard deviation of a customer's ratings over 3+ touchpoints; Consistent up to 0.5, "
                              "Mixed up to 1.0, Inconsistent above. Good: top two boxes; poor: bottom two.",
                              *[f"{r.group}: n {r.n}, {r.share:.0%} of customers, outcome {r.outcome:.2f} (95% CI "
                                f"{r.ci_low:.2f}-{r.ci_high:.2f}), truly impressed {r.truly_impressed:.0%}"
                                for r in steady.itertuples()],
                              "Source: results/consistency.csv, notebook 02_customers_segments."))
    scale = ctx.eng.scales[outcome.scale]
    for region, part in ((1, bands), (2, patterns)):
        box = _take_region(slide, region)
        labels = [f"{r.group} ({r.share:.0%})" for r in part.itertuples()]
        _bar_chart(ctx, slide, box, labels, {outcome.label: part["outcome"]}, [ctx.brand["primary"]], "0.0",
                   horizontal=False, legend=False, axis=(scale.min, scale.max),
                   errors={outcome.label: (part["outcome"] - part["ci_low"], part["ci_high"] - part["outcome"])})


@slide_builder("segments")
def segments_slide(ctx: DeckContext):
    profiles, stake = ctx.results.table("segment_profiles"), ctx.results.table("value_at_stake")
    if not ctx.results.done("customers") or profiles is None or profiles.empty:
        return
    merged = profiles.merge(stake, on="segment", how="left")
    has_value = "value_at_stake" in merged
    header = ["Segment", "Customers", "NPS", "Truly impressed"] + (["Value share", "Value at stake"] if has_value
                                                                    else ["At risk"])
    rows = []
    for r in merged.itertuples():
        row = [f"{r.segment}. {r.name}", f"{r.n:,} ({r.share:.0%})", _num(getattr(r, "nps", float("nan")), 0),
               _pct(r.truly_impressed)]
        row += [_pct(r.value_share), f"{r.value_at_stake:,.0f}"] if has_value else [f"{r.at_risk_customers:,}"]
        rows.append(row)
    record = ctx.results.record("customers")
    stability = record.headlines.get("stability") if record else None
    stable = f"; stability (bootstrap ARI) {stability:.2f}" if stability is not None else ""
    _paged_table(ctx, _finding(ctx, "customers", "segment_stability",
                               _finding(ctx, "customers", "segments", "Customer segments and what they are worth")),
                 f"Attitudinal segments from touchpoint ratings (k-means, k by silhouette{stable}); value at stake = "
                 "value held by indifferent and unhappy customers", _notes(
                     "Method: standardised ratings, k-means; k chosen by the best silhouette (results/segment_choice.csv). "
                     "Names come from the touchpoints each segment rates furthest above and below the others.",
                     "Source: results/segment_profiles.csv, results/value_at_stake.csv, notebook 02_customers_segments."),
                 header, rows, [5, 1.8, 0.9, 1.4] + ([1.2, 1.6] if has_value else [1.2]))


@slide_builder("value_at_stake")
def value_at_stake_slide(ctx: DeckContext):
    stake, profiles = ctx.results.table("value_at_stake"), ctx.results.table("segment_profiles")
    if not ctx.results.done("customers") or stake is None or stake.empty or "value_at_stake" not in stake:
        return
    names = profiles.set_index("segment")["name"]
    labels = [f"Segment {r.segment}" for r in stake.itertuples()]
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "customers", "value_at_stake", "Value at stake"),
                       "Value held by each segment's customers: at stake (indifferent or unhappy) and secure",
                       _notes(*[f"Segment {r.segment} ({names[r.segment]}): value {r.value:,.0f}, at stake "
                                f"{r.value_at_stake:,.0f} ({r.at_risk_share:.0%} of its customers at risk)"
                                for r in stake.itertuples()],
                              "Source: results/value_at_stake.csv, notebook 02_customers_segments."))
    _bar_chart(ctx, slide, _take_region(slide, 1), labels,
               {"At stake": stake["value_at_stake"], "Secure": stake["value"] - stake["value_at_stake"]},
               [ctx.brand["negative"], ctx.brand["secondary"]], "#,##0", horizontal=False, stacked=False, legend=True)


@slide_builder("descriptors")
def descriptors_slide(ctx: DeckContext):
    table = ctx.results.table("descriptor_comparisons")
    if not ctx.results.done("customers") or table is None or table.empty:
        return
    outcome = ctx.eng.feedback.main_outcome
    tests = table.groupby("descriptor", sort=False)[["kw_p", "chi2_p"]].first()
    real = [d for d, r in tests.iterrows() if (r["kw_p"] < 0.05) or (r["chi2_p"] < 0.05)]
    title = (f"Outcomes differ by {' and '.join(d.replace('_', ' ') for d in real)}" if real
             else f"{outcome.label} is much the same across " + ", ".join(d.replace('_', ' ') for d in tests.index))
    rows = [[str(r.descriptor).replace("_", " ").capitalize(), str(r.value), f"{r.n:,}",
             "small base" if r.small_base else f"{r.outcome:.2f} ({r.ci_low:.2f}-{r.ci_high:.2f})",
             "" if r.small_base else _pct(r.truly_impressed), "" if r.small_base or pd.isna(r.nps) else f"{r.nps:+.0f}",
             f"{r.kw_p:.2g}"] for r in table.itertuples()]
    _paged_table(ctx, title, f"{outcome.label} (95% CI), truly impressed and NPS by descriptor; p: Kruskal-Wallis across "
                 f"the descriptor's values, Holm-adjusted; bases under {ctx.eng.thresholds.min_respondents} not shown",
                 _notes("Source: results/descriptor_comparisons.csv, notebook 02_customers_segments."),
                 ["Descriptor", "Value", "n", f"{outcome.label} (95% CI)", "Truly impressed", "NPS", "p"], rows,
                 [1.6, 1.6, 0.9, 2.4, 1.4, 0.9, 0.9])


@slide_builder("section_drivers")
def section_drivers(ctx):
    _section(ctx, "Drivers: which moments matter", "drivers")


@slide_builder("key_drivers")
def key_drivers_slide(ctx: DeckContext):
    if not ctx.results.done("drivers"):
        return
    key = ctx.results.table("key_drivers")
    first = key.iloc[0]
    r2, n, method, fit = first["r2"], int(first["n"]), first["method"], first["fit"]
    has_intervals = key["share_low"].notna().all()
    record = ctx.results.record("drivers")
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "drivers", "top_driver", "Key drivers"),
                       f"Share of explained variance in {first['outcome_label'].lower()} ({fit} = {r2:.2f}, n = {n:,} "
                       "customers" + ("; bars show 95% bootstrap intervals)" if has_intervals else ")"),
                       _notes(f"Method: {method}; shares of {fit} sum to 100%. Missing answers: {first['missing']}. "
                              f"Intervals: {int(first['resamples'])} bootstrap resamples (percentile).",
                              *[f"{r.rank}. {r.label}: {r.share:.1%} of {fit} (95% CI {r.share_low:.1%}-{r.share_high:.1%}), "
                                f"direction {'+' if r.direction >= 0 else '-'}, mean {r.performance:.2f}, top-2-box "
                                f"{r.top2:.0%}, VIF {r.vif:.1f}" for r in key.itertuples()],
                              *(record.headlines.get("warnings", []) + record.headlines.get("notes", []) if record else []),
                              "Source: results/key_drivers.csv, notebook 03_drivers."))
    errors = {"Share of explained variance": (key["share"] - key["share_low"], key["share_high"] - key["share"])}
    _bar_chart(ctx, slide, _take_region(slide, 1), key["label"], {"Share of explained variance": key["share"]},
               [ctx.brand["primary"]], "0%", legend=False, errors=errors if has_intervals else None)


@slide_builder("asymmetry")
def asymmetry_slide(ctx: DeckContext):
    table = ctx.results.table("asymmetry")
    if not ctx.results.done("drivers") or table is None or table.empty:
        return
    table = table.sort_values("share", ascending=False, kind="stable")
    first = table.iloc[0]
    labels = [f"{r.label} ({r.kind.lower()})" if r.kind in ("Dissatisfier", "Delighter") else r.label
              for r in table.itertuples()]
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "drivers", "asymmetry", "Dissatisfiers and delighters"),
                       f"Points of {first['outcome'].replace('_', ' ')} lost when a touchpoint is {first['low_rule']} and "
                       f"gained when {first['high_rule']}, against a middle rating (n = {int(first['n']):,})",
                       _notes("Method: penalty-reward contrast analysis (Brandt 1987; Mittal, Ross & Baldasare 1998): one "
                              "regression of the outcome on low and top dummies of every touchpoint; HC1 robust errors. "
                              "Dissatisfier: only the penalty is significant, or it is significantly larger; delighter: "
                              "the reverse; both: both significant and similar.",
                              *[f"{r.label}: penalty {r.penalty:.2f} (p {r.penalty_p:.3f}), reward {r.reward:.2f} "
                                f"(p {r.reward_p:.3f}), difference p {r.asymmetry_p:.3f}: {r.kind}; share of R² "
                                f"{r.share:.1%}" for r in table.itertuples()],
                              "Source: results/asymmetry.csv, notebook 03_drivers."))
    chart = _bar_chart(ctx, slide, _take_region(slide, 1), labels,
                       {"Penalty when rated low": -table["penalty"], "Reward when rated top": table["reward"]},
                       [ctx.brand["negative"], ctx.brand["positive"]], "0.0", legend=True, gap_width=60)
    chart.plots[0].overlap = 100  # penalty left and reward right on one line per touchpoint


@slide_builder("what_if")
def what_if_slide(ctx: DeckContext):
    table = ctx.results.table("what_if")
    if not ctx.results.done("drivers") or table is None or table.empty:
        return
    first = table.iloc[0]
    impressed = "impressed_change" in table and table["impressed_change"].notna().all()
    column, unit = ("impressed_change", "0.0%") if impressed else ("outcome_change", "0.00")
    ranked = table.sort_values(column, ascending=False)
    what = "the share truly impressed (percentage points)" if impressed else f"mean {first['outcome'].replace('_', ' ')}"
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "drivers", "what_if", "What raising one touchpoint is worth"),
                       f"Modelled rise in {what} if every customer rated one touchpoint {first['raise_by']:g} points "
                       "higher (ratings stop at the top of the scale); associations, not guarantees",
                       _notes("Method: the outcome change is the full regression's slope times the mean possible rise; the "
                              "share truly impressed comes from a logistic model of the top loyalty band (average of "
                              "predicted probabilities with the touchpoint raised, minus as fitted).",
                              *[f"{r.label}: mean {r.mean_now:.2f} to {r.mean_after:.2f} ({r.at_top:.0%} already at the "
                                f"top); outcome {r.outcome_now:.2f} {r.outcome_change:+.2f}"
                                + (f"; truly impressed {r.impressed_now:.1%} to {r.impressed_after:.1%}" if impressed else "")
                                for r in ranked.itertuples()],
                              "Source: results/what_if.csv, notebook 03_drivers."))
    _bar_chart(ctx, slide, _take_region(slide, 1), ranked["label"], {"Modelled rise": ranked[column]},
               [ctx.brand["primary"]], unit, legend=False)


@slide_builder("yes_no_drivers")
def yes_no_drivers_slide(ctx: DeckContext):
    table = ctx.results.table("yes_no_drivers")
    if not ctx.results.done("drivers") or table is None or table.empty:
        return
    outcomes = list(dict.fromkeys(table["outcome_label"]))
    wide = table.pivot(index="label", columns="outcome_label", values="share")[outcomes]
    wide = wide.sort_values(outcomes[0], ascending=False)
    fits = {r.outcome_label: f"{r.fit} = {r.r2:.2f}, n = {int(r.n):,}" for r in table.drop_duplicates("outcome").itertuples()}
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "drivers", "yes_no_drivers", "What drives the yes/no outcomes"),
                       "Share of each yes/no outcome's explained variation by touchpoint; "
                       + "; ".join(f"{name}: {fit}" for name, fit in fits.items()),
                       _notes(f"Method: {table['method'].iloc[0]}.",
                              *[f"{r.outcome_label} - {r.label}: {r.share:.1%} (95% CI {r.share_low:.1%}-{r.share_high:.1%}), "
                                f"direction {'+' if r.direction >= 0 else '-'}" for r in table.itertuples()],
                              "Source: results/yes_no_drivers.csv, notebook 03_drivers."))
    colours = [ctx.brand["primary"], ctx.brand["accent"], ctx.brand["secondary"], ctx.brand["neutral"]]
    _bar_chart(ctx, slide, _take_region(slide, 1), wide.index, {name: wide[name] for name in outcomes},
               colours[: len(outcomes)], "0%", legend=len(outcomes) > 1, gap_width=50)


@slide_builder("segment_drivers")
def segment_drivers_slide(ctx: DeckContext):
    table = ctx.results.table("segment_drivers")
    if not ctx.results.done("metrics") or table is None or table["segment"].nunique() < 2:
        return
    segments = table.drop_duplicates("segment").sort_values("segment")
    order = ctx.results.table("key_drivers")["attribute"].tolist()
    header = ["Touchpoint"] + [f"Segment {s}" for s in segments["segment"]] + ["Differs?"]
    rows, fills = [], []
    for attribute in [a for a in order if a in set(table["attribute"])]:
        part = table[table["attribute"] == attribute].set_index("segment")
        shares = [part["share"].get(s) for s in segments["segment"]]
        differs = bool(part["differs"].iloc[0])
        top = max(range(len(shares)), key=lambda i: -1 if pd.isna(shares[i]) else shares[i])
        rows.append([part["label"].iloc[0]] + [_pct(v) if pd.notna(v) else "-" for v in shares]
                    + [f"Yes ({_p_text(part['differs_p'].iloc[0])})" if differs else "No"])
        fills.append([None] + [ctx.brand["secondary"] if differs and i == top else None for i in range(len(shares))]
                     + [None])
    first = table.iloc[0]
    _paged_table(ctx, _finding(ctx, "metrics", "segment_drivers", "What drives each segment"),
                 "Share of explained variance within each segment; shaded: the segment where a touchpoint that differs "
                 f"matters most (overall test {_p_text(first['overall_p'])})",
                 _notes(f"Test: {first['test']}; per touchpoint, its interactions alone, Holm-adjusted.",
                        *[f"Segment {r.segment}: {r.name} (n = {int(r.n):,}, R² = {r.r2:.2f})" for r in segments.itertuples()],
                        "Source: results/segment_drivers.csv, notebook 04_metrics."),
                 header, rows, [3.2] + [1.2] * len(segments) + [1.6], fills)


@slide_builder("importance_performance")
def importance_performance_slide(ctx: DeckContext):
    if not ctx.results.done("drivers"):
        return
    quad = ctx.results.table("moments_of_truth")
    slide = _new_slide(ctx, "Finding + chart", _finding(ctx, "drivers", "moments_of_truth", "Importance against performance"),
                       "Importance (share of explained variance) against performance (mean rating); lines at the "
                       f"{quad['threshold_rule'].iloc[0] if 'threshold_rule' in quad else 'mean'}s across touchpoints; "
                       "red: moments of truth",
                       _notes("Quadrants: high importance and below-threshold performance = moment of truth to fix first; "
                              "high and high = strength; low importance and high performance = possible over-service.",
                              *[f"{r.label}: {r.quadrant} (share {r.share:.1%}, mean {r.performance:.2f})"
                                for r in quad.itertuples()],
                              "Source: results/moments_of_truth.csv, notebook 03_drivers."))
    _scatter(ctx, slide, _take_region(slide, 1), quad)


def _scatter(ctx: DeckContext, slide, box, quad: pd.DataFrame):
    data = XyChartData()
    fix = quad["quadrant"].str.startswith("Moment of truth")
    # Moments of truth are their own series so their colour is a series colour every renderer keeps.
    # The longest series goes first: LibreOffice drops a first XY series that is shorter than a later one.
    groups = [(name, part, colour) for name, part, colour in
              (("Moments of truth", quad[fix], ctx.brand["negative"]), ("Other touchpoints", quad[~fix], ctx.brand["primary"]))
              if len(part)]
    groups.sort(key=lambda g: -len(g[1]))
    for name, part, _colour in groups:
        series = data.add_series(name)
        for r in part.itertuples():
            series.add_data_point(float(r.performance), float(r.share))
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
    _style_chart(chart, False, ctx.font)
    all_series = list(chart.series)
    for series, (_name, part, colour) in zip(all_series, groups):
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.size = 10
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(colour)
        series.marker.format.line.fill.background()
        series.format.line.fill.background()
        for i, r in enumerate(part.itertuples()):
            label = series.points[i].data_label
            label.has_text_frame = True
            label.text_frame.text = r.label
            label.position = XL_LABEL_POSITION.RIGHT
            label.font.size = Pt(11)
    for line in all_series[len(groups):]:
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


@slide_builder("section_metrics")
def section_metrics(ctx):
    _section(ctx, "Metrics: what to track and who owns it", "metrics")


@slide_builder("scorecard")
def scorecard_slide(ctx: DeckContext):
    if not ctx.results.done("metrics"):
        return
    card = ctx.results.table("scorecard")

    def fmt(value, unit):
        return _pct(value) if unit == "share" else (f"{value:+.0f}" if unit == "points" else _num(value, 2))

    rows = [[r.layer, r.metric, f"{fmt(r.baseline, r.unit)} ({fmt(r.ci_low, r.unit)} to {fmt(r.ci_high, r.unit)})",
             fmt(r.target, r.unit), _target_source(r.target_rule), r.owner,
             f"{r.needed_per_period:,}" + ("" if r.cadence_supported else " (short)")] for r in card.itertuples()]
    fills = [[None, None, None, None, None, "F4B6B6" if r.owner_missing else None,
              None if r.cadence_supported else "FCE4D6"] for r in card.itertuples()]
    title = _finding(ctx, "metrics", "unowned_metrics",
                     _finding(ctx, "metrics", "cadence", "The scorecard: outcomes and the touchpoints that drive them"))
    _paged_table(ctx, title,
                 f"Baseline with 95% interval, grounded target, owner, and responses needed {card['cadence'].iloc[0]} "
                 "to see the target change (80% power, 5% level)",
                 _notes(*[f"{r.metric}: {r.definition}. Target rule: {r.target_rule}. n {r.n}; needs {r.needed_per_period} "
                          f"{r.cadence}, about {r.available_per_period} available." for r in card.itertuples()],
                        "Source: results/scorecard.csv, notebook 04_metrics."),
                 ["Layer", "Metric", "Baseline (95% CI)", "Target", "Target from", "Owner", "Responses needed"],
                 rows, [0.9, 3.3, 2.1, 0.8, 1.3, 1.9, 1.5], fills)


def _target_source(rule: str) -> str:
    for start, words in (("best segment", "Best segment"), ("best department", "Best department"),
                         ("what-if", "What-if"), ("baseline plus", "Uplift")):
        if rule.startswith(start):
            return words
    return rule


@slide_builder("departmental_balance")
def departmental_balance_slide(ctx: DeckContext):
    balance = ctx.results.table("departmental_balance")
    if not ctx.results.done("metrics") or balance is None or balance.empty:
        return
    rows = [[r.owner, r.drivers, _pct(r.importance), _pct(r.performance), f"{r.vs_all * 100:+.0f} pts", _pct(r.impact)]
            for r in balance.itertuples()]
    fills = [[None] * 4 + ["F4B6B6" if r.vs_all < -0.05 else None, None] for r in balance.itertuples()]
    _paged_table(ctx, _finding(ctx, "metrics", "departmental_balance", "Each department's part in what drives customers"),
                 "Share of the explained outcome each department's touchpoints carry, how they score (importance-weighted "
                 "top-2-box) against the average, and their part of what is left to win",
                 _notes("Method: key driver shares summed by owning department (feedback.attributes[].owner); performance "
                        "weighted by those shares; what is left to win = share x (1 - top-2-box), as a part of the total.",
                        "Source: results/departmental_balance.csv, notebook 04_metrics."),
                 ["Department", "Touchpoints", "Importance", "Top-2-box", "Vs average", "Left to win"], rows,
                 [1.8, 4.2, 1.2, 1.2, 1.2, 1.2], fills)


@slide_builder("wave_changes")
def wave_changes_slide(ctx: DeckContext):
    trend = ctx.results.table("wave_trend")
    if not ctx.results.done("metrics") or trend is None or trend.empty:
        return
    waves = sorted(trend["wave"].astype(str).unique())
    trend = trend.assign(wave=trend["wave"].astype(str))
    previous, last = waves[-2], waves[-1]

    def fmt(value, unit):
        return _pct(value) if unit == "share" else (f"{value:+.0f}" if unit == "points" else _num(value, 2))

    rows, fills = [], []
    for metric, part in trend.groupby("metric", sort=False):
        before, now = part[part["wave"] == previous].iloc[0], part[part["wave"] == last].iloc[0]
        change = now["change"] * (100 if now["unit"] == "share" else 1)
        verdict = "Real change" if now["significant"] else "Within noise"
        if now["outside_band"]:
            verdict += "; outside control band"
        rows.append([metric, fmt(before["value"], now["unit"]), fmt(now["value"], now["unit"]),
                     f"{change:+.1f}" + (" pts" if now["unit"] == "share" else ""), _p_text(now["change_p"]), verdict])
        fills.append([None] * 5 + [ctx.brand["secondary"] if now["significant"] else None])
    _paged_table(ctx, _finding(ctx, "metrics", "wave_trend", "What moved between waves"),
                 f"Each metric in {last} against {previous}: only changes that pass a test at the 5% level count as real; "
                 "the control band is three standard errors around the metric's level over all waves",
                 _notes("Tests: two-proportion z test (pooled) for shares; z test of the difference for NPS and means. "
                        "Control band: centre over all waves +/- 3 standard errors at each wave's n.",
                        "Source: results/wave_trend.csv, notebook 04_metrics."),
                 ["Metric", previous, last, "Change", "Test", "Verdict"], rows, [3.6, 1.1, 1.1, 1.1, 1.3, 2.6], fills)


@slide_builder("wave_trend")
def wave_trend_slide(ctx: DeckContext):
    trend = ctx.results.table("wave_trend")
    if not ctx.results.done("metrics") or trend is None or trend.empty:
        return
    waves = sorted(trend["wave"].astype(str).unique())
    trend = trend.assign(wave=trend["wave"].astype(str))
    shares = trend[trend["unit"] == "share"]
    shares = shares[shares["metric"].isin(list(dict.fromkeys(shares["metric"]))[:3])]  # the outcomes and top driver
    nps = trend[trend["unit"] == "points"]
    slide = _new_slide(ctx, "Two charts", "The outcomes and the top driver per survey wave, with 95% intervals",
                       f"Left: shares per wave. Right: NPS per wave with 95% intervals. Waves: {', '.join(waves)}",
                       _notes(*[f"{r.wave} {r.metric}: {r.value:.3f} (95% CI {r.ci_low:.3f}-{r.ci_high:.3f}), n {r.n}"
                                for r in trend.itertuples()],
                              "Source: results/wave_trend.csv, notebook 04_metrics."))
    left = _take_region(slide, 1)
    data = CategoryChartData(number_format="0%")
    data.categories = waves
    for metric, part in shares.groupby("metric", sort=False):
        data.add_series(metric, list(part.set_index("wave").reindex(waves)["value"]))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, *left, data).chart
    _style_chart(chart, True, ctx.font)
    for series, colour in zip(chart.series, [ctx.brand["primary"], ctx.brand["accent"], ctx.brand["secondary"]]):
        series.format.line.fill.solid()
        series.format.line.fill.fore_color.rgb = _rgb(colour)
        series.format.line.width = Pt(2.5)
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(colour)
        series.smooth = False
        series.data_labels.show_value = True
        series.data_labels.number_format, series.data_labels.number_format_is_linked = "0%", False
        series.data_labels.position = XL_LABEL_POSITION.ABOVE
        series.data_labels.font.size = Pt(11)
    chart.value_axis.minimum_scale = 0.0
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format, chart.value_axis.tick_labels.number_format_is_linked = "0%", False
    right = _take_region(slide, 2)
    if len(nps):
        values = nps.set_index("wave").reindex(waves)
        low = max(-100.0, min(0.0, 10 * np.floor(values["ci_low"].min() / 10 - 0.5)))
        high = min(100.0, max(0.0, 10 * np.ceil(values["ci_high"].max() / 10 + 0.5)))
        _bar_chart(ctx, slide, right, waves, {"NPS": values["value"]}, [ctx.brand["primary"]], "+0;-0;0",
                   horizontal=False, legend=False, axis=(low, high),
                   errors={"NPS": (values["value"] - values["ci_low"], values["ci_high"] - values["value"])})


@slide_builder("section_recommendations")
def section_recommendations(ctx):
    if not ctx.recommendations.empty:
        _section(ctx, "Recommendations and roadmap")


@slide_builder("recommendations")
def recommendations_slide(ctx: DeckContext):
    table = ctx.recommendations
    if table.empty:
        return
    rows = [[str(r.rank), r.action, r.evidence, r.owner, r.horizon] for r in table.itertuples()]
    _paged_table(ctx, f"{len(table)} actions follow from the evidence, the largest gaps first",
                 "Ranked by the materiality of the evidence (share of scale, explained variance or value at stake)",
                 _notes("Each action comes from a rule in the engagement's rule file (templates/recommendations.yaml "
                        "unless overridden) over the tables that notebooks 01-04 saved; the list is "
                        "results/recommendations.csv, written by notebook 05_deck.",
                        *[f"{r.rank}. [{r.component}] {r.action}. Evidence: {r.evidence} (source: {r.source}; rule "
                          f"{r.rule}; priority: {r.priority_basis})" for r in table.itertuples()]),
                 ["#", "Action", "Evidence", "Owner", "Horizon"], rows, [0.4, 4.6, 3.6, 1.6, 1.1])


@slide_builder("roadmap")
def roadmap_slide(ctx: DeckContext):
    phases = ctx.results.table("roadmap")
    if phases is None or phases.empty:
        return
    rows = [[f"{r.phase}: {r.when}", r.actions, r.owners] for r in phases.itertuples()]
    _paged_table(ctx, "Roadmap: quick wins first, then pilot in one or two units, then roll out",
                 "The recommended actions by phase; numbers refer to the ranked list of actions",
                 _notes("Phases group results/recommendations.csv by horizon (cxkit.claims.recommend.roadmap, notebook 05_deck); "
                        "the table is results/roadmap.csv."),
                 ["Phase", "Actions", "Owners"], rows, [2.4, 7.0, 2.4])


@slide_builder("section_appendix")
def section_appendix(ctx):
    _section(ctx, "Appendix: method, sample sizes and data quality")


@slide_builder("method")
def method_slide(ctx: DeckContext):
    res = ctx.results
    lines = []
    for stage, meta in STAGES.items():
        record = res.record(stage) if stage != "deck" else None
        if stage != "deck" and record is None:
            lines.append(f"{meta['title']}: no results found.")
        elif record is not None and record.status != "done":
            lines.append(f"{meta['title']}: not covered; {record.reason}.")
    reality = res.record("reality_check")
    if reality and reality.status == "done":
        h = reality.headlines
        lines.append(f"Diagnostic: {h['respondents']:,} employees. Maturity = mean agreement per dimension (t interval); "
                     "% favourable = top two boxes; levels on the framework's 1-5 scale.")
        if "alpha_range" in h:
            warned = len(h.get("reliability_warnings", []))
            lines.append(f"Reliability: Cronbach's alpha {h['alpha_range'][0]:.2f} to {h['alpha_range'][1]:.2f} across "
                         f"dimensions; {warned} warning{'s' if warned != 1 else ''} (see notes).")
        pooled = {"departments": h.get("pooled_departments", 0), "levels": h.get("pooled_levels", 0)}
        pooled_text = " and ".join(f"{n} {kind}" for kind, n in pooled.items() if n)
        cells = h.get("suppressed_cells", 0)
        lines.append(f"Privacy: no group under {h['min_group_size']} respondents is shown anywhere. "
                     + (f"{pooled_text} were pooled as '{POOLED}' (each too small, or needed to make the pool large "
                        "enough); pooled groups are not named." if pooled_text else "No group needed pooling.")
                     + (f" {cells} cells with too few answers were suppressed." if cells else ""))
    customers = res.record("customers")
    if customers and customers.status == "done":
        h = customers.headlines
        lines.append(f"Feedback: {h['customers']:,} customers. Loyalty bands on the main outcome with Wilson intervals; "
                     f"NPS interval from the variance of a difference of proportions. Segments: k-means, k = {h['segments']} "
                     f"by silhouette; {h['imputed_share']:.1%} of ratings imputed, {h['unsegmented']} customers unsegmented.")
    drivers = res.record("drivers")
    if drivers and drivers.status == "done":
        h = drivers.headlines
        intervals = f"; 95% intervals from {h['resamples']} bootstrap resamples" if h.get("resamples") else ""
        lines.append(f"Drivers: {h['method']}, {h['fit']} = {h['r2']:.2f} on {h['n']:,} customers (missing answers: "
                     f"{h.get('missing', 'listwise')}){intervals}. Dissatisfiers and delighters by penalty-reward "
                     "contrasts; segments compared by F tests of attribute-by-segment interactions.")
    lines.append("Tables behind every slide: the Excel appendix beside this deck, one sheet per results table.")
    warnings = reality.headlines.get("reliability_warnings", []) if reality and reality.status == "done" else []
    slide = _new_slide(ctx, "Bullets", "Method and sample sizes", notes=_notes(
        "Source: results/stage_*.json, summary.json; reliability in results/reliability.csv (01_reality_check).",
        *warnings))
    _set_text(ctx, _placeholder(slide, 1), lines, 16, 10, space_after_ratio=0.4)


@slide_builder("data_quality")
def data_quality_slide(ctx: DeckContext):
    quality = ctx.results.table("data_quality")
    if quality is None or quality.empty:
        return
    rows = [[r.severity, Path(str(r.file)).name, "" if pd.isna(r.column) else str(r.column), str(r.message)]
            for r in quality.itertuples()]
    _paged_table(ctx, "Data quality: what the checks found", "Warnings from cxkit validate and what the export "
                 "readers did (info); none stopped the run",
                 "Source: results/data_quality.csv, written by cxkit run before the notebooks.",
                 ["Severity", "File", "Column", "Finding"], rows, [1.0, 1.6, 2.0, 7.0])


def theme_font(prs) -> str:
    """The template's body font (its theme's minor Latin font)."""
    theme = etree.fromstring(prs.slide_master.part.part_related_by(RT.THEME).blob)
    latin = theme.find(".//a:minorFont/a:latin", {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"})
    return latin.get("typeface") if latin is not None else "Arial"


def build_deck(eng: Engagement, paths: RunPaths) -> Deck:
    """Build the executive deck and the Excel appendix from a run's saved results.

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
    Slides follow ``deck.storyline`` (names of builders in :data:`SLIDES`); a
    builder whose results are absent adds nothing. Writes ``summary.json`` (the
    stage records merged), ``results/recommendations.csv``, the deck and the
    appendix workbook, each through a temporary file moved into place when complete.
    """
    unknown = [name for name in eng.deck.storyline if name not in SLIDES]
    if unknown:
        raise CxkitError(f"{eng.source}: deck.storyline names unknown slides {unknown}. Fix: use names from "
                         + ", ".join(SLIDES))
    template = eng.template
    if not template.exists():
        raise CxkitError(f"deck template {template} not found. Fix: set deck.template in {eng.source} to a .pptx "
                         "with the layouts " + ", ".join(REQUIRED_LAYOUTS))
    prs = Presentation(str(template))
    missing = [name for name in REQUIRED_LAYOUTS if name not in {layout.name for layout in prs.slide_layouts}]
    if missing:
        raise CxkitError(f"deck template {template} lacks layouts {missing}. Fix: add layouts with those names, or use "
                         "the kit's templates/deck.pptx")
    for _ in range(len(prs.slides)):  # a firm template may carry example slides
        _drop_last_slide(prs)
    write_summary(paths, eng)
    results = RunResults(paths)
    actions = recommendations(results, eng)
    save_table(paths, "recommendations", actions)
    save_table(paths, "roadmap", roadmap(actions))
    ctx = DeckContext(eng, results, prs, eng.deck.brand.model_dump(), actions, theme_font(prs))
    for name in eng.deck.storyline:
        SLIDES[name](ctx)
    target = paths.deck(eng.engagement_id)
    tmp = target.with_name(f".{target.name}.tmp")
    prs.save(str(tmp))
    tmp.replace(target)
    workbook = build_workbook(eng, paths)
    return Deck(target, len(prs.slides), tuple(ctx.titles), workbook)
