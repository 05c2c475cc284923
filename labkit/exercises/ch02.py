"""Chapter 02's exercises: a pixel permutation, its inverse, the first layer's weights put
back in order, and the permutation's cost read off the chapter's table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..classifiers import permutation
from . import runs
from .feedback import (
    FAILED,
    NOT_DONE,
    PASSED,
    Case,
    Result,
    answer_check,
    function_check,
    is_unanswered,
)

__all__ = [
    "cnn_cost",
    "compare_arms",
    "inverse",
    "permute",
    "permutation_prediction",
    "unpermute_weights",
]


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


#: A change in validation accuracy smaller than this is "same" at exercise 02.5's budget.
SAME_WITHIN = 0.02


def _fit_arms(images: int, seed: int) -> dict[str, dict[str, float]]:
    """In its own process: a small MLP and a small CNN, one epoch each on ``images`` MNIST
    images as they are and with one fixed pixel permutation; validation accuracy of each."""
    import keras

    x, y, x_val, y_val = runs.mnist_flat(images, seed)
    perm = permutation.pixel_permutation(seed)
    out: dict[str, dict[str, float]] = {}
    for kind in ("mlp", "cnn"):
        for arm, (fit, held) in {"original": (x, x_val),
                                 "permuted": (x[:, perm], x_val[:, perm])}.items():  # fmt: skip
            keras.utils.set_random_seed(seed)  # this process only: the same start for each arm
            shape = (-1, 784) if kind == "mlp" else (-1, 28, 28, 1)
            model = runs.small_model(kind, seed=seed)
            model.fit(fit.reshape(shape), y, batch_size=64, epochs=1, verbose=0)
            acc = model.evaluate(held.reshape(shape), y_val, verbose=0)[1]
            out.setdefault(kind, {})[arm] = float(acc)
    return out


def compare_arms(images: int = 5_000, seed: int = 0) -> pd.DataFrame:
    """Exercise 02.5's run: validation accuracy of a small MLP and a small CNN trained one epoch
    on ``images`` MNIST images, original and permuted (about half a minute, in a process of its
    own: the chapter's results are untouched); rows mlp and cnn."""
    frame = pd.DataFrame(runs.apart(_fit_arms, images, seed)).T
    frame["difference"] = frame["permuted"] - frame["original"]
    return frame


def _direction(diff: float) -> str:
    return "same" if abs(diff) < SAME_WITHIN else ("lower" if diff < 0 else "higher")


def permutation_prediction(mlp_change: Any, cnn_change: Any, measured: pd.DataFrame) -> Result:
    """Exercise 02.5: the predicted change of each model's accuracy when the pixels are
    permuted (``"same"``, ``"lower"`` or ``"higher"``; "same" is a change under
    :data:`SAME_WITHIN`), against :func:`compare_arms`' measurement."""
    said = {"mlp": mlp_change, "cnn": cnn_change}
    if any(is_unanswered(v) for v in said.values()):
        return Result("02.5", NOT_DONE, ["set mlp_change and cnn_change to 'same', 'lower' or "
                                         "'higher' before you run the comparison"])  # fmt: skip
    lines, right = [], True
    for kind, guess in said.items():
        diff = float(measured.loc[kind, "difference"])
        truth = _direction(diff)
        ok = guess == truth
        right &= ok
        lines.append(
            f"{kind.upper()}: you said {guess!r}, the run says {truth!r} (permuted - original "
            f"{diff:+.3f}; 'same' is within {SAME_WITHIN})"
            + ("" if ok or kind == "mlp" else ": a convolution's filters see neighbouring pixels")
            + (
                ""
                if ok or kind == "cnn"
                else ": a dense layer sees every pixel alike, in any order"
            )
        )
    return Result("02.5", PASSED if right else FAILED, lines)
