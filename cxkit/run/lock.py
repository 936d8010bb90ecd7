"""One run at a time per output folder, and nothing left behind by a run that was stopped.

A run (or ``cxkit deck``) holds ``OUT/.<engagement-id>.lock`` while it writes: a second run into the same folder is
refused with the process holding it, rather than the two interleaving their files. The lock is the operating
system's (``flock``), so it is released when its process ends, however it ends: a run killed with SIGKILL leaves no
lock to clear by hand. Taking it is also the check that the output folder can be written, before any analysis.

Holding the lock, a run knows no other run is building beside it, so what it finds of an earlier run is a leftover:
the hidden build folder of a run that was stopped (``.<id>.building-<pid>``, which also holds client data), or a
previous result moved aside by a run stopped in the instant it swapped the new one in (``.<id>.old-<pid>``, put
back if the result itself is missing). Each is cleaned and said.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from ..errors import CxkitError


class FolderBusy(CxkitError):
    """Another run is writing to the same output folder; ``holder`` says which process, since when."""

    def __init__(self, folder: Path, holder: str):
        self.folder, self.holder = folder, holder
        super().__init__(f"another cxkit run is writing {folder} ({holder}). Fix: wait for it to finish, or give this "
                         "run another --out folder")


def lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.lock")


@contextlib.contextmanager
def hold_folder(final: Path) -> Iterator[None]:
    """Hold the output folder ``final`` (``OUT/<engagement-id>``) for this process while the block runs.

    Raises
    ------
    CxkitError
        The output root cannot be made or written (before any analysis), with the fix.
    FolderBusy
        Another process holds it.
    """
    root = final.parent
    if root.exists() and not root.is_dir():
        raise CxkitError(f"the output folder {root} is a file, not a folder. Fix: give --out a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxkitError(f"the output folder {root} cannot be made ({exc.strerror or exc}). Fix: give --out a folder "
                         "you can write to") from None
    path = lock_path(final)
    fd = _acquire(path, final)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}, started {datetime.now():%Y-%m-%d %H:%M:%S}".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)   # still holding it: whoever opens the name next makes a new file (see _acquire)
        os.close(fd)


def _acquire(path: Path, final: Path) -> int:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CxkitError(f"the output folder {path.parent} cannot be written ({exc.strerror or exc}). Fix: give "
                             "--out a folder you can write to, or change its permissions") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace") or "a process that has just started"
            os.close(fd)
            raise FolderBusy(final, holder) from None
        # the holder before us removes the file as it finishes: a lock on a removed file holds nothing
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        os.close(fd)


def clean_leftovers(final: Path, progress: Callable[[str], None]) -> list[str]:
    """Remove what stopped runs of this engagement left beside ``final``; put back a result one moved aside.
    Call only while holding the folder (:func:`hold_folder`). Returns the names cleaned, each also said."""
    done = []
    old = sorted(final.parent.glob(f".{final.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if old and not final.exists():
        old.pop().replace(final)
        progress(f"  put back {final.name}, which a run stopped while swapping in its result had moved aside")
    for leftover in [*final.parent.glob(f".{final.name}.building-*"), *old]:
        started = datetime.fromtimestamp(leftover.stat().st_mtime)
        shutil.rmtree(leftover, ignore_errors=True)
        done.append(leftover.name)
        progress(f"  removed {leftover.name}, left by a run that was stopped (last written {started:%Y-%m-%d %H:%M})")
    return done
