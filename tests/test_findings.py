from cxkit.findings import executive_summary
from cxkit.results import Finding, StageRecord


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
