"""What the search bought and what the training recipe bought: chapter 01's final models as a
two-by-two ablation on validation data.

A model's options split into its **architecture** (layers, widths, dropout, batch
normalisation, activation, initialiser, precision) and its **training recipe**
(:data:`RECIPE_OPTIONS`: optimizer, learning rate, schedule, batch-normalisation momentum,
augmentation) with a number of epochs. :func:`ablation` trains every (architecture, recipe)
cell asked for on the fitted part of a split and scores it on the validation part, through
:func:`labkit.classifiers.experiments.run` (stored, resumable, weights kept for one test
scoring once every choice is made).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..data import Split
from . import experiments

__all__ = [
    "RECIPE_OPTIONS",
    "Recipe",
    "architecture",
    "cell",
    "label",
    "ablation",
    "test_scores",
    "budget",
]

#: The options that make a training recipe rather than an architecture.
RECIPE_OPTIONS: tuple[str, ...] = (
    "optimizer",
    "learning_rate",
    "schedule",
    "bn_momentum",
    "augment",
)


@dataclass(frozen=True)
class Recipe:
    """A training recipe: its :data:`RECIPE_OPTIONS` and its epochs."""

    name: str
    epochs: int
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if unknown := sorted(set(self.options) - set(RECIPE_OPTIONS)):
            raise ValueError(
                f"recipe {self.name!r}: {unknown} are not recipe options ({RECIPE_OPTIONS})"
            )
        if self.epochs < 1:
            raise ValueError(f"recipe {self.name!r}: epochs must be at least 1")


def architecture(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without the training recipe's."""
    return {k: v for k, v in options.items() if k not in RECIPE_OPTIONS}


def cell(arch: Mapping[str, Any], recipe: Recipe) -> dict[str, Any]:
    """The options of ``arch``'s architecture trained with ``recipe``."""
    return {**architecture(arch), **recipe.options}


def label(arch: str, recipe: str) -> str:
    """A cell's label, e.g. ``"selected architecture, base recipe"``."""
    return f"{arch} architecture, {recipe} recipe"


def _cells(
    arches: Mapping[str, Mapping[str, Any]],
    recipes: Mapping[str, Recipe],
    cells: Mapping[tuple[str, str], Sequence[int]],
) -> Iterator[tuple[str, str, dict[str, dict[str, Any]], Sequence[int], int]]:
    """Each cell of ``cells`` as (architecture, recipe name, ``{label: options}``, seeds,
    epochs): what :func:`ablation` trains and :func:`test_scores` scores."""
    for (arch, recipe_name), seeds in cells.items():
        recipe = recipes[recipe_name]
        configs = {label(arch, recipe_name): cell(arches[arch], recipe)}
        yield arch, recipe_name, configs, seeds, recipe.epochs


def ablation(
    arches: Mapping[str, Mapping[str, Any]],
    recipes: Mapping[str, Recipe],
    cells: Mapping[tuple[str, str], Sequence[int]],
    data: Split,
    *,
    kind: str,
    store: Path | str | None = None,
    weights: Path | str | None = None,
    eager: bool = False,
) -> pd.DataFrame:
    """Train each (architecture, recipe) of ``cells`` (mapped to its seeds) and return one
    row per run: :func:`labkit.classifiers.experiments.run`'s columns with ``architecture``
    and ``recipe``, ``config`` the cell's :func:`label`."""
    frames = [
        experiments.run(
            configs, data, kind=kind, seeds=seeds, epochs=epochs, store=store,
            weights=weights, eager=eager,
        ).assign(architecture=arch, recipe=recipe_name)
        for arch, recipe_name, configs, seeds, epochs in _cells(arches, recipes, cells)
    ]  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out["config"] = out["config"].astype(str)
    return out


def test_scores(
    arches: Mapping[str, Mapping[str, Any]],
    recipes: Mapping[str, Recipe],
    cells: Mapping[tuple[str, str], Sequence[int]],
    data: Split,
    test: tuple[Any, Any],
    *,
    kind: str,
    weights: Path | str,
) -> pd.DataFrame:
    """The test scores of cells :func:`ablation` trained (with the same arguments), scored
    once each: :func:`labkit.classifiers.experiments.test_scores`' rows with ``architecture``
    and ``recipe``."""
    frames = [
        experiments.test_scores(
            configs, data, test, kind=kind, seeds=seeds, weights=weights, epochs=epochs
        ).assign(architecture=arch, recipe=recipe_name)
        for arch, recipe_name, configs, seeds, epochs in _cells(arches, recipes, cells)
    ]
    return pd.concat(frames, ignore_index=True)


def budget(frame: pd.DataFrame, batch_size: int = 128) -> str:
    """What the cells of an :func:`ablation` (with ``dataset`` and ``model`` columns) trained
    on: per model kind the epochs of each recipe, the fitted images and the seeds per cell."""
    parts = []
    for kind, g in frame.groupby("model", sort=False):
        per = g.groupby("recipe", sort=False)["epochs"].first()
        seeds = g.groupby(["dataset", "config"])["seed"].nunique()
        n = f"{seeds.min()}" if seeds.min() == seeds.max() else f"{seeds.min()}-{seeds.max()}"
        parts.append(
            f"{kind.upper()}: "
            + ", ".join(f"{recipe} recipe {int(e)} epochs" for recipe, e in per.items())
            + f" over {int(g['images'].min()):,} fitted images at batch {batch_size}, {n} "
            f"seed{'s' * (n != '1')} per cell"
        )
    return (
        f"Budget: {'; '.join(parts)}; {len(frame)} runs, {frame['seconds'].sum() / 60:.1f} min of "
        "training (stored runs count their first training)."
    )
