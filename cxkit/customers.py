"""Customers: how they feel (loyalty mix, NPS) and who they are (attitudinal segments
and the value at stake). DOMAIN.md section 2.

Functions take the cleaned feedback (``data.load_feedback``) and the engagement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

from .config import Engagement
from .stats import net_promoter_score, wilson_ci

BANDS = [("truly_impressed", "Truly impressed"), ("satisfied", "Satisfied"), ("indifferent", "Indifferent"),
         ("unhappy", "Unhappy")]
MINIBATCH_ABOVE = 50_000       # respondents; above this k-means runs in mini-batches
SILHOUETTE_SAMPLE = 4_000      # silhouette is O(n^2): scored on a seeded sample


def loyalty_band(ratings: pd.Series, eng: Engagement) -> pd.Series:
    """Each respondent's loyalty band on the main outcome (truly impressed / satisfied / indifferent / unhappy).

    Cut-offs come from the engagement's ``loyalty_bands`` for the outcome's scale
    range (the lowest rating of each band); below ``indifferent`` is unhappy.
    """
    outcome = eng.feedback.main_outcome
    cuts = eng.loyalty_bands[eng.scales[outcome.scale].range_key]
    band = pd.Series(pd.NA, index=ratings.index, dtype=object)
    answered = ratings.notna()
    band[answered] = "unhappy"
    band[answered & (ratings >= cuts["indifferent"])] = "indifferent"
    band[answered & (ratings >= cuts["satisfied"])] = "satisfied"
    band[answered & (ratings >= cuts["truly_impressed"])] = "truly_impressed"
    return band


def loyalty_mix(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Share of customers in each loyalty band on the main outcome, with Wilson 95% intervals.

    Notes
    -----
    Bands after DOMAIN.md section 2: truly impressed (top box), satisfied,
    indifferent (middle), unhappy (bottom); intervals by Wilson's score method.
    """
    outcome = eng.feedback.main_outcome
    band = loyalty_band(fb[outcome.column], eng)
    n = int(band.notna().sum())
    cuts = eng.loyalty_bands[eng.scales[outcome.scale].range_key]
    scale = eng.scales[outcome.scale]
    ranges = {"truly_impressed": (cuts["truly_impressed"], scale.max), "satisfied": (cuts["satisfied"], cuts["truly_impressed"] - 1),
              "indifferent": (cuts["indifferent"], cuts["satisfied"] - 1), "unhappy": (scale.min, cuts["indifferent"] - 1)}
    rows = []
    for key, label in BANDS:
        count = int((band == key).sum())
        est = wilson_ci(count, n)
        low, high = ranges[key]
        rows.append({"band": key, "label": label, "ratings": f"{low:g}-{high:g}" if low != high else f"{low:g}",
                     "count": count, "n": n, "share": est.value, "ci_low": est.low, "ci_high": est.high})
    return pd.DataFrame(rows)


def nps(fb: pd.DataFrame, eng: Engagement) -> pd.DataFrame:
    """Net Promoter Score with its 95% interval and the promoter / passive / detractor split (one row).

    See :func:`cxkit.stats.net_promoter_score` for the method.
    """
    if eng.feedback.outcomes.recommend is None:
        return pd.DataFrame(columns=["nps", "ci_low", "ci_high", "promoters", "passives", "detractors", "n"])
    est = net_promoter_score(fb[eng.feedback.outcomes.recommend.column])
    return pd.DataFrame([{"nps": est.nps, "ci_low": est.low, "ci_high": est.high, "promoters": est.promoters,
                          "passives": est.passives, "detractors": est.detractors, "n": est.n}])


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
    """

    assignment: pd.Series
    choice: pd.DataFrame
    k: int
    imputed_share: float
    excluded: int
    merged: int


def segment_customers(fb: pd.DataFrame, eng: Engagement) -> Segmentation:
    """Attitudinal segments from the attribute ratings by k-means, k chosen by silhouette.

    Notes
    -----
    Ratings are standardised (z-scores). Respondents who answered fewer than
    half of the attributes are left out; remaining gaps are filled with the
    attribute mean (the share is reported). For each k in the engagement's
    ``segment_k_range``, k-means (Lloyd; mini-batch above 50,000 respondents)
    with 10 starts; the k with the highest mean silhouette (Rousseeuw 1987,
    J. Comput. Appl. Math. 20) on a seeded sample of up to 4,000 respondents
    is kept. Segments below ``min_segment_size`` are merged into the nearest
    remaining centroid. Segments are numbered by size. Deterministic for the
    engagement's seed.
    """
    columns = [a.column for a in eng.feedback.attributes]
    ratings = fb[columns].to_numpy(dtype=float)
    answered = ~np.isnan(ratings)
    keep = answered.sum(axis=1) >= len(columns) / 2
    x = ratings[keep]
    means = np.nanmean(x, axis=0)
    missing = np.isnan(x)
    imputed_share = float(missing.mean()) if x.size else 0.0
    x = np.where(missing, means, x)
    sd = x.std(axis=0)
    z = (x - means) / np.where(sd > 0, sd, 1.0)
    rng = np.random.default_rng(eng.seed)
    sample = rng.choice(len(z), size=min(SILHOUETTE_SAMPLE, len(z)), replace=False)
    low, high = eng.thresholds.segment_k_range
    high = min(high, max(low, len(z) // max(eng.thresholds.min_segment_size, 1)))
    rows, models = [], {}
    for k in range(low, high + 1):
        model = _kmeans(k, len(z), eng.seed).fit(z)
        labels = model.labels_
        score = silhouette_score(z[sample], labels[sample]) if len(set(labels[sample])) > 1 else np.nan
        rows.append({"k": k, "silhouette": float(score), "inertia": float(model.inertia_)})
        models[k] = model
    choice = pd.DataFrame(rows)
    best = int(choice.loc[choice["silhouette"].idxmax(), "k"])
    choice["chosen"] = choice["k"] == best
    labels, merged = _merge_small(z, models[best].labels_, models[best].cluster_centers_, eng.thresholds.min_segment_size)
    # number segments 1..k by size, largest first (ties by label for determinism)
    sizes = pd.Series(labels).value_counts()
    order = sorted(sizes.index, key=lambda s: (-sizes[s], s))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    assignment = pd.Series(pd.NA, index=fb.index, dtype="Int64")
    assignment[keep] = [renumber[label] for label in labels]
    return Segmentation(assignment, choice, len(order), imputed_share, int((~keep).sum()), merged)


def _kmeans(k: int, n: int, seed: int):
    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=8192, max_no_improvement=20)
    return KMeans(n_clusters=k, random_state=seed, n_init=10)


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
    """Per segment: size, attribute means against the rest, outcomes, NPS, value share and a name.

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``name``, ``n``, ``share``, the mean of each
        attribute (``mean_<column>``) and its difference from the other segments'
        (``diff_<column>``, in rating points), ``outcome_mean``, ``truly_impressed``
        (share), ``nps``, ``value_share`` (where a value column is mapped).
    """
    spec = eng.feedback
    outcome = spec.main_outcome
    segmented = assignment.notna()
    bands = loyalty_band(fb[outcome.column], eng)
    total_value = fb.loc[segmented, spec.value].sum() if spec.value else np.nan
    rows = []
    for seg in sorted(assignment.dropna().unique()):
        inside = (assignment == seg).fillna(False).to_numpy()
        rest = segmented.to_numpy() & ~inside
        row = {"segment": int(seg), "n": int(inside.sum()), "share": inside.sum() / segmented.sum()}
        for a in spec.attributes:
            mean_in = fb.loc[inside, a.column].mean()
            row[f"mean_{a.column}"] = mean_in
            row[f"diff_{a.column}"] = mean_in - fb.loc[rest, a.column].mean()
        row["outcome_mean"] = fb.loc[inside, outcome.column].mean()
        row["truly_impressed"] = (bands[inside] == "truly_impressed").sum() / bands[inside].notna().sum()
        if spec.outcomes.recommend is not None:
            row["nps"] = net_promoter_score(fb.loc[inside, spec.outcomes.recommend.column]).nps
        if spec.value:
            row["value_share"] = fb.loc[inside, spec.value].sum() / total_value if total_value else np.nan
        row["name"] = segment_name(row, eng)
        rows.append(row)
    table = pd.DataFrame(rows)
    first = ["segment", "name", "n", "share"]
    return table[first + [c for c in table.columns if c not in first]]


def segment_name(profile: dict, eng: Engagement, margin: float = 0.25) -> str:
    """A plain-words name from the attributes that most set a segment apart.

    The attribute rated furthest above the other segments names its strength
    and the one furthest below its let-down, when each differs by at least
    ``margin`` rating points ("Strong on staff courtesy, let down by app ease").
    """
    diffs = {a.label: profile[f"diff_{a.column}"] for a in eng.feedback.attributes}
    best = max(diffs, key=diffs.get)
    worst = min(diffs, key=diffs.get)
    parts = []
    if diffs[best] >= margin:
        parts.append(f"Strong on {best.lower()}")
    if diffs[worst] <= -margin:
        parts.append(f"let down by {worst.lower()}" if parts else f"Let down by {worst.lower()}")
    if not parts:
        return "Close to the average on every attribute"
    return ", ".join(parts)


def value_at_stake(fb: pd.DataFrame, eng: Engagement, assignment: pd.Series | None = None) -> pd.DataFrame:
    """The value held by unhappy and indifferent customers, per segment (or counts without a value column).

    Notes
    -----
    Keeping a customer costs far less than winning one (DOMAIN.md section 2):
    the value at stake is the sum of the value column over customers whose
    main outcome puts them in the unhappy or indifferent band.
    """
    spec = eng.feedback
    bands = loyalty_band(fb[spec.main_outcome.column], eng)
    at_risk = bands.isin(["unhappy", "indifferent"])
    groups = assignment if assignment is not None else pd.Series(1, index=fb.index, dtype="Int64")
    rows = []
    for seg in sorted(groups.dropna().unique()):
        inside = (groups == seg).fillna(False)
        row = {"segment": int(seg), "customers": int(inside.sum()), "at_risk_customers": int((inside & at_risk).sum())}
        row["at_risk_share"] = row["at_risk_customers"] / row["customers"] if row["customers"] else np.nan
        if spec.value:
            row["value"] = float(fb.loc[inside, spec.value].sum())
            row["value_at_stake"] = float(fb.loc[inside & at_risk, spec.value].sum())
        rows.append(row)
    return pd.DataFrame(rows)
