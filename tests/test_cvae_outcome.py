"""Chapter 05's checks and record layout (labkit.cvae.outcome), on a small made-up outcome."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from labkit.cvae import outcome as co

CFG = {
    "opacity": 0.6, "variants": {"plain cVAE": {}, "layered": {"layered": True}},
    "salient_dim": 4, "background_dim": 6, "curve_opacities": (0.4, 0.8), "curve_train": 50,
    "curve_val": 20, "curve_epochs": 2, "epochs": 3,
}  # fmt: skip


def _run(seconds: float, loss: list[float] | None = None) -> SimpleNamespace:
    return SimpleNamespace(history={"loss": loss or [3.0, 2.0]}, seconds=seconds)


def _outcome() -> co.Outcome:
    index = pd.MultiIndex.from_tuples(
        [("plain VAE", "z"), ("layered", "s"), ("layered", "z")], names=["model", "code"]
    )
    separation = pd.DataFrame(
        {"knn_accuracy": [0.5, 0.9, 0.2], "silhouette": [0.1, 0.3, -0.1]}, index=index
    )
    test_knn = pd.DataFrame(
        {"salient_knn": [0.9, 0.8], "background_knn": [0.2, 0.1], "plain_knn": [0.5, 0.6]},
        index=pd.Index([0, 1], name="seed"),
    )
    curve = pd.DataFrame({"opacity": [0.4, 0.8], "seed": [0, 0], "plain_knn": [0.3, 0.9],
                          "salient_knn": [0.5, 0.9], "background_knn": [0.1, 0.1]})  # fmt: skip
    return co.Outcome(
        cfg=CFG, seeds=[0, 1], headline="layered", data={"train_targets": 100},
        plain_runs={0: _run(10.0), 1: _run(11.0)}, variant_runs={"layered": _run(20.0)},
        headline_runs={0: _run(30.0), 1: _run(31.0)}, separation=separation,
        test_knn=test_knn, curve=curve, likelihood={"plain VAE": {"-ELBO (nats)": 100.0}},
    )  # fmt: skip


def test_the_record_holds_the_first_seed_and_the_spread():
    rec = co.record(_outcome())
    c, v = rec["contrastive"], rec["vae"]
    assert c["model"] == "layered" and c["salient_knn_accuracy"] == 0.9
    assert c["salient"]["seeds"] == {"0": 0.9, "1": 0.8} and c["salient"]["n"] == 2
    assert c["salient"]["mean"] == pytest.approx(0.85) and c["train_seconds"] == 30.0
    assert v["knn_accuracy"] == 0.5 and v["latent_dim"] == 10 and v["train_seconds"] == 10.0
    assert rec["validation"]["layered"]["s_knn_accuracy"] == 0.9
    assert rec["validation"]["layered"]["options"] == {"layered": True}
    assert rec["data"] == {"train_targets": 100, "opacity": 0.6}
    assert len(rec["curve"]["rows"]) == 2 and rec["seeds"] == [0, 1] and rec["knn_k"] == 5


def test_absurd_results_are_refused():
    o = _outcome()
    with pytest.raises(ValueError, match="not finite"):
        co.record(replace(o, plain_runs={0: _run(1.0, [1.0, np.nan]), 1: _run(1.0)}))
    bad = o.separation.copy()
    bad.iloc[0, 0] = 1.5
    with pytest.raises(ValueError, match="outside 0..1"):
        co.check(replace(o, separation=bad))
    curve = o.curve.copy()
    curve.loc[0, "plain_knn"] = -0.1
    with pytest.raises(ValueError, match="opacity curve"):
        co.check(replace(o, curve=curve))
