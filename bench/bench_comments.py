"""Time 100,000 comments through personal-data removal, theme coding and sentiment, beside VADER alone.

The comments are the generated sample's kind (planted themes, personal data in 8% of them), drawn for
100,000 customers. cxkit's path is the one a run takes: :func:`cxkit.inputs.redact.redact_column` (at
validation), then the codeframe's rules and VADER's score (:func:`cxkit.analysis.comments.code_comments` does
both). The baseline is VADER alone over the same texts, the least any sentiment pass costs; the ratio says
what removing personal data and coding themes add. Goal on the 2-core reference machine: at most 60 s.

    python bench/bench_comments.py [--comments 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkit import load_engagement  # noqa: E402
from cxkit.analysis import comments  # noqa: E402
from cxkit.inputs.redact import first_names, redact_column  # noqa: E402
from cxkit.inputs.sample_comments import THEME_SENTENCES, planted_comments  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    args = parser.parse_args()
    n = args.comments
    rng = np.random.default_rng(3)
    ratings = {column: rng.integers(1, 6, n).astype(float) for column, _, _ in THEME_SENTENCES.values() if column}
    texts, _ = planted_comments(ratings, np.ones(n, dtype=bool), rng)
    texts = pd.Series(texts)
    eng = load_engagement(ROOT / "data_samples" / "northwind" / "engagement.yaml")
    codeframe = comments.load_codeframe(eng)
    names = first_names()

    started = time.perf_counter()
    clean, report = redact_column(texts, names, eng.comments.region)
    redacted = time.perf_counter()
    coded = codeframe.code(clean)
    themed = time.perf_counter()
    scores = comments.sentiment_scores(clean)
    done = time.perf_counter()

    analyser = comments._analyser()
    floor_start = time.perf_counter()
    for text in texts:
        analyser.polarity_scores(text)
    floor = time.perf_counter() - floor_start

    total = done - started
    print(f"{n:,} comments ({texts.str.len().mean():.0f} characters on average; {report.total:,} personal items "
          f"removed from {len(report.rows):,})")
    print(f"  cxkit {total:.1f}s: personal data {redacted - started:.1f}s, themes {themed - redacted:.1f}s "
          f"({int(coded.any(axis=1).sum()):,} coded), sentiment {done - themed:.1f}s "
          f"({int(np.isfinite(scores).sum()):,} scored)")
    print(f"  VADER alone {floor:.1f}s; ratio {total / floor:.1f}x; goal: at most 60 s "
          f"({'met' if total <= 60 else 'NOT met'})")


if __name__ == "__main__":
    main()
