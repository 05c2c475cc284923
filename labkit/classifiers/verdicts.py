"""Reading runs against a claim: when two means differ beyond the seeds' spread, when a
difference is small enough to call two settings alike, which setting is carried forward, and how
long a run took to reach a stated accuracy.

The rules (stated once here, quoted by chapter 01):

* A configuration's score is the **mean over its seeds**; its standard error is ``sd / sqrt(n)``
  with the sd over seeds **floored at the binomial standard error** of one accuracy measured on
  the evaluation images (``sqrt(p (1 - p) / images)``: two seeds may agree by chance, and no
  score is finer than the images it is counted on). A configuration run with one seed borrows
  the sd of a ``fallback`` (its base model's) where one is given.
* Two means **differ beyond the spread** when the difference exceeds twice the standard error
  of the difference, ``2 sqrt(se_a^2 + se_b^2)`` (about a 95 % interval).
* "A is better than B": **confirmed** when A leads beyond the spread, **refuted** when B does,
  otherwise **not decided at this budget**, with the seeds per configuration that would make a
  difference of the measured size decisive.
* "A and B are alike (within ``tolerance``)": **confirmed** when the whole interval
  ``|d| + 2 se`` lies inside the tolerance, **refuted** when ``|d| - 2 se`` lies outside it,
  otherwise not decided.
* A winner is **carried forward** only when it leads the default beyond the spread; otherwise
  the default stays and the choice is called a tie.

Nothing here trains or keys a stored result: a change of wording or rule retrains nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CONFIRMED",
    "REFUTED",
    "UNDECIDED",
    "VERDICTS",
    "Estimate",
    "Comparison",
    "binomial_se",
    "estimates",
    "compare",
    "combine",
    "better",
    "alike",
    "carry",
    "carry_table",
    "seeds_to_decide",
    "mean_curves",
    "passes_to",
    "still_rising",
]

CONFIRMED = "confirmed"
REFUTED = "refuted"
UNDECIDED = "not decided at this budget"
VERDICTS = (CONFIRMED, REFUTED, UNDECIDED)


def binomial_se(p: float, images: int) -> float:
    """The standard error of an accuracy ``p`` counted on ``images`` images."""
    if images < 1:
        raise ValueError(f"'images' must be at least 1, got {images!r}")
    p = min(max(float(p), 0.0), 1.0)
    return math.sqrt(p * (1 - p) / images)


@dataclass(frozen=True)
class Estimate:
    """A configuration's mean score over ``n`` seeds, their sd (NaN for one seed) and the
    number of ``images`` each score was counted on."""

    mean: float
    sd: float
    n: int
    images: int

    def spread(self, fallback: float | None = None) -> float:
        """The sd used: over seeds, or ``fallback`` for one seed, at least the binomial one."""
        sd = self.sd if self.n > 1 and not math.isnan(self.sd) else (fallback or 0.0)
        return max(sd, binomial_se(self.mean, self.images))

    def se(self, fallback: float | None = None) -> float:
        """The standard error of the mean."""
        return self.spread(fallback) / math.sqrt(self.n)


def estimates(
    frame: pd.DataFrame, images: int | Mapping[str, int], by: Sequence[str] = ("dataset", "model")
) -> dict[tuple, Estimate]:
    """One :class:`Estimate` of ``val_accuracy`` per (``by``..., config) of a table of runs;
    ``images``: the validation images each score was counted on (one number, or one per
    dataset)."""
    out = {}
    for key, g in frame.groupby([*by, "config"], observed=True, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        n_images = images[key[0]] if isinstance(images, Mapping) else images
        acc = g["val_accuracy"].astype(float)
        out[key] = Estimate(
            float(acc.mean()),
            float(acc.std(ddof=1)) if len(acc) > 1 else math.nan,
            int(len(acc)),
            int(n_images),
        )
    return out


@dataclass(frozen=True)
class Comparison:
    """``a - b``, its standard error and whether it is beyond the spread."""

    difference: float
    se: float

    @property
    def beyond(self) -> bool:
        return abs(self.difference) > 2 * self.se

    def text(self, digits: int = 3) -> str:
        return f"{self.difference:+.{digits}f} (± {2 * self.se:.{digits}f})"


def compare(a: Estimate, b: Estimate, fallback: float | None = None) -> Comparison:
    """``a`` against ``b`` (``fallback``: the sd a one-seed estimate borrows)."""
    return Comparison(a.mean - b.mean, math.hypot(a.se(fallback), b.se(fallback)))


def seeds_to_decide(a: Estimate, b: Estimate, fallback: float | None = None) -> int | None:
    """Seeds per configuration at which a difference of the measured size would lie beyond
    twice its standard error (None: no difference to decide)."""
    d = abs(a.mean - b.mean)
    if d == 0:
        return None
    s2 = a.spread(fallback) ** 2 + b.spread(fallback) ** 2
    return max(2, math.ceil(4 * s2 / d**2 + 1e-9))


def combine(verdicts: Sequence[str]) -> str:
    """One verdict of a claim made of parts: all parts confirmed: confirmed; any refuted:
    refuted; otherwise not decided."""
    if verdicts and all(x == CONFIRMED for x in verdicts):
        return CONFIRMED
    if any(x == REFUTED for x in verdicts):
        return REFUTED
    return UNDECIDED


def better(a: Estimate, b: Estimate, fallback: float | None = None) -> tuple[str, Comparison]:
    """The verdict on "a is better than b" and the comparison it rests on."""
    c = compare(a, b, fallback)
    if not c.beyond:
        return UNDECIDED, c
    return (CONFIRMED if c.difference > 0 else REFUTED), c


def alike(
    pairs: Sequence[tuple[Estimate, Estimate]], tolerance: float, fallback: float | None = None
) -> tuple[str, list[Comparison]]:
    """The verdict on "every pair is alike to within ``tolerance``": confirmed when each
    difference's interval lies inside it, refuted when one lies wholly outside, else not
    decided."""
    comps = [compare(a, b, fallback) for a, b in pairs]
    if any(abs(c.difference) - 2 * c.se > tolerance for c in comps):
        return REFUTED, comps
    if all(abs(c.difference) + 2 * c.se < tolerance for c in comps):
        return CONFIRMED, comps
    return UNDECIDED, comps


def carry(
    scores: Mapping[str, Estimate], default: str, fallback: float | None = None
) -> tuple[str, str]:
    """The label carried forward and why: the best mean if it leads ``default`` beyond the
    spread, otherwise ``default`` ("tie": the leader's margin is inside the spread)."""
    if default not in scores:
        raise KeyError(f"the default {default!r} is not among {list(scores)}")
    leader = max(scores, key=lambda k: scores[k].mean)
    if leader == default:
        return default, "best mean"
    c = compare(scores[leader], scores[default], fallback)
    if c.beyond:
        return leader, f"leads {default!r} by {c.text(4)}"
    return default, f"tie: {leader!r} leads by {c.text(4)}, inside the spread"


def mean_curves(frame: pd.DataFrame, by: Sequence[str] = ("dataset", "model")) -> pd.DataFrame:
    """The learning curves of a table of runs (a ``curve`` column, as
    :func:`labkit.classifiers.experiments.run` writes), long: one row per (``by``..., config,
    point) with ``passes`` (images seen / fitted images), the mean and sd over seeds of
    validation accuracy and loss, training accuracy and loss, and seconds."""
    rows = []
    for _, r in frame.iterrows():
        curve = r["curve"]
        if not isinstance(curve, Mapping):
            continue
        for i, seen in enumerate(curve["images"]):
            rows.append(
                {
                    **{k: r[k] for k in by},
                    "config": r["config"],
                    "seed": r["seed"],
                    "point": i,
                    "passes": seen / r["images"],
                    **{
                        m: curve[m][i]
                        for m in ("val_accuracy", "val_loss", "accuracy", "loss", "seconds")
                        if m in curve
                    },
                }
            )
    long = pd.DataFrame(rows)
    if long.empty:
        return long
    metrics = [m for m in ("val_accuracy", "val_loss", "accuracy", "loss", "seconds") if m in long]
    g = long.groupby([*by, "config", "point"], observed=True, sort=False)
    out = g[["passes", *metrics]].mean()
    for m in ("val_accuracy", "val_loss"):
        out[f"{m}_sd"] = g[m].std(ddof=1)
    out["seeds"] = g["seed"].nunique()
    return out.reset_index()


def passes_to(
    curves: pd.DataFrame,
    threshold: float | Mapping[Any, float],
    by: Sequence[str] = ("dataset", "model"),
) -> pd.DataFrame:
    """Per (``by``..., config) of :func:`mean_curves`: the passes over the fitted images and the
    seconds until the mean validation accuracy first reaches ``threshold`` (one number, or one
    per first ``by`` key, e.g. per dataset); NaN where it never does. Read between two
    points linearly."""
    rows = []
    for key, g in curves.groupby([*by, "config"], observed=True, sort=False):
        level = threshold[key[0]] if isinstance(threshold, Mapping) else threshold
        acc, passes = g["val_accuracy"].to_numpy(), g["passes"].to_numpy()
        secs = g["seconds"].to_numpy() if "seconds" in g else np.full(len(g), np.nan)
        hit = np.flatnonzero(acc >= level)
        if not len(hit):
            p = s = math.nan
        elif hit[0] == 0:
            p, s = passes[0], secs[0]
        else:
            i = hit[0]
            w = (level - acc[i - 1]) / (acc[i] - acc[i - 1])
            p = passes[i - 1] + w * (passes[i] - passes[i - 1])
            s = secs[i - 1] + w * (secs[i] - secs[i - 1])
        rows.append(
            {
                **dict(zip([*by, "config"], key, strict=True)),
                "threshold": level,
                "passes": p,
                "seconds": s,
            }
        )
    return pd.DataFrame(rows)


def still_rising(curves: pd.DataFrame, by: Sequence[str] = ("dataset", "model")) -> pd.Series:
    """Per (``by``..., config): the mean validation accuracy's gain over the last stretch of the
    curve (its last point minus the point half-way between the middle and the end), the size of
    the change a longer run could still bring at this rate."""
    out = {}
    for key, g in curves.groupby([*by, "config"], observed=True, sort=False):
        acc = g["val_accuracy"].to_numpy()
        if len(acc) < 2:
            out[key] = math.nan
            continue
        start = max(0, len(acc) - 1 - max(1, len(acc) // 4))
        out[key] = float(acc[-1] - acc[start])
    return pd.Series(out, name="recent gain")


def carry_table(
    frame: pd.DataFrame,
    default: str,
    images: int | Mapping[str, int],
    fallback: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """:func:`carry` per (dataset, model) of a table of runs: the ``carried`` label, the
    ``default`` and the ``reason``; ``fallback`` gives a model's sd for one-seed estimates."""
    est = estimates(frame, images)
    rows = {}
    for dataset, kind in dict.fromkeys(zip(frame["dataset"], frame["model"], strict=True)):
        scores = {c: e for (d, k, c), e in est.items() if (d, k) == (dataset, kind)}
        label, reason = carry(scores, default, (fallback or {}).get((dataset, kind)))
        rows[dataset, kind] = {"carried": label, "default": default, "reason": reason}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = ["dataset", "model"]
    return out
