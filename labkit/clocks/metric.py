"""The common-sense error: how far apart two times are on the 12-hour dial, in minutes."""

from __future__ import annotations

import numpy as np

__all__ = ["DIAL_MINUTES", "common_sense_error", "common_sense_errors", "to_minutes"]

#: Minutes on the 12-hour dial.
DIAL_MINUTES = 720


def to_minutes(hours: np.ndarray | float, minutes: np.ndarray | float) -> np.ndarray:
    """Minutes past 12 o'clock on the 12-hour dial, in ``[0, 720)`` (hour 12 is hour 0)."""
    h = np.asarray(hours, dtype=float)
    m = np.asarray(minutes, dtype=float)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(m))):
        raise ValueError("hours and minutes must be finite numbers (got NaN or infinity)")
    return np.mod(h * 60.0 + m, DIAL_MINUTES)


def common_sense_errors(
    hours_true: np.ndarray | float,
    minutes_true: np.ndarray | float,
    hours_pred: np.ndarray | float,
    minutes_pred: np.ndarray | float,
) -> np.ndarray:
    """Per-sample common-sense error: the distance in minutes between two times on the 12-hour
    circle, the shorter way round (11:59 vs 0:01 is 2; 0:00 vs 6:00 is 360, the largest).

    Arguments broadcast like NumPy arrays; scalars give a 0-d array. Predictions may be
    fractional (a regression output) or outside the dial (hour 12 is 0).
    """
    d = np.abs(to_minutes(hours_true, minutes_true) - to_minutes(hours_pred, minutes_pred))
    return np.minimum(d, DIAL_MINUTES - d)


def common_sense_error(
    hours_true: np.ndarray | float,
    minutes_true: np.ndarray | float,
    hours_pred: np.ndarray | float,
    minutes_pred: np.ndarray | float,
) -> float:
    """Mean common-sense error in minutes (see :func:`common_sense_errors`)."""
    errors = common_sense_errors(hours_true, minutes_true, hours_pred, minutes_pred)
    if errors.size == 0:
        raise ValueError("common_sense_error needs at least one sample")
    return float(errors.mean())
