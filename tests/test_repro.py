"""Same seed and profile give the same numbers on the CPU."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from labkit import repro


def _train(seed: int) -> tuple[list[float], np.ndarray]:
    import keras

    repro.seed_everything(seed)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 20)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=3, batch_size=32, shuffle=True, verbose=0)
    return hist.history["loss"], model.get_weights()[0]


def test_same_seed_same_numbers():
    loss_a, w_a = _train(3)
    loss_b, w_b = _train(3)
    assert loss_a == loss_b
    np.testing.assert_array_equal(w_a, w_b)
    loss_c, w_c = _train(4)
    assert not np.array_equal(w_a, w_c)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed_is_named(bad):
    with pytest.raises(ValueError, match="'seed'"):
        repro.seed_everything(bad)


def test_versions_record():
    v = repro.versions()
    assert v["keras"].startswith("3.")
    assert "numpy" in v and "python" in v


def test_machine_record():
    m = repro.machine()
    assert m["cores"] >= 1 and m["cpu"] and m["platform"]
    if sys.platform.startswith("linux"):  # sysconf knows the memory there
        assert m["memory_gib"] >= 1
    else:
        assert m.get("memory_gib", 1) >= 1  # absent where the platform cannot tell
