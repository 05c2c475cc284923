"""keras-tuner search: the space, narrowing, tables, and resuming an interrupted search."""

from __future__ import annotations

import keras
import pytest

from labkit import data as labdata
from labkit import tuning

TINY = tuning.Space(
    depth=(1, 2),
    width=(8, 32),
    dropout=(0.0, 0.2),
    activations=("relu", "tanh"),
    learning_rate=(1e-3, 3e-2),
)


class _Trainings(keras.callbacks.Callback):
    """Counts trainings (one per trial) and can raise KeyboardInterrupt, as Ctrl-C would, in the
    first batch of training number ``stop_at``. keras-tuner deep-copies callbacks for every
    trial, so the count lives in a list shared through the class, not on the instance."""

    log: list[int] = []
    stop_at: int | None = None

    def on_train_begin(self, logs=None):
        self.log.append(1)

    def on_train_batch_begin(self, batch, logs=None):
        if len(self.log) == self.stop_at:
            raise KeyboardInterrupt


def _trainings(stop_at=None):
    _Trainings.log = []
    _Trainings.stop_at = stop_at
    return _Trainings()


@pytest.fixture
def data(toy):
    return labdata.split(*toy, val=0.15, stratify=True, seed=0)


def test_narrow_centres_on_the_best_trial():
    best = {"depth": 2, "width": 256, "dropout": 0.05, "activation": "tanh", "learning_rate": 3e-3}
    fine = tuning.Space().narrow(best)
    assert fine.depth == (2, 2) and fine.activations == ("tanh",)
    assert fine.width == (128, 512)
    assert fine.dropout == (0.0, pytest.approx(0.15))
    assert fine.learning_rate == (pytest.approx(1e-3), pytest.approx(9e-3))


def test_space_rejects_empty_ranges():
    with pytest.raises(ValueError, match="'width'"):
        tuning.Space(width=(64, 32))
    with pytest.raises(ValueError, match="'learning_rate'"):
        tuning.Space(learning_rate=(0.0, 1.0))


def test_search_samples_the_space_and_tabulates(data, tmp_path):
    tuner = tuning.search(TINY, data, directory=tmp_path, name="t", trials=3, epochs=1)
    frame = tuning.table(tuner)
    assert len(frame) == 3
    assert frame["val_accuracy"].is_monotonic_decreasing
    assert frame["depth"].between(1, 2).all() and frame["width"].between(8, 32).all()
    assert frame["learning_rate"].between(1e-3, 3e-2).all()
    assert set(frame["activation"]) <= {"relu", "tanh"}
    assert tuning.best(tuner)["width"] == frame.loc[0, "width"]


def test_interrupted_search_resumes_without_redoing_finished_trials(data, tmp_path):
    def run(trials=3, epochs=1, stop_at=None) -> int:
        cb = _trainings(stop_at)
        tuner = tuning.search(
            TINY, data, directory=tmp_path, name="r", trials=trials, epochs=epochs, callbacks=[cb]
        )
        assert len(tuning.table(tuner)) == trials
        return len(_Trainings.log)

    with pytest.raises(KeyboardInterrupt):
        run(stop_at=2)
    assert len(_Trainings.log) == 2  # trial 1 finished, trial 2 was cut in its first batch
    assert run() == 2  # the cut trial again, and trial 3; trial 1 was not redone
    assert run() == 0  # a finished search only reloads
    assert run(trials=1, epochs=2) == 1  # a different setting is a new project, not a resumed one


def test_coarse_to_fine_narrows_and_keeps_the_best_of_both(data, tmp_path):
    result = tuning.coarse_to_fine(
        data, directory=tmp_path, name="c", coarse_trials=3, fine_trials=2, epochs=1, space=TINY
    )
    coarse_best = tuning.best(result.coarse)
    assert result.fine_space.depth == (coarse_best["depth"],) * 2
    assert result.fine_space.activations == (coarse_best["activation"],)
    frame = result.table()
    assert list(frame["stage"].value_counts().sort_index()) == [3, 2]
    top = result.best()
    chosen = frame[frame["learning_rate"] == top["learning_rate"]]
    assert chosen["val_accuracy"].iloc[0] == frame["val_accuracy"].max()  # ties may pick either
    assert isinstance(top["width"], int) and isinstance(top["depth"], int)  # Keras needs ints
    assert set(top) == {"depth", "width", "dropout", "activation", "learning_rate"}
    fine = frame[frame["stage"] == "fine"]
    assert fine["depth"].eq(coarse_best["depth"]).all()
