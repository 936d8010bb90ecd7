"""The command line: exit codes, messages a consultant can act on, and batch runs."""

import filecmp
import subprocess
import sys

import pandas as pd
import pytest
import yaml

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


def _laughs(yaml_path):
    text = yaml_path.read_text() + 'lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    yaml_path.write_text(text + "".join(f"lol{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]\n"
                                        for k in range(1, 10)))


def _set(yaml_path, **deck):
    raw = yaml.safe_load(yaml_path.read_text())
    raw["deck"] = deck
    yaml_path.write_text(yaml.safe_dump(raw))


def _repeat_a_column(yaml_path):
    path = yaml_path.parent / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["copy"] = frame["channel"]
    frame.to_csv(path, index=False, header=[*frame.columns[:-1], "channel"])


# each hostile or broken input a new user met, the change that makes it, and what the message must name
HOSTILE = {
    "billion laughs": (_laughs, "lol5", "expands to more than"),
    "nested 10,000 deep": (lambda y: y.write_text(y.read_text() + "thresholds: " + "[" * 10_000 + "]" * 10_000),
                           "thresholds[0]", "nested more than"),
    "engagement path is a folder": (None, "engagement.yaml", "is a folder"),
    "template outside the kit": (lambda y: _set(y, template="../../../../../../../../etc/passwd"), "deck.template",
                                 "not a PowerPoint presentation"),
    "logo not an image": (lambda y: ((y.parent / "logo.png").write_text("GIF89a? no"), _set(y, logo="logo.png")),
                          "deck.logo", "not a readable image"),
    "rule file is a folder": (lambda y: ((y.parent / "rules.yaml").mkdir(),
                                         y.write_text(y.read_text() + "recommendations: {file: rules.yaml}\n")),
                              "recommendations", "is a folder"),
    "a column named twice": (_repeat_a_column, "'channel'", "the header names 2 columns 'channel'"),
    "a binary file named .csv": (lambda y: (y.parent / "feedback.csv").write_bytes(bytes(range(256)) * 64),
                                 "feedback.csv", "does not look like a text table"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_and_broken_inputs_are_refused_by_validate_in_seconds_with_what_and_the_fix(engagement_copy,
                                                                                          capsys, case):
    import time

    edit, named, said = HOSTILE[case]
    target = engagement_copy.parent if edit is None else engagement_copy
    if edit is not None:
        edit(engagement_copy)
    started = time.perf_counter()
    assert main(["validate", str(target)]) == 2
    assert time.perf_counter() - started < 10
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert named in text and said in text and "Fix:" in text
    assert "Traceback" not in text and "unexpected" not in text


def test_a_plain_csv_saved_as_utf16_is_valid(engagement_copy, capsys):
    path = engagement_copy.parent / "feedback.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert main(["validate", str(engagement_copy)]) == 0
    assert "encoding utf-16" in capsys.readouterr().out


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
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["id", "status", "time"])
    rows = {line.split()[0]: line for line in lines[start + 1:] if not line.startswith("summary:")}
    assert any("3/3 done, 1 failed" in line for line in lines[:start])   # the progress bar's last line
    assert "done" in rows["northwind-1"] and "done" in rows["northwind-2"]
    assert "failed" in rows["northwind-3"] and "wait_time" in rows["northwind-3"]
    assert len(list(out.glob("*/*-deck.pptx"))) == 2

    # the same batch again, after one client's data changed: only that one runs again (the broken one still fails)
    data = configs[2].parent / "feedback.csv"
    frame = pd.read_csv(data)
    frame.loc[0, "overall_satisfaction"] = 10 if frame.loc[0, "overall_satisfaction"] != 10 else 9
    frame.to_csv(data, index=False)
    proc = subprocess.run([sys.executable, "-m", "cxkit", "batch", *map(str, configs), "--out", str(out),
                           "--workers", "2"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["id", "status", "time"])
    status = {line.split()[0]: line.split()[1] for line in lines[start + 1:] if not line.startswith("summary:")}
    assert status == {"northwind-1": "unchanged", "northwind-2": "done", "northwind-3": "failed"}
