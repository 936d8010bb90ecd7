"""The command line: exit codes, messages a consultant can act on, and batch runs."""

import filecmp
import subprocess
import sys

import pandas as pd
import pytest

from conftest import SAMPLE
from cxkit.cli import main


def test_validate_ok(capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "valid (0 errors" in out and "feedback 3,000 rows" in out


def test_validate_broken_file_names_file_column_and_rows(engagement_copy, capsys):
    path = engagement_copy.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[[9, 99], "billing_clarity"] = "12"
    frame.to_csv(path, index=False)
    assert main(["validate", str(engagement_copy)]) == 2
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("ERROR"))
    assert str(path) in line and "'billing_clarity'" in line and "rows 11, 101" in line and "Fix:" in line


def test_config_error_is_a_clear_line_not_a_traceback(engagement_copy, capsys):
    engagement_copy.write_text(engagement_copy.read_text().replace("client:", "clinet:"))
    assert main(["validate", str(engagement_copy)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "clinet" in err and "client" in err


def test_missing_file_is_a_clear_line(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_sample_reproduces_the_committed_sample(tmp_path, capsys):
    assert main(["sample", str(tmp_path), "--seed", "7", "--id", "northwind-demo"]) == 0
    for name in ("engagement.yaml", "feedback.csv", "diagnostic.csv", "truth.json"):
        assert filecmp.cmp(tmp_path / name, SAMPLE.parent / name, shallow=False), name


@pytest.mark.slow
def test_deck_rebuilds_from_results_without_rerunning(demo_run, capsys):
    notebooks = {p: p.stat().st_mtime_ns for p in (demo_run.folder / "notebooks").glob("*.ipynb")}
    deck = demo_run.deck
    before = deck.stat().st_mtime_ns
    assert main(["deck", str(SAMPLE), "--out", str(demo_run.folder.parent)]) == 0
    assert deck.stat().st_mtime_ns > before
    assert {p: p.stat().st_mtime_ns for p in notebooks} == notebooks
    assert "slides" in capsys.readouterr().out


def test_deck_without_a_run_says_what_to_do(tmp_path, capsys):
    assert main(["deck", str(SAMPLE), "--out", str(tmp_path)]) == 2
    assert "cxkit run" in capsys.readouterr().err


@pytest.mark.slow
def test_batch_of_three_with_one_broken(tmp_path):
    configs = []
    for seed in (1, 2):
        folder = tmp_path / f"client{seed}"
        assert main(["sample", str(folder), "--seed", str(seed), "--customers", "600", "--employees", "120"]) == 0
        configs.append(folder / "engagement.yaml")
    broken = tmp_path / "broken"
    assert main(["sample", str(broken), "--seed", "3", "--customers", "600", "--employees", "120"]) == 0
    frame = pd.read_csv(broken / "feedback.csv", dtype=str, keep_default_na=False)
    frame.loc[4, "wait_time"] = "fast"
    frame.to_csv(broken / "feedback.csv", index=False)
    configs.insert(1, broken / "engagement.yaml")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "cxkit", "batch", *map(str, configs), "--out", str(out),
                           "--workers", "2"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["engagement", "status", "time"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "done" in rows["northwind-1"] and "done" in rows["northwind-2"]
    assert "failed" in rows["northwind-3"] and "wait_time" in rows["northwind-3"]
    assert len(list(out.glob("*/*-deck.pptx"))) == 2
