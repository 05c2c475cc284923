"""The rules that turn runs into verdicts: spread, alike, carry, time to an accuracy."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from labkit.classifiers import verdicts as v


def est(mean, sd=0.001, n=3, images=9000):
    return v.Estimate(mean, sd, n, images)


def test_binomial_floor_and_one_seed_fallback():
    e = est(0.98, sd=0.0, n=2)
    assert e.spread() == pytest.approx(math.sqrt(0.98 * 0.02 / 9000))
    one = est(0.98, sd=math.nan, n=1)
    assert one.spread(fallback=0.01) == 0.01
    assert one.spread() == pytest.approx(v.binomial_se(0.98, 9000))
    with pytest.raises(ValueError, match="images"):
        v.binomial_se(0.5, 0)


def test_better_confirms_refutes_and_leaves_ties_undecided():
    assert v.better(est(0.99), est(0.98))[0] == v.CONFIRMED
    assert v.better(est(0.98), est(0.99))[0] == v.REFUTED
    verdict, c = v.better(est(0.9801, sd=0.003), est(0.9800, sd=0.003))
    assert verdict == v.UNDECIDED and not c.beyond


def test_alike_needs_the_whole_interval_inside_the_tolerance():
    assert v.alike([(est(0.981), est(0.980))], 0.01)[0] == v.CONFIRMED
    assert v.alike([(est(0.95), est(0.98))], 0.01)[0] == v.REFUTED
    wide = est(0.975, sd=0.01, n=2)
    assert v.alike([(wide, est(0.98))], 0.01)[0] == v.UNDECIDED


def test_carry_keeps_the_default_on_a_tie():
    tie = {"default": est(0.980, sd=0.001), "other": est(0.9805, sd=0.003)}
    label, reason = v.carry(tie, "default")
    assert label == "default" and reason.startswith("tie")
    win = {"default": est(0.95), "other": est(0.98)}
    assert v.carry(win, "default")[0] == "other"
    with pytest.raises(KeyError):
        v.carry(win, "missing")


def test_seeds_to_decide_grows_as_the_difference_shrinks():
    a, b = est(0.981, sd=0.002, n=2), est(0.980, sd=0.002, n=2)
    small = v.seeds_to_decide(a, b)
    large = v.seeds_to_decide(est(0.984, sd=0.002, n=2), b)
    assert small > large >= 2
    assert v.seeds_to_decide(b, b) is None


def _curve_frame():
    rows = []
    for seed, shift in ((0, 0.0), (1, 0.02)):
        rows.append(
            {
                "dataset": "mnist", "model": "mlp", "config": "base", "seed": seed, "images": 100,
                "val_accuracy": 0.9,
                "curve": {"images": [100, 200, 300, 400],
                          "val_accuracy": [0.5 + shift, 0.8 + shift, 0.9, 0.9],
                          "val_loss": [1.0, 0.5, 0.4, 0.45], "accuracy": [0.5, 0.8, 0.9, 0.95],
                          "loss": [1, 0.5, 0.3, 0.2], "seconds": [1.0, 2.0, 3.0, 4.0]},
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_mean_curves_and_passes_to_a_threshold():
    curves = v.mean_curves(_curve_frame())
    assert list(curves["passes"]) == [1, 2, 3, 4]
    assert curves["val_accuracy"].iloc[0] == pytest.approx(0.51)
    assert curves["seeds"].iloc[0] == 2
    hit = v.passes_to(curves, 0.7).iloc[0]
    # mean curve 0.51 -> 0.81: 0.7 is reached 0.633 of the way from pass 1 to pass 2
    assert hit["passes"] == pytest.approx(1 + 0.19 / 0.30)
    assert hit["seconds"] == pytest.approx(1 + 0.19 / 0.30)
    assert math.isnan(v.passes_to(curves, 0.99).iloc[0]["passes"])
    assert v.still_rising(curves).iloc[0] == pytest.approx(0.9 - 0.9)


def test_carry_table_per_model():
    frame = pd.DataFrame(
        [{"dataset": "mnist", "model": "mlp", "config": c, "seed": s, "val_accuracy": a}
         for c, accs in (("1e-3", (0.98, 0.981)), ("1e-2", (0.90, 0.91)))
         for s, a in enumerate(accs)]
    )  # fmt: skip
    table = v.carry_table(frame, "1e-3", 9000)
    assert table.loc[("mnist", "mlp"), "carried"] == "1e-3"
