"""keras-tuner random search over the MLP, coarse then fine, resumable.

The coarse search samples depth, width, dropout, activation and a log-scaled learning rate from
wide ranges (:class:`Space`); the fine search samples again in a space narrowed around the best
coarse trial (:meth:`Space.narrow`). The tuner state lives in a folder (the chapter uses
``reports/<profile>/tuning/``): a search interrupted part-way resumes where it stopped, and
finished trials are never trained again. A project's folder name carries a hash of its space,
data and settings, so a changed setting starts a new search instead of mixing with an old one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import keras
import keras_tuner as kt
import pandas as pd

from . import models
from .data import Split

__all__ = ["Space", "SeededRandomSearch", "search", "table", "best", "coarse_to_fine", "Result"]


@dataclass(frozen=True)
class Space:
    """The search space of the MLP: inclusive ranges, the activations, the optimizer."""

    depth: tuple[int, int] = (1, 3)
    width: tuple[int, int] = (64, 1024)
    dropout: tuple[float, float] = (0.0, 0.5)
    activations: tuple[str, ...] = ("relu", "tanh", "elu")
    learning_rate: tuple[float, float] = (1e-4, 1e-1)
    optimizer: str = "adam"

    def __post_init__(self) -> None:
        for name in ("depth", "width", "dropout", "learning_rate"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"the range '{name}' is empty: {lo} > {hi}")
        if self.learning_rate[0] <= 0:
            raise ValueError("the range 'learning_rate' must be positive (it is log-scaled)")
        if not self.activations:
            raise ValueError("the parameter 'activations' needs at least one activation")

    def narrow(self, best: dict[str, Any]) -> Space:
        """A fine space around ``best`` (a trial's values): same depth and activation, width
        within a factor 2, dropout within +-0.1, learning rate within a factor 3."""
        width = int(best["width"])
        dropout = float(best["dropout"])
        rate = float(best["learning_rate"])
        return replace(
            self,
            depth=(int(best["depth"]), int(best["depth"])),
            width=(max(self.width[0] // 2, width // 2), width * 2),
            dropout=(max(0.0, round(dropout - 0.1, 3)), min(0.8, round(dropout + 0.1, 3))),
            activations=(str(best["activation"]),),
            learning_rate=(rate / 3, rate * 3),
        )

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        """The hypermodel: an MLP from :func:`labkit.models.mlp` with sampled values."""

        def _int(name: str, lo: int, hi: int, log: bool = False) -> int:
            if lo == hi:
                return hp.Fixed(name, lo)
            return hp.Int(name, lo, hi, sampling="log" if log else "linear")

        def _float(name: str, lo: float, hi: float, log: bool = False) -> float:
            if lo == hi:
                return hp.Fixed(name, lo)
            return hp.Float(name, lo, hi, sampling="log" if log else "linear")

        return models.mlp(
            depth=_int("depth", *self.depth),
            width=_int("width", *self.width, log=True),
            dropout=_float("dropout", *self.dropout),
            activation=hp.Choice("activation", list(self.activations)),
            learning_rate=_float("learning_rate", *self.learning_rate, log=True),
            optimizer=self.optimizer,
        )


class SeededRandomSearch(kt.RandomSearch):
    """``RandomSearch`` that seeds Keras before each trial (the same trial -> the same model,
    also when it is retried after an interruption) and keeps no per-trial weights: the chapter
    retrains its final models, so checkpoints would only fill the disk."""

    def __init__(self, *args: Any, model_seed: int = 0, **kwargs: Any) -> None:
        self.model_seed = model_seed
        super().__init__(*args, **kwargs)

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> Any:
        keras.utils.set_random_seed(self.model_seed)
        return super().run_trial(trial, *args, **kwargs)

    def save_model(self, trial_id: str, model: keras.Model, step: int = 0) -> None:
        pass


def _project(name: str, space: Space, data: Split, **settings: Any) -> str:
    spec = json.dumps(
        {"space": asdict(space), "data": data.digest, **settings}, sort_keys=True, default=str
    )
    return f"{name}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}"


def search(
    space: Space,
    data: Split,
    *,
    directory: Path | str,
    name: str,
    trials: int,
    epochs: int,
    seed: int = 0,
    batch_size: int = 128,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> kt.RandomSearch:
    """Run (or resume) a random search of ``trials`` trials; returns the tuner.

    A trial's score is its validation accuracy on ``data``'s validation part at its best epoch
    (keras-tuner's rule for a "max" objective).
    """
    if trials < 1 or epochs < 1:
        raise ValueError(f"'trials' and 'epochs' must be at least 1, got {trials} and {epochs}")
    tuner = SeededRandomSearch(
        space.build,
        objective=kt.Objective("val_accuracy", direction="max"),
        max_trials=trials,
        seed=seed,
        model_seed=seed,
        directory=str(directory),
        project_name=_project(
            name, space, data, trials=trials, epochs=epochs, seed=seed, batch_size=batch_size
        ),
        overwrite=False,
    )
    tuner.search(
        models.prepare(data.x_train),
        data.y_train,
        validation_data=(models.prepare(data.x_val), data.y_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=list(callbacks),
        verbose=0,
    )
    return tuner


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
    fine_space: Space

    def table(self) -> pd.DataFrame:
        """Every completed trial of both stages, with a ``stage`` column, best first."""
        frames = [
            table(t).assign(stage=s) for s, t in (("coarse", self.coarse), ("fine", self.fine))
        ]
        frame = pd.concat(frames, ignore_index=True)
        return frame.sort_values("val_accuracy", ascending=False, kind="stable").reset_index(
            drop=True
        )

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
    space: Space | None = None,
    seed: int = 0,
    batch_size: int = 128,
) -> Result:
    """A coarse search over ``space`` (default :class:`Space`), then a fine one around its best."""
    space = space or Space()
    settings = dict(directory=directory, epochs=epochs, seed=seed, batch_size=batch_size)
    coarse = search(space, data, name=f"{name}-coarse", trials=coarse_trials, **settings)
    fine_space = space.narrow(best(coarse))
    fine = search(fine_space, data, name=f"{name}-fine", trials=fine_trials, **settings)
    return Result(coarse, fine, fine_space)
