"""How good are the cheap driver intervals and estimates? Coverage, width and time beside 1,000 exact Shapley
resamples; the estimate's error beside the exact value.

`drivers.interval_method: sampled` (the default above 14 drivers) decomposes each bootstrap resample over
128 or more sampled orderings of the drivers, balanced by position (the same in every resample), and centres
the resampled deviations on the exact Shapley estimate. This script draws many surveys from a known
population (equicorrelated latent scores cut into 1-5 ratings, the outcome their weighted sum plus noise),
computes each driver's true Shapley share from a population-sized draw, and for every survey builds 95%
intervals from the same resamples: exact, sampled orderings (balanced, and with ``--random`` plain random
orderings in antithetic pairs, the kit's method before 2026-12-01), and (the alternative not taken)
relative weights centred the same way. It prints, per design: how often each covers the true share, each
cheap interval's width beside the exact one, the largest difference between endpoints, and the time each
takes. Then, above ``drivers.exact_limit``: the largest error of the sampled point estimate (balanced
``ESTIMATE_ORDERINGS`` against 16,384 random) beside the exact decomposition, at 22 and 25 drivers.

    python bench/bench_intervals.py [--surveys 200] [--resamples 1000] [--orderings 128 256] [--random 512]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxkit.analysis.drivers import ESTIMATE_ORDERINGS, SAMPLED_ORDERINGS  # noqa: E402
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


def random_orderings(p: int, count: int, seed: int) -> np.ndarray:
    """Plain random orderings, each followed by its reverse (the kit's sampled orderings before 2026-12-01)."""
    rng = np.random.default_rng([seed, p, count])
    drawn = np.array([rng.permutation(p) for _ in range(max(1, count // 2))])
    return np.concatenate([drawn, drawn[:, ::-1]])


def estimates(rng: np.random.Generator, repeats: int = 5) -> None:
    """The point estimate above the exact limit: balanced orderings against random ones, beside the exact values."""
    print(f"point estimates, largest error over the drivers (R² units), mean of {repeats} seeds:")
    for p, rho, n in ((22, 0.5, 3000), (25, 0.7, 5000), (25, 0.3, 1000)):
        corr = correlations(survey(rng, p, rho, n))[0]
        exact = shapley_r2(corr)
        line = []
        for name, make, count in (("balanced", driver_orderings, ESTIMATE_ORDERINGS),
                                  ("random", random_orderings, 16_384)):
            errors, started = [], time.perf_counter()
            for seed in range(repeats):
                orderings = make(p, count, seed)
                errors.append(np.abs(sampled_shapley_r2(corr, orderings) - exact).max())
            line.append(f"{name} {len(orderings):,}: {np.mean(errors):.5f} "
                        f"({(time.perf_counter() - started) / repeats:.2f} s)")
        print(f"  p = {p}, rho = {rho:.1f}, n = {n:,}: " + "; ".join(line), flush=True)


def shares(importance: np.ndarray) -> np.ndarray:
    return importance / importance.sum(axis=-1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--orderings", type=int, nargs="+", default=[SAMPLED_ORDERINGS],
                        help="orderings per resample to compare (each a sampled interval of its own)")
    parser.add_argument("--random", type=int, nargs="*", default=[],
                        help="and as many plain random orderings (the method before 2026-12-01)")
    parser.add_argument("--skip-intervals", action="store_true", help="the point estimates only")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    if not args.skip_intervals:
        intervals(args, rng)
    estimates(rng)


def intervals(args, rng: np.random.Generator) -> None:
    """Coverage and width of the cheap intervals beside the exact bootstrap's."""
    sampled = [f"sampled {m}" for m in args.orderings] + [f"random {m}" for m in args.random]
    print(f"{args.surveys} surveys per design, {args.resamples} resamples each; coverage of the true Shapley shares "
          "by 95% intervals (all drivers pooled); cheap width / exact width (median, 5th-95th percentile of "
          "drivers x surveys); largest endpoint gap from the exact interval")
    for p, rho, n in DESIGNS:
        truth = shares(shapley_r2(correlations(survey(rng, p, rho, 400_000))[0]))
        orderings = {name: (driver_orderings if name.startswith("sampled") else random_orderings)(p, m, seed=p)
                     for name, m in zip(sampled, [*args.orderings, *args.random])}
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
        for name, words in (*((name, f"{name.split()[0].replace('sampled', 'balanced')}, {len(orderings[name])} orderings")
                              for name in sampled), ("weights", "relative weights")):
            low, mid, high = np.percentile(ratios[name], [5, 50, 95])
            print(f"    {words:30}: coverage {covered[name] / total:.1%}; width / exact {mid:.2f} ({low:.2f}-{high:.2f}); "
                  f"largest endpoint gap {max(gaps[name]):.3f}; {seconds[name] / args.surveys:.3f} s", flush=True)


if __name__ == "__main__":
    main()
