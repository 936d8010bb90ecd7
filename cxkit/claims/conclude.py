"""The step before the deck: every claim of the run gathered, the recommendations fired on them, the roadmap
and the executive summary chosen. The deck only reads what this step saved."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..inputs.config import Engagement
from ..results.claim import Claim
from ..results.headlines import RecommendationHeadlines
from ..results.store import RunResults
from .recommend import actions_claim, engagement_rules, recommendations, roadmap
from .summary import executive_summary, not_covered_claims


@dataclass(frozen=True)
class Conclusions:
    """What the recommendations stage concludes from a run's claims.

    Attributes
    ----------
    claims : tuple of Claim
        Every claim of the run, this stage's own included (what ``results/claims.json`` holds).
    own : tuple of Claim
        This stage's claims: stages not covered, and how many actions follow.
    actions, roadmap : DataFrame
        The ranked recommendations and the roadmap by phase.
    summary : tuple of Claim
        The executive summary, in order (:func:`cxkit.claims.summary.executive_summary`).
    headlines : RecommendationHeadlines
    """

    claims: tuple[Claim, ...]
    own: tuple[Claim, ...]
    actions: pd.DataFrame
    roadmap: pd.DataFrame
    summary: tuple[Claim, ...]
    headlines: RecommendationHeadlines


def conclude(results: RunResults, eng: Engagement) -> Conclusions:
    """Gather the claims the stages saved, fire the recommendation rules on them, and choose the summary."""
    records = [r for r in results.records() if r.stage not in ("recommendations", "deck")]
    found = [c for r in records if r.status == "done" for c in r.claims]
    actions = recommendations(found, eng)
    own = not_covered_claims(records) + actions_claim(actions, found)
    claims = found + own
    summary = executive_summary(claims)
    headlines = RecommendationHeadlines(actions=len(actions), rules=len(engagement_rules(eng)), claims=len(found),
                                        supported_claims=sum(c.supported for c in found))
    return Conclusions(tuple(claims), tuple(own), actions, roadmap(actions), tuple(summary), headlines)

