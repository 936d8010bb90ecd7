"""Runs that survive being stopped: one run at a time per output folder, an output folder that cannot be written
refused before any analysis, and what a killed run left behind cleaned by the next run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import execute_in_process
from cxkit.cli import main
from cxkit.inputs.sample import write_sample
from cxkit.run import lock as run_lock
from cxkit.run import pipeline
from cxkit.run.lock import FolderBusy, clean_leftovers, hold_folder

HOLD = """
import sys, time
from pathlib import Path
from cxkit.run.lock import hold_folder
with hold_folder(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    # the diagnostic alone: its stages are quick, and what is tested is the folder, not the analysis
    return write_sample(folder, seed=4, employees=60, feedback=False, engagement_id="small").config


def test_a_folder_is_held_by_one_holder_at_a_time_and_the_lock_leaves_nothing_behind(tmp_path):
    final = tmp_path / "out" / "acme"
    with hold_folder(final):
        with pytest.raises(FolderBusy, match=f"process {os.getpid()}"):
            with hold_folder(final):
                pass
    with hold_folder(final):   # free again once released
        pass
    assert list((tmp_path / "out").iterdir()) == []


def test_a_second_run_into_the_same_folder_is_refused_naming_the_first(small, tmp_path, capsys):
    final = tmp_path / "out" / "small"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(final)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["run", str(small), "--out", str(tmp_path / "out")]) == 2
    finally:
        holder.communicate("", timeout=30)
    err = capsys.readouterr().err
    assert "another cxkit run is writing" in err and f"process {holder.pid}" in err and "--out" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == []     # it started nothing


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_analysis(small, tmp_path, monkeypatch,
                                                                               capsys):
    def no_analysis(*args, **kwargs):
        raise AssertionError("the data were read although the output folder cannot be written")

    monkeypatch.setattr(pipeline, "validate", no_analysis)
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["run", str(small), "--out", str(afile)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    real_open = os.open

    def read_only(path, *args, **kwargs):   # as root, permission bits do not stop a write: refuse it as a
        if str(path).endswith(".lock"):      # read-only folder would
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(run_lock.os, "open", read_only)
    assert main(["run", str(small), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot be written (Permission denied)" in err and "Fix:" in err


def test_leftovers_of_stopped_runs_are_cleaned_and_a_result_moved_aside_is_put_back(tmp_path):
    final = tmp_path / "acme"
    (tmp_path / ".acme.building-123" / "inputs").mkdir(parents=True)
    (tmp_path / ".acme.old-456").mkdir()
    (tmp_path / ".acme.old-456" / "acme-deck.pptx").write_text("the earlier deck")
    (tmp_path / ".other.building-9").mkdir()
    said = []
    with hold_folder(final):
        cleaned = clean_leftovers(final, said.append)
    assert cleaned == [".acme.building-123"] and (final / "acme-deck.pptx").read_text() == "the earlier deck"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.building-9", "acme"]   # another engagement's: kept
    assert any("put back" in line for line in said) and any(".acme.building-123" in line for line in said)


def _processes_in_group(group: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:   # the process group, after the state and the parent
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and relies on the parent-death signal")
def test_a_run_killed_part_way_leaves_the_earlier_deck_and_the_next_run_cleans_up(small, tmp_path):
    out = tmp_path / "out"
    deck = out / "small" / "small-deck.pptx"     # an earlier run's result
    deck.parent.mkdir(parents=True)
    deck.write_bytes(earlier := b"the deck the client has")
    run = subprocess.Popen([sys.executable, "-m", "cxkit", "run", str(small), "--out", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        started = time.monotonic()
        while not list(out.glob(".small.building-*/notebooks/*.ipynb")) and time.monotonic() - started < 120:
            time.sleep(0.2)
        assert list(out.glob(".small.building-*/notebooks/*.ipynb")), "the run never started a stage"
        time.sleep(1.0)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        gone = time.monotonic() + 20
        while _processes_in_group(run.pid) and time.monotonic() < gone:
            time.sleep(0.2)
        assert _processes_in_group(run.pid) == []     # its stage workers and their kernels went with it
        assert deck.read_bytes() == earlier           # the earlier deck is intact
        assert list(out.glob(".small.building-*"))    # and the killed run's build folder is the stray to clean
    finally:
        for pid in _processes_in_group(run.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    said = []
    outcome = pipeline.run_engagement(small, out, progress=said.append,
                                      execute=execute_in_process)
    assert outcome.deck == deck and deck.read_bytes().startswith(b"PK")   # the new run's deck, in its place
    assert sorted(p.name for p in out.iterdir()) == ["small"]          # no stray folder, no lock left
    assert any("left by a run that was stopped" in line for line in said)
