"""Small, tested estimators shared by the analysis modules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

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
    return Estimate(float(p), float(max(0.0, centre - half)), float(min(1.0, centre + half)), int(n))


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


def net_promoter_score(ratings, level: float = 0.95) -> NPS:
    """NPS from 0-10 likelihood-to-recommend ratings, with a 95% interval.

    Notes
    -----
    Promoters answer 9-10, passives 7-8, detractors 0-6 (Reichheld 2003,
    *The one number you need to grow*, HBR). NPS = 100 (p - d). Its variance
    is that of a difference of two multinomial proportions,
    Var = (p + d - (p - d)^2) / n, and the interval is NPS +/- z * 100 * sqrt(Var)
    (e.g. Rocks 2016, *Confidence intervals for the Net Promoter Score*).
    """
    x = np.asarray(ratings, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return NPS(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0)
    p = float(np.mean(x >= 9))
    d = float(np.mean(x <= 6))
    score = 100 * (p - d)
    z = float(stats.norm.ppf((1 + level) / 2))
    half = z * 100 * np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return NPS(score, score - half, score + half, p, 1 - p - d, d, n)


def responses_needed_proportion(p0: float, p1: float, alpha: float = 0.05, power: float = 0.80) -> int:
    """Responses per period to detect a change from proportion p0 to p1 between two periods.

    Notes
    -----
    Two-sided two-sample test of proportions with equal groups, normal
    approximation without continuity correction (Fleiss, Levin & Paik 2003,
    *Statistical Methods for Rates and Proportions*, eq. 4.14):
    n = (z_{1-a/2} sqrt(2 pbar qbar) + z_{power} sqrt(p0 q0 + p1 q1))^2 / (p1 - p0)^2.
    """
    if p0 == p1:
        return np.iinfo(np.int64).max
    za = stats.norm.ppf(1 - alpha / 2)
    zb = stats.norm.ppf(power)
    pbar = (p0 + p1) / 2
    n = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2
    return int(np.ceil(n))
