"""Chapter 01's tables in words: the sigmoid check's verdict follows its runs."""

from __future__ import annotations

import pandas as pd

from labkit.classifiers import readings


def _runs(short_acc: dict[str, float], long_acc: float) -> pd.DataFrame:
    rows = [
        {
            "config": f"{arith}, sigmoid, chosen rate, 100 steps",
            "steps": 100,
            "best_val_accuracy": a,
        }
        for arith, a in short_acc.items()
    ]
    rows += [
        {"config": "bfloat16, sigmoid, RMSprop 0.001, 400 steps", "steps": 400,
         "best_val_accuracy": long_acc},
        {"config": "bfloat16, relu, chosen rate, 100 steps", "steps": 100,
         "best_val_accuracy": 0.95},
        {"config": "float32, relu, chosen rate, 100 steps", "steps": 100,
         "best_val_accuracy": 0.97},
    ]  # fmt: skip
    frame = pd.DataFrame(rows).assign(dataset="mnist", seed=0)
    return frame.assign(val_loss=range(len(frame)))  # every run distinct


def test_the_budget_is_named_when_only_the_long_run_leaves_chance():
    said = readings.sigmoid_verdict(_runs({"bfloat16": 0.11, "float32": 0.11}, 0.9), 100, 400)
    assert said.startswith("Sigmoid CNN runs that leave chance: 100 steps, bfloat16: 0 of 1; ")
    assert "400 steps, bfloat16: 1 of 1" in said
    assert "largest gap between the two arithmetics 0.020" in said
    assert "comes from our budget (100 steps against the report's 400), not from" in said
    assert "bfloat16 arithmetic" not in said


def test_the_arithmetic_is_named_when_float32_learns_and_nothing_when_none_does():
    said = readings.sigmoid_verdict(_runs({"bfloat16": 0.11, "float32": 0.8}, 0.11), 100, 400)
    assert "comes from the bfloat16 arithmetic at 100 steps" in said
    said = readings.sigmoid_verdict(_runs({"bfloat16": 0.11, "float32": 0.11}, 0.11), 100, 400)
    assert said.endswith("Neither the report's budget nor float32 moves a run off chance here.")
