"""Survey-platform exports read as they come: Qualtrics (current and legacy CSV), SurveyMonkey and
Google Forms, with a record of everything the reader did.

Each reader returns an :class:`Export`: one row per respondent with one column
per answer (named by the export tag, or by the question text where the
platform has no tag), what each column asked (:class:`Question`), and an
:class:`Ingestion` report: the format and why it was recognised, the encoding,
rows read, rows dropped and why (survey previews, unfinished responses,
duplicates), and repairs such as NUL bytes removed. Label text and codes become
ratings only through :func:`map_scale`, which knows common agreement,
satisfaction, quality and 0-10 scales, turns "not applicable", "don't know"
and "prefer not to say" into missing values, and refuses any label it does not
know, naming the column, the value and how often it occurs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CxkitError

FORMATS = ("qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "spss")

QUALTRICS_META = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage")
LEGACY_META = {"V1": "ResponseID", "V2": "ResponseSet", "V3": "Name", "V4": "ExternalDataReference",
               "V5": "EmailAddress", "V6": "IPAddress", "V7": "Status", "V8": "StartDate", "V9": "EndDate",
               "V10": "Finished"}
SURVEYMONKEY_META = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                     "First Name", "Last Name", "Custom Data 1")
SURVEYMONKEY_PLAIN = ("response", "open-ended response")
_IMPORT_ID = re.compile(r"""^\{\s*['"]ImportId['"]\s*:\s*['"]([^'"]+)['"].*\}$""")


class ExportError(CxkitError):
    """An export cannot be read as the format it claims or seems to be; the message says where and why."""


@dataclass(frozen=True)
class Question:
    """What one column of an export asked."""

    column: str
    text: str
    matrix_row: str | None = None   # the statement of a matrix (grid) question, when the column is one
    import_id: str | None = None    # Qualtrics' stable id (QID2_1), hyphens written as underscores


@dataclass
class Ingestion:
    """What a reader did, for ``cxkit validate``, the run record and the deck's appendix."""

    file: str
    format: str
    reason: str
    encoding: str = "utf-8"
    rows_read: int = 0
    rows_kept: int = 0
    dropped: list[tuple[str, int]] = field(default_factory=list)   # (why, how many)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report in sentences."""
        out = [f"{Path(self.file).name}: read as {self.format} ({self.reason}); encoding {self.encoding}; "
               f"{self.rows_read:,} responses read, {self.rows_kept:,} kept"]
        out += [f"{count:,} dropped: {why}" for why, count in self.dropped if count]
        return out + self.notes


@dataclass(frozen=True)
class Export:
    """A survey export read into one row per respondent; the index is the row in the file."""

    frame: pd.DataFrame
    questions: tuple[Question, ...]
    report: Ingestion
    value_labels: dict = field(default_factory=dict)   # column -> {code: label}, where the file carries them (SPSS)

    def question(self, column: str) -> Question | None:
        return next((q for q in self.questions if q.column == column), None)


# ------------------------------------------------------------------ bytes to rows

def _decode(path: Path, encoding: str | None) -> tuple[str, str, list[str]]:
    """The file's text, the encoding used, and notes on repairs (a byte-order mark, NUL bytes)."""
    raw = path.read_bytes()
    notes = []
    if b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        count = raw.count(b"\x00")
        raw = raw.replace(b"\x00", b"")
        notes.append(f"{count:,} NUL bytes removed (the export carried them; they are not data)")
    tried = [encoding] if encoding else ["utf-8-sig", "utf-16", "cp1252"]
    for name in tried:
        if name == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            notes.append("a UTF-8 byte-order mark was skipped")
        if name == "cp1252" and not encoding:
            notes.append("the file is not valid UTF-8; read as Windows-1252 (Western European), as SurveyMonkey "
                         "exports often are")
        return text, "utf-8" if name == "utf-8-sig" else name, notes
    raise ExportError(f"{path}: cannot decode the file as {', '.join(tried)}. Fix: save it as UTF-8, or set "
                      "'encoding:' in the engagement YAML")


def _rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    # a trailing comma on every line (legacy Qualtrics) leaves an empty last column with no header
    if rows and rows[0] and rows[0][-1] == "" and all((not r or r[-1] == "") for r in rows):
        rows = [r[:-1] for r in rows]
    return rows


# ------------------------------------------------------------------ detection

def detect_format(path: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """Which platform wrote an export, and the reason in words.

    Raises
    ------
    ExportError
        When the header matches none of the known exports.
    """
    path = Path(path)
    text, _, _ = _decode(path, encoding)
    rows = _rows(text)[:3]
    return _detect(rows, path)


def _detect(rows: list[list[str]], path: Path) -> tuple[str, str]:
    if not rows:
        raise ExportError(f"{path}: the file is empty")
    first = [c.strip() for c in rows[0]]
    third = rows[2] if len(rows) > 2 else []
    if third and sum(bool(_IMPORT_ID.match(c.strip())) for c in third) >= max(1, len(third) // 2):
        if first[:1] == ["V1"] or "V1" in first[:3]:
            return "qualtrics_legacy", "V1..V10 metadata columns and an ImportId row"
        return "qualtrics", "three header rows, the third holding ImportIds"
    if first[:3] == ["V1", "V2", "V3"] or (len(rows) > 1 and rows[1][:1] == ["ResponseID"]):
        return "qualtrics_legacy", "V1..V10 metadata columns over a row of names (ResponseID ...)"
    if first and first[0] == "Respondent ID" and len(rows) > 1:
        return "surveymonkey", "a 'Respondent ID' column and a second header row of response labels"
    if first and first[0] == "Timestamp":
        return "google_forms", "one header row starting with 'Timestamp'"
    raise ExportError(f"{path}: not a Qualtrics, SurveyMonkey or Google Forms export (first header cells: "
                      f"{first[:4]}). Fix: set 'format:' in the engagement YAML, or export as CSV from the platform")


# ------------------------------------------------------------------ readers

def read_export(path: str | Path, format: str | None = None, encoding: str | None = None,
                keep_incomplete: bool = False) -> Export:
    """Read a survey-platform export into one row per respondent, recording what was done.

    Parameters
    ----------
    path : path
    format : {"qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms"}, optional
        Detected from the header when not given (the report says why).
    encoding : str, optional
        Tried in turn when not given: UTF-8 (with or without a byte-order mark),
        UTF-16 (with its mark), Windows-1252.
    keep_incomplete : bool
        Keep unfinished responses (Qualtrics' ``Finished`` = 0); dropped by default.

    Notes
    -----
    Qualtrics (current): export tags in the first header row, question texts
    ("Question - Row" for matrix rows) in the second, JSON ImportIds in the
    third. Legacy: ``V1..V10`` metadata, names in the second row, an optional
    ImportId row (single quotes and hyphens in older variants), a byte-order
    mark and a trailing comma. Survey previews and unfinished responses are
    dropped, then repeated response ids. SurveyMonkey: question text above the
    first column of each question and "Response", "Open-Ended Response" or the
    row label below; columns are named "Question - Row". Google Forms: one
    header row; grid rows arrive as "Question [Row]". Values stay as the
    platform wrote them (text); :func:`map_scale` turns labels into ratings.
    """
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path}: file not found. Fix: check the 'file:' path in the engagement YAML")
    if format == "spss" or (format is None and path.suffix.lower() in (".sav", ".zsav")):
        return read_spss(path, "named in the engagement YAML" if format else "the .sav extension")
    text, used, notes = _decode(path, encoding)
    rows = _rows(text)
    if format is None:
        format, reason = _detect(rows, path)
    elif format not in FORMATS:
        raise ExportError(f"{path}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    else:
        reason = "named in the engagement YAML"
    report = Ingestion(str(path), format, reason, used, notes=notes)
    reader = {"qualtrics": _qualtrics, "qualtrics_legacy": _qualtrics_legacy, "surveymonkey": _surveymonkey,
              "google_forms": _google_forms}[format]
    frame, questions = reader(rows, path, report, keep_incomplete)
    report.rows_kept = len(frame)
    return Export(frame, tuple(questions), report)


def _body(rows: list[list[str]], names: list[str], start: int, path: Path) -> pd.DataFrame:
    width = len(names)
    bad = [i + 1 for i, r in enumerate(rows[start:], start=start) if len(r) != width]
    if bad:
        raise ExportError(f"{path}: lines {bad[:5]} have a different number of cells from the header ({width}); the "
                          "export is cut or edited. Fix: export the file again from the platform")
    # the index is each response's row in the file as a spreadsheet shows it, so problems can name their rows
    frame = pd.DataFrame(rows[start:], columns=names, dtype="string", index=range(start + 1, len(rows) + 1))
    return frame.replace("", pd.NA)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _drop(frame: pd.DataFrame, mask: pd.Series, why: str, report: Ingestion) -> pd.DataFrame:
    mask = mask.fillna(False).astype(bool)
    report.dropped.append((why, int(mask.sum())))
    return frame[~mask]


def _qualtrics_rows(frame: pd.DataFrame, report: Ingestion, keep_incomplete: bool, id_column: str,
                    status: str, finished: str) -> pd.DataFrame:
    report.rows_read = len(frame)
    if status in frame:
        preview = frame[status].str.strip().str.lower().isin(["survey preview", "1", "spam", "8"])
        frame = _drop(frame, preview, "survey previews and spam (Status)", report)
    if finished in frame and not keep_incomplete:
        done = frame[finished].str.strip().str.lower().isin(["1", "true"])
        frame = _drop(frame, ~done, f"unfinished responses ({finished} = 0)", report)
    if id_column in frame:
        frame = _drop(frame, frame[id_column].duplicated(), f"repeated {id_column}", report)
    return frame


def _qualtrics(rows, path, report, keep_incomplete):
    if len(rows) < 3:
        raise ExportError(f"{path}: a Qualtrics export has three header rows; this one has {len(rows)} rows in all")
    tags, texts, ids = rows[0], rows[1], rows[2]
    names = _unique([t.strip() for t in tags])
    questions = []
    for name, text, raw_id in zip(names, texts, ids):
        match = _IMPORT_ID.match(raw_id.strip())
        question, _, row = text.partition(" - ")
        questions.append(Question(name, question.strip() or name, row.strip() or None,
                                  match.group(1).replace("-", "_") if match else None))
    frame = _body(rows, names, 3, path)
    frame = _qualtrics_rows(frame, report, keep_incomplete, "ResponseId", "Status", "Finished")
    return frame, questions


def _qualtrics_legacy(rows, path, report, keep_incomplete):
    if len(rows) < 2:
        raise ExportError(f"{path}: a legacy Qualtrics export has two header rows; this one has {len(rows)}")
    tags, texts = rows[0], rows[1]
    start = 2
    ids = [""] * len(tags)
    if len(rows) > 2 and sum(bool(_IMPORT_ID.match(c.strip())) for c in rows[2]) >= max(1, len(rows[2]) // 2):
        ids, start = rows[2], 3
    names = _unique([LEGACY_META.get(t.strip(), t.strip()) for t in tags])
    questions = []
    for name, text, raw_id in zip(names, texts, ids):
        match = _IMPORT_ID.match(raw_id.strip())
        question, _, row = text.partition("-")
        is_meta = name in LEGACY_META.values()
        questions.append(Question(name, text.strip() if is_meta else question.strip() or name,
                                  None if is_meta else (row.strip() or None),
                                  match.group(1).replace("-", "_") if match else None))
    frame = _body(rows, names, start, path)
    frame = _qualtrics_rows(frame, report, keep_incomplete, "ResponseID", "Status", "Finished")
    return frame, questions


def _surveymonkey(rows, path, report, keep_incomplete):
    if len(rows) < 2:
        raise ExportError(f"{path}: a SurveyMonkey export has two header rows; this one has {len(rows)}")
    top, below = rows[0], rows[1]
    names, questions, current = [], [], ""
    for position, (text, label) in enumerate(zip(top, below)):
        text, label = text.strip(), label.strip()
        if text:
            current = text
        if position < len(SURVEYMONKEY_META) and text in SURVEYMONKEY_META:
            names.append(text)
            questions.append(Question(text, text))
            continue
        if not label or label.lower() in SURVEYMONKEY_PLAIN:
            names.append(current)
            questions.append(Question(current, current))
        else:
            names.append(f"{current} - {label}")
            questions.append(Question(f"{current} - {label}", current, label))
    names = _unique(names)
    questions = [Question(n, q.text, q.matrix_row) for n, q in zip(names, questions)]
    frame = _body(rows, names, 2, path)
    report.rows_read = len(frame)
    if "Respondent ID" in frame:
        frame = _drop(frame, frame["Respondent ID"].duplicated(), "repeated Respondent ID", report)
    return frame, questions


_GRID = re.compile(r"^(?P<question>.+?)\s*\[(?P<row>[^\[\]]+)\]$")


def _google_forms(rows, path, report, keep_incomplete):
    names = _unique([c.strip() for c in rows[0]])
    questions = []
    for name in names:
        grid = _GRID.match(name)
        questions.append(Question(name, grid["question"] if grid else name, grid["row"] if grid else None))
    frame = _body(rows, names, 1, path)
    report.rows_read = len(frame)
    return frame, questions


def read_spss(path: str | Path, reason: str = "the .sav extension") -> Export:
    """An SPSS data file (.sav), with its variable labels, value labels and user-missing codes honoured.

    Notes
    -----
    Read with pyreadstat. Values stay as the codes SPSS stores (ratings arrive
    as numbers); codes the file declares user-missing (single values or ranges,
    such as 99 "Don't know" or -9 to -1) become missing and are counted per
    column in the report; value labels are kept in ``value_labels`` (descriptor
    columns are shown by their labels when an engagement reads the file).
    Variable labels are the questions.
    """
    import pyreadstat

    path = Path(path)
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises its own error types for unreadable files
        raise ExportError(f"{path}: not a readable SPSS data file ({exc}). Fix: save it again from SPSS as .sav") \
            from None
    report = Ingestion(str(path), "spss", reason, meta.file_encoding or "utf-8", rows_read=len(frame))
    for column, ranges in (meta.missing_ranges or {}).items():
        values = pd.to_numeric(frame[column], errors="coerce")
        hit = pd.Series(False, index=frame.index)
        for r in ranges:
            hit |= values.between(r["lo"], r["hi"])
        if hit.any():
            report.notes.append(f"{column}: {int(hit.sum()):,} answers coded as user-missing "
                                f"({', '.join(_code_text(r) for r in ranges)}) made missing")
            frame.loc[hit, column] = np.nan
    frame.index = range(1, len(frame) + 1)   # SPSS cases, numbered as the data view shows them
    report.rows_kept = len(frame)
    labels = meta.column_names_to_labels or {}
    questions = tuple(Question(c, labels.get(c) or c) for c in frame.columns)
    return Export(frame, questions, report, dict(meta.variable_value_labels or {}))


def _code_text(r: dict) -> str:
    return f"{r['lo']:g}" if r["lo"] == r["hi"] else f"{r['lo']:g} to {r['hi']:g}"


def split_choices(values: pd.Series) -> pd.DataFrame:
    """Checkbox answers joined with ", " in one cell (Google Forms, SurveyMonkey) as one 0/1 column per choice."""
    lists = values.fillna("").map(lambda cell: [c.strip() for c in cell.split(", ") if c.strip()])
    choices = sorted({c for cell in lists for c in cell})
    return pd.DataFrame({c: lists.map(lambda cell, c=c: int(c in cell)) for c in choices}, index=values.index)


# ------------------------------------------------------------------ labels to ratings

MISSING_LABELS = ("not applicable", "n/a", "na", "does not apply", "don't know", "do not know", "dont know",
                  "not sure", "prefer not to say", "prefer not to answer", "no opinion", "can't say")
SCALE_MAPS = {
    "agree5": {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "neutral": 3, "agree": 4,
               "strongly agree": 5},
    "satisfaction5": {"very dissatisfied": 1, "dissatisfied": 2, "neither satisfied nor dissatisfied": 3,
                      "neutral": 3, "satisfied": 4, "very satisfied": 5},
    "quality5": {"very poor": 1, "poor": 2, "fair": 3, "average": 3, "good": 4, "very good": 5, "excellent": 5},
    "likely11": {str(k): k for k in range(11)} | {"0 - not at all likely": 0, "10 - extremely likely": 10},
}


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", str(value).replace("\u2019", "'").replace("\u2018", "'")).strip().lower()


@dataclass(frozen=True)
class ScaleResult:
    """A column's ratings and what the mapping did: answers turned missing by label or code, and (when not
    strict) the values the mapping did not know, each with its count."""

    values: pd.Series
    made_missing: dict[str, int]
    unknown: dict[str, int] = field(default_factory=dict)


def map_scale(values: pd.Series, mapping: dict | str, column: str, missing: tuple = MISSING_LABELS,
              missing_codes: tuple = (), file: str = "", strict: bool = True) -> ScaleResult:
    """Turn an export column's labels or codes into ratings through a stated mapping.

    Parameters
    ----------
    values : Series
        The column as exported (text).
    mapping : dict or str
        Label (or code) -> rating, or the name of a built-in map in :data:`SCALE_MAPS`.
        Labels match ignoring case, spacing and curly apostrophes.
    column : str
        For messages.
    missing, missing_codes
        Labels and codes that mean "not applicable", "don't know" or "prefer not
        to say": they become missing, and are counted.

    strict : bool
        Raise on unknown values (default); otherwise return them in ``unknown``
        (their cells stay missing) for the caller to report.

    Raises
    ------
    ExportError
        Any label or code neither the mapping nor the missing lists know, with
        its column, value and count: it is never dropped or averaged.
    """
    table = SCALE_MAPS[mapping] if isinstance(mapping, str) else mapping
    lookup = {_norm(k): float(v) for k, v in table.items()}
    gone = {_norm(m) for m in missing} | {_norm(c) for c in missing_codes}
    text = values.astype("string")
    out = pd.Series(np.nan, index=values.index, dtype=float)
    made_missing: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for raw, count in text.dropna().value_counts().items():
        key = _norm(raw)
        hit = text == raw
        if key in lookup:
            out[hit.fillna(False).to_numpy()] = lookup[key]
        elif key in gone:
            made_missing[str(raw)] = int(count)
        else:
            unknown[str(raw)] = int(count)
    if unknown and not strict:
        return ScaleResult(out, made_missing, unknown)
    if unknown:
        listed = ", ".join(f"{v!r} ({n:,}x)" for v, n in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
        known = ", ".join(repr(k) for k in list(table)[:6])
        raise ExportError(f"{file + ': ' if file else ''}column {column!r}: values the scale mapping does not know: "
                          f"{listed}. Fix: add them to the mapping (known: {known} ...) or list them as missing "
                          "answers; they are never guessed")
    return ScaleResult(out, made_missing)


def read_qsf(path: str | Path) -> dict[str, dict]:
    """Recodes and choice texts from a Qualtrics survey definition (.qsf, JSON).

    Returns
    -------
    dict
        Export tag -> {"text": question, "choices": {recode: label}}; for matrix
        questions the scale points (Answers) with their recodes.
    """
    try:
        survey = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a readable Qualtrics survey definition (.qsf): {exc}") from None
    out = {}
    for element in survey.get("SurveyElements", []):
        if element.get("Element") != "SQ" or not isinstance(element.get("Payload"), dict):
            continue
        payload = element["Payload"]
        tag = payload.get("DataExportTag") or payload.get("QuestionID")
        options = payload.get("Answers") if payload.get("QuestionType") == "Matrix" else payload.get("Choices")
        recodes = payload.get("RecodeValues") or {}
        choices = {}
        for key, option in (options or {}).items():
            label = option.get("Display", "") if isinstance(option, dict) else str(option)
            code = recodes.get(key, key)
            choices[str(code)] = re.sub(r"<[^>]+>", "", label).strip()
        out[str(tag)] = {"text": re.sub(r"<[^>]+>", "", str(payload.get("QuestionText", ""))).strip(),
                         "choices": choices}
    return out


# ------------------------------------------------------------------ what each column looks like

def _scale_of(values: pd.Series) -> str | None:
    """The built-in map (or ``numbers``) that covers every answer of a column, if one does."""
    answers = {_norm(v) for v in values.dropna().unique()} - {_norm(m) for m in MISSING_LABELS}
    if not answers:
        return None
    for name, table in SCALE_MAPS.items():
        if name != "likely11" and answers <= {_norm(k) for k in table}:
            return name
    numbers = pd.to_numeric(pd.Series(sorted(answers)), errors="coerce")
    if numbers.notna().all() and (numbers == numbers.round()).all() and (numbers >= 0).any():
        codes = sorted(int(v) for v in numbers[numbers < 0])   # negative codes mean "no opinion" and the like
        low, high = int(numbers[numbers >= 0].min()), int(numbers.max())
        name = NUMERIC_SCALES.get((low, high)) or NUMERIC_SCALES.get((min(low, 1), high)) or f"numbers {low}-{high}"
        return name + (f" (codes {', '.join(map(str, codes))})" if codes else "")
    return None


# ranges seen in a column -> the firm's scale that covers them (templates/defaults.yaml)
NUMERIC_SCALES = {(1, 5): "rating5", (1, 7): "rating7", (1, 10): "sat10", (0, 10): "recommend11"}


def suggest_columns(export: Export) -> pd.DataFrame:
    """Each column of an export with what it asked, its values, and a suggested role in an engagement.

    Roles: ``id`` (unique per respondent), ``meta`` (platform metadata), ``rating`` (every answer on a known
    scale; ``scale`` names it), ``comment`` (free text), ``descriptor`` (a few categories), ``multi``
    (checkbox answers joined with ", "). A suggestion is a starting point for the consultant, not a decision.
    """
    rows = []
    meta = set(QUALTRICS_META) | set(LEGACY_META.values()) | set(SURVEYMONKEY_META) | {"Timestamp"}
    n = len(export.frame)
    for column in export.frame.columns:
        values = export.frame[column].dropna()
        if not pd.api.types.is_string_dtype(values):   # SPSS codes: as text, whole numbers without ".0"
            values = values.map(lambda v: f"{v:g}" if isinstance(v, float) else str(v)).astype("string")
        q = export.question(column) or Question(column, column)
        counts = values.value_counts()
        scale = None if column in meta else _scale_of(values)
        if n and values.nunique() == n and column.lower().replace(" ", "") in ("responseid", "respondentid"):
            role = "id"
        elif column in meta:
            role = "meta"
        elif scale is not None:
            role = "rating"
        elif values.str.contains(", ").mean() > 0.2 and values.nunique() > 2:
            role = "multi"
        elif len(values) and (values.nunique() > max(20, 0.5 * len(values)) or values.str.len().mean() > 40):
            role = "comment"
        else:
            role = "descriptor"
        rows.append({"column": column, "question": q.text, "matrix_row": q.matrix_row, "import_id": q.import_id,
                     "answered": len(values), "distinct": int(values.nunique()),
                     "values": "; ".join(f"{v} ({c})" for v, c in counts.head(6).items()), "role": role,
                     "scale": scale})
    return pd.DataFrame(rows)


_RECOMMEND = re.compile(r"recommend", re.I)
_SATISFIED = re.compile(r"overall.*satisf|satisf.*overall", re.I)


def starter_config(export: Export, path: str | Path, client: str = "Client name") -> dict:
    """A starter engagement (as data) for a feedback export: to be checked line by line by the consultant."""
    table = suggest_columns(export)
    ratings = table[table["role"] == "rating"]
    recommend = ratings[ratings["question"].str.contains(_RECOMMEND) & ratings["scale"].str.startswith("recommend11")]
    satisfied = ratings[ratings["question"].str.contains(_SATISFIED)]
    outcome_columns = set(recommend["column"].head(1)) | set(satisfied["column"].head(1))
    attributes = ratings[~ratings["column"].isin(outcome_columns)]
    ids = table[table["role"] == "id"]["column"]
    scale = (attributes["scale"].str.split(" (", regex=False).str[0].mode().iloc[0] if len(attributes)
             else "CHECK: the attributes' scale")
    outcomes = {}
    if len(satisfied):
        outcomes["satisfaction"] = {"column": satisfied["column"].iloc[0], "label": "Overall satisfaction",
                                    "scale": "sat10" if satisfied["scale"].iloc[0] == "recommend11"
                                    else satisfied["scale"].iloc[0]}
    if len(recommend):
        outcomes["recommend"] = {"column": recommend["column"].iloc[0], "label": "Likelihood to recommend",
                                 "scale": "recommend11"}
    return {
        "client": client,
        "engagement_id": re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).stem).strip("-")[:80] or "engagement",
        "feedback": {
            "file": Path(path).name, "format": export.report.format,
            "id": ids.iloc[0] if len(ids) else "CHECK: the respondent id column",
            "scale": scale,
            "attributes": [{"column": r.column, "label": r.matrix_row if isinstance(r.matrix_row, str) else r.question}
                           for r in attributes.itertuples()],
            "outcomes": outcomes or {"satisfaction": {"column": "CHECK", "label": "CHECK", "scale": "sat10"}},
            "descriptors": table.loc[table["role"] == "descriptor", "column"].tolist(),
            **({"comment": table.loc[table["role"] == "comment", "column"].iloc[0]}
               if (table["role"] == "comment").any() else {}),
        },
    }
