"""The few lines every chapter's setup repeats, in one call after the ``parameters`` cell.

>>> cfg = chapter.start("04_vae", profile, seed)   # doctest: +SKIP

checks that Keras 3 is the one imported, keeps TensorFlow's expected retracing warning out of
the outputs, applies the workbook's plotting style (tables and
figures that also typeset in the PDF), seeds Python, NumPy and Keras, starts the wall clock the
metrics JSON reports, and returns the chapter's settings for ``profile`` (read-only).
"""

from __future__ import annotations

import logging
from types import MappingProxyType

from . import profiles, repro, run_record, style

__all__ = ["check_keras", "quiet_retracing", "start"]


def check_keras() -> str:
    """Raise ``RuntimeError`` unless ``import keras`` gives Keras 3 or newer; return its version.

    The workbook is written for Keras 3 with the TensorFlow backend (never ``tf_keras``).
    """
    import keras

    major = int(keras.__version__.split(".")[0])
    if major < 3:
        raise RuntimeError(
            f"this workbook needs Keras 3 (`import keras`), found {keras.__version__}; "
            "run `make setup` (or `pip install -e .`) to get the pinned versions"
        )
    return keras.__version__


class _NoRetracingWarning(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning. Every new model traces its
    own training function, so a chapter's loop over models (an experiment, a search) always
    "retraces"; the warning is expected there and would only fill the chapter's outputs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def quiet_retracing() -> None:
    """Keep TensorFlow's retracing warning out of this session's outputs (once per session)."""
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NoRetracingWarning) for f in logger.filters):
        logger.addFilter(_NoRetracingWarning())


def start(stem: str, profile: str, seed: int) -> MappingProxyType:
    """Set up chapter ``stem`` (e.g. ``"04_vae"``) for ``profile`` and ``seed``; returns its
    settings from :mod:`labkit.profiles`. A bad profile or seed raises ``ValueError`` naming
    the allowed values."""
    cfg = profiles.get(stem, profile)
    check_keras()
    quiet_retracing()
    style.setup()
    repro.seed_everything(seed)
    run_record.start()
    return cfg
