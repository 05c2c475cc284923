"""Chapter 05's figures: codes coloured by digit, and the salient/background swap grid."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plots import _bare

__all__ = ["codes_by_digit", "swap_grid", "separation_curve", "CURVE_LINES"]


def codes_by_digit(
    codes: Mapping[str, np.ndarray], labels: np.ndarray, *, points: int = 2_000
) -> plt.Figure:
    """One panel per code (title: its key): the codes' first two principal components (the
    codes themselves when 2-d), each point coloured by its image's digit. At most ``points``
    images are drawn, the same ones in every panel."""
    from sklearn.decomposition import PCA

    if not codes:
        raise ValueError("codes_by_digit needs at least one code")
    labels = np.asarray(labels)[:points]
    fig, axes = plt.subplots(1, len(codes), figsize=(3.6 * len(codes), 3.6), squeeze=False)
    for ax, (name, values) in zip(axes[0], codes.items(), strict=True):
        values = np.asarray(values, float)[:points]
        xy = values if values.shape[1] <= 2 else PCA(2).fit_transform(values)
        if xy.shape[1] == 1:
            xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
        dots = ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=3, alpha=0.6)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, -1].legend(
        *dots.legend_elements(), fontsize="x-small", title="digit", loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )  # fmt: skip
    fig.tight_layout()
    return fig


def swap_grid(
    grid: np.ndarray, salient_sources: np.ndarray, background_sources: np.ndarray
) -> plt.Figure:
    """``grid[i, j]`` (images on 0..1) decoded from the salient code of
    ``salient_sources[i]`` and the background code of ``background_sources[j]``; the sources
    are drawn along the left column and the top row."""
    grid = np.asarray(grid)
    rows, cols = grid.shape[:2]
    if (len(salient_sources), len(background_sources)) != (rows, cols):
        raise ValueError(
            f"a {rows} x {cols} grid needs {rows} salient and {cols} background sources, got "
            f"{len(salient_sources)} and {len(background_sources)}"
        )
    fig, axes = plt.subplots(rows + 1, cols + 1, figsize=(1.1 * (cols + 1), 1.1 * (rows + 1)))
    for ax in axes.flat:
        _bare(ax)
    axes[0, 0].axis("off")
    axes[0, 0].text(0.5, 0.5, "s from row,\nz from column", ha="center", va="center", fontsize=7)
    for j, image in enumerate(background_sources):
        axes[0, j + 1].imshow(image, cmap="gray", vmin=0, vmax=1)
    for i, image in enumerate(salient_sources):
        axes[i + 1, 0].imshow(image, cmap="gray", vmin=0, vmax=1)
        for j in range(cols):
            axes[i + 1, j + 1].imshow(grid[i, j], cmap="gray", vmin=0, vmax=1)
    fig.tight_layout(pad=0.3)
    return fig


#: The curve's lines: column -> label.
CURVE_LINES = {
    "salient_knn": "contrastive model: salient code s",
    "plain_knn": "plain VAE: its code",
    "background_knn": "contrastive model: background code z",
}


def separation_curve(curve: pd.DataFrame, *, mark: float | None = None) -> plt.Figure:
    """Digit accuracy of each code (:data:`CURVE_LINES`) against the digit's opacity: the k-NN
    probe (solid) and the linear probe (dashed), the mean over seeds with each seed's value as a
    dot; ``mark`` draws a line at the chapter's headline opacity, a grey line marks chance."""
    if curve.empty:
        raise ValueError("separation_curve needs at least one row")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    by_opacity = curve.groupby("opacity")
    for column, label in CURVE_LINES.items():
        mean = by_opacity[column].mean()
        (line,) = ax.plot(mean.index, mean, marker="o", label=f"{label}, k-NN")
        ax.scatter(curve["opacity"], curve[column], s=10, color=line.get_color(), alpha=0.5)
        linear = column.replace("_knn", "_linear")
        if linear in curve:
            ax.plot(mean.index, by_opacity[linear].mean(), marker="s", linestyle="--",
                    color=line.get_color(), label=f"{label}, linear")  # fmt: skip
    if mark is not None:
        ax.axvline(mark, color="grey", linestyle=":", linewidth=1)
    ax.axhline(0.1, color="grey", linewidth=0.8)
    ax.set_xlabel("the digit's opacity (fainter paint: more of the image is background)")
    ax.set_ylabel("digit accuracy (validation)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_title("separation by opacity, at the headline's budget", fontsize=10)
    fig.tight_layout()
    return fig
