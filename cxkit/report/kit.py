"""The deck's drawing kit: slides from the template's named layouts, text fitted to its box, tables that
size and page themselves, and native (editable) charts. It knows nothing of results or claims.

Colours come from the engagement's brand and the template's theme (:class:`Palette`); fonts from the
template's theme, whose metric twin measures the text (:mod:`cxkit.report.textfit`).
"""

from __future__ import annotations

import copy
import html
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
from lxml import etree
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.chart.xlsx import CategoryWorkbookWriter, XyWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE, XL_TICK_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt, lazyproperty
from xlsxwriter import Workbook

from ..errors import CxkitError
from ..results.text import in_text, number
from .placement import label_positions
from .template import LAYOUT_NAMES
from .textfit import fit_size, joined, pieces, text_width, wrap

TITLE_MAX, TITLE_MIN = 24, 14
BODY_MAX, BODY_MIN = 18, 10
TABLE_FONTS = (14, 13, 12, 11)   # the largest that fits one slide is used; below it, pages
# client text is cut at a word past these lengths where it is drawn (the notes and the workbook keep it whole): a
# chart's category or series name, a label beside a point, one paragraph of several in a box (so one long label
# cannot push the other bullets out)
CHART_LABEL_MAX, POINT_LABEL_MAX, PARAGRAPH_MAX = 50, 40, 400   # 50: two lines beside a bar; a third makes the
                                                                 # chart skip every other category's label
CAPTION_IDX = 13
SCATTER_MARKER, SCATTER_LABEL_PT = 10, 11   # points
# A point's label is wrapped here, to lines this much narrower (pt) than a third of the chart's smaller side:
# LibreOffice wraps a data label at that third, less its insets (VSeriesPlotter::createDataLabel; on an 881 x 360 pt
# chart it kept 108.2 pt on a line and broke 110.7 pt, so the slack lies between 9.3 and 11.8), and PowerPoint
# wider, so neither wraps the lines again and the placement knows each label's true height.
SCATTER_LABEL_SLACK = 10.5
# a scatter's plot area inside its chart, as LibreOffice draws it with titled axes (left, top, right, bottom; pt)
SCATTER_MARGINS = (62.0, 10.0, 12.0, 50.0)
LABEL_POSITIONS = {"right": XL_LABEL_POSITION.RIGHT, "left": XL_LABEL_POSITION.LEFT,
                   "above": XL_LABEL_POSITION.ABOVE, "below": XL_LABEL_POSITION.BELOW}
_A = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}


def tint(hex_colour: str, amount: float) -> str:
    """The colour moved ``amount`` (0-1) of the way to white."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in (r, g, b))


def is_dark(hex_colour: str) -> bool:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def _theme(prs):
    return etree.fromstring(prs.slide_master.part.part_related_by(RT.THEME).blob)


def theme_font(prs) -> str:
    """The template's body font (its theme's minor Latin font)."""
    latin = _theme(prs).find(".//a:minorFont/a:latin", _A)
    return latin.get("typeface") if latin is not None else "Arial"


def theme_text_colour(prs) -> str:
    """The template's dark text colour (its theme's dk1), as six hex digits."""
    node = _theme(prs).find(".//a:clrScheme/a:dk1", _A)
    for child in (node if node is not None else []):
        value = child.get("val") if child.tag.endswith("srgbClr") else child.get("lastClr")
        if value and len(value) == 6:
            return value.upper()
    return "000000"


@dataclass(frozen=True)
class Palette:
    """The deck's colours: the brand's, and fills derived from them."""

    primary: str
    secondary: str
    accent: str
    positive: str
    negative: str
    neutral: str
    text: str

    @classmethod
    def of(cls, brand: dict, prs) -> "Palette":
        return cls(brand["primary"], brand["secondary"], brand["accent"], brand["positive"], brand["negative"],
                   brand["neutral"], theme_text_colour(prs))

    @property
    def series(self) -> list[str]:
        """Colours for up to five series, in order."""
        return [self.primary, self.secondary, self.accent, self.neutral, tint(self.primary, 0.5)]

    @property
    def band(self) -> str:       # alternate table rows
        return tint(self.neutral, 0.85)

    @property
    def muted(self) -> str:      # a cell with nothing to show (suppressed)
        return tint(self.neutral, 0.6)

    @property
    def bad(self) -> str:        # a cell that reads badly
        return tint(self.negative, 0.7)

    @property
    def good(self) -> str:       # a cell that reads well
        return tint(self.positive, 0.6)

    @property
    def caution(self) -> str:    # a cell to check
        return tint(self.accent, 0.8)


class _TextCells:
    """Writes a native chart's data workbook (the one PowerPoint opens to edit the chart) with every text as text:
    XlsxWriter otherwise turns a category or series name beginning with "=", which can be a client's value, into a
    live formula, and a web address into a link (see :mod:`cxkit.results.formulas`)."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        yield workbook, workbook.add_worksheet()
        workbook.close()


class _CategoryCells(_TextCells, CategoryWorkbookWriter):
    pass


class _XyCells(_TextCells, XyWorkbookWriter):
    pass


class CategoryData(CategoryChartData):
    """Bar and line chart data whose workbook holds text as text (:class:`_TextCells`)."""

    @lazyproperty
    def _workbook_writer(self):
        return _CategoryCells(self)


class XyData(XyChartData):
    """Scatter chart data whose workbook holds text as text (:class:`_TextCells`)."""

    @lazyproperty
    def _workbook_writer(self):
        return _XyCells(self)


def pct(x) -> str:
    return "n/a" if pd.isna(x) else number(x, ".0%")


def num(x, digits: int = 1) -> str:
    return "n/a" if pd.isna(x) else number(x, f",.{digits}f")


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def interval(frame: pd.DataFrame, value: str, low: str = "ci_low", high: str = "ci_high"):
    """A column's 95% interval as the (minus, plus) half-widths a chart's error bars take."""
    return frame[value] - frame[low], frame[high] - frame[value]


# a tag starts right after "<" (HTML's own rule), so "a < b > c" and "<5 years" are text, not markup
_BREAK = re.compile(r"<br\s*/?>|</?(?:p|div|li)\b[^<>]*>", re.I)
_MARKUP = re.compile(r"</?(?:b|i|u|em|strong|span|font|sup|sub|a|ul|ol)\b[^<>]*>", re.I)


def plain(text) -> str:
    """Text as a reader sees it: survey exports carry the questions' HTML (``<br>``, ``<b>``, ``&amp;``); line
    breaks become spaces and formatting tags go, while text that only looks like a tag ("<5 years") stays."""
    text = html.unescape(_MARKUP.sub("", _BREAK.sub(" ", str(text))))
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def one_line(text) -> str:
    """:func:`plain` text for a box, a cell or a chart: a line break in a client's value reads as a space."""
    return re.sub(r"\s*\n\s*", " ", plain(text))


CELL_MAX = 160   # characters a table cell shows; longer client text (a whole survey question) is cut at a word
HEADER_MAX = 60  # and a column's heading (an outcome's label heads a column of several tables)


def _cap(text: str, most: int = CELL_MAX) -> str:
    """A table cell's text, cut at a word with an ellipsis past ``most`` characters: the workbook and the notes
    keep it whole, and a question's full wording must not make one row fill a slide. Text without spaces (Chinese,
    Japanese) is cut at a character."""
    if len(text) <= most:
        return text
    cut = text[:most].rsplit(" ", 1)[0].rstrip(" ,;:")
    return (cut or text[:most]) + " …"


def label(text, most: int = CHART_LABEL_MAX) -> str:
    """A client's label as a chart shows it: plain text on one line, cut at a word past ``most`` characters."""
    return _cap(one_line(text), most)


def chart_labels(texts, most: int = CHART_LABEL_MAX) -> list[str]:
    """:func:`label` for each of a chart's categories; labels that the cut would make alike (two long questions
    that start the same way) keep their start and their end instead, so each bar can still be told apart."""
    texts = [one_line(t) for t in texts]
    shown = [_cap(t, most) for t in texts]
    half = (most - 3) // 2
    return [f"{t[:half].rstrip()} … {t[-half:].lstrip()}"
            if any(other == cut and original != t for other, original in zip(shown, texts)) else cut
            for t, cut in zip(texts, shown)]


def title_labels(labels, most: int = CHART_LABEL_MAX) -> dict[str, str]:
    """How a client's long labels read in slide titles, by each form a sentence gives them (as written, and inside
    a sentence, :func:`cxkit.results.text.in_text`): cut as the charts cut them (:func:`chart_labels`), so a
    120-character question does not push a title's verdict off the slide. The speaker notes keep the claim whole."""
    labels = list(dict.fromkeys(one_line(t) for t in labels if t))
    forms = {}
    for full, short in zip(labels, chart_labels(labels, most)):
        if short == full:
            continue
        inside = in_text(full)
        forms[inside] = f"“{short}”" if inside.startswith("“") else in_text(short)
        forms[full] = short
    return forms


def with_short_labels(text: str, forms: dict[str, str]) -> str:
    """``text`` with every long label in it in its title form (:func:`title_labels`), the longest first."""
    for full in sorted(forms, key=len, reverse=True):
        text = text.replace(full, forms[full])
    return text


def tagged(label: str, tag: str, most: int = CHART_LABEL_MAX) -> str:
    """A chart label with a tag after it, the label cut first (:func:`chart_labels`) so a long one keeps its tag."""
    return f"{chart_labels([label], most - len(tag) - 1)[0]} {tag}"


def notes(*lines: str) -> str:
    return "\n".join(plain(line) for line in lines if line)


def value_text(value, unit: str) -> str:
    """A metric's value in its unit: a share as a percentage, NPS points signed, a mean with two decimals."""
    return pct(value) if unit == "share" else (number(value, "+.0f") if unit == "points" else num(value, 2))


@dataclass
class Canvas:
    """A presentation being drawn: the template's layouts, its font, the palette; the titles drawn so far."""

    prs: object
    palette: Palette
    font: str = "Arial"
    titles: list[str] = field(default_factory=list)
    before_slide: object = None   # called before each content slide is added (a deck draws a waiting section first)
    short_labels: dict = field(default_factory=dict)   # long labels' forms in titles (:func:`title_labels`)

    # ------------------------------------------------------------------ slides and text

    def layout(self, name: str):
        for layout in self.prs.slide_layouts:
            if layout.name == name:
                return layout
        raise CxkitError(f"the deck template has no layout named '{name}'; it needs {', '.join(LAYOUT_NAMES)}")

    @staticmethod
    def placeholder(slide, idx: int):
        for ph in slide.placeholders:
            if ph.placeholder_format.idx == idx:
                return ph
        return None

    def set_text(self, shape, paragraphs: list[str], max_size: float, min_size: float, bold: bool = False,
                 colour: str | None = None, space_after_ratio: float = 0.0) -> None:
        """Put text in a shape at the largest size that fits; below ``min_size`` it is cut at a word with an
        ellipsis (the full text stays in the speaker notes), so a long client label never breaks a deck."""
        paragraphs = [one_line(p) for p in paragraphs]
        if len(paragraphs) > 1:
            paragraphs = [_cap(p, PARAGRAPH_MAX) for p in paragraphs]
        size = fit_size(paragraphs, shape.width, shape.height, max_size, min_size, bold, space_after_ratio, self.font)
        if size is None:
            size, paragraphs = min_size, self._shorten(paragraphs, shape, min_size, bold, space_after_ratio)
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

    def _shorten(self, paragraphs, shape, size, bold, space_after_ratio) -> list[str]:
        """The paragraphs that fit at ``size``, the first that does not cut at a word (a character in Chinese,
        Japanese or Korean, or inside a word wider than the box) with an ellipsis."""
        def fits(candidate):
            return fit_size(candidate, shape.width, shape.height, size, size, bold, space_after_ratio,
                            self.font) is not None

        def most(count, shown):   # binary search for the largest count whose shown text fits
            low, high = 0, count
            while low < high:
                middle = (low + high + 1) // 2
                if fits(kept + [shown(middle) + " …"]):
                    low = middle
                else:
                    high = middle - 1
            return low

        kept = []
        for text in paragraphs:
            if fits(kept + [text]):
                kept.append(text)
                continue
            units = pieces(text)
            low = most(len(units), lambda n: joined(units[:n]))
            if low:
                return kept + [joined(units[:low]) + " …"]
            first = units[0][0] if units else ""
            low = most(len(first), lambda n: first[:n])
            return kept + [first[:low] + " …" if low else "…"]
        return kept

    def new_slide(self, layout: str, title: str, caption: str | None = None, notes_text: str = ""):
        if self.before_slide is not None:
            self.before_slide()
        slide = self.prs.slides.add_slide(self.layout(layout))
        title = with_short_labels(plain(title), self.short_labels)
        self.set_text(slide.shapes.title, [title], TITLE_MAX, TITLE_MIN, bold=True)
        cap = self.placeholder(slide, CAPTION_IDX)
        if cap is not None:
            if caption:
                self.set_text(cap, [caption], 13, 9)
            else:
                cap._element.getparent().remove(cap._element)
        if notes_text:
            slide.notes_slide.notes_text_frame.text = plain(notes_text)
        self.titles.append(title)
        return slide

    def take_region(self, slide, idx: int) -> tuple[int, int, int, int]:
        """The box of a layout placeholder, removed from the slide so it never shows empty."""
        ph = self.placeholder(slide, idx)
        box = (ph.left, ph.top, ph.width, ph.height)
        ph._element.getparent().remove(ph._element)
        return box

    def drop_last_slide(self):
        slides = self.prs.slides._sldIdLst
        last = slides[-1]
        self.prs.part.drop_rel(last.rId)
        slides.remove(last)

    # ------------------------------------------------------------------ charts

    def _style_chart(self, chart, legend: bool):
        chart.has_title = False
        chart.font.size = Pt(12)
        chart.font.name = self.font
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False

    @staticmethod
    def _fill(series, colour: str):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(colour)

    def bar_chart(self, slide, box, categories, series: dict[str, list[float]], colours: list[str],
                  number_format: str, horizontal: bool = True, stacked: bool = False,
                  axis: tuple[float, float] | None = None, legend: bool | None = None, labels: bool = True,
                  gap_width: int = 60, errors: dict[str, tuple[list[float], list[float]]] | None = None,
                  overlap: int | None = None):
        """A native bar chart; ``errors`` maps a series name to its (minus, plus) interval half-widths."""
        categories = chart_labels(categories)
        if len({label(name) for name in series}) == len(series):   # cut names that would merge two series stay whole
            series = {label(name): values for name, values in series.items()}
            errors = {label(name): bars for name, bars in (errors or {}).items()}
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
        data = CategoryData(number_format=number_format)
        data.categories = categories
        for name, values in series.items():
            data.add_series(name, values)
        if stacked:
            kind = XL_CHART_TYPE.BAR_STACKED_100 if horizontal else XL_CHART_TYPE.COLUMN_STACKED_100
        else:
            kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
        chart = slide.shapes.add_chart(kind, *box, data).chart
        self._style_chart(chart, len(series) > 1 if legend is None else legend)
        plot = chart.plots[0]
        plot.gap_width = 150 if stacked and len(categories) == 1 else gap_width
        if stacked:
            plot.overlap = 100
        elif overlap is not None:
            plot.overlap = overlap
        for s, colour in zip(chart.series, colours):
            self._fill(s, colour)
        if labels:
            for s, colour in zip(chart.series, colours):
                s_labels = s.data_labels
                s_labels.show_value = True
                s_labels.number_format = number_format
                s_labels.number_format_is_linked = False
                s_labels.font.size = Pt(11)
                s_labels.font.color.rgb = RGBColor.from_string("FFFFFF" if is_dark(colour) else self.palette.text)
                # a bar with an interval has its label at its base: at its end the interval's line ran through it
                s_labels.position = (XL_LABEL_POSITION.CENTER if stacked else XL_LABEL_POSITION.INSIDE_BASE
                                     if s.name in errors else XL_LABEL_POSITION.INSIDE_END)
        value_axis = chart.value_axis
        value_axis.has_major_gridlines = False
        value_axis.tick_labels.font.size = Pt(11)
        value_axis.tick_labels.number_format = number_format
        value_axis.tick_labels.number_format_is_linked = False
        if axis:
            value_axis.minimum_scale, value_axis.maximum_scale = axis
        elif errors and not stacked:
            # PowerPoint and LibreOffice scale an axis to the bars alone: an interval reaching past them was cut off
            reach = interval_reach(series, errors)
            if reach is not None:
                value_axis.minimum_scale, value_axis.maximum_scale = reach
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

    def line_chart(self, slide, box, categories: list[str], series: dict[str, list[float]], colours: list[str],
                   number_format: str, minimum: float | None = None):
        """A native line chart with markers and a value label on each point."""
        data = CategoryData(number_format=number_format)
        data.categories = chart_labels(categories)
        for name, values in series.items():
            name = label(name)
            data.add_series(name, [None if pd.isna(v) else float(v) for v in values])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, *box, data).chart
        self._style_chart(chart, True)
        for s, colour in zip(chart.series, colours):
            s.format.line.fill.solid()
            s.format.line.fill.fore_color.rgb = RGBColor.from_string(colour)
            s.format.line.width = Pt(2.5)
            s.marker.format.fill.solid()
            s.marker.format.fill.fore_color.rgb = RGBColor.from_string(colour)
            s.smooth = False
            s.data_labels.show_value = True
            s.data_labels.number_format, s.data_labels.number_format_is_linked = number_format, False
            s.data_labels.position = XL_LABEL_POSITION.ABOVE
            s.data_labels.font.size = Pt(11)
        if minimum is not None:
            chart.value_axis.minimum_scale = minimum
        chart.value_axis.has_major_gridlines = False
        chart.value_axis.tick_labels.number_format = number_format
        chart.value_axis.tick_labels.number_format_is_linked = False
        return chart

    def labelled_scatter(self, slide, box, groups: list[tuple[str, pd.DataFrame, str]], x: str, y: str,
                         cuts: tuple[float, float], axis_titles: tuple[str, str], formats: tuple[str, str],
                         cut_names: tuple[str, str] = ("Vertical threshold", "Horizontal threshold")):
        """A native XY scatter of labelled points in coloured groups, with dashed threshold lines at ``cuts``
        (named ``cut_names`` in the chart's data).

        Each group is its own series so its colour is a series colour every renderer keeps; the longest goes
        first, since LibreOffice drops a first XY series that is shorter than a later one.
        """
        groups = sorted([g for g in groups if len(g[1])], key=lambda g: -len(g[1]))
        frame = pd.concat([g[1] for g in groups])
        data = XyData()
        for name, part, _colour in groups:
            series = data.add_series(label(name))
            for r in part.itertuples():
                series.add_data_point(float(getattr(r, x)), float(getattr(r, y)))
        x_low, x_high = float(frame[x].min()) - 0.15, float(frame[x].max()) + 0.15
        y_high = float(frame[y].max()) * 1.1
        x_cut, y_cut = cuts
        vertical = data.add_series(cut_names[0])
        vertical.add_data_point(x_cut, 0.0)
        vertical.add_data_point(x_cut, y_high)
        horizontal = data.add_series(cut_names[1])
        horizontal.add_data_point(x_low, y_cut)
        horizontal.add_data_point(x_high, y_cut)
        chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER, *box, data).chart
        self._style_chart(chart, False)
        all_series = list(chart.series)
        width = min(box[2], box[3]) / 12700 / 3 - SCATTER_LABEL_SLACK
        lines = [wrap(text, width, SCATTER_LABEL_PT, family=self.font) for text in
                 chart_labels([r.label for _, part, _ in groups for r in part.itertuples()], POINT_LABEL_MAX)]
        positions = iter(self._point_label_positions(box, lines, frame, x, y, (x_low, x_high), y_high))
        shown = iter("\n".join(label_lines) for label_lines in lines)
        for series, (_name, part, colour) in zip(all_series, groups):
            series.marker.style = XL_MARKER_STYLE.CIRCLE
            series.marker.size = SCATTER_MARKER
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = RGBColor.from_string(colour)
            series.marker.format.line.fill.background()
            series.format.line.fill.background()
            for i, r in enumerate(part.itertuples()):
                point = series.points[i].data_label
                point.has_text_frame = True
                point.text_frame.text = next(shown)
                point.position = LABEL_POSITIONS[next(positions)]
                point.font.size = Pt(SCATTER_LABEL_PT)
        for line in all_series[len(groups):]:
            line.marker.style = XL_MARKER_STYLE.NONE
            line.format.line.fill.solid()
            line.format.line.fill.fore_color.rgb = RGBColor.from_string(self.palette.neutral)
            line.format.line.width = Pt(1)
            line.format.line.dash_style = 4  # dash
            line.smooth = False
        x_axis, y_axis = chart.category_axis, chart.value_axis
        x_axis.minimum_scale, x_axis.maximum_scale = x_low, x_high
        y_axis.minimum_scale, y_axis.maximum_scale = 0.0, y_high
        x_axis.has_major_gridlines = y_axis.has_major_gridlines = False
        for axis, title, number_format in zip((x_axis, y_axis), axis_titles, formats):
            axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = number_format, False
            axis.has_title = True
            axis.axis_title.text_frame.text = title
            axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
            axis.tick_labels.font.size = Pt(11)
        return chart

    def _point_label_positions(self, box, labels: list[list[str]], frame: pd.DataFrame, x: str, y: str,
                               x_range: tuple[float, float], y_high: float) -> list[str]:
        """Where each point's label (its lines) goes (:func:`cxkit.report.placement.label_positions`), the points
        taken from the top of the chart down: the most important, on an importance axis, choose first."""
        left, top, right, bottom = SCATTER_MARGINS
        plot = (box[2] / 12700 - left - right, box[3] / 12700 - top - bottom)
        (x_low, x_high), xs, ys = x_range, frame[x].to_numpy(dtype=float), frame[y].to_numpy(dtype=float)
        points = [((px - x_low) / (x_high - x_low) * plot[0], (1 - py / y_high) * plot[1] if y_high else plot[1])
                  for px, py in zip(xs, ys)]
        sizes = [(max(text_width(line, SCATTER_LABEL_PT, family=self.font) for line in label_lines) + 4,
                  SCATTER_LABEL_PT * 1.2 * len(label_lines)) for label_lines in labels]
        order = sorted(range(len(points)), key=lambda i: points[i][1])
        return label_positions(points, sizes, plot, SCATTER_MARKER, order)

    # ------------------------------------------------------------------ tables

    def _table(self, slide, box, header: list[str], rows: list[list[str]], widths: list[float], font: float,
               fills: list[list[str | None]] | None = None):
        left, top, width, height = box
        row_height = Emu(int(Pt(font * 2.1)))
        shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width, row_height * (len(rows) + 1))
        table = shape.table
        total = sum(widths)
        for i, w in enumerate(int(width * w / total) for w in widths):
            table.columns[i].width = Emu(w)
        for r in range(len(rows) + 1):
            table.rows[r].height = row_height
        styled = {}   # a look (bold, colour, fill) -> the first cell drawn with it, copied for the others

        def put(r: int, c: int, text: str, bold: bool = False, colour: str | None = None, fill: str | None = None):
            cell, look = table.cell(r, c), (bold, colour, fill)
            if look not in styled:
                self._cell(cell, text, font, bold=bold, colour=colour, fill=fill)
                styled[look] = cell._tc
                return
            # a copy of a cell already styled, with this cell's text: python-pptx's styling, property by property,
            # was most of a deck's time
            tc = copy.deepcopy(styled[look])
            cell._tc.getparent().replace(cell._tc, tc)
            tc.txBody.p_lst[0].r_lst[0].text = text   # escaped as python-pptx escapes a run's text

        for c, text in enumerate(header):
            put(0, c, text, bold=True, colour="FFFFFF", fill=self.palette.primary)
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row):
                fill = fills[r - 1][c] if fills else None
                put(r, c, text, fill=fill or (self.palette.band if r % 2 == 0 else "FFFFFF"))
        return table

    def _cell(self, cell, text: str, size: float, bold: bool = False, colour: str | None = None,
              fill: str | None = None):
        cell.text = ""
        frame = cell.text_frame
        frame.word_wrap = True
        run = frame.paragraphs[0].add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(colour or self.palette.text)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE
        cell.margin_top = cell.margin_bottom = Pt(2)
        if fill:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(fill)

    def _row_heights(self, rows: list[list[str]], col_widths_emu: list[int], font: float) -> list[float]:
        """Height in points each row needs when its cells wrap to their column widths (2 pt margins, 0.1 in sides)."""
        heights = []
        for row in rows:
            lines = max(len(wrap(text, w / 12700 - 14.4, font, family=self.font)) for text, w in zip(row, col_widths_emu))
            heights.append(lines * font * 1.2 + 4 + 2)
        return heights

    def _column_widths(self, header: list[str], rows: list[list[str]], weights: list[float], total_emu: int,
                       font: float) -> list[int]:
        """Column widths in EMU from their weights, widened so no word has to break inside a column."""
        inset = 14.4 + 2  # 0.1 in each side, and a little slack
        need = [max(text_width(piece, font, bold=(r == 0), family=self.font) for r, row in enumerate([header] + rows)
                    for piece, _ in pieces(str(row[j])) or [("", False)]) + inset for j in range(len(header))]
        width = [total_emu / 12700 * w / sum(weights) for w in weights]
        short = sum(max(n - w, 0) for n, w in zip(need, width))
        slack = [max(w - n, 0) for n, w in zip(need, width)]
        if short and sum(slack):
            take = min(1.0, short / sum(slack))
            width = [n if n > w else w - s * take for n, w, s in zip(need, width, slack)]
        return [int(w * 12700) for w in width]

    def paged_table(self, title: str, caption: str, notes_text: str, header: list[str], rows: list[list[str]],
                    widths: list[float], fills: list[list[str | None]] | None = None):
        """A table at the largest size (14 down to 11 pt) that fits one slide; below that, split across slides."""
        header = [_cap(one_line(h), HEADER_MAX) for h in header]
        rows = [[_cap(one_line(c)) for c in row] for row in rows]
        probe = self.prs.slides.add_slide(self.layout("Table"))
        box = next((ph.left, ph.top, ph.width, ph.height) for ph in probe.placeholders if ph.placeholder_format.idx == 1)
        self.drop_last_slide()
        for font in TABLE_FONTS:
            col_emu = self._column_widths(header, rows, widths, box[2], font)
            header_height = self._row_heights([header], col_emu, font)[0]
            available = box[3] / 12700 - header_height
            heights = self._row_heights(rows, col_emu, font)
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
            slide = self.new_slide("Table", page_title, caption, notes_text)
            region = self.take_region(slide, 1)
            table = self._table(slide, region, header, [rows[i] for i in page], col_emu, font,
                                fills=[fills[i] for i in page] if fills else None)
            table.rows[0].height = Emu(int(Pt(header_height)))
            for r, i in enumerate(page, start=1):
                table.rows[r].height = Emu(int(Pt(heights[i])))


def _balance(heights: list[float], n_pages: int, available: float) -> list[list[int]]:
    """Rows spread evenly over ``n_pages`` (no page left with a single straggler), each page within ``available``."""
    target = sum(heights) / n_pages
    pages, current, used = [], [], 0.0
    for h_index, h in enumerate(heights):
        remaining_pages = n_pages - len(pages)
        if current and (used + h > available or (used + h / 2 > target and remaining_pages > 1)):
            pages.append(current)
            current, used = [], 0.0
        current.append(h_index)
        used += h
    pages.append(current)
    return pages


NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at least ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in NICE_STEPS if step * power >= value * (1 - 1e-12))


def interval_reach(series: dict[str, list], errors: dict[str, tuple[list, list]]) -> tuple[float, float] | None:
    """A value axis (low, high) that shows every bar and the whole of each interval drawn on it, in round numbers
    from zero; None when no interval reaches past the bars' own range (the renderer's scale then stands)."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not values:
        return None
    ends = [v + sign * max(float(half), 0.0) for name, (minus, plus) in errors.items() if name in series
            for sign, halves in ((-1, minus), (1, plus)) for v, half in zip(series[name], halves)
            if v is not None and pd.notna(half)]
    top, bottom = max(values + [0.0]), min(values + [0.0])
    high, low = max(ends + [top]), min(ends + [bottom])
    if high <= top and low >= bottom:
        return None
    return (-nice_ceiling(-low) if low < 0 else 0.0, nice_ceiling(high) if high > 0 else 0.0)


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
            val.text = f"{max(float(v), 0.0):.6g}" if pd.notna(v) else "0"
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
