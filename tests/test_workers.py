"""Work made in worker processes: one TensorFlow thread each, its seed, its errors named, and
what it made handed back so that it is not counted as read back."""

from __future__ import annotations

import json
import warnings

import pytest

from labkit import cache, workers
from labkit.cache import Store

STORE = Store("workers test", "labkit.workers:run")


def _threads(path: str) -> None:
    """Store this worker's TensorFlow threads and a draw from its seed."""
    import numpy as np
    import tensorflow as tf

    threads = (tf.config.threading.get_intra_op_parallelism_threads(),
               tf.config.threading.get_inter_op_parallelism_threads())  # fmt: skip
    row = {"path": path, "seconds": 4.0, "threads": threads, "draw": float(np.random.rand())}
    STORE.write(path, STORE.key(path=path), row)


def _fails(message: str) -> None:
    raise ValueError(message)


def _passes(message: str) -> None:
    pass


def test_workers_run_on_one_thread_from_their_seed_and_hand_back_what_they_made(tmp_path):
    paths = [str(tmp_path / f"{i}.jsonl") for i in range(3)]
    calls = [workers.Call(_threads, (p,), seed=7 if i < 2 else 8) for i, p in enumerate(paths)]
    cache.reset_read_back()
    done = workers.run(calls, workers=2)
    assert [d.made for d in done] == [True, True, True] and all(d.seconds > 0 for d in done)
    # loky's notice that it replaced a worker grown by a fit (its work is not lost) is silenced
    with warnings.catch_warnings(record=True) as seen:
        notice = "A worker stopped while some jobs were given to the executor."
        warnings.warn(notice, UserWarning, stacklevel=1)
        warnings.warn("another warning", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["another warning"]
    rows = [json.loads(open(p).read()) for p in paths]
    assert all(tuple(r["threads"]) == (1, 1) and r["at_once"] == 2 for r in rows)
    assert rows[0]["draw"] == rows[1]["draw"] != rows[2]["draw"]  # the seed, not the worker
    # made in this run: reading the rows back adds nothing to seconds_from_scratch
    for p in paths:
        STORE.read(p, STORE.key(path=p))
    assert cache.seconds_read_back() == (0.0, 0)
    # another run reads them back at the wall time they took: 4 s of clock, two at once
    cache.reset_read_back()
    for p in paths:
        assert "at_once" not in STORE.read(p, STORE.key(path=p))
    assert cache.seconds_read_back() == (pytest.approx(6.0), 3)


def test_one_worker_or_one_call_leaves_the_work_to_the_caller(tmp_path):
    call = workers.Call(_threads, (str(tmp_path / "a.jsonl"),))
    assert workers.run([call, call], workers=1) == []
    assert workers.run([call], workers=2) == []
    assert not (tmp_path / "a.jsonl").exists()
    with pytest.raises(ValueError, match="workers"):
        workers.run([call], workers=0)


def test_an_error_in_a_worker_is_raised_naming_the_call():
    calls = [workers.Call(_fails, ("no data",), label="fit 3"), workers.Call(_passes, ("x",))]
    with pytest.raises(RuntimeError, match="fit 3 failed in a worker: no data"):
        workers.run(calls, workers=2)
