"""Installable for real: a wheel of the project, installed (not editable) into a new environment, runs the sample
engagement it carries from another folder."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_wheel_runs_the_sample_it_ships_from_any_folder(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheel"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "wheel").glob("cxkit-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come from this environment as a plain path (not a site folder, so its editable cxkit is
    # not seen): the test downloads nothing but the build backend.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    kit = Path(subprocess.run([str(python), "-c", "import cxkit.paths as p; print(p.KIT_ROOT)"], cwd=elsewhere,
                              check=True, capture_output=True, text=True).stdout.strip())
    assert kit == site / "cxkit" and (kit / "templates" / "defaults.yaml").exists()
    sample = kit / "data_samples" / "northwind" / "engagement.yaml"
    done = subprocess.run([str(venv / "bin" / "cxkit"), "run", str(sample), "--out", "out"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    run = elsewhere / "out" / "northwind-demo"
    assert (run / "northwind-demo-deck.pptx").exists()
    assert json.loads((run / "run.json").read_text())["config"] == str(sample)
