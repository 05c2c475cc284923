"""Chapter 04's figures: the KL's asymmetry, the ELBO against log p(x), the two gradient
estimators, batch GD vs SGD, and the VAE's latent space."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import derivation as vae


def kl_asymmetry(sigmas: np.ndarray) -> plt.Figure:
    """KL(N(0, s^2) || N(0, 1)) and KL(N(0, 1) || N(0, s^2)) against s, in nats."""
    sigmas = np.asarray(sigmas, float)
    var = sigmas[:, None] ** 2
    forward = vae.kl_gaussian_diag(np.zeros_like(var), var)
    reverse = vae.kl_gaussian_diag(np.zeros_like(var), np.ones_like(var), 0.0, var)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(sigmas, forward, label=r"KL$(\mathcal{N}(0,s^2)\,\|\,\mathcal{N}(0,1))$")
    ax.plot(sigmas, reverse, ls="--", label=r"KL$(\mathcal{N}(0,1)\,\|\,\mathcal{N}(0,s^2))$")
    ax.set(xscale="log", xlabel="s", ylabel="KL (nats)", ylim=(0, max(3.0, forward.min() + 3)))
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def elbo_path(frame: pd.DataFrame) -> plt.Figure:
    """The ELBO of q_t along a path of Gaussians (from :func:`vae.elbo_along_path`) under
    log p(x), touching it where q_t is the posterior; the gap is KL(q_t || p(z | x))."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(frame["t"], frame["log_px"], color="k", label=r"$\log p(x)$")
    ax.plot(frame["t"], frame["elbo"], label="ELBO (exact)")
    ax.plot(
        frame["t"],
        frame["elbo"] + frame["kl_to_posterior"],
        ls="none",
        marker="o",
        ms=3,
        label=r"ELBO + KL$(q_t\,\|\,p(z\mid x))$",
    )
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.set(xlabel="t (t = 0: prior mean, t = 1: posterior mean)", ylabel="nats")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def estimators(exact: np.ndarray, samples: Mapping[str, np.ndarray]) -> plt.Figure:
    """Left: each estimator's per-sample variance for each parameter (log scale). Right: the
    distance of the running mean of n samples from the exact gradient, against n."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    n_par = len(exact)
    half = n_par // 2
    names = [f"$\\mu_{i + 1}$" for i in range(half)] + [
        f"$\\log\\sigma_{i + 1}$" for i in range(n_par - half)
    ]
    width = 0.8 / len(samples)
    for j, (label, g) in enumerate(samples.items()):
        left.bar(np.arange(n_par) + j * width, g.var(axis=0), width, label=label)
        n = np.arange(1, len(g) + 1)
        running = np.cumsum(g, axis=0) / n[:, None]
        keep = np.unique(np.geomspace(1, len(g), 200).astype(int)) - 1
        right.plot(n[keep], np.linalg.norm(running[keep] - exact, axis=1), label=label)
    left.set_xticks(np.arange(n_par) + 0.4 - width / 2, names)
    left.set(yscale="log", ylabel="variance of one sample")
    left.legend(fontsize="small")
    ref = np.geomspace(1, max(len(g) for g in samples.values()), 50)
    right.plot(ref, right.get_ylim()[1] / np.sqrt(ref), color="grey", lw=0.8, ls=":")
    right.set(xscale="log", yscale="log", xlabel="samples n", ylabel="|mean of n - exact|")
    right.legend(fontsize="small", title=r"dotted: $\propto 1/\sqrt{n}$", title_fontsize="small")
    fig.tight_layout()
    return fig


def algorithms(histories: Mapping[str, pd.DataFrame], best_nll: float) -> plt.Figure:
    """Each run's negative mean ELBO above the maximum likelihood's negative mean
    log-likelihood (nats; log axes) against passes over the data (from
    :func:`labkit.vae.algorithms.run`); a run that diverged ends where it did."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, h in histories.items():
        after = h.loc[(h["step"] > 0) & h["neg_elbo"].notna()]
        ax.plot(after["pass"], np.maximum(after["neg_elbo"] - best_nll, 1e-6), label=label)
    ax.set(xlabel="passes over the data", ylabel="-ELBO - NLL(MLE), nats", xscale="log",
           yscale="log")  # fmt: skip
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def latent_space(means: np.ndarray, log_vars: np.ndarray, labels: np.ndarray) -> plt.Figure:
    """Left: the test codes' means projected on their first two principal components,
    coloured by digit (``log_vars``: q's log variances, as :func:`labkit.vae.model.encode`
    gives them). Right: the mean KL(q(z_j | x) || N(0, 1)) of each latent dimension
    (dimensions near 0 nats are unused by the model)."""
    from sklearn.decomposition import PCA

    means = np.asarray(means, float)
    xy = means[:, :2] if means.shape[1] <= 2 else PCA(2).fit_transform(means)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=(1.2, 1))
    points = left.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=3, alpha=0.6)
    left.legend(*points.legend_elements(), fontsize="x-small", title="digit", loc="best")
    pcs = "z" if means.shape[1] <= 2 else "PC"
    left.set(xlabel=f"{pcs} 1", ylabel=f"{pcs} 2")
    variances = np.exp(np.asarray(log_vars, float))
    per_dim = vae.kl_gaussian_diag(means[..., None], variances[..., None]).mean(0)
    right.bar(np.arange(1, len(per_dim) + 1), per_dim)
    right.set_xticks(np.arange(1, len(per_dim) + 1))
    right.tick_params(axis="x", labelsize="small")
    right.set(xlabel="latent dimension", ylabel="mean KL to the prior (nats)")
    fig.tight_layout()
    return fig
