"""End-to-end runs through papermill: outputs, determinism, failures that lose nothing, missing data."""

import json
import shutil

import nbformat
import pandas as pd
import pytest
import yaml

from conftest import ROOT, SAMPLE
from cxkit import DataError, StageError, load_engagement
from cxkit.paths import NOTEBOOKS
from cxkit.run.pipeline import run_engagement

pytestmark = pytest.mark.slow


def test_no_planted_personal_item_reaches_any_output_file(demo_run):
    """The sample's customer and staff comments hold planted names, phone numbers, e-mail and street addresses, postcodes, dates of
    birth, card and account numbers: none of them is in any file the run wrote (results, executed notebooks,
    figures' metadata, the deck's XML, the workbook's XML), and the comments did reach the outputs."""
    import zipfile

    truth = pd.concat([pd.read_csv(ROOT / "data_samples" / "northwind" / name, keep_default_na=False)
                       for name in ("truth_comments.csv", "truth_staff_comments.csv")])
    planted = {item.split(":", 1)[1] for cell in truth["personal"] if cell for item in cell.split(" | ")}
    assert len(planted) > 20
    texts = {}
    for path in demo_run.folder.rglob("*"):
        if path.suffix in (".pptx", ".xlsx"):
            with zipfile.ZipFile(path) as archive:
                texts[path] = " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                                       if n.endswith((".xml", ".rels")))
        elif path.is_file():
            texts[path] = path.read_bytes().decode("utf-8", "replace")
    leaks = {(str(path.relative_to(demo_run.folder)), value) for path, text in texts.items() for value in planted
             if value in text}
    assert not leaks, sorted(leaks)[:10]
    quotes = pd.read_csv(demo_run.folder / "results" / "comment_quotes.csv")
    assert len(quotes) and any(q.strip("“”…. ") in texts[demo_run.deck] for q in quotes["quote"].str.split("…").str[0]
                               if len(q.strip("“”…. ")) > 10)


def test_demo_run_writes_everything(demo_run):
    folder = demo_run.folder
    assert folder.name == "northwind-demo"
    assert demo_run.deck == folder / "northwind-demo-deck.pptx" and demo_run.deck.exists()
    executed = sorted(p.name for p in (folder / "notebooks").glob("*.ipynb"))
    assert executed == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "done" and record["config_hash"] == load_engagement(SAMPLE).config_hash
    assert {s["stage"]: s["status"] for s in record["stages"]} == dict.fromkeys(
        ["reality_check", "customers", "comments", "drivers", "metrics", "recommendations", "deck"], "done")
    assert record["versions"]["pandas"]
    summary = json.loads((folder / "results" / "summary.json").read_text())
    assert set(summary["stages"]) == {"inputs", "reality_check", "customers", "comments", "drivers", "metrics",
                                      "recommendations"}
    assert not (folder / "inputs").exists()      # the validated client data is not left in the results
    assert (folder / "results" / "key_drivers.csv").exists() and any((folder / "figures").glob("*.png"))
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_executed_notebooks_carry_outputs(demo_run):
    nb = nbformat.read(demo_run.folder / "notebooks" / "03_drivers.ipynb", as_version=4)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("notebook, charts", [("01_reality_check", 2), ("02_customers_segments", 2),
                                              ("02b_comments", 1), ("03_drivers", 3), ("04_metrics", 1)])
def test_executed_notebooks_show_their_charts(demo_run, notebook, charts):
    nb = nbformat.read(demo_run.folder / "notebooks" / f"{notebook}.ipynb", as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == charts
    saved = {p.stem for p in (demo_run.folder / "figures").glob("*.png")}
    assert len(saved) == 9     # and every chart is also saved for print


def test_same_inputs_and_seed_give_the_same_numbers(demo_run, tmp_path):
    again = run_engagement(SAMPLE, tmp_path, progress=lambda line: None)
    for table in sorted((demo_run.folder / "results").glob("*.csv")):
        first = pd.read_csv(table)
        second = pd.read_csv(again.folder / "results" / table.name)
        pd.testing.assert_frame_equal(first, second, check_exact=True, obj=table.name)


def _broken_notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder)
    path = folder / "03_drivers.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(nb, path)
    return folder


def test_failing_stage_is_reported_and_the_previous_deck_survives(demo_run, tmp_path):
    out = tmp_path / "out"
    previous = out / demo_run.folder.name
    shutil.copytree(demo_run.folder, previous)
    deck_bytes = (previous / demo_run.deck.name).read_bytes()
    with pytest.raises(StageError) as caught:
        run_engagement(SAMPLE, out, progress=lambda line: None, notebooks=_broken_notebooks(tmp_path))
    failure = caught.value.failure
    assert failure.stage == "drivers" and "planted failure" in failure.error and failure.cell is not None
    kept = out / "northwind-demo.failed"
    assert failure.notebook == str(kept / "notebooks" / "03_drivers.ipynb")
    assert (kept / "notebooks" / "03_drivers.ipynb").exists()
    assert not list(kept.glob("*.pptx"))  # no half-written deck
    assert json.loads((kept / "run.json").read_text())["status"] == "failed"
    assert (previous / demo_run.deck.name).read_bytes() == deck_bytes


def test_invalid_data_starts_no_notebook(engagement_copy, tmp_path):
    path = engagement_copy.parent / "feedback.csv"
    path.write_text(path.read_text().replace("\nC0000002,", "\nC0000001,", 1))
    with pytest.raises(DataError, match="duplicated"):
        run_engagement(engagement_copy, tmp_path / "out", progress=lambda line: None)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_feedback_only_engagement_skips_the_reality_check_and_says_so(engagement_copy, tmp_path):
    from pptx import Presentation

    raw = yaml.safe_load(engagement_copy.read_text())
    del raw["diagnostic"]
    raw["engagement_id"] = "feedback-only"
    engagement_copy.write_text(yaml.safe_dump(raw))
    outcome = run_engagement(engagement_copy, tmp_path, progress=lambda line: None)
    stages = {s.stage: s for s in outcome.stages}
    assert stages["reality_check"].status == "skipped" and "diagnostic" in stages["reality_check"].reason
    assert not (outcome.folder / "notebooks" / "01_reality_check.ipynb").exists()
    text = " ".join(shape.text_frame.text for slide in Presentation(outcome.deck).slides
                    for shape in slide.shapes if shape.has_text_frame)
    assert "Reality check was not covered" in text and "needs diagnostic data" in text


def test_run_record_is_relative_to_the_run_folder(demo_run):
    record = json.loads((demo_run.folder / "run.json").read_text())
    assert all(s["notebook"].startswith("notebooks/") for s in record["stages"] if s["status"] == "done")
    assert str(ROOT) in record["config"]


def test_parallel_stages_share_the_cores_out(monkeypatch):
    from cxkit.analysis import drivers
    from cxkit.run import worker as run

    monkeypatch.setattr(run.os, "cpu_count", lambda: 2)
    assert [run.stage_threads(n) for n in (1, 2, 3)] == [2, 1, 1]
    monkeypatch.setenv("CXKIT_THREADS", "1")
    assert drivers._threads() == 1
    monkeypatch.delenv("CXKIT_THREADS")
    assert drivers._threads() == 2


def test_stages_start_as_soon_as_what_they_read_is_done_and_no_more_than_the_workers():
    """The scheduler on fake stages: each starts only after its ``AFTER`` stages finished, at most ``workers`` run
    at once, a stage skipped without running lets the next start, and a failure starts nothing more."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from cxkit.run.pipeline import AFTER, run_stages

    from cxkit.results.catalogue import STAGES

    def schedule(workers, skip=(), fail=(), feedback_at_once=None):
        events, running, peak, lock = [], set(), [0, 0], threading.Lock()

        def work(stage):
            with lock:
                running.add(stage)
                peak[0] = max(peak[0], len(running))
                peak[1] = max(peak[1], sum(STAGES[s].needs == "feedback" for s in running))
            time.sleep(0.1 if stage in ("drivers", "customers") else 0.02)
            with lock:
                running.discard(stage)
            return {"status": "failed" if stage in fail else "done"}

        with ThreadPoolExecutor(8) as pool:
            def start(stage, threads):
                events.append(("start", stage))
                return None if stage in skip else pool.submit(work, stage)

            def finish(stage, result):
                events.append(("end", stage))
                return result["status"] != "failed"

            run_stages(start, finish, workers, feedback_at_once)
        return events, (peak[0] if feedback_at_once is None else peak[1])

    events, peak = schedule(3)
    order = [e for e in events]
    for stage, needs in AFTER.items():
        for need in needs:
            assert order.index(("end", need)) < order.index(("start", stage)), (stage, need)
    assert peak <= 3 and {s for _, s in events} == set(AFTER)
    # comments (reading nothing) starts when the first of the three finishes, before drivers (the slowest) ends
    assert order.index(("start", "comments")) < order.index(("end", "drivers"))
    assert schedule(1)[1] == 1
    events, _ = schedule(3, skip=("recommendations",))
    assert ("start", "deck") in events   # the pipeline's own start() says why it skips; the scheduler goes on
    assert schedule(3, feedback_at_once=2)[1] == 2   # a large file: never three stages holding it at once
    events, _ = schedule(2, fail=("reality_check",))
    assert ("start", "recommendations") not in events and ("start", "deck") not in events


def test_a_kernel_is_not_interrupted_as_it_is_shut_down_but_any_other_interrupt_goes_through(tmp_path):
    import asyncio

    from cxkit.run.worker import _local_kernel_manager

    manager = _local_kernel_manager(str(tmp_path))(kernel_name="python3")
    with pytest.raises(RuntimeError, match="No kernel is running"):   # reached jupyter_client's own interrupt
        asyncio.run(manager._async_interrupt_kernel())
    manager.shutting_down = True    # as jupyter_client sets it before it interrupts a kernel it shuts down
    assert asyncio.run(manager._async_interrupt_kernel()) is None


def test_a_stage_kernel_exits_without_walking_every_object_in_a_final_collection(tmp_path):
    """Each stage's kernel spent about half a second at exit collecting the imported libraries' objects: its
    exit handlers now begin by freezing them (``FREEZE``), so the interpreter's last collection finds nothing to
    walk. Seen from outside: an object kept alive only by a reference cycle is no longer finalised as the kernel
    exits, where a kernel started without the freeze finalises it."""
    import nbformat
    import papermill

    from cxkit.run.worker import KERNEL_EXIT, SETTLE_CONTROL, _local_kernel_manager, at_exit

    manager = _local_kernel_manager(str(tmp_path))(kernel_name="python3")
    assert manager.format_kernel_cmd()[-1] == f"--IPKernelApp.exec_lines={KERNEL_EXIT}"

    def finalised_at_exit(exit_line: str) -> bool:
        marker = tmp_path / "finalised"
        marker.unlink(missing_ok=True)
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import os\n"
            "assert not {'_gc', '_atexit', '_App'} & set(dir())   # nothing left in the notebook's namespace\n"
            "class Cycle:\n"
            f"    def __del__(self, write=os.write, open=os.open, flags=os.O_CREAT | os.O_WRONLY, path={str(marker)!r}):\n"
            "        write(open(path, flags), b'x')\n"
            "cycle = Cycle()\n"
            "cycle.me = cycle")])
        nbformat.write(notebook, tmp_path / "exit.ipynb")
        papermill.execute_notebook(str(tmp_path / "exit.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                   progress_bar=False, kernel_manager_class=_local_kernel_manager(str(tmp_path), exit_line))
        return marker.exists()

    # The control differs only by the freeze. It keeps the settled control thread: without it, a kernel whose exit
    # hangs is terminated, or its control thread still holds the notebook's namespace, and the cycle is not
    # finalised either (which made this control flaky).
    assert finalised_at_exit(at_exit(SETTLE_CONTROL))
    assert not finalised_at_exit(KERNEL_EXIT)


def test_a_stage_kernel_stops_its_iopub_thread_only_once_its_control_thread_is_done(tmp_path):
    """ipykernel 7 stops its IOPub thread at exit; a control thread still publishing the "idle" after the shutdown
    reply could then block, and jupyter_client terminated the kernel 2.5 s later (8 kernels in 57 here). With
    ``SETTLE_CONTROL`` the IOPub thread is still running when the control thread publishes, even when the control
    thread is held back for 1.5 s after the reply, and the kernel exits on its own; without it, the IOPub thread has stopped
    by then."""
    import asyncio

    from cxkit.run.worker import FREEZE, KERNEL_EXIT, _local_kernel_manager, at_exit

    marker = tmp_path / "iopub_alive"
    # everything bound as a default: by the time the control thread gets here the notebook's namespace is cleared
    hold_back = ("import time, functools\n"
                 "from ipykernel.kernelapp import IPKernelApp\n"
                 "def later(publish, status, channel, *args, sleep=time.sleep, open=open, str=str,\n"
                 "          iopub=IPKernelApp.instance().iopub_thread.thread, **kwargs):\n"
                 "    if channel == 'control':\n"
                 "        sleep(1.5)   # the control thread, held back after the shutdown reply\n"
                 f"        open({str(marker)!r}, 'w').write(str(iopub.is_alive()))\n"
                 "    return publish(status, channel, *args, **kwargs)\n"
                 "kernel = get_ipython().kernel\n"
                 "kernel._publish_status_and_flush = functools.partial(later, kernel._publish_status_and_flush)")

    async def as_the_control_publishes(exit_line: str) -> tuple[str, str]:
        marker.unlink(missing_ok=True)
        manager = _local_kernel_manager(str(tmp_path), exit_line)(kernel_name="python3")
        manager.shutdown_wait_time = 6.0    # terminated only 3 s after the request: well after the hold-back
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(hold_back, timeout=60)
            assert reply["content"]["status"] == "ok"
        finally:
            client.stop_channels()
        await manager.shutdown_kernel()
        return marker.read_text(), manager._shutdown_status.name

    assert asyncio.run(as_the_control_publishes(KERNEL_EXIT)) == ("True", "ShutdownRequest")
    assert asyncio.run(as_the_control_publishes(at_exit(FREEZE)))[0] == "False"   # the control


def test_a_stage_notebook_is_written_at_its_end_not_around_every_cell_and_whole_when_its_kernel_dies(tmp_path,
                                                                                                     monkeypatch):
    """papermill wrote the executed notebook before and after every cell; a stage now writes it when it ends (and
    while it runs at most every ``SAVE_EVERY`` seconds). A kernel that dies still leaves the notebook with every
    output it gave."""
    import papermill.engines

    from cxkit.run.worker import SAVE_EVERY, execute_stage

    writes = []
    write = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path, **kw: (writes.append(path), write(nb, path, **kw)))
    (tmp_path / "notebooks").mkdir()

    def run(*sources: str) -> tuple[dict, nbformat.NotebookNode]:
        writes.clear()
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                                metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}}),
                       tmp_path / "stage.ipynb")
        outcome = execute_stage("stage", "engagement.yaml", str(tmp_path), str(tmp_path / "stage.ipynb"))
        return outcome, nbformat.read(tmp_path / "notebooks" / "stage.ipynb", as_version=4)

    outcome, executed = run(*(f"print({i})" for i in range(12)))
    assert outcome["status"] == "done" and outcome["seconds"] < SAVE_EVERY
    assert len(writes) == 1      # papermill: 2 a cell
    assert [c.outputs[0].text for c in executed.cells[1:]] == [f"{i}\n" for i in range(12)]   # after its parameters

    outcome, executed = run("print('before')", "import os; os._exit(1)", "print('after')")
    assert outcome["status"] == "failed" and "DeadKernelError" in outcome["failure"]["error"]
    assert len(writes) == 1
    assert executed.cells[1].outputs[0].text == "before\n"
    assert executed.cells[1].metadata.papermill.status == "completed"
