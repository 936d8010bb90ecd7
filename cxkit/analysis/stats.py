"""Small, tested estimators shared by the analysis modules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

ROW_BLOCK = 65_536   # rows taken at a time by row-wise sums: memory stays bounded at a million customers


def row_blocks(n: int):
    """Slices covering ``range(n)``, :data:`ROW_BLOCK` rows at a time."""
    return (slice(start, min(start + ROW_BLOCK, n)) for start in range(0, n, ROW_BLOCK))

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval and base."""

    value: float
    low: float
    high: float
    n: int


def mean_ci(values, level: float = 0.95) -> Estimate:
    """Mean with a t-based confidence interval.

    Notes
    -----
    Interval: mean +/- t_{n-1, (1+level)/2} * s / sqrt(n), the textbook
    interval for a mean (e.g. Agresti & Franklin, *Statistics*, ch. 8).
    Missing values are ignored. With fewer than two values the interval is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Estimate(mean, np.nan, np.nan, n)
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Estimate(mean, mean - half, mean + half, n)


def wilson_ci(successes: float, n: float, level: float = 0.95) -> Estimate:
    """A proportion with its Wilson score interval.

    Notes
    -----
    Wilson (1927), *Probable inference, the law of succession, and statistical
    inference*, JASA 22: the interval recommended by Brown, Cai & DasGupta
    (2001) over the Wald interval, well behaved near 0 and 1 and for small n.
    """
    if n <= 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    z = float(stats.norm.ppf((1 + level) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # the interval holds p; at 0 and 1 rounding could put a bound a hair on the wrong side
    return Estimate(float(p), float(min(p, max(0.0, centre - half))), float(max(p, min(1.0, centre + half))), int(n))


@dataclass(frozen=True)
class NPS:
    """Net Promoter Score (in points, -100..100) with its interval and the three shares."""

    nps: float
    low: float
    high: float
    promoters: float
    passives: float
    detractors: float
    n: int


def kish_n(weights) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2 (Kish 1965, *Survey Sampling*); n when all weights are equal."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    return float(total * total / (w * w).sum()) if total > 0 else 0.0


def weighted_share(hit, weights=None, level: float = 0.95) -> Estimate:
    """A (weighted) proportion with a Wilson interval on Kish's effective sample size.

    ``hit`` is True/False per respondent, missing where the respondent did not answer.
    With no weights (or equal weights) this is exactly :func:`wilson_ci` on the counts.
    """
    h = pd.Series(hit, dtype="boolean") if not isinstance(hit, pd.Series) else hit.astype("boolean")
    answered = h.notna().to_numpy()
    if weights is None:
        return wilson_ci(float(h[answered].sum()), int(answered.sum()), level)
    w = np.asarray(weights, dtype=float)[answered]
    if w.sum() <= 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    p = float((w * h[answered].to_numpy(dtype=float)).sum() / w.sum())
    n_eff = kish_n(w)
    est = wilson_ci(p * n_eff, n_eff, level)
    return Estimate(p, est.low, est.high, int(answered.sum()))


def weighted_mean_ci(values, weights=None, level: float = 0.95) -> Estimate:
    """A (weighted) mean with a t interval on Kish's effective sample size.

    Notes
    -----
    Mean = sum(w x) / sum(w); variance = sum(w (x - mean)^2) / sum(w) * n_eff / (n_eff - 1);
    interval mean +/- t_{n_eff - 1} sqrt(variance / n_eff) (Kish 1965). With equal
    weights this is exactly :func:`mean_ci`.
    """
    if weights is None:
        return mean_ci(values, level)
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(x) & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    mean = float((w * x).sum() / w.sum())
    n_eff = kish_n(w)
    if x.size < 2 or n_eff <= 1:
        return Estimate(mean, np.nan, np.nan, int(x.size))
    var = float((w * (x - mean) ** 2).sum() / w.sum() * n_eff / (n_eff - 1))
    half = float(stats.t.ppf((1 + level) / 2, n_eff - 1) * np.sqrt(var / n_eff))
    return Estimate(mean, mean - half, mean + half, int(x.size))


def net_promoter_score(ratings, level: float = 0.95, weights=None) -> NPS:
    """NPS from 0-10 likelihood-to-recommend ratings, with a 95% interval.

    Notes
    -----
    Promoters answer 9-10, passives 7-8, detractors 0-6 (Reichheld 2003,
    *The one number you need to grow*, HBR). NPS = 100 (p - d). Its variance
    is that of a difference of two multinomial proportions,
    Var = (p + d - (p - d)^2) / n, and the interval is NPS +/- z * 100 * sqrt(Var)
    (e.g. Rocks 2016, *Confidence intervals for the Net Promoter Score*). With
    weights, p and d are weighted shares and n is Kish's effective sample size.
    """
    x = np.asarray(ratings, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = ~np.isnan(x) & (w > 0)
    x, w = x[keep], w[keep]
    n = x.size
    if n == 0:
        return NPS(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0)
    p = float((w * (x >= 9)).sum() / w.sum())
    d = float((w * (x <= 6)).sum() / w.sum())
    score = 100 * (p - d)
    z = float(stats.norm.ppf((1 + level) / 2))
    half = z * 100 * np.sqrt(max(p + d - (p - d) ** 2, 0.0) / kish_n(w))
    return NPS(score, score - half, score + half, p, 1 - p - d, d, n)


def responses_needed_proportion(p0: float, p1: float, alpha: float = 0.05, power: float = 0.80) -> int | None:
    """Responses per period to detect a change from proportion p0 to p1 between two periods; ``None`` when the
    two are equal (a metric already at its ceiling has no change to detect, not an infinite need).

    Notes
    -----
    Two-sided two-sample test of proportions with equal groups, normal
    approximation without continuity correction (Fleiss, Levin & Paik 2003,
    *Statistical Methods for Rates and Proportions*, eq. 4.14):
    n = (z_{1-a/2} sqrt(2 pbar qbar) + z_{power} sqrt(p0 q0 + p1 q1))^2 / (p1 - p0)^2.
    """
    if p0 == p1:
        return None
    za = stats.norm.ppf(1 - alpha / 2)
    zb = stats.norm.ppf(power)
    pbar = (p0 + p1) / 2
    n = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2
    return int(np.ceil(n))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons.

    Notes
    -----
    Holm (1979), *A simple sequentially rejective multiple test procedure*,
    Scand. J. Statist. 6: sort p ascending, p_(i) * (m - i + 1), running
    maximum, capped at 1. Missing p-values stay missing and do not count in m.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    adjusted = np.maximum.accumulate(p[ok][order] * (m - np.arange(m)))
    values = np.empty(m)
    values[order] = np.minimum(adjusted, 1.0)
    out[ok] = values
    return out


@dataclass(frozen=True)
class Reliability:
    """Cronbach's alpha of a set of items, and each item's item-rest correlation and alpha if deleted."""

    alpha: float
    n: int
    item_rest: dict
    alpha_if_deleted: dict


def cronbach_alpha(items) -> float:
    """Cronbach's alpha of the columns of a complete (no missing) respondents x items array.

    Notes
    -----
    Cronbach (1951), Psychometrika 16: alpha = k / (k - 1) * (1 - sum of item
    variances / variance of the total score), variances with ddof = 1.
    """
    x = np.asarray(items, dtype=float)
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return np.nan
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:
        return np.nan
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


def reliability(frame) -> Reliability:
    """Alpha, item-rest correlations and alpha-if-deleted for a frame of item columns (listwise complete cases)."""
    complete = frame.dropna()
    x = complete.to_numpy(dtype=float)
    alpha = cronbach_alpha(x)
    rest, deleted = {}, {}
    for j, column in enumerate(frame.columns):
        others = np.delete(x, j, axis=1)
        rest_total = others.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rest[column] = float(np.corrcoef(x[:, j], rest_total)[0, 1]) if len(x) > 2 else np.nan
        deleted[column] = cronbach_alpha(others) if others.shape[1] >= 2 else np.nan
    return Reliability(alpha, len(complete), rest, deleted)


@dataclass(frozen=True)
class Between:
    """How much of the variance in a score lies between groups (one-way ANOVA)."""

    icc1: float
    eta_squared: float
    f: float
    p: float
    groups: int
    n: int


def between_groups(values, groups) -> Between:
    """ICC(1) and eta squared of a score across groups, from a one-way ANOVA.

    Notes
    -----
    eta^2 = SS_between / SS_total. ICC(1) = (MS_B - MS_W) / (MS_B + (k0 - 1) MS_W)
    with k0 = (N - sum n_g^2 / N) / (G - 1) for unequal groups (Shrout & Fleiss
    1979, Psychol. Bull. 86; Bliese 2000 for the group-size adjustment). ICC(1)
    can be negative when groups differ less than chance; it is reported as is.
    """
    y = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    keep = ~np.isnan(y) & ~pd.isna(g)
    y, g = y[keep], g[keep].astype(str)
    labels, codes = np.unique(g, return_inverse=True)
    n, k = len(y), len(labels)
    if k < 2 or n <= k:
        return Between(np.nan, np.nan, np.nan, np.nan, k, n)
    sizes = np.bincount(codes)
    means = np.bincount(codes, weights=y) / sizes
    grand = y.mean()
    ss_between = float((sizes * (means - grand) ** 2).sum())
    ss_total = float(((y - grand) ** 2).sum())
    ms_between = ss_between / (k - 1)
    ms_within = (ss_total - ss_between) / (n - k)
    k0 = (n - (sizes ** 2).sum() / n) / (k - 1)
    icc1 = (ms_between - ms_within) / (ms_between + (k0 - 1) * ms_within) if ms_between + ms_within > 0 else np.nan
    f = ms_between / ms_within if ms_within > 0 else np.nan
    p = float(stats.f.sf(f, k - 1, n - k)) if np.isfinite(f) else np.nan
    return Between(float(icc1), ss_between / ss_total if ss_total > 0 else np.nan, float(f), p, k, n)


def rank_biserial(a, b) -> tuple[float, float]:
    """Mann-Whitney test of a against b, with the rank-biserial correlation as effect size.

    Returns
    -------
    (r, p)
        r in [-1, 1]: the probability that a value from ``a`` exceeds one from
        ``b`` minus the reverse (ties count half each way); p two-sided.

    Notes
    -----
    Mann & Whitney (1947); r = 2 U_a / (n_a n_b) - 1 (Kerby 2014, *The simple
    difference formula*, Compr. Psychol. 3), suited to ordinal ratings.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return np.nan, np.nan
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return float(2 * result.statistic / (len(a) * len(b)) - 1), float(result.pvalue)


def kruskal_epsilon(groups: list) -> tuple[float, float]:
    """Kruskal-Wallis test across groups, with epsilon squared (H / (n - 1)) as effect size.

    Notes
    -----
    Kruskal & Wallis (1952); epsilon^2_R = H / ((n^2 - 1) / (n + 1)) (Tomczak &
    Tomczak 2014, Trends Sport Sci. 21). Returns (epsilon2, p); NaN with fewer than two groups.
    """
    clean = [np.asarray(g, dtype=float)[~np.isnan(np.asarray(g, dtype=float))] for g in groups]
    clean = [g for g in clean if len(g)]
    if len(clean) < 2:
        return np.nan, np.nan
    n = sum(len(g) for g in clean)
    if len(np.unique(np.concatenate(clean))) < 2:
        return 0.0, 1.0
    h, p = stats.kruskal(*clean)
    return float(h / (n - 1)), float(p)


def clustered_share(hits: np.ndarray, answered: np.ndarray, level: float = 0.95) -> Estimate:
    """A share of answers pooled over people who each gave several, with an interval at the level of the people.

    Parameters
    ----------
    hits, answered : array
        Per person: the answers that hit (e.g. favourable) and the answers given.

    Notes
    -----
    The pooled share p = sum(hits) / sum(answered) is a ratio estimator; its
    standard error treats each person as the independent unit (Cochran 1977,
    *Sampling Techniques*, 6.13): se = sqrt(sum((h_i - p m_i)^2) / (n (n - 1))) / mean(m),
    the same as the HC1 robust error of an intercept-only regression of each
    person's share weighted by their answers. A normal interval, clipped to
    0-1; ``n`` counts the people with at least one answer. Answers counted as
    independent would make the interval too narrow.
    """
    h = np.asarray(hits, dtype=float)
    m = np.asarray(answered, dtype=float)
    keep = m > 0
    h, m = h[keep], m[keep]
    n = int(keep.sum())
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    p = float(h.sum() / m.sum())
    if n < 2:
        return Estimate(p, np.nan, np.nan, n)
    se = float(np.sqrt(((h - p * m) ** 2).sum() / (n * (n - 1))) / m.mean())
    z = float(stats.norm.ppf((1 + level) / 2))
    return Estimate(p, max(0.0, p - z * se), min(1.0, p + z * se), n)
