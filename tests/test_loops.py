"""The steps of a run, a history as floats, and the backup an interrupted fit resumes from."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from labkit import files, loops


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


def _tiny(seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _StopAt:
    """A callback that 'kills' the fit after epoch ``n`` ends (the backup was written)."""

    def __new__(cls, n: int):
        import keras

        class Stop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 == n:
                    raise KeyboardInterrupt

        return Stop()


def test_an_interrupted_fit_resumes_after_its_last_whole_epoch(tmp_path):
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    folder = tmp_path / "state"
    with pytest.raises(KeyboardInterrupt):
        _tiny().fit(x, y, epochs=4, verbose=0, callbacks=[loops.Backup(str(folder)), _StopAt(2)])
    state = json.loads((folder / "training_metadata.json").read_text())
    assert state["epoch"] == 2 and [p.name for p in folder.glob("*.h5")] == [state["weights"]]
    history = _tiny().fit(x, y, epochs=4, verbose=0, callbacks=[loops.Backup(str(folder))])
    assert len(history.history["loss"]) == 2  # epochs 3 and 4 only
    assert not folder.exists()  # a finished fit removes its backup


def test_an_unreadable_backup_is_set_aside_and_the_fit_starts_over(tmp_path):
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    folder = tmp_path / "state"
    with pytest.raises(KeyboardInterrupt):
        _tiny().fit(x, y, epochs=4, verbose=0, callbacks=[loops.Backup(str(folder)), _StopAt(1)])
    (weights,) = folder.glob("*.h5")
    weights.write_bytes(weights.read_bytes()[:64])  # cut short by something outside
    with pytest.warns(files.CorruptFileWarning, match="the fit starts from its first epoch"):
        history = _tiny().fit(x, y, epochs=4, verbose=0, callbacks=[loops.Backup(str(folder))])
    assert len(history.history["loss"]) == 4
    assert (tmp_path / "state.corrupt").is_dir()


def test_keep_best_puts_back_the_best_epochs_weights_and_survives_a_resume(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    keep = loops.KeepBest(tmp_path)
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        model.layers[0].kernel.assign([[float(epoch + 1)]])
        keep.set_model(model)
        keep.on_epoch_end(epoch, {"val_loss": loss})
    keep.on_train_end()
    assert keep.best_epoch == 2 and keep.best == 1.0
    assert float(model.layers[0].kernel.numpy()[0, 0]) == 2.0
    # a new fit in the same folder (a resumed one) starts from the kept best
    model.layers[0].kernel.assign([[9.0]])
    again = loops.KeepBest(tmp_path)
    again.set_model(model)
    again.on_train_begin()
    assert again.best_epoch == 2 and again.best == 1.0
    again.on_epoch_end(3, {"val_loss": 1.5})  # worse: not kept
    again.on_train_end()
    assert float(model.layers[0].kernel.numpy()[0, 0]) == 2.0
    with pytest.raises(ValueError, match="val_loss"):
        again.on_epoch_end(4, {"loss": 1.0})
    (tmp_path / "best.json").write_text("{not json")
    third = loops.KeepBest(tmp_path)
    third.set_model(model)
    with pytest.warns(Warning, match="best"):
        third.on_train_begin()
    assert third.best_epoch == 0


def _adam_steps(optimizer: keras.optimizers.Optimizer, steps: int = 5) -> list[np.ndarray]:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=steps // 4 + 1, shuffle=False, verbose=0)
    return [w.copy() for w in model.get_weights()] + [
        np.asarray(v) for v in optimizer.variables if "iteration" in v.path
    ]


def test_fused_adam_steps_as_keras_adam_does():
    """The fused kernel is Adam as Keras writes it: after the same steps, the same weights and
    step count, with a constant rate and with a schedule; a wrong epsilon placement or bias
    correction would move them by far more than the tolerance."""
    for rate in (1e-2, keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=8)):
        expected = _adam_steps(keras.optimizers.Adam(rate))
        got = _adam_steps(loops.FusedAdam(rate))
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    # the tolerance can tell a changed epsilon (one way the update could be placed wrongly)
    moved = _adam_steps(loops.FusedAdam(1e-2, epsilon=1e-3))
    assert not np.allclose(moved[0], _adam_steps(keras.optimizers.Adam(1e-2))[0], 1e-5, 1e-6)
