"""Each stage's headline figures as a typed record: what the method slide, the appendix and the next stage read.

A stage saves its headlines in its record (``results/stage_<stage>.json``);
:func:`cxkit.results.store.RunResults.headlines` reads them back as these types,
so a reader of one figure finds it by name, with its type, in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class RealityHeadlines:
    """The reality check: who answered, the overall level, reliability and privacy."""

    respondents: int
    maturity_index: float
    maturity_level: int | None
    maturity_level_name: str
    weakest_dimension: str
    alpha_low: float | None
    alpha_high: float | None
    reliability_warnings: tuple[str, ...]
    pooled_departments: int
    pooled_levels: int
    suppressed_cells: int
    min_group_size: int


@dataclass(frozen=True)
class CustomerHeadlines:
    """Customers and segments: the base, weighting, the loyalty mix and NPS, and how segments were made."""

    customers: int
    effective_n: float
    weighted: bool
    truly_impressed: float | None   # None without a rating outcome
    nps: float | None
    segments: int | None            # the segmentation's figures are None where the data could not support it
    stability: float | None
    stability_low: float | None
    imputed_share: float | None
    unsegmented: int | None
    merged_segments: int | None


@dataclass(frozen=True)
class ModelHeadlines:
    """One driver model: its outcome, method, fit, base and warnings (:class:`cxkit.analysis.drivers.DriverModel`)."""

    outcome: str
    outcome_label: str
    method: str
    fit: str
    r2: float
    n: int
    n_effective: float
    missing: str
    resamples: int
    condition_number: float
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    interval_method: str = ""   # how the 95% intervals were resampled, in words


@dataclass(frozen=True)
class DriverHeadlines:
    """Key drivers: the main model, what came of it, and the yes/no models."""

    model: ModelHeadlines
    top_driver: str
    moments_of_truth: tuple[str, ...]
    dissatisfiers: tuple[str, ...]
    delighters: tuple[str, ...]
    yes_no: tuple[ModelHeadlines, ...] = ()
    yes_no_skipped: tuple[str, ...] = ()
    nonlinear_disagree: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricHeadlines:
    """Metrics: the scorecard's size and gaps, and what moved between waves."""

    metrics: int
    without_owner: int
    cadence_unsupported: int
    layers: dict = field(default_factory=dict)
    significant_changes: tuple[str, ...] = ()
    segment_models: int = 0


@dataclass(frozen=True)
class RecommendationHeadlines:
    """Recommendations: how many actions fired, from how many rules, on how many supported claims."""

    actions: int
    rules: int
    claims: int
    supported_claims: int


HEADLINES = {"reality_check": RealityHeadlines, "customers": CustomerHeadlines, "drivers": DriverHeadlines,
             "metrics": MetricHeadlines, "recommendations": RecommendationHeadlines}


def to_dict(headlines) -> dict:
    return asdict(headlines)


def from_dict(stage: str, data: dict):
    """Rebuild a stage's typed headlines from its saved record (tuples from lists, nested models)."""
    kind = HEADLINES[stage]
    return _build(kind, data)


def _build(kind, data: dict):
    values = {}
    for f in fields(kind):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in ("model",):
            value = _build(ModelHeadlines, value)
        elif f.name == "yes_no":
            value = tuple(_build(ModelHeadlines, v) for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return kind(**values)
