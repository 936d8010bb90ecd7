"""One deck per unit (region, store, team) of an engagement, and the roll-up that compares them.

The engagement's data are read and validated once, here; the roll-up's tables are computed from the whole
data and saved with their deck in ``OUT/<engagement-id>-units/``. Each unit with enough customers becomes a
task: its rows, its settings (the engagement's, with the unit's id and name) and its comparison with the rest.
A task runs in a warm worker (:func:`run_unit`): the stage notebooks execute in the worker's own process
(:mod:`cxkit.run.inprocess`, no kernel per unit) and the unit's whole run folder comes back as files, which
:func:`cxkit.run.batch.land` moves into ``OUT/<unit-id>/`` in one step. Workers need no shared folder for
the data; they read the kit's notebooks and templates, and the engagement's own template files, from their
own installation and paths.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .. import __version__
from ..errors import CxkitError, DataError
from ..inputs.config import Engagement, UnitSettings, load_engagement
from ..inputs.data import DataProblem, ValidationReport, validate
from ..inputs.prepared import engagement_from, settings_of
from ..paths import NOTEBOOKS, RunPaths, engagement_folder


@dataclass
class UnitTask:
    """What a worker needs to run one unit's deck: plain data, sent with the task."""

    unit: str
    unit_id: str
    customers: int
    settings: dict
    frames: dict[str, pd.DataFrame]
    problems: list[DataProblem]
    comparison: pd.DataFrame
    claims: list = field(default_factory=list)   # the unit's comparison as claims, made against the whole engagement
    input_hash: str = ""


@dataclass
class UnitBatch:
    """An engagement cut into units: the tasks, and the roll-up's folder and deck."""

    eng: Engagement
    plan: pd.DataFrame
    tasks: list[UnitTask] = field(default_factory=list)
    rollup: Path | None = None
    rollup_deck: Path | None = None
    notes: list[str] = field(default_factory=list)


def with_units(eng: Engagement, column: str | None) -> Engagement:
    """The engagement with its units column: ``column`` (from the command line) over the YAML's ``units``."""
    if column:
        current = eng.units.model_dump() if eng.units is not None else {}
        return eng.model_copy(update={"units": UnitSettings(**{**current, "column": column})})
    if eng.units is None:
        raise CxkitError(f"{eng.source}: the engagement names no units. Fix: add 'units: {{column: region}}' (the "
                         "feedback column whose values are the units) or pass --units COLUMN")
    return eng


def notebooks_hash(folder: Path = NOTEBOOKS) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.ipynb")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def files_hash(eng: Engagement) -> str:
    """The contents of the files an engagement's run reads besides its data: the deck template and logo, the
    recommendation rules and the codeframes (the firm's or the engagement's own)."""
    from ..paths import template_path

    digest = hashlib.sha256()
    files = [eng.template, eng.logo_path, template_path(eng.recommendations.file, eng.folder),
             template_path(eng.comments.codeframe, eng.folder), template_path(eng.comments.staff_codeframe, eng.folder)]
    for path in files:
        if path is not None and Path(path).exists():
            digest.update(str(path).encode() + Path(path).read_bytes())
    return digest.hexdigest()


def _frame_hash(frame: pd.DataFrame | None) -> bytes:
    if frame is None:
        return b"-"
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(rows + "|".join(map(str, frame.columns)).encode()).digest()


def task_hash(task: UnitTask, kit: str) -> str:
    """What a unit's deck depends on: the kit (version and notebooks), its settings, its rows and its comparison.
    A batch re-run skips a unit whose hash is unchanged and whose deck is in place."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{kit}".encode())
    digest.update(files_hash(engagement_from(task.settings)).encode())
    settings = {k: v for k, v in task.settings.items() if k != "source"}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for part in sorted(task.frames):
        digest.update(part.encode() + _frame_hash(task.frames[part]))
    digest.update(_frame_hash(task.comparison))
    return digest.hexdigest()


def prepare_units(config: str | Path, out: str | Path, column: str | None = None,
                  progress=print) -> UnitBatch:
    """Validate the engagement once, cut it into units, compute and save the roll-up with its deck, and return
    the unit tasks.

    Raises
    ------
    ConfigError, DataError, CxkitError
        Invalid configuration or data, or no usable units column (with the fix).
    """
    from ..analysis import drivers as driver_analysis
    from ..analysis.units import (compare_units, deck_units, league_table, moment_leaders, pilot_candidates,
                                  unit_plan, unit_rows, unit_text, unit_values)
    from ..claims.drivers import model_verdict
    from ..claims.units import unit_claim
    from ..results.claim import SUPPORTED
    from ..errors import NotEnoughData
    from ..analysis.importance import ImportanceError

    eng = with_units(load_engagement(config), column)
    if not eng.has("feedback"):
        raise CxkitError(f"{eng.source}: units cut the customer feedback, and this engagement has none")
    started = time.perf_counter()
    report = validate(eng)
    if report.errors:
        raise DataError(report.problems)
    fb = report.frames["feedback"]
    diag = report.frames.get("diagnostic")
    plan = unit_plan(fb, eng)
    comparison = compare_units(fb, eng, plan)
    batch = UnitBatch(eng, plan)
    moments = pd.DataFrame(columns=["attribute", "label", "share"])
    try:
        key = driver_analysis.key_drivers(fb, eng, intervals=False)
        verdict, reason = model_verdict(key.table, eng)
        if verdict == SUPPORTED:   # moments of truth only where the model can name drivers at all
            quadrants = driver_analysis.moments_of_truth(key.table, eng.drivers.quadrant_cut)
            moments = quadrants[quadrants["quadrant"] == "fix_first"][["attribute", "label", "share"]]
        else:
            batch.notes.append(f"no moments of truth: the whole engagement's driver model cannot name drivers "
                               f"({reason})")
    except (ImportanceError, NotEnoughData, KeyError) as exc:
        batch.notes.append(f"no moments of truth: the whole engagement's driver model could not be fitted ({exc})")
    unassigned = int(unit_values(fb, eng).isna().sum())
    if unassigned:
        batch.notes.append(f"{unassigned:,} customers have no {eng.units.name} ({eng.units.column} is blank): they "
                           "are in the whole engagement's deck only")
    league = league_table(comparison, eng)
    leaders = moment_leaders(comparison, moments)
    pilots = pilot_candidates(comparison, moments)
    batch.rollup, batch.rollup_deck = _save_rollup(eng, out, plan, comparison, league, leaders, pilots, batch.notes)
    progress(f"{eng.engagement_id}: {len(plan)} {eng.units.name}s, {int((plan['status'] == 'own_deck').sum())} with "
             f"a deck of their own; roll-up in {time.perf_counter() - started:.1f}s: {batch.rollup_deck}")
    units = eng.units
    kit = notebooks_hash()
    whole = settings_of(eng)
    masks = unit_rows(fb, eng, plan)
    for d in deck_units(plan).itertuples():
        members = set(plan.loc[plan["deck_unit"] == d.deck_unit, "unit"])
        inside = masks[d.deck_unit]
        frames = {"feedback": fb[inside].reset_index(drop=True)}
        pooled = (plan.loc[plan["deck_unit"] == d.deck_unit, "status"] == "pooled").any()
        settings = {**whole, "engagement_id": d.unit_id,
                    "client": f"{eng.client}, {d.deck_unit[:1].lower() + d.deck_unit[1:]}" if pooled
                    else f"{eng.client} ({d.deck_unit})"}
        problems = [DataProblem("info", eng.feedback.file, f"this deck holds the {int(inside.sum()):,} customers of "
                                f"{d.deck_unit} ({units.column}: {d.members}); the data checks ran on the whole "
                                "file", column=units.column)]
        problems += [p for p in report.problems if p.severity == "warning"]
        if diag is not None and units.diagnostic_column and units.diagnostic_column in diag.columns:
            staff = unit_text(diag[units.diagnostic_column]).isin(members).fillna(False).to_numpy(dtype=bool)
            if staff.sum() >= eng.thresholds.min_group_size:
                frames["diagnostic"] = diag[staff].reset_index(drop=True)
            else:
                settings["diagnostic"] = None
                problems.append(DataProblem("info", eng.diagnostic.file, f"{int(staff.sum())} employees in "
                                            f"{d.deck_unit}, under {eng.thresholds.min_group_size} "
                                            "(thresholds.min_group_size): no reality check in this deck",
                                            column=units.diagnostic_column))
        elif diag is not None:
            settings["diagnostic"] = None
            problems.append(DataProblem("info", eng.diagnostic.file, "the reality check is in the whole "
                                        "engagement's deck: the diagnostic names no unit "
                                        "(units.diagnostic_column)"))
        rows = comparison[comparison["unit"] == d.deck_unit].reset_index(drop=True)
        task = UnitTask(d.deck_unit, d.unit_id, int(inside.sum()), settings, frames, problems, rows,
                        unit_claim(rows, eng))
        task.input_hash = task_hash(task, kit)
        batch.tasks.append(task)
    return batch


def _save_rollup(eng: Engagement, out, plan, comparison, league, leaders, pilots, notes) -> tuple[Path, Path]:
    """Save the roll-up's tables and claims in ``OUT/<engagement-id>-units/`` and build its deck there (built aside
    and moved into place; a failure leaves nothing behind)."""
    from .lock import hold_folder
    from .pipeline import _move_into_place

    rollup_id = f"{eng.engagement_id[:74]}-units"
    final = engagement_folder(Path(out), rollup_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    with hold_folder(final):
        build = final.parent / f".{final.name}.building"
        shutil.rmtree(build, ignore_errors=True)
        try:
            deck = _write_rollup(eng, RunPaths(build), rollup_id,
                                 {"unit_plan": plan, "unit_comparison": comparison, "unit_league": league,
                                  "unit_moments": leaders, "unit_pilots": pilots}, notes)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)   # client tables: nothing half-written is left behind
            raise
        _move_into_place(build, final)
    return final, final / deck.path.name


def _write_rollup(eng: Engagement, paths: RunPaths, rollup_id: str, tables: dict[str, pd.DataFrame], notes: list[str]):
    from ..claims.units import league_claim, pilot_claim
    from ..report.rollup import build_rollup_deck
    from ..results.store import StageRecord, save_record, save_table

    paths.results.mkdir(parents=True)
    for name, table in tables.items():
        save_table(paths, name, table, "units")
    claims = (league_claim(tables["unit_league"], eng)
              + pilot_claim(tables["unit_pilots"], tables["unit_moments"], eng))
    save_record(paths, StageRecord("units", tables=list(tables), claims=claims, left_out=list(notes)))
    deck = build_rollup_deck(eng, paths, rollup_id)
    record = {"engagement_id": rollup_id, "client": eng.client, "config": str(eng.source),
              "units_column": eng.units.column, "status": "done",
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    paths.run_record.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return deck


def run_unit(task: UnitTask) -> dict:
    """Run one unit's stages in this (warm) process and return its run folder as files; never raises for a
    failure of the unit's own (it is reported in the result)."""
    from .inprocess import execute_in_process
    from .pipeline import run_validated

    started = time.perf_counter()
    result = {"id": task.unit_id, "unit": task.unit, "status": "failed", "files": {}, "deck": None, "error": "",
              "input_hash": task.input_hash, "customers": task.customers}
    try:
        eng = engagement_from(task.settings)
        report = ValidationReport(list(task.problems), {p: len(f) for p, f in task.frames.items()},
                                  dict(task.frames))
        with tempfile.TemporaryDirectory(prefix="cxkit-unit-") as tmp:
            final = Path(tmp) / task.unit_id
            outcome = run_validated(eng, report, final, datetime.now(timezone.utc), started, 1, lambda line: None,
                                    NOTEBOOKS, execute_in_process,
                                    inputs=(("unit_vs_rest", task.comparison, list(task.claims)),))
            result["files"] = {str(p.relative_to(final)): p.read_bytes()
                               for p in sorted(final.rglob("*")) if p.is_file()}
            result["deck"] = outcome.deck.name if outcome.deck else None
            result["status"] = "done"
    except Exception as exc:   # the unit's failure, reported with the others; the batch goes on
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    result["seconds"] = time.perf_counter() - started
    return result
