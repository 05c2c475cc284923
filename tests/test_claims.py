"""The report's Task 1 findings are decided from the runs, not written in."""

from __future__ import annotations

import pandas as pd

from labkit.classifiers import claims
from labkit.classifiers import verdicts as v

MODELS = [("mnist", "mlp"), ("mnist", "cnn"), ("fashion_mnist", "mlp"), ("fashion_mnist", "cnn")]


def _curve(final: float, n: int = 4, start: float = 0.3) -> dict:
    acc = [start + (final - start) * (i + 1) / n for i in range(n)]
    return {
        "images": [1000 * (i + 1) for i in range(n)], "val_accuracy": acc,
        "val_loss": [1.0 / (i + 1) for i in range(n)], "accuracy": acc, "loss": [1.0] * n,
        "seconds": [float(i + 1) for i in range(n)],
    }  # fmt: skip


def _frame(scores: dict, models=MODELS, seeds=(0, 1, 2), jitter=0.0005) -> pd.DataFrame:
    """``scores[config]`` is a validation accuracy, or a function of (dataset, kind)."""
    rows = []
    for d, k in models:
        for config, score in scores.items():
            acc = score(d, k) if callable(score) else score
            for s in seeds:
                a = acc + jitter * (s - 1)
                rows.append({"dataset": d, "model": k, "config": config, "seed": s,
                             "val_accuracy": a, "images": 1000, "curve": _curve(a)})  # fmt: skip
    return pd.DataFrame(rows)


def _evidence(**runs) -> claims.Evidence:
    return claims.Evidence(
        runs=runs, val_images={"mnist": 9000, "fashion_mnist": 9000},
        threshold={"mnist": 0.9, "fashion_mnist": 0.8},
        names={"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"},
    )  # fmt: skip


def _by_id(found):
    return {c.id: c for c in found}


def test_verdicts_follow_the_runs():
    base = _frame({claims.BASE: lambda d, k: 0.99 if k == "cnn" else 0.95})
    reg = _frame(
        {"none": 0.94, "dropout": 0.95, "L1 0.01 + dropout": 0.11, "L1 0.1 + dropout": 0.10,
         "L2 0.01 + dropout": 0.90, "L2 0.1 + dropout": 0.80}
    )  # fmt: skip
    found = _by_id(claims.task1(_evidence(base=base, regularization=reg)))
    assert found["cnn-beats-mlp"].verdict == v.CONFIRMED
    assert found["penalties-hurt"].verdict == v.CONFIRMED
    assert found["l1-to-chance"].verdict == v.CONFIRMED
    # dropout beats none beyond the spread: the report's "removing dropout helps" is refuted
    assert found["no-dropout-better"].verdict == v.REFUTED
    assert all(c.verdict in v.VERDICTS for c in found.values())


def test_a_tie_is_not_decided_and_says_what_would_decide_it():
    base = _frame({claims.BASE: 0.95})
    reg = _frame({"none": 0.9502, "dropout": 0.9500}, jitter=0.003)
    found = _by_id(claims.task1(_evidence(base=base, regularization=reg)))
    claim = found["no-dropout-better"]
    assert claim.verdict == v.UNDECIDED
    assert "seeds per configuration" in claim.to_decide or "more than 50" in claim.to_decide
    # the CNN and the MLP score alike here: the base comparison is undecided too
    assert found["cnn-beats-mlp"].verdict == v.UNDECIDED


def test_alike_claims_and_their_tolerance():
    near = _frame({name: 0.95 + 0.001 * i for i, name in enumerate(claims.INITIALIZERS)})
    far = _frame({name: 0.95 - 0.05 * i for i, name in enumerate(claims.INITIALIZERS)})
    assert _by_id(claims.task1(_evidence(initializers=near)))["initialisers-alike"].verdict == (
        v.CONFIRMED
    )
    assert _by_id(claims.task1(_evidence(initializers=far)))["initialisers-alike"].verdict == (
        v.REFUTED
    )


def test_relu_best_reads_only_the_cnns_and_a_loser_refutes_it():
    acts = _frame({"relu": 0.98, "tanh": 0.99, "sigmoid": 0.97, "linear": 0.96})
    found = _by_id(claims.task1(_evidence(activations=acts)))
    assert found["relu-best-cnn"].verdict == v.REFUTED  # tanh beats relu beyond the spread
    assert "MLP" not in found["relu-best-cnn"].ours
    assert found["linear-poor-mlp"].verdict == v.CONFIRMED


def test_finals_claims_read_the_test_scores():
    finals = pd.DataFrame(
        [{"dataset": d, "model": k, "version": ver, "seed": s, "test_images": 10000,
          "test_accuracy": acc + 0.0005 * s}
         for d, k in MODELS
         for ver, acc in (("base", 0.95 if k == "mlp" else 0.98), ("selected", 0.96 if k == "mlp"
                                                                   else 0.99))
         for s in range(3)]
    )  # fmt: skip
    ev = _evidence()
    ev.finals = finals
    found = _by_id(claims.task1(ev))
    assert found["selected-not-worse"].verdict == v.CONFIRMED
    assert found["cnn-beats-mlp-test"].verdict == v.CONFIRMED
    table = claims.table(list(found.values()))
    assert {"claim", "ours", "verdict"} <= set(table.columns)


def test_an_undecided_pair_whose_curves_still_rise_asks_for_a_longer_run():
    base = _frame({claims.BASE: 0.95})
    reg = _frame({"none": 0.9502, "dropout": 0.9500}, jitter=0.003)
    found = _by_id(claims.task1(_evidence(base=base, regularization=reg)))
    # the toy curves climb from 0.3 to 0.95 in four points: far more than the interval
    assert "a longer run" in found["no-dropout-better"].to_decide


def test_bound_claims_read_each_row_against_their_bound():
    rates = _frame({claims.RATES["default"]: 0.95, claims.RATES["large"]: 0.10})
    reg = _frame({"dropout": 0.95, "L1 0.01 + dropout": 0.11, "L1 0.1 + dropout": 0.10})
    found = _by_id(claims.task1(_evidence(learning_rate=rates, regularization=reg)))
    assert found["rate-0.1-fails"].verdict == v.CONFIRMED
    assert found["l1-to-chance"].verdict == v.CONFIRMED
    # one model learning at rate 0.1, one L1 row well above chance: both claims refuted
    rates = _frame({claims.RATES["large"]: lambda d, k: 0.9 if (d, k) == ("mnist", "cnn") else 0.1})
    reg = _frame({"L1 0.01 + dropout": lambda d, k: 0.6 if k == "mlp" else 0.1})
    found = _by_id(claims.task1(_evidence(learning_rate=rates, regularization=reg)))
    assert found["rate-0.1-fails"].verdict == v.REFUTED
    assert "MNIST CNN: 0.900" in found["rate-0.1-fails"].ours
    assert found["l1-to-chance"].verdict == v.REFUTED
