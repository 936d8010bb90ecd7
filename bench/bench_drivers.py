"""Time cxkit's exact Shapley (LMG) decomposition beside pingouin's relimp and a plain brute force.

For p = 10, 15, 20, 25 drivers on n = 100,000 respondents (correlated drivers,
a linear outcome), each implementation runs in its own process, from the raw
data to the importance of every driver, with a time cap; a capped run prints
"> cap". Peak memory is the process's maximum resident set. Then 1,000
bootstrap resamples at p = 15, n = 10,000, the way key_drivers draws them.

- cxkit: weighted correlations, then all 2^p subset R^2 by the vectorised sweep
  recursion and the Shapley values from them (cxkit.analysis.importance.shapley_r2).
- pingouin: pingouin.linear_regression(X, y, relimp=True), its LMG.
- brute force: one least-squares solve per subset on the correlation matrix,
  then the LMG formula, the plain implementation the tests compare against.

Targets on the 2-core reference machine: p = 20 in at most 0.2 s; p = 25 in at
most 5 s and 3 GB; the 1,000 resamples in at most 10 s.

    python bench/bench_drivers.py [--cap SECONDS] [--sizes 10 15 20 25]

pingouin is not a cxkit dependency: `pip install -e '.[bench]'` (or `make bench`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from math import factorial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 100_000


def data(p: int, n: int = N, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 0.6 * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    y = x @ np.linspace(1.0, 0.05, p) + rng.normal(0, 2.0, n)
    return x, y


def run_cxkit(x, y):
    from cxkit.analysis.importance import correlations, shapley_r2

    corr, _ = correlations(np.column_stack([x, y]))
    return shapley_r2(corr)


def run_pingouin(x, y):
    import pandas as pd
    import pingouin

    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    table = pingouin.linear_regression(frame, y, relimp=True)
    return table["relimp"].to_numpy()[1:]


def run_brute(x, y):
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    p = x.shape[1]
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        s = [j for j in range(p) if mask >> j & 1]
        beta = np.linalg.lstsq(corr[np.ix_(s, s)], corr[s, -1], rcond=None)[0]
        r2[mask] = corr[s, -1] @ beta
    weights = [factorial(k) * factorial(p - k - 1) / factorial(p) for k in range(p)]
    phi = np.zeros(p)
    for mask in range(1 << p):
        k = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1:
                phi[j] += weights[k] * (r2[mask | 1 << j] - r2[mask])
    return phi


def run_bootstrap(resamples: int = 1000, p: int = 15, n: int = 10_000):
    from cxkit.inputs.config import DriverSettings, firm_defaults
    from cxkit.analysis.drivers import DriverData, bootstrap_importance

    x, y = data(p, n)
    frame = DriverData(tuple(f"x{j}" for j in range(p)), tuple(f"x{j}" for j in range(p)), (None,) * p, x, y,
                       np.ones(n), "y", False, "listwise", (), np.arange(n))
    draws, used, _ = bootstrap_importance(frame, DriverSettings(**{**firm_defaults()["drivers"], "bootstrap": resamples}), seed=1)
    return draws


def one(kind: str, p: int) -> None:
    """Run one implementation in this process and print its time and peak memory as JSON."""
    # imports happen before the clock starts, for every implementation
    import cxkit.analysis.drivers  # noqa: F401
    if kind == "pingouin":
        import pingouin  # noqa: F401
    if kind == "bootstrap":
        start = time.perf_counter()
        run_bootstrap()
    else:
        x, y = data(p)
        start = time.perf_counter()
        {"cxkit": run_cxkit, "pingouin": run_pingouin, "brute": run_brute}[kind](x, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}))


def measure(kind: str, p: int, cap: float) -> dict | None:
    try:
        done = subprocess.run([sys.executable, __file__, "--one", kind, str(p)], capture_output=True, text=True,
                              timeout=cap + 60)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return None if result["seconds"] > cap else result


def check_agreement() -> float:
    """Largest difference between cxkit and the brute force at p = 10 (they must agree)."""
    x, y = data(10, 20_000)
    return float(np.abs(run_cxkit(x, y) - run_brute(x, y)).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds allowed per run (default 120)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 15, 20, 25])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "P"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], int(args.one[1]))
        return
    print(f"cxkit and brute force agree to {check_agreement():.1e} at p = 10")
    print(f"n = {N:,}; each run from the raw data; cap {args.cap:.0f} s")
    print(f"{'p':>3} {'cxkit s':>9} {'peak GB':>8} {'pingouin s':>11} {'ratio':>7} {'brute s':>9} {'ratio':>7}")
    skip = set()
    for p in args.sizes:
        mine = measure("cxkit", p, args.cap)
        row = [f"{p:>3}", f"{mine['seconds']:>9.3f}" if mine else f"{'> cap':>9}",
               f"{mine['peak_gb']:>8.2f}" if mine else f"{'':>8}"]
        for other in ("pingouin", "brute"):
            result = None if other in skip else measure(other, p, args.cap)
            if result is None or "error" in result:
                skip.add(other)  # a bigger p will not be faster
                text = f"> {args.cap:.0f}" if result is None else "error"
                row += [f"{text:>11}" if other == "pingouin" else f"{text:>9}", f"{'':>7}"]
            else:
                ratio = result["seconds"] / mine["seconds"] if mine else float("nan")
                row += [f"{result['seconds']:>11.2f}" if other == "pingouin" else f"{result['seconds']:>9.2f}",
                        f"{ratio:>6.0f}x"]
        print(" ".join(row), flush=True)
    boot = measure("bootstrap", 15, args.cap)
    text = f"{boot['seconds']:.2f} s, peak {boot['peak_gb']:.2f} GB" if boot else "> cap"
    print(f"bootstrap: 1,000 resamples at p = 15, n = 10,000: {text}")


if __name__ == "__main__":
    main()
