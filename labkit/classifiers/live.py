"""Chapter 01's *train* panel: a small MLP or CNN trained while the student watches.

:func:`controls` gives the panel's ipywidgets, with ranges that answer on 2 CPU cores (the
MLP's units up to :data:`UNITS`'s top, the CNN's first-level filters up to :data:`FILTERS`'s:
a click at the profiles' panel sizes takes seconds, and the slowest setting about a minute);
:func:`train_and_plot` trains the chosen model, printing a line per epoch while it trains, and
draws its learning curves. It fits the model itself rather than through
:func:`labkit.classifiers.training.fit`, whose code keys chapter 01's stored runs, to add the
per-epoch progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import keras

from .. import data, loops, plots
from . import models

__all__ = [
    "EPOCHS",
    "FILTERS",
    "UNITS",
    "Progress",
    "controls",
    "options",
    "train",
    "train_and_plot",
]

#: Slider ranges (min, max, step): the MLP's units per hidden layer, the CNN's filters in its
#: first level (the second has twice as many) and the epochs.
UNITS = (16, 512, 16)
FILTERS = (4, 64, 4)
EPOCHS = (1, 20, 1)
BATCH = 128


class Progress(keras.callbacks.Callback):
    """Says a line per finished epoch through ``echo``: accuracies and seconds so far."""

    def __init__(self, epochs: int, echo: Callable[[str], None] = print) -> None:
        super().__init__()
        self.epochs, self.echo = epochs, echo
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        logs = logs or {}
        scores = ", ".join(
            f"{label} {logs[key]:.3f}"
            for key, label in (("accuracy", "accuracy"), ("val_accuracy", "validation accuracy"))
            if key in logs
        )
        seconds = time.perf_counter() - self.start
        self.echo(f"epoch {epoch + 1}/{self.epochs}: {scores} ({seconds:.1f} s in)")


def options(
    model: str, *, learning_rate: float, dropout: float, units: int, filters: int
) -> dict[str, Any]:
    """The builder options of the panel's setting: ``units`` for an MLP, ``filters`` (first
    level; twice as many in the second) for a CNN."""
    if model not in models.KINDS:
        raise ValueError(f"model must be one of {', '.join(models.KINDS)}, got {model!r}")
    shape = (
        {"width": int(units)} if model == "mlp" else {"filters": (int(filters), 2 * int(filters))}
    )
    return {"learning_rate": float(learning_rate), "dropout": float(dropout), **shape}


def train(
    model: str,
    settings: Mapping[str, Any],
    split: data.Split,
    *,
    epochs: int,
    seed: int,
    eager: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, list[float]]:
    """Train ``model`` with builder ``settings`` on ``split`` for ``epochs``, validated on its
    validation part, saying a line before it starts and one per epoch; returns the history."""
    keras.utils.set_random_seed(seed)
    steps = loops.steps(len(split.y_train), BATCH, epochs)
    net = models.build(model, steps=steps, **settings)
    if eager:
        net.run_eagerly = True
    echo(
        f"training the {model.upper()} ({net.count_params():,} parameters) on "
        f"{len(split.y_train):,} images for {epochs} epoch(s) ..."
    )
    history = net.fit(
        models.prepare(split.x_train),
        split.y_train,
        epochs=epochs,
        batch_size=BATCH,
        shuffle=True,
        validation_data=(models.prepare(split.x_val), split.y_val),
        callbacks=[Progress(epochs, echo)],
        verbose=0,
    )
    return loops.floats(history)


def train_and_plot(
    splits: Mapping[str, data.Split],
    names: Mapping[str, str],
    *,
    dataset: str,
    model: str,
    learning_rate: float,
    dropout: float,
    units: int,
    filters: int,
    epochs: int,
    seed: int,
    eager: bool = False,
    echo: Callable[[str], None] = print,
) -> Any:
    """The panel's drawing function: :func:`train` on ``splits[dataset]``, then its learning
    curves titled with the setting and the last validation accuracy; returns the figure."""
    settings = options(
        model, learning_rate=learning_rate, dropout=dropout, units=units, filters=filters
    )
    history = train(model, settings, splits[dataset], epochs=epochs, seed=seed, eager=eager,
                    echo=echo)  # fmt: skip
    size = f"{units} units" if model == "mlp" else f"{filters}/{2 * filters} filters"
    return plots.learning_curves(
        {model.upper(): history},
        title=f"{names[dataset]}, {size}, lr {learning_rate:.0e}: validation accuracy "
        f"{history['val_accuracy'][-1]:.3f}",
    )


def controls(names: Mapping[str, str], *, epochs: int) -> dict[str, Any]:
    """The panel's ipywidgets, keyed by :func:`train_and_plot`'s argument names; ``names`` maps
    a dataset's key to its label, ``epochs`` is the slider's starting value."""
    import ipywidgets as W

    def slider(lo_hi_step: tuple[int, int, int], value: int, description: str) -> Any:
        lo, hi, step = lo_hi_step
        return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description)

    controls = {
        "dataset": W.Dropdown(
            options=[(v, k) for k, v in names.items()],
            value=next(iter(names)),
            description="dataset",
        ),  # fmt: skip
        "model": W.Dropdown(
            options=[("MLP", "mlp"), ("CNN", "cnn")], value="mlp", description="model"
        ),  # fmt: skip
        "learning_rate": W.FloatLogSlider(
            value=1e-3, base=10, min=-5, max=0, description="learning rate"
        ),
        "dropout": W.FloatSlider(value=0.2, min=0.0, max=0.7, step=0.05, description="dropout"),
        "units": slider(UNITS, 64, "MLP units"),
        "filters": slider(FILTERS, 16, "CNN filters"),
        "epochs": slider(EPOCHS, epochs, "epochs"),
    }
    for control in controls.values():
        control.style.description_width = "initial"  # "learning rate" whole, not cut short
    return controls
