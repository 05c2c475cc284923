"""Chapter 02's exercises: a pixel permutation, its inverse, the first layer's weights put
back in order, and the permutation's cost read off the chapter's table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..classifiers import permutation
from .feedback import Case, Result, answer_check, function_check

__all__ = ["cnn_cost", "inverse", "permute", "unpermute_weights"]


def _perm_case(perm: np.ndarray, hint: str) -> Case:
    return Case(
        (np.asarray(perm),),
        permutation.inverse(perm),
        f"perm {np.array2string(np.asarray(perm), threshold=8, separator=', ')}",
        hint,
    )


def inverse(fn: Any) -> Result:
    """Exercise 02.2: ``fn(perm)``, the permutation that undoes ``perm``:
    ``inverse[perm[j]] == j``."""
    hint = "inverse[perm[j]] must be j; perm itself (or reversed) does not undo perm"
    visible = [
        _perm_case(np.array([2, 0, 1]), hint),
        _perm_case(np.array([1, 0]), ""),
        _perm_case(np.array([3, 0, 2, 1]), hint),
    ]
    rng = np.random.default_rng()
    hidden = [_perm_case(rng.permutation(int(n)), hint) for n in rng.integers(3, 800, size=10)]
    return function_check("02.2", fn, visible, hidden, atol=0, rtol=0)


def _images_case(rng: np.random.Generator, n: int, side: int, label: str, hint: str) -> Case:
    images = rng.integers(0, 256, size=(n, side, side)).astype(np.uint8)
    perm = rng.permutation(side * side)
    return Case((images, perm), permutation.permute(images, perm), label, hint)


def permute(fn: Any) -> Result:
    """Exercise 02.1: ``fn(images, perm)``: images ``(n, h, w)`` with their pixels reordered,
    pixel ``j`` of each result (row-major) being pixel ``perm[j]`` of the image; same shape."""
    hint = "flatten each image, take x[:, perm], reshape back to (n, h, w)"
    tiny = np.arange(4).reshape(1, 2, 2)
    visible = [
        Case(
            (tiny, np.array([3, 2, 1, 0])),
            np.array([[[3, 2], [1, 0]]]),
            "one 2x2 image [[0, 1], [2, 3]], perm [3, 2, 1, 0]",
            hint,
        ),
        Case(
            (tiny, np.array([1, 2, 3, 0])),
            np.array([[[1, 2], [3, 0]]]),
            "the same image, perm [1, 2, 3, 0]",
            "pixel j of the result is pixel perm[j] of the image (not the other way)",
        ),
    ]
    rng = np.random.default_rng()
    hidden = [
        _images_case(rng, int(rng.integers(1, 5)), int(rng.integers(2, 29)), "random images", hint)
        for _ in range(8)
    ]
    return function_check("02.1", fn, visible, hidden, atol=0, rtol=0)


def unpermute_weights(fn: Any) -> Result:
    """Exercise 02.4: ``fn(kernel, perm)``: a first dense layer's kernel ``(pixels, units)``
    trained on permuted images, its rows put back in the original pixel order (row
    ``perm[j]`` of the result is row ``j`` of the kernel)."""
    hint = "row j saw original pixel perm[j]: use the inverse permutation to index the rows"
    kernel = np.array([[10.0, 11.0], [20.0, 21.0], [30.0, 31.0]])
    perm = np.array([2, 0, 1])
    visible = [
        Case(
            (kernel, perm),
            permutation.unpermute_weights(kernel, perm),
            "kernel rows [10, 20, 30] (x2 units), perm [2, 0, 1]",
            hint,
        )
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(8):
        pixels, units = int(rng.integers(3, 800)), int(rng.integers(1, 9))
        k, p = rng.normal(size=(pixels, units)), rng.permutation(pixels)
        hidden.append(Case((k, p), permutation.unpermute_weights(k, p), "a random kernel", hint))
    return function_check("02.4", fn, visible, hidden, atol=0, rtol=0)


def cnn_cost(answer: Any, summary: Mapping[tuple[str, str], Mapping[str, Any]]) -> Result:
    """Exercise 02.3: the MNIST CNN's mean test-accuracy difference (permuted minus original)
    over the seeds, as the chapter's Table 5 shows it (``summary``)."""
    diff = float(summary["mnist", "cnn"]["difference"]["mean"])
    return answer_check(
        "02.3",
        answer,
        diff,
        what="the MNIST CNN's difference, permuted - original",
        tol=5e-4,
        source="the 'difference' column of the Table 5 cell",
    )
