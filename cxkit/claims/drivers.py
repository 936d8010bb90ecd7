"""Claims of the driver stage: the top driver, the moments of truth, dissatisfiers and delighters, the
what-if and the drivers of yes/no outcomes.

A driver claim stands on its model: when the model explains less than
``drivers.warn_r2`` of the outcome, no touchpoint can be named as a driver,
and the claims say so (within noise) instead. Materiality: a touchpoint's (or a
group's) share of the explained variance; for the what-if, the share of
customers who would become truly impressed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.config import Engagement
from ..analysis.drivers import boxes
from ..results.catalogue import ASYMMETRY
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text, join, number, sentence


def fit_name(fit: str) -> str:
    """The fit measure as a sentence names it: R² for a linear model, pseudo-R² for any logistic one (the exact
    measure, R²_O (Menard) or McFadden's, stays in the evidence)."""
    return "R²" if fit == "R²" else "pseudo-R²"


def model_verdict(key: pd.DataFrame, eng: Engagement) -> tuple[str, str]:
    """Whether the main driver model can carry claims: its fit (at least ``drivers.warn_r2``) and its base (ten
    customers per touchpoint, and at least ``thresholds.min_respondents``)."""
    first = key.iloc[0]
    least = max(10 * len(key), eng.thresholds.min_respondents)
    if first["n"] < least:
        return NOT_TESTABLE, f"only {int(first['n'])} customers in the model, under {least} (ten per touchpoint)"
    if first["r2"] < eng.drivers.warn_r2:
        return WITHIN_NOISE, (f"the model explains little of {in_text(first['outcome_label'])} ({first['fit']} = "
                              f"{first['r2']:.2f}, under {eng.drivers.warn_r2:g})")
    return SUPPORTED, f"{first['fit']} = {first['r2']:.2f} on {int(first['n']):,} customers"


def top_driver_claim(key: pd.DataFrame, eng: Engagement) -> list[Claim]:
    top = key.iloc[0]
    verdict, reason = model_verdict(key, eng)
    facts = dict(label=top["label"], share=top["share"], share_low=top["share_low"], share_high=top["share_high"],
                 outcome_label=top["outcome_label"], top2=top["top2"], r2=top["r2"], fit=fit_name(top["fit"]))
    common = dict(comparison="shares of explained variance", effect=float(top["share"]),
                  effect_unit="share of explained variance", test=top["method"], n=top["n"], lead=True)
    if verdict != SUPPORTED:
        why = "the model explains little of it ({fit} = {r2:.2f})" if verdict == WITHIN_NOISE else \
            "too few customers rated every touchpoint to rank them"
        return [Claim("top_driver", top["attribute"], "No touchpoint can be named as the driver of "
                      "{outcome_label|lower}: " + why, facts, verdict, reason, 0.0, **common)]
    interval = " (95% interval {share_low:.0%} to {share_high:.0%})" if pd.notna(top["share_low"]) else ""
    second = key.iloc[1]["share"] if len(key) > 1 else float("nan")
    lead = pd.isna(top["share_low"]) or len(key) < 2 or top["share_low"] > second
    # worded by the sign found: a touchpoint whose higher ratings go with a lower outcome (the others held equal)
    # explains variance, but raising it is not what the model says lifts the outcome
    negative = top["direction"] < 0
    text = ("{label} " + ("accounts for" if negative else "drives")
            + " {share:.0%} of the explained variance in {outcome_label|lower}" + interval
            + (", more than any other touchpoint" if lead else ", level with the next within its interval")
            + ("; with the other touchpoints held equal, higher ratings of it go with lower {outcome_label|lower}"
               if negative else "; {top2:.0%} rate it in " + eng.scales[eng.feedback.scale].top_boxes_words))
    return [Claim("top_driver", top["attribute"], text, facts, verdict, reason, float(top["share"]),
                  ci=(top["share_low"], top["share_high"]), **common)]


def moments_of_truth_claims(quadrants: pd.DataFrame, key: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """One claim per moment of truth (important, below-average performance), and one for them together."""
    verdict, reason = model_verdict(key, eng)
    fix = quadrants[quadrants["quadrant"] == "fix_first"]
    # important means clearly above the line: a share whose 95% interval reaches below it (Star Wars' Darth Vader,
    # 7.4% against 7.1%, interval 1.2% to 17%) is no moment of truth to fix first
    clear = fix["clearly_important"] if "clearly_important" in fix else pd.Series(True, index=fix.index)
    out = []
    for r, sure in zip(fix.itertuples(), clear):
        facts = dict(attribute=r.attribute, label=r.label, share=r.share, top2=r.top2, performance=r.performance,
                     owner=r.owner if isinstance(r.owner, str) else None)
        own, why = (verdict, reason) if sure or verdict != SUPPORTED else (
            WITHIN_NOISE, f"its share's 95% interval ({r.share_low:.1%} to {r.share_high:.1%}) reaches below the "
                          f"importance line ({r.share_threshold:.1%})")
        out.append(Claim("moment_of_truth", r.attribute, "{label} is a moment of truth: {share:.0%} of explained "
                         "variance, {top2:.0%} in " + eng.scales[eng.feedback.scale].top_boxes_words, facts,
                         own, why,
                         float(r.share) if own == SUPPORTED else 0.0,
                         comparison="importance and performance against their thresholds",
                         direction="important, performing below", effect=float(r.share),
                         effect_unit="share of explained variance", n=r.n))
    unclear = fix[~clear.to_numpy(dtype=bool)] if len(fix) else fix
    fix = fix[clear.to_numpy(dtype=bool)] if len(fix) else fix
    facts = dict(names=join(fix["label"].map(in_text)), share=float(fix["share"].sum()), count=len(fix))
    common = dict(comparison="importance and performance against their thresholds", n=key["n"].iloc[0],
                  lead=True)
    if verdict != SUPPORTED:
        out.append(Claim("moments_of_truth", "all", "No moment of truth can be named: the driver model cannot rank "
                         "touchpoints by importance", facts, verdict, reason, 0.0, **common))
    elif len(fix):
        out.append(Claim("moments_of_truth", "all", "Moments of truth to fix first: {names} (high importance, "
                         "below-average performance; {share:.0%} of explained variance together)", facts, SUPPORTED,
                         reason, facts["share"], effect=facts["share"], effect_unit="share of explained variance",
                         **common))
    else:
        out.append(Claim("moments_of_truth", "all", "No touchpoint is clearly both above-average in importance and "
                         "below-average in performance", facts, WITHIN_NOISE,
                         "no touchpoint in that quadrant" if not len(unclear) else
                         f"{join(unclear['label'].map(in_text))}: importance interval reaching below the line", 0.0,
                         **common))
    return out


def asymmetry_claims(asymmetry: pd.DataFrame, key: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """One claim per touchpoint with an asymmetric (or two-sided) effect, and one for all of them together.

    Each rests on the penalty-reward regression's own tests at ``drivers.alpha`` (the kind says which passed).
    """
    if asymmetry is None or not len(asymmetry):
        scale = eng.scales[eng.feedback.scale]
        low, high = boxes(scale)
        if asymmetry is not None and high - low < 2:
            return [Claim("asymmetries", "all", f"Dissatisfiers and delighters cannot be told apart on the "
                          f"{scale.range_key} scale: it has no middle rating to compare low and top ratings with",
                          dict(dissatisfiers=None, delighters=None), NOT_TESTABLE,
                          "penalty-reward analysis compares low and top ratings with a middle one", 0.0, lead=True)]
        return []
    owners = dict(zip(key["attribute"], key["owner"]))
    alpha = eng.drivers.alpha
    texts = {"dissatisfier": "{label} punishes when poor ({penalty:.1f} points) and earns little when excellent",
             "delighter": "{label} rewards when excellent ({reward:.1f} points) and costs little when poor",
             "both": "{label} punishes when poor ({penalty:.1f} points) and rewards when excellent ({reward:.1f})"}
    out = []
    for r in asymmetry[asymmetry["kind"].isin(list(texts))].itertuples():
        owner = owners.get(r.attribute)
        facts = dict(attribute=r.attribute, label=r.label, kind=r.kind, penalty=r.penalty, reward=r.reward,
                     share=r.share, owner=owner if isinstance(owner, str) else None)
        out.append(Claim("asymmetry", r.attribute, texts[r.kind], facts, SUPPORTED,
                         f"{ASYMMETRY.label(r.kind).lower()}: penalty p = {r.penalty_p:.3g}, reward p = "
                         f"{r.reward_p:.3g}, difference p = {r.asymmetry_p:.3g} (at {alpha:g})",
                         0.0 if pd.isna(r.share) else float(r.share), comparison="penalty against reward",
                         direction=r.kind, effect=float(r.asymmetry) if pd.notna(r.asymmetry) else None,
                         effect_unit="outcome points", test="penalty-reward contrast regression, HC1 errors",
                         p=float(r.asymmetry_p) if pd.notna(r.asymmetry_p) else None, n=r.n))
    punish = asymmetry[asymmetry["kind"] == "dissatisfier"].sort_values("penalty", ascending=False, kind="stable")
    reward = asymmetry[asymmetry["kind"] == "delighter"].sort_values("reward", ascending=False, kind="stable")
    facts = dict(dissatisfiers=join(punish["label"].head(3).map(in_text)),
                 delighters=join(reward["label"].head(3).map(in_text)))
    parts = []
    if len(punish):
        parts.append("{dissatisfiers} punish" + ("es" if len(punish) == 1 else "") + " when poor and earn"
                     + ("s" if len(punish) == 1 else "") + " little when excellent")
    if len(reward):
        parts.append("{delighters} reward" + ("s" if len(reward) == 1 else "") + " when excellent and cost"
                     + ("s" if len(reward) == 1 else "") + " little when poor")
    common = dict(comparison="penalty against reward per touchpoint", test="penalty-reward contrast regression",
                  n=asymmetry["n"].iloc[0], lead=True)
    if not parts and not (asymmetry["penalty_p"].notna() & asymmetry["reward_p"].notna()).any():
        least = max(eng.thresholds.min_respondents, 1)   # no side compared with the other: nothing was tested
        return out + [Claim("asymmetries", "all", "Dissatisfiers and delighters cannot be told apart: too few "
                            "customers rated the touchpoints low or top to compare the two", facts, NOT_TESTABLE,
                            f"no touchpoint has {least} customers or more both in its low and in its top band", 0.0,
                            **common)]
    if not parts:   # absence of evidence, not evidence that low and top ratings weigh alike
        return out + [Claim("asymmetries", "all", "No touchpoint clearly only punishes or only rewards", facts,
                            WITHIN_NOISE, f"no asymmetric effect at {alpha:g}", 0.0, **common)]
    shares = pd.concat([punish["share"], reward["share"]]).fillna(0)
    return out + [Claim("asymmetries", "all", sentence("; ".join(parts)), facts, SUPPORTED,
                        f"penalty and reward tests at {alpha:g}", float(shares.sum()), **common)]


def what_if_claim(scenarios: pd.DataFrame, key: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What raising the touchpoint with the largest modelled effect would be worth (an association)."""
    if scenarios is None or not len(scenarios):
        return []
    best = scenarios.iloc[0]
    verdict, reason = model_verdict(key, eng)
    impressed = "impressed_change" in scenarios and pd.notna(best.get("impressed_change"))
    facts = dict(label=best["label"], raise_by=best["raise_by"], outcome_label=best["outcome_label"],
                 outcome_change=abs(best["outcome_change"]),
                 impressed_now=best["impressed_now"] if impressed else None,
                 impressed_after=best["impressed_after"] if impressed else None,
                 impressed_points=100 * best["impressed_change"] if impressed else None)
    verb = "lift" if best["outcome_change"] >= 0 else "lower"
    text = "Raising {label|lower} by {raise_by:g} points would " + verb + " the average {outcome_label|lower} by " \
           "{outcome_change:.2f}"
    if impressed:   # a change, not levels: the model's customers (who rated every touchpoint) are not all of them,
        # and its levels would contradict the loyalty slide's (15% here, 14% there)
        text += " and the share truly impressed by {impressed_points:.1f} percentage points"
    text += " (modelled association, not a guarantee)"
    if verdict != SUPPORTED:
        text = ("No touchpoint's rise can be valued: the driver model cannot say what raising {label|lower} would "
                "do to {outcome_label|lower}")
    return [Claim("what_if", best["attribute"], text, facts, verdict, reason,
                  float(best["impressed_change"]) if impressed and verdict == SUPPORTED else 0.0,
                  comparison="the modelled outcome with one touchpoint raised", direction=verb,
                  effect=float(best["outcome_change"]), effect_unit="outcome points", test="full regression slope",
                  n=best["n"], lead=True)]


def yes_no_claim(yes_no: pd.DataFrame, key: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """What drives each yes/no outcome most, named only where its model explains at least ``drivers.warn_r2`` and
    rests on as many customers as the main model needs (ten per touchpoint, at least ``thresholds.min_respondents``);
    whether the main outcome's top driver also drives them. "Most" as for the main model: the top driver's interval
    lies above the next one's share; otherwise it leads, level with the next within its interval."""
    if yes_no is None or not len(yes_no):
        return []
    size = yes_no.groupby("outcome")["attribute"].transform("size")
    least = (10 * size).clip(lower=eng.thresholds.min_respondents)
    ranked = yes_no.assign(least=least).sort_values("share", ascending=False, kind="stable")
    second = {outcome: (group["share"].iloc[1] if len(group) > 1 else np.nan)
              for outcome, group in ranked.groupby("outcome", sort=False)}
    runner_up = {outcome: (group["label"].iloc[1] if len(group) > 1 else None)
                 for outcome, group in ranked.groupby("outcome", sort=False)}
    tops = ranked.drop_duplicates("outcome")
    low = tops["share_low"] if "share_low" in tops else pd.Series(np.nan, index=tops.index)
    tops = tops.assign(name=["being truly impressed" if r.outcome == "truly_impressed" else in_text(r.outcome_label)
                             for r in tops.itertuples()],
                       ahead=[pd.isna(lo) or pd.isna(second[o]) or lo > second[o]
                              for lo, o in zip(low, tops["outcome"])])
    based = tops["n"] >= tops["least"]
    strong = tops[based & (tops["r2"] >= eng.drivers.warn_r2)]
    weak, few = tops[based & (tops["r2"] < eng.drivers.warn_r2)], tops[~based]
    top = key.iloc[0]
    same = len(strong) > 0 and bool(strong["attribute"].eq(top["attribute"]).all() and strong["ahead"].all())
    facts = dict(label=top["label"] if same else None, names=join(strong["name"]),
                 shares=join(number(v, ".0%") for v in strong["share"]),
                 parts=None if same or not len(strong) else "; ".join(
                     f"{r.label} drives {r.name} most ({number(r.share, '.0%')} of what its model explains)" if r.ahead else
                     # by the direction found: the top leads, but not clearly ("about as much" beside 15% and 9%
                     # read as a contradiction)
                     f"{r.label} leads for {r.name} ({number(r.share, '.0%')} of what its model explains), but not "
                     f"clearly ahead of {in_text(runner_up[r.outcome])} ({number(second[r.outcome], '.0%')}, within "
                     "its interval)"
                     for r in strong.itertuples()),
                 weak=join(f"{r.name} ({fit_name(r.fit)} = {r.r2:.2f})" for r in weak.itertuples()),
                 few=join(f"{r.name} ({int(r.n)} customers, under {int(r.least)})" for r in few.itertuples()))
    plural = lambda frame: len(frame) > 1  # noqa: E731
    why = []
    if len(weak):
        why.append("the model" + ("s" if plural(weak) else "") + " of {weak} explain" + ("" if plural(weak) else "s")
                   + " too little")
    if len(few):
        why.append("the model" + ("s" if plural(few) else "") + " of {few} rest" + ("" if plural(few) else "s")
                   + " on too few customers")
    if same:
        text = ("{label} also drives {names} most ({shares} of what "
                + ("their models explain)" if len(strong) > 1 else "its model explains)"))
    elif len(strong):
        text = "{parts}"
    else:
        text = "No yes/no outcome's driver can be named: " + " and ".join(why)
    if len(strong) and why:
        text += "; " + " and ".join(why) + " to name a driver"
    reason = "; ".join(f"{r.outcome_label}: {r.fit} = {r.r2:.2f} on {int(r.n)} customers" for r in tops.itertuples()) \
        + f" (a driver is named where its model reaches {eng.drivers.warn_r2:g} on ten customers per touchpoint)"
    verdict = SUPPORTED if len(strong) else WITHIN_NOISE if len(weak) else NOT_TESTABLE
    return [Claim("yes_no_drivers", "all", text, facts, verdict, reason,
                  float(strong["share"].max()) if len(strong) else 0.0,
                  comparison="shares of each yes/no model's explained variation", test=str(tops["method"].iloc[0]),
                  n=tops["n"].max(), lead=True)]


def driver_claims(eng: Engagement, key: pd.DataFrame, quadrants: pd.DataFrame, asymmetry: pd.DataFrame,
                  scenarios: pd.DataFrame, yes_no: pd.DataFrame) -> list[Claim]:
    """Every claim of the driver stage, from the tables notebook 03 saved."""
    return (top_driver_claim(key, eng) + moments_of_truth_claims(quadrants, key, eng)
            + asymmetry_claims(asymmetry, key, eng) + what_if_claim(scenarios, key, eng)
            + yes_no_claim(yes_no, key, eng))
