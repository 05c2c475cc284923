"""Small figures shared by the chapters (sample grids, mean images, rows of images)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _bare(ax: plt.Axes) -> None:
    """No ticks and no frame, but keep the axes (their y label names the row)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def sample_grid(
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    per_class: int = 8,
    seed: int = 0,
    title: str | None = None,
) -> plt.Figure:
    """A grid with one row per class and ``per_class`` random examples of it."""
    rng = np.random.default_rng(seed)
    n_classes = len(class_names)
    fig, axes = plt.subplots(
        n_classes, per_class, figsize=(per_class * 0.7 + 1.4, n_classes * 0.7), squeeze=False
    )
    for c in range(n_classes):
        idx = np.flatnonzero(labels == c)
        pick = rng.choice(idx, size=min(per_class, idx.size), replace=False)
        for j, ax in enumerate(axes[c]):
            _bare(ax)
            if j < pick.size:
                ax.imshow(images[pick[j]], cmap="gray_r", vmin=0, vmax=255)
        axes[c, 0].set_ylabel(class_names[c], rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def class_means(
    images: np.ndarray, labels: np.ndarray, class_names: Sequence[str], title: str | None = None
) -> plt.Figure:
    """The mean image of every class, in rows of at most five (readable on a printed page)."""
    n = len(class_names)
    cols = min(n, 5)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.75 * rows + 0.3), squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.axis("off")
        if c < n:
            ax.imshow(images[labels == c].mean(axis=0), cmap="magma", vmin=0, vmax=255)
            ax.set_title(class_names[c], fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_curves(
    histories: dict[str, dict[str, Sequence[float]]],
    *,
    metrics: Sequence[str] = ("loss", "accuracy"),
    title: str | None = None,
) -> plt.Figure:
    """``metrics`` per epoch (one panel each), training (solid) vs validation (dashed), one
    colour per run.

    ``histories`` maps a run's label to a Keras ``History.history`` dict (``loss``,
    ``accuracy`` and, when validated, ``val_loss``, ``val_accuracy``).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    axes = axes[0]
    for colour, (label, h) in enumerate(histories.items()):
        epochs = np.arange(1, len(h["loss"]) + 1)
        for ax, metric in zip(axes, metrics, strict=True):
            ax.plot(epochs, h[metric], color=f"C{colour}", marker="o", ms=3, label=f"{label} train")
            if f"val_{metric}" in h:
                ax.plot(
                    epochs,
                    h[f"val_{metric}"],
                    color=f"C{colour}",
                    ls="--",
                    marker="s",
                    ms=3,
                    label=f"{label} validation",
                )
    for ax, metric in zip(axes, metrics, strict=True):
        ax.set(xlabel="epoch", ylabel=metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[-1].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_image(
    image: np.ndarray, title: str = "", *, size: float = 2.6, cmap: str = "gray"
) -> plt.Figure:
    """One grey image (0..255) on its own small figure, with a title: what a widget's ``draw``
    shows. ``cmap="gray_r"`` draws ink dark on white (MNIST as on paper)."""
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(np.asarray(image), cmap=cmap, vmin=0, vmax=255)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    return fig


def image_rows(
    rows: dict[str, Sequence[np.ndarray]],
    captions: dict[str, Sequence[str]] | None = None,
    *,
    cell: float = 1.3,
    title: str | None = None,
) -> plt.Figure:
    """One row of grey images (0..255, dark is dark) per key of ``rows``, the key as its label.

    ``captions`` holds an optional caption per image, keyed like ``rows``. Rows may differ in
    length; the grid is as wide as the longest.
    """
    if not rows:
        raise ValueError("image_rows needs at least one row")
    width = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(
        len(rows), width, figsize=(width * cell + 1.2, len(rows) * (cell + 0.2)), squeeze=False
    )
    for axes_row, (name, images) in zip(axes, rows.items(), strict=True):
        texts = (captions or {}).get(name, [])
        for j, ax in enumerate(axes_row):
            _bare(ax)
            if j < len(images):
                ax.imshow(images[j], cmap="gray", vmin=0, vmax=255)
            if j < len(texts):
                ax.set_title(texts[j], fontsize=8)
        axes_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
