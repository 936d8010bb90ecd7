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


def run_in_process(config: Path, out: Path) -> None:
    """Run the six stage notebooks' code in this process, in order, as papermill would with these parameters:
    fast enough for property tests over many generated engagements (no kernel start per stage)."""
    import contextlib
    import io

    import nbformat

    from cxkit.paths import NOTEBOOKS

    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        namespace: dict = {}
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = cell.source
            if "parameters" in cell.metadata.get("tags", []):
                source = f"engagement = {str(config)!r}\noutput_dir = {str(out)!r}"
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, str(path), "exec"), namespace)  # the project's own notebooks, not input
