"""keras-tuner search: the space, narrowing, tables, and resuming an interrupted search."""

from __future__ import annotations

import keras
import pytest

from labkit import PACKAGE_DIR, stores
from labkit import data as labdata
from labkit.classifiers import tuning

TINY = tuning.Space(
    batch_norm=(False,),
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
    best = {
        "depth": 2,
        "width": 256,
        "dropout": 0.05,
        "batch_norm": False,
        "activation": "tanh",
        "learning_rate": 3e-3,
    }
    fine = tuning.Space().narrow(best)
    assert fine.depth == (2, 2) and fine.activations == ("tanh",) and fine.batch_norm == (False,)
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


def test_a_trial_that_ended_just_before_a_kill_is_not_trained_again(data, tmp_path):
    """keras-tuner saves the oracle before it takes an ended trial off its running list, and
    its reload retrains every trial on that list: a kill between the two (it failed a
    distributed chief in CI) must not retrain the finished trial."""
    import json

    def run(stop_at=None) -> int:
        cb = _trainings(stop_at)
        tuning.search(TINY, data, directory=tmp_path, name="k", trials=3, epochs=1, callbacks=[cb])
        return len(_Trainings.log)

    with pytest.raises(KeyboardInterrupt):
        run(stop_at=2)  # trial 1 finished, trial 2 cut
    (oracle_file,) = tmp_path.rglob("oracle.json")
    state = json.loads(oracle_file.read_text())
    trials = [json.loads(f.read_text()) for f in tmp_path.rglob("trial.json")]
    finished = [t["trial_id"] for t in trials if t["status"] == "COMPLETED"]
    assert len(finished) == 1 and finished[0] not in state["ongoing_trials"].values()
    state["ongoing_trials"]["tuner0-before-the-kill"] = finished[0]  # as keras-tuner leaves it
    oracle_file.write_text(json.dumps(state))
    assert run() == 2  # the cut trial and trial 3; the finished one is not retrained


def test_trials_made_by_other_code_are_not_read_back(data, tmp_path, monkeypatch):
    def trainings() -> int:
        cb = _trainings()
        tuning.search(TINY, data, directory=tmp_path, name="k", trials=1, epochs=1, callbacks=[cb])
        return len(_Trainings.log)

    assert trainings() == 1
    assert trainings() == 0  # the same code: read back
    # e.g. an edit to a space's build
    monkeypatch.setitem(stores.TUNER_PROJECTS._code, PACKAGE_DIR, "edited")
    assert trainings() == 1


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
    assert set(top) == {"depth", "width", "dropout", "batch_norm", "activation", "learning_rate"}
    fine = frame[frame["stage"] == "fine"]
    assert fine["depth"].eq(coarse_best["depth"]).all()


def test_first_trial_is_the_hand_set_point(data, tmp_path):
    first = {"depth": 1, "width": 16, "dropout": 0.1, "activation": "tanh", "learning_rate": 1e-2}
    result = tuning.coarse_to_fine(
        data,
        directory=tmp_path,
        name="f",
        coarse_trials=2,
        fine_trials=1,
        epochs=1,
        space=TINY,
        first=first,
    )
    trials = sorted(result.coarse.oracle.trials.values(), key=lambda t: int(t.trial_id))
    assert {k: trials[0].hyperparameters.values[k] for k in first} == first
    assert trials[1].hyperparameters.values != trials[0].hyperparameters.values
    assert result.first_score() == trials[0].score
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        tuning.search(
            TINY, data, directory=tmp_path, name="u", trials=1, epochs=1, first={"depth2": 1}
        )


def test_cnn_space_builds_what_it_samples_and_narrows():
    space = tuning.CNNSpace()
    values = {
        "filters": 8,
        "convs": 2,
        "dense": 64,
        "conv_dropout": 0.2,
        "dropout": 0.3,
        "batch_norm": True,
        "learning_rate": 1e-3,
    }
    options = tuning.model_options(space, values)
    assert options["filters"] == ((8, 8), (16, 16)) and options["padding"] == "same"
    model = space.build(_hp(values), steps=10)
    assert [c.filters for c in model.layers if isinstance(c, keras.layers.Conv2D)] == [8, 8, 16, 16]
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    norms = [x for x in model.layers if isinstance(x, keras.layers.BatchNormalization)]
    assert len(norms) == 5 and {x.momentum for x in norms} == {0.9}  # short trials, see code
    fine = space.narrow(values)
    assert fine.filters == (8,) and fine.convs == (2,) and fine.batch_norm == (True,)
    assert fine.dense == (32, 128) and fine.dropout == (pytest.approx(0.2), pytest.approx(0.4))


def _hp(values):
    import keras_tuner as kt

    hp = kt.HyperParameters()
    hp.values.update(values)
    return hp


def test_searches_on_different_datasets_sample_different_points():
    assert tuning.oracle_seed(0, "mnist-cnn-fine") != tuning.oracle_seed(
        0, "fashion_mnist-cnn-fine"
    )
    assert tuning.oracle_seed(0, "mnist-mlp-coarse") == tuning.oracle_seed(0, "mnist-mlp-coarse")
    assert tuning.oracle_seed(1, "x") == tuning.oracle_seed(0, "x") + 1


def test_a_space_at_a_precision_carries_it_and_the_bn_momentum_to_the_model():
    space = tuning.space("cnn", "float32")
    options = tuning.model_options(space, tuning.HAND_SET["cnn"])
    assert options["precision"] == "float32" and options["bn_momentum"] == space.bn_momentum
    with pytest.raises(ValueError, match="unknown model"):
        tuning.space("rnn")
