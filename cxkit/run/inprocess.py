"""A stage notebook run in this process, without a kernel: for warm workers that run many units one after another.

The cells run in order in a fresh namespace, with the same two parameters papermill would inject, and the
executed notebook is written as papermill writes it: each cell with its printed output, an error where a
cell failed, and its duration in ``metadata.papermill``, so every number in a unit's deck stays traceable to
the cell that computed it. The analysis libraries are imported once per worker, not once per stage.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
import traceback
import warnings
from pathlib import Path

_ONE_AT_A_TIME = threading.Lock()   # stdout capture and matplotlib's state are per process: one stage at a time


def execute_in_process(stage: str, engagement: str, build: str, notebook: str, threads: int | None = None) -> dict:
    """Run one stage's notebook (the file ``notebook``) in this process and write its executed copy to
    ``build/notebooks/``; report as :func:`cxkit.run.worker.execute_stage` does (same arguments, same dict).
    """
    import matplotlib

    matplotlib.use("Agg")   # no screen in a worker; figures are saved files
    import nbformat

    from ..errors import StageSkipped
    from .worker import skipped_reason

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    outcome = {"stage": stage, "notebook": f"notebooks/{path.name}", "status": "done", "failure": None}
    started = time.perf_counter()
    namespace: dict = {"__name__": "__main__"}
    count = 0
    with _ONE_AT_A_TIME:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            count += 1
            source = cell.source
            if "parameters" in cell.metadata.get("tags", []):
                source = f"engagement = {engagement!r}\noutput_dir = {build!r}"
                cell.source = f"# Parameters\n{source}"
            printed = io.StringIO()
            begun = time.perf_counter()
            error = None
            try:
                # a kernel shows warnings and goes on; so does this
                with contextlib.redirect_stdout(printed), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(source, str(path), "exec"), namespace)  # the kit's own notebooks, never input
            except StageSkipped as exc:
                outcome["status"], outcome["reason"] = "skipped", skipped_reason(str(exc))
                error = exc
            except Exception as exc:
                outcome["status"] = "failed"
                outcome["failure"] = {"cell": count, "error": f"{type(exc).__name__}: {exc}",
                                      "detail": traceback.format_exc()[-3000:]}
                error = exc
            cell.execution_count = count
            cell.outputs = []
            if printed.getvalue():
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue()))
            if error is not None:
                cell.outputs.append(nbformat.v4.new_output("error", ename=type(error).__name__, evalue=str(error),
                                                           traceback=traceback.format_exception(error)))
            cell.metadata["papermill"] = {"duration": time.perf_counter() - begun,
                                          "status": "failed" if error is not None else "completed"}
            if error is not None:
                break
        import matplotlib.pyplot as plt

        plt.close("all")
    nb.metadata["papermill"] = {"parameters": {"engagement": engagement, "output_dir": build},
                                "executed_by": "cxkit (in process, no kernel)"}
    target = Path(build) / "notebooks" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    outcome["seconds"] = time.perf_counter() - started
    return outcome
