"""Formula-looking client text is made inert in CSV cells and comes back exactly as written."""

import io

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from cxkit.results.formulas import formula_like, neutral, neutralise, restore, restored


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x.example","Click")', "+cmd|' /C calc'!A0", "-2+3",
                                   "@SUM(A1:A9)", "\t=1", "\r=1", "- a bullet", "=1"])
def test_what_a_spreadsheet_would_run_is_formula_like(value):
    assert formula_like(value) and neutral(value) == "'" + value


@pytest.mark.parametrize("value", ["-0.5", "+5%", "-1,234.5", "1e-3", "North", "", "'quoted", 3, -2.5, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert not formula_like(value) and neutral(value) == value


@given(st.text(alphabet=st.sampled_from(list("'=+-@\t\rab1. ")), max_size=8))
def test_the_round_trip_is_exact(text):
    assert restored(neutral(text)) == text
    assert not formula_like(neutral(text))


def test_a_table_survives_a_csv_round_trip_with_its_numbers(tmp_path):
    table = pd.DataFrame({"label": ["=1+1", "'=already quoted", "Billing", None, "-0.4"],
                          "mean": [-1.5, 2.0, -0.25, 3.0, 1.0], "n": [-3, 4, 5, 6, 7]})
    buffer = io.StringIO()
    neutralise(table).to_csv(buffer, index=False)
    lines = buffer.getvalue().splitlines()
    assert lines[1].startswith("'=1+1,-1.5,-3") and lines[2].startswith("''=already")
    back = restore(pd.read_csv(io.StringIO(buffer.getvalue()), keep_default_na=False, na_values=[""]))
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    assert back["mean"].dtype.kind == "f" and back["n"].dtype.kind == "i"
