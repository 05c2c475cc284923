"""The learning-rate range test (Smith 2017; the "LR finder" of fastai).

One short run in which the learning rate grows exponentially after every batch, from ``start``
(1e-5) to ``stop`` (1), while the training loss is recorded. The loss first stays flat (too
small a rate to learn), then falls, then blows up. The run stops early once the smoothed loss
exceeds four times its minimum (the divergence point).

The suggested rate follows the **steepest-descent rule**: the rate where the smoothed loss falls
fastest per unit of log learning rate, searched before the loss minimum. Two other rules are
reported beside it: the reference report's, the rate "at which the loss starts to climb", taken
here as half the rate at the smoothed loss's minimum (the largest rate that still descends;
:attr:`RangeTest.climb`), and fastai's older one tenth of that rate (``min_lr / 10``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from .. import loops

__all__ = ["RangeTest", "LRRangeTest", "range_test", "smooth", "steepest", "plot", "RULE"]

RULE = "steepest descent of the smoothed loss (before its minimum)"


class LRRangeTest(keras.callbacks.Callback):
    """Sets the learning rate before each batch and records the loss of that batch.

    Keras 3 reports the running mean of the loss over the epoch so far; the loss of batch
    ``k`` is recovered from two successive means weighted by the samples they cover.
    """

    def __init__(
        self, start: float, stop: float, steps: int, batch_size: int, samples: int
    ) -> None:
        super().__init__()
        if not 0 < start < stop:
            raise ValueError(f"need 0 < start < stop, got start={start!r}, stop={stop!r}")
        if steps < 2:
            raise ValueError(f"the parameter 'steps' must be at least 2, got {steps!r}")
        self.rates = np.geomspace(start, stop, steps)
        self.batch_size, self.samples = batch_size, samples
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self._seen = 0
        self._total = 0.0
        self._best = math.inf

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._seen, self._total = 0, 0.0

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.model.optimizer.learning_rate = float(self.rates[len(self.lrs)])

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        n = min(self.batch_size, self.samples - self._seen)
        mean = float(logs["loss"])
        total = mean * (self._seen + n)
        loss = (total - self._total) / n
        self._seen, self._total = self._seen + n, total
        self.lrs.append(float(self.rates[len(self.lrs)]))
        self.losses.append(loss)
        smoothed = smooth(np.array(self.losses))[-1]
        self._best = min(self._best, smoothed)
        if len(self.lrs) >= len(self.rates) or not np.isfinite(loss) or smoothed > 4 * self._best:
            self.model.stop_training = True


@dataclass
class RangeTest:
    """The recorded sweep and what it suggests."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested: float
    min_lr: float
    diverged_at: float | None
    rule: str = RULE

    @property
    def degenerate(self) -> bool:
        """The steepest-descent rule fell on the sweep's first points: the loss had no descent
        before its minimum to read a rate from (or the minimum came first), so the
        "suggestion" is the sweep's start, not a choice. Such a rate is flagged, not trained."""
        return len(self.lrs) < 3 or self.suggested <= float(self.lrs[2])

    @property
    def climb(self) -> float:
        """The reference report's rule: where the loss starts to climb, half the rate at the
        smoothed loss's minimum."""
        return self.min_lr / 2

    def summary(self) -> dict[str, float | str | None]:
        """The numbers worth keeping, for a table or the metrics JSON."""
        return {
            "steepest_lr": self.suggested,
            "climb_lr": self.climb,
            "min_loss_lr": self.min_lr,
            "min_loss_lr_over_10": self.min_lr / 10,
            "diverged_at_lr": self.diverged_at,
            "steps": len(self.lrs),
            "steepest_degenerate": self.degenerate,
            "rule": self.rule,
        }


def smooth(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction (as in fastai's LR finder)."""
    out = np.empty(len(losses))
    avg = 0.0
    for i, value in enumerate(losses):
        avg = beta * avg + (1 - beta) * value
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def steepest(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    """The rate where ``smoothed`` falls fastest against log(lr), before the loss minimum."""
    lrs, smoothed = np.asarray(lrs), np.asarray(smoothed)
    finite = np.isfinite(smoothed)
    end = int(np.argmin(np.where(finite, smoothed, np.inf))) + 1
    if end < 3:
        return float(lrs[0])
    slope = np.gradient(smoothed[:end], np.log(lrs[:end]))
    return float(lrs[int(np.argmin(slope))])


def range_test(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    start: float = 1e-5,
    stop: float = 1.0,
    steps: int = 100,
    batch_size: int = 128,
    beta: float = 0.9,
) -> RangeTest:
    """Run the range test on a freshly built, compiled ``model`` (its weights are changed).

    ``steps`` batches of ``batch_size`` sweep the rate from ``start`` to ``stop``; the data is
    cycled when it holds fewer batches.
    """
    x, y = np.asarray(x), np.asarray(y)
    per_epoch = loops.steps(len(x), batch_size)
    cb = LRRangeTest(start, stop, steps, batch_size, len(x))
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=math.ceil(steps / per_epoch),
        shuffle=True,
        verbose=0,
        callbacks=[cb],
    )
    lrs, losses = np.array(cb.lrs), np.array(cb.losses)
    smoothed = smooth(losses, beta)
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    best = int(np.argmin(finite))
    diverged = len(lrs) < steps
    return RangeTest(
        lrs=lrs,
        losses=losses,
        smoothed=smoothed,
        suggested=steepest(lrs, smoothed),
        min_lr=float(lrs[best]),
        diverged_at=float(lrs[-1]) if diverged else None,
    )


def plot(result: RangeTest, *, title: str | None = None, ax: object = None) -> object:
    """Loss against learning rate (log axis): raw per batch, smoothed, the steepest-descent
    suggestion and the report's rule (where the loss starts to climb)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(result.lrs, result.losses, color="0.75", lw=0.8, label="loss per batch")
    ax.plot(result.lrs, result.smoothed, color="C0", lw=1.8, label="smoothed")
    ax.axvline(result.suggested, color="C3", ls="--", label=f"suggested {result.suggested:.1e}")
    ax.axvline(result.climb, color="C2", ls=":", label=f"starts to climb {result.climb:.1e}")
    finite = result.smoothed[np.isfinite(result.smoothed)]
    if finite.size:
        ax.set_ylim(0, min(float(finite[0]) * 1.6, float(finite.max()) * 1.05))
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (log scale)", ylabel="training loss")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
