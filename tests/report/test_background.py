"""Work beside the deck: a forked copy of the process does it and reports back, its errors included."""

import os
import shutil
import sys

import pytest
from openpyxl import load_workbook

from cxkit import load_engagement
from cxkit.errors import CxkitError
from cxkit.paths import RunPaths
from cxkit.report.background import beside
from cxkit.report.workbook import build_workbook

FORKS = sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not picklable")


def _fails(kind: str):
    if kind == "value":
        raise ValueError("a sheet name clashes")
    if kind == "unpicklable":
        raise Unpicklable("held a lock")
    os._exit(3)   # the child dies without a word


def test_the_result_comes_back_from_another_process():
    wait = beside(lambda a, b: (os.getpid(), a + b), 2, 3)
    pid, total = wait()
    assert total == 5 and (pid != os.getpid()) == FORKS


def test_an_error_in_the_work_is_raised_here_as_it_was_raised_there():
    with pytest.raises(ValueError, match="a sheet name clashes"):
        beside(_fails, "value")()
    with pytest.raises((CxkitError, Unpicklable), match="held a lock"):
        beside(_fails, "unpicklable")()


@pytest.mark.skipif(not FORKS, reason="work is done beside only on Linux with two cores or more")
def test_a_child_that_dies_is_an_error_not_a_hang():
    with pytest.raises(CxkitError, match="ended without a result"):
        beside(_fails, "exit")()


def test_the_decks_appendix_is_the_workbook_written_here(demo_run, tmp_path):
    """The appendix the deck stage wrote beside the slides against one written in this process, cell by cell."""
    from conftest import SAMPLE

    eng = load_engagement(SAMPLE)
    written = load_workbook(demo_run.folder / f"{eng.engagement_id}-appendix.xlsx")
    copy = tmp_path / "run"
    shutil.copytree(demo_run.folder / "results", copy / "results")
    here = load_workbook(build_workbook(eng, RunPaths(copy)))
    assert written.sheetnames == here.sheetnames
    for name in here.sheetnames:
        assert [[c.value for c in row] for row in written[name].iter_rows()] == \
               [[c.value for c in row] for row in here[name].iter_rows()], name
