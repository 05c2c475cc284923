"""Chapter 04's exercises: the reparameterisation trick, the Gaussian KL to the prior, the
importance-weighted bound computed stably, and the active units read off the chapter."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..vae import derivation
from .feedback import Case, Result, answer_check, function_check

__all__ = ["active_units", "iwae_bound", "kl_to_prior", "reparameterise"]


def _gaussians(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, d)), rng.uniform(-3, 2, size=(n, d))


def reparameterise(fn: Any) -> Result:
    """Exercise 04.2: ``fn(mean, log_var, eps)``: a draw z = mean + sd * eps from
    N(mean, exp(log_var)) made from standard-normal noise ``eps``."""
    hint = "sd = exp(log_var / 2): the encoder gives the log of the variance, not of the sd"

    def case(mean: np.ndarray, log_var: np.ndarray, eps: np.ndarray, label: str) -> Case:
        return Case((mean, log_var, eps), mean + np.exp(0.5 * log_var) * eps, label, hint)

    visible = [
        case(
            np.array([1.0, -1.0]),
            np.array([0.0, np.log(4.0)]),
            np.array([0.5, 0.5]),
            "mean [1, -1], variance [1, 4], eps [0.5, 0.5]",
        )
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(8):
        mean, log_var = _gaussians(rng, int(rng.integers(1, 6)), int(rng.integers(1, 9)))
        hidden.append(case(mean, log_var, rng.normal(size=mean.shape), "random Gaussians"))
    return function_check("04.2", fn, visible, hidden, atol=1e-9, rtol=1e-7)


def kl_to_prior(fn: Any) -> Result:
    """Exercise 04.1: ``fn(mean, log_var)``: KL(N(mean, diag exp(log_var)) || N(0, I)) per row,
    summed over the last axis (the closed form the VAE's loss uses)."""
    hint = "0.5 * sum(var + mean**2 - 1 - log var) over the latent dimensions, one value per row"

    def case(mean: np.ndarray, log_var: np.ndarray, label: str) -> Case:
        return Case(
            (mean, log_var), derivation.kl_gaussian_diag(mean, np.exp(log_var)), label, hint
        )

    visible = [
        case(np.zeros((1, 2)), np.zeros((1, 2)), "the prior itself (KL 0)"),
        case(
            np.array([[1.0, 0.0]]), np.array([[0.0, np.log(2.0)]]), "mean [1, 0], variance [1, 2]"
        ),
    ]
    rng = np.random.default_rng()
    hidden = [
        case(*_gaussians(rng, int(rng.integers(1, 6)), int(rng.integers(1, 9))), "random Gaussians")
        for _ in range(8)
    ]
    return function_check("04.1", fn, visible, hidden, atol=1e-9, rtol=1e-7)


def iwae_bound(fn: Any) -> Result:
    """Exercise 04.3: ``fn(log_weights)`` for log weights ``(k, n)`` (k draws per image):
    log (1/k) sum_i exp(log_weights[i]) per image, finite even for weights near -1000 nats."""
    hint = "subtract each column's largest log weight before exp (log-sum-exp), add it back"

    def case(lw: np.ndarray, label: str) -> Case:
        return Case((lw,), logsumexp(lw, axis=0) - np.log(len(lw)), label, hint)

    visible = [
        case(np.log(np.array([[0.5], [1.5]])), "weights 0.5 and 1.5 (bound log 1 = 0)"),
        case(
            np.array([[-1000.0, -2.0], [-1001.0, -3.0]]),
            "log weights near -1000 nats, as an image's are",
        ),
    ]
    rng = np.random.default_rng()
    hidden = [
        case(
            rng.normal(size=(int(k), int(rng.integers(1, 6)))) * rng.uniform(1, 20)
            - rng.uniform(0, 1500),
            "random log weights",
        )
        for k in rng.integers(1, 60, size=8)
    ]
    return function_check("04.3", fn, visible, hidden, atol=1e-6, rtol=1e-9)


def active_units(answer: Any, count: int, latent_dim: int) -> Result:
    """Exercise 04.4: how many of the model's latent units are active (variance of their mean
    over validation images above 0.01), as the chapter printed it."""
    return answer_check(
        "04.4",
        answer,
        float(count),
        tol=0,
        what=f"active units of {latent_dim}",
        source="the line printed under 'What the model learned'",
    )
