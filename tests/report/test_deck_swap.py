"""A firm's own template, brand and logo; the storyline as configuration; the Excel appendix."""

import shutil
import subprocess

import pytest
import yaml
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from conftest import ROOT, assert_words_on_page
from cxkit import ConfigError, load_engagement
from cxkit.inputs.config import DECK_LAYOUTS
from cxkit.report.deck import SLIDES, build_deck, theme_font
from cxkit.report.template import LAYOUT_NAMES, build_default_template
from cxkit.errors import CxkitError
from cxkit.paths import RunPaths
from cxkit.report.textfit import fits

pytestmark = pytest.mark.slow
FIRM = ROOT / "templates" / "examples" / "firm_green.pptx"


@pytest.fixture
def run_copy(demo_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(demo_run.folder, folder)
    return RunPaths(folder)


def _engagement(engagement_copy, **deck):
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["deck"] = deck
    engagement_copy.write_text(yaml.safe_dump(raw))
    return load_engagement(engagement_copy)


def test_committed_template_is_what_the_builder_makes(tmp_path):
    built = Presentation(build_default_template(tmp_path / "deck.pptx"))
    committed = Presentation(ROOT / "templates" / "deck.pptx")
    assert committed.slide_width * 9 == committed.slide_height * 16
    shape = {l.name: [(p.placeholder_format.idx, p.left, p.top, p.width, p.height) for p in l.placeholders]
             for l in committed.slide_layouts}
    assert shape == {l.name: [(p.placeholder_format.idx, p.left, p.top, p.width, p.height) for p in l.placeholders]
                     for l in built.slide_layouts}
    assert set(shape) == set(LAYOUT_NAMES)


def test_firm_template_brand_and_logo_are_followed(engagement_copy, run_copy):
    logo = engagement_copy.parent / "logo.png"
    Image.new("RGB", (400, 160), (46, 125, 50)).save(logo)
    brand = {"primary": "2E7D32", "secondary": "A5D6A7", "accent": "F9A825", "positive": "1B5E20",
             "negative": "B71C1C", "neutral": "9E9E9E"}
    eng = _engagement(engagement_copy, template="examples/firm_green.pptx", brand=brand, logo="logo.png")
    deck = build_deck(eng, run_copy)
    prs = Presentation(deck.path)
    assert theme_font(prs) == "Calibri"
    firm_left = Presentation(FIRM).slide_layouts[0].placeholders[0].left
    assert prs.slides[0].shapes.title.left == firm_left == Inches(0.9)
    logos = [s for s in prs.slides[0].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert [s.name for s in logos] == ["Logo"]
    bars = [shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart
            and shape.chart.series[0].name == "Share of explained variance"]
    assert str(bars[0].series[0].format.fill.fore_color.rgb) == "2E7D32"
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                runs = [r for p in shape.text_frame.paragraphs for r in p.runs]
                size = max(r.font.size.pt for r in runs)
                assert fits([p.text for p in shape.text_frame.paragraphs], shape.width, shape.height, size,
                            any(r.font.bold for r in runs),
                            space_after=shape.text_frame.paragraphs[0].space_after.pt
                            if shape.text_frame.paragraphs[0].space_after else 0, family="Calibri")


def test_a_template_without_the_layouts_is_refused_before_any_analysis(engagement_copy, tmp_path):
    plain = tmp_path / "plain.pptx"
    Presentation().save(plain)
    with pytest.raises(ConfigError) as caught:
        _engagement(engagement_copy, template=str(plain))
    problem = caught.value.problems[0]
    assert problem.key == "deck.template" and "lacks the layouts" in problem.message
    assert "'Finding + chart'" in problem.message and "templates/deck.pptx" in problem.fix


def test_the_layouts_a_template_needs_are_the_ones_the_kit_builds():
    assert LAYOUT_NAMES == tuple(DECK_LAYOUTS)
    for template in (ROOT / "templates" / "deck.pptx", FIRM):
        layouts = {l.name: {p.placeholder_format.idx for p in l.placeholders}
                   for l in Presentation(template).slide_layouts}
        assert all(set(DECK_LAYOUTS[n]) <= layouts[n] for n in DECK_LAYOUTS), template


def test_storyline_is_configuration(engagement_copy, run_copy):
    eng = _engagement(engagement_copy, storyline=["title", "executive_summary", "key_drivers"])
    deck = build_deck(eng, run_copy)
    assert deck.slides == 3 and deck.titles[2].startswith("Resolved first time drives")
    eng = _engagement(engagement_copy, storyline=["title", "conclusions"])
    with pytest.raises(CxkitError, match="conclusions") as caught:
        build_deck(eng, run_copy)
    assert "key_drivers" in str(caught.value)
    assert "conclusions" not in SLIDES


def test_excel_appendix_has_every_table_readably(demo_run):
    path = demo_run.folder / "northwind-demo-appendix.xlsx"
    book = load_workbook(path)
    tables = {p.stem for p in (demo_run.folder / "results").glob("*.csv")} - {"segment_assignment"}
    assert book.sheetnames[0] == "Contents" and book.sheetnames[-1] == "Claims"
    assert len(book.sheetnames) == len(tables) + 2
    contents = book["Contents"]
    listed = {row[4].value.removeprefix("results/").removesuffix(".csv") for row in contents.iter_rows(min_row=5)}
    assert listed == tables | {"claims.json"}
    quadrants = [c.value for c in book["Moments of truth"][1]].index("Quadrant") + 1
    assert book["Moments of truth"].cell(row=2, column=quadrants).value in {
        "Moment of truth: fix first", "Strength: keep", "Possible over-service", "Lower priority"}  # labels, not codes
    maturity = book["Maturity"]
    headers = [c.value for c in maturity[1]]
    assert "95% CI low" in headers and "% favourable" in headers
    fav = headers.index("% favourable") + 1
    assert maturity.cell(row=2, column=fav).number_format == "0%"
    assert 0 < maturity.cell(row=2, column=fav).value < 1
    card = book["Scorecard"]
    head = [c.value for c in card[1]]
    unit, base = head.index("Unit") + 1, head.index("Baseline") + 1
    formats = {card.cell(row=r, column=unit).value: card.cell(row=r, column=base).number_format
               for r in range(2, card.max_row + 1)}
    assert formats["share"] == "0.0%" and formats["points"] == "0.0"


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice (soffice) and poppler (pdftotext) are not installed: apt-get install "
                           "libreoffice-impress poppler-utils")
def test_firm_deck_renders_with_every_word_on_its_page(engagement_copy, run_copy, tmp_path):
    eng = _engagement(engagement_copy, template="examples/firm_green.pptx")
    deck = build_deck(eng, run_copy)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(deck.path)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / deck.path.with_suffix(".pdf").name
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert_words_on_page(html, deck.slides)


def test_a_driver_whose_higher_ratings_go_with_a_lower_outcome_is_marked_and_every_interval_shows_whole(eng, run_copy):
    """A share is a size, never a sign: a negative touchpoint was drawn like the others (the bank's Qual2, Expe3 ...);
    and the axis, scaled to the bars alone, cut the top interval (16%, up to 22%) at 18%."""
    import pandas as pd

    from cxkit.results.store import RunResults

    file = run_copy.results / "key_drivers.csv"
    key = pd.read_csv(file)
    key.loc[2, "direction"] = -1
    key.to_csv(file, index=False)
    quadrant_file = run_copy.results / "moments_of_truth.csv"   # saved beside it by the same stage
    quadrants = pd.read_csv(quadrant_file)
    quadrants.loc[quadrants["attribute"] == key.loc[2, "attribute"], "direction"] = -1
    quadrants.to_csv(quadrant_file, index=False)
    deck = build_deck(eng, run_copy)
    title = RunResults(run_copy).claim("top_driver").text
    (slide,) = [s for s in Presentation(str(deck.path)).slides if s.shapes.title.text == title]
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    shown = list(chart.plots[0].categories)[::-1]   # bars are fed bottom-up
    assert shown[2] == f"{key.loc[2, 'label']} (−)" and not any("(−)" in c for i, c in enumerate(shown) if i != 2)
    caption = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert "(−): the higher the rating, the lower the outcome" in caption
    assert chart.value_axis.maximum_scale >= key["share_high"].max() and chart.value_axis.minimum_scale == 0
    # and on the importance-performance chart, where it is never a moment of truth however important
    quadrants = RunResults(run_copy).claim("moments_of_truth").text
    (scatter,) = [s for s in Presentation(str(deck.path)).slides if s.shapes.title.text == quadrants]
    shown = " ".join(sh.text_frame.text for sh in scatter.shapes if sh.has_text_frame)
    notes = scatter.notes_slide.notes_text_frame.text
    assert "(−): the higher the rating, the lower the outcome" in shown and f"{key.loc[2, 'label']} (−):" in notes


def test_the_cover_promises_segments_only_where_the_deck_shows_real_ones(eng, run_copy):
    """45 customers: segmentation could not run, and the cover still listed "customers and segments"."""
    import json

    def cover(paths):
        subtitle = Presentation(str(build_deck(eng, paths).path)).slides[0].placeholders[1].text_frame.text
        return subtitle.splitlines()[-1]

    assert "customers and segments" in cover(run_copy)
    record = run_copy.results / "stage_customers.json"
    saved = json.loads(record.read_text())
    saved["claims"] = [c for c in saved["claims"] if c["kind"] != "segments"]
    record.write_text(json.dumps(saved))
    shown = cover(run_copy)
    assert "segments" not in shown and "customers" in shown
    # no-signal data: the driver stage ran, but none of its findings stands, so the deck has no drivers section
    record = run_copy.results / "stage_drivers.json"
    saved = json.loads(record.read_text())
    saved["claims"] = [dict(c, verdict="within_noise") for c in saved["claims"]]
    record.write_text(json.dumps(saved))
    deck = build_deck(eng, run_copy)
    assert "Drivers: which moments matter" not in deck.titles
    assert "key drivers" not in cover(run_copy) and "metrics" in cover(run_copy)


def test_the_segments_table_gives_each_count_its_share_and_drops_a_column_of_blanks(eng, run_copy):
    """Without a value column the table showed "At risk: 412" beside "1,230 (41%)"; an NPS-only outcome showed a
    "Truly impressed" column of n/a."""
    import pandas as pd

    from cxkit.results.store import RunResults

    stake_file, profiles_file = run_copy.results / "value_at_stake.csv", run_copy.results / "segment_profiles.csv"
    stake = pd.read_csv(stake_file).drop(columns=["value", "value_at_stake"], errors="ignore")
    stake.to_csv(stake_file, index=False)
    profiles = pd.read_csv(profiles_file).assign(truly_impressed=float("nan"))
    profiles.to_csv(profiles_file, index=False)
    deck = build_deck(eng, run_copy)
    title = RunResults(run_copy).claim("segments").text
    (table,) = [sh.table for s in Presentation(str(deck.path)).slides if s.shapes.title.text.startswith(title[:40])
                for sh in s.shapes if sh.has_table]
    header = [c.text for c in table.rows[0].cells]
    assert "Truly impressed" not in header and "At risk" in header
    shown = [row.cells[header.index("At risk")].text for row in list(table.rows)[1:]]
    assert shown == [f"{r.at_risk_customers:,} ({r.at_risk_share:.0%})" for r in stake.itertuples()]


def test_the_what_if_chart_ranks_by_the_measure_its_title_names(eng, run_copy):
    """The bank's title named the touchpoint with the largest modelled rise in mean satisfaction; its chart, ranked
    by the share truly impressed, showed that touchpoint sixth."""
    import pandas as pd

    from cxkit.results.store import RunResults

    file = run_copy.results / "what_if.csv"
    table = pd.read_csv(file)
    table["impressed_change"] = table["impressed_change"].iloc[::-1].to_numpy()   # the two rankings disagree
    table.to_csv(file, index=False)
    claim = RunResults(run_copy).claim("what_if")
    (slide,) = [s for s in Presentation(str(build_deck(eng, run_copy).path)).slides
                if s.shapes.title.text == claim.text]
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    assert list(chart.plots[0].categories)[::-1][0] == claim.facts["label"] == table.iloc[0]["label"]


def test_the_method_slide_names_only_the_analyses_that_ran(eng, run_copy):
    """Star Wars' method slide named penalty-reward contrasts and segment F tests that had not run."""
    def method(paths):
        deck = Presentation(str(build_deck(eng, paths).path))
        (slide,) = [s for s in deck.slides if s.shapes.title.text == "Method and sample sizes"]
        return " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)

    shown = method(run_copy)
    assert "penalty-reward contrasts" in shown and "F tests of attribute-by-segment" in shown
    (run_copy.results / "segment_drivers.csv").unlink()
    (run_copy.results / "asymmetry.csv").unlink()
    shown = method(run_copy)
    assert "penalty-reward" not in shown and "F tests" not in shown and "Drivers: " in shown


def test_notes_cite_only_the_files_the_run_wrote(eng, run_copy):
    """Star Wars' notes cited results/value_at_stake.csv and results/reliability.csv, which its run never wrote."""
    (run_copy.results / "value_at_stake.csv").unlink()
    (run_copy.results / "reliability.csv").unlink()
    deck = Presentation(str(build_deck(eng, run_copy).path))
    # each slide's own sources (a claim's evidence names the files it was made from, when it was made)
    cited = " ".join(line for s in deck.slides if s.has_notes_slide
                     for line in s.notes_slide.notes_text_frame.text.splitlines()
                     if line.startswith(("Source:", "Source: results/stage_")))
    assert "value_at_stake.csv" not in cited and "reliability.csv" not in cited
    assert "segment_profiles.csv" in cited   # the segments slide still cites what it drew from


def test_a_yes_no_model_that_explains_too_little_is_not_charted_beside_one_that_can(eng, run_copy):
    """The department-less sample's chart drew the renewed-contract model's shares beside the valid model's, under a
    title saying that model explained too little to name a driver."""
    import pandas as pd

    from cxkit.results.store import RunResults

    file = run_copy.results / "yes_no_drivers.csv"
    table = pd.read_csv(file)
    weak = table["outcome"].unique()[-1]
    table.loc[table["outcome"] == weak, "r2"] = eng.drivers.warn_r2 / 2
    table.to_csv(file, index=False)
    title = RunResults(run_copy).claim("yes_no_drivers").text
    (slide,) = [s for s in Presentation(str(build_deck(eng, run_copy).path)).slides if s.shapes.title.text == title]
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    label = table.loc[table["outcome"] == weak, "outcome_label"].iloc[0]
    assert label not in [series.name for series in chart.series] and len(list(chart.series)) >= 1
    caption = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert f"{label} not shown: its model explains too little" in caption


def test_the_loyalty_caption_points_left_and_right_only_with_two_charts(eng, run_copy):
    """The bank's caption read "Left: loyalty mix ..." over a single chart (no likelihood-to-recommend question)."""
    from cxkit.results.store import RunResults

    def caption():
        title = RunResults(run_copy).claim("loyalty_mix").text
        (slide,) = [s for s in Presentation(str(build_deck(eng, run_copy).path)).slides if s.shapes.title.text == title]
        return " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title)

    assert "Left: loyalty mix" in caption() and "Right: likelihood to recommend" in caption()
    (run_copy.results / "nps.csv").unlink()
    assert "Left" not in caption() and "Loyalty mix on" in caption()


def test_a_long_touchpoint_label_keeps_its_dissatisfier_tag_on_the_chart(eng, run_copy):
    """With 120-character question labels the "(dissatisfier)" tags were cut off with the labels' ends."""
    import pandas as pd

    from cxkit.results.store import RunResults

    file = run_copy.results / "asymmetry.csv"
    table = pd.read_csv(file)
    row = table.index[table["kind"] == "dissatisfier"][0]
    long = "How would you rate the courtesy, politeness and helpfulness of the staff who answered your call " * 2
    table.loc[row, "label"] = long.strip()
    table.to_csv(file, index=False)
    title = RunResults(run_copy).claim("asymmetries").text
    (slide,) = [s for s in Presentation(str(build_deck(eng, run_copy).path)).slides if s.shapes.title.text == title]
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    (shown,) = [c for c in chart.plots[0].categories if c.startswith("How would you rate")]
    assert shown.endswith(" (dissatisfier)") and len(shown) <= 50


def test_the_data_checks_name_a_mapped_column_by_its_label_and_cut_a_long_one(eng, run_copy):
    """Star Wars' 130-character questions filled eight slides with two warnings each: the table names a touchpoint by
    its label and cuts any other column's name (the appendix workbook keeps it whole)."""
    import pandas as pd

    from cxkit.report.slides.closing import COLUMN_MAX
    from cxkit.results.store import RunResults

    file = run_copy.results / "data_quality.csv"
    table = pd.read_csv(file)
    attribute = eng.feedback.attributes[0]
    question = "Please state whether you view the following characters favorably or unfavorably, or are unfamiliar " \
               "with him or her - Han Solo"
    extra = pd.DataFrame({"severity": "warning", "file": table["file"].iloc[0], "column": [attribute.column, question],
                          "message": "31% of answers missing or coded as not applicable / don't know",
                          "rows": "", "rows_affected": 0, "fix": ""})
    pd.concat([table, extra]).to_csv(file, index=False)
    title = RunResults(run_copy).claim("data_quality").text
    slides = [s for s in Presentation(str(build_deck(eng, run_copy).path)).slides if s.shapes.title.text.startswith(title)]
    columns = [row.cells[2].text for s in slides for sh in s.shapes if sh.has_table for row in list(sh.table.rows)[1:]]
    assert attribute.label in columns and attribute.column not in columns
    (cut,) = [c for c in columns if c.startswith("Please state")]
    assert len(cut) <= COLUMN_MAX + 2 and cut.endswith("…")
