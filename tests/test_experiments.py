"""Experiment runner: the split, the tidy table, the store that makes reruns resumable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labkit import PACKAGE_DIR, run_record, stores
from labkit import data as labdata
from labkit.classifiers import experiments, training


def fit_split(x, y, seed: int = 0) -> labdata.Split:
    """Chapter 01's split: 85 % fit, 15 % validation, stratified."""
    return labdata.split(x, y, val=0.15, stratify=True, seed=seed)


SMALL = {"depth": 1, "width": 16, "dropout": 0.0, "optimizer": "adam", "learning_rate": 1e-2}


def test_vary_changes_one_thing_per_label():
    configs = experiments.vary({"a": 1, "b": 2}, one={"a": 10}, two={"b": 20, "c": 3})
    assert configs == {"one": {"a": 10, "b": 2}, "two": {"a": 1, "b": 20, "c": 3}}


def test_run_gives_one_row_per_config_and_seed_and_learns(toy):
    data = fit_split(*toy, seed=0)
    configs = experiments.vary(SMALL, adam={}, sgd={"optimizer": "sgd", "learning_rate": 1e-4})
    frame = experiments.run(configs, data, kind="mlp", seeds=[0, 1], epochs=3, eager=True)
    assert list(frame.columns) == [*experiments.COLUMNS, "curve"]
    assert len(frame) == 4
    curve = frame.loc[0, "curve"]  # a point per epoch: images seen, losses, accuracies, seconds
    assert curve["images"] == [len(data.y_train) * (i + 1) for i in range(3)]
    assert (
        len(curve["val_accuracy"]) == 3
        and curve["val_accuracy"][-1] == frame.loc[0, "val_accuracy"]
    )
    assert curve["seconds"] == sorted(curve["seconds"])
    assert list(frame["config"].cat.categories) == ["adam", "sgd"]
    assert frame["epochs"].eq(3).all() and frame["seconds"].gt(0).all()
    assert frame["params"].eq(784 * 16 + 16 + 16 * 10 + 10).all()
    means = frame.groupby("config", observed=True)["val_accuracy"].mean()
    assert means["adam"] > 0.9 > means["sgd"]  # the toy task is easy; SGD at 1e-4 barely moves
    again = experiments.run(configs, data, kind="mlp", seeds=[0, 1], epochs=3, eager=True)
    pd.testing.assert_series_equal(frame["val_accuracy"], again["val_accuracy"])


def test_store_resumes_without_training_finished_runs(toy, tmp_path, monkeypatch):
    data = fit_split(*toy, seed=0)
    store = tmp_path / "exp.jsonl"
    configs = experiments.vary(SMALL, a={}, b={"width": 8})
    first = experiments.run(
        {"a": configs["a"]}, data, kind="mlp", seeds=[0], epochs=1, store=store, eager=True
    )
    with store.open("a") as f:
        f.write('{"config": "b", "seed": 0, "val_acc')  # a line cut short by an interruption
    calls = []
    real_fit = training.fit

    def counting_fit(kind, options, *args, **kwargs):
        calls.append(options["width"])
        return real_fit(kind, options, *args, **kwargs)

    monkeypatch.setattr(training, "fit", counting_fit)
    both = experiments.run(configs, data, kind="mlp", seeds=[0], epochs=1, store=store, eager=True)
    assert calls == [8]  # "a" came from the store, only "b" was trained
    assert both.loc[0, "val_accuracy"] == first.loc[0, "val_accuracy"]
    lines = store.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["config"] == "b"  # the cut line stays apart
    # a changed setting (epochs) is a different run, never a stored one
    experiments.run(
        {"a": configs["a"]}, data, kind="mlp", seeds=[0], epochs=2, store=store, eager=True
    )
    assert calls == [8, 16]
    # other code (an edit to fit or a model builder: another code digest) trains again
    monkeypatch.setitem(stores.EXPERIMENT_RUNS._code, PACKAGE_DIR, "edited")
    experiments.run(
        {"a": configs["a"]}, data, kind="mlp", seeds=[0], epochs=2, store=store, eager=True
    )
    assert calls == [8, 16, 16]


def test_summarize_means_sds_and_ranks():
    frame = pd.DataFrame(
        {
            "config": pd.Categorical(["x", "x", "y", "y"], categories=["x", "y"], ordered=True),
            "seed": [0, 1, 0, 1],
            "val_accuracy": [0.90, 0.92, 0.95, 0.97],
            "val_loss": [0.3] * 4,
            "train_accuracy": [0.9] * 4,
            "epochs": [1] * 4,
            "seconds": [1.0, 3.0, 2.0, 2.0],
            "params": [10, 10, 20, 20],
        }
    )
    s = experiments.summarize(frame)
    assert list(s.index) == ["x", "y"]
    assert s.loc["x", "val_accuracy"] == pytest.approx(0.91)
    assert s.loc["x", "sd"] == pytest.approx(np.std([0.90, 0.92], ddof=1))
    assert list(s["rank"]) == [2, 1] and list(s["runs"]) == [2, 2]
    assert s.loc["x", "seconds"] == pytest.approx(2.0)


def test_sweep_covers_datasets_and_models_and_compares(tmp_path):
    from conftest import toy_images

    splits = {
        "a": fit_split(*toy_images(120, seed=1), seed=0),
        "b": fit_split(*toy_images(120, seed=2), seed=0),
    }
    cnn = {"filters": 4, "levels": 1, "learning_rate": 1e-2}
    bases = {(d, k): base for d in splits for k, base in (("mlp", SMALL), ("cnn", cnn))}
    choices = {"relu": {}, "tanh": {"activation": "tanh"}}
    frame = experiments.sweep(
        choices, bases, splits, seeds=[0, 1], epochs=1, store_dir=tmp_path, name="act", eager=True
    )
    assert list(frame.columns[:2]) == ["dataset", "model"]
    assert len(frame) == 2 * 2 * 2 * 2
    stores = ["a-cnn.jsonl", "a-mlp.jsonl", "b-cnn.jsonl", "b-mlp.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == stores  # one per dataset and model
    lines = {name: len((tmp_path / name).read_text().splitlines()) for name in stores}
    again = experiments.sweep(  # another experiment that runs the base model: read back
        {"base": {}}, bases, splits, seeds=[0, 1], epochs=1, store_dir=tmp_path, name="other",
        eager=True,
    )  # fmt: skip
    assert {name: len((tmp_path / name).read_text().splitlines()) for name in stores} == lines
    relu = frame[frame["config"] == "relu"].reset_index(drop=True)
    pd.testing.assert_series_equal(again["val_accuracy"], relu["val_accuracy"])
    wide = experiments.wide_table(frame, labels={"b": "Set B"})
    assert list(wide.index) == ["relu", "tanh"]
    assert list(wide.columns) == [("a", "mlp"), ("a", "cnn"), ("Set B", "mlp"), ("Set B", "cnn")]
    mean = frame.query("dataset == 'a' and model == 'mlp' and config == 'tanh'")["val_accuracy"]
    assert wide.loc["tanh", ("a", "mlp")] == f"{mean.mean():.3f} ± {mean.std():.3f}"
    ranks = experiments.summarize(frame, by=("dataset", "model"))["rank"]
    assert sorted(ranks.groupby(level=["dataset", "model"]).min().unique()) == [1]

    with pytest.raises(KeyError, match="no split"):
        experiments.sweep(choices, {("c", "mlp"): SMALL}, splits, seeds=[0], epochs=1)

    import matplotlib

    matplotlib.use("Agg")
    fig = experiments.plot_curves(frame, title="activations", labels={"a": "Set A"})
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 4 and panels[0].get_title() == "Set A · MLP"
    assert panels[3].get_title() == "b · CNN"


def test_records_keep_the_index_and_metrics_write_nan_as_null():
    frame = pd.DataFrame(
        {"config": ["x"], "seed": [0], "val_accuracy": [0.5], "seconds": [1.0], "params": [3]}
    )
    (row,) = run_record.plain(experiments.records(experiments.summarize(frame)))
    assert row["config"] == "x" and row["val_accuracy"] == 0.5
    assert row["sd"] is None  # one run: no spread


def test_sweep_choices_may_depend_on_the_model(toy):
    split = fit_split(*toy, seed=0)
    calls = []

    def own_rate(dataset, kind):
        calls.append((dataset, kind))
        return {"learning_rate": 1e-2 if kind == "mlp" else 1e-3}

    bases = {("a", "mlp"): SMALL, ("a", "cnn"): {"filters": 4, "levels": 1, "dense": 0}}
    frame = experiments.sweep(
        {"own": own_rate, "fixed": {"learning_rate": 1e-3}},
        bases,
        {"a": split},
        seeds=[0],
        epochs=1,
        eager=True,
    )
    assert calls == [("a", "mlp"), ("a", "cnn")]
    assert list(frame["config"]) == ["own", "fixed", "own", "fixed"]
    mlp = frame[frame["model"] == "mlp"].set_index("config")["val_loss"]
    assert mlp["own"] != mlp["fixed"]  # the model's own rate was used, not the fixed one


def test_runs_in_steps_state_their_budget_and_share_keys_for_the_same_model(toy, tmp_path):
    data = fit_split(*toy, seed=0)
    store = tmp_path / "exp.jsonl"
    configs = {"base": SMALL, "relu (same model)": {**SMALL, "activation": "relu"}}
    frame = experiments.run(configs, data, kind="mlp", seeds=[0, 1], steps=5, store=store,
                            eager=True)  # fmt: skip
    assert frame["steps"].eq(5).all() and frame["images"].eq(len(data.y_train)).all()
    assert len(store.read_text().splitlines()) == 2  # the second label reused both runs
    text = experiments.budget(frame.assign(model="mlp"))
    assert "MLP: 5 steps at batch 128" in text and "2 seeds per configuration" in text


def test_runs_in_steps_have_a_curve_and_keep_weights_for_one_test_scoring(toy, tmp_path):
    data = fit_split(*toy, seed=0)
    where = {"store": tmp_path / "s.jsonl", "weights": tmp_path / "w"}
    frame = experiments.run({"a": SMALL}, data, kind="mlp", seeds=[0], steps=6, points=3,
                            eager=True, **where)  # fmt: skip
    curve = frame.loc[0, "curve"]
    assert curve["images"] == [2 * 128, 4 * 128, 6 * 128] and len(curve["val_loss"]) == 3
    (weights,) = (tmp_path / "w").iterdir()
    assert weights.name.endswith(".weights.h5")
    x_test, y_test = data.x_val, data.y_val
    scores = experiments.test_scores({"a": SMALL}, data, (x_test, y_test), kind="mlp", seeds=[0],
                                     steps=6, points=3, weights=tmp_path / "w")  # fmt: skip
    assert scores.loc[0, "test_accuracy"] == pytest.approx(frame.loc[0, "val_accuracy"], abs=1e-6)
    with pytest.raises(FileNotFoundError, match="no trained weights"):
        experiments.test_scores({"a": SMALL}, data, (x_test, y_test), kind="mlp", seeds=[1],
                                steps=6, points=3, weights=tmp_path / "w")  # fmt: skip
    weights.unlink()  # a stored run whose weights are gone trains again
    again = experiments.run({"a": SMALL}, data, kind="mlp", seeds=[0], steps=6, points=3,
                            eager=True, **where)  # fmt: skip
    assert len(list((tmp_path / "w").iterdir())) == 1
    assert again.loc[0, "val_accuracy"] == pytest.approx(frame.loc[0, "val_accuracy"])
    with pytest.raises(ValueError, match="divide"):
        experiments.run({"a": SMALL}, data, kind="mlp", seeds=[0], steps=5, points=3, eager=True)


def test_budget_settings_per_kind_and_sweep_leaves_out_a_none_choice(toy):
    got = experiments.budget_settings({"mlp": {"epochs": 2}, "cnn": {"steps": 8, "points": 4}})
    assert got == {"epochs": {"mlp": 2, "cnn": None}, "steps": {"mlp": None, "cnn": 8},
                   "points": {"mlp": 1, "cnn": 4}}  # fmt: skip
    with pytest.raises(ValueError, match="needs 'epochs' or 'steps'"):
        experiments.budget_settings({"mlp": {"epochs": 2, "steps": 3}})
    split = fit_split(*toy, seed=0)
    frame = experiments.sweep(
        {"kept": {}, "dropped": lambda d, k: None}, {("a", "mlp"): SMALL}, {"a": split},
        seeds=[0], epochs=1, eager=True,
    )  # fmt: skip
    assert list(frame["config"].astype(str)) == ["kept"]
    cell = experiments.wide_table(frame, threshold={"a": 0.0}).iloc[0, 0]
    assert cell.endswith(" s") and " · 1.0 p, " in cell  # reached at the first point
    assert experiments.wide_table(frame, threshold={"a": 1.01}).iloc[0, 0].endswith(" · never")
    import matplotlib

    matplotlib.use("Agg")
    fig = experiments.plot_curves(frame, title="t")
    assert fig.axes[0].get_xlabel() == "passes over the fitted images"


def test_beside_flags_differences_beyond_the_spread():
    frame = pd.DataFrame(
        {
            "dataset": ["d"] * 4, "model": ["mlp"] * 4, "config": ["a", "a", "b", "b"],
            "seed": [0, 1, 0, 1], "val_accuracy": [0.90, 0.92, 0.50, 0.50], "seconds": 1.0,
            "params": 10,
        }
    )  # fmt: skip
    table = experiments.beside(frame, {("a", "d", "mlp"): 0.91, ("b", "d", "mlp"): 0.6})
    assert not table.loc[("a", "d", "MLP"), "beyond spread"]
    assert table.loc[("b", "d", "MLP"), "beyond spread"]
    assert table.loc[("b", "d", "MLP"), "ours - report"] == pytest.approx(-0.1)


def test_wide_table_shows_a_spread_only_where_there_are_seeds():
    rows = [
        {"dataset": "a", "model": kind, "config": "base", "seed": s, "val_accuracy": acc,
         "val_loss": 0.1, "train_accuracy": acc, "best_val_accuracy": acc, "epochs": 1,
         "steps": 10, "images": 100, "seconds": 1.0, "params": 10}
        for kind, accs in (("mlp", (0.97, 0.98, 0.99)), ("cnn", (0.99,)))
        for s, acc in enumerate(accs)
    ]  # fmt: skip
    wide = experiments.wide_table(pd.DataFrame(rows))
    assert wide.loc["base", ("a", "mlp")] == "0.980 ± 0.010"
    assert wide.loc["base", ("a", "cnn")] == "0.990"  # one run: no "± nan"
