"""Running an engagement end to end: validate once, execute the stage notebooks with
papermill, conclude, build the deck, and record what happened.

The run reads and validates the engagement's YAML and data files once, and
hands every stage the validated data (parquet) and resolved settings in the
build folder's ``inputs/``, removed when the run ends.

A run builds in a temporary folder beside its destination and is moved into
``OUT/<engagement-id>/`` only when every stage has finished, so a failed run
never leaves a half-written deck where a good one was. A failed run's folder is
kept as ``OUT/<engagement-id>.failed/`` with the executed notebooks for inspection.
A run holds its output folder (:mod:`cxkit.run.lock`): a second run into it is
refused, an output folder that cannot be written is refused before any analysis,
and what a run that was killed left behind is cleaned by the next.

Notebooks run in separate processes (papermill is not safe to run from several
threads of one process: shared working directory and kernel-launch races).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import __version__
from ..inputs.config import Engagement, load_engagement
from ..inputs.data import validate
from ..inputs.prepared import release_memory, save_inputs
from ..claims.inputs import data_quality_claim
from ..errors import DataError, StageError, StageFailure
from ..paths import NOTEBOOKS, RunPaths, engagement_folder
from ..results.catalogue import STAGES
from ..results.store import StageRecord, save_record, save_table
from .lock import clean_leftovers, hold_folder
from .stage import skip_reason
from .worker import die_with_the_run, execute_stage, stage_threads, warm_up

# what each stage reads, so starts after: a stage starts as soon as these have finished and a worker is free, in
# this order. Metrics uses what the reality check, customers and drivers found where they ran (a stage skipped for
# want of data leaves its part of the scorecard out); the recommendations read every analysis's claims.
AFTER = {"reality_check": (), "customers": (), "drivers": (), "comments": (),
         "metrics": ("reality_check", "customers", "drivers"),
         "recommendations": ("reality_check", "customers", "drivers", "comments", "metrics"),
         "deck": ("recommendations",)}
# ... and a stage that cannot run without another's results is skipped when that one did not run
DEPENDS = {"deck": ("recommendations",)}
PACKAGES = ("pandas", "numpy", "scipy", "scikit-learn", "seaborn", "matplotlib", "python-pptx", "papermill",
            "pydantic", "pyyaml", "openpyxl", "pyreadstat", "jupyterlab", "ipykernel")


@dataclass
class StageRun:
    stage: str
    status: str = "pending"  # done, skipped, failed
    seconds: float = 0.0
    notebook: str = ""
    reason: str = ""
    failure: dict | None = None


@dataclass
class RunOutcome:
    """What a run produced."""

    engagement_id: str
    folder: Path
    deck: Path | None
    stages: list[StageRun] = field(default_factory=list)
    seconds: float = 0.0


def _versions() -> dict:
    out = {"python": platform.python_version(), "cxkit": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _record_run(paths: RunPaths, eng: Engagement, stages: list[StageRun], started: datetime, seconds: float,
                status: str) -> None:
    record = {
        "engagement_id": eng.engagement_id, "client": eng.client, "config": str(eng.source),
        "config_hash": eng.config_hash, "seed": eng.seed, "status": status,
        "started": started.isoformat(timespec="seconds"), "seconds": round(seconds, 2),
        "stages": [asdict(s) for s in stages], "versions": _versions(),
    }
    paths.run_record.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")


def _data_quality_table(report) -> pd.DataFrame:
    return pd.DataFrame([{"severity": p.severity, "file": p.file, "column": p.column, "message": p.message,
                          "rows": ", ".join(map(str, p.rows)), "rows_affected": p.n_rows, "fix": p.fix}
                         for p in report.problems],
                        columns=["severity", "file", "column", "message", "rows", "rows_affected", "fix"])


def run_engagement(config: str | Path, out: str | Path = "out", workers: int | None = None,
                   progress: Callable[[str], None] = print, notebooks: str | Path = NOTEBOOKS,
                   execute: Callable[..., dict] | None = None) -> RunOutcome:
    """Run an engagement from its YAML to executed notebooks, results and the deck.

    Parameters
    ----------
    config : path
        The engagement YAML.
    out : path, default "out"
        The output root; the run writes ``out/<engagement-id>/``.
    workers : int, optional
        Notebooks run at once (default: as many as the widest wave has stages, 3).
    progress : callable
        Receives one line per stage event.
    notebooks : path
        Folder of stage notebooks (the kit's ``notebooks/`` by default).
    execute : callable, optional
        Runs one stage as :func:`execute_stage` does (same arguments, same outcome dict), called in this
        process one stage after another: property tests use it to run many engagements without kernels.

    Raises
    ------
    ConfigError, DataError
        Before any notebook starts, when the configuration or data are invalid.
    FolderBusy
        Another run is writing the same output folder (:mod:`cxkit.run.lock`).
    CxkitError
        The output folder cannot be written (before the data are read).
    StageError
        When a stage fails; the executed notebooks are kept in ``out/<id>.failed/``.
    """
    started_at = datetime.now(timezone.utc)
    clock = time.perf_counter()
    eng = load_engagement(config)
    final = engagement_folder(Path(out), eng.engagement_id)
    with hold_folder(final):
        clean_leftovers(final, progress)
        outcome = _run(eng, final, started_at, clock, workers, progress, notebooks, execute)
        clean_leftovers(final, progress)   # a stage of a killed run may have written once more since the start
    return outcome


def _run(eng: Engagement, final: Path, started_at: datetime, clock: float, workers: int | None,
         progress: Callable[[str], None], notebooks, execute) -> RunOutcome:
    """The run itself, holding its output folder."""
    workers = max(1, workers or DEFAULT_WORKERS)
    # the stage workers start (and import papermill) while this process validates the data: until the first
    # kernel starts, the run would otherwise use one core of the machine's. Not beside large files: the workers'
    # memory would add to the validation's peak, for a second saved on a run of a minute
    sizes = [eng.data_path(part).stat().st_size for part in ("feedback", "diagnostic")
             if getattr(eng, part) is not None and eng.data_path(part).is_file()]
    with stage_pool(workers, execute, warm=sum(sizes) < WARM_UP_BYTES) as pool:
        report = validate(eng)
        for problem in report.warnings:
            progress(f"  {problem}")
        if report.errors:
            raise DataError(report.problems)
        return run_validated(eng, report, final, started_at, clock, workers, progress, notebooks, execute, pool=pool)


def stage_pool(workers: int, execute: Callable[..., dict] | None = None, warm: bool = False):
    """The pool that runs a run's stages: ``workers`` worker processes (spawned, each killed if the run dies), with
    ``warm`` asked to start at once; or, with ``execute``, each stage in this process one after another."""
    if execute is not None:
        return _InProcess(execute)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_the_run, initargs=(os.getpid(),))
    for _ in range(workers if warm else 0):   # the pool starts a worker for each task waiting: one each
        pool.submit(warm_up)
    return pool


def run_validated(eng: Engagement, report, final: Path, started_at: datetime, clock: float, workers: int | None,
                  progress: Callable[[str], None], notebooks, execute, inputs: tuple = (),
                  pool=None) -> RunOutcome:
    """A run from data already validated (``report``: its problems and clean frames), into ``final``, which the
    caller holds. ``inputs`` are more (table name, table, claims) the run records before any stage, as it
    records the data checks (a unit's comparison with the rest, say). ``pool``: a :func:`stage_pool` already
    started, closed by this run when its stages end (default: one of the run's own)."""
    build = final.parent / f".{final.name}.building-{os.getpid()}"
    paths = RunPaths(build).make()
    quality = _data_quality_table(report)
    save_table(paths, "data_quality", quality, "inputs")
    tables, claims = ["data_quality"], data_quality_claim(quality)
    for name, table, made in inputs:
        save_table(paths, name, table, "inputs")
        tables.append(name)
        claims += made
    save_record(paths, StageRecord("inputs", tables=tables, claims=claims))
    save_inputs(paths, eng, report)
    # the stages read the saved copy: this process lets its own go (0.5 GB at a million customers) while they run
    report.frames.clear()
    release_memory()

    runs = {stage: StageRun(stage) for stage in STAGES if STAGES[stage].notebook}
    # stages at once by default, even beyond the cores: most of a stage is its kernel starting and importing, and
    # the threads of each stage are shared out (stage_threads), so three on two cores beat two and a queue
    workers = max(1, workers or DEFAULT_WORKERS)
    failure: StageFailure | None = None

    def start(stage: str, threads: int) -> Future | None:
        reason = skip_reason(eng, stage) or _upstream_missing(stage, runs)
        if reason:
            runs[stage].status, runs[stage].reason = "skipped", reason
            save_record(paths, StageRecord(stage, status="skipped", reason=reason))
            progress(f"[{stage}] skipped: {reason}")
            return None
        progress(f"[{stage}] running {STAGES[stage].notebook}")
        return pool.submit(execute_stage, stage, str(eng.source), str(build),
                           str(Path(notebooks) / STAGES[stage].notebook), threads)

    def finish(stage: str, result: dict) -> bool:
        nonlocal failure
        run = runs[stage]
        run.status, run.seconds, run.notebook = result["status"], result["seconds"], result["notebook"]
        run.failure = result["failure"]
        if run.status == "skipped":
            run.reason = result["reason"]
            save_record(paths, StageRecord(stage, status="skipped", reason=run.reason))
            progress(f"[{stage}] skipped: {run.reason}")
        elif run.status == "done":
            progress(f"[{stage}] done in {run.seconds:.1f}s")
        else:
            progress(f"[{stage}] FAILED after {run.seconds:.1f}s")
            if failure is None:
                failure = StageFailure(stage, run.notebook, run.failure["cell"], run.failure["error"],
                                       run.failure["detail"])
        return run.status != "failed"

    try:
        # the pool is closed here (waiting for its running stages) before anything is cleaned up or moved
        with (stage_pool(workers, execute) if pool is None else pool) as pool:
            # a large feedback file: two stages hold it at once, not three
            run_stages(start, finish, workers,
                       2 if report.rows.get("feedback", 0) >= LARGE_FEEDBACK else None)
    except BaseException:
        shutil.rmtree(paths.inputs, ignore_errors=True)
        _keep_failed(build, final)
        raise
    shutil.rmtree(paths.inputs, ignore_errors=True)   # client data: the results hold what the stages made of it
    seconds = time.perf_counter() - clock
    if failure is not None:
        _record_run(paths, eng, list(runs.values()), started_at, seconds, "failed")
        kept = _keep_failed(build, final)
        failure = StageFailure(failure.stage, str(kept / failure.notebook), failure.cell, failure.error, failure.detail)
        raise StageError(failure)
    _record_run(paths, eng, list(runs.values()), started_at, seconds, "done")
    _move_into_place(build, final)
    deck = RunPaths(final).deck(eng.engagement_id)
    return RunOutcome(eng.engagement_id, final, deck if deck.exists() else None, list(runs.values()), seconds)


DEFAULT_WORKERS = 3
WARM_UP_BYTES = 50_000_000   # data files under this: the workers start while the data is validated
LARGE_FEEDBACK = 250_000   # customers from which no more than two stages hold the feedback at once


def run_stages(start: Callable[[str, int], Future | None], finish: Callable[[str, dict], bool], workers: int,
               feedback_at_once: int | None = None) -> None:
    """Run the stages in order, each as soon as the stages it reads (``AFTER``) have finished and one of ``workers``
    is free.

    ``start(stage, threads)`` submits a stage and returns its future, or None when it is skipped without running;
    ``threads`` is its share of the cores among the stages running with it. ``finish(stage, result)`` takes a
    stage's outcome and returns False when the run must stop: no stage starts after that, and those running end.
    ``feedback_at_once`` caps the stages holding the customer feedback at the same time (each kernel holds its own
    copy: at a million customers, three at once would pass 3 GB).
    """
    waiting, running, finished, stopped = list(AFTER), {}, set(), False

    def room(stage: str, chosen: list[str]) -> bool:
        if feedback_at_once is None or STAGES[stage].needs != "feedback":
            return True
        holding = [s for s in [*running.values(), *chosen] if STAGES[s].needs == "feedback"]
        return len(holding) < feedback_at_once

    while True:
        started = True
        while started and not stopped:   # a stage skipped without running may let others start
            started = False
            ready: list[str] = []
            for s in waiting:
                if set(AFTER[s]) <= finished and len(running) + len(ready) < workers and room(s, ready):
                    ready.append(s)
            threads = stage_threads(len(running) + len(ready))
            for stage in ready:
                waiting.remove(stage)
                started = True
                future = start(stage, threads)
                if future is None:
                    finished.add(stage)
                else:
                    running[future] = stage
        if not running:
            return
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            stage = running.pop(future)
            finished.add(stage)
            stopped = not finish(stage, future.result()) or stopped


class _InProcess:
    """A pool that runs each stage at once, in this process, with the given executor."""

    def __init__(self, execute: Callable[..., dict]):
        self.execute = execute

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, function, *args) -> Future:
        done = Future()
        done.set_result(self.execute(*args))
        return done


def _upstream_missing(stage: str, runs: dict[str, StageRun]) -> str | None:
    missing = [s for s in DEPENDS.get(stage, ()) if runs[s].status != "done"]
    if missing:
        return f"needs the results of {', '.join(STAGES[s].title.lower() for s in missing)}, which did not run"
    return None


def _keep_failed(build: Path, final: Path) -> Path:
    failed = final.with_name(final.name + ".failed")
    if build.exists():
        shutil.rmtree(failed, ignore_errors=True)
        build.replace(failed)
    return failed


def _move_into_place(build: Path, final: Path) -> None:
    """Swap the finished build in for any previous run (renames within one folder)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.replace(old)
    build.replace(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(final.with_name(final.name + ".failed"), ignore_errors=True)


def rebuild_deck(config: str | Path, out: str | Path = "out"):
    """Conclude again (rules may have changed) and rebuild the deck and appendix of an existing run from its saved
    results and claims, without re-running the analyses."""
    from ..claims.conclude import conclude
    from ..errors import CxkitError
    from ..report.deck import build_deck
    from .stage import open_stage, save_conclusions

    eng = load_engagement(config)
    folder = engagement_folder(Path(out), eng.engagement_id)
    if not (folder / "results").exists():
        raise CxkitError(f"{folder}: no results to build a deck from. Fix: run 'cxkit run {config} --out {out}' first")
    with hold_folder(folder):
        stage = open_stage(config, folder, "recommendations")
        save_conclusions(stage, conclude(stage.results, stage.eng))
        return build_deck(stage.eng, stage.paths)
