"""Time `cxkit run` beside its floor, on the committed sample and on 1,000,000 respondents.

The floor is the same number of notebooks, run the same way (papermill, in
worker processes, in the same waves), that only import the libraries the
stage notebooks import. The ratio cxkit / floor is what cxkit's own work
costs. Peak memory is the largest total resident memory of the whole process
tree (the run, its workers and their kernels), sampled every 0.1 s.

Targets on the 2-core reference machine: the sample run within 1.5x the floor;
1,000,000 respondents in under 3 minutes and under 4 GB peak.

    python bench/bench_run.py [--skip-million] [--customers N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkit.paths import NOTEBOOKS  # noqa: E402
from cxkit.results.catalogue import STAGES  # noqa: E402
from cxkit.inputs.sample import write_sample  # noqa: E402


def floor_notebooks(folder: Path) -> Path:
    """Copies of the stage notebooks keeping only their parameters cell and their import lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for meta in STAGES.values():
        if meta.notebook is None:
            continue
        nb = nbformat.read(NOTEBOOKS / meta.notebook, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        imports = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
                   if line.startswith(("import ", "from "))]
        nb.cells = [params, nbformat.v4.new_code_cell("\n".join(imports))]
        nbformat.write(nb, folder / meta.notebook)
    return folder


FLOOR_SCRIPT = """
import sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from cxkit.run.pipeline import WAVES, execute_stage, stage_threads
engagement, build, notebooks, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
    for wave in WAVES:
        for future in [pool.submit(execute_stage, s, engagement, build, notebooks, stage_threads(len(wave)))
                       for s in wave]:
            assert future.result()["status"] == "done", future.result()
"""


def measure(command: list[str]) -> dict:
    """Wall time and peak total memory of a command and all its descendants."""
    started = time.perf_counter()
    proc = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            try:
                tree = [proc] + proc.children(recursive=True)
                total = 0
                for p in tree:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, total)
            except psutil.Error:
                pass
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    output, _ = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(command)}\n{output}")
    return {"seconds": time.perf_counter() - started, "peak_gb": peak / 1e9}


def cxkit_run(config: Path, out: Path) -> dict:
    return measure([sys.executable, "-m", "cxkit", "run", str(config), "--out", str(out)])


def floor_run(config: Path, build: Path, notebooks: Path) -> dict:
    (build / "notebooks").mkdir(parents=True, exist_ok=True)
    return measure([sys.executable, "-c", FLOOR_SCRIPT, str(config), str(build), str(notebooks), "3"])


def time_segmentation(config: Path) -> dict:
    """The segmentation's own time on the big engagement, in this process (data already loaded)."""
    from cxkit import load_engagement
    from cxkit.analysis.customers import segment_customers
    from cxkit.inputs.data import load_feedback

    eng = load_engagement(config)
    fb = load_feedback(eng)
    started = time.perf_counter()
    seg = segment_customers(fb, eng)
    return {"seconds": time.perf_counter() - started, "k": seg.k, "stability": seg.stability}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-million", action="store_true", help="only the sample")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the sample and of the floor (medians compared)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor = floor_notebooks(tmp / "floor")
        sample = ROOT / "data_samples" / "northwind" / "engagement.yaml"
        # floor and cxkit alternate, and the medians are compared: single runs of a few seconds are noisy
        floors, samples = [], []
        for i in range(args.repeats):
            floors.append(floor_run(sample, tmp / f"floor-build-{i}", floor))
            samples.append(cxkit_run(sample, tmp / f"out-sample-{i}"))
        results["floor"] = {"seconds": statistics.median(r["seconds"] for r in floors)}
        results["sample"] = {"seconds": statistics.median(r["seconds"] for r in samples),
                             "peak_gb": max(r["peak_gb"] for r in samples)}
        print(f"sample   : cxkit {results['sample']['seconds']:6.1f}s  floor {results['floor']['seconds']:5.1f}s  "
              f"ratio {results['sample']['seconds'] / results['floor']['seconds']:.2f}x (target <= 1.5x)  "
              f"peak {results['sample']['peak_gb']:.2f} GB  (medians of {args.repeats} alternating runs)", flush=True)
        if not args.skip_million:
            t = time.perf_counter()
            big = write_sample(tmp / "million", seed=1, customers=args.customers, employees=320,
                               engagement_id="million", attributes=20)
            print(f"generated {args.customers:,} customers x 20 touchpoints in {time.perf_counter() - t:.0f}s "
                  f"({big.feedback.stat().st_size / 1e6:.0f} MB CSV)", flush=True)
            results["million"] = cxkit_run(big.config, tmp / "out-million")
            m = results["million"]
            record = json.loads((tmp / "out-million" / "million" / "run.json").read_text())
            m["stages"] = {s["stage"]: round(s["seconds"], 1) for s in record["stages"]}
            print(f"{args.customers:,}: cxkit {m['seconds']:6.1f}s (target < 180s)  floor {results['floor']['seconds']:5.1f}s  "
                  f"ratio {m['seconds'] / results['floor']['seconds']:.1f}x  peak {m['peak_gb']:.2f} GB (target < 4 GB)")
            print("  stages: " + ", ".join(f"{k} {v}s" for k, v in m["stages"].items()), flush=True)
            results["segmentation"] = time_segmentation(big.config)
            print(f"  segmentation alone ({args.customers:,} x 20, k = 2..6, stability check): "
                  f"{results['segmentation']['seconds']:.1f}s", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
