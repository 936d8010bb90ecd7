"""The demo deck, looked at as an executive would: titles, no empty boxes, native charts, text that fits, traced numbers."""

import shutil
import subprocess

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from cxkit.report.textfit import fits

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deck(demo_run):
    return Presentation(demo_run.deck)


def _texts(deck):
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                yield shape.text_frame.text
            if shape.has_table:
                yield from (cell.text for row in shape.table.rows for cell in row.cells)
            if shape.has_chart:
                chart = shape.chart
                yield from (str(c) for c in chart.plots[0].categories)
                yield from (s.name for s in chart.series)
        yield slide.notes_slide.notes_text_frame.text


def test_widescreen_with_a_title_on_every_slide(deck, eng):
    assert deck.slide_width * 9 == deck.slide_height * 16
    titles = [slide.shapes.title.text_frame.text.strip() for slide in deck.slides]
    assert all(titles)
    assert eng.client in titles[0]
    assert titles[1].startswith("Executive summary")


def test_no_empty_placeholder(deck):
    for number, slide in enumerate(deck.slides, start=1):
        for ph in slide.placeholders:
            assert ph.has_text_frame and ph.text_frame.text.strip(), f"slide {number}: empty {ph.name}"


def test_charts_are_native_and_editable(deck):
    charts = [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    pictures = [shape for slide in deck.slides for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(charts) >= 6 and not pictures
    kinds = {chart.chart_type for chart in charts}
    from pptx.enum.chart import XL_CHART_TYPE

    assert {XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.BAR_STACKED_100, XL_CHART_TYPE.XY_SCATTER,
            XL_CHART_TYPE.LINE_MARKERS, XL_CHART_TYPE.COLUMN_CLUSTERED} <= kinds


def test_every_text_fits_its_box(deck):
    bottom = deck.slide_height - Inches(0.45)
    for number, slide in enumerate(deck.slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                paragraphs = [p for p in shape.text_frame.paragraphs]
                sizes = [r.font.size.pt for p in paragraphs for r in p.runs if r.font.size]
                bold = any(r.font.bold for p in paragraphs for r in p.runs)
                size = max(sizes)
                assert fits([p.text for p in paragraphs], shape.width, shape.height, size, bold,
                            space_after=(paragraphs[0].space_after.pt if paragraphs[0].space_after else 0)), \
                    f"slide {number}: {shape.name} overflows"
            if shape.has_table:
                height = sum(row.height for row in shape.table.rows)
                assert shape.top + height <= bottom, f"slide {number}: table runs off the slide"


def test_content_slides_trace_their_numbers(deck):
    from cxkit.results.catalogue import TABLES

    for number, slide in enumerate(deck.slides, start=1):
        has_numbers = any(shape.has_chart or shape.has_table for shape in slide.shapes)
        if has_numbers:   # the results file and the notebook (or cxkit run) that wrote it, as the catalogue says
            notes = slide.notes_slide.notes_text_frame.text
            assert any(table.source in notes for table in TABLES.values()), f"slide {number}"


def test_no_small_group_appears_anywhere(deck, demo_run, truth):
    small = truth["diagnostic"]["small_department"]
    assert not any(small in text for text in _texts(deck))
    for path in (demo_run.folder / "results").iterdir():
        assert small not in path.read_text(), path.name


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm") and shutil.which("pdftotext")),
                    reason="LibreOffice (soffice) and poppler (pdftoppm) are not installed: apt-get install "
                           "libreoffice-impress poppler-utils")
def test_deck_renders_in_libreoffice(demo_run, deck, tmp_path):
    profile = tmp_path / "profile"  # a profile of its own: two conversions sharing one fail
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(demo_run.deck)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / demo_run.deck.with_suffix(".pdf").name
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(deck.slides)
    assert all(p.stat().st_size > 2000 for p in pages)
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    from conftest import assert_words_on_page

    assert_words_on_page(html, len(deck.slides))


def test_storyline_sections_and_roadmap(deck):
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    for expected in ("Reality check: where", "Customers: how", "Drivers: which", "Metrics: what", "Recommendations and",
                     "Roadmap:", "Method and sample sizes", "The data checks"):
        assert any(t.startswith(expected) for t in titles), expected
    assert any("2026-Q1" in t and "2026-Q2" in t for t in titles)  # the wave slide's finding


def test_every_title_and_summary_sentence_is_a_saved_claim(deck, demo_run):
    import json
    import re

    claims = {c["text"]: c for c in json.loads((demo_run.folder / "results" / "claims.json").read_text())}
    headings = {"Executive summary: what matters most", "Method and sample sizes", "What the data does not show",
                "Roadmap: quick wins first, then pilot in one or two units, then roll out",
                "In their own words: quotes for the leading themes",   # customers' and staff's words, not findings
                "In their own words: what our people say stops them",
                "Topics the codeframe misses, offered as codeframe entries"}
    findings = 0
    for number, slide in enumerate(deck.slides, start=1):
        title = re.sub(r" \(\d+ of \d+\)$", "", slide.shapes.title.text_frame.text)
        if slide.slide_layout.name in ("Title", "Section") or title in headings or title.startswith("Every metric, ") \
                or title.startswith("What the data does not show"):
            continue
        assert title in claims, f"slide {number}: {title!r} is not a saved claim"
        assert claims[title]["verdict"] == "supported", f"slide {number}: {title!r} is not supported"
        findings += 1
    assert findings >= 20
    summary = next(s for s in deck.slides if s.shapes.title.text_frame.text.startswith("Executive summary"))
    body = next(ph for ph in summary.placeholders if ph.placeholder_format.idx == 1)
    sentences = [p.text.removesuffix(".") for p in body.text_frame.paragraphs]
    assert len(sentences) == 5 and all(s in claims and claims[s]["lead"] for s in sentences)
    assert all(claims[s]["verdict"] == "supported" for s in sentences)


def test_notes_give_each_finding_its_evidence(deck):
    for number, slide in enumerate(deck.slides, start=1):
        if slide.slide_layout.name in ("Finding + chart", "Two charts"):
            notes = slide.notes_slide.notes_text_frame.text
            assert notes.startswith("Claim: ") and "\nEvidence: " in notes, f"slide {number}"
