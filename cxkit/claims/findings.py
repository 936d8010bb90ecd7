"""Findings in words, with their numbers and sources, for the executive summary.

Each stage turns its results into a few :class:`~cxkit.results.store.Finding` objects.
Materiality (0-1), the ranking key, is stated per finding type:

- a maturity gap: the gap as a share of the diagnostic scale's range;
- a leader-frontline gap: the gap as a share of the scale's range;
- the loyalty mix: the share of customers who are indifferent or unhappy;
- a segment: its share of the value (or customers) at stake;
- a key driver: its share of the explained variance;
- the scorecard: the share of metrics without an owner or whose cadence the volume cannot support.

The executive summary takes the most material finding of each stage, then the
next most material overall, up to five (:func:`executive_summary`).
"""

from __future__ import annotations

import pandas as pd

from ..inputs.config import Engagement
from ..results.store import Finding, StageRecord


def _pct(x: float) -> str:
    return f"{x:.0%}"


def reality_findings(maturity: pd.DataFrame, gaps: pd.DataFrame, lagging: pd.DataFrame, eng: Engagement,
                     index: pd.DataFrame | None = None, readiness: pd.DataFrame | None = None,
                     forces: pd.DataFrame | None = None, variance: pd.DataFrame | None = None) -> list[Finding]:
    scale = eng.scales[eng.diagnostic.scale]
    span = scale.max - scale.min
    out = []
    ranked = maturity.dropna(subset=["gap"])
    if len(ranked):
        top = ranked.iloc[0]
        out.append(Finding(
            f"{top['label']} is furthest from target: {top['mean']:.1f} of {scale.max} against {top['target']:.1f} "
            f"(gap {top['gap']:.1f}, maturity level {top['level']:.0f}, {top['level_name'].lower()}); only "
            f"{_pct(top['favourable'])} of answers are favourable",
            "reality_check", max(0.0, top["gap"] / span), "results/maturity.csv (01_reality_check)", "largest_gap"))
    if index is not None and len(index) and len(ranked):
        row = index.iloc[0]
        done = ranked.sort_values("accomplished")
        out.append(Finding(
            f"Overall maturity is level {row['level']:.0f} ({row['level_name'].lower()}), an index of {row['mean']:.1f} "
            f"of {scale.max}; the organisation has come {_pct(done['accomplished'].iloc[-1])} of the way to target on "
            f"{done['label'].iloc[-1].lower()} but {_pct(done['accomplished'].iloc[0])} on {done['label'].iloc[0].lower()}",
            "reality_check", float(done["remaining"].mean()), "results/maturity_index.csv (01_reality_check)", "index"))
    flagged = gaps[gaps["flagged"].astype(bool)] if len(gaps) else gaps
    if len(flagged):
        g = flagged.iloc[0]
        verdict = "a real difference after Holm correction" if g["significant"] else "not significant after Holm correction"
        out.append(Finding(
            f"Frontline rate {g['label'].lower()} {g['gap']:.1f} points below executives ({g['frontline']:.1f} vs "
            f"{g['executive']:.1f}; {verdict}): leaders see a rosier picture",
            "reality_check", g["gap"] / span, "results/perception_gaps.csv (01_reality_check)", "perception_gap"))
    if len(lagging):
        worst = lagging.iloc[0]
        dims = lagging[lagging["group"] == worst["group"]]
        share = ""
        if variance is not None and len(variance):
            top = variance.sort_values("icc1", ascending=False).iloc[0]
            share = f"; departments account for {_pct(max(top['icc1'], 0))} of the variance in {top['label'].lower()}"
        out.append(Finding(
            f"{worst['group']} lags the organisation on {len(dims)} of {len(eng.framework.dimensions)} dimensions, "
            f"most on {worst['label'].lower()} ({worst['diff_from_all']:+.1f} points){share}",
            "reality_check", abs(worst["diff_from_all"]) / span, "results/maturity_by_department.csv (01_reality_check)",
            "lagging_department"))
    if readiness is not None and len(readiness) > 1:
        weakest = readiness.sort_values("mean").iloc[0]
        others = readiness[readiness["readiness"] != weakest["readiness"]]
        versus = " and ".join(f"{r.mean:.1f} for '{r.label}'" for r in others.itertuples())
        out.append(Finding(
            f"'{weakest['label']}' is the weakest link of readiness: {weakest['mean']:.1f} against {versus}",
            "reality_check", (others["mean"].max() - weakest["mean"]) / span, "results/readiness.csv (01_reality_check)",
            "weakest_link"))
    if forces is not None and len(forces) and "customer" in set(forces["force"]):
        everyone = forces[forces["group"] == "all"].set_index("force")
        lead = everyone["mean"].idxmax()
        text = (f"Customers get {everyone.loc['customer', 'mean']:.0f} of 100 points as what drives the business, "
                f"against {everyone.loc[lead, 'mean']:.0f} for {everyone.loc[lead, 'label'].lower()}")
        execs = forces[(forces["group"] == "executive") & (forces["force"] == "customer")]
        front = forces[(forces["group"] == "frontline") & (forces["force"] == "customer")]
        if len(execs) and len(front) and not execs["suppressed"].iloc[0] and not front["suppressed"].iloc[0]:
            text += f"; executives give customers {execs['mean'].iloc[0]:.0f}, the frontline {front['mean'].iloc[0]:.0f}"
        out.append(Finding(text, "reality_check", (everyone["mean"].max() - everyone.loc["customer", "mean"]) / 100,
                           "results/driving_force.csv (01_reality_check)", "driving_force"))
    return out


def customer_findings(mix: pd.DataFrame, nps_table: pd.DataFrame, profiles: pd.DataFrame, stake: pd.DataFrame,
                      expectations: pd.DataFrame | None = None, steady: pd.DataFrame | None = None,
                      segmentation=None, eng: Engagement | None = None) -> list[Finding]:
    shares = mix.set_index("band")["share"]
    at_risk = shares["indifferent"] + shares["unhappy"]
    out = [Finding(
        f"Only {_pct(shares['truly_impressed'])} of customers are truly impressed; {_pct(at_risk)} are indifferent "
        "or unhappy and could leave easily",
        "customers", at_risk, "results/loyalty_mix.csv (02_customers_segments)", "loyalty_mix")]
    if len(nps_table):
        row = nps_table.iloc[0]
        out.append(Finding(
            f"NPS is {row['nps']:+.0f} (95% interval {row['ci_low']:+.0f} to {row['ci_high']:+.0f}): "
            f"{_pct(row['detractors'])} detractors against {_pct(row['promoters'])} promoters",
            "customers", row["detractors"], "results/nps.csv (02_customers_segments)", "nps"))
    if expectations is not None and len(expectations):
        above = expectations[expectations["ci_low"] > 0]
        below = expectations[expectations["ci_high"] < 0].sort_values("gap")
        parts = []
        if len(above):
            parts.append(f"{' and '.join(above['label'].str.lower())} beat{'s' if len(above) == 1 else ''} expectations")
        if len(below):
            worst = below.iloc[0]
            parts.append(f"{worst['label'].lower()} falls furthest short ({worst['gap']:+.1f} points; only "
                         f"{_pct(worst['exceeds'])} find it better than expected)")
        if parts:
            out.append(Finding("; ".join(parts)[0].upper() + "; ".join(parts)[1:], "customers",
                               float(expectations["gap"].abs().max()) / 4, "results/expectation_gaps.csv "
                               "(02_customers_segments)", "expectations"))
    if steady is not None and len(steady):
        bands = steady[(steady["kind"] == "band") & (steady["n"] > 0)].set_index("group")
        steadier = [g for g in ("Consistent", "Mixed") if g in bands.index]
        if steadier and "Inconsistent" in bands.index:
            steadier = max(steadier, key=lambda g: bands.loc[g, "n"])  # the larger of the steadier bands
            a, b = bands.loc[steadier], bands.loc["Inconsistent"]
            out.append(Finding(
                f"{_pct(b['share'])} of customers have an inconsistent experience across touchpoints; they rate the "
                f"outcome {b['outcome']:.1f} against {a['outcome']:.1f} for those with a {steadier.lower()} one",
                "customers", b["share"] * abs(a["outcome"] - b["outcome"]) / 10,
                "results/consistency.csv (02_customers_segments)", "consistency"))
    if len(stake) and len(profiles):
        key = "value_at_stake" if "value_at_stake" in stake else "at_risk_customers"
        total = stake[key].sum()
        if total > 0:
            top = stake.sort_values(key, ascending=False).iloc[0]
            name = profiles.set_index("segment").loc[top["segment"], "name"]
            what = "of the value held by indifferent and unhappy customers" if key == "value_at_stake" else \
                "of the indifferent and unhappy customers"
            out.append(Finding(
                f"Segment {int(top['segment'])} ({name.lower()}) holds {_pct(top[key] / total)} {what}",
                "customers", top[key] / total, "results/value_at_stake.csv (02_customers_segments)", "value_at_stake"))
    if len(profiles) > 1:
        parts = [f"{r.name.split(',')[0].lower()} ({_pct(r.share)})" for r in profiles.itertuples()]
        out.append(Finding(
            f"{len(profiles)} segments of customers want different things: " + "; ".join(parts),
            "customers", 0.0, "results/segment_profiles.csv (02_customers_segments)", "segments"))
    if segmentation is not None and eng is not None and segmentation.stability < eng.thresholds.segment_stability:
        out.append(Finding(
            f"The {segmentation.k} segments are not stable (bootstrap adjusted Rand {segmentation.stability:.2f}, "
            f"under {eng.thresholds.segment_stability:.2f}): treat them as indicative", "customers", 0.5,
            "results/segment_choice.csv (02_customers_segments)", "segment_stability"))
    return out


def driver_findings(quadrants: pd.DataFrame, asymmetry: pd.DataFrame | None = None,
                    scenarios: pd.DataFrame | None = None, yes_no: pd.DataFrame | None = None) -> list[Finding]:
    """Findings of the driver stage: the top driver, the moments of truth, asymmetry, the what-if, yes/no outcomes.

    Materiality: a driver's (or group's) share of the explained variance; for
    the what-if, the share of customers who would become truly impressed.
    """
    top = quadrants.iloc[0]
    interval = ""
    if pd.notna(top.get("share_low")):
        interval = f" (95% interval {_pct(top['share_low'])} to {_pct(top['share_high'])})"
    out = [Finding(
        f"{top['label']} drives {_pct(top['share'])} of the explained {_outcome_words(top['outcome'])}{interval}, more "
        f"than any other touchpoint; {_pct(top['top2'])} rate it in the top two boxes",
        "drivers", top["share"], "results/key_drivers.csv (03_drivers)", "top_driver")]
    fix = quadrants[quadrants["quadrant"].str.startswith("Moment of truth")]
    if len(fix):
        names = _join(fix["label"])
        out.append(Finding(
            f"Moments of truth to fix first: {names} (high importance, below-average performance; "
            f"{_pct(fix['share'].sum())} of explained variance together)",
            "drivers", fix["share"].sum(), "results/moments_of_truth.csv (03_drivers)", "moments_of_truth"))
    if asymmetry is not None and len(asymmetry):
        punish = asymmetry[asymmetry["kind"] == "Dissatisfier"].sort_values("penalty", ascending=False)
        reward = asymmetry[asymmetry["kind"] == "Delighter"].sort_values("reward", ascending=False)
        parts = []
        if len(punish):
            parts.append(f"{_join(punish['label'].head(3))} punish when poor and earn little when excellent")
        if len(reward):
            parts.append(f"{_join(reward['label'].head(3))} reward when excellent and cost little when poor")
        if parts:
            shares = pd.concat([punish["share"], reward["share"]]).fillna(0)
            text = "; ".join(parts)
            out.append(Finding(text[0].upper() + text[1:], "drivers", float(shares.sum()),
                               "results/asymmetry.csv (03_drivers)", "asymmetry"))
    if scenarios is not None and len(scenarios):
        best = scenarios.iloc[0]
        text = (f"Raising {best['label'].lower()} by {best['raise_by']:g} points would lift the average "
                f"{best['outcome'].replace('_', ' ')} by {best['outcome_change']:.2f}")
        materiality = 0.0
        if "impressed_change" in scenarios and pd.notna(best.get("impressed_change")):
            text += (f" and the share truly impressed from {_pct(best['impressed_now'])} to "
                     f"{_pct(best['impressed_after'])}")
            materiality = float(best["impressed_change"])
        out.append(Finding(text + " (modelled association, not a guarantee)", "drivers", materiality,
                           "results/what_if.csv (03_drivers)", "what_if"))
    if yes_no is not None and len(yes_no):
        tops = yes_no.sort_values("share", ascending=False).drop_duplicates("outcome")
        names = ["being truly impressed" if r.outcome == "truly_impressed" else r.outcome_label.lower()
                 for r in tops.itertuples()]
        shares = _join(_pct(v) for v in tops["share"])
        if tops["attribute"].eq(top["attribute"]).all():
            text = (f"{top['label']} also drives {_join(names)} most ({shares} of what "
                    f"{'their models explain' if len(tops) > 1 else 'its model explains'})")
        else:
            text = "; ".join(f"{r.label} drives {name} most ({_pct(r.share)} of what its model explains)"
                             for r, name in zip(tops.itertuples(), names))
            text = text[0].upper() + text[1:]
        out.append(Finding(text, "drivers", float(tops["share"].max()), "results/yes_no_drivers.csv (03_drivers)",
                           "yes_no_drivers"))
    return out


def segment_driver_findings(segments: pd.DataFrame) -> list[Finding]:
    """Whether segments are driven differently (from :func:`cxkit.analysis.drivers.segment_drivers`).

    Materiality: the largest share of explained variance among the touchpoints that differ.
    """
    if segments is None or not len(segments) or not segments["differs"].any():
        return []
    differ = segments[segments["differs"]].sort_values("differs_p", kind="stable").drop_duplicates("attribute")
    return [Finding(f"Drivers differ by segment for {_join(differ['label'])} (Holm-adjusted p < 0.05)",
                    "metrics", float(segments.loc[segments["differs"], "share"].max()),
                    "results/segment_drivers.csv (04_metrics)", "segment_drivers")]


def _value(value: float, unit: str) -> str:
    return _pct(value) if unit == "share" else f"{value:+.0f}" if unit == "points" else f"{value:.2f}"


def balance_findings(balance: pd.DataFrame) -> list[Finding]:
    """The department that owns most of what drives the outcome, and how its drivers score.

    Materiality: that department's share of what is left to win (importance x the top-2-box gap).
    """
    if balance is None or not len(balance):
        return []
    top = balance.iloc[0]
    side = "below" if top["vs_all"] < 0 else "above"
    return [Finding(
        f"{top['owner']} owns {_pct(top['importance'])} of what drives the outcome ({_join(top['drivers'].split(', '))}); "
        f"its touchpoints score {abs(top['vs_all']) * 100:.0f} points {side} the average ({_pct(top['performance'])} "
        f"top-2-box), {_pct(top['impact'])} of what is left to win",
        "metrics", float(top["impact"]), "results/departmental_balance.csv (04_metrics)", "departmental_balance")]


def _join(names, most: int = 4) -> str:
    """Names in running text: lower case, joined with commas and a final "and"; past ``most``, "and N more"."""
    names = [n.lower() for n in names]
    if len(names) > most:
        return ", ".join(names[:most - 1]) + f" and {len(names) - most + 1} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _outcome_words(column: str) -> str:
    return f"variance in {column.replace('_', ' ')}"


def metric_findings(card: pd.DataFrame, trend: pd.DataFrame | None = None) -> list[Finding]:
    out = []
    if trend is not None and len(trend):
        waves = sorted(trend["wave"].unique())
        previous, last = waves[-2], waves[-1]
        latest = trend[trend["wave"] == last]
        moved = latest[latest["significant"].astype(bool)].assign(size=lambda t: t["change"].abs())
        if len(moved):
            top = moved.sort_values("size", ascending=False).iloc[0]
            before = trend[(trend["wave"] == previous) & (trend["metric"] == top["metric"])].iloc[0]
            others = len(latest) - len(moved)
            p_text = "p < 0.001" if top["change_p"] < 0.001 else f"p = {top['change_p']:.3f}"
            out.append(Finding(
                f"{top['metric'].split(':')[0]} {'rose' if top['change'] > 0 else 'fell'} from "
                f"{_value(before['value'], top['unit'])} in {previous} to {_value(top['value'], top['unit'])} in {last} "
                f"({p_text}); {others} of {len(latest)} metrics did not move beyond noise",
                "metrics", float(abs(top["change"])) if top["unit"] == "share" else 0.0,
                "results/wave_trend.csv (04_metrics)", "wave_trend"))
        else:
            out.append(Finding(f"No scorecard metric moved beyond noise between {previous} and {last}", "metrics", 0.0,
                               "results/wave_trend.csv (04_metrics)", "wave_trend"))
    unowned = card[card["owner_missing"]]
    if len(unowned):
        out.append(Finding(
            f"{len(unowned)} of {len(card)} scorecard metrics have no owning department "
            f"({', '.join(unowned['metric'])})",
            "metrics", len(unowned) / len(card), "results/scorecard.csv (04_metrics)", "unowned_metrics"))
    short = card[~card["cadence_supported"]]
    if len(short):
        worst = short.sort_values("needed_per_period", ascending=False).iloc[0]
        out.append(Finding(
            f"Tracking {worst['metric'].lower()} {worst['cadence']} needs {worst['needed_per_period']:,} responses "
            f"to see the target change; the client collects about {worst['available_per_period']:,}",
            "metrics", len(short) / len(card), "results/scorecard.csv (04_metrics)", "cadence"))
    owned = card[~card["owner_missing"] & (card["layer"] == "Driver")]
    if len(owned):
        first = owned.iloc[0]
        out.append(Finding(
            f"{first['owner']} owns the top driver metric, {first['metric'].split(':')[0].lower()}: "
            f"{_value(first['baseline'], first['unit'])} today, target {_value(first['target'], first['unit'])}",
            "metrics", 0.0, "results/scorecard.csv (04_metrics)", "top_driver_metric"))
    return out


def executive_summary(records: list[StageRecord], limit: int = 5) -> list[Finding]:
    """The most material finding of each stage, then the next most material overall, up to ``limit``."""
    findings = [f for r in records if r.status == "done" for f in r.findings]
    chosen = []
    for record in records:
        own = sorted((f for f in findings if f.stage == record.stage), key=lambda f: -f.materiality)
        if own:
            chosen.append(own[0])
    rest = sorted((f for f in findings if f not in chosen), key=lambda f: -f.materiality)
    chosen = sorted(chosen, key=lambda f: -f.materiality)[:limit]
    return chosen + rest[: limit - len(chosen)]
