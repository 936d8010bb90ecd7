"""Words: labels inside sentences keep names and acronyms, numbers show their difference."""

import pytest
from hypothesis import given, strategies as st

from cxkit.results.text import apart, in_text, join, template


@pytest.mark.parametrize("label, expected", [
    ("Billing clarity", "billing clarity"), ("App and website ease", "app and website ease"),
    ("NPS score", "NPS score"), ("C-3PO", "C-3PO"), ("Luke Skywalker", "Luke Skywalker"), ("I know", "I know"),
    ("eBay checkout", "eBay checkout"), ("24/7 support", "24/7 support"), ("Staff knowledge (UK)", "staff knowledge (UK)"),
    ("Favourability of Yoda", "favourability of Yoda"), ("Fan of the Star Wars franchise", "fan of the Star Wars franchise"),
    ("Obi Wan Kenobi", "Obi Wan Kenobi"), ("Han Solo", "Han Solo"),
    # the bank's item codes and Star Wars' outcome question: "variance in do you consider yourself to be a fan of ...?"
    ("Val1", "Val1"), ("Qual3", "Qual3"), ("Q3a score", "Q3a score"),
    ("Do you consider yourself to be a fan of the Star Wars film franchise?",
     "“Do you consider yourself to be a fan of the Star Wars film franchise?”"),
    ("Do you ever gamble?: share yes", "“Do you ever gamble?”: share yes"),   # steak's scorecard metric
    # a segment's name that quotes a question already: quoted once, not again around the whole name
    ("Strong on “How easy was it to pay?”", "strong on “How easy was it to pay?”"),
])
def test_labels_read_inside_a_sentence_with_names_and_acronyms_kept(label, expected):
    assert in_text(label) == expected
    assert template("on {label|lower}").fill({"label": label}) == f"on {expected}"


@pytest.mark.parametrize("a, b, expected", [(0.598, 0.6, ("0.598", "0.600")), (0.61, 0.6, ("0.61", "0.60")),
                                            (0.6, 0.6, ("0.60", "0.60")), (2.7049, 2.7, ("2.705", "2.700"))])
def test_numbers_that_differ_are_never_shown_equal(a, b, expected):
    assert apart(a, b) == expected


def test_names_join_with_a_final_and_and_a_count_past_four():
    assert join(["a"]) == "a" and join(["a", "b"]) == "a and b"
    assert join(list("abcdefg")) == "a, b, c and 4 more"


@pytest.mark.parametrize("value, spec, shown", [(-0.3, ".0f", "0"), (-0.04, ".1f", "0.0"), (-0.001, ".0%", "0%"),
                                                (-0.6, ".0f", "-1"), (-0.3, "+.0f", "0"), (0.0, ".0f", "0")])
def test_a_number_that_rounds_to_zero_has_no_minus_sign(value, spec, shown):
    assert template("NPS {x:" + spec + "}").fill({"x": value}) == f"NPS {shown}"


@pytest.mark.parametrize("n", range(0, 200, 7))
def test_a_half_rounds_away_from_zero_as_a_charts_label_shows_it(n):
    """(2n + 1) / 200 is n + 0.5 per cent: PowerPoint, Excel and LibreOffice show n + 1 (half away from zero), where
    Python's format shows n or n + 1 by the binary value stored (0.125 as "12%", 0.285 as "28%")."""
    from cxkit.results.text import number

    assert number((2 * n + 1) / 200, ".0%") == f"{n + 1}%"
    assert number(-(2 * n + 1) / 200, ".0%") == f"-{n + 1}%"
    assert number((2 * n + 1) / 20, ".1f") == f"{(n + 1) / 10:.1f}"   # n.05 to one decimal: n.1


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_only_a_half_rounds_otherwise_than_pythons_format(value):
    from decimal import Decimal

    from cxkit.results.text import number

    for spec, scale, places in ((".0%", 100, 0), (".2f", 1, 2)):
        shown = Decimal(repr(value)) * scale * 10 ** places
        if shown % 1 != Decimal("0.5") and -shown % 1 != Decimal("0.5"):
            expected = format(value, spec)
            assert number(value, spec) == (expected[1:] if expected.startswith("-0") and not
                                           expected.strip("-0.%") else expected)
