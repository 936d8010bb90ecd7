"""Customers: how they feel (loyalty mix, NPS, expectations, consistency) and who
they are (attitudinal segments, their profiles and the value at stake).
DOMAIN.md section 2.

Functions take the cleaned feedback (``data.load_feedback``) and the engagement.
Where the engagement maps a respondent ``weight`` column, every estimate is
weighted and intervals use Kish's effective sample size; with no weights (or
equal weights) the answers are the unweighted ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from ..errors import NotEnoughData
from ..inputs.config import Engagement
from .stats import (holm, kish_n, kruskal_epsilon, net_promoter_score, row_blocks, weighted_mean_ci,
                    weighted_share)
from ..results.headlines import CustomerHeadlines
from ..results.text import in_text

BANDS = [("truly_impressed", "Truly impressed"), ("satisfied", "Satisfied"), ("indifferent", "Indifferent"),
         ("unhappy", "Unhappy")]
FIT_SAMPLE = 50_000            # respondents; above this k-means is fitted on a seeded sample this size
SILHOUETTE_SAMPLE = 4_000      # silhouette is O(n^2): scored on a seeded sample
STABILITY_RESAMPLES = 20       # bootstrap fits for the stability check
STABILITY_SAMPLE = 4_000       # respondents per stability resample
NULL_RESAMPLES = 10            # k-means fits on ratings with their structure destroyed, for the reference silhouette
NULL_SAMPLE = 2_000            # respondents in each of those fits
# spread (SD) up to each bound, in points of a 1-5 scale: other scales scale them by their range over 4
CONSISTENCY_BANDS = ((0.5, "consistent"), (1.0, "mixed"), (np.inf, "inconsistent"))


def good_and_poor(scale) -> tuple[float, float]:
    """The lowest good and highest poor rating of a scale of any length: its top and bottom two-fifths of points
    (4-5 and 1-2 on 1-5, 5-7 and 1-3 on 1-7, 7-10 and 0-3 on 0-10)."""
    points = scale.max - scale.min + 1
    width = max(1, round(0.4 * points))
    return scale.max - width + 1, scale.min + width - 1


def respondent_weights(fb: pd.DataFrame, eng: Engagement) -> np.ndarray | None:
    """The respondents' weights, or None when the engagement maps no weight column."""
    column = eng.feedback.weight
    return None if not column else fb[column].to_numpy(dtype=float)


def _answered(values: pd.Series, hit: pd.Series) -> pd.Series:
    """A True/False series that is missing where the respondent did not answer."""
    return hit.astype("boolean").where(values.notna())


def _sub(weights, mask):
    return None if weights is None else weights[np.asarray(mask, dtype=bool)]


def loyalty_band(ratings: pd.Series, eng: Engagement) -> pd.Series:
    """Each respondent's loyalty band on the main outcome (truly impressed / satisfied / indifferent / unhappy).

    Cut-offs come from the engagement's ``loyalty_bands`` for the outcome's scale
    range (the lowest rating of each band); below ``indifferent`` is unhappy.
    """
    outcome = eng.feedback.main_outcome
    if outcome is None:
        raise NotEnoughData("loyalty bands need a rating outcome (satisfaction or likelihood to recommend); this "
                            "engagement's only outcome is yes/no")
    cuts = eng.loyalty_bands[eng.scales[outcome.scale].range_key]
    band = pd.Series(pd.NA, index=ratings.index, dtype=object)
    answered = ratings.notna()
    band[answered] = "unhappy"
    band[answered & (ratings >= cuts["indifferent"])] = "indifferent"
    band[answered & (ratings >= cuts["satisfied"])] = "satisfied"
    band[answered & (ratings >= cuts["truly_impressed"])] = "truly_impressed"
    return band


def _impressed(fb: pd.DataFrame, eng: Engagement) -> pd.Series:
    """Whether each customer is truly impressed (missing for all without a rating outcome)."""
    if eng.feedback.main_outcome is None:
        return pd.Series(np.nan, index=fb.index)
    band = loyalty_band(fb[eng.feedback.main_outcome.column], eng)
    return (band == "truly_impressed").where(band.notna())


def _band_shares(bands: pd.Series, weights) -> dict:
    answered = bands.notna()
    return {key: weighted_share(_answered(bands.where(answered), bands == key), weights) for key, _ in BANDS}


def loyalty_mix(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Share of customers in each loyalty band on the main outcome, with Wilson 95% intervals.

    Notes
    -----
    Bands after DOMAIN.md section 2: truly impressed (top box), satisfied,
    indifferent (middle), unhappy (bottom); intervals by Wilson's score method
    (on Kish's effective n when weighted). ``count`` is unweighted.
    """
    band = loyalty_band(fb[eng.outcome.column], eng)
    outcome = eng.feedback.main_outcome
    weights = respondent_weights(fb, eng)
    n = int(band.notna().sum())
    cuts = eng.loyalty_bands[eng.scales[outcome.scale].range_key]
    scale = eng.scales[outcome.scale]
    ranges = {"truly_impressed": (cuts["truly_impressed"], scale.max), "satisfied": (cuts["satisfied"], cuts["truly_impressed"] - 1),
              "indifferent": (cuts["indifferent"], cuts["satisfied"] - 1), "unhappy": (scale.min, cuts["indifferent"] - 1)}
    shares = _band_shares(band, weights)
    n_eff = kish_n(weights[band.notna().to_numpy()]) if weights is not None else float(n)
    rows = []
    for key, label in BANDS:
        low, high = ranges[key]
        est = shares[key]
        rows.append({"band": key, "label": label, "ratings": f"{low:g}-{high:g}" if low != high else f"{low:g}",
                     "count": int((band == key).sum()), "n": n, "n_effective": n_eff, "share": est.value,
                     "ci_low": est.low, "ci_high": est.high})
    return pd.DataFrame(rows)


def nps(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Net Promoter Score with its 95% interval and the promoter / passive / detractor split (one row).

    See :func:`cxkit.analysis.stats.net_promoter_score` for the method.
    """
    if eng.nps_column is None:   # no recommend question, or not on 0-10
        return pd.DataFrame(columns=["nps", "ci_low", "ci_high", "promoters", "passives", "detractors", "n"])
    est = net_promoter_score(fb[eng.nps_column], weights=respondent_weights(fb, eng))
    return pd.DataFrame([{"nps": est.nps, "ci_low": est.low, "ci_high": est.high, "promoters": est.promoters,
                          "passives": est.passives, "detractors": est.detractors, "n": est.n}])


def expectation_gaps(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Perception against expectation per attribute that has an expectation column, largest positive gap first.

    Returns
    -------
    DataFrame
        ``attribute``, ``label``, ``n`` (answered both), ``perception``, ``expectation``,
        ``gap`` (mean of perception - expectation per respondent) with ``ci_low`` / ``ci_high``,
        ``exceeds`` (share rating perception above expectation) with ``exceeds_low`` / ``exceeds_high``,
        ``meets`` and ``below`` shares.

    Notes
    -----
    Delight happens where perception exceeds expectation (DOMAIN.md section 2).
    The gap is a paired difference: a t interval on the per-respondent
    differences; shares with Wilson intervals.
    """
    weights = respondent_weights(fb, eng)
    rows = []
    for a in eng.feedback.attributes:
        if not a.expectation:
            continue
        both = fb[a.column].notna() & fb[a.expectation].notna()
        diff = (fb[a.column] - fb[a.expectation]).where(both)
        gap = weighted_mean_ci(diff, weights)
        exceeds = weighted_share(_answered(diff, diff > 0), weights)
        meets = weighted_share(_answered(diff, diff == 0), weights)
        rows.append({"attribute": a.column, "label": a.label, "n": int(both.sum()),
                     "perception": weighted_mean_ci(fb[a.column].where(both), weights).value,
                     "expectation": weighted_mean_ci(fb[a.expectation].where(both), weights).value,
                     "gap": gap.value, "ci_low": gap.low, "ci_high": gap.high, "exceeds": exceeds.value,
                     "exceeds_low": exceeds.low, "exceeds_high": exceeds.high, "meets": meets.value,
                     "below": 1 - exceeds.value - meets.value})
    columns = ["attribute", "label", "n", "perception", "expectation", "gap", "ci_low", "ci_high", "exceeds",
               "exceeds_low", "exceeds_high", "meets", "below"]
    return pd.DataFrame(rows, columns=columns).sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def consistency(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """How consistent each customer's experience is across touchpoints, and what it does to the outcome.

    Returns
    -------
    DataFrame
        One row per group (a code; labels in :data:`cxkit.results.catalogue.CONSISTENCY`):
        the consistency bands (``consistent``, spread up to 0.5; ``mixed``, up to 1.0;
        ``inconsistent``, above; on a 1-5 scale, and in proportion to the range on
        others: 1.25 and 2.5 on 0-10), then ``all_good`` (every answered touchpoint
        good: top two-fifths of the scale, :func:`good_and_poor`) and ``one_poor``
        (exactly one poor, bottom two-fifths, every other good). Columns: ``group``,
        ``kind`` (band or pattern), ``rule`` (the group's definition in words), ``n``, ``share`` of customers rated on 3+
        touchpoints, ``outcome`` mean with ``ci_low`` / ``ci_high``, ``truly_impressed`` share.

    Notes
    -----
    Spread: the standard deviation (ddof 0) of a customer's answered ratings,
    over customers who rated at least three touchpoints. A great experience at
    one touchpoint is wasted by a poor one at the next (DOMAIN.md section 3).
    """
    spec = eng.feedback
    scale = eng.scales[spec.scale]
    columns = [a.column for a in spec.attributes]
    good_min, poor_max = good_and_poor(scale)
    answered, spread, good, poor = _spread_and_counts(fb[columns], good_min, poor_max)
    rated = answered >= 3
    spread = spread.where(rated)
    stretch = (scale.max - scale.min) / 4   # a spread of 0.5 on 1-5 is 1.25 on 0-10
    outcome = fb[eng.outcome.column]
    impressed = _impressed(fb, eng)
    weights = respondent_weights(fb, eng)
    groups = []
    lower = -np.inf
    for bound, name in CONSISTENCY_BANDS:
        rule = (f"spread up to {bound * stretch:g}" if lower < 0 else f"spread over {lower:g}" if bound == np.inf
                else f"spread over {lower:g} up to {bound * stretch:g}")
        groups.append((name, "band", rule, rated & (spread > lower) & (spread <= bound * stretch)))
        lower = bound * stretch
    groups.append(("all_good", "pattern", f"every touchpoint rated {good_min:g} or more", rated & (good == answered)))
    groups.append(("one_poor", "pattern", f"one touchpoint rated {poor_max:g} or less, the rest {good_min:g} or more",
                   rated & (poor == 1) & (good == answered - 1)))
    rows = []
    base = float(rated.sum())
    for name, kind, rule, mask in groups:
        mask = mask.fillna(False).to_numpy()
        est = weighted_mean_ci(outcome[mask], _sub(weights, mask))
        share = weighted_share(_answered(outcome[mask], impressed[mask]), _sub(weights, mask))
        rows.append({"group": name, "kind": kind, "rule": rule, "n": int(mask.sum()), "share": mask.sum() / base if base else np.nan,
                     "outcome": est.value, "ci_low": est.low, "ci_high": est.high, "truly_impressed": share.value})
    return pd.DataFrame(rows)


def _spread_and_counts(ratings: pd.DataFrame, good_min: float, poor_max: float):
    """Per customer: touchpoints answered, the standard deviation (ddof 0) of the answered ratings, and the counts
    rated good (at least ``good_min``) and poor (at most ``poor_max``); computed a block of rows at a time."""
    n = len(ratings)
    answered, spread = np.zeros(n, dtype=int), np.full(n, np.nan)
    good, poor = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    for rows in row_blocks(n):
        x = ratings.iloc[rows].to_numpy(dtype=float)
        seen = ~np.isnan(x)
        answered[rows] = seen.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(seen, x, 0.0).sum(axis=1) / answered[rows]
            spread[rows] = np.sqrt(np.where(seen, (x - mean[:, None]) ** 2, 0.0).sum(axis=1) / answered[rows])
        good[rows] = (x >= good_min).sum(axis=1)
        poor[rows] = (x <= poor_max).sum(axis=1)
    index = ratings.index
    return (pd.Series(answered, index=index), pd.Series(spread, index=index), pd.Series(good, index=index),
            pd.Series(poor, index=index))


@dataclass(frozen=True)
class Segmentation:
    """An attitudinal segmentation and how it was chosen.

    Attributes
    ----------
    assignment : Series
        Segment number (1 = largest) per respondent; missing for respondents
        who answered fewer than half of the attributes.
    choice : DataFrame
        Silhouette for each k tried; ``chosen`` marks the k kept.
    k : int
        Segments kept after merging those below the minimum size.
    imputed_share : float
        Share of the ratings used that were missing and filled with the attribute mean.
    excluded : int
        Respondents left unsegmented (fewer than half of the attributes answered).
    merged : int
        Segments merged into their nearest neighbour for being under the minimum size.
    stability : float
        Mean adjusted Rand index between the solution and refits on bootstrap resamples.
    stability_low : float
        Its 5th percentile over the resamples.
    attributes : tuple of str
        The attributes used (those with no answers at all are left out).
    silhouette : float
        The chosen solution's silhouette.
    null_silhouette, null_high : float
        The mean and 95th percentile of the silhouette that k-means with the same k reaches on the same ratings
        with each attribute shuffled on its own (no structure left): the reference a real segmentation must beat.
    level_range, shape_range : float
        How far apart segments lie in level (their mean rating over all attributes) and in shape (the largest
        spread across segments of an attribute's rating less each customer's own mean), in rating points.
    """

    assignment: pd.Series
    choice: pd.DataFrame
    k: int
    imputed_share: float
    excluded: int
    merged: int
    stability: float
    stability_low: float
    attributes: tuple[str, ...]
    silhouette: float = np.nan
    null_silhouette: float = np.nan
    null_high: float = np.nan
    level_range: float = np.nan
    shape_range: float = np.nan

    def structure(self, eng: Engagement) -> pd.DataFrame:
        """The segmentation's evidence in one row: silhouette against the no-structure reference, stability, and
        whether segments differ in shape (what they rate well and poorly) or only in level (how they rate)."""
        bar = eng.thresholds.min_effect * (eng.scales[eng.feedback.scale].max - eng.scales[eng.feedback.scale].min)
        shape = self.shape_range >= bar and self.shape_range >= self.level_range   # shape must dominate level
        return pd.DataFrame([{"k": self.k, "silhouette": self.silhouette, "null_silhouette": self.null_silhouette,
                              "null_high": self.null_high, "structured": bool(self.silhouette > self.null_high),
                              "stability": self.stability, "stability_low": self.stability_low,
                              "level_range": self.level_range, "shape_range": self.shape_range,
                              "pattern": "shape" if shape else "level"}])


def segment_customers(fb: pd.DataFrame, eng: Engagement) -> Segmentation:
    """Attitudinal segments from the attribute ratings by k-means, k chosen by silhouette.

    Notes
    -----
    Ratings are standardised (z-scores). Attributes nobody answered are left
    out; respondents who answered fewer than half of the rest are left out;
    remaining gaps are filled with the attribute mean (the share is reported).
    For each k in ``segment_k_range``, k-means (Lloyd; weighted by the
    respondent weights where mapped) with 10 starts, fitted on a seeded sample
    of 50,000 respondents when there are more (centres from 50,000 move by
    hundredths of a standard deviation) and everyone assigned to the nearest
    centre; the k with the highest mean silhouette (Rousseeuw 1987, J. Comput.
    Appl. Math. 20) on a seeded sample of up to 4,000 respondents is kept.
    Segments below ``min_segment_size`` are merged into the nearest remaining
    centroid; segments are numbered by size. Stability: the chosen k refitted on
    20 bootstrap resamples (up to 4,000 respondents each), each refit's labels
    compared with the solution's by the adjusted Rand index (Hubert & Arabie
    1985; the idea of Hennig 2007, Comput. Stat. Data Anal. 52). Deterministic
    for the engagement's seed.
    """
    columns = [a.column for a in eng.feedback.attributes if fb[a.column].notna().any()]
    if len(columns) < 2:
        raise NotEnoughData(f"segments need ratings of at least two touchpoints; {len(columns)} "
                            f"{'has' if len(columns) == 1 else 'have'} answers")
    x = fb[columns].to_numpy(dtype=float, copy=True)   # this function's own: filled in place below
    keep = (~np.isnan(x)).sum(axis=1) >= len(columns) / 2
    weights = respondent_weights(fb, eng)
    if weights is not None:
        keep &= weights > 0
    if not keep.all():
        x = x[keep]
    w = None if weights is None else weights[keep]
    smallest = max(eng.thresholds.min_segment_size, eng.thresholds.segment_k_range[0])
    if len(x) < 2 * smallest:
        raise NotEnoughData(f"only {len(x)} customers answered half the touchpoints or more; two segments of at "
                            f"least {smallest} customers (thresholds.min_segment_size) need {2 * smallest}")
    means = np.nanmean(x, axis=0)
    missing = np.isnan(x)
    imputed_share = float(missing.mean())
    np.copyto(x, np.broadcast_to(means, x.shape), where=missing)
    del missing
    sd = x.std(axis=0)
    z = np.subtract(x, means)
    z /= np.where(sd > 0, sd, 1.0)
    rng = np.random.default_rng(eng.seed)
    sample = rng.choice(len(z), size=min(SILHOUETTE_SAMPLE, len(z)), replace=False)
    low, high = eng.thresholds.segment_k_range
    high = max(low, min(high, len(z) // max(eng.thresholds.min_segment_size, 1)))
    rows, models = [], {}
    fit = (np.sort(np.random.default_rng([eng.seed, len(z)]).choice(len(z), FIT_SAMPLE, replace=False))
           if len(z) > FIT_SAMPLE else slice(None))
    for k in range(low, high + 1):
        model = KMeans(n_clusters=k, random_state=eng.seed, n_init=10).fit(
            z[fit], sample_weight=None if w is None else w[fit])
        labels = model.predict(z)   # everyone to their nearest centre (the sample's own labels when it is everyone)
        rows.append({"k": k, "inertia": float(-model.score(z, sample_weight=w))})
        models[k] = (model, labels)
    choice = pd.DataFrame(rows)
    choice.insert(1, "silhouette", silhouettes(z[sample], [models[k][1][sample] for k in choice["k"]]))
    best = int(choice.loc[choice["silhouette"].fillna(-1).idxmax(), "k"])
    choice["chosen"] = choice["k"] == best
    labels, merged = _merge_small(z, models[best][1], models[best][0].cluster_centers_, eng.thresholds.min_segment_size)
    stability, stability_low = _stability(z, labels, best, eng.seed)
    null_mean, null_high = _null_silhouette(z, best, eng.seed)
    level, shape = _level_and_shape(x, labels)
    # number segments 1..k by size, largest first (ties by label for determinism)
    sizes = pd.Series(labels).value_counts()
    order = sorted(sizes.index, key=lambda s: (-sizes[s], s))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    assignment = pd.Series(pd.NA, index=fb.index, dtype="Int64")
    assignment[keep] = [renumber[label] for label in labels]
    silhouette = float(choice.loc[choice["chosen"], "silhouette"].iloc[0])
    return Segmentation(assignment, choice, len(order), imputed_share, int((~keep).sum()), merged, stability,
                        stability_low, tuple(columns), silhouette, null_mean, null_high, level, shape)


def silhouettes(z: np.ndarray, labellings: list[np.ndarray]) -> list[float]:
    """Mean silhouette (Rousseeuw 1987, J. Comput. Appl. Math. 20) of each labelling of the same points.

    Notes
    -----
    The same values as scikit-learn's ``silhouette_score`` (Euclidean; a point
    alone in its cluster scores 0), NaN for a labelling with one cluster.
    The distance matrix is computed once for all the labellings (SciPy's
    ``cdist``, from the differences themselves: faster than the squared norms
    and one matrix product scikit-learn uses, and without their cancellation)
    and each labelling's mean distances to every cluster are one matrix
    product with its indicator matrix: choosing k scores five labellings of
    the same sample.
    """
    distance = cdist(z, z)
    rows = np.arange(len(z))
    scores = []
    for labels in labellings:
        groups, codes = np.unique(labels, return_inverse=True)
        if len(groups) < 2:
            scores.append(np.nan)
            continue
        members = np.zeros((len(z), len(groups)))
        members[rows, codes] = 1.0
        sums = distance @ members
        sizes = members.sum(axis=0)
        others = sizes[codes] - 1
        a = np.divide(sums[rows, codes], others, out=np.zeros(len(z)), where=others > 0)
        means = sums / sizes
        means[rows, codes] = np.inf
        b = means.min(axis=1)
        top = np.maximum(a, b)
        s = np.divide(b - a, top, out=np.zeros(len(z)), where=(others > 0) & (top > 0))
        scores.append(float(s.mean()))
    return scores


def _null_silhouette(z: np.ndarray, k: int, seed: int) -> tuple[float, float]:
    """Silhouette of k-means on ratings with each attribute shuffled on its own: what k segments reach with no
    structure at all (a permutation reference in the spirit of Tibshirani, Walther & Hastie's gap statistic,
    J. R. Stat. Soc. B 63, 2001). Mean and 95th percentile over the refits."""
    rng = np.random.default_rng(seed + 2)
    base = z[rng.choice(len(z), size=min(NULL_SAMPLE, len(z)), replace=False)]
    scores = []
    for r in range(NULL_RESAMPLES):
        shuffled = np.column_stack([rng.permutation(base[:, j]) for j in range(base.shape[1])])
        labels = KMeans(n_clusters=k, random_state=seed + r, n_init=3).fit(shuffled).labels_
        if len(set(labels)) > 1:
            scores.append(silhouettes(shuffled, [labels])[0])
    return (float(np.mean(scores)), float(np.percentile(scores, 95))) if scores else (np.nan, np.nan)


def _level_and_shape(x: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """How far segments lie apart in level (mean rating) and in shape (ratings less each customer's own mean)."""
    if len(set(labels)) < 2:
        return 0.0, 0.0
    level = x.mean(axis=1)
    shape = x - level[:, None]
    groups = sorted(set(labels))
    levels = np.array([level[labels == g].mean() for g in groups])
    shapes = np.array([shape[labels == g].mean(axis=0) for g in groups])
    return float(levels.max() - levels.min()), float((shapes.max(axis=0) - shapes.min(axis=0)).max())


def segment_assignment(fb: pd.DataFrame, eng: Engagement, segmentation: Segmentation) -> pd.DataFrame:
    """Each respondent's segment: ``respondent`` (the feedback's id, or the row in the file where it has none) and
    ``segment`` (missing when unsegmented)."""
    from ..inputs.data import ROW_ID

    return pd.DataFrame({"respondent": fb[eng.feedback.id or ROW_ID].astype("string"),
                         "segment": segmentation.assignment.astype("Int64")})


def headlines(fb: pd.DataFrame, eng: Engagement, mix: pd.DataFrame | None, nps_table: pd.DataFrame,
              segmentation: Segmentation | None) -> CustomerHeadlines:
    """The customer stage's headline figures (None for what the data could not support)."""
    weights = respondent_weights(fb, eng)
    seg = segmentation
    return CustomerHeadlines(
        customers=len(fb), effective_n=float(kish_n(weights)) if weights is not None else float(len(fb)),
        weighted=weights is not None,
        truly_impressed=float(mix.set_index("band").loc["truly_impressed", "share"]) if mix is not None else None,
        nps=float(nps_table["nps"].iloc[0]) if len(nps_table) else None,
        segments=int(seg.k) if seg else None, stability=float(seg.stability) if seg else None,
        stability_low=float(seg.stability_low) if seg else None,
        imputed_share=float(seg.imputed_share) if seg else None, unsegmented=int(seg.excluded) if seg else None,
        merged_segments=int(seg.merged) if seg else None)


def _stability(z: np.ndarray, labels: np.ndarray, k: int, seed: int) -> tuple[float, float]:
    if len(set(labels)) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed + 1)
    scores = []
    for _ in range(STABILITY_RESAMPLES):
        pick = rng.choice(len(z), size=min(STABILITY_SAMPLE, len(z)), replace=True)
        refit = KMeans(n_clusters=k, random_state=int(rng.integers(1 << 31)), n_init=3).fit(z[pick])
        scores.append(adjusted_rand_score(labels[pick], refit.labels_))
    return float(np.mean(scores)), float(np.percentile(scores, 5))


def _merge_small(z: np.ndarray, labels: np.ndarray, centres: np.ndarray, minimum: int) -> tuple[np.ndarray, int]:
    labels = labels.copy()
    merged = 0
    while True:
        sizes = np.bincount(labels, minlength=len(centres))
        alive = np.flatnonzero(sizes > 0)
        small = [s for s in alive if sizes[s] < minimum]
        if not small or len(alive) <= 1:
            return labels, merged
        victim = min(small, key=lambda s: sizes[s])
        others = [s for s in alive if s != victim]
        members = labels == victim
        distances = ((z[members][:, None, :] - centres[others][None, :, :]) ** 2).sum(axis=2)
        labels[members] = np.asarray(others)[distances.argmin(axis=1)]
        merged += 1


def segment_profiles(fb: pd.DataFrame, eng: Engagement, assignment: pd.Series) -> pd.DataFrame:
    """Per segment: size, attribute means against the rest with tests, outcomes, NPS, loyalty mix, value share, a name.

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``name``, ``n``, ``share``, per attribute
        ``mean_<column>``, ``diff_<column>`` (segment mean - the other segments', in
        rating points) and ``p_<column>`` (Welch's t test against the rest,
        Holm-adjusted over all segments and attributes), ``outcome_mean``, the
        loyalty-band shares (``truly_impressed`` ...), ``nps``, ``value_share``.

    Notes
    -----
    Means and shares are weighted where weights are mapped; the tests use the
    unweighted ratings.
    """
    spec = eng.feedback
    outcome = eng.outcome
    weights = respondent_weights(fb, eng)
    segmented = assignment.notna().to_numpy()
    bands = loyalty_band(fb[outcome.column], eng) if spec.main_outcome is not None else None
    value = fb[spec.value].to_numpy(dtype=float) * (1 if weights is None else weights) if spec.value else None
    total_value = np.nansum(value[segmented]) if value is not None else np.nan
    rows, tests = [], []
    segments = sorted(assignment.dropna().unique())
    for seg in segments:
        inside = (assignment == seg).fillna(False).to_numpy()
        rest = segmented & ~inside
        row = {"segment": int(seg), "n": int(inside.sum()),
               "share": _weighted_total(inside, weights) / _weighted_total(segmented, weights)}
        for a in spec.attributes:
            mean_in = weighted_mean_ci(fb.loc[inside, a.column], _sub(weights, inside)).value
            mean_rest = weighted_mean_ci(fb.loc[rest, a.column], _sub(weights, rest)).value if rest.any() else np.nan
            row[f"mean_{a.column}"] = mean_in
            row[f"diff_{a.column}"] = mean_in - mean_rest
            a_in, a_rest = fb.loc[inside, a.column].dropna(), fb.loc[rest, a.column].dropna()
            p = sps.ttest_ind(a_in, a_rest, equal_var=False).pvalue if len(a_in) > 1 and len(a_rest) > 1 else np.nan
            tests.append((len(rows), a.column, p))
        row["outcome_mean"] = weighted_mean_ci(fb.loc[inside, outcome.column], _sub(weights, inside)).value
        if bands is not None:
            for key, est in _band_shares(bands[inside], _sub(weights, inside)).items():
                row[key] = est.value
        if eng.nps_column is not None:
            row["nps"] = net_promoter_score(fb.loc[inside, eng.nps_column],
                                            weights=_sub(weights, inside)).nps
        if value is not None:
            row["value_share"] = np.nansum(value[inside]) / total_value if total_value else np.nan
        rows.append(row)
    adjusted = holm([p for _, _, p in tests])
    for (i, column, _), p in zip(tests, adjusted):
        rows[i][f"p_{column}"] = p
    for row in rows:
        row["name"] = segment_name(row, eng)
    table = pd.DataFrame(rows)
    first = ["segment", "name", "n", "share"]
    return table[first + [c for c in table.columns if c not in first]]


def _weighted_total(mask, weights) -> float:
    return float(np.sum(mask)) if weights is None else float(weights[np.asarray(mask, dtype=bool)].sum())


def segment_name(profile: dict, eng: Engagement, margin: float = 0.25) -> str:
    """A plain-words name from what sets a segment apart: in shape first, else in level.

    Each attribute's difference from the other segments, less the segment's mean difference over all
    attributes (its level), is its shape: the attribute furthest above names the segment's strength and the one
    furthest below its let-down, when each reaches ``margin`` rating points ("Strong on staff courtesy, let down
    by app ease"). A segment that differs more in level than in shape is named by its level ("Rates every
    touchpoint higher").
    """
    diffs = {a.label: profile[f"diff_{a.column}"] for a in eng.feedback.attributes
             if pd.notna(profile.get(f"diff_{a.column}"))}
    if not diffs:
        return "All customers"
    level = float(np.mean(list(diffs.values())))
    shape = {label: value - level for label, value in diffs.items()}
    best = max(shape, key=shape.get)
    worst = min(shape, key=shape.get)
    if abs(level) >= margin and abs(level) >= max(abs(shape[best]), abs(shape[worst])):
        return "Rates every touchpoint higher" if level > 0 else "Rates every touchpoint lower"
    parts = []
    if shape[best] >= margin:
        parts.append(f"Strong on {in_text(best)}")
    if shape[worst] <= -margin:
        parts.append(f"let down by {in_text(worst)}" if parts else f"Let down by {in_text(worst)}")
    if parts:
        return ", ".join(parts)
    if level >= margin:
        return "Rates every touchpoint higher"
    if level <= -margin:
        return "Rates every touchpoint lower"
    return "Close to the average on every attribute"


MAX_DESCRIPTOR_VALUES = 12   # a numeric descriptor with more distinct values than this is shown in bands
DESCRIPTOR_BANDS = 5


def descriptor_values(values: pd.Series) -> pd.Series:
    """A descriptor's groups: its values as given, or, for a number with many values (age, tenure, spend),
    five bands of about equal size labelled by their range ("18-29"), in order.

    Notes
    -----
    Band edges are the quintiles of the values (whole numbers for whole-number data); a band holds its lower
    edge and the values up to the next one. Values are never read as text order ("7, 70, 8").
    """
    present = values.notna()
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = pd.to_numeric(values, errors="coerce")
    else:   # text: each distinct value read once (a million rows hold a few regions), not every row
        distinct = values[present].unique()
        read = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
        if read.isna().any():
            return values
        numbers = pd.Series(values.map(dict(zip(distinct, read))), index=values.index, dtype=float)
    if not (numbers[present].notna().all() and numbers.nunique() > MAX_DESCRIPTOR_VALUES):
        return values
    whole = bool((numbers.dropna() % 1 == 0).all())
    edges = np.unique(numbers.quantile(np.linspace(0, 1, DESCRIPTOR_BANDS + 1)).to_numpy())
    if whole:
        edges = np.unique(np.round(edges))
    lows = edges[:-1]
    band = np.clip(np.searchsorted(lows, numbers.to_numpy(dtype=float), side="right") - 1, 0, len(lows) - 1)
    labels = []
    for i, low in enumerate(lows):
        high = numbers.max() if i == len(lows) - 1 else (edges[i + 1] - 1 if whole else edges[i + 1])
        labels.append(f"{low:.0f}-{high:.0f}" if whole else f"{low:g} to {high:g}")
    return pd.Series(pd.Categorical.from_codes(np.where(present, band, -1), labels, ordered=True), index=values.index)


def descriptor_order(values: pd.Series) -> list:
    """A descriptor's values in their natural order: bands and ordered categories as ordered, numbers as numbers,
    text alphabetically."""
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return [c for c in values.cat.categories if (values == c).any()]
    present = values.dropna().unique()
    numbers = pd.to_numeric(pd.Series(present), errors="coerce")
    if len(present) and numbers.notna().all():
        return [v for _, v in sorted(zip(numbers, present), key=lambda pair: pair[0])]
    return sorted(present, key=str)


def segment_descriptors(fb: pd.DataFrame, eng: Engagement, assignment: pd.Series) -> pd.DataFrame:
    """Who is in each segment: each descriptor value's share in the segment against overall, as an index.

    ``index`` = 100 x share in the segment / share among all segmented customers:
    above 100 the value is over-represented in the segment.
    """
    weights = respondent_weights(fb, eng)
    segmented = assignment.notna().to_numpy()
    rows = []
    for descriptor in eng.feedback.descriptors:
        values = descriptor_values(fb[descriptor])
        overall_total = _weighted_total(segmented & values.notna().to_numpy(), weights)
        for seg in sorted(assignment.dropna().unique()):
            inside = (assignment == seg).fillna(False).to_numpy() & values.notna().to_numpy()
            seg_total = _weighted_total(inside, weights)
            for value in descriptor_order(values):
                is_value = (values == value).fillna(False).to_numpy()
                share_in = _weighted_total(inside & is_value, weights) / seg_total if seg_total else np.nan
                share_all = _weighted_total(segmented & is_value, weights) / overall_total if overall_total else np.nan
                rows.append({"segment": int(seg), "descriptor": descriptor, "value": value, "share_in_segment": share_in,
                             "share_overall": share_all,
                             "index": 100 * share_in / share_all if share_all else np.nan})
    return pd.DataFrame(rows, columns=["segment", "descriptor", "value", "share_in_segment", "share_overall", "index"])


def descriptor_comparisons(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """The outcomes by each descriptor (region, channel, customer type ...), with tests and small-base suppression.

    Returns
    -------
    DataFrame
        One row per descriptor value: ``descriptor``, ``value``, ``n``, ``outcome``
        mean with ``ci_low`` / ``ci_high``, ``truly_impressed`` share, ``nps``,
        ``small_base`` (fewer than ``min_respondents`` answers: the estimates are
        blanked), and per descriptor ``kw_p`` (Kruskal-Wallis on the main outcome
        across its values) with ``epsilon2``, and ``chi2_p`` (chi-square test of
        the truly-impressed share across values), both Holm-adjusted across descriptors.
    """
    spec = eng.feedback
    outcome = fb[eng.outcome.column]    # a yes/no outcome alone: its share of yes
    impressed = _impressed(fb, eng)
    weights = respondent_weights(fb, eng)
    minimum = eng.thresholds.min_respondents
    rows, per_descriptor = [], []
    for descriptor in spec.descriptors:
        values = descriptor_values(fb[descriptor])
        shown = []
        for value in descriptor_order(values):
            mask = (values == value).fillna(False).to_numpy() & outcome.notna().to_numpy()
            n = int(mask.sum())
            small = n < minimum
            est = weighted_mean_ci(outcome[mask], _sub(weights, mask))
            share = weighted_share(_answered(outcome[mask], impressed[mask]), _sub(weights, mask))
            score = (net_promoter_score(fb.loc[mask, eng.nps_column], weights=_sub(weights, mask)).nps
                     if eng.nps_column is not None else np.nan)
            rows.append({"descriptor": descriptor, "value": value, "n": n, "small_base": small,
                         "outcome": np.nan if small else est.value, "ci_low": np.nan if small else est.low,
                         "ci_high": np.nan if small else est.high,
                         "truly_impressed": np.nan if small else share.value, "nps": np.nan if small else score})
            if not small:
                shown.append(mask)
        epsilon2, kw_p = kruskal_epsilon([outcome[m].to_numpy() for m in shown])
        chi2_p = np.nan
        if len(shown) >= 2:
            table = np.array([[(impressed[m] == 1).sum(), (impressed[m] == 0).sum()] for m in shown])
            if (table.sum(axis=0) > 0).all():
                chi2_p = float(sps.chi2_contingency(table)[1])
        per_descriptor.append({"descriptor": descriptor, "kw_p": kw_p, "epsilon2": epsilon2, "chi2_p": chi2_p})
    tests = pd.DataFrame(per_descriptor, columns=["descriptor", "kw_p", "epsilon2", "chi2_p"])
    tests["kw_p"] = holm(tests["kw_p"])
    tests["chi2_p"] = holm(tests["chi2_p"])
    columns = ["descriptor", "value", "n", "small_base", "outcome", "ci_low", "ci_high", "truly_impressed", "nps"]
    return pd.DataFrame(rows, columns=columns).merge(tests, on="descriptor", how="left")


def value_at_stake(fb: pd.DataFrame, eng: Engagement, assignment: pd.Series | None = None) -> pd.DataFrame:
    """The value held by unhappy and indifferent customers, per segment (or counts without a value column).

    Notes
    -----
    Keeping a customer costs far less than winning one (DOMAIN.md section 2):
    the value at stake is the sum of the value column over customers whose
    main outcome puts them in the unhappy or indifferent band (each customer's
    value multiplied by their weight where weights are mapped). ``share_at_risk`` and ``rest_share_at_risk``: the
    segment's customers at risk and the other segments' (counted), with ``p_vs_rest`` their two-proportion z test,
    Holm-adjusted across the segments: whether a segment holds its part of what is at stake for more than its size.
    """
    spec = eng.feedback
    bands = loyalty_band(fb[eng.outcome.column], eng)   # without a rating outcome: NotEnoughData, said
    at_risk = bands.isin(["unhappy", "indifferent"]).to_numpy()
    weights = respondent_weights(fb, eng)
    groups = assignment if assignment is not None else pd.Series(1, index=fb.index, dtype="Int64")
    rows = []
    for seg in sorted(groups.dropna().unique()):
        inside = (groups == seg).fillna(False).to_numpy()
        row = {"segment": int(seg), "customers": int(inside.sum()), "at_risk_customers": int((inside & at_risk).sum())}
        total = _weighted_total(inside, weights)
        row["at_risk_share"] = _weighted_total(inside & at_risk, weights) / total if total else np.nan
        if spec.value:
            value = fb[spec.value].to_numpy(dtype=float) * (1 if weights is None else weights)
            row["value"] = float(np.nansum(value[inside]))
            row["value_at_stake"] = float(np.nansum(value[inside & at_risk]))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["share_at_risk"], table["rest_share_at_risk"], table["p_vs_rest"] = _at_risk_against_the_rest(table)
    return table


def _at_risk_against_the_rest(stake: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each segment's share of customers at risk (counted, unweighted), the other segments' together, and the
    two-proportion z test of the two (pooled standard error), Holm-adjusted across the segments (NaN where either
    side is empty)."""
    n, at = stake["customers"].to_numpy(dtype=float), stake["at_risk_customers"].to_numpy(dtype=float)
    n_rest, at_rest = n.sum() - n, at.sum() - at
    with np.errstate(divide="ignore", invalid="ignore"):
        risky, rest = at / n, at_rest / n_rest
        pooled = (at + at_rest) / (n + n_rest)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_rest))
        z = (risky - rest) / se
    return risky, rest, holm(np.where(se > 0, 2 * sps.norm.sf(np.abs(z)), np.nan))
