"""MLP and CNN builders for chapters 01-02, after the Keras examples.

* :func:`mlp`: ``Flatten -> [Dense -> (BatchNorm) -> Dropout] x depth -> Dense(softmax)``; its
  defaults are the Keras example ``mnist_mlp.py`` (two hidden layers of 512 with dropout 0.2,
  RMSprop), the reference report's base MLP.
* :func:`cnn`: ``[[Conv2D 3x3 -> (BatchNorm)] x convs -> MaxPool 2x2 -> Dropout] x levels ->
  Flatten -> (Dense -> Dropout) -> Dense(softmax)``; its defaults are the Keras example
  ``mnist_cnn.py`` (conv 32, conv 64, one pooling, dropout 0.25, dense 128, dropout 0.5) trained
  with RMSprop like the reference report's base CNN (the example itself used Adadelta).
  :data:`KERAS_IO_CONVNET` gives keras-io's ``mnist_convnet`` (conv 32 + pool, conv 64 + pool,
  dropout 0.5, Adam).

Both take images of shape ``(28, 28, 1)`` scaled to 0..1 (see :func:`prepare`) and return a model
compiled with sparse categorical cross-entropy and accuracy. Every choice the experiments of
chapter 01 vary is a keyword: initialiser, activation, optimizer and learning rate (with an
optional one-cycle schedule, :class:`OneCycle`), regulariser, dropout, batch normalisation,
augmentation (random shifts and rotations, active in training only), depth and width (filters
for the CNN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

__all__ = [
    "KERAS_IO_CONVNET",
    "AUGMENTATIONS",
    "SCHEDULES",
    "OneCycle",
    "INITIALIZERS",
    "OPTIMIZERS",
    "REPORT_KERAS_RATES",
    "PRECISIONS",
    "ACTIVATIONS",
    "REGULARIZERS",
    "KINDS",
    "prepare",
    "Recipe",
    "MLPRecipe",
    "CNNRecipe",
    "RECIPES",
    "recipe",
    "mlp",
    "cnn",
    "build",
    "canonical",
    "resolve_precision",
    "describe",
    "layers_text",
    "initial_loss",
]


#: Initialisers by name. "random_normal" is Keras' ``RandomNormal()`` as a Keras user gets it
#: (mean 0, sd 0.05, whatever the layer's size); "standard_normal" is N(0, 1).
INITIALIZERS: dict[str, Any] = {
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "he_normal": keras.initializers.HeNormal,
    "random_normal": lambda: keras.initializers.RandomNormal(mean=0.0, stddev=0.05),
    "standard_normal": lambda: keras.initializers.RandomNormal(mean=0.0, stddev=1.0),
}
#: Optimizers by name; ``learning_rate=None`` keeps Keras 3's default for that optimizer.
OPTIMIZERS: dict[str, type] = {
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "adadelta": keras.optimizers.Adadelta,
}
#: The default learning rates of standalone Keras 2.3, the Keras of the reference report's
#: examples (``github.com/keras-team/keras``, spring 2020). Keras 3 keeps them except for
#: Adadelta, whose default fell from 1.0 (the rate its authors designed it for) to 0.001.
REPORT_KERAS_RATES: dict[str, float] = {
    "rmsprop": 1e-3,
    "sgd": 1e-2,
    "adam": 1e-3,
    "adadelta": 1.0,
}
#: Numeric precisions by name: "float32", or Keras' "mixed_bfloat16" (bfloat16 arithmetic,
#: float32 weights; the softmax layer stays float32), about twice as fast on a CPU with
#: bfloat16 instructions (see :func:`resolve_precision`).
PRECISIONS: tuple[str, ...] = ("float32", "mixed_bfloat16")
#: Learning-rate schedules by name: "constant", or "one_cycle" (:class:`OneCycle`, which needs
#: the number of training steps).
SCHEDULES: tuple[str, ...] = ("constant", "one_cycle")
#: Augmentations by name: random shifts of up to 2 pixels ("shift"), and rotations of up to 8
#: degrees as well ("shift_rotate"). Rotation suits digits, not upright clothing.
AUGMENTATIONS: tuple[str, ...] = ("none", "shift", "shift_rotate")
#: keras-io's ``mnist_convnet`` as :func:`cnn` options (a named extra baseline of chapter 01).
KERAS_IO_CONVNET: dict[str, Any] = {
    "filters": (32, 64),
    "dense": 0,
    "conv_dropout": 0.0,
    "dropout": 0.5,
    "optimizer": "adam",
    "learning_rate": 1e-3,
}


@keras.saving.register_keras_serializable(package="labkit")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The one-cycle schedule (Smith and Topin 2019): the rate rises linearly from
    ``peak / 25`` to ``peak`` over the first ``warmup`` share of ``steps``, then falls along a
    half cosine to ``peak / 1e4`` at the last step (and stays there after it)."""

    def __init__(self, peak: float, steps: int, warmup: float = 0.3) -> None:
        if not peak > 0 or steps < 1 or not 0 < warmup < 1:
            raise ValueError(
                f"OneCycle needs peak > 0, steps >= 1 and 0 < warmup < 1; got {peak!r}, "
                f"{steps!r}, {warmup!r}"
            )
        self.peak, self.steps, self.warmup = float(peak), int(steps), float(warmup)

    def __call__(self, step: Any) -> Any:
        ops = keras.ops
        step = ops.cast(step, "float32")
        rise = max(1.0, self.warmup * self.steps)
        start, end = self.peak / 25, self.peak / 1e4
        up = start + (self.peak - start) * step / rise
        t = ops.clip((step - rise) / max(1.0, self.steps - rise), 0.0, 1.0)
        down = end + (self.peak - end) * 0.5 * (1 + ops.cos(np.pi * t))
        return ops.where(step < rise, up, down)

    def get_config(self) -> dict[str, Any]:
        return {"peak": self.peak, "steps": self.steps, "warmup": self.warmup}


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


def _optimizer(
    optimizer: str, learning_rate: float | None, schedule: str, steps: int | None
) -> keras.optimizers.Optimizer:
    _choice("optimizer", optimizer, list(OPTIMIZERS))
    _choice("schedule", schedule, SCHEDULES)
    if learning_rate is None:
        if schedule != "constant":
            raise ValueError(f"the schedule {schedule!r} needs a (peak) 'learning_rate'")
        return OPTIMIZERS[optimizer]()
    if not learning_rate > 0:
        raise ValueError(f"the parameter 'learning_rate' must be positive, got {learning_rate!r}")
    rate: Any = float(learning_rate)
    if schedule == "one_cycle":
        if not steps:
            raise ValueError(
                "the schedule 'one_cycle' needs 'steps' (epochs x batches per epoch); "
                "labkit.classifiers.training.fit passes it"
            )
        rate = OneCycle(rate, steps)
    return OPTIMIZERS[optimizer](learning_rate=rate)


def _augmentation(augment: str) -> list[keras.layers.Layer]:
    """Random layers that act in training only (Keras skips them at inference)."""
    _choice("augment", augment, AUGMENTATIONS)
    layers: list[keras.layers.Layer] = []
    if augment in ("shift", "shift_rotate"):
        layers.append(keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant"))
    if augment == "shift_rotate":
        layers.append(keras.layers.RandomRotation(8 / 360, fill_mode="constant"))
    return layers


def _layer_options(initializer: str, regularizer: str | None, strength: float) -> dict[str, Any]:
    """Keyword arguments for one Dense/Conv2D layer (fresh initialiser and regulariser objects)."""
    options: dict[str, Any] = {"kernel_initializer": INITIALIZERS[initializer]()}
    if regularizer is not None:
        options["kernel_regularizer"] = REGULARIZERS[regularizer](float(strength))
    return options


def _check_dropout(name: str, rate: float) -> None:
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"the parameter {name!r} must lie in [0, 1), got {rate!r}")


def _check_common(
    activation: str, initializer: str, regularizer: str | None, strength: float, dropout: float
) -> None:
    _choice("activation", activation, ACTIVATIONS)
    _choice("initializer", initializer, list(INITIALIZERS))
    if regularizer is not None:
        _choice("regularizer", regularizer, list(REGULARIZERS))
        if not strength > 0:
            raise ValueError(f"the parameter 'strength' must be positive, got {strength!r}")
    _check_dropout("dropout", dropout)


def _compile(
    model: keras.Model,
    optimizer: str,
    learning_rate: float | None,
    schedule: str = "constant",
    steps: int | None = None,
) -> keras.Model:
    model.compile(
        optimizer=_optimizer(optimizer, learning_rate, schedule, steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _dense_block(
    units: int,
    activation: str,
    batch_norm: bool,
    dropout: float,
    layer_options: dict[str, Any],
    bn_momentum: float = 0.99,
) -> list[keras.layers.Layer]:
    """Dense -> (BatchNorm) -> activation -> (Dropout). With batch normalisation the dense
    layer has no bias (the normalisation's shift replaces it) and the activation follows it."""
    if not batch_norm:
        block = [keras.layers.Dense(units, activation=activation, **layer_options)]
    else:
        block = [
            keras.layers.Dense(units, use_bias=False, **layer_options),
            keras.layers.BatchNormalization(momentum=bn_momentum),
            keras.layers.Activation(activation),
        ]
    return block + ([keras.layers.Dropout(dropout)] if dropout else [])


@dataclass(frozen=True)
class Recipe:
    """What every classifier of chapters 01-02 is built and trained with, besides its layers:
    activation, initialiser, an optional ``"l1"``/``"l2"`` penalty of weight ``strength`` on
    every kernel, batch normalisation (its averages' ``bn_momentum``, see
    :func:`set_batch_norm_momentum`), augmentation, optimizer and learning rate (``None``: Keras'
    default) under a schedule (``"one_cycle"`` needs ``steps``, the number of training
    batches), the arithmetic ``precision`` (:data:`PRECISIONS`), the input shape and the
    classes. :class:`MLPRecipe` and :class:`CNNRecipe` add the layers; the search spaces of
    :mod:`labkit.classifiers.tuning` sample them."""

    activation: str = "relu"
    initializer: str = "glorot_uniform"
    regularizer: str | None = None
    strength: float = 0.01
    batch_norm: bool = False
    bn_momentum: float = 0.99
    augment: str = "none"
    optimizer: str = "rmsprop"
    learning_rate: float | None = 1e-3
    schedule: str = "constant"
    steps: int | None = None
    precision: str = "float32"
    input_shape: tuple[int, ...] = (28, 28, 1)
    classes: int = 10


@dataclass(frozen=True)
class MLPRecipe(Recipe):
    """A multilayer perceptron: ``depth`` hidden layers of ``width`` units, each followed by
    ``dropout``. The defaults are the Keras example ``mnist_mlp``: two hidden ReLU layers of
    512, dropout 0.2, RMSprop."""

    depth: int = 2
    width: int = 512
    dropout: float = 0.2


@dataclass(frozen=True)
class CNNRecipe(Recipe):
    """A CNN: levels of 3x3 convolutions (``padding``), each level a 2x2 max-pooling and
    ``conv_dropout``; then an optional dense layer of ``dense`` units, ``dropout`` and the
    softmax layer. ``filters`` lists the levels: an entry is a filter count (one convolution) or
    a list of counts (several convolutions before the pooling); one count alone is used at every
    level (``levels`` says how many, default 2). The defaults are the Keras example
    ``mnist_cnn`` (``filters=((32, 64),)``: two convolutions, one pooling; dense 128) with
    RMSprop."""

    filters: int | Sequence[int | Sequence[int]] = ((32, 64),)
    levels: int | None = None
    dense: int = 128
    conv_dropout: float = 0.25
    dropout: float = 0.5
    padding: str = "valid"


#: The recipe type of each model kind.
RECIPES: dict[str, type[Recipe]] = {"mlp": MLPRecipe, "cnn": CNNRecipe}


def recipe(kind: str, base: Recipe | None = None, /, **options: Any) -> Recipe:
    """The recipe of ``kind`` (:data:`KINDS`): ``base`` (default: the kind's defaults) with
    ``options`` changed. An option the kind does not have raises ``ValueError`` naming those it
    has."""
    _choice("kind", kind, KINDS)
    cls = RECIPES[kind]
    allowed = [f.name for f in fields(cls)]
    if unknown := sorted(set(options) - set(allowed)):
        raise ValueError(f"unknown {kind} option(s) {unknown}; allowed: {sorted(allowed)}")
    return replace(base if base is not None else cls(), **options)


def mlp(base: MLPRecipe | None = None, /, **options: Any) -> keras.Model:
    """A compiled multilayer perceptron from an :class:`MLPRecipe` (``base``, default the
    Keras example's) with ``options`` changed."""
    r = recipe("mlp", base, **options)
    assert isinstance(r, MLPRecipe)
    _check_common(r.activation, r.initializer, r.regularizer, r.strength, r.dropout)
    if r.depth < 1 or r.width < 1:
        raise ValueError(f"'depth' and 'width' must be at least 1, got {r.depth} and {r.width}")
    layers: list[keras.layers.Layer] = [keras.Input(shape=r.input_shape), *_augmentation(r.augment)]
    layers.append(keras.layers.Flatten())
    for _ in range(r.depth):
        options_ = _layer_options(r.initializer, r.regularizer, r.strength)
        layers += _dense_block(r.width, r.activation, r.batch_norm, r.dropout, options_,
                               r.bn_momentum)  # fmt: skip
    return _finish(layers, r, "mlp")


def _finish(layers: list[keras.layers.Layer], r: Recipe, name: str) -> keras.Model:
    """The softmax layer (float32), the model, compiled with ``r``'s optimizer."""
    layers.append(
        keras.layers.Dense(
            r.classes,
            activation="softmax",
            dtype="float32",
            **_layer_options(r.initializer, r.regularizer, r.strength),
        )
    )
    model = keras.Sequential(layers, name=name)
    return _compile(model, r.optimizer, r.learning_rate, r.schedule, r.steps)


def _levels(filters: int | Sequence[Any], levels: int | None) -> list[list[int]]:
    """Filter counts per level, each level a list of its convolutions' counts."""
    if isinstance(filters, (int, np.integer)):
        counts: list[list[int]] = [[int(filters)]] * (2 if levels is None else levels)
    else:
        counts = [
            [int(f)] if isinstance(f, (int, np.integer)) else [int(c) for c in f] for f in filters
        ]
        if levels is not None and levels != len(counts):
            raise ValueError(f"'levels'={levels} but {len(counts)} levels of filters were given")
    if not counts or not all(counts) or min(min(level) for level in counts) < 1:
        raise ValueError(f"'filters' must give at least one level of >= 1 filter, got {filters}")
    return counts


def cnn(base: CNNRecipe | None = None, /, **options: Any) -> keras.Model:
    """A compiled CNN from a :class:`CNNRecipe` (``base``, default the Keras example's) with
    ``options`` changed."""
    r = recipe("cnn", base, **options)
    assert isinstance(r, CNNRecipe)
    _check_common(r.activation, r.initializer, r.regularizer, r.strength, r.dropout)
    _check_dropout("conv_dropout", r.conv_dropout)
    _choice("padding", r.padding, ("valid", "same"))
    if r.dense < 0:
        raise ValueError(f"the parameter 'dense' must be 0 (none) or positive, got {r.dense!r}")
    layers: list[keras.layers.Layer] = [keras.Input(shape=r.input_shape), *_augmentation(r.augment)]
    for level in _levels(r.filters, r.levels):
        for count in level:
            conv = _layer_options(r.initializer, r.regularizer, r.strength)
            if r.batch_norm:
                layers += [
                    keras.layers.Conv2D(count, 3, padding=r.padding, use_bias=False, **conv),
                    keras.layers.BatchNormalization(momentum=r.bn_momentum),
                    keras.layers.Activation(r.activation),
                ]
            else:
                layers.append(
                    keras.layers.Conv2D(
                        count, 3, padding=r.padding, activation=r.activation, **conv
                    )
                )
        layers.append(keras.layers.MaxPooling2D(2))
        if r.conv_dropout:
            layers.append(keras.layers.Dropout(r.conv_dropout))
    layers.append(keras.layers.Flatten())
    if r.dense:
        dense = _layer_options(r.initializer, r.regularizer, r.strength)
        layers += _dense_block(r.dense, r.activation, r.batch_norm, r.dropout, dense,
                               r.bn_momentum)  # fmt: skip
    elif r.dropout:
        layers.append(keras.layers.Dropout(r.dropout))
    return _finish(layers, r, "cnn")


def build(kind: str, base: Recipe | None = None, /, **options: Any) -> keras.Model:
    """:func:`mlp` or :func:`cnn` by name (``kind`` in :data:`KINDS`) from a recipe and/or
    its options, its layers computing in the recipe's ``precision``."""
    r = recipe(kind, base, **options)
    _choice("precision", r.precision, PRECISIONS)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(r.precision)
    try:
        return {"mlp": mlp, "cnn": cnn}[kind](r)
    finally:
        keras.config.set_dtype_policy(previous)


def canonical(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The whole :func:`recipe` of ``options`` as a dict: two option sets that build the same
    model compare (and hash) equal, e.g. ``{}`` and ``{"activation": "relu"}``. Unknown
    keywords raise."""
    return asdict(recipe(kind, **options))


def resolve_precision(precision: str = "auto") -> str:
    """``precision`` itself, or for ``"auto"`` the faster one this machine supports:
    "mixed_bfloat16" where the CPU has bfloat16 instructions (Linux flags ``avx512_bf16`` or
    ``amx_bf16``; there it halves the time of the base models' epochs), else "float32"
    (emulated bfloat16 is slower than float32)."""
    if precision != "auto":
        _choice("precision", precision, PRECISIONS)
        return precision
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "float32"
    return "mixed_bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


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


def layers_text(model: keras.Model) -> str:
    """``model``'s layer stack in one line, in the style of the reference report's Table 3
    (``Conv2D(32, 3x3, relu) · Conv2D(64, 3x3, relu) · MaxPool 2x2 · Dropout(0.25) · ...``);
    augmentation layers are left out (they act in training only); dropout rates are given to
    two significant digits (a searched rate such as 0.149262 reads 0.15)."""
    parts = []
    for layer in model.layers:
        name = type(layer).__name__
        if name.startswith("Random"):
            continue
        act = getattr(getattr(layer, "activation", None), "__name__", "linear")
        act = "" if act == "linear" else f", {act}"
        if isinstance(layer, keras.layers.Conv2D):
            k = "x".join(map(str, layer.kernel_size))
            same = ", same" if layer.padding == "same" else ""
            parts.append(f"Conv2D({layer.filters}, {k}{same}{act})")
        elif isinstance(layer, keras.layers.Dense):
            parts.append(f"Dense({layer.units}{act})")
        elif isinstance(layer, keras.layers.Dropout):
            parts.append(f"Dropout({layer.rate:.2g})")  # a tuned rate to two digits, like 0.15
        elif isinstance(layer, keras.layers.MaxPooling2D):
            parts.append("MaxPool {}x{}".format(*layer.pool_size))
        elif isinstance(layer, keras.layers.BatchNormalization):
            parts.append("BatchNorm")
        elif isinstance(layer, keras.layers.Activation):
            parts.append(act.lstrip(", ") or "linear")
        else:
            parts.append(name)
    return " · ".join(parts)


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


def set_batch_norm_momentum(model: keras.Model, momentum: float | None) -> keras.Model:
    """Set the momentum of ``model``'s batch-normalisation averages (None: leave Keras' 0.99);
    returns the model.

    With 0.99 the averages that evaluation uses need many hundreds of steps to forget their
    initial values (mean 0, variance 1): a run of a few hundred steps then scores a good model
    near chance (chapter 02's quick CNN, 236 steps, read 0.11 on MNIST; with 0.9, 0.98; the
    first CNN search of chapter 01, about 120 steps per trial, the same). 0.9 settles within a
    few dozen steps; runs of thousands of steps keep the default."""
    if momentum is not None:
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = momentum
    return model
