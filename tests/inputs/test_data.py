"""The data contract: every bad input gets a clear message naming file, column and rows; inputs are never modified."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

from cxkit import DataError, load_engagement
from cxkit.inputs.data import load_diagnostic, load_feedback, validate


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _edit_feedback(config, edit):
    path = config.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False)
    return load_engagement(config)


def _errors(eng):
    return validate(eng).errors


def test_sample_is_valid_with_warnings(eng):
    report = validate(eng)
    assert report.ok
    assert report.rows == {"feedback": 3000, "diagnostic": 320}
    messages = " ".join(p.message for p in report.warnings)
    assert "straight-lining" in messages and "fewer than 5" in messages and "lists no touchpoints" not in messages


def test_an_engagement_without_touchpoints_is_valid_and_told_so_at_once(engagement_copy):
    """attributes: [] was accepted silently, and the deck then blamed the data ("0 have answers")."""
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["attributes"] = []
    engagement_copy.write_text(yaml.safe_dump(raw))
    report = validate(load_engagement(engagement_copy))
    assert report.ok
    (told,) = [p for p in report.warnings if "lists no touchpoints" in p.message]
    assert "key drivers" in told.message and "feedback.attributes" in told.fix


def test_missing_codes_become_missing_never_ratings(eng, feedback):
    raw = pd.read_csv(eng.data_path("feedback"))
    coded = raw["installation"].isin([0, 99])
    assert coded.sum() > 100
    assert feedback.loc[coded.to_numpy(), "installation"].isna().all()
    assert feedback["wait_time"].max() == 5 and feedback["wait_time"].min() >= 1


def test_rating_outside_the_scale(engagement_copy):
    def edit(frame):
        frame.loc[[3, 10], "wait_time"] = "7"
        return frame
    errors = _errors(_edit_feedback(engagement_copy, edit))
    (problem,) = errors
    assert problem.column == "wait_time" and problem.rows == (5, 12)  # header is row 1
    assert problem.file.endswith("feedback.csv") and "outside" in problem.message and "'7'" in str(problem)


def test_text_in_a_rating_column(engagement_copy):
    def edit(frame):
        frame.loc[0, "staff_courtesy"] = "Very good"
        return frame
    (problem,) = _errors(_edit_feedback(engagement_copy, edit))
    assert problem.column == "staff_courtesy" and problem.rows == (2,) and "text" in problem.message
    assert "Very good" in str(problem) and problem.fix


def test_duplicate_ids(engagement_copy):
    def edit(frame):
        frame.loc[5, "respondent_id"] = frame.loc[4, "respondent_id"]
        return frame
    (problem,) = _errors(_edit_feedback(engagement_copy, edit))
    assert problem.column == "respondent_id" and problem.rows == (6, 7)


def test_missing_mapped_column_suggests_the_close_name(engagement_copy):
    def edit(frame):
        return frame.rename(columns={"billing_clarity": "billing_clarty"})
    (problem,) = _errors(_edit_feedback(engagement_copy, edit))
    assert problem.column == "billing_clarity" and "billing_clarty" in problem.fix
    assert "feedback.attributes[2].column" in problem.message


def test_every_problem_at_once(engagement_copy):
    def edit(frame):
        frame.loc[0, "staff_courtesy"] = "good"
        frame.loc[1, "wait_time"] = "6"
        frame.loc[2, "renewed"] = "maybe"
        frame.loc[3, "annual_revenue"] = "$1,000"
        return frame
    errors = _errors(_edit_feedback(engagement_copy, edit))
    assert {p.column for p in errors} == {"staff_courtesy", "wait_time", "renewed", "annual_revenue"}


def test_empty_file(engagement_copy):
    (engagement_copy.parent / "feedback.csv").write_text("")
    (problem,) = _errors(load_engagement(engagement_copy))
    assert problem.file.endswith("feedback.csv") and "empty" in problem.message


def test_header_only_and_one_respondent(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n")
    errors = _errors(load_engagement(engagement_copy))
    assert any("only 1 respondent" in p.message for p in errors)


def test_a_windows_1252_table_is_read_as_such_and_said(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    path.write_bytes(path.read_bytes().replace(b"Took three calls", b"Took thr\xe9e calls", 1))
    eng = load_engagement(engagement_copy)
    report = validate(eng)
    assert report.ok
    assert any("encoding cp1252" in p.message for p in report.problems if p.severity == "info")
    assert load_feedback(eng)["comment"].str.contains("thrée").any()


def test_a_table_mixing_utf8_with_another_encoding_names_the_line_and_the_fix(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    data = path.read_bytes()
    line = data[:data.index(b"Took three calls")].count(b"\n") + 1
    path.write_bytes(data.replace(b"Took three calls", b"Took thr\xe9e calls", 1) + "Caf\u00e9".encode())
    (problem,) = _errors(load_engagement(engagement_copy))
    assert "mixes UTF-8" in problem.message and f"line {line}" in problem.message
    assert "CSV UTF-8" in problem.fix or "CSV UTF-8" in problem.message


@pytest.mark.parametrize("bom", [True, False])
def test_a_table_saved_as_utf16_is_read(engagement_copy, bom):
    path = engagement_copy.parent / "feedback.csv"
    text = path.read_text(encoding="utf-8").replace("Took three calls", "Took thr\u00e9e calls \u4e2d\u6587", 1)
    path.write_bytes((b"\xff\xfe" if bom else b"") + text.encode("utf-16-le"))
    eng = load_engagement(engagement_copy)
    report = validate(eng)
    assert report.ok, [str(p) for p in report.errors]
    assert any("encoding utf-16" in p.message for p in report.problems if p.severity == "info")
    assert load_feedback(eng)["comment"].str.contains("thrée calls \u4e2d\u6587").any()


def test_declared_encoding_reads_the_file(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    path.write_bytes(path.read_bytes().replace(b"Took three calls", b"Took thr\xe9e calls"))
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["encoding"] = "cp1252"
    engagement_copy.write_text(yaml.safe_dump(raw))
    eng = load_engagement(engagement_copy)
    assert validate(eng).ok
    assert load_feedback(eng)["comment"].str.contains("thrée").any()


def test_excel_with_a_wrong_sheet_name(engagement_copy):
    folder = engagement_copy.parent
    pd.read_csv(folder / "feedback.csv").to_excel(folder / "feedback.xlsx", sheet_name="Responses", index=False)
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"].update(file="feedback.xlsx", sheet="Respones")
    engagement_copy.write_text(yaml.safe_dump(raw))
    (problem,) = _errors(load_engagement(engagement_copy))
    assert "Respones" in problem.message and "Responses" in problem.message

    raw["feedback"]["sheet"] = "Responses"
    engagement_copy.write_text(yaml.safe_dump(raw))
    eng = load_engagement(engagement_copy)
    assert validate(eng).ok
    assert len(load_feedback(eng)) == 3000


def test_unmapped_level_value(engagement_copy):
    path = engagement_copy.parent / "diagnostic.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[7, "level"] = "Director"
    frame.to_csv(path, index=False)
    (problem,) = _errors(load_engagement(engagement_copy))
    assert problem.column == "level" and problem.rows == (9,) and "Director" in str(problem)


def test_load_raises_with_all_problems(engagement_copy):
    def edit(frame):
        frame.loc[0, "wait_time"] = "x"
        return frame
    eng = _edit_feedback(engagement_copy, edit)
    with pytest.raises(DataError) as caught:
        load_feedback(eng)
    assert "wait_time" in str(caught.value)


def test_inputs_are_never_modified(engagement_copy):
    before = _digest(engagement_copy.parent)
    eng = load_engagement(engagement_copy)
    validate(eng)
    load_feedback(eng)
    load_diagnostic(eng)
    assert _digest(engagement_copy.parent) == before


def test_driving_force_rows_rescaled_or_left_out(eng, diagnostic, truth):
    columns = list(eng.diagnostic.driving_force.values())
    totals = diagnostic[columns].sum(axis=1, min_count=1)
    kept = totals.dropna()
    assert np.allclose(kept, 100)
    raw = pd.read_csv(eng.data_path("diagnostic"))
    far = (raw[columns].sum(axis=1) - 100).abs() > eng.thresholds.driving_force_tolerance
    assert far.sum() == 1 and diagnostic.loc[far.to_numpy(), columns].isna().all(axis=None)


def test_reverse_scored_items_are_flipped(engagement_copy):
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["diagnostic"]["items"][0]["reverse"] = True
    engagement_copy.write_text(yaml.safe_dump(raw))
    flipped = load_diagnostic(load_engagement(engagement_copy))["cd_1"]
    original = pd.read_csv(engagement_copy.parent / "diagnostic.csv")["cd_1"]
    valid = original.between(1, 5)
    assert (flipped[valid] == 6 - original[valid]).all()


def test_straight_liners_are_left_out_on_request(engagement_copy, eng, feedback):
    import yaml

    from cxkit import load_engagement
    from cxkit.inputs.data import load_feedback, validate

    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["exclude_straight_liners"] = True
    engagement_copy.write_text(yaml.safe_dump(raw))
    strict = load_engagement(engagement_copy)
    warning = next(p for p in validate(strict).warnings if "straight-lining" in p.message)
    assert "excluded" in warning.message
    assert len(load_feedback(strict)) == len(feedback) - warning.n_rows


def test_an_excel_export_with_a_title_row_reads_from_its_header_row(engagement_copy, feedback):
    folder = engagement_copy.parent
    raw_csv = pd.read_csv(folder / "feedback.csv", dtype={"respondent_id": str})
    with pd.ExcelWriter(folder / "export.xlsx") as writer:
        pd.DataFrame([["Customer survey export, March 2026"]]).to_excel(writer, sheet_name="Responses", index=False,
                                                                         header=False)
        raw_csv.to_excel(writer, sheet_name="Responses", index=False, startrow=1)
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"].update(file="export.xlsx", sheet="Responses", header_row=2)
    engagement_copy.write_text(yaml.safe_dump(raw))
    fb = load_feedback(load_engagement(engagement_copy))
    pd.testing.assert_series_equal(fb["first_time_resolution"], feedback["first_time_resolution"])


def test_diagnostic_straight_liners_are_flagged_and_left_out_on_request(engagement_copy, diagnostic):
    folder = engagement_copy.parent
    frame = pd.read_csv(folder / "diagnostic.csv", dtype=str, keep_default_na=False)
    items = [c for c in frame.columns if c[:3] in ("cd_", "es_", "sb_", "lc_", "os_") and not c.endswith("_target")]
    frame.loc[[0, 1], items] = "4"                      # two employees agree with everything, reversed items too
    frame.to_csv(folder / "diagnostic.csv", index=False)
    warning = next(p for p in validate(load_engagement(engagement_copy)).warnings if "every statement" in p.message)
    assert warning.rows[:2] == (2, 3) and "kept" in warning.message
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["diagnostic"]["exclude_straight_liners"] = True
    engagement_copy.write_text(yaml.safe_dump(raw))
    assert len(load_diagnostic(load_engagement(engagement_copy))) == len(diagnostic) - warning.n_rows


def test_a_recommend_question_not_on_0_to_10_gets_no_nps_and_a_warning(engagement_copy):
    import yaml

    from cxkit.analysis import customers

    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["outcomes"]["recommend"]["scale"] = "sat10"   # 1-10: the 0 answers are errors, the rest stand
    engagement_copy.write_text(yaml.safe_dump(raw))
    eng = load_engagement(engagement_copy)
    report = validate(eng)
    assert eng.nps_column is None
    assert any("no NPS is computed" in p.message and p.column == "likelihood_to_recommend" for p in report.warnings)
    if report.ok:
        assert customers.nps(load_feedback(eng), eng).empty


@pytest.mark.parametrize("dates, expected", [
    (["25/03/2026 14:05", "02/04/2026 09:30"], ["2026-Q1", "2026-Q2"]),      # day first, no seconds
    (["25.03.2026", "2.4.2026"], ["2026-Q1", "2026-Q2"]),
    (["2026-03-25T14:05", "2026-04-02T09:30"], ["2026-Q1", "2026-Q2"]),
    (["25 March 2026", "2 April 2026"], ["2026-Q1", "2026-Q2"]),
    (["3/25/2026 2:05 PM", "4/2/2026 9:30 AM"], ["2026-Q1", "2026-Q2"]),   # month first, 12-hour clock
])
def test_common_date_forms_become_waves(dates, expected):
    from cxkit.inputs.data import waves_from_dates

    waves, problems = waves_from_dates(pd.Series(dates), "quarter", "when", "x.csv")
    assert waves.tolist() == expected and not problems


def test_dates_that_could_be_day_or_month_first_ask_for_their_form():
    from cxkit.inputs.data import waves_from_dates

    dates = pd.Series(["01/04/2026", "03/05/2026", "12/01/2026"])   # no day above 12: 1 April or 4 January?
    _, problems = waves_from_dates(dates, "quarter", "when", "x.csv")
    assert len(problems) == 1 and "day-first or month-first" in problems[0].message
    assert "feedback.date_format: '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)" in problems[0].fix
    waves, problems = waves_from_dates(dates, "quarter", "when", "x.csv", "%d/%m/%Y")
    assert waves.tolist() == ["2026-Q2", "2026-Q2", "2026-Q1"] and not problems
    same, problems = waves_from_dates(dates, "year", "when", "x.csv")   # both readings give the same waves
    assert same.tolist() == ["2026"] * 3 and not problems
    _, problems = waves_from_dates(pd.Series(["2026-04-01"]), "quarter", "when", "x.csv", "%d/%m/%Y")
    assert "not dates in the form feedback.date_format: '%d/%m/%Y'" in problems[0].message


def test_a_date_format_without_date_codes_is_refused(engagement_copy):
    from cxkit import ConfigError, load_engagement

    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["date_format"] = "DD/MM/YYYY"
    engagement_copy.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="'DD/MM/YYYY' is not a date form; write it with strftime codes"):
        load_engagement(engagement_copy)


def test_a_not_applicable_code_given_like_a_score_is_warned_about(engagement_copy):
    fb_path = engagement_copy.parent / "feedback.csv"
    fb = pd.read_csv(fb_path, dtype=str, keep_default_na=False)
    ones = fb.index[fb["overall_satisfaction"] == "1"]
    fb.loc[fb.index[:len(ones) + 10], "overall_satisfaction"] = "0"   # as many zeros as ones: a 0-10 question
    fb.to_csv(fb_path, index=False)
    warned = [p for p in validate(load_engagement(engagement_copy)).warnings
              if p.column == "overall_satisfaction" and "looks like a score" in p.message]
    assert len(warned) == 1 and "use a scale that includes it (for example recommend11, 0-10)" in warned[0].fix
    fb.loc[fb.index[:len(ones) + 10], "overall_satisfaction"] = "5"
    fb.loc[fb.index[:2], "overall_satisfaction"] = "0"                  # two zeros: "not applicable", as declared
    fb.to_csv(fb_path, index=False)
    assert not [p for p in validate(load_engagement(engagement_copy)).warnings if "looks like a score" in p.message]


@given(st.lists(st.lists(st.sampled_from([1.0, 2.0, 3.0, None]), min_size=6, max_size=6), min_size=1, max_size=30),
       st.booleans())
@settings(max_examples=60, deadline=None)
def test_straight_liners_are_the_rows_with_one_distinct_answer_among_five_or_more(rows, as_labels):
    """The vectorised rule against pandas' per-row count of distinct answers, on numbers and on label text."""
    from cxkit.inputs.data import _straight_liners

    grid = pd.DataFrame(rows, columns=list("abcdef"), dtype=float)
    if as_labels:
        grid = grid.apply(lambda c: c.map({1.0: "Agree", 2.0: "Neutral", 3.0: "Disagree"}).astype("string"))
    expected = (grid.notna().sum(axis=1) >= 5) & (grid.nunique(axis=1) == 1)
    kept = _straight_liners(grid, grid, "f.csv", True, "item", "feedback", [])
    assert list(kept.index) == list(grid.index[~expected])


def test_control_characters_are_cleaned_at_input_and_counted_with_their_rows(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[[3, 9], "channel"] = "Web\x0bchat"            # a vertical tab: Excel on a Mac writes line breaks so
    frame.loc[5, "comment"] = "Line one\r\nline two\x1b[0m"   # a Windows line end and a terminal escape
    frame.to_csv(path, index=False)
    eng = load_engagement(engagement_copy)
    report = validate(eng)
    assert report.ok
    cleaned = {p.column: p for p in report.warnings if "control characters" in p.message}
    assert set(cleaned) == {"channel", "comment"}
    assert cleaned["channel"].rows == (5, 11) and cleaned["channel"].n_rows == 2     # rows as a spreadsheet numbers
    clean = load_feedback(eng)
    assert set(clean["channel"].dropna()) >= {"Web chat"}
    text = "".join(clean["channel"].dropna()) + "".join(clean["comment"].dropna())
    assert not any(c in text for c in "\x0b\x1b\r")
    assert "Line one\nline two [0m" in set(clean["comment"].dropna())


def test_a_repeated_column_name_is_an_error_where_mapped_and_a_warning_elsewhere(engagement_copy):
    path = engagement_copy.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.insert(len(frame.columns), "region_copy", frame["region"].iloc[::-1].to_numpy())
    frame.insert(len(frame.columns), "notes", "")
    frame.insert(len(frame.columns), "notes_copy", "x")
    frame.to_csv(path, index=False, header=[c.removesuffix("_copy") for c in frame.columns])
    report = validate(load_engagement(engagement_copy))
    (error,) = report.errors
    assert error.column == "region" and "feedback.descriptors[0]" in error.message and "rename" in error.fix
    (warning,) = [p for p in report.warnings if p.column == "notes"]
    assert "'notes (2)'" in warning.message


def test_a_repeated_column_name_in_a_workbook_is_found_too(engagement_copy):
    folder = engagement_copy.parent
    frame = pd.read_csv(folder / "feedback.csv", dtype=str, keep_default_na=False)
    frame["region_again"] = "North"
    frame.rename(columns={"region_again": "region"}).to_excel(folder / "feedback.xlsx", index=False)
    raw = yaml.safe_load(engagement_copy.read_text())
    raw["feedback"]["file"] = "feedback.xlsx"
    engagement_copy.write_text(yaml.safe_dump(raw))
    (error,) = _errors(load_engagement(engagement_copy))
    assert error.column == "region" and "2 columns 'region'" in error.message


@pytest.mark.parametrize("content, said", [(b"PK\x03\x04" + bytes(200), "zip archive"),
                                           (bytes(range(256)) * 40, "does not look like a text table")])
def test_a_file_that_is_not_text_is_refused_with_the_fix(engagement_copy, content, said):
    (engagement_copy.parent / "feedback.csv").write_bytes(content)
    (error,) = _errors(load_engagement(engagement_copy))
    assert said in error.message and "Fix:" in error.message
