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
    "salient_dim": 4, "background_dim": 6, "curve_opacities": (0.4, 0.8), "epochs": 3,
}  # fmt: skip


def _test_scores() -> pd.DataFrame:
    rows = {}
    for seed, shift in ((0, 0.0), (1, 0.02)):
        row = {}
        for prefix, digit, texture, bright in (("salient", 0.9, 0.36, 0.05),
                                               ("background", 0.15, 0.9, 0.8),
                                               ("plain", 0.5, 0.8, 0.9)):  # fmt: skip
            for target, value, chance in (("digit", digit, 0.11), ("texture", texture, 0.35),
                                          ("brightness", bright, 0.0)):  # fmt: skip
                row[f"{prefix}_{target}_linear"] = value - shift
                row[f"{prefix}_{target}_knn"] = value - 0.05 - shift
                row[f"{prefix}_{target}_chance"] = chance
            row[f"{prefix}_silhouette"] = 0.05
        row |= {"rmse_contrastive": 0.05 + shift, "rmse_plain": 0.12, "rmse_mean_layer": 0.2,
                "rmse_target": 0.1}  # fmt: skip
        rows[seed] = row
    return pd.DataFrame(rows).T.rename_axis("seed")


def _run(seconds: float, loss: list[float] | None = None) -> SimpleNamespace:
    return SimpleNamespace(history={"loss": loss or [3.0, 2.0]}, seconds=seconds)


def _outcome() -> co.Outcome:
    index = pd.MultiIndex.from_tuples(
        [("plain VAE", "z"), ("layered", "s"), ("layered", "z")], names=["model", "code"]
    )
    separation = pd.DataFrame(
        {"knn_accuracy": [0.5, 0.9, 0.2], "silhouette": [0.1, 0.3, -0.1]}, index=index
    )
    curve = pd.DataFrame({"opacity": [0.4, 0.8], "seed": [0, 0], "plain_knn": [0.3, 0.9],
                          "salient_knn": [0.5, 0.9], "background_knn": [0.1, 0.1]})  # fmt: skip
    return co.Outcome(
        cfg=CFG, seeds=[0, 1], headline="layered", data={"train_targets": 100},
        plain_runs={0: _run(10.0), 1: _run(11.0)}, variant_runs={"layered": _run(20.0)},
        headline_runs={0: _run(30.0), 1: _run(31.0)}, separation=separation,
        test=_test_scores(), curve=curve, likelihood={"plain VAE": {"-ELBO (nats)": 100.0}},
        candidates={"layered": {"layered": True}}, tuned={},
    )  # fmt: skip


def test_the_record_holds_the_first_seed_and_the_spread():
    rec = co.record(_outcome())
    c, v = rec["contrastive"], rec["vae"]
    assert c["model"] == "layered" and c["salient_knn_accuracy"] == pytest.approx(0.85)
    assert c["salient"]["seeds"] == pytest.approx({"0": 0.85, "1": 0.83})
    assert c["salient"]["n"] == 2 and c["train_seconds"] == 30.0
    assert c["salient"]["mean"] == pytest.approx(0.84)
    assert v["knn_accuracy"] == pytest.approx(0.45) and v["latent_dim"] == 10
    assert rec["test"]["background_texture_linear"]["mean"] == pytest.approx(0.89)
    targets = rec["targets"]
    assert targets["salient_digit_knn"]["met"] is False  # 0.84 < 0.85
    assert targets["background_digit_linear"]["met"] is True  # 0.14 <= 0.2
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


def test_test_rows_summaries_and_sentences_follow_the_numbers():
    probes = pd.DataFrame(
        {"linear": [0.9, 0.3, 0.1], "knn": [0.8, 0.35, 0.05], "chance": [0.1, 0.34, 0.0]},
        index=pd.MultiIndex.from_tuples([("contrastive", "s", "digit"),
                                         ("contrastive", "s", "texture"),
                                         ("plain", "z", "brightness")]),
    )  # fmt: skip
    scores = {"probes": probes, "silhouette": {"contrastive s": 0.2, "plain z": 0.0},
              "background_rmse": {label: 0.1 for label in co.RMSE.values()}}  # fmt: skip
    row = co.test_row(scores)
    assert row["salient_digit_linear"] == 0.9 and row["plain_brightness_knn"] == 0.05
    assert row["salient_silhouette"] == 0.2 and row["rmse_target"] == 0.1
    test = _test_scores()
    summary = co.probe_summary(test)
    assert summary.loc[("salient code s", "digit"), "linear"] == pytest.approx(0.89)
    text = co.verdict_lines(test, {"salient_digit_knn": co.profiles.Target(">=", 0.85, "mean"),
                                   "background_digit_linear": co.profiles.Target("<=", 0.2)},
                            model="headline")  # fmt: skip
    assert "k-NN probe for the digit (accuracy): **0.840 ± 0.014**" in text
    assert "seeds: 0.850, 0.830; chance 0.110" in text and "**not met**" in text
    assert "background code z of the headline: linear probe for the digit" in text
    assert "background layer's pixels" not in text  # no reference measured: none said
    with_layer = test.assign(layer_digit_knn=0.3, layer_digit_linear=0.2, layer_digit_chance=0.1)
    said = co.verdict_lines(with_layer, {"salient_digit_knn": co.profiles.Target(">=", 0.85)},
                            model="headline")  # fmt: skip
    assert "the same probe on the true background layer's pixels 0.300" in said
    assert "asks more than the images hold" not in said  # 0.84 misses, but the layer reads less
    texture = test.assign(background_texture_linear=[0.40, 0.39], layer_texture_linear=0.37,
                          background_texture_chance=0.34)  # fmt: skip
    missed = co.verdict_lines(texture, {"background_texture_linear": co.profiles.Target(
        ">=", 0.68, "mean")}, model="headline")  # fmt: skip
    assert "**not met**, though the code reads as much as the layer's own pixels" in missed
    beaten = co.verdict_lines(texture.assign(layer_texture_linear=0.6),
                              {"background_texture_linear": co.profiles.Target(">=", 0.68)},
                              model="headline")  # fmt: skip
    assert "**not met**" in beaten and "asks more" not in beaten
    assert ("the true background layer's pixels (reference)", "digit") in co.probe_summary(
        with_layer
    ).index
    said = co.background_text(test, model="layered")
    assert "sits 0.0600 ± 0.0141" in said and "closer than the plain VAE's" in said
    assert "removes the digit's paint" in said
    worse = test.assign(rmse_contrastive=0.15)
    assert "keeps part of the digit's paint" in co.background_text(worse, model="layered")


def test_the_penalty_text_judges_the_arms_over_seeds():
    grid = ["cvae", "tc, tc_weight = 1", "tc, tc_weight = 10", "tc, tc_weight = 100",
            "mmd, mmd_weight = 30", "mmd, mmd_weight = 300"]  # fmt: skip
    values = {"cvae": [0.74, 0.70, 0.76], "tc, tc_weight = 1": [0.75, 0.72, 0.74],
              "mmd, mmd_weight = 30": [0.85, 0.84, 0.86],
              "tc, tc_weight = 10": [0.60, 0.61, 0.59]}  # fmt: skip
    arms = pd.DataFrame([{"arm": a, "seed": s, "salient_knn": v}
                         for a, vs in values.items() for s, v in enumerate(vs)])  # fmt: skip
    tuned = {"tc": "tc, tc_weight = 1", "mmd": "mmd, mmd_weight = 30"}
    tc, mmd = co.penalty_text(arms, tuned, base="cvae", candidates=grid).splitlines()
    # +0.003 against a standard error of about 0.02: one seed's spread is not a ranking
    assert "tc_weight = 1, at the grid's edge" in tc and "; +0.003)" in tc
    assert "**not decided** at 3 seeds per arm" in tc and "would tell" in tc
    assert "0.737 ± 0.015" in tc and "0.733 ± 0.031" in tc
    assert "**confirmed**" in mmd and "; +0.117)" in mmd and "edge" in mmd
    worse = co.penalty_text(arms, {"tc": "tc, tc_weight = 10"}, base="cvae", candidates=grid)
    assert "**refuted**" in worse and "edge" not in worse
    one = arms[arms["seed"] == 0]
    assert "no spread" in co.penalty_text(one, {"tc": "tc, tc_weight = 1"}, base="cvae",
                                          candidates=grid)  # fmt: skip
