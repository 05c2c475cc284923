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
