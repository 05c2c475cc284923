"""The README's *Results in detail* for Task 1, from chapter 01's committed metrics: the test
accuracies beside the reference report's Table 4 and the targets (the headline seed and the
spread over the final seeds), the selected architectures, each experiment's budget and what each
part of the run cost. :mod:`labkit.book.readme` writes it between the README's
``<!-- task1:start -->`` and ``<!-- task1:end -->`` lines; every number comes from the metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .headlines import KINDS, NAMES

__all__ = ["task1"]


def _spread(version: Mapping[str, Any]) -> str:
    seeds = version.get("seeds") or {}
    if int(seeds.get("n", 1)) < 2:
        return f"{version['test_accuracy']:.4f}"
    spread = f"{seeds['mean']:.4f} ± {seeds['sd']:.4f}, n = {seeds['n']}"
    return f"{version['test_accuracy']:.4f} ({spread})"


def task1(record: Mapping[str, Any]) -> str:
    """Chapter 01's details as Markdown (a table and three paragraphs)."""
    res = record["results"]
    keys = [(n, k) for n in NAMES for k in KINDS if k in res.get(n, {})]
    head = "| test accuracy | " + " | ".join(f"{NAMES[n]} {KINDS[k]}" for n, k in keys) + " |"
    lines = [head, "|---" * (len(keys) + 1) + "|"]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(res[n][k]) for n, k in keys) + " |")

    row("reference report, base (Table 4)", lambda b: f"{b['report']['base']:.3f}")
    row("reference report, selected (Table 4)", lambda b: f"{b['report']['selected']:.3f}")
    row("base here: seed 0 (mean ± sd over seeds)", lambda b: _spread(b["base"]))
    row("**selected here**: seed 0 (mean ± sd over seeds)", lambda b: _spread(b["selected"]))
    row("epochs (base / selected)", lambda b: f"{b['base']['epochs']} / {b['selected']['epochs']}")
    row("target (seed 0)", lambda b: f"{b['target']:.3f}")
    row(
        "met",
        lambda b: "yes" if b["selected"]["test_accuracy"] >= b["target"] else "**no**",
    )
    text = "\n".join(lines) + "\n"
    arch = "; ".join(f"{NAMES[n]} {KINDS[k]}: {res[n][k]['architecture']}" for n, k in keys
                     if "architecture" in res[n][k])  # fmt: skip
    if arch:
        text += f"\nSelected architectures (the searches' best trials): {arch}.\n"
    cfg = res.get("settings", {})
    if "steps" in cfg:
        steps = ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in cfg["steps"].items())
        sizes = ", ".join(NAMES.get(d, d) for d in cfg.get("size_datasets", ()))
        trials = ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in cfg["tune_epochs"].items())
        text += (
            f"\nBudgets (batch 128): every configuration of the learning-rate, initialiser, "
            f"optimizer, activation and regularisation experiments {steps} steps, "
            f"{cfg['seeds']} seeds; the model-size grid {cfg['size_steps']} steps, "
            f"{cfg['size_seeds']} seeds, on {sizes}; search trials ({trials} epochs) "
            f"{cfg['coarse_trials']} coarse + {cfg['fine_trials']} fine per search; final "
            f"models {cfg['final_seeds']} seeds each.\n"
        )
    minutes = res.get("minutes", {})
    if minutes:
        text += (
            "\nWhat the run cost (minutes of wall clock, one run of the chapter; experiment runs, "
            "trials and final models stored by an interrupted earlier run count where they ran): "
            + ", ".join(f"{part} {m:.1f}" for part, m in minutes.items())
            + f"; the whole chapter {record.get('seconds', 0) / 60:.1f} min"
            + f" (precision setting {cfg.get('precision', 'float32')!r}:"
            " bfloat16 where the CPU has it).\n"
        )
    return text
