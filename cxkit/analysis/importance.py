"""Relative importance: the numerical engine behind the key driver analysis.

Everything here works on arrays. :mod:`cxkit.analysis.drivers` turns feedback and
settings into the tables a consultant reads.

The Shapley decomposition of R^2 (LMG) needs only the correlation matrix. The
R^2 of all 2^p subsets of drivers comes from one vectorised recursion: drivers
are taken in turn, and every subset seen so far splits into the subset without
the new driver (its residual matrix minus that driver's row and column) and
the subset with it (one sweep on that driver). Each subset costs one rank-one
update of a small residual matrix, never a solve, and all subsets of a level
are updated together. Stacks of correlation matrices (bootstrap resamples) are
handled in the same pass.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from ..errors import NotEnoughData
from .stats import row_blocks

PIVOT_TOL = 1e-10          # residual variance below this: the driver adds nothing given the others (collinear)
MEMORY_BUDGET = 1 << 26    # doubles (512 MB) the vectorised recursion may hold at once
_PRODUCTS_BUDGET = 1 << 23  # doubles: respondents' cross-products held at once for a stack of weights


class ImportanceError(NotEnoughData, ValueError):
    """The data cannot support the importance model (stated in words a consultant can act on)."""


# ------------------------------------------------------------------ correlations

def correlations(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Pearson correlations from pairwise-complete observations.

    Parameters
    ----------
    x : ndarray, shape (n, q)
        Data; NaN marks a missing answer.
    weights : ndarray, shape (n,) or (B, n), optional
        Respondent weights, or a stack of B weight vectors (bootstrap counts
        times respondent weights); 1 for every respondent by default.

    Returns
    -------
    corr : ndarray, shape (q, q) or (B, q, q)
    base : ndarray, same shape
        Sum of weights over the respondents who answered both columns (with
        unit weights: the pairwise n).

    Notes
    -----
    For each pair (i, j) only respondents who answered both count, and means
    and variances are taken over those respondents, as in pandas'
    ``DataFrame.corr`` and R's ``cor(use = "pairwise.complete.obs")``. Without
    missing values this is the ordinary weighted correlation matrix. Columns are
    centred first so the sums of products lose no precision.
    """
    x = np.asarray(x, dtype=float)
    single = weights is None or np.ndim(weights) == 1
    w = np.ones((1, len(x))) if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))
    present = ~np.isnan(x)
    x = np.where(present, x - np.nanmean(x, axis=0), 0.0)
    q = x.shape[1]
    complete = bool(present.all())
    s0 = np.zeros((len(w), q, q))
    s1 = np.zeros((len(w), q, q))    # sum w x_i over rows where j is answered
    s11 = np.zeros((len(w), q, q))   # sum w x_i^2 over rows where j is answered
    s2 = np.zeros((len(w), q, q))
    if complete and len(w) > 1 and len(x) * q * (q + 1) // 2 <= _PRODUCTS_BUDGET:
        # a stack (bootstrap resamples): every weight vector's cross-products in one matrix product
        upper = np.triu_indices(q)
        s2 = _symmetric(w @ (x[:, upper[0]] * x[:, upper[1]]), q, upper)
    elif complete:  # one cross-product per weight vector: no per-pair bookkeeping needed
        for b, wb in enumerate(w):
            s2[b] = (x * wb[:, None]).T @ x
    if complete:
        s0 += w.sum(axis=1)[:, None, None]
        s1 += (w @ x)[:, :, None]
        s11 += (w @ x ** 2)[:, :, None]
    else:  # sums over the rows where both columns of a pair are answered, in blocks of rows
        for rows in row_blocks(len(x)):
            xc, mc, wc = x[rows], present[rows].astype(float), w[:, rows]
            s2 += _pair_sums(wc, xc, xc)
            s0 += _pair_sums(wc, mc, mc)
            s1 += _pair_sums(wc, xc, mc)
            s11 += _pair_sums(wc, xc ** 2, mc)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_i = s1 / s0
        mean_j = np.swapaxes(mean_i, -1, -2)
        cov = s2 / s0 - mean_i * mean_j
        var_i = s11 / s0 - mean_i ** 2
        var_j = np.swapaxes(var_i, -1, -2)
        corr = cov / np.sqrt(var_i * var_j)
    idx = np.arange(q)
    corr[:, idx, idx] = np.where(np.diagonal(var_i, axis1=1, axis2=2) > 0, 1.0, np.nan)
    corr = np.clip(corr, -1.0, 1.0)
    return (corr[0], s0[0]) if single else (corr, s0)


def _pair_sums(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``out[k, i, j]`` = sum over rows of w[k] * a[:, i] * b[:, j]."""
    q = a.shape[1]
    return (w @ (a[:, :, None] * b[:, None, :]).reshape(len(a), -1)).reshape(-1, q, q)


def nearest_correlation(corr: np.ndarray, floor: float = 1e-8) -> tuple[np.ndarray, bool]:
    """The correlation matrix itself if positive semi-definite, else a close one that is.

    Pairwise-complete correlations need not form a valid correlation matrix.
    Negative eigenvalues are raised to ``floor`` and the result rescaled to a
    unit diagonal (the first step of Higham 2002, IMA J. Numer. Anal. 22,
    which is the usual repair for survey correlation matrices).

    Returns
    -------
    (matrix, repaired) : the matrix to use and whether it had to be repaired.
    """
    evals, evecs = np.linalg.eigh(corr)
    if evals.min() >= -1e-12:
        return corr, False
    fixed = (evecs * np.maximum(evals, floor)) @ evecs.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    np.fill_diagonal(fixed, 1.0)
    return fixed, True


# ------------------------------------------------------------------ all subsets

def _sweep_tree(a: np.ndarray) -> np.ndarray:
    """R^2 of every subset of the drivers of a stack of residual matrices (outcome last).

    ``a`` has shape (B, m, m); returns (B, 2 ** (m - 1)) with bit j of the index
    standing for driver j.
    """
    a = a[:, None]
    for _ in range(a.shape[-1] - 1):
        pivot = a[:, :, 0, 0]
        usable = pivot > PIVOT_TOL
        inverse = np.where(usable, 1.0 / np.where(usable, pivot, 1.0), 0.0)
        column, rest = a[:, :, 1:, 0], a[:, :, 1:, 1:]
        s = a.shape[1]
        nxt = np.empty((a.shape[0], 2 * s) + rest.shape[2:])
        nxt[:, :s] = rest                                   # subsets without this driver
        with_it = nxt[:, s:]
        np.multiply((column * inverse[..., None])[..., :, None], column[..., None, :], out=with_it)
        np.subtract(rest, with_it, out=with_it)             # subsets with it: one sweep step
        a = nxt
    return 1.0 - a[:, :, 0, 0]


def _sweep_one(a: np.ndarray, j: int) -> np.ndarray:
    pivot = a[:, j, j]
    usable = pivot > PIVOT_TOL
    inverse = np.where(usable, 1.0 / np.where(usable, pivot, 1.0), 0.0)
    return a - (a[:, :, j] * inverse[:, None])[:, :, None] * a[:, j, None, :]


def all_subset_r2(corr: np.ndarray) -> np.ndarray:
    """R^2 of the outcome on every subset of drivers, from a correlation matrix.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1) or (B, p + 1, p + 1)
        Correlation matrix (or a stack of them) with the outcome last.

    Returns
    -------
    ndarray, shape (2 ** p,) or (B, 2 ** p)
        ``r2[mask]`` is the R^2 of the regression on the drivers whose bits are
        set in ``mask`` (bit j = driver j); ``r2[0] = 0``.

    Notes
    -----
    For standardised variables, sweeping driver j out of the residual matrix
    A_S of a subset S (Goodnight 1979, *A tutorial on the SWEEP operator*,
    Am. Stat. 33) gives A_{S+j} = A_S - a_j a_j' / a_jj, and the outcome's
    residual variance is 1 - R^2. Drivers are taken in turn; at each step
    every subset so far splits into "without" (drop the driver's row and
    column) and "with" (sweep it), so all 2^p subsets cost one rank-one update
    each, done for a whole level at once. A driver whose residual variance is
    below ``PIVOT_TOL`` (collinear with the subset) adds nothing, as in a
    least-squares fit. When a level would exceed ``MEMORY_BUDGET``, the first
    drivers are swept one pattern at a time and the rest vectorised.
    """
    corr = np.asarray(corr, dtype=float)
    single = corr.ndim == 2
    stack = corr[None] if single else corr
    batch, q = stack.shape[0], stack.shape[-1]
    p = q - 1
    # peak use of the vectorised part is about 4.5 * 2^d doubles per matrix
    d = p
    while d > 0 and batch * 4.5 * (1 << d) > MEMORY_BUDGET:
        d -= 1
    k = p - d
    out = np.empty((batch, 1 << p))
    view = out.reshape(batch, 1 << d, 1 << k)
    for pattern in range(1 << k):
        a = stack.copy()
        for j in range(k):
            if pattern >> j & 1:
                a = _sweep_one(a, j)
        view[:, :, pattern] = _sweep_tree(np.ascontiguousarray(a[:, k:, k:]))
    out[:, 0] = 0.0
    return out[0] if single else out


def subset_sizes(p: int) -> np.ndarray:
    """Number of drivers in each subset mask 0 .. 2^p - 1 (uint8)."""
    size = np.zeros(1, dtype=np.uint8)
    for _ in range(p):
        size = np.concatenate([size, size + 1])
    return size


def _bit_sums(values: np.ndarray, p: int) -> np.ndarray:
    """``out[..., j]`` = sum of ``values[..., mask]`` over the masks with bit j set (2 passes over the data)."""
    out = np.empty(values.shape[:-1] + (p,))
    a = values
    for j in reversed(range(p)):
        a = a.reshape(a.shape[:-1] + (2, -1))
        out[..., j] = a[..., 1, :].sum(axis=-1)
        a = a[..., 0, :] + a[..., 1, :]
    return out


def shapley_from_subsets(r2: np.ndarray) -> np.ndarray:
    """Each driver's Shapley value (LMG) of a fit measure given for all subsets.

    Parameters
    ----------
    r2 : ndarray, shape (2 ** p,) or (B, 2 ** p)
        The fit (R^2 or a pseudo-R^2) of every subset, indexed by bit mask.

    Notes
    -----
    LMG (Lindeman, Merenda & Gold 1980; Groemping 2006, J. Stat. Softw. 17(1)):
    phi_j = sum over S not containing j of c(|S|) (R^2(S + j) - R^2(S)), with
    c(s) = s! (p - s - 1)! / p!. Rewritten as
    phi_j = sum_{T contains j} c(|T| - 1) R^2(T) - sum_{S lacks j} c(|S|) R^2(S),
    every driver's value comes from one weighted copy of the R^2 array and
    its sums over the masks with each bit set. The values sum to the full
    model's fit.
    """
    r2 = np.asarray(r2, dtype=float)
    p = int(round(np.log2(r2.shape[-1])))
    c = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    with_weight = np.concatenate([[0.0], c])       # a(s) = c(s - 1): subsets containing j
    without_weight = np.concatenate([c, [0.0]])    # b(s) = c(s): subsets lacking j
    size = subset_sizes(p)
    weighted_without = r2 * without_weight[size]
    combined = r2 * (with_weight + without_weight)[size]
    return _bit_sums(combined, p) - weighted_without.sum(axis=-1, keepdims=True)


def shapley_r2(corr: np.ndarray) -> np.ndarray:
    """Shapley decomposition (LMG) of R^2 for the drivers in a correlation matrix (outcome last).

    Works on one matrix, shape (p + 1, p + 1), or a stack, shape (B, p + 1, p + 1).
    """
    return shapley_from_subsets(all_subset_r2(corr))


def driver_orderings(p: int, count: int, seed: int) -> np.ndarray:
    """At least ``count`` orderings of ``p`` drivers for :func:`sampled_shapley_r2`, in blocks balanced by position,
    seeded.

    Each block is the p cyclic shifts of one random ordering followed by their reverses (2p orderings): in a
    block every driver stands once in every position, and the drivers before it there are a uniformly random
    set of that size, so each block's mean increment is an unbiased estimate of the Shapley value with the
    variance between positions (the largest part: a driver entering first takes its whole correlation, last
    only its unique part) stratified out (stratified sampling by position: Maleki, Tran-Thanh, Hines, Rahwan
    & Rogers 2013, arXiv:1306.4265; Castro, Gomez, Molina & Tejada 2017, Comput. Oper. Res. 82), and each
    ordering is paired with its reverse (antithetic sampling; Mitchell, Cooper, Frank & Holmes 2022, J. Mach.
    Learn. Res. 23). Measured against plain random orderings at 22 and 25 drivers, 2,048 balanced orderings
    came 2 to 15 times closer to the exact values than 16,384 random ones (``bench/bench_intervals.py``).

    Returns
    -------
    ndarray, shape (2p * ceil(count / 2p), p)
        Block after block.
    """
    rng = np.random.default_rng([seed, p, count])
    blocks = max(1, -(-count // (2 * p)))
    drawn = rng.permuted(np.tile(np.arange(p), (blocks, 1)), axis=1)
    shifts = (np.arange(p)[:, None] + np.arange(p)[None, :]) % p
    shifted = drawn[:, shifts]                                   # (blocks, p shifts, p)
    return np.concatenate([shifted, shifted[:, :, ::-1]], axis=1).reshape(-1, p)


def sampled_shapley_error(corr: np.ndarray, orderings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sampled_shapley_r2` of one correlation matrix with its Monte Carlo standard error per driver.

    ``orderings`` as :func:`driver_orderings` gives them (blocks of 2p, each an unbiased estimate on its own):
    the error is the standard deviation of the blocks' means over sqrt(blocks). Orderings that are not whole
    blocks count one by one.
    """
    corr = np.asarray(corr, dtype=float)
    q = corr.shape[-1]
    good = corr + PIVOT_TOL * np.eye(q)
    increments = np.zeros((len(orderings), q - 1))
    rows = np.arange(len(orderings))[:, None]
    for start in range(0, len(orderings), 256):   # a stack of reordered matrices at a time, factorised together
        chunk = orderings[start:start + 256]
        index = np.column_stack([chunk, np.full(len(chunk), q - 1)])
        factor = _cholesky_or_nan(good[index[:, :, None], index[:, None, :]])
        increments[rows[:len(chunk)] + start, chunk] = factor[:, -1, :-1] ** 2
    size = 2 * (q - 1) if len(orderings) % (2 * (q - 1)) == 0 else 1
    means = increments.reshape(-1, size, q - 1).mean(axis=1)
    return increments.mean(axis=0), means.std(axis=0, ddof=1) / np.sqrt(len(means)) if len(means) > 1 else \
        np.full(q - 1, np.nan)


def sampled_shapley_r2(corr: np.ndarray, orderings: np.ndarray) -> np.ndarray:
    """Shapley decomposition of R^2 averaged over the given orderings of the drivers, not all of them.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1) or (B, p + 1, p + 1)
        Correlation matrix (or a stack) with the outcome last.
    orderings : ndarray, shape (M, p)
        Orderings of the drivers (:func:`driver_orderings`).

    Returns
    -------
    ndarray, shape (p,) or (B, p)
        Each driver's R^2 increment when it enters, averaged over the orderings; they sum to the full R^2.
        A matrix with a missing value (a driver that never varies in a resample) gives NaN.

    Notes
    -----
    The Shapley value is the average of a driver's increment over all p! orderings; averaging over a
    sample of them estimates it (Castro, Gomez & Tejada 2009, Comput. Oper. Res. 36), and drawing them in
    blocks balanced by position, each ordering beside its reverse, lowers the variance
    (:func:`driver_orderings`). For one ordering the increments are the squared entries of the
    outcome's row of the Cholesky factor of the correlations in that order (the squared semipartial
    correlations), so each ordering costs one (p + 1)^3 / 3 factorisation. The same orderings in every
    bootstrap resample make the estimate a fixed smooth function of the correlations, whose resampled
    deviations follow the exact decomposition's (:func:`cxkit.analysis.drivers.bootstrap_importance`).
    """
    corr = np.asarray(corr, dtype=float)
    single = corr.ndim == 2
    stack = corr[None] if single else corr
    q = stack.shape[-1]
    out = np.full((len(stack), q - 1), np.nan)
    ok = np.isfinite(stack).all(axis=(1, 2))
    good = stack[ok] + PIVOT_TOL * np.eye(q)   # a collinear driver adds (next to) nothing rather than failing
    sums = np.zeros((len(good), q - 1))
    for order in orderings:
        index = np.append(order, q - 1)
        factor = _cholesky_or_nan(good[:, index[:, None], index])   # rows and columns reordered in one copy
        sums[:, order] += factor[:, -1, :-1] ** 2
    out[ok] = sums / len(orderings)
    return out[0] if single else out


def _cholesky_or_nan(matrix: np.ndarray) -> np.ndarray:
    """Cholesky factor of a matrix or of a stack of them, together; a matrix that is not positive definite (a
    resample's pairwise correlations, not a correlation matrix) gets NaN, the others their factor."""
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        if matrix.ndim == 2:
            return np.full_like(matrix, np.nan)
        return np.stack([_cholesky_or_nan(m) for m in matrix])


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights of the drivers in a correlation matrix (outcome last).

    Notes
    -----
    Johnson (2000), *A heuristic method for estimating the relative weight of
    predictor variables in multiple regression*, Multivariate Behav. Res. 35(1):
    with R_xx = V diag(e) V', Lambda = V diag(sqrt e) V', beta = Lambda^{-1} r_xy,
    the weight of driver j is sum_k Lambda_jk^2 beta_k^2. They sum to R^2.
    Works on one matrix or a stack.
    """
    corr = np.asarray(corr, dtype=float)
    degenerate = _degenerate(corr)
    if degenerate.any():   # a resample in which a driver never varies has no weights (missing, not a failure)
        out = np.full(corr.shape[:-1][:-1] + (corr.shape[-1] - 1,), np.nan)
        if corr.ndim == 3 and not degenerate.all():
            out[~degenerate] = relative_weights(corr[~degenerate])
        return out
    rxx, rxy = corr[..., :-1, :-1], corr[..., :-1, -1]
    lam = _root(rxx)
    beta = np.einsum("...ij,...j->...i", np.linalg.pinv(lam, hermitian=True), rxy)
    return np.einsum("...jk,...k->...j", lam ** 2, beta ** 2)


def _degenerate(matrices: np.ndarray) -> np.ndarray:
    """Which matrices of a stack (or the one matrix) hold a missing value: a correlation with a driver that never
    varies in a bootstrap resample."""
    return ~np.isfinite(matrices).all(axis=(-2, -1))


def _root(rxx: np.ndarray) -> np.ndarray:
    evals, evecs = np.linalg.eigh(rxx)
    return (evecs * np.sqrt(np.clip(evals, 0, None))[..., None, :]) @ np.swapaxes(evecs, -1, -2)


def standardised_betas(corr: np.ndarray) -> np.ndarray:
    """Standardised regression coefficients of the full model (least squares where collinear)."""
    return np.linalg.lstsq(corr[:-1, :-1], corr[:-1, -1], rcond=None)[0]


def collinearity(rxx: np.ndarray) -> tuple[np.ndarray, float]:
    """Variance inflation factors and the condition number of a driver correlation matrix.

    Notes
    -----
    VIF_j = 1 / (1 - R^2_j), the diagonal of R_xx^{-1} (Marquardt 1970); the
    condition number is sqrt(largest / smallest eigenvalue) of R_xx (Belsley,
    Kuh & Welsch 1980, who read above 30 as strong collinearity). Infinite
    where a driver is an exact combination of others.
    """
    evals = np.linalg.eigvalsh(rxx)
    condition = float(np.sqrt(evals[-1] / evals[0])) if evals[0] > 1e-12 else float("inf")
    vif = np.empty(len(rxx))
    for j in range(len(rxx)):
        others = [k for k in range(len(rxx)) if k != j]
        beta = np.linalg.lstsq(rxx[np.ix_(others, others)], rxx[others, j], rcond=None)[0]
        explained = float(rxx[others, j] @ beta)
        vif[j] = 1.0 / (1.0 - explained) if explained < 1 - 1e-12 else np.inf
    return vif, condition


# ------------------------------------------------------------------ yes/no outcomes

def _standardise(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mean = w @ x / w.sum()
    sd = np.sqrt(w @ (x - mean) ** 2 / w.sum())
    return (x - mean) / sd


def logistic(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2.

    The same values as scipy's ``expit`` to within 2.3e-16, absolute (``tests/analysis/test_importance.py``: far
    below zero it gives 0 where ``expit`` gives less than 1e-16), without overflow at any x, and in about a third
    of its time on the large arrays of a bootstrap's Newton steps. ``out`` may be ``x`` itself (in place).
    """
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    return np.add(out, 0.5, out=out)


def logistic_fit(design: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, max_iter: int = 100,
                 tol: float = 1e-10, start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regressions, fitted together by Newton-Raphson (IRLS).

    Parameters
    ----------
    design : ndarray, shape (m, n, k)
        m design matrices (include a column of ones for the intercept).
    y : ndarray, shape (n,)
        0/1 outcome.
    w : ndarray, shape (n,) or (m, n), optional
        Respondent weights (frequency weights), shared or one vector per design.
    start : ndarray, shape (k,) or (m, k), optional
        Where Newton-Raphson starts (a nearby solution saves iterations; the
        answer is the same); the intercept-only fit by default.

    Returns
    -------
    beta : ndarray, shape (m, k)
    loglik : ndarray, shape (m,)

    Raises
    ------
    ImportanceError
        When a fit does not converge, which in practice means the outcome is
        perfectly separated by the drivers (every "yes" rates higher than every
        "no"): the likelihood has no maximum.

    Notes
    -----
    Newton-Raphson on the log-likelihood, the method of R's ``glm`` and
    statsmodels' ``Logit`` (McCullagh & Nelder 1989, section 4.4); it stops
    when no coefficient moves more than ``tol``.
    """
    m, n, k = design.shape
    w = np.ones(n) if w is None else w
    mean_y = (w @ y) / w.sum(axis=-1)
    beta = np.zeros((m, k))
    beta[:, 0] = np.log(mean_y / (1 - mean_y))
    if start is not None:
        beta = np.broadcast_to(start, (m, k)).astype(float)
    transposed = np.swapaxes(design, 1, 2)
    for _ in range(max_iter):
        eta = (design @ beta[:, :, None])[:, :, 0]
        mu = logistic(eta)
        grad = (transposed @ (w * (y - mu))[:, :, None])[:, :, 0]
        if m <= 8:   # a few large designs: one two-dimensional BLAS product each (3x the batched one)
            v = w * mu * (1 - mu)
            hess = np.stack([(design[i] * v[i][:, None]).T @ design[i] for i in range(m)])
        else:
            hess = (transposed * (w * mu * (1 - mu))[:, None, :]) @ design   # batched BLAS products, not einsum
        try:
            step = np.linalg.solve(hess, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.full_like(beta, np.inf)
        if not np.isfinite(step).all():
            break
        beta = beta + step
        if np.abs(step).max() < tol:
            eta = (design @ beta[:, :, None])[:, :, 0]
            loglik = (w * (y * eta - np.logaddexp(0.0, eta))).sum(axis=1)
            return beta, loglik
    raise ImportanceError("the logistic model did not converge: the drivers separate the yes/no outcome perfectly "
                          "(or nearly), so its odds cannot be estimated")


def _null_loglik(y: np.ndarray, w: np.ndarray) -> float:
    p = float(w @ y / w.sum())
    return float(w.sum() * (p * np.log(p) + (1 - p) * np.log(1 - p)))


def all_subset_mcfadden(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None,
                        budget: int = 1 << 22) -> np.ndarray:
    """McFadden's pseudo-R^2 of a logistic regression on every subset of drivers.

    Parameters
    ----------
    x : ndarray, shape (n, p)
        Drivers, complete (no missing values).
    y : ndarray, shape (n,)
        0/1 outcome.
    w : ndarray, shape (n,), optional
        Respondent weights.

    Returns
    -------
    ndarray, shape (2 ** p,)
        Indexed by bit mask as :func:`all_subset_r2`.

    Notes
    -----
    McFadden (1974): R^2 = 1 - LL(model) / LL(intercept only). Subsets of one
    size are fitted together (:func:`logistic_fit`) in blocks of about
    ``budget`` design cells.
    """
    import itertools

    n, p = x.shape
    w = np.ones(n) if w is None else w
    z = _standardise(x, w)   # the fit is invariant to scaling; standardising keeps Newton well conditioned
    null = _null_loglik(y, w)
    out = np.zeros(1 << p)
    for k in range(1, p + 1):
        combos = np.array(list(itertools.combinations(range(p), k)), dtype=np.intp)
        per_block = max(1, budget // (n * (k + 1)))
        for start in range(0, len(combos), per_block):
            block = combos[start:start + per_block]
            design = np.ones((len(block), n, k + 1))
            design[:, :, 1:] = np.moveaxis(z[:, block], 1, 0)
            _, loglik = logistic_fit(design, y, w)
            out[(1 << block).sum(axis=1)] = 1.0 - loglik / null
    return out


def logistic_relative_weights(x: np.ndarray, y: np.ndarray,
                              w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | float]:
    """Relative weights of drivers of a yes/no outcome (logistic regression).

    Parameters
    ----------
    x : ndarray, shape (n, p)
        Drivers, complete.
    y : ndarray, shape (n,)
        0/1 outcome.
    w : ndarray, shape (n,) or (B, n), optional
        Respondent weights, or a stack of them (bootstrap resamples), fitted together.

    Returns
    -------
    (weights, r2) : each driver's weight, shape (p,) or (B, p), and the pseudo-R^2 they sum to. In a stack,
    a resample in which a driver never varies, or whose model does not converge (the drivers separate the
    outcome in it), has NaN weights; for one weight vector either is an :class:`ImportanceError`.

    Notes
    -----
    Tonidandel & LeBreton (2010), *Determining the relative importance of
    predictors in logistic regression: an extension of relative weight
    analysis*, Organ. Res. Methods 13(4), as in R's ``rwa::rwa_logit``: the
    standardised drivers X are replaced by their closest orthonormal
    counterparts Z = X R^{-1/2}; the logistic regression of the outcome on Z
    gives b; standardised coefficients beta = b * R_O / sd(logit p-hat), where
    R_O^2 is the squared correlation between the outcome and the fitted
    probability (Menard 2000); the weight of driver j is sum_k Lambda_jk^2
    beta_k^2 with Lambda = R^{1/2}. The weights sum to R_O^2, the stated pseudo-R^2.

    Z is an invertible linear map of the drivers, and a logistic regression
    with an intercept is equivariant under such maps: the fit on Z has the
    same fitted values as the fit on X, and b = Lambda (sd(X) * b_X). So every
    resample is fitted on the one design [1, X] (:func:`_logistic_fit_shared`,
    whose Newton steps are single matrix products over all resamples) and
    mapped to b after.
    """
    n, p = x.shape
    single = w is None or np.ndim(w) == 1
    w = np.atleast_2d(np.ones(n) if w is None else w).astype(float)
    total = w.sum(axis=1)
    xc = x - x.mean(axis=0)        # centred once: the sums of products lose no precision
    design = np.column_stack([np.ones(n), xc])
    upper = np.triu_indices(p + 1)
    # each respondent's cross-products (upper triangle) serve every weight vector in one product; too many
    # respondents for that (a full sample of a million): one two-dimensional product per weight vector
    products = (design[:, upper[0]] * design[:, upper[1]] if n * len(upper[0]) <= _PRODUCTS_BUDGET else None)
    moments = _weighted_gram(design, products, upper, w) / total[:, None, None]   # E_w[(1, x)(1, x)']
    mean = moments[:, 0, 1:]
    cov = moments[:, 1:, 1:] - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    degenerate = ~(sd > 1e-12 * (1 + np.abs(xc).max(axis=0))).all(axis=1)
    if degenerate.any() and (single or degenerate.all()):
        raise ImportanceError("a driver never varies among the customers in the model")
    weights, fit = np.full((len(w), p), np.nan), np.full(len(w), np.nan)
    ok = ~degenerate
    beta, converged = _logistic_fit_shared(design, products, upper, y, w[ok])
    if single and not converged.all():
        raise ImportanceError("the logistic model did not converge: the drivers separate the yes/no outcome "
                              "perfectly (or nearly), so its odds cannot be estimated")
    rows = np.flatnonzero(ok)[converged]
    beta, wk, sdk = beta[converged], w[rows], sd[rows]
    rxx = cov[rows] / (sdk[:, :, None] * sdk[:, None, :])
    lam = _root(rxx)
    eta = beta @ design.T
    r_o = _weighted_corr(logistic(eta), y[None], wk)
    eta_centred = eta - (wk * eta).sum(axis=1, keepdims=True) / total[rows, None]
    sd_eta = np.sqrt((wk * eta_centred ** 2).sum(axis=1) / total[rows])
    b = np.einsum("bjk,bk->bj", lam, sdk * beta[:, 1:])          # the coefficients on Z
    std_beta = b * (r_o / sd_eta)[:, None]
    weights[rows] = np.einsum("bjk,bk->bj", lam ** 2, std_beta ** 2)
    fit[rows] = r_o ** 2
    return (weights[0], float(fit[0])) if single else (weights, fit)


def _weighted_gram(design: np.ndarray, products: np.ndarray | None, upper, weights: np.ndarray) -> np.ndarray:
    """(B, k, k): design' diag(w_b) design for each row w_b of ``weights``."""
    if products is not None:
        return _symmetric(weights @ products, design.shape[1], upper)
    return np.stack([(design * wb[:, None]).T @ design for wb in weights])


def _symmetric(flat: np.ndarray, k: int, upper: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(B, k, k) symmetric matrices from their upper triangles, shape (B, k(k+1)/2)."""
    out = np.empty((len(flat), k, k))
    out[:, upper[0], upper[1]] = flat
    out[:, upper[1], upper[0]] = flat
    return out


def _logistic_fit_shared(design: np.ndarray, products: np.ndarray, upper, y: np.ndarray, w: np.ndarray,
                         max_iter: int = 100, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regressions of ``y`` on one design under many weight vectors, by Newton-Raphson together.

    ``products`` holds each row's design cross-products (upper triangle), so every Hessian of the stack is one
    matrix product (None: one product per fit, for designs too long to hold them). Returns the coefficients (B, k) and which fits converged (the others separate the outcome).
    The same iterations as :func:`logistic_fit`; each fit stops when no coefficient moves more than ``tol``.
    """
    k = design.shape[1]
    beta = np.zeros((len(w), k))
    mean_y = (w @ y) / w.sum(axis=1)
    with np.errstate(divide="ignore"):
        beta[:, 0] = np.log(mean_y / (1 - mean_y))
    if len(w) > 1:   # resamples: start from the first one's solution, which lies close to them all
        first, ok = _logistic_fit_shared(design, products, upper, y, w[:1], max_iter, tol)
        if ok[0]:
            beta[:] = first[0]
    active = np.isfinite(beta).all(axis=1)
    converged = np.zeros(len(w), dtype=bool)
    linear, scratch = np.empty((len(w), len(y))), np.empty((len(w), len(y)))
    for _ in range(max_iter):
        if not active.any():
            break
        rows = np.flatnonzero(active)
        wa = w if len(rows) == len(w) else w[rows]
        # the (fits x respondents) arrays are written into two buffers: fresh ones would cost page faults each time
        mu = logistic(np.matmul(beta[rows], design.T, out=linear[:len(rows)]), out=linear[:len(rows)])
        part = scratch[:len(rows)]
        grad = np.multiply(np.subtract(y, mu, out=part), wa, out=part) @ design
        np.subtract(mu, np.multiply(mu, mu, out=part), out=part)   # mu (1 - mu)
        hess = _weighted_gram(design, products, upper, np.multiply(part, wa, out=part))
        with np.errstate(invalid="ignore", over="ignore"):
            try:
                step = np.linalg.solve(hess, grad[..., None])[..., 0]
            except np.linalg.LinAlgError:   # a singular Hessian in the stack: solve one by one, that one fails
                step = np.stack([_solve_or_inf(h, g) for h, g in zip(hess, grad)])
        finite = np.isfinite(step).all(axis=1)
        beta[rows[finite]] += step[finite]
        done = finite & (np.abs(np.where(np.isfinite(step), step, 0)).max(axis=1) < tol)
        converged[rows[done]] = True
        active[rows[done | ~finite]] = False
    return beta, converged


def _solve_or_inf(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        return np.full_like(vector, np.inf)


def _weighted_corr(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted correlation of the rows of ``a`` and ``b`` (broadcast), one per row of ``w``."""
    total = w.sum(axis=1, keepdims=True)
    da = a - (w * a).sum(axis=1, keepdims=True) / total
    db = b - (w * b).sum(axis=1, keepdims=True) / total
    return (w * da * db).sum(axis=1) / np.sqrt((w * da ** 2).sum(axis=1) * (w * db ** 2).sum(axis=1))
