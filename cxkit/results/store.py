"""Saving and reading a run's results: tables as CSV, headline figures as JSON.

Each stage writes its tables and a ``stage_<name>.json`` record (status,
headline figures, findings with their sources); the deck stage merges the
records into ``summary.json``. The deck layer reads only these files.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import RunPaths

STAGES = {
    "reality_check": {"notebook": "01_reality_check.ipynb", "needs": "diagnostic", "title": "Reality check"},
    "customers": {"notebook": "02_customers_segments.ipynb", "needs": "feedback", "title": "Customers and segments"},
    "drivers": {"notebook": "03_drivers.ipynb", "needs": "feedback", "title": "Key drivers"},
    "metrics": {"notebook": "04_metrics.ipynb", "needs": "feedback", "title": "Metrics"},
    "deck": {"notebook": "05_deck.ipynb", "needs": None, "title": "Deck"},
}


@dataclass(frozen=True)
class Finding:
    """A quantified finding for the executive summary, with where its numbers come from.

    ``materiality`` (0-1) ranks findings: the share of the scale, of customers or
    of explained variance that the finding is about (stated per finding type).
    """

    text: str
    stage: str
    materiality: float
    source: str
    key: str = ""  # what the finding is about (e.g. "largest_gap"): the deck finds slide titles by it


@dataclass
class StageRecord:
    """What a stage did: status, reason if skipped, headline figures and findings."""

    stage: str
    status: str = "done"
    reason: str = ""
    headlines: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def save_table(paths: RunPaths, name: str, table: pd.DataFrame, record: StageRecord | None = None) -> Path:
    """Write a results table as CSV (written to a temporary name, then moved into place)."""
    path = paths.table(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(path)
    if record is not None and name not in record.tables:
        record.tables.append(name)
    return path


def write_yaml(path: Path, data: dict) -> Path:
    """Write plain data as YAML (through a temporary file moved into place)."""
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(_clean(data), sort_keys=False, allow_unicode=True), encoding="utf-8")
    tmp.replace(path)
    return path


def load_table(paths: RunPaths, name: str) -> pd.DataFrame:
    path = paths.table(name)
    if not path.exists():
        raise FileNotFoundError(f"{path}: results table not found; run the stage that writes '{name}' first")
    return pd.read_csv(path)


def save_record(paths: RunPaths, record: StageRecord) -> Path:
    """Write a stage's record (status, headlines, findings) as JSON."""
    path = paths.headline(record.stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(asdict(record)), indent=1), encoding="utf-8")
    return path


def load_record(paths: RunPaths, stage: str) -> StageRecord | None:
    path = paths.headline(stage)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["findings"] = [Finding(**f) for f in data.get("findings", [])]
    return StageRecord(**data)


def write_summary(paths: RunPaths, engagement) -> dict:
    """Merge the stage records into ``summary.json``: the run's headline figures in one file."""
    summary = {"client": engagement.client, "engagement_id": engagement.engagement_id,
               "config_hash": engagement.config_hash, "stages": {}}
    for stage in STAGES:
        record = load_record(paths, stage)
        if record is not None:
            summary["stages"][stage] = _clean(asdict(record))
    paths.summary.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def start_stage(engagement: str | Path, output_dir: str | Path, stage: str):
    """Open a stage: load the engagement, check it has the data the stage needs, prepare the output folders.

    Returns
    -------
    (Engagement, RunPaths, StageRecord)

    Raises
    ------
    StageSkipped
        When the engagement lacks the data the stage needs (the reason is the message).
    """
    from ..inputs.config import load_engagement
    from ..errors import StageSkipped

    eng = load_engagement(engagement)
    reason = skip_reason(eng, stage)
    if reason:
        raise StageSkipped(f"{STAGES[stage]['title']} skipped: {reason}")
    return eng, RunPaths(output_dir).make(), StageRecord(stage)


def skip_reason(eng, stage: str) -> str | None:
    """Why a stage cannot run for this engagement, or None if it can."""
    needs = STAGES[stage]["needs"]
    if needs and not eng.has(needs):
        return f"it needs {needs} data, and this engagement has none"
    return None


class RunResults:
    """Read-only access to a run's saved tables and stage records (what the deck layer sees)."""

    def __init__(self, paths: RunPaths):
        self.paths = paths
        self._tables: dict[str, pd.DataFrame | None] = {}
        self._records: dict[str, StageRecord | None] = {}

    def table(self, name: str) -> pd.DataFrame | None:
        """A saved table, or None when the stage that writes it did not run."""
        if name not in self._tables:
            path = self.paths.table(name)
            self._tables[name] = pd.read_csv(path) if path.exists() else None
        return self._tables[name]

    def record(self, stage: str) -> StageRecord | None:
        if stage not in self._records:
            self._records[stage] = load_record(self.paths, stage)
        return self._records[stage]

    def done(self, stage: str) -> bool:
        record = self.record(stage)
        return record is not None and record.status == "done"
