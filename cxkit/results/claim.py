"""A claim: one finding as a typed record, with its evidence and a verdict, and the sentence rendered from it.

Stages make claims from their results (:mod:`cxkit.claims`); slide titles, the
executive summary and the evidence of every recommendation come only from
claims, so every sentence the client reads has its evidence beside it: the
comparison, the direction found, the effect with its interval, the test and
its (adjusted) p, the base, and a verdict with its reason.

Verdicts:

- ``supported``: the evidence carries the sentence (a test passed at the
  engagement's level, an interval excludes the comparison, or a descriptive
  figure on an adequate base);
- ``within_noise``: the difference found is not beyond what chance gives;
  the sentence says so, and no recommendation follows from it;
- ``not_testable``: the data cannot answer (too few respondents, groups
  pooled for privacy, no model fit); the sentence says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from .catalogue import VERDICT, ContractError, claim_kind
from .text import sentence, template

SUPPORTED, WITHIN_NOISE, NOT_TESTABLE = "supported", "within_noise", "not_testable"


@dataclass(frozen=True)
class Claim:
    """One finding with its evidence.

    Parameters
    ----------
    kind : str
        A claim kind declared in :data:`cxkit.results.catalogue.CLAIMS` (its stage, facts and tables).
    subject : str
        What the claim is about, as a code ("organisational_support", "first_time_resolution", "all").
    template : str
        The sentence, with ``{fact}`` placeholders (:mod:`cxkit.results.text`).
    facts : dict
        The values the sentence and the recommendation rules read; exactly the kind's declared facts.
    verdict, reason : str
        ``supported``, ``within_noise`` or ``not_testable``, and why, in words.
    materiality : float
        0-1, the ranking key: the share of the scale, of customers, of explained variance or of value the
        claim is about (stated per kind in :mod:`cxkit.claims`).
    comparison, direction : str
        What was compared ("executives against frontline") and the direction found ("higher", "lower", "none").
    effect, effect_unit, ci
        The effect size, its unit and its 95% interval, where there is one.
    test, p, n
        The test (with its adjustment) and its p, and the base.
    lead : bool
        The claim of its kind that a slide title and the executive summary use.
    """

    kind: str
    subject: str
    template: str
    facts: dict = field(default_factory=dict)
    verdict: str = SUPPORTED
    reason: str = ""
    materiality: float = 0.0
    comparison: str = ""
    direction: str = ""
    effect: float | None = None
    effect_unit: str = ""
    ci: tuple[float, float] | None = None
    test: str = ""
    p: float | None = None
    n: int | None = None
    lead: bool = False

    def __post_init__(self):
        declared = claim_kind(self.kind)
        if self.verdict not in VERDICT:
            raise ContractError(f"claim {self.kind}: verdict {self.verdict!r} is not one of {', '.join(VERDICT.labels)}")
        missing, extra = set(declared.facts) - set(self.facts), set(self.facts) - set(declared.facts)
        if missing or extra:
            raise ContractError(f"claim {self.kind}: facts {sorted(missing)} missing and {sorted(extra)} undeclared; "
                                "declare its facts once in cxkit/results/catalogue.py")
        unknown = set(template(self.template).fields) - set(self.facts)
        if unknown:
            raise ContractError(f"claim {self.kind}: its sentence uses {sorted(unknown)}, which are not its facts")
        object.__setattr__(self, "facts", {k: _plain(v) for k, v in self.facts.items()})
        object.__setattr__(self, "materiality", float(max(0.0, min(1.0, _finite(self.materiality, 0.0)))))
        # evidence numbers as plain floats and ints; a missing one (NaN) is None, never a crash
        object.__setattr__(self, "effect", _finite(self.effect, None))
        object.__setattr__(self, "p", _finite(self.p, None))
        n = _finite(self.n, None)
        object.__setattr__(self, "n", None if n is None else int(round(n)))
        if self.ci is not None:
            low, high = (_finite(v, None) for v in self.ci)
            object.__setattr__(self, "ci", None if low is None or high is None else (low, high))

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.subject}"

    @property
    def stage(self) -> str:
        return claim_kind(self.kind).stage

    @property
    def supported(self) -> bool:
        return self.verdict == SUPPORTED

    @property
    def text(self) -> str:
        """The sentence, rendered from the facts (its first letter in upper case)."""
        return sentence(template(self.template).fill(self.facts))

    @property
    def sources(self) -> str:
        return claim_kind(self.kind).sources

    def evidence(self) -> str:
        """The evidence in one line, for speaker notes and the appendix."""
        parts = []
        if self.comparison:
            parts.append(f"{self.comparison}" + (f", {self.direction}" if self.direction else ""))
        if self.effect is not None and math.isfinite(self.effect):
            interval = ""
            if self.ci is not None and all(v is not None and math.isfinite(v) for v in self.ci):
                interval = f" (95% CI {self.ci[0]:.3g} to {self.ci[1]:.3g})"
            parts.append(f"effect {self.effect:.3g}{' ' + self.effect_unit if self.effect_unit else ''}{interval}")
        if self.test:
            p = "" if self.p is None or not math.isfinite(self.p) else (
                "; p < 0.001" if self.p < 0.001 else f"; p = {self.p:.3f}")
            parts.append(f"{self.test}{p}")
        if self.n is not None:
            parts.append(f"n = {self.n:,}")
        parts.append(f"{VERDICT.label(self.verdict)}: {self.reason}" if self.reason else VERDICT.label(self.verdict))
        return "; ".join(parts)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["ci"] = list(self.ci) if self.ci is not None else None
        out["id"], out["stage"], out["text"] = self.id, self.stage, self.text
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Claim":
        fields = {k: v for k, v in data.items() if k not in ("id", "stage", "text")}
        if fields.get("ci") is not None:
            fields["ci"] = tuple(fields["ci"])
        return cls(**fields)


def _finite(value, default):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


def _plain(value: Any):
    """Facts as plain JSON values (numpy numbers become Python numbers, NaN becomes None)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def claims_frame(claims) -> pd.DataFrame:
    """Claims as a table, for notebooks and the Excel appendix: stage, claim, verdict, evidence, materiality, id."""
    from .catalogue import STAGES

    return pd.DataFrame([{"stage": STAGES[c.stage].title, "claim": c.text, "verdict": VERDICT.label(c.verdict),
                          "evidence": c.evidence(), "materiality": round(c.materiality, 3), "lead": c.lead,
                          "sources": c.sources, "id": c.id} for c in claims],
                        columns=["stage", "claim", "verdict", "evidence", "materiality", "lead", "sources", "id"])
