"""Chapter 01's end: its sanity checks and the layout of its metrics record.

:func:`task1_record` checks the runs (a NaN loss in a base model, a final model below the
profile's floor: :class:`ValueError`) and returns the record ``run_record.save`` writes. Per
dataset and model it holds the report's numbers, the target, the range test, the carried rate,
the search's winner and whether it was carried, the chosen recipe, and a ``base`` and a
``selected`` block (test accuracy of the chapter's seed, ``test_accuracy_mean`` beside the
per-seed values, options, epochs, parameters, seconds); then the claims with their verdicts,
every experiment's summary, the ablation, the report's tables beside ours and the settings.
Chapter 02 reads ``results[dataset][kind]["selected"]["options"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import experiments, recipes

__all__ = ["check", "task1_record"]


def check(results: Mapping[str, pd.DataFrame], finals: pd.DataFrame, floor: float) -> None:
    """Fail loudly on an absurd result: a base model whose loss became NaN, a final model
    below ``floor`` test accuracy."""
    base = results.get("base")
    if base is not None:
        for _, r in base.iterrows():
            if not np.isfinite(r["curve"]["loss"]).all():
                raise ValueError(f"{r['dataset']} {r['model']} seed {r['seed']}: NaN loss in the "
                                 "base model")  # fmt: skip
    low = finals[finals["test_accuracy"] < floor]
    if len(low):
        r = low.iloc[0]
        raise ValueError(
            f"{r['dataset']} {r['model']} {r['version']} seed {r['seed']}: test accuracy "
            f"{r['test_accuracy']:.3f} is below the profile's sanity floor {floor}"
        )


def _version(
    finals: pd.DataFrame, runs: pd.DataFrame, version: str, seed: int, options: Mapping[str, Any]
) -> dict[str, Any]:
    scores = finals[finals["version"] == version].sort_values("seed")
    trained = runs[runs["seed"].isin(scores["seed"])]
    values = scores["test_accuracy"].astype(float).tolist()
    headline = scores[scores["seed"] == seed]["test_accuracy"]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return {
        "test_accuracy": float(headline.iloc[0]) if len(headline) else values[0],
        "test_accuracy_mean": float(np.mean(values)),
        "test_accuracy_sd": sd,
        "test_images": int(scores["test_images"].iloc[0]),
        "val_accuracy_mean": float(trained["val_accuracy"].mean()),
        "epochs": int(trained["epochs"].iloc[0]),
        "steps": int(trained["steps"].iloc[0]),
        "train_images": int(trained["images"].iloc[0]),
        "params": int(trained["params"].iloc[0]),
        "seconds": float(trained["seconds"].mean()),
        "options": dict(options),
        "seeds": {
            "mean": float(np.mean(values)),
            "sd": sd,
            "n": len(values),
            "seeds": scores["seed"].astype(int).tolist(),
            "values": values,
        },
    }


def task1_record(
    *,
    results: Mapping[str, pd.DataFrame],
    finals: pd.DataFrame,
    final_runs: pd.DataFrame,
    searches: Mapping[tuple[str, str], Any],
    sweeps: Mapping[tuple[str, str], Any],
    rates: Mapping[tuple[str, str], float],
    carried: pd.DataFrame,
    search_table: pd.DataFrame,
    selected: Mapping[tuple[str, str], Mapping[str, Any]],
    arches: Mapping[tuple[str, str], Mapping[str, Mapping[str, Any]]],
    recipe_sets: Mapping[tuple[str, str], Mapping[str, recipes.Recipe]],
    chosen: Mapping[tuple[str, str], str],
    ablation: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    claims: Sequence[Any],
    report: Mapping[tuple[str, str], tuple[float, float]],
    targets: Mapping[tuple[str, str], Any],
    settings: Mapping[str, Any],
    floor: float,
    seed: int,
) -> dict[str, Any]:
    """:func:`check` the runs, then the chapter's record (the layout in the module's
    docstring)."""
    check(results, finals, floor)
    out: dict[str, Any] = {}
    for (name, kind), arch in arches.items():
        f = finals[(finals["dataset"] == name) & (finals["model"] == kind)]
        r = final_runs[(final_runs["dataset"] == name) & (final_runs["model"] == kind)]
        recipe = chosen[name, kind]
        cells = {
            "base": recipes.cell(arch["base"], recipe_sets[name, kind]["base"]),
            "selected": recipes.cell(arch["selected"], recipe_sets[name, kind][recipe]),
        }
        block = {
            "report": dict(zip(("base", "selected"), report[name, kind], strict=True)),
            "target": float(targets[name, kind].value),
            "learning_rate_range_test": sweeps[name, kind].summary(),
            "chosen_rate": float(rates[name, kind]),
            "rate_choice": (
                carried.loc[(name, kind)].to_dict() if (name, kind) in carried.index else None
            ),
            "hyperparameters": dict(selected[name, kind]),
            "search": search_table.loc[(name, kind)].to_dict(),
            "recipe": recipe,
            **{
                version: _version(
                    f,
                    r[r["architecture"] == ("base" if version == "base" else "selected")],
                    version,
                    seed,
                    cells[version],
                )
                for version in ("base", "selected")
            },
        }
        block["met"] = bool(targets[name, kind].met(block["selected"]["test_accuracy_mean"]))
        if "table3" in tables:
            block["architecture"] = (
                tables["table3"]
                .xs("ours", level="source")
                .loc[(settings["names"][name], kind.upper()), "layers"]
            )
        out.setdefault(name, {})[kind] = block
    out["claims"] = [c.record() for c in claims]
    out["experiments"] = {
        exp: experiments.records(experiments.summarize(frame, by=("dataset", "model")))
        for exp, frame in results.items()
    }
    out["ablation"] = experiments.records(experiments.summarize(ablation, by=("dataset", "model")))
    out["report_tables"] = {k: experiments.records(t) for k, t in tables.items()}
    out["tuning"] = {
        f"{name}/{kind}": experiments.records(search.table())
        for (name, kind), search in searches.items()
    }
    out["search_holdout"] = experiments.records(search_table)
    out["trained_minutes"] = {
        **{f"experiment: {n}": f["seconds"].sum() / 60 for n, f in results.items()},
        "ablation and finals": pd.concat([ablation, final_runs])
        .drop_duplicates(["dataset", "model", "config", "seed"])["seconds"]
        .sum()
        / 60,
    }
    out["settings"] = {k: v for k, v in settings.items() if k != "names"}
    return out
