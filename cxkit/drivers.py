"""Key drivers: which touchpoints drive the outcome, and which are the moments of
truth to fix first (DOMAIN.md section 3).

The Shapley decomposition of R^2 (LMG) needs only the correlation matrix: the
R^2 of every subset of drivers is computed from it, size by size, in batched
solves, and each driver's share is its weighted mean gain over all subsets.
"""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd

from .config import Engagement

MAX_EXACT_DRIVERS = 20     # 2^20 subsets; beyond it Johnson's relative weights are used
_CHUNK = 50_000            # subsets solved per batch, to bound memory


def all_subset_r2(corr: np.ndarray) -> np.ndarray:
    """R^2 of the outcome on every subset of drivers, from a correlation matrix.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1)
        Correlation matrix with the outcome last.

    Returns
    -------
    ndarray, shape (2 ** p,)
        ``r2[mask]`` is the R^2 of the regression on the drivers whose bits are
        set in ``mask`` (bit j = driver j); ``r2[0] = 0``.

    Notes
    -----
    For standardised variables R^2(S) = r_Sy' R_SS^{-1} r_Sy. Subsets of one
    size are solved together in batches (least squares where R_SS is singular).
    """
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    p = len(rxy)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        combos = itertools.combinations(range(p), k)
        while True:
            chunk = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, _CHUNK)), dtype=np.intp)
            if chunk.size == 0:
                break
            chunk = chunk.reshape(-1, k)
            a = rxx[chunk[:, :, None], chunk[:, None, :]]
            b = rxy[chunk]
            try:
                beta = np.linalg.solve(a, b[..., None])[..., 0]
            except np.linalg.LinAlgError:
                beta = np.einsum("mij,mj->mi", np.linalg.pinv(a), b)
            r2[(1 << chunk).sum(axis=1)] = np.einsum("mi,mi->m", beta, b)
    return r2


def shapley_from_subsets(r2: np.ndarray) -> np.ndarray:
    """Each driver's Shapley value (LMG) of R^2 from the all-subsets R^2.

    Notes
    -----
    LMG (Lindeman, Merenda & Gold 1980; Groemping 2006, J. Stat. Softw. 17(1)):
    phi_j = sum over S not containing j of |S|! (p - |S| - 1)! / p! *
    (R^2(S + j) - R^2(S)). The values sum to the full model's R^2.
    """
    p = int(np.log2(len(r2)))
    masks = np.arange(len(r2))
    size = np.zeros(len(r2), dtype=np.intp)
    for j in range(p):
        size += (masks >> j) & 1
    weight_by_size = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    values = np.empty(p)
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        values[j] = np.dot(weight_by_size[size[without]], r2[without | (1 << j)] - r2[without])
    return values


def shapley_r2(corr: np.ndarray) -> np.ndarray:
    """Shapley decomposition (LMG) of R^2 for the drivers in a correlation matrix (outcome last)."""
    return shapley_from_subsets(all_subset_r2(corr))


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights of the drivers in a correlation matrix (outcome last).

    Notes
    -----
    Johnson (2000), *A heuristic method for estimating the relative weight of
    predictor variables in multiple regression*, Multivariate Behav. Res. 35(1):
    with R_xx = V diag(e) V', Lambda = V diag(sqrt e) V', beta = Lambda^{-1} r_xy,
    the weight of driver j is sum_k Lambda_jk^2 beta_k^2. They sum to R^2.
    """
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.pinv(lam) @ rxy
    return (lam ** 2) @ (beta ** 2)


def _standardised_betas(corr: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(corr[:-1, :-1], corr[:-1, -1], rcond=None)[0]


def key_drivers(fb: pd.DataFrame, eng: Engagement, outcome: str | None = None) -> pd.DataFrame:
    """How much each attribute drives an outcome: Shapley (LMG) shares of R^2.

    Parameters
    ----------
    fb : DataFrame
        Cleaned feedback.
    eng : Engagement
    outcome : str, optional
        Outcome column; the main outcome (satisfaction, else recommend) by default.

    Returns
    -------
    DataFrame
        One row per attribute, ranked: ``attribute``, ``label``, ``owner``,
        ``importance`` (its part of R^2), ``share`` (of R^2, sums to 1),
        ``direction`` (+1/-1, sign of its standardised coefficient in the full
        model), ``rank``, ``performance`` (mean rating), ``top2`` (share rating
        in the top two boxes), and the model's ``r2``, ``n`` and ``method``.

    Notes
    -----
    Listwise deletion: respondents with any attribute or the outcome missing
    are left out (``n`` says how many remain); an attribute nobody answered is
    left out of the model. Up to 20 attributes the exact
    Shapley decomposition is used (:func:`shapley_r2`); beyond, Johnson's
    relative weights (:func:`relative_weights`), which track it closely.
    """
    spec = eng.feedback
    outcome = outcome or spec.main_outcome.column
    attributes = [a for a in spec.attributes if fb[a.column].notna().any()]  # nobody answered: left out
    columns = [a.column for a in attributes]
    complete = fb[columns + [outcome]].dropna()
    n = len(complete)
    if n < len(columns) + 10:
        raise ValueError(f"only {n} respondents answered every attribute and {outcome}; "
                         f"key drivers need at least {len(columns) + 10}")
    corr = np.corrcoef(complete.to_numpy(dtype=float), rowvar=False)
    if np.isnan(corr).any():
        constant = [c for c, s in zip(columns, complete[columns].std()) if not s > 0]
        raise ValueError(f"attributes with no variation cannot be drivers: {constant}")
    if len(columns) <= MAX_EXACT_DRIVERS:
        importance, method = shapley_r2(corr), "Shapley decomposition of R² (LMG), exact"
    else:
        importance, method = relative_weights(corr), "Johnson's relative weights"
    r2 = float(importance.sum())
    scale = eng.scales[spec.scale]
    table = pd.DataFrame({
        "attribute": columns,
        "label": [a.label for a in attributes],
        "owner": [a.owner for a in attributes],
        "importance": importance,
        "share": importance / r2 if r2 > 0 else np.nan,
        "direction": np.sign(_standardised_betas(corr)).astype(int),
        "performance": [fb[c].mean() for c in columns],
        "top2": [float((fb[c] >= scale.top2_min).sum() / fb[c].notna().sum()) for c in columns],
    })
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table["r2"] = r2
    table["n"] = n
    table["outcome"] = outcome
    table["method"] = method
    return table


QUADRANTS = {
    (True, False): "Moment of truth: fix first",
    (True, True): "Strength: keep",
    (False, True): "Possible over-service",
    (False, False): "Lower priority",
}


def moments_of_truth(drivers: pd.DataFrame) -> pd.DataFrame:
    """Importance against performance: each attribute's quadrant.

    Thresholds are the means across attributes of importance share and of
    performance (mean rating). High importance with low performance are the
    moments of truth to fix first; high and high, strengths to keep; low
    importance with high performance, possible over-service (DOMAIN.md section 3).
    """
    table = drivers.copy()
    share_cut = float(table["share"].mean())
    perf_cut = float(table["performance"].mean())
    table["important"] = table["share"] >= share_cut
    table["performing"] = table["performance"] >= perf_cut
    table["quadrant"] = [QUADRANTS[(i, p)] for i, p in zip(table["important"], table["performing"])]
    table["share_threshold"] = share_cut
    table["performance_threshold"] = perf_cut
    return table
