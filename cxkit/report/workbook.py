"""The Excel appendix: every results table as a sheet with readable headers and
number formats, behind a contents sheet that says where each table comes from.

Like the deck, it is built only from a run's saved results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..inputs.config import Engagement
from ..paths import RunPaths
from ..results.catalogue import STAGES, TABLES, readable
from ..results.claim import claims_frame
from ..results.formulas import formula_like
from ..results.store import RunResults

# column name -> (header, number format); formats are Excel's
COLUMNS = {
    "n": ("n", "#,##0"), "count": ("Count", "#,##0"), "customers": ("Customers", "#,##0"),
    "mean": ("Mean", "0.00"), "ci_low": ("95% CI low", "0.00"), "ci_high": ("95% CI high", "0.00"),
    "target": ("Target", "0.00"), "gap": ("Gap to target", "0.00"), "label": ("Label", None),
    "favourable": ("% favourable", "0%"), "fav_low": ("% favourable, CI low", "0%"),
    "fav_high": ("% favourable, CI high", "0%"), "share": ("Share", "0.0%"), "nps": ("NPS", "0"),
    "promoters": ("Promoters", "0%"), "passives": ("Passives", "0%"), "detractors": ("Detractors", "0%"),
    "importance": ("Importance (part of R²)", "0.0000"), "r2": ("R²", "0.000"), "top2": ("Top-2-box", "0%"),
    "performance": ("Performance (mean)", "0.00"), "value_share": ("Value share", "0%"),
    "value": ("Value", "#,##0"), "value_at_stake": ("Value at stake", "#,##0"),
    "at_risk_share": ("Share at risk", "0%"), "truly_impressed": ("Truly impressed", "0%"),
    "baseline": ("Baseline", "0.00"), "needed_per_period": ("Responses needed per period", "#,##0"),
    "available_per_period": ("Answers available per period", "#,##0"), "diff_from_all": ("Difference from all", "+0.00;-0.00;0.00"),
    "silhouette": ("Silhouette", "0.000"), "alpha": ("Cronbach's alpha", "0.00"),
    "item_rest": ("Item-rest r", "0.00"), "alpha_if_deleted": ("Alpha if deleted", "0.00"),
    "icc1": ("ICC(1)", "0.000"), "eta_squared": ("Eta squared", "0.000"), "p": ("p", "0.0000"),
    "p_holm": ("p (Holm)", "0.0000"), "kw_p": ("Kruskal-Wallis p", "0.0000"), "kw_p_holm": ("Kruskal-Wallis p (Holm)", "0.0000"),
    "rank_biserial": ("Rank-biserial r", "0.00"), "epsilon2": ("Epsilon squared", "0.000"),
    "exceeds": ("Share exceeding expectation", "0%"), "meets": ("Share meeting", "0%"), "below": ("Share below", "0%"),
    "index": ("Index (100 = average)", "0"), "share_in_segment": ("Share in segment", "0%"),
    "share_overall": ("Share overall", "0%"), "chi2_p": ("Chi-square p (Holm)", "0.0000"),
    "accomplished": ("Accomplished", "0%"), "remaining": ("Remaining", "0%"), "share_of_scale": ("Share of scale", "0%"), "priority": ("Priority", "0.00"), "materiality": ("Materiality", "0.00"),
    "share_low": ("Share, 95% CI low", "0.0%"), "share_high": ("Share, 95% CI high", "0.0%"),
    "importance_low": ("Importance, 95% CI low", "0.0000"), "importance_high": ("Importance, 95% CI high", "0.0000"),
    "signed_share": ("Signed share", "+0.0%;-0.0%;0.0%"), "vif": ("VIF", "0.00"), "r2_low": ("R², 95% CI low", "0.000"),
    "r2_high": ("R², 95% CI high", "0.000"), "penalty": ("Penalty (points)", "0.00"), "reward": ("Reward (points)", "0.00"),
    "penalty_p": ("Penalty p", "0.0000"), "reward_p": ("Reward p", "0.0000"), "asymmetry_p": ("Asymmetry p", "0.0000"),
    "low_share": ("Share rating low", "0%"), "high_share": ("Share rating top", "0%"),
    "outcome_change": ("Outcome change", "+0.00;-0.00;0.00"), "impressed_change": ("Truly impressed change", "+0.0%;-0.0%;0.0%"),
    "impressed_now": ("Truly impressed now", "0.0%"), "impressed_after": ("Truly impressed after", "0.0%"),
    "differs_p": ("Differs p (Holm)", "0.0000"), "overall_p": ("Overall test p", "0.0000"),
    "shapley_share": ("Shapley share", "0.0%"), "boosting_share": ("Boosting share", "0.0%"),
    "change": ("Change", "+0.000;-0.000;0.000"), "change_p": ("Change p", "0.0000"), "centre": ("Centre line", "0.000"),
    "band_low": ("Control band low", "0.000"), "band_high": ("Control band high", "0.000"),
    "vs_all": ("Vs all drivers", "+0.0%;-0.0%;0.0%"), "impact": ("Part of what is left to win", "0%"),
}
HEADER_FILL = "1F4E79"
CELL_TEXT_MAX = 32_767   # characters Excel keeps in a cell; a longer value makes it report the file as damaged


def _append(sheet, values: list) -> None:
    """Append a row. Text that looks like a formula (client text such as ``=HYPERLINK(...)``) is written as a text
    cell, marked as Excel marks a typed leading quote, so it shows as written and is never evaluated
    (:mod:`cxkit.results.formulas`); text past Excel's limit is cut."""
    sheet.append([v[:CELL_TEXT_MAX - 1] + "…" if isinstance(v, str) and len(v) > CELL_TEXT_MAX else v for v in values])
    for cell in sheet[sheet.max_row]:
        if formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _header(column: str) -> tuple[str, str | None]:
    if column in COLUMNS:
        return COLUMNS[column]
    for prefix, words in (("mean_", "Mean: "), ("diff_", "Difference from rest: ")):
        if column.startswith(prefix):
            return words + column[len(prefix):].replace("_", " "), "0.00"
    return column.replace("_", " ").capitalize(), None


def _format_for(column: str, values: pd.Series) -> str | None:
    fmt = _header(column)[1]
    if fmt or not pd.api.types.is_numeric_dtype(values):
        return fmt
    return "#,##0" if pd.api.types.is_integer_dtype(values) else "0.00"


SHEET_TITLES = {"nps": "NPS"}


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", SHEET_TITLES.get(name, name.replace("_", " ").capitalize()))[:31]
    candidate, k = base, 2
    while candidate in used:
        candidate = f"{base[:28]} {k}"
        k += 1
    used.add(candidate)
    return candidate


@dataclass(frozen=True)
class AppendixSheet:
    """One sheet of the appendix: the table it shows, and its row of the contents sheet."""

    name: str            # the results table's name (its sheet title comes from it)
    description: str
    frame: pd.DataFrame  # as shown: readable values
    writer: str          # the notebook that wrote it
    file: str            # its file in the run folder


def build_workbook(eng: Engagement, paths: RunPaths, results: RunResults | None = None) -> Path:
    """Write ``<engagement-id>-appendix.xlsx`` beside the deck: a contents sheet and one sheet per results table.

    Shares are shown as percentages, means with two decimals, counts with thousands
    separators; scorecard baselines follow each metric's unit. Client text that looks
    like a formula is written as text (:func:`_append`). Written to a temporary file
    and moved into place. ``results``: the run's results as the deck already read them (read here otherwise).
    """
    return write_workbook(eng, paths, appendix_sheets(paths, results or RunResults(paths)))


def appendix_sheets(paths: RunPaths, results: RunResults) -> list[AppendixSheet]:
    """The appendix's sheets, read from the run's results: every saved table the catalogue puts in the appendix,
    in the catalogue's order, then every claim."""
    sheets = []
    order = list(TABLES)
    for path in sorted(paths.results.glob("*.csv"), key=lambda p: (order.index(p.stem) if p.stem in TABLES else 99,
                                                                   p.stem)):
        table = TABLES.get(path.stem)
        if table is None or not table.appendix:
            continue
        sheets.append(AppendixSheet(table.name, table.description, readable(table.name, results.table(table.name)),
                                    STAGES[table.stage].notebook_name, table.file))
    claims = results.claims()
    if claims:
        sheets.append(AppendixSheet("claims", "Every finding as a claim: its sentence, verdict and evidence",
                                    claims_frame(claims), "every stage", "results/claims.json"))
    return sheets


def write_workbook(eng: Engagement, paths: RunPaths, sheets: list[AppendixSheet]) -> Path:
    """Write the appendix (:func:`build_workbook`) from its sheets; reads nothing."""
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    _append(contents, [f"{eng.client}: results appendix ({eng.engagement_id})"])
    contents["A1"].font = Font(bold=True, size=14)
    _append(contents, ["Every table the run saved, one per sheet. Source: the run's results/ folder."])
    _append(contents, [])
    _append(contents, ["Sheet", "What it shows", "Rows", "Written by", "Results file"])
    for cell in contents[4]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    used = {"Contents"}
    for part in sheets:
        sheet = book.create_sheet(_sheet_name(part.name, used))
        _write_table(sheet, part.frame)
        _contents_row(contents, sheet, part.description, len(part.frame), part.writer, part.file)
    for column, width in zip("ABCDE", (24, 70, 8, 28, 34)):
        contents.column_dimensions[column].width = width
    target = paths.appendix(eng.engagement_id)
    tmp = target.with_name(f".{target.name}.tmp")
    book.save(tmp)
    tmp.replace(target)
    return target


def _contents_row(contents, sheet, description: str, rows: int, writer: str, file: str) -> None:
    _append(contents, [sheet.title, description, rows, writer, file])
    link = contents.cell(row=contents.max_row, column=1)
    link.hyperlink = f"#'{sheet.title}'!A1"
    link.font = Font(color="0563C1", underline="single")


def _write_table(sheet, table: pd.DataFrame) -> None:
    headers = [_header(c)[0] for c in table.columns]
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.itertuples(index=False):
        _append(sheet, [None if (isinstance(v, float) and pd.isna(v)) else v for v in row])
    unit = table["unit"] if "unit" in table else None
    for j, column in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        fmt = _format_for(column, table[column])
        if unit is not None and column in ("baseline", "ci_low", "ci_high", "target", "value", "change", "centre",
                                           "band_low", "band_high"):
            for i, u in enumerate(unit, start=2):
                sheet.cell(row=i, column=j).number_format = {"share": "0.0%", "points": "0.0"}.get(u, "0.00")
        elif fmt:
            for i in range(2, len(table) + 2):
                sheet.cell(row=i, column=j).number_format = fmt
        longest = max([len(headers[j - 1])] + [len(str(v)) for v in table[column].head(200)])
        sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
    sheet.freeze_panes = "A2"
