"""Chapter 02: one fixed random permutation of the pixels, its inverse, and the experiment.

The permutation is a seeded bijection of the 784 pixel positions, applied alike to every
training and test image: ``permute(x, p)[..., j] = x[..., p[j]]`` on the flattened images.
It loses nothing (``unpermute`` gives the images back bit for bit), so a model that does not
assume pixels have neighbours (a dense layer) sees the same problem with its inputs relabelled,
while a convolution, which looks at small neighbourhoods with shared weights, loses what it
relies on.

:func:`train_arms` trains one model on the original and on the permuted data (and, optionally,
on the permuted data with the inverse applied first) over several seeds, each arm with the
same budget, and scores it on the test set transformed the same way. Finished runs are kept in
a JSON-lines store, so an interrupted run trains only what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import files
from ..data import digest
from ..stores import PERMUTATION_ARMS
from . import models, training

__all__ = [
    "ArmBudget",
    "ARMS",
    "PIXELS",
    "pixel_permutation",
    "inverse",
    "permute",
    "unpermute",
    "unpermute_weights",
    "neighbour_correlation",
    "train_arms",
    "load_kernels",
    "learned",
    "paired_summary",
    "plot",
    "plot_weights",
]

#: Pixels of one 28 x 28 image.
PIXELS = 28 * 28
#: The arms of the experiment: the original images, the permuted images, and the permuted
#: images with the inverse permutation applied first ("restored").
ARMS = ("original", "permuted", "restored")


def pixel_permutation(seed: int, size: int = PIXELS) -> np.ndarray:
    """A random permutation of ``range(size)``, the same for the same ``seed`` (NumPy's
    PCG64 generator, independent of the global seeds the chapters set)."""
    if size < 1:
        raise ValueError(f"'size' must be at least 1, got {size}")
    return np.random.default_rng(seed).permutation(size)


def _check(perm: np.ndarray) -> np.ndarray:
    perm = np.asarray(perm)
    if perm.ndim != 1 or not np.array_equal(np.sort(perm), np.arange(len(perm))):
        raise ValueError(
            f"expected a permutation of 0..n-1 (a 1-d array holding each index once), "
            f"got shape {perm.shape}"
        )
    return perm


def inverse(perm: np.ndarray) -> np.ndarray:
    """The inverse permutation: ``inverse(p)[p[j]] = j``."""
    perm = _check(perm)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(len(perm))
    return inv


def permute(images: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """``images`` (``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h*w)``) with their pixels
    reordered by ``perm`` (pixel ``j`` of the result is pixel ``perm[j]`` of the input, in
    row-major order); same shape and dtype."""
    perm = _check(perm)
    x = np.asarray(images)
    flat = x.reshape(len(x), -1)
    if flat.shape[1] != len(perm):
        raise ValueError(
            f"images of {flat.shape[1]} pixels cannot take a permutation of {len(perm)}"
        )
    return flat[:, perm].reshape(x.shape)


def unpermute(images: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Undo :func:`permute`: ``unpermute(permute(x, p), p) == x``."""
    return permute(images, inverse(perm))


def unpermute_weights(kernel: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """A first dense layer's kernel (``(pixels, units)``) trained on permuted images, with
    its rows put back in the original pixel order: row ``perm[j]`` of the result is row ``j``
    of ``kernel`` (the weight that saw original pixel ``perm[j]``)."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"expected a (pixels, units) kernel, got shape {kernel.shape}")
    return kernel[inverse(perm)]


def neighbour_correlation(kernel: np.ndarray, side: int = 28) -> float:
    """How smooth a first layer's weight images are: the correlation between each weight and
    its right and lower neighbour in the ``side`` x ``side`` image, over all units (about 0
    for weights in a random pixel order; positive when units look at strokes)."""
    kernel = np.asarray(kernel, dtype="float64")
    if kernel.shape[0] != side * side:
        raise ValueError(f"expected {side * side} rows (one per pixel), got {kernel.shape[0]}")
    w = kernel.T.reshape(-1, side, side)
    w = w - w.mean(axis=(1, 2), keepdims=True)
    pairs = [(w[:, :, :-1], w[:, :, 1:]), (w[:, :-1, :], w[:, 1:, :])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    return float(np.corrcoef(a, b)[0, 1])


def _arm(arm: str, images: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """The images an arm trains and tests on."""
    if arm == "original":
        return images
    if arm == "permuted":
        return permute(images, perm)
    if arm == "restored":
        return unpermute(permute(images, perm), perm)
    raise ValueError(f"unknown arm {arm!r}: must be one of {', '.join(ARMS)}")


def _first_kernel(model: Any) -> np.ndarray:
    dense = next(la for la in model.layers if la.__class__.__name__ == "Dense")
    return np.asarray(dense.kernel)


def _initial_model(kind: str, options: Mapping[str, Any], *, seed: int, steps: int) -> Any:
    """The model :func:`labkit.classifiers.training.fit` starts from with ``seed``: the same
    seeding, then the same builder, so its weights are the trained model's initial weights."""
    import keras

    keras.utils.set_random_seed(seed)
    return models.build(kind, **{"steps": steps, **options})


def _run_key(
    kind: str,
    options: Mapping[str, Any],
    arm: str,
    perm: np.ndarray,
    seed: int,
    epochs: int,
    batch_size: int,
    arrays: tuple[np.ndarray, ...],
    bn_momentum: float | None,
) -> str:
    """What an arm's run is stored under: its settings, the permutation, its images and the
    code :func:`train_arms` reaches (:data:`labkit.stores.PERMUTATION_ARMS`)."""
    spec = {
        "kind": kind, "options": dict(options), "arm": arm, "perm": digest(perm), "seed": seed,
        "epochs": epochs, "batch_size": batch_size, "data": digest(*arrays),
    }  # fmt: skip
    if bn_momentum is not None:  # None (Keras' default) keeps the keys of earlier runs
        spec["bn_momentum"] = bn_momentum
    return PERMUTATION_ARMS.key(**spec)


@dataclass(frozen=True)
class ArmBudget:
    """How :func:`train_arms` trains each arm: with each of ``seeds`` for ``epochs`` in batches
    of ``batch_size``, on a stratified ``subset`` of the training images (None: all) and scored
    on a ``test_subset`` of the test images (None: all), for each of ``arms``; ``eager`` and
    ``bn_momentum`` as in :func:`labkit.classifiers.training.fit` (for tiny data; for runs of a
    few hundred steps)."""

    seeds: Sequence[int] = (0,)
    epochs: int = 1
    arms: Sequence[str] = ARMS[:2]
    subset: int | None = None
    test_subset: int | None = None
    batch_size: int = 128
    eager: bool = False
    bn_momentum: float | None = None


def train_arms(
    kind: str,
    options: Mapping[str, Any],
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    budget: ArmBudget | None = None,
    *,
    perm: np.ndarray,
    store: Path | str | None = None,
    kernels: Path | str | None = None,
    **changes: Any,
) -> pd.DataFrame:
    """Train ``kind`` with ``options`` on each arm of ``budget`` (an :class:`ArmBudget`, with
    ``changes`` to it: ``seeds=..., epochs=...``) with each seed; one row per run (``arm``,
    ``seed``, test accuracy and loss, train accuracy, images, epochs, parameters, seconds).

    Every arm trains on the same stratified subset of ``train`` for the same epochs with the
    same seeds, and is scored on the same subset of ``test``, both transformed by the arm.
    With ``store`` (a ``.jsonl`` path), finished runs are read instead of trained again. With
    ``kernels`` (a ``.npz`` path), the first dense layer's kernel of each arm's first-seed run
    is kept there under the arm's name, and its initial value under ``<arm>_initial`` (for an
    MLP: see :func:`unpermute_weights`); a run whose kernel is missing is trained again.
    """
    b = replace(budget or ArmBudget(), **changes)
    seeds, epochs, arms, batch_size = list(b.seeds), b.epochs, b.arms, b.batch_size
    subset, test_subset, eager, bn_momentum = b.subset, b.test_subset, b.eager, b.bn_momentum
    bad = [a for a in arms if a not in ARMS]
    if bad or not arms:
        raise ValueError(f"unknown arms {bad}: 'arms' must be taken from {', '.join(ARMS)}")
    if not seeds or epochs < 1:
        raise ValueError(f"need at least one seed and one epoch, got {seeds} and {epochs}")
    perm = _check(perm)
    store = Path(store) if store is not None else None
    kernels = Path(kernels) if kernels is not None else None
    done = PERMUTATION_ARMS.rows(store)
    kept = {}
    if kernels is not None:
        kept = files.read_or_set_aside(kernels, load_kernels, what="kernel file") or {}
    rows = []
    for arm in arms:
        for seed in seeds:
            (x, y), (x_test, y_test) = training.subsets(
                train, test, subset=subset, test_subset=test_subset, seed=int(seed)
            )
            x, x_test = _arm(arm, x, perm), _arm(arm, x_test, perm)
            key = _run_key(kind, options, arm, perm, int(seed), epochs, batch_size,
                           (x, y, x_test, y_test), bn_momentum)  # fmt: skip
            want_kernel = kernels is not None and seed == seeds[0]
            if key in done and (not want_kernel or arm in kept):
                rows.append({"arm": arm, "seed": int(seed), **PERMUTATION_ARMS.reuse(done[key])})
                continue
            row, model = training.fit_and_score(
                kind, options, (x, y), (x_test, y_test), seed=int(seed), epochs=epochs,
                batch_size=batch_size, eager=eager, bn_momentum=bn_momentum,
            )  # fmt: skip
            rows.append({"arm": arm, "seed": int(seed), **row})
            if want_kernel:
                initial = _initial_model(kind, options, seed=int(seed), steps=row["steps"])
                kept |= {arm: _first_kernel(model), f"{arm}_initial": _first_kernel(initial)}
                with files.atomic_path(kernels) as tmp:
                    np.savez(tmp, **kept)
            if store is not None:
                PERMUTATION_ARMS.write(store, key, row)
    frame = pd.DataFrame(rows)
    frame["arm"] = pd.Categorical(frame["arm"], categories=list(arms), ordered=True)
    return frame


def load_kernels(path: Path | str) -> dict[str, np.ndarray]:
    """The first-layer kernels :func:`train_arms` kept at ``path``, by arm."""
    with np.load(path, allow_pickle=False) as arrays:
        return dict(arrays)


def paired_summary(frame: pd.DataFrame, a: str = "original", b: str = "permuted") -> dict:
    """Mean, sd and run count of the test accuracy of arms ``a`` and ``b`` of a
    :func:`train_arms` frame, and of their difference ``b - a`` paired by seed (sd with ddof 1;
    NaN for a single run)."""
    wide = frame.pivot_table(index="seed", columns="arm", values="test_accuracy", observed=True)
    missing = {a, b} - set(wide.columns)
    if missing:
        raise KeyError(f"the frame holds no runs of arm(s) {sorted(missing)}")
    out = {}
    for name, values in ((a, wide[a]), (b, wide[b]), ("difference", wide[b] - wide[a])):
        values = values.dropna()
        out[name] = {
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if len(values) > 1 else float("nan"),
            "n": int(len(values)),
        }
    return out


def plot(frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None) -> Any:
    """Test accuracy per arm, one panel per (dataset, model) of a frame of :func:`train_arms`
    rows with ``dataset`` and ``model`` columns: one dot per seed, a diamond at the mean with
    a bar of +- 1 sd, the arms' means joined by a line. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    labels = labels or {}
    datasets = list(dict.fromkeys(frame["dataset"]))
    kinds = list(dict.fromkeys(frame["model"]))
    fig, axes = plt.subplots(
        1, len(datasets) * len(kinds), figsize=(2.6 * len(datasets) * len(kinds), 3.2),
        squeeze=False,
    )  # fmt: skip
    panels = [(d, k) for d in datasets for k in kinds]
    for ax, (dataset, kind) in zip(axes[0], panels, strict=True):
        sub = frame[(frame["dataset"] == dataset) & (frame["model"] == kind)]
        sns.stripplot(data=sub, x="arm", y="test_accuracy", color="0.55", size=4, ax=ax)
        sns.pointplot(
            data=sub, x="arm", y="test_accuracy", errorbar="sd", markers="D", capsize=0.2,
            color="C0", ax=ax,
        )  # fmt: skip
        runs = sub.groupby("arm", observed=True)["seed"].count()
        ax.set(xlabel="", ylabel="", title=f"{labels.get(dataset, dataset)} · {kind.upper()}")
        ax.set_xlabel(f"{runs.min()} seed(s) per arm", fontsize="small")
    axes[0, 0].set_ylabel("test accuracy")
    fig.tight_layout()
    return fig


def learned(kept: Mapping[str, np.ndarray], arm: str) -> np.ndarray:
    """What training added to arm ``arm``'s first-layer kernel: the trained kernel less its
    initial value (both kept by :func:`train_arms`). The initial weights are random and alike in
    every pixel order; the change is what the images taught."""
    return np.asarray(kept[arm]) - np.asarray(kept[f"{arm}_initial"])


def plot_weights(
    kept: Mapping[str, np.ndarray], perm: np.ndarray, *, units: int = 8, seed: int = 0
) -> Any:
    """What training changed in the first-layer weights of ``units`` randomly chosen hidden
    units (:func:`learned`), as 28 x 28 images: trained on the original images, trained on the
    permuted images (in the order the network saw its inputs), and the same un-permuted
    (:func:`unpermute_weights`). Each row's label gives its :func:`neighbour_correlation` over
    all units. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    rows = {
        "trained on original": learned(kept, "original"),
        "trained on permuted": learned(kept, "permuted"),
        "… un-permuted": unpermute_weights(learned(kept, "permuted"), perm),
    }
    n_units = rows["trained on original"].shape[1]
    chosen = np.random.default_rng(seed).choice(n_units, min(units, n_units), replace=False)
    fig, axes = plt.subplots(
        len(rows), len(chosen), figsize=(1.15 * len(chosen) + 1.6, 3.9), squeeze=False
    )
    for axes_row, (name, kernel) in zip(axes, rows.items(), strict=True):
        for ax, unit in zip(axes_row, chosen, strict=True):
            w = kernel[:, unit].reshape(28, 28)
            limit = np.abs(w).max() or 1.0
            ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
        axes_row[0].set_ylabel(
            f"{name}\nr = {neighbour_correlation(kernel):.2f}", rotation=0, ha="right",
            va="center", fontsize=8,
        )  # fmt: skip
    fig.suptitle("What training changed in the MLP's first-layer weights", fontsize=9)
    fig.tight_layout()
    return fig
