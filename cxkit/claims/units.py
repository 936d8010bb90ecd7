"""Claims about units (regions, stores, teams): how one unit compares with the rest, which units lead and lag the
lead metric, and where to pilot.

A unit is above or below the rest on a metric only as :func:`cxkit.analysis.units.compare_units` finds it: the
Wald z test of the difference passes after Holm's adjustment across the units, and the difference is at least
``thresholds.min_effect`` of the metric's range; sentences are worded by the direction found. Materiality: the
largest difference as a share of its metric's range.
"""

from __future__ import annotations

import pandas as pd

from ..inputs.config import Engagement
from ..results.claim import NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Claim
from ..results.text import join, metric_text

TEST = "Wald z test of the unit against the rest, Holm-adjusted across the units of each metric"


def unit_claim(rows: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """How one unit (its rows of the comparison) compares with the rest of the engagement ``eng`` (the whole): the
    metrics it is clearly above and below the rest on, led by the largest difference; or that it differs clearly
    on none."""
    if rows is None or rows.empty:
        return []
    unit, client = str(rows["unit"].iloc[0]), eng.client
    clear = rows[rows["verdict"].isin(["above", "below"])]
    above = rows[rows["verdict"] == "above"].sort_values("diff", ascending=False)
    below = rows[rows["verdict"] == "below"].sort_values("diff")
    n = int(rows["n"].max())
    if clear.empty:
        lead = rows.loc[(rows["diff"].abs() / rows["span"]).fillna(0).idxmax()]
        facts = dict(unit=unit, client=client, label=str(lead["label"]), value=float(lead["value"]),
                     rest=float(lead["rest"]), above="", below="")
        small = rows[rows["verdict"] == "small_difference"]
        text = ("{unit} does not differ clearly from the rest of {client} on any headline metric" if small.empty else
                "{unit} differs from the rest of {client} only by small amounts, under the minimum that matters")
        verdict = WITHIN_NOISE if n >= eng.thresholds.min_respondents else NOT_TESTABLE
        reason = (f"no metric's difference both passes the test (Holm) and reaches {eng.thresholds.min_effect:.0%} of "
                  "its range"
                  if verdict == WITHIN_NOISE else f"{n} customers, under {eng.thresholds.min_respondents}")
        materiality = 0.0
    else:
        lead = clear.loc[(clear["diff"].abs() / clear["span"]).idxmax()]
        facts = dict(unit=unit, client=client, label=str(lead["label"]), value=float(lead["value"]),
                     rest=float(lead["rest"]), above=join(above["label"]), below=join(below["label"]))
        if len(above) and len(below):
            text = "{unit} is above the rest of {client} on {above} and below it on {below}"
        elif len(below):
            text = "{unit} is below the rest of {client} on {below}"
        else:
            text = "{unit} is above the rest of {client} on {above}"
        verdict, reason = SUPPORTED, (f"{len(clear)} of {len(rows)} headline metrics differ beyond chance (Holm) "
                                      f"and by at least {eng.thresholds.min_effect:.0%} of their range")
        materiality = float(abs(lead["diff"]) / lead["span"])
    return [Claim("unit_vs_rest", str(rows["unit_id"].iloc[0]), text, facts, verdict, reason, materiality,
                  comparison=f"{unit} against the rest of {client} on {lead['label']} ({metric_text(lead['kind'], float(lead['value']))} against "
                             f"the rest's {lead['rest']:.3g})",
                  direction=str(lead["verdict"]).replace("_", " "), effect=float(lead["diff"]),
                  effect_unit="difference from the rest", test=TEST, p=float(lead["p_holm"]), n=n, lead=True)]


def league_claim(league: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """How many units differ clearly from the rest on the lead metric, and which lead and lag."""
    if league is None or league.empty:
        return []
    name = eng.units.name if eng.units is not None else "unit"
    label = str(league["label"].iloc[0])
    leaders = league[league["verdict"] == "above"].sort_values("diff", ascending=False)["unit"]
    laggards = league[league["verdict"] == "below"].sort_values("diff")["unit"]
    differ = len(leaders) + len(laggards)
    facts = dict(label=label, units=len(league), leaders=join(leaders), laggards=join(laggards), differ=differ,
                 name=name)

    def be(names) -> str:
        return "is" if len(names) == 1 else "are"

    if differ == 0:
        text = "No {name} differs clearly from the rest on {label}"
        verdict, reason = WITHIN_NOISE, ("no unit's difference from the rest passes the test (Holm, across every "
                                         "unit and metric) and the minimum effect")
        if len(league) < 2:
            verdict, reason = NOT_TESTABLE, "fewer than two units have a deck of their own"
    else:
        parts = []
        if len(leaders):
            parts.append(f"{{leaders}} {be(leaders)} above the rest on {{label}}")
        if len(laggards):
            parts.append(f"{{laggards}} {be(laggards)} below" + ("" if len(leaders) else " the rest on {label}"))
        text = " and ".join(parts) + "; {differ} of {units} differ clearly"
        verdict, reason = SUPPORTED, f"{differ} of {len(league)} units differ beyond chance (Holm) and the minimum effect"
    spread = league["diff"].abs() / league["span"]
    top = league.loc[spread.fillna(0).idxmax()]
    return [Claim("unit_league", "all", text, facts, verdict, reason,
                  float(spread.max()) if verdict == SUPPORTED else 0.0,
                  comparison=f"each {name} against the rest on {label}", direction="",
                  effect=float(top["diff"]), effect_unit=f"largest difference from the rest ({top['unit']})",
                  test=TEST, p=float(top["p_holm"]), n=int(league["n"].sum()), lead=True)]


def pilot_claim(pilots: pd.DataFrame, moments: pd.DataFrame, eng: Engagement) -> list[Claim]:
    """Where to pilot: the units clearly below the rest on moments of truth; or that none is."""
    if moments is None or moments.empty:
        return []
    name = eng.units.name if eng.units is not None else "unit"
    if pilots is None or pilots.empty:
        facts = dict(units="", moments=join(moments["label"]), name=name)
        return [Claim("unit_pilots", "all", "No {name} is clearly below the rest on the moments of truth "
                      "({moments})", facts, WITHIN_NOISE, "no unit's shortfall passes the test (Holm) and the "
                      "minimum effect", 0.0, comparison=f"each {name} against the rest on the moments of truth",
                      test=TEST, lead=True)]
    lagged = sorted({m.strip() for text in pilots["moments"] for m in str(text).split(", ")})
    facts = dict(units=join(pilots["unit"]), moments=join(lagged), name=name)
    what = "the moment of truth" if len(lagged) == 1 else "moments of truth"
    return [Claim("unit_pilots", "all", f"Pilot in {{units}}: below the rest on {{moments}}, {what}",
                  facts, SUPPORTED, "each is below the rest on at least one moment of truth beyond chance (Holm)",
                  float(min(1.0, pilots["score"].max())), comparison=f"each {name} against the rest on the moments "
                  "of truth", effect=float(pilots["score"].iloc[0]),
                  effect_unit="shortfall weighted by importance (share of scale)", test=TEST,
                  n=int(pilots["n"].sum()), lead=True)]
