"""Claims about customers: the loyalty mix, NPS, expectations, consistency, the segments, the value at stake
and differences by descriptor.

Materiality: the share of customers indifferent or unhappy (loyalty mix); the
share of detractors (NPS); the largest expectation gap as a share of the
scale's range; the share of customers with an inconsistent experience times
the outcome they lose, over the outcome scale's range (consistency); a
segment's share of the value (or customers) at stake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.config import Engagement
from ..results.catalogue import CONSISTENCY
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text, join, sentence


def _outcome_span(eng: Engagement) -> float:
    return eng.outcome_span


def _rating_span(eng: Engagement) -> float:
    scale = eng.scales[eng.feedback.scale]
    return float(scale.max - scale.min)


def loyalty_mix_claim(mix: pd.DataFrame | None, eng: Engagement) -> list[Claim]:
    """How many customers are truly impressed, and how many are indifferent or unhappy (none without a rating
    outcome: the stage's record says why)."""
    if mix is None or not len(mix):
        return []
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
    recommend = eng.feedback.outcomes.recommend
    if recommend is not None and eng.nps_column is None:
        scale = eng.scales[recommend.scale]
        facts = dict(nps=None, ci_low=None, ci_high=None, promoters=None, detractors=None, n=None)
        return [Claim("nps", "all", f"No NPS: likelihood to recommend was asked on {scale.range_key}, and NPS's "
                      "cut-offs hold only on 0-10", facts, NOT_TESTABLE, "promoters 9-10 and detractors 0-6 need a "
                      "0-10 scale", 0.0, comparison="promoters against detractors", lead=True)]
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
    """Touchpoints whose experience beats expectations, and the one that falls furthest short (intervals exclude 0):
    "furthest" only where its interval lies below the next touchpoint's gap; otherwise by the most, not clearly more
    than the next."""
    if expectations is None or not len(expectations):
        return []
    bar = eng.thresholds.min_effect * _rating_span(eng)
    above = expectations[(expectations["ci_low"] > 0) & (expectations["gap"] >= bar)]
    below = expectations[(expectations["ci_high"] < 0) & (expectations["gap"] <= -bar)].sort_values("gap", kind="stable")
    worst = below.iloc[0] if len(below) else None
    # the next touchpoint's gap, among every one asked: the worst is furthest short only if it clears it
    rest = expectations.drop(index=worst.name).sort_values("gap", kind="stable") if worst is not None else None
    runner = rest.iloc[0] if rest is not None and len(rest) else None
    level = runner is not None and not worst["ci_high"] < runner["gap"]
    facts = dict(above=join(above["label"].map(in_text)), below_label=None if worst is None else worst["label"],
                 below_gap=None if worst is None else worst["gap"],
                 below_exceeds=None if worst is None else worst["exceeds"],
                 next_label=runner["label"] if level else None, next_gap=runner["gap"] if level else None)
    parts = []
    if len(above):
        parts.append("{above} beat" + ("s" if len(above) == 1 else "") + " expectations")
    if worst is not None and level:
        parts.append("{below_label|lower} falls short by the most ({below_gap:+.1f} points; only {below_exceeds:.0%} "
                     "find it better than expected), not clearly more than {next_label|lower} ({next_gap:+.1f})")
    elif worst is not None:
        parts.append("{below_label|lower} falls furthest short ({below_gap:+.1f} points; only {below_exceeds:.0%} find "
                     "it better than expected)")
    common = dict(comparison="perception against expectation per touchpoint", test="paired 95% t interval",
                  n=expectations["n"].max(), lead=True)
    if not parts:
        return [Claim("expectations", "all", "Experience matches expectations within noise on every touchpoint asked",
                      facts, WITHIN_NOISE, f"no gap's 95% interval excludes zero by {bar:.2f} points or more", 0.0,
                      **common)]
    largest = float(expectations.loc[pd.concat([above, below]).index, "gap"].abs().max())
    return [Claim("expectations", "all", "; ".join(parts), facts, SUPPORTED,
                  f"touchpoints whose gap's 95% interval excludes zero, by {bar:.2f} points or more",
                  largest / _rating_span(eng), effect=largest, effect_unit="rating points", **common)]


@dataclass(frozen=True)
class _GroupComparison:
    """One group's outcome against a reference group's, by the consistency claims' test: their 95% t intervals
    apart, by at least the smallest difference that matters; and the words a sentence about it takes."""

    lower: bool
    higher: bool
    reason: str
    rated: bool   # False: a yes/no outcome alone, compared as its share of yes

    @property
    def verdict(self) -> str:
        return SUPPORTED if self.lower or self.higher else WITHIN_NOISE

    @property
    def direction(self) -> str:
        """How the group's outcome differs, in the sentence's words ("lower", "more often" ...)."""
        if self.rated:
            return "lower" if self.lower else "higher"
        return "less often" if self.lower else "more often"

    @property
    def they(self) -> str:
        return "rate the outcome" if self.rated else "answer yes to the outcome"

    @property
    def same(self) -> str:
        return "high" if self.rated else "often"

    def values(self, group: str, reference: str) -> tuple[str, str]:
        """The two outcomes' placeholders, as a mean rating or a share of yes."""
        spec = ".1f" if self.rated else ".0%"
        return f"{{{group}:{spec}}}", f"{{{reference}:{spec}}}"


def _compare_groups(group: pd.Series, reference: pd.Series, eng: Engagement) -> _GroupComparison:
    apart_low, apart_high = group["ci_high"] < reference["ci_low"], group["ci_low"] > reference["ci_high"]
    matters = abs(group["outcome"] - reference["outcome"]) >= eng.thresholds.min_effect * _outcome_span(eng)
    lower, higher = bool(apart_low and matters), bool(apart_high and matters)
    reason = ("the two groups' 95% intervals do not overlap" if lower or higher
              else "the difference is under the smallest that matters" if apart_low or apart_high
              else "the two groups' 95% intervals overlap")
    return _GroupComparison(lower, higher, reason, eng.feedback.main_outcome is not None)


def consistency_claim(steady: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What an inconsistent experience across touchpoints does to the outcome, by the direction found, against the
    larger of the steadier bands (consistent or mixed), named in the sentence: the better-powered comparison (on
    the sample 2% of customers have a consistent experience and 41% a mixed one)."""
    if steady is None or not len(steady):
        return []
    bands = steady[(steady["kind"] == "band") & (steady["n"] > 0)].set_index("group")
    steadier = [g for g in ("consistent", "mixed") if g in bands.index]
    if not steadier or "inconsistent" not in bands.index:
        return []
    steadier = max(steadier, key=lambda g: bands.loc[g, "n"])   # the larger of the steadier bands
    a, b = bands.loc[steadier], bands.loc["inconsistent"]
    facts = dict(inconsistent_share=b["share"], inconsistent_outcome=b["outcome"],
                 steadier_label=in_text(CONSISTENCY.label(steadier)), steadier_outcome=a["outcome"],
                 direction=None)
    scale = eng.scales[eng.feedback.scale]
    minimum = eng.thresholds.min_respondents
    if scale.max - scale.min < 2:
        return [Claim("consistency", "all", "Consistency across touchpoints cannot be read on the "
                      f"{scale.range_key} scale: a spread of two-point answers says which were high, not how "
                      "consistent the experience was", facts, NOT_TESTABLE, "spread needs a scale with a middle "
                      "rating", 0.0, comparison="inconsistent against steadier experience", lead=True)]
    if min(a["n"], b["n"]) < minimum:
        return [Claim("consistency", "all", "Consistency's effect on the outcome cannot be judged: fewer than "
                      f"{minimum} customers have a steadier or an inconsistent experience", facts, NOT_TESTABLE,
                      f"a group under the minimum base of {minimum}", 0.0,
                      comparison="inconsistent against steadier experience", n=int(a["n"] + b["n"]), lead=True)]
    found = _compare_groups(b, a, eng)
    low, high = found.values("inconsistent_outcome", "steadier_outcome")
    if found.verdict == SUPPORTED:
        facts["direction"] = found.direction
        text = ("{inconsistent_share:.0%} of customers have an inconsistent experience across touchpoints; "
                f"they {found.they} {{direction}}: {low} against {high} for those with a {{steadier_label}} one")
    else:
        text = ("{inconsistent_share:.0%} of customers have an inconsistent experience across touchpoints; "
                f"they {found.they} about as {found.same} as those with a {{steadier_label}} one ({low} against "
                f"{high}, within noise)")
    loss = abs(a["outcome"] - b["outcome"])
    return [Claim("consistency", "all", text, facts, found.verdict, found.reason,
                  b["share"] * loss / _outcome_span(eng) if found.verdict == SUPPORTED else 0.0,
                  comparison=f"inconsistent against {facts['steadier_label']} experience",
                  direction="lower" if found.lower else "higher" if found.higher else "none",
                  effect=float(b["outcome"] - a["outcome"]), effect_unit="outcome points",
                  test="95% t intervals (non-overlap)", n=b["n"] + a["n"], lead=True)]


def segments_claim(profiles: pd.DataFrame, structure: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """Whether customers fall into real segments, and how they differ.

    Real when the solution's silhouette beats the 95th percentile of what k-means reaches on the same ratings
    with no structure left (each attribute shuffled on its own) and it is stable on bootstrap refits (adjusted
    Rand index at least ``thresholds.segment_stability``). Segments that differ only in level are called higher
    and lower raters; only segments that differ in shape "want different things".
    """
    if profiles is None or not len(profiles) or structure is None or not len(structure):
        return []
    s = structure.iloc[0]
    threshold = eng.thresholds.segment_stability
    short = [str(name).split(", let down by ")[0] for name in profiles["name"]]   # labels may hold commas
    # each segment by what it is strong on; in full ("..., let down by ...") where two are strong on the same thing
    names = [n if short.count(n) == 1 else str(full) for n, full in zip(short, profiles["name"])]
    facts = dict(k=len(profiles), described="; ".join(f"{in_text(n)} ({share:.0%})"
                                                       for n, share in zip(names, profiles["share"])),
                 stability=s["stability"], threshold=threshold, silhouette=s["silhouette"], null_high=s["null_high"])
    common = dict(comparison="the segments' silhouette against structureless ratings", test="permutation reference "
                  "(10 refits) and bootstrap adjusted Rand index", effect=float(s["silhouette"]),
                  effect_unit="silhouette", n=profiles["n"].sum(), lead=True)
    if len(profiles) < 2:
        return [Claim("segments", "all", "Customers form one group: no segment of at least "
                      f"{eng.thresholds.min_segment_size} customers stands apart", facts, NOT_TESTABLE,
                      "a single segment after merging small ones", 0.0, **common)]
    if not bool(s["structured"]):
        digits = ".3f" if f"{s['silhouette']:.2f}" == f"{s['null_high']:.2f}" else ".2f"
        return [Claim("segments", "all", "Customers do not fall into real segments: the best split into {k} "
                      "(silhouette {silhouette:" + digits + "}) is no better than for ratings with no structure "
                      "({null_high:" + digits + "})", facts, WITHIN_NOISE, "the silhouette does not beat the 95th percentile "
                      "of shuffled ratings", 0.0, **common)]
    if s["stability"] < threshold:
        return [Claim("segments", "all", "The {k} segments are not stable (bootstrap adjusted Rand {stability:.2f}, "
                      "under {threshold:.2f}): treat them as indicative", facts, WITHIN_NOISE,
                      f"refits on bootstrap resamples agree with the solution less than {threshold:.2f}", 0.0,
                      **common)]
    if s["pattern"] == "level":
        return [Claim("segments", "all", "Customers split into {k} groups by how generously they rate, not by what "
                      "they value: higher and lower raters", facts, SUPPORTED,
                      f"the segments lie {s['level_range']:.2f} points apart in level and at most "
                      f"{s['shape_range']:.2f} in shape", 0.0, **common)]
    return [Claim("segments", "all", "{k} segments of customers want different things: {described}", facts,
                  SUPPORTED, f"silhouette {s['silhouette']:.2f} against {s['null_high']:.2f} with no structure; stable "
                  f"on refits (adjusted Rand {s['stability']:.2f}); they differ in shape by up to "
                  f"{s['shape_range']:.2f} points", 0.0, **common)]


def real_segments(claim: Claim | None, structure: pd.DataFrame | None) -> bool:
    """Whether the segments stood and differ in what customers value (shape), so findings per segment can follow."""
    return bool(claim is not None and claim.supported and structure is not None and len(structure)
                and structure["pattern"].iloc[0] == "shape")


def value_at_stake_claims(stake: pd.DataFrame, profiles: pd.DataFrame, segments_real: bool = True,
                          why: str = "the segments are not real structure (see the segments' claim)",
                          eng: Engagement | None = None) -> list[Claim]:
    """Each segment's part of the value (or customers) held by indifferent and unhappy customers; the largest leads.

    Within noise when the segments do not differ in what customers value (:func:`segments_claim`): a share of an
    artefact, or, for higher and lower raters, a restatement of how the segments were found. Within noise too when
    the segment's customers are no more often indifferent or unhappy than the other segments' (with ``eng``): its
    part then follows its size. More often means the table's test against the rest
    (:func:`cxkit.analysis.customers.value_at_stake`: ``p_vs_rest``, Holm-adjusted) under ``thresholds.alpha``, by
    at least ``thresholds.min_effect`` (a share). A segment that holds much of the value at stake only because it
    is large calls for no retention play of its own.
    """
    if stake is None or not len(stake) or profiles is None or not len(profiles) or len(profiles) < 2:
        return []
    column, what = ("value_at_stake", "value") if "value_at_stake" in stake else ("at_risk_customers", "customers")
    total = float(stake[column].sum())
    if total <= 0:
        return []
    names = profiles.set_index("segment")["name"]
    ranked = stake.assign(part=stake[column] / total).sort_values("part", ascending=False, kind="stable")
    risky, rest, adjusted = (ranked[c].to_numpy(dtype=float) for c in ("share_at_risk", "rest_share_at_risk",
                                                                      "p_vs_rest"))
    alpha = eng.thresholds.alpha if eng is not None else 0.05
    bar = eng.thresholds.min_effect if eng is not None else 0.0
    out = []
    for i, r in enumerate(ranked.itertuples()):
        facts = dict(segment=int(r.segment), name=names.get(r.segment, ""), stake=float(getattr(r, column)),
                     stake_share=float(r.part), what=what, at_risk_share=float(risky[i]), rest_share=float(rest[i]),
                     p=None if np.isnan(adjusted[i]) else float(adjusted[i]))
        text = ("Segment {segment} ({name|lower}) holds {stake_share:.0%} of the value held by indifferent and unhappy "
                "customers" if what == "value" else
                "Segment {segment} ({name|lower}) holds {stake_share:.0%} of the indifferent and unhappy customers")
        text += "; {at_risk_share:.0%} of its customers are indifferent or unhappy, against {rest_share:.0%} in the others"
        more = eng is None or (adjusted[i] < alpha and risky[i] - rest[i] >= bar)
        if not segments_real:
            # not a segment to name: the row beside it says customers do not fall into real segments
            text = ("The value held by indifferent and unhappy customers cannot be placed in segments: the segments "
                    "are not real" if what == "value" else "The indifferent and unhappy customers cannot be placed in "
                    "segments: the segments are not real")
            verdict, reason = WITHIN_NOISE, why
        elif not more:
            verdict, reason = WITHIN_NOISE, (f"its customers are not clearly more often indifferent or unhappy than "
                                             f"the other segments' (two-proportion z test, Holm-adjusted p = "
                                             f"{adjusted[i]:.3g}): its part follows its size")
        else:
            verdict, reason = SUPPORTED, (f"a share of the {what} summed over {int(r.customers):,} customers in the "
                                          f"segment; more of them at risk than in the others (Holm-adjusted p = "
                                          f"{adjusted[i]:.3g})")
        out.append(Claim("value_at_stake", str(int(r.segment)), text, facts, verdict, reason,
                         float(r.part) if verdict == SUPPORTED else 0.0, comparison="segments' share of what is at stake",
                         effect=float(r.part), effect_unit=f"share of the {what} at stake", n=r.customers, lead=i == 0,
                         test="two-proportion z test of the share at risk against the other segments, Holm-adjusted",
                         p=facts["p"]))
    return out


def descriptor_claim(table: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """Whether the main outcome differs by region, channel, customer type ...: worded by the groups found.

    Real when the descriptor's Kruskal-Wallis test (Holm-adjusted across descriptors) passes at
    ``thresholds.alpha`` and its groups' means span at least ``thresholds.min_effect`` of the outcome's scale;
    groups under the minimum base are left out. The descriptor with the widest real spread leads, with NPS's
    spread where NPS is computed. Materiality: that spread as a share of the outcome scale's range.
    """
    if table is None or not len(table):
        return []
    alpha, bar = eng.thresholds.alpha, eng.thresholds.min_effect * _outcome_span(eng)
    label = eng.outcome.label
    share = eng.feedback.main_outcome is None    # a yes/no outcome alone: compared as its share of yes
    spreads = {}
    for descriptor, part in table.groupby("descriptor", sort=False):
        shown = part[~part["small_base"].astype(bool)].dropna(subset=["outcome"])
        if len(shown) >= 2:
            spreads[descriptor] = (shown, float(shown["outcome"].max() - shown["outcome"].min()),
                                   float(part["kw_p"].iloc[0]))
    differ = [d for d, (_, spread, p) in spreads.items() if p < alpha and spread >= bar]
    same = [d for d in spreads if d not in differ]
    facts = dict(outcome_label=label, descriptor=None, low_group=None, low=None, high_group=None, high=None,
                 nps_low=None, nps_high=None, differ=join(in_text(d.replace("_", " ")) for d in differ),
                 same=", ".join(in_text(d.replace("_", " ")) for d in same), alpha=alpha, p=None)
    common = dict(comparison="the main outcome across each descriptor's groups",
                  test="Kruskal-Wallis, Holm-adjusted across descriptors", lead=True)
    if not spreads:
        return [Claim("descriptor_differences", "all", "No descriptor has two groups large enough to compare", facts,
                      NOT_TESTABLE, f"groups under {eng.thresholds.min_respondents} answers are not shown", 0.0,
                      **common)]
    if not differ:
        return [Claim("descriptor_differences", "all", "{outcome_label|lower} is much the same across {same}", facts,
                      WITHIN_NOISE, f"no descriptor with a Holm-adjusted p under {alpha:g} and a spread of {bar:.2f} "
                      "points or more", 0.0, n=table["n"].sum() / max(len(spreads), 1), **common)]
    top = max(differ, key=lambda d: spreads[d][1])
    shown, spread, p = spreads[top]
    low, high = shown.loc[shown["outcome"].idxmin()], shown.loc[shown["outcome"].idxmax()]
    facts.update(descriptor=top.replace("_", " "), low_group=str(low["value"]), low=low["outcome"],
                 high_group=str(high["value"]), high=high["outcome"], p=p)
    number = ".0%" if share else ".1f"
    # the outcome as a sentence names it (a survey question quoted as asked) and the descriptor in lower case
    text = ("{outcome_label|lower} differs by {descriptor|lower}: from {low:" + number + "} in {low_group} to {high:" + number
            + "} in {high_group}")
    nps = shown["nps"].dropna() if "nps" in shown else pd.Series(dtype=float)
    if len(nps) >= 2:
        facts.update(nps_low=float(nps.min()), nps_high=float(nps.max()))
        text += ", NPS from {nps_low:+.0f} to {nps_high:+.0f}"
    return [Claim("descriptor_differences", top, text, facts, SUPPORTED,
                  f"Holm-adjusted p = {p:.2g} and a spread of {spread:.2f} points (at least {bar:.2f})",
                  spread / _outcome_span(eng), effect=spread, effect_unit="outcome points", p=p,
                  n=int(shown["n"].sum()), **common)]


def consistency_pattern_claim(steady: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What one poor touchpoint among good ones does to the outcome (DOMAIN.md section 3: a great experience at one
    touchpoint is wasted by a poor one at the next): customers with exactly one poor touchpoint and every other good,
    against those with every touchpoint good, by the direction found, with the bands' test (:func:`_compare_groups`).
    The consistency slide's second chart shows the two groups; this is its sentence. Nothing where the scale has no
    middle (the consistency claim says why)."""
    if steady is None or not len(steady):
        return []
    groups = steady[steady["kind"] == "pattern"].set_index("group")
    scale = eng.scales[eng.feedback.scale]
    if not {"all_good", "one_poor"} <= set(groups.index) or scale.max - scale.min < 2:
        return []
    good, one = groups.loc["all_good"], groups.loc["one_poor"]
    facts = dict(one_poor_share=one["share"], one_poor_outcome=one["outcome"], all_good_outcome=good["outcome"],
                 direction=None)
    comparison = "one poor touchpoint among good ones against every touchpoint good"
    minimum = eng.thresholds.min_respondents
    if min(good["n"], one["n"]) < minimum:
        return [Claim("consistency_pattern", "all", "What one poor touchpoint among good ones does to the outcome "
                      f"cannot be judged: fewer than {minimum} customers have every touchpoint good or exactly one "
                      "poor", facts, NOT_TESTABLE, f"a group under the minimum base of {minimum}", 0.0,
                      comparison=comparison, n=int(good["n"] + one["n"]), lead=True)]
    found = _compare_groups(one, good, eng)
    low, high = found.values("one_poor_outcome", "all_good_outcome")
    if found.verdict == SUPPORTED:
        facts["direction"] = found.direction
        text = (f"Customers with one poor touchpoint among good ones {found.they} {{direction}}: {low} against {high} "
                "for those with every touchpoint good")
    else:
        text = (f"Customers with one poor touchpoint among good ones {found.they} about as {found.same} as those with "
                f"every touchpoint good ({low} against {high}, within noise)")
    difference = float(one["outcome"] - good["outcome"])
    return [Claim("consistency_pattern", "all", text, facts, found.verdict, found.reason,
                  one["share"] * abs(difference) / _outcome_span(eng) if found.verdict == SUPPORTED else 0.0,
                  comparison=comparison, direction="lower" if found.lower else "higher" if found.higher else "none",
                  effect=difference, effect_unit="outcome points", test="95% t intervals (non-overlap)",
                  n=int(good["n"] + one["n"]), lead=True)]


def customer_claims(eng: Engagement, mix: pd.DataFrame, nps: pd.DataFrame, expectations: pd.DataFrame,
                    steady: pd.DataFrame, profiles: pd.DataFrame, structure: pd.DataFrame, stake: pd.DataFrame,
                    by_descriptor: pd.DataFrame) -> list[Claim]:
    """Every claim of the customer stage, from the tables notebook 02 saved."""
    segments = segments_claim(profiles, structure, eng)
    real = bool(segments) and segments[0].supported
    shape = real_segments(segments[0] if segments else None, structure)
    why = ("the segments differ only in how generously customers rate: that the lower raters hold the unhappy "
           "customers restates how they were found") if real else "the segments are not real structure (see the " \
        "segments' claim)"
    return (loyalty_mix_claim(mix, eng) + nps_claim(nps, eng) + expectations_claim(expectations, eng)
            + consistency_claim(steady, eng) + consistency_pattern_claim(steady, eng) + segments + value_at_stake_claims(stake, profiles, bool(shape), why, eng)
            + descriptor_claim(by_descriptor, eng))
