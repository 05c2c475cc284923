"""Chapter 03's tables and figures of trained clock readers: comparison tables, the report's
Table 6 (random test predictions), off-by-one-hour errors, error histograms, worst clocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import plots
from .training import Run, errors_of

__all__ = [
    "score_table",
    "curves",
    "error_histogram",
    "errors_of",
    "fmt_time",
    "off_by_one_hour",
    "random_predictions",
    "timing",
    "worst",
]


def fmt_time(hour: int, minute: int) -> str:
    """``3:07`` for hour 3, minute 7."""
    return f"{int(hour)}:{int(minute):02d}"


def score_table(runs: Mapping[str, Run], titles: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per run: test common-sense error, hour and minute accuracy, parameters,
    epochs and seconds; ``titles`` gives each row a description column."""
    rows = {}
    for name, run in runs.items():
        row = {"what": titles[name]} if titles else {}
        row.update(run.summary())
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def timing(runs: Mapping[tuple, Run], by: Sequence[str]) -> pd.DataFrame:
    """Runs keyed by tuples (e.g. ``(body, optimizer, repeat)``) grouped by all but the last
    element: mean and sd of the first epoch's seconds, mean test error, number of runs."""
    rows = []
    for key, run in runs.items():
        row = dict(zip(by, key[:-1], strict=True))
        row.update(first_epoch_s=run.epoch_seconds[0], cse_minutes=run.cse)
        rows.append(row)
    frame = pd.DataFrame(rows)
    out = frame.groupby(list(by), sort=False).agg(
        first_epoch_s=("first_epoch_s", "mean"),
        first_epoch_sd=("first_epoch_s", "std"),
        cse_minutes=("cse_minutes", "mean"),
        runs=("cse_minutes", "size"),
    )
    return out


def random_predictions(run: Run, k: int = 10, seed: int = 0) -> pd.DataFrame:
    """``k`` random test clocks (seeded): predicted time, true time, error in minutes, as the
    report's Table 6."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(run.true), size=min(k, len(run.true)), replace=False)
    errors = run.errors
    return pd.DataFrame(
        {
            "predicted": [fmt_time(*run.pred[i]) for i in pick],
            "true": [fmt_time(*run.true[i]) for i in pick],
            "error (min)": errors[pick].astype(int),
        },
        index=pd.Index(pick, name="test clock"),
    )


def off_by_one_hour(run: Run, tolerance: int = 5, near: int = 10) -> dict[str, int]:
    """Test clocks read with the hour off by one and the minute about right (an error within
    ``tolerance`` minutes of 60), and how many of them lie within ``near`` minutes of the full
    hour (true minute >= 60 - near or <= near), where the hour hand sits almost on an hour."""
    errors = run.errors
    off = np.abs(errors - 60) <= tolerance
    minute = run.true[:, 1]
    close = (minute >= 60 - near) | (minute <= near)
    return {
        "off_by_one_hour": int(off.sum()),
        "near_full_hour": int((off & close).sum()),
        "n_test": len(errors),
    }


def error_histogram(errors: Mapping[str, np.ndarray], *, ax: plt.Axes | None = None) -> plt.Axes:
    """Histogram of per-clock errors (minutes, log-count) per label."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    bins = np.concatenate([[0, 0.5, 1.5, 2.5, 5, 10, 30, 60], np.arange(90, 361, 30)])
    for label, e in errors.items():
        ax.hist(e, bins=bins, histtype="step", lw=1.5, label=f"{label} (mean {np.mean(e):.1f})")
    ax.set(xscale="symlog", yscale="log", xlabel="common-sense error (minutes)", ylabel="clocks")
    ax.set_xticks([0, 1, 2, 5, 10, 30, 60, 120, 360], [0, 1, 2, 5, 10, 30, 60, 120, 360])
    ax.legend(fontsize="small")
    return ax


def worst(run: Run, images: np.ndarray, k: int = 8) -> plt.Figure:
    """The ``k`` test clocks read worst, each with its true and predicted time and error."""
    order = np.argsort(-run.errors, kind="stable")[:k]
    captions = [
        f"true {fmt_time(*run.true[i])}\nread {fmt_time(*run.pred[i])} ({run.errors[i]:.0f})"
        for i in order
    ]
    return plots.image_rows({"worst": [images[i] for i in order]}, {"worst": captions}, cell=1.6)


def curves(runs: Mapping[str, Run]) -> plt.Figure:
    """Per epoch: the training loss (left; for one run with several heads, each head's loss
    too, dotted) and the validation common-sense error (right, minutes), one colour per run."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    for c, (label, run) in enumerate(runs.items()):
        h = run.history
        epochs = np.arange(1, len(h["loss"]) + 1)
        left.plot(epochs, h["loss"], color=f"C{c}", marker="o", ms=3, label=label)
        heads = sorted(k for k in h if k.endswith("_loss") and k != "loss")
        if len(runs) == 1 and len(heads) > 1:
            for j, k in enumerate(heads, start=1):
                left.plot(epochs, h[k], color=f"C{j}", ls=":", label=k.removesuffix("_loss"))
        right.plot(epochs, h["val_cse"], color=f"C{c}", marker="s", ms=3, label=label)
    left.set(xlabel="epoch", ylabel="training loss")
    right.set(xlabel="epoch", ylabel="validation error (minutes)", yscale="log")
    for ax in (left, right):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
