"""Chapter 05's experiments: models over seeds, their codes' separation, and a curve over
opacities.

* :func:`train_plain` / :func:`train_contrastive`: seeds of a plain or a contrastive VAE on
  composites, trained once and kept (:func:`labkit.vae.runs.train_seeds`).
* :func:`separation_rows`: digit kNN accuracy and silhouette of each code of each model,
  fitted on one set of codes and scored on another (validation or test targets).
* :func:`opacity_curve`: the plain VAE's and a contrastive model's codes against the
  background's share of the targets' variance, over digit opacities and seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import digest
from ..stores import CVAE_FITS
from ..vae import runs as vae_runs
from . import data as cvae_data
from .model import ContrastiveVAE, GaussianVAE, codes, separation, train

__all__ = [
    "LOOK",
    "look_of",
    "train_plain",
    "train_contrastive",
    "separation_rows",
    "opacity_curve",
    "curve_text",
]

#: The settings of :func:`labkit.cvae.data.composite` a profile holds (besides the opacity).
LOOK = ("gradient", "shading", "contrast", "brightness")


def look_of(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The composites' look from a profile: its :data:`LOOK` settings."""
    return {key: cfg[key] for key in LOOK}


def _fit_settings(cfg: Mapping[str, Any], epochs: int | None = None) -> dict[str, Any]:
    return {
        "epochs": int(epochs if epochs is not None else cfg["epochs"]),
        "batch_size": cfg["batch"],
        "learning_rate": cfg["learning_rate"],
        "cosine_decay": cfg["cosine_decay"],
    }


def train_plain(
    x: np.ndarray,
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    *,
    store_dir: Path | str | None,
    name: str = "plain",
    epochs: int | None = None,
) -> dict[int, vae_runs.Run]:
    """A plain :class:`GaussianVAE` with ``salient_dim + background_dim`` latent dimensions on
    target rows ``x``, one per seed (kept under ``store_dir``)."""
    fit = _fit_settings(cfg, epochs)
    latent = cfg["salient_dim"] + cfg["background_dim"]
    backup = str(store_dir) if store_dir is not None else None
    return vae_runs.train_seeds(
        lambda s: GaussianVAE(latent_dim=latent, hidden=cfg["hidden"], conv=cfg["conv"], seed=s),
        lambda m, **settings: train(m, x, **settings, backup_dir=backup),
        seeds, name=name, store_dir=store_dir, sample=x[:1], data=digest(x), fits=CVAE_FITS,
        **fit,
    )  # fmt: skip


def train_contrastive(
    x: np.ndarray,
    b: np.ndarray,
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    store_dir: Path | str | None,
    name: str,
    epochs: int | None = None,
) -> dict[int, vae_runs.Run]:
    """A :class:`ContrastiveVAE` with ``options`` on targets ``x`` and backgrounds ``b``, one
    per seed (kept under ``store_dir``)."""
    fit = _fit_settings(cfg, epochs)
    backup = str(store_dir) if store_dir is not None else None

    def build(seed: int) -> ContrastiveVAE:
        return ContrastiveVAE(
            salient_dim=cfg["salient_dim"], background_dim=cfg["background_dim"],
            hidden=cfg["hidden"], conv=cfg["conv"], seed=seed, **options,
        )  # fmt: skip

    return vae_runs.train_seeds(
        build,
        lambda m, **settings: train(m, x, b, **settings, backup_dir=backup),
        seeds, name=name, store_dir=store_dir, sample=(x[:1], b[:1]), data=digest(x, b),
        fits=CVAE_FITS, **fit,
    )  # fmt: skip


def separation_rows(
    models: Mapping[str, Any],
    fit_x: np.ndarray,
    fit_labels: np.ndarray,
    eval_x: np.ndarray,
    eval_labels: np.ndarray,
    *,
    k: int = 5,
) -> pd.DataFrame:
    """Per model and code (rows (model, code); a contrastive model has ``s`` and ``z``, a plain
    one ``z``): ``knn_accuracy`` (a k-NN classifier of the digit fitted on the codes of
    ``fit_x`` and scored on those of ``eval_x``) and ``silhouette`` of the ``eval_x`` codes."""
    rows = {}
    for name, model in models.items():
        fit, held_out = codes(model, fit_x), codes(model, eval_x)
        for part in fit:
            rows[(name, part)] = separation(fit[part], fit_labels, held_out[part], eval_labels,
                                            k=k)  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis(["model", "code"])


def opacity_curve(
    fit_digits: np.ndarray,
    fit_labels: np.ndarray,
    eval_digits: np.ndarray,
    eval_labels: np.ndarray,
    *,
    opacities: Sequence[float],
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    options: Mapping[str, Any],
    epochs: int,
    store_dir: Path | str | None,
    data_seed: int = 0,
) -> pd.DataFrame:
    """For each opacity and seed: composites of ``fit_digits`` (training) and ``eval_digits``
    (scored) at that opacity, a plain VAE and a contrastive VAE with ``options`` trained on
    the training composites for ``epochs``, and one row (``opacity``, ``seed``) with
    ``background_share`` (of the scored targets' pixel variance), ``plain_knn``, ``salient_knn``
    and ``background_knn`` (digit kNN accuracy of each code, fitted on the training codes)."""
    if not opacities or not seeds:
        raise ValueError("opacity_curve needs at least one opacity and one seed")
    rows = []
    look = look_of(cfg)
    for opacity in opacities:
        fit = cvae_data.composite(fit_digits, fit_labels, seed=data_seed, opacity=opacity, **look)
        held = cvae_data.composite(
            eval_digits, eval_labels, seed=data_seed + 1, opacity=opacity, **look
        )
        x, b = fit.flat()
        x_eval, _ = held.flat()
        tag = f"opacity{opacity:.2f}"
        plain = train_plain(x, seeds, cfg, store_dir=store_dir, name=f"curve-plain-{tag}",
                            epochs=epochs)  # fmt: skip
        contrastive = train_contrastive(
            x, b, seeds, cfg, options, store_dir=store_dir, name=f"curve-contrastive-{tag}",
            epochs=epochs,
        )  # fmt: skip
        share = cvae_data.variance_share(held.targets, held.target_backgrounds)
        for seed in seeds:
            table = separation_rows(
                {"plain": plain[seed].model, "contrastive": contrastive[seed].model},
                x, fit.labels, x_eval, held.labels,
            )  # fmt: skip
            rows.append(
                {
                    "opacity": float(opacity),
                    "seed": int(seed),
                    "background_share": share,
                    "plain_knn": table.loc[("plain", "z"), "knn_accuracy"],
                    "salient_knn": table.loc[("contrastive", "s"), "knn_accuracy"],
                    "background_knn": table.loc[("contrastive", "z"), "knn_accuracy"],
                }
            )
    return pd.DataFrame(rows)


def curve_text(curve: pd.DataFrame, headline_opacity: float) -> str:
    """What :func:`opacity_curve`'s table says, in a sentence or three: the range of each code's
    k-NN accuracy over the opacities, the salient code's lead over the plain VAE's at the ends
    and at ``headline_opacity`` (when the curve has it), where the lead is largest and where,
    if anywhere, the plain VAE leads."""
    by_opacity = curve.groupby("opacity").mean()
    gap = by_opacity["salient_knn"] - by_opacity["plain_knn"]
    points = sorted({min(gap.index), max(gap.index)} | ({headline_opacity} & set(gap.index)))
    behind = ", ".join(f"{o:g}" for o in gap[gap <= 0].index)

    def span(column: str) -> str:
        return f"{by_opacity[column].min():.3f}-{by_opacity[column].max():.3f}"

    leads = "; ".join(f"{gap[o]:.3f} at opacity {o:g}" for o in points)
    return (
        f"Over opacities {points[0]:g} to {points[-1]:g} (background share "
        f"{by_opacity['background_share'].max():.2f} to "
        f"{by_opacity['background_share'].min():.2f}), the salient code's accuracy ranges "
        f"{span('salient_knn')}, the plain VAE's {span('plain_knn')} and the background code's "
        f"{span('background_knn')}. The salient code's lead over the plain VAE's code: {leads} "
        f"(the headline's is {headline_opacity:g}); largest at {gap.idxmax():g}, "
        + (f"and the plain VAE leads at {behind}." if behind else "and positive at every opacity.")
    )
