"""Key drivers: which touchpoints drive the outcomes, which are the moments of
truth to fix first, which only punish or only reward, and what raising one
would be worth (DOMAIN.md section 3).

The arithmetic lives in :mod:`cxkit.analysis.importance`; this module turns feedback and
the engagement's ``drivers`` settings into the tables a consultant reads.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.special import expit
from threadpoolctl import threadpool_limits

from ..inputs.config import Engagement
from .customers import loyalty_band, respondent_weights
from .importance import (ImportanceError, all_subset_mcfadden, collinearity, correlations, driver_orderings,
                         logistic_fit, logistic_relative_weights, nearest_correlation, relative_weights,
                         sampled_shapley_error, sampled_shapley_r2, shapley_from_subsets, shapley_r2,
                         standardised_betas)
from .stats import holm, kish_n, row_blocks
from ..results.headlines import DriverHeadlines, ModelHeadlines
from ..results.text import in_text

TRULY_IMPRESSED = "truly_impressed"   # a derived yes/no outcome: the main outcome in its top loyalty band
MAX_EXACT_YES_NO = 15                 # exact Shapley of McFadden's R^2 fits 2^p logistic models
BOOTSTRAP_FULL_LIMIT = 15            # above this many drivers each exact resample costs 0.05 s or more: resamples capped
BOOTSTRAP_CAP = 200
EXACT_RESAMPLE_LIMIT = 14            # interval_method auto: exact resamples up to this many drivers (1,000 in ~1 s)
SAMPLED_ORDERINGS = 128              # orderings per resample beyond it, at least (README, Key drivers: accuracy measured)
ESTIMATE_ORDERINGS = 2_048           # orderings averaged above drivers.exact_limit, at least (0.05 s at 25; error stated)
BOOTSTRAP_ROWS = 20_000               # more respondents than this: resamples drawn from a subsample this size
_RESAMPLE_BUDGET = 1 << 24            # doubles per block of resamples (bootstrap counts and subset arrays)

__all__ = ["ImportanceError", "DriverData", "DriverModel", "driver_data", "key_drivers", "yes_no_drivers", "combine", "moments_of_truth",
           "segment_drivers", "penalty_reward", "what_if", "nonlinear_check", "outcome_label", "bootstrap_importance"]


# ------------------------------------------------------------------ the data a model uses

@dataclass(frozen=True)
class DriverData:
    """The respondents, attributes and outcome a driver model is fitted on.

    ``x`` holds missing answers (NaN) only with ``missing == "pairwise"``.
    ``notes`` say what was left out and why, in words for the notebook and deck.
    """

    columns: tuple[str, ...]
    labels: tuple[str, ...]
    owners: tuple[str | None, ...]
    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    outcome: str
    binary: bool
    missing: str
    notes: tuple[str, ...]
    index: np.ndarray
    imputed_share: float = 0.0

    @property
    def n(self) -> int:
        """Respondents in the model (with pairwise correlations: the smallest pairwise base)."""
        if self.missing != "pairwise":
            return len(self.y)
        present = ~np.isnan(self.x)
        pairs = present.T.astype(float) @ present.astype(float)
        return int(min(pairs.min(), present.sum(axis=0).min()))

    def complete(self) -> "DriverData":
        """The same data with only the respondents who answered every attribute (for row-level models)."""
        if self.missing != "pairwise":
            return self
        keep = ~np.isnan(self.x).any(axis=1)
        return DriverData(self.columns, self.labels, self.owners, self.x[keep], self.y[keep], self.weights[keep],
                          self.outcome, self.binary, "listwise",
                          self.notes + ("row-level models use the customers who rated every attribute",),
                          self.index[keep])


def outcome_label(eng: Engagement, outcome: str) -> str:
    """The consultant's name of an outcome column (or of the derived "truly impressed")."""
    if outcome == TRULY_IMPRESSED:
        return f"Truly impressed ({in_text(eng.feedback.main_outcome.label)})"
    for o in (eng.feedback.outcomes.satisfaction, eng.feedback.outcomes.recommend, eng.feedback.outcomes.yes_no):
        if o is not None and o.column == outcome:
            return o.label
    return outcome.replace("_", " ")


def _outcome_values(fb: pd.DataFrame, eng: Engagement, outcome: str) -> tuple[np.ndarray, bool]:
    spec = eng.feedback
    if outcome == TRULY_IMPRESSED:
        band = loyalty_band(fb[spec.main_outcome.column], eng)
        return np.where(band.isna(), np.nan, (band == "truly_impressed").astype(float)), True
    if outcome not in fb.columns:
        raise ImportanceError(f"the outcome column {outcome!r} is not in the feedback data")
    binary = spec.outcomes.yes_no is not None and outcome == spec.outcomes.yes_no.column
    return fb[outcome].to_numpy(dtype=float), binary


def driver_data(fb: pd.DataFrame, eng: Engagement, outcome: str | None = None,
                rows: np.ndarray | None = None) -> DriverData:
    """Choose the respondents and attributes a driver model can use, or say why it cannot be fitted.

    Parameters
    ----------
    fb : DataFrame
        Cleaned feedback.
    eng : Engagement
    outcome : str, optional
        An outcome column, or ``"truly_impressed"`` (the main outcome in its top
        loyalty band, a yes/no outcome); the main outcome by default. The
        mapped ``outcomes.yes_no`` column is a yes/no outcome too.
    rows : ndarray of bool, optional
        Restrict to these respondents (a segment).

    Notes
    -----
    Attributes nobody answered, attributes everyone rated the same, and
    attributes whose answers repeat another's exactly are left out with a note.
    Missing answers follow ``drivers.missing``: *listwise* keeps respondents who
    answered every attribute; *pairwise* keeps every answer and correlates each
    pair over the respondents who answered both; *impute* keeps respondents who
    answered at least half the attributes and fills the rest by chained
    equations (scikit-learn's ``IterativeImputer``, Bayesian ridge, seeded;
    van Buuren & Groothuis-Oudshoorn 2011). Yes/no outcomes need whole rows, so
    *pairwise* becomes *listwise* for them. The outcome itself is never imputed.

    Raises
    ------
    ImportanceError
        No usable outcome, an outcome with one value, fewer than two usable
        attributes, or fewer respondents than attributes + 2.
    """
    spec = eng.feedback
    settings = eng.drivers
    outcome = outcome or eng.outcome.column     # the main rating outcome, else the yes/no one
    label = outcome_label(eng, outcome)
    y, binary = _outcome_values(fb, eng, outcome)
    weights = respondent_weights(fb, eng)
    w = np.ones(len(fb)) if weights is None else weights
    keep = ~np.isnan(y) & (w > 0)
    if rows is not None:
        keep &= np.asarray(rows, dtype=bool)
    if not keep.any():
        raise ImportanceError(f"no customer answered {label} ({outcome}); there is nothing to explain")
    values = np.unique(y[keep])
    if len(values) < 2:
        raise ImportanceError(f"every customer who answered {label} ({outcome}) gave the same answer ({values[0]:g}); "
                              "an outcome that never varies cannot be explained by drivers")
    notes: list[str] = []
    attributes = []
    x_all = fb[[a.column for a in spec.attributes]].to_numpy(dtype=float)[keep]
    # by each column's extremes, not its distinct values: a sort of a million answers per attribute otherwise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # a column nobody answered: all-NaN
        lowest, highest = np.nanmin(x_all, axis=0), np.nanmax(x_all, axis=0)
    for j, a in enumerate(spec.attributes):
        if np.isnan(lowest[j]):
            notes.append(f"{a.label} ({a.column}) was left out: no customer in the model rated it")
        elif lowest[j] == highest[j]:
            notes.append(f"{a.label} ({a.column}) was left out: every customer rated it {lowest[j]:g}, "
                         "so it cannot explain differences")
        else:
            attributes.append((j, a))
    kept = []
    # a fingerprint per column: only columns with the same one are compared in full (p^2 comparisons of a
    # million answers each otherwise)
    prints = {j: hashlib.blake2b(np.ascontiguousarray(x_all[:, j]).tobytes(), digest_size=16).digest()
              for j, _ in attributes}
    for j, a in attributes:
        twin = next((b for i, b in kept if prints[i] == prints[j] and _same_answers(x_all[:, i], x_all[:, j])), None)
        if twin is not None:
            notes.append(f"{a.label} ({a.column}) was left out: its answers repeat {twin.label} ({twin.column}) exactly, "
                         f"so its importance is {twin.label}'s")
        else:
            kept.append((j, a))
    if len(kept) < 2:
        raise ImportanceError("key drivers need at least two attributes with varied answers; "
                              + ("; ".join(notes) if notes else f"the engagement maps {len(spec.attributes)}"))
    x = x_all[:, [j for j, _ in kept]]
    y, w, index = y[keep], w[keep], np.flatnonzero(keep)
    method = settings.missing
    if binary and method == "pairwise":
        method = "listwise"
        notes.append("yes/no outcomes need whole answers, so the model uses the customers who rated every attribute")
    imputed_share = 0.0
    if method == "listwise":
        complete = ~np.isnan(x).any(axis=1)
        x, y, w, index = x[complete], y[complete], w[complete], index[complete]
    elif method == "impute":
        enough = (~np.isnan(x)).sum(axis=1) >= x.shape[1] / 2
        x, y, w, index = x[enough], y[enough], w[enough], index[enough]
        imputed_share = float(np.isnan(x).mean())
        if imputed_share > 0:
            x = _impute(x, eng.seed, eng.scales[spec.scale])
    _enough_customers(fb, x, y, method, kept, label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        varied = np.flatnonzero(np.nanmin(x, axis=0) < np.nanmax(x, axis=0)).tolist()
    for j in sorted(set(range(x.shape[1])) - set(varied)):  # constant only among the customers the model keeps
        notes.append(f"{kept[j][1].label} ({kept[j][1].column}) was left out: the customers in the model all rated "
                     "it the same")
    if len(varied) < 2:
        raise ImportanceError("key drivers need at least two attributes with varied answers among the customers "
                              "in the model; " + "; ".join(notes))
    x, kept = x[:, varied], [kept[j] for j in varied]
    _enough_customers(fb, x, y, method, kept, label)
    if binary and len(np.unique(y)) < 2:
        raise ImportanceError(f"among the customers in the model every answer to {label} is the same; "
                              "an outcome that never varies cannot be explained by drivers")
    return DriverData(tuple(a.column for _, a in kept), tuple(a.label for _, a in kept), tuple(a.owner for _, a in kept),
                      x, y, w, outcome, binary, method, tuple(notes), index, imputed_share)


def _enough_customers(fb: pd.DataFrame, x: np.ndarray, y: np.ndarray, method: str, kept: list, label: str) -> None:
    """Raise when fewer customers can enter the model than its attributes + 2, naming the fix."""
    p = x.shape[1]
    n = len(y) if method != "pairwise" else int(min((~np.isnan(x)).sum(axis=0).min(), len(y)))
    if n < p + 2:
        most_missing = max(kept, key=lambda ja: fb[ja[1].column].isna().sum())[1]
        fix = ("set drivers.missing to pairwise or impute, or drop attributes few customers rated"
               if method == "listwise" else "drop attributes few customers rated")
        raise ImportanceError(
            f"only {n} customers can enter the model of {label}, fewer than the {p} attributes + 2 it needs "
            f"({method} missing answers). Fix: {fix} (most often missing: {most_missing.label}, "
            f"{most_missing.column})")


def _same_answers(a: np.ndarray, b: np.ndarray) -> bool:
    both = ~np.isnan(a) & ~np.isnan(b)
    return bool(np.array_equal(np.isnan(a), np.isnan(b)) and both.any() and np.array_equal(a[both], b[both]))


def _impute(x: np.ndarray, seed: int, scale) -> np.ndarray:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
    from sklearn.impute import IterativeImputer

    imputer = IterativeImputer(max_iter=20, random_state=seed, min_value=scale.min, max_value=scale.max)
    with warnings.catch_warnings():
        # not converging in 20 rounds leaves estimates that are still usable; the share imputed is reported
        warnings.simplefilter("ignore", ConvergenceWarning)
        return imputer.fit_transform(x)


# ------------------------------------------------------------------ importance

def _fit_importance(data: DriverData, settings, counts: np.ndarray | None = None,
                    orderings: np.ndarray | None = None) -> tuple[np.ndarray, str, str]:
    """Importance of each driver (summing to the model's fit); ``counts`` stacks bootstrap resamples.

    ``orderings`` (rating outcomes): Shapley values averaged over these orderings of the drivers rather than
    all of them (:func:`cxkit.analysis.importance.sampled_shapley_r2`), the resamples' cheap stand-in for the
    exact decomposition (:func:`bootstrap_importance`).

    Returns (importance with shape (p,) or (B, p), method, fit measure).
    """
    p = len(data.columns)
    if data.binary:
        weights = data.weights if counts is None else counts * data.weights
        if settings.yes_no_method == "shapley" and p <= MAX_EXACT_YES_NO:
            out = [shapley_from_subsets(all_subset_mcfadden(data.x[w > 0], data.y[w > 0], w[w > 0]))
                   for w in np.atleast_2d(weights)]
            importance = np.array(out) if counts is not None else out[0]
            return importance, "Shapley decomposition of McFadden's pseudo-R² (logistic regression), exact", "McFadden R²"
        importance = logistic_relative_weights(data.x, data.y, weights)[0]   # a separated resample: NaN
        return importance, "relative weights for logistic regression (Tonidandel & LeBreton 2010)", "R²_O (Menard)"
    w = data.weights if counts is None else counts * data.weights
    corr, _ = correlations(np.column_stack([data.x, data.y]), w)
    if data.missing == "pairwise":
        corr = np.array([nearest_correlation(c)[0] for c in corr]) if corr.ndim == 3 else nearest_correlation(corr)[0]
    if orderings is not None and counts is None:   # a point estimate: with its Monte Carlo error, stated
        values, error = sampled_shapley_error(corr, orderings)
        return (values, f"Shapley decomposition of R² over {len(orderings):,} sampled orderings, balanced by position "
                f"(Monte Carlo standard error at most {error.max():.4f} of R²)", "R²")
    if orderings is not None:
        return sampled_shapley_r2(corr, orderings), f"Shapley decomposition of R² over {len(orderings)} orderings", "R²"
    if p <= settings.max_exact:
        return shapley_r2(corr), "Shapley decomposition of R² (LMG), exact", "R²"
    return relative_weights(corr), f"Johnson's relative weights (more than {settings.max_exact} drivers)", "R²"


def _exact_decomposition(data: DriverData, settings) -> bool:
    """Whether the model's own method is an exact Shapley decomposition (else it is relative weights already)."""
    p = len(data.columns)
    if data.binary:
        return settings.yes_no_method == "shapley" and p <= MAX_EXACT_YES_NO
    return p <= settings.max_exact


def sampled_resamples(data: DriverData, settings) -> bool:
    """Whether each bootstrap resample is decomposed over sampled orderings around the Shapley estimate.

    ``drivers.interval_method``: ``exact`` never; ``sampled`` whenever the model of a rating outcome is a
    Shapley decomposition (exact or over ``ESTIMATE_ORDERINGS``); ``auto`` when it also has more than ``EXACT_RESAMPLE_LIMIT`` drivers (an
    exact resample costs 2^p subset fits). Yes/no models keep exact resamples (their orderings would each
    need p logistic fits), as do models already by relative weights (their resamples are cheap).
    """
    if data.binary or not _exact_decomposition(data, settings) or settings.interval_method == "exact":
        return False
    return settings.interval_method == "sampled" or len(data.columns) > EXACT_RESAMPLE_LIMIT


def _threads() -> int:
    """Threads for the bootstrap: ``CXKIT_THREADS`` when a run sets it, else up to two."""
    try:
        return max(1, int(os.environ.get("CXKIT_THREADS", "")))
    except ValueError:
        return min(2, os.cpu_count() or 1)


def _resample_counts(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)]).astype(float)


@dataclass(frozen=True, eq=False)
class Resamples:
    """Bootstrap resamples of the drivers' importance (see :func:`bootstrap_importance`).

    An interval is read from ``estimate + (draws - centre)``: the full-sample estimate plus the resamples'
    deviations from the value the same method gives on the data they were drawn from.
    """

    draws: np.ndarray        # (B, p): each resample's importance
    centre: np.ndarray       # (p,): the draws' method on the data they were drawn from
    orderings: int = 0       # the draws average this many sampled orderings (0: the model's own method)
    subsample: int = 0       # the resamples were drawn from a random subsample of this many (0: everyone)

    @property
    def count(self) -> int:
        return len(self.draws)

    def around(self, estimate: np.ndarray) -> np.ndarray:
        """Draws of ``estimate`` (the importance, shape (p,)): the estimate plus the resampled deviations."""
        return estimate + (self.draws - self.centre)

    def shares_around(self, share: np.ndarray) -> np.ndarray:
        """Draws of each driver's share of the fit, around the full-sample ``share``."""
        total = self.draws.sum(axis=1, keepdims=True)
        draws = np.divide(self.draws, total, out=np.full_like(self.draws, np.nan), where=total > 0)
        return share + (draws - self.centre / self.centre.sum())

    def fit_around(self, fit: float) -> np.ndarray:
        """Draws of the model's fit, around the full-sample ``fit`` (every method's parts sum to it)."""
        return fit + (self.draws.sum(axis=1) - self.centre.sum())

    def describe(self) -> str:
        """The interval method in words, for the method notes."""
        if not self.count:
            return ""
        what = ("percentile bootstrap" if not self.subsample else
                f"bag of little bootstraps (resamples of every customer's size drawn from a random subsample of "
                f"{self.subsample:,})")
        if self.orderings:
            what += (f", each resample over {self.orderings} sampled orderings balanced by position, centred on the "
                     "estimate")
        return what


def bootstrap_importance(data: DriverData, settings, seed: int, estimate: np.ndarray | None = None) -> Resamples:
    """Importance on ``settings.bootstrap`` resamples of the respondents.

    Parameters
    ----------
    data : DriverData
    settings : DriverSettings
    seed : int
    estimate : ndarray, optional
        The model's full-sample importance, when already computed.

    Returns
    -------
    Resamples
        The draws with the value they deviate from.

    Notes
    -----
    Up to ``BOOTSTRAP_ROWS`` respondents, each resample draws n respondents
    with replacement (their counts multiply the respondent weights), and
    resamples go through the decomposition in blocks together. Beyond that,
    the bag of little bootstraps with one bag (Kleiner, Talwalkar, Sarkar &
    Jordan 2014, J. R. Stat. Soc. B 76): a seeded random subsample of
    m = ``BOOTSTRAP_ROWS`` respondents, and resamples of size n drawn from it
    (each respondent counted Poisson(n / m) times: the multinomial's large-sample
    form, the Poisson bootstrap of Hanley & MacGibbon 2006, Comput. Methods
    Programs Biomed. 83), so each resample is an estimate at the full sample's
    size while the work grows with m only. The deviations are taken from the
    subsample's own estimate.

    An exact Shapley resample costs 2^p subset regressions (seconds each at
    25 drivers). Where :func:`sampled_resamples` says so, each resample is
    decomposed over the same ``SAMPLED_ORDERINGS`` (or a few more) orderings of the drivers
    (balanced by position, seeded: :func:`cxkit.analysis.importance.driver_orderings`)
    and the interval is the model's estimate plus those draws' deviations from
    their own value on the data. Measured against 1,000 exact resamples on
    planted data: ``tests/analysis/test_drivers.py`` and
    ``bench/bench_intervals.py`` (coverage; README, Key drivers). Exact
    resamples above 15 drivers (``interval_method: exact``) are capped at 200.
    """
    p, n = len(data.columns), len(data.y)
    orderings = driver_orderings(p, SAMPLED_ORDERINGS, seed) if sampled_resamples(data, settings) else None
    resamples = settings.bootstrap
    if p > BOOTSTRAP_FULL_LIMIT and _exact_decomposition(data, settings) and orderings is None:
        resamples = min(resamples, BOOTSTRAP_CAP)
    bag = n > BOOTSTRAP_ROWS
    if bag:
        pick = np.sort(np.random.default_rng([seed, n]).choice(n, BOOTSTRAP_ROWS, replace=False))
        data = replace(data, x=data.x[pick], y=data.y[pick], weights=data.weights[pick], index=data.index[pick])
    m = len(data.y)
    if resamples == 0:   # no draws: nothing deviates, so no centre to decompose
        centre = np.asarray(estimate, dtype=float) if estimate is not None else _fit_importance(data, settings)[0]
        return Resamples(np.empty((0, p)), centre, 0, m if bag else 0)
    if orderings is not None:   # the draws' own value on the data: the same orderings, stacked as the draws are
        centre = _fit_importance(data, settings, counts=np.ones((1, m)), orderings=orderings)[0][0]
    elif bag or estimate is None:
        centre = _fit_importance(data, settings)[0]
    else:
        centre = np.asarray(estimate, dtype=float)
    used = 0 if orderings is None else len(orderings)
    if data.binary and _exact_decomposition(data, settings):
        per_resample = 8 * m * (p + 1)
    elif data.binary:   # logistic relative weights: a few m-long rows per resample (one shared design)
        per_resample = 6 * m
    elif orderings is not None or not _exact_decomposition(data, settings):
        per_resample = 2 * m + 8 * (p + 1) ** 2
    else:
        per_resample = max(m, int(4.5 * 2 ** p))
    per_block = max(1, min(resamples, _RESAMPLE_BUDGET // per_resample))
    sizes = [min(per_block, resamples - start) for start in range(0, resamples, per_block)]

    # each block of resamples draws from its own generator, seeded by (seed, block): the answer does not
    # depend on which thread runs it, and no block's draws are held before it runs
    def block(number: int) -> np.ndarray:
        rng = np.random.default_rng([seed, number])
        # the bag: Poisson(n / m) counts, the multinomial's large-sample form and ten times faster to draw
        counts = (rng.poisson(n / m, size=(sizes[number], m)).astype(float) if bag
                  else _resample_counts(rng, n, sizes[number]))
        return _fit_importance(data, settings, counts, orderings=orderings)[0]

    # numpy releases the GIL in its array work: threads use the cores a run gives this stage (CXKIT_THREADS),
    # each with a single-threaded BLAS (two threads each calling a two-threaded BLAS thrash two cores)
    workers = min(_threads(), len(sizes))
    with threadpool_limits(limits=1 if workers > 1 else None, user_api="blas"):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(block, range(len(sizes))))
    return Resamples(np.vstack([np.atleast_2d(r) for r in results]), centre, used, m if bag else 0)


@dataclass(frozen=True, eq=False)
class DriverModel(ModelHeadlines):
    """A key driver model: its headline figures (:class:`cxkit.results.headlines.ModelHeadlines`: outcome,
    method, fit, base, warnings) and the ranked ``table``, one row per attribute (see :func:`key_drivers`).

    ``warnings`` are sentences for the notebook and the deck's notes; ``notes`` say what was left out of the
    model and why.
    """

    table: pd.DataFrame | None = None

    def headlines(self) -> ModelHeadlines:
        """The figures a stage record keeps about this model (all but the table)."""
        return ModelHeadlines(**{f.name: getattr(self, f.name) for f in fields(ModelHeadlines)})


def key_drivers(fb: pd.DataFrame, eng: Engagement, outcome: str | None = None,
                rows: np.ndarray | None = None, intervals: bool = True) -> DriverModel:
    """How much each attribute drives an outcome, with 95% intervals.

    Parameters
    ----------
    fb : DataFrame
        Cleaned feedback.
    eng : Engagement
        ``eng.drivers`` sets the missing-answer rule, the resamples, the exact
        limit, the yes/no method and the warning thresholds.
    outcome : str, optional
        Outcome column or ``"truly_impressed"``; the main outcome by default.
    rows : ndarray of bool, optional
        Restrict to these respondents (a segment).
    intervals : bool
        Draw the bootstrap intervals (``drivers.bootstrap`` resamples); without, the interval columns are
        missing and ``resamples`` is 0.

    Returns
    -------
    DriverModel
        ``table``: ``attribute``, ``label``, ``owner``, ``importance`` (its part
        of the fit), ``importance_low`` / ``importance_high``, ``share`` (of the
        fit, sums to 1) with ``share_low`` / ``share_high``, ``direction`` (+1/-1),
        ``signed_share``, ``rank``, ``performance`` (weighted mean rating over
        everyone who rated it), ``top2`` (weighted share in the top two boxes),
        ``vif``, and the model's ``outcome``, ``method``, ``fit``, ``r2``, ``n``,
        ``missing`` and ``resamples``.

    Notes
    -----
    Rating outcomes: the Shapley decomposition of R^2 (LMG; Lindeman, Merenda
    & Gold 1980; Groemping 2006) from the (weighted) correlation matrix, exact
    up to ``drivers.exact_limit`` attributes (:func:`cxkit.analysis.importance.shapley_r2`:
    all 2^p subsets, seconds and a gigabyte at 25), from there up to
    ``drivers.max_exact`` the mean over ``ESTIMATE_ORDERINGS`` sampled orderings,
    balanced by position (:func:`cxkit.analysis.importance.driver_orderings`), with its Monte Carlo standard error stated in
    ``method`` (:func:`cxkit.analysis.importance.sampled_shapley_error`; Castro,
    Gomez & Tejada 2009), beyond that Johnson's relative weights. Yes/no outcomes: relative weights
    for logistic regression (Tonidandel & LeBreton 2010), or with
    ``yes_no_method: shapley`` the exact Shapley decomposition of McFadden's
    pseudo-R^2 (up to 15 attributes). Direction: the sign of the attribute's
    coefficient in the full model. Intervals: percentile intervals over
    ``drivers.bootstrap`` resamples of the respondents (Efron & Tibshirani
    1993, ch. 13), seeded by the engagement's seed; above 20,000 respondents
    the bag of little bootstraps; above 14 attributes (``drivers.interval_method:
    auto``) each resample is decomposed over 128 or more sampled orderings around the
    estimate (:func:`bootstrap_importance`).
    Collinearity:
    variance inflation factors and the condition number of the attributes'
    correlations (:func:`cxkit.analysis.importance.collinearity`).
    """
    settings = eng.drivers
    data = driver_data(fb, eng, outcome, rows)
    p = len(data.columns)
    sampled = not data.binary and settings.exact_limit < p <= settings.max_exact
    ordered = driver_orderings(p, ESTIMATE_ORDERINGS, eng.seed) if sampled else None
    importance, method, fit = _fit_importance(data, settings, orderings=ordered)
    r2 = float(importance.sum())
    share = importance / r2 if r2 > 0 else np.full_like(importance, np.nan)
    drawn = bootstrap_importance(data, settings if intervals else settings.model_copy(update={"bootstrap": 0}),
                                 eng.seed, importance)
    resamples = drawn.count
    boot, boot_share, boot_r2 = drawn.around(importance), drawn.shares_around(share), drawn.fit_around(r2)
    corr, _ = correlations(np.column_stack([data.x, data.y]), data.weights)
    if data.missing == "pairwise":
        corr, repaired = nearest_correlation(corr)
    else:
        repaired = False
    vif, condition = collinearity(corr[:-1, :-1])
    direction = _directions(data, corr)
    spec = eng.feedback
    scale = eng.scales[spec.scale]
    weights = respondent_weights(fb, eng)
    w_all = np.ones(len(fb)) if weights is None else weights
    base = np.ones(len(fb), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    performance, top2 = [], []
    for column in data.columns:
        values = fb[column].to_numpy(dtype=float)
        answered = base & ~np.isnan(values) & (w_all > 0)
        ww = w_all[answered]
        performance.append(float(ww @ values[answered] / ww.sum()))
        top2.append(float(ww @ (values[answered] >= scale.top2_min) / ww.sum()))
    table = pd.DataFrame({
        "attribute": data.columns, "label": data.labels, "owner": data.owners,
        "importance": importance,
        "importance_low": _quantile(boot, 0.025), "importance_high": _quantile(boot, 0.975),
        "share": share,
        "share_low": _quantile(boot_share, 0.025), "share_high": _quantile(boot_share, 0.975),
        "direction": direction, "signed_share": direction * share,
        "performance": performance, "top2": top2, "vif": vif,
    })
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(3, "rank", np.arange(1, len(table) + 1))
    n = data.n
    n_effective = kish_n(data.weights) if data.missing != "pairwise" else float(n)
    label = outcome_label(eng, data.outcome)
    table["outcome"] = data.outcome
    table["outcome_label"] = label
    table["method"] = method
    table["fit"] = fit
    table["r2"] = r2
    table["r2_low"] = float(np.nanquantile(boot_r2, 0.025)) if resamples else np.nan
    table["r2_high"] = float(np.nanquantile(boot_r2, 0.975)) if resamples else np.nan
    table["n"] = n
    table["missing"] = data.missing
    table["resamples"] = resamples
    table["interval_method"] = drawn.describe()
    found = _model_warnings(table, settings, fit, r2, n, condition, repaired, data, resamples)
    return DriverModel(outcome=data.outcome, outcome_label=label, method=method, fit=fit, r2=float(r2), n=int(n),
                       n_effective=float(n_effective), missing=data.missing, resamples=int(resamples),
                       condition_number=float(condition), warnings=tuple(found), notes=tuple(data.notes), table=table,
                       interval_method=drawn.describe())


def _quantile(draws: np.ndarray, q: float) -> np.ndarray:
    if len(draws) == 0:
        return np.full(draws.shape[1], np.nan)
    return np.nanquantile(draws, q, axis=0)


def _directions(data: DriverData, corr: np.ndarray) -> np.ndarray:
    if not data.binary:
        return np.where(standardised_betas(corr) < 0, -1, 1)
    z = (data.x - data.x.mean(axis=0)) / data.x.std(axis=0)
    beta, _ = logistic_fit(np.concatenate([np.ones((len(z), 1)), z], axis=1)[None], data.y, data.weights)
    return np.where(beta[0, 1:] < 0, -1, 1)


def _model_warnings(table, settings, fit, r2, n, condition, repaired, data, resamples) -> list[str]:
    out = []
    if r2 < settings.warn_r2:
        out.append(f"The model explains little: {fit} = {r2:.2f}, under {settings.warn_r2:g}. Shares say how the "
                   "explained part divides, not that the attributes matter much.")
    if n < settings.warn_n:
        out.append(f"Only {n:,} customers are in the model (under {settings.warn_n:,}): the shares are unstable; "
                   "read the intervals.")
    high = table[table["vif"] > settings.warn_vif]
    if len(high):
        names = ", ".join(f"{r.label} ({r.vif:.1f})" for r in high.itertuples())
        out.append(f"Collinear attributes (variance inflation above {settings.warn_vif:g}): {names}. Their shares "
                   "are shared out between them; read them together.")
    if condition > settings.warn_condition:
        out.append(f"The attributes' correlations have a condition number of {condition:.0f} (above "
                   f"{settings.warn_condition:g}): strong collinearity; single shares are fragile.")
    if repaired:
        out.append("The pairwise correlations did not form a valid correlation matrix and were repaired to the "
                   "nearest one that does; consider drivers.missing: listwise or impute.")
    if data.imputed_share > 0.2:
        out.append(f"{data.imputed_share:.0%} of the ratings in the model were imputed.")
    if resamples and resamples < settings.bootstrap:
        out.append(f"Intervals from {resamples} resamples, fewer than the {settings.bootstrap} configured: with more "
                   f"than {BOOTSTRAP_FULL_LIMIT} attributes each exact resample is costly (drivers.interval_method: "
                   "auto resamples over sampled orderings in seconds).")
    return out


# ------------------------------------------------------------------ importance against performance

# (important, performing) -> quadrant code; labels in cxkit.results.catalogue.QUADRANT
QUADRANTS = {(True, False): "fix_first", (True, True): "strength", (False, True): "over_served",
             (False, False): "lower_priority"}


def moments_of_truth(drivers: pd.DataFrame, cut: str = "mean") -> pd.DataFrame:
    """Importance against performance: each attribute's quadrant.

    Parameters
    ----------
    drivers : DataFrame
        ``share`` and ``performance`` per attribute (the key drivers table).
    cut : {"mean", "median"}
        The thresholds: the mean (or median) across attributes of importance
        share and of performance (mean rating); ``drivers.quadrant_cut``.

    Notes
    -----
    High importance with low performance are the moments of truth to fix
    first; high and high, strengths to keep; low importance with high
    performance, possible over-service; low and low, lower priority
    (importance-performance analysis, Martilla & James 1977, J. Marketing 41;
    DOMAIN.md section 3). Importance at or above its threshold counts as high, for an attribute whose ratings go
    with a higher outcome: one whose ratings go with a lower outcome (direction -1) is never a moment of truth or
    a strength, since raising it would not raise the outcome.
    ``quadrant`` holds a code: ``fix_first``, ``strength``, ``over_served`` or
    ``lower_priority`` (labels in :data:`cxkit.results.catalogue.QUADRANT`). ``clearly_important``: important,
    and the share's 95% interval clears the line too (a moment of truth to fix first is named only then).
    """
    table = drivers.copy()
    centre = np.median if cut == "median" else np.mean
    share_cut = float(centre(table["share"]))
    perf_cut = float(centre(table["performance"]))
    table["important"] = table["share"] >= share_cut
    if "direction" in table:   # a rating that goes with a lower outcome is no moment to raise, nor a strength
        table["important"] &= table["direction"].fillna(1) > 0
    table["performing"] = table["performance"] >= perf_cut
    table["quadrant"] = [QUADRANTS[(i, p)] for i, p in zip(table["important"], table["performing"])]
    table["share_threshold"] = share_cut
    table["performance_threshold"] = perf_cut
    table["threshold_rule"] = cut
    # important beyond doubt: the share's 95% interval clears the line (no interval: the share itself)
    low = table["share_low"] if "share_low" in table else pd.Series(np.nan, index=table.index)
    table["clearly_important"] = (table["important"] & (low.isna() | (low >= share_cut))).astype(bool)
    return table


# ------------------------------------------------------------------ per segment

def segment_drivers(fb: pd.DataFrame, eng: Engagement, assignment: pd.Series,
                    names: dict | None = None, outcome: str | None = None) -> pd.DataFrame:
    """Key drivers within each customer segment, with tests of whether they differ.

    Parameters
    ----------
    fb : DataFrame
    eng : Engagement
    assignment : Series
        Segment number per respondent (aligned with ``fb``), missing for the unsegmented.
    names : dict, optional
        Segment number to name.
    outcome : str, optional

    Returns
    -------
    DataFrame
        One row per segment and attribute: ``segment``, ``name``, ``attribute``,
        ``label``, ``share``, ``rank``, ``n``, ``r2``, ``method``; ``differs_p``
        (Holm-adjusted) and ``differs`` per attribute;
        ``overall_stat``, ``overall_df``, ``overall_p``, ``test`` and ``left_out``
        (the segments too small for a model of their own, in words: under ten
        customers per attribute, ``thresholds.min_respondents`` or
        ``thresholds.min_segment_size``).

    Notes
    -----
    Each segment gets its own model (:func:`key_drivers`), without bootstrap
    intervals (the tests below answer whether segments differ); above
    ``drivers.exact_limit`` attributes its Shapley decomposition is averaged over
    ``ESTIMATE_ORDERINGS`` sampled orderings, the Monte Carlo error stated in ``method``. Whether drivers
    differ is tested on the regressions behind them: segment-specific slopes
    against common slopes with segment intercepts. Overall: the F test of all
    attribute-by-segment interactions (Chow 1960, Econometrica 28, for g
    groups); per attribute: the F test of that attribute's interactions alone.
    Yes/no outcomes use likelihood-ratio tests of the logistic models.
    Weighted least squares where weights are mapped. Per-attribute p-values
    are Holm-adjusted, and an attribute differs only when the overall test
    passes too (closed testing: no row says "differs" under an overall test
    that does not).
    """
    settings = eng.drivers
    full = driver_data(fb, eng, outcome).complete()
    seg = pd.Series(assignment).reindex(fb.index)
    segments = sorted(int(s) for s in seg.dropna().unique())
    minimum = max(eng.thresholds.min_segment_size, eng.thresholds.min_respondents, 10 * len(full.columns),
                  len(full.columns) + 2)
    rows = []
    fitted, small = [], []
    for s in segments:
        inside = (seg == s).fillna(False).to_numpy()
        try:
            # no intervals: whether segments differ is the slope tests' question, and resampling every
            # segment's model would cost more than the rest of the stage
            model = (key_drivers(fb, eng, outcome, rows=inside, intervals=False)
                     if inside.sum() >= minimum else None)
        except ImportanceError:
            model = None
        if model is None or model.n < minimum:
            small.append(s)
            continue
        fitted.append(s)
        for r in model.table.itertuples():
            rows.append({"segment": s, "name": (names or {}).get(s, f"Segment {s}"), "attribute": r.attribute,
                         "label": r.label, "share": r.share, "rank": r.rank, "n": model.n, "r2": model.r2,
                         "method": model.method})
    table = pd.DataFrame(rows, columns=["segment", "name", "attribute", "label", "share", "rank", "n", "r2", "method"])
    left_out = (f"segment{'s' if len(small) > 1 else ''} {', '.join(map(str, small))}: under {minimum} customers "
                "in the model" if small else "")
    if len(fitted) < 2:
        table["differs_p"] = np.nan
        table["differs"] = False
        table["overall_stat"] = table["overall_df"] = table["overall_p"] = np.nan
        table["test"] = "fewer than two segments large enough to compare"
        table["left_out"] = left_out
        return table
    # the tests use the respondents of the compared segments who are in the full model
    codes = pd.to_numeric(seg, errors="coerce").to_numpy(dtype=float)[full.index]
    use = np.isin(codes, fitted)
    compared = [j for j, c in enumerate(full.columns) if c in set(table["attribute"])]
    try:
        overall, per_attribute, test = _slope_tests(full.x[use][:, compared], full.y[use], full.weights[use],
                                                    np.searchsorted(fitted, codes[use].astype(int)), full.binary)
    except ImportanceError as exc:   # e.g. touchpoints that separate a yes/no outcome within a segment
        overall, per_attribute = (np.nan, np.nan, np.nan), [np.nan] * len(compared)
        test = f"not testable: the model with a slope per segment cannot be estimated ({exc})"
    adjusted = holm(per_attribute)
    p_by_attribute = dict(zip([full.columns[j] for j in compared], adjusted))
    table["differs_p"] = table["attribute"].map(p_by_attribute)
    table["differs"] = (table["differs_p"] < settings.alpha) & (overall[2] < settings.alpha)
    table["overall_stat"], table["overall_df"], table["overall_p"] = overall
    table["test"] = test
    table["left_out"] = left_out
    return table


def _slope_tests(x: np.ndarray, y: np.ndarray, w: np.ndarray, codes: np.ndarray, binary: bool):
    g, p = int(codes.max()) + 1, x.shape[1]
    x = x - (w @ x) / w.sum()   # centring changes no model here (segment intercepts span the constant); it helps precision
    dummies = np.eye(g)[codes]
    full = np.column_stack([dummies] + [dummies * x[:, [j]] for j in range(p)])   # a slope per segment per attribute
    columns = np.eye(full.shape[1])

    def restricted(pooled) -> np.ndarray:
        """The 0/1 map from the full design to one with a common slope for the attributes in ``pooled``."""
        parts = [columns[:, :g]]
        for j in range(p):
            block = columns[:, g + j * g: g + (j + 1) * g]
            parts.append(block.sum(axis=1, keepdims=True) if j in pooled else block)
        return np.hstack(parts)

    if binary:
        def fit(design_map):
            return logistic_fit((full @ design_map)[None], y, w)[1][0]
    else:
        # residual sums of squares from the full design's weighted cross-products, computed once
        centred = y - (w @ y) / w.sum()
        weighted = full * w[:, None]
        gram, moment, total = weighted.T @ full, weighted.T @ centred, float(w @ centred ** 2)

        def fit(design_map):
            g_r, m_r = design_map.T @ gram @ design_map, design_map.T @ moment
            return max(total - float(m_r @ np.linalg.lstsq(g_r, m_r, rcond=None)[0]), 0.0)
    full_fit = fit(columns)   # the identity map: the full design itself
    df_resid = w.sum() - columns.shape[1]

    def compare(design_map, df):
        r = fit(design_map)
        if binary:
            stat = max(2 * (full_fit - r), 0.0)
            return stat, df, float(sps.chi2.sf(stat, df))
        stat = max((r - full_fit) / df, 0.0) / (full_fit / df_resid)
        return stat, df, float(sps.f.sf(stat, df, df_resid))

    overall = compare(restricted(set(range(p))), p * (g - 1))
    per_attribute = [compare(restricted({j}), g - 1)[2] for j in range(p)]
    test = ("likelihood-ratio test of attribute-by-segment interactions (logistic)" if binary
            else "F test of attribute-by-segment interactions, the Chow test for several groups")
    return overall, per_attribute, test


# ------------------------------------------------------------------ asymmetry

ASYMMETRY = ("dissatisfier", "delighter", "both", "no_clear_effect")   # codes; labels in the results catalogue
ASYMMETRY_COLUMNS = ["attribute", "label", "low_share", "high_share", "penalty", "penalty_low", "penalty_high",
                     "penalty_p", "reward", "reward_low", "reward_high", "reward_p", "asymmetry", "asymmetry_p", "kind",
                     "share", "n", "low_rule", "high_rule", "outcome", "outcome_label"]


def penalty_reward(fb: pd.DataFrame, eng: Engagement, drivers: pd.DataFrame | None = None,
                   outcome: str | None = None) -> pd.DataFrame:
    """Penalty-reward contrast analysis: which attributes punish when poor, which reward when excellent.

    Parameters
    ----------
    fb : DataFrame
    eng : Engagement
    drivers : DataFrame, optional
        The key drivers table, whose ``share`` is shown beside each attribute.
    outcome : str, optional
        A rating outcome; the main outcome by default.

    Returns
    -------
    DataFrame
        One row per attribute: ``low_share`` / ``high_share`` (customers rating it
        low / high), ``penalty`` (outcome points lost by a low rating against a
        middle one) with ``penalty_low`` / ``penalty_high`` and ``penalty_p``,
        ``reward`` likewise, ``asymmetry`` (penalty - reward) with ``asymmetry_p``,
        ``kind`` (a code: dissatisfier, delighter, both, no_clear_effect), ``share``,
        ``n``, ``low_rule``, ``high_rule``.

    Notes
    -----
    Brandt (1987); Mittal, Ross & Baldasare (1998), J. Marketing 62: every
    attribute becomes two dummies, low and high (:func:`boxes`: the bottom
    two-fifths and the top fifth of the scale's points: 1-2 and 5 on 1-5,
    0-3 and 9-10 on 0-10), the middle being the reference, and the outcome is
    regressed on all of them at once (weighted least squares where weights are
    mapped), with heteroskedasticity-robust
    (HC1) standard errors and normal 95% intervals. Penalty = minus the low
    coefficient; reward = the high coefficient. A box is tested only where at
    least ``thresholds.min_respondents`` customers are in it (and as many out of
    it): a penalty on one respondent is no finding. The penalty and reward
    p-values are Holm-adjusted together across attributes, the differences
    across attributes. Kind: a significant penalty without a significant
    reward is a dissatisfier; the reverse a delighter; both significant is
    *Both*, unless their difference is significant, which names the larger
    side; neither (an effect the other way, a low rating that seems to raise
    the outcome, counts as none), or a side too few customers are in to test,
    is *No clear effect*; and a kind stands only
    when the effect it is named for reaches ``thresholds.min_effect`` of the
    outcome's scale. Significance at ``drivers.alpha``, two-sided.
    """
    spec = eng.feedback
    data = driver_data(fb, eng, outcome).complete()
    if data.binary:
        raise ImportanceError("penalty-reward analysis needs a rating outcome, not a yes/no one")
    scale = eng.scales[spec.scale]
    low_max, high_min = boxes(scale)
    if high_min - low_max < 2:   # no middle rating to compare against: nothing to estimate (the claim says why)
        return pd.DataFrame(columns=ASYMMETRY_COLUMNS)
    x, y, w = data.x, data.y, data.weights
    low, high = x <= low_max, x >= high_min
    index = {}
    least = max(eng.thresholds.min_respondents, 1)
    for j in range(x.shape[1]):
        for kind, dummy in (("low", low[:, j]), ("high", high[:, j])):
            if least <= dummy.sum() <= len(dummy) - least:
                index[(j, kind)] = len(index) + 1
    design = np.ones((len(y), len(index) + 1))
    for (j, kind), k in index.items():
        design[:, k] = (low if kind == "low" else high)[:, j]
    coef, cov = _wls_hc1(design, y, w)
    z = float(sps.norm.ppf(0.975))
    rows = []
    alpha = eng.drivers.alpha
    shares = {} if drivers is None else dict(zip(drivers["attribute"], drivers["share"]))
    for j, (column, label) in enumerate(zip(data.columns, data.labels)):
        row = {"attribute": column, "label": label,
               "low_share": float(w @ low[:, j] / w.sum()), "high_share": float(w @ high[:, j] / w.sum())}
        for kind, sign in (("low", -1.0), ("high", 1.0)):
            name = "penalty" if kind == "low" else "reward"
            k = index.get((j, kind))
            if k is None:
                row.update({name: np.nan, f"{name}_low": np.nan, f"{name}_high": np.nan, f"{name}_p": np.nan})
                continue
            value, se = sign * coef[k], np.sqrt(cov[k, k])
            row.update({name: value, f"{name}_low": value - z * se, f"{name}_high": value + z * se,
                        f"{name}_p": float(2 * sps.norm.sf(abs(value) / se))})
        kl, kh = index.get((j, "low")), index.get((j, "high"))
        if kl is not None and kh is not None:
            diff = -(coef[kl] + coef[kh])
            se = np.sqrt(cov[kl, kl] + cov[kh, kh] + 2 * cov[kl, kh])
            row["asymmetry"], row["asymmetry_p"] = diff, float(2 * sps.norm.sf(abs(diff) / se))
        else:
            row["asymmetry"], row["asymmetry_p"] = np.nan, np.nan
        row["share"] = shares.get(column, np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    adjusted = holm(list(table["penalty_p"]) + list(table["reward_p"]))
    table["penalty_p"], table["reward_p"] = adjusted[: len(table)], adjusted[len(table):]
    table["asymmetry_p"] = holm(table["asymmetry_p"])
    bar = eng.thresholds.min_effect * _scale_span(eng, data.outcome)
    table.insert(table.columns.get_loc("share"), "kind",
                 [_asymmetry_kind(row, alpha, bar) for row in table.to_dict("records")])
    table["n"] = len(y)
    table["low_rule"] = f"rated {scale.min}-{low_max}"
    table["high_rule"] = f"rated {high_min}" + (f"-{scale.max}" if high_min < scale.max else "")
    table["outcome"] = data.outcome
    table["outcome_label"] = outcome_label(eng, data.outcome)
    return table


def boxes(scale) -> tuple[int, int]:
    """The low and top boxes of a rating scale of any length: the bottom two-fifths of its points (at least one)
    and the top fifth (at least one), rounded: 1-2 and 5 on 1-5, 1-3 and 7 on 1-7, 0-3 and 9-10 on 0-10."""
    points = scale.max - scale.min + 1
    return scale.min + max(1, round(0.4 * points)) - 1, scale.max - max(1, round(0.2 * points)) + 1


def _scale_span(eng: Engagement, outcome: str) -> float:
    """The range of a rating outcome's scale."""
    for o in (eng.feedback.outcomes.satisfaction, eng.feedback.outcomes.recommend):
        if o is not None and o.column == outcome:
            scale = eng.scales[o.scale]
            return float(scale.max - scale.min)
    scale = eng.scales[eng.feedback.main_outcome.scale]
    return float(scale.max - scale.min)


def _asymmetry_kind(row: dict, alpha: float, bar: float = 0.0) -> str:
    # a side counts when significant the expected way (a low rating that seems to help is no penalty); the effect
    # a kind is named for must also reach the smallest that matters. A kind compares the two sides, so both must
    # have been tested: "costs little when poor" needs enough customers who rated it poorly.
    if pd.isna(row["penalty_p"]) or pd.isna(row["reward_p"]):
        return "no_clear_effect"
    pen = row["penalty_p"] < alpha and row["penalty"] > 0
    rew = row["reward_p"] < alpha and row["reward"] > 0
    if pen and rew:
        if row["asymmetry_p"] < alpha:
            kind = "dissatisfier" if row["asymmetry"] > 0 else "delighter"
        else:
            kind = "both"
    elif pen:
        kind = "dissatisfier"
    elif rew:
        kind = "delighter"
    else:
        return "no_clear_effect"
    named = {"dissatisfier": row["penalty"], "delighter": row["reward"], "both": max(row["penalty"], row["reward"])}
    return kind if named[kind] >= bar else "no_clear_effect"


def _wls_hc1(design: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares with the HC1 robust covariance (MacKinnon & White 1985): the sandwich
    ``(X'WX)^-1 X' diag(w_i^2 e_i^2) X (X'WX)^-1 n / (n - k)``. The cross-products are summed a block of rows at a
    time, so no copy of the design is held beside it."""
    n, k = design.shape
    gram, xwy = np.zeros((k, k)), np.zeros(k)
    for rows in row_blocks(n):
        xw = design[rows] * w[rows, None]
        gram += design[rows].T @ xw
        xwy += xw.T @ y[rows]
    bread = np.linalg.pinv(gram)
    coef = bread @ xwy
    meat = np.zeros((k, k))
    for rows in row_blocks(n):
        score = design[rows] * (w[rows] * (y[rows] - design[rows] @ coef))[:, None]
        meat += score.T @ score
    return coef, bread @ meat @ bread * n / (n - k)


# ------------------------------------------------------------------ what-if

def what_if(fb: pd.DataFrame, eng: Engagement, raise_by: float | None = None,
            outcome: str | None = None) -> pd.DataFrame:
    """What raising one attribute would do to the outcome and to the share truly impressed.

    Parameters
    ----------
    fb : DataFrame
    eng : Engagement
    raise_by : float, optional
        Scale points added to every customer's rating of one attribute, capped
        at the top of the scale; ``drivers.what_if_raise`` by default.
    outcome : str, optional
        A rating outcome; the main outcome by default.

    Returns
    -------
    DataFrame
        One row per attribute: ``raise_by``, ``mean_now`` / ``mean_after`` (the
        attribute), ``at_top`` (share already at the top), ``outcome_now``,
        ``outcome_change``, ``outcome_after``, ``impressed_now``,
        ``impressed_after``, ``impressed_change`` (share truly impressed, only
        for the main outcome, and only where its logistic model can be fitted:
        none when the ratings separate the truly impressed perfectly), ``n``.

    Notes
    -----
    The outcome: the full linear regression's slope times the mean rise
    actually possible (ratings stop at the scale's top). The share truly
    impressed: a logistic regression of being in the top loyalty band on all
    attributes; the change is the mean predicted probability with the attribute
    raised minus the mean fitted probability (a "simulator" as in driver
    dashboards; Train 2009, *Discrete Choice Methods*, ch. 3, on average
    partial effects). Both models are fitted on the respondents who rated
    every attribute (or on imputed ratings). Associations, not causes.
    """
    spec = eng.feedback
    raise_by = eng.drivers.what_if_raise if raise_by is None else float(raise_by)
    data = driver_data(fb, eng, outcome).complete()
    if data.binary:
        raise ImportanceError("the what-if needs a rating outcome, not a yes/no one")
    scale = eng.scales[spec.scale]
    x, y, w = data.x, data.y, data.weights
    design = np.column_stack([np.ones(len(y)), x])
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
    main = data.outcome == spec.main_outcome.column
    impressed_model = None
    if main:
        band = loyalty_band(pd.Series(y), eng).to_numpy()
        impressed = (band == "truly_impressed").astype(float)
        if 0 < impressed.sum() < len(impressed):
            mean, sd = x.mean(axis=0), x.std(axis=0)
            try:
                beta, _ = logistic_fit(np.column_stack([np.ones(len(y)), (x - mean) / sd])[None], impressed, w)
                impressed_model = (beta[0], mean, sd)
            except ImportanceError:   # separation (common in small samples): the outcome's own change still stands
                impressed_model = None
    rows = []
    total = w.sum()
    outcome_now = float(w @ y / total)
    for j, (column, label) in enumerate(zip(data.columns, data.labels)):
        raised = x.copy()
        raised[:, j] = np.minimum(x[:, j] + raise_by, scale.max)
        rise = float(w @ (raised[:, j] - x[:, j]) / total)
        row = {"attribute": column, "label": label, "raise_by": raise_by,
               "mean_now": float(w @ x[:, j] / total), "mean_after": float(w @ raised[:, j] / total),
               "at_top": float(w @ (x[:, j] >= scale.max) / total),
               "outcome_now": outcome_now, "outcome_change": float(coef[j + 1] * rise),
               "outcome_after": outcome_now + float(coef[j + 1] * rise)}
        if impressed_model is not None:
            beta, mean, sd = impressed_model
            before = _probability(x, beta, mean, sd) @ w / total
            after = _probability(raised, beta, mean, sd) @ w / total
            row.update({"impressed_now": float(w @ impressed / total),
                        "impressed_change": float(after - before)})
            row["impressed_after"] = row["impressed_now"] + row["impressed_change"]
        rows.append(row)
    table = pd.DataFrame(rows)
    table["n"] = len(y)
    table["outcome"] = data.outcome
    table["outcome_label"] = outcome_label(eng, data.outcome)
    return table.sort_values("outcome_change", ascending=False, kind="stable").reset_index(drop=True)


def _probability(x, beta, mean, sd):
    return expit(beta[0] + ((x - mean) / sd) @ beta[1:])


# ------------------------------------------------------------------ non-linear check

NONLINEAR_ROWS = 50_000   # the gradient boosting check uses at most this many customers (a seeded sample)


def nonlinear_check(fb: pd.DataFrame, eng: Engagement, drivers: pd.DataFrame) -> pd.DataFrame:
    """Gradient boosting with permutation importance beside the Shapley shares.

    Parameters
    ----------
    fb : DataFrame
    eng : Engagement
    drivers : DataFrame
        The key drivers table of the same (rating) outcome.

    Returns
    -------
    DataFrame
        Per attribute: ``shapley_share``, ``boosting_share`` (permutation
        importance normalised to sum to 1), their ranks, ``rank_gap``,
        ``disagree`` (ranks three or more apart, or shares ten points apart),
        and the boosting model's ``holdout_r2`` beside the linear ``r2``.

    Notes
    -----
    scikit-learn's histogram gradient boosting (which takes missing ratings as
    they are), seeded, fitted on 75% of up to 50,000 customers; permutation
    importance (Breiman 2001; five repeats) on the other 25%: how much the
    held-out R^2 drops when one attribute's ratings are shuffled. Negative
    importances count as zero. A large gap to the linear Shapley shares points
    to thresholds or interactions the linear model cannot see.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import train_test_split

    outcome = drivers["outcome"].iloc[0]
    columns = list(drivers["attribute"])
    y = fb[outcome].to_numpy(dtype=float)
    keep = ~np.isnan(y)
    x, y = fb[columns].to_numpy(dtype=float)[keep], y[keep]
    rng = np.random.default_rng(eng.seed)
    if len(y) > NONLINEAR_ROWS:
        pick = np.sort(rng.choice(len(y), NONLINEAR_ROWS, replace=False))
        x, y = x[pick], y[pick]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=eng.seed)
    model = HistGradientBoostingRegressor(random_state=eng.seed, max_iter=100, learning_rate=0.1)
    # one OpenMP thread: stages run side by side in a run, and spinning threads would slow them all
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(x_train, y_train)
        importances = permutation_importance(model, x_test, y_test, 5, eng.seed)
    raw = np.clip(importances.mean(axis=1), 0, None)
    boosting = raw / raw.sum() if raw.sum() > 0 else np.full(len(raw), np.nan)
    table = drivers[["attribute", "label", "share", "rank"]].rename(
        columns={"share": "shapley_share", "rank": "shapley_rank"}).copy()
    table["boosting_share"] = boosting
    # where boosting finds no importance at all (no signal), it has no ranks and nothing to disagree with
    table["boosting_rank"] = table["boosting_share"].rank(ascending=False, method="first").astype("Int64")
    table["rank_gap"] = (table["boosting_rank"] - table["shapley_rank"]).abs()
    table["disagree"] = ((table["rank_gap"] >= 3) | ((table["boosting_share"] - table["shapley_share"]).abs() >= 0.10)
                         ).fillna(False).astype(bool)
    table["holdout_r2"] = float(model.score(x_test, y_test))
    table["r2"] = float(drivers["r2"].iloc[0])
    table["n"] = len(y)
    return table



PERMUTED_ROWS = 200_000   # rows of permuted copies predicted at once


def permutation_importance(model, x: np.ndarray, y: np.ndarray, repeats: int, seed: int) -> np.ndarray:
    """How much a fitted regression's R^2 on (``x``, ``y``) drops when each column is shuffled, ``repeats`` times.

    Returns
    -------
    ndarray, shape (p, repeats)
        The drops (Breiman 2001, Mach. Learn. 45): the same shuffles, and so the same values, as
        scikit-learn's ``permutation_importance(model, x, y, n_repeats=repeats, random_state=seed)``
        (one RandomState per column, seeded from ``seed``'s first draw, shuffling the column again at each
        repeat). The shuffled copies are predicted together, up to ``PERMUTED_ROWS`` rows at a time: a
        gradient boosting model's prediction passes over every tree, and one pass per copy cost most of the
        check.
    """
    n, p = x.shape
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    total = ((y - y.mean()) ** 2).sum()

    def r2(predicted: np.ndarray) -> float:
        return 1.0 - ((y - predicted) ** 2).sum() / total if total > 0 else np.nan

    baseline = r2(model.predict(x))
    drops = np.empty((p, repeats))
    batch, where = [], []

    def predict_batch():
        predicted = model.predict(np.concatenate(batch)).reshape(len(batch), n)
        for (j, r), values in zip(where, predicted):
            drops[j, r] = baseline - r2(values)
        batch.clear()
        where.clear()

    for j in range(p):
        rng, order, shuffled = np.random.RandomState(column_seed), np.arange(n), x.copy()
        for r in range(repeats):
            rng.shuffle(order)
            shuffled[:, j] = shuffled[order, j]
            batch.append(shuffled.copy())
            where.append((j, r))
            if len(batch) * n >= PERMUTED_ROWS:
                predict_batch()
    if batch:
        predict_batch()
    return drops


def yes_no_drivers(fb: pd.DataFrame, eng: Engagement) -> tuple[list[DriverModel], list[str]]:
    """Driver models of the yes/no outcomes: being truly impressed, and the mapped ``outcomes.yes_no`` (none when
    the yes/no outcome is the only one: it is then the key drivers' outcome).

    Returns
    -------
    (models, skipped)
        The models that could be fitted, and for each outcome that could not,
        the reason in words (an outcome with one answer, too few customers ...).
        Methods as :func:`key_drivers`.
    """
    if eng.feedback.main_outcome is None:   # the yes/no outcome is the key drivers' own: nothing to add
        return [], []
    outcomes = [TRULY_IMPRESSED] + ([eng.feedback.outcomes.yes_no.column] if eng.feedback.outcomes.yes_no else [])
    models, skipped = [], []
    for outcome in outcomes:
        try:
            models.append(key_drivers(fb, eng, outcome))
        except ImportanceError as exc:
            skipped.append(f"{outcome_label(eng, outcome)}: not modelled; {exc}")
    return models, skipped


def combine(models: list[DriverModel]) -> pd.DataFrame:
    """The tables of several driver models (one per outcome) stacked into one, each row naming its outcome."""
    if not models:
        return pd.DataFrame(columns=["attribute", "label", "share", "outcome", "outcome_label"])
    return pd.concat([m.table for m in models], ignore_index=True)


def headlines(model: DriverModel, quadrants: pd.DataFrame, asymmetry: pd.DataFrame | None,
              yes_no: list[DriverModel] = (), skipped: list[str] = (),
              check: pd.DataFrame | None = None) -> DriverHeadlines:
    """The driver stage's headline figures: the main model and what came of it (``asymmetry`` None where the
    data could not support it)."""
    def labels(mask) -> tuple[str, ...]:
        return tuple(str(v) for v in mask)

    asymmetry = pd.DataFrame(columns=["kind", "label"]) if asymmetry is None else asymmetry

    return DriverHeadlines(
        model=model.headlines(), top_driver=str(model.table["label"].iloc[0]),
        moments_of_truth=labels(quadrants.loc[quadrants["quadrant"] == "fix_first", "label"]),
        dissatisfiers=labels(asymmetry.loc[asymmetry["kind"] == "dissatisfier", "label"]) if len(asymmetry) else (),
        delighters=labels(asymmetry.loc[asymmetry["kind"] == "delighter", "label"]) if len(asymmetry) else (),
        yes_no=tuple(m.headlines() for m in yes_no), yes_no_skipped=tuple(skipped),
        nonlinear_disagree=() if check is None else labels(check.loc[check["disagree"], "label"]))
