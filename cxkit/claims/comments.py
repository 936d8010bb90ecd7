"""Claims of the comments stage: what the least loyal write about more than the most loyal, which theme goes with
the outcome, and how many comments were read.

A theme difference stands when the chi-square test of the theme against the loyalty groups passes after Holm's
adjustment (at ``drivers.alpha``), the two groups' shares differ by at least five points, and each group has
``thresholds.min_respondents`` comments; it is worded by the direction found (the least loyal may write about a
theme less). A theme driver stands on its model as a touchpoint driver does (R² at least ``drivers.warn_r2``,
ten commenters per theme). Materiality: the difference in shares; the theme's share of what the themes explain.
"""

from __future__ import annotations

import pandas as pd

from ..inputs.config import Engagement
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import in_text

MIN_SHARE_GAP = 0.05   # themes' shares among two groups closer than this are not called different
GROUP_WORDS = {"detractor": "detractors", "passive": "passives", "promoter": "promoters",
               "unhappy": "unhappy customers", "indifferent": "indifferent customers",
               "satisfied": "satisfied customers", "truly_impressed": "truly impressed customers"}


def theme_claims(themes: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """One claim per theme on the difference between the least and the most loyal group; the most material
    supported one leads (the first theme when none is supported)."""
    if themes is None or themes.empty or "worst_group" not in themes or themes["worst_group"].isna().all():
        return []
    alpha, least = eng.drivers.alpha, max(eng.thresholds.min_respondents, 1)
    out = []
    for r in themes.itertuples():
        worst, best = GROUP_WORDS.get(r.worst_group, r.worst_group), GROUP_WORDS.get(r.best_group, r.best_group)
        gap = r.share_worst - r.share_best
        facts = dict(label=r.label, share_worst=r.share_worst, share_best=r.share_best, worst_group=worst,
                     best_group=best, lift=r.lift, comments=int(r.mentions))
        if gap >= 0:
            text = (f"{worst.capitalize()} write about {{label|lower}} more than {best}: {{share_worst:.0%}} of "
                    "their comments against {share_best:.0%}")
        else:
            text = (f"{best.capitalize()} write about {{label|lower}} more than {worst}: {{share_best:.0%}} of "
                    "their comments against {share_worst:.0%}")
        if min(r.n_worst, r.n_best) < least:
            fewest = min(r.n_worst, r.n_best)
            verdict, reason = NOT_TESTABLE, (f"{fewest} comment{'' if fewest == 1 else 's'} in the smaller group, "
                                             f"under {least} (thresholds.min_respondents)")
        elif pd.isna(r.chi2_p) or r.chi2_p >= alpha:
            verdict, reason = WITHIN_NOISE, (f"chi-square p = {r.chi2_p:.3g} (Holm) is not under {alpha:g}"
                                             if pd.notna(r.chi2_p) else "no test: the theme is in no comment or in all")
        elif abs(gap) < MIN_SHARE_GAP:
            verdict, reason = WITHIN_NOISE, f"the shares differ by {abs(gap):.1%}, under {MIN_SHARE_GAP:.0%}"
        else:
            verdict, reason = SUPPORTED, f"chi-square p = {r.chi2_p:.3g} (Holm), shares {abs(gap):.1%} apart"
        out.append(Claim("comment_theme", r.theme, text, facts, verdict, reason,
                         abs(gap) if verdict == SUPPORTED else 0.0,
                         comparison=f"{worst} against {best}", direction="more" if gap >= 0 else "less",
                         effect=float(gap), effect_unit="difference in the share of comments",
                         test="chi-square test of the theme against the loyalty groups, Holm-adjusted",
                         p=None if pd.isna(r.chi2_p) else float(r.chi2_p), n=int(r.n_worst + r.n_best)))
    if out:
        lead = max(out, key=lambda c: (c.supported, c.materiality))
        out[out.index(lead)] = _as_lead(lead)
    return out


def _as_lead(claim: Claim) -> Claim:
    from dataclasses import replace

    return replace(claim, lead=True)


def driver_claim(drivers: pd.DataFrame | None, eng: Engagement, outcome_label: str, reason_missing: str = "") -> list[Claim]:
    """The theme that goes with the outcome most, standing on its model (fit and base)."""
    if drivers is None or drivers.empty:
        if not reason_missing:
            return []
        return [Claim("comment_drivers", "all", "What customers wrote cannot be tied to {outcome_label|lower}",
                      dict(label=None, share=None, r2=None, n=None, direction=None, outcome_label=outcome_label),
                      NOT_TESTABLE, reason_missing, 0.0, lead=True)]
    top = drivers.iloc[0]
    facts = dict(label=top["label"], share=top["share"], r2=top["r2"], n=int(top["n"]), direction=int(top["direction"]),
                 outcome_label=outcome_label)
    common = dict(comparison="themes' shares of the R² they explain together", effect=float(top["share"]),
                  effect_unit="share of explained variance", test=top["method"], n=int(top["n"]), lead=True)
    least = max(10 * len(drivers), eng.thresholds.min_respondents)
    if top["n"] < least:
        return [Claim("comment_drivers", top["theme"], "No theme of the comments can be named as a driver of "
                      "{outcome_label|lower}: too few commenters", facts, NOT_TESTABLE,
                      f"{int(top['n'])} commenters, under {least} (ten per theme)", 0.0, **common)]
    if top["r2"] < eng.drivers.warn_r2:
        return [Claim("comment_drivers", top["theme"], "What customers write about explains little of "
                      "{outcome_label|lower} (R² = {r2:.2f}): no theme can be named as its driver", facts,
                      WITHIN_NOISE, f"R² = {top['r2']:.2f}, under {eng.drivers.warn_r2:g}", 0.0, **common)]
    way = "lower" if top["direction"] < 0 else "higher"
    return [Claim("comment_drivers", top["theme"], f"Comments about {{label|lower}} go with {way} "
                  "{outcome_label|lower}: the theme carries {share:.0%} of what the themes explain (R² = {r2:.2f})",
                  facts, SUPPORTED, f"R² = {top['r2']:.2f} on {int(top['n']):,} commenters", float(top["share"]),
                  direction=way, **common)]


def read_claim(comments: int, coded: int, themes: int, topics: int, written: int | None = None) -> list[Claim]:
    """How many comments were read and how many the codeframe coded (descriptive: always supported); ``written``
    when the comments coded were a random sample of more."""
    written = comments if written is None else written
    facts = dict(comments=comments, coded=coded, coded_share=coded / comments if comments else 0.0, themes=themes,
                 topics=topics, written=written)
    if written > comments:
        text = ("{written:,} comments read; in a random {comments:,} of them, {coded_share:.0%} are coded to the "
                "{themes} themes of the codeframe")
    elif comments == 1:
        text = "1 comment read, " + ("coded" if coded else "not coded") + " to the {themes} themes of the codeframe"
    else:
        text = "{comments:,} comments read, {coded_share:.0%} of them coded to the {themes} themes of the codeframe"
    if topics:
        text += ("; {topics} further topics found and offered as codeframe entries" if topics != 1 else
                 "; 1 further topic found and offered as a codeframe entry")
    return [Claim("comments_read", "all", text, facts, SUPPORTED, "a count", 0.0, n=comments, lead=True)]


def comment_claims(eng: Engagement, themes: pd.DataFrame, drivers: pd.DataFrame | None, comments: int, coded: int,
                   topics: int, outcome_label: str, drivers_missing: str = "", written: int | None = None) -> list[Claim]:
    """Every claim of the comments stage, from the tables notebook 02b saved."""
    return (read_claim(comments, coded, len(themes), topics, written) + theme_claims(themes, eng)
            + driver_claim(drivers, eng, outcome_label, drivers_missing))


def group_words(code: str) -> str:
    """The words for an outcome group in a sentence ("detractors", "truly impressed customers")."""
    return GROUP_WORDS.get(code, in_text(code))


def staff_claims(themes: pd.DataFrame | None, eng: Engagement) -> list[Claim]:
    """What the staff name most often as stopping them serving customers: supported when at least
    ``thresholds.min_respondents`` wrote a comment and the theme is named more often than the next one beyond
    noise (McNemar's exact test at ``drivers.alpha``, on those who name one and not the other); else the two are
    said to be named about as often."""
    if themes is None or themes.empty:
        return []
    overall = themes[themes["group"] == "All"].sort_values("mentions", ascending=False, kind="stable")
    top, nxt = overall.iloc[0], overall.iloc[1] if len(overall) > 1 else None
    p = None if pd.isna(top["vs_next_p"]) else float(top["vs_next_p"])
    facts = dict(label=top["label"], share=top["share"], mentions=int(top["mentions"]),
                 commenters=int(top["commenters"]), second=nxt["label"] if nxt is not None else None,
                 second_share=nxt["share"] if nxt is not None else None, p=p)
    least, alpha = max(eng.thresholds.min_respondents, 1), eng.drivers.alpha
    common = dict(comparison="the most named theme against the next", effect=float(top["share"]),
                  effect_unit="share of staff comments", n=int(top["commenters"]), lead=True, p=p,
                  test="McNemar's exact test on the staff who name one theme and not the other")
    lead = ("Our people name {label|lower} most often as what stops them serving customers: {share:.0%} of their "
            "{commenters:,} comment" + ("s" if int(top["commenters"]) != 1 else "")
            + (", then {second|lower} ({second_share:.0%})" if nxt is not None else ""))
    if top["commenters"] < least:
        return [Claim("staff_obstacle", top["theme"], lead, facts, NOT_TESTABLE,
                      f"{int(top['commenters'])} staff comments, under {least} (thresholds.min_respondents)", 0.0,
                      **common)]
    if top["mentions"] == 0:
        return [Claim("staff_obstacle", "all", "No staff comment names a theme of the staff codeframe", facts,
                      WITHIN_NOISE, "no comment matches a theme", 0.0, **common)]
    if nxt is not None and (p is None or p >= alpha):
        return [Claim("staff_obstacle", top["theme"], "Our people name {label|lower} ({share:.0%} of their "
                      "{commenters:,} comments) and {second|lower} ({second_share:.0%}) about equally often as what "
                      "stops them serving customers", facts, WITHIN_NOISE,
                      f"McNemar p = {p:.3g}, not under {alpha:g}" if p is not None else "no test", 0.0, **common)]
    return [Claim("staff_obstacle", top["theme"], lead, facts, SUPPORTED,
                  f"{int(top['mentions'])} of {int(top['commenters'])} comments; ahead of the next, McNemar p = "
                  f"{p:.3g}" if p is not None else f"{int(top['mentions'])} of {int(top['commenters'])} comments",
                  float(top["share"]), **common)]
