"""Chapter 05's exercises: the background's share of the variance, the MMD penalty, the code
that holds the digit and the k-NN probe."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier

from ..cvae import data as cvae_data
from .feedback import Case, Result, choice_check, function_check

__all__ = ["digit_code", "knn_accuracy", "mmd", "variance_share"]


def variance_share(fn: Any) -> Result:
    """Exercise 05.1: ``fn(targets, backgrounds)``: the share of the targets' pixel variance
    (each pixel's variance across images, summed over pixels) their background layer carries."""
    hint = "take each pixel's variance across the images (axis 0), then sum over the pixels"

    def case(t: np.ndarray, b: np.ndarray, label: str) -> Case:
        return Case((t, b), cvae_data.variance_share(t, b), label, hint)

    visible = [
        case(
            np.array([[0.0, 0.0], [2.0, 1.0]]),
            np.array([[0.0, 0.0], [1.0, 1.0]]),
            "two 2-pixel targets [[0, 0], [2, 1]], backgrounds [[0, 0], [1, 1]]",
        )
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(8):
        n, px = int(rng.integers(3, 40)), int(rng.integers(2, 50))
        b = rng.uniform(size=(n, px)) * rng.uniform(0.1, 1, size=px)
        t = np.clip(b + rng.uniform(size=(n, px)) * (rng.uniform(size=(n, px)) < 0.3), 0, 1)
        hidden.append(case(t, b, "random stacks"))
    return function_check("05.1", fn, visible, hidden, atol=1e-9, rtol=1e-7)


def _mmd(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    x = np.concatenate([a, b])
    d2 = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    k = np.exp(-d2 / (2 * a.shape[1] * scale**2))
    w = np.concatenate([np.full(len(a), 1 / len(a)), np.full(len(b), -1 / len(b))])
    return float(w @ k @ w)


def mmd(fn: Any) -> Result:
    """Exercise 05.2: ``fn(a, b, scale)``: the (biased) squared maximum mean discrepancy between
    samples ``a`` (n, d) and ``b`` (m, d) under the kernel exp(-|u - v|^2 / (2 d scale^2)):
    mean k(a, a) + mean k(b, b) - 2 mean k(a, b), every pair counted (the diagonal too)."""
    hint = "the kernel divides by 2 * d * scale**2 (d: the code's dimensions); count every pair"

    def case(a: np.ndarray, b: np.ndarray, scale: float, label: str) -> Case:
        return Case((a, b, scale), _mmd(a, b, scale), label, hint)

    visible = [
        case(np.zeros((2, 1)), np.zeros((3, 1)), 1.0, "a and b the same point (MMD 0)"),
        case(
            np.array([[0.0, 0.0]]),
            np.array([[1.0, 1.0]]),
            1.0,
            "one point each, (0, 0) and (1, 1), scale 1",
        ),
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(8):
        d = int(rng.integers(1, 6))
        a = rng.normal(size=(int(rng.integers(2, 30)), d))
        b = rng.normal(size=(int(rng.integers(2, 30)), d)) + rng.uniform(0, 2)
        hidden.append(case(a, b, float(rng.choice([0.5, 1.0, 2.0])), "random samples"))
    return function_check("05.2", fn, visible, hidden, atol=1e-9, rtol=1e-7)


def digit_code(answer: Any, separation: pd.DataFrame, model: str) -> Result:
    """Exercise 05.3: which of ``model``'s codes (``"s"``, salient, or ``"z"``, background) a
    k-NN classifier reads the digit from best, on validation (the separation table)."""
    knn = separation.xs(model, level="model")["knn_accuracy"].astype(float)
    why = ", ".join(f"{code}: {v:.3f}" for code, v in knn.items()) + " (k-NN digit accuracy)"
    return choice_check(
        "05.3",
        answer,
        str(knn.idxmax()),
        allowed=[str(c) for c in knn.index],
        what=f"the code of {model} that holds the digit",
        why=why,
    )


def _knn(
    fit: np.ndarray, fit_labels: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int
) -> float:
    return float(KNeighborsClassifier(k).fit(fit, fit_labels).score(x, labels))


def knn_accuracy(fn: Any) -> Result:
    """Exercise 05.4: ``fn(fit_codes, fit_labels, codes, labels, k)``: the share of ``codes``
    whose digit a k-nearest-neighbour vote among ``fit_codes`` gets right (the probe the
    chapter's separation table uses). Up to 3 points of accuracy are allowed for ties broken
    differently."""
    hint = "the k nearest fit codes by Euclidean distance vote; score the share right"

    def case(rng: np.random.Generator, n: int, d: int, k: int, spread: float, label: str) -> Case:
        centres = rng.normal(size=(10, d)) * 3
        fit_labels, labels = rng.integers(0, 10, size=n), rng.integers(0, 10, size=n // 2)
        fit = centres[fit_labels] + rng.normal(size=(n, d)) * spread
        x = centres[labels] + rng.normal(size=(n // 2, d)) * spread
        return Case((fit, fit_labels, x, labels, k), _knn(fit, fit_labels, x, labels, k), label,
                    hint)  # fmt: skip

    visible = [case(np.random.default_rng(5), 200, 2, 5, 2.0, "200 codes in 2-d, k = 5")]
    rng = np.random.default_rng()
    hidden = [
        case(
            rng,
            int(rng.integers(60, 300)),
            int(rng.integers(1, 9)),
            int(k),
            float(rng.uniform(0.5, 4)),
            "random codes",
        )
        for k in rng.choice([1, 3, 5, 7], 6)
    ]
    return function_check("05.4", fn, visible, hidden, atol=0.03, rtol=0)
