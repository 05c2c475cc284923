"""Chapter 00's statistics of a dataset: how many images each class has and what the pixels hold.

The loaders, the names and the split live in :mod:`labkit.data`; these two only describe what
was loaded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_counts", "pixel_stats"]


def class_counts(labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """How many examples of each class ``0..n_classes-1`` ``labels`` holds."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return np.bincount(labels.astype(np.int64), minlength=n_classes)


def pixel_stats(images: np.ndarray) -> dict[str, float]:
    """Summary statistics of uint8 images, on the 0..1 scale the models see.

    ``fraction_zero`` counts background pixels (exactly 0), ``fraction_near_max`` full-ink ones
    (at least 250/255, since MNIST's pen strokes are mostly 252..255 rather than exactly 255).
    """
    x = np.asarray(images, dtype=np.float64) / 255.0
    return {
        "mean": float(x.mean()),
        "std": float(x.std()),
        "fraction_zero": float((x == 0).mean()),
        "fraction_near_max": float((x >= 250 / 255).mean()),
    }
