"""Grids of model configurations x seeds -> a tidy table, its summary and a mean +- sd plot.

The training set is split once by :func:`labkit.data.split` (``val=0.15, stratify=True``) into
85 % for fitting and 15 % for validation; every configuration and seed of an experiment sees the
same split, and the test set is never touched here (it is for the chapter's final numbers only).

A run's result can be kept in a JSON-lines *store*: a rerun of an interrupted experiment then
trains only the runs that are missing. A run is keyed by everything that determines it (model
kind and options, seed, epochs, batch size, the split's data and the code that trains it,
:data:`labkit.stores.EXPERIMENT_RUNS`: the code :func:`run` reaches), so a changed setting or a
changed function never reuses an old number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import loops
from ..data import Split
from ..stores import EXPERIMENT_RUNS
from . import models, training

__all__ = [
    "vary",
    "run",
    "sweep",
    "summarize",
    "wide_table",
    "records",
    "plot",
    "plot_panels",
    "COLUMNS",
    "budget",
    "beside",
]

#: The columns of :func:`run`'s table, one row per (configuration, seed).
COLUMNS = (
    "config",
    "seed",
    "val_accuracy",
    "best_val_accuracy",
    "val_loss",
    "train_accuracy",
    "epochs",
    "steps",
    "images",
    "seconds",
    "params",
)


def vary(base: Mapping[str, Any], /, **choices: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
    """Configurations that each change ``base`` by one labelled set of options.

    ``vary(base, relu={"activation": "relu"}, tanh={"activation": "tanh"})`` gives
    ``{"relu": {**base, "activation": "relu"}, "tanh": {...}}``.
    """
    return {label: {**base, **dict(change)} for label, change in choices.items()}


def _key(kind: str, options: Mapping[str, Any], data: Split, seed: int, **settings: Any) -> str:
    """The run's key: two option sets that build the same model (``{}`` and ``{"activation":
    "relu"}``) share it, so a configuration that recurs across experiments trains once."""
    return EXPERIMENT_RUNS.key(
        kind=kind, options=models.canonical(kind, options), seed=seed, data=data.digest,
        **settings,
    )  # fmt: skip


def run(
    configs: Mapping[str, Mapping[str, Any]],
    data: Split,
    *,
    kind: str,
    seeds: Sequence[int],
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int = 128,
    store: Path | str | None = None,
    eager: bool = False,
) -> pd.DataFrame:
    """Train every configuration with every seed for ``epochs`` passes or ``steps`` batches
    (one of the two); one row per run with :data:`COLUMNS`.

    ``configs`` maps a label to :func:`labkit.classifiers.models.build` options for ``kind``.
    The scores are the last epoch's, on ``data``'s validation part (``best_val_accuracy``:
    the best epoch's, keras-tuner's score of a trial). With ``store`` (a
    ``.jsonl`` path), finished runs are read from it instead of trained again, and each new run
    is appended when it ends.
    """
    if not configs or not seeds:
        raise ValueError("an experiment needs at least one configuration and one seed")
    store = Path(store) if store is not None else None
    done = EXPERIMENT_RUNS.rows(store)
    rows = []
    for label, options in configs.items():
        for seed in seeds:
            key = _key(kind, options, data, int(seed), epochs=epochs, steps=steps,
                       batch_size=batch_size)  # fmt: skip
            if key in done:
                rows.append({**EXPERIMENT_RUNS.reuse(done[key]), "config": label})
                continue
            start = time.perf_counter()
            model, history = training.fit(
                kind,
                options,
                data.x_train,
                data.y_train,
                validation=(data.x_val, data.y_val),
                seed=int(seed),
                epochs=epochs,
                steps=steps,
                batch_size=batch_size,
                eager=eager,
            )
            row = {
                "config": label,
                "seed": int(seed),
                "val_accuracy": history["val_accuracy"][-1],
                "best_val_accuracy": max(history["val_accuracy"]),
                "val_loss": history["val_loss"][-1],
                "train_accuracy": history["accuracy"][-1],
                "epochs": epochs,
                "steps": steps or loops.steps(len(data.y_train), batch_size, epochs),
                "images": int(len(data.y_train)),
                "seconds": time.perf_counter() - start,
                "params": int(model.count_params()),
            }
            rows.append(row)
            done[key] = row
            if store is not None:
                EXPERIMENT_RUNS.write(store, key, row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["config"] = pd.Categorical(frame["config"], categories=list(configs), ordered=True)
    return frame


def summarize(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per configuration (within each group of the columns ``by``, e.g. dataset and model):
    mean and sd of validation accuracy over seeds, runs, mean seconds, parameters, and the rank
    by mean accuracy within the group (1 = best). Ordered like the configurations."""
    keys = [*by, "config"]
    g = frame.groupby(keys, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "val_accuracy": g["val_accuracy"].mean(),
            "sd": g["val_accuracy"].std(ddof=1),
            "runs": g["seed"].count(),
            "seconds": g["seconds"].mean(),
            "params": g["params"].first(),
        }
    )
    ranks = out.groupby(level=list(by), sort=False)["val_accuracy"] if by else out["val_accuracy"]
    out["rank"] = ranks.rank(ascending=False, method="min").astype(int)
    return out


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as rows (its index as columns) for the metrics JSON; :func:`labkit.run_record.save`
    writes NaN (the sd of a single run, the score of a diverged one) as ``null``."""
    flat = table.reset_index() if any(table.index.names) else table
    return flat.to_dict("records")


def sweep(
    choices: Mapping[str, Mapping[str, Any] | Callable[[str, str], Mapping[str, Any]]],
    bases: Mapping[tuple[str, str], Mapping[str, Any]],
    splits: Mapping[str, Split],
    *,
    seeds: Sequence[int],
    epochs: int | None = None,
    steps: int | Mapping[str, int] | None = None,
    batch_size: int = 128,
    store_dir: Path | str | None = None,
    name: str = "experiment",
    eager: bool = False,
) -> pd.DataFrame:
    """One experiment on several datasets and model kinds.

    ``bases`` maps ``(dataset, kind)`` to that model's base options (so each dataset can have
    its own learning rate); every configuration is a base changed by one entry of ``choices``
    (options, or a function of ``(dataset, kind)`` that returns them, for a change that depends
    on the model, such as its own range-test rate),
    trained by :func:`run` on ``splits[dataset]`` for ``epochs``, or ``steps`` (a number, or
    one per model kind such as ``{"mlp": 800, "cnn": 400}``). Returns :func:`run`'s rows with
    ``dataset`` and ``model`` columns in front. With ``store_dir``, each (dataset, kind) keeps
    its runs in ``<store_dir>/<dataset>-<kind>.jsonl``, shared by all experiments: an
    interrupted experiment resumes, and a configuration that builds the same model as one
    another experiment ran (the base model recurs in every experiment) is read back. ``name``
    labels the experiment.
    """
    frames = []
    for (dataset, kind), base in bases.items():
        changes = {
            label: change(dataset, kind) if callable(change) else change
            for label, change in choices.items()
        }
        if dataset not in splits:
            raise KeyError(f"no split for dataset {dataset!r}; splits hold {', '.join(splits)}")
        store = None if store_dir is None else Path(store_dir) / f"{dataset}-{kind}.jsonl"
        frame = run(
            vary(base, **changes),
            splits[dataset],
            kind=kind,
            seeds=seeds,
            epochs=epochs,
            steps=steps[kind] if isinstance(steps, Mapping) else steps,
            batch_size=batch_size,
            store=store,
            eager=eager,
        )
        frames.append(frame.assign(dataset=dataset, model=kind))
    out = pd.concat(frames, ignore_index=True)
    out["config"] = pd.Categorical(out["config"], categories=list(choices), ordered=True)
    return out[["dataset", "model", *COLUMNS]]


def budget(frame: pd.DataFrame, batch_size: int = 128) -> str:
    """One sentence stating what every run of a :func:`sweep` or :func:`run` trained on: per
    model kind the steps, the images they saw and the passes over the fitted part, and the
    seeds (the budget a table of its results is read against)."""
    kinds = list(dict.fromkeys(frame["model"])) if "model" in frame else [None]
    parts = []
    for kind in kinds:
        sub = frame if kind is None else frame[frame["model"] == kind]
        steps, images = int(sub["steps"].min()), int(sub["images"].min())
        if sub["steps"].nunique() > 1 or sub["images"].nunique() > 1:
            raise ValueError(f"the runs of {kind or 'the table'} differ in budget")
        parts.append(
            f"{kind.upper() if kind else 'each run'}: {steps:,} steps at batch "
            f"{batch_size} ({steps * batch_size:,} images drawn, "
            f"{steps * batch_size / images:.1f} passes over {images:,} fitted images)"
        )
    seeds = sorted(set(frame["seed"]))
    runs = len(frame)
    return (
        f"Budget: {'; '.join(parts)}; {len(seeds)} seed{'s' * (len(seeds) > 1)} per "
        f"configuration ({', '.join(map(str, seeds))}), {runs} run{'s' * (runs != 1)}, "
        f"{frame['seconds'].sum() / 60:.1f} min of training (stored runs count their first "
        "training)."
    )


def beside(
    frame: pd.DataFrame,
    reference: Mapping[tuple[str, str, str], float],
    *,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A :func:`sweep`'s mean ± sd per (configuration, dataset, model) beside a reference's
    number for it (``reference[(config, dataset, model)]``, e.g. the reference report's
    Table 1): columns ``ours``, ``sd``, ``report``, ``ours - report`` and ``beyond spread``
    (the difference exceeds twice the sd over seeds, or any difference when the sd is 0 or
    unknown). Rows without a reference number are left out."""
    s = summarize(frame, by=("dataset", "model"))
    rows = []
    for (dataset, kind, config), r in s.iterrows():
        if (config, dataset, kind) not in reference:
            continue
        ref = float(reference[config, dataset, kind])
        sd = float(r["sd"]) if pd.notna(r["sd"]) else 0.0
        diff = float(r["val_accuracy"]) - ref
        rows.append(
            {
                "configuration": config,
                "dataset": (labels or {}).get(dataset, dataset),
                "model": kind.upper(),
                "ours": float(r["val_accuracy"]),
                "sd": sd,
                "report": ref,
                "ours - report": diff,
                "beyond spread": abs(diff) > 2 * sd,
            }
        )
    return pd.DataFrame(rows).set_index(["configuration", "dataset", "model"])


def wide_table(
    frame: pd.DataFrame, decimals: int = 3, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A :func:`sweep` as a wide table: one row per configuration, one column per (dataset,
    model) in the order they ran, each cell "mean ± sd" of validation accuracy over the seeds.
    ``labels`` renames datasets (name -> display name)."""
    s = summarize(frame, by=("dataset", "model"))
    cells = s["val_accuracy"].map(f"{{:.{decimals}f}}".format)
    if s["runs"].max() > 1:
        cells = cells + " ± " + s["sd"].map(f"{{:.{decimals}f}}".format)
    wide = cells.unstack(["dataset", "model"])
    order = list(dict.fromkeys(zip(frame["dataset"], frame["model"], strict=True)))
    wide = wide[order].rename(columns=dict(labels or {}), level="dataset")
    wide.columns = wide.columns.set_names(["dataset", "model"])
    wide.index.name = None
    return wide


def plot(frame: pd.DataFrame, *, title: str | None = None, ax: Any = None) -> Any:
    """Validation accuracy per configuration: a diamond at the mean over seeds with a bar of
    +- 1 sd, and one dot per seed. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 * frame["config"].nunique() + 1.2))
    sns.stripplot(
        data=frame, x="val_accuracy", y="config", color="0.55", size=4, jitter=0.15, ax=ax
    )
    sns.pointplot(
        data=frame,
        x="val_accuracy",
        y="config",
        errorbar="sd",
        linestyle="none",
        markers="D",
        capsize=0.25,
        color="C0",
        ax=ax,
    )
    runs = frame.groupby("config", observed=True)["seed"].count()
    seeds = f"{runs.min()}" if runs.min() == runs.max() else f"{runs.min()}-{runs.max()}"
    ax.set(xlabel=f"validation accuracy (mean ± sd over {seeds} seed(s))", ylabel="")
    if title:
        ax.set_title(title)
    return ax


def plot_panels(
    frame: pd.DataFrame, *, title: str | None = None, labels: Mapping[str, str] | None = None
) -> Any:
    """:func:`plot` for each (model, dataset) of a :func:`sweep`: one row per model, one column
    per dataset, titled with ``labels`` (dataset name -> display name) when given, and one
    shared axis label. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    labels = labels or {}
    datasets = list(dict.fromkeys(frame["dataset"]))
    kinds = list(dict.fromkeys(frame["model"]))
    n_configs = frame["config"].nunique()
    fig, axes = plt.subplots(
        len(kinds),
        len(datasets),
        figsize=(4.2 * len(datasets) + 0.8, (0.35 * n_configs + 1.0) * len(kinds) + 0.6),
        squeeze=False,
        sharey=True,
    )
    for i, kind in enumerate(kinds):
        for j, dataset in enumerate(datasets):
            sub = frame[(frame["model"] == kind) & (frame["dataset"] == dataset)]
            plot(sub, title=f"{labels.get(dataset, dataset)} · {kind.upper()}", ax=axes[i, j])
    xlabel = axes[0, 0].get_xlabel()
    for ax in axes.flat:
        ax.set_xlabel("")
    fig.supxlabel(xlabel, fontsize="medium")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
