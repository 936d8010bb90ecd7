"""What runs in a stage worker: one stage notebook executed by papermill, in its own kernel.

Kept apart from :mod:`cxkit.run.pipeline` so that the worker processes import only papermill and the standard
library (not pandas and the analysis): each of a run's workers starts faster and holds less memory while the
kernels do the work.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from pathlib import Path

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CXKIT_THREADS")


def die_with_the_run(run_pid: int) -> None:
    """A stage worker's initializer: on Linux the worker is killed when the run that started it dies (the
    parent-death signal), so a run killed outright leaves no stage writing into its build folder; the stage's
    kernel follows within a second (ipykernel exits when its parent goes)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # 1: PR_SET_PDEATHSIG
        if os.getppid() != run_pid:   # the run died before the signal was asked for
            os._exit(1)


def warm_up() -> None:
    """A worker's first task, while the run validates its data: import what executing a stage needs."""
    _import_papermill()


def _import_papermill():
    # papermill imports nbformat, whose jsonschema imports rfc3987_syntax when it is installed: that compiles some 35
    # Earley grammars at import, about 2 s of CPU in every worker (python-jsonschema/jsonschema#1428), for an IRI
    # format check that notebook validation never makes. Left out, jsonschema simply has no IRI checker.
    sys.modules.setdefault("rfc3987_syntax", None)
    import papermill
    from papermill.engines import papermill_engines

    papermill_engines.register(ENGINE, _stage_engine())   # the same class each time
    return papermill


ENGINE = "cxkit"
SAVE_EVERY = 10.0   # seconds between writes of a stage's executed notebook while it runs


@functools.cache
def _stage_engine():
    """papermill's nbclient engine, writing the executed notebook less often while it runs.

    papermill validates, serialises and writes the whole notebook, its figures included, before and after every
    cell: some 45 writes for a stage of 20 cells, 0.3 s to 0.4 s of processor a stage that the kernels running
    beside it could use. Here a cell's start or end writes the notebook only if ``SAVE_EVERY`` seconds have passed
    since the last write (papermill's own autosave inside a long cell goes on as before); the end of the
    notebook, whether it ran through, failed or lost its kernel, always writes it whole.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager

    class StageNotebook(NotebookExecutionManager):
        final = False

        def save(self, **kwargs):
            if self.final or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self.final = True
            super().notebook_complete(**kwargs)

    class StageEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # papermill's Engine.execute_notebook (2.7), with the manager above
            nb_man = StageNotebook(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                   autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    return StageEngine


# Each stage's kernel runs KERNEL_EXIT as it starts. Its two handlers act at exit, before the kernel's own exit
# handlers (atexit runs the last registered first):
# - SETTLE_CONTROL lets the control thread finish the message it is handling. ipykernel 7.4 stops its IOPub thread
#   at exit while the control thread may still be publishing the "idle" that follows the shutdown reply; the
#   control thread then blocks, the exit waits for it, and jupyter_client terminates the kernel 2.5 s later. That
#   was 8 kernels in 57 here, each time delaying its stage's end (and the final collection below never ran).
# - FREEZE moves everything alive out of the garbage collector's reach, so the interpreter's final collection does
#   not walk the 340,000-odd objects of the imported libraries (0.55 s a kernel, 0.05 s frozen; the floor's kernels
#   as much as cxkit's). Files are closed as before: only objects in reference cycles are no longer finalised at
#   exit, and the stages close what they write.
SETTLE_CONTROL = ("_atexit.register(lambda thread=getattr(_App.instance(), 'control_thread', None): "
                  "thread is None or not thread.is_alive() or (thread.stop(), thread.join(5)))")
FREEZE = "_atexit.register(_gc.freeze)"


def at_exit(*handlers: str) -> str:
    """One line, for a kernel's ``exec_lines``, that registers ``handlers`` (the last runs first) and leaves
    nothing in the notebook's namespace."""
    return ("import atexit as _atexit, gc as _gc; from ipykernel.kernelapp import IPKernelApp as _App; "
            + "; ".join(handlers) + "; del _atexit, _gc, _App")


KERNEL_EXIT = at_exit(FREEZE, SETTLE_CONTROL)


def _local_kernel_manager(socket_dir: str, exit_line: str = KERNEL_EXIT):
    """A kernel manager on local (IPC) sockets: the kernel is only reachable from this machine's user,
    and does not warn about unencrypted TCP on every run. Its kernel runs ``exit_line`` as it starts: by default
    ``KERNEL_EXIT``, so that it exits promptly and without a final garbage collection."""
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(Path(socket_dir) / "kernel")

        def format_kernel_cmd(self, extra_arguments=None):
            return super().format_kernel_cmd([*(extra_arguments or []), f"--IPKernelApp.exec_lines={exit_line}"])

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts (SIGINT) every kernel it shuts down, before the shutdown request
            # (jupyter/jupyter_client#620, from #618); a kernel still inside a message handler then logs
            # "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." on a run that succeeded. papermill shuts a
            # kernel down only after its last cell, so there is nothing to interrupt: that one signal is not sent.
            # Any other interrupt, and every error a kernel reports, goes through as before.
            if getattr(self, "shutting_down", False):
                return
            await super()._async_interrupt_kernel()

    return LocalKernelManager


def stage_threads(wave_size: int) -> int:
    """Threads each stage of a wave may use: the cores shared out, so parallel stages do not thrash."""
    return max(1, (os.cpu_count() or 1) // max(wave_size, 1))


def execute_stage(stage: str, engagement: str, build: str, notebook: str, threads: int | None = None) -> dict:
    """Execute one stage's notebook (the file ``notebook``) with papermill, in a worker process; return a plain dict
    of the outcome.

    ``threads`` caps the threads of the stage's kernel (OpenMP, BLAS and cxkit's own), which inherits
    this process's environment.
    """
    import tempfile

    for name in THREAD_VARIABLES:
        if threads:
            os.environ[name] = str(threads)
        else:
            os.environ.pop(name, None)

    pm = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    source = Path(notebook)
    target = Path(build) / "notebooks" / source.name
    started = time.perf_counter()
    outcome = {"stage": stage, "notebook": f"notebooks/{source.name}", "status": "done", "failure": None}
    try:
        with tempfile.TemporaryDirectory(prefix="cxkit-") as sockets:  # short path: socket names are limited to 108 bytes
            pm.execute_notebook(str(source), str(target), parameters={"engagement": engagement, "output_dir": build},
                                cwd=str(source.parent), progress_bar=False, kernel_name="python3", log_output=False,
                                engine_name=ENGINE, kernel_manager_class=_local_kernel_manager(sockets))
    except PapermillExecutionError as exc:
        if exc.ename == "StageSkipped":   # the data cannot support what the stage rests on: said, not failed
            outcome["status"], outcome["reason"] = "skipped", skipped_reason(exc.evalue)
        else:
            outcome["status"] = "failed"
            outcome["failure"] = {"cell": exc.exec_count, "error": f"{exc.ename}: {exc.evalue}",
                                  "detail": exc.source[-400:] if exc.source else ""}
    except Exception as exc:  # kernel died, notebook missing ...: still a stage failure with its reason
        outcome["status"] = "failed"
        outcome["failure"] = {"cell": None, "error": f"{type(exc).__name__}: {exc}", "detail": ""}
    outcome["seconds"] = time.perf_counter() - started
    return outcome




def skipped_reason(message: str) -> str:
    """The reason in a stage's skip message ("Key drivers skipped: <reason>")."""
    return message.split(" skipped: ", 1)[-1]
