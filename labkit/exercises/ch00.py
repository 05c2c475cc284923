"""Chapter 00's exercise: counting the images of each class."""

from __future__ import annotations

from typing import Any

import numpy as np

from .feedback import Case, Result, function_check

__all__ = ["class_counts", "reference_class_counts"]


def reference_class_counts(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """How many of ``labels`` fall in each class ``0 .. n_classes - 1`` (a class with no
    label counts 0)."""
    return np.bincount(np.asarray(labels, dtype=int), minlength=n_classes)


def _case(labels: list[int] | np.ndarray, n_classes: int, hint: str = "") -> Case:
    labels = np.asarray(labels, dtype=int)
    shown = np.array2string(labels, threshold=8, edgeitems=3, separator=", ")
    return Case(
        (labels, n_classes),
        reference_class_counts(labels, n_classes),
        f"labels {shown}, {n_classes} classes",
        hint,
    )


def class_counts(fn: Any) -> Result:
    """Exercise 00.1: ``fn(labels, n_classes)`` returns the count of each class, in class
    order, with 0 for a class that has no label."""
    visible = [
        _case([0, 1, 1, 2, 2, 2], 3),
        _case([0, 0, 2], 3, "a class with no image counts 0, in its place"),
        _case([3, 3], 5, "the result has one entry per class, n_classes of them"),
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(12):
        n_classes = int(rng.integers(2, 11))
        present = rng.choice(n_classes, size=int(rng.integers(1, n_classes + 1)), replace=False)
        hidden.append(
            _case(
                rng.choice(present, size=int(rng.integers(1, 60))),
                n_classes,
                "a class with no image counts 0, in its place",
            )
        )
    return function_check("00.1", fn, visible, hidden, atol=0, rtol=0)
