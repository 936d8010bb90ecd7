"""What a stage notebook opens: the engagement, its validated data, and where its results go.

A notebook's first cell calls :func:`open_stage` with its two parameters.
Inside ``cxkit run`` the engagement and its data come from the run's
``inputs/`` folder, validated once before any notebook started; opened on its
own (in JupyterLab), the notebook reads and validates the YAML and raw files
itself. Either way it saves through the stage, which checks every table
against the results catalogue and every claim against its declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import NotEnoughData, StageSkipped
from ..inputs.config import Engagement, load_engagement
from ..inputs.prepared import load_inputs, read_input
from ..paths import RunPaths
from ..results import headlines as _headlines
from ..results.catalogue import STAGES, TABLES
from ..results.claim import Claim
from ..results.store import (RunResults, StageRecord, headed, load_table, save_claims, save_record, save_table,
                             write_summary)


def skip_reason(eng: Engagement, stage: str) -> str | None:
    """Why a stage cannot run for this engagement, or None if it can."""
    meta = STAGES[stage]
    if meta.needs and not eng.has(meta.needs):
        return f"it needs {meta.needs} data, and this engagement has none"
    if meta.mapping:
        part, key = meta.mapping.split(".")
        if not getattr(getattr(eng, part), key, None):
            return f"the engagement maps no {key} column ({meta.mapping})"
    return None


@dataclass
class StageContext:
    """One stage at work: its engagement and data in, its tables, headlines and claims out."""

    stage: str
    eng: Engagement
    paths: RunPaths
    prepared: dict[str, Path] | None = None   # the run's validated data, when a run prepared it
    record: StageRecord = field(init=False)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.record = StageRecord(self.stage)

    @property
    def from_run(self) -> bool:
        """True when the data came validated from the run, False when this notebook validated it."""
        return self.prepared is not None

    def _data(self, part: str) -> pd.DataFrame:
        if part not in self._frames:
            if self.prepared is not None:
                self._frames[part] = read_input(self.prepared[part])
            else:
                from ..inputs.data import load_diagnostic, load_feedback

                self._frames[part] = (load_feedback if part == "feedback" else load_diagnostic)(self.eng)
        return self._frames[part]

    @property
    def feedback(self) -> pd.DataFrame:
        """The customer feedback, validated and clean (:func:`cxkit.inputs.data.load_feedback`)."""
        return self._data("feedback")

    @property
    def diagnostic(self) -> pd.DataFrame:
        """The internal diagnostic, validated and clean (:func:`cxkit.inputs.data.load_diagnostic`)."""
        return self._data("diagnostic")

    @property
    def results(self) -> RunResults:
        """What earlier stages saved."""
        return RunResults(self.paths)

    def save(self, name: str, table: pd.DataFrame) -> pd.DataFrame:
        """Save a results table this stage writes (checked against the catalogue); return it for display."""
        table = headed(name, table)
        save_table(self.paths, name, table, self.stage)
        if name not in self.record.tables:
            self.record.tables.append(name)
        return table

    def load(self, name: str) -> pd.DataFrame:
        """A table an earlier stage saved."""
        return load_table(self.paths, name)

    def load_if(self, name: str) -> pd.DataFrame | None:
        """A table an earlier stage saved, or None when that stage did not run (skipped for want of data) or the
        table is empty."""
        if not self.results.done(TABLES[name].stage):
            return None
        table = self.results.table(name)
        return None if table is None or table.empty else table

    def attempt(self, what: str, analysis, *args, **kwargs):
        """Run an analysis the data may not support: its result, or None when it cannot run, with the reason
        kept in the stage's record (the deck's method appendix names it)."""
        try:
            return analysis(*args, **kwargs)
        except NotEnoughData as exc:
            self.record.left_out.append(f"{what}: {exc}")
            print(f"{what} left out: {exc}")
            return None

    def require(self, analysis, *args, **kwargs):
        """Run the analysis the whole stage rests on; when the data cannot support it, the stage is skipped with
        the reason (the run goes on without it)."""
        try:
            return analysis(*args, **kwargs)
        except NotEnoughData as exc:
            raise StageSkipped(f"{STAGES[self.stage].title} skipped: {exc}") from None

    def finish(self, headlines=None, claims: list[Claim] = ()) -> StageRecord:
        """Record the stage as done, with its typed headlines and its claims."""
        if headlines is not None and not isinstance(headlines, _headlines.HEADLINES.get(self.stage, ())):
            raise TypeError(f"the {self.stage} stage's headlines are {_headlines.HEADLINES[self.stage].__name__}")
        self.record.headlines = _headlines.to_dict(headlines) if headlines is not None else {}
        self.record.claims = list(claims)
        save_record(self.paths, self.record)
        return self.record


def open_stage(engagement: str | Path, output_dir: str | Path, stage: str) -> StageContext:
    """Open a stage: the engagement and its data (from the run when it prepared them), the output folders.

    Parameters
    ----------
    engagement : path
        The engagement YAML (the notebook's ``engagement`` parameter).
    output_dir : path
        The run folder (the notebook's ``output_dir`` parameter).
    stage : str
        A stage of :data:`cxkit.results.catalogue.STAGES`.

    Raises
    ------
    StageSkipped
        When the engagement lacks the data the stage needs (the reason is the message).
    """
    paths = RunPaths(output_dir)
    prepared = load_inputs(engagement, paths)
    eng, frames = prepared if prepared is not None else (load_engagement(engagement), None)
    reason = skip_reason(eng, stage)
    if reason:
        raise StageSkipped(f"{STAGES[stage].title} skipped: {reason}")
    return StageContext(stage, eng, paths.make(), frames)


def save_conclusions(stage: StageContext, found) -> StageRecord:
    """Save what the recommendations stage concluded (:func:`cxkit.claims.conclude.conclude`): the actions and
    roadmap, every claim in ``claims.json``, the summary in ``summary.json``, and the stage's record."""
    stage.save("recommendations", found.actions)
    stage.save("roadmap", found.roadmap)
    save_claims(stage.paths, list(found.claims))
    record = stage.finish(found.headlines, list(found.own))
    records = [r for r in stage.results.records() if r.stage != "deck"]
    write_summary(stage.paths, stage.eng, records, list(found.summary))
    return record
