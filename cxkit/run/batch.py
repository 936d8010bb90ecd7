"""Running many engagements at once, each in its own process, so one failure stops no other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..inputs.config import load_engagement
from ..errors import CxkitError
from ..paths import engagement_folder


@dataclass(frozen=True)
class BatchResult:
    config: str
    engagement_id: str
    status: str          # done or failed
    seconds: float
    deck: str | None
    error: str


def _run_one(config: str, out: str, stage_workers: int, log_dir: Path) -> BatchResult:
    started = time.perf_counter()
    try:
        eng = load_engagement(config)
    except CxkitError as exc:
        return BatchResult(config, "?", "failed", 0.0, None, str(exc).splitlines()[0])
    log = log_dir / f"{eng.engagement_id}.log"
    command = [sys.executable, "-m", "cxkit", "run", config, "--out", out, "--workers", str(stage_workers)]
    proc = subprocess.run(command, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    seconds = time.perf_counter() - started
    if proc.returncode == 0:
        deck = engagement_folder(Path(out), eng.engagement_id) / f"{eng.engagement_id}-deck.pptx"
        return BatchResult(config, eng.engagement_id, "done", seconds, str(deck), "")
    return BatchResult(config, eng.engagement_id, "failed", seconds, None, f"{_first_error(proc.stderr)} (log: {log})")


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


def run_batch(configs: list[str], out: str = "out", workers: int = 2) -> list[BatchResult]:
    """Run each engagement in its own process, ``workers`` at a time; never stop on a failure.

    Engagements sharing an engagement id are refused up front, since they would write to the same folder.
    """
    ids: dict[str, str] = {}
    for config in configs:
        try:
            engagement_id = load_engagement(config).engagement_id
        except CxkitError:
            continue  # reported as that engagement's failure
        if engagement_id in ids:
            raise CxkitError(f"{config} and {ids[engagement_id]} share engagement_id '{engagement_id}'; "
                             "each engagement in a batch needs its own id")
        ids[engagement_id] = config
    log_dir = Path(out) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, workers)
    stage_workers = max(1, (os.cpu_count() or 1) // workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: _run_one(c, out, stage_workers, log_dir), configs))


def format_table(results: list[BatchResult]) -> str:
    """The batch's closing table: engagement, status, time, deck or error."""
    rows = [("engagement", "status", "time", "deck or error")]
    for r in results:
        rows.append((r.engagement_id if r.engagement_id != "?" else r.config, r.status, f"{r.seconds:.1f}s",
                     r.deck if r.status == "done" else r.error))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows)
