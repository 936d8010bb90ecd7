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


# stages run in this process (no kernel per stage): fast enough for property tests over many engagements; the
# same executor a warm batch worker uses for units, which writes each executed notebook too
from cxkit.run.inprocess import execute_in_process  # noqa: E402


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
