"""Chapter 01's tables read in words: what a table of runs says, formatted from its rows.

Kept apart from :mod:`labkit.classifiers.experiments` (whose code keys the stored runs), so a
change of wording never retrains anything.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["sigmoid_verdict"]


def sigmoid_verdict(frame: pd.DataFrame, short: int, long: int, chance: float = 0.2) -> str:
    """The sigmoid check in words: how many sigmoid runs leave chance (best validation accuracy
    above ``chance``) per budget (steps) and arithmetic, the relu CNN's largest gap between the
    two arithmetics, and what the activations table's chance reading of the sigmoid CNN comes
    from (``short``: the experiments' budget; ``long``: the report's).

    ``frame`` holds the check's runs: ``config`` labels starting ``"<arithmetic>, "``, with
    ``dataset``, ``steps``, ``seed``, ``val_loss`` and ``best_val_accuracy``."""
    sig = (
        frame[frame["config"].str.contains("sigmoid")]
        .assign(
            arithmetic=lambda f: f["config"].str.split(", ").str[0],
            learned=lambda f: f["best_val_accuracy"] > chance,
        )
        .drop_duplicates(["dataset", "steps", "arithmetic", "seed", "val_loss"])
    )  # one run under two labels counts once
    counts = sig.groupby(["steps", "arithmetic"])["learned"].agg(["sum", "count"])
    text = "Sigmoid CNN runs that leave chance: " + "; ".join(
        f"{steps:,} steps, {arith}: {int(row['sum'])} of {int(row['count'])}"
        for (steps, arith), row in counts.iterrows()
    )
    relu = frame[frame["config"].str.contains("relu")]
    if relu["config"].nunique() == 2:
        gap = relu.groupby("dataset")["best_val_accuracy"].agg(lambda a: a.max() - a.min()).max()
        text += f". The relu CNN: largest gap between the two arithmetics {gap:.3f}"
    at_short, at_long = sig[sig["steps"] == short], sig[sig["steps"] == long]
    same = at_short[at_short["arithmetic"].isin(at_long["arithmetic"])]
    causes = []
    if long != short and at_long["learned"].any() and not same["learned"].any():
        causes.append(f"our budget ({short:,} steps against the report's {long:,})")
    share = at_short.groupby("arithmetic")["learned"].mean()
    if share.get("float32", 0) > share.get("bfloat16", 0):
        causes.append(f"the bfloat16 arithmetic at {short:,} steps")
    if causes:
        text += (
            ". The chance reading of the sigmoid CNN in the activations table comes from "
            + " and ".join(causes)
            + ", not from the activation alone. Which runs leave the plateau, and when, changes "
            "from run to run (one seed per row): the counts are indications, not a ranking"
        )
    else:
        text += ". Neither the report's budget nor float32 moves a run off chance here"
    return text + "."
