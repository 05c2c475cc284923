"""What every training loop of the workbook shares: the steps a run takes and its history as
plain floats (for JSON and tables)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["steps", "floats"]


def steps(images: int, batch_size: int, epochs: int = 1) -> int:
    """Gradient steps of ``epochs`` over ``images`` in batches of ``batch_size`` (the last batch
    of an epoch may be short)."""
    if images < 0 or batch_size < 1 or epochs < 0:
        raise ValueError(
            f"need images >= 0, batch_size >= 1 and epochs >= 0, got {images}, {batch_size}, "
            f"{epochs}"
        )
    return epochs * math.ceil(images / batch_size)


def floats(history: Any, skip: Sequence[str] = ()) -> dict[str, list[float]]:
    """A Keras history (a ``History`` or its ``.history`` dict) as lists of Python floats, without
    the keys in ``skip``."""
    logs: Mapping[str, Sequence[Any]] = getattr(history, "history", history)
    return {k: [float(v) for v in vs] for k, vs in logs.items() if k not in skip}
