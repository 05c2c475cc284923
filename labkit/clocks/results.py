"""Chapter 03's tables and figures of trained clock readers: comparison tables, the report's
Table 6 (random test predictions), off-by-one-hour errors, error histograms, worst clocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import plots
from .metric import DIAL_MINUTES
from .training import Run, errors_of

__all__ = [
    "score_table",
    "curves",
    "error_histogram",
    "errors_by",
    "errors_of",
    "fmt_time",
    "hour_slips",
    "hour_slips_text",
    "mirror_table",
    "off_by_one_hour",
    "random_predictions",
    "ranking_text",
    "readings_text",
    "reader_record",
    "seed_table",
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


def seed_table(runs: Mapping[tuple, Run], by: Sequence[str]) -> pd.DataFrame:
    """Runs keyed by tuples ``(*row, seed)`` (e.g. ``(model, optimizer, seed)``), one row per
    ``row``: the mean and standard deviation over seeds of the test common-sense error, the
    mean hour and minute accuracy, the first epoch's seconds (mean and sd: it also pays for
    building the graph, as the report's Figure 2 timed it), the seconds of a later epoch (the
    mean over epochs 2 onwards: the steady cost; mean and sd over seeds), the epochs trained
    (mean: a run that ends once its curve flattens stops early), ``test_se`` (the standard error
    of one run's mean error from its test clocks alone, averaged over the seeds: a difference
    below it cannot be told on such a test set) and the number of seeds."""
    rows = []
    for key, run in runs.items():
        row = dict(zip(by, key[:-1], strict=True))
        summary = run.summary()
        row.update(
            cse=run.cse,
            hour_acc=summary["hour_accuracy"],
            minute_acc=summary["minute_accuracy"],
            first_epoch_s=run.epoch_seconds[0],
            later_epoch_s=(
                float(np.mean(run.epoch_seconds[1:])) if len(run.epoch_seconds) > 1 else np.nan
            ),
            epochs=len(run.epoch_seconds),
            test_se=float(run.errors.std(ddof=1) / np.sqrt(len(run.errors))),
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.groupby(list(by), sort=False).agg(
        cse_minutes=("cse", "mean"),
        cse_sd=("cse", "std"),
        hour_accuracy=("hour_acc", "mean"),
        minute_accuracy=("minute_acc", "mean"),
        first_epoch_s=("first_epoch_s", "mean"),
        first_epoch_sd=("first_epoch_s", "std"),
        later_epoch_s=("later_epoch_s", "mean"),
        later_epoch_sd=("later_epoch_s", "std"),
        epochs=("epochs", "mean"),
        test_se=("test_se", "mean"),
        seeds=("cse", "size"),
    )


def reader_record(runs: Mapping[int, Run]) -> dict[str, Any]:
    """One reader trained at several seeds (``runs`` maps each seed to its run) as the metrics
    record keeps it: per seed the test common-sense error, the share read exactly and within a
    minute (the top-1 and +-1 accuracies of Yang, Xie and Zisserman 2022) and the hour
    accuracy; over the seeds ``cse_mean``, ``cse_sd`` (None for one seed) and the means of the
    shares; and ``test_se``, the standard error of one seed's mean error on its test clocks
    (their sd / root of their number, averaged over the seeds): the scale below which two
    readers scored on such a test set cannot be told apart."""
    if not runs:
        raise ValueError("reader_record needs at least one run")
    per_seed = {}
    for seed, run in runs.items():
        errors = run.errors
        n = len(errors)
        per_seed[int(seed)] = {
            "cse": float(errors.mean()),
            "exact": float(np.mean(errors == 0)),
            "within_1_min": float(np.mean(errors <= 1)),
            "hour_accuracy": float(np.mean(run.pred[:, 0] == run.true[:, 0])),
            "test_se": float(errors.std(ddof=1) / np.sqrt(n)) if n > 1 else None,
            "test_clocks": n,
        }
    cse = [r["cse"] for r in per_seed.values()]
    se = [r["test_se"] for r in per_seed.values() if r["test_se"] is not None]
    return {
        "seeds": sorted(per_seed),
        "per_seed": per_seed,
        "cse_mean": float(np.mean(cse)),
        "cse_sd": float(np.std(cse, ddof=1)) if len(cse) > 1 else None,
        "test_se": float(np.mean(se)) if se else None,
        "exact": float(np.mean([r["exact"] for r in per_seed.values()])),
        "within_1_min": float(np.mean([r["within_1_min"] for r in per_seed.values()])),
        "hour_accuracy": float(np.mean([r["hour_accuracy"] for r in per_seed.values()])),
    }


def _label(key: object) -> str:
    return " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def ranking_text(table: pd.DataFrame, *, chance: float = 180.0, margin: float = 30.0) -> str:
    """A :func:`seed_table` in words (Markdown): the row that reads best, the rows whose mean
    lies within the seeds' spread of it (the two standard deviations added: no ranking), those
    clearly worse, and those at chance (a mean error above ``chance - margin`` minutes)."""
    order = table.sort_values("cse_minutes")
    best_key, best = next(iter(order.iterrows()))

    def fmt(row: pd.Series) -> str:
        sd = "" if pd.isna(row["cse_sd"]) else f" ± {row['cse_sd']:.1f}"
        return f"{row['cse_minutes']:.1f}{sd}"

    seeds = int(order["seeds"].min())
    if best["cse_minutes"] > chance - margin:
        return f"Every row is at chance (the best, {_label(best_key)}, {fmt(best)} minutes)."
    close, worse, lost = [], [], []
    for key, row in list(order.iterrows())[1:]:
        text = f"{_label(key)} ({fmt(row)})"
        spread = np.nansum([best["cse_sd"], row["cse_sd"]])
        if row["cse_minutes"] > chance - margin:
            lost.append(text)
        elif seeds < 2 or row["cse_minutes"] - best["cse_minutes"] <= spread:
            close.append(text)
        else:
            worse.append(text)
    parts = [
        f"**{_label(best_key)}** reads best: {fmt(best)} minutes "
        f"(mean ± sd over {seeds} seed{'s' if seeds != 1 else ''})."
    ]
    if close and seeds < 2:
        parts.append(f"Then: {', '.join(close)}.")
    elif close:
        parts.append(f"Within the seeds' spread of it, so not ranked: {', '.join(close)}.")
    if worse:
        parts.append(f"Worse by more than the spread: {', '.join(worse)}.")
    if lost:
        parts.append(f"At chance (above {chance - margin:.0f} minutes): {', '.join(lost)}.")
    if seeds < 2:
        parts.append("With one seed per row there is no spread to judge a difference by.")
    return " ".join(parts)


def mirror_table(true: np.ndarray, pred: np.ndarray, mirrored: np.ndarray) -> pd.DataFrame:
    """How a reader does on a set with mirror images, per half: the number of clocks, the mean
    common-sense error against the label, and against the *mirror time* (720 minutes less the
    labelled time, what the hands show read clockwise: what a reader that never saw a mirror
    should read)."""
    true, pred, mirrored = np.asarray(true), np.asarray(pred), np.asarray(mirrored, bool)
    t = (60 * true[:, 0] + true[:, 1]) % DIAL_MINUTES
    twin = (DIAL_MINUTES - t) % DIAL_MINUTES
    mirror_time = np.stack([twin // 60, twin % 60], axis=1)
    rows = {}
    for name, pick in (("all clocks", np.ones_like(mirrored)), ("unmirrored", ~mirrored),
                       ("mirrored", mirrored)):  # fmt: skip
        rows[name] = {
            "clocks": int(pick.sum()),
            "cse_minutes": float(errors_of(true[pick], pred[pick]).mean()) if pick.any() else None,
            "cse_vs_mirror_time": (
                float(errors_of(mirror_time[pick], pred[pick]).mean()) if pick.any() else None
            ),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def errors_by(errors: np.ndarray, groups: Sequence[object], name: str) -> pd.DataFrame:
    """The clocks and the mean common-sense error (``cse_minutes``) of each group, with the
    share read within a minute; ``groups[i]`` is clock ``i``'s group (e.g. its design's
    numerals), the index is named ``name``."""
    errors = np.asarray(errors, dtype=float)
    if len(errors) != len(groups):
        raise ValueError(f"{len(errors)} errors but {len(groups)} group labels")
    frame = pd.DataFrame({name: list(groups), "error": errors})
    out = frame.groupby(name, sort=True)["error"].agg(
        clocks="size", cse_minutes="mean", within_1_min=lambda e: float(np.mean(e <= 1))
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


def readings_text(table: pd.DataFrame, run: Run, *, tolerance: int = 5) -> str:
    """What the errors of a :func:`random_predictions` table are, in one Markdown sentence:
    how many clocks are read exactly, within ``tolerance`` minutes, with the hour off by one
    and the minute about right (an error within ``tolerance`` of 60), and further off; and
    whether the model has collapsed, reading one time for a large share of all ``run``'s test
    clocks (at least 5 % and 3 clocks; an even spread over the 720 times gives each 1/720)."""
    errors = table["error (min)"].to_numpy()
    n = len(errors)
    exact = int((errors == 0).sum())
    near = int(((errors > 0) & (errors <= tolerance)).sum())
    hour = int((np.abs(errors - 60) <= tolerance).sum())
    far = n - exact - near - hour
    parts = [
        f"Of these {n} clocks, {exact} {'is' if exact == 1 else 'are'} read exactly, "
        f"{near} within {tolerance} minutes, {hour} with the hour off by one and the minute "
        f"about right, and {far} further off."
    ]
    readings = pd.Series([fmt_time(*p) for p in run.pred])
    top, count = readings.value_counts().index[0], int(readings.value_counts().iloc[0])
    if count >= max(3, 0.05 * len(readings)):
        parts.append(
            f"The model has collapsed: it reads {top} for {count} of its {len(readings)} test "
            f"clocks ({count / len(readings):.0%}; an even spread gives each time 1/720)."
        )
    return " ".join(parts)


def _an_hour_off(errors: np.ndarray, tolerance: int = 5) -> np.ndarray:
    """Which errors (minutes) are an hour off with the minute about right: 60 ± ``tolerance``."""
    return np.abs(np.asarray(errors) - 60) <= tolerance


def off_by_one_hour(run: Run, tolerance: int = 5, near: int = 10) -> dict[str, int]:
    """Test clocks read with the hour off by one and the minute about right (an error within
    ``tolerance`` minutes of 60), and how many of them lie within ``near`` minutes of the full
    hour (true minute >= 60 - near or <= near), where the hour hand sits almost on an hour."""
    errors = run.errors
    off = _an_hour_off(errors, tolerance)
    minute = run.true[:, 1]
    close = (minute >= 60 - near) | (minute <= near)
    return {
        "off_by_one_hour": int(off.sum()),
        "near_full_hour": int((off & close).sum()),
        "n_test": len(errors),
    }


def hour_slips(readers: Mapping[str, Mapping[int, Run]]) -> pd.DataFrame:
    """For each reader (name -> seed -> run), per seed: its mean test error, the clocks read
    with the hour off by one and the minute about right (:func:`off_by_one_hour`), the minutes
    of the mean those clocks account for, and the mean over all clocks with their errors set to
    zero (what reading the hour right on them would give, other errors unchanged)."""
    rows = {}
    for name, runs in readers.items():
        for seed, run in runs.items():
            errors = np.asarray(run.errors, dtype=float)
            off = _an_hour_off(errors)
            cost = float(errors[off].sum() / len(errors))
            rows[(name, seed)] = {
                "cse_minutes": float(errors.mean()),
                "off_by_one_hour": int(off.sum()),
                "their_minutes": cost,
                "without_them": float(errors.mean()) - cost,
            }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.names = ["reader", "seed"]
    return frame


def hour_slips_text(table: pd.DataFrame) -> str:
    """One sentence per reader from :func:`hour_slips`: how much of its mean the hours read
    one off account for, and its mean without them."""

    def span(values: pd.Series, fmt: str = ".2f") -> str:
        lo, hi = (format(float(x), fmt) for x in (values.min(), values.max()))
        return lo if lo == hi else f"{lo}-{hi}"

    parts = []
    for name, rows in table.groupby(level="reader", sort=False):
        parts.append(
            f"**{name}** ({len(rows)} seed{'s' if len(rows) > 1 else ''}): "
            f"{span(rows['off_by_one_hour'], '.0f')} test clocks read an hour off (the minute "
            f"about right) cost {span(rows['their_minutes'])} min of its mean error "
            f"({span(rows['cse_minutes'])}); with those hours right it would read "
            f"{span(rows['without_them'])} min."
        )
    return " ".join(parts)


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
    too, dotted) and the validation common-sense error (right, minutes; each clock read once,
    as drawn, whatever views a run's final reading averages), one colour per run."""
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
    right.set(xlabel="epoch", ylabel="validation error, one view (min)", yscale="log")
    for ax in (left, right):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
