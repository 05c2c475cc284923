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
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import files, loops
from ..data import Split
from ..stores import EXPERIMENT_RUNS
from . import models, training

__all__ = [
    "vary",
    "run",
    "test_scores",
    "sweep",
    "summarize",
    "wide_table",
    "records",
    "COLUMNS",
    "budget",
    "budget_settings",
    "plot_curves",
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


def _weights(folder: Path, key: str) -> Path:
    return folder / f"{key}.weights.h5"


def _curve(history: Mapping[str, Sequence[float]], per_point: int) -> dict[str, list[float]]:
    """A run's learning curve: at each point, the images seen so far, the fitted part's loss and
    accuracy (averaged over the batches since the last point, dropout active), the validation
    loss and accuracy, and the seconds since the run began."""
    n = len(history["loss"])
    return {
        "images": [per_point * (i + 1) for i in range(n)],
        **{name: list(history[name]) for name in
           ("loss", "accuracy", "val_loss", "val_accuracy", "seconds") if name in history},
    }  # fmt: skip


def run(
    configs: Mapping[str, Mapping[str, Any]],
    data: Split,
    *,
    kind: str,
    seeds: Sequence[int],
    epochs: int | None = None,
    steps: int | None = None,
    points: int = 1,
    batch_size: int = 128,
    store: Path | str | None = None,
    weights: Path | str | None = None,
    eager: bool = False,
) -> pd.DataFrame:
    """Train every configuration with every seed for ``epochs`` passes or ``steps`` batches
    (one of the two); one row per run with :data:`COLUMNS` and its learning curve (``curve``:
    a point per epoch, or ``points`` points over a run in steps).

    ``configs`` maps a label to :func:`labkit.classifiers.models.build` options for ``kind``.
    The scores are the last epoch's, on ``data``'s validation part (``best_val_accuracy``:
    the best epoch's, keras-tuner's score of a trial); the test set is never seen here. With
    ``store`` (a ``.jsonl`` path), finished runs are read from it instead of trained again, and
    each new run is appended when it ends. With ``weights`` (a folder), each run's trained
    weights are kept there (``<key>.weights.h5``) for :func:`test_scores` to score once, after
    every choice is made; a stored run whose weights are missing is trained again.
    """
    if not configs or not seeds:
        raise ValueError("an experiment needs at least one configuration and one seed")
    store = Path(store) if store is not None else None
    folder = Path(weights) if weights is not None else None
    done = EXPERIMENT_RUNS.rows(store)
    rows = []
    for label, options in configs.items():
        for seed in seeds:
            key = _key(kind, options, data, int(seed), epochs=epochs, steps=steps,
                       points=points, batch_size=batch_size)  # fmt: skip
            if key in done and (folder is None or _weights(folder, key).is_file()):
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
                points=points,
                batch_size=batch_size,
                eager=eager,
            )
            total = steps or loops.steps(len(data.y_train), batch_size, epochs)
            per_point = (
                total // points * batch_size if steps else len(data.y_train)
            )  # images drawn between two points of the curve
            row = {
                "config": label,
                "seed": int(seed),
                "val_accuracy": history["val_accuracy"][-1],
                "best_val_accuracy": max(history["val_accuracy"]),
                "val_loss": history["val_loss"][-1],
                "train_accuracy": history["accuracy"][-1],
                "epochs": epochs,
                "steps": total,
                "images": int(len(data.y_train)),
                "seconds": time.perf_counter() - start,
                "params": int(model.count_params()),
                "curve": _curve(history, per_point),
            }
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                with files.atomic_path(_weights(folder, key)) as tmp:
                    model.save_weights(tmp)
            rows.append(row)
            done[key] = row
            if store is not None:
                EXPERIMENT_RUNS.write(store, key, row)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "curve"])
    frame["config"] = pd.Categorical(frame["config"], categories=list(configs), ordered=True)
    return frame


def test_scores(
    configs: Mapping[str, Mapping[str, Any]],
    data: Split,
    test: tuple[Any, Any],
    *,
    kind: str,
    seeds: Sequence[int],
    weights: Path | str,
    epochs: int | None = None,
    steps: int | None = None,
    points: int = 1,
    batch_size: int = 128,
) -> pd.DataFrame:
    """Score runs that :func:`run` made with the same arguments (and ``weights``) once on the
    ``test`` images and labels: one row per (configuration, seed) with ``test_accuracy`` and
    ``test_loss``. Call it once the choices are made: nothing here chooses."""
    rows = []
    for label, options in configs.items():
        for seed in seeds:
            key = _key(kind, options, data, int(seed), epochs=epochs, steps=steps,
                       points=points, batch_size=batch_size)  # fmt: skip
            path = _weights(Path(weights), key)
            if not path.is_file():
                raise FileNotFoundError(
                    f"{path}: no trained weights for {label!r} (seed {seed}); run "
                    "experiments.run with the same arguments and weights= first"
                )
            total = steps or loops.steps(len(data.y_train), batch_size, epochs)
            model = models.build(kind, **{"steps": total, **options})
            with warnings.catch_warnings():  # the optimizer's state is not needed to score
                warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
                model.load_weights(path)
            loss, accuracy = model.evaluate(models.prepare(test[0]), test[1], verbose=0)
            rows.append({"config": label, "seed": int(seed), "test_accuracy": float(accuracy),
                         "test_loss": float(loss), "test_images": int(len(test[1]))})  # fmt: skip
    return pd.DataFrame(rows)


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


def _per_kind(value: Any, kind: str) -> Any:
    return value[kind] if isinstance(value, Mapping) else value


def sweep(
    choices: Mapping[str, Mapping[str, Any] | Callable[[str, str], Mapping[str, Any] | None]],
    bases: Mapping[tuple[str, str], Mapping[str, Any]],
    splits: Mapping[str, Split],
    *,
    seeds: Sequence[int] | Mapping[str, Sequence[int]],
    epochs: int | Mapping[str, int | None] | None = None,
    steps: int | Mapping[str, int | None] | None = None,
    points: int | Mapping[str, int] = 1,
    batch_size: int = 128,
    store_dir: Path | str | None = None,
    weights: Path | str | None = None,
    name: str = "experiment",
    eager: bool = False,
) -> pd.DataFrame:
    """One experiment on several datasets and model kinds.

    ``bases`` maps ``(dataset, kind)`` to that model's base options (so each dataset can have
    its own learning rate); every configuration is a base changed by one entry of ``choices``
    (options, or a function of ``(dataset, kind)`` that returns them, for a change that depends
    on the model, such as its own range-test rate; a function that returns None leaves that
    configuration out for that model), trained by :func:`run` on ``splits[dataset]`` for
    ``epochs`` or ``steps`` with ``points`` points on its curve and ``seeds`` (each a value,
    or one per model kind such as ``{"mlp": 800, "cnn": 400}``). Returns :func:`run`'s rows
    with ``dataset`` and ``model`` columns in front. With ``store_dir``, each (dataset, kind)
    keeps its runs in ``<store_dir>/<dataset>-<kind>.jsonl``, shared by all experiments: an
    interrupted experiment resumes, and a configuration that builds the same model as one
    another experiment ran (the base model recurs in every experiment) is read back. With
    ``weights``, the trained weights go to ``<weights>/<dataset>-<kind>/``. ``name`` labels the
    experiment.
    """
    frames = []
    for (dataset, kind), base in bases.items():
        changes = {}
        for label, change in choices.items():
            options = change(dataset, kind) if callable(change) else change
            if options is not None:
                changes[label] = options
        if dataset not in splits:
            raise KeyError(f"no split for dataset {dataset!r}; splits hold {', '.join(splits)}")
        if not changes:
            continue
        store = None if store_dir is None else Path(store_dir) / f"{dataset}-{kind}.jsonl"
        frame = run(
            vary(base, **changes),
            splits[dataset],
            kind=kind,
            seeds=_per_kind(seeds, kind),
            epochs=_per_kind(epochs, kind),
            steps=_per_kind(steps, kind),
            points=_per_kind(points, kind),
            batch_size=batch_size,
            store=store,
            weights=None if weights is None else Path(weights) / f"{dataset}-{kind}",
            eager=eager,
        )
        frames.append(frame.assign(dataset=dataset, model=kind))
    if not frames:
        raise ValueError(f"experiment {name!r}: no configuration to run")
    out = pd.concat(frames, ignore_index=True)
    out["config"] = pd.Categorical(out["config"], categories=list(choices), ordered=True)
    return out[["dataset", "model", *COLUMNS, "curve"]]


def budget_settings(budget: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, Any]]:
    """A profile's budget per model kind (``{"mlp": {"epochs": 10}, "cnn": {"steps": 400,
    "points": 4}}``) as :func:`sweep`'s ``epochs``, ``steps`` and ``points`` per kind."""
    for kind, b in budget.items():
        if ("epochs" in b) == ("steps" in b) or set(b) - {"epochs", "steps", "points"}:
            raise ValueError(
                f"the budget of {kind!r} needs 'epochs' or 'steps' (with 'points'), got {dict(b)}"
            )
    return {
        "epochs": {k: b.get("epochs") for k, b in budget.items()},
        "steps": {k: b.get("steps") for k, b in budget.items()},
        "points": {k: b.get("points", 1) for k, b in budget.items()},
    }


def budget(frame: pd.DataFrame, batch_size: int = 128) -> str:
    """One sentence stating what every run of a :func:`sweep` or :func:`run` trained on: per
    model kind the steps, the images they saw and the passes over the fitted part, and the
    seeds per configuration (the budget a table of its results is read against)."""
    kinds = list(dict.fromkeys(frame["model"])) if "model" in frame else [None]
    parts = []
    for kind in kinds:
        sub = frame if kind is None else frame[frame["model"] == kind]
        steps, images = int(sub["steps"].min()), int(sub["images"].min())
        if sub["steps"].nunique() > 1 or sub["images"].nunique() > 1:
            raise ValueError(f"the runs of {kind or 'the table'} differ in budget")
        per = sub.groupby([c for c in ("dataset", "config") if c in sub], observed=True)["seed"]
        counts = per.nunique()
        n = f"{counts.min()}" if counts.min() == counts.max() else f"{counts.min()}-{counts.max()}"
        parts.append(
            f"{kind.upper() if kind else 'each run'}: {steps:,} steps at batch "
            f"{batch_size} ({steps * batch_size:,} images drawn, "
            f"{steps * batch_size / images:.1f} passes over {images:,} fitted images), "
            f"{n} seed{'s' * (n != '1')} per configuration"
        )
    runs = len(frame)
    return (
        f"Budget: {'; '.join(parts)}; {runs} run{'s' * (runs != 1)}, "
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
    frame: pd.DataFrame,
    decimals: int = 3,
    labels: Mapping[str, str] | None = None,
    threshold: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """A :func:`sweep` as a wide table: one row per configuration, one column per (dataset,
    model) in the order they ran, each cell "mean ± sd" of validation accuracy over the seeds
    (the mean alone for a configuration of one run).
    ``labels`` renames datasets (name -> display name). With ``threshold`` (a validation
    accuracy per dataset) and curves in ``frame``, each cell adds the passes over the fitted
    images (and seconds) until the mean curve first reaches it: "0.981 ± 0.001 · 2.3 p, 14 s"
    ("· never": not within the run)."""
    s = summarize(frame, by=("dataset", "model"))
    cells = s["val_accuracy"].map(f"{{:.{decimals}f}}".format)
    spread = " ± " + s["sd"].map(f"{{:.{decimals}f}}".format)
    cells = cells + spread.where(s["runs"] > 1, "")  # one run: no spread to show
    if threshold is not None and "curve" in frame:
        from .verdicts import mean_curves, passes_to

        hit = passes_to(mean_curves(frame), threshold).set_index(["dataset", "model", "config"])
        speed = hit.apply(
            lambda r: " · never" if pd.isna(r["passes"])
            else f" · {r['passes']:.1f} p, {r['seconds']:.0f} s", axis=1,
        )  # fmt: skip
        cells = cells + speed.reindex(cells.index).fillna("")
    wide = cells.unstack(["dataset", "model"])
    order = list(dict.fromkeys(zip(frame["dataset"], frame["model"], strict=True)))
    wide = wide[order].rename(columns=dict(labels or {}), level="dataset")
    wide.columns = wide.columns.set_names(["dataset", "model"])
    wide.index.name = None
    return wide


def plot_curves(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    metric: str = "val_accuracy",
    chance: float = 0.15,
) -> Any:
    """The learning curves of a :func:`sweep` (rows with ``curve``): one panel per (model,
    dataset), a line per configuration at its mean over seeds with a band of ± 1 sd, against
    passes over the fitted images. The y-axis fits the configurations that learn: a curve
    that stays at or below ``chance`` accuracy (or, for a loss, far above the others) would
    squash the rest, so it is drawn off-axis and its legend entry says so. Returns the
    matplotlib Figure."""
    import matplotlib.pyplot as plt

    from .verdicts import mean_curves

    labels = labels or {}
    curves = mean_curves(frame)
    datasets = list(dict.fromkeys(frame["dataset"]))
    kinds = list(dict.fromkeys(frame["model"]))
    configs = (
        list(frame["config"].cat.categories)
        if hasattr(frame["config"], "cat")
        else list(dict.fromkeys(frame["config"]))
    )
    fig, axes = plt.subplots(
        len(kinds), len(datasets), figsize=(4.6 * len(datasets) + 2.6, 3.0 * len(kinds) + 0.6),
        squeeze=False,
    )  # fmt: skip
    accuracy = "accuracy" in metric
    for i, kind in enumerate(kinds):
        for j, dataset in enumerate(datasets):
            ax = axes[i, j]
            sub = curves[(curves["model"] == kind) & (curves["dataset"] == dataset)]
            learners = sub.groupby("config", observed=True)[metric].last()
            keep = learners[learners > chance] if accuracy else learners
            if not accuracy and len(keep):
                keep = keep[keep <= 3 * keep.min() + 0.5]
            shown = sub[sub["config"].isin(keep.index)]
            for c, config in enumerate(configs):
                g = sub[sub["config"] == config]
                if g.empty:
                    continue
                off = config not in keep.index
                label = f"{config} (off the axis)" if off else str(config)
                ax.plot(g["passes"], g[metric], color=f"C{c % 10}", marker="o", ms=2.5, lw=1.4,
                        label=label, alpha=0.5 if off else 1.0)  # fmt: skip
                sd = g.get(f"{metric}_sd")
                if sd is not None and sd.notna().any():
                    ax.fill_between(g["passes"], g[metric] - sd.fillna(0), g[metric] + sd.fillna(0),
                                    color=f"C{c % 10}", alpha=0.15, lw=0)  # fmt: skip
            if len(shown):
                lo, hi = shown[metric].min(), shown[metric].max()
                if accuracy:
                    tail = shown.groupby("config", observed=True)[metric].apply(
                        lambda s: s.iloc[len(s) // 4 :].min()
                    )
                    lo = max(lo, tail.min())
                pad = 0.08 * (hi - lo or 0.01)
                ax.set_ylim(lo - pad, hi + pad)
            ax.set_title(f"{labels.get(dataset, dataset)} · {kind.upper()}", fontsize="medium")
            ax.set_xlabel("passes over the fitted images")
            ax.set_ylabel(metric.replace("_", " ").replace("val ", "validation "))
            ax.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    for ax in axes.flat[1:]:
        for h, n in zip(*ax.get_legend_handles_labels(), strict=True):
            if n not in names:
                handles.append(h)
                names.append(n)
    fig.legend(handles, names, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small",
               frameon=False)  # fmt: skip
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
