from cxkit.claims.findings import executive_summary
from cxkit.results.store import Finding, StageRecord


def _record(stage, *materialities, status="done"):
    return StageRecord(stage, status=status,
                       findings=[Finding(f"{stage} {m}", stage, m, "src") for m in materialities])


def test_most_material_of_each_stage_first_then_overall():
    records = [_record("reality_check", 0.1, 0.9), _record("customers", 0.8, 0.7, 0.6), _record("drivers", 0.2)]
    chosen = executive_summary(records, limit=5)
    assert [f.text for f in chosen] == ["reality_check 0.9", "customers 0.8", "drivers 0.2", "customers 0.7",
                                       "customers 0.6"]


def test_skipped_stages_contribute_nothing_and_limit_holds():
    records = [_record("reality_check", 0.5, status="skipped"), _record("customers", *[0.1 * i for i in range(9)])]
    chosen = executive_summary(records, limit=3)
    assert len(chosen) == 3 and all(f.stage == "customers" for f in chosen)


def test_driver_findings_name_at_most_four_touchpoints():
    import pandas as pd

    from cxkit.claims.findings import driver_findings, segment_driver_findings

    labels = [f"Touchpoint {k}" for k in range(12)]
    quadrants = pd.DataFrame({"label": labels, "attribute": labels, "share": [1 / 12] * 12, "top2": 0.5,
                              "outcome": "overall", "quadrant": "Moment of truth: fix first"})
    segments = pd.DataFrame({"attribute": labels, "label": labels, "share": 0.1, "differs": True,
                             "differs_p": [0.01 * k for k in range(12)], "test": "F test"})
    found = {f.key: f.text for f in driver_findings(quadrants) + segment_driver_findings(segments)}
    assert "touchpoint 0, touchpoint 1, touchpoint 2 and 9 more" in found["moments_of_truth"]
    assert found["segment_drivers"].startswith("Drivers differ by segment for touchpoint 0, touchpoint 1, touchpoint 2 and 9 more")
