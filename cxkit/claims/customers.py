"""Claims about customers: the loyalty mix, NPS, expectations, consistency, the segments, the value at stake
and differences by descriptor.

Materiality: the share of customers indifferent or unhappy (loyalty mix); the
share of detractors (NPS); the largest expectation gap as a share of the
scale's range; the share of customers with an inconsistent experience times
the outcome they lose, over the outcome scale's range (consistency); a
segment's share of the value (or customers) at stake.
"""

from __future__ import annotations

import pandas as pd

from ..inputs.config import Engagement
from ..results.catalogue import CONSISTENCY
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text, join, sentence


def _outcome_span(eng: Engagement) -> float:
    scale = eng.scales[eng.feedback.main_outcome.scale]
    return float(scale.max - scale.min)


def loyalty_mix_claim(mix: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """How many customers are truly impressed, and how many are indifferent or unhappy."""
    shares = mix.set_index("band")["share"]
    n = int(mix["n"].iloc[0])
    at_risk = float(shares["indifferent"] + shares["unhappy"])
    facts = dict(impressed=shares["truly_impressed"], at_risk=at_risk, n=n)
    text = (("Only " if shares["truly_impressed"] < 0.5 else "") + "{impressed:.0%} of customers are truly impressed; "
            "{at_risk:.0%} are indifferent or unhappy and could leave easily")
    small = n < eng.thresholds.min_respondents
    return [Claim("loyalty_mix", "all", sentence(text), facts, NOT_TESTABLE if small else SUPPORTED,
                  f"only {n} answers, under the minimum base of {eng.thresholds.min_respondents}" if small else
                  f"shares of {n:,} answers with Wilson 95% intervals", at_risk,
                  comparison="loyalty bands on the main outcome", effect=at_risk, effect_unit="share of customers",
                  n=n, lead=True)]


def nps_claim(nps: pd.DataFrame, eng: Engagement) -> list[Claim]:
    if nps is None or not len(nps):
        return []
    row = nps.iloc[0]
    facts = dict(nps=row["nps"], ci_low=row["ci_low"], ci_high=row["ci_high"], promoters=row["promoters"],
                 detractors=row["detractors"], n=row["n"])
    small = row["n"] < eng.thresholds.min_respondents
    return [Claim("nps", "all", "NPS is {nps:+.0f} (95% interval {ci_low:+.0f} to {ci_high:+.0f}): "
                  "{detractors:.0%} detractors against {promoters:.0%} promoters", facts,
                  NOT_TESTABLE if small else SUPPORTED,
                  f"only {int(row['n'])} answers" if small else "interval from the variance of a difference of "
                  "proportions", float(row["detractors"]), comparison="promoters against detractors",
                  effect=float(row["nps"]), effect_unit="NPS points", ci=(row["ci_low"], row["ci_high"]),
                  n=row["n"], lead=True)]


def expectations_claim(expectations: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """Touchpoints whose experience beats expectations, and the one that falls furthest short (intervals exclude 0)."""
    if expectations is None or not len(expectations):
        return []
    scale = eng.scales[eng.feedback.scale]
    above = expectations[expectations["ci_low"] > 0]
    below = expectations[expectations["ci_high"] < 0].sort_values("gap", kind="stable")
    worst = below.iloc[0] if len(below) else None
    facts = dict(above=join(above["label"].map(in_text)), below_label=None if worst is None else worst["label"],
                 below_gap=None if worst is None else worst["gap"],
                 below_exceeds=None if worst is None else worst["exceeds"])
    parts = []
    if len(above):
        parts.append("{above} beat" + ("s" if len(above) == 1 else "") + " expectations")
    if worst is not None:
        parts.append("{below_label|lower} falls furthest short ({below_gap:+.1f} points; only {below_exceeds:.0%} find "
                     "it better than expected)")
    common = dict(comparison="perception against expectation per touchpoint", test="paired 95% t interval",
                  n=expectations["n"].max(), lead=True)
    if not parts:
        return [Claim("expectations", "all", "Experience matches expectations within noise on every touchpoint asked",
                      facts, WITHIN_NOISE, "every gap's 95% interval includes zero", 0.0, **common)]
    largest = float(expectations.loc[pd.concat([above, below]).index, "gap"].abs().max())
    text = "; ".join(parts)
    return [Claim("expectations", "all", text[0].upper() + text[1:], facts, SUPPORTED,
                  "touchpoints whose gap's 95% interval excludes zero", largest / (scale.max - scale.min),
                  effect=largest, effect_unit="rating points", **common)]


def consistency_claim(steady: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What an inconsistent experience across touchpoints does to the outcome, by the direction found."""
    if steady is None or not len(steady):
        return []
    bands = steady[(steady["kind"] == "band") & (steady["n"] > 0)].set_index("group")
    steadier = [g for g in ("consistent", "mixed") if g in bands.index]
    if not steadier or "inconsistent" not in bands.index:
        return []
    steadier = max(steadier, key=lambda g: bands.loc[g, "n"])   # the larger of the steadier bands
    a, b = bands.loc[steadier], bands.loc["inconsistent"]
    facts = dict(inconsistent_share=b["share"], inconsistent_outcome=b["outcome"],
                 steadier_label=in_text(CONSISTENCY.label(steadier)), steadier_outcome=a["outcome"])
    lower, higher = b["ci_high"] < a["ci_low"], b["ci_low"] > a["ci_high"]
    if lower or higher:
        text = ("{inconsistent_share:.0%} of customers have an inconsistent experience across touchpoints; they rate "
                "the outcome {inconsistent_outcome:.1f} against {steadier_outcome:.1f} for those with a "
                "{steadier_label} one")
        verdict, reason = SUPPORTED, "the two groups' 95% intervals do not overlap"
    else:
        text = ("{inconsistent_share:.0%} of customers have an inconsistent experience across touchpoints; they rate "
                "the outcome about the same as those with a {steadier_label} one ({inconsistent_outcome:.1f} against "
                "{steadier_outcome:.1f}, within noise)")
        verdict, reason = WITHIN_NOISE, "the two groups' 95% intervals overlap"
    loss = abs(a["outcome"] - b["outcome"])
    return [Claim("consistency", "all", text, facts, verdict, reason,
                  b["share"] * loss / _outcome_span(eng) if verdict == SUPPORTED else 0.0,
                  comparison=f"inconsistent against {facts['steadier_label']} experience",
                  direction="lower" if lower else "higher" if higher else "none",
                  effect=float(b["outcome"] - a["outcome"]), effect_unit="outcome points",
                  test="95% t intervals (non-overlap)", n=b["n"] + a["n"], lead=True)]


def segments_claim(profiles: pd.DataFrame, stability: float, eng: Engagement) -> list[Claim]:
    """The segments and what sets them apart; whether they are stable enough to act on."""
    if profiles is None or not len(profiles):
        return []
    threshold = eng.thresholds.segment_stability
    facts = dict(k=len(profiles), described="; ".join(f"{in_text(r.name.split(',')[0])} ({r.share:.0%})"
                                                       for r in profiles.itertuples()),
                 stability=stability, threshold=threshold)
    common = dict(comparison="segments from touchpoint ratings", test="bootstrap adjusted Rand index",
                  effect=float(stability), effect_unit="ARI", n=profiles["n"].sum(), lead=True)
    if len(profiles) < 2:
        return [Claim("segments", "all", "Customers form one group: no segment of at least "
                      f"{eng.thresholds.min_segment_size} customers stands apart", facts, NOT_TESTABLE,
                      "a single segment after merging small ones", 0.0, **common)]
    if stability < threshold:
        return [Claim("segments", "all", "The {k} segments are not stable (bootstrap adjusted Rand {stability:.2f}, "
                      "under {threshold:.2f}): treat them as indicative", facts, WITHIN_NOISE,
                      f"refits on bootstrap resamples agree with the solution less than {threshold:.2f}", 0.5, **common)]
    return [Claim("segments", "all", "{k} segments of customers want different things: {described}", facts,
                  SUPPORTED, f"stable on refits (adjusted Rand {stability:.2f} of at least {threshold:.2f})", 0.0,
                  **common)]


def value_at_stake_claims(stake: pd.DataFrame, profiles: pd.DataFrame) -> list[Claim]:
    """Each segment's part of the value (or customers) held by indifferent and unhappy customers; the largest leads."""
    if stake is None or not len(stake) or profiles is None or not len(profiles):
        return []
    column, what = ("value_at_stake", "value") if "value_at_stake" in stake else ("at_risk_customers", "customers")
    total = float(stake[column].sum())
    if total <= 0:
        return []
    names = profiles.set_index("segment")["name"]
    ranked = stake.assign(part=stake[column] / total).sort_values("part", ascending=False, kind="stable")
    out = []
    for i, r in enumerate(ranked.itertuples()):
        facts = dict(segment=int(r.segment), name=names.get(r.segment, ""), stake=float(getattr(r, column)),
                     stake_share=float(r.part), what=what)
        text = ("Segment {segment} ({name|lower}) holds {stake_share:.0%} of the value held by indifferent and unhappy "
                "customers" if what == "value" else
                "Segment {segment} ({name|lower}) holds {stake_share:.0%} of the indifferent and unhappy customers")
        out.append(Claim("value_at_stake", str(int(r.segment)), text, facts, SUPPORTED,
                         f"a share of the {what} summed over {int(r.customers):,} customers in the segment",
                         float(r.part), comparison="segments' share of what is at stake", effect=float(r.part),
                         effect_unit=f"share of the {what} at stake", n=r.customers, lead=i == 0))
    return out


def descriptor_claim(table: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """Whether the outcome differs by region, channel, customer type ...: a Kruskal-Wallis or chi-square test
    (Holm-adjusted) under ``thresholds.alpha``."""
    if table is None or not len(table):
        return []
    alpha = eng.thresholds.alpha
    tests = table.groupby("descriptor", sort=False)[["kw_p", "chi2_p"]].first()
    differ = [d for d, r in tests.iterrows() if r["kw_p"] < alpha or r["chi2_p"] < alpha]
    same = [d for d in tests.index if d not in differ]
    label = eng.feedback.main_outcome.label
    facts = dict(outcome_label=label, differ=join(d.replace("_", " ") for d in differ),
                 same=", ".join(d.replace("_", " ") for d in same), alpha=alpha)
    common = dict(comparison="outcomes across each descriptor's values",
                  test="Kruskal-Wallis and chi-square, Holm-adjusted across descriptors",
                  p=float(tests[["kw_p", "chi2_p"]].min().min()), n=table.groupby("descriptor")["n"].sum().max(),
                  lead=True)
    if differ:
        return [Claim("descriptor_differences", "all", "Outcomes differ by {differ}", facts, SUPPORTED,
                      f"Holm-adjusted p < {alpha:g}", 0.0, **common)]
    return [Claim("descriptor_differences", "all", "{outcome_label} is much the same across {same}", facts,
                  WITHIN_NOISE, f"no Holm-adjusted p under {alpha:g}", 0.0, **common)]


def customer_claims(eng: Engagement, mix: pd.DataFrame, nps: pd.DataFrame, expectations: pd.DataFrame,
                    steady: pd.DataFrame, profiles: pd.DataFrame, stability: float, stake: pd.DataFrame,
                    by_descriptor: pd.DataFrame) -> list[Claim]:
    """Every claim of the customer stage, from the tables notebook 02 saved."""
    return (loyalty_mix_claim(mix, eng) + nps_claim(nps, eng) + expectations_claim(expectations, eng)
            + consistency_claim(steady, eng) + segments_claim(profiles, stability, eng)
            + value_at_stake_claims(stake, profiles) + descriptor_claim(by_descriptor, eng))
