"""The recipe ablation: architectures and recipes kept apart, cells stored, scored once."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from labkit import data as labdata
from labkit.classifiers import outcome, recipes

SMALL = {"depth": 1, "width": 16, "dropout": 0.0, "optimizer": "adam", "learning_rate": 1e-2}


def test_a_recipe_holds_only_recipe_options():
    final = recipes.Recipe("final", 2, {"optimizer": "adamw", "schedule": "one_cycle",
                                        "learning_rate": 3e-3})  # fmt: skip
    assert recipes.architecture(SMALL) == {"depth": 1, "width": 16, "dropout": 0.0}
    assert recipes.cell(SMALL, final) == {"depth": 1, "width": 16, "dropout": 0.0,
                                          **final.options}  # fmt: skip
    with pytest.raises(ValueError, match="not recipe options"):
        recipes.Recipe("bad", 2, {"width": 3})
    with pytest.raises(ValueError, match="epochs"):
        recipes.Recipe("bad", 0)


def test_ablation_trains_each_cell_and_scores_it_once(toy, tmp_path):
    split = labdata.split(*toy, val=0.15, stratify=True, seed=0)
    arches = {"base": SMALL, "selected": {**SMALL, "width": 32}}
    sets = {
        "base": recipes.Recipe("base", 1, {"optimizer": "rmsprop", "learning_rate": 1e-3}),
        "final": recipes.Recipe("final", 2, {"optimizer": "adam", "learning_rate": 1e-2}),
    }
    cells = {("base", "base"): [0, 1], ("selected", "final"): [0]}
    where = {"store": tmp_path / "runs.jsonl", "weights": tmp_path / "w"}
    frame = recipes.ablation(arches, sets, cells, split, kind="mlp", eager=True, **where)
    assert list(frame["config"]) == [recipes.label("base", "base")] * 2 + [
        recipes.label("selected", "final")
    ]
    assert list(frame["epochs"]) == [1, 1, 2]
    text = recipes.budget(frame.assign(dataset="toy", model="mlp"))
    assert "base recipe 1 epochs, final recipe 2 epochs" in text and "1-2 seeds per cell" in text
    scores = recipes.test_scores(arches, sets, cells, split, (split.x_val, split.y_val),
                                 kind="mlp", weights=where["weights"])  # fmt: skip
    assert scores["test_accuracy"].tolist() == pytest.approx(
        frame["val_accuracy"].tolist(), abs=1e-6
    )


def test_outcome_check_fails_on_absurd_results():
    finals = pd.DataFrame([{"dataset": "mnist", "model": "mlp", "version": "selected", "seed": 0,
                            "test_accuracy": 0.05}])  # fmt: skip
    with pytest.raises(ValueError, match="below the profile's sanity floor"):
        outcome.check({}, finals, 0.1)
    base = pd.DataFrame([{"dataset": "mnist", "model": "mlp", "seed": 0,
                          "curve": {"loss": [1.0, math.nan]}}])  # fmt: skip
    with pytest.raises(ValueError, match="NaN loss"):
        outcome.check({"base": base}, finals.assign(test_accuracy=0.9), 0.1)
