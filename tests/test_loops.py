"""The steps of a run and a history as floats."""

from __future__ import annotations

import numpy as np
import pytest

from labkit import loops


def test_steps_count_the_short_last_batch():
    assert loops.steps(60_000, 128) == 469
    assert loops.steps(51_000, 128, epochs=10) == 3_990
    assert loops.steps(0, 32, epochs=3) == 0
    with pytest.raises(ValueError, match="batch_size >= 1"):
        loops.steps(10, 0)


def test_floats_from_a_history_or_its_dict():
    class History:
        history = {"loss": [np.float32(0.5), np.float64(0.25)], "epoch_seconds": [1.0]}

    out = loops.floats(History(), skip=("epoch_seconds",))
    assert out == {"loss": [0.5, 0.25]} and all(type(v) is float for v in out["loss"])
    assert loops.floats({"a": [np.int64(1)]}) == {"a": [1.0]}
