"""Chapter 05's experiments on tiny data: seeds kept, codes scored, the opacity curve's rows."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.cvae import experiments as cx
from labkit.cvae import model as cvae

CFG = {
    "salient_dim": 2, "background_dim": 2, "hidden": (16,), "conv": False, "batch": 32,
    "learning_rate": 1e-3, "cosine_decay": True, "epochs": 1, "gradient": 0.0, "shading": 0.2,
    "contrast": (0.1, 0.4), "brightness": (-0.3, 0.0),
}  # fmt: skip


def _digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fake digits: class c lights row band c of a 28 x 28 image."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    digits = np.zeros((n, 28, 28), np.uint8)
    for i, c in enumerate(labels):
        digits[i, 4 + 5 * c : 8 + 5 * c, 6:22] = 255
    return digits, labels


def test_models_over_seeds_are_kept_and_scored(tmp_path):
    digits, labels = _digits(64)
    comp = cx.cvae_data.composite(digits, labels, seed=0, opacity=0.6, **cx.look_of(CFG))
    x, b = comp.flat()
    plain = cx.train_plain(x, [0, 1], CFG, store_dir=tmp_path)
    contrastive = cx.train_contrastive(x, b, [0], CFG, {"layered": True}, store_dir=tmp_path,
                                       name="layered")  # fmt: skip
    assert isinstance(plain[1].model, cvae.GaussianVAE) and plain[1].model.latent_dim == 4
    assert contrastive[0].model.layered
    again = cx.train_plain(x, [0, 1], CFG, store_dir=tmp_path)
    assert again[0].loaded and again[1].loaded
    rows = cx.separation_rows(
        {"plain": plain[0].model, "layered": contrastive[0].model}, x, labels, x, labels, k=3
    )
    assert list(rows.index) == [("plain", "z"), ("layered", "s"), ("layered", "z")]
    assert rows["knn_accuracy"].between(0, 1).all()


def test_fits_made_two_at_a_time_in_workers_are_the_fits_read_back(tmp_path):
    from labkit import cache

    digits, labels = _digits(64)
    comp = cx.cvae_data.composite(digits, labels, seed=0, opacity=0.6, **cx.look_of(CFG))
    x, b = comp.flat()
    jobs = {
        "plain": cx.FitJob("plain", "plain", 0, x),
        "layered": cx.FitJob("contrastive", "layered", 1, x, b, {"layered": True}),
        "kept": cx.FitJob("plain", "plain", 2, x),
    }
    cx.train_plain(x, [2], CFG, store_dir=tmp_path)  # one of them is kept already
    cache.reset_read_back()
    runs = cx.make_fits(jobs, {**CFG, "fit_workers": 2}, store_dir=tmp_path)
    assert runs["layered"].model.layered and runs["plain"].model.latent_dim == 4
    # the two made in workers count as made in this run; the kept one as read back, once
    assert not runs["plain"].loaded and not runs["layered"].loaded and runs["kept"].loaded
    seconds, results = cache.seconds_read_back()
    assert results == 1 and seconds == pytest.approx(runs["kept"].seconds)
    # each worker's row says two fits were made at once: a later read counts half its clock
    cache.reset_read_back()
    again = cx.make_fits(jobs, CFG, store_dir=tmp_path)  # fit_workers absent: one at a time
    assert all(run.loaded for run in again.values())
    seconds, results = cache.seconds_read_back()
    expected = runs["kept"].seconds + (runs["plain"].seconds + runs["layered"].seconds) / 2
    assert results == 3 and seconds == pytest.approx(expected)
    with pytest.raises(ValueError, match="backgrounds"):
        cx.FitJob("contrastive", "no backgrounds", 0, x)
    with pytest.raises(ValueError, match="kind"):
        cx.FitJob("layered", "bad kind", 0, x, b)


def _cfg(**more) -> dict:
    return {**CFG, "opacity": 0.6, "train": 40, "val": 16, "test": 24, **more}


def test_each_seed_draws_its_own_split_crops_and_fresh_test_digits():
    digits, labels = _digits(120)
    a, b = cx.seed_data(digits, labels, _cfg(), 0), cx.seed_data(digits, labels, _cfg(), 1)
    assert (len(a.train.targets), len(a.val.targets), len(a.test.targets)) == (40, 16, 24)
    assert not np.array_equal(a.train.target_backgrounds, b.train.target_backgrounds)
    # the test digits lie outside the seed's split
    assert not set(a.index["test"]) & (set(a.index["train"]) | set(a.index["val"]))
    assert set(a.index["train"]) != set(b.index["train"])  # another seed, another split
    # the same seed at another opacity: the same crops, other paint
    faint = cx.seed_data(digits, labels, _cfg(), 0, opacity=0.2)
    np.testing.assert_array_equal(faint.train.target_backgrounds, a.train.target_backgrounds)
    assert not np.array_equal(faint.train.targets, a.train.targets)
    with pytest.raises(ValueError, match="left for"):
        cx.seed_data(digits, labels, _cfg(test=100), 0)


def test_the_grid_expands_each_penalty_and_choose_reads_the_salient_code():
    import pandas as pd

    cfg = {"variants": {"plain": {}, "tc": {"tc_weight": 10.0}},
           "penalty_grid": {"tc": ("tc_weight", (1.0, 10.0))}}  # fmt: skip
    grid = cx.grid(cfg)
    assert grid == {"plain": {}, "tc, tc_weight = 1": {"tc_weight": 1.0},
                    "tc, tc_weight = 10": {"tc_weight": 10.0}}  # fmt: skip
    index = pd.MultiIndex.from_tuples([(m, c) for m in grid for c in "sz"],
                                      names=["model", "code"])  # fmt: skip
    sep = pd.DataFrame({"knn_accuracy": [0.5, 0.9, 0.7, 0.1, 0.6, 0.2]}, index=index)
    assert cx.choose(sep, list(grid)) == "tc, tc_weight = 1"
    assert cx.choose(sep, ["plain", "tc, tc_weight = 10"]) == "tc, tc_weight = 10"


def test_a_seed_is_scored_by_probes_both_ways_on_its_fresh_test(tmp_path):
    digits, labels = _digits(120)
    made = cx.seed_data(digits, labels, _cfg(), 0)
    x, b = made.train.flat()
    plain = cx.train_plain(x, [0], CFG, store_dir=None)[0].model
    layered = cx.train_contrastive(x, b, [0], CFG, {"layered": True}, store_dir=None,
                                   name="l")[0].model  # fmt: skip
    scores = cx.score_seed(plain, layered, made, k=3)
    probes = scores["probes"]
    assert set(probes.index.get_level_values("model")) == {"contrastive", "plain", "pixels"}
    assert len(probes) == 12  # s, z, the plain code and the layer, by digit, texture, brightness
    # the layer's own pixels hold its brightness exactly: a linear read-out finds it
    assert probes.loc[("pixels", "layer", "brightness"), "linear"] > 0.9
    assert set(scores["silhouette"]) == {"contrastive s", "contrastive z", "plain z"}
    rmse = scores["background_rmse"]
    assert rmse["the target itself (its digit's paint)"] > 0 and len(rmse) == 4


def test_penalty_arms_train_each_arm_on_each_seed_and_read_back_the_first(tmp_path):
    digits, labels = _digits(120)
    made = {s: cx.seed_data(digits, labels, _cfg(), s) for s in (0, 1)}
    candidates = {"base": {}, "tc, tc_weight = 1": {"tc_weight": 1.0}}
    x, b = made[0].train.flat()
    first = cx.train_contrastive(x, b, [0], _cfg(), {}, store_dir=tmp_path, name="variant0")[0]
    arms = cx.penalty_arms(made, candidates, list(candidates), _cfg(), store_dir=tmp_path)
    assert sorted(zip(arms["arm"], arms["seed"], strict=True)) == [
        ("base", 0),
        ("base", 1),
        ("tc, tc_weight = 1", 0),
        ("tc, tc_weight = 1", 1),
    ]
    assert arms["salient_knn"].between(0, 1).all()
    # the first seed's base arm is the candidate's own fit, read back with its seconds
    kept = arms[(arms["arm"] == "base") & (arms["seed"] == 0)]["train_seconds"].iloc[0]
    assert kept == pytest.approx(first.seconds)


def test_the_opacity_curve_has_a_row_per_opacity_and_seed(tmp_path):
    digits, labels = _digits(120)
    curve = cx.opacity_curve(
        digits, labels, opacities=[0.3, 0.9], seeds=[0, 1], cfg=_cfg(),
        options={"layered": True}, store_dir=tmp_path,
    )  # fmt: skip
    assert len(curve) == 4 and set(curve["opacity"]) == {0.3, 0.9}
    share = curve.groupby("opacity")["background_share"].first()
    assert share[0.3] > share[0.9]  # fainter paint: the background is more of the variance
    for column in ("plain_knn", "salient_knn", "background_knn", "salient_linear"):
        assert curve[column].between(0, 1).all()
    assert (curve["train_seconds"] > 0).all()  # every row trained its own two fits
    again = cx.opacity_curve(
        digits, labels, opacities=[0.3], seeds=[0], cfg=_cfg(), options={"layered": True},
        store_dir=tmp_path,
    )  # fmt: skip
    # read back from the store: the seconds are the first run's, not the read's
    assert again["train_seconds"].iloc[0] == pytest.approx(curve["train_seconds"].iloc[0])
    with pytest.raises(ValueError, match="opacity"):
        cx.opacity_curve(digits, labels, opacities=[], seeds=[0], cfg=_cfg(), options={},
                         store_dir=None)  # fmt: skip


def test_the_curve_text_reads_the_table():
    import pandas as pd

    curve = pd.DataFrame(
        {
            "opacity": [0.4, 0.4, 0.6, 0.6, 1.0, 1.0],
            "seed": [0, 1, 0, 1, 0, 1],
            "salient_knn": [0.50, 0.52, 0.80, 0.82, 0.90, 0.92],
            "plain_knn": [0.55, 0.57, 0.50, 0.52, 0.95, 0.90],
            "background_knn": [0.10, 0.12, 0.11, 0.13, 0.12, 0.14],
            "background_share": [0.99, 0.99, 0.98, 0.98, 0.96, 0.96],
        }
    )
    for part in ("salient", "plain", "background"):
        curve[f"{part}_linear"] = curve[f"{part}_knn"] - 0.1
    text = cx.curve_text(curve, 0.6)
    assert "Over opacities 0.4 to 1 (2 seeds each" in text
    assert "ranges 0.510-0.910 by k-NN and 0.410-0.810" in text
    assert "-0.050 ± 0.000 at 0.4; +0.300 ± 0.000 at 0.6 (the headline's)" in text
    assert "The salient code leads by more than two sd at opacity 0.6." in text
    assert "The plain VAE leads by more than two sd at opacity 0.4." in text
    assert "not decided at 2 seeds) at opacity 1." in text
    one = cx.curve_text(curve[curve.seed == 0], 0.6)
    assert "not decided at 1 seed) at opacity 0.4, 0.6, 1." in one
