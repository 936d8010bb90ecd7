"""Client text that a spreadsheet would run as a formula, made inert in every CSV and workbook cell cxkit writes.

A descriptor value such as ``=HYPERLINK("http://...","Click")`` or ``+cmd|' /C calc'!A0`` comes from the client's
own export; written as it is, Excel opens the results CSV or the appendix with a live formula in the cell.
Following OWASP's advice on CSV injection, text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written as text: in a CSV with a leading single quote (``'=HYPERLINK(...)``), which Excel shows and never
evaluates; in a workbook as a text cell marked as Excel marks a typed leading quote (``quotePrefix``), so it shows
exactly as the client wrote it and stays text when edited. Numbers are never touched, nor is text that reads as a
number (``-0.4``, ``+5%``). The single quote is taken off again when cxkit reads its own CSVs (:func:`restore`):
text that already began with quotes before a formula character gains one more, so the round trip is exact.

This module is the one place that decides what looks like a formula: :mod:`cxkit.results.store` (the results
CSVs) and :mod:`cxkit.report.workbook` (the Excel appendix) write through it. The workbooks inside native charts
(:mod:`cxkit.report.kit`) hold only text and numbers: XlsxWriter writes them with its formula conversion off.

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$")
_MAYBE = frozenset("'=+-@\t\r")   # a cheap test of each value's first character before the full one


def formula_like(value) -> bool:
    """Whether ``value`` is text a spreadsheet would read as a formula: it starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return, and is not a number written as text."""
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value.strip())


def neutral(value):
    """A value as a CSV cell may hold it: formula-looking text behind one more leading single quote."""
    return "'" + value if isinstance(value, str) and formula_like(value.lstrip("'")) else value


def restored(value):
    """The value :func:`neutral` was given: one leading single quote taken off formula-looking text."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value.lstrip("'")):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, function) -> pd.DataFrame:
    out = frame
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        maybe = np.fromiter((isinstance(v, str) and v[:1] in _MAYBE for v in values.to_numpy(dtype=object)),
                            dtype=bool, count=len(values))
        if not maybe.any():
            continue
        if out is frame:
            out = frame.copy()
        column = values.astype(object)
        column[maybe] = [function(v) for v in column[maybe]]
        out.isetitem(j, column.astype(values.dtype))
    return out


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as a CSV file should hold it: :func:`neutral` applied to every text cell (``frame`` itself when none
    looks like a formula; numeric columns are never touched)."""
    return _map_text(frame, neutral)


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read from a CSV that :func:`neutralise` wrote, as it was before."""
    return _map_text(frame, restored)
