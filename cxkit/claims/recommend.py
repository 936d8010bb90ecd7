"""Recommendations that follow from the evidence (DOMAIN.md section 5).

The rules are data: ``templates/recommendations.yaml`` (the firm's), less the
ones an engagement switches off, plus or replaced by its own
(``recommendations:`` in the engagement YAML). :mod:`cxkit.claims.rules` parses and
checks them; they fire on the run's claims, and only on claims their evidence
supports. Priority is the materiality of the evidence (the share of the scale,
of explained variance or of value a claim is about); actions are ranked by it,
and the pilot step always comes last.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ..inputs.config import Engagement
from ..errors import ConfigError, ConfigProblem
from ..paths import template_path
from ..results.catalogue import TABLES
from ..results.claim import SUPPORTED, WITHIN_NOISE, Claim
from .rules import Fired, Rule, RuleError, fire, load_rules, parse_rules

COLUMNS = [c for c in TABLES["recommendations"].names if c != "rank"]


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


def _basis(rule: Rule, fired: Fired) -> str:
    if rule.priority_field is None:
        return f"fixed priority {fired.priority:.2f} set by rule {rule.id}"
    scale = f" x {rule.priority_scale:g}" if rule.priority_scale != 1 else ""
    return f"{rule.priority_field.replace('_', ' ')}{scale} = {fired.priority:.2f}"


PHASES = (("quick_win", "Quick wins", "the first 30 days"),
          ("days_90", "Pilot", "90 days in one or two units, measured against the scorecard"),
          ("months_12", "Roll out", "within 12 months, what the pilot proved"))


def roadmap(actions: pd.DataFrame) -> pd.DataFrame:
    """The ranked actions grouped into phases: quick wins, a pilot in one or two units, then the roll-out.

    Returns
    -------
    DataFrame
        One row per phase that has actions: ``phase`` (numbered in order among those, "1. Quick wins"), ``when``,
        ``actions`` (``#rank headline``, in rank order), ``owners`` (each once, in rank order), ``count``.
    """
    rows = []
    for horizon, phase, when in PHASES:
        part = actions[actions["horizon"] == horizon]
        if len(part):
            rows.append({"phase": f"{len(rows) + 1}. {phase}", "when": when,
                         "actions": "; ".join(f"#{r.rank} {r.headline}" for r in part.itertuples()),
                         "owners": ", ".join(dict.fromkeys(part["owner"])), "count": len(part)})
    return pd.DataFrame(rows, columns=["phase", "when", "actions", "owners", "count"])


def recommendations(claims: list[Claim], eng: Engagement) -> pd.DataFrame:
    """Fire the engagement's rules over a run's claims and rank the actions.

    Parameters
    ----------
    claims : list of Claim
        Every claim of the run; only supported ones can fire a rule.
    eng : Engagement

    Returns
    -------
    DataFrame
        ``rank``, ``headline``, ``action``, ``evidence``, ``component``, ``owner``,
        ``horizon`` (a code), ``priority``, ``priority_basis`` (why it ranks where it does),
        ``rule``, ``claim`` (the id of the claim it rests on) and ``source``; the pilot step comes last
        whenever any action fired.
    """
    context = {"outcome_owner": eng.targets.outcome_owner}
    fired = []
    for rule in engagement_rules(eng):
        for hit in fire(rule, claims, context):
            fired.append(asdict(hit) | {"priority_basis": _basis(rule, hit)})
    fired.sort(key=lambda r: -r["priority"])
    if fired:
        fired.append({"headline": "Pilot, then roll out",
                      "action": "Pilot the first changes in one or two units, measure them against the scorecard, "
                                "then roll out",
                      "evidence": "Changes proven in a pilot spread faster and cost less to correct",
                      "component": "Organisational support", "owner": eng.targets.outcome_owner,
                      # in the pilot phase it names: the roll-out after it spreads "what the pilot proved"
                      "horizon": "days_90", "priority": 0.0, "priority_basis": "always the last step",
                      "rule": "pilot", "claim": "", "source": "cxkit method (DOMAIN.md section 5)"})
    table = pd.DataFrame(fired, columns=COLUMNS)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def actions_claim(actions: pd.DataFrame, claims: list[Claim]) -> list[Claim]:
    """How many actions follow from the evidence; with none, that no supported claim called for one."""
    count = int((actions["rule"] != "pilot").sum()) if len(actions) else 0
    supported = sum(c.supported for c in claims)
    if count:   # the pilot is the method's last step, not something this data called for: not counted
        return [Claim("actions", "all", ("{count} action follows" if count == 1 else "{count} actions follow")
                      + " from the evidence" + (", the most material first" if count > 1 else "")
                      + ", then a pilot before the roll-out", {"count": count}, SUPPORTED,
                      f"rules fired on {supported} supported claims", 0.0, n=count, lead=True)]
    return [Claim("actions", "all", "No action follows: no finding the evidence supports calls for one",
                  {"count": 0}, WITHIN_NOISE, f"no rule fired on the {supported} supported claims", 0.0, lead=True)]
