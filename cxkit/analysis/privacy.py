"""Keeping employees unidentifiable: no group smaller than the engagement's minimum is shown.

Groups below the minimum are pooled into one "Other" group; if the pool is
itself below the minimum, the next smallest groups join it until it is not.
Pooling, rather than dropping, also stops a small group's result from being
recovered by subtracting the shown groups from the overall figure.
"""

from __future__ import annotations

import numpy as np
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


def suppress_cells(table: pd.DataFrame, minimum: int, within: str, values: list[str]) -> pd.DataFrame:
    """Blank every cell whose base is under ``minimum``, and enough others that none can be recovered.

    A group can reach the minimum yet have fewer answers on one dimension (item
    non-response). Such a cell is suppressed: its ``values`` and its base ``n``
    set to missing and ``suppressed`` marked True (never dropped silently). Within each ``within``
    column (a dimension, an index), if the suppressed cells together hold fewer
    than ``minimum`` respondents, the smallest shown cells are suppressed too
    (complementary suppression), so the total minus the shown cells cannot
    reveal them.

    Parameters
    ----------
    table : DataFrame
        Long format with an ``n`` column (the cell's base).
    minimum : int
    within : str
        Column whose cells partition the respondents (e.g. "dimension").
    values : list of str
        The columns to blank in suppressed cells.
    """
    out = table.copy()
    out["suppressed"] = out["n"] < minimum
    for _, part in out.groupby(within, sort=False):
        hidden = part["suppressed"]
        if not hidden.any():
            continue
        base = int(part.loc[hidden, "n"].sum())
        for index in part.loc[~hidden].sort_values("n").index:
            if base >= minimum:
                break
            out.loc[index, "suppressed"] = True
            base += int(out.loc[index, "n"])
    out.loc[out["suppressed"], list(values) + ["n"]] = np.nan
    return out
