"""Reality check: how mature the organisation's CX practice is, what remains, and
where levels and departments see it differently (DOMAIN.md section 1).

All functions take the cleaned diagnostic (``data.load_diagnostic``) and the
engagement, and return tidy frames. Groups below the engagement's minimum size
are pooled by :func:`cxkit.analysis.privacy.protect_groups` before anything is computed,
and cells whose base falls under the minimum (item non-response) are suppressed
with :func:`cxkit.analysis.privacy.suppress_cells`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotEnoughData
from ..inputs.config import Engagement
from .privacy import POOLED, protect_groups, suppress_cells
from .privacy import pooled_groups as _pooled_labels
from .stats import (between_groups, clustered_share, holm, kruskal_epsilon, mean_ci, rank_biserial, reliability,
                    wilson_ci)
from ..results.catalogue import LEVEL_ORDER
from ..results.headlines import RealityHeadlines
from ..results.text import apart



def _items(eng: Engagement, dimension: str | None = None, readiness: str | None = None) -> list:
    return [i for i in eng.diagnostic.items
            if (dimension is None or i.dimension == dimension) and (readiness is None or i.readiness == readiness)]


def dimension_scores(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Each respondent's score per dimension: the mean of the items they answered.

    A respondent who answered fewer than half of a dimension's items gets no
    score for it (missing), so that one answer does not stand for a dimension.
    """
    out = {}
    for dim in eng.framework.dimensions:
        columns = [i.column for i in _items(eng, dim)]
        if not columns:
            continue
        answered = diag[columns].notna().sum(axis=1)
        out[dim] = diag[columns].mean(axis=1).where(answered >= len(columns) / 2)
    return pd.DataFrame(out, index=diag.index)


def _favourable(diag: pd.DataFrame, columns: list[str], top2_min: float):
    """The share of answers in the top two boxes, with its interval over people (a person answers several
    statements: :func:`cxkit.analysis.stats.clustered_share`); one statement: a Wilson interval."""
    values = diag[columns].to_numpy(dtype=float)
    if len(columns) == 1:
        answered = values[~np.isnan(values)]
        return wilson_ci(float((answered >= top2_min).sum()), answered.size)
    return clustered_share((values >= top2_min).sum(axis=1), (~np.isnan(values)).sum(axis=1))


def _target(diag: pd.DataFrame, eng: Engagement, items: list, dimension: str) -> tuple[float, str]:
    """The target for a set of statements and where it came from (a code): the mean of their target ratings where
    the data has them (``data``), else the engagement's (``configured``)."""
    columns = [i.target for i in items if i.target]
    if columns:
        values = diag[columns].to_numpy(dtype=float)
        if (~np.isnan(values)).any():
            return float(np.nanmean(values)), "data"
    return eng.dimension_target(dimension), "configured"


def _level(eng: Engagement, mean: float) -> tuple[float, int | None, str]:
    scale = eng.scales[eng.diagnostic.scale]
    share = (mean - scale.min) / (scale.max - scale.min)
    level = eng.framework.maturity_level(share)
    return share, (level.level if level else None), (level.name if level else "")


def maturity(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Maturity per dimension: mean with 95% interval, % favourable, maturity level, target and gap.

    Returns
    -------
    DataFrame
        One row per dimension, ranked by gap (largest first): ``dimension``,
        ``label``, ``n``, ``mean``, ``ci_low``, ``ci_high``, ``favourable`` (share of
        answers in the top two boxes, Wilson interval ``fav_low``/``fav_high``),
        ``sd`` (of respondents' scores), ``level`` and ``level_name``, ``target`` and
        ``target_source`` (a code: ``data`` or ``configured``), ``gap``
        (target - mean), ``accomplished`` and ``remaining`` (shares of the way from
        the bottom of the scale to the target) and ``rank``.

    Notes
    -----
    Mean: respondents' dimension scores (mean of answered items, at least half
    answered), t interval. % favourable: top-2-box share over all answers to
    the dimension's items, its interval over the people who answered (each
    person's answers hang together; :func:`cxkit.analysis.stats.clustered_share`). Level: the framework's ``maturity_levels`` applied to the
    share of the scale reached, (mean - min) / (max - min). Target: the mean
    of the statements' target ratings where the data has them, else the
    engagement's target. Gap = target - current (DOMAIN.md section 1);
    accomplished = (mean - min) / (target - min), capped to [0, 1].
    """
    scores = dimension_scores(diag, eng)
    scale = eng.scales[eng.diagnostic.scale]
    rows = []
    for dim, meta in eng.framework.dimensions.items():
        if dim not in scores:
            continue
        items = _items(eng, dim)
        est = mean_ci(scores[dim])
        fav = _favourable(diag, [i.column for i in items], scale.top2_min)
        target, source = _target(diag, eng, items, dim)
        share, level, level_name = _level(eng, est.value)
        accomplished = float(np.clip((est.value - scale.min) / (target - scale.min), 0, 1)) \
            if target > scale.min and not np.isnan(est.value) else np.nan
        rows.append({"dimension": dim, "label": meta.label, "n": est.n, "mean": est.value, "ci_low": est.low,
                     "ci_high": est.high, "sd": float(scores[dim].std()), "favourable": fav.value, "fav_low": fav.low, "fav_high": fav.high,
                     "share_of_scale": share, "level": level, "level_name": level_name, "target": target,
                     "target_source": source, "gap": target - est.value, "accomplished": accomplished,
                     "remaining": 1 - accomplished})
    table = pd.DataFrame(rows).sort_values("gap", ascending=False, kind="stable", na_position="last")
    table = table.reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def maturity_index(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """The overall maturity index: each respondent's mean over their dimension scores, with 95% interval and level.

    Dimensions count equally; a respondent needs a score on at least half of them.
    """
    scores = dimension_scores(diag, eng)
    overall = scores.mean(axis=1).where(scores.notna().sum(axis=1) >= scores.shape[1] / 2)
    est = mean_ci(overall)
    share, level, level_name = _level(eng, est.value)
    return pd.DataFrame([{"n": est.n, "mean": est.value, "ci_low": est.low, "ci_high": est.high,
                          "share_of_scale": share, "level": level, "level_name": level_name}])


def maturity_items(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Maturity per statement: mean with interval, % favourable, level, target (from the data where it has one) and gap.

    ``p_below``: the one-sided one-sample t test of the statement's mean against its target (below it);
    ``p_below_holm``: Holm-adjusted across the statements (Holm 1979): with twenty-odd statements, one at the
    5% level is what chance alone gives.
    """
    from scipy import stats

    scale = eng.scales[eng.diagnostic.scale]
    rows = []
    for item in eng.diagnostic.items:
        est = mean_ci(diag[item.column])
        fav = _favourable(diag, [item.column], scale.top2_min)
        target, source = _target(diag, eng, [item], item.dimension)
        share, level, level_name = _level(eng, est.value)
        answers = diag[item.column].dropna().to_numpy(dtype=float)
        p = (float(stats.ttest_1samp(answers, target, alternative="less").pvalue)
             if len(answers) > 1 and pd.notna(target) and answers.std() > 0 else np.nan)
        rows.append({"item": item.column, "text": item.text, "dimension": item.dimension,
                     "readiness": item.readiness, "reverse": item.reverse, "n": est.n, "mean": est.value,
                     "ci_low": est.low, "ci_high": est.high, "favourable": fav.value, "level": level,
                     "target": target, "target_source": source, "gap": target - est.value, "p_below": p})
    table = pd.DataFrame(rows)
    table["p_below_holm"] = holm(table["p_below"]) if len(table) else np.nan
    return table.sort_values("gap", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def unreliable(reliability: pd.DataFrame | None, dimension: str, eng: Engagement) -> str | None:
    """Why a dimension cannot be read as one score (its Cronbach's alpha under the threshold), or None."""
    if reliability is None or not len(reliability):
        return None
    part = reliability[reliability["dimension"] == dimension]
    if not len(part):
        return None
    alpha, limit = part["alpha"].iloc[0], eng.thresholds.reliability_alpha
    if pd.isna(alpha):
        return "its statements have too few complete answers to check that they hang together"
    if alpha < limit:
        shown, least = apart(float(alpha), limit)
        return f"its statements do not hang together (Cronbach's alpha {shown}, under {least})"
    return None



def reliability_table(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Cronbach's alpha per dimension, with each statement's item-rest correlation and alpha if deleted.

    Returns
    -------
    DataFrame
        One row per statement: ``dimension``, ``label``, ``item``, ``text``, ``n``
        (complete answers), ``alpha``, ``item_rest``, ``alpha_if_deleted``,
        ``lowers_alpha`` (alpha rises by 0.01 or more without it) and
        ``low_alpha`` (the dimension's alpha is under the engagement's threshold).

    Notes
    -----
    See :func:`cxkit.analysis.stats.reliability` (Cronbach 1951); listwise complete
    answers per dimension, reverse-scored items already flipped.
    """
    threshold = eng.thresholds.reliability_alpha
    rows = []
    for dim, meta in eng.framework.dimensions.items():
        items = _items(eng, dim)
        if len(items) < 2:
            continue
        rel = reliability(diag[[i.column for i in items]])
        for item in items:
            deleted = rel.alpha_if_deleted[item.column]
            rows.append({"dimension": dim, "label": meta.label, "item": item.column, "text": item.text, "n": rel.n,
                         "alpha": rel.alpha, "item_rest": rel.item_rest[item.column], "alpha_if_deleted": deleted,
                         "lowers_alpha": bool(deleted >= rel.alpha + 0.01) if not np.isnan(deleted) else False,
                         "low_alpha": bool(rel.alpha < threshold) if not np.isnan(rel.alpha) else True})
    return pd.DataFrame(rows)


def reliability_warnings(table: pd.DataFrame, eng: Engagement) -> list[str]:
    """Plain-words warnings from :func:`reliability_table`."""
    out = []
    for dim, part in table.groupby("dimension", sort=False):
        label, alpha = part["label"].iloc[0], part["alpha"].iloc[0]
        if part["low_alpha"].iloc[0]:
            shown, limit = apart(alpha, eng.thresholds.reliability_alpha)
            out.append(f"{label}: Cronbach's alpha {shown} is below {limit}; its statements may not measure one thing"
                       if pd.notna(alpha) else f"{label}: Cronbach's alpha cannot be computed (too few complete answers)")
        for row in part[part["lowers_alpha"]].itertuples():
            out.append(f"{label}: statement {row.item} lowers alpha ({row.alpha:.2f} -> {row.alpha_if_deleted:.2f} "
                       f"without it; item-rest r = {row.item_rest:.2f})")
    return out


def group_labels(diag: pd.DataFrame, eng: Engagement, by: str) -> pd.Series:
    """Respondents' group for ``by`` ('level' or 'department'), pooled for privacy.

    Levels are shown by their role name (executive, manager, frontline).
    """
    spec = eng.diagnostic
    if by not in ("level", "department"):
        raise ValueError(f"by must be 'level' or 'department', not {by!r}")
    if getattr(spec, by) is None:
        raise NotEnoughData(f"the diagnostic maps no {by} column (diagnostic.{by}), so {by}s are not compared")
    labels = diag[spec.level].map(spec.levels) if by == "level" else diag[spec.department]
    return protect_groups(labels, eng.thresholds.min_group_size)


def pooled_groups(diag: pd.DataFrame, eng: Engagement, by: str) -> list[str]:
    """The levels or departments pooled for privacy (counted in the appendix, never named on a slide)."""
    spec = eng.diagnostic
    if getattr(spec, by) is None:
        return []
    labels = diag[spec.level].map(spec.levels) if by == "level" else diag[spec.department]
    return _pooled_labels(labels, eng.thresholds.min_group_size)


def _ordered(groups, by: str) -> list:
    if by == "level":
        return [g for g in LEVEL_ORDER if g in set(groups)] + sorted(set(groups) - set(LEVEL_ORDER))
    return sorted(groups, key=lambda g: (g == POOLED, g))


def _by_group(scores: pd.DataFrame, groups: pd.Series, by: str, labels: dict, minimum: int,
              key: str = "dimension") -> pd.DataFrame:
    overall = scores.mean()
    rows = []
    for group in _ordered(groups.dropna().unique(), by):
        members = scores[(groups == group).fillna(False)]
        for column in scores.columns:
            est = mean_ci(members[column])
            rows.append({"group": group, key: column, "label": labels[column], "n": est.n, "mean": est.value,
                         "ci_low": est.low, "ci_high": est.high, "diff_from_all": est.value - overall[column]})
    table = pd.DataFrame(rows, columns=["group", key, "label", "n", "mean", "ci_low", "ci_high", "diff_from_all"])
    return suppress_cells(table, minimum, key, ["mean", "ci_low", "ci_high", "diff_from_all"])


def maturity_by_group(diag: pd.DataFrame, eng: Engagement, by: str) -> pd.DataFrame:
    """Maturity per dimension for each level or department; no group or cell below the minimum size.

    Returns
    -------
    DataFrame
        Long format: ``group``, ``dimension``, ``label``, ``n``, ``mean``,
        ``ci_low``, ``ci_high``, ``gap`` (target - mean), ``diff_from_all``
        (group mean - mean of all respondents) and ``suppressed``. Groups under
        the minimum are pooled into "Other (pooled for privacy)"; cells whose
        base falls under it are blanked and marked (see :func:`cxkit.analysis.privacy.suppress_cells`).
    """
    scores = dimension_scores(diag, eng)
    labels = {d: m.label for d, m in eng.framework.dimensions.items()}
    table = _by_group(scores, group_labels(diag, eng, by), by, labels, eng.thresholds.min_group_size)
    targets = maturity(diag, eng).set_index("dimension")["target"]
    table["gap"] = table["dimension"].map(targets) - table["mean"]
    return table


def perception_gaps(diag: pd.DataFrame, eng: Engagement, by_level: pd.DataFrame | None = None) -> pd.DataFrame:
    """Executives against frontline (and managers) per dimension, with ordinal tests and effect sizes.

    Returns
    -------
    DataFrame
        One row per dimension, largest gap first: ``executive``, ``manager``,
        ``frontline`` means, ``gap`` (executive - frontline), ``n_executive``,
        ``n_frontline``, ``rank_biserial`` and ``p`` / ``p_holm`` (Mann-Whitney,
        executives against frontline), ``epsilon2`` and ``kw_p`` / ``kw_p_holm``
        (Kruskal-Wallis across all shown levels), ``flagged`` (gap at least the
        engagement's ``perception_margin``) and ``significant`` (Holm-adjusted
        Mann-Whitney p under ``thresholds.alpha``). Empty when executives or frontline are not both shown.

    Notes
    -----
    Rank-based tests suit ordinal agreement ratings (see
    :func:`cxkit.analysis.stats.rank_biserial`, :func:`cxkit.analysis.stats.kruskal_epsilon`);
    p-values are adjusted across dimensions by Holm's method.
    """
    by_level = maturity_by_group(diag, eng, "level") if by_level is None else by_level
    columns = ["dimension", "label", "executive", "manager", "frontline", "gap", "n_executive", "n_frontline",
               "rank_biserial", "p", "p_holm", "epsilon2", "kw_p", "kw_p_holm", "flagged", "significant"]
    shown = set(by_level["group"])
    if not {"executive", "frontline"} <= shown:
        return pd.DataFrame(columns=columns)
    scores = dimension_scores(diag, eng)
    levels = group_labels(diag, eng, "level")
    means = by_level.pivot(index="dimension", columns="group", values="mean")
    counts = by_level.pivot(index="dimension", columns="group", values="n")
    rows = []
    for dim, meta in eng.framework.dimensions.items():
        if dim not in scores or dim not in means.index:
            continue
        execs = scores.loc[(levels == "executive").fillna(False), dim]
        front = scores.loc[(levels == "frontline").fillna(False), dim]
        r, p = rank_biserial(execs, front)
        eps, kw_p = kruskal_epsilon([scores.loc[(levels == g).fillna(False), dim] for g in _ordered(shown, "level")])
        rows.append({"dimension": dim, "label": meta.label, "executive": means.loc[dim, "executive"],
                     "manager": means.loc[dim].get("manager", np.nan), "frontline": means.loc[dim, "frontline"],
                     "gap": means.loc[dim, "executive"] - means.loc[dim, "frontline"],
                     "n_executive": counts.loc[dim, "executive"], "n_frontline": counts.loc[dim, "frontline"],
                     "rank_biserial": r, "p": p, "epsilon2": eps, "kw_p": kw_p})
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p"])
    table["kw_p_holm"] = holm(table["kw_p"])
    table["flagged"] = table["gap"] >= eng.thresholds.perception_margin
    table["significant"] = table["p_holm"] < eng.thresholds.alpha
    return table[columns].sort_values("gap", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def department_variance(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """How much of each dimension's variance lies between departments: ICC(1), eta squared, F and p.

    Departments are pooled for privacy first (see :func:`cxkit.analysis.stats.between_groups` for the method).
    """
    scores = dimension_scores(diag, eng)
    groups = group_labels(diag, eng, "department")
    rows = []
    for dim, meta in eng.framework.dimensions.items():
        if dim in scores:
            b = between_groups(scores[dim].to_numpy(dtype=float), groups.to_numpy(dtype=object))
            rows.append({"dimension": dim, "label": meta.label, "icc1": b.icc1, "eta_squared": b.eta_squared,
                         "f": b.f, "p": b.p, "departments": b.groups, "n": b.n})
    return pd.DataFrame(rows)


def lagging_departments(by_department: pd.DataFrame, margin: float = 0.3) -> pd.DataFrame:
    """Departments whose mean sits at least ``margin`` points below everyone's on a dimension (pooled group excluded)."""
    lag = by_department[(by_department["diff_from_all"] <= -margin) & (by_department["group"] != POOLED)]
    return lag.sort_values("diff_from_all", kind="stable").reset_index(drop=True)


def readiness_scores(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Each respondent's Know / Care / Can index: the mean of their answered statements mapped to each."""
    out = {}
    for key in eng.framework.readiness:
        columns = [i.column for i in _items(eng, readiness=key)]
        if columns:
            out[key] = diag[columns].mean(axis=1)
    return pd.DataFrame(out, index=diag.index)


def readiness(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Know / Care / Can indices with 95% intervals and the respondents' ``sd``; ``weakest`` marks the lowest mean."""
    scores = readiness_scores(diag, eng)
    rows = []
    for key in scores:
        est = mean_ci(scores[key])
        rows.append({"readiness": key, "label": eng.framework.readiness[key].get("label", key),
                     "items": len(_items(eng, readiness=key)), "n": est.n, "mean": est.value,
                     "ci_low": est.low, "ci_high": est.high, "sd": float(scores[key].std())})
    table = pd.DataFrame(rows)
    table["weakest"] = table["mean"] == table["mean"].min()
    return table


def readiness_by_group(diag: pd.DataFrame, eng: Engagement, by: str) -> pd.DataFrame:
    """Know / Care / Can by level or department, with the same privacy rules as :func:`maturity_by_group`."""
    scores = readiness_scores(diag, eng)
    labels = {k: eng.framework.readiness[k].get("label", k) for k in scores}
    return _by_group(scores, group_labels(diag, eng, by), by, labels, eng.thresholds.min_group_size, key="readiness")


def driving_force(diag: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """The 100-point split across business drivers: mean points with 95% interval, overall and by level.

    Rows that did not add up to 100 within the tolerance, or held text or negative
    points, were left out by the loader; rows within it were rescaled to 100.
    Levels below the minimum size are pooled, and cells suppressed, as elsewhere.
    """
    spec = eng.diagnostic
    columns = ["group", "force", "label", "n", "mean", "ci_low", "ci_high", "suppressed"]
    if not spec.driving_force:
        return pd.DataFrame(columns=columns)
    points = diag[list(spec.driving_force.values())].set_axis(list(spec.driving_force), axis=1)
    labels = {f: eng.framework.driving_forces[f] for f in spec.driving_force}
    everyone = _by_group(points, pd.Series("all", index=diag.index), "all", labels, eng.thresholds.min_group_size, "force")
    if spec.level is None:   # overall only: no level column to split by
        return everyone[columns]
    by_level = _by_group(points, group_labels(diag, eng, "level"), "level", labels, eng.thresholds.min_group_size,
                         "force")
    return pd.concat([everyone, by_level], ignore_index=True)[columns]


def headlines(diag: pd.DataFrame, eng: Engagement, maturity_table: pd.DataFrame, index: pd.DataFrame,
              reliability: pd.DataFrame, by_level: pd.DataFrame | None,
              by_department: pd.DataFrame | None) -> RealityHeadlines:
    """The reality check's headline figures: base, overall level, reliability and what privacy hid."""
    row = index.iloc[0]
    alphas = reliability["alpha"].dropna() if len(reliability) else pd.Series(dtype=float)
    return RealityHeadlines(
        respondents=len(diag), maturity_index=float(row["mean"]),
        maturity_level=None if pd.isna(row["level"]) else int(row["level"]), maturity_level_name=str(row["level_name"]),
        weakest_dimension=str(maturity_table.iloc[0]["label"]) if len(maturity_table) else "",
        alpha_low=float(alphas.min()) if len(alphas) else None, alpha_high=float(alphas.max()) if len(alphas) else None,
        reliability_warnings=tuple(reliability_warnings(reliability, eng)) if len(reliability) else (),
        pooled_departments=len(pooled_groups(diag, eng, "department")),
        pooled_levels=len(pooled_groups(diag, eng, "level")),
        suppressed_cells=int(sum(t["suppressed"].sum() for t in (by_department, by_level) if t is not None)),
        min_group_size=eng.thresholds.min_group_size)
