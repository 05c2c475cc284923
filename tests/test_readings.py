"""Chapter 01's sentences follow their tables."""

from __future__ import annotations

import pandas as pd

from labkit.classifiers import readings
from labkit.classifiers import verdicts as v


def test_differences_counts_cells_beyond_the_spread():
    table = pd.DataFrame(
        {"ours - report": [-0.05, 0.001, 0.02], "beyond spread": [True, False, True]}
    )
    said = readings.differences(table, "Table 1")
    assert "2 of 3 cells" in said and "1 lower, 1 higher" in said and "0.050" in said


def test_leaving_chance_per_seed():
    rows = [
        {"dataset": "mnist", "model": "cnn", "config": "sigmoid", "seed": s, "images": 100,
         "curve": {"images": [100, 200, 300], "val_accuracy": acc}}
        for s, acc in ((0, [0.1, 0.1, 0.9]), (1, [0.1, 0.1, 0.1]))
    ]  # fmt: skip
    said = readings.leaving_chance(pd.DataFrame(rows), "sigmoid")
    assert "seed 0: 3.0" in said and "seed 1: never" in said


def test_rank_overlaps_names_the_tied_neighbours():
    summary = pd.DataFrame(
        {"val_accuracy": [0.99, 0.9895, 0.95], "sd": [0.001, 0.001, 0.001], "runs": [2, 2, 2]},
        index=["a", "b", "c"],
    )
    said = readings.rank_overlaps(summary, 9000)
    assert "1 of 2 neighbouring pairs" in said and "a / b" in said


def test_carried_rates_and_search_margins_and_targets():
    carried = pd.DataFrame(
        {"carried": ["1e-3", "1e-4"], "default": ["1e-3", "1e-3"],
         "reason": ["tie: '1e-4' leads by +0.001", "leads '1e-3' by +0.01"]},
        index=pd.MultiIndex.from_tuples([("mnist", "mlp"), ("mnist", "cnn")]),
    )  # fmt: skip
    said = readings.carried_rates(carried, {"mnist": "MNIST"})
    assert "MNIST CNN takes 1e-4" in said and "1 keeps the default on a tie (MNIST MLP)" in said
    margins = pd.DataFrame(
        {"verdict": [v.CONFIRMED, v.UNDECIDED]},
        index=pd.MultiIndex.from_tuples([("mnist", "mlp"), ("mnist", "cnn")]),
    )
    said = readings.search_margins(margins, {"mnist": "MNIST"})
    assert "1 of 2 searches (MNIST MLP)" in said and "MNIST CNN: not decided" in said
    table = pd.DataFrame(
        {"selected mean": [0.991, 0.995], "target": [0.99, 0.996], "binomial se": [0.001, 0.001],
         "met": [True, False], "seeds": [3, 3]},
        index=pd.MultiIndex.from_tuples([("MNIST", "MLP"), ("MNIST", "CNN")]),
    )  # fmt: skip
    said = readings.targets(table)
    assert "mean of 3 seeds" in said and "met by MNIST MLP" in said and "1.0 binomial se" in said
