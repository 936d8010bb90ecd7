"""Unit decks per minute: one engagement of 200,000 customers cut into 200 store decks on a local Dask cluster, beside
the per-engagement path (each unit as an engagement of its own, run by papermill in kernels), in one run.

The units batch is timed from the command's start to its summary: validating the whole file once, the roll-up
(tables and deck), and every unit's deck, executed record and appendix landing in its folder. The baseline runs
``--baseline`` of the same units as engagements of their own (their rows written to their own files) through
``cxkit batch`` with the same workers, and its rate is extrapolated per deck. Goal on the 2-core reference
machine: at least 20 unit decks per minute.

    python bench/bench_units.py [--customers 200000] [--stores 200] [--baseline 4] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkit.inputs.sample import write_sample  # noqa: E402
from cxkit.run.batch import run_batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=4, help="units run as engagements of their own")
    parser.add_argument("--workers", type=int, default=None, help="local cluster workers (default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        written = write_sample(tmp / "chain", seed=5, customers=args.customers, employees=320, engagement_id="chain",
                               stores=args.stores)
        print(f"generated {args.customers:,} customers in {args.stores} stores in {time.perf_counter() - t:.0f}s",
              flush=True)
        started = time.perf_counter()
        results = run_batch([str(written.config)], str(tmp / "out"), args.workers, units="",
                            progress=lambda line: print(f"  {line}", flush=True))
        seconds = time.perf_counter() - started
        done = [r for r in results if r.status == "done"]
        failed = [r for r in results if r.status == "failed"]
        rate = len(done) / seconds * 60
        print(f"units batch: {len(done)} unit decks ({len(failed)} failed) in {seconds:.1f}s: {rate:.1f} per minute "
              "(goal: 20)", flush=True)

        # the per-engagement path: the first units as engagements of their own
        feedback = pd.read_csv(written.feedback)
        config = yaml.safe_load(written.config.read_text())
        config.pop("units")
        config.pop("diagnostic", None)   # as the unit decks: no units column in the diagnostic, no reality check
        configs = []
        for r in sorted(done, key=lambda r: r.id)[:args.baseline]:
            folder = tmp / "engagements" / r.id
            folder.mkdir(parents=True)
            feedback[feedback["store"] == r.unit].to_csv(folder / "feedback.csv", index=False)
            (folder / "engagement.yaml").write_text(yaml.safe_dump({**config, "engagement_id": r.id}),
                                                    encoding="utf-8")
            configs.append(str(folder / "engagement.yaml"))
        started = time.perf_counter()
        baseline = run_batch(configs, str(tmp / "out-engagements"), args.workers,
                             progress=lambda line: print(f"  {line}", flush=True))
        base_seconds = time.perf_counter() - started
        base_rate = sum(r.status == "done" for r in baseline) / base_seconds * 60
        print(f"per-engagement path: {len(configs)} decks in {base_seconds:.1f}s: {base_rate:.1f} per minute; "
              f"units batch {rate / base_rate:.1f}x as many per minute", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "units.json").write_text(json.dumps({
        "customers": args.customers, "stores": args.stores, "unit_decks": len(done), "failed": len(failed),
        "seconds": seconds, "per_minute": rate, "baseline_decks": len(configs), "baseline_seconds": base_seconds,
        "baseline_per_minute": base_rate}, indent=1))


if __name__ == "__main__":
    main()
