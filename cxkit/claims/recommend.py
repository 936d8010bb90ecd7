"""Recommendations that follow from the evidence (DOMAIN.md section 5).

The rules are data: ``templates/recommendations.yaml`` (the firm's), less the
ones an engagement switches off, plus or replaced by its own
(``recommendations:`` in the engagement YAML). :mod:`cxkit.claims.rules` parses and
checks them; this module lays out the evidence they read (the saved results,
with a few derived fields such as a gap as a share of the scale) and ranks
what fires. Priority is the materiality of the evidence, as in
:mod:`cxkit.claims.findings` (the share of the scale, of explained variance or of
value a finding is about); actions are ranked by it, and the pilot step always
comes last.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ..inputs.config import Engagement
from ..errors import ConfigError, ConfigProblem
from ..paths import template_path
from ..results.store import RunResults
from ..claims.rules import Fired, Rule, RuleError, fire, load_rules, parse_rules

HORIZONS = ("Quick win", "90 days", "12 months")
COLUMNS = ["headline", "action", "evidence", "component", "owner", "horizon", "priority", "priority_basis", "rule",
           "source"]


def engagement_rules(eng: Engagement) -> tuple[Rule, ...]:
    """The rules an engagement runs: the firm's file, less ``disable``, with the engagement's own rules
    added (an engagement rule with a firm rule's id replaces it).

    Raises
    ------
    ConfigError
        The rule file breaks the grammar, or ``disable`` names a rule that does not exist.
    """
    settings = eng.recommendations
    path = template_path(settings.file, eng.folder)
    try:
        firm = load_rules(path)
        own = parse_rules({"rules": list(settings.rules)}, str(eng.source)) if settings.rules else ()
    except (RuleError, OSError) as exc:
        problems = exc.problems if isinstance(exc, RuleError) else [str(exc)]
        raise ConfigError([ConfigProblem(str(path), "recommendations", p, "see the grammar at the top of "
                                         "templates/recommendations.yaml") for p in problems]) from None
    unknown = sorted(set(settings.disable) - {r.id for r in firm} - {r.id for r in own})
    if unknown:
        raise ConfigError([ConfigProblem(str(eng.source), "recommendations.disable", f"no rules named {unknown}",
                                         "use ids from " + ", ".join(r.id for r in firm))])
    replaced = {r.id for r in own}
    return tuple(r for r in firm if r.id not in replaced and r.id not in settings.disable) + tuple(
        r for r in own if r.id not in settings.disable)


def evidence_tables(results: RunResults, eng: Engagement) -> dict[str, pd.DataFrame]:
    """The tables rules read: saved results, with fields derived for the rules.

    - ``maturity``: + ``gap_share`` (gap / scale range), ``move`` (the framework's typical move for the dimension);
    - ``perception_gaps``: + ``gap_share``;
    - ``lagging_departments``: + ``gap_share`` (distance from the organisation / scale range);
    - ``moments_of_truth``: as saved;
    - ``asymmetry``: + ``owner`` (from the key drivers);
    - ``value_at_stake``: ``segment``, ``name``, ``stake`` (value, or customers where no value is mapped),
      ``stake_share`` (of all at stake), ``what`` ("value" or "customers");
    - ``scorecard_owners``: one row: ``unowned``, ``metrics``, ``unowned_share``, ``unowned_names``;
    - ``scorecard_cadence``: one row: ``short`` (metrics the response volume cannot track at the cadence),
      ``metrics``, ``short_share``, ``short_names``, ``cadence``;
    - ``departmental_balance``: as saved (``owner``, ``drivers``, ``importance``, ``performance``, ``vs_all``, ``impact``).

    Every table also carries ``outcome_owner`` (``targets.outcome_owner``).
    """
    tables: dict[str, pd.DataFrame] = {}
    if eng.diagnostic is not None:
        scale = eng.scales[eng.diagnostic.scale]
        span = scale.max - scale.min
        maturity = results.table("maturity")
        if maturity is not None:
            tables["maturity"] = maturity.assign(
                gap_share=maturity["gap"] / span,
                move=[eng.framework.dimensions[d].move or f"Close the gap on {label.lower()}"
                      if d in eng.framework.dimensions else f"Close the gap on {label.lower()}"
                      for d, label in zip(maturity["dimension"], maturity["label"])])
        gaps = results.table("perception_gaps")
        if gaps is not None:
            tables["perception_gaps"] = gaps.assign(gap_share=gaps["gap"] / span)
        lagging = results.table("lagging_departments")
        if lagging is not None:
            tables["lagging_departments"] = lagging.assign(gap_share=lagging["diff_from_all"].abs() / span)
    for name in ("moments_of_truth",):
        if results.table(name) is not None:
            tables[name] = results.table(name)
    asymmetry, key = results.table("asymmetry"), results.table("key_drivers")
    if asymmetry is not None and key is not None:
        tables["asymmetry"] = asymmetry.merge(key[["attribute", "owner"]], on="attribute", how="left")
    stake, profiles = results.table("value_at_stake"), results.table("segment_profiles")
    if stake is not None and profiles is not None and not stake.empty:
        column, what = ("value_at_stake", "value") if "value_at_stake" in stake else ("at_risk_customers", "customers")
        total = stake[column].sum()
        if total > 0:
            names = profiles.set_index("segment")["name"]
            tables["value_at_stake"] = pd.DataFrame({
                "segment": stake["segment"], "name": stake["segment"].map(names), "stake": stake[column],
                "stake_share": stake[column] / total, "what": what})
    card = results.table("scorecard")
    if card is not None and len(card):
        unowned = card[card["owner_missing"].astype(bool)]
        tables["scorecard_owners"] = pd.DataFrame([{
            "unowned": len(unowned), "metrics": len(card), "unowned_share": len(unowned) / len(card),
            "unowned_names": ", ".join(unowned["metric"])}])
        short = card[~card["cadence_supported"].astype(bool)]
        tables["scorecard_cadence"] = pd.DataFrame([{
            "short": len(short), "metrics": len(card), "short_share": len(short) / len(card),
            "short_names": ", ".join(short["metric"]), "cadence": card["cadence"].iloc[0]}])
    balance = results.table("departmental_balance")
    if balance is not None:
        tables["departmental_balance"] = balance
    return {name: table.assign(outcome_owner=eng.targets.outcome_owner) for name, table in tables.items()}


def _basis(rule: Rule, fired: Fired) -> str:
    if rule.priority_field is None:
        return f"fixed priority {fired.priority:.2f} set by rule {rule.id}"
    scale = f" x {rule.priority_scale:g}" if rule.priority_scale != 1 else ""
    return f"{rule.priority_field.replace('_', ' ')}{scale} = {fired.priority:.2f}"


PHASES = (("Quick win", "1. Quick wins", "the first 30 days"),
          ("90 days", "2. Pilot", "90 days in one or two units, measured against the scorecard"),
          ("12 months", "3. Roll out", "within 12 months, what the pilot proved"))


def roadmap(actions: pd.DataFrame) -> pd.DataFrame:
    """The ranked actions grouped into phases: quick wins, a pilot in one or two units, then the roll-out.

    Returns
    -------
    DataFrame
        One row per phase that has actions: ``phase``, ``when``, ``actions`` (``#rank headline``, in rank order),
        ``owners`` (each once, in rank order), ``count``.
    """
    rows = []
    for horizon, phase, when in PHASES:
        part = actions[actions["horizon"] == horizon]
        if len(part):
            rows.append({"phase": phase, "when": when,
                         "actions": "; ".join(f"#{r.rank} {r.headline}" for r in part.itertuples()),
                         "owners": ", ".join(dict.fromkeys(part["owner"])), "count": len(part)})
    return pd.DataFrame(rows, columns=["phase", "when", "actions", "owners", "count"])


def recommendations(results: RunResults, eng: Engagement) -> pd.DataFrame:
    """Fire the engagement's rules over a run's saved results and rank the actions.

    Returns
    -------
    DataFrame
        ``rank``, ``headline``, ``action``, ``evidence``, ``component``, ``owner``,
        ``horizon``, ``priority``, ``priority_basis`` (why it ranks where it does),
        ``rule`` and ``source``; the pilot step comes last whenever any action fired.
    """
    tables = evidence_tables(results, eng)
    fired = []
    for rule in engagement_rules(eng):
        for hit in fire(rule, tables.get(rule.table)):
            fired.append(asdict(hit) | {"priority_basis": _basis(rule, hit)})
    fired.sort(key=lambda r: -r["priority"])
    if fired:
        fired.append({"headline": "Pilot, then roll out",
                      "action": "Pilot the first changes in one or two units, measure them against the scorecard, "
                                "then roll out",
                      "evidence": "Changes proven in a pilot spread faster and cost less to correct",
                      "component": "Organisational support", "owner": eng.targets.outcome_owner,
                      "horizon": "12 months", "priority": 0.0, "priority_basis": "always the last step",
                      "rule": "pilot", "source": "cxkit method (DOMAIN.md section 5)"})
    table = pd.DataFrame(fired, columns=COLUMNS)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table
