"""The executive summary, chosen from the run's claims, and the claims that say what a run could not cover."""

from __future__ import annotations

from ..results.catalogue import ANALYSIS_STAGES, CLAIMS, STAGES
from ..results.claim import NOT_TESTABLE, Claim
from ..results.store import StageRecord


def not_covered_claims(records: list[StageRecord]) -> list[Claim]:
    """One claim per analysis stage that did not run, with its reason (the summary and the method slide say so)."""
    out = []
    for record in records:
        if record.stage in ANALYSIS_STAGES and record.status != "done":
            facts = dict(stage_title=STAGES[record.stage].title, reason=record.reason)
            out.append(Claim("not_covered", record.stage, "{stage_title} was not covered: {reason}", facts,
                             NOT_TESTABLE, record.reason, 0.0, lead=True))
    return out


def executive_summary(claims: list[Claim], limit: int = 5) -> list[Claim]:
    """The claims the executive summary states, in order.

    Rule: for each analysis stage, its most material supported lead claim (of a kind that may lead the summary);
    a stage with lead claims but none supported contributes its first one, which says plainly that the evidence
    is not there; then the next most material supported lead claims, up to ``limit``; then a line for each stage
    not covered. Materiality is the share of the scale, of customers, of explained variance or of value the claim
    is about (stated per kind in :mod:`cxkit.claims`).
    """
    leads = [c for c in claims if c.lead and CLAIMS[c.kind].summary and c.stage in ANALYSIS_STAGES]
    order = {kind: i for i, kind in enumerate(CLAIMS)}
    chosen = []
    for stage in ANALYSIS_STAGES:
        own = [c for c in leads if c.stage == stage]
        supported = sorted((c for c in own if c.supported), key=lambda c: -c.materiality)
        if supported:
            chosen.append(supported[0])
        elif own:
            chosen.append(min(own, key=lambda c: order[c.kind]))
    chosen = sorted(chosen, key=lambda c: (not c.supported, -c.materiality))[:limit]
    rest = sorted((c for c in leads if c.supported and c not in chosen), key=lambda c: -c.materiality)
    return chosen + rest[: limit - len(chosen)] + [c for c in claims if c.kind == "not_covered"]
