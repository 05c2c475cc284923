"""Chapter 05's outcome: its sanity checks and the layout of its record, in one place.

The chapter gathers what it measured in an :class:`Outcome`; :func:`check` raises on an absurd
result (a loss that is not finite, an accuracy outside 0..1) and :func:`record` lays the
numbers out as the chapter's metrics record (:func:`labkit.run_record.save`), which the
README's headline table and section read (:mod:`labkit.book`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..vae.runs import spread

__all__ = ["Outcome", "check", "record"]

#: The number of neighbours of every kNN score of the chapter.
KNN_K = 5


@dataclass(frozen=True)
class Outcome:
    """What chapter 05 measured: its settings (``cfg``) and seeds, the headline model chosen
    on validation, the composites' sizes and variance shares (``data``), the runs of the
    plain VAE, of each variant and of the headline over seeds (each with ``history`` and
    ``seconds``), the validation ``separation`` table, the test kNN accuracies per seed
    (``test_knn``: rows by seed), the opacity ``curve`` and the ``likelihood`` table."""

    cfg: Mapping[str, Any]
    seeds: Sequence[int]
    headline: str
    data: Mapping[str, Any]
    plain_runs: Mapping[int, Any]
    variant_runs: Mapping[str, Any]
    headline_runs: Mapping[int, Any]
    separation: pd.DataFrame
    test_knn: pd.DataFrame
    curve: pd.DataFrame
    likelihood: Mapping[str, Any]


def check(outcome: Outcome) -> None:
    """Raise ``ValueError`` naming what is absurd: a loss that is not finite, a kNN accuracy
    outside 0..1, a silhouette outside -1..1."""
    runs = (*outcome.plain_runs.values(), *outcome.variant_runs.values(),
            *outcome.headline_runs.values())  # fmt: skip
    if not all(np.isfinite(r.history["loss"]).all() for r in runs):
        raise ValueError("a training loss is not finite")
    if not outcome.separation["knn_accuracy"].between(0, 1).all():
        raise ValueError("a validation kNN accuracy lies outside 0..1")
    if not outcome.separation["silhouette"].between(-1, 1).all():
        raise ValueError("a silhouette lies outside -1..1")
    scores = outcome.curve[["plain_knn", "salient_knn", "background_knn"]].stack()
    if not scores.between(0, 1).all():
        raise ValueError("a kNN accuracy of the opacity curve lies outside 0..1")


def record(outcome: Outcome) -> dict[str, Any]:
    """The chapter's record (after :func:`check`): the headline's and the plain VAE's test
    accuracies (first seed, and each seed with the mean ± sd), the validation comparison, the
    curve, the likelihoods and the settings the README quotes."""
    check(outcome)
    o, cfg = outcome, outcome.cfg
    first = o.seeds[0]

    def over_seeds(column: str) -> dict[str, Any]:
        values = o.test_knn.loc[list(o.seeds), column]
        return {"seeds": {str(s): v for s, v in values.items()}, **spread(values)}

    validation = {
        name: {
            "options": dict(cfg["variants"].get(name, {})),
            **{
                f"{part}_{k}": v
                for (m, part), row in o.separation.iterrows()
                if m == name
                for k, v in row.items()
            },
        }
        for name in o.separation.index.get_level_values("model").unique()
    }
    return {
        "data": {**o.data, "opacity": cfg["opacity"]},
        "contrastive": {
            "model": o.headline,
            "chosen_on": "validation digits: the highest salient kNN accuracy",
            "salient_knn_accuracy": o.test_knn.loc[first, "salient_knn"],
            "background_knn_accuracy": o.test_knn.loc[first, "background_knn"],
            "salient": over_seeds("salient_knn"),
            "background": over_seeds("background_knn"),
            "salient_dim": cfg["salient_dim"],
            "background_dim": cfg["background_dim"],
            "train_seconds": o.headline_runs[first].seconds,
        },
        "vae": {
            "knn_accuracy": o.test_knn.loc[first, "plain_knn"],
            "plain": over_seeds("plain_knn"),
            "latent_dim": cfg["salient_dim"] + cfg["background_dim"],
            "train_seconds": o.plain_runs[first].seconds,
        },
        "validation": validation,
        "curve": {
            "opacities": list(cfg["curve_opacities"]),
            "train_targets": cfg["curve_train"],
            "validation_targets": cfg["curve_val"],
            "epochs": cfg["curve_epochs"],
            "rows": o.curve.to_dict(orient="records"),
        },
        "likelihood": dict(o.likelihood),
        "epochs": cfg["epochs"],
        "seeds": list(o.seeds),
        "knn_k": KNN_K,
    }
