"""Reality check: how mature the organisation's CX practice is, what remains, and
where levels and departments see it differently (DOMAIN.md section 1).

All functions take the cleaned diagnostic (``data.load_diagnostic``) and the
engagement, and return tidy frames. Groups below the engagement's minimum
size are pooled by :func:`cxkit.privacy.protect_groups` before anything is computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Engagement
from .privacy import POOLED, protect_groups
from .privacy import pooled_groups as _pooled_labels
from .stats import mean_ci, wilson_ci

LEVEL_ORDER = ["executive", "manager", "frontline"]


def dimension_scores(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Each respondent's score per dimension: the mean of the items they answered.

    A respondent who answered fewer than half of a dimension's items gets no
    score for it (missing), so that one answer does not stand for a dimension.
    """
    out = {}
    for dim in eng.framework.dimensions:
        columns = [i.column for i in eng.diagnostic.items if i.dimension == dim]
        if not columns:
            continue
        answered = diag[columns].notna().sum(axis=1)
        out[dim] = diag[columns].mean(axis=1).where(answered >= len(columns) / 2)
    return pd.DataFrame(out, index=diag.index)


def _favourable(diag: pd.DataFrame, columns: list[str], top2_min: float) -> tuple[float, float, float, int]:
    values = diag[columns].to_numpy(dtype=float).ravel()
    values = values[~np.isnan(values)]
    est = wilson_ci(float((values >= top2_min).sum()), values.size)
    return est.value, est.low, est.high, est.n


def maturity(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Maturity per dimension: mean score with 95% interval, % favourable, target and gap.

    Returns
    -------
    DataFrame
        One row per dimension, ranked by gap (largest first): ``dimension``,
        ``label``, ``n``, ``mean``, ``ci_low``, ``ci_high``, ``favourable``
        (share of answers in the top two boxes, with Wilson interval
        ``fav_low``/``fav_high``), ``target``, ``gap`` (target - mean) and ``rank``.

    Notes
    -----
    Mean: respondents' dimension scores (mean of answered items), t interval.
    % favourable: top-2-box share over all answers to the dimension's items
    (interval treats answers as independent, so it is slightly narrow).
    Gap = target - current (DOMAIN.md section 1); the target is the
    engagement's per-dimension target or its default.
    """
    scores = dimension_scores(diag, eng)
    scale = eng.scales[eng.diagnostic.scale]
    rows = []
    for dim, meta in eng.framework.dimensions.items():
        if dim not in scores:
            continue
        est = mean_ci(scores[dim])
        columns = [i.column for i in eng.diagnostic.items if i.dimension == dim]
        fav, fav_low, fav_high, _ = _favourable(diag, columns, scale.top2_min)
        target = eng.dimension_target(dim)
        rows.append({"dimension": dim, "label": meta.label, "n": est.n, "mean": est.value, "ci_low": est.low,
                     "ci_high": est.high, "favourable": fav, "fav_low": fav_low, "fav_high": fav_high,
                     "target": target, "gap": target - est.value})
    table = pd.DataFrame(rows).sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def maturity_items(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Maturity per statement: mean with interval, % favourable, and the dimension's target and gap."""
    scale = eng.scales[eng.diagnostic.scale]
    rows = []
    for item in eng.diagnostic.items:
        est = mean_ci(diag[item.column])
        values = diag[item.column].dropna()
        fav = wilson_ci(float((values >= scale.top2_min).sum()), len(values))
        target = eng.dimension_target(item.dimension)
        rows.append({"item": item.column, "text": item.text, "dimension": item.dimension,
                     "readiness": item.readiness, "n": est.n, "mean": est.value, "ci_low": est.low,
                     "ci_high": est.high, "favourable": fav.value, "target": target, "gap": target - est.value})
    return pd.DataFrame(rows).sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def group_labels(diag: pd.DataFrame, eng: Engagement, by: str) -> pd.Series:
    """Respondents' group for ``by`` ('level' or 'department'), pooled for privacy.

    Levels are shown by their role name (executive, manager, frontline).
    """
    spec = eng.diagnostic
    if by == "level":
        labels = diag[spec.level].map(spec.levels)
    elif by == "department":
        labels = diag[spec.department]
    else:
        raise ValueError(f"by must be 'level' or 'department', not {by!r}")
    return protect_groups(labels, eng.thresholds.min_group_size)


def maturity_by_group(diag: pd.DataFrame, eng: Engagement, by: str) -> pd.DataFrame:
    """Maturity per dimension for each level or department, no group below the minimum size.

    Returns
    -------
    DataFrame
        Long format: ``group``, ``dimension``, ``label``, ``n``, ``mean``,
        ``ci_low``, ``ci_high``, ``gap`` (target - mean) and, per dimension,
        ``diff_from_all`` (group mean - mean of all respondents). Groups under
        the minimum are pooled into "Other (pooled for privacy)".
    """
    scores = dimension_scores(diag, eng)
    groups = group_labels(diag, eng, by)
    overall = scores.mean()
    rows = []
    for group in _ordered(groups.dropna().unique(), by):
        members = scores[groups == group]
        for dim, meta in eng.framework.dimensions.items():
            if dim not in scores:
                continue
            est = mean_ci(members[dim])
            rows.append({"group": group, "dimension": dim, "label": meta.label, "n": est.n, "mean": est.value,
                         "ci_low": est.low, "ci_high": est.high, "gap": eng.dimension_target(dim) - est.value,
                         "diff_from_all": est.value - overall[dim]})
    return pd.DataFrame(rows)


def _ordered(groups, by: str) -> list:
    if by == "level":
        return [g for g in LEVEL_ORDER if g in set(groups)] + sorted(set(groups) - set(LEVEL_ORDER))
    return sorted(groups, key=lambda g: (g == POOLED, g))


def perception_gaps(by_level: pd.DataFrame) -> pd.DataFrame:
    """Executives' mean minus the frontline's, per dimension (positive: leaders see it rosier).

    Uses the by-level table, so pooled or absent levels give no gap.
    """
    wide = by_level.pivot(index=["dimension", "label"], columns="group", values="mean")
    if not {"executive", "frontline"} <= set(wide.columns):
        return pd.DataFrame(columns=["dimension", "label", "executive", "frontline", "gap"])
    out = wide[["executive", "frontline"]].copy()
    out["gap"] = out["executive"] - out["frontline"]
    return out.reset_index().sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def lagging_departments(by_department: pd.DataFrame, margin: float = 0.3) -> pd.DataFrame:
    """Departments whose mean sits at least ``margin`` points below everyone's on a dimension."""
    lag = by_department[(by_department["diff_from_all"] <= -margin) & (by_department["group"] != POOLED)]
    return lag.sort_values("diff_from_all", kind="stable").reset_index(drop=True)


def readiness(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Know / Care / Can indices: mean of each respondent's items mapped to each, with 95% interval."""
    rows = []
    for key, meta in eng.framework.readiness.items():
        columns = [i.column for i in eng.diagnostic.items if i.readiness == key]
        if not columns:
            continue
        est = mean_ci(diag[columns].mean(axis=1))
        rows.append({"readiness": key, "label": meta.get("label", key), "items": len(columns), "n": est.n,
                     "mean": est.value, "ci_low": est.low, "ci_high": est.high})
    return pd.DataFrame(rows)


def driving_force(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """The 100-point split across business drivers: mean points with 95% interval, overall and by level.

    Rows that did not add up to 100 within the tolerance were left out by the
    loader; rows within it were rescaled to 100.
    """
    spec = eng.diagnostic
    if not spec.driving_force:
        return pd.DataFrame(columns=["group", "force", "label", "n", "mean", "ci_low", "ci_high"])
    levels = group_labels(diag, eng, "level")
    rows = []
    for group, mask in [("all", pd.Series(True, index=diag.index))] + [
            (g, levels == g) for g in _ordered(levels.dropna().unique(), "level")]:
        for force, column in spec.driving_force.items():
            est = mean_ci(diag.loc[mask, column])
            rows.append({"group": group, "force": force, "label": eng.framework.driving_forces[force], "n": est.n,
                         "mean": est.value, "ci_low": est.low, "ci_high": est.high})
    return pd.DataFrame(rows)


def pooled_groups(diag: pd.DataFrame, eng: Engagement, by: str) -> list[str]:
    """The levels or departments pooled for privacy (for the appendix: what was suppressed and why)."""
    spec = eng.diagnostic
    labels = diag[spec.level].map(spec.levels) if by == "level" else diag[spec.department]
    return _pooled_labels(labels, eng.thresholds.min_group_size)
