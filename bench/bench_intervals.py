"""How good are the cheap driver intervals? Coverage, width and time beside 1,000 exact Shapley resamples.

`drivers.interval_method: sampled` (the default above 14 drivers) decomposes each bootstrap resample over
512 sampled orderings of the drivers (the same in every resample) and centres the resampled deviations on
the exact Shapley estimate. This script draws many surveys from a known population (equicorrelated latent
scores cut into 1-5 ratings, the outcome their weighted sum plus noise), computes each driver's true
Shapley share from a population-sized draw, and for every survey builds three 95% intervals from the same
resamples: exact, sampled orderings, and (the alternative not taken) relative weights centred the same way.
It prints, per design: how often each covers the true share, each cheap interval's width beside the exact
one, the largest difference between endpoints, and the time each takes.

    python bench/bench_intervals.py [--surveys 200] [--resamples 1000] [--orderings 512 256]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxkit.analysis.drivers import SAMPLED_ORDERINGS  # noqa: E402
from cxkit.analysis.importance import (correlations, driver_orderings, relative_weights, sampled_shapley_r2,  # noqa: E402
                                       shapley_r2)

DESIGNS = [  # (drivers, equicorrelation, customers)
    (10, 0.3, 500), (10, 0.6, 500), (10, 0.8, 500), (14, 0.5, 1000), (10, 0.5, 2000)]


def survey(rng: np.random.Generator, p: int, rho: float, n: int) -> np.ndarray:
    """Ratings 1-5 and a 1-10 outcome (last column), as in the kit's planted tests."""
    latent = np.sqrt(rho) * rng.normal(size=(n, 1)) + np.sqrt(1 - rho) * rng.normal(size=(n, p))
    y = latent @ np.linspace(0.5, 0.05, p) + rng.normal(0, 0.5, n)
    ratings = np.digitize(latent, [-1.4, -0.5, 0.4, 1.3]) + 1.0
    outcome = np.digitize((y - y.mean()) / y.std(), np.linspace(-2, 1.6, 9)) + 1.0
    return np.column_stack([ratings, outcome])


def shares(importance: np.ndarray) -> np.ndarray:
    return importance / importance.sum(axis=-1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--orderings", type=int, nargs="+", default=[SAMPLED_ORDERINGS],
                        help="orderings per resample to compare (each a sampled interval of its own)")
    args = parser.parse_args()
    sampled = [f"sampled {m}" for m in args.orderings]
    rng = np.random.default_rng(2026)
    print(f"{args.surveys} surveys per design, {args.resamples} resamples each; coverage of the true Shapley shares "
          "by 95% intervals (all drivers pooled); cheap width / exact width (median, 5th-95th percentile of "
          "drivers x surveys); largest endpoint gap from the exact interval")
    for p, rho, n in DESIGNS:
        truth = shares(shapley_r2(correlations(survey(rng, p, rho, 400_000))[0]))
        orderings = {name: driver_orderings(p, m, seed=p) for name, m in zip(sampled, args.orderings)}
        covered = dict.fromkeys(("exact", *sampled, "weights"), 0)
        ratios = {name: [] for name in (*sampled, "weights")}
        gaps = {name: [] for name in (*sampled, "weights")}
        seconds = dict.fromkeys(covered, 0.0)
        for _ in range(args.surveys):
            data = survey(rng, p, rho, n)
            counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n)
                               for _ in range(args.resamples)]).astype(float)
            corr, _ = correlations(data, counts)
            full = correlations(data)[0]
            estimate = shares(shapley_r2(full))
            draws = {}
            started = time.perf_counter()
            draws["exact"] = shares(shapley_r2(corr))
            seconds["exact"] += time.perf_counter() - started
            methods = [(name, lambda c, o=orderings[name]: sampled_shapley_r2(c, o)) for name in sampled]
            for name, method in (*methods, ("weights", relative_weights)):
                started = time.perf_counter()
                draws[name] = estimate + shares(method(corr)) - shares(method(full))
                seconds[name] += time.perf_counter() - started
            bounds = {name: np.quantile(d, [0.025, 0.975], axis=0) for name, d in draws.items()}
            for name, (low, high) in bounds.items():
                covered[name] += int(((low <= truth) & (truth <= high)).sum())
            for name in ratios:
                ratios[name].extend((bounds[name][1] - bounds[name][0]) / (bounds["exact"][1] - bounds["exact"][0]))
                gaps[name].append(np.abs(bounds[name] - bounds["exact"]).max())
        total = args.surveys * p
        print(f"p = {p:2d}, rho = {rho:.1f}, n = {n:5,}: coverage exact {covered['exact'] / total:.1%}; "
              f"time per survey exact {seconds['exact'] / args.surveys:.2f} s", flush=True)
        for name, words in (*((name, f"{name} orderings") for name in sampled), ("weights", "relative weights")):
            low, mid, high = np.percentile(ratios[name], [5, 50, 95])
            print(f"    {words:22}: coverage {covered[name] / total:.1%}; width / exact {mid:.2f} ({low:.2f}-{high:.2f}); "
                  f"largest endpoint gap {max(gaps[name]):.3f}; {seconds[name] / args.surveys:.3f} s", flush=True)


if __name__ == "__main__":
    main()
