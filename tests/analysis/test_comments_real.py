"""The codeframe and the redaction on 240 real comments (CFPB complaint narratives, public domain, labelled by hand:
tests/fixtures/comments/README.md). The figures are the README's; these bounds catch a change that loses them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxkit.analysis import comments as c
from cxkit.inputs.redact import find_personal
from cxkit.inputs.sample_comments import personal_sentence

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "comments" / "real_comments.csv"


@pytest.fixture(scope="module")
def real():
    return pd.read_csv(FIXTURE, keep_default_na=False)


def scores(real: pd.DataFrame, eng) -> pd.DataFrame:
    """Per theme: labelled comments, precision and recall of the codeframe against the hand labels."""
    codeframe = c.load_codeframe(eng)
    coded = codeframe.code(real["comment"])
    rows = []
    for theme in codeframe.ids:
        want = real["themes"].str.split(";").map(lambda labels: theme in labels)
        got = coded[theme]
        rows.append({"theme": theme, "n": int(want.sum()), "tp": int((want & got).sum()),
                     "fp": int((~want & got).sum()), "fn": int((want & ~got).sum())})
    return pd.DataFrame(rows)


def test_theme_precision_and_recall_on_real_comments(real, eng):
    table = scores(real, eng)
    tp, fp, fn = table[["tp", "fp", "fn"]].sum()
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.45 and recall >= 0.6, (round(precision, 3), round(recall, 3))
    billing = table.set_index("theme").loc["billing"]
    assert billing["tp"] / (billing["tp"] + billing["fn"]) >= 0.8   # the commonest theme, found most


def test_redaction_leaves_real_text_that_holds_no_personal_data_nearly_untouched(real):
    """The fixture holds no personal data (the CFPB masks it as XXXX): every span taken is a false alarm."""
    touched = [i for i, text in enumerate(real["comment"]) if find_personal(text)]
    assert len(touched) <= 8, len(touched)


def test_personal_data_planted_in_real_text_is_found(real):
    """A planted personal sentence inserted between two sentences of each real comment: recall at least 0.97."""
    rng = np.random.default_rng(8)
    found = total = 0
    for text in real["comment"]:
        sentence, items, _ = personal_sentence(rng)
        parts = text.split(". ")
        k = int(rng.integers(0, len(parts) + 1))
        mixed = ". ".join(parts[:k] + [sentence.rstrip(".")] + parts[k:])
        spans = find_personal(mixed)
        for _kind, value in items:
            at = mixed.find(value)
            total += 1
            found += any(s.start <= at and at + len(value) <= s.end for s in spans)
    assert found / total >= 0.97, (found, total)
