"""MLP and CNN builders for chapters 01-02, after the keras-io examples.

* :func:`mlp`: ``Flatten -> [Dense -> Dropout] x depth -> Dense(softmax)``, like keras-io's
  ``mnist_mlp`` (two hidden layers of 512 with dropout 0.2).
* :func:`cnn`: ``[Conv2D 3x3 -> MaxPool 2x2] x levels -> Flatten -> Dropout -> Dense(softmax)``,
  the shape of keras-io's ``mnist_convnet`` (32 then 64 filters, dropout 0.5).

Both take images of shape ``(28, 28, 1)`` scaled to 0..1 (see :func:`prepare`) and return a model
compiled with sparse categorical cross-entropy and accuracy. Every choice the experiments of
chapter 01 vary is a keyword: initialiser, activation, optimizer and learning rate, regulariser,
dropout, depth and width (filters for the CNN).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd

__all__ = [
    "INITIALIZERS",
    "OPTIMIZERS",
    "ACTIVATIONS",
    "REGULARIZERS",
    "KINDS",
    "prepare",
    "mlp",
    "cnn",
    "build",
    "describe",
    "initial_loss",
]


class _NoRetracingWarning(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning. Every new model traces its
    own training function, so a loop over models (an experiment, a search) always "retraces";
    the warning is expected there and would only fill the chapters' outputs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


logging.getLogger("tensorflow").addFilter(_NoRetracingWarning())

#: Initialisers by name. "standard_normal" is N(0, 1), not Keras' RandomNormal default (sd 0.05).
INITIALIZERS: dict[str, Any] = {
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "he_normal": keras.initializers.HeNormal,
    "standard_normal": lambda: keras.initializers.RandomNormal(mean=0.0, stddev=1.0),
}
#: Optimizers by name; ``learning_rate=None`` keeps Keras' default for that optimizer.
OPTIMIZERS: dict[str, type] = {
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "adadelta": keras.optimizers.Adadelta,
}
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "linear", "elu", "gelu")
REGULARIZERS: dict[str, Any] = {"l1": keras.regularizers.L1, "l2": keras.regularizers.L2}
KINDS: tuple[str, ...] = ("mlp", "cnn")


def _choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(
            f"unknown {name} {value!r}: the parameter '{name}' must be one of "
            f"{', '.join(map(str, allowed))}"
        )


def prepare(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(n, 28, 28)`` (0..255) as float32 ``(n, 28, 28, 1)`` on the 0..1 scale."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (n, h, w) or (n, h, w, 1), got {x.shape}")
    if x.dtype == np.uint8:
        return x.astype("float32") / 255.0
    return x.astype("float32")


def _optimizer(optimizer: str, learning_rate: float | None) -> keras.optimizers.Optimizer:
    _choice("optimizer", optimizer, list(OPTIMIZERS))
    if learning_rate is None:
        return OPTIMIZERS[optimizer]()
    if not learning_rate > 0:
        raise ValueError(f"the parameter 'learning_rate' must be positive, got {learning_rate!r}")
    return OPTIMIZERS[optimizer](learning_rate=float(learning_rate))


def _layer_options(initializer: str, regularizer: str | None, strength: float) -> dict[str, Any]:
    """Keyword arguments for one Dense/Conv2D layer (fresh initialiser and regulariser objects)."""
    options: dict[str, Any] = {"kernel_initializer": INITIALIZERS[initializer]()}
    if regularizer is not None:
        options["kernel_regularizer"] = REGULARIZERS[regularizer](float(strength))
    return options


def _check_common(
    activation: str, initializer: str, regularizer: str | None, strength: float, dropout: float
) -> None:
    _choice("activation", activation, ACTIVATIONS)
    _choice("initializer", initializer, list(INITIALIZERS))
    if regularizer is not None:
        _choice("regularizer", regularizer, list(REGULARIZERS))
        if not strength > 0:
            raise ValueError(f"the parameter 'strength' must be positive, got {strength!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"the parameter 'dropout' must lie in [0, 1), got {dropout!r}")


def _compile(model: keras.Model, optimizer: str, learning_rate: float | None) -> keras.Model:
    model.compile(
        optimizer=_optimizer(optimizer, learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def mlp(
    *,
    depth: int = 2,
    width: int = 512,
    activation: str = "relu",
    initializer: str = "glorot_uniform",
    regularizer: str | None = None,
    strength: float = 0.01,
    dropout: float = 0.2,
    optimizer: str = "rmsprop",
    learning_rate: float | None = 1e-3,
    input_shape: tuple[int, ...] = (28, 28, 1),
    classes: int = 10,
) -> keras.Model:
    """A compiled multilayer perceptron: ``depth`` hidden layers of ``width`` units.

    Defaults are keras-io's ``mnist_mlp``: two hidden ReLU layers of 512, dropout 0.2, RMSprop.
    ``regularizer`` (``"l1"``/``"l2"``, weight ``strength``) applies to every kernel.
    """
    _check_common(activation, initializer, regularizer, strength, dropout)
    if depth < 1 or width < 1:
        raise ValueError(f"'depth' and 'width' must be at least 1, got {depth} and {width}")
    layers: list[keras.layers.Layer] = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    for _ in range(depth):
        layers.append(
            keras.layers.Dense(
                width, activation=activation, **_layer_options(initializer, regularizer, strength)
            )
        )
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(
        keras.layers.Dense(
            classes, activation="softmax", **_layer_options(initializer, regularizer, strength)
        )
    )
    return _compile(keras.Sequential(layers, name="mlp"), optimizer, learning_rate)


def cnn(
    *,
    filters: int | Sequence[int] = (32, 64),
    levels: int | None = None,
    activation: str = "relu",
    initializer: str = "glorot_uniform",
    regularizer: str | None = None,
    strength: float = 0.01,
    dropout: float = 0.5,
    optimizer: str = "adam",
    learning_rate: float | None = 1e-3,
    input_shape: tuple[int, ...] = (28, 28, 1),
    classes: int = 10,
) -> keras.Model:
    """A compiled CNN of ``levels`` convolution levels (Conv2D 3x3 + MaxPool 2x2 each).

    ``filters`` is a list with one count per level, or one count used at every level
    (then ``levels`` says how many, default 2). Defaults are keras-io's ``mnist_convnet``:
    32 then 64 filters, dropout 0.5 before the softmax layer, Adam.
    """
    _check_common(activation, initializer, regularizer, strength, dropout)
    if isinstance(filters, (int, np.integer)):
        counts = [int(filters)] * (2 if levels is None else levels)
    else:
        counts = [int(f) for f in filters]
        if levels is not None and levels != len(counts):
            raise ValueError(f"'levels'={levels} but {len(counts)} filter counts were given")
    if not counts or min(counts) < 1:
        raise ValueError(f"'filters' must give at least one level of >= 1 filter, got {filters}")
    layers: list[keras.layers.Layer] = [keras.Input(shape=input_shape)]
    for count in counts:
        layers += [
            keras.layers.Conv2D(
                count,
                3,
                activation=activation,
                **_layer_options(initializer, regularizer, strength),
            ),
            keras.layers.MaxPooling2D(2),
        ]
    layers.append(keras.layers.Flatten())
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(
        keras.layers.Dense(
            classes, activation="softmax", **_layer_options(initializer, regularizer, strength)
        )
    )
    return _compile(keras.Sequential(layers, name="cnn"), optimizer, learning_rate)


def build(kind: str, **options: Any) -> keras.Model:
    """:func:`mlp` or :func:`cnn` by name (``kind`` in :data:`KINDS`), with their keywords."""
    _choice("kind", kind, KINDS)
    return {"mlp": mlp, "cnn": cnn}[kind](**options)


def describe(model: keras.Model) -> pd.DataFrame:
    """The layers of ``model`` as a table: name, type, output shape, parameters (a plain-text
    alternative to ``model.summary()``, whose box-drawing characters do not typeset)."""
    rows = [
        {
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(layer.output.shape)),
            "parameters": layer.count_params(),
        }
        for layer in model.layers
    ]
    rows.append(
        {"layer": "total", "type": "", "output shape": "", "parameters": model.count_params()}
    )
    return pd.DataFrame(rows)


def initial_loss(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The two parts of ``model``'s loss before any training: the mean cross-entropy on
    ``images`` (uint8 or prepared) and the regularisation penalty Keras adds to it."""
    probabilities = model(prepare(images), training=False)
    cross_entropy = keras.losses.sparse_categorical_crossentropy(np.asarray(labels), probabilities)
    penalty = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)
    return {
        "cross_entropy": float(keras.ops.convert_to_numpy(keras.ops.mean(cross_entropy))),
        "penalty": float(penalty),
    }
