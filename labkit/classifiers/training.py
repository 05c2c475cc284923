"""Training one classifier: :func:`fit` (seeded, on uint8 images), :func:`fit_and_score` (then
scored once on a test set) and :func:`train_and_test` (a final model on a stratified subset).
:mod:`labkit.classifiers.experiments` runs grids of them; chapter 02's arms
(:mod:`labkit.classifiers.permutation`) and chapter 01's final models use them directly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .. import loops
from ..data import digest as data_digest
from ..data import stratified_subset
from ..stores import FINAL_MODELS
from . import models

__all__ = ["fit", "fit_and_score", "subsets", "train_and_test"]


def fit(
    kind: str,
    options: Mapping[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    epochs: int | None = None,
    steps: int | None = None,
    points: int = 1,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    batch_size: int = 128,
    eager: bool = False,
    bn_momentum: float | None = None,
) -> tuple[Any, dict[str, list[float]]]:
    """Build ``kind`` with ``options``, seed Keras, fit on uint8 images ``x`` for ``epochs``
    passes or exactly ``steps`` batches (one of the two; the images reshuffled at every pass);
    return the model and its history: lists with an entry per epoch, or, when ``steps`` is
    given, per ``steps / points`` batches (``points`` must divide ``steps``), so a run in steps
    has a learning curve too; ``val_*`` when ``validation`` is given, and ``seconds``, the
    time since the fit began at each entry (validation included).

    ``eager=True`` runs Keras eagerly, which is faster than tracing a graph for tiny data
    (the smoke profile). ``bn_momentum`` sets the momentum of the batch-normalisation layers'
    averages (None: Keras' 0.99). A run of a few hundred steps needs about 0.9: with 0.99 the
    averages that evaluation uses still carry their initial values (chapter 02's quick CNN,
    236 steps, scored 0.11 on MNIST; with 0.9, 0.98).
    """
    if (epochs is None) == (steps is None) or (epochs or steps or 0) < 1:
        raise ValueError(f"give either 'epochs' or 'steps' (>= 1), got {epochs!r} and {steps!r}")
    if points < 1 or (steps is not None and steps % points):
        raise ValueError(f"'points' must be >= 1 and divide 'steps' ({steps!r}), got {points!r}")
    keras.utils.set_random_seed(seed)
    total = steps if steps is not None else loops.steps(len(x), batch_size, epochs)
    model = models.build(kind, **{"steps": total, **options})  # steps: for one-cycle
    models.set_batch_norm_momentum(model, bn_momentum)
    if eager:
        model.run_eagerly = True
    if validation is not None:
        validation = (models.prepare(validation[0]), np.asarray(validation[1]))
    if steps is None:
        data: dict[str, Any] = {"x": models.prepare(x), "y": np.asarray(y), "epochs": epochs,
                                "batch_size": batch_size, "shuffle": True}  # fmt: skip
    else:
        import tensorflow as tf

        batches = (
            tf.data.Dataset.from_tensor_slices((models.prepare(x), np.asarray(y)))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .batch(batch_size)
        )
        data = {"x": batches, "epochs": points, "steps_per_epoch": steps // points,
                "shuffle": False}  # fmt: skip
    clock = loops.EpochClock()
    history = model.fit(**data, validation_data=validation, verbose=0, callbacks=[clock])
    return model, {**loops.floats(history), "seconds": clock.seconds}


def subsets(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    subset: int | None,
    test_subset: int | None,
    seed: int,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Stratified ``subset`` of the training images and ``test_subset`` of the test images
    (None: all of them, in their order), drawn with ``seed``."""
    parts = []
    for (x, y), n in ((train, subset), (test, test_subset)):
        x, y = np.asarray(x), np.asarray(y)
        index = stratified_subset(y, n, seed=seed)
        parts.append((x, y) if len(index) == len(y) else (x[index], y[index]))
    return parts[0], parts[1]


def fit_and_score(
    kind: str,
    options: Mapping[str, Any],
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    seed: int,
    epochs: int,
    batch_size: int = 128,
    eager: bool = False,
    bn_momentum: float | None = None,
) -> tuple[dict[str, Any], Any]:
    """:func:`fit` on ``train``, then score the model once on ``test``; returns the row (test
    accuracy and loss, last training accuracy, images, epochs, steps, parameters, seconds) and
    the model."""
    start = time.perf_counter()
    model, history = fit(
        kind, options, *train, seed=seed, epochs=epochs, batch_size=batch_size, eager=eager,
        bn_momentum=bn_momentum,
    )  # fmt: skip
    loss, accuracy = model.evaluate(models.prepare(test[0]), test[1], verbose=0)
    row = {
        "test_accuracy": float(accuracy),
        "test_loss": float(loss),
        "train_accuracy": history["accuracy"][-1],
        "train_images": int(len(train[1])),
        "test_images": int(len(test[1])),
        "epochs": epochs,
        "steps": loops.steps(len(train[1]), batch_size, epochs),
        "params": int(model.count_params()),
        "seconds": time.perf_counter() - start,
    }
    return row, model


def train_and_test(
    kind: str,
    options: Mapping[str, Any],
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    seed: int,
    epochs: int,
    subset: int | None = None,
    test_subset: int | None = None,
    batch_size: int = 128,
    store_path: Path | str | None = None,
) -> dict[str, Any]:
    """A final model: trained on the whole training set (or a stratified ``subset`` of it,
    for reduced profiles), then evaluated once on the test set (or a stratified
    ``test_subset`` of it, for the smoke profile's speed); returns :func:`fit_and_score`'s
    row. With ``store_path`` (a ``.jsonl`` file) a finished row is kept and read back instead
    of training again, keyed by everything that makes it and the code it runs
    (:data:`labkit.stores.FINAL_MODELS`): an
    interrupted chapter resumes after its last finished model."""
    key = FINAL_MODELS.key(
        kind=kind, options=models.canonical(kind, options), seed=seed, epochs=epochs,
        subset=subset, test_subset=test_subset, batch_size=batch_size,
        data=data_digest(*train, *test),
    )  # fmt: skip
    stored = FINAL_MODELS.read(store_path, key) if store_path is not None else None
    if stored is not None:
        return stored
    train, test = subsets(train, test, subset=subset, test_subset=test_subset, seed=seed)
    row = fit_and_score(kind, options, train, test, seed=seed, epochs=epochs,
                        batch_size=batch_size)[0]  # fmt: skip
    if store_path is not None:
        FINAL_MODELS.write(store_path, key, row)
    return row
