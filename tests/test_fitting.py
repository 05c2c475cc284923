"""The steps of a run and a history as floats."""

from __future__ import annotations

import numpy as np
import pytest

from labkit import fitting


def test_steps_count_the_short_last_batch():
    assert fitting.steps(60_000, 128) == 469
    assert fitting.steps(51_000, 128, epochs=10) == 3_990
    assert fitting.steps(0, 32, epochs=3) == 0
    with pytest.raises(ValueError, match="batch_size >= 1"):
        fitting.steps(10, 0)


def test_floats_from_a_history_or_its_dict():
    class History:
        history = {"loss": [np.float32(0.5), np.float64(0.25)], "epoch_seconds": [1.0]}

    out = fitting.floats(History(), skip=("epoch_seconds",))
    assert out == {"loss": [0.5, 0.25]} and all(type(v) is float for v in out["loss"])
    assert fitting.floats({"a": [np.int64(1)]}) == {"a": [1.0]}
