"""The README's *Results in detail* for Tasks 1 and 2, from chapters 01's and 02's committed
metrics. Task 1: the test accuracies beside the reference report's Table 4 and the targets (the
headline seed and the spread over the final seeds), the selected architectures, each
experiment's budget and what each part of the run cost. Task 2: the permutation table beside the
report's Table 5 (mean ± sd over seeds, paired differences), the restored arm, the MLP's
first-layer neighbour correlations and the run's cost. :mod:`labkit.book.readme` writes each
between the README's ``<!-- taskN:start -->`` and ``<!-- taskN:end -->`` lines; every number
comes from the metrics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import profiles
from .headlines import KINDS, NAMES, pm

__all__ = ["mlp_cnn_tuning", "pixel_permutation", "clock_reading", "vae", "contrastive_vae"]


def _spread(version: Mapping[str, Any]) -> str:
    seeds = version.get("seeds") or {}
    if int(seeds.get("n", 1)) < 2:
        return f"{version['test_accuracy']:.4f}"
    spread = f"{seeds['mean']:.4f} ± {seeds['sd']:.4f}, n = {seeds['n']}"
    return f"{version['test_accuracy']:.4f} ({spread})"


def _rounded(layers: str) -> str:
    """A layer listing with its dropout rates to two significant digits (the search draws them
    to many)."""
    return re.sub(r"Dropout\((\d*\.\d+)\)", lambda m: f"Dropout({float(m[1]):.2g})", layers)


def mlp_cnn_tuning(record: Mapping[str, Any]) -> str:
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
    arch = "; ".join(f"{NAMES[n]} {KINDS[k]}: {_rounded(res[n][k]['architecture'])}"
                     for n, k in keys if "architecture" in res[n][k])  # fmt: skip
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
    # the runner's clock per section (records from before it: the chapter's own marks)
    minutes = {k: v / 60 for k, v in record.get("sections", {}).items()} or res.get("minutes", {})
    trained = res.get("trained_minutes", {})
    if minutes:
        text += (
            "\nWhat the run cost, wall clock of the committed run per section in minutes (a "
            "section whose runs it read back from the store of an earlier run of the same code "
            "shows only the reading): "
            + ", ".join(f"{part} {m:.1f}" for part, m in minutes.items())
            + f"; the whole chapter {record.get('seconds', 0) / 60:.1f} min"
        )
        if trained:
            text += (
                ". Training summed over each part's runs, where a run read back from its store "
                "counts the minutes it first took (a run two parts share, such as the base model "
                "of every experiment, counts in each; keras-tuner keeps no trial times): "
                + ", ".join(f"{part} {m:.1f}" for part, m in trained.items())
            )
        precision = cfg.get("precision", "float32")
        setting = cfg.get("precision_setting", precision)
        text += f" (arithmetic {precision}, profile setting {setting!r}).\n"
    return text


def _mean_sd(cell: Mapping[str, Any], sign: bool = False) -> str:
    return pm(cell["mean"], cell["sd"], "+.4f" if sign else ".4f")


def pixel_permutation(record: Mapping[str, Any]) -> str:
    """Chapter 02's details as Markdown: its settings, the table beside the report's Table 5
    and what the restored arm, the MLP's first layer and the run's cost show."""
    res = record["results"]
    cfg = res.get("settings", {})
    keys = [(n, k) for n in NAMES for k in KINDS if k in res.get(n, {})]
    epochs = cfg.get("epochs", {})
    subset = cfg.get("subset")
    tested = cfg.get("test_subset")
    text = (
        f"Settings: {cfg.get('seeds', 1)} seeds per arm (seed {record.get('seed', 0)} and the "
        f"next ones), one permutation drawn with seed {cfg.get('permutation_seed', 0)}; "
        "chapter 01's selected models trained "
        + ", ".join(f"{KINDS.get(k, k)} {n} epochs" for k, n in epochs.items())
        + f" on {'all training images' if subset is None else f'{subset} training images'}, "
        f"augmentation {cfg.get('augment', 'none')!r}, scored on "
        f"{'all 10 000 test images' if tested is None else f'{tested} test images'}. "
        "Test accuracy, mean ± sd over seeds; the difference is permuted minus original, "
        "paired by seed (bold: more than two sd from zero).\n\n"
        "| | original | permuted | difference | the report's difference (Table 5, one run) |\n"
        "|---|---|---|---|---|\n"
    )
    for n, k in keys:
        b = res[n][k]
        diff = _mean_sd(b["difference"], sign=True)
        sd = b["difference"]["sd"]
        if sd is not None and abs(b["difference"]["mean"]) > 2 * sd:
            diff = f"**{diff}**"
        text += (
            f"| {NAMES[n]} {KINDS[k]} | {_mean_sd(b['original'])} | {_mean_sd(b['permuted'])} "
            f"| {diff} | {b['report_difference']:+.3f} |\n"
        )
    restored = [
        f"{NAMES[n]} {KINDS[k]} seed {r['seed']}: original {r['original']:.4f}, "
        f"permuted {r['permuted']:.4f}, restored {r['restored']:.4f}"
        for n, k in keys
        for r in res[n][k].get("restored", ())
    ]
    if restored:
        text += (
            "\nThe inverse permutation applied before training and testing (restored arm): "
            + "; ".join(restored)
            + ".\n"
        )
    corr = [
        f"{NAMES[n]}: "
        + ", ".join(f"{arm} {abs(v) if round(v, 2) == 0 else v:.2f}" for arm, v in c.items())
        for n, k in keys
        if (c := res[n][k].get("weight_change_neighbour_correlation"))
    ]
    if corr:
        text += (
            "\nNeighbour correlation of what training changed in the MLP's first layer "
            "(each weight against its image neighbours'): " + "; ".join(corr) + ".\n"
        )
    runs = res.get("runs", [])
    if runs:
        per = {}
        for run in runs:
            per.setdefault(run["model"], []).append(float(run["seconds"]))
        each = ", ".join(
            f"{KINDS.get(k, k)} {sum(v) / len(v):.0f} s ({len(v)} runs)" for k, v in per.items()
        )
        text += (
            f"\nCost: {sum(sum(v) for v in per.values()) / 60:.1f} min of training, mean per "
            f"run {each}; the whole chapter {record.get('seconds', 0) / 60:.1f} min (runs read "
            "back from the store count their first training's seconds).\n"
        )
    return text


def _cse(row: Mapping[str, Any]) -> str:
    """``mean ± sd`` of a seed-table row's test common-sense error (minutes)."""
    sd = row.get("cse_sd")
    spread = "" if sd is None or sd != sd else f" ± {sd:.1f}"  # NaN: one seed
    return f"{row['cse_minutes']:.1f}{spread}"


def clock_reading(record: Mapping[str, Any]) -> str:
    """Chapter 03's details as Markdown: the data and budgets, the reader's errors beside the
    report's and the guesses', where its error comes from, and the report's comparisons on
    their own rung, with seeds."""
    res = record["results"]
    final, cmp = res.get("final"), res.get("comparisons")
    if not final or not cmp:
        return "Chapter 03's full run has not written the tables this section needs.\n"
    gen, split = res["generator"], res["dataset"]["split"]
    mirrored = res.get("mirrored", {})
    text = (
        (
            f"The run drew {gen['n']} `leiden` clocks at {gen['size']}x{gen['size']} in "
            if gen.get("source") != "cache"
            else f"The run read {gen['n']} `leiden` clocks at {gen['size']}x{gen['size']} from "
            "the cache of an earlier run of the same drawing code, which drew them in "
        )
        + f"{gen.get('seconds', 0):.1f} s ({split['train']} to train, {split['val']} to validate, "
        f"{split['test']} to test); the reader trained on {final.get('train_clocks', '?')} "
        f"clocks (more drawn with another seed) at {final['image_size']}x"
        f"{final['image_size']}, {final['epochs']} epochs ({final['train_seconds'] / 60:.1f} "
        f"min), read in {'four quarter turns' if final.get('symmetry') else 'one view'}. The "
        f"committed run of the chapter took {record.get('seconds', 0) / 60:.1f} min on "
        f"{record.get('machine', {}).get('cores', '?')} CPU cores (runs it read back from the "
        "store of an earlier run of the same code count only the reading there; the training "
        "times quoted are their first training's). Common-sense error on the "
        "test clocks, minutes:\n\n"
        "| model | clocks | test clocks | error (min) |\n|---|---|---|---|\n"
        f"| reference report (section 5) | the course's photos | | "
        f"{profiles.references('03_clock_reading')['photos_cse_minutes']:g} |\n"
    )
    for name, value in res.get("baselines_test", {}).items():
        label = name.replace("_", " ")
        text += f"| {label} | generated, `leiden` | {split['test']} | {value:.1f} |\n"
    text += (
        f"| **reader** | generated, `leiden` | {final['n_test']} | "
        f"**{final['cse_minutes']:.2f}** |\n"
    )
    for half, row in mirrored.items():
        text += (
            f"| the same reader, {half} | generated, `mirrored` | {row['clocks']} | "
            f"{row['cse_minutes']:.1f} (against the mirror time: "
            f"{row['cse_vs_mirror_time']:.1f}) |\n"
        )
    if "easy" in res:
        text += (
            f"| the same reader | generated, `easy` | {res['easy']['n']} | "
            f"{res['easy']['cse_minutes']:.1f} |\n"
        )
    target = profiles.targets("03_clock_reading")["cse_minutes"]
    text += f"| this workbook's target | generated, `leiden` | | {target.value:g} |\n"
    oracle, views = final.get("oracle", {}), final.get("views", {})
    if oracle:
        text += (
            "\nWhere the reader's minutes go (the test clocks read again with one output "
            "replaced by the truth): "
            + ", ".join(f"{k} {v:.2f}" for k, v in oracle.items())
            + "; read in "
            + ", ".join(f"{k} {v:.2f}" for k, v in views.items())
            + ". Clocks read within 0 / 1 / 2 / 5 minutes: "
            + " / ".join(f"{v:.3f}" for v in final.get("within", {}).values())
            + ".\n"
        )
    text += (
        f"\nThe report's comparisons, on {cmp['n']} clocks of their own at `{cmp['rung']}` "
        f"({cmp['split']['train']} to train), {cmp['size']}x{cmp['size']}, {cmp['epochs']} "
        f"epochs, seeds {', '.join(map(str, cmp['seeds']))}; test error mean ± sd over seeds, "
        "first epoch in seconds:\n\n"
        "| comparison | row | error (min) | first epoch (s) |\n|---|---|---|---|\n"
    )
    for row in res.get("base_models", []):
        text += (
            f"| base models | {row['model']}, {row['optimizer']} | {_cse(row)} | "
            f"{row['first_epoch_s']:.1f} |\n"
        )
    for row in res.get("outputs", []):
        text += f"| outputs | {row['what']} | {_cse(row)} | {row['first_epoch_s']:.1f} |\n"
    report = res.get("report_model", {})
    for row in report.get("arms", []):
        text += (
            f"| Figure 5 model ({report['size']}x{report['size']}) | {row['arm']} | "
            f"{_cse(row)} | {row['first_epoch_s']:.1f} |\n"
        )
    for row in res.get("ladder", []):
        text += (
            f"| base classifier by rung (one seed) | `{row['rung']}` | "
            f"{row['cse_minutes']:.1f} | {row['first_epoch_s']:.1f} |\n"
        )
    if report.get("params_150"):
        count = f"{report['params_150']:,}".replace(",", " ")
        text += (
            f"\nThe Figure 5 model as built here has {count} parameters at 150x150 (the "
            "report's figure: 624 392).\n"
        )
    return text


def _nats_spread(block: Mapping[str, Any], key: str = "iwae_spread") -> str:
    spread = block.get(key) or {}
    if int(spread.get("n", 1)) < 2:
        return ""
    return f"{spread['mean']:.2f} ± {spread['sd']:.2f} (n = {spread['n']})"


def vae(record: Mapping[str, Any]) -> str:
    """Chapter 04's details as Markdown: the designs compared on validation, the test table of
    both VAEs over seeds beside the fully visible net and the IWAE paper, and the derivation's
    checks."""
    res = record["results"]
    v, ar = res.get("vae"), res.get("autoregressive")
    if not v or not ar or "design" not in res:
        return "Chapter 04's full run has not written the tables this section needs.\n"
    design, fvsbn, d = res["design"], res.get("fvsbn", {}), res.get("derivation", {})
    conv = design.get("convolutional_encoder", {})
    text = (
        f"Chapter 04's full run: seed {record.get('seed', 0)}, {v['iwae_spread']['n']} seeds per "
        f"headline model, the chapter {record.get('seconds', 0) / 60:.1f} min on "
        f"{record.get('machine', {}).get('cores', '?')} CPU cores; {v['train_images']} training "
        f"images (binarised afresh each batch), {v['validation_images']} validation images for "
        f"every choice, {v['test_images']} test images scored once. Designs compared on the "
        f"validation images ({design['epochs']} epochs each, IWAE bound with k = {design['k']}, "
        "nats): "
        + "; ".join(f"{name} {value:.2f}" for name, value in design["validation_iwae_nats"].items())
        + f"; chosen: {design['chosen']}."
    )
    if conv:
        text += (
            f" A convolutional encoder on the chosen design (the draft's section 2.7): "
            f"{conv['validation_iwae_nats']:.2f} against {conv['mlp_validation_iwae_nats']:.2f}, "
            f"at {conv['time_ratio']:.1f} times the training time."
        )
    text += (
        "\n\nTest images, nats per image (lower is better); the first seed's value, then the "
        "mean ± sd over seeds:\n\n"
        "| model | -ELBO | -log p(x) <= (IWAE bound) | over seeds | epochs | training per seed |\n"
        "|---|---|---|---|---|---|\n"
    )
    for label, block in (("**VAE as derived**", v), ("VAE + autoregressive term", ar)):
        text += (
            f"| {label} ({block['latent_dim']}-d code) | {block['test_elbo_nats']:.2f} | "
            f"{block['test_iwae_nats']:.2f} (k = {block['iwae_k']}) | {_nats_spread(block)} | "
            f"{block['epochs']} | {block['train_seconds'] / 60:.1f} min |\n"
        )
    if fvsbn:
        text += (
            f"| fully visible SBN (the autoregressive term alone; exact) | | "
            f"{fvsbn['test_nll_nats']:.2f} | | {fvsbn['epochs']} | "
            f"{fvsbn['train_seconds'] / 60:.1f} min |\n"
        )
    text += (
        f"| IWAE paper's VAE (factorised; Burda et al., 2016) | | "
        f"{v['anchor_iwae_paper_vae_nats']} (k = 5 000) | | 3 280 | |\n"
        "| IWAE paper's IWAE (k = 50 in training) | | 84.78 | | 3 280 | |\n"
        f"| this workbook's target (VAE as derived, first seed) | | <= {v['target_nats']:g} | | "
        "| |\n"
    )
    if d:
        ratios = d.get("estimator_variance_ratio", {})
        spans = "; ".join(f"{name} {min(r):.0f}-{max(r):.0f}x" for name, r in ratios.items())
        text += (
            f"\nThe derivation's checks on the linear-Gaussian model: Bayes' rule to "
            f"{d['bayes_rule_max_error']:.0e} nats, log p(x) = ELBO + KL to "
            f"{d['elbo_identity_max_error']:.0e}, the dataset's ELBO (eq. 2.8) to "
            f"{d.get('dataset_elbo_max_error', float('nan')):.0e}, the exact theta-gradient "
            f"(eq. 2.10) against finite differences to "
            f"{d.get('theta_gradient_fd_max_error', float('nan')):.0e}. The variance of one "
            f"score-function estimate against one reparameterised estimate: {spans}.\n"
        )
    return text


def contrastive_vae(record: Mapping[str, Any]) -> str:
    """Chapter 05's details as Markdown: the data, the validation comparison that chose the
    headline model, its and the plain VAE's test scores over seeds beside the targets, and the
    separation curve over opacities."""
    res = record["results"]
    c, v, val = res.get("contrastive"), res.get("vae"), res.get("validation")
    if not c or not v or not val or "curve" not in res:
        return "Chapter 05's full run has not written the tables this section needs.\n"
    data, curve = res["data"], res["curve"]
    text = (
        f"Chapter 05's full run: seed {record.get('seed', 0)}, seeds "
        f"{', '.join(map(str, res.get('seeds', [])))} for the headline and the plain VAE, the "
        f"chapter {record.get('seconds', 0) / 60:.1f} min on "
        f"{record.get('machine', {}).get('cores', '?')} CPU cores. {data['train_targets']} "
        f"training targets and as many background images, {data['validation_targets']} "
        f"validation targets for the choices, {data['test_targets']} test targets scored once; "
        f"digits at opacity {data['opacity']:g}, every model {res['epochs']} epochs. The "
        f"background layer's pixel variance is {data['background_variance_share']:.3f} times "
        f"the validation targets', the digit layer's {data['digit_variance_share']:.3f} times "
        "(the paint hides the texture where it lies, so the layers are negatively correlated "
        "and the shares need not add to 1).\n\n"
        f"Digit kNN accuracy (k = {res.get('knn_k', 5)}) on the validation targets, first seed; "
        f"the best salient code here makes the headline model, {c['model']}:\n\n"
        "| model | s | z |\n|---|---|---|\n"
    )
    for name, row in val.items():
        s = f"{row['s_knn_accuracy']:.3f}" if "s_knn_accuracy" in row else ""
        text += f"| {name} | {s} | {row.get('z_knn_accuracy', float('nan')):.3f} |\n"
    text += (
        "\nOn the test targets, the first seed's value and the mean ± sd over seeds:\n\n"
        "| code | first seed | over seeds | target (mean) |\n|---|---|---|---|\n"
    )
    targets = profiles.targets("05_contrastive_vae")
    for label, spread, target in (
        (f"{c['model']}: salient s", c["salient"], targets["salient_knn"].bound),
        (f"{c['model']}: background z", c["background"], targets["background_knn"].bound),
        ("plain VAE: its code", v["plain"], targets["plain_knn"].bound),
    ):
        text += (
            f"| {label} | {spread['first']:.3f} | {pm(spread['mean'], spread['sd'], '.3f')} "
            f"(n = {spread['n']}) | {target} |\n"
        )
    rows: dict[float, list[Mapping[str, Any]]] = {}
    for row in curve["rows"]:
        rows.setdefault(row["opacity"], []).append(row)
    text += (
        f"\nThe separation curve ({curve['train_targets']} training and "
        f"{curve['validation_targets']} validation targets per opacity, {curve['epochs']} "
        "epochs, mean over its seeds):\n\n"
        "| opacity | background share | salient s | plain VAE | background z |\n"
        "|---|---|---|---|---|\n"
    )
    for opacity, group in sorted(rows.items()):

        def mean(key: str, group: list = group) -> float:
            return sum(r[key] for r in group) / len(group)

        text += (
            f"| {opacity:g} | {mean('background_share'):.3f} | {mean('salient_knn'):.3f} | "
            f"{mean('plain_knn'):.3f} | {mean('background_knn'):.3f} |\n"
        )
    return text
