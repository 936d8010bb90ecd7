"""The drawing kit's text handling: what a survey export's question text looks like on a slide."""

import pytest
from hypothesis import given, settings, strategies as st

from cxkit.report.kit import plain


@pytest.mark.parametrize("raw, shown", [
    ("Consider: <br>In Lottery A, you have a 50% chance<br><br>Assuming", "Consider: In Lottery A, you have a 50% "
     "chance Assuming"),
    ("<b>Speed</b> &amp; <i>ease</i>", "Speed & ease"),
    ('<span style="color:red">Hi</span><BR/>there', "Hi there"),
    ("Tenure <5 years", "Tenure <5 years"),            # looks like a tag, is text
    ("a < b > c", "a < b > c"),
    ("AT&T", "AT&T"),
])
def test_survey_markup_becomes_plain_text(raw, shown):
    assert plain(raw) == shown


@given(st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs",))))
def test_text_without_markup_keeps_its_words(text):
    assert plain(text).split() == text.split()


def test_a_long_cell_is_cut_at_a_word_and_a_short_one_kept():
    from cxkit.report.kit import CELL_MAX, _cap

    question = "Consider the following hypothetical situations: in Lottery A, you have a 50% chance of success " * 4
    shown = _cap(question)
    assert shown.endswith(" …") and len(shown) <= CELL_MAX + 2 and question.startswith(shown[:-2])
    assert not shown[:-2].endswith((" ", ",")) and _cap("Billing clarity") == "Billing clarity"


def _canvas():
    from pptx import Presentation

    from cxkit.paths import TEMPLATES
    from cxkit.report.kit import Canvas, Palette, theme_font

    prs = Presentation(TEMPLATES / "deck.pptx")
    brand = dict(primary="1F4E79", secondary="9DC3E6", accent="C55A11", positive="548235", negative="C00000",
                 neutral="7F7F7F")
    return Canvas(prs, Palette.of(brand, prs), theme_font(prs))


def test_text_without_spaces_wraps_between_its_characters():
    from cxkit.report.textfit import text_width, wrap

    text = "\u5ba2\u6237\u670d\u52a1\u8d28\u91cf" * 25     # Chinese: no spaces, a break between any two characters
    lines = wrap(text, 200, 12)
    assert len(lines) > 3 and "".join(lines) == text and all(text_width(line, 12) <= 200 for line in lines)


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(["a", "bb", "touchpoint", "first-time", "resolution", "23%", "Northwind's",
                                       "\u5ba2\u6237", "na\u00efve", "\u2713", "x" * 40]), max_size=40),
       width=st.sampled_from([15.0, 60.0, 150.0, 400.0]), size=st.sampled_from([9.0, 11.0, 14.0]),
       bold=st.booleans())
def test_wrap_breaks_where_adding_units_one_by_one_would(words, width, size, bold):
    """The wrap's search for each line's end against the plain greedy wrap: a unit at a time, measuring the line
    each time, a new line when it no longer fits."""
    from cxkit.report.textfit import pieces, text_width, wrap

    text = " ".join(words)
    units = pieces(text)
    expected, current = [], None
    for piece, spaced in units:
        candidate = piece if current is None else f"{current}{' ' if spaced else ''}{piece}"
        if current is None or text_width(candidate, size, bold) <= width:
            current = candidate
        else:
            expected.append(current)
            current = piece
    expected.append(current if current is not None else "")
    assert wrap(text, width, size, bold) == expected


def test_characters_the_font_lacks_are_never_measured_narrower_than_they_are_drawn():
    from cxkit.report.textfit import UNKNOWN_EM, _covers, _font, font_file, text_width, DEJAVU

    assert 0x4E2D not in _covers(font_file(False)) and 0x1F680 not in _covers(DEJAVU / "DejaVuSans.ttf")
    assert text_width("\u4e2d\u6587", 10) == pytest.approx(20)           # CJK: a full em each
    assert text_width("\U0001f680", 10) == pytest.approx(10 * UNKNOWN_EM)   # an emoji no installed font has
    arabic = "\u062e\u062f\u0645\u0629"                                   # measured with DejaVu Sans, which has it
    assert text_width(arabic, 10) == pytest.approx(_font(10, False, DEJAVU / "DejaVuSans.ttf").getlength(arabic) / 10)
    assert text_width("Billing " + arabic, 10) > text_width("Billing ", 10)


@pytest.mark.parametrize("text", [("Waiting time " * 400).strip(),                 # 5,000 characters
                                  "\u5ba2\u6237\u670d\u52a1" * 150,               # 600 Chinese characters
                                  "x" * 400,                                       # one word wider than the box
                                  "\u0627\u0644\u0639\u0645\u0644\u0627\u0621 \U0001f600 " * 60])
def test_a_title_of_any_length_and_script_is_shortened_to_fit_never_refused(text):
    from cxkit.report.kit import TITLE_MAX, TITLE_MIN
    from cxkit.report.textfit import fits

    canvas = _canvas()
    slide = canvas.new_slide("Bullets", text)
    title = slide.shapes.title
    shown = title.text_frame.text
    size = title.text_frame.paragraphs[0].runs[0].font.size.pt
    assert TITLE_MIN <= size <= TITLE_MAX and shown.endswith("…") and len(shown) < len(text)
    kept = shown.removesuffix("…").rstrip()
    assert text.startswith(kept) and len(kept) >= 10      # as much as fits, not an ellipsis alone
    assert fits([shown], title.width, title.height, size, bold=True)


def test_one_long_bullet_leaves_room_for_the_others():
    from cxkit.report.kit import PARAGRAPH_MAX

    canvas = _canvas()
    slide = canvas.new_slide("Bullets", "Executive summary")
    body = canvas.placeholder(slide, 1)
    lines = [("Waiting time " * 400).strip()] + [f"Finding {k} is short." for k in range(2, 6)]
    canvas.set_text(body, lines, 18, 10)
    shown = [p.text for p in body.text_frame.paragraphs]
    assert shown[1:] == lines[1:] and len(shown[0]) <= PARAGRAPH_MAX + 2


def test_chart_labels_are_cut_and_their_workbook_holds_text_not_formulas():
    import io

    from openpyxl import load_workbook

    from cxkit.report.kit import CHART_LABEL_MAX

    canvas = _canvas()
    slide = canvas.new_slide("Finding + chart", "A chart")
    long = ("Waiting time " * 50).strip()
    chart = canvas.bar_chart(slide, canvas.take_region(slide, 1), ['=HYPERLINK("http://x.example","Click")', long],
                             {"=1+1": [1.0, -2.0]}, ["1F4E79"], "0.0")
    categories = list(chart.plots[0].categories)
    assert categories[0] == long[:CHART_LABEL_MAX].rsplit(" ", 1)[0] + " …"   # bars are fed bottom-up
    book = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert {c.value for c in cells} >= {'=HYPERLINK("http://x.example","Click")', "=1+1", -2.0}


def test_a_bar_charts_axis_shows_every_interval_whole():
    """Renderers scale an axis to the bars alone: the key drivers' top interval (16%, up to 22%) was cut at 18%."""
    from cxkit.report.kit import interval_reach, nice_ceiling

    canvas = _canvas()
    slide = canvas.new_slide("Finding + chart", "A chart")
    chart = canvas.bar_chart(slide, canvas.take_region(slide, 1), ["Val1", "Val4", "Imag4"], {"Share": [0.16, 0.12, 0.02]},
                             ["1F4E79"], "0%", errors={"Share": ([0.06, 0.05, 0.02], [0.057, 0.04, 0.03])})
    axis = chart.value_axis
    assert (axis.minimum_scale, axis.maximum_scale) == (0.0, 0.25)   # 0.217 rounded up
    # below zero too (an expectation gap), and no scale of its own where the intervals stay within the bars
    assert interval_reach({"Gap": [-0.4, 0.1]}, {"Gap": ([0.3, 0.05], [0.2, 0.3])}) == (-0.8, 0.4)
    assert interval_reach({"Mean": [3.1, 4.0]}, {"Mean": ([0.2, 0.1], [0.2, 0.1])}) == (0.0, 5.0)
    assert interval_reach({"Mean": [3.1, 4.0]}, {"Mean": ([0.2, 0.1], [0.2, 0.0])}) is None
    assert interval_reach({"Share": [0.1]}, {"Share": ([-0.02], [float("nan")])}) is None   # half-widths below 0: none
    unbounded = canvas.bar_chart(slide, (0, 0, 100, 100), ["A"], {"S": [0.5]}, ["1F4E79"], "0%")
    assert unbounded.value_axis.maximum_scale is None
    assert [nice_ceiling(v) for v in (0.217, 0.25, 0.9, 1.0, 45, 0.013, 7)] == [0.25, 0.25, 1.0, 1.0, 50, 0.015, 8]


def test_a_bars_value_sits_at_its_base_where_an_interval_is_drawn_at_its_end():
    """At the bar's end, the interval's line ran through the value ("39%" struck through on the key drivers)."""
    from pptx.enum.chart import XL_LABEL_POSITION

    canvas = _canvas()
    slide = canvas.new_slide("Finding + chart", "A chart")
    chart = canvas.bar_chart(slide, canvas.take_region(slide, 1), ["A", "B"], {"Share": [0.39, 0.15], "Top box": [0.5, 0.4]},
                             ["1F4E79", "9DC3E6"], "0%", errors={"Share": ([0.03, 0.02], [0.04, 0.02])})
    where = {s.name: s.data_labels.position for s in chart.series}
    assert where == {"Share": XL_LABEL_POSITION.INSIDE_BASE, "Top box": XL_LABEL_POSITION.INSIDE_END}


def test_long_chart_labels_that_start_alike_keep_their_ends_apart():
    from cxkit.report.kit import CHART_LABEL_MAX, chart_labels

    start = "How satisfied were you with the knowledge and manner of the person "
    shown = chart_labels([start + "you spoke to on the phone", start + "who visited your home", "Billing clarity"])
    assert shown[2] == "Billing clarity" and len(set(shown)) == 3
    assert all(len(s) <= CHART_LABEL_MAX + 2 for s in shown) and shown[1].endswith("who visited your home")


def test_a_line_break_in_a_clients_value_reads_as_a_space_on_a_slide_but_notes_keep_their_lines():
    from cxkit.report.kit import notes, one_line

    assert one_line("Web\n  chat <br>team") == "Web chat team"
    assert notes("Claim: x", "Evidence: y") == "Claim: x\nEvidence: y"


def test_long_labels_read_in_titles_as_the_charts_cut_them_and_short_ones_as_written():
    """120-character questions made titles of 300-377 characters, cut at the end, with their verdict lost; a title
    now names a long label as its chart does (the notes keep the claim whole)."""
    from cxkit.report.kit import chart_labels, title_labels, with_short_labels
    from cxkit.results.text import in_text

    resolved = ("Thinking about the last time you contacted us with a problem, how satisfied were you that it was "
                "fully resolved on that first contact?")
    courtesy = "Courtesy, politeness and respect shown to you by our staff throughout your most recent visit"
    forms = title_labels([resolved, courtesy, "Billing clarity", ""])
    short_resolved, short_courtesy = chart_labels([resolved, courtesy])
    title = (f"{resolved} drives 39%; moments of truth: {in_text(resolved)} and {in_text(courtesy)} (high importance, "
             "below-average performance)")
    assert with_short_labels(title, forms) == (
        f"{short_resolved} drives 39%; moments of truth: “{short_resolved}” and {in_text(short_courtesy)} (high "
        "importance, below-average performance)")
    assert len(short_resolved) <= 50 and short_resolved.endswith("…")
    assert with_short_labels("Billing clarity falls short", forms) == "Billing clarity falls short"
    assert title_labels(["Billing clarity", "Waiting time"]) == {}


def test_a_slide_title_names_the_engagements_long_labels_short_and_its_notes_keep_them_whole(eng):
    from cxkit.report.deck import deck_labels
    from cxkit.report.kit import title_labels

    labels = deck_labels(eng)
    assert {a.label for a in eng.feedback.attributes} < set(labels)
    assert eng.feedback.outcomes.satisfaction.label in labels
    question = ("Thinking about the last time you contacted us with a problem, how satisfied were you that it was "
                "fully resolved on that first contact?")
    canvas = _canvas()
    canvas.short_labels = title_labels([*labels, question])
    slide = canvas.new_slide("Finding + chart", f"{question} drives 39% of the explained variance",
                             notes_text=f"Claim: {question} drives 39% of the explained variance.")
    assert slide.shapes.title.text_frame.text == ("Thinking about the last time you contacted us … drives 39% of the "
                                                  "explained variance")
    assert question in slide.notes_slide.notes_text_frame.text
