"""Survey-platform exports, built here from each platform's structure, including the awkward cases."""

import json

import numpy as np
import pandas as pd
import pytest

from cxkit.inputs.inspect import suggest_columns
from cxkit.inputs.readers import ExportError, detect_format, map_scale, read_export, read_qsf, split_choices


def _write(path, text, encoding="utf-8", bom=False, nul=False):
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    if nul:
        data = data.replace(b"\n", b"\x00\n", 3)
    path.write_bytes(data)
    return path


QUALTRICS = "\n".join([
    "StartDate,EndDate,Status,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,UserLanguage,Q1_1,Q1_2,Q2",
    'Start Date,End Date,Response Type,Progress,Duration (in seconds),Finished,Recorded Date,Response ID,User Language,'
    '"How much do you agree? - Staff were helpful","How much do you agree? - Billing was clear",Overall satisfaction',
    '"{""ImportId"":""startDate"",""timeZone"":""America/Denver""}","{""ImportId"":""endDate""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""progress""}","{""ImportId"":""duration""}","{""ImportId"":""finished""}","{""ImportId"":""recordedDate""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""userLanguage""}","{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}",'
    '"{""ImportId"":""QID2""}"',
    "2026-03-01 10:00:00,2026-03-01 10:05:00,IP Address,100,300,1,2026-03-01 10:05:00,R_1,EN,5,4,8",
    "2026-03-01 11:00:00,2026-03-01 11:04:00,IP Address,100,240,1,2026-03-01 11:04:00,R_2,EN,-1,2,6",
    "2026-03-01 12:00:00,2026-03-01 12:01:00,Survey Preview,100,60,1,2026-03-01 12:01:00,R_3,EN,3,3,5",
    "2026-03-01 13:00:00,2026-03-01 13:02:00,IP Address,40,120,0,2026-03-01 13:02:00,R_4,EN,1,,",
    "2026-03-01 10:00:00,2026-03-01 10:05:00,IP Address,100,300,1,2026-03-01 10:05:00,R_1,EN,5,4,8",
    "2026-03-02 09:00:00,2026-03-02 09:06:00,IP Address,100,360,1,2026-03-02 09:06:00,R_5,EN,4,5,9",
]) + "\n"

LEGACY = "\n".join([
    "V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q1_1,Q1_2,Q3,",
    "ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,StartDate,EndDate,Finished,"
    "Agreement-Staff were helpful,Agreement-Billing was clear,Comments,",
    "\"{'ImportId': 'responseId'}\",\"{'ImportId': 'responseSet'}\",\"{'ImportId': 'name'}\",\"{'ImportId': 'ext'}\","
    "\"{'ImportId': 'email'}\",\"{'ImportId': 'ip'}\",\"{'ImportId': 'status'}\",\"{'ImportId': 'startDate'}\","
    "\"{'ImportId': 'endDate'}\",\"{'ImportId': 'finished'}\",\"{'ImportId': 'QID1-1'}\",\"{'ImportId': 'QID1-2'}\","
    "\"{'ImportId': 'QID3-TEXT'}\",",
    "R_a,Default,Anon,,,1.2.3.4,0,2015-05-01 10:00:00,2015-05-01 10:03:00,1,Strongly agree,Disagree,\"Great, thanks\",",
    "R_b,Default,Anon,,,1.2.3.5,1,2015-05-01 11:00:00,2015-05-01 11:03:00,1,Agree,Agree,,",
    "R_c,Default,Anon,,,1.2.3.6,0,2015-05-02 10:00:00,2015-05-02 10:03:00,1,Don't know,Neither agree nor disagree,,",
]) + "\n"

SURVEYMONKEY = "\n".join([
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,"
    "How satisfied are you with\u2026,,How likely are you to recommend us?,Which channels do you use?,Anything else?",
    ",,,,,,,,,Caf\u00e9 staff,Billing,Response,Response,Open-Ended Response",
    "1001,55,03/01/2026 10:00:00,03/01/2026 10:04:00,1.1.1.1,,,,,Very satisfied,Dissatisfied,9,\"Phone, Email\",Fine",
    "1002,55,03/02/2026 10:00:00,03/02/2026 10:04:00,1.1.1.2,,,,,Not applicable,Very dissatisfied,3,Email,",
    "1001,55,03/01/2026 10:00:00,03/01/2026 10:04:00,1.1.1.1,,,,,Very satisfied,Dissatisfied,9,\"Phone, Email\",Fine",
]) + "\n"

GOOGLE = "\n".join([
    "Timestamp,Rate us [Staff],Rate us [Billing],Which channels?,Comments",
    "2026/03/01 10:00:00 AM GMT,Excellent,Poor,\"Phone, Email\",",
    "2026/03/01 11:00:00 AM GMT,Good,Very poor,Email,\"Call me on 0161 496 0000\"",
]) + "\n"


def test_qualtrics_current_export(tmp_path):
    export = read_export(_write(tmp_path / "q.csv", QUALTRICS))
    report = export.report
    assert report.format == "qualtrics" and "ImportIds" in report.reason
    assert report.rows_read == 6 and report.rows_kept == 3
    assert dict(report.dropped) == {"survey previews and tests (Status)": 1, "spam (Status)": 0,
                                    "unfinished responses (Finished = 0)": 1, "repeated ResponseId": 1}
    assert export.frame["ResponseId"].tolist() == ["R_1", "R_2", "R_5"]
    staff = export.question("Q1_1")
    assert (staff.text, staff.matrix_row, staff.import_id) == ("How much do you agree?", "Staff were helpful", "QID1_1")
    # recode values 1-5 with -1 meaning "No opinion"
    result = map_scale(export.frame["Q1_1"], {str(k): k for k in range(1, 6)}, "Q1_1", missing_codes=("-1",))
    assert result.values.tolist()[0] == 5 and np.isnan(result.values.tolist()[1]) and result.made_missing == {"-1": 1}
    kept = read_export(tmp_path / "q.csv", keep_incomplete=True)
    assert kept.report.rows_kept == 4


def test_legacy_qualtrics_with_bom_trailing_comma_and_single_quoted_ids(tmp_path):
    export = read_export(_write(tmp_path / "legacy.csv", LEGACY, bom=True))
    assert export.report.format == "qualtrics_legacy"
    assert any("byte-order mark" in n for n in export.report.notes)
    assert list(export.frame.columns)[:2] == ["ResponseID", "ResponseSet"] and "" not in export.frame.columns
    assert export.frame["ResponseID"].tolist() == ["R_a", "R_c"]          # Status 1 = preview
    q = export.question("Q1_2")
    assert (q.text, q.matrix_row, q.import_id) == ("Agreement", "Billing was clear", "QID1_2")
    assert export.frame["Q3"].iloc[0] == "Great, thanks" and export.frame.index.tolist() == [4, 6]
    agree = map_scale(export.frame["Q1_1"], "agree5", "Q1_1")
    assert agree.values.tolist()[0] == 5 and np.isnan(agree.values.tolist()[1]) and agree.made_missing == {"Don't know": 1}


def test_surveymonkey_with_windows_bytes_nuls_and_label_cells(tmp_path):
    export = read_export(_write(tmp_path / "sm.csv", SURVEYMONKEY, encoding="cp1252", nul=True))
    report = export.report
    assert report.format == "surveymonkey" and report.encoding == "cp1252"
    assert any("NUL bytes removed" in n for n in report.notes) and any("not valid UTF-8" in n for n in report.notes)
    assert dict(report.dropped) == {"repeated Respondent ID": 1}
    column = "How satisfied are you with\u2026 - Caf\u00e9 staff"
    assert column in export.frame and export.question(column).matrix_row == "Caf\u00e9 staff"
    assert "How likely are you to recommend us?" in export.frame                    # "Response" keeps the question
    assert pd.to_datetime(export.frame["Start Date"], format="%m/%d/%Y %H:%M:%S").dt.month.tolist() == [3, 3]
    sat = map_scale(export.frame[column], "satisfaction5", column)
    assert sat.values.iloc[0] == 5 and np.isnan(sat.values.iloc[1]) and sat.made_missing == {"Not applicable": 1}
    channels = split_choices(export.frame["Which channels do you use?"])
    assert channels.to_dict("list") == {"Email": [1, 1], "Phone": [1, 0]}


def test_google_forms_grids_and_checkboxes(tmp_path):
    export = read_export(_write(tmp_path / "g.csv", GOOGLE))
    assert export.report.format == "google_forms"
    staff = export.question("Rate us [Staff]")
    assert (staff.text, staff.matrix_row) == ("Rate us", "Staff")
    assert map_scale(export.frame["Rate us [Billing]"], "quality5", "Rate us [Billing]").values.tolist() == [2, 1]
    assert split_choices(export.frame["Which channels?"]).sum().to_dict() == {"Email": 2, "Phone": 1}


def test_unknown_labels_fail_loudly_with_their_count(tmp_path):
    values = pd.Series(["Agree", "Agreeish", "Agreeish", "Strongly agree", "13"])
    with pytest.raises(ExportError, match=r"column 'Q9'.*'Agreeish' \(2x\), '13' \(1x\)"):
        map_scale(values, "agree5", "Q9", file="survey.csv")


def test_detection_says_why_and_unknown_formats_are_refused(tmp_path):
    assert detect_format(_write(tmp_path / "g.csv", GOOGLE)) == ("google_forms", "one header row starting with 'Timestamp'")
    assert detect_format(_write(tmp_path / "x.csv", "id,a,b\n1,2,3\n"))[0] == "table"    # a plain table, not refused
    with pytest.raises(ExportError, match="unknown format 'stata'"):
        read_export(tmp_path / "g.csv", format="stata")
    with pytest.raises(ExportError, match="not a readable SPSS data file"):
        read_export(tmp_path / "g.csv", format="spss")


def test_a_cut_export_is_refused_with_its_lines(tmp_path):
    broken = GOOGLE.replace("Email,\"Call me", "Email")
    with pytest.raises(ExportError, match="lines \\[3\\] have a different number of cells"):
        read_export(_write(tmp_path / "g.csv", broken))


def test_qsf_recodes_and_choice_texts(tmp_path):
    survey = {"SurveyElements": [
        {"Element": "SQ", "Payload": {"QuestionID": "QID1", "DataExportTag": "Q1", "QuestionType": "Matrix",
                                      "QuestionText": "<b>How much do you agree?</b>",
                                      "Choices": {"1": {"Display": "Staff were helpful"}},
                                      "Answers": {"1": {"Display": "Strongly disagree"}, "2": {"Display": "Agree"},
                                                  "3": {"Display": "No opinion"}},
                                      "RecodeValues": {"1": "10", "2": "13", "3": "-99"}}},
        {"Element": "FL", "Payload": {}}]}
    path = tmp_path / "survey.qsf"
    path.write_text(json.dumps(survey))
    q = read_qsf(path)["Q1"]
    assert q["text"] == "How much do you agree?"
    assert q["choices"] == {"10": "Strongly disagree", "13": "Agree", "-99": "No opinion"}


def test_an_engagement_reads_a_qualtrics_export_as_it_comes(tmp_path):
    import yaml

    from cxkit import load_engagement
    from cxkit.inputs.data import load_feedback, validate

    _write(tmp_path / "export.csv", QUALTRICS)
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "client": "Export test", "engagement_id": "export-test",
        "scales": {"agree5q": {"min": 1, "max": 5, "missing_codes": [-1]}},
        "feedback": {"file": "export.csv", "format": "auto", "id": "ResponseId", "scale": "agree5q",
                     "attributes": [{"column": "Q1_1", "label": "Staff were helpful"},
                                    {"column": "Q1_2", "label": "Billing was clear"}],
                     "outcomes": {"satisfaction": {"column": "Q2", "label": "Overall", "scale": "sat10"}},
                     "wave": "StartDate", "wave_period": "month"}}))
    eng = load_engagement(tmp_path / "engagement.yaml")
    report = validate(eng)
    assert not report.errors
    info = [p.message for p in report.problems if p.severity == "info"]
    assert any("read as qualtrics" in m and "3 kept" in m for m in info) and any("survey previews" in m for m in info)
    fb = load_feedback(eng)
    assert fb["ResponseId"].tolist() == ["R_1", "R_2", "R_5"]
    assert fb["Q1_1"].tolist()[0] == 5 and np.isnan(fb["Q1_1"].tolist()[1])   # the "no opinion" code is missing
    assert fb["StartDate"].tolist() == ["2026-03", "2026-03", "2026-03"]        # waves from the response dates


def test_inspect_lists_roles_and_writes_a_starter_config(tmp_path, capsys):
    import yaml

    from cxkit import load_engagement
    from cxkit.cli import main

    _write(tmp_path / "export.csv", QUALTRICS)
    assert main(["inspect", str(tmp_path / "export.csv"), "--write-config", str(tmp_path / "start.yaml")]) == 0
    out = capsys.readouterr().out
    assert "read as qualtrics" in out and "- Q1_1: attribute (1-5; missing codes -1)" in out and "- ResponseId: id" in out
    config = yaml.safe_load((tmp_path / "start.yaml").read_text())
    assert config["feedback"]["format"] == "qualtrics" and config["feedback"]["id"] == "ResponseId"
    assert [a["label"] for a in config["feedback"]["attributes"]] == ["Staff were helpful", "Billing was clear"]
    assert config["feedback"]["outcomes"]["satisfaction"]["column"] == "Q2"
    assert config["scales"][config["feedback"]["scale"]]["missing_codes"] == [-1]   # "no opinion" stays missing
    assert main(["inspect", str(tmp_path / "export.csv"), "--write-config", str(tmp_path / "start.yaml")]) == 2
    assert "exists; not overwritten" in capsys.readouterr().err
    assert load_engagement(tmp_path / "start.yaml").feedback.format == "qualtrics"


def _surveymonkey_engagement(tmp_path, text, labels="satisfaction5"):
    import yaml

    from cxkit import load_engagement

    _write(tmp_path / "sm.csv", text, encoding="cp1252")
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "client": "Labels", "engagement_id": "labels",
        "scales": {"sat5": {"min": 1, "max": 5, "labels": labels}},
        "feedback": {"file": "sm.csv", "format": "surveymonkey", "id": "Respondent ID", "scale": "sat5",
                     "attributes": [{"column": "How satisfied are you with\u2026 - Caf\u00e9 staff", "label": "Staff"},
                                    {"column": "How satisfied are you with\u2026 - Billing", "label": "Billing"}],
                     "outcomes": {"recommend": {"column": "How likely are you to recommend us?", "label": "Recommend",
                                                "scale": "recommend11"}}}}, allow_unicode=True))
    return load_engagement(tmp_path / "engagement.yaml")


def test_label_text_in_rating_columns_goes_through_the_stated_map(tmp_path):
    from cxkit.inputs.data import load_feedback, validate

    eng = _surveymonkey_engagement(tmp_path, SURVEYMONKEY)
    report = validate(eng)
    assert not report.errors
    assert any(p.severity == "info" and "'Not applicable' (1x)" in p.message for p in report.problems)
    fb = load_feedback(eng)
    staff = fb["How satisfied are you with\u2026 - Caf\u00e9 staff"].tolist()
    assert staff[0] == 5 and np.isnan(staff[1])                        # "Not applicable" is missing, not a rating
    assert fb["How satisfied are you with\u2026 - Billing"].tolist() == [2, 1]


def test_an_unknown_label_is_an_error_with_its_rows_and_count(tmp_path):
    from cxkit.inputs.data import validate

    eng = _surveymonkey_engagement(tmp_path, SURVEYMONKEY.replace("Very dissatisfied,3", "Kind of fine,3"))
    errors = validate(eng).errors
    assert len(errors) == 1 and "'Kind of fine' (1x)" in errors[0].message and errors[0].rows == (4,)
    assert "scales.sat5.labels" in errors[0].fix


def test_a_scale_names_only_known_maps_and_labels_inside_it(tmp_path):
    from cxkit import ConfigError

    with pytest.raises(ConfigError, match="not a built-in map"):
        _surveymonkey_engagement(tmp_path, SURVEYMONKEY, labels="agree7")
    with pytest.raises(ConfigError, match="map outside the scale"):
        _surveymonkey_engagement(tmp_path, SURVEYMONKEY, labels={"Great": 9})


def test_speeders_are_flagged_and_left_out_on_request(tmp_path):
    import yaml

    from cxkit import load_engagement
    from cxkit.inputs.data import load_feedback, validate

    header = QUALTRICS.split("\n")[:3]
    rows = []
    for i in range(1, 13):
        seconds = 30 if i == 5 else 300 + i          # response 5 is a speeder
        same = f"{1 + i % 5},{1 + (i + 2) % 5},{1 + (3 * i) % 5}"
        rows.append(f"2026-03-01 10:00:00,2026-03-01 10:05:00,IP Address,100,{seconds},1,2026-03-01 10:05:00,R_{i},EN,"
                    + same)
    _write(tmp_path / "export.csv", "\n".join(header + rows) + "\n")
    config = {"client": "Quality", "engagement_id": "quality",
              "feedback": {"file": "export.csv", "format": "qualtrics", "id": "ResponseId", "scale": "rating5",
                           "attributes": [{"column": "Q1_1", "label": "Staff"}, {"column": "Q1_2", "label": "Billing"},
                                          {"column": "Q2", "label": "Overall as an attribute"}],
                           "outcomes": {"satisfaction": {"column": "Q2", "label": "Overall", "scale": "sat10"}}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(config))
    eng = load_engagement(tmp_path / "engagement.yaml")
    speed = [p for p in validate(eng).warnings if "speeders" in p.message]
    assert len(speed) == 1 and speed[0].rows == (8,) and "kept" in speed[0].message   # file row 8 = the 5th response
    assert len(load_feedback(eng)) == 12
    config["feedback"] |= {"exclude_speeders": True}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(config))
    assert "R_5" not in set(load_feedback(load_engagement(tmp_path / "engagement.yaml"))["ResponseId"])


def test_spss_value_labels_and_user_missing_codes(tmp_path):
    import pyreadstat
    import yaml

    from cxkit import load_engagement
    from cxkit.inputs.data import load_feedback, validate
    from cxkit.inputs.readers import read_spss

    n = 40
    rng = np.random.default_rng(3)
    staff = rng.integers(1, 6, n).astype(float)
    staff[:3] = 99                                     # "Don't know", declared user-missing
    billing = rng.integers(1, 6, n).astype(float)
    billing[3:5] = -9                                  # inside the declared missing range -9 to -1
    frame = pd.DataFrame({"id": [f"S{i}" for i in range(n)], "staff": staff, "billing": billing,
                          "overall": rng.integers(1, 11, n).astype(float), "region": rng.integers(1, 3, n).astype(float)})
    pyreadstat.write_sav(frame, str(tmp_path / "survey.sav"),
                         column_labels=["Respondent", "Staff were helpful", "Billing was clear", "Overall", "Region"],
                         variable_value_labels={"staff": {1: "Very poor", 5: "Excellent", 99: "Don't know"},
                                                "region": {1: "North", 2: "South"}},
                         missing_ranges={"staff": [99], "billing": [{"lo": -9, "hi": -1}]})
    export = read_spss(tmp_path / "survey.sav")
    assert export.question("staff").text == "Staff were helpful" and export.report.format == "spss"
    assert export.frame["staff"].isna().sum() == 3 and export.frame["billing"].isna().sum() == 2
    assert any("staff: 3 answers coded as user-missing (99)" in note for note in export.report.notes)
    assert any("billing: 2 answers coded as user-missing (-9 to -1)" in note for note in export.report.notes)
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "client": "SPSS", "engagement_id": "spss",
        "feedback": {"file": "survey.sav", "format": "auto", "id": "id", "scale": "rating5",
                     "attributes": [{"column": "staff", "label": "Staff"}, {"column": "billing", "label": "Billing"}],
                     "outcomes": {"satisfaction": {"column": "overall", "label": "Overall", "scale": "sat10"}},
                     "descriptors": ["region"]}}))
    eng = load_engagement(tmp_path / "engagement.yaml")
    assert not validate(eng).errors
    fb = load_feedback(eng)
    assert set(fb["region"].dropna()) == {"North", "South"}                 # groups by their names
    assert fb["staff"].isna().sum() == 3 and fb["staff"].max() <= 5          # 99 never averaged in
    roles = suggest_columns(export).set_index("column")
    assert roles.loc["staff", "scale"] == "1-5" and roles.loc["staff", "role"] == "attribute"
    assert roles.loc["overall", "role"] == "outcome: satisfaction" and roles.loc["region", "role"] == "descriptor"
    assert "1 = North" in roles.loc["region", "values"]                    # value labels shown beside the codes


@pytest.mark.parametrize("dates, period, expected", [
    (["2026-03-01 10:00:00", "2026-04-02 09:00:00"], "quarter", ["2026-Q1", "2026-Q2"]),
    (["03/01/2026 10:00:00", "12/31/2026 23:59:59"], "month", ["2026-03", "2026-12"]),
    (["2026/03/01 10:00:00 AM GMT", "2027/01/05 1:02:03 PM GMT+1"], "year", ["2026", "2027"]),
])
def test_waves_from_each_platforms_dates(dates, period, expected):
    from cxkit.inputs.data import waves_from_dates

    waves, problems = waves_from_dates(pd.Series(dates + [None]), period, "StartDate", "x.csv")
    assert waves.tolist()[:2] == expected and pd.isna(waves.tolist()[2]) and not problems


def test_a_value_that_is_no_date_is_an_error_with_its_row():
    from cxkit.inputs.data import waves_from_dates

    _, problems = waves_from_dates(pd.Series(["2026-03-01", "soon"], index=[2, 3]), "quarter", "when", "x.csv")
    assert len(problems) == 1 and problems[0].rows == (3,) and "not dates" in problems[0].message


def test_recode_values_become_ratings_through_the_survey_definition(tmp_path):
    import yaml

    from cxkit import load_engagement
    from cxkit.inputs.data import load_feedback, validate

    # the survey's agreement points were recoded 10-14, with -99 for "No opinion"
    export = (QUALTRICS.replace(",5,4,8\n", ",14,13,8\n").replace(",-1,2,6\n", ",-99,11,6\n")
              .replace(",4,5,9\n", ",13,14,9\n"))
    _write(tmp_path / "export.csv", export)
    answers = {"1": "Strongly disagree", "2": "Disagree", "3": "Neither agree nor disagree", "4": "Agree",
               "5": "Strongly agree", "6": "No opinion"}
    recodes = {"1": "10", "2": "11", "3": "12", "4": "13", "5": "14", "6": "-99"}
    (tmp_path / "survey.qsf").write_text(json.dumps({"SurveyElements": [{"Element": "SQ", "Payload": {
        "QuestionID": "QID1", "DataExportTag": "Q1", "QuestionType": "Matrix", "QuestionText": "How much do you agree?",
        "Choices": {"1": {"Display": "Staff"}, "2": {"Display": "Billing"}},
        "Answers": {k: {"Display": v} for k, v in answers.items()}, "RecodeValues": recodes}}]}))
    config = {"client": "Recodes", "engagement_id": "recodes",
              "scales": {"agree5": {"min": 1, "max": 5, "labels": "agree5"}},
              "feedback": {"file": "export.csv", "format": "qualtrics", "qsf": "survey.qsf", "id": "ResponseId",
                           "scale": "agree5", "attributes": [{"column": "Q1_1", "label": "Staff"},
                                                              {"column": "Q1_2", "label": "Billing"}],
                           "outcomes": {"satisfaction": {"column": "Q2", "label": "Overall", "scale": "sat10"}}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(config))
    eng = load_engagement(tmp_path / "engagement.yaml")
    assert not validate(eng).errors
    fb = load_feedback(eng)
    assert fb["Q1_1"].tolist()[0] == 5 and np.isnan(fb["Q1_1"].tolist()[1]) and fb["Q1_1"].tolist()[2] == 4
    assert fb["Q1_2"].tolist() == [4, 2, 5]
    (tmp_path / "export.csv").write_text(export.replace(",13,14,9\n", ",17,14,9\n"))
    errors = validate(load_engagement(tmp_path / "engagement.yaml")).errors
    assert len(errors) == 1 and "codes the survey definition survey.qsf does not list for Q1" in errors[0].message


def test_control_characters_in_an_export_are_cleaned_and_reported(tmp_path):
    text = GOOGLE.replace("Timestamp,", "Timestamp,Note\x0b,", 1)
    lines = text.split("\n")
    lines = [lines[0]] + [line.replace(",", ",Call\x1bme,", 1) for line in lines[1:]]
    export = read_export(_write(tmp_path / "g.csv", "\n".join(lines)))
    assert "Note" in export.frame.columns and export.question("Note").text == "Note"
    assert export.frame["Note"].dropna().eq("Call me").all()
    assert export.report.cleaned["Note"] == (2, 3)   # its header and both answers: the rows of the file
    assert any("control characters" in line for line in export.report.lines())
    assert not any("control characters" in line for line in export.report.lines(repairs=False))


def test_utf16_without_its_byte_order_mark_is_read(tmp_path):
    text = GOOGLE.replace("Call me on", "\u8bf7\u81f4\u7535")
    export = read_export(_write(tmp_path / "g.csv", text, encoding="utf-16-le"))
    assert export.report.format == "google_forms" and any("UTF-16" in n for n in export.report.notes)
    assert export.frame["Comments"].iloc[-1] == "\u8bf7\u81f4\u7535 0161 496 0000"
