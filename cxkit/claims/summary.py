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
    """The claims the executive summary states, in order: only claims their evidence supports.

    Rule: for each analysis stage, its most material supported lead claim (of a kind that may lead the summary);
    then the next most material supported lead claims, up to ``limit``. Findings about customers and people come
    before claims about the scorecard's design (owners, response volume), whatever their materiality: the
    executive reads what the data says about the business first, and a design claim with nothing to fix
    (materiality 0) is left out. Findings the evidence does not support
    are stated on the deck's "What the data does not show" slide, and stages the data did not allow in the
    method appendix, never in the summary. Materiality is the share of the scale, of customers, of explained
    variance or of value the claim is about (stated per kind in :mod:`cxkit.claims`).
    """
    # a design claim that finds nothing to fix ("every metric has an owner": materiality 0) is no headline
    leads = [c for c in claims if c.lead and c.supported and CLAIMS[c.kind].summary and c.stage in ANALYSIS_STAGES
             and not (CLAIMS[c.kind].design and c.materiality <= 0)]

    def order(c: Claim):
        return CLAIMS[c.kind].design, -c.materiality

    chosen = []
    for stage in ANALYSIS_STAGES:
        own = sorted((c for c in leads if c.stage == stage), key=order)
        if own:
            chosen.append(own[0])
    chosen = sorted(chosen, key=order)[:limit]
    rest = sorted((c for c in leads if c not in chosen), key=order)
    return sorted(chosen + rest[: limit - len(chosen)], key=lambda c: CLAIMS[c.kind].design)   # stable: findings first
