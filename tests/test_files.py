"""Files written whole or not at all, and unreadable ones set aside and recomputed."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from labkit import files, store
from labkit.cache import Store
from labkit.classifiers import permutation


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "record.json"
    files.write_text(target, '{"v": 1}\n')
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text('{"v": 2, "cut')  # half written, then the writer dies
        raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_the_temporary_keeps_the_suffixes_writers_check(tmp_path):
    seen = []
    with files.atomic_path(tmp_path / "vae-seed0-abc.weights.h5") as tmp:
        seen.append(tmp.name)
        tmp.write_bytes(b"x")
    with files.atomic_path(tmp_path / "kernels.npz") as tmp:
        np.savez(tmp, a=np.arange(3))  # np.savez would add .npz to a name without it
        seen.append(tmp.name)
    assert seen[0].endswith(".weights.h5") and seen[1].endswith(".npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernels.npz", "vae-seed0-abc.weights.h5"]


def test_a_writer_that_wrote_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with files.atomic_path(tmp_path / "x.json"):
            pass
    assert not (tmp_path / "x.json").exists()


def test_set_aside_numbers_and_names_the_file(tmp_path):
    for _ in range(2):
        (tmp_path / "trial.json").write_text("{")
        with pytest.warns(files.CorruptFileWarning, match="trial.json could not be read"):
            files.set_aside(tmp_path / "trial.json", "not JSON")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["trial.json.corrupt", "trial.json.corrupt-2"]


def test_a_truncated_kernel_file_is_set_aside_and_read_as_absent(tmp_path):
    path = tmp_path / "kernels.npz"
    np.savez(path, original=np.ones((4, 3)))
    assert set(files.read_or_set_aside(path, permutation.load_kernels)) == {"original"}
    path.write_bytes(path.read_bytes()[:50])  # cut short
    with pytest.warns(files.CorruptFileWarning, match="kernels.npz could not be read"):
        assert files.read_or_set_aside(path, permutation.load_kernels) is None
    assert not path.exists() and (tmp_path / "kernels.npz.corrupt").exists()


def test_a_truncated_weights_file_is_set_aside_and_the_vae_trained_again(tmp_path):
    import keras

    from labkit.vae import runs

    def build(seed):
        keras.utils.set_random_seed(seed)
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

    fits = Store("test-fits", "labkit.vae.runs:train_seeds", libraries=False)
    trained = []

    def fit(model, **settings):
        trained.append(1)
        return {"loss": [1.0]}

    sample = np.zeros((1, 3), "float32")
    kwargs = dict(name="toy", store_dir=tmp_path, sample=sample, fits=fits, data="d")
    runs.train_seeds(build, fit, [0], **kwargs)
    runs.train_seeds(build, fit, [0], **kwargs)
    assert len(trained) == 1  # read back
    (weights,) = tmp_path.glob("*.weights.h5")
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.warns(files.CorruptFileWarning, match="weights file unreadable"):
        again = runs.train_seeds(build, fit, [0], **kwargs)
    assert len(trained) == 2 and not again[0].loaded
    assert weights.exists() and weights.with_name(weights.name + ".corrupt").exists()


def test_a_row_holding_only_its_key_is_skipped_not_read_as_nan(tmp_path):
    rows = Store("test-rows", "labkit.store:key", libraries=False)
    path = tmp_path / "runs.jsonl"
    rows.write(path, "a", {"accuracy": 0.9, "seconds": 1.0})
    store.append_row(path, {"key": "b"})  # a row that holds nothing
    with pytest.warns(files.CorruptFileWarning, match=r"runs.jsonl: line\(s\) 2 \(no versions\)"):
        kept = rows.rows(path)
    assert set(kept) == {"a"}


def test_whole_files_read_without_a_warning(tmp_path):
    rows = Store("test-rows", "labkit.store:key", libraries=False)
    rows.write(tmp_path / "runs.jsonl", "a", {"seconds": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(rows.rows(tmp_path / "runs.jsonl")) == {"a"}


def test_a_truncated_tuner_file_sets_the_project_aside_naming_it(tmp_path):
    from labkit.classifiers import tuning

    project = tmp_path / "mnist-mlp-coarse-abc"
    (project / "trial_0").mkdir(parents=True)
    (project / "oracle.json").write_text('{"ongoing_trials": {}}')
    (project / "trial_0" / "trial.json").write_text('{"trial_id": "0", "hyperpar')  # cut short
    with pytest.warns(files.CorruptFileWarning, match="trial_0/trial.json is not whole JSON"):
        assert not tuning.check_project(project)
    assert not project.exists() and (tmp_path / "mnist-mlp-coarse-abc.corrupt").is_dir()
    assert tuning.check_project(project)  # absent: a new search starts there


def test_keras_tuners_files_are_written_whole(tmp_path, monkeypatch):
    """The oracle writes its state and each trial through labkit.files, not in place."""
    import keras_tuner as kt

    from labkit.classifiers import tuning

    written = []
    real = files.write_text
    monkeypatch.setattr(
        files, "write_text", lambda p, t: written.append(Path(p).name) or real(p, t)
    )
    oracle = tuning._FirstPointOracle(
        objective=kt.Objective("val_accuracy", "max"), max_trials=1, seed=0
    )
    oracle.hyperparameters.Float("x", 0, 1)
    oracle._set_project_dir(str(tmp_path), "p")
    trial = oracle.create_trial("tuner0")
    assert {"trial.json", "oracle.json"} <= set(written)
    json.loads((tmp_path / "p" / f"trial_{trial.trial_id}" / "trial.json").read_text())
