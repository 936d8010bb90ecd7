"""The claim the data checks make: what ``cxkit validate`` found, none of it stopping the run."""

from __future__ import annotations

import pandas as pd

from ..results.claim import SUPPORTED, Claim


def data_quality_claim(quality: pd.DataFrame) -> list[Claim]:
    """How many warnings the checks raised and what the readers did (a run with errors never gets this far)."""
    warnings = int((quality["severity"] == "warning").sum()) if len(quality) else 0
    infos = int((quality["severity"] == "info").sum()) if len(quality) else 0
    facts = dict(warnings=warnings, infos=infos)
    if warnings:
        text = "The data checks raised {warnings} warning" + ("s" if warnings != 1 else "") + "; none stopped the run"
    elif infos:
        text = "The data passed every check; the readers noted {infos} thing" + ("s" if infos != 1 else "")
    else:
        text = "The data passed every check"
    return [Claim("data_quality", "all", text, facts, SUPPORTED, "cxkit validate, before any analysis",
                  0.0, comparison="the data against the engagement's contract", lead=True)]
