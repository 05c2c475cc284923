"""Chapter 01's exercises: an MLP's parameters, the L2 penalty, the range test's rule, reading
the activations table, and a learning rate changed, predicted and run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import runs
from .feedback import FAILED, Case, Result, choice_check, function_check

__all__ = [
    "best_activation",
    "compare_rates",
    "dense_parameters",
    "l2_penalty",
    "rate_prediction",
    "steepest_rate",
]


def _params(sizes: Sequence[int]) -> int:
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False)))


def dense_parameters(fn: Any) -> Result:
    """Exercise 01.1: ``fn(sizes)`` counts the weights and biases of a stack of dense layers
    whose widths are ``sizes`` (the input's first: ``[784, 10]`` is one layer)."""

    def case(sizes: list[int], hint: str = "") -> Case:
        return Case((list(sizes),), _params(sizes), f"sizes {list(sizes)}", hint)

    bias = "each of a layer's units has one bias besides its weights"
    visible = [
        case([784, 10], bias),
        case([784, 256, 10], bias),
        case([4, 3, 2, 1], "every pair of neighbouring widths is one layer"),
    ]
    rng = np.random.default_rng()
    hidden = [
        case([int(v) for v in rng.integers(1, 900, size=int(rng.integers(2, 6)))], bias)
        for _ in range(10)
    ]
    return function_check("01.1", fn, visible, hidden, atol=0, rtol=0)


def _l2(weights: Sequence[np.ndarray], factor: float) -> float:
    return float(factor * sum(np.sum(np.square(np.asarray(w, float))) for w in weights))


def l2_penalty(fn: Any) -> Result:
    """Exercise 01.5: ``fn(weights, factor)``: the L2 penalty Keras adds to the loss for a list
    of weight arrays, ``factor`` times the sum of their squares."""

    def case(weights: list[np.ndarray], factor: float, label: str, hint: str = "") -> Case:
        return Case((weights, factor), _l2(weights, factor), label, hint)

    keras_l2 = "Keras' L2(factor) is factor * sum(w**2): no square root, no 1/2"
    visible = [
        case([np.array([1.0, -2.0])], 0.1, "weights [[1, -2]], factor 0.1", keras_l2),
        case(
            [np.array([[3.0]]), np.array([0.0, 4.0])],
            1.0,
            "weights [[[3]], [0, 4]], factor 1",
            "sum over every array in the list",
        ),
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(10):
        arrays = [
            rng.normal(size=tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 3)))))
            for _ in range(int(rng.integers(1, 4)))
        ]
        hidden.append(
            case(
                arrays,
                float(rng.choice([1e-4, 1e-3, 0.01, 0.5])),
                f"{len(arrays)} random arrays",
                keras_l2,
            )
        )
    return function_check("01.5", fn, visible, hidden, rtol=1e-6, atol=1e-9)


def _steepest(lrs: np.ndarray, losses: np.ndarray) -> float:
    end = int(np.argmin(losses)) + 1
    slope = np.gradient(losses[:end], np.log(lrs[:end]))
    return float(lrs[int(np.argmin(slope))])


def _curve(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A smoothed range-test curve: flat, a fall centred somewhere, then a blow-up."""
    lrs = np.geomspace(1e-6, 10.0, 100)
    centre, width = rng.uniform(-4.5, -1.5), rng.uniform(0.3, 0.7)
    x = np.log10(lrs)
    fall = 2.3 - 2.0 / (1 + np.exp(-(x - centre) / width))
    blow = np.exp(np.clip((x - centre - rng.uniform(1.5, 2.5)) * 3, -30, 5))
    return lrs, fall + blow


def steepest_rate(fn: Any) -> Result:
    """Exercise 01.2: ``fn(lrs, losses)``: the range test's rule, the learning rate where the
    (smoothed) loss falls fastest against log(lr), looking only up to the loss's minimum.
    One grid step either side is accepted (slopes taken differently shift it by one)."""
    rng = np.random.default_rng(7)
    lrs, losses = _curve(rng)
    visible = [
        Case(
            (lrs, losses),
            _steepest(lrs, losses),
            "the curve plotted above",
            "the steepest fall, not the lowest loss; slopes against log(lr)",
        )
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(8):
        lrs, losses = _curve(rng)
        hidden.append(
            Case(
                (lrs, losses),
                _steepest(lrs, losses),
                "a random curve",
                "the steepest fall before the minimum, against log(lr)",
            )
        )
    return function_check("01.2", fn, visible, hidden, rtol=0.2, atol=0)


def visible_curve() -> tuple[np.ndarray, np.ndarray]:
    """Exercise 01.2's visible curve (learning rates and smoothed losses), to plot."""
    return _curve(np.random.default_rng(7))


def best_activation(answer: Any, activations: pd.DataFrame) -> Result:
    """Exercise 01.4: the activation with the highest mean validation accuracy for the MNIST
    CNN, read off the chapter's activations experiment (``results["activations"]``). The
    feedback also says whether its lead over the second is outside the seeds' spread."""
    rows = activations[(activations["dataset"] == "mnist") & (activations["model"] == "cnn")]
    by = rows.groupby("config", observed=True)["val_accuracy"]
    means, sds = by.mean().sort_values(), by.std(ddof=1)
    allowed = [str(c) for c in means.index]
    why = ", ".join(f"{c} {v:.4f}" for c, v in means.items()) + " (mean validation accuracy)"
    result = choice_check("01.4", answer, str(means.index[-1]), allowed=allowed,
                          what="the MNIST CNN's best activation", why=why)  # fmt: skip
    if len(means) > 1:
        lead, spread = means.iloc[-1] - means.iloc[-2], sds[means.index[-2:]].max()
        if np.isnan(spread):
            result.lines.append(f"its lead over {means.index[-2]} is {lead:.4f}, at one seed: "
                                "no spread to judge it by, so not a ranking")  # fmt: skip
        else:
            verdict = (
                "a ranking" if lead > 2 * spread else "inside the seeds' spread: not a ranking"
            )
            result.lines.append(f"its lead over {means.index[-2]} is {lead:.4f} against a seeds' "
                                f"sd of up to {spread:.4f}: {verdict}")  # fmt: skip
    return result


def _fit_rates(rates: Sequence[float], images: int, seed: int) -> list[float]:
    """Small fits (in their own process): an MLP (128 relu units) on ``images`` MNIST training
    images, one epoch of Adam at each of ``rates``; validation accuracy on 2,000 others."""
    x, y, x_val, y_val = runs.mnist_flat(images, seed)
    return [_fit_rate(rate, seed, x, y, x_val, y_val) for rate in rates]


def _fit_rate(rate: float, seed: int, *data: np.ndarray) -> float:
    import keras

    x, y, x_val, y_val = data
    keras.utils.set_random_seed(seed)  # this process only: the same start at every rate
    model = runs.small_model("mlp", rate)  # initial weights from the seed just set
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    return float(model.evaluate(x_val, y_val, verbose=0)[1])


def compare_rates(rates: Sequence[float], images: int = 6_000, seed: int = 0) -> pd.Series:
    """Validation accuracy of the small MLP of exercise 01.3 at each of ``rates`` (one epoch on
    ``images`` images, a few seconds each), in a process of their own
    (:func:`labkit.exercises.runs.apart`): the chapter's results are untouched."""
    accs = runs.apart(_fit_rates, [float(r) for r in rates], images, seed)
    return pd.Series(accs, index=pd.Index([float(r) for r in rates], name="learning rate"),
                     name="validation accuracy")  # fmt: skip


def rate_prediction(prediction: Any, measured: pd.Series) -> Result:
    """Exercise 01.3: the prediction (``"higher"`` or ``"lower"``) for the validation accuracy
    at the larger learning rate of ``measured`` (:func:`compare_rates`), against the smaller."""
    if len(measured) != 2:
        return Result("01.3", FAILED, ["compare exactly two learning rates"])
    small, large = measured.sort_index().to_numpy()
    said = "higher" if large > small else "lower"
    rates = sorted(measured.index)
    why = f"at {rates[0]:g} the MLP reached {small:.3f}, at {rates[1]:g} {large:.3f}" + (
        " (near chance: the steps overshoot every minimum)" if large < 0.3 else ""
    )
    return choice_check(
        "01.3",
        prediction,
        said,
        allowed=["higher", "lower"],
        what="validation accuracy at the larger rate",
        why=why,
    )
