"""Batches on Dask: an engagement cut into units (one under the minimum), each unit deck's numbers against the
engagement filtered to that unit, the roll-up against the unit decks, resume by hash, and a real scheduler and
two workers, one killed part-way."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxkit.inputs.sample import write_sample
from cxkit.run.batch import SUMMARY, run_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A generated engagement with five stores (store 5 tiny), run as a units batch on a local cluster."""
    root = tmp_path_factory.mktemp("units")
    written = write_sample(root / "engagement", seed=31, customers=1600, employees=150,
                           engagement_id="chain", stores=5)
    out = root / "out"
    results = run_batch([str(written.config)], str(out), workers=2, units="", progress=lambda line: None)
    truth = json.loads(written.truth.read_text())["stores"]
    return written, out, results, truth


def _summary(out: Path) -> list[dict]:
    with open(out / SUMMARY, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _unit_folders(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and p.name.startswith("chain-store-"))


def test_each_unit_gets_a_deck_and_the_tiny_store_none(stores):
    written, out, results, truth = stores
    by_unit = {r.unit: r for r in results}
    assert by_unit[truth["tiny"]].status in ("pooled", "too_small") and by_unit[truth["tiny"]].deck is None
    done = [r for r in results if r.status == "done" and r.kind == "unit"]
    assert len(done) == 4 and all(Path(r.deck).exists() for r in done)
    assert [r.kind for r in results if r.kind == "rollup"] == ["rollup"]
    for folder in _unit_folders(out):
        record = json.loads((folder / "run.json").read_text())
        assert record["status"] == "done"
        # the executed record of every stage that ran, with its printed output and cell durations
        for stage in (s for s in record["stages"] if s["status"] == "done"):
            nb = json.loads((folder / stage["notebook"]).read_text())
            assert all("duration" in c["metadata"]["papermill"] for c in nb["cells"] if c["cell_type"] == "code")
    summary = _summary(out)
    assert {row["status"] for row in summary} == {"done", by_unit[truth["tiny"]].status}
    assert {row["kind"] for row in summary} == {"unit", "rollup"}
    # the tiny store's customers are in no unit's results
    for folder in _unit_folders(out):
        assert truth["tiny"] not in (folder / "results" / "unit_vs_rest.csv").read_text()


def test_each_unit_deck_has_the_numbers_of_the_engagement_filtered_to_that_unit(stores, tmp_path):
    """Each unit's run against a separate run of an engagement whose data are that unit's rows only."""
    from conftest import run_in_process

    written, out, results, _ = stores
    config = yaml.safe_load(written.config.read_text())
    feedback = pd.read_csv(written.feedback)
    config.pop("diagnostic")   # the unit runs have no units column in the diagnostic: no reality check there
    config.pop("units")
    for r in (r for r in results if r.kind == "unit" and r.status == "done"):
        folder = tmp_path / r.id
        folder.mkdir()
        feedback[feedback["store"] == r.unit].to_csv(folder / "feedback.csv", index=False)
        (folder / "engagement.yaml").write_text(yaml.safe_dump({**config, "engagement_id": r.id}), encoding="utf-8")
        filtered = run_in_process(folder / "engagement.yaml", tmp_path / "out")
        for table in ("nps", "loyalty_mix", "key_drivers", "moments_of_truth", "asymmetry", "comment_themes",
                      "scorecard", "segment_profiles"):
            a = pd.read_csv(out / r.id / "results" / f"{table}.csv")
            b = pd.read_csv(filtered / "results" / f"{table}.csv")
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, obj=f"{r.id} {table}")


def test_the_roll_up_agrees_with_the_unit_decks(stores):
    from cxkit.paths import RunPaths
    from cxkit.results.catalogue import TABLES, UNIT_TABLES
    from cxkit.results.store import RunResults

    written, out, _, truth = stores
    rollup = out / "chain-units" / "results"
    # every table only a units batch writes is written, by its stage, as declared
    for folder in (_unit_folders(out)[0], out / "chain-units"):
        results = RunResults(RunPaths(folder))
        for name in UNIT_TABLES:
            record = results.record(TABLES[name].stage)
            if record is not None and name in record.tables:
                assert not TABLES[name].problems(results.table(name)), name
    written_tables = {name for folder in (_unit_folders(out)[0], out / "chain-units")
                      for name in UNIT_TABLES if (folder / "results" / f"{name}.csv").exists()}
    assert written_tables == UNIT_TABLES
    comparison = pd.read_csv(rollup / "unit_comparison.csv")
    for folder in _unit_folders(out):
        own = pd.read_csv(folder / "results" / "unit_vs_rest.csv")
        theirs = comparison[comparison["unit_id"] == folder.name].reset_index(drop=True)
        pd.testing.assert_frame_equal(own, theirs, check_exact=False, rtol=1e-12)
        # and the unit's own customer stage (another code path) gives the NPS the roll-up shows
        nps = pd.read_csv(folder / "results" / "nps.csv")["nps"].iloc[0]
        assert nps == pytest.approx(theirs.loc[theirs["metric"] == "nps", "value"].iloc[0])
    league = pd.read_csv(rollup / "unit_league.csv")
    assert league.loc[league["unit"].isin(truth["lagging"]), "verdict"].eq("below").all()
    claims = json.loads((rollup / "stage_units.json").read_text())["claims"]
    pilots = next(c for c in claims if c["kind"] == "unit_pilots")
    assert all(unit in pilots["facts"]["units"] for unit in truth["lagging"])
    assert (out / "chain-units" / "chain-units-deck.pptx").exists()


def test_a_resumed_batch_redoes_only_what_changed(stores):
    written, out, _, _ = stores
    again = run_batch([str(written.config)], str(out), workers=2, units="", progress=lambda line: None)
    assert {r.status for r in again if r.kind == "unit" and r.deck} == {"unchanged"}
    gone = _unit_folders(out)[0]
    shutil.rmtree(gone)
    third = run_batch([str(written.config)], str(out), workers=1, units="", progress=lambda line: None)
    redone = [r.id for r in third if r.kind == "unit" and r.status == "done"]
    assert redone == [gone.name] and (gone / f"{gone.name}-deck.pptx").exists()
    assert sum(r.status == "unchanged" for r in third) == 3


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_batch_on_a_real_scheduler_gets_every_deck_when_a_worker_is_killed(stores, tmp_path):
    """`dask scheduler` and two `dask worker` processes on localhost; the batch goes through --scheduler; one
    worker (nanny and process) is killed once the first unit has landed; every deck still arrives."""
    written, _, _, _ = stores
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    started = []

    def spawn(*args):
        proc = subprocess.Popen([dask, *args], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(proc)
        return proc

    try:
        spawn("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        deadline = time.time() + 60
        while not _listening(port):
            assert time.time() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        victim = spawn("worker", address, "--nthreads", "1", "--no-dashboard", "--name", "victim")
        spawn("worker", address, "--nthreads", "1", "--no-dashboard", "--name", "survivor")
        out = tmp_path / "out"
        batch = subprocess.Popen([sys.executable, "-m", "cxkit", "batch", str(written.config), "--units",
                                  "--scheduler", address, "--out", str(out)], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 240
        while not (out.exists() and _unit_folders(out)):
            assert batch.poll() is None, batch.communicate()[0]
            assert time.time() < deadline, "no unit landed"
            time.sleep(0.2)
        landed_before = len(_unit_folders(out))
        os.killpg(victim.pid, signal.SIGKILL)
        output, _ = batch.communicate(timeout=300)
        assert batch.returncode == 0, output
        assert landed_before < 4, "the batch had finished before the worker was killed"
        decks = [f / f"{f.name}-deck.pptx" for f in _unit_folders(out)]
        assert len(decks) == 4 and all(d.exists() for d in decks), output
        summary = _summary(out)
        assert sum(row["status"] == "done" and row["kind"] == "unit" for row in summary) == 4, output
    finally:
        for proc in started:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)


def test_what_a_run_reads_besides_its_data_is_in_its_hash(engagement_copy):
    """A firm rule file placed beside the engagement (it then overrides the kit's) changes the hash; nothing
    else changing keeps it."""
    from cxkit.paths import TEMPLATES
    from cxkit.run.batch import engagement_hash

    before = engagement_hash(engagement_copy)
    assert engagement_hash(engagement_copy) == before
    rules = (TEMPLATES / "recommendations.yaml").read_text(encoding="utf-8")
    (engagement_copy.parent / "recommendations.yaml").write_text(rules + "\n# the firm's edit\n", encoding="utf-8")
    assert engagement_hash(engagement_copy) != before


def test_a_unit_gets_its_own_staff_only_through_the_diagnostic_column(tmp_path):
    """With units.diagnostic_column, each unit's reality check reads its own employees; a unit with fewer than
    min_group_size employees gets none (its data checks say why), and a unit's record counts only its staff."""
    written = write_sample(tmp_path / "e", seed=41, customers=900, employees=140, engagement_id="staffed", stores=4)
    diagnostic = pd.read_csv(written.diagnostic)
    stores = ["Store 001", "Store 002", "Store 003"]
    # store 3 has 3 employees (under the minimum of 5); the rest split the others
    diagnostic["store"] = [stores[2] if i < 3 else stores[i % 2] for i in range(len(diagnostic))]
    diagnostic.to_csv(written.diagnostic, index=False)
    config = yaml.safe_load(written.config.read_text())
    config["units"]["diagnostic_column"] = "store"
    written.config.write_text(yaml.safe_dump(config), encoding="utf-8")
    out = tmp_path / "out"
    results = run_batch([str(written.config)], str(out), workers=2, units="", progress=lambda line: None)
    done = {r.unit: r for r in results if r.kind == "unit" and r.status == "done"}
    assert {"Store 001", "Store 002", "Store 003"} <= set(done)
    for unit, staff in (("Store 001", int((diagnostic["store"] == "Store 001").sum())),
                        ("Store 002", int((diagnostic["store"] == "Store 002").sum()))):
        folder = Path(done[unit].deck).parent
        stages = {s["stage"]: s for s in json.loads((folder / "run.json").read_text())["stages"]}
        assert stages["reality_check"]["status"] == "done"
        maturity = pd.read_csv(folder / "results" / "maturity.csv")
        assert maturity["n"].max() == staff
    small = Path(done["Store 003"].deck).parent
    stages = {s["stage"]: s for s in json.loads((small / "run.json").read_text())["stages"]}
    assert stages["reality_check"]["status"] == "skipped"
    quality = pd.read_csv(small / "results" / "data_quality.csv")
    assert quality["message"].str.contains("3 employees in Store 003").any()
    assert not (small / "results" / "maturity.csv").exists()


def test_two_local_clusters_start_side_by_side():
    """Two batches on one machine at once (or one beside a notebook's Dask cluster): no fixed port to collide on."""
    from cxkit.run.batch import cluster_client

    first, second = cluster_client(None, 1), cluster_client(None, 1)
    try:
        assert first[0].submit(sum, [1, 2]).result() == 3 and second[0].submit(sum, [3, 4]).result() == 7
    finally:
        for client, cluster in (first, second):
            client.close()
            cluster.close()


def test_an_engagement_re_run_alone_gets_the_cores_no_other_task_uses(tmp_path, monkeypatch):
    """A batch where only one client changed ran it one stage at a time on a machine of idle cores (26 s against
    18 s here); a local cluster now shares its workers out among the engagements to run, a remote one does not."""
    import types

    from cxkit.run import batch

    class Local:
        workers = {0: "a", 1: "b", 2: "c", 3: "d"}

    assert [batch.stage_share(Local(), jobs) for jobs in (1, 2, 3, 4, 9)] == [4, 2, 1, 1, 1]
    assert batch.stage_share(None, 1) == 1

    commands = []
    monkeypatch.setattr(batch.subprocess, "run",
                        lambda command, **kw: commands.append(command) or types.SimpleNamespace(returncode=1,
                                                                                                stderr="no"))
    config = write_sample(tmp_path / "e", seed=1, customers=60, employees=0, diagnostic=False).config
    assert batch.run_engagement_task(str(config), "hash", 2)["status"] == "failed"
    assert commands[0][commands[0].index("--workers") + 1] == "2"
