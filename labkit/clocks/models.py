"""The clock-reading networks (Keras 3) and how a representation's heads are compiled.

Three bodies, each ending in the heads of a :class:`~labkit.clocks.labels.Representation`:

* :func:`report_base`: the reference report's base model, after the Keras CIFAR-10 example
  (two blocks of two 3x3 convolutions, pooling and dropout; dense 512);
* :func:`report_final`: the report's final model as its Figure 5 lists it (4x4 convolutions
  of 64 filters, the first with stride 2, then 3x3 of 128 and 256, each with pooling and
  dropout; dense 128, an hour branch dense 64 -> 12 and a minute branch dense 256 -> 60, with
  dropout after each; 624 392 parameters at 150x150);
* :func:`reader`: this workbook's body: a strided first convolution (the cheap way to look at
  a large image), stages of convolution, batch normalisation and pooling, global average
  pooling, one dense layer.

:func:`compile_for` gives every head its loss (:data:`~labkit.clocks.labels.LOSSES`, with the
circular distance :func:`circular_loss`) and weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from .labels import Representation, cse_matrix

__all__ = [
    "BODIES",
    "OPTIMIZERS",
    "TurnBack",
    "augmentation",
    "build",
    "circular_loss",
    "compile_for",
    "expected_cse_loss",
    "reader",
    "report_base",
    "report_final",
]

#: Optimizers by name (Keras defaults unless a learning rate is given).
OPTIMIZERS: dict[str, type] = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "adadelta": keras.optimizers.Adadelta,
    "rmsprop": keras.optimizers.RMSprop,
}


def circular_loss(y_true: Any, y_pred: Any) -> Any:
    """The circular distance between a predicted ``(sin, cos)`` direction and the true one, in
    half-turns (0 = same direction, 1 = opposite): the common-sense error of one hand, up to a
    factor. Differentiable except at a perfect prediction (like an absolute error); the length
    of the prediction is pulled towards 1 by a small penalty so its direction stays defined."""
    norm = ops.sqrt(ops.sum(ops.square(y_pred), axis=-1) + 1e-7)
    p = y_pred / ops.expand_dims(norm, -1)
    sin_d = p[:, 0] * y_true[:, 1] - p[:, 1] * y_true[:, 0]
    cos_d = p[:, 0] * y_true[:, 0] + p[:, 1] * y_true[:, 1]
    return ops.abs(ops.arctan2(sin_d, cos_d)) / math.pi + 0.01 * ops.square(norm - 1.0)


def expected_cse_loss(y_true: Any, y_pred: Any) -> Any:
    """The common-sense error a predicted distribution over the 720 times makes in
    expectation, in minutes / 360 (0: all mass on the true time; 0.5: spread evenly): the
    report's common-sense loss (its section 4.3) on one head, differentiable in every
    output. ``y_true`` may be one-hot or any distribution over the times."""
    cost = ops.convert_to_tensor(cse_matrix() / 360.0)
    return ops.sum(y_pred * ops.matmul(y_true, cost), axis=-1)


def _loss(name: str) -> Any:
    return {"circular": circular_loss, "expected_cse": expected_cse_loss}.get(name, name)


@keras.saving.register_keras_serializable(package="labkit")
class TurnBack(keras.layers.Layer):
    """A hand's direction in the image turned back by the 12 mark's: the hand's dial angle.

    Both inputs are ``(sin, cos)`` pairs of angles clockwise from the top of the image (the
    mark's is normalised to length 1); the output is the ``(sin, cos)`` of hand less mark, the
    angle a time label gives. It has no weights: a reader whose hands' heads end in it learns
    the three image directions from time labels alone, and turning the image turns the hand
    and the mark alike, which leaves the output unchanged."""

    def call(self, hand: Any, mark: Any) -> Any:
        m = mark / ops.sqrt(ops.sum(ops.square(mark), axis=-1, keepdims=True) + 1e-7)
        sin = hand[:, :1] * m[:, 1:] - hand[:, 1:] * m[:, :1]
        cos = hand[:, 1:] * m[:, 1:] + hand[:, :1] * m[:, :1]
        return ops.concatenate([sin, cos], axis=-1)

    def compute_output_shape(self, hand_shape: Any, mark_shape: Any) -> Any:
        return hand_shape


def _relative_heads(x: Any, rep: Representation) -> dict[str, Any]:
    """The dial-angle heads of ``rep`` as image directions less a learned 12 mark's
    (:class:`TurnBack`)."""
    if not rep.heads or any(h.kind != "angle" for h in rep.heads) or rep.needs_aux:
        raise ValueError(
            f"relative heads read dial angles from time labels: {rep.name!r} needs angle heads "
            "of the dial (e.g. 'hand_angles'), not image angles or classes"
        )
    mark = keras.layers.Dense(2, name="mark_in_image", dtype="float32")(x)
    return {
        h.name: TurnBack(name=h.name, dtype="float32")(
            keras.layers.Dense(2, name=f"{h.name}_in_image", dtype="float32")(x), mark
        )
        for h in rep.heads
    }


def _heads(
    x: Any, rep: Representation, hidden: dict[str, int] | None = None, dropout: float = 0.0
) -> dict[str, Any]:
    """One output layer per head of ``rep`` on top of ``x``, by head name (``hidden``: a dense
    layer of that many units first, per head name, followed by ``dropout``)."""
    outputs = {}
    for head in rep.heads:
        h = x
        if hidden and head.name in hidden:
            dense = keras.layers.Dense(
                hidden[head.name], activation="relu", name=f"{head.name}_dense"
            )
            h = dense(h)
            if dropout:
                h = keras.layers.Dropout(dropout, name=f"{head.name}_dropout")(h)
        activation = {"softmax": "softmax", "sigmoid": "sigmoid"}.get(head.kind, None)
        # the output layer computes in float32 under a mixed policy: a minute is 6 degrees of
        # the minute hand, finer than bfloat16's 8-bit mantissa resolves near 1
        layer = keras.layers.Dense(
            head.units, activation=activation, name=head.name, dtype="float32"
        )
        outputs[head.name] = layer(h)
    return outputs


def augmentation(
    seed: int | None = None, flip: bool = False, rotation: float = 0.5
) -> keras.Sequential:
    """Label-preserving random changes, active in training only: a rotation by up to
    ``rotation`` of a turn either way (the 12 turns with the hands; 0.5: any angle, for clocks
    that are turned anyway), a little zoom, shift and contrast, and with ``flip`` a mirror image
    (only for a set that has mirror images, whose mirrored clocks keep their label; elsewhere a
    flip would show a clock the set never has). Not for the image-angle representations, whose
    targets are angles in the image."""
    layers = [
        keras.layers.RandomRotation(rotation, fill_mode="reflect", seed=seed),
        keras.layers.RandomZoom(0.1, fill_mode="reflect", seed=seed),
        keras.layers.RandomTranslation(0.05, 0.05, fill_mode="reflect", seed=seed),
        keras.layers.RandomContrast(0.2, seed=seed),
    ]
    if flip:
        layers.insert(1, keras.layers.RandomFlip("horizontal", seed=seed))
    return keras.Sequential(layers, name="augmentation")


def _input(
    size: int, augment: bool, seed: int | None, flip: bool = False, rotation: float = 0.5
) -> tuple[Any, Any]:
    inputs = keras.Input((size, size, 1), name="image")
    return inputs, augmentation(seed, flip, rotation)(inputs) if augment else inputs


def report_base(
    rep: Representation,
    *,
    size: int = 64,
    augment: bool = False,
    flip: bool = False,
    rotation: float = 0.5,
    seed: int | None = None,
) -> keras.Model:
    """The report's base model (the Keras CIFAR-10 example's body) with ``rep``'s heads
    (``augment``, ``flip``, ``rotation``: :func:`augmentation`)."""
    inputs, x = _input(size, augment, seed, flip, rotation)
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    return keras.Model(inputs, _heads(x, rep), name="report_base")


def report_final(
    rep: Representation,
    *,
    size: int = 150,
    dropout: float = 0.2,
    augment: bool = False,
    flip: bool = False,
    rotation: float = 0.5,
    seed: int | None = None,
) -> keras.Model:
    """The report's final model as its Figure 5 lists it (624 392 parameters with two heads at
    150x150): conv 64 4x4 stride 2, conv 64 4x4, conv 128 3x3, conv 256 3x3 (no padding), each
    followed by 2x2 max-pooling and dropout; flatten, dropout, dense 128, dropout; per head a
    dense branch first (hour 64, minute 256; other heads none), each followed by dropout.

    The figure names every dropout layer but no rate (the text says only that the rates
    differ): ``dropout`` for all. The first convolution's 4x4 kernel and stride 2 follow from
    its 1 088 parameters and its 74x74 output. Needs inputs of at least 94 pixels."""
    if size < 94:
        raise ValueError(f"the Figure 5 model needs inputs of at least 94 pixels (got {size})")
    inputs, x = _input(size, augment, seed, flip, rotation)
    for filters, kernel, stride in ((64, 4, 2), (64, 4, 1), (128, 3, 1), (256, 3, 1)):
        x = keras.layers.Conv2D(filters, kernel, strides=stride, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = _heads(x, rep, {"hour": 64, "minute": 256}, dropout)
    return keras.Model(inputs, outputs, name="report_final")


def reader(
    rep: Representation,
    *,
    size: int = 96,
    stem: int = 32,
    filters: Sequence[int] = (32, 64, 128, 256),
    dense: int = 256,
    dropout: float = 0.2,
    pool: str = "average",
    augment: bool = False,
    flip: bool = False,
    rotation: float = 0.5,
    relative: bool = False,
    seed: int | None = None,
) -> keras.Model:
    """This workbook's clock reader: a 5x5 stride-2 convolution of ``stem`` filters, then per
    entry of ``filters`` a 3x3 convolution, batch normalisation (momentum 0.9: runs here are
    short), ReLU and 2x2 max-pooling; global average pooling (``pool="average"``) or the grid
    flattened (``"flatten"``), dense ``dense`` with ``dropout``, and ``rep``'s heads; with
    ``relative``, dial-angle heads read as image directions less a learned 12 mark's
    (:class:`TurnBack`: time labels only)."""
    inputs, x = _input(size, augment, seed, flip, rotation)
    x = keras.layers.Conv2D(stem, 5, strides=2, padding="same", activation="relu")(x)
    for f in filters:
        x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    if pool not in ("average", "flatten"):
        raise ValueError(f"pool must be 'average' or 'flatten' (got {pool!r})")
    if pool == "average":
        x = keras.layers.GlobalAveragePooling2D()(x)
    else:  # keep where on the grid each feature is
        x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(dense, activation="relu")(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    heads = _relative_heads(x, rep) if relative else _heads(x, rep)
    return keras.Model(inputs, heads, name="reader")


#: The bodies by name.
BODIES = {"report_base": report_base, "report_final": report_final, "reader": reader}


def compile_for(
    model: keras.Model,
    rep: Representation,
    *,
    optimizer: str = "adam",
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule | None = None,
) -> keras.Model:
    """Compile ``model`` with each head's loss and weight; ``learning_rate`` (a number or a
    schedule) None keeps the optimizer's Keras default."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}: it must be one of {', '.join(OPTIMIZERS)}"
        )
    if isinstance(learning_rate, (int, float)):
        learning_rate = float(learning_rate)
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    model.compile(
        optimizer=OPTIMIZERS[optimizer](**kwargs),
        loss={h.name: _loss(h.loss) for h in rep.heads},
        loss_weights={h.name: h.weight for h in rep.heads},
    )
    return model


def build(body: str, rep: Representation, **options: Any) -> keras.Model:
    """The body called ``body`` (:data:`BODIES`) with ``rep``'s heads, uncompiled."""
    if body not in BODIES:
        raise ValueError(f"unknown body {body!r}: it must be one of {', '.join(BODIES)}")
    if options.get("augment") and rep.needs_aux:
        raise ValueError(
            f"augmentation would move the image angles {rep.name!r} predicts: train it without"
        )
    return BODIES[body](rep, **options)
