"""Running many engagements, or one engagement's units, on a Dask cluster: a local one sized to the machine, or
the one at ``--scheduler ADDRESS``.

Each engagement or unit is one task. A task never raises for its own failure (the failure is its result), so
one failing engagement or unit never stops the others; a task whose worker is lost is run again on another
(Dask's scheduler reschedules it; ``retries`` covers an error in transit). A task returns its run folder as
files, and this process moves them into ``OUT/<id>/`` in one step, as ``cxkit run`` does, so the workers need
no shared folder with this machine. A re-run skips what is unchanged: each landed folder keeps the hash of
what made it (data, settings, kit), and a task with the same hash and its deck in place is not sent again.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import __version__
from ..errors import CxkitError
from ..inputs.config import load_engagement
from ..paths import engagement_folder

HASH_FILE = "input-hash.txt"
SUMMARY = "batch-summary.csv"
RETRIES = 2


@dataclass(frozen=True)
class BatchResult:
    kind: str            # engagement, unit, or rollup (a batch by units: its roll-up deck)
    id: str
    unit: str
    status: str          # done, unchanged (skipped: same inputs, deck in place), failed, pooled, too_small
    seconds: float
    deck: str | None
    error: str
    customers: int | None = None


# ---------------------------------------------------------------- what a worker runs


def run_engagement_task(config: str, input_hash: str, stage_workers: int = 1) -> dict:
    """Run one engagement (``cxkit run`` in a child process, ``stage_workers`` stages at a time: the cluster gives
    each task one core, and a local batch with fewer engagements to run than cores gives each its share) into a
    temporary folder, and return its run folder as files."""
    started = time.perf_counter()
    eng_id = load_engagement(config).engagement_id
    result = {"id": eng_id, "unit": "", "status": "failed", "files": {}, "deck": None, "error": "",
              "input_hash": input_hash, "customers": None}
    with tempfile.TemporaryDirectory(prefix="cxkit-batch-") as tmp:
        command = [sys.executable, "-m", "cxkit", "run", config, "--out", tmp, "--workers", str(stage_workers)]
        env = {**os.environ, "CXKIT_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run(command, capture_output=True, text=True, env=env)
        folder = engagement_folder(Path(tmp), eng_id)
        if proc.returncode == 0 and folder.exists():
            result["files"] = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                               if p.is_file()}
            deck = folder / f"{eng_id}-deck.pptx"
            result["deck"] = deck.name if deck.exists() else None
            result["status"] = "done"
        else:
            result["error"] = _first_error(proc.stderr)
    result["seconds"] = time.perf_counter() - started
    return result


def _first_error(stderr: str) -> str:
    """The CLI's error line and its first detail line (the first problem found), as one line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("cxkit: ")), None)
    if start is None:
        return lines[-1].strip() if lines else "failed"
    head = lines[start].removeprefix("cxkit: ")
    details = [line.strip() for line in lines[start + 1:] if line.startswith("  ")]
    if not details:
        return head
    more = f" (+{len(details) - 1} more)" if len(details) > 1 else ""
    return f"{head} {details[0]}{more}"


# ---------------------------------------------------------------- what this process does with the results


def landed_hash(out: Path, item_id: str) -> str | None:
    """The hash a landed folder was made from, when it is complete (its deck in place)."""
    try:
        folder = engagement_folder(out, item_id)
    except CxkitError:
        return None
    hash_file = folder / HASH_FILE
    if not hash_file.exists() or not any(folder.glob("*-deck.pptx")):
        return None
    return hash_file.read_text(encoding="utf-8").strip()


def land(result: dict, out: Path) -> Path:
    """Write a task's run folder into ``OUT/<id>/`` in one step (a build folder renamed into place, the
    previous run swapped out), with the hash of what made it."""
    from .lock import hold_folder
    from .pipeline import _move_into_place

    final = engagement_folder(out, result["id"])
    with hold_folder(final):
        build = final.parent / f".{final.name}.landing-{os.getpid()}"
        shutil.rmtree(build, ignore_errors=True)
        for name, data in result["files"].items():
            target = (build / name).resolve()
            if build.resolve() not in target.parents:   # a file name from the wire never leaves the folder
                raise CxkitError(f"refused to write {name!r} outside {final}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (build / HASH_FILE).write_text(result["input_hash"], encoding="utf-8")
        _move_into_place(build, final)
    return final


def engagement_hash(config: str | Path) -> str:
    """What an engagement's run depends on: the kit (version and notebooks), its resolved settings (the firm's
    defaults and framework with its YAML), the files it reads (template, rules, codeframes) and its data files."""
    from .units import files_hash, notebooks_hash

    eng = load_engagement(config)
    digest = hashlib.sha256(f"{__version__}|{notebooks_hash()}|{eng.config_hash}|{files_hash(eng)}".encode())
    digest.update(Path(eng.source).read_bytes())
    for part in ("feedback", "diagnostic"):
        if eng.has(part):
            with open(eng.data_path(part), "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- the batch


def cluster_client(scheduler: str | None, workers: int | None):
    """A Dask client: on the cluster at ``scheduler``, or on a local cluster of one single-threaded worker
    process per core (each task is single-threaded; its libraries stay imported between tasks)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise CxkitError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc}). Fix: start "
                             "one with 'dask scheduler' and workers with 'dask worker ADDRESS --nthreads 1', then "
                             "pass its address (tcp://host:8786)") from None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # every port the operating system's choice (the scheduler's HTTP server would otherwise take 8787 even with no
    # dashboard): two batches on one machine, or a batch beside a notebook's cluster, do not collide
    cluster = LocalCluster(n_workers=workers or cores, threads_per_worker=1, processes=True, scheduler_port=0,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    return Client(cluster), cluster


def stage_share(cluster, jobs: int) -> int:
    """Stages each engagement of a batch may run at once: on a local cluster, the workers no task would use go to
    the engagements' own stages (one changed client re-run alone runs as fast as ``cxkit run``); a remote cluster's
    workers (``cluster`` None) keep one core a task."""
    return max(1, len(cluster.workers) // max(jobs, 1)) if cluster is not None else 1


def run_batch(configs: list[str], out: str = "out", workers: int | None = None, units: str | None = None,
              scheduler: str | None = None, force: bool = False,
              progress: Callable[[str], None] = print) -> list[BatchResult]:
    """Run engagements (or, with ``units``, each engagement's units) on a Dask cluster; never stop on a failure.

    Parameters
    ----------
    configs : list of paths
        Engagement YAMLs.
    out : path
        The output root: ``OUT/<id>/`` per engagement or unit, ``OUT/<id>-units/`` per roll-up, and
        ``OUT/batch-summary.csv``.
    workers : int, optional
        Worker processes of the local cluster (default: one per core); ignored with ``scheduler``.
    units : str, optional
        ``""`` to cut each engagement into the units its YAML names (``units:``), or a feedback column to cut by.
    scheduler : str, optional
        The address of a running Dask scheduler (``tcp://host:8786``); a local cluster otherwise.
    force : bool
        Run everything again, even what is unchanged since the last batch.

    Returns
    -------
    list of BatchResult
        One per engagement or unit (pooled and too-small units included), also written to ``OUT/batch-summary.csv``.
    """
    out_path = Path(out)
    out_path.mkdir(parents=True, exist_ok=True)
    results: list[BatchResult] = []
    jobs = []   # (kind, id, unit, hash, function, argument, customers)
    if units is not None:
        from .units import prepare_units, run_unit

        for config in configs:
            begun = time.perf_counter()
            try:
                batch = prepare_units(config, out_path, units or None, progress)
            except CxkitError as exc:
                results.append(BatchResult("engagement", str(config), "", "failed", 0.0, None,
                                           str(exc).splitlines()[0]))
                continue
            results.append(BatchResult("rollup", batch.rollup.name, "", "done", time.perf_counter() - begun,
                                       str(batch.rollup_deck), "", int(batch.plan["customers"].sum())))
            for r in batch.plan[batch.plan["status"] != "own_deck"].itertuples():
                results.append(BatchResult("unit", r.unit_id or "", r.unit, r.status, 0.0, None,
                                           f"{r.customers} customers, under the minimum: " +
                                           (f"in {r.deck_unit}" if r.deck_unit else "shown in no deck"),
                                           int(r.customers)))
            for task in batch.tasks:
                jobs.append(("unit", task.unit_id, task.unit, task.input_hash, run_unit, task, task.customers))
    else:
        seen: dict[str, str] = {}
        for config in configs:
            try:
                eng_id = load_engagement(config).engagement_id
                if eng_id in seen:
                    raise CxkitError(f"{config} and {seen[eng_id]} share engagement_id '{eng_id}'; each engagement "
                                     "in a batch needs its own id")
                seen[eng_id] = str(config)
                jobs.append(("engagement", eng_id, "", engagement_hash(config), run_engagement_task, str(config),
                             None))
            except CxkitError as exc:
                results.append(BatchResult("engagement", str(config), "", "failed", 0.0, None,
                                           str(exc).splitlines()[0]))
    todo = []
    for job in jobs:
        kind, item_id, unit, digest = job[:4]
        if not force and landed_hash(out_path, item_id) == digest:
            deck = next(engagement_folder(out_path, item_id).glob("*-deck.pptx"))
            results.append(BatchResult(kind, item_id, unit, "unchanged", 0.0, str(deck), "", job[6]))
        else:
            todo.append(job)
    if todo:
        results += _submit(todo, out_path, workers, scheduler, progress)
    _write_summary(out_path / SUMMARY, results)
    return results


def _submit(jobs: list, out: Path, workers: int | None, scheduler: str | None,
            progress: Callable[[str], None]) -> list[BatchResult]:
    from distributed import as_completed

    client, cluster = cluster_client(scheduler, workers)
    results, failed, started = [], 0, time.perf_counter()
    share = stage_share(cluster, len(jobs))
    try:
        futures = {}
        for kind, item_id, unit, digest, function, argument, customers in jobs:
            extra = (digest, share) if function is run_engagement_task else ()
            future = client.submit(function, argument, *extra, key=f"cxkit-{item_id}-{digest[:12]}", pure=False,
                                   retries=RETRIES)
            futures[future] = (kind, item_id, unit, customers)
        last, step = 0.0, max(1, len(jobs) // 20)   # a line every 5% or 15 seconds, and the last
        for done, future in enumerate(as_completed(futures), start=1):
            kind, item_id, unit, customers = futures.pop(future)
            try:
                result = future.result()
                deck = None
                if result["status"] == "done":
                    folder = land(result, out)
                    deck = str(folder / result["deck"]) if result["deck"] else None
                results.append(BatchResult(kind, item_id, unit, result["status"], result["seconds"], deck,
                                           result["error"], customers))
            except Exception as exc:   # a task that could not run at all (its workers kept dying, say)
                results.append(BatchResult(kind, item_id, unit, "failed", 0.0, None,
                                           f"{type(exc).__name__}: {exc}", customers))
            failed += results[-1].status == "failed"
            now = time.perf_counter()
            if done % step == 0 or now - last >= 15.0 or done == len(jobs):
                progress(progress_line(done, len(jobs), failed, now - started))
                last = now
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def progress_line(done: int, total: int, failed: int, elapsed: float, width: int = 30) -> str:
    """``[#########.....] 120/200 done, 2 failed, 1m05s left`` (time left at the rate so far)."""
    filled = int(width * done / total) if total else width
    left = elapsed / done * (total - done) if done else 0.0
    rate = done / elapsed * 60 if elapsed > 0 else 0.0
    return (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} done, {failed} failed, "
            f"{int(left // 60)}m{int(left % 60):02d}s left ({rate:.1f} per minute)")


def _write_summary(path: Path, results: list[BatchResult]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "id", "unit", "status", "seconds", "customers", "deck", "error"])
        for r in results:
            # client text (unit names) could read as a formula in a spreadsheet: written as text
            writer.writerow([r.kind, r.id, _as_text(r.unit), r.status, f"{r.seconds:.1f}",
                             "" if r.customers is None else r.customers, r.deck or "", _as_text(r.error)])
    tmp.replace(path)


def _as_text(value: str) -> str:
    from ..results.formulas import formula_like

    return f"'{value}" if formula_like(value) else value


def format_table(results: list[BatchResult]) -> str:
    """The batch's closing table: engagement or unit, status, time, deck or error."""
    rows = [("id", "status", "time", "deck or note")]
    for r in results:
        rows.append((r.id or r.unit, r.status, f"{r.seconds:.1f}s", r.deck if r.status in ("done", "unchanged")
                     else r.error))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows)
