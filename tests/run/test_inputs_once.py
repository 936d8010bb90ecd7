"""A run reads and validates the raw files once: the stages get the validated data, never the raw files.

Counted with an audit hook (PEP 578) that a ``sitecustomize`` on ``PYTHONPATH`` installs in every Python process
of the run, the notebooks' kernels included, logging each open of a watched file with the process id.
"""

import os
import subprocess
import sys
from collections import Counter

import pytest

pytestmark = pytest.mark.slow

HOOK = '''
import os
import sys

_log, _watch = os.environ.get("CXKIT_OPEN_LOG"), tuple(os.environ.get("CXKIT_OPEN_WATCH", "").split(os.pathsep))


def _hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path.endswith(_watch):
            with open(_log, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {os.path.basename(path)}\\n")


if _log and _watch[0]:
    sys.addaudithook(_hook)
'''


def test_raw_files_are_read_once_by_the_run_and_never_by_a_stage(engagement_copy, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(HOOK)
    log = tmp_path / "opens.log"
    folder = engagement_copy.parent
    env = {**os.environ, "PYTHONPATH": str(hooks), "CXKIT_OPEN_LOG": str(log),
           "CXKIT_OPEN_WATCH": os.pathsep.join(str(folder / n) for n in ("engagement.yaml", "feedback.csv",
                                                                         "diagnostic.csv"))}
    done = subprocess.run([sys.executable, "-m", "cxkit", "run", str(engagement_copy), "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    opens = [line.split() for line in log.read_text().splitlines()]
    assert Counter(name for _, name in opens) == {"engagement.yaml": 1, "feedback.csv": 1, "diagnostic.csv": 1}
    assert len({pid for pid, _ in opens}) == 1           # the run itself; no notebook kernel opened them
    assert (tmp_path / "out" / "northwind-demo" / "northwind-demo-deck.pptx").exists()
