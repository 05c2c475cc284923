"""Chapter 05's figures draw what they say, on tiny inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labkit.cvae import plots as cvae_plots


def test_codes_by_digit_draws_one_panel_per_code():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    fig = cvae_plots.codes_by_digit(
        {
            "s": rng.normal(size=(60, 5)),
            "z": rng.normal(size=(60, 2)),
            "one": rng.normal(size=(60, 1)),
        },
        labels,
        points=50,
    )
    assert [ax.get_title() for ax in fig.axes] == ["s", "z", "one"]
    for ax in fig.axes:
        (dots,) = ax.collections
        assert len(dots.get_offsets()) == 50  # the same 50 images in every panel
    with pytest.raises(ValueError, match="at least one"):
        cvae_plots.codes_by_digit({}, labels)


def test_swap_grid_puts_sources_on_the_edges():
    grid = np.random.default_rng(0).random((2, 3, 28, 28))
    rows, cols = np.zeros((2, 28, 28)), np.ones((3, 28, 28))
    fig = cvae_plots.swap_grid(grid, rows, cols)
    axes = np.array(fig.axes).reshape(3, 4)
    np.testing.assert_array_equal(axes[1, 2].images[0].get_array(), grid[0, 1])
    np.testing.assert_array_equal(axes[0, 3].images[0].get_array(), cols[2])
    np.testing.assert_array_equal(axes[2, 0].images[0].get_array(), rows[1])
    with pytest.raises(ValueError, match="2 salient and 3 background"):
        cvae_plots.swap_grid(grid, rows[:1], cols)


def test_separation_curve_draws_one_line_per_code():
    import pandas as pd

    from labkit.cvae import plots as cvae_plots

    rows = [
        {"opacity": o, "seed": s, "background_share": 1.2 - o, "plain_knn": o,
         "salient_knn": 0.8, "background_knn": 0.15, "plain_linear": o, "salient_linear": 0.8,
         "background_linear": 0.2}
        for o in (0.4, 0.6, 0.8) for s in (0, 1)
    ]  # fmt: skip
    fig = cvae_plots.separation_curve(pd.DataFrame(rows), mark=0.6)
    ax = fig.axes[0]
    assert len(ax.get_legend().get_texts()) == 6  # each code by k-NN and by the linear probe
    assert list(ax.lines[0].get_xdata()) == [0.4, 0.6, 0.8]  # the x-axis is the opacity
    with pytest.raises(ValueError, match="row"):
        cvae_plots.separation_curve(pd.DataFrame(columns=rows[0].keys()))
