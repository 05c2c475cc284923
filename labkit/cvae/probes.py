"""What each code holds, measured two ways: probes for the digit and for the background.

A code separates foreground from background when the salient code s holds the digit and not
the background, and the background code z the reverse. One nearest-neighbour score cannot show
that: a k-NN near chance in 20 dimensions may hide a digit that a linear read-out finds. So each
code is read by two probes, each fitted on training codes and scored on held-out ones:

* a **linear probe**: logistic regression for a class (the digit; the texture, grass, brick or
  gravel), ridge regression for a value (the background's brightness), on standardised codes;
* a **k-NN probe**: the k nearest neighbours' majority (a class) or mean (a value).

Classes are scored by accuracy (chance: the most common class's share of the held-out images),
values by R² (chance: 0). :func:`what_made` reads the three targets from the generator's record
of each composite, which no model sees; :func:`background_error` compares a background image
a model draws with the true background layer under each digit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .data import Composite

__all__ = ["TARGETS", "what_made", "probe", "probe_table", "background_error"]

#: What the probes read, and whether each is a class or a value.
TARGETS = {"digit": "class", "texture": "class", "brightness": "value"}


def what_made(images: Composite) -> dict[str, np.ndarray]:
    """Each target image's digit class, texture (an index into
    :data:`labkit.cvae.data.TEXTURES`) and brightness (the mean grey level of its background
    layer, 0..1), as the generator made them."""
    return {
        "digit": np.asarray(images.labels),
        "texture": np.asarray(images.target_textures),
        "brightness": images.target_backgrounds.reshape(len(images.targets), -1).mean(axis=1),
    }


def probe(
    fit_codes: np.ndarray,
    fit_y: np.ndarray,
    eval_codes: np.ndarray,
    eval_y: np.ndarray,
    *,
    kind: str,
    k: int = 5,
) -> dict[str, float]:
    """A linear and a k-NN probe of ``kind`` ``"class"`` or ``"value"`` fitted on
    ``(fit_codes, fit_y)`` and scored on ``(eval_codes, eval_y)``: ``linear``, ``knn`` and
    ``chance`` (accuracy, or R²)."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind not in ("class", "value"):
        raise ValueError(f"kind must be 'class' or 'value', got {kind!r}")
    if len(fit_codes) != len(fit_y) or len(eval_codes) != len(eval_y):
        raise ValueError("each set of codes needs one target per row")
    if kind == "class":
        linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2_000))
        knn = KNeighborsClassifier(n_neighbors=k)
        chance = float(np.unique(eval_y, return_counts=True)[1].max() / len(eval_y))
    else:
        linear = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
        knn = KNeighborsRegressor(n_neighbors=k)
        chance = 0.0
    return {
        "linear": float(linear.fit(fit_codes, fit_y).score(eval_codes, eval_y)),
        "knn": float(knn.fit(fit_codes, fit_y).score(eval_codes, eval_y)),
        "chance": chance,
    }


def probe_table(
    fit_codes: Mapping[str, np.ndarray],
    fit_made: Mapping[str, np.ndarray],
    eval_codes: Mapping[str, np.ndarray],
    eval_made: Mapping[str, np.ndarray],
    *,
    k: int = 5,
) -> pd.DataFrame:
    """Every code (``s``, ``z``) by every target of :data:`TARGETS`: rows (code, target),
    columns ``linear``, ``knn``, ``chance`` and ``measure`` (accuracy or R²)."""
    rows = {}
    for code in fit_codes:
        for target, kind in TARGETS.items():
            rows[(code, target)] = {
                **probe(
                    fit_codes[code],
                    fit_made[target],
                    eval_codes[code],
                    eval_made[target],
                    kind=kind,
                    k=k,
                ),  # fmt: skip
                "measure": "accuracy" if kind == "class" else "R²",
            }
    return pd.DataFrame(rows).T.rename_axis(["code", "target"])


def background_error(drawn: np.ndarray, layer: np.ndarray) -> float:
    """The root-mean-square difference (grey levels, 0..1) between images a model drew and the
    true background layers under the digits."""
    drawn = np.asarray(drawn, np.float64).reshape(len(drawn), -1)
    layer = np.asarray(layer, np.float64).reshape(len(layer), -1)
    if drawn.shape != layer.shape:
        raise ValueError(f"shapes differ: {drawn.shape} and {layer.shape}")
    return float(np.sqrt(((drawn - layer) ** 2).mean()))
