"""Recommendations that follow from the evidence (DOMAIN.md section 5).

Each rule reads a saved results table, fires when its condition holds, and
returns an action with its evidence (the numbers), the framework component it
strengthens, an owner, a horizon and a priority. Priority is the materiality
of the evidence, defined as in :mod:`cxkit.findings` (the share of the scale,
of explained variance or of value the finding is about); actions are ranked
by it, and the pilot step always comes last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from .config import Engagement
from .results import RunResults

MATURITY_GAP = 0.5       # points below target that call for action on a dimension
HORIZONS = ("Quick win", "90 days", "12 months")


@dataclass(frozen=True)
class Recommendation:
    headline: str        # a few words, for the roadmap
    action: str
    evidence: str
    component: str
    owner: str
    horizon: str
    priority: float
    source: str


def _maturity(results: RunResults, eng: Engagement) -> list[Recommendation]:
    table = results.table("maturity")
    if table is None:
        return []
    span = eng.scales[eng.diagnostic.scale].max - eng.scales[eng.diagnostic.scale].min
    out = []
    for row in table[table["gap"] >= MATURITY_GAP].head(2).itertuples():
        move = eng.framework.dimensions[row.dimension].move or f"Close the gap on {row.label.lower()}"
        out.append(Recommendation(f"Strengthen {row.label.lower()}", move, f"{row.label}: {row.mean:.1f} against a target of {row.target:.1f}; "
                                  f"{row.favourable:.0%} favourable", row.label, eng.targets.outcome_owner, "12 months",
                                  row.gap / span, "results/maturity.csv"))
    return out


def _perception(results: RunResults, eng: Engagement) -> list[Recommendation]:
    gaps = results.table("perception_gaps")
    if gaps is None or gaps.empty or not gaps["flagged"].any():
        return []
    row = gaps[gaps["flagged"]].iloc[0]
    span = eng.scales[eng.diagnostic.scale].max - eng.scales[eng.diagnostic.scale].min
    return [Recommendation("Close the leader-frontline gap", "Share the frontline's view with every leadership team, and have leaders spend time on the "
                           "front line before acting on the plan",
                           f"Executives rate {row['label'].lower()} {row['gap']:.1f} points above the frontline "
                           f"({row['executive']:.1f} vs {row['frontline']:.1f})", "Leadership and coaching",
                           eng.targets.outcome_owner, "90 days", row["gap"] / span, "results/perception_gaps.csv")]


def _departments(results: RunResults, eng: Engagement) -> list[Recommendation]:
    lagging = results.table("lagging_departments")
    if lagging is None or lagging.empty:
        return []
    row = lagging.iloc[0]
    span = eng.scales[eng.diagnostic.scale].max - eng.scales[eng.diagnostic.scale].min
    return [Recommendation(f"Bring {row['group']} up to the organisation", f"Work with {row['group']} on {row['label'].lower()}: the customer's experience should not "
                           "depend on which department they meet",
                           f"{row['group']} scores {row['diff_from_all']:+.1f} points against the organisation on "
                           f"{row['label'].lower()}", "Organisational support", row["group"], "90 days",
                           abs(row["diff_from_all"]) / span, "results/lagging_departments.csv")]


def _moments(results: RunResults, eng: Engagement) -> list[Recommendation]:
    table = results.table("moments_of_truth")
    if table is None:
        return []
    out = []
    for row in table[table["quadrant"].str.startswith("Moment of truth")].head(3).itertuples():
        owner = row.owner if isinstance(row.owner, str) and row.owner else "No owner: assign one"
        out.append(Recommendation(f"Fix {row.label.lower()}", f"Fix {row.label.lower()} first: redesign it with the people who deliver it, and "
                                  "track its top-2-box score every wave",
                                  f"{row.share:.0%} of explained variance; {row.top2:.0%} rate it in the top two boxes",
                                  "Engagement strategy", owner, "90 days", row.share, "results/moments_of_truth.csv"))
    return out


def _segments(results: RunResults, eng: Engagement) -> list[Recommendation]:
    stake, profiles = results.table("value_at_stake"), results.table("segment_profiles")
    if stake is None or profiles is None or stake.empty:
        return []
    key = "value_at_stake" if "value_at_stake" in stake else "at_risk_customers"
    total = stake[key].sum()
    if total <= 0:
        return []
    row = stake.sort_values(key, ascending=False).iloc[0]
    name = profiles.set_index("segment").loc[row["segment"], "name"]
    return [Recommendation(f"Retain segment {int(row['segment'])}", f"Design a retention play for segment {int(row['segment'])} ({name.lower()}), "
                           "aimed at what lets it down",
                           f"It holds {row[key] / total:.0%} of the {'value' if key == 'value_at_stake' else 'customers'} "
                           "at stake among indifferent and unhappy customers", "Engagement strategy",
                           eng.targets.outcome_owner, "90 days", row[key] / total, "results/value_at_stake.csv")]


def _owners(results: RunResults, eng: Engagement) -> list[Recommendation]:
    card = results.table("scorecard")
    if card is None or not card["owner_missing"].any():
        return []
    missing = card[card["owner_missing"]]
    return [Recommendation("Name an owner for every metric", "Name an owning department for every scorecard metric, so that no silo can push the "
                           "customer away", f"{len(missing)} of {len(card)} metrics have no owner: "
                           + ", ".join(missing["metric"]), "Organisational support", eng.targets.outcome_owner,
                           "Quick win", len(missing) / len(card), "results/scorecard.csv")]


RULES = (_maturity, _perception, _departments, _moments, _segments, _owners)


def recommendations(results: RunResults, eng: Engagement) -> pd.DataFrame:
    """Fire the rules over a run's saved results and rank the actions.

    Returns
    -------
    DataFrame
        ``rank``, ``action``, ``evidence``, ``component``, ``owner``, ``horizon``,
        ``priority``, ``source``; the pilot step comes last whenever any action fired.
    """
    fired = [rec for rule in RULES for rec in rule(results, eng)]
    fired.sort(key=lambda r: -r.priority)
    if fired:
        fired.append(Recommendation("Pilot, then roll out", "Pilot the first changes in one or two units, measure them against the scorecard, "
                                    "then roll out", "Changes proven in a pilot spread faster and cost less to correct",
                                    "Organisational support", eng.targets.outcome_owner, "12 months", 0.0,
                                    "cxkit method (DOMAIN.md section 5)"))
    table = pd.DataFrame([asdict(r) for r in fired],
                         columns=["headline", "action", "evidence", "component", "owner", "horizon", "priority", "source"])
    table.insert(0, "rank", range(1, len(table) + 1))
    return table
