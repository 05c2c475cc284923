"""Seeding (Python, NumPy, Keras/TensorFlow) and the record of library versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random
from pathlib import Path

import numpy as np

_VERSIONED = (
    "keras",
    "tensorflow",
    "tensorflow-cpu",
    "keras-tuner",
    "numpy",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "labkit",
)


def seed_everything(seed: int, deterministic: bool = True) -> int:
    """Seed Python's ``random``, NumPy and Keras (which seeds the TensorFlow backend).

    With ``deterministic=True`` TensorFlow is also asked for deterministic ops, so that the
    same seed and profile give the same numbers on the CPU. Returns ``seed``.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"the parameter 'seed' must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


def machine() -> dict[str, str | int | float]:
    """The machine a chapter ran on: platform, CPU model, logical cores and memory (GiB)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out: dict[str, str | int | float] = {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
    }
    try:
        out["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError, AttributeError):
        pass
    return out


def versions() -> dict[str, str]:
    """Python, platform and the versions of the libraries the workbook uses (those installed)."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out
