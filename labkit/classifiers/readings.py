"""Chapter 01's tables read in words: what a table of runs says, formatted from its rows.

Kept apart from :mod:`labkit.classifiers.experiments` (whose code keys the stored runs), so a
change of wording never retrains anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import verdicts

__all__ = [
    "differences",
    "leaving_chance",
    "rank_overlaps",
    "carried_rates",
    "search_margins",
    "targets",
]


def differences(table: pd.DataFrame, what: str) -> str:
    """How a table beside the report's (:func:`labkit.classifiers.experiments.beside`) differs
    from it: cells beyond twice the sd over seeds, lower and higher, and the gaps."""
    far = table[table["beyond spread"]]
    lower = int((far["ours - report"] < 0).sum())
    gaps = table["ours - report"].abs()
    return (
        f"{what}: {len(far)} of {len(table)} cells differ from the report by more than twice "
        f"the sd over seeds ({lower} lower, {len(far) - lower} higher); the largest gap is "
        f"{gaps.max():.3f}, the median {gaps.median():.3f}."
    )


def leaving_chance(frame: pd.DataFrame, config: str, chance: float = 0.2) -> str:
    """When the runs of ``config`` in a table of runs with curves first leave chance
    (validation accuracy above ``chance``), per model and seed, in passes over the fitted
    images."""
    parts = []
    for (dataset, kind), g in frame[frame["config"] == config].groupby(
        ["dataset", "model"], sort=False
    ):
        each = []
        for _, r in g.iterrows():
            acc = np.asarray(r["curve"]["val_accuracy"])
            passes = np.asarray(r["curve"]["images"]) / r["images"]
            hit = np.flatnonzero(acc > chance)
            each.append(f"seed {r['seed']}: " + (f"{passes[hit[0]]:.1f}" if len(hit) else "never"))
        parts.append(f"{dataset} {kind.upper()} ({', '.join(each)})")
    return (
        f"The {config} runs leave chance (validation accuracy above {chance}) after this many "
        f"passes over the fitted images: {'; '.join(parts)}."
    )


def rank_overlaps(summary: pd.DataFrame, images: int) -> str:
    """Which neighbours in a ranking (:func:`labkit.classifiers.experiments.summarize` of one
    group, best first) are separated beyond the spread (:mod:`labkit.classifiers.verdicts`):
    the ranking's order is a finding only where they are."""
    s = summary.sort_values("val_accuracy", ascending=False)
    est = [
        verdicts.Estimate(float(r["val_accuracy"]), float(r["sd"]), int(r["runs"]), images)
        for _, r in s.iterrows()
    ]
    labels = [str(i[-1] if isinstance(i, tuple) else i) for i in s.index]
    apart = [verdicts.compare(a, b).beyond for a, b in zip(est, est[1:], strict=False)]
    tied = [f"{a} / {b}" for a, b, far in zip(labels, labels[1:], apart, strict=False) if not far]
    return (
        f"{sum(apart)} of {len(apart)} neighbouring pairs in this ranking are apart beyond the "
        "spread"
        + (f"; within it (their order is not a finding): {', '.join(tied)}" if tied else "")
        + "."
    )


def carried_rates(table: pd.DataFrame, names: Mapping[str, str]) -> str:
    """The learning rates carried forward (a table of
    :func:`labkit.classifiers.verdicts.carry_table`) in one sentence."""
    ties = table[table["reason"].str.startswith("tie")]
    moved = table[~table["reason"].str.startswith("tie") & (table["carried"] != table["default"])]
    text = f"{len(table)} models: "
    text += (
        "; ".join(
            f"{names.get(d, d)} {k.upper()} takes {r['carried']}" for (d, k), r in moved.iterrows()
        )
        if len(moved)
        else "no rate leads the default beyond the spread"
    )
    if len(ties):
        text += (
            f"; {len(ties)} keep{'s' * (len(ties) == 1)} the default on a tie ("
            + ", ".join(f"{names.get(d, d)} {k.upper()}" for d, k in ties.index)
            + ")"
        )
    return text + "."


def search_margins(table: pd.DataFrame, names: Mapping[str, str]) -> str:
    """The held-out check of the searches' winners in one sentence (a table with ``verdict``
    and ``carried`` per (dataset, model))."""
    won = table[table["verdict"] == verdicts.CONFIRMED]
    text = (
        f"On seeds the searches never used, the winner beats the hand-set first trial beyond the "
        f"spread in {len(won)} of {len(table)} searches"
    )
    if len(won):
        text += " (" + ", ".join(f"{names.get(d, d)} {k.upper()}" for d, k in won.index) + ")"
    rest = table[table["verdict"] != verdicts.CONFIRMED]
    if len(rest):
        text += (
            "; elsewhere the margin is inside the spread or reversed and the hand-set recipe is "
            "carried forward ("
            + ", ".join(
                f"{names.get(d, d)} {k.upper()}: {r['verdict']}" for (d, k), r in rest.iterrows()
            )
            + ")"
        )
    return text + "."


def targets(table: pd.DataFrame) -> str:
    """Which targets the mean of the final seeds meets (a table with ``selected mean``,
    ``target``, ``binomial se`` and ``met``)."""
    met = [f"{d} {k}" for (d, k), r in table.iterrows() if r["met"]]
    missed = [
        f"{d} {k} ({r['selected mean']:.4f} against {r['target']:.3f}, "
        f"{(r['target'] - r['selected mean']) / r['binomial se']:.1f} binomial se short)"
        for (d, k), r in table.iterrows()
        if not r["met"]
    ]
    n = int(table["seeds"].min()) if "seeds" in table else math.nan
    return (
        f"Targets, read on the mean of {n} seeds: met by "
        + (", ".join(met) or "none")
        + "; missed by "
        + (", ".join(missed) or "none")
        + "."
    )
