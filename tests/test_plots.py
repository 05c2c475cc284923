"""The shared figures: one panel per class, the right images in each."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from labkit import plots


@pytest.mark.parametrize("n, shape", [(10, (2, 5)), (3, (1, 3)), (7, (2, 5))])
def test_class_means_rows_of_five(n, shape):
    labels = np.repeat(np.arange(n), 2)
    images = labels[:, None, None] * np.ones((1, 4, 4))
    fig = plots.class_means(images, labels, [f"c{i}" for i in range(n)], title="t")
    axes = fig.axes
    assert len(axes) == shape[0] * shape[1]
    drawn = [ax for ax in axes if ax.images]
    assert [ax.get_title() for ax in drawn] == [f"c{i}" for i in range(n)]
    for c, ax in enumerate(drawn):
        assert np.all(ax.images[0].get_array() == c)  # the mean of class c's images
    plt.close(fig)


def test_learning_curves_draw_train_and_validation_per_run():
    from labkit import plots

    h = {
        "loss": [1.0, 0.5],
        "accuracy": [0.6, 0.8],
        "val_loss": [1.1, 0.7],
        "val_accuracy": [0.5, 0.7],
    }
    fig = plots.learning_curves({"mlp": h, "cnn": {"loss": [0.9], "accuracy": [0.7]}}, title="t")
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 3  # mlp train + validation, cnn train only
    assert list(acc_ax.lines[1].get_ydata()) == [0.5, 0.7]
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == [
        "mlp train",
        "mlp validation",
        "cnn train",
    ]


def test_learning_curves_draw_the_metrics_asked_for():
    from labkit import plots

    fig = plots.learning_curves(
        {"vae": {"loss": [9.0, 8.0], "val_loss": [9.5, 8.5]}}, metrics=["loss"]
    )
    (ax,) = fig.axes
    assert len(ax.lines) == 2 and ax.get_ylabel() == "loss"


def test_image_rows_one_labelled_row_per_key_with_captions():
    rows = {"a": [np.zeros((4, 4))] * 3, "b": [np.full((4, 4), 200)]}
    fig = plots.image_rows(rows, {"a": ["x", "y", "z"]}, title="t")
    axes = np.array(fig.axes).reshape(2, 3)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["a", "b"]
    assert [ax.get_title() for ax in axes[0]] == ["x", "y", "z"]
    assert [bool(ax.images) for ax in axes[1]] == [True, False, False]
    assert np.all(axes[1, 0].images[0].get_array() == 200)
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one row"):
        plots.image_rows({})


def test_show_image_draws_the_image_on_the_full_grey_scale():
    image = np.arange(16).reshape(4, 4) * 10
    fig = plots.show_image(image, "a title", cmap="gray_r")
    (ax,) = fig.axes
    np.testing.assert_array_equal(ax.images[0].get_array(), image)
    assert ax.images[0].get_clim() == (0, 255) and ax.get_title() == "a title"
    plt.close(fig)
