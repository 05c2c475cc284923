"""Training and scoring clock readers: inputs at a chosen size, one call per run, resumable.

:func:`inputs` turns a split of generated clocks into network inputs at any size (with the
report's contrast pre-processing or not) plus each part's labels and the generator's
auxiliary labels. :func:`train` fits one body with one representation and scores it on the
test part with the common-sense error; a finished run is stored as one JSON line (history,
epoch times, test predictions), so a rerun with the same settings and data trains nothing,
and a run cut short resumes from its last finished epoch (Keras' ``BackupAndRestore``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from .. import data as _data
from .. import files, loops
from ..classifiers.models import prepare, resolve_precision
from ..stores import CLOCK_READER
from . import labels as _labels
from . import models as _models
from . import symmetry as _symmetry
from .designs import nuisances_at
from .labels import Representation
from .metric import common_sense_errors

__all__ = [
    "ClockInputs",
    "ReaderFit",
    "Run",
    "UntilFlat",
    "contrast",
    "decoders",
    "errors_of",
    "flat",
    "head_errors",
    "outputs",
    "read",
    "inputs",
    "more_training",
    "oracle_errors",
    "predict",
    "reread",
    "resize",
    "train",
]

PARTS = ("train", "val", "test")


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 images (n, h, w) as float32 (n, size, size, 1) on the 0..1 scale (area-averaged
    when shrinking, so thin hands fade rather than vanish)."""
    import tensorflow as tf

    if size < 16:
        raise ValueError(f"size must be at least 16 pixels (got {size})")
    x = prepare(images)
    if x.shape[1:3] == (size, size):
        return x
    out = np.empty((len(x), size, size, 1), "float32")
    for i in range(0, len(x), 2048):
        out[i : i + 2048] = tf.image.resize(x[i : i + 2048], (size, size), "area").numpy()
    return out


def contrast(x: np.ndarray, gamma: float = 2.0) -> np.ndarray:
    """The report's contrast pre-processing, darken dark pixels more: ``x ** gamma`` on the
    0..1 scale (0.8 becomes 0.64, 0.3 becomes 0.09)."""
    if gamma <= 0:
        raise ValueError(f"gamma must be positive (got {gamma})")
    return np.power(x, gamma, dtype="float32")


@dataclass
class ClockInputs:
    """A split of clocks ready for training: labels, aux labels and inputs per part, at any
    size and with or without contrast (computed once each, then kept)."""

    split: _data.Split
    aux: dict[str, dict[str, np.ndarray]]
    difficulty: str
    _cache: dict = field(default_factory=dict, repr=False)

    def labels(self, part: str) -> np.ndarray:
        """``[hour, minute]`` of ``part`` (train, val or test)."""
        return getattr(self.split, part)[1]

    def x(self, part: str, size: int, with_contrast: bool = False) -> np.ndarray:
        """Network inputs of ``part`` at ``size``, contrast applied or not."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)} (got {part!r})")
        plain, key = (part, size, False), (part, size, with_contrast)
        if plain not in self._cache:
            self._cache[plain] = resize(getattr(self.split, part)[0], size)
        if key not in self._cache:
            self._cache[key] = contrast(self._cache[plain])
        return self._cache[key]

    def targets(self, rep: Representation, part: str) -> dict[str, np.ndarray]:
        """``rep``'s targets for ``part``."""
        return rep.encode(self.labels(part), self.aux.get(part) if rep.needs_aux else None)

    @property
    def digest(self) -> str:
        return f"{self.split.digest[:16]}-{self.difficulty}"


def inputs(split: _data.Split, *, seed: int | None, difficulty: str) -> ClockInputs:
    """:class:`ClockInputs` of a split of ``clocks.generate(..., seed=seed,
    difficulty=difficulty)``; the aux labels replay the generator's recipe for each index.
    ``seed=None`` for clocks that were not generated (the course's photos): no aux labels."""
    aux = {}
    if seed is not None:
        aux = {p: _labels.aux_labels(seed, split.index[p], difficulty) for p in PARTS}
    return ClockInputs(split, aux, difficulty)


def more_training(data: ClockInputs, extra: Any, *, seed: int) -> ClockInputs:
    """``data`` with the clocks of ``extra`` (a :class:`~labkit.clocks.ClockSet` generated with
    ``seed`` at ``data``'s difficulty) added to its training part; the validation and test
    parts are unchanged. In ``split.index["train"]`` the added clocks are ``-1, -2, ...`` (they
    come from another set); the digest covers both sets, so stored runs tell them apart."""
    if seed is None or not data.aux:
        raise ValueError("more_training needs generated clocks (their aux labels)")
    x, y = data.split.train
    if extra.images.shape[1:] != x.shape[1:]:
        raise ValueError(
            f"the extra clocks are {extra.images.shape[1:]} pixels, the split's {x.shape[1:]}"
        )
    n = len(extra)
    aux = _labels.aux_labels(seed, np.arange(n), data.difficulty)
    split = _data.Split(
        train=(np.concatenate([x, extra.images]), np.concatenate([y, extra.labels])),
        val=data.split.val,
        test=data.split.test,
        index={**data.split.index, "train": np.concatenate([data.split.index["train"],
                                                             -1 - np.arange(n)])},
        digest=_data.digest(np.frombuffer(data.split.digest.encode(), np.uint8),
                            extra.images, extra.labels),
    )  # fmt: skip
    train_aux = {k: np.concatenate([data.aux["train"][k], aux[k]]) for k in aux}
    return ClockInputs(split, {**data.aux, "train": train_aux}, data.difficulty)


def errors_of(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per-clock common-sense errors, in minutes, of ``[hour, minute]`` arrays (n, 2)."""
    return common_sense_errors(*np.asarray(true).T, *np.asarray(pred).T)


@dataclass
class Run:
    """One finished training run: its settings, per-epoch history (``loss``, each head's loss,
    ``val_cse``), seconds per epoch, and the test predictions and their errors."""

    name: str
    settings: dict[str, Any]
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    params: int
    pred: np.ndarray  # (n, 2) [hour, minute] on the test part
    true: np.ndarray
    model: keras.Model | None = None
    resumed: bool = False
    key: str = ""  # its key in the store ("" when it was not stored)

    @property
    def errors(self) -> np.ndarray:
        """Per-clock common-sense error on the test part, in minutes."""
        return errors_of(self.true, self.pred)

    @property
    def cse(self) -> float:
        """Mean common-sense error on the test part, in minutes."""
        return float(self.errors.mean())

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))

    def summary(self) -> dict[str, Any]:
        """The run in one row: test error, hour and minute accuracy, sizes and times."""
        return {
            "cse_minutes": self.cse,
            "hour_accuracy": float(np.mean(self.pred[:, 0] == self.true[:, 0])),
            "minute_accuracy": float(np.mean(self.pred[:, 1] == self.true[:, 1])),
            "params": self.params,
            "epochs": len(self.epoch_seconds),
            "first_epoch_seconds": self.epoch_seconds[0] if self.epoch_seconds else None,
            "train_seconds": self.seconds,
        }


def outputs(
    model: keras.Model,
    rep: Representation,
    x: np.ndarray,
    *,
    averaged: bool = False,
    flips: bool = False,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """``model``'s outputs by head for inputs ``x``; ``averaged``: averaged over each image's
    four quarter turns, or with ``flips`` its eight exact symmetries (for a set with mirror
    images; :func:`~labkit.clocks.symmetry.predict_averaged`, four or eight times the work).
    Compute them once and read them with :func:`read`, :func:`head_errors` and
    :func:`oracle_errors`.

    Calls the model on batches directly rather than through ``model.predict``, which traces a
    graph first: for the few hundred clocks of a validation part that costs more than it saves
    (about a second per run)."""
    if averaged:
        return _symmetry.predict_averaged(
            lambda v: _outputs(model, v, batch_size), rep, x, flips=flips
        )
    return _outputs(model, x, batch_size)


def read(rep: Representation, out: Mapping[str, np.ndarray]) -> np.ndarray:
    """Integer ``[hour, minute]`` (n, 2) from ``rep``'s outputs ``out``."""
    hours, minutes = rep.decode(out)
    return np.stack([hours, minutes], axis=1)


def decoders(
    model: keras.Model, rep: Representation, data: ClockInputs, size: int, averaged: bool
) -> dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]]:
    """Ways to turn ``rep``'s outputs into times ``(n, 2)``, by name: "hand less mark"
    (:func:`read`, ``rep.decode``) and, for image angles, "joint fit"
    (:func:`~labkit.clocks.labels.joint_read`, each head weighted by ``model``'s own spread on
    ``data``'s validation clocks, read as ``averaged`` says)."""
    out: dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]] = {
        "hand less mark": lambda o: read(rep, o)
    }
    if rep.name == "image_angles":
        val = outputs(model, rep, data.x("val", size), averaged=averaged)
        spread = _labels.head_spread(val, data.targets(rep, "val"))
        out["joint fit"] = lambda o: np.stack(_labels.joint_read(o, spread), axis=1)
    return out


def reread(
    run: Run, rep: Representation, data: ClockInputs, size: int, averaged: bool, decoder: str
) -> Run:
    """``run`` (kept with its model) with its test clocks read again by ``decoder`` (a name of
    :func:`decoders`)."""
    if run.model is None:
        raise ValueError(f"run {run.name!r} was not kept with its model (keep_model=True)")
    ways = decoders(run.model, rep, data, size, averaged)
    if decoder not in ways:
        raise ValueError(f"decoder must be one of {', '.join(ways)} (got {decoder!r})")
    out = outputs(run.model, rep, data.x("test", size), averaged=averaged)
    return replace(run, pred=ways[decoder](out))


def predict(
    model: keras.Model,
    rep: Representation,
    x: np.ndarray,
    batch_size: int = 256,
    *,
    averaged: bool = False,
    flips: bool = False,
) -> np.ndarray:
    """Integer ``[hour, minute]`` (n, 2) that ``model`` reads from inputs ``x``
    (:func:`outputs`, then :func:`read`)."""
    out = outputs(model, rep, x, averaged=averaged, flips=flips, batch_size=batch_size)
    return read(rep, out)


def _outputs(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    parts = [model(x[i : i + batch_size], training=False) for i in range(0, len(x), batch_size)]
    return {k: np.concatenate([keras.ops.convert_to_numpy(p[k]) for p in parts]) for k in parts[0]}


def head_errors(
    rep: Representation, out: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """How well each head alone does, from a model's outputs ``out`` (:func:`outputs`) and the
    ``targets`` (``rep.encode``): an angle head's mean angular error in degrees (90 is chance),
    a class or flag head's accuracy (chance: 1 / classes, or the commoner flag's share), a
    numeric head's mean absolute error. It shows which part of a reading a model has learned
    before its time is right."""
    errors = {}
    for head in rep.heads:
        pred, true = np.asarray(out[head.name]), np.asarray(targets[head.name])
        if head.kind == "angle":
            d = np.abs(_labels.read_angle(pred) - _labels.read_angle(true))
            errors[f"{head.name} (degrees)"] = float(np.mean(np.minimum(d, 1 - d)) * 360)
        elif head.kind == "softmax":
            hit = pred.argmax(-1) == true.argmax(-1)
            errors[f"{head.name} (accuracy)"] = float(hit.mean())
        elif head.kind == "sigmoid":
            errors[f"{head.name} (accuracy)"] = float(((pred > 0.5) == (true > 0.5)).mean())
        else:
            errors[f"{head.name} (absolute error)"] = float(np.abs(pred - true).mean())
    return errors


def oracle_errors(
    rep: Representation,
    out: Mapping[str, np.ndarray],
    targets: Mapping[str, np.ndarray],
    true: np.ndarray,
    *,
    extra: Sequence[Sequence[str]] = (),
) -> dict[str, float]:
    """Where a reader's error comes from: the mean common-sense error of its outputs ``out``
    (:func:`outputs`; labels ``true``) as it reads, then with one head's output replaced by the
    truth (``targets``, as ``rep.encode`` gives them), for each head and for each group of
    heads in ``extra``. A head whose truth removes most of the error is the one that fails."""
    groups = [(), *((h.name,) for h in rep.heads), *(tuple(g) for g in extra)]
    unknown = {k for g in groups for k in g} - {h.name for h in rep.heads}
    if unknown:
        raise ValueError(f"{rep.name} has no head {sorted(unknown)}")
    errors = {}
    for group in groups:
        mixed = {k: (np.asarray(targets[k]) if k in group else v) for k, v in out.items()}
        name = "as read" if not group else "true " + " + ".join(group)
        errors[name] = float(errors_of(true, read(rep, mixed)).mean())
    return errors


def _symmetric_batches(
    x: np.ndarray,
    y: dict[str, np.ndarray],
    rep: Representation,
    batch_size: int,
    seed: int,
    flips: bool,
) -> Any:
    """A ``tf.data`` pipeline of shuffled training batches, each image moved by a random one of
    the eight exact symmetries (``flips``) or four quarter turns with its targets
    (:func:`~labkit.clocks.symmetry.random_symmetries`); new draws every epoch, seeded."""
    import tensorflow as tf

    images = tf.constant(x)
    targets = {k: tf.constant(v, tf.float32) for k, v in y.items()}
    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def batch(idx: Any, draw: Any) -> Any:
        picked = {k: tf.gather(v, idx) for k, v in targets.items()}
        return _symmetry.random_symmetries(tf.gather(images, idx), picked, rep, draw, flips)

    pipeline = tf.data.Dataset.zip(order.batch(batch_size), draws).map(batch)
    return pipeline.prefetch(tf.data.AUTOTUNE)


def _learning_rate(
    schedule: str, learning_rate: float | None, steps_per_epoch: int, epochs: int
) -> float | keras.optimizers.schedules.LearningRateSchedule | None:
    """``"constant"``: ``learning_rate`` throughout; ``"cosine"``: a linear warm-up over the
    first epoch from a tenth of it, then a cosine decay to a hundredth of it at the end."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)} (got {schedule!r})")
    if schedule == "constant":
        return learning_rate
    if learning_rate is None:
        raise ValueError("a cosine schedule needs a learning_rate (its peak)")
    total = steps_per_epoch * epochs
    warmup = min(steps_per_epoch, total // 2)
    return keras.optimizers.schedules.CosineDecay(
        learning_rate / 10, max(1, total - warmup), alpha=0.01,
        warmup_target=learning_rate, warmup_steps=warmup,
    )  # fmt: skip


#: Learning-rate schedules :func:`train` knows.
SCHEDULES = ("constant", "cosine")


class _Watch(keras.callbacks.Callback):
    """Per epoch: wall time and the validation common-sense error (into the history)."""

    def __init__(self, rep: Representation, x_val: np.ndarray, y_val: np.ndarray) -> None:
        super().__init__()
        self.rep, self.x_val, self.y_val = rep, x_val, y_val

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self._start  # training time, before the scoring below
        if logs is not None:
            pred = predict(self.model, self.rep, self.x_val)
            logs["val_cse"] = float(errors_of(self.y_val, pred).mean())
            logs["epoch_seconds"] = seconds


def flat(
    values: Sequence[float], patience: int, min_epochs: int = 0, min_delta: float = 0.0
) -> bool:
    """True when a curve to be lowered (one value per epoch) has flattened: it has at least
    ``min_epochs`` values and at least one before its last ``patience``, and none of its last
    ``patience`` values beats the best before them by more than ``min_delta`` (a fraction of
    that best)."""
    if patience < 1 or min_epochs < 0 or not 0 <= min_delta < 1:
        raise ValueError(
            f"need patience >= 1, min_epochs >= 0 and 0 <= min_delta < 1 (got {patience}, "
            f"{min_epochs}, {min_delta})"
        )
    values = list(values)
    if len(values) < max(min_epochs, patience + 1):
        return False
    return min(values[-patience:]) > min(values[:-patience]) * (1 - min_delta)


class UntilFlat(keras.callbacks.Callback):
    """Ends a fit once its validation error (``val_cse``, which :class:`_Watch` adds) has
    flattened (:func:`flat`); the epochs before an interruption count too, read from ``log``
    (the run's per-epoch CSV log, as far as the epoch the fit resumes after). Put it after the
    callbacks that add ``val_cse`` and restore the backup. ``stopped`` is the epoch it ended
    after (None: it ran every epoch)."""

    def __init__(
        self, patience: int, min_epochs: int = 0, min_delta: float = 0.0, log: Path | None = None
    ) -> None:
        super().__init__()
        flat([], patience, min_epochs, min_delta)  # checks the settings
        self.patience, self.min_epochs, self.min_delta, self.log = (
            patience, min_epochs, min_delta, log
        )  # fmt: skip
        self.values: list[float] = []
        self.stopped: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        done = int(getattr(self.model, "_initial_epoch", 0) or 0)
        self.values, self.stopped = [], None
        if done and self.log is not None and Path(self.log).is_file():
            log = pd.read_csv(self.log).drop_duplicates("epoch", keep="last")
            self.values = [float(v) for v in log.sort_values("epoch")["val_cse"][:done]]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.values.append(float((logs or {})["val_cse"]))
        if flat(self.values, self.patience, self.min_epochs, self.min_delta):
            self.model.stop_training = True
            self.stopped = epoch + 1


@dataclass(frozen=True)
class ReaderFit:
    """How :func:`train` trains a clock reader: the network ``body`` (with ``body_options``) at
    ``size`` pixels, ``epochs`` in batches of ``batch_size`` with ``optimizer`` at
    ``learning_rate`` under ``schedule`` (``"constant"``, or ``"cosine"``: warm-up, then decay,
    ``learning_rate`` its peak), the contrast channel (``with_contrast``), the ``seed``, a
    ``subset`` of the training clocks (the first that many; the split's order is random; None:
    all) and ``symmetry``: every training image turned by a random number of quarter turns,
    and flipped at random when the data has mirror images (labels moved exactly,
    :mod:`~labkit.clocks.symmetry`), and the test clocks read in all four (or eight) views,
    the outputs averaged (the validation watch reads one view, for speed). With ``patience``,
    ``epochs`` is a ceiling: the fit ends once the validation error has flattened
    (:class:`UntilFlat`: ``patience`` epochs without a better value, not before
    ``min_epochs``). ``precision``: "float32", "mixed_bfloat16" or "auto" (the faster this
    machine supports, :func:`~labkit.classifiers.models.resolve_precision`; the output layers
    stay float32); a run is keyed on the precision it resolved to."""

    body: str = "reader"
    size: int = 96
    epochs: int = 5
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float | None = 1e-3
    with_contrast: bool = False
    seed: int = 0
    body_options: Mapping[str, Any] = field(default_factory=dict)
    subset: int | None = None
    schedule: str = "constant"
    symmetry: bool = False
    patience: int | None = None
    min_epochs: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        subset = self.subset
        if subset is not None and not (isinstance(subset, int) and subset > 0):
            raise ValueError(f"subset must be a positive number of clocks or None (got {subset!r})")

    def settings(self, rep: Representation) -> dict[str, Any]:
        """What a run records and is keyed on, with the representation's name."""
        return {
            "representation": rep.name, "body": self.body, "size": self.size,
            "epochs": self.epochs, "batch_size": self.batch_size, "optimizer": self.optimizer,
            "learning_rate": self.learning_rate, "contrast": self.with_contrast,
            "seed": self.seed, "options": dict(self.body_options), "subset": self.subset,
            "schedule": self.schedule, "symmetry": self.symmetry,
            "until_flat": None if self.patience is None else {
                "patience": self.patience, "min_epochs": self.min_epochs},
            "precision": resolve_precision(self.precision),
        }  # fmt: skip


def train(
    name: str,
    rep: Representation | str,
    data: ClockInputs,
    fit: ReaderFit | None = None,
    *,
    store: Path | None = None,
    keep_model: bool = False,
    weights_dir: Path | None = None,
    start_from: Run | None = None,
    **changes: Any,
) -> Run:
    """Train a reader as ``fit`` (a :class:`ReaderFit`; default its defaults) with ``changes``
    to it says, with ``rep``'s heads on ``data``'s training part, score the validation part
    after every epoch (its common-sense error, ``val_cse``; no validation loss, which would
    cost a second traced graph per run) and the test part at the end; return the :class:`Run`.

    With ``store`` (a JSON-lines file) a finished run with the same settings, data and code is
    read back instead of trained; while training, Keras' ``BackupAndRestore`` keeps the last
    finished epoch in a folder beside the store, so an interrupted run resumes there.
    ``keep_model`` returns the trained model too; it is then saved under ``weights_dir`` (a
    folder outside git) and a later call loads it rather than retraining. ``start_from``, a run
    kept with its model (same body, representation and size), gives the weights training
    starts from (a second phase of one reader, e.g. on harder clocks); the run is keyed on it.

    (The steps are named: :func:`_read_back`, :func:`_backup_callbacks`,
    :func:`_whole_history`, :func:`_keep`.)
    """
    rep = _labels.get(rep) if isinstance(rep, str) else rep
    f = replace(fit or ReaderFit(), **changes)
    body, size, epochs, batch_size = f.body, f.size, f.epochs, f.batch_size
    seed, subset, symmetry, with_contrast = f.seed, f.subset, f.symmetry, f.with_contrast
    options = dict(f.body_options or {})
    settings = f.settings(rep)
    if start_from is not None:
        if start_from.model is None or not start_from.key:
            raise ValueError(
                "start_from needs a stored run kept with its model (train it with a store and "
                "keep_model=True)"
            )
        settings["start_from"] = start_from.key
    key = CLOCK_READER.key(**settings, data=data.digest)
    weights = weights_dir / f"{name}-{key}.weights.h5" if weights_dir is not None else None

    def build() -> keras.Model:
        keras.utils.set_random_seed(seed)
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(settings["precision"])
        try:
            model = _models.build(body, rep, size=size, seed=seed, **options)
        finally:
            keras.config.set_dtype_policy(previous)
        if start_from is not None:
            model.set_weights(start_from.model.get_weights())
        return model

    flips = "mirror" in nuisances_at(data.difficulty)  # a flip makes a mirror image
    stored = _read_back(name, settings, CLOCK_READER.rows(store).get(key), data, weights,
                        build if keep_model else None)  # fmt: skip
    if stored is not None:
        stored.key = key
        return stored
    start = time.perf_counter()
    x = {p: data.x(p, size, with_contrast) for p in PARTS}
    train_x = x["train"][:subset]
    train_y = {k: v[:subset] for k, v in data.targets(rep, "train").items()}
    rate = _learning_rate(
        f.schedule, f.learning_rate, loops.steps(len(train_x), batch_size), epochs
    )
    model = _models.compile_for(build(), rep, optimizer=f.optimizer, learning_rate=rate)
    backup = store.parent / f".backup-{name}-{key}" if store is not None else None
    callbacks = [_Watch(rep, x["val"], data.labels("val")), *_backup_callbacks(backup)]
    if f.patience is not None:
        log = backup / "log.csv" if backup is not None else None
        callbacks.append(UntilFlat(f.patience, f.min_epochs, log=log))
    if symmetry:
        batches = _symmetric_batches(train_x, train_y, rep, batch_size, seed, flips)
        # the pipeline shuffles itself; Keras' default shuffle=True would only warn
        fitted = model.fit(batches, epochs=epochs, callbacks=callbacks, shuffle=False, verbose=0)
    else:
        fitted = model.fit(
            train_x, train_y, epochs=epochs, batch_size=batch_size, shuffle=True,
            callbacks=callbacks, verbose=0,
        )  # fmt: skip
    history = _whole_history(fitted.history, backup)
    epoch_seconds = [float(s) for s in history.pop("epoch_seconds", [])]
    pred = predict(model, rep, x["test"], averaged=symmetry, flips=flips)
    run = Run(
        name, settings, history, epoch_seconds, int(model.count_params()), pred,
        data.labels("test"), model if keep_model else None, key=key if store is not None else "",
    )  # fmt: skip
    if weights is not None and keep_model:
        with files.atomic_path(weights) as tmp:
            model.save_weights(tmp)
    if store is not None:
        _keep(store, key, run, time.perf_counter() - start)
        shutil.rmtree(backup, ignore_errors=True)
    return run


def _keep(store: Path, key: str, run: Run, seconds: float) -> None:
    """Append a finished run (and the ``seconds`` it took, scoring included) to its store, for
    :func:`_read_back`."""
    row = {
        "name": run.name, "settings": run.settings, "history": run.history,
        "epoch_seconds": run.epoch_seconds, "params": run.params, "pred": run.pred.tolist(),
        "seconds": seconds,
    }  # fmt: skip
    CLOCK_READER.write(store, key, row)


def _read_back(
    name: str,
    settings: dict[str, Any],
    done: dict[str, Any] | None,
    data: ClockInputs,
    weights: Path | None,
    build: Any,
) -> Run | None:
    """The stored run (None when there is none); with ``build`` (a model is wanted), only when
    its weights were kept too, loaded into a fresh model (for predictions only)."""
    if done is None or (build is not None and (weights is None or not weights.is_file())):
        return None
    model = None
    if build is not None:
        model = build()
        read = files.read_or_set_aside(
            weights, lambda p: model.load_weights(p) or True, what="weights file",
            then="the reader is trained again",
        )  # fmt: skip
        if not read:
            return None
    # the whole row: a run this process trained and reads again counts once (cache.row_identity)
    CLOCK_READER.reuse(
        done if "seconds" in done else {**done, "seconds": sum(done["epoch_seconds"])}
    )
    return Run(
        name, settings, done["history"], done["epoch_seconds"], done["params"],
        np.asarray(done["pred"]), data.labels("test"), model, resumed=True,
    )  # fmt: skip


def _backup_callbacks(backup: Path | None) -> list[keras.callbacks.Callback]:
    """A per-epoch log and the last finished epoch's state in ``backup``, so an interrupted run
    resumes there (none without a store)."""
    if backup is None:
        return []
    backup.mkdir(parents=True, exist_ok=True)
    return [
        keras.callbacks.CSVLogger(str(backup / "log.csv"), append=True),
        loops.Backup(str(backup / "state")),
    ]


def _whole_history(history: dict[str, list], backup: Path | None) -> dict[str, list[float]]:
    """The run's epochs as floats, those before an interruption too (from the backup's log)."""
    if backup is not None:
        log = pd.read_csv(backup / "log.csv").drop_duplicates("epoch", keep="last")
        history = {k: log[k].tolist() for k in log.columns if k != "epoch"}
    return loops.floats(history)
