"""chapter.start: the one setup call every chapter makes."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from labkit import chapter, profiles, run_record


def test_start_returns_the_profile_and_seeds_and_restarts_the_clock(monkeypatch):
    before = time.perf_counter()
    cfg = chapter.start("03_clock_reading", "smoke", 5)
    assert dict(cfg) == dict(profiles.get("03_clock_reading", "smoke"))
    assert run_record._started >= before  # the metrics clock starts here
    first = (random.random(), np.random.rand())
    chapter.start("03_clock_reading", "smoke", 5)
    assert (random.random(), np.random.rand()) == first
    with pytest.raises(TypeError):
        cfg["n"] = 1  # read-only


def test_start_names_the_allowed_values():
    with pytest.raises(ValueError, match="must be one of smoke, quick, full"):
        chapter.start("03_clock_reading", "huge", 0)
    with pytest.raises(ValueError, match="'seed' must be a non-negative integer"):
        chapter.start("03_clock_reading", "smoke", -1)


def test_keras_2_is_refused(monkeypatch):
    import keras

    assert chapter.check_keras() == keras.__version__
    monkeypatch.setattr(keras, "__version__", "2.15.0")
    with pytest.raises(RuntimeError, match="needs Keras 3"):
        chapter.check_keras()


def test_the_retracing_warning_is_quieted_by_a_chapter_not_by_an_import(caplog):
    import logging
    import subprocess
    import sys

    code = (
        "import logging\nfrom labkit.classifiers import models\n"
        "print(len(logging.getLogger('tensorflow').filters))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"  # importing the models changes no logging
    chapter.start("00_data_tour", "smoke", 0)
    chapter.start("00_data_tour", "smoke", 0)  # installed once
    log = logging.getLogger("tensorflow")
    assert sum("Retracing" in type(f).__name__ for f in log.filters) == 1
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        log.warning("5 out of the last 7 calls to <f> triggered tf.function retracing. Tracing")
        log.warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]
