"""Chapter 05's outcome: its sanity checks and the layout of its record, in one place.

The chapter gathers what it measured in an :class:`Outcome`; :func:`check` raises on an absurd
result (a loss that is not finite, an accuracy outside 0..1) and :func:`record` lays the
numbers out as the chapter's metrics record (:func:`labkit.run_record.save`), which the
README's headline table and section read (:mod:`labkit.book`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import profiles
from ..vae.runs import spread
from .probes import TARGETS

__all__ = [
    "Outcome",
    "check",
    "record",
    "test_row",
    "verdict_lines",
    "probe_summary",
    "background_text",
    "penalty_text",
]

#: The number of neighbours of every kNN score of the chapter.
KNN_K = 5


#: The codes of :func:`labkit.cvae.experiments.score_seed`'s probe table, by their prefix in
#: the chapter's test columns.
CODES = {("contrastive", "s"): "salient", ("contrastive", "z"): "background",
         ("plain", "z"): "plain", ("pixels", "layer"): "layer"}  # fmt: skip
#: What each test column's prefix names, in sentences.
PREFIXES = {"salient": "salient code s", "background": "background code z",
            "plain": "plain VAE's code",
            "layer": "the true background layer's pixels (reference)"}  # fmt: skip
#: The background-image comparisons of ``score_seed``, by their test column.
RMSE = {
    "rmse_contrastive": "contrastive: background image from z",
    "rmse_plain": "plain VAE: its reconstruction",
    "rmse_mean_layer": "the mean training background layer",
    "rmse_target": "the target itself (its digit's paint)",
}


def test_row(scores: Mapping[str, Any]) -> dict[str, float]:
    """One seed's test scores (:func:`labkit.cvae.experiments.score_seed`) as flat columns:
    ``<code>_<target>_<probe>`` (code: salient, background, plain; probe: linear, knn, chance),
    ``<code>_silhouette`` and the :data:`RMSE` columns."""
    row: dict[str, float] = {}
    for (model, code, target), values in scores["probes"].iterrows():
        prefix = CODES[(model, code)]
        for probe in ("linear", "knn", "chance"):
            row[f"{prefix}_{target}_{probe}"] = float(values[probe])
    for key, value in scores["silhouette"].items():
        model, code = key.split()
        row[f"{CODES[(model, code)]}_silhouette"] = float(value)
    for column, label in RMSE.items():
        row[column] = float(scores["background_rmse"][label])
    return row


def probe_summary(test: pd.DataFrame) -> pd.DataFrame:
    """The probe columns of ``test`` (rows: seeds) as a table: rows (code, target), columns
    the linear and k-NN probes' mean and sd over the seeds and the chance level."""
    rows = {}
    for prefix, name in PREFIXES.items():
        for target in TARGETS:
            if f"{prefix}_{target}_linear" not in test:
                continue  # a reference not measured in this record
            cols = {p: test[f"{prefix}_{target}_{p}"] for p in ("linear", "knn", "chance")}
            rows[(name, target)] = {
                "linear": cols["linear"].mean(), "linear sd": cols["linear"].std(ddof=1),
                "k-NN": cols["knn"].mean(), "k-NN sd": cols["knn"].std(ddof=1),
                "chance": cols["chance"].mean(),
            }  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis(["code", "target"])


def verdict_lines(test: pd.DataFrame, targets: Mapping[str, Any], *, model: str) -> str:
    """One Markdown line per target (column of ``test`` -> :class:`labkit.profiles.Target`):
    what it measures, its mean ± sd over the seeds with each seed's value, the chance level
    where the column has one, the target and met or not met."""
    lines = []
    for column, target in targets.items():
        prefix, target_name, probe = column.split("_")
        values = test[column]
        chance = test.get(f"{prefix}_{target_name}_chance")
        what = (f"{PREFIXES[prefix]}"
                + (f" of the {model}" if prefix != "plain" else "")
                + f": {'k-NN' if probe == 'knn' else 'linear'} probe for the {target_name}"
                + (" (accuracy)" if TARGETS[target_name] == "class" else " (R²)"))  # fmt: skip
        sd = values.std(ddof=1) if len(values) > 1 else float("nan")
        each = ", ".join(f"{v:.3f}" for v in values)
        met = target.met(values.mean())
        pixels = test.get(f"layer_{target_name}_{probe}")
        lines.append(
            f"- {what}: **{values.mean():.3f} ± {sd:.3f}** (seeds: {each}"
            + (f"; chance {chance.mean():.3f}" if chance is not None else "; chance 0")
            + (
                f"; the same probe on the true background layer's pixels {pixels.mean():.3f}"
                if pixels is not None and prefix != "layer"
                else ""
            )
            + f"); target {target}: **{'met' if met else 'not met'}**"
            + (
                ", though the code reads as much as the layer's own pixels give this probe: "
                "the target asks more than the images hold for it"
                if not met
                and pixels is not None
                and prefix == "background"  # the code meant to describe the layer
                and target_name != "digit"
                and _as_much(target.op, values, pixels)
                else ""
            )
        )
    return "\n".join(lines)


def _as_much(op: str, values: pd.Series, reference: pd.Series) -> bool:
    """Whether a code's mean probe score is at least as good as the reference's, in the
    direction its target asks (">=": as high; "<=": as low)."""
    mine, ref = float(values.mean()), float(reference.mean())
    return mine >= ref if op == ">=" else mine <= ref


def background_text(test: pd.DataFrame, *, model: str) -> str:
    """How close to the true background layer under each test digit each model's image comes
    (the :data:`RMSE` columns of ``test``, mean ± sd over the seeds), in a sentence, with
    whether the contrastive model's background image beats the plain VAE's reconstruction and
    the mean layer by more than two sd."""
    m, sd = test[list(RMSE)].mean(), test[list(RMSE)].std(ddof=1).fillna(0.0)
    mine, plain, flat, paint = (m[c] for c in RMSE)
    margin = 2 * float(max(sd["rmse_contrastive"], sd["rmse_plain"]))
    return (
        f"Drawn from z alone, the {model}'s background image sits {mine:.4f} ± "
        f"{sd['rmse_contrastive']:.4f} (RMSE, grey levels) from the true background layer under "
        f"each fresh test digit; the plain VAE's reconstruction of the whole target sits "
        f"{plain:.4f}, the mean training layer {flat:.4f}, and the target itself (its digit's "
        f"paint is the whole difference) {paint:.4f}. "
        + (
            f"So z describes the background: its image is closer than the plain VAE's "
            f"reconstruction by {plain - mine:.4f}, more than two sd."
            if plain - mine > margin
            else "So z's image is not closer to the background layer than the plain VAE's "
            "reconstruction by more than two sd."
        )  # fmt: skip
        + (
            " It also beats the target itself: it removes the digit's paint rather than copying it."
            if mine < paint
            else " It does not beat the target itself: it keeps part of the digit's paint."
        )  # fmt: skip
    )


@dataclass(frozen=True)
class Outcome:
    """What chapter 05 measured: its settings (``cfg``) and seeds, the headline model chosen
    on validation, the composites' sizes and variance shares (``data``), the runs of the
    plain VAE, of each candidate (variants and penalty weights) and of the headline over seeds
    (each with ``history`` and ``seconds``), the validation ``separation`` table, the fresh
    test's scores per seed (``test``: rows by seed, :func:`test_row` columns), the opacity
    ``curve`` and the ``likelihood`` table."""

    cfg: Mapping[str, Any]
    seeds: Sequence[int]
    headline: str
    data: Mapping[str, Any]
    plain_runs: Mapping[int, Any]
    variant_runs: Mapping[str, Any]
    headline_runs: Mapping[int, Any]
    separation: pd.DataFrame
    test: pd.DataFrame
    curve: pd.DataFrame
    likelihood: Mapping[str, Any]
    candidates: Mapping[str, Mapping[str, Any]]
    tuned: Mapping[str, str]


def check(outcome: Outcome) -> None:
    """Raise ``ValueError`` naming what is absurd: a loss that is not finite, a kNN accuracy
    outside 0..1, a silhouette outside -1..1."""
    runs = (*outcome.plain_runs.values(), *outcome.variant_runs.values(),
            *outcome.headline_runs.values())  # fmt: skip
    if not all(np.isfinite(r.history["loss"]).all() for r in runs):
        raise ValueError("a training loss is not finite")
    if not outcome.separation["knn_accuracy"].between(0, 1).all():
        raise ValueError("a validation kNN accuracy lies outside 0..1")
    if not outcome.separation["silhouette"].between(-1, 1).all():
        raise ValueError("a silhouette lies outside -1..1")
    scores = outcome.curve[["plain_knn", "salient_knn", "background_knn"]].stack()
    if not scores.between(0, 1).all():
        raise ValueError("a kNN accuracy of the opacity curve lies outside 0..1")
    ends = ("_digit_knn", "_digit_linear", "_texture_knn", "_texture_linear")
    accuracies = outcome.test[[c for c in outcome.test if c.endswith(ends)]]
    if not accuracies.stack().between(0, 1).all():
        raise ValueError("a test probe's accuracy lies outside 0..1")


def record(outcome: Outcome) -> dict[str, Any]:
    """The chapter's record (after :func:`check`): the headline's and the plain VAE's test
    accuracies (first seed, and each seed with the mean ± sd), the validation comparison, the
    curve, the likelihoods and the settings the README quotes."""
    check(outcome)
    o, cfg = outcome, outcome.cfg
    first = o.seeds[0]

    def over_seeds(column: str) -> dict[str, Any]:
        values = o.test.loc[list(o.seeds), column]
        return {"seeds": {str(s): v for s, v in values.items()}, **spread(values)}

    validation = {
        name: {
            "options": dict(o.candidates.get(name, {})),
            **{
                f"{part}_{k}": v
                for (m, part), row in o.separation.iterrows()
                if m == name
                for k, v in row.items()
            },
        }
        for name in o.separation.index.get_level_values("model").unique()
    }
    targets = {}
    for column, target in profiles.targets("05_contrastive_vae").items():
        targets[column] = {"target": str(target), "met": bool(target.met(o.test[column].mean()))}
    return {
        "data": {**o.data, "opacity": cfg["opacity"]},
        "contrastive": {
            "model": o.headline,
            "chosen_on": "validation digits: the highest salient kNN accuracy",
            "salient_knn_accuracy": o.test.loc[first, "salient_digit_knn"],
            "background_knn_accuracy": o.test.loc[first, "background_digit_knn"],
            "salient": over_seeds("salient_digit_knn"),
            "background": over_seeds("background_digit_knn"),
            "salient_dim": cfg["salient_dim"],
            "background_dim": cfg["background_dim"],
            "train_seconds": o.headline_runs[first].seconds,
        },
        "vae": {
            "knn_accuracy": o.test.loc[first, "plain_digit_knn"],
            "plain": over_seeds("plain_digit_knn"),
            "latent_dim": cfg["salient_dim"] + cfg["background_dim"],
            "train_seconds": o.plain_runs[first].seconds,
        },
        "test": {column: over_seeds(column) for column in o.test.columns},
        "tuned_penalties": dict(o.tuned),
        "targets": targets,
        "validation": validation,
        "curve": {
            "opacities": list(cfg["curve_opacities"]),
            "epochs": cfg["epochs"],
            "seeds": int(o.curve["seed"].nunique()),
            "rows": o.curve.to_dict(orient="records"),
        },
        "likelihood": dict(o.likelihood),
        "epochs": cfg["epochs"],
        "seeds": list(o.seeds),
        "knn_k": KNN_K,
    }


def penalty_text(
    arms: pd.DataFrame, tuned: Mapping[str, str], *, base: str, candidates: Sequence[str]
) -> str:
    """What the penalty grids say, from :func:`labkit.cvae.experiments.penalty_arms` (rows
    ``arm``, ``seed``, ``salient_knn``: validation digit accuracies of the salient codes over
    data-and-model seeds): for each penalised variant (``tuned``: variant -> the candidate
    chosen for it), its chosen weight against the same model without the penalty (``base``),
    and whether the papers' finding that the penalty helps is confirmed. The difference of the
    means is decided beyond twice its standard error (the two arms' seed sds); otherwise it is
    not decided, with about how many seeds per arm would tell. The weight was chosen on the
    first seed, which favours the penalty there; a weight at the edge of its grid (read from
    the ``candidates``' names, ``"<variant>, <option> = <weight>"``) is said to be."""
    by_arm = arms.groupby("arm")["salient_knn"]
    mean, sd, n = by_arm.mean(), by_arm.std(ddof=1), by_arm.size()
    lines = []
    for variant, chosen in tuned.items():
        weights = [name for name in candidates if name.startswith(f"{variant}, ")]
        grid_edge = chosen in (weights[0], weights[-1])
        diff = float(mean[chosen] - mean[base])
        se = float(np.sqrt(sd[chosen] ** 2 / n[chosen] + sd[base] ** 2 / n[base]))
        if not np.isfinite(se):
            verdict = "one seed per arm: **not decided** (no spread to judge by)"
        elif diff > 2 * se:
            verdict = "the penalty helps here too: **confirmed** on validation"
        elif diff < -2 * se:
            verdict = "the penalty hurts here: **refuted** on validation"
        else:
            need = int(n[chosen]) * (2 * se / abs(diff)) ** 2 if diff else float("inf")
            seeds = "more than 1,000" if need > 1_000 else f"about {int(np.ceil(need))}"
            verdict = (
                f"within twice its standard error ({2 * se:.3f}): **not decided** at "
                f"{int(n[chosen])} seeds per arm; {seeds} would tell a difference this size"
            )
        lines.append(
            f"- {variant}: its chosen weight ({chosen.rpartition(', ')[2]}"
            + (", at the grid's edge" if grid_edge else "")
            + f") reads the digit from s at {mean[chosen]:.3f} ± {sd[chosen]:.3f} against "
            f"{mean[base]:.3f} ± {sd[base]:.3f} without the penalty (mean ± sd over "
            f"{int(n[chosen])} seeds; {diff:+.3f}); {verdict}."
        )
    return "\n".join(lines)
