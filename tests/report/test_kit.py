"""The drawing kit's text handling: what a survey export's question text looks like on a slide."""

import pytest
from hypothesis import given, strategies as st

from cxkit.report.kit import plain


@pytest.mark.parametrize("raw, shown", [
    ("Consider: <br>In Lottery A, you have a 50% chance<br><br>Assuming", "Consider: In Lottery A, you have a 50% "
     "chance Assuming"),
    ("<b>Speed</b> &amp; <i>ease</i>", "Speed & ease"),
    ('<span style="color:red">Hi</span><BR/>there', "Hi there"),
    ("Tenure <5 years", "Tenure <5 years"),            # looks like a tag, is text
    ("a < b > c", "a < b > c"),
    ("AT&T", "AT&T"),
])
def test_survey_markup_becomes_plain_text(raw, shown):
    assert plain(raw) == shown


@given(st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs",))))
def test_text_without_markup_keeps_its_words(text):
    assert plain(text).split() == text.split()


def test_a_long_cell_is_cut_at_a_word_and_a_short_one_kept():
    from cxkit.report.kit import CELL_MAX, _cap

    question = "Consider the following hypothetical situations: in Lottery A, you have a 50% chance of success " * 4
    shown = _cap(question)
    assert shown.endswith(" …") and len(shown) <= CELL_MAX + 2 and question.startswith(shown[:-2])
    assert not shown[:-2].endswith((" ", ",")) and _cap("Billing clarity") == "Billing clarity"
