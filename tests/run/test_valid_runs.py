"""Valid means it runs: whatever `cxkit validate` accepts reaches a deck, whatever the engagement's shape."""

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import run_in_process
from cxkit.errors import CxkitError, StageError
from cxkit.inputs.config import load_engagement
from cxkit.inputs.data import validate
from shapes import Shape, write_shape

OUTCOMES = ("satisfaction", "recommend", "yes_no")


@st.composite
def shapes(draw, largest: int = 2000):
    customers = draw(st.sampled_from([0, 30, 45, 60, 120, 400, largest]))
    employees = draw(st.sampled_from([30, 45, 120] if customers == 0 else [0, 30, 45, 120]))
    outcomes = draw(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=3, unique=True))
    return Shape(
        seed=draw(st.integers(0, 10_000)), customers=customers, employees=employees,
        touchpoints=draw(st.sampled_from([0, 1, 2, 3, 5, 10, 19, 30])), outcomes=tuple(outcomes),
        scale=draw(st.sampled_from(["rating5", "rating5", "two", "eleven"])),
        drop=tuple(draw(st.lists(st.sampled_from(["id", "descriptors", "value", "wave", "comment", "expectations",
                                                  "owners"]), unique=True))),
        diagnostic_drop=tuple(draw(st.lists(st.sampled_from(["department", "level", "driving_force", "id"]),
                                            unique=True))),
        numeric_levels=draw(st.booleans()), long_labels=draw(st.booleans()),
        blanks=draw(st.sampled_from([0.0, 0.0, 0.1, 0.4])), bootstrap=draw(st.sampled_from([0, 0, 20])))


def runs_to_a_deck(folder, shape: Shape) -> bool:
    """Write the shape, validate it, and when valid run it in process; True when it reached a deck."""
    config = write_shape(folder / "engagement", shape)
    try:
        eng = load_engagement(config)
        report = validate(eng)
    except CxkitError:
        return False    # refused with a message: allowed (the messages are tested where each refusal is made)
    if not report.ok:
        return False
    try:
        run = run_in_process(config, folder / "run")
    except StageError as exc:   # the traceback of the cell that failed, not only its last line
        raise AssertionError(f"{shape}\n{exc}\n{exc.failure.detail}") from None
    assert list(run.glob("*-deck.pptx")), f"no deck for {shape}"
    return True


@pytest.mark.parametrize("shape", [
    Shape(customers=30, employees=30),
    Shape(customers=45, touchpoints=19, blanks=0.4, employees=0),
    Shape(customers=400, touchpoints=0, outcomes=("recommend",), drop=("id", "descriptors"), employees=0),
    Shape(customers=400, touchpoints=1, outcomes=("satisfaction",), employees=0),
    Shape(customers=300, outcomes=("yes_no",), employees=0),
    Shape(customers=120, scale="two", employees=0, long_labels=True),
    Shape(customers=0, employees=60, diagnostic_drop=("department",)),
    Shape(customers=0, employees=60, diagnostic_drop=("level",)),
    Shape(customers=0, employees=60, numeric_levels=True),
], ids=lambda s: f"{s.customers}c-{s.touchpoints}t-{'+'.join(s.outcomes)}-{s.scale}-{s.employees}e"
                 f"-{'-'.join(s.diagnostic_drop) or 'full'}")
def test_shapes_consultants_meet_run_to_a_deck(tmp_path, shape):
    assert runs_to_a_deck(tmp_path, shape)


@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(shape=shapes(largest=2000))
def test_whatever_validates_runs_to_a_deck(tmp_path_factory, shape):
    runs_to_a_deck(tmp_path_factory.mktemp("shape"), shape)


def _method_text(run) -> str:
    from pptx import Presentation

    slide = next(s for s in Presentation(next(run.glob("*-deck.pptx"))).slides
                 if s.shapes.title.text_frame.text == "Method and sample sizes")
    return " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def test_what_the_data_cannot_support_is_left_out_and_named_with_its_reason(tmp_path):
    import json

    small = run_in_process(write_shape(tmp_path / "small", Shape(customers=45, touchpoints=19, blanks=0.4,
                                                                 employees=0)), tmp_path / "run_small")
    drivers = json.loads((small / "results" / "stage_drivers.json").read_text())
    assert drivers["status"] == "skipped" and drivers["reason"].startswith("only 0 customers can enter the model")
    assert "Fix: set drivers.missing to pairwise or impute" in drivers["reason"]
    customers = json.loads((small / "results" / "stage_customers.json").read_text())
    assert customers["status"] == "done" and customers["left_out"] == [
        "Segments: only 34 customers answered half the touchpoints or more; two segments of at least 30 customers "
        "(thresholds.min_segment_size) need 60"]
    method = _method_text(small)
    assert "Key drivers was not covered: only 0 customers can enter the model" in method
    assert "Analyses the data could not support: Segments: only 34 customers" in method

    flat = run_in_process(write_shape(tmp_path / "flat", Shape(customers=0, employees=60,
                                                               diagnostic_drop=("level", "department"))),
                          tmp_path / "run_flat")
    claims = {c["kind"]: c for c in json.loads((flat / "results" / "claims.json").read_text())}
    assert claims["perception_gap"]["text"] == ("Executives and frontline cannot be compared: the diagnostic maps no "
                                                "level column")
    assert "Departments: the diagnostic maps no department column (diagnostic.department)" in _method_text(flat)
