"""`cxkit inspect` on real survey files and hand-made exports: every file read as it comes, roles a consultant
would accept, and a starter engagement that loads and validates without edits (or a refusal saying why)."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxkit import load_engagement
from cxkit.cli import main
from cxkit.inputs.data import load_feedback, read_table, validate
from cxkit.inputs.inspect import StarterError, label_scale, plan_engagement, starter_config, suggest_columns
from cxkit.inputs.readers import ExportError, qsf_columns, read_export, read_qsf, sniff_delimiter

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
EXPORTS = Path(__file__).resolve().parent / "exports"
BANK = REALDATA / "bank_satisfaction_250.csv"
STARWARS = REALDATA / "starwars_surveymonkey.csv"
STEAK = REALDATA / "steak_risk_surveymonkey.csv"
FAVOURABILITY = ("Please state whether you view the following characters favorably, unfavorably, or are unfamiliar "
                 "with him/her. - ")

needs_realdata = pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata is not beside the project")


def _inspect(path, tmp_path, *extra, capsys=None):
    """Run `cxkit inspect FILE --write-config` in process: the exit code, the YAML path and what was printed."""
    target = tmp_path / "engagement" / "engagement.yaml"
    code = main(["inspect", str(path), "--write-config", str(target), *extra])
    out = capsys.readouterr() if capsys else None
    return code, target, out


def _validated(target):
    eng = load_engagement(target)
    report = validate(eng)
    assert not report.errors, [str(p) for p in report.errors]
    return eng, report


def _to_xlsx(source: Path, target: Path, encoding="utf-8", delimiter=","):
    """A CSV's rows saved as a workbook, numbers as numbers, as Excel would hold them after opening the CSV."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Responses"
    for row in csv.reader(io.StringIO(source.read_bytes().decode(encoding)), delimiter=delimiter):
        sheet.append([int(c) if c.isdigit() and len(c) < 12 else c for c in row])
    book.create_sheet("Notes").append(["exported for the tests"])
    book.save(target)
    return target


# ------------------------------------------------------------------ the corpus: every file, no edits

CORPUS = [("table_semicolon_cp1252.csv", ()), ("table_nps.tsv", ()), ("table_pipe.txt", ()),
          ("google_forms.csv", ()), ("qualtrics_2016.csv", ()), ("surveymonkey_expanded.csv", ()),
          ("qualtrics_current.csv", ("--qsf", str(EXPORTS / "qualtrics_current.qsf")))]


@pytest.mark.parametrize("name, extra", CORPUS, ids=[n for n, _ in CORPUS])
def test_each_fixture_export_gives_a_starter_that_validates_without_edits(name, extra, tmp_path, capsys):
    code, target, out = _inspect(EXPORTS / name, tmp_path, *extra, capsys=capsys)
    assert code == 0, out.err
    assert "valid against the data (0 errors" in out.out
    eng, _ = _validated(target)
    config = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert not Path(config["feedback"]["file"]).is_absolute()                   # relative to the YAML's folder
    assert (target.parent / config["feedback"]["file"]).resolve() == (EXPORTS / name).resolve()
    for scale in {eng.feedback.scale} | {o.scale for o in (eng.feedback.outcomes.satisfaction,
                                                           eng.feedback.outcomes.recommend) if o}:
        assert scale in eng.scales                                             # every scale named is defined


def test_the_xlsx_and_sav_versions_give_starters_that_validate(tmp_path, capsys):
    import pyreadstat

    workbooks = [_to_xlsx(EXPORTS / "surveymonkey_expanded.csv", tmp_path / "sm.xlsx", "cp1252"),
                 _to_xlsx(EXPORTS / "table_semicolon_cp1252.csv", tmp_path / "table.xlsx", "cp1252", ";")]
    frame = read_table(EXPORTS / "table_pipe.txt")
    frame["renewed"] = (frame["renewed"] == "yes").astype(float)
    pyreadstat.write_sav(frame.drop(columns=["mahalanobis"]), str(tmp_path / "survey.sav"),
                         variable_value_labels={"renewed": {0: "No", 1: "Yes"}})
    for path, fmt in ((workbooks[0], "surveymonkey"), (workbooks[1], "table"), (tmp_path / "survey.sav", "spss")):
        code, target, out = _inspect(path, tmp_path / path.stem, capsys=capsys)
        assert code == 0, out.err
        eng, _ = _validated(target)
        assert eng.feedback.format == fmt
        touchpoints = {"surveymonkey": 3, "table": 4, "spss": 4}[fmt]
        assert len(eng.feedback.attributes) == touchpoints


@needs_realdata
def test_bank_starter_has_the_roles_a_consultant_would_give(tmp_path, capsys):
    code, target, out = _inspect(BANK, tmp_path, capsys=capsys)
    assert code == 0, out.err
    assert "read as table" in out.out and "delimiter ',' (comma)" in out.out and "encoding utf-8" in out.out
    eng, report = _validated(target)
    fb = eng.feedback
    expected = [f"{stem}{k}" for stem, n in (("imag", 5), ("expe", 5), ("qual", 5), ("val", 4)) for k in range(1, n + 1)]
    assert [a.column for a in fb.attributes] == expected
    assert fb.outcomes.satisfaction.column == "sat1" and fb.outcomes.recommend is None
    assert fb.descriptors == ("gender",) and fb.id is None
    assert "id" not in yaml.safe_load(target.read_text())["feedback"]              # the row is the respondent
    scale = eng.scales[fb.scale]
    assert (scale.min, scale.max) == (0, 10) and 0 not in scale.missing_codes      # 0 is a real score here
    assert fb.outcomes.satisfaction.scale == fb.scale
    clean = report.frames["feedback"]
    assert (clean["imag1"] == 0).sum() == 1 and (clean["sat1"] == 0).sum() == 4    # the answers of 0 are kept


@needs_realdata
def test_starwars_starter_reads_the_favourability_matrix_on_its_labels(tmp_path, capsys):
    code, target, out = _inspect(STARWARS, tmp_path, capsys=capsys)
    assert code == 0, out.err
    assert "read as surveymonkey" in out.out and "encoding cp1252" in out.out
    eng, report = _validated(target)
    fb = eng.feedback
    assert fb.id == "RespondentID" and fb.format == "surveymonkey"
    assert fb.outcomes.yes_no.column == "Do you consider yourself to be a fan of the Star Wars film franchise?"
    assert fb.outcomes.satisfaction is None and fb.outcomes.recommend is None     # the yes/no outcome alone
    characters = [c.removeprefix(FAVOURABILITY) for c in [a.column for a in fb.attributes]]
    assert len(characters) == 14 and characters[0] == "Han Solo" and "Yoda" in characters
    assert all(c.startswith(FAVOURABILITY) for c in [a.column for a in fb.attributes])
    assert all(a.label == a.column.removeprefix(FAVOURABILITY) for a in fb.attributes)
    scale = eng.scales[fb.scale]
    assert scale.labels["Very favorably"] == 5 and scale.labels["Very unfavorably"] == 1
    assert scale.labels["Neither favorably nor unfavorably (neutral)"] == 3
    assert "Unfamiliar (N/A)" in scale.missing_labels
    assert not any("rank" in a.column for a in fb.attributes)
    assert set(fb.descriptors) == {"Gender", "Age", "Household Income", "Education", "Location (Census Region)"}
    table = suggest_columns(read_export(STARWARS)).set_index("column")
    ranks = table[table.index.str.startswith("Please rank")]
    assert len(ranks) == 6 and set(ranks["role"]) == {"ranking"}
    han = report.frames["feedback"][FAVOURABILITY + "Han Solo"]
    assert han.max() == 5 and han.isna().sum() > 0                               # N/A made missing, not a rating


@needs_realdata
def test_steak_is_refused_with_the_reason_and_the_fix(tmp_path, capsys):
    code, target, out = _inspect(STEAK, tmp_path, capsys=capsys)
    assert code == 2 and not target.exists()
    assert "Traceback" not in out.err and str(STEAK) in out.err
    assert "no outcome to analyse" in out.err and "--outcome" in out.err and "yes no" in out.err
    assert "- Do you ever gamble?: yes_no" in out.out                             # the listing still came first


@needs_realdata
def test_steak_with_a_named_yes_no_outcome_gives_a_starter(tmp_path, capsys):
    code, target, out = _inspect(STEAK, tmp_path, "--outcome", "Do you eat steak?", capsys=capsys)
    assert code == 0, out.err
    eng, _ = _validated(target)
    assert eng.feedback.outcomes.yes_no.column == "Do you eat steak?" and eng.feedback.attributes == ()
    written = target.read_text()   # the starter says where the outcome came from: the flag, not its name
    assert "'Do you eat steak?', given with --outcome; CHECK" in written and "found by its" not in written


@needs_realdata
# the real files' starters run to decks whose every title is supported: tests/run/test_truthful.py


# ------------------------------------------------------------------ reading plain tables

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter):
    text = delimiter.join(["id", "wait time", "comment"]) + "\n" + \
        delimiter.join(["1", "4", '"Fine, thanks; really"']) + "\n" + delimiter.join(["2", "5", "ok"]) + "\n"
    assert sniff_delimiter(text) == delimiter


def test_a_semicolon_table_reads_in_an_engagement_and_says_so(tmp_path):
    source = EXPORTS / "table_semicolon_cp1252.csv"
    (tmp_path / "data.csv").write_bytes(source.read_bytes())
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "client": "Semicolons", "engagement_id": "semicolons",
        "feedback": {"file": "data.csv", "encoding": "cp1252", "id": "customer_id",
                     "attributes": [{"column": c, "label": c} for c in ("wait_time", "staff_courtesy", "app_ease")],
                     "outcomes": {"satisfaction": {"column": "overall_satisfaction", "label": "Overall",
                                                   "scale": "sat10"}}}}))
    report = validate(load_engagement(tmp_path / "engagement.yaml"))
    assert not report.errors
    assert any(p.severity == "info" and "';'" in p.message for p in report.problems)
    assert set(report.frames["feedback"]["app_ease"].dropna()) <= {1, 2, 3, 4, 5}    # the 0s are rating5's code


def test_a_table_that_would_read_as_one_column_is_refused_naming_the_delimiter(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("id;wait;staff\n1;2\n3;4\n5\n")
    with pytest.raises(ExportError, match=r"broken.csv: the header holds 2 semicolons \(';'\).*Fix: "):
        read_table(path)


def test_encodings_are_sniffed_and_shown(tmp_path, capsys):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,city,rating\n1,K\u00f6ln,4\n2,M\u00e1laga,5\n3,Ol\u0081,3\n".encode("latin-1"))
    export = read_export(latin)
    assert export.report.encoding == "latin-1" and export.frame["city"].tolist()[0] == "K\u00f6ln"
    assert main(["inspect", str(EXPORTS / "table_semicolon_cp1252.csv"), "--format", "auto"]) == 0
    out = capsys.readouterr().out
    assert "encoding cp1252, delimiter ';' (semicolon)" in out and "- region: descriptor" in out
    assert "\u00cele-de-France" in out


def test_an_empty_column_is_listed_not_a_crash(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("id,wait,staff,overall,notes\n" + "".join(f"{i},{1 + i % 5},{1 + (i * 3) % 5},{1 + i % 10},\n"
                                                            for i in range(30)))
    code, target, out = _inspect(path, tmp_path, capsys=capsys)
    assert code == 0 and "- notes: empty" in out.out
    assert "notes" not in yaml.safe_load(target.read_text())["feedback"].get("descriptors", [])


# ------------------------------------------------------------------ roles and scales

def _plan(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return plan_engagement(read_export(path))


def test_numbers_that_are_not_ratings_are_never_touchpoints(tmp_path):
    rng = np.random.default_rng(1)
    n = 60
    frame = pd.DataFrame({"age": rng.integers(18, 80, n), "delay_minutes": rng.integers(0, 9, n),
                          "distance_km": rng.integers(1, 11, n), "visits_count": rng.integers(0, 6, n),
                          "mahalanobis": rng.gamma(2, 1, n).round(3), "staff": rng.integers(1, 6, n),
                          "billing": rng.integers(1, 6, n), "overall_satisfaction": rng.integers(1, 11, n)})
    plan = _plan(tmp_path, frame)
    roles = {c.name: c.role for c in plan.columns}
    assert [c.name for c in plan.attributes] == ["staff", "billing"]
    assert roles["age"] == "descriptor" and "banded" in next(c.note for c in plan.columns if c.name == "age")
    assert {roles[c] for c in ("delay_minutes", "distance_km", "visits_count", "mahalanobis")} == {"number"}
    assert plan.satisfaction.name == "overall_satisfaction" and plan.satisfaction not in plan.attributes


def test_waves_weights_and_dates_are_found(tmp_path):
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"wave": ["2025-Q1", "2025-Q2"] * 20, "survey_weight": rng.uniform(0.5, 1.5, 40).round(2),
                          "submitted": [f"2025-0{1 + i % 6}-1{i % 9} 10:00:00" for i in range(40)],
                          "staff": rng.integers(1, 6, 40), "billing": rng.integers(1, 6, 40),
                          "overall": rng.integers(1, 6, 40)})
    plan = _plan(tmp_path, frame)
    assert (plan.wave.name, plan.weight.name) == ("wave", "survey_weight")
    assert next(c.role for c in plan.columns if c.name == "submitted") == "date"
    assert [c.name for c in plan.attributes] == ["staff", "billing"] and plan.satisfaction.name == "overall"


def test_ranks_are_never_ratings_with_or_without_a_question_saying_so(tmp_path):
    rng = np.random.default_rng(2)
    ranks = np.array([rng.permutation(4) + 1 for _ in range(50)])
    frame = pd.DataFrame({f"pref{k + 1}": ranks[:, k] for k in range(4)})
    frame["quality"] = rng.integers(1, 6, 50)
    frame["speed"] = rng.integers(1, 6, 50)
    frame["overall"] = rng.integers(1, 11, 50)
    plan = _plan(tmp_path, frame)
    assert {c.name: c.role for c in plan.columns if c.name.startswith("pref")} == {f"pref{k}": "ranking"
                                                                                    for k in range(1, 5)}
    assert [c.name for c in plan.attributes] == ["quality", "speed"]


def test_a_rare_zero_on_a_1_to_5_item_is_flagged_as_not_applicable(tmp_path, capsys):
    code, target, _ = _inspect(EXPORTS / "table_semicolon_cp1252.csv", tmp_path, capsys=capsys)
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert "CHECK: 0 is seldom given on an otherwise 1-5 scale" in text and "missing_codes: [0]" in text
    eng, report = _validated(target)
    assert eng.feedback.scale == "rating5" and 0 in eng.scales["rating5"].missing_codes
    assert report.frames["feedback"]["app_ease"].isna().sum() == 2
    assert eng.feedback.id == "customer_id" and eng.feedback.value == "annual_spend"
    assert eng.feedback.comment == "comment" and set(eng.feedback.descriptors) == {"region", "age"}


def test_a_0_to_10_item_with_common_zeros_keeps_them(tmp_path, capsys):
    recommend = plan_engagement(read_export(EXPORTS / "table_nps.tsv")).recommend
    assert (recommend.scale.min, recommend.scale.max) == (0, 10) and 0 not in recommend.scale.missing_codes
    assert "0 is a real score" in recommend.note
    code, target, _ = _inspect(EXPORTS / "table_nps.tsv", tmp_path, capsys=capsys)
    assert code == 0
    eng, report = _validated(target)
    recommend = eng.feedback.outcomes.recommend
    assert recommend.column == "nps" and recommend.scale == "recommend11" and eng.nps_column == "nps"
    assert (report.frames["feedback"]["nps"] == 0).sum() == 8
    assert eng.feedback.weight == "weight" and eng.feedback.id == "respondent"
    assert not any(a.column.startswith("rank") for a in eng.feedback.attributes)


def test_recommend_is_read_on_0_to_10_even_when_nobody_gave_0(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"staff": rng.integers(1, 6, 40), "billing": rng.integers(1, 6, 40),
                          "likely_to_recommend": rng.integers(1, 11, 40)})
    plan = _plan(tmp_path, frame)
    assert plan.recommend.name == "likely_to_recommend" and plan.recommend.scale.range_key == "0-10"


def test_ids_must_be_unique_and_named_so(tmp_path):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"id": [1, 1] + list(range(2, 40)), "code": range(40), "staff": rng.integers(1, 6, 40),
                          "billing": rng.integers(1, 6, 40), "overall": rng.integers(1, 11, 40)})
    assert _plan(tmp_path, frame).id is None                                   # repeated: not an id
    frame["id"] = [f"X{i}" for i in range(40)]
    assert _plan(tmp_path, frame).id.name == "id"


def test_label_scales_are_ordered_by_their_words_or_not_at_all():
    guess = label_scale(["Very likely", "Somewhat likely", "Not at all likely", "Not very likely", "Don't know"])
    assert [label for label, _ in sorted(guess.labels, key=lambda kv: kv[1])] == [
        "Not at all likely", "Not very likely", "Somewhat likely", "Very likely"]
    assert label_scale(["Agree", "Strongly agree", "Disagree"]).labels == "agree5"
    assert label_scale(["Red", "Green", "Blue"]) is None
    assert label_scale(["North Street", "Harbour Road", "Station Square"]) is None


def test_a_checkbox_is_never_the_comment(tmp_path):
    plan = plan_engagement(read_export(EXPORTS / "google_forms.csv"))
    roles = {c.name: c.role for c in plan.columns}
    assert roles["Which facilities did you use?"] == "checkbox" and plan.comment.name == "Any comments?"
    assert plan.yes_no.name == "Would you stay with us again?"
    assert [c.matrix_row for c in plan.attributes] == ["Booking", "Check-in", "Room", "Breakfast"]


# ------------------------------------------------------------------ platform exports

def test_surveymonkey_header_variants_are_detected(tmp_path):
    for first, collector in (("RespondentID", "CollectorID"), ("Respondent ID", "Collector ID")):
        path = tmp_path / f"{first}.csv"
        path.write_text(f"{first},{collector},How was it?\n,,Response\n101,7,Good\n102,7,Poor\n")
        export = read_export(path)
        assert export.report.format == "surveymonkey" and first in export.report.reason
        assert export.frame.columns.tolist() == [first, collector, "How was it?"]
    plain = tmp_path / "plain.csv"
    plain.write_text("Respondent ID,How was it?\n101,Good\n102,Poor\n")          # one header row: a table
    assert read_export(plain).report.format == "table"


def test_surveymonkey_expanded_single_choice_checkbox_and_matrix(tmp_path):
    export = read_export(EXPORTS / "surveymonkey_expanded.csv")
    frame, report = export.frame, export.report
    assert report.encoding == "cp1252" and report.rows_kept == 40
    store = frame["Which store did you visit?"]                                # one column, the chosen option
    assert set(store.dropna()) == {"North Street", "Harbour Road", "Station Square", "Other"}
    assert "Which store did you visit? - North Street" not in frame
    other = frame["Which store did you visit? - Other (please specify)"]
    assert (store[other.notna()] == "Other").all()
    coffee = frame["What did you buy? - Coffee"]                               # checkbox: a column per option
    assert set(coffee.dropna()) == {"Selected", "Not selected"}
    staff = export.question("How satisfied were you with\u2026 - Friendliness of staff")
    assert staff.kind == "matrix" and staff.matrix_row == "Friendliness of staff"
    assert any("single-choice question(s)" in n for n in report.notes)
    assert any("checkbox question(s)" in n for n in report.notes)


def test_a_surveymonkey_xlsx_is_read_as_its_export_not_an_encoding_problem(tmp_path):
    export = read_export(_to_xlsx(EXPORTS / "surveymonkey_expanded.csv", tmp_path / "sm.xlsx", "cp1252"))
    assert export.report.format == "surveymonkey" and export.report.sheet == "Responses"
    assert "Which store did you visit?" in export.frame and len(export.frame) == 40
    assert any("sheet 'Responses' of 2" in n for n in export.report.notes)


def test_qualtrics_2016_layout_is_legacy_with_import_ids_and_split_matrices():
    export = read_export(EXPORTS / "qualtrics_2016.csv")
    report = export.report
    assert report.format == "qualtrics_legacy" and "2016" in report.reason
    assert dict(report.dropped) == {"survey previews and tests (Status)": 1, "spam (Status)": 1,
                                    "unfinished responses (Finished = 0)": 0, "repeated ResponseID": 0}
    q = export.question("Q1_3")
    assert q.text == "How would you rate our follow-up after a repair? Please rate each part"   # its hyphen kept
    assert (q.matrix_row, q.import_id, q.kind) == ("Price of the work", "QID1_3", "matrix")
    assert export.question("Q2").matrix_row is None


def test_qualtrics_tests_and_spam_are_dropped_and_counted():
    export = read_export(EXPORTS / "qualtrics_current.csv")
    assert dict(export.report.dropped) == {"survey previews and tests (Status)": 2, "spam (Status)": 1,
                                           "unfinished responses (Finished = 0)": 1, "repeated ResponseId": 0}
    assert not {"R_1003", "R_1007", "R_1011", "R_1015"} & set(export.frame["ResponseId"])
    lines = "\n".join(export.report.lines())
    assert "2 dropped: survey previews and tests" in lines and "1 dropped: spam" in lines


def test_qsf_checkboxes_read_per_choice_and_custom_tags_are_matched(tmp_path):
    export = read_export(EXPORTS / "qualtrics_current.csv")
    survey = read_qsf(EXPORTS / "qualtrics_current.qsf")
    mapped = qsf_columns(export.frame.columns, {q.column: q for q in export.questions}, survey)
    assert mapped["region"].tag == "region" and mapped["Q4_2"].checkbox and mapped["Q1_3"].choice == "3"
    raw = export.frame
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "client": "Qsf", "engagement_id": "qsf",
        "scales": {"agree": {"min": 1, "max": 5, "labels": "agree5"}},
        "feedback": {"file": str(EXPORTS / "qualtrics_current.csv"), "format": "qualtrics",
                     "qsf": str(EXPORTS / "qualtrics_current.qsf"), "id": "ResponseId", "scale": "agree",
                     "attributes": [{"column": f"Q1_{k}", "label": f"S{k}"} for k in (1, 2, 3, 4)],
                     "outcomes": {"satisfaction": {"column": "Q2", "label": "Overall", "scale": "sat10"},
                                  "yes_no": {"column": "Q4_3", "label": "Uses chat", "yes": ["Selected"],
                                             "no": ["Not selected"]}},
                     "descriptors": ["region", "Q4_1"]}}))
    eng = load_engagement(tmp_path / "engagement.yaml")
    report = validate(eng)
    assert not report.errors
    fb = load_feedback(eng)
    assert set(fb["region"]) == {"North", "South", "West"}
    phone = fb["Q4_1"]
    assert set(phone.dropna()) == {"Selected", "Not selected"}                   # never "Phone" in every column
    ticked = raw["Q4_1"].notna().to_numpy()
    assert (phone.to_numpy()[ticked] == "Selected").all()
    assert fb["Q1_1"].between(1, 5).all() and fb["Q1_3"].isna().sum() >= 1      # -99 "No opinion" is missing


def test_a_choice_export_tag_names_its_own_column(tmp_path):
    survey = {"SurveyElements": [{"Element": "SQ", "Payload": {
        "QuestionID": "QID7", "DataExportTag": "sat", "QuestionType": "Matrix", "QuestionText": "Rate us",
        "Choices": {"1": {"Display": "Staff"}, "2": {"Display": "Price"}},
        "ChoiceDataExportTags": {"1": "sat_staff", "2": "sat_price"},
        "Answers": {"1": {"Display": "Poor"}, "2": {"Display": "Good"}}}}]}
    parsed = read_qsf(EXPORTS / "qualtrics_current.qsf")
    assert parsed["Q4"]["multi"] and not parsed["region"]["multi"]
    (tmp_path / "tags.qsf").write_text(json.dumps(survey))
    mapped = qsf_columns(["sat_staff", "sat_price", "other"], {}, read_qsf(tmp_path / "tags.qsf"))
    assert {c: (m.tag, m.choice) for c, m in mapped.items()} == {"sat_staff": ("sat", "1"), "sat_price": ("sat", "2")}


def test_spss_value_labels_are_shown_by_inspect(tmp_path, capsys):
    import pyreadstat

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"resp": [f"S{i}" for i in range(40)], "staff": rng.integers(1, 6, 40).astype(float),
                          "billing": rng.integers(1, 6, 40).astype(float), "overall": rng.integers(1, 11, 40).astype(float),
                          "region": rng.integers(1, 3, 40).astype(float)})
    pyreadstat.write_sav(frame, str(tmp_path / "survey.sav"),
                         variable_value_labels={"region": {1: "North", 2: "South"},
                                                "staff": {1: "Very poor", 5: "Excellent"}})
    code, target, out = _inspect(tmp_path / "survey.sav", tmp_path, capsys=capsys)
    assert code == 0
    assert "- region: descriptor;" in out.out and "1 = North" in out.out and "5 = Excellent" in out.out
    eng, report = _validated(target)
    assert set(report.frames["feedback"]["region"]) == {"North", "South"}
    assert eng.feedback.format == "spss" and [a.column for a in eng.feedback.attributes] == ["staff", "billing"]


# ------------------------------------------------------------------ the starter itself

def test_the_starter_yaml_is_its_settings_with_comments(tmp_path):
    export = read_export(EXPORTS / "table_pipe.txt")
    starter = starter_config(export, EXPORTS / "table_pipe.txt", tmp_path / "sub" / "engagement.yaml",
                             client="Acme")
    assert yaml.safe_load(starter.text) == starter.config
    assert starter.config["client"] == "Acme" and "client's name" not in starter.text
    assert starter.config["feedback"]["file"].startswith("../") and starter.config["feedback"]["format"] == "table"
    assert "# " in starter.text and any("CHECK" in line for line in starter.checks)
    assert set(starter.config["feedback"]["outcomes"]) >= {"yes_no"}


def test_a_yes_no_outcome_alone_is_the_starter_outcome(tmp_path):
    starter = starter_config(read_export(EXPORTS / "table_pipe.txt"), EXPORTS / "table_pipe.txt",
                             tmp_path / "engagement.yaml")
    outcomes = starter.config["feedback"]["outcomes"]
    assert set(outcomes) == {"yes_no"} and outcomes["yes_no"]["column"] == "renewed"
    assert len(starter.config["feedback"]["attributes"]) == 4     # every touchpoint stays a touchpoint


def test_refusals_name_the_file_and_the_fix(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv: file not found" in err and "Fix:" in err
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert main(["inspect", str(tmp_path / "old.xls")]) == 2
    assert "save it as .xlsx" in capsys.readouterr().err
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    assert main(["inspect", str(tmp_path / "bad.xlsx")]) == 2
    assert "bad.xlsx: not a readable Excel workbook" in capsys.readouterr().err
    assert main(["inspect", str(EXPORTS / "table_pipe.txt"), "--write-config", str(tmp_path / "e.yaml"),
                 "--outcome", "nps"]) == 2
    err = capsys.readouterr().err
    assert "no column named 'nps'" in err and "--outcome" in err and not (tmp_path / "e.yaml").exists()
    with pytest.raises(StarterError, match=r"table_pipe.txt: column 'distance_km' cannot be the outcome.*Fix: "):
        starter_config(read_export(EXPORTS / "table_pipe.txt"), EXPORTS / "table_pipe.txt", tmp_path / "e.yaml",
                       outcome="distance_km")


def test_labels_read_as_words_on_a_slide(tmp_path, capsys):
    """Identifier column names become words; codes stay as they are; outcomes get their standard names, with the
    question they came from in the CHECK comment."""
    from cxkit.inputs.inspect import _words

    assert [_words(n) for n in ("app_ease", "AppEase", "RespondentID", "NPS_score", "Q1_1", "x2", "Wait time")] == \
        ["App ease", "App ease", "Respondent ID", "NPS score", "Q1_1", "x2", "Wait time"]
    code, target, _ = _inspect(EXPORTS / "surveymonkey_expanded.csv", tmp_path, capsys=capsys)
    assert code == 0
    eng, _ = _validated(target)
    assert eng.feedback.outcomes.recommend.label == "Likelihood to recommend"
    assert "# recommend: 'How likely is it that you would recommend us to a friend?', found" in \
        target.read_text(encoding="utf-8")
    code, target, _ = _inspect(EXPORTS / "table_semicolon_cp1252.csv", tmp_path / "t", capsys=capsys)
    eng, _ = _validated(target)
    assert [a.label for a in eng.feedback.attributes] == ["Wait time", "Staff courtesy", "Billing clarity", "App ease"]
    assert eng.feedback.outcomes.satisfaction.label == "Overall satisfaction"


def test_a_starter_client_name_left_as_it_is_is_warned_about(engagement_copy):
    """The starter's placeholder client would head every deck: validation says so (a warning, the run goes on)."""
    import yaml

    from cxkit.inputs.config import STARTER_CLIENT, load_engagement
    from cxkit.inputs.data import validate

    config = yaml.safe_load(engagement_copy.read_text())
    config["client"] = STARTER_CLIENT
    engagement_copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    report = validate(load_engagement(engagement_copy))
    assert report.ok and any("starter's placeholder" in p.message for p in report.warnings)
