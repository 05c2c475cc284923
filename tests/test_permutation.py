"""The fixed pixel permutation: a seeded bijection its inverse undoes, and the experiment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from labkit import PACKAGE_DIR, stores
from labkit.classifiers import permutation, training

SMALL = {"depth": 1, "width": 16, "dropout": 0.0, "optimizer": "adam", "learning_rate": 1e-2}


def test_same_seed_same_permutation_other_seed_other():
    p = permutation.pixel_permutation(3)
    assert np.array_equal(p, permutation.pixel_permutation(3))
    assert not np.array_equal(p, permutation.pixel_permutation(4))
    assert p.shape == (784,)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_is_a_bijection_that_its_inverse_undoes(seed):
    p = permutation.pixel_permutation(seed)
    assert sorted(p.tolist()) == list(range(784))  # every pixel once: a bijection
    inv = permutation.inverse(p)
    assert np.array_equal(p[inv], np.arange(784)) and np.array_equal(inv[p], np.arange(784))
    x = np.random.default_rng(seed).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    moved = permutation.permute(x, p)
    assert moved.shape == x.shape and moved.dtype == x.dtype
    assert not np.array_equal(moved, x)
    assert np.array_equal(permutation.unpermute(moved, p), x)
    # the same pixels, only elsewhere: each image keeps its multiset of values
    assert np.array_equal(np.sort(moved.reshape(5, -1)), np.sort(x.reshape(5, -1)))


def test_permute_moves_pixel_perm_j_to_j_in_any_image_layout():
    p = permutation.pixel_permutation(0)
    x = np.arange(784).reshape(1, 28, 28)
    assert np.array_equal(permutation.permute(x, p).ravel(), p)
    for shape in [(1, 784), (1, 28, 28, 1)]:
        assert np.array_equal(permutation.permute(x.reshape(shape), p).ravel(), p)


def test_bad_permutations_and_shapes_are_named():
    with pytest.raises(ValueError, match="permutation of 0..n-1"):
        permutation.inverse(np.array([0, 0, 2]))
    with pytest.raises(ValueError, match="784 pixels cannot take a permutation of 10"):
        permutation.permute(np.zeros((2, 28, 28)), np.arange(10))
    with pytest.raises(ValueError, match="'size'"):
        permutation.pixel_permutation(0, size=0)


def test_unpermute_weights_puts_each_row_back_on_its_pixel():
    p = permutation.pixel_permutation(2)
    kernel = np.random.default_rng(0).normal(size=(784, 3))
    # a dense layer computes x @ W; on permuted inputs, W' = W[p] gives the same outputs
    x = np.random.default_rng(1).normal(size=(4, 784))
    trained_on_permuted = kernel[p]
    assert np.allclose(permutation.permute(x, p) @ trained_on_permuted, x @ kernel)
    assert np.array_equal(permutation.unpermute_weights(trained_on_permuted, p), kernel)


def test_neighbour_correlation_tells_smooth_weights_from_shuffled_ones():
    yy, xx = np.mgrid[0:28, 0:28]
    blobs = np.stack(
        [
            np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 30.0).ravel()
            for cy, cx in [(8, 9), (20, 14)]
        ],
        axis=1,
    )
    assert permutation.neighbour_correlation(blobs) > 0.9
    shuffled = blobs[permutation.pixel_permutation(0)]
    assert abs(permutation.neighbour_correlation(shuffled)) < 0.15
    assert permutation.neighbour_correlation(
        permutation.unpermute_weights(shuffled, permutation.pixel_permutation(0))
    ) == pytest.approx(permutation.neighbour_correlation(blobs))


def test_train_arms_trains_each_arm_alike_and_resumes(toy, tmp_path, monkeypatch):
    x, y = toy
    train, test = (x[:240], y[:240]), (x[240:], y[240:])
    p = permutation.pixel_permutation(0)
    store, kept = tmp_path / "perm.jsonl", tmp_path / "kernels.npz"
    args = dict(perm=p, seeds=[0, 1], epochs=2, store=store, kernels=kept)
    frame = permutation.train_arms(
        "mlp", SMALL, train, test, arms=("original", "permuted", "restored"), **args
    )
    assert len(frame) == 6 and list(frame["arm"].cat.categories) == list(permutation.ARMS)
    assert frame["test_images"].eq(60).all() and frame["train_images"].eq(240).all()
    assert frame["test_accuracy"].between(0, 1).all()
    # the restored arm sees exactly the original images: the same seed gives the same number
    by = frame.set_index(["arm", "seed"])["test_accuracy"]
    assert by["restored", 0] == by["original", 0] and by["restored", 1] == by["original", 1]
    weights = permutation.load_kernels(kept)
    assert set(weights) == {f"{a}{s}" for a in permutation.ARMS for s in ("", "_initial")}
    assert weights["original"].shape == (784, 16)
    # the same seed starts every arm from the same weights; training moved them
    assert np.array_equal(weights["original_initial"], weights["permuted_initial"])
    assert np.abs(permutation.learned(weights, "original")).max() > 1e-3

    calls = []
    real = training.fit
    monkeypatch.setattr(training, "fit", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = permutation.train_arms(
        "mlp", SMALL, train, test, arms=("original", "permuted", "restored"), **args
    )
    assert calls == []  # every run came from the store
    pd.testing.assert_frame_equal(frame, again)
    more = permutation.train_arms(
        "mlp", SMALL, train, test, arms=("permuted",), **{**args, "epochs": 1}
    )
    assert len(calls) == 2 and more["epochs"].eq(1).all()  # a changed budget trains anew
    monkeypatch.setitem(stores.PERMUTATION_ARMS._code, PACKAGE_DIR, "edited")
    # other code trains anew too
    permutation.train_arms("mlp", SMALL, train, test, arms=("permuted",), **{**args, "epochs": 1})
    assert len(calls) == 4


def test_train_arms_names_bad_arms():
    with pytest.raises(ValueError, match="must be taken from original, permuted, restored"):
        permutation.train_arms(
            "mlp", SMALL, (None, None), (None, None), perm=np.arange(784), seeds=[0], epochs=1,
            arms=("shuffled",),
        )  # fmt: skip


def test_paired_summary_pairs_by_seed():
    frame = pd.DataFrame(
        {
            "arm": ["original"] * 3 + ["permuted"] * 3,
            "seed": [0, 1, 2] * 2,
            "test_accuracy": [0.90, 0.92, 0.94, 0.89, 0.90, 0.91],
        }
    )
    s = permutation.paired_summary(frame)
    assert s["original"] == {"mean": pytest.approx(0.92), "sd": pytest.approx(0.02), "n": 3}
    assert s["difference"]["mean"] == pytest.approx(-0.02)
    assert s["difference"]["sd"] == pytest.approx(0.01)
    one = permutation.paired_summary(frame[frame["seed"] == 0])
    assert one["difference"]["n"] == 1 and math.isnan(one["difference"]["sd"])
    with pytest.raises(KeyError, match="restored"):
        permutation.paired_summary(frame, b="restored")


def test_plots_draw_one_panel_per_model_and_three_weight_rows():
    import matplotlib.pyplot as plt

    frame = pd.DataFrame(
        {
            "dataset": ["mnist"] * 8,
            "model": ["mlp"] * 4 + ["cnn"] * 4,
            "arm": pd.Categorical(["original", "permuted"] * 4),
            "seed": [0, 0, 1, 1] * 2,
            "test_accuracy": [0.98, 0.981, 0.979, 0.98, 0.99, 0.97, 0.991, 0.972],
        }
    )
    fig = permutation.plot(frame, labels={"mnist": "MNIST"})
    assert [ax.get_title() for ax in fig.axes] == ["MNIST · MLP", "MNIST · CNN"]
    plt.close(fig)
    rng = np.random.default_rng(0)
    kept = {k: rng.normal(size=(784, 5)) for k in ("original", "original_initial")}
    kept |= {k: rng.normal(size=(784, 5)) for k in ("permuted", "permuted_initial")}
    fig = permutation.plot_weights(kept, permutation.pixel_permutation(0), units=8)
    assert len(fig.axes) == 3 * 5  # three rows, at most the units there are
    assert fig.axes[0].get_ylabel().startswith("trained on original\nr = ")
    plt.close(fig)
