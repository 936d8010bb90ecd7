"""Valid means it runs, at length: draw N engagement shapes (as the property test does, sizes up to 5,000),
validate each, run every valid one in process to a deck, and count. Too long for the suite; run it before a
release and quote the counts:

    .venv/bin/python tests/run/soak.py 500

Prints each refusal and crash with its shape and traceback, then the counts; exits 1 on any crash.
"""

import pathlib
import sys
import tempfile
import time
import traceback
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from conftest import run_in_process  # noqa: E402
from cxkit.errors import CxkitError, StageError  # noqa: E402
from cxkit.inputs.config import load_engagement  # noqa: E402
from cxkit.inputs.data import validate  # noqa: E402
from shapes import write_shape  # noqa: E402
from test_valid_runs import shapes  # noqa: E402


def main(count: int, largest: int = 5000) -> int:
    counts, started, strategy = Counter(), time.perf_counter(), shapes(largest=largest)
    for _ in range(count):
        shape = strategy.example()
        with tempfile.TemporaryDirectory() as folder:
            folder = pathlib.Path(folder)
            config = write_shape(folder / "engagement", shape)
            try:
                report = validate(load_engagement(config))
            except CxkitError as exc:
                counts["refused"] += 1
                print("REFUSED", shape, exc)
                continue
            if not report.ok:
                counts["refused"] += 1
                print("REFUSED", shape, "; ".join(str(p) for p in report.errors))
                continue
            try:
                run = run_in_process(config, folder / "run")
                counts["deck" if any(run.glob("*-deck.pptx")) else "no deck"] += 1
            except StageError as exc:
                counts["crash"] += 1
                print("CRASH", shape, exc, exc.failure.detail, sep="\n")
            except Exception:
                counts["crash"] += 1
                print("CRASH", shape, traceback.format_exc(), sep="\n")
    print(dict(counts), f"in {time.perf_counter() - started:.0f} s")
    return 1 if counts["crash"] or counts["no deck"] else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
