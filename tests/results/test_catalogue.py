"""The results contract: everything the deck, the workbook, the rules and the notebooks read is declared, every
declared table is written by its stage, and a table or claim that breaks its declaration fails loudly."""

import json
import re

import nbformat
import pandas as pd
import pytest

from conftest import ROOT
from cxkit.claims.rules import load_rules
from cxkit.paths import NOTEBOOKS, RunPaths
from cxkit.results.catalogue import UNIT_TABLES, CLAIMS, STAGES, TABLES, ContractError, readable
from cxkit.results.store import RunResults, load_table, save_table


def _names_in(text: str) -> set[str]:
    """Table names a piece of code reads or writes: .table("x"), .load("x"), .save("x", ...), tables=("x", ...)."""
    names = set(re.findall(r"\.(?:table|load|save)\(\s*\"(\w+)\"", text))
    for group in re.findall(r"tables=\(([^)]*)\)|source\(([^)]*)\)", text):
        names |= set(re.findall(r"\"(\w+)\"", " ".join(group)))
    return names


def test_every_table_the_code_names_is_declared():
    code = [p.read_text() for folder in ("report", "claims", "run") for p in (ROOT / "cxkit" / folder).rglob("*.py")]
    notebooks = [c.source for p in NOTEBOOKS.glob("*.ipynb") for c in nbformat.read(p, as_version=4).cells
                 if c.cell_type == "code"]
    named = set().union(*(_names_in(text) for text in code + notebooks))
    assert len(named) > 25 and named <= set(TABLES), sorted(named - set(TABLES))
    assert all(set(kind.tables) <= set(TABLES) for kind in CLAIMS.values())
    rules = load_rules(ROOT / "templates" / "recommendations.yaml")
    assert {rule.claim for rule in rules} <= set(CLAIMS)


def test_every_declared_table_is_written_by_its_stage(demo_run):
    results = RunResults(RunPaths(demo_run.folder))
    for name, table in TABLES.items():
        if name in UNIT_TABLES:   # written by a batch by units: tests/run/test_batch_units.py
            continue
        record = results.record(table.stage)
        assert record is not None and name in record.tables, f"{name} is not written by {table.stage}"
        frame = results.table(name)
        assert frame is not None and not table.problems(frame), name


def test_the_notebook_of_each_stage_is_the_one_that_saves_its_tables():
    for stage in STAGES.values():
        if stage.notebook is None or stage.name in ("recommendations", "deck"):
            continue
        source = "\n".join(c.source for c in nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells)
        saved = set(re.findall(r"stage\.save\(\s*\"(\w+)\"", source))
        assert saved == {t.name for t in TABLES.values() if t.stage == stage.name}, stage.name


@pytest.fixture
def paths(tmp_path):
    return RunPaths(tmp_path).make()


def _nps(**change):
    row = {"nps": 12.0, "ci_low": 8.0, "ci_high": 16.0, "promoters": 0.4, "passives": 0.32, "detractors": 0.28,
           "n": 900}
    return pd.DataFrame([{**row, **change}])


@pytest.mark.parametrize("name, frame, stage, message", [
    ("no_such_table", _nps(), "customers", "not declared"),
    ("nps", _nps().drop(columns="n"), "customers", "lacks the declared columns \\['n'\\]"),
    ("nps", _nps(extra=1), "customers", "undeclared columns \\['extra'\\]"),
    ("nps", _nps(n="nine hundred"), "customers", "'n' should hold numbers"),
    ("nps", _nps(n=900.5), "customers", "whole numbers"),
    ("nps", _nps(), "drivers", "written by the customers stage"),
    ("moments_of_truth", pd.DataFrame({c.name: [1] for c in TABLES["moments_of_truth"].columns})
     .assign(quadrant="Moment of truth: fix first"), "drivers", "not quadrant codes"),
])
def test_a_table_that_breaks_its_declaration_fails_loudly(paths, name, frame, stage, message):
    with pytest.raises(ContractError, match=message):
        save_table(paths, name, frame, stage)
    assert not any(paths.results.glob("*.csv"))


def test_reading_an_undeclared_table_fails_and_a_declared_one_round_trips(paths):
    save_table(paths, "nps", _nps(), "customers")
    assert load_table(paths, "nps")["nps"].iloc[0] == 12.0
    with pytest.raises(ContractError, match="not declared"):
        RunResults(paths).table("nps_v2")


def test_an_empty_table_is_saved_with_its_declared_header(paths):
    save_table(paths, "yes_no_drivers", pd.DataFrame(columns=["attribute", "label", "share"]), "drivers")
    saved = load_table(paths, "yes_no_drivers")
    assert saved.empty and list(saved.columns) == list(TABLES["yes_no_drivers"].names)
    with pytest.raises(ContractError, match="undeclared columns"):          # an empty table still names no strays
        save_table(paths, "yes_no_drivers", pd.DataFrame(columns=["stray"]), "drivers")


def test_codes_show_by_their_labels():
    frame = pd.DataFrame({"label": ["A", "B"], "quadrant": ["fix_first", "over_served"]})
    assert readable("moments_of_truth", frame)["quadrant"].tolist() == ["Moment of truth: fix first",
                                                                        "Possible over-service"]


def test_the_saved_claims_are_every_stage_claims_with_their_evidence(demo_run):
    data = json.loads((demo_run.folder / "results" / "claims.json").read_text())
    assert {c["stage"] for c in data} >= {"inputs", "reality_check", "customers", "drivers", "metrics",
                                          "recommendations"}
    assert all(c["text"] and c["verdict"] in ("supported", "within_noise", "not_testable") and c["reason"]
               for c in data)
    assert len({c["id"] for c in data}) == len(data)
    leads = [c["kind"] for c in data if c["lead"]]
    assert len(leads) == len(set(leads))   # one lead claim per kind: the one a slide title uses
