"""Small fits an exercise runs, each in a process of its own.

A spawned process has its own NumPy, Python and Keras random state, so an exercise that
trains leaves the notebook's generators, and with them the chapter's later results, exactly as
they were (the reason exercises can stay out of a chapter's fingerprint).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["apart", "mnist_flat", "small_model"]


def apart(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a fresh spawned process (``fn`` importable by name); its result."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def small_model(kind: str, rate: float = 1e-3, seed: int | None = None) -> Any:
    """A compiled small classifier of MNIST digits: ``"mlp"`` (784 pixels, 128 relu units) or
    ``"cnn"`` (28 x 28 x 1; two 3 x 3 convolutions of 16 and 32 filters, each pooled), a
    softmax of 10, Adam at ``rate``; initial weights drawn with ``seed`` (``None``: from
    Keras' global seed)."""
    import keras

    init = "glorot_uniform" if seed is None else keras.initializers.GlorotUniform(seed=seed)
    if kind == "mlp":
        layers = [keras.Input((784,)), keras.layers.Dense(128, "relu", kernel_initializer=init)]
    else:
        layers = [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer=init),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer=init),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
        ]
    model = keras.Sequential([*layers, keras.layers.Dense(10, "softmax", kernel_initializer=init)])
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def mnist_flat(images: int, seed: int, val: int = 2_000) -> tuple[np.ndarray, ...]:
    """``images`` MNIST training images and ``val`` others for validation, as floats in [0, 1]
    of 784 pixels, drawn with ``seed``: (x_fit, y_fit, x_val, y_val)."""
    from .. import data

    (x, y), _ = data.load_dataset("mnist")
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    order = np.random.default_rng(seed).permutation(len(x))
    fit, held = order[:images], order[images : images + val]
    return x[fit], y[fit], x[held], y[held]
