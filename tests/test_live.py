"""Chapter 01's train panel: progress while it trains, curves after, ranges 2 cores can train."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from labkit import data
from labkit.classifiers import live


@pytest.fixture
def toy_split(toy):
    return data.split(*toy, val=0.25, stratify=True, seed=0)


def test_the_panel_says_a_line_per_epoch_and_draws_the_curves(toy_split):
    lines: list[str] = []
    figure = live.train_and_plot(
        {"toy": toy_split}, {"toy": "Toy"}, dataset="toy", model="mlp", learning_rate=1e-2,
        dropout=0.0, units=16, filters=4, epochs=3, seed=0, eager=True, echo=lines.append,
    )  # fmt: skip
    assert lines[0].startswith("training the MLP (") and "for 3 epoch(s)" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all("validation accuracy" in line and "s in)" in line for line in lines[1:])
    assert figure.get_suptitle().startswith("Toy, 16 units, lr 1e-02: validation accuracy")
    assert len(figure.axes[0].lines) == 2  # training and validation
    plt.close(figure)


def test_the_settings_follow_the_model_and_bad_models_are_named():
    cnn = live.options("cnn", learning_rate=1e-3, dropout=0.1, units=64, filters=8)
    assert cnn == {"learning_rate": 1e-3, "dropout": 0.1, "filters": (8, 16)}
    assert live.options("mlp", learning_rate=1e-3, dropout=0.1, units=64, filters=8)["width"] == 64
    with pytest.raises(ValueError, match="model must be one of mlp, cnn"):
        live.options("rnn", learning_rate=1e-3, dropout=0.1, units=64, filters=8)


def test_the_controls_cover_the_drawing_functions_arguments_within_the_ranges():
    import inspect

    controls = live.controls({"mnist": "MNIST", "fashion_mnist": "Fashion"}, epochs=5)
    wanted = set(inspect.signature(live.train_and_plot).parameters)
    assert set(controls) == wanted - {"splits", "names", "seed", "eager", "echo"}
    assert (controls["units"].min, controls["units"].max) == live.UNITS[:2]
    assert (controls["filters"].min, controls["filters"].max) == live.FILTERS[:2]
    assert controls["filters"].max <= 64  # two CNN levels of 64 and 128 filters: under a minute
    assert controls["epochs"].value == 5 and controls["dataset"].value == "mnist"
