"""keras-tuner random search over the MLP and the CNN, coarse then fine, resumable.

The coarse search samples from wide ranges (:class:`Space` for the MLP: depth, width, dropout,
batch normalisation, activation, learning rate; :class:`CNNSpace` for the CNN: filters,
convolutions per level, dense units, dropouts, batch normalisation, learning rate), optionally
starting from a hand-set point; the fine search samples again in a space narrowed around the
best coarse trial (``narrow``). The tuner state lives in a folder (the chapter uses
``reports/<profile>/tuning/``): a search interrupted part-way resumes where it stopped, and
finished trials are never trained again. A project's folder name carries a hash of its space,
data, settings and code (:data:`labkit.stores.TUNER_PROJECTS`), so a changed setting or an
edited builder starts a new search instead of mixing with an old one.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import keras
import keras_tuner as kt
import pandas as pd

from ... import files, loops
from ...data import Split
from ...stores import TUNER_PROJECTS
from .. import models

__all__ = [
    "Space",
    "CNNSpace",
    "SeededRandomSearch",
    "SPACES",
    "HAND_SET",
    "space",
    "make_tuner",
    "oracle_seed",
    "search",
    "table",
    "best",
    "model_options",
    "coarse_to_fine",
    "Result",
]


def _int(hp: kt.HyperParameters, name: str, lo: int, hi: int, log: bool = False) -> int:
    if lo == hi:
        return hp.Fixed(name, lo)
    return hp.Int(name, lo, hi, sampling="log" if log else "linear")


def _float(hp: kt.HyperParameters, name: str, lo: float, hi: float, log: bool = False) -> float:
    if lo == hi:
        return hp.Fixed(name, lo)
    return hp.Float(name, lo, hi, sampling="log" if log else "linear")


def _choice(hp: kt.HyperParameters, name: str, values: Sequence[Any]) -> Any:
    return hp.Fixed(name, values[0]) if len(values) == 1 else hp.Choice(name, list(values))


def _check_ranges(space: Any, names: Sequence[str]) -> None:
    for name in names:
        lo, hi = getattr(space, name)
        if lo > hi:
            raise ValueError(f"the range '{name}' is empty: {lo} > {hi}")
    if space.learning_rate[0] <= 0:
        raise ValueError("the range 'learning_rate' must be positive (it is log-scaled)")


def _around(best: dict[str, Any], name: str, factor: float, lo: float) -> tuple[float, float]:
    value = float(best[name])
    return max(lo, value / factor), value * factor


@dataclass(frozen=True)
class _Hypermodel:
    """What both spaces share: the batch-normalisation and learning-rate choices, the training
    recipe every trial uses (``optimizer`` under ``schedule``, batch normalisation averaged with
    ``bn_momentum``, arithmetic in ``precision``) and building the model of a sampled point."""

    batch_norm: tuple[bool, ...] = (True, False)
    learning_rate: tuple[float, float] = (3e-4, 1e-2)
    optimizer: str = "adamw"
    schedule: str = "one_cycle"
    bn_momentum: float = 0.9
    precision: str = "float32"

    def _fixed(self) -> dict[str, Any]:
        """The options every trial has alike (none sampled)."""
        return {
            "optimizer": self.optimizer,
            "schedule": self.schedule,
            "bn_momentum": self.bn_momentum,
            "precision": self.precision,
        }

    def options(self, hp: kt.HyperParameters) -> dict[str, Any]:
        raise NotImplementedError

    def recipe(self, hp: kt.HyperParameters, steps: int | None = None) -> models.Recipe:
        """The model recipe of a sampled point (:class:`labkit.classifiers.models.MLPRecipe` or
        :class:`~labkit.classifiers.models.CNNRecipe`, the builders' own type)."""
        return models.recipe(self.kind, **self.options(hp), steps=steps)

    def build(self, hp: kt.HyperParameters, steps: int | None = None) -> keras.Model:
        """The hypermodel: :func:`labkit.classifiers.models.build` of :meth:`recipe` (batch
        normalisation with :attr:`bn_momentum`, see
        :func:`labkit.classifiers.models.set_batch_norm_momentum`)."""
        return models.build(self.kind, self.recipe(hp, steps))


@dataclass(frozen=True)
class Space(_Hypermodel):
    """The search space of the MLP: inclusive ranges and choices. Every trial trains with
    ``optimizer`` under ``schedule`` (AdamW with a one-cycle schedule peaking at the sampled
    learning rate), batch normalisation averaged with ``bn_momentum`` and arithmetic in
    ``precision`` (see :data:`labkit.classifiers.models.PRECISIONS`): the recipe the final
    models train with, since :func:`model_options` carries all four."""

    depth: tuple[int, int] = (1, 3)
    width: tuple[int, int] = (128, 1024)
    dropout: tuple[float, float] = (0.0, 0.5)
    activations: tuple[str, ...] = ("relu", "elu", "gelu")
    kind: str = "mlp"

    def __post_init__(self) -> None:
        _check_ranges(self, ("depth", "width", "dropout", "learning_rate"))
        if not self.activations or not self.batch_norm:
            raise ValueError("the choices 'activations' and 'batch_norm' need at least one value")

    def narrow(self, best: dict[str, Any]) -> Space:
        """A fine space around ``best`` (a trial's values): same depth, batch normalisation and
        activation, width within a factor 2 (but not above the coarse space's widest, which
        bounds the final training's time), dropout within +-0.1, learning rate within a
        factor 3."""
        width = int(best["width"])
        dropout = float(best["dropout"])
        return replace(
            self,
            depth=(int(best["depth"]), int(best["depth"])),
            width=(max(self.width[0] // 2, width // 2), min(self.width[1], width * 2)),
            dropout=(max(0.0, round(dropout - 0.1, 3)), min(0.8, round(dropout + 0.1, 3))),
            batch_norm=(bool(best["batch_norm"]),),
            activations=(str(best["activation"]),),
            learning_rate=_around(best, "learning_rate", 3, 1e-6),
        )

    def options(self, hp: kt.HyperParameters) -> dict[str, Any]:
        """The :func:`labkit.classifiers.models.mlp` options of one sampled point."""
        return {
            "depth": _int(hp, "depth", *self.depth),
            "width": _int(hp, "width", *self.width, log=True),
            "dropout": _float(hp, "dropout", *self.dropout),
            "batch_norm": bool(_choice(hp, "batch_norm", self.batch_norm)),
            "activation": _choice(hp, "activation", self.activations),
            "learning_rate": _float(hp, "learning_rate", *self.learning_rate, log=True),
            **self._fixed(),
        }


@dataclass(frozen=True)
class CNNSpace(_Hypermodel):
    """The search space of the CNN: ``filters`` at the first level (twice as many at the
    second; two levels, 3x3 convolutions with "same" padding), ``convs`` per level, the dense
    layer's units, both dropouts, batch normalisation and AdamW's one-cycle peak rate. The
    compute per image grows with the square of ``filters`` (and with ``convs``), so the
    choices stop where one epoch on 60 000 images takes about a minute on 2 cores (16 filters
    with two convolutions per level: 62 s; 24 filters: 106 s; 32 filters: 190 s, measured)."""

    filters: tuple[int, ...] = (8, 12, 16)
    convs: tuple[int, ...] = (1, 2)
    dense: tuple[int, int] = (64, 512)
    conv_dropout: tuple[float, float] = (0.0, 0.4)
    dropout: tuple[float, float] = (0.1, 0.6)
    kind: str = "cnn"

    def __post_init__(self) -> None:
        _check_ranges(self, ("dense", "conv_dropout", "dropout", "learning_rate"))
        if not self.filters or not self.convs or not self.batch_norm:
            raise ValueError("the choices 'filters', 'convs' and 'batch_norm' need a value")

    def narrow(self, best: dict[str, Any]) -> CNNSpace:
        """A fine space around ``best``: same filters, convolutions and batch normalisation,
        dense units within a factor 2 (at most the coarse space's largest), dropouts within
        +-0.1, learning rate within a factor 3."""
        dense = int(best["dense"])

        def near(name: str) -> tuple[float, float]:
            value = float(best[name])
            return max(0.0, round(value - 0.1, 3)), min(0.8, round(value + 0.1, 3))

        return replace(
            self,
            filters=(int(best["filters"]),),
            convs=(int(best["convs"]),),
            dense=(max(16, dense // 2), min(self.dense[1], dense * 2)),
            conv_dropout=near("conv_dropout"),
            dropout=near("dropout"),
            batch_norm=(bool(best["batch_norm"]),),
            learning_rate=_around(best, "learning_rate", 3, 1e-6),
        )

    def options(self, hp: kt.HyperParameters) -> dict[str, Any]:
        """The :func:`labkit.classifiers.models.cnn` options of one sampled point."""
        f = _choice(hp, "filters", self.filters)
        convs = _choice(hp, "convs", self.convs)
        return {
            "filters": ((f,) * convs, (2 * f,) * convs),
            "padding": "same",
            "dense": _int(hp, "dense", *self.dense, log=True),
            "conv_dropout": _float(hp, "conv_dropout", *self.conv_dropout),
            "dropout": _float(hp, "dropout", *self.dropout),
            "batch_norm": bool(_choice(hp, "batch_norm", self.batch_norm)),
            "learning_rate": _float(hp, "learning_rate", *self.learning_rate, log=True),
            **self._fixed(),
        }


#: The two searches' spaces, by model kind.
SPACES: dict[str, Space | CNNSpace] = {"mlp": Space(), "cnn": CNNSpace()}

#: Chapter 01's first trial of each coarse search (the probes' recipes): the chapter and the
#: distributed search start from it.
HAND_SET: dict[str, dict[str, Any]] = {
    "mlp": {"depth": 2, "width": 1024, "dropout": 0.3, "batch_norm": True, "activation": "relu",
            "learning_rate": 3e-3},
    "cnn": {"filters": 16, "convs": 2, "dense": 256, "conv_dropout": 0.25, "dropout": 0.5,
            "batch_norm": True, "learning_rate": 3e-3},
}  # fmt: skip


def space(kind: str, precision: str = "float32") -> Space | CNNSpace:
    """The coarse search space of ``kind`` (:data:`SPACES`) with its trials computing in
    ``precision`` (see :func:`labkit.classifiers.models.resolve_precision`): the space chapter
    01 and a distributed search (:mod:`labkit.classifiers.tuning.distributed`) both search."""
    if kind not in SPACES:
        raise ValueError(f"unknown model {kind!r}: must be one of {', '.join(SPACES)}")
    return replace(SPACES[kind], precision=models.resolve_precision(precision))


def model_options(space: Space | CNNSpace, values: dict[str, Any]) -> dict[str, Any]:
    """The :mod:`labkit.classifiers.models` options of a trial's ``values`` (e.g.
    :func:`best`'s)."""
    hp = kt.HyperParameters()
    hp.values.update(values)
    return space.options(hp)


class _FirstPointOracle(kt.oracles.RandomSearchOracle):
    """Random search whose first trial is a given point (a hand-set recipe), so the search's
    table shows how the sampled points compare with it on the same footing."""

    def __init__(self, *args: Any, first: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.first = dict(first) if first else None
        super().__init__(*args, **kwargs)

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        if self.first is not None and not self.trials:
            values = {hp.name: hp.default for hp in self.hyperparameters.space}
            unknown = set(self.first) - set(values)
            if unknown:
                raise ValueError(f"the first point names unknown hyperparameters {unknown}")
            return {"status": "RUNNING", "values": {**values, **self.first}}
        return super().populate_space(trial_id)

    # keras-tuner's end_trial saves the oracle before it removes the ended trial from
    # ongoing_trials, and reload() sends every trial listed there back to be trained: a
    # search (or a distributed chief) killed between the two trained a finished trial again.
    # Saved once more after the removal, and an ended trial is never retried on reload.
    @kt.synchronized
    def end_trial(self, trial: kt.engine.trial.Trial) -> None:
        super().end_trial(trial)
        self.save()

    def reload(self) -> None:
        super().reload()
        ended = ("COMPLETED", "FAILED")
        self._retry_queue = [
            t for t in self._retry_queue if getattr(self.trials.get(t), "status", None) not in ended
        ]

    # keras-tuner writes its files in place (a kill mid-write leaves half a file that blocks
    # every later reload); these write them whole or not at all (labkit.files)
    def save(self) -> None:
        files.write_text(self._get_oracle_fname(), json.dumps(self.get_state()))

    def _save_trial(self, trial: kt.engine.trial.Trial) -> None:
        trial_dir = Path(self._get_trial_dir(trial.trial_id))
        files.write_text(trial_dir / "trial.json", json.dumps(trial.get_state()))


class SeededRandomSearch(kt.Tuner):
    """Random search (optionally starting from a ``first`` point) that seeds Keras before
    each trial (the same trial -> the same model, also when it is retried after an
    interruption) and keeps no per-trial weights: the chapter retrains its final models, so
    checkpoints would only fill the disk."""

    def __init__(
        self,
        hypermodel: Any,
        *,
        objective: Any,
        max_trials: int,
        seed: int = 0,
        first: dict[str, Any] | None = None,
        model_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        self.model_seed = model_seed
        oracle = _FirstPointOracle(
            objective=objective, max_trials=max_trials, seed=seed, first=first
        )
        super().__init__(oracle, hypermodel, **kwargs)
        if not self._is_worker() and not self.oracle.trials:
            # keras-tuner reloads only when this tuner's own file exists, which it writes at
            # the end of a search; the oracle's file is written after every trial, so a search
            # (or a distributed chief) killed mid-stage resumes from it instead of restarting
            oracle_file = Path(self.project_dir) / "oracle.json"
            if oracle_file.is_file():
                self.oracle.reload()
                self.save()

    def save(self) -> None:
        """The oracle's and this tuner's files, each written whole (:mod:`labkit.files`)."""
        if not self._is_worker():
            self.oracle.save()
        files.write_text(self._get_tuner_fname(), json.dumps(self.get_state()))

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> Any:
        keras.utils.set_random_seed(self.model_seed)
        return super().run_trial(trial, *args, **kwargs)

    def save_model(self, trial_id: str, model: keras.Model, step: int = 0) -> None:
        pass


def check_project(folder: Path | str) -> bool:
    """Read every file keras-tuner keeps in a search's project ``folder`` (the oracle's, the
    tuners', each trial's); when one is not whole JSON the folder is set aside as
    ``<folder>.corrupt`` with a warning naming the file (:func:`labkit.files.set_aside`) and
    False returned: the search starts again. True when the folder is absent or every file
    reads."""
    folder = Path(folder)
    if not folder.is_dir():
        return True
    for path in sorted([*folder.glob("*.json"), *folder.glob("trial_*/trial.json")]):
        try:
            json.loads(path.read_text())
        except (OSError, ValueError) as e:
            files.set_aside(
                folder,
                f"{path.relative_to(folder.parent)} is not whole JSON: {e}",
                "this search's trials are run again in a new folder",
            )
            return False
    return True


def _project(name: str, space: Space, data: Split, **settings: Any) -> str:
    """The tuner's project folder: ``name`` and a hash of the space, data, settings and the code
    a trial runs (:data:`labkit.stores.TUNER_PROJECTS`): a search resumed after an edit starts a
    new project instead of reading back trials made by other code."""
    return TUNER_PROJECTS.folder("", name, space=space, data=data.digest, **settings).name


def search(
    space: Space | CNNSpace,
    data: Split,
    *,
    directory: Path | str,
    name: str,
    trials: int,
    epochs: int,
    seed: int = 0,
    batch_size: int = 128,
    first: dict[str, Any] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> kt.Tuner:
    """Run (or resume) a random search of ``trials`` trials; returns the tuner.

    A trial's score is its validation accuracy on ``data``'s validation part at its best epoch
    (keras-tuner's rule for a "max" objective). ``first`` (hyperparameter values) is tried
    first, before the random points.
    """
    if trials < 1 or epochs < 1:
        raise ValueError(f"'trials' and 'epochs' must be at least 1, got {trials} and {epochs}")
    tuner = make_tuner(
        space, data, name=name, trials=trials, epochs=epochs, seed=seed,
        batch_size=batch_size, first=first, directory=directory,
    )  # fmt: skip
    spent = Path(tuner.project_dir) / "labkit-seconds.json"  # the search's own clock
    before = (
        files.read_or_set_aside(
            spent,
            lambda p: float(json.loads(p.read_text())["seconds"]),
            what="the search's clock",
            then="it restarts at 0",
        )
        or 0.0
    )
    if before:  # trials read back count the seconds they first took
        TUNER_PROJECTS.reuse({"seconds": before})
    start = time.perf_counter()
    tuner.search(
        models.prepare(data.x_train),
        data.y_train,
        validation_data=(models.prepare(data.x_val), data.y_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=list(callbacks),
        verbose=0,
    )
    total = {"seconds": before + time.perf_counter() - start}
    files.write_text(spent, json.dumps(total) + "\n")
    return tuner


def oracle_seed(seed: int, name: str) -> int:
    """The random search's seed for the search called ``name`` (e.g. "mnist-cnn-fine"): the
    chapter's ``seed`` shifted by a hash of the name, so that searches on different datasets
    sample different points (with one seed for all they sampled the same ones)."""
    return int(seed) + zlib.crc32(name.encode()) % 100_000


def make_tuner(
    space: Space | CNNSpace,
    data: Split,
    *,
    name: str,
    trials: int,
    epochs: int,
    seed: int,
    batch_size: int,
    first: dict[str, Any] | None,
    directory: Path | str,
) -> kt.Tuner:
    """The tuner :func:`search` runs, reloaded from its project folder (:func:`_project`) when
    one exists: a distributed search's chief and workers build theirs the same way."""
    steps = loops.steps(len(data.y_train), batch_size, epochs)
    settings = dict(trials=trials, epochs=epochs, seed=seed, batch_size=batch_size, first=first)
    project = _project(name, space, data, **settings)
    check_project(Path(directory) / project)
    with contextlib.redirect_stdout(io.StringIO()):  # keras-tuner prints "Reloading Tuner ..."
        return SeededRandomSearch(
            functools.partial(space.build, steps=steps),
            objective=kt.Objective("val_accuracy", direction="max"),
            max_trials=trials,
            seed=oracle_seed(seed, name),
            first=first,
            model_seed=seed,
            directory=str(directory),
            project_name=project,
            overwrite=False,
        )


def table(tuner: kt.Tuner) -> pd.DataFrame:
    """One row per completed trial: its values and validation accuracy, best first."""
    rows = []
    for trial in tuner.oracle.trials.values():
        if trial.status != "COMPLETED":
            continue
        score = trial.score if trial.score is not None else math.nan
        rows.append(
            {"trial": trial.trial_id, **trial.hyperparameters.values, "val_accuracy": score}
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("val_accuracy", ascending=False, kind="stable").reset_index(drop=True)


def best(tuner: kt.Tuner) -> dict[str, Any]:
    """The values of the best completed trial."""
    return dict(tuner.get_best_hyperparameters(1)[0].values)


@dataclass
class Result:
    """Both stages of a coarse-to-fine search."""

    coarse: kt.Tuner
    fine: kt.Tuner
    fine_space: Space | CNNSpace

    def table(self) -> pd.DataFrame:
        """Every completed trial of both stages, with a ``stage`` column, best first."""
        frames = [
            table(t).assign(stage=s) for s, t in (("coarse", self.coarse), ("fine", self.fine))
        ]
        frame = pd.concat(frames, ignore_index=True)
        return frame.sort_values("val_accuracy", ascending=False, kind="stable").reset_index(
            drop=True
        )

    def first_score(self) -> float:
        """The score of the coarse search's first trial (its hand-set ``first`` point, if
        one was given)."""
        trials = [t for t in self.coarse.oracle.trials.values() if t.status == "COMPLETED"]
        if not trials:
            return math.nan
        first = min(trials, key=lambda t: int(t.trial_id))
        return first.score if first.score is not None else math.nan

    def best(self) -> dict[str, Any]:
        """The values of the best trial over both stages (the fine one may not beat it)."""
        scores = {
            stage: tuner.oracle.get_best_trials(1)[0].score
            for stage, tuner in (("coarse", self.coarse), ("fine", self.fine))
        }
        return best(self.fine if scores["fine"] >= scores["coarse"] else self.coarse)


def coarse_to_fine(
    data: Split,
    *,
    directory: Path | str,
    name: str,
    coarse_trials: int,
    fine_trials: int,
    epochs: int,
    space: Space | CNNSpace | None = None,
    seed: int = 0,
    batch_size: int = 128,
    first: dict[str, Any] | None = None,
) -> Result:
    """A coarse search over ``space`` (default :class:`Space`, the MLP's; ``first`` its first
    trial), then a fine one around its best."""
    space = space or Space()
    settings = dict(directory=directory, epochs=epochs, seed=seed, batch_size=batch_size)
    coarse = search(
        space, data, name=f"{name}-coarse", trials=coarse_trials, first=first, **settings
    )
    fine_space = space.narrow(best(coarse))
    fine = search(fine_space, data, name=f"{name}-fine", trials=fine_trials, **settings)
    return Result(coarse, fine, fine_space)
