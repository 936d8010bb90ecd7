"""Survey data read as it comes: plain tables (CSV, TSV, Excel) and the platforms' exports (Qualtrics current,
2016 and legacy CSV, SurveyMonkey, Google Forms, SPSS), with a record of everything the reader did.

Each reader returns an :class:`Export`: one row per respondent with one column
per answer (named by the export tag, or by the question text where the
platform has no tag), what each column asked (:class:`Question`), and an
:class:`Ingestion` report: the format and why it was recognised, the encoding
and delimiter, rows read, rows dropped and why (survey previews and tests,
spam, unfinished responses, duplicates), and repairs such as NUL bytes
removed. Label text and codes become ratings only through :func:`map_scale`,
which knows common agreement, satisfaction, quality and 0-10 scales, turns
"not applicable", "don't know" and "prefer not to say" into missing values,
and refuses any label it does not know, naming the column, the value and how
often it occurs. The file is read once, and never written.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CxkitError

FORMATS = ("table", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "spss")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".tab")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPSS_SUFFIXES = (".sav", ".zsav")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

QUALTRICS_META = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage")
LEGACY_META = {"V1": "ResponseID", "V2": "ResponseSet", "V3": "Name", "V4": "ExternalDataReference",
               "V5": "EmailAddress", "V6": "IPAddress", "V7": "Status", "V8": "StartDate", "V9": "EndDate",
               "V10": "Finished"}
LEGACY_EXTRA = ("RecipientLastName", "RecipientFirstName", "RecipientEmail", "LocationAccuracy")
# SurveyMonkey's metadata columns, as their names read with spaces and case ignored: older exports write
# "RespondentID", "CollectorID", "StartDate", newer ones "Respondent ID", "Collector ID", "Start Date"
SURVEYMONKEY_META = ("respondentid", "collectorid", "startdate", "enddate", "ipaddress", "emailaddress",
                     "firstname", "lastname", "customdata", "customdata1")
SURVEYMONKEY_PLAIN = ("response", "open-ended response")
# Qualtrics' Status codes (and their text in label exports): previews and tests are not respondents, nor is spam
QUALTRICS_TESTS = ("1", "2", "17", "survey preview", "survey test", "offline survey preview", "preview")
QUALTRICS_SPAM = ("8", "9", "12", "spam", "preview spam", "imported spam")
_IMPORT_ID = re.compile(r"""^\{\s*['"]ImportId['"]\s*:\s*['"]([^'"]+)['"].*\}$""")
_QID = re.compile(r"^(QID\d+)(?:[_-](\d+))?(?:[_-](\d+))?(?:[_-]TEXT)?$", re.IGNORECASE)


class ExportError(CxkitError):
    """A file cannot be read as the format it claims or seems to be; the message says where, why and the fix."""


def key(text: str) -> str:
    """A header name compared with spaces, underscores and case ignored ("Respondent ID" is "RespondentID")."""
    return re.sub(r"[\s_]+", "", str(text)).lower()


@dataclass(frozen=True)
class Question:
    """What one column of an export asked."""

    column: str
    text: str
    matrix_row: str | None = None   # the statement of a matrix (grid) question, or the option of a checkbox
    import_id: str | None = None    # Qualtrics' stable id (QID2_1), hyphens written as underscores
    kind: str | None = None         # "meta", "matrix", "single", "checkbox" or "open" where the layout says so


@dataclass
class Ingestion:
    """What a reader did, for ``cxkit inspect`` and ``cxkit validate``, the run record and the deck's appendix."""

    file: str
    format: str
    reason: str
    encoding: str = "utf-8"
    rows_read: int = 0
    rows_kept: int = 0
    dropped: list[tuple[str, int]] = field(default_factory=list)   # (why, how many)
    notes: list[str] = field(default_factory=list)
    delimiter: str | None = None    # text files: the delimiter the columns were split on
    sheet: str | None = None        # workbooks: the sheet read
    cleaned: dict[str, tuple[int, ...]] = field(default_factory=dict)   # column -> rows whose control characters
                                                                         # were replaced (:func:`clean_text`)
    duplicates: dict[str, int] = field(default_factory=dict)   # a column name the header holds more than once -> times

    def lines(self, repairs: bool = True) -> list[str]:
        """The report in sentences; ``repairs=False`` leaves out repeated column names and cleaned values, which
        ``cxkit validate`` reports with their rows."""
        how = f"encoding {self.encoding}"
        if self.delimiter is not None:
            how += f", delimiter {self.delimiter!r} ({DELIMITERS.get(self.delimiter, 'other')})"
        if self.sheet is not None:
            how = f"sheet {self.sheet!r}"
        out = [f"{Path(self.file).name}: read as {self.format} ({self.reason}); {how}; "
               f"{self.rows_read:,} responses read, {self.rows_kept:,} kept"]
        out += [f"{count:,} dropped: {why}" for why, count in self.dropped if count]
        if not repairs:
            return out + self.notes
        out += [f"column {name!r} appears {times} times in the header; read as {name!r}, {name + ' (2)'!r} ..."
                for name, times in self.duplicates.items()]
        out += [f"column {column!r}: control characters in {len(rows):,} value(s) replaced by spaces"
                for column, rows in self.cleaned.items()]
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


# ------------------------------------------------------------------ bytes to text to rows

# Characters no spreadsheet cell, slide or XML file can hold: C0 controls but tab and line ends, DEL, C1 controls
# (what bytes undefined in Windows-1252 become) and the non-characters U+FFFE and U+FFFF. Arrow-backed text is
# searched with RE2, which writes those two as \x{...}.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_ARROW_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{fffe}\x{ffff}]"


def _clean_line(text: str) -> str:
    return CONTROL_CHARACTERS.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_text(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[int, ...]]]:
    """Client text as every later step can show it: control characters replaced by a space, line ends as ``\\n``.

    A vertical tab in a descriptor (as Excel on a Mac or FileMaker write line breaks) would pass every check and
    then stop the Excel appendix at the end of a run; cleaned here, once, nothing downstream sees one. Column
    names are cleaned too.

    Returns
    -------
    frame : DataFrame
        The frame with text columns cleaned (numbers untouched); ``frame`` itself when nothing needed it.
    cleaned : dict
        Column -> the rows (index labels: the rows of the file) whose values held control characters; a header
        that held them is listed under its cleaned name with no rows.
    """
    cleaned: dict[str, tuple[int, ...]] = {}
    names = [_clean_line(c) if isinstance(c, str) else c for c in frame.columns]
    out = frame
    if names != list(frame.columns):
        cleaned.update({n: () for n, c in zip(names, frame.columns) if n != c})
        out = frame.set_axis(names, axis=1)
    for j, column in enumerate(out.columns):
        values = out.iloc[:, j]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        text = values.astype("string")
        pattern = _ARROW_CONTROL if "pyarrow" in str(getattr(text.dtype, "storage", "")) else CONTROL_CHARACTERS.pattern
        hit = text.str.contains(pattern, regex=True).fillna(False).astype(bool)
        if not hit.any() and not text.str.contains("\r", regex=False).fillna(False).any():
            continue
        fixed = text.where(~hit, text.str.replace(pattern, " ", regex=True).str.strip())
        fixed = fixed.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
        out = out.copy() if out is frame else out
        out.isetitem(j, fixed if values.dtype != object else fixed.astype(object).where(values.notna()))
        if hit.any():
            cleaned[str(column)] = cleaned.get(str(column), ()) + tuple(int(i) for i in values.index[hit.to_numpy()])
    return out, cleaned


def _clean_export(export: "Export") -> "Export":
    """An export with :func:`clean_text` applied to its answers, column names and question texts."""
    frame, cleaned = clean_text(export.frame)
    if frame is export.frame:
        return export
    renamed = dict(zip(export.frame.columns, frame.columns))
    questions = tuple(replace(q, column=renamed.get(q.column, q.column), text=_clean_line(q.text),
                              matrix_row=_clean_line(q.matrix_row) if q.matrix_row else q.matrix_row)
                      for q in export.questions)
    export.report.cleaned.update(cleaned)
    return replace(export, frame=frame, questions=questions)

# what a file that is no text table starts with, and what it is
_NOT_TEXT = {b"PK\x03\x04": "a zip archive (an Excel workbook .xlsx is one)",
             b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Office file", b"%PDF": "a PDF document",
             b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
             b"$FL2": "an SPSS data file (.sav)", b"$FL3": "an SPSS data file (.zsav)"}
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf16_without_mark(raw: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for text saved as UTF-16 without its byte-order mark (every other byte NUL, as
    in ASCII-range text), else None."""
    sample = raw[:4096]
    if len(sample) < 8:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.7 * len(sample) // 2 and even < 0.05 * len(sample) // 2:
        return "utf-16-le"
    if even > 0.7 * len(sample) // 2 and odd < 0.05 * len(sample) // 2:
        return "utf-16-be"
    return None


def _refuse_not_text(raw: bytes, path: Path) -> None:
    for magic, what in _NOT_TEXT.items():
        if raw.startswith(magic):
            raise ExportError(f"{path}: not a text table: the file is {what}. Fix: name the file by what it is "
                              "(.xlsx for a workbook, .sav for SPSS), or export the data again as CSV")


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str, list[str]]:
    """The file's text, the encoding used, and notes on repairs (a byte-order mark, NUL bytes).

    Without a stated encoding: UTF-8 (with or without a byte-order mark), UTF-16 (with its mark, or without
    it when every other byte is NUL), Windows-1252, then Latin-1, which reads any bytes. A file that is not
    text at all (a workbook, PDF or image with a text file's name) and one that mixes UTF-8 with another
    encoding's bytes are refused with the fix, never read as garbage.
    """
    _refuse_not_text(raw, path)
    notes = []
    bare = None if encoding or raw.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_mark(raw)
    if bare:
        encoding = bare
        notes.append(f"read as UTF-16 ({'little' if bare.endswith('le') else 'big'}-endian) without a byte-order mark")
    elif b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        count = raw.count(b"\x00")
        raw = raw.replace(b"\x00", b"")
        notes.append(f"{count:,} NUL bytes removed (the export carried them; they are not data)")
    stated = _codec(encoding) if encoding else None
    tried = [stated] if stated else ["utf-8-sig", "utf-16", "cp1252", "latin-1"]
    for name in tried:
        if name == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(name)
        except UnicodeDecodeError as exc:
            if stated:
                raise _not_encoded(path, raw, encoding, exc) from None
            if name == "utf-8-sig" and _UTF8_MULTIBYTE.search(raw):
                # UTF-8 letters and bytes of another encoding in one file: either reading garbles one of them
                line = raw[:exc.start].count(b"\n") + 1
                raise ExportError(f"{path}: mixes UTF-8 text with bytes of another encoding ({exc.reason} at byte "
                                  f"{exc.start}, line {line}), so no one encoding reads it all. Fix: open it in a "
                                  "spreadsheet and save it again as CSV UTF-8, or correct that line") from None
            continue
        except LookupError:
            raise ExportError(f"{path}: {encoding!r} is not an encoding Python knows. Fix: set 'encoding:' in the "
                              "engagement YAML to utf-8, cp1252 or latin-1") from None
        if name == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            notes.append("a UTF-8 byte-order mark was skipped")
        if name in ("cp1252", "latin-1") and not encoding:
            notes.append(f"the file is not valid UTF-8; read as {'Windows-1252' if name == 'cp1252' else 'Latin-1'} "
                         "(Western European), as exports saved by Excel on Windows often are")
        _check_text(text, path)
        return text, "utf-8" if name == "utf-8-sig" else name, notes
    raise ExportError(f"{path}: cannot decode the file. Fix: save it as UTF-8, or set 'encoding:' in the engagement YAML")


def _check_text(text: str, path: Path) -> None:
    """Refuse text that is mostly control characters: a binary file read through an encoding that takes any byte."""
    sample = text[:65536]
    controls = len(CONTROL_CHARACTERS.findall(sample))
    if sample and controls > max(16, len(sample) // 50):
        raise ExportError(f"{path}: does not look like a text table ({controls:,} control characters in its first "
                          f"{len(sample):,}). Fix: check the file is the survey data, exported as CSV, TSV or .xlsx")


def _codec(encoding: str) -> str:
    """UTF-8 read as UTF-8 with an optional byte-order mark, so a BOM never sticks to the first column's name."""
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _not_encoded(path: Path, raw: bytes, encoding: str, exc: UnicodeDecodeError) -> ExportError:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_mark(raw):
        return ExportError(f"{path}: not {encoding} text: the file is UTF-16. Fix: remove 'encoding:' for this file "
                           "in the engagement YAML (UTF-16 is detected), or set 'encoding: utf-16'")
    line = raw[:exc.start].count(b"\n") + 1
    seen = "Windows-1252 (cp1252)" if _decodes(raw, "cp1252") else "Latin-1"
    return ExportError(f"{path}: not {encoding} text ({exc.reason} at byte {exc.start}, line {line}); the bytes look "
                       f"like {seen}. Fix: set 'encoding: {'cp1252' if seen.startswith('Windows') else 'latin-1'}' "
                       "for this file in the engagement YAML, or save the file as UTF-8 CSV")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(text: str, suffix: str = "") -> str:
    """The delimiter that splits a text table's first lines into the most columns, evenly.

    Each of comma, semicolon, tab and pipe is tried on the first lines (quotes honoured); a
    candidate counts when its header has more than one column and at least 80% of the lines
    have as many. The widest wins; ties go to a tab in a .tsv or .tab file, else in that order.
    A file that none of them splits is one column wide (comma).
    """
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[:sample.rfind("\n") + 1] or sample   # a cut line would count as uneven
    best, best_width = ",", 1
    order = ["\t", ",", ";", "|"] if suffix in (".tsv", ".tab") else list(DELIMITERS)
    for candidate in order:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=candidate) if any(c.strip() for c in r)]
        if not rows:
            continue
        width = len(rows[0])
        even = sum(len(r) == width for r in rows) / len(rows)
        if width > best_width and even >= 0.8:
            best, best_width = candidate, width
    return best


def _rows(text: str, delimiter: str = ",") -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    # a trailing comma on every line (legacy Qualtrics) leaves an empty last column with no header
    if rows and rows[0] and rows[0][-1] == "" and all((not r or r[-1] == "") for r in rows):
        rows = [r[:-1] for r in rows]
    return rows


def _cell_text(value) -> str:
    """An Excel cell as the text a CSV export would hold: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time() else value.strftime("%Y-%m-%d")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _workbook(raw: bytes, path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for files it cannot open
        raise ExportError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc}). Fix: open it in "
                          "Excel and save it again as .xlsx, or export the survey as CSV") from None


def _sheet_name(names: list[str], sheet: str | None, path: Path) -> str:
    if sheet is None:
        return names[0]
    if sheet not in names:
        close = difflib.get_close_matches(sheet, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ExportError(f"{path}: no sheet named '{sheet}'; the workbook has {names}.{hint} "
                          "Fix: set 'sheet:' in the engagement YAML (or --sheet) to one of them.")
    return sheet


def _excel_rows(raw: bytes, path: Path, sheet: str | None) -> tuple[list[list[str]], str, list[str]]:
    """Every row of one sheet as text cells, as a CSV export of it would hold them."""
    book = _workbook(raw, path)
    try:
        names = book.sheetnames
        name = _sheet_name(names, sheet, path)
        rows = [[_cell_text(v) for v in row] for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    while width and all(len(r) < width or not r[width - 1].strip() for r in rows):
        width -= 1   # empty columns Excel keeps to the right of the data
    return [(r + [""] * width)[:width] for r in rows], name, names


# ------------------------------------------------------------------ plain tables

def read_table(path: str | Path, *, sheet: str | None = None, header_row: int = 1, encoding: str | None = None,
               text_columns: tuple[str, ...] = (), as_text: bool = False) -> pd.DataFrame:
    """Read a plain CSV, TSV or Excel table, with a clear error for every way it can fail.

    Parameters
    ----------
    path : path
    sheet : str, optional
        The workbook's sheet (default: the first).
    header_row : int, default=1
        The row holding the column names, as a spreadsheet numbers it.
    encoding : str, optional
        Text files: stated in the engagement, else sniffed (UTF-8 with or without a
        byte-order mark, UTF-16, Windows-1252, Latin-1).
    text_columns : tuple of str
        Read as text whatever they hold (ids keep their leading zeros).
    as_text : bool, default=False
        Every column as text, as the platforms' exports are read.

    Returns
    -------
    DataFrame
        Indexed by the row in the file; ``attrs`` record the delimiter, encoding
        and sheet used. Column types are inferred unless ``as_text``: a clean
        rating column arrives as numbers (compact at a million rows), a column
        holding any text as text, to be reported rather than silently made missing.
        Only empty cells are missing: "NA" or "n/a" stay as text.

    Notes
    -----
    The file is opened once. The delimiter of a text file is sniffed
    (:func:`sniff_delimiter`); a file that still reads as one column although its
    header holds semicolons, tabs or pipes is refused, never read as one giant column.
    """
    path = Path(path)
    return _table_frame(_read_bytes(path), path, sheet, header_row, encoding,
                        str if as_text else {c: str for c in text_columns})


def _table_frame(raw: bytes, path: Path, sheet: str | None, header_row: int, encoding: str | None,
                 dtype) -> pd.DataFrame:
    suffix = path.suffix.lower()
    attrs: dict = {}
    try:
        if suffix in EXCEL_SUFFIXES:
            book = _workbook(raw, path)
            try:
                name = _sheet_name(book.sheetnames, sheet, path)
            finally:
                book.close()
            frame = pd.read_excel(io.BytesIO(raw), sheet_name=name, dtype=dtype, header=header_row - 1,
                                  keep_default_na=False, na_values=[""])
            attrs = {"sheet": name, "encoding": "xlsx", "header": _excel_header(raw, path, name, header_row)}
        elif suffix in TEXT_SUFFIXES:
            frame, attrs = _text_table(raw, path, suffix, header_row, encoding, dtype)
        elif suffix == ".xls":
            raise ExportError(f"{path}: the old Excel format (.xls) is not read. Fix: open it in Excel and save it "
                              "as .xlsx (Excel workbook) or .csv")
        else:
            raise ExportError(f"{path}: cannot read '{suffix}' files. Fix: save the data as .csv or .xlsx.")
    except pd.errors.EmptyDataError:
        raise ExportError(f"{path}: the file has no header and no rows. Fix: export the survey data again.") from None
    except pd.errors.ParserError as exc:
        name = DELIMITERS.get(attrs.get("delimiter", ","), "comma")
        raise ExportError(f"{path}: could not be read as a {name}-separated table ({exc}). Fix: check that every "
                          "line has as many cells as the header and that quotes are balanced") from None
    header = attrs.pop("header", None)
    if header is not None and len(header) == frame.shape[1] and len(set(header)) < len(header):
        # pandas renames a repeated name "x.1", which reads as a column of its own: say so, and name it "x (2)"
        attrs["duplicates"] = {n: header.count(n) for n in dict.fromkeys(header) if header.count(n) > 1 and n}
        frame.columns = _unique([n or str(c) for n, c in zip(header, frame.columns)])
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object:
            frame[column] = frame[column].astype("string").str.strip()
    # Row numbers as a spreadsheet shows them: header at header_row, data right below.
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    frame, attrs["cleaned"] = clean_text(frame)
    frame.attrs = attrs
    return frame


def _excel_header(raw: bytes, path: Path, sheet: str, header_row: int) -> list[str]:
    """The header row's names as written, empty cells as "" and those Excel keeps to the right dropped."""
    book = _workbook(raw, path)
    try:
        cells = next(book[sheet].iter_rows(min_row=header_row, max_row=header_row, values_only=True), ())
    finally:
        book.close()
    names = [_cell_text(v).strip() for v in cells]
    while names and not names[-1]:
        names.pop()
    return names


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ExportError(f"{path}: file not found. Fix: check the 'file:' path in the engagement YAML "
                          "(it is relative to the YAML file).")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder, not a data file. Fix: name the file itself")
    raw = path.read_bytes()
    if not raw.strip():
        raise ExportError(f"{path}: the file is empty. Fix: export the survey data again.")
    return raw


def _text_table(raw: bytes, path: Path, suffix: str, header_row: int, encoding: str | None, dtype):
    if encoding:   # stated: decode a sample only; the parser decodes the rest and a failure is located below
        _refuse_not_text(raw, path)
        codec = _codec(encoding)
        try:
            sample = raw[:65536].decode(codec, errors="ignore" if len(raw) > 65536 else "strict")
        except UnicodeDecodeError as exc:
            raise _not_encoded(path, raw, encoding, exc) from None
        except LookupError:
            raise ExportError(f"{path}: {encoding!r} is not an encoding Python knows. Fix: set 'encoding:' in the "
                              "engagement YAML to utf-8, cp1252 or latin-1") from None
        used, source, notes = codec, io.BytesIO(raw), []
    else:
        text, used, notes = _decode(raw, path, None)
        sample = text[:65536]
        if any("NUL bytes removed" in note for note in notes):
            source = io.StringIO(text)      # the repaired text, not the bytes
        else:   # the encoding is known now: the parser decodes the bytes itself (no second copy of the file)
            source = io.BytesIO(raw)
        del text
    lines = sample.splitlines()[header_row - 1:]
    header = lines[0] if lines else ""
    delimiter = sniff_delimiter("\n".join(lines), suffix)
    names = [n.strip() for n in next(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter), [])]
    try:
        frame = pd.read_csv(source, sep=delimiter, dtype=dtype, encoding=used if isinstance(source, io.BytesIO) else None,
                            header=header_row - 1, keep_default_na=False, na_values=[""], skipinitialspace=True,
                            low_memory=False)
    except UnicodeDecodeError:
        exc = _first_decode_error(raw, used)
        raise _not_encoded(path, raw, encoding, exc) from None
    if frame.shape[1] == 1:
        seen = {d: header.count(d) for d in (";", "\t", "|") if header.count(d)}
        if seen:
            d, n = max(seen.items(), key=lambda kv: kv[1])
            raise ExportError(f"{path}: the header holds {n} {DELIMITERS[d]}s ({d!r}) but the lines do not split "
                              f"evenly on them, so the file would read as one column. Fix: check the quotes, or "
                              "save the file again as a comma-separated CSV (UTF-8)")
    return frame, {"delimiter": delimiter, "encoding": "utf-8" if used == "utf-8-sig" else used, "notes": notes,
                   "header": names}


def _first_decode_error(raw: bytes, codec: str) -> UnicodeDecodeError:
    try:
        raw.decode(codec)
    except UnicodeDecodeError as exc:
        return exc
    return UnicodeDecodeError(codec, raw, 0, 1, "cannot decode")


# ------------------------------------------------------------------ detection

def detect_format(path: str | Path, encoding: str | None = None, sheet: str | None = None) -> tuple[str, str]:
    """Which platform wrote an export (``table`` when none did), and the reason in words."""
    path = Path(path)
    if path.suffix.lower() in SPSS_SUFFIXES:
        return "spss", "the .sav extension"
    rows, *_ = _file_rows(_read_bytes(path), path, encoding, sheet)
    return _detect(rows[:3], path)


def _detect(rows: list[list[str]], path: Path) -> tuple[str, str]:
    if not rows:
        raise ExportError(f"{path}: the file is empty. Fix: export the survey data again.")
    first = [c.strip() for c in rows[0]]
    keys = [key(c) for c in first]
    third = rows[2] if len(rows) > 2 else []
    ids = [m.group(1) for m in (_IMPORT_ID.match(c.strip()) for c in third) if m]
    if third and len(ids) >= max(1, len(third) // 2):
        if first[:1] == ["V1"] or "V1" in first[:3]:
            return "qualtrics_legacy", "V1..V10 metadata columns and an ImportId row"
        if any(re.match(r"^QID\d+-", i) for i in ids) or {"ResponseID", "ResponseSet"} & set(first):
            return "qualtrics_legacy", ("the 2016 layout: ResponseID/ResponseSet columns and an ImportId row with "
                                        "hyphenated ids (QID2-1)")
        return "qualtrics", "three header rows, the third holding ImportIds"
    if first[:3] == ["V1", "V2", "V3"] or (len(rows) > 1 and rows[1][:1] == ["ResponseID"]):
        return "qualtrics_legacy", "V1..V10 metadata columns over a row of names (ResponseID ...)"
    second = [key(c) for c in rows[1]] if len(rows) > 1 else []
    if keys and keys[0] == "respondentid" and second and second[0] == "" and (
            any(c in SURVEYMONKEY_PLAIN for c in second) or sum(k in SURVEYMONKEY_META for k in keys) >= 2
            or not any(second[:3])):
        return "surveymonkey", (f"a '{first[0]}' column over a second header row of response labels "
                                "(Response, Open-Ended Response or answer options)")
    if keys and keys[0] == "timestamp":
        return "google_forms", "one header row starting with 'Timestamp'"
    return "table", "one header row of column names, no survey platform's header"


def _file_rows(raw: bytes, path: Path, encoding: str | None, sheet: str | None):
    """The file's rows as text cells, with what reading them took: encoding, delimiter, sheet and repairs."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        rows, name, names = _excel_rows(raw, path, sheet)
        notes = [f"sheet {name!r} of {len(names)}: {', '.join(names)}"] if len(names) > 1 else []
        return rows, "xlsx", None, name, notes
    if suffix == ".xls":
        raise ExportError(f"{path}: the old Excel format (.xls) is not read. Fix: open it in Excel and save it as "
                          ".xlsx (Excel workbook) or .csv")
    if suffix not in TEXT_SUFFIXES and suffix:
        raise ExportError(f"{path}: cannot read '{suffix}' files. Fix: export the survey as .csv, .xlsx or .sav")
    text, used, notes = _decode(raw, path, encoding)
    delimiter = sniff_delimiter(text, suffix)
    return _rows(text, delimiter), used, delimiter, None, notes


# ------------------------------------------------------------------ readers

def read_export(path: str | Path, format: str | None = None, encoding: str | None = None,
                keep_incomplete: bool = False, sheet: str | None = None) -> Export:
    """Read a survey file into one row per respondent, recording what was done.

    Parameters
    ----------
    path : path
        A .csv, .tsv, .txt, .xlsx or .sav file.
    format : {"auto", "table", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "spss"}, optional
        Detected from the header when not given or "auto" (the report says why); a
        file with no platform's header is a plain ``table``.
    encoding : str, optional
        Tried in turn when not given: UTF-8 (with or without a byte-order mark),
        UTF-16 (with its mark), Windows-1252, Latin-1.
    keep_incomplete : bool
        Keep unfinished responses (Qualtrics' ``Finished`` = 0); dropped by default.
    sheet : str, optional
        The sheet of a workbook (default: the first).

    Notes
    -----
    Qualtrics (current): export tags in the first header row, question texts
    ("Question - Row" for matrix rows) in the second, JSON ImportIds in the
    third. Legacy: ``V1..V10`` metadata, names in the second row, an optional
    ImportId row (single quotes and hyphens in older variants), a byte-order
    mark and a trailing comma; the 2016 layout names its columns in the first row
    (ResponseID, ResponseSet ...) over the texts and ImportIds such as
    ``{"ImportId":"QID2-1"}``. Matrix rows are split from their question by the
    question they share. Survey previews and tests, spam and unfinished responses
    are dropped, then repeated response ids. SurveyMonkey: question text above
    the first column of each question and "Response", "Open-Ended Response" or
    the row label below; columns are named "Question - Row". Its older layout
    spreads a single-choice question over one column per option, the chosen
    option's text in its cell: such a question is collapsed to one column; a
    checkbox question spread so keeps a column per option, read as "Selected" or
    "Not selected". Google Forms: one header row; grid rows arrive as
    "Question [Row]". Values stay as the platform wrote them (text);
    :func:`map_scale` turns labels into ratings.
    """
    path = Path(path)
    if format == "auto":
        format = None
    if format is not None and format not in FORMATS:
        raise ExportError(f"{path}: unknown format {format!r}. Fix: use one of auto, {', '.join(FORMATS)}")
    if format == "spss" or (format is None and path.suffix.lower() in SPSS_SUFFIXES):
        return read_spss(path, "named in the engagement YAML" if format else "the .sav extension")
    raw = _read_bytes(path)
    rows, used, delimiter, sheet_used, notes = _file_rows(raw, path, encoding, sheet)
    if format is None:
        format, reason = _detect(rows[:3], path)
    else:
        reason = f"format: {format}, as named"
    if format == "table":
        return _table(raw, path, reason, used, sheet, notes)
    report = Ingestion(str(path), format, reason, used, notes=notes, delimiter=delimiter, sheet=sheet_used)
    reader = {"qualtrics": _qualtrics, "qualtrics_legacy": _qualtrics_legacy, "surveymonkey": _surveymonkey,
              "google_forms": _google_forms}[format]
    frame, questions = reader(rows, path, report, keep_incomplete)
    report.rows_kept = len(frame)
    return _clean_export(Export(frame, tuple(questions), report))


def _table(raw: bytes, path: Path, reason: str, used: str, sheet: str | None, notes: list[str]) -> Export:
    """A plain table, read exactly as an engagement with ``format: table`` reads it (same column names)."""
    frame = _table_frame(raw, path, sheet, 1, None if used == "xlsx" else used, str)
    frame = frame.replace("", pd.NA)
    report = Ingestion(str(path), "table", reason, frame.attrs.get("encoding", used), rows_read=len(frame),
                       rows_kept=len(frame), notes=notes, delimiter=frame.attrs.get("delimiter"),
                       sheet=frame.attrs.get("sheet"), cleaned=frame.attrs.get("cleaned", {}),
                       duplicates=frame.attrs.get("duplicates", {}))
    return Export(frame, tuple(Question(c, c) for c in frame.columns), report)


def _body(rows: list[list[str]], names: list[str], start: int, path: Path) -> pd.DataFrame:
    width = len(names)
    bad = [i + 1 for i, r in enumerate(rows[start:], start=start) if len(r) != width]
    if bad:
        raise ExportError(f"{path}: lines {bad[:5]} have a different number of cells from the header ({width}); the "
                          "export is cut or edited. Fix: export the file again from the platform")
    # the index is each response's row in the file as a spreadsheet shows it, so problems can name their rows
    frame = pd.DataFrame(rows[start:], columns=names, dtype="string", index=range(start + 1, len(rows) + 1))
    return frame.apply(lambda column: column.str.strip()).replace("", pd.NA)


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
        code = frame[status].str.strip().str.lower()
        frame = _drop(frame, code.isin(QUALTRICS_TESTS), "survey previews and tests (Status)", report)
        frame = _drop(frame, code.reindex(frame.index).isin(QUALTRICS_SPAM), "spam (Status)", report)
    if finished in frame and not keep_incomplete:
        done = frame[finished].str.strip().str.lower().isin(["1", "true"])
        frame = _drop(frame, ~done, f"unfinished responses ({finished} = 0)", report)
    if id_column in frame:
        frame = _drop(frame, frame[id_column].duplicated(), f"repeated {id_column}", report)
    return frame


def _import_id(cell: str) -> str | None:
    match = _IMPORT_ID.match(cell.strip())
    return match.group(1).replace("-", "_") if match else None


def _qualtrics(rows, path, report, keep_incomplete):
    if len(rows) < 3:
        raise ExportError(f"{path}: a Qualtrics export has three header rows; this one has {len(rows)} rows in all. "
                          "Fix: export it again, or set 'format: table' if it is a plain table")
    tags, texts, ids = rows[0], rows[1], rows[2]
    names = _unique([t.strip() for t in tags])
    questions = _split_matrices(names, texts, [_import_id(c) for c in ids], set(QUALTRICS_META))
    frame = _body(rows, names, 3, path)
    frame = _qualtrics_rows(frame, report, keep_incomplete, "ResponseId", "Status", "Finished")
    return frame, questions


def _qualtrics_legacy(rows, path, report, keep_incomplete):
    if len(rows) < 2:
        raise ExportError(f"{path}: a legacy Qualtrics export has two header rows; this one has {len(rows)}. "
                          "Fix: export it again from Qualtrics")
    tags, texts = rows[0], rows[1]
    start = 2
    ids = [None] * len(tags)
    if len(rows) > 2 and sum(bool(_IMPORT_ID.match(c.strip())) for c in rows[2]) >= max(1, len(rows[2]) // 2):
        ids, start = [_import_id(c) for c in rows[2]], 3
    names = _unique([LEGACY_META.get(t.strip(), t.strip()) for t in tags])
    meta = set(LEGACY_META.values()) | set(LEGACY_EXTRA) | {"LocationLatitude", "LocationLongitude"}
    questions = _split_matrices(names, texts, ids, meta)
    frame = _body(rows, names, start, path)
    frame = _qualtrics_rows(frame, report, keep_incomplete, "ResponseID", "Status", "Finished")
    return frame, questions


def _split_matrices(names: list[str], texts: list[str], ids: list[str | None], meta: set) -> list[Question]:
    """Each column's question and, for the rows of a matrix, its statement.

    The rows of one question share its ImportId (QID2_1, QID2_2 ...) or its export tag (Q2_1, Q2_2); the
    question is their texts' common start, up to the separator the platform put before the row (" - " in
    current exports, "-" in legacy ones), so hyphens inside a question's text are never taken for it.
    """
    groups: dict[str, list[int]] = {}
    for i, (name, import_id) in enumerate(zip(names, ids)):
        stem = _QID.match(import_id) if import_id else None
        if name in meta or (import_id and not stem):
            continue
        if stem and stem.group(2):
            groups.setdefault(stem.group(1).upper(), []).append(i)
        elif not import_id and re.match(r"^(.+)_\d+$", name):
            groups.setdefault(re.sub(r"_\d+$", "", name), []).append(i)
    parts: dict[int, tuple[str, str | None]] = {}
    for members in groups.values():
        member_texts = [texts[i].strip() if i < len(texts) else "" for i in members]
        question = _common_question(member_texts)
        for i, text in zip(members, member_texts):
            if question and len(members) > 1:
                row = text[len(question):].strip(" -:")
                # checkbox choices with a text entry are headed "Question - Selected Choice - Option"
                parts[i] = (question.removesuffix(" - Selected Choice").strip(" -:") or names[i], row or None)
            else:
                head, sep, row = text.partition(" - ")
                if not sep:
                    head, sep, row = text.rpartition("-") if "-" in text else (text, "", "")
                parts[i] = (head.strip() or names[i], row.strip() or None)
    questions = []
    for i, (name, import_id) in enumerate(zip(names, ids)):
        text = texts[i].strip() if i < len(texts) else ""
        if name in meta:
            questions.append(Question(name, text or name, None, import_id, "meta"))
        elif i in parts:
            question, row = parts[i]
            questions.append(Question(name, question, row, import_id, "matrix" if row else None))
        else:
            head, sep, row = text.partition(" - ")   # a current export's single question with a sub-part
            questions.append(Question(name, (head if sep else text).strip() or name, row.strip() or None,
                                      import_id))
    return questions


def _common_question(texts: list[str]) -> str:
    """The question the texts share: their common start cut back to the last " - " (else "-") in it."""
    if len(texts) < 2:
        return ""
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    for separator in (" - ", "-"):
        cut = prefix.rfind(separator)
        if cut > 0 and all(len(t) > cut + len(separator) for t in texts):
            return prefix[:cut]
    return ""


def _surveymonkey(rows, path, report, keep_incomplete):
    if len(rows) < 2:
        raise ExportError(f"{path}: a SurveyMonkey export has two header rows; this one has {len(rows)}. "
                          "Fix: export it again, or set 'format: table' if it is a plain table")
    top, below = rows[0], rows[1]
    names, questions, blocks, current, block = [], [], [], "", -1
    for position, (text, label) in enumerate(zip(top, below)):
        text, label = text.strip(), label.strip()
        if text:
            current, block = text, block + 1
        blocks.append(block)
        if text and key(text) in SURVEYMONKEY_META and not label:
            names.append(text)
            questions.append(Question(text, text, kind="meta"))
        elif not label or label.lower() in SURVEYMONKEY_PLAIN:
            names.append(current)
            questions.append(Question(current, current, kind="open" if label.lower() == "open-ended response"
                                      else None))
        else:
            names.append(f"{current} - {label}")
            questions.append(Question(f"{current} - {label}", current, label, kind="matrix"))
    names = _unique(names)
    questions = [replace(q, column=n) for n, q in zip(names, questions)]
    frame = _body(rows, names, 2, path)
    report.rows_read = len(frame)
    frame, questions = _option_columns(frame, questions, blocks, report)
    id_column = next((c for c in frame.columns if key(c) == "respondentid"), None)
    if id_column:
        frame = _drop(frame, frame[id_column].duplicated(), f"repeated {id_column}", report)
    return frame, questions


_OTHER = re.compile(r"\bother\b|please specify", re.IGNORECASE)


def _option_columns(frame: pd.DataFrame, questions: list[Question], blocks: list[int], report: Ingestion):
    """SurveyMonkey's older layout: a question spread over one column per option, the chosen option's text in
    its cell. A single-choice question (at most one option per respondent) becomes one column holding the
    choice; a checkbox question keeps its columns, each "Selected" or "Not selected". A matrix (the cells hold
    ratings or labels, not the column's own option) is left as it is."""
    by_block: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        by_block.setdefault(b, []).append(i)
    columns = list(frame.columns)
    replaced: dict[int, tuple[str, pd.Series | None, Question | None]] = {}
    singles, checkboxes = [], []
    for members in by_block.values():
        labelled = [i for i in members if questions[i].matrix_row]
        options = [i for i in labelled if not _OTHER.search(questions[i].matrix_row or "")]
        if len(labelled) < 2 or len(options) < 2:
            continue
        answered = [frame[columns[i]].dropna() for i in options]
        if not any(len(a) for a in answered) or not all(
                (a.map(_norm) == _norm(questions[i].matrix_row)).all() for i, a in zip(options, answered)):
            continue
        chosen = frame[[columns[i] for i in options]].notna()
        text = questions[options[0]].text
        if int(chosen.sum(axis=1).max()) <= 1:
            choice = frame[[columns[i] for i in options]].bfill(axis=1).iloc[:, 0]
            for i in set(labelled) - set(options):   # who wrote in their own answer chose "Other"
                choice = choice.where(choice.notna() | frame[columns[i]].isna(), "Other")
            replaced[options[0]] = (text, choice, Question(text, text, kind="single"))
            for i in options[1:]:
                replaced[i] = ("", None, None)
            for i in set(labelled) - set(options):   # "Other (please specify)": the respondent's own words
                replaced[i] = (columns[i], frame[columns[i]], replace(questions[i], kind="open"))
            singles.append(text)
        else:
            seen = chosen.any(axis=1)
            for i in options:
                values = pd.Series(np.where(chosen[columns[i]], "Selected", "Not selected"), index=frame.index,
                                   dtype="string").where(seen)
                replaced[i] = (columns[i], values, replace(questions[i], kind="checkbox"))
            checkboxes.append(text)
    if not replaced:
        return frame, questions
    data, kept = {}, []
    for i, column in enumerate(columns):
        name, values, question = replaced.get(i, (column, frame[column], questions[i]))
        if question is not None:
            data[name] = values
            kept.append(question)
    names = _unique(list(data))
    out = pd.DataFrame(dict(zip(names, data.values())), index=frame.index)
    if singles:
        report.notes.append(f"{len(singles)} single-choice question(s) spread over one column per option collapsed "
                            f"to one column each: {_listing(singles)}")
    if checkboxes:
        report.notes.append(f"{len(checkboxes)} checkbox question(s) read as Selected / Not selected per option: "
                            f"{_listing(checkboxes)}")
    return out, [replace(q, column=n) for n, q in zip(names, kept)]


def _listing(texts: list[str], most: int = 4) -> str:
    shown = "; ".join(t if len(t) <= 60 else t[:57] + "..." for t in texts[:most])
    return shown + (f" and {len(texts) - most} more" if len(texts) > most else "")


_GRID = re.compile(r"^(?P<question>.+?)\s*\[(?P<row>[^\[\]]+)\]$")


def _google_forms(rows, path, report, keep_incomplete):
    header = [c.strip() for c in rows[0]]
    report.duplicates = {n: header.count(n) for n in dict.fromkeys(header) if n and header.count(n) > 1}
    names = _unique(header)
    questions = []
    for name in names:
        grid = _GRID.match(name)
        questions.append(Question(name, grid["question"] if grid else name, grid["row"] if grid else None,
                                  kind="meta" if name == "Timestamp" else ("matrix" if grid else None)))
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
    if not path.exists():
        raise ExportError(f"{path}: file not found. Fix: check the 'file:' path in the engagement YAML "
                          "(it is relative to the YAML file).")
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
    return _clean_export(Export(frame, questions, report, dict(meta.variable_value_labels or {})))


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
        label = _norm(raw)
        hit = text == raw
        if label in lookup:
            out[hit.fillna(False).to_numpy()] = lookup[label]
        elif label in gone:
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


# ------------------------------------------------------------------ Qualtrics survey definitions

MULTI_SELECTORS = ("MAVR", "MAHR", "MACOL", "MSB", "MAB")   # multiple-answer (checkbox) layouts of an MC question


def read_qsf(path: str | Path) -> dict[str, dict]:
    """Recodes, choice texts and export tags from a Qualtrics survey definition (.qsf, JSON).

    Returns
    -------
    dict
        Export tag -> ``text`` (the question), ``choices`` (code as exported -> label: the
        recoded choices of a multiple-choice question, the recoded scale points (Answers) of
        a matrix), ``qid`` (QuestionID), ``multi`` (a multiple-answer, checkbox question),
        ``options`` (choice key -> label: a matrix's rows, a question's choices) and
        ``choice_tags`` (custom export tags of single choices or rows -> choice key).
    """
    try:
        survey = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a readable Qualtrics survey definition (.qsf): {exc}. Fix: export the "
                          "survey again from Qualtrics (Tools > Import/Export > Export survey)") from None
    out = {}
    for element in survey.get("SurveyElements", []):
        if element.get("Element") != "SQ" or not isinstance(element.get("Payload"), dict):
            continue
        payload = element["Payload"]
        tag = str(payload.get("DataExportTag") or payload.get("QuestionID"))
        matrix = payload.get("QuestionType") == "Matrix"
        options = payload.get("Answers") if matrix else payload.get("Choices")
        recodes = payload.get("RecodeValues") or {}
        choices = {}
        for choice, option in (options or {}).items():
            choices[str(recodes.get(choice, choice))] = _plain(option)
        tags = payload.get("ChoiceDataExportTags") or {}
        out[tag] = {"text": _plain(payload.get("QuestionText", "")), "choices": choices,
                    "qid": str(payload.get("QuestionID") or tag),
                    "multi": payload.get("QuestionType") == "MC" and payload.get("Selector") in MULTI_SELECTORS,
                    "options": {str(k): _plain(v) for k, v in (payload.get("Choices") or {}).items()},
                    "choice_tags": {str(v): str(k) for k, v in tags.items() if v} if isinstance(tags, dict) else {}}
    return out


def _plain(option) -> str:
    label = option.get("Display", "") if isinstance(option, dict) else str(option)
    return re.sub(r"<[^>]+>", "", str(label)).strip()


@dataclass(frozen=True)
class QsfColumn:
    """How one export column is read through the survey definition."""

    tag: str                  # the question's export tag
    choice: str | None        # the choice key a split checkbox column or matrix row stands for
    checkbox: bool            # a split multiple-answer column: Selected / Not selected


def qsf_columns(columns, questions: dict[str, Question], survey: dict[str, dict]) -> dict[str, QsfColumn]:
    """Which question of the survey definition each column answers: by its ImportId (QID5_2) where the export
    has them, else by its export tag (``Q5``, ``Q5_2``, or a custom DataExportTag or ChoiceDataExportTag).
    Text entry parts (``_TEXT``) are left as they are."""
    by_qid = {q["qid"].upper(): tag for tag, q in survey.items()}
    by_choice_tag = {ct: (tag, k) for tag, q in survey.items() for ct, k in q["choice_tags"].items()}
    found = {}
    for column in columns:
        question = questions.get(column)
        import_id = question.import_id if question else None
        if (import_id or "").upper().endswith("TEXT") or column.upper().endswith("_TEXT"):
            continue
        tag, choice = None, None
        stem = _QID.match(import_id) if import_id else None
        if stem and stem.group(1).upper() in by_qid:
            tag, choice = by_qid[stem.group(1).upper()], stem.group(2)
        elif column in survey:
            tag = column
        elif column in by_choice_tag:
            tag, choice = by_choice_tag[column]
        else:
            match = re.match(r"^(.+)_(\d+)$", column)
            if match and match.group(1) in survey:
                tag, choice = match.group(1), match.group(2)
        if tag is None or not (survey[tag]["choices"] or survey[tag]["multi"]):
            continue
        found[column] = QsfColumn(tag, choice, survey[tag]["multi"] and choice is not None)
    return found


def apply_qsf(frame: pd.DataFrame, questions: dict[str, Question], survey: dict[str, dict],
              skip: set = frozenset()) -> tuple[pd.DataFrame, dict[str, QsfColumn], dict]:
    """An export's codes read through its survey definition.

    Recode values (10-14, -99 ...) become their choice labels, so a scale's label map decides the
    rating; a split checkbox column becomes "Selected" (any code in the cell) or "Not selected" (empty,
    where the respondent ticked another option of the question; missing where they ticked none), never
    the first choice's label. Codes the definition does not list are left missing.

    Returns
    -------
    frame : DataFrame
    mapped : dict
        Column -> :class:`QsfColumn`, for each column read through the definition.
    unknown : dict
        Column -> (the codes the definition does not list, the rows holding them as a mask).
    """
    frame = frame.copy()
    mapped = {c: q for c, q in qsf_columns(frame.columns, questions, survey).items() if c not in skip}
    unknown: dict[str, tuple[list[str], pd.Series]] = {}
    answered_any: dict[str, pd.Series] = {}
    for column, how in mapped.items():
        if how.checkbox:
            answered_any[how.tag] = answered_any.get(how.tag, pd.Series(False, index=frame.index)) | \
                frame[column].notna()
    for column, how in mapped.items():
        text = frame[column].astype("string").str.strip()
        if how.checkbox:
            frame[column] = pd.Series(np.where(text.notna(), "Selected", "Not selected"), index=frame.index,
                                      dtype="string").where(answered_any[how.tag])
            continue
        choices = survey[how.tag]["choices"]
        if survey[how.tag]["multi"]:   # one column holding every ticked code, joined by commas
            codes = text.map(lambda cell: [p.strip() for p in cell.split(",") if p.strip()], na_action="ignore")
            bad = codes.map(lambda cell, known=choices: any(p not in known for p in cell), na_action="ignore")
            frame[column] = codes.map(lambda cell, known=choices: ", ".join(known.get(p, p) for p in cell),
                                      na_action="ignore").astype("string").where(~bad.fillna(False).astype(bool))
            missing = sorted({p for cell in codes.dropna() for p in cell} - set(choices))
        else:
            bad = text.notna() & ~text.isin(list(choices))
            missing = sorted(set(text[bad].dropna()))
            frame[column] = text.map(choices, na_action="ignore").astype("string")
        if missing:
            unknown[column] = (missing, bad.fillna(False).astype(bool))
    return frame, mapped, unknown

