"""Time `cxkit run` beside its floor: the committed sample, real shapes, and 1,000,000 respondents.

The floor is the same number of notebooks, run the same way (papermill, in
worker processes, in the same order, each as soon as what it reads is done), that only import the libraries the
stage notebooks import. The ratio cxkit / floor is what cxkit's own work
costs; each stage's time is printed beside its floor notebook's. Peak memory
is the largest total resident memory of the whole process tree (the run, its
workers and their kernels), sampled every 0.1 s.

Cases: the committed sample (3,000 customers x 10 touchpoints); real shapes,
generated with planted segments and a yes/no outcome beside the diagnostic:
2,000 x 21 and 5,000 x 25 touchpoints (consultants' lists are 15 to 30 long);
and 1,000,000 x 20. Targets on the 2-core reference machine, as ratios to the
floor measured in the same run: the sample and 2,000 x 21 at most 1.3x,
5,000 x 25 at most 2x, the million at most 6x and under 3 GB peak.

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
import json, sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from pathlib import Path
from cxkit.results.catalogue import STAGES
from cxkit.run.pipeline import DEFAULT_WORKERS, run_stages
from cxkit.run.worker import execute_stage
engagement, build, notebooks = sys.argv[1], sys.argv[2], sys.argv[3]
stages = {}
def finish(stage, result):
    assert result["status"] == "done", result
    stages[stage] = result["seconds"]
    return True
with ProcessPoolExecutor(DEFAULT_WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
    run_stages(lambda s, threads: pool.submit(execute_stage, s, engagement, build,
                                              str(Path(notebooks) / STAGES[s].notebook), threads),
               finish, DEFAULT_WORKERS)
print("STAGES " + json.dumps(stages))
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
    stages = next((json.loads(line[7:]) for line in output.splitlines() if line.startswith("STAGES ")), {})
    return {"seconds": time.perf_counter() - started, "peak_gb": peak / 1e9, "stages": stages}


def cxkit_run(config: Path, out: Path) -> dict:
    result = measure([sys.executable, "-m", "cxkit", "run", str(config), "--out", str(out)])
    record = json.loads(next(out.glob("*/run.json")).read_text())
    result["stages"] = {s["stage"]: s["seconds"] for s in record["stages"]}
    return result


def floor_run(config: Path, build: Path, notebooks: Path) -> dict:
    (build / "notebooks").mkdir(parents=True, exist_ok=True)
    return measure([sys.executable, "-c", FLOOR_SCRIPT, str(config), str(build), str(notebooks)])


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


def stage_line(cxkit: dict, floor: dict) -> str:
    return "  stages (cxkit / floor): " + ", ".join(
        f"{stage} {cxkit[stage]:.1f}/{floor[stage]:.1f}s" for stage in cxkit if stage in floor)


def report(name: str, runs: list[dict], floor: dict, target: float) -> dict:
    """Medians of the runs beside the floor's, printed with each stage's time."""
    seconds = statistics.median(r["seconds"] for r in runs)
    stages = {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
    peak = max(r["peak_gb"] for r in runs)
    ratio = seconds / floor["seconds"]
    print(f"{name:22}: cxkit {seconds:6.1f}s  floor {floor['seconds']:5.1f}s  ratio {ratio:.2f}x (target <= {target}x)"
          f"  peak {peak:.2f} GB  (medians of {len(runs)})", flush=True)
    print(stage_line(stages, floor["stages"]), flush=True)
    return {"seconds": seconds, "floor": floor["seconds"], "ratio": ratio, "target": target, "peak_gb": peak,
            "stages": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-million", action="store_true", help="the sample and the real shapes only")
    parser.add_argument("--million-only", action="store_true", help="the floor and the million only")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each case and of the floor (medians compared)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor = floor_notebooks(tmp / "floor")
        cases = {"sample (3,000 x 10)": (ROOT / "data_samples" / "northwind" / "engagement.yaml", 1.3)}
        for customers, touchpoints, target in (() if args.million_only else ((2000, 21, 1.3), (5000, 25, 2.0))):
            written = write_sample(tmp / f"real-{touchpoints}", seed=11, customers=customers, employees=320,
                                   engagement_id=f"real-{touchpoints}", attributes=touchpoints)
            cases[f"real shape ({customers:,} x {touchpoints})"] = (written.config, target)
        # floor and cxkit alternate, and the medians are compared: single runs of a few seconds are noisy
        floors, runs = [], {name: [] for name in cases}
        for i in range(args.repeats):
            floors.append(floor_run(cases["sample (3,000 x 10)"][0], tmp / f"floor-build-{i}", floor))
            for j, (name, (config, _)) in enumerate(cases.items()):
                if not args.million_only:
                    runs[name].append(cxkit_run(config, tmp / f"out-{j}-{i}"))
        base = {"seconds": statistics.median(r["seconds"] for r in floors),
                "stages": {k: statistics.median(r["stages"][k] for r in floors) for k in floors[0]["stages"]}}
        results["floor"] = base
        for name, (_, target) in cases.items():
            if runs[name]:
                results[name] = report(name, runs[name], base, target)
        if not args.skip_million:
            t = time.perf_counter()
            big = write_sample(tmp / "million", seed=1, customers=args.customers, employees=320,
                               engagement_id="million", attributes=20)
            print(f"generated {args.customers:,} customers x 20 touchpoints in {time.perf_counter() - t:.0f}s "
                  f"({big.feedback.stat().st_size / 1e6:.0f} MB CSV)", flush=True)
            results["million"] = report(f"{args.customers:,} x 20", [cxkit_run(big.config, tmp / "out-million")],
                                        base, 6.0)
            results["segmentation"] = time_segmentation(big.config)
            print(f"  segmentation alone ({args.customers:,} x 20, k = 2..6, stability check): "
                  f"{results['segmentation']['seconds']:.1f}s", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
