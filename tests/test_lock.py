"""One run of a chapter at a time, as a careless classmate would try it: two ``labkit run`` of
one chapter at once, and a run killed mid-chapter. Real processes, real kernels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from test_runner import _notebook

from labkit.book import runner
from labkit.book.lock import ChapterBusy, chapter_lock


def _start(nb: Path, reports: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "LABKIT_REPORTS_DIR": str(reports), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "labkit", "run", str(nb), "--profile", "smoke", *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < limit, f"{path} did not appear"
        time.sleep(0.1)


def test_a_held_lock_refuses_a_second_run_naming_the_holder(tmp_path):
    nb = _notebook(tmp_path / "01_x.ipynb", "x = 1")
    reports = tmp_path / "reports"
    with chapter_lock("01_x", "smoke", reports):
        info = json.loads((reports / "smoke" / "logs" / "01_x.lock.json").read_text())
        assert info["pid"] == os.getpid()
        # another process holds it: filelock's lock is per process, so ask from a child
        code = (
            "import sys\nfrom pathlib import Path\nfrom labkit.book import runner\n"
            "try:\n    runner.run_notebook(Path(sys.argv[1]), 'smoke', reports=Path(sys.argv[2]))\n"
            "except runner.ChapterBusy as e:\n    print(e)\n    sys.exit(3)\n"
        )
        child = subprocess.run([sys.executable, "-c", code, str(nb), str(reports)],
                               capture_output=True, text=True, timeout=120)  # fmt: skip
    assert child.returncode == 3, child.stderr
    assert f"being run by process {os.getpid()}" in child.stdout and "--wait" in child.stdout
    assert not (reports / "smoke" / "logs" / "01_x.lock.json").exists()  # released, cleaned
    assert issubclass(ChapterBusy, RuntimeError)


@pytest.mark.slow
def test_two_runs_of_one_chapter_at_once_cannot_corrupt_it(tmp_path):
    nb = _notebook(tmp_path / "01_long.ipynb", "import time\ntime.sleep(25)", "y = 2")
    reports = tmp_path / "reports"
    first = _start(nb, reports)
    _wait_for(reports / "smoke" / "logs" / "01_long.lock.json", first)
    second = _start(nb, reports, "--force")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 3, (out, err)
    assert f"01_long (smoke) is being run by process {first.pid}" in err
    waiting = _start(nb, reports, "--force", "--wait")  # queues behind the first
    assert first.wait(timeout=300) == 0, first.communicate()
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert "waiting for it to end" in out and "01_long (profile=smoke, seed=0): ok" in out
    executed = nbformat.read(reports / "smoke" / "01_long.ipynb", as_version=4)
    assert all(c.execution_count for c in executed.cells if c.cell_type == "code")
    assert runner.is_done(nb, "smoke", reports=reports)
    output, _, done = runner._paths(nb, "smoke", reports)
    assert not runner.edited_after_its_run(output, done)  # the .done knows what it left
    nb_source = nbformat.read(nb, as_version=4)
    nb_source.cells.insert(0, nbformat.v4.new_markdown_cell("# A new heading"))
    nbformat.write(nb_source, nb)  # markdown only: skipped, stitched in, still its run's own
    lines: list[str] = []
    assert runner.run_all([str(nb)], "smoke", reports=reports, echo=lines.append)[0].skipped
    assert "new markdown stitched in" in lines[0]
    assert not runner.edited_after_its_run(output, done)


@pytest.mark.slow
def test_a_killed_run_leaves_the_last_complete_run_and_its_lock_is_taken_over(tmp_path):
    nb = _notebook(tmp_path / "01_kill.ipynb", "x = 1")
    reports = tmp_path / "reports"
    runner.run_notebook(nb, "smoke", reports=reports)  # a complete run
    output = reports / "smoke" / "01_kill.ipynb"
    before = output.read_bytes()
    _notebook(nb, "import time\ntime.sleep(60)")  # the chapter changed, and runs long
    first = _start(nb, reports)
    _wait_for(reports / "smoke" / "partial" / "01_kill.ipynb", first)
    time.sleep(2)  # into the sleeping cell
    os.killpg(first.pid, signal.SIGKILL)  # nothing cleans up
    first.wait()
    assert output.read_bytes() == before  # the last complete run, untouched
    assert runner.why_not_done(nb, "smoke", reports=reports) == "changed since its last run"
    _notebook(nb, "x = 3")
    lines: list[str] = []
    runner.run_all([str(nb)], "smoke", reports=reports, echo=lines.append)
    assert any("ended without releasing its lock (killed?); taking it over" in s for s in lines)
    assert runner.is_done(nb, "smoke", reports=reports)


def test_a_damaged_file_beside_a_done_reruns_the_chapter_and_says_why(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "01_d.ipynb", "x = 1")
    reports = tmp_path / "reports"
    from labkit.book import fingerprint

    output, _, done = runner._paths(nb, "smoke", reports)
    done.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), output)
    record = reports / "smoke" / "metrics" / "01_d.json"
    record.parent.mkdir()
    record.write_text("{}")
    fingerprint.write_stamp(done, fingerprint.stamp(nb, "smoke", 0))
    assert runner.why_not_done(nb, "smoke", reports=reports) is None
    record.write_text('{"results": {"acc')  # cut short
    assert "unreadable (JSONDecodeError" in runner.why_not_done(nb, "smoke", reports=reports)
    record.write_text("{}")
    output.write_text('{"cells": [')
    assert "unreadable" in runner.why_not_done(nb, "smoke", reports=reports)
    output.unlink()
    assert "executed notebook" in runner.why_not_done(nb, "smoke", reports=reports)
    said = []
    ran = runner.RunResult("01_d", output, 0.0)
    monkeypatch.setattr(runner, "run_notebook", lambda *a, **k: ran)
    runner.run_all([str(nb)], "smoke", reports=reports, echo=said.append, force=False)
    assert said[0].endswith(f"running (its executed notebook {output} is missing)")


def test_a_notebook_that_is_not_json_is_named(tmp_path):
    nb = tmp_path / "01_bad.ipynb"
    nb.write_text('{"cells": [')
    with pytest.raises(runner.RunError, match=r"01_bad.ipynb is not a readable notebook .*git"):
        runner.run_all([str(nb)], "smoke", reports=tmp_path / "reports", echo=lambda s: None)


def test_a_relative_data_folder_is_resolved_from_where_the_command_started(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LABKIT_DATA_DIR", "shared/data")
    monkeypatch.setenv("LABKIT_REPORTS_DIR", str(tmp_path / "reports"))
    runner.absolute_paths()
    assert os.environ["LABKIT_DATA_DIR"] == str(tmp_path / "shared" / "data")


def test_an_unwritable_clock_cache_warns_and_keeps_the_clocks(tmp_path):
    from labkit import clocks

    blocked = tmp_path / "data"
    blocked.write_text("a file where the cache folder should be")  # mkdir fails, even as root
    with pytest.warns(UserWarning, match="cannot be kept in .*data.*drawn again next time"):
        drawn = clocks.generate(4, difficulty="easy", size=32, folder=blocked)
    assert drawn.images.shape == (4, 32, 32)
