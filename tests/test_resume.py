"""A killed ``python -m labkit run`` (what ``make report`` runs first) resumes without redoing
finished work: finished chapters are skipped, finished experiment runs are read back from their
stores and finished tuner trials from keras-tuner's folders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LIMIT = 300  # seconds for each of the two runs


def _run(reports: Path, data_root: Path) -> subprocess.Popen:
    env = {**os.environ, "LABKIT_REPORTS_DIR": str(reports), "LABKIT_DATA_DIR": str(data_root),
           "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    cmd = [sys.executable, "-m", "labkit", "run", "00", "01", "--profile", "smoke"]
    log = (reports / f"run-{time.monotonic_ns()}.log").open("w")
    # a session of its own, so the kill reaches the runner and its kernel alike
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)  # fmt: skip


def _completed_trials(reports: Path) -> dict[Path, float]:
    """Each finished tuner trial's ``trial.json`` and when it was last written."""
    out = {}
    for path in (reports / "smoke" / "tuning").glob("*/trial_*/trial.json"):
        try:
            if json.loads(path.read_text())["status"] == "COMPLETED":
                out[path] = path.stat().st_mtime_ns
        except (OSError, ValueError, KeyError):  # being written
            continue
    return out


def _stores(reports: Path) -> dict[str, list[str]]:
    """The keys of the finished experiment runs, store by store, in the order they were run."""
    return {
        p.name: [json.loads(line)["key"] for line in p.read_text().splitlines() if line.strip()]
        for p in (reports / "smoke" / "experiments").glob("*.jsonl")
    }


def _finished_chapter_00(reports: Path, smoke: Path) -> None:
    """Chapter 00's smoke run from the session's shared runs, as the runner left it."""
    for part in ("00_data_tour.ipynb", "metrics/00_data_tour.json", "logs/00_data_tour.done"):
        (reports / "smoke" / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(smoke / "smoke" / part, reports / "smoke" / part)


@pytest.mark.slow
def test_a_killed_run_resumes_without_redoing_finished_work(tmp_path, data_root, smoke_runs):
    reports = tmp_path / "reports"
    smoke_runs.require("00_data_tour")
    _finished_chapter_00(reports, smoke_runs.reports)  # finished before the kill: skipped
    first = _run(reports, data_root)
    try:
        t0 = time.monotonic()
        while len(_completed_trials(reports)) < 2:  # chapter 01 is tuning: its experiments ran
            assert first.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() - t0 < LIMIT, "no tuner trial finished in time"
            time.sleep(0.2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # as hard as a kill can be: nothing cleans up
        first.wait()
    trials, stores = _completed_trials(reports), _stores(reports)
    assert stores and all(stores.values())
    assert not (reports / "smoke" / "logs" / "01_mlp_cnn_tuning.done").exists()

    second = _run(reports, data_root)
    try:
        assert second.wait(timeout=LIMIT) == 0
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    (log,) = sorted(reports.glob("run-*.log"))[1:]
    text = log.read_text()
    assert "00_data_tour (profile=smoke, seed=0): unchanged, skipped" in text
    assert "01_mlp_cnn_tuning (profile=smoke, seed=0): ok in" in text

    after = _stores(reports)
    for name, keys in stores.items():
        assert after[name][: len(keys)] == keys, name  # the finished runs are kept ...
        assert len(set(after[name])) == len(after[name]), name  # ... and none ran twice
    for path, written in trials.items():  # no finished trial was trained (or rewritten) again
        assert path.stat().st_mtime_ns == written, path
    assert len(_completed_trials(reports)) > len(trials)  # the search went on from there
