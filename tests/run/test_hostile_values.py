"""Values a client's export can really hold, run as a new user would: formulas, control characters, a very long
label, Chinese, Arabic and emoji. They go through validate and a run to a deck LibreOffice renders, and nothing we
hand the client carries a live formula."""

import csv
import io
import re
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from pptx import Presentation

from conftest import assert_words_on_page, run_in_process
from cxkit import load_engagement
from cxkit.inputs.data import validate
from cxkit.inputs.sample import write_sample
from cxkit.paths import RunPaths
from cxkit.results.formulas import formula_like
from cxkit.results.store import RunResults

pytestmark = pytest.mark.slow

HYPERLINK = '=HYPERLINK("http://x.example","Click")'
COMMAND = "+cmd|' /C calc'!A0"
CHINESE = "\u534e\u5317\u5730\u533a"                     # North China
ARABIC = "\u0648\u0642\u062a \u0627\u0644\u0627\u0646\u062a\u0638\u0627\u0631"   # waiting time
LONG = ("How satisfied were you with the knowledge of the person you spoke to, and with how they explained it "
        * 5)[:500]
FORMULA_LABEL = "=1+1 Resolved first time"
VERY_LONG = ("Overall, how satisfied or dissatisfied are you with our service " * 80)[:5000]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An engagement whose export and labels hold what clients' files hold, and its run."""
    folder = tmp_path_factory.mktemp("hostile")
    written = write_sample(folder / "engagement", seed=5, customers=400, employees=100, engagement_id="hostile")
    frame = pd.read_csv(written.feedback, dtype=str, keep_default_na=False)
    repeat = len(frame) // 4
    frame["region"] = [HYPERLINK, COMMAND, CHINESE, "\u0627\u0644\u0634\u0645\u0627\u0644"] * repeat
    frame["channel"] = ["Web\x0bchat", "Phone", "App \U0001f4f1", "@Store"] * repeat
    frame.loc[:40, "comment"] = "=1+1"
    frame.to_csv(written.feedback, index=False)
    raw = yaml.safe_load(written.config.read_text(encoding="utf-8"))
    attributes = raw["feedback"]["attributes"]
    for attribute, name in zip(attributes, [FORMULA_LABEL, LONG, "\u8d26\u5355\u6e05\u6670\u5ea6", ARABIC,
                                            "Proactive updates \U0001f514"]):
        attribute["label"] = name
    raw["feedback"]["outcomes"]["satisfaction"]["label"] = VERY_LONG
    raw["client"] = "=Northwind \u5317\u98ce"
    written.config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = validate(load_engagement(written.config))
    return written.config, report, run_in_process(written.config, folder / "out")


def test_validate_accepts_it_and_counts_the_control_characters(hostile):
    _, report, _ = hostile
    assert report.ok
    (cleaned,) = [p for p in report.warnings if "control characters" in p.message]
    assert cleaned.column == "channel" and cleaned.n_rows == 100


def test_no_cell_of_the_excel_appendix_is_a_formula_and_negative_numbers_stay_numbers(hostile):
    _, _, folder = hostile
    book = load_workbook(folder / "hostile-appendix.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert {HYPERLINK, COMMAND, FORMULA_LABEL, "@Store"} <= texts        # shown as the client wrote them, as text
    assert all(c.quotePrefix for c in cells if formula_like(c.value))
    assert book["Contents"]["A1"].value.startswith("=Northwind") and book["Contents"]["A1"].data_type == "s"
    negatives = [c for c in cells if isinstance(c.value, (int, float)) and c.value < 0]
    assert negatives and all(c.data_type == "n" for c in negatives)


def test_no_results_csv_holds_a_formula_and_cxkit_reads_back_what_was_written(hostile):
    _, _, folder = hostile
    raw_cells = [cell for path in (folder / "results").glob("*.csv")
                 for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) for cell in row]
    assert not [c for c in raw_cells if formula_like(c)]
    assert "'" + HYPERLINK in raw_cells and any(re.fullmatch(r"-\d+\.\d+", c) for c in raw_cells)
    descriptors = RunResults(RunPaths(folder)).table("descriptor_comparisons")
    assert {HYPERLINK, COMMAND, CHINESE, "Web chat"} <= set(descriptors["value"])


def test_the_deck_shows_every_script_and_its_charts_hold_no_formula(hostile):
    _, _, folder = hostile
    deck = Presentation(folder / "hostile-deck.pptx")
    text = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    charts = [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    categories = {str(c) for chart in charts for c in chart.plots[0].categories}
    assert ARABIC in text and "\u8d26\u5355\u6e05\u6670\u5ea6" in text and FORMULA_LABEL in text
    assert ARABIC in categories and any(c.startswith(LONG[:20]) and c.endswith("…") for c in categories)
    assert VERY_LONG[:30] in text and VERY_LONG not in text       # shortened on the slides ...
    notes = " ".join(slide.notes_slide.notes_text_frame.text for slide in deck.slides)
    assert VERY_LONG in notes                                      # ... and whole in the notes
    for chart in charts:
        book = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
        assert not [c for row in book.active.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice (soffice) and poppler (pdftotext) are not installed: apt-get install "
                           "libreoffice-impress poppler-utils")
def test_libreoffice_renders_the_deck_with_every_word_on_its_page(hostile, tmp_path):
    _, _, folder = hostile
    deck = folder / "hostile-deck.pptx"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(deck)], check=True, capture_output=True, timeout=180)
    html = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "hostile-deck.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert_words_on_page(html, len(Presentation(deck).slides))
    shown = subprocess.run(["pdftotext", str(tmp_path / "hostile-deck.pdf"), "-"], check=True, capture_output=True,
                           text=True).stdout
    assert ARABIC.split()[0] in shown and "\u8d26\u5355\u6e05\u6670\u5ea6" in shown and HYPERLINK in shown
