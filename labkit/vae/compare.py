"""Chapter 04's comparisons in words: the variant chosen on validation, and the headline.

Each function turns tables the chapter computed (:func:`labkit.vae.runs.bound_table`) into a
table or a sentence, so every number in the chapter's text comes from an output.

* :func:`side_by_side`: the mean over seeds of each model's bounds and their parts, with the gap
  between the importance-weighted bound and the ELBO.
* :func:`variant_text`: which model the validation images choose, and what the ELBO, the KL and
  the bound say about why.
* :func:`headline_text`: the VAE as derived on the test images at both k, against the anchor.
* :func:`flat_text`: whether a fit stopped by its stopping rule or at its ceiling.
* :func:`cost_table` / :func:`cost_text`: what each part of a run costs from empty stores,
  against its budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "side_by_side",
    "variant_text",
    "headline_text",
    "anchor_verdict",
    "flat_text",
    "cost_table",
    "cost_text",
]

#: The columns of :func:`side_by_side`, as the chapter labels them.
COLUMNS = {
    "iwae_nll": "-IWAE bound",
    "elbo_nll": "-ELBO",
    "kl": "KL(q || p(z))",
    "reconstruction": "-E[log p(x | z)]",
    "gap": "-ELBO minus -IWAE",
    "seeds": "seeds",
}


def side_by_side(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per model: the mean over its seeds of ``iwae_nll``, ``elbo_nll``, ``kl`` and
    ``reconstruction`` (nats per image), ``gap`` (-ELBO minus -IWAE bound: how much the
    importance samples recover of what q misses) and the number of ``seeds``."""
    rows = {}
    for name, table in tables.items():
        if table.empty:
            raise ValueError(f"{name!r} has no seeds scored")
        mean = table[["iwae_nll", "elbo_nll", "kl", "reconstruction"]].mean()
        rows[name] = {**mean.to_dict(), "gap": mean["elbo_nll"] - mean["iwae_nll"],
                      "seeds": len(table)}  # fmt: skip
    return pd.DataFrame(rows).T


def variant_text(
    table: pd.DataFrame, base: str, variant: str, *, k: int, images: int, tie: float = 0.1
) -> str:
    """The validation choice between ``base`` and ``variant`` (rows of :func:`side_by_side`)
    by the importance-weighted bound with ``k`` samples on ``images`` validation images, and
    what the other columns say: a difference within ``tie`` nats on one seed each is called a
    tie, not a ranking (the seeds of chapter 04's VAEs differ by about that much)."""
    b, v = table.loc[base], table.loc[variant]
    diff = float(b["iwae_nll"] - v["iwae_nll"])  # > 0: the variant's bound is lower
    seeds = int(min(b["seeds"], v["seeds"]))
    over = "one seed each" if seeds == 1 else f"the mean of {seeds} seeds each"
    if abs(diff) <= tie:
        choice = (
            f"On {images:,} validation images ({over}, k = {k}) the two bounds differ by "
            f"{abs(diff):.2f} nats, within {tie:g} nats: a tie, not a ranking, so the chapter "
            f"keeps the simpler model, the {base}, as its headline."
        )
    else:
        better = variant if diff > 0 else base
        choice = (
            f"On {images:,} validation images ({over}, k = {k}) the {better}'s bound is lower by "
            f"{abs(diff):.2f} nats: validation chooses it"
            + ("" if better == base else ", though the headline stays the VAE as derived, the "
               "one that is like for like with the IWAE paper")
            + "."
        )  # fmt: skip
    elbo = float(b["elbo_nll"] - v["elbo_nll"])  # > 0: the variant's ELBO is tighter
    kl_ratio = float(v["kl"] / b["kl"]) if b["kl"] else float("nan")
    gaps = (float(b["gap"]), float(v["gap"]))
    text = (
        f" The {variant}'s ELBO is {abs(elbo):.2f} nats "
        + ("tighter" if elbo > 0 else "looser")
        + f" than the {base}'s, with a KL to the prior {kl_ratio:.2f} times as large "
        f"({v['kl']:.1f} against {b['kl']:.1f} nats), and the importance samples recover "
        f"{gaps[1]:.2f} nats beyond its ELBO against {gaps[0]:.2f} for the {base}."
    )
    if elbo > 0 and abs(diff) < 0.5 * elbo:
        text += (
            " So most of what the term adds to the ELBO is the gap between the ELBO and "
            "log p(x) closing, not the model's likelihood rising: the bound on log p(x) moves "
            f"{abs(diff):.2f} nats where the ELBO moves {elbo:.2f}."
        )
        if kl_ratio < 1:
            text += (
                " With the pixels' dependencies in the decoder, z needs to carry less, so "
                "q(z | x) pays less KL and the ELBO, which training maximises, rises."
            )
    else:
        text += " The bound moves with the ELBO: the term changes the model's likelihood."
    return choice + text


def headline_text(
    values: Sequence[float],
    also: Mapping[int, Sequence[float]],
    *,
    k: int,
    anchor: float,
    anchor_k: int,
    images: int,
) -> str:
    """The VAE as derived on ``images`` test images: the mean and sd over seeds of its bound at
    ``k`` (``values``) and at each smaller k in ``also`` (the same draws), set against the
    published ``anchor`` (scored with ``anchor_k`` samples): below it or not, and whether the
    comparison is like for like in k or conservative (fewer samples give a looser bound)."""
    v = np.asarray(values, float)
    mean, sd = float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else float("nan")
    spread = f"{mean:.2f} ± {sd:.2f} over {v.size} seeds" if v.size > 1 else f"{mean:.2f}"
    others = "; ".join(
        f"with k = {m:,} from the same draws {np.mean(a):.2f}" for m, a in sorted(also.items())
    )
    below = mean < anchor
    if k == anchor_k:
        scale = f"with the paper's k = {anchor_k:,}, like for like in k"
    elif k < anchor_k:
        scale = (
            f"with k = {k:,} against the paper's {anchor_k:,}: a conservative comparison, since "
            "more samples only tighten the bound"
        )
    else:
        scale = f"with k = {k:,}, more samples than the paper's {anchor_k:,}"
    return (
        f"The VAE as derived on the {images:,} test images: $-\\log p(x) \\le$ **{spread}** nats "
        f"(k = {k:,}" + (f"; {others}" if others else "") + "). "
        f"The IWAE paper's factorised VAE reached {anchor} {scale}; the mean is "
        + (
            f"**below it** by {anchor - mean:.2f} nats"
            if below
            else f"**not below it** ({mean - anchor:.2f} nats above)"
        )  # fmt: skip
        + (
            (
                ", and every seed is below it."
                if (v < anchor).all()
                else f"; {_seeds_below(int((v < anchor).sum()), v.size)} below it."
            )
            if v.size > 1
            else "."
        )
        + (" " + anchor_verdict(mean, sd, v.size, anchor) if v.size > 1 else "")
    )


def _seeds_below(count: int, n: int) -> str:
    return f"{count} of {n} seeds " + ("is" if count == 1 else "are")


def anchor_verdict(mean: float, sd: float, n: int, anchor: float) -> str:
    """Whether ``n`` seeds' mean tells itself from the published ``anchor``: decided when they
    lie more than twice the mean's standard error (sd / sqrt(n)) apart; if not, about how many
    seeds would take the standard error under half the difference."""
    gap, twice_se = abs(mean - anchor), 2.0 * sd / np.sqrt(n)
    if gap > twice_se:
        return (
            f"The difference is beyond twice the standard error of the mean ({twice_se:.2f} "
            f"nats): **decided** at {n} seeds."
        )
    need = (2.0 * sd / gap) ** 2 if gap > 0 else np.inf
    how = (
        f"about {int(np.ceil(need)):,} seeds would tell a difference of {gap:.3f} nats"
        if need <= 1_000
        else f"a difference of {gap:.3f} nats would take more than 1,000 seeds to tell"
    )
    return (
        f"The difference is inside twice the standard error of the mean ({twice_se:.2f} nats): "
        f"**not decided** at {n} seeds; {how}."
    )


def flat_text(history: Mapping[str, Sequence[float]], ceiling: int, patience: int,
              delta: float) -> str:  # fmt: skip
    """Whether a fit with a stopping rule (``patience`` epochs without a fall of more than
    ``delta`` in ``val_loss``) stopped by the rule, or ran to its ``ceiling`` still falling."""
    values = np.asarray(history["val_loss"], float)
    if values.size == 0:
        raise ValueError("the history has no val_loss values")
    best = int(values.argmin()) + 1
    if values.size < ceiling:
        return (
            f"its validation curve flattened: no epoch in {patience} lowered it by more than "
            f"{delta:g} nats, so it stopped after {values.size} of at most {ceiling} epochs "
            f"(best at epoch {best})"
        )
    last = values[-patience - 1] - values.min() if values.size > patience else float("nan")
    return (
        f"it ran all {ceiling} epochs, its ceiling, and its validation curve was still falling "
        f"({last:.2f} nats over its last {patience}): its number is an upper bound on what it "
        "reaches"
    )


def cost_table(parts: Mapping[str, float | Sequence[float]]) -> pd.DataFrame:
    """Minutes per part of a run from ``parts`` (name -> seconds, or the seconds of each of its
    fits or scores, as first measured: a part read back from a store counts what it first
    cost), with each part's ``share`` of their total and a last row ``all the parts``."""
    seconds = {name: float(np.sum(v)) for name, v in parts.items()}
    if any(v < 0 or not np.isfinite(v) for v in seconds.values()):
        raise ValueError(f"every part's seconds must be finite and >= 0, got {seconds}")
    total = sum(seconds.values())
    table = pd.DataFrame(
        {"minutes": {n: v / 60 for n, v in seconds.items()},
         "share": {n: v / total if total else float("nan") for n, v in seconds.items()}}
    )  # fmt: skip
    table.loc["all the parts"] = {"minutes": total / 60, "share": 1.0}
    return table


def cost_text(
    table: pd.DataFrame,
    budget_minutes: float,
    *,
    profile: str,
    at_once: int = 1,
    wall_minutes: float | None = None,
) -> str:
    """One sentence on :func:`cost_table`: the parts' total against the ``profile``'s budget
    (the rest of the chapter, its checks and pictures, adds the run record's difference), and
    the costliest part. With ``at_once`` above 1 the fits ran that many at a time, each timed
    on its own clock, so the parts add up to more than the wall clock: the budget is judged on
    ``wall_minutes`` instead, the chapter's minutes from empty stores until here
    (:func:`labkit.run_record.minutes_from_scratch`)."""
    total = float(table.loc["all the parts", "minutes"])
    parts = table.drop(index="all the parts")
    top = str(parts["minutes"].idxmax())
    costliest = (
        f"the costliest is {top} ({parts.loc[top, 'minutes']:.0f} min, "
        f"{parts.loc[top, 'share']:.0%})"
    )
    if at_once > 1:
        if wall_minutes is None:
            raise ValueError("fits made several at a time: pass wall_minutes to judge the budget")
        within = "within" if wall_minutes <= budget_minutes else "over"
        return (
            f"The fits ran {at_once} at a time, each in its own process on one thread and timed "
            f"on its own clock, so these parts add up to {total:.0f} min of fit time, more than "
            f"the wall clock; {costliest}. From empty stores the chapter took "
            f"**{wall_minutes:.0f} min** until here on this machine (its `seconds_from_scratch` "
            f"so far), {within} the {profile} profile's budget of {budget_minutes:g} min"
            + ("" if within == "within" else f" by {wall_minutes - budget_minutes:.0f} min")
            + "."
        )
    within = "within" if total <= budget_minutes else "over"
    return (
        f"From empty stores these parts cost **{total:.0f} min** on this machine, {within} the "
        f"{profile} profile's budget of {budget_minutes:g} min"
        + ("" if total <= budget_minutes else f" by {total - budget_minutes:.0f} min")
        + f"; {costliest}. The run record's `seconds_from_scratch` adds the rest of the chapter."
    )
