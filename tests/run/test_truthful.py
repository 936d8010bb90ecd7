"""Say only what the data supports: every title, summary sentence and recommendation rests on a supported claim,
whatever the engagement's shape, size, directions and signal; data with no signal yields no finding."""

import json
from pathlib import Path
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pptx import Presentation

from conftest import run_in_process
from cxkit.inputs.sample import write_sample
from cxkit.run.pipeline import run_engagement

pytestmark = pytest.mark.slow

FINDING_LAYOUTS = ("Finding + chart", "Two charts", "Table")
HEADINGS = ("Roadmap:", "Every metric, ", "What the data does not show", "In their own words",
            "Topics the codeframe misses")   # customers' words and suggestions, not findings
# kinds that state a driver, segment, gap or silo finding: none may stand on data with no signal
FINDINGS = {"maturity_gap", "what_remains", "perception_gap", "lagging_department", "weakest_link", "expectations",
            "consistency", "consistency_pattern", "segments", "value_at_stake", "descriptor_differences", "top_driver", "moment_of_truth",
            "moments_of_truth", "asymmetry", "asymmetries", "what_if", "yes_no_drivers", "segment_drivers",
            "departmental_balance", "wave_change", "comment_theme", "comment_drivers"}


def _deck_sentences(path):
    """Each finding slide's title (page suffix off) and the executive summary's sentences."""
    deck = Presentation(path)
    titles = [re.sub(r" \(\d+ of \d+\)$", "", s.shapes.title.text_frame.text) for s in deck.slides
              if s.slide_layout.name in FINDING_LAYOUTS]
    summary = next(s for s in deck.slides if s.shapes.title.text_frame.text.startswith("Executive summary"))
    body = next(ph for ph in summary.placeholders if ph.placeholder_format.idx == 1)
    bullets = [p.text.removesuffix(".") for p in body.text_frame.paragraphs if p.text and not p.text.startswith("No ")]
    return [t for t in titles if not t.startswith(HEADINGS)], bullets


def _check_the_run(folder):
    from cxkit import load_engagement
    from cxkit.report.deck import deck_labels
    from cxkit.report.kit import title_labels, with_short_labels

    claims = json.loads((folder / "results" / "claims.json").read_text())
    by_text = {c["text"]: c for c in claims}
    # a title names a long label as its chart does; the claim is whole in the notes
    forms = title_labels(deck_labels(load_engagement(json.loads((folder / "run.json").read_text())["config"])))
    by_title = {with_short_labels(text, forms): c for text, c in by_text.items()}
    titles, bullets = _deck_sentences(next(folder.glob("*-deck.pptx")))
    for sentence in titles:
        assert sentence in by_title and by_title[sentence]["verdict"] == "supported", sentence
    for sentence in bullets:
        assert sentence in by_text and by_text[sentence]["verdict"] == "supported", sentence
    actions = pd.read_csv(folder / "results" / "recommendations.csv", keep_default_na=False)
    by_id = {c["id"]: c for c in claims}
    for row in actions[actions["rule"] != "pilot"].itertuples():
        assert by_id[row.claim]["verdict"] == "supported", row.claim
    _claims_agree_with_their_tables(folder, claims)
    return claims, actions


def _claims_agree_with_their_tables(folder, claims):
    """No claim contradicts its own table: its direction and numbers are the table's."""
    def table(name):
        path = folder / "results" / f"{name}.csv"
        return pd.read_csv(path) if path.exists() else None

    maturity, gaps, key, trend = table("maturity"), table("perception_gaps"), table("key_drivers"), table("wave_trend")
    for c in claims:
        f = c["facts"]
        if c["kind"] == "maturity_gap":
            row = maturity.set_index("dimension").loc[f["dimension"]]
            assert f["gap"] == pytest.approx(row["gap"]) and f["mean"] == pytest.approx(row["mean"])
            if c["verdict"] == "supported" and "furthest from target" in c["text"]:
                assert row["gap"] > 0
        if c["kind"] == "perception_gap" and f["dimension"] != "all":
            gap = gaps.set_index("dimension").loc[f["dimension"], "gap"]
            if c["text"].startswith("Frontline rate"):
                assert gap > 0
            if re.match(r"Executives rate .* below the frontline", c["text"]):
                assert gap < 0
        if c["kind"] == "top_driver" and c["verdict"] == "supported":
            assert f["label"] == key.sort_values("rank")["label"].iloc[0]
        if c["kind"] == "top_driver" and c["verdict"] != "supported":   # no driver metric from a model that names none
            card = table("scorecard")
            assert card is None or not (card["layer"] == "driver").any()
        if c["kind"] == "wave_change" and c["verdict"] == "supported":
            latest = trend[trend["wave"].astype(str) == f["last"]]
            change = latest[latest["metric"].str.startswith(f["metric"])]["change"].iloc[0]
            assert (change > 0) == (f["moved"] == "rose")


def _generated(folder, seed, customers, employees, signal, flip_levels, weaken):
    written = write_sample(folder, seed=seed, customers=customers, employees=employees, signal=signal,
                           engagement_id="prop")
    rng = np.random.default_rng(seed)
    if flip_levels:   # frontline above executives: the direction is found, not assumed
        diag = pd.read_csv(written.diagnostic, dtype=str, keep_default_na=False)
        diag["level"] = diag["level"].map({"Executive": "Frontline", "Frontline": "Executive"}).fillna(diag["level"])
        diag.to_csv(written.diagnostic, index=False)
    if weaken:        # a weaker signal: part of the outcomes shuffled
        fb = pd.read_csv(written.feedback, dtype=str, keep_default_na=False)
        pick = rng.random(len(fb)) < weaken
        for column in ("overall_satisfaction", "likelihood_to_recommend", "renewed"):
            fb.loc[pick, column] = rng.permutation(fb.loc[pick, column].to_numpy())
        fb.to_csv(written.feedback, index=False)
    raw = yaml.safe_load(written.config.read_text())
    raw["drivers"] = {"bootstrap": 50}   # intervals are not what is tested here
    written.config.write_text(yaml.safe_dump(raw))
    return written.config


@settings(max_examples=6, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), customers=st.sampled_from([300, 700, 1500]),
       employees=st.sampled_from([60, 150, 320]), signal=st.booleans(), flip_levels=st.booleans(),
       weaken=st.sampled_from([0.0, 0.5, 0.9]))
def test_every_sentence_and_action_rests_on_a_supported_claim(tmp_path_factory, seed, customers, employees, signal,
                                                               flip_levels, weaken):
    folder = tmp_path_factory.mktemp("generated")
    config = _generated(folder / "engagement", seed, customers, employees, signal, flip_levels, weaken)
    _check_the_run(run_in_process(config, folder / "run"))


def test_data_with_no_signal_states_no_finding_and_says_so(tmp_path):
    written = write_sample(tmp_path / "engagement", seed=5, signal=False, engagement_id="no-signal")
    outcome = run_engagement(written.config, tmp_path / "out", progress=lambda line: None)
    claims, actions = _check_the_run(outcome.folder)
    standing = [c["text"] for c in claims if c["kind"] in FINDINGS and c["verdict"] == "supported"]
    assert standing == []
    assert set(actions["rule"]) <= {"own_every_metric", "fund_the_measurement", "pilot"}
    deck = Presentation(outcome.deck)
    said = " ".join(cell.text for s in deck.slides if s.shapes.title.text_frame.text.startswith("What the data does not")
                    for shape in s.shapes if shape.has_table for row in shape.table.rows for cell in row.cells)
    for absent in ("No touchpoint can be named as the driver", "Executives and frontline rate all 5 dimensions alike",
                   "No department lags the organisation"):
        assert absent in said, absent
    assert "do not fall into real segments" in said or "segments are not stable" in said


def test_planted_findings_still_stand(demo_run, truth):
    claims = {c["kind"]: c for c in json.loads((demo_run.folder / "results" / "claims.json").read_text()) if c["lead"]}
    for kind in ("maturity_gap", "perception_gap", "lagging_department", "top_driver", "moments_of_truth",
                 "asymmetries", "segments", "wave_change"):
        assert claims[kind]["verdict"] == "supported", kind
    assert claims["lagging_department"]["facts"]["group"] == truth["diagnostic"]["lagging_department"]
    assert "want different things" in claims["segments"]["text"]


REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


@pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata is not beside the project")
@pytest.mark.parametrize("name", ["bank_satisfaction_250.csv", "starwars_surveymonkey.csv"])
def test_real_files_go_from_inspect_to_a_deck_whose_every_title_is_supported(tmp_path, capsys, name):
    """Where the realdata README says the roles are clear: `cxkit inspect --write-config`, no edits, then a run
    whose titles, summary and actions all rest on supported claims."""
    from cxkit.cli import main

    target = tmp_path / "engagement.yaml"
    assert main(["inspect", str(REALDATA / name), "--write-config", str(target)]) == 0, capsys.readouterr().err
    claims, _ = _check_the_run(run_in_process(target, tmp_path / "out"))
    assert any(c["verdict"] == "supported" for c in claims if c["kind"] in FINDINGS)   # real data holds findings


EXPORTS = Path(__file__).resolve().parents[1] / "inputs" / "exports"
FIXTURES = [("table_semicolon_cp1252.csv", ()), ("table_nps.tsv", ()), ("table_pipe.txt", ()),
            ("google_forms.csv", ()), ("qualtrics_2016.csv", ()), ("surveymonkey_expanded.csv", ()),
            ("qualtrics_current.csv", ("--qsf", str(EXPORTS / "qualtrics_current.qsf")))]


@pytest.mark.parametrize("name, extra", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_each_fixture_export_goes_from_inspect_to_a_deck_without_edits(tmp_path, capsys, name, extra):
    """Every export layout the readers know (40 respondents each, so most findings cannot stand): the starter
    `inspect` writes runs, unedited, to a deck whose titles rest on supported claims, and every stage either ran
    or says why it was skipped."""
    from cxkit.cli import main

    target = tmp_path / "engagement.yaml"
    assert main(["inspect", str(EXPORTS / name), "--write-config", str(target), *extra]) == 0, capsys.readouterr().err
    folder = run_in_process(target, tmp_path / "out")
    _check_the_run(folder)
    record = json.loads((folder / "run.json").read_text())
    for stage in record["stages"]:
        assert stage["status"] in {"done", "skipped"}, stage
        assert stage["status"] == "done" or stage["reason"], stage
