"""Shared fixtures: the committed sample engagement, a freshly generated one, and one real run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxkit import load_engagement
from cxkit.inputs.data import load_diagnostic, load_feedback
from cxkit.inputs.sample import write_sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data_samples" / "northwind" / "engagement.yaml"
# published reference data (R datasets::swiss; relaimpo output), copied from the team's shared/reference
REFERENCE = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="session")
def sample_config() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def eng():
    return load_engagement(SAMPLE)


@pytest.fixture(scope="session")
def feedback(eng):
    return load_feedback(eng)


@pytest.fixture(scope="session")
def diagnostic(eng):
    return load_diagnostic(eng)


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((SAMPLE.parent / "truth.json").read_text())


@pytest.fixture
def engagement_copy(tmp_path) -> Path:
    """A writable copy of the sample engagement folder; returns its YAML path."""
    folder = tmp_path / "engagement"
    shutil.copytree(SAMPLE.parent, folder)
    return folder / "engagement.yaml"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """A second generated engagement (another seed) for planted-truth checks."""
    folder = tmp_path_factory.mktemp("generated")
    written = write_sample(folder, seed=11, customers=2500, employees=300, engagement_id="generated-11")
    eng = load_engagement(written.config)
    return eng, json.loads(written.truth.read_text())


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One real run of the committed sample through papermill: the outcome and its folder."""
    from cxkit.run.pipeline import run_engagement

    out = tmp_path_factory.mktemp("out")
    outcome = run_engagement(SAMPLE, out, progress=lambda line: None)
    return outcome


def execute_in_process(stage: str, engagement: str, build: str, notebook: str, threads: int | None = None) -> dict:
    """Run one stage notebook's code in this process, as papermill would with these parameters, and report as
    :func:`cxkit.run.worker.execute_stage` does: fast enough for property tests over many engagements (no
    kernel start per stage)."""
    import contextlib
    import io
    import time
    import traceback
    import warnings

    import nbformat

    from cxkit.errors import StageSkipped
    from cxkit.run.worker import skipped_reason

    path = Path(notebook)
    started = time.perf_counter()
    outcome = {"stage": stage, "notebook": f"notebooks/{path.name}", "status": "done", "failure": None}
    namespace: dict = {}
    for k, cell in enumerate(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"):
        source = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            source = f"engagement = {engagement!r}\noutput_dir = {build!r}"
        try:
            # a kernel shows warnings and goes on; so does this (the suite's warnings-as-errors is for the engine's
            # own tests)
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, str(path), "exec"), namespace)  # the project's own notebooks, not input
        except StageSkipped as exc:
            outcome["status"], outcome["reason"] = "skipped", skipped_reason(str(exc))
            break
        except Exception as exc:
            outcome["status"] = "failed"
            outcome["failure"] = {"cell": k + 1, "error": f"{type(exc).__name__}: {exc}",
                                  "detail": traceback.format_exc()[-3000:]}
            break
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def run_in_process(config: Path, out: Path) -> Path:
    """Run an engagement through the pipeline with every stage in this process; return the run's folder."""
    from cxkit.run.pipeline import run_engagement

    return run_engagement(config, out, progress=lambda line: None, execute=execute_in_process).folder


def assert_words_on_page(html: str, pages: int):
    """A rendered deck (``pdftotext -bbox`` output) has one page per slide, text on each, and no word off its page."""
    import re

    found = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S)
    assert len(found) == pages
    for number, (width, height, body) in enumerate(found, start=1):
        assert body.count("<word") > 0, f"page {number}: no text found"
        for x0, y0, x1, y1 in re.findall(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)"', body):
            assert 0 <= float(x0) and float(x1) <= float(width) and 0 <= float(y0) and float(y1) <= float(height), \
                f"page {number}: a word lies outside the slide"
