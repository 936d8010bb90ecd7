"""No group smaller than the minimum is ever shown."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkit.analysis.privacy import POOLED, pooled_groups, protect_groups


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ABCDEFG")), min_size=1, max_size=80), st.integers(2, 10))
def test_every_shown_group_reaches_the_minimum(labels, minimum):
    series = pd.Series(labels)
    shown = protect_groups(series, minimum)
    counts = shown.value_counts(dropna=True)
    assert (counts >= minimum).all()
    original = series.value_counts()
    for group in original[original < minimum].index:
        assert group not in set(shown.dropna())
    if len(series) < minimum:
        assert shown.isna().all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(list("ABCDE")), min_size=10, max_size=60), st.integers(2, 8))
def test_pooling_leaves_no_single_small_group_recoverable(labels, minimum):
    # a small group's answers must never be the difference between the total and the shown groups
    series = pd.Series(labels)
    shown = protect_groups(series, minimum)
    hidden = series[shown.isna() | (shown == POOLED)]
    if len(hidden):
        assert len(hidden) >= minimum or len(series) < minimum


def test_pooled_groups_names_the_small_and_their_companions():
    labels = pd.Series(["A"] * 20 + ["B"] * 6 + ["C"] * 3)
    assert pooled_groups(labels, 5) == ["B", "C"]  # C alone (3) is too small a pool: B joins it
    assert protect_groups(labels, 5).value_counts().to_dict() == {"A": 20, POOLED: 9}
