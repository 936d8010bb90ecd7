"""Saving and reading a run's results: tables as CSV, each stage's record as JSON, the claims in one file.

Every table is checked against its declaration (:mod:`cxkit.results.catalogue`)
when it is saved and when it is read. Each stage writes its tables and a
``stage_<stage>.json`` record (status, typed headlines, claims); the
recommendations stage gathers every claim into ``results/claims.json`` and the
headline figures into ``summary.json``. The deck layer reads only these files,
through :class:`RunResults`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import RunPaths
from . import headlines as _headlines
from .catalogue import CLAIMS, STAGES, ContractError, check, claim_kind, declared
from .claim import Claim
from .formulas import neutralise, restore


@dataclass
class StageRecord:
    """What a stage did: status, the reason if skipped, its headline figures, its claims and its tables."""

    stage: str
    status: str = "done"
    reason: str = ""
    headlines: dict = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)   # analyses the data could not support: "what: why"

    def to_dict(self) -> dict:
        return {"stage": self.stage, "status": self.status, "reason": self.reason,
                "headlines": _clean(self.headlines), "claims": [c.to_dict() for c in self.claims],
                "tables": list(self.tables), "left_out": list(self.left_out)}

    @classmethod
    def from_dict(cls, data: dict) -> "StageRecord":
        return cls(data["stage"], data.get("status", "done"), data.get("reason", ""), data.get("headlines") or {},
                   [Claim.from_dict(c) for c in data.get("claims", [])], list(data.get("tables", [])),
                   list(data.get("left_out", [])))


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _write_text(path: Path, text: str) -> Path:
    """Write through a temporary file moved into place, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def headed(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """An empty table with its declared columns: nothing found is a result too, and readers see its header."""
    if not table.empty:
        return table
    return table.reindex(columns=list(dict.fromkeys([*declared(name).names, *table.columns])))


def save_table(paths: RunPaths, name: str, table: pd.DataFrame, stage: str) -> Path:
    """Check a results table against its declaration and write it as CSV (an empty table with its declared
    columns), client text that looks like a spreadsheet formula made inert (:mod:`cxkit.results.formulas`).

    Raises
    ------
    ContractError
        The table is not declared, is not this stage's, or does not match its declared columns.
    """
    table = headed(name, table)
    check(name, table, stage)
    path = paths.table(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    neutralise(table).to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def load_table(paths: RunPaths, name: str) -> pd.DataFrame:
    """A saved results table; raise if it is not declared, or if the stage that writes it has not run."""
    table = declared(name)
    path = paths.table(name)
    if not path.exists():
        raise FileNotFoundError(f"{path}: results table not found; run {STAGES[table.stage].notebook_name} "
                                f"(the {STAGES[table.stage].title.lower()} stage) first")
    return _read(path)


def _read(path: Path) -> pd.DataFrame:
    # Text that looks like numbers (waves such as "2026", segment names) stays as the stage wrote it:
    # only the declared number and true/false columns are numbers.
    return restore(pd.read_csv(path, keep_default_na=False, na_values=[""]))


def write_yaml(path: Path, data: dict) -> Path:
    """Write plain data as YAML (through a temporary file moved into place)."""
    import yaml

    return _write_text(path, yaml.safe_dump(_clean(data), sort_keys=False, allow_unicode=True))


def save_record(paths: RunPaths, record: StageRecord) -> Path:
    """Write a stage's record (status, headlines, claims, tables) as JSON; every claim must be this stage's."""
    strays = [c.id for c in record.claims if c.stage != record.stage]
    if strays:
        raise ContractError(f"the {record.stage} stage saved claims of other stages: {strays}")
    return _write_text(paths.record(record.stage), json.dumps(record.to_dict(), indent=1))


def load_record(paths: RunPaths, stage: str) -> StageRecord | None:
    path = paths.record(stage)
    if not path.exists():
        return None
    try:
        return StageRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ContractError, KeyError, TypeError, ValueError) as exc:
        raise ContractError(f"{path} does not match this version of cxkit ({exc}). Fix: run the "
                            f"{STAGES[stage].notebook_name} notebook (or cxkit run) again") from None


def save_claims(paths: RunPaths, claims: list[Claim]) -> Path:
    """Write every claim of the run to ``results/claims.json``, in stage order, leads first within a kind."""
    order = {kind: i for i, kind in enumerate(CLAIMS)}
    ranked = sorted(claims, key=lambda c: (order[c.kind], not c.lead))
    return _write_text(paths.claims, json.dumps([c.to_dict() for c in ranked], indent=1))


def write_summary(paths: RunPaths, engagement, records: list[StageRecord], executive_summary: list[Claim]) -> dict:
    """Write ``summary.json``: the stage records (without their claims, which are in claims.json) and the
    executive summary as claim ids, in the order the deck states them."""
    summary = {"client": engagement.client, "engagement_id": engagement.engagement_id,
               "config_hash": engagement.config_hash, "executive_summary": [c.id for c in executive_summary],
               "stages": {r.stage: {k: v for k, v in r.to_dict().items() if k != "claims"} for r in records}}
    _write_text(paths.summary, json.dumps(summary, indent=1))
    return summary


class RunResults:
    """Read-only access to a run's saved tables, stage records, headlines and claims (what the deck layer sees)."""

    def __init__(self, paths: RunPaths):
        self.paths = paths
        self._tables: dict[str, pd.DataFrame | None] = {}
        self._records: dict[str, StageRecord | None] = {}

    def has(self, name: str) -> bool:
        """Whether the run wrote a table (its file exists), without reading it."""
        declared(name)
        return self._tables.get(name) is not None or self.paths.table(name).exists()

    def table(self, name: str) -> pd.DataFrame | None:
        """A saved table, or None when the stage that writes it did not run (an undeclared name raises)."""
        declared(name)
        if name not in self._tables:
            path = self.paths.table(name)
            self._tables[name] = _read(path) if path.exists() else None
        return self._tables[name]

    def record(self, stage: str) -> StageRecord | None:
        if stage not in STAGES:
            raise ContractError(f"no stage named '{stage}'")
        if stage not in self._records:
            self._records[stage] = load_record(self.paths, stage)
        return self._records[stage]

    def records(self) -> list[StageRecord]:
        """The records of the stages that wrote one, in run order."""
        return [r for r in (self.record(s) for s in STAGES) if r is not None]

    def done(self, stage: str) -> bool:
        record = self.record(stage)
        return record is not None and record.status == "done"

    def headlines(self, stage: str):
        """A finished stage's typed headlines (:mod:`cxkit.results.headlines`), or None."""
        record = self.record(stage)
        if record is None or record.status != "done" or not record.headlines:
            return None
        return _headlines.from_dict(stage, record.headlines)

    def claims(self) -> list[Claim]:
        """Every claim of the finished stages, in run order, each from its own stage's record (so a stage run
        again is read as it is now; ``claims.json`` is the same gathered for readers outside cxkit)."""
        return [c for r in self.records() if r.status == "done" for c in r.claims]

    def claims_of(self, kind: str) -> list[Claim]:
        """The claims of one kind, read from the record of the stage that makes them."""
        record = self.record(claim_kind(kind).stage)
        return [c for c in record.claims if c.kind == kind] if record is not None and record.status == "done" else []

    def claim(self, kind: str) -> Claim | None:
        """The lead claim of a kind (the one a slide title uses), or None when its stage made none."""
        return next((c for c in self.claims_of(kind) if c.lead), None)

    def supported(self, kind: str) -> bool:
        """Whether the lead claim of a kind was made and its evidence supports it."""
        claim = self.claim(kind)
        return claim is not None and claim.supported

    def executive_summary(self) -> list[Claim]:
        """The claims the executive summary states, in order, as the recommendations stage chose them."""
        if not self.paths.summary.exists():
            return []
        ids = json.loads(self.paths.summary.read_text(encoding="utf-8")).get("executive_summary", [])
        by_id = {c.id: c for c in self.claims()}
        return [by_id[i] for i in ids if i in by_id]
