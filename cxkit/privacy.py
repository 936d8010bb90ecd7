"""Keeping employees unidentifiable: no group smaller than the engagement's minimum is shown.

Groups below the minimum are pooled into one "Other" group; if the pool is
itself below the minimum, the next smallest groups join it until it is not.
Pooling, rather than dropping, also stops a small group's result from being
recovered by subtracting the shown groups from the overall figure.
"""

from __future__ import annotations

import pandas as pd

POOLED = "Other (pooled for privacy)"


def protect_groups(labels: pd.Series, minimum: int) -> pd.Series:
    """Map each respondent's group to the group that may be shown.

    Parameters
    ----------
    labels : Series
        One group label per respondent (department, level ...).
    minimum : int
        The engagement's minimum group size.

    Returns
    -------
    Series
        Same index; every label kept has at least ``minimum`` respondents, the
        rest are :data:`POOLED`, or missing when even all groups together are
        fewer than ``minimum``.
    """
    counts = labels.value_counts()
    small = counts[counts < minimum]
    if small.empty:
        return labels.copy()
    if counts.sum() < minimum:
        return pd.Series(pd.NA, index=labels.index, dtype=object)
    pooled = set(small.index)
    pool_size = int(small.sum())
    for group, size in counts[counts >= minimum].sort_values().items():
        if pool_size >= minimum:
            break
        pooled.add(group)
        pool_size += int(size)
    return labels.where(~labels.isin(pooled), POOLED)


def pooled_groups(labels: pd.Series, minimum: int) -> list[str]:
    """The groups that :func:`protect_groups` pools (for the appendix's 'what was suppressed and why')."""
    protected = protect_groups(labels, minimum)
    return sorted(labels[protected.eq(POOLED).fillna(False)].unique().tolist())
