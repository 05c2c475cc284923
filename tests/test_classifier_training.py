"""Training one classifier: a seeded fit, scored once on a test set, on subsets."""

from __future__ import annotations

from labkit import PACKAGE_DIR, stores
from labkit.classifiers import training

SMALL = {"depth": 1, "width": 16, "dropout": 0.0, "optimizer": "adam", "learning_rate": 1e-2}


def test_train_and_test_scores_once_on_the_test_set(toy):
    from conftest import toy_images

    test = toy_images(200, seed=9)
    result = training.train_and_test("mlp", SMALL, toy, test, seed=0, epochs=3)
    assert result["train_images"] == len(toy[1]) and result["epochs"] == 3
    assert result["test_accuracy"] > 0.9 and result["test_loss"] > 0  # the toy task is easy
    small = training.train_and_test(
        "mlp", SMALL, toy, test, seed=0, epochs=1, subset=100, test_subset=80
    )
    assert small["train_images"] == 100 and small["test_images"] == 80
    assert result["test_images"] == 200


def test_fit_sets_the_batch_norm_momentum_for_short_runs(toy):
    x, y = toy
    options = {**SMALL, "batch_norm": True}
    model, _ = training.fit("mlp", options, x, y, seed=0, epochs=1, eager=True)
    moms = [la.momentum for la in model.layers if "batch_normalization" in la.name]
    assert moms == [0.99]  # Keras' default
    model, _ = training.fit("mlp", options, x, y, seed=0, epochs=1, eager=True, bn_momentum=0.9)
    assert [la.momentum for la in model.layers if "batch_normalization" in la.name] == [0.9]


def test_fit_for_a_number_of_steps(toy):
    x, y = toy
    model, history = training.fit("mlp", SMALL, x, y, seed=0, steps=7, eager=True,
                                  validation=(x[:20], y[:20]))  # fmt: skip
    assert int(model.optimizer.iterations) == 7 and len(history["val_accuracy"]) == 1
    import pytest

    with pytest.raises(ValueError, match="either 'epochs' or 'steps'"):
        training.fit("mlp", SMALL, x, y, seed=0, epochs=1, steps=3)
    with pytest.raises(ValueError, match="either 'epochs' or 'steps'"):
        training.fit("mlp", SMALL, x, y, seed=0)


def test_a_stored_final_model_is_read_back_not_trained_again(toy, tmp_path, monkeypatch):
    from conftest import toy_images

    test = toy_images(100, seed=9)
    path = tmp_path / "finals.jsonl"
    first = training.train_and_test("mlp", SMALL, toy, test, seed=0, epochs=1, store_path=path)
    monkeypatch.setattr(training, "fit_and_score", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("trained again")))  # fmt: skip
    assert training.train_and_test("mlp", SMALL, toy, test, seed=0, epochs=1,
                                   store_path=path) == first  # fmt: skip
    monkeypatch.setitem(stores.FINAL_MODELS._code, PACKAGE_DIR, "other code")
    import pytest

    with pytest.raises(AssertionError, match="trained again"):
        training.train_and_test("mlp", SMALL, toy, test, seed=0, epochs=1, store_path=path)
