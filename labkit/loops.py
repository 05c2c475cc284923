"""What every training loop of the workbook shares: the steps a run takes, its history as
plain floats (for JSON and tables), and the backup an interrupted fit resumes from."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras

from . import files

__all__ = ["Backup", "EpochClock", "floats", "steps"]


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


class EpochClock(keras.callbacks.Callback):
    """Seconds since the fit began at the end of each epoch (its validation included)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_begin(self, logs: Any = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


class Backup(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` (the last finished epoch kept in ``backup_dir``, an
    interrupted fit resumed there; per epoch only) with its files written whole: the weights go
    to ``epoch-<n>.weights.h5``, then ``training_metadata.json`` names them, each through
    :mod:`labkit.files`, and older weights are deleted only after that, so a fit killed at any
    moment leaves a consistent pair (Keras writes both in place: a kill mid-write leaves a file
    that fails every later run). A backup that cannot be read anyway is set aside
    (``<folder>.corrupt``) with a warning, and the fit starts from its first epoch."""

    def __init__(self, backup_dir: str) -> None:
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=True)
        self._metadata = Path(backup_dir) / "training_metadata.json"

    def on_train_begin(self, logs: Any = None) -> None:
        if not self._metadata.is_file():
            return
        try:
            state = json.loads(self._metadata.read_text())
            weights = self._metadata.parent / state["weights"]
            if self.model.optimizer is not None and not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            self.model.load_weights(weights)
            self.model._initial_epoch = int(state["epoch"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            files.set_aside(
                self._metadata.parent, f"{type(e).__name__}: {str(e)[:200]}",
                "the fit starts from its first epoch",
            )  # fmt: skip

    def _save_model(self) -> None:
        folder = self._metadata.parent
        folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{self._current_epoch}.weights.h5"
        with files.atomic_path(folder / name) as tmp:
            self.model.save_weights(tmp)
        state = {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name}
        files.write_text(self._metadata, json.dumps(state))
        for old in folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)
