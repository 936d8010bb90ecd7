"""Reading the client's files and checking them against the engagement's data contract.

``validate`` reports every problem at once (file, column, row numbers as a
spreadsheet shows them, sample values and the fix); ``load_feedback`` and
``load_diagnostic`` return clean frames in which "not applicable" and
"don't know" codes are missing values, never ratings. Input files are only
ever opened for reading.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import STARTER_CLIENT, Engagement, Scale
from .readers import DELIMITERS
from ..errors import CxkitError, DataError, DataProblem
from ..paths import input_path

MAX_ROWS_SHOWN = 8
ROW_ID = "_row"   # the respondent key of a feedback file without an id column: its row number in the file
MAX_EXAMPLES = 5


@dataclass
class ValidationReport:
    """Every problem found in an engagement's data, errors and warnings."""

    problems: list[DataProblem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # the clean data, where it has no errors

    @property
    def errors(self) -> list[DataProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[DataProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        if self.errors:
            raise DataError(self.problems)


def read_table(path: Path, *, sheet: str | None = None, header_row: int = 1, encoding: str = "utf-8",
               text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a plain CSV, TSV or Excel table, with a clear error for every way it can fail.

    Column types are inferred, so a clean rating column arrives as numbers
    (compact at a million rows); a column holding any text arrives as text, so
    the text can be reported rather than silently turned into missing values.
    Only empty cells are missing: "NA" or "n/a" stay as text to be reported.
    ``text_columns`` (ids) are always read as text, keeping leading zeros. The
    delimiter (comma, semicolon, tab or pipe) is sniffed and recorded in the
    frame's ``attrs``; see :func:`cxkit.inputs.readers.read_table`.
    """
    from .readers import read_table as read_plain_table

    return read_plain_table(path, sheet=sheet, header_row=header_row, encoding=encoding, text_columns=text_columns)


def _as_text(values: pd.Series) -> pd.Series:
    """Values as text; whole numbers read as floats (1.0) become "1", as they were written."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("Float64")
        whole = (numbers.round() == numbers).fillna(True).all()
        return (numbers.astype("Int64") if whole else numbers).astype("string")
    return values.astype("string")


def _rows(mask: pd.Series) -> tuple[tuple[int, ...], int]:
    index = mask.index[mask.fillna(False).to_numpy(dtype=bool)]
    return tuple(int(i) for i in index[:MAX_ROWS_SHOWN]), int(len(index))


def _examples(values: pd.Series) -> tuple[str, ...]:
    return tuple(str(v) for v in pd.unique(_as_text(values))[:MAX_EXAMPLES])


def _missing_columns(frame: pd.DataFrame, wanted: dict[str, str], file: str) -> list[DataProblem]:
    problems = []
    for column, key in wanted.items():
        if column not in frame.columns:
            close = difflib.get_close_matches(column, list(frame.columns), n=1)
            fix = f"the file has '{close[0]}': correct '{key}' in the YAML" if close else \
                f"add the column to the file or correct '{key}' in the YAML"
            problems.append(DataProblem("error", file, f"mapped column not found (YAML key {key})", column=column,
                                        fix=fix))
    return problems


def check_ratings(frame: pd.DataFrame, column: str, scale: Scale, file: str, scale_name: str) -> tuple[pd.Series, list[DataProblem]]:
    """Convert a rating column to numbers, checking it against its scale.

    Returns the numeric column (missing codes as NaN) and the problems found:
    text where a number belongs, and numbers outside the scale that are not
    declared missing codes.
    """
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    problems = []
    text = numbers.isna() & raw.notna()
    if text.any() and scale.labels is not None:
        numbers, text, found = _map_labels(raw, numbers, text, scale, column, file, scale_name)
        problems += found
    if text.any():
        rows, n = _rows(text)
        problems.append(DataProblem("error", file, f"{n} value(s) are text, not ratings on the {scale_name} scale "
                                    f"({scale.min}-{scale.max})", column=column, rows=rows, n_rows=n,
                                    examples=_examples(raw[text]),
                                    fix="recode the text to numbers, or blank the cells; add codes meaning "
                                        "'not applicable' to the scale's missing_codes"))
    codes = numbers.isin(scale.missing_codes)
    valid = numbers.between(scale.min, scale.max) & (numbers == np.round(numbers))
    bad = numbers.notna() & ~codes & ~valid
    if bad.any():
        rows, n = _rows(bad)
        problems.append(DataProblem("error", file, f"{n} value(s) outside the {scale_name} scale ({scale.min}-{scale.max}, "
                                    f"whole numbers; missing codes {', '.join(f'{c:g}' for c in scale.missing_codes) or 'none'})", column=column,
                                    rows=rows, n_rows=n, examples=_examples(raw[bad]),
                                    fix="correct the values, or declare the code under the scale's missing_codes "
                                        "if it means 'not applicable' or 'don't know'"))
    clean = numbers.where(valid)
    return clean.astype(float), problems


def _code_like_a_score(numbers: pd.Series, scale: Scale, column: str, file: str, scale_name: str) -> list[DataProblem]:
    """Warn where a "not applicable" code next to an outcome's scale (0 on 1-10) is given about as often as the
    rating beside it: it looks like a score (a 0-10 question read on 1-10), and reading it as missing drops those
    customers. (Touchpoints are not judged so: many customers rightly have no installation to rate.)"""
    out = []
    for code in scale.missing_codes:
        if code not in (scale.min - 1, scale.max + 1):
            continue
        given = int((numbers == code).sum())
        beside = int((numbers == (scale.min if code < scale.min else scale.max)).sum())
        if given >= 5 and given >= beside / 2:
            out.append(DataProblem(
                "warning", file, f"{given:,} answers of {code:g} are read as 'not applicable' on the {scale_name} "
                f"scale ({scale.min}-{scale.max}), though {code:g} is given about as often as {beside:,} "
                f"{'lowest' if code < scale.min else 'highest'} ratings: it looks like a score", column=column,
                fix=f"if {code:g} is a rating, use a scale that includes it (for example recommend11, 0-10) or "
                    f"remove {code:g} from scales.{scale_name}.missing_codes"))
    return out


def _map_labels(raw, numbers, text, scale: Scale, column: str, file: str, scale_name: str):
    """Label text through the scale's stated mapping (cxkit.inputs.readers.map_scale); unknown labels are errors."""
    from .readers import MISSING_LABELS, map_scale

    result = map_scale(raw[text].astype(str), scale.labels, column, MISSING_LABELS + scale.missing_labels,
                       strict=False)
    numbers = numbers.copy()
    numbers[text] = result.values
    problems = []
    if result.unknown:
        unknown = text & raw.astype("string").isin(list(result.unknown))
        rows, n = _rows(unknown)
        counts = ", ".join(f"{v!r} ({c:,}x)" for v, c in sorted(result.unknown.items(), key=lambda kv: -kv[1])[:6])
        problems.append(DataProblem("error", file, f"{n} answer(s) are labels the {scale_name} scale's mapping does not "
                                    f"know: {counts}", column=column, rows=rows, n_rows=n,
                                    fix=f"add them to scales.{scale_name}.labels, or to missing_labels if they mean "
                                        "'not applicable' or 'don't know'; they are never guessed"))
    if result.made_missing:
        counts = ", ".join(f"{v!r} ({c:,}x)" for v, c in sorted(result.made_missing.items(), key=lambda kv: -kv[1]))
        problems.append(DataProblem("info", file, f"answers meaning 'not applicable' or 'don't know' made missing: "
                                    f"{counts}", column=column))
    # mapped labels are ratings now; labels meaning "don't know" are missing, not text
    return numbers, pd.Series(False, index=raw.index), problems


def _check_ids(frame: pd.DataFrame, column: str, file: str) -> list[DataProblem]:
    problems = []
    ids = frame[column]
    blank = ids.isna()
    if blank.any():
        rows, n = _rows(blank)
        problems.append(DataProblem("error", file, f"{n} respondent(s) have no id", column=column, rows=rows, n_rows=n,
                                    fix="give every row an id"))
    dupes = ids.duplicated(keep=False) & ~blank
    if dupes.any():
        rows, n = _rows(dupes)
        problems.append(DataProblem("error", file, f"{dupes.sum()} rows share {ids[dupes].nunique()} duplicated id(s)",
                                    column=column, rows=rows, n_rows=n, examples=_examples(ids[dupes]),
                                    fix="remove duplicate responses or make the ids unique"))
    return problems


def _check_size(frame: pd.DataFrame, file: str, minimum: int) -> list[DataProblem]:
    if len(frame) < 2:
        return [DataProblem("error", file, f"only {len(frame)} respondent(s); an analysis needs at least 2 "
                            f"(and {minimum} for a reliable base)", fix="check the export includes every response")]
    if len(frame) < minimum:
        return [DataProblem("warning", file, f"only {len(frame)} respondents; results are flagged as a small base "
                            f"(under {minimum})")]
    return []


def _warn_missing(values: pd.Series, column: str, file: str, share_limit: float) -> list[DataProblem]:
    share = float(values.isna().mean())
    if share > share_limit:
        return [DataProblem("warning", file, f"{share:.0%} of answers missing or coded as not applicable / don't know",
                            column=column)]
    return []


def _read_part(eng: Engagement, part: str, text_columns: tuple[str, ...]) -> tuple[pd.DataFrame | None, str, list]:
    """Read the feedback or diagnostic file; a read failure becomes the part's one problem."""
    spec = getattr(eng, part)
    path = eng.data_path(part)
    notes = []
    try:
        if spec.format == "table":
            frame = read_table(path, sheet=spec.sheet, header_row=spec.header_row, encoding=spec.encoding,
                               text_columns=text_columns)
            delimiter, encoding = frame.attrs.get("delimiter", ","), frame.attrs.get("encoding", "utf-8")
            if delimiter != "," or encoding not in ("utf-8", "xlsx"):
                # said, so a table read on another delimiter or encoding than the usual is never a surprise
                notes.append(DataProblem("info", str(path), f"read as a table split on {delimiter!r} "
                                         f"({DELIMITERS.get(delimiter, 'other')}), encoding {encoding}"))
            notes += [DataProblem("info", str(path), note) for note in frame.attrs.get("notes", [])]
            cleaned, duplicates = frame.attrs.get("cleaned", {}), frame.attrs.get("duplicates", {})
        else:
            frame, notes, cleaned, duplicates = _read_platform_export(path, spec, text_columns, eng.folder)
    except CxkitError as exc:
        return None, str(path), [DataProblem("error", str(path), str(exc).removeprefix(f"{path}: "))]
    frame.attrs["duplicates"] = duplicates
    return frame, str(path), notes + _cleaned_problems(cleaned, str(path))


def _cleaned_problems(cleaned: dict[str, tuple[int, ...]], file: str) -> list[DataProblem]:
    """What :func:`cxkit.inputs.readers.clean_text` replaced, per column, with the rows."""
    problems = []
    for column, rows in cleaned.items():
        where = "its name in the header held" if not rows else f"{len(rows):,} value(s) held"
        problems.append(DataProblem("warning", file, f"{where} control characters (such as a vertical tab or an "
                                    "escape), which no cell, slide or XML file can show; each was replaced by a space",
                                    column=column, rows=rows[:MAX_ROWS_SHOWN], n_rows=len(rows),
                                    fix="nothing to do; to keep them out of the next export, check how the "
                                        "system writes line breaks in that column"))
    return problems


def _duplicate_columns(frame: pd.DataFrame, wanted: dict[str, str], file: str) -> list[DataProblem]:
    """A column name the header holds more than once: an error where the engagement maps it (which one is
    meant?), a warning otherwise. The copies are read as "name (2)" ..."""
    problems = []
    for name, times in frame.attrs.get("duplicates", {}).items():
        copies = ", ".join(f"'{name} ({k})'" for k in range(2, times + 1))
        if name in wanted:
            problems.append(DataProblem("error", file, f"the header names {times} columns '{name}', which "
                                        f"{wanted[name]} maps; it cannot tell which is meant", column=name,
                                        fix="rename or delete the copies in the file, so the name is used once"))
        else:
            problems.append(DataProblem("warning", file, f"the header names {times} columns '{name}'; the copies "
                                        f"are read as {copies}", column=name,
                                        fix="nothing to do unless one of them should be mapped; then rename it in "
                                            "the file"))
    return problems


def _read_platform_export(path: Path, spec, text_columns: tuple[str, ...], folder: Path):
    """A survey platform's export (cxkit.inputs.readers), with what the reader did as "info" lines of the report,
    and the values it cleaned and the column names the header repeats (for :func:`_cleaned_problems` and
    :func:`_duplicate_columns`).

    Columns whose every answer is a number become numbers (recode values); label text stays text, so a
    rating column holding labels is reported by the rating checks rather than guessed.
    """
    from .readers import read_export

    export = read_export(path, spec.format, spec.encoding, sheet=spec.sheet)
    frame = export.frame.copy()
    categories = set(getattr(spec, "descriptors", ())) | {getattr(spec, k, None) for k in ("department", "level")}
    for column, labels in export.value_labels.items():
        if column in categories and column in frame:   # groups read by their names, as the client knows them
            frame[column] = frame[column].map(lambda v, labels=labels: labels.get(v, v) if pd.notna(v) else v)
    notes = [DataProblem("info", str(path), line) for line in export.report.lines(repairs=False)]
    if spec.qsf:
        frame, found = _recodes_to_labels(frame, input_path(folder, spec.qsf), str(path), set(text_columns),
                                          {q.column: q for q in export.questions})
        notes += found
    for column in frame.columns:
        if column in text_columns or column in categories:
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum():
            frame[column] = numbers.astype(float)
        else:
            frame[column] = frame[column].astype("string")
    return frame, notes, export.report.cleaned, export.report.duplicates


def _recodes_to_labels(frame: pd.DataFrame, qsf: Path, file: str, skip: set,
                       questions: dict | None = None) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Recode values in a Qualtrics export replaced by their choice labels from the survey definition (.qsf),
    so the scale's label map decides the rating, and split checkbox columns read as Selected / Not selected
    (:func:`cxkit.inputs.readers.apply_qsf`); a code the definition does not list is an error."""
    from .readers import apply_qsf, read_qsf

    frame, mapped, unknown = apply_qsf(frame, questions or {}, read_qsf(qsf), skip)
    problems = []
    for column, (codes, mask) in unknown.items():
        rows, n = _rows(mask)
        problems.append(DataProblem("error", file, f"{n} value(s) are codes the survey definition {qsf.name} does "
                                    f"not list for {mapped[column].tag}", column=column, rows=rows, n_rows=n,
                                    examples=tuple(codes[:3]), fix="export the recode values again, or use the "
                                    "survey definition the export came from"))
    if mapped:
        names = list(mapped)
        checkboxes = sum(m.checkbox for m in mapped.values())
        problems.append(DataProblem("info", file, f"{len(names)} column(s) read through the recodes in {qsf.name}"
                                    + (f" ({checkboxes} checkbox column(s) as Selected / Not selected)"
                                       if checkboxes else "") + ": " + ", ".join(names[:8])
                                    + (" ..." if len(names) > 8 else "")))
    return frame, problems


def _validate_feedback(eng: Engagement) -> tuple[pd.DataFrame | None, list[DataProblem]]:
    spec = eng.feedback
    frame, file, problems = _read_part(eng, "feedback", (spec.id,) if spec.id else ())
    if frame is None:
        return None, problems
    wanted = {spec.id: "feedback.id"} if spec.id else {}
    for k, attr in enumerate(spec.attributes):
        wanted[attr.column] = f"feedback.attributes[{k}].column"
        if attr.expectation:
            wanted[attr.expectation] = f"feedback.attributes[{k}].expectation"
    for name in ("satisfaction", "recommend", "yes_no"):
        outcome = getattr(spec.outcomes, name)
        if outcome is not None:
            wanted[outcome.column] = f"feedback.outcomes.{name}.column"
    for k, d in enumerate(spec.descriptors):
        wanted[d] = f"feedback.descriptors[{k}]"
    for key in ("value", "wave", "comment", "weight"):
        if getattr(spec, key):
            wanted[getattr(spec, key)] = f"feedback.{key}"
    if eng.units is not None:
        wanted.setdefault(eng.units.column, "units.column")
    problems += _missing_columns(frame, wanted, file) + _duplicate_columns(frame, wanted, file)
    problems += _check_size(frame, file, eng.thresholds.min_respondents)
    present = set(frame.columns)
    clean = pd.DataFrame(index=frame.index)
    if spec.id and spec.id in present:
        problems += _check_ids(frame, spec.id, file)
        clean[spec.id] = frame[spec.id]
    elif not spec.id:   # no id column: a respondent is the row they stand on in the file
        clean[ROW_ID] = pd.Series(frame.index.astype(str), index=frame.index, dtype="string")
    scale = eng.scales[spec.scale]
    for attr in spec.attributes:
        for column in filter(None, (attr.column, attr.expectation)):
            if column in present:
                clean[column], found = check_ratings(frame, column, scale, file, spec.scale)
                problems += found + _warn_missing(clean[column], column, file, eng.thresholds.missing_warning_share)
    for name in ("satisfaction", "recommend"):
        outcome = getattr(spec.outcomes, name)
        if outcome is not None and outcome.column in present:
            clean[outcome.column], found = check_ratings(frame, outcome.column, eng.scales[outcome.scale], file, outcome.scale)
            # an outcome is asked of everyone: a frequent "not applicable" code beside its scale is likely a score
            found += _code_like_a_score(pd.to_numeric(frame[outcome.column], errors="coerce"),
                                        eng.scales[outcome.scale], outcome.column, file, outcome.scale)
            problems += found + _warn_missing(clean[outcome.column], outcome.column, file, eng.thresholds.missing_warning_share)
    recommend = spec.outcomes.recommend
    if recommend is not None and eng.nps_column is None:
        rscale = eng.scales[recommend.scale]
        problems.append(DataProblem(
            "warning", file, f"likelihood to recommend is on the {rscale.range_key} scale '{recommend.scale}'; NPS's "
            "cut-offs (promoters 9-10, detractors 0-6) hold only on 0-10, so no NPS is computed",
            column=recommend.column, fix="if the question was asked 0-10, set its scale to recommend11; otherwise "
            "nothing to do: the other results use the ratings as they are"))
    yes_no = spec.outcomes.yes_no
    if yes_no is not None and yes_no.column in present:
        text = _as_text(frame[yes_no.column]).str.lower()
        yes, no = {v.lower() for v in yes_no.yes}, {v.lower() for v in yes_no.no}
        unknown = text.notna() & ~text.isin(yes | no)
        if unknown.any():
            rows, n = _rows(unknown)
            problems.append(DataProblem("error", file, f"{n} value(s) are neither yes ({sorted(yes)}) nor no ({sorted(no)})",
                                        column=yes_no.column, rows=rows, n_rows=n, examples=_examples(frame[yes_no.column][unknown]),
                                        fix="recode the values, or list them under outcomes.yes_no.yes / .no"))
        clean[yes_no.column] = np.where(text.isin(yes), 1.0, np.where(text.isin(no), 0.0, np.nan))
    if spec.value and spec.value in present:
        value = pd.to_numeric(frame[spec.value], errors="coerce")
        bad = (value.isna() & frame[spec.value].notna()) | (value < 0)
        if bad.any():
            rows, n = _rows(bad)
            problems.append(DataProblem("error", file, f"{n} value(s) are not non-negative numbers", column=spec.value,
                                        rows=rows, n_rows=n, examples=_examples(frame[spec.value][bad]),
                                        fix="remove currency signs and thousands separators; blank unknown values"))
        clean[spec.value] = value.where(~bad)
    if spec.weight and spec.weight in present:
        weight = pd.to_numeric(frame[spec.weight], errors="coerce")
        for mask, what, fix in (
                (weight.isna(), "respondent(s) have no weight, or text instead of one",
                 "give every respondent a number; 0 leaves a respondent out"),
                ((weight < 0).fillna(False), "weight(s) are negative", "weights must be zero or more")):
            if mask.any():
                rows, n = _rows(mask)
                problems.append(DataProblem("error", file, f"{n} {what}", column=spec.weight, rows=rows, n_rows=n,
                                            examples=_examples(frame[spec.weight][mask]), fix=fix))
        zero = (weight == 0).fillna(False)
        if zero.any():
            rows, n = _rows(zero)
            problems.append(DataProblem("warning", file, f"{n} respondent(s) have weight 0 and count for nothing",
                                        column=spec.weight, rows=rows, n_rows=n))
        if (weight > 0).sum() == 0:
            problems.append(DataProblem("error", file, "no respondent has a positive weight", column=spec.weight,
                                        fix="check the weight column, or remove 'weight:' from the YAML"))
        clean[spec.weight] = weight
    for column in (*spec.descriptors, spec.wave, spec.comment, eng.units.column if eng.units else None):
        if column and column in present:
            clean[column] = frame[column]
    if spec.comment and spec.comment in present:
        clean[spec.comment], found = redacted(frame[spec.comment], eng, file, spec.comment)
        problems += found
    if spec.wave and spec.wave_period and spec.wave in present:
        clean[spec.wave], found = waves_from_dates(frame[spec.wave], spec.wave_period, spec.wave, file,
                                                   spec.date_format)
        problems += found
    attrs = [a.column for a in spec.attributes if a.column in present]
    for column in attrs:
        if clean[column].isna().all() and len(clean):
            problems.append(DataProblem("warning", file, "no answers at all: the attribute is left out of segments and "
                                        "drivers", column=column))
    clean = _straight_liners(clean, clean[attrs], file, spec.exclude_straight_liners, "attribute", "feedback", problems)
    clean, found = _speeders(frame, clean, spec, file, eng.thresholds.speeder_share)
    return clean, problems + found


def redacted(values: pd.Series, eng: Engagement, file: str, column: str) -> tuple[pd.Series, list[DataProblem]]:
    """Free text with personal data replaced by typed placeholders (:mod:`cxkit.inputs.redact`), before any step
    stores, analyses or shows it; what was removed is counted by type (never shown)."""
    from .redact import first_names, redact_column

    text, report = redact_column(values, first_names(tuple(eng.comments.names)), eng.comments.region)
    problems = []
    if report.total:
        rows = tuple(int(r) for r in report.rows[:MAX_ROWS_SHOWN])
        problems.append(DataProblem(
            "info", file, f"personal data removed before any analysis: {report.describe()} in {len(report.rows):,} "
            "comment(s), each replaced by a placeholder such as [name] or [phone]", column=column, rows=rows,
            n_rows=len(report.rows)))
    return pd.Series(text, index=values.index, dtype=object), problems


def _straight_liners(clean: pd.DataFrame, answers: pd.DataFrame, file: str, exclude: bool, what: str, part: str,
                     problems: list) -> pd.DataFrame:
    """Respondents who gave the same answer to every item of a grid (five or more answered), judged on the
    answers as given (before any reverse scoring): flagged, and left out when the engagement asks."""
    if answers.shape[1] < 3 or not len(clean):
        return clean
    # by row extremes, not a per-row nunique (a million Python calls at a million respondents)
    if all(pd.api.types.is_numeric_dtype(t) for t in answers.dtypes):
        codes = answers.to_numpy(dtype=float, copy=True)
    else:   # labels: one code per distinct answer across the whole grid
        codes = pd.factorize(pd.Series(answers.astype("string").to_numpy().ravel()))[0].reshape(answers.shape)
        codes = codes.astype(float)
    codes[answers.isna().to_numpy()] = np.nan
    answered = (~np.isnan(codes)).sum(axis=1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # rows with no answer: all-NaN, never straight-liners
        same = np.nanmax(codes, axis=1) == np.nanmin(codes, axis=1)
    straight = pd.Series((answered >= 5) & same, index=answers.index)
    if not straight.any():
        return clean
    rows, n = _rows(straight)
    fate = "excluded, as the engagement asks" if exclude else "kept, but worth a look"
    problems.append(DataProblem("warning", file, f"{n} respondent(s) ({n / len(clean):.1%}) gave the same rating "
                                f"to every {what} (straight-lining); {fate}", rows=rows, n_rows=n,
                                fix="" if exclude else f"set {part}.exclude_straight_liners: true to leave them out"))
    return clean[~straight] if exclude else clean


# date forms survey platforms and spreadsheets write; month-first and day-first forms are told apart by the data
_TIMES = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
DATE_FORMATS = tuple(
    [f"%Y-%m-%d{t}" for t in _TIMES] + ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] + [f"%Y/%m/%d{t}" for t in _TIMES]
    + [f"%m/%d/%Y{t}" for t in _TIMES] + ["%m/%d/%y"]
    + [f"%d/%m/%Y{t}" for t in _TIMES] + ["%d/%m/%y"] + [f"%d.%m.%Y{t}" for t in _TIMES] + [f"%d-%m-%Y{t}" for t in _TIMES]
    + ["%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y"])
_SAMPLE = 5_000   # distinct dates tried against every form; the one chosen then reads them all


def _day_first(fmt: str) -> bool | None:
    """True for a day-first form, False for month-first, None where the order cannot be mistaken."""
    if fmt.startswith("%d") and ("/" in fmt[:6] or "." in fmt[:6] or "-" in fmt[:6]):
        return True
    if fmt.startswith("%m/"):
        return False
    return None


def waves_from_dates(values: pd.Series, period: str, column: str, file: str,
                     date_format: str | None = None) -> tuple[pd.Series, list[DataProblem]]:
    """Survey waves from response dates: "2026-03" (month), "2026-Q1" (quarter) or "2026" (year).

    With ``date_format`` (``feedback.date_format``, a strftime form such as ``%d/%m/%Y %H:%M``) every date is
    read with it. Otherwise the form that reads the most dates among :data:`DATE_FORMATS` is used: ISO
    (Qualtrics' ``YYYY-MM-DD HH:MM:SS``), SurveyMonkey's ``MM/DD/YYYY HH:MM:SS``, Google Forms' ``YYYY/MM/DD
    h:mm:ss AM`` (a time zone after it is dropped), day-first forms with slashes, dots or dashes, with or
    without seconds or a time, and written months. When both a month-first and a day-first form read every
    date (no day above 12) and they put dates in different waves, the order is ambiguous: an error asks for
    ``date_format``. Dates the form cannot read are an error naming their rows.
    """
    text = values.astype("string").str.replace(r"\s+[A-Z]{2,4}([+-]\d+)?$", "", regex=True).str.strip()
    text = text.mask(text == "")
    answered = text.notna()
    problems: list[DataProblem] = []
    if date_format:
        best = pd.to_datetime(text, format=date_format, errors="coerce")
        chosen = date_format
    else:
        sample = pd.Series(text[answered].unique()[:_SAMPLE])
        reads = {fmt: int(pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum()) for fmt in DATE_FORMATS}
        most = max(reads.values(), default=0)
        chosen = next((fmt for fmt in DATE_FORMATS if reads[fmt] == most), DATE_FORMATS[0])
        best = pd.to_datetime(text, format=chosen, errors="coerce")
        if most and _day_first(chosen) is not None:
            rivals = [fmt for fmt in DATE_FORMATS if reads[fmt] == most and _day_first(fmt) == (not _day_first(chosen))]
            if rivals:
                other = pd.to_datetime(text, format=rivals[0], errors="coerce")
                if not _wave_labels(best, period).equals(_wave_labels(other, period)):
                    day, month = (chosen, rivals[0]) if _day_first(chosen) else (rivals[0], chosen)
                    problems.append(DataProblem(
                        "error", file, "the dates could be day-first or month-first (no day is above 12), and the "
                        "two readings put responses in different waves", column=column,
                        examples=_examples(values[answered]),
                        fix=f"set feedback.date_format: '{day}' (day first) or '{month}' (month first) in the YAML"))
    bad = answered & best.isna()
    if bad.any():
        rows, n = _rows(bad)
        known = (f"the form feedback.date_format: '{date_format}'" if date_format else "any known form")
        problems.append(DataProblem("error", file, f"{n} value(s) are not dates in {known}", column=column,
                                    rows=rows, n_rows=n, examples=_examples(values[bad]),
                                    fix="set feedback.date_format to the form the file uses (for example "
                                        "'%d/%m/%Y %H:%M'), or name a column that already holds the wave"))
    return _wave_labels(best, period).where(best.notna()), problems


def _wave_labels(dates: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return dates.dt.strftime("%Y-%m")
    if period == "year":
        return dates.dt.strftime("%Y")
    return dates.dt.year.astype("Int64").astype("string") + "-Q" + dates.dt.quarter.astype("Int64").astype("string")


def _speeders(frame: pd.DataFrame, clean: pd.DataFrame, spec, file: str, share: float):
    """Responses implausibly fast for the survey: under ``share`` of the median duration (flagged; left out on request)."""
    column = spec.duration or ("Duration (in seconds)" if "Duration (in seconds)" in frame else None)
    if column is None:
        return clean, []
    if column not in frame:
        return clean, [DataProblem("error", file, "the duration column is not in the file", column=column,
                                   fix="correct feedback.duration, or remove it")]
    seconds = pd.to_numeric(frame[column], errors="coerce").reindex(clean.index)
    median = float(seconds.median())
    fast = (seconds < share * median).fillna(False)
    if not fast.any():
        return clean, []
    rows, n = _rows(fast)
    fate = "excluded, as the engagement asks" if spec.exclude_speeders else "kept, but worth a look"
    problem = DataProblem("warning", file, f"{n} response(s) took under {share:.0%} of the median time "
                          f"({median:,.0f} s), too fast to have read the questions (speeders); {fate}",
                          column=column, rows=rows, n_rows=n,
                          fix="" if spec.exclude_speeders else "set feedback.exclude_speeders: true to leave them out")
    return (clean[~fast] if spec.exclude_speeders else clean), [problem]


def _validate_diagnostic(eng: Engagement) -> tuple[pd.DataFrame | None, list[DataProblem]]:
    spec = eng.diagnostic
    frame, file, problems = _read_part(eng, "diagnostic", tuple(c for c in (spec.id, spec.department, spec.level) if c))
    if frame is None:
        return None, problems
    wanted = {column: f"diagnostic.{key}" for key, column in (("department", spec.department), ("level", spec.level))
              if column}
    if spec.id:
        wanted[spec.id] = "diagnostic.id"
    for k, item in enumerate(spec.items):
        wanted[item.column] = f"diagnostic.items[{k}].column"
        if item.target:
            wanted[item.target] = f"diagnostic.items[{k}].target"
    for force, column in spec.driving_force.items():
        wanted[column] = f"diagnostic.driving_force.{force}"
    if spec.comment:
        wanted[spec.comment] = "diagnostic.comment"
    if eng.units is not None and eng.units.diagnostic_column:
        wanted.setdefault(eng.units.diagnostic_column, "units.diagnostic_column")
    problems += _missing_columns(frame, wanted, file) + _duplicate_columns(frame, wanted, file)
    problems += _check_size(frame, file, eng.thresholds.min_group_size)
    present = set(frame.columns)
    clean = pd.DataFrame(index=frame.index)
    if spec.id and spec.id in present:
        problems += _check_ids(frame, spec.id, file)
        clean[spec.id] = frame[spec.id]
    for key, column in (("department", spec.department), ("level", spec.level)):
        if column in present:
            blank = frame[column].isna()
            if blank.any():
                rows, n = _rows(blank)
                problems.append(DataProblem("error", file, f"{n} respondent(s) have no {key}", column=column, rows=rows,
                                            n_rows=n, fix=f"fill in the {key}, or remove those rows"))
            clean[column] = frame[column]
    unit_column = eng.units.diagnostic_column if eng.units is not None else None
    if unit_column and unit_column in present and unit_column not in clean:
        clean[unit_column] = frame[unit_column]
    if spec.level in present:
        unknown = frame[spec.level].notna() & ~frame[spec.level].isin(list(spec.levels))
        if unknown.any():
            rows, n = _rows(unknown)
            problems.append(DataProblem("error", file, f"{n} level value(s) are not mapped to executive/manager/frontline",
                                        column=spec.level, rows=rows, n_rows=n, examples=_examples(frame[spec.level][unknown]),
                                        fix="add each value under diagnostic.levels in the YAML"))
    scale = eng.scales[spec.scale]
    for item in spec.items:
        if item.column in present:
            values, found = check_ratings(frame, item.column, scale, file, spec.scale)
            clean[item.column] = (scale.min + scale.max - values) if item.reverse else values
            problems += found + _warn_missing(values, item.column, file, eng.thresholds.missing_warning_share)
        if item.target and item.target in present:
            clean[item.target], found = check_ratings(frame, item.target, scale, file, spec.scale)
            problems += found
    for dimension, meta in eng.framework.dimensions.items():
        columns = [i.column for i in spec.items if i.dimension == dimension and i.column in present]
        if columns and len(clean) and clean[columns].isna().all(axis=None):
            problems.append(DataProblem("warning", file, f"no answers at all to the {meta.label.lower()} statements "
                                        f"({', '.join(columns)}); the dimension is reported as having no score"))
    forces = {f: c for f, c in spec.driving_force.items() if c in present}
    if forces:
        clean = clean.join(_driving_force(frame, list(forces.values()), file, eng.thresholds.driving_force_tolerance,
                                          problems))
    minimum = eng.thresholds.min_group_size
    for key, column in (("department", spec.department), ("level", spec.level)):
        if column in present:
            counts = frame[column].value_counts()
            small = counts[counts < minimum]
            if len(small):
                problems.append(DataProblem("warning", file, f"{len(small)} {key} group(s) have fewer than {minimum} "
                                            "respondents and will be suppressed in every table, chart and slide",
                                            column=column))
    if spec.comment and spec.comment in present:
        clean[spec.comment], found = redacted(frame[spec.comment], eng, file, spec.comment)
        problems += found
    items = [i.column for i in spec.items if i.column in present]
    answers = frame[items].apply(pd.to_numeric, errors="coerce").reindex(clean.index)
    clean = _straight_liners(clean, answers, file, spec.exclude_straight_liners, "statement", "diagnostic", problems)
    return clean, problems


def _driving_force(frame: pd.DataFrame, columns: list[str], file: str, tolerance: float,
                   problems: list[DataProblem]) -> pd.DataFrame:
    """Driving-force points, each row rescaled to 100 or left out, every case reported with its rows.

    A row is left out (with a warning naming it) when a value is text or negative, or when its points
    add up to more than ``tolerance`` away from 100; rows within the tolerance are rescaled to 100.
    A respondent who left every allocation blank is simply missing.
    """
    points = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") for c in columns})
    text = points.isna() & frame[columns].notna()
    negative = (points < 0).fillna(False)
    answered = points.notna().any(axis=1) | text.any(axis=1)
    total = points.sum(axis=1, min_count=1)
    bad = text.any(axis=1) | negative.any(axis=1)
    off = answered & ~bad & ((total - 100).abs() > tolerance)
    rescaled = answered & ~bad & ~off & ((total - 100).abs() > 1e-9)
    row_values = frame[columns].astype("string").agg(" / ".join, axis=1)
    totals = total.map(lambda t: f"{t:g}")
    for mask, what, shown in ((text.any(axis=1), "have text where driving-force points belong", row_values),
                              (negative.any(axis=1), "have negative driving-force points", row_values),
                              (off, f"split points that do not add up to 100 (beyond +/-{tolerance:g})", totals)):
        if mask.any():
            rows, n = _rows(mask)
            problems.append(DataProblem("warning", file, f"{n} respondent(s) {what}; they are left out of the "
                                        "driving-force profile", rows=rows, n_rows=n, examples=_examples(shown[mask]),
                                        fix="correct the allocations if they should count"))
    if rescaled.any():
        rows, n = _rows(rescaled)
        problems.append(DataProblem("warning", file, f"{n} respondent(s) split points adding up to nearly 100 "
                                    f"(within +/-{tolerance:g}); rescaled to 100", rows=rows, n_rows=n))
    keep = answered & ~bad & ~off
    return (points.div(total, axis=0) * 100).where(keep, axis=0)


def validate(eng: Engagement) -> ValidationReport:
    """Check both data files against the engagement and report every problem at once.

    Parameters
    ----------
    eng : Engagement
        A loaded engagement.

    Returns
    -------
    ValidationReport
        Errors (the run must not start) and warnings (it may), each naming the
        file, column, rows, sample values and the fix; and the clean data of
        each part that has no errors (``frames``), as :func:`load_feedback` and
        :func:`load_diagnostic` return it.
    """
    report = ValidationReport()
    if eng.client.strip() == STARTER_CLIENT:
        report.problems.append(DataProblem(
            "warning", eng.source.name, f"the client is still the starter's placeholder '{STARTER_CLIENT}': every "
            "deck's title and findings would show it", fix="set client: to the client's name in the engagement YAML"))
    if eng.has("feedback") and not eng.feedback.attributes:
        # valid (the outcomes, NPS and comments still run), but said at once rather than as each analysis's want of data
        report.problems.append(DataProblem(
            "warning", eng.source.name, "feedback.attributes lists no touchpoints: key drivers, moments of truth, "
            "segments, expectation gaps and driver metrics will not run",
            fix="list the touchpoint rating columns under feedback.attributes (cxkit inspect suggests them)"))
    for part, check in (("feedback", _validate_feedback), ("diagnostic", _validate_diagnostic)):
        if eng.has(part):
            clean, problems = check(eng)
            report.problems += problems
            if clean is not None:
                report.rows[part] = len(clean)
                if not any(p.severity == "error" for p in problems):
                    report.frames[part] = clean.reset_index(drop=True)
    return report


def _load(eng: Engagement, part: str, check) -> pd.DataFrame:
    if not eng.has(part):
        raise CxkitError(f"{eng.source}: this engagement has no {part} data")
    clean, problems = check(eng)
    if clean is None or any(p.severity == "error" for p in problems):
        raise DataError(problems)
    return clean.reset_index(drop=True)


def load_feedback(eng: Engagement) -> pd.DataFrame:
    """The customer feedback, checked and cleaned: ratings as numbers, missing codes as NaN,
    the yes/no outcome as 1/0. Raises :class:`DataError` listing every problem if the file breaks the contract."""
    return _load(eng, "feedback", _validate_feedback)


def load_diagnostic(eng: Engagement) -> pd.DataFrame:
    """The internal diagnostic, checked and cleaned: ratings as numbers (reverse-scored items flipped),
    missing codes as NaN, driving-force points rescaled to 100 or left out beyond the tolerance."""
    return _load(eng, "diagnostic", _validate_diagnostic)
