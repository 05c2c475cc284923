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

__all__ = ["apart", "mnist_flat"]


def apart(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a fresh spawned process (``fn`` importable by name); its result."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def mnist_flat(images: int, seed: int, val: int = 2_000) -> tuple[np.ndarray, ...]:
    """``images`` MNIST training images and ``val`` others for validation, as floats in [0, 1]
    of 784 pixels, drawn with ``seed``: (x_fit, y_fit, x_val, y_val)."""
    from .. import data

    (x, y), _ = data.load_dataset("mnist")
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    order = np.random.default_rng(seed).permutation(len(x))
    fit, held = order[:images], order[images : images + val]
    return x[fit], y[fit], x[held], y[held]
