"""Work done on another core while this process goes on: a forked copy of the process runs it.

The deck stage builds the slides and the Excel appendix from the same results, one after the other, while the
machine's other core has nothing to do: the end of every run waits on it. A forked child shares the
results already read (copy on write), so it needs no start-up of its own, and reports back through a pipe.

Only on Linux, and only with more than one core: elsewhere (macOS forbids forking a process that may have
started system frameworks; Windows cannot fork) the work is done in this process when asked for, as before.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Callable

from ..errors import CxkitError


def beside(work: Callable, *args) -> Callable[[], object]:
    """Start ``work(*args)`` in a forked copy of this process; return a function that waits for it and returns its
    result, or raises its error (the same exception where it can be passed back, else a :class:`CxkitError`
    with its text).

    The child runs nothing but ``work`` and leaves by ``os._exit``: none of this process's exit handlers,
    buffers or threads run in it. The result must be picklable.
    """
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        return lambda: work(*args)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child
        status = 0
        try:
            os.close(read)
            try:
                outcome = ("done", work(*args))
            except BaseException as exc:   # everything goes back to the parent, which raises it
                outcome = ("failed", _portable(exc))
            with os.fdopen(write, "wb") as pipe:
                pickle.dump(outcome, pipe)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write)

    def wait():
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, code = os.waitpid(pid, 0)
        if not data:
            raise CxkitError(f"{getattr(work, '__name__', 'background work')} ended without a result "
                             f"(exit status {os.waitstatus_to_exitcode(code)})")
        status, value = pickle.loads(data)
        if status == "failed":
            raise value
        return value

    return wait


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a CxkitError with its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return CxkitError(f"{type(exc).__name__}: {exc}")
