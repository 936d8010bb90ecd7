"""Personal data removed from comments: each type, the words that only look like names, planted recall."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkit.inputs.redact import _iban_ok, _luhn, find_personal, first_names, redact_text
from cxkit.inputs.sample_comments import personal_sentence

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("text, expected", [
    ("Send it to jo.bloggs@example.co.uk please", "Send it to [email] please"),
    ("Card 4111 1111 1111 1111 was charged", "Card [card] was charged"),
    ("IBAN GB82 WEST 1234 5698 7654 32 used", "IBAN [account] used"),
    ("sort code 12-34-56 12345678", "sort code [account]"),
    ("my account number is 99881234", "my account number is [account]"),
    ("call me on 0161 496 0000 today", "call me on [phone] today"),
    ("or +1 415 555 2671 in the US", "or [phone] in the US"),
    ("postcode NW1 6XE, not far", "postcode [postcode], not far"),
    ("Plano, TX 75024 office", "Plano, TX [postcode] office"),
    ("I live at 14 Acacia Avenue now", "I live at [address] now"),
    ("DOB 12/03/1985 for security", "DOB [date of birth] for security"),
    ("born on 3 March 1979.", "born on [date of birth]."),
    ("My name is Zainab Jones, thanks", "My name is [name], thanks"),
    ("Mr Patel sorted it", "[name] sorted it"),
    ("Sarah at the branch was lovely", "[name] at the branch was lovely"),
    ("Priya's help was great", "[name]'s help was great"),
    ("I spoke to dave who was rude", "I spoke to [name] who was rude"),
    ("Thanks to Bill Turner too", "Thanks to [name] too"),
])
def test_each_kind_of_personal_data_is_replaced_by_its_placeholder(text, expected):
    assert redact_text(text, today=TODAY)[0] == expected


@pytest.mark.parametrize("text", [
    "The bill was wrong. May I ask why? Mark my words, I will leave.",
    "Grace period ended. Hope it gets better. Will call again.",
    "Virgin Media and Sky are better, Orange too.",
    "Engineer came on 12/10/2025 at 9am and took 45 minutes.",
    "Tried the app 3 times over 2 weeks, paid 49.99 in March 2024.",
    "Order 1234 of 5678 items; the router model RX-5000 failed.",
])
def test_ordinary_words_dates_and_numbers_are_left_as_written(text):
    assert redact_text(text, today=TODAY) == (text, {})


def test_the_luhn_and_iban_checks_against_published_examples():
    # Luhn: the standard test card numbers; IBAN: the example in ISO 13616 / the European Banking Standards
    assert _luhn("4111111111111111") and _luhn("5500005555555559") and not _luhn("4111111111111112")
    assert _iban_ok("GB82 WEST 1234 5698 7654 32") and _iban_ok("DE89370400440532013000")
    assert not _iban_ok("GB82 WEST 1234 5698 7654 33")


def test_an_engagement_adds_its_own_names():
    names = first_names(("Xanthe",))
    assert redact_text("Xanthe fixed it", names)[0] == "[name] fixed it"
    assert redact_text("Xanthe fixed it")[0] == "Xanthe fixed it"


def test_planted_personal_data_is_found_with_high_recall_and_nothing_else_is_taken():
    """2,000 generated sentences, each holding one or two planted items of every type: recall at least 0.98, and no
    span taken that holds no planted item (the README states the figures)."""
    rng = np.random.default_rng(5)
    found = missed = extra = 0
    for _ in range(2000):
        text, items, _ = personal_sentence(rng)
        spans = find_personal(text, today=TODAY)
        for _kind, value in items:
            at = text.find(value)
            covered = any(s.start <= at and at + len(value) <= s.end for s in spans)
            found, missed = found + covered, missed + (not covered)
        extra += sum(not any(text[s.start:s.end] in v or v in text[s.start:s.end] for _, v in items) for s in spans)
    assert found / (found + missed) >= 0.98 and extra == 0, (found, missed, extra)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                       max_size=60))
def test_redaction_never_leaves_a_planted_item_and_is_idempotent(seed, noise):
    text, items, _ = personal_sentence(np.random.default_rng(seed))
    clean, counts = redact_text(f"{noise} {text}", today=TODAY)
    for _kind, value in items:
        assert value not in clean
    assert sum(counts.values()) >= 1
    assert redact_text(clean, today=TODAY)[0] == clean


def test_a_long_column_is_redacted_side_by_side_with_the_same_answer(monkeypatch):
    """Shared out over processes (forced here from 40 comments), a column gives the same texts, counts and rows,
    in order, as one process; and a process that may not start others (a daemon) redacts it itself."""
    import multiprocessing

    from cxkit.inputs import redact

    rng = np.random.default_rng(3)
    texts = [personal_sentence(rng)[0] if i % 3 else "Nothing personal here, just slow delivery" for i in range(90)]
    values = pd.Series(texts + [None, ""], index=[f"r{i}" for i in range(92)])
    serial = redact.redact_column(values, today=TODAY)
    monkeypatch.setattr(redact, "PARALLEL_TEXTS", 40)
    monkeypatch.setattr(redact, "_cores", lambda: 3)
    started = []
    real = redact._redact_parts
    monkeypatch.setattr(redact, "_redact_parts", lambda parts, *a: started.append(len(parts)) or real(parts, *a))
    shared = redact.redact_column(values, today=TODAY)
    assert started == [3]
    assert shared[0][:90] == serial[0][:90] and pd.isna(shared[0][90]) and shared[0][91] == ""
    assert shared[1].counts == serial[1].counts and shared[1].rows == serial[1].rows
    assert serial[1].total >= 60 and serial[1].rows[0] == "r1"
    monkeypatch.setattr(multiprocessing.current_process(), "_config", {"daemon": True})
    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", None)   # a daemon never asks for one
    assert redact.redact_column(values, today=TODAY)[0][:90] == serial[0][:90]


def test_validation_removes_personal_data_and_says_what_it_removed(tmp_path):
    from cxkit.inputs.data import validate
    from cxkit.inputs.sample import write_sample
    from cxkit import load_engagement

    written = write_sample(tmp_path, seed=3, customers=400, employees=0)
    eng = load_engagement(written.config)
    report = validate(eng)
    truth = pd.read_csv(tmp_path / "truth_comments.csv", keep_default_na=False)
    planted = [item.split(":", 1)[1] for cell in truth["personal"] if cell for item in cell.split(" | ")]
    assert planted
    text = " ".join(report.frames["feedback"]["comment"].dropna())
    assert not [value for value in planted if value in text]
    note = next(p for p in report.problems if "personal data removed" in p.message)
    assert note.severity == "info" and note.column == "comment" and not note.examples
    raw = (tmp_path / "feedback.csv").read_text()
    assert all(value in raw for value in planted)   # the input file itself is never changed
