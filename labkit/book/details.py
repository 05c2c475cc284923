"""The README's *Results in detail*, one section per chapter from its committed metrics.

Each section is a Jinja template, ``templates/readme/<chapter>.md.j2`` (the words), filled with
a context this module reads from the chapter's record (the numbers, formatted), as the PDF's
LaTeX is a template: chapter 01's test accuracies beside the reference report's Table 4 and the
targets, its architectures, budgets and costs; chapter 02's permutation table beside Table 5;
chapter 03's reader beside the report's photos and the report's comparisons; chapter 04's
designs, bounds and checks; chapter 05's separation. The function for a chapter is named after
its manifest (:func:`labkit.profiles.name`); :mod:`labkit.book.readme` writes each between the
README's ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` lines.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from .. import profiles
from .headlines import KINDS, NAMES, pm

__all__ = ["mlp_cnn_tuning", "pixel_permutation", "clock_reading", "vae", "contrastive_vae"]


def _spread(version: Mapping[str, Any]) -> str:
    seeds = version.get("seeds") or {}
    if int(seeds.get("n", 1)) < 2:
        return f"{version['test_accuracy']:.4f}"
    spread = f"{seeds['mean']:.4f} ± {seeds['sd']:.4f}, n = {seeds['n']}"
    if "test_accuracy_mean" in version:  # targets are read on the mean: it comes first
        return f"{spread}; seed 0 {version['test_accuracy']:.4f}"
    return f"{version['test_accuracy']:.4f} ({spread})"


def _budget(budget: Mapping[str, Any]) -> str:
    """``{"epochs": 10}`` -> "10 epochs"; ``{"steps": 400, "points": 4}`` -> "400 steps"."""
    return f"{budget['epochs']} epochs" if "epochs" in budget else f"{budget['steps']} steps"


def _per_kind(value: int | Mapping[str, int]) -> str:
    """A count that is one number or one per model kind: ``3`` -> "3";
    ``{"mlp": 3, "cnn": 1}`` -> "MLP 3, CNN 1"."""
    if isinstance(value, Mapping):
        return ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in value.items())
    return str(value)


def _claims(res: Mapping[str, Any]) -> dict[str, Any] | None:
    """The verdict counts and the list of chapter 01's claims, for the README."""
    found = res.get("claims")
    if not found:
        return None
    counts: dict[str, int] = {}
    for c in found:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    return {
        "n": len(found),
        "counts": ", ".join(f"{n} {verdict}" for verdict, n in counts.items()),
        "rows": [[c["section"], c["claim"], c["verdict"]] for c in found],
    }


def _number(version: Mapping[str, Any]) -> float:
    return version.get("test_accuracy_mean", version["test_accuracy"])


def _rounded(layers: str) -> str:
    """A layer listing with its dropout rates to two significant digits (the search draws them
    to many)."""
    return re.sub(r"Dropout\((\d*\.\d+)\)", lambda m: f"Dropout({float(m[1]):.2g})", layers)


TEMPLATES = Path(__file__).resolve().parent / "templates" / "readme"


def _md_row(cells: Sequence[Any]) -> str:
    """``| a | b |``; an empty cell is ``| |``."""
    return "|" + "".join(f" {c} |" if str(c) != "" else " |" for c in cells)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML  # noqa: S701
    )
    env.filters["fmt"] = format
    env.filters["md_row"] = _md_row
    env.globals["nan"] = float("nan")
    return env


def render(name: str, **context: Any) -> str:
    """The template ``templates/readme/<name>.md.j2`` filled with ``context``."""
    return _environment().get_template(f"{name}.md.j2").render(**context)


def _spaced(count: int) -> str:
    """``1234567`` -> ``1 234 567``."""
    return f"{count:,}".replace(",", " ")


def _minutes(record: Mapping[str, Any]) -> float:
    return record.get("seconds", 0) / 60


def _cores(record: Mapping[str, Any]) -> Any:
    return record.get("machine", {}).get("cores", "?")


def mlp_cnn_tuning(record: Mapping[str, Any]) -> str:
    """Chapter 01's details as Markdown (a table and three paragraphs)."""
    res = record["results"]
    keys = [(n, k) for n in NAMES for k in KINDS if k in res.get(n, {})]
    blocks = [res[n][k] for n, k in keys]

    def row(label: str, cell: Any) -> list[str]:
        return [label, *(cell(b) for b in blocks)]

    mean = all("test_accuracy_mean" in b["selected"] for b in blocks)

    rows = [
        row("reference report, base (Table 4)", lambda b: f"{b['report']['base']:.3f}"),
        row("reference report, selected (Table 4)", lambda b: f"{b['report']['selected']:.3f}"),
        row("base here: seed 0 (mean ± sd over seeds)", lambda b: _spread(b["base"])),
        row("**selected here**: seed 0 (mean ± sd over seeds)", lambda b: _spread(b["selected"])),
        row("epochs (base / selected)",
            lambda b: f"{b['base']['epochs']} / {b['selected']['epochs']}"),
        row("target" + (" (mean over seeds)" if mean else " (seed 0)"),
            lambda b: f"{b['target']:.3f}"),
        row("met", lambda b: "yes" if round(_number(b["selected"]), 4) >= b["target"]
            else "**no**"),
    ]  # fmt: skip
    arch = "; ".join(f"{NAMES[n]} {KINDS[k]}: {_rounded(res[n][k]['architecture'])}"
                     for n, k in keys if "architecture" in res[n][k])  # fmt: skip
    cfg = res.get("settings", {})
    budgets = None
    if "budget" in cfg:
        budgets = {
            "steps": ", ".join(f"{KINDS.get(k, k)} {_budget(b)}" for k, b in cfg["budget"].items()),
            "report": ", ".join(f"{KINDS.get(k, k)} {_budget(b)}"
                                for k, b in cfg["report_budget"].items()),
            "base_seeds": _per_kind(cfg["base_seeds"]), "long": ", ".join(
                NAMES.get(d, d) for d in cfg.get("long_datasets", ())),
            "sizes": ", ".join(NAMES.get(d, d) for d in cfg.get("size_datasets", ())),
            "trials": ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in cfg["tune_epochs"].items()),
            "seeds": _per_kind(cfg["seeds"]), "size_steps": _budget(cfg["size_budget"]),
            "size_seeds": cfg["size_seeds"], "coarse": cfg["coarse_trials"],
            "fine": cfg["fine_trials"], "final_seeds": cfg["final_seeds"],
            "holdout": cfg["holdout_seeds"],
        }  # fmt: skip
    elif "steps" in cfg:
        budgets = {
            "steps": ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in cfg["steps"].items()),
            "sizes": ", ".join(NAMES.get(d, d) for d in cfg.get("size_datasets", ())),
            "trials": ", ".join(f"{KINDS.get(k, k)} {n}" for k, n in cfg["tune_epochs"].items()),
            "seeds": cfg["seeds"], "size_steps": cfg["size_steps"],
            "size_seeds": cfg["size_seeds"], "coarse": cfg["coarse_trials"],
            "fine": cfg["fine_trials"], "final_seeds": cfg["final_seeds"],
        }  # fmt: skip
    # the runner's clock per section (records from before it: the chapter's own marks)
    minutes = {k: v / 60 for k, v in record.get("sections", {}).items()} or res.get("minutes", {})
    trained = res.get("trained_minutes", {})
    precision = cfg.get("precision", "float32")
    return render(
        "mlp_cnn_tuning",
        header=["test accuracy", *(f"{NAMES[n]} {KINDS[k]}" for n, k in keys)],
        rows=rows,
        arch=arch,
        budgets=budgets,
        minutes=", ".join(f"{part} {m:.1f}" for part, m in minutes.items()),
        trained=", ".join(f"{part} {m:.1f}" for part, m in trained.items()),
        chapter_minutes=_minutes(record),
        precision=precision,
        setting=repr(cfg.get("precision_setting", precision)),
        claims=_claims(res),
    )


def _mean_sd(cell: Mapping[str, Any], sign: bool = False) -> str:
    return pm(cell["mean"], cell["sd"], "+.4f" if sign else ".4f")


def pixel_permutation(record: Mapping[str, Any]) -> str:
    """Chapter 02's details as Markdown: its settings, the table beside the report's Table 5
    and what the restored arm, the MLP's first layer and the run's cost show."""
    res = record["results"]
    cfg = res.get("settings", {})
    keys = [(n, k) for n in NAMES for k in KINDS if k in res.get(n, {})]
    subset, tested = cfg.get("subset"), cfg.get("test_subset")
    rows = []
    for n, k in keys:
        b = res[n][k]
        diff = _mean_sd(b["difference"], sign=True)
        sd = b["difference"]["sd"]
        if sd is not None and abs(b["difference"]["mean"]) > 2 * sd:
            diff = f"**{diff}**"
        rows.append([f"{NAMES[n]} {KINDS[k]}", _mean_sd(b["original"]), _mean_sd(b["permuted"]),
                     diff, f"{b['report_difference']:+.3f}"])  # fmt: skip
    restored = [
        f"{NAMES[n]} {KINDS[k]} seed {r['seed']}: original {r['original']:.4f}, "
        f"permuted {r['permuted']:.4f}, restored {r['restored']:.4f}"
        for n, k in keys
        for r in res[n][k].get("restored", ())
    ]
    corr = [
        f"{NAMES[n]}: "
        + ", ".join(f"{arm} {abs(v) if round(v, 2) == 0 else v:.2f}" for arm, v in c.items())
        for n, k in keys
        if (c := res[n][k].get("weight_change_neighbour_correlation"))
    ]
    cost = None
    if runs := res.get("runs", []):
        per: dict[str, list[float]] = {}
        for run in runs:
            per.setdefault(run["model"], []).append(float(run["seconds"]))
        cost = {
            "minutes": sum(sum(v) for v in per.values()) / 60,
            "each": ", ".join(
                f"{KINDS.get(k, k)} {sum(v) / len(v):.0f} s ({len(v)} runs)" for k, v in per.items()
            ),
        }
    return render(
        "pixel_permutation",
        seeds=cfg.get("seeds", 1),
        seed=record.get("seed", 0),
        permutation_seed=cfg.get("permutation_seed", 0),
        epochs=", ".join(f"{KINDS.get(k, k)} {n} epochs" for k, n in cfg.get("epochs", {}).items()),
        trained_on="all training images" if subset is None else f"{subset} training images",
        augment=repr(cfg.get("augment", "none")),
        tested_on="all 10 000 test images" if tested is None else f"{tested} test images",
        header=["", "original", "permuted", "difference",
                "the report's difference (Table 5, one run)"],
        rows=rows,
        restored=restored,
        corr=corr,
        cost=cost,
        chapter_minutes=_minutes(record),
    )  # fmt: skip


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
    split = res["dataset"]["split"]
    photos = profiles.references("03_clock_reading")["photos_cse_minutes"]
    errors = [["reference report (section 5)", "the course's photos", "", f"{photos:g}"]]
    for name, value in res.get("baselines_test", {}).items():
        errors.append(
            [name.replace("_", " "), "generated, `leiden`", split["test"], f"{value:.1f}"]
        )
    readers = res.get("readers") or {}
    names = {"time_labels": "the time alone", "generator_labels": "the generator's labels"}
    for key, label in names.items():
        r = readers.get(key)
        if r:
            sd = "" if r.get("cse_sd") is None else f" ± {r['cse_sd']:.2f}"
            number = f"**{r['cse_mean']:.2f}**{sd} (test s.e. {r['test_se']:.2f})"
            errors.append([f"**reader on {label}** ({len(r['seeds'])} seeds)",
                           "generated, `leiden`", final["n_test"], number])  # fmt: skip
    if not readers:  # a record written before the two readers
        errors.append(["**reader**", "generated, `leiden`", final["n_test"],
                       f"**{final['cse_minutes']:.2f}**"])  # fmt: skip
    reader = "the generator-label reader (first seed)" if readers else "the reader"
    same = reader if readers else "the same reader"
    for half, row in res.get("mirrored", {}).items():
        errors.append([f"{same}, {half}", "generated, `mirrored`", row["clocks"],
                       f"{row['cse_minutes']:.1f} (against the mirror time: "
                       f"{row['cse_vs_mirror_time']:.1f})"])  # fmt: skip
    if "easy" in res:
        errors.append([same, "generated, `easy`", res["easy"]["n"],
                       f"{res['easy']['cse_minutes']:.1f}"])  # fmt: skip
    targets = profiles.targets("03_clock_reading")
    if readers:
        errors.append(["this workbook's targets", "generated, `leiden`", "",
                       f"time alone {targets['time_labels_cse_minutes'].bound}, generator's "
                       f"labels {targets['cse_minutes'].bound} (means over seeds)"])  # fmt: skip
    else:
        errors.append(["this workbook's target", "generated, `leiden`", "",
                       f"{targets['cse_minutes'].value:g}"])  # fmt: skip
    reader_rows = [
        [names[k], ", ".join(f"{v['cse']:.2f}" for v in r["per_seed"].values()),
         f"{r['within_1_min']:.3f}", f"{r['exact']:.3f}", f"{r['hour_accuracy']:.3f}",
         readers.get("distinct_training_clocks", {}).get(k, "")]
        for k, r in readers.items() if k in names
    ]  # fmt: skip
    comparisons = [
        ["base models", f"{row['model']}, {row['optimizer']}", _cse(row),
         f"{row['first_epoch_s']:.1f}"]
        for row in res.get("base_models", [])
    ] + [
        ["outputs", row["what"], _cse(row), f"{row['first_epoch_s']:.1f}"]
        for row in res.get("outputs", [])
    ]  # fmt: skip
    report = res.get("report_model", {})
    comparisons += [
        [f"Figure 5 model ({report['size']}x{report['size']})", row["arm"], _cse(row),
         f"{row['first_epoch_s']:.1f}"]
        for row in report.get("arms", [])
    ] + [
        ["base classifier by rung (one seed)", f"`{row['rung']}`", f"{row['cse_minutes']:.1f}",
         f"{row['first_epoch_s']:.1f}"]
        for row in res.get("ladder", [])
    ]  # fmt: skip
    oracle, views = final.get("oracle", {}), final.get("views", {})
    return render(
        "clock_reading",
        gen=res["generator"],
        gen_seconds=res["generator"].get("seconds", 0),
        split=split,
        final=final,
        views_read="four quarter turns" if final.get("symmetry") else "one view",
        chapter_minutes=_minutes(record),
        scratch_minutes=record.get("seconds_from_scratch", 0) / 60,
        reader=reader,
        slips=readers.get("hour_slips_text", ""),
        cores=_cores(record),
        errors=errors,
        oracle=", ".join(f"{k} {v:.2f}" for k, v in oracle.items()),
        views=", ".join(f"{k} {v:.2f}" for k, v in views.items()),
        within=" / ".join(f"{v:.3f}" for v in final.get("within", {}).values()),
        cmp=cmp,
        comparisons=comparisons,
        params=_spaced(report["params_150"]) if report.get("params_150") else "",
        report_params=_spaced(profiles.references("03_clock_reading")["figure5_params"]),
        reader_rows=reader_rows,
        claims=_claims(res),
        table6=report.get("table6_text", ""),
    )


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

    def kept(block: Mapping[str, Any]) -> str:
        epochs = sorted((block.get("kept_epochs") or {}).values())
        if not epochs:
            return str(block["epochs"])
        span = str(min(epochs)) if min(epochs) == max(epochs) else f"{min(epochs)}-{max(epochs)}"
        return f"{block['epochs']} (kept {span})"

    rows = [
        [f"**VAE as derived** ({v['latent_dim']}-d code)", f"{v['test_elbo_nats']:.2f}",
         f"{v['test_iwae_nats']:.2f} (k = {_spaced(v['iwae_k'])})", _nats_spread(v), kept(v),
         f"{v['train_seconds'] / 60:.1f} min"]
    ]  # fmt: skip
    for m, spread in (v.get("iwae_also") or {}).items():
        rows.append([f"... the same draws, k = {_spaced(int(m))}", "", f"{spread['first']:.2f}",
                     _nats_spread({"iwae_spread": spread}), "", ""])  # fmt: skip
    rows.append(
        [f"VAE + autoregressive term ({ar['latent_dim']}-d code)", f"{ar['test_elbo_nats']:.2f}",
         f"{ar['test_iwae_nats']:.2f} (k = {_spaced(ar['iwae_k'])})", _nats_spread(ar), kept(ar),
         f"{ar['train_seconds'] / 60:.1f} min"]
    )  # fmt: skip
    if fvsbn:
        flat = fvsbn.get("flattened")
        epochs = (f"{fvsbn['epochs']} ({'flat' if flat else 'ceiling, still falling'})"
                  if flat is not None else fvsbn["epochs"])  # fmt: skip
        rows.append(["fully visible SBN (the autoregressive term alone; exact)", "",
                     f"{fvsbn['test_nll_nats']:.2f}", "", epochs,
                     f"{fvsbn['train_seconds'] / 60:.1f} min"])  # fmt: skip
    paper = profiles.references("04_vae")
    passes = _spaced(paper["iwae_paper_passes"])
    rows += [
        ["IWAE paper's VAE (factorised; Burda et al., 2016): the target for the mean over seeds",
         "", f"{paper['iwae_paper_vae_nats']} (k = {_spaced(paper['iwae_paper_k'])})", "",
         passes, ""],
        ["IWAE paper's IWAE (k = 50 in training)", "", f"{paper['iwae_paper_iwae_nats']}", "",
         passes, ""],
    ]  # fmt: skip
    choice = res.get("validation_choice") or {}
    models = choice.get("models") or {}
    validation = [
        [name, f"{m['iwae_nll']:.2f}", f"{m['elbo_nll']:.2f}", f"{m['kl']:.2f}", f"{m['gap']:.2f}"]
        for name, m in models.items()
    ]  # fmt: skip
    ratios = d.get("estimator_variance_ratio", {}) if d else {}
    return render(
        "vae",
        seed=record.get("seed", 0),
        scratch_minutes=record.get("seconds_from_scratch", 0) / 60,
        budget=profiles.budget("04_vae", record.get("profile", "full")),
        v=v,
        chapter_minutes=_minutes(record),
        cores=_cores(record),
        design=design,
        designs="; ".join(
            f"{name} {value:.2f}" for name, value in design["validation_iwae_nats"].items()
        ),
        conv=design.get("convolutional_encoder", {}),
        rows=rows,
        validation=validation,
        choice=choice,
        met=v.get("target_met"),
        verdict=_anchor_verdict(v),
        algorithms="; ".join(
            f"{name} {'diverged' if row.get('diverged') else format(row['final_excess'], '.3f')}"
            for name, row in (d.get("algorithms") or {}).items()
        ),
        d=d,
        spans="; ".join(f"{name} {min(r):.0f}-{max(r):.0f}x" for name, r in ratios.items()),
    )


def _anchor_verdict(v: Mapping[str, Any]) -> str:
    """Whether chapter 04's seeds tell their mean from the IWAE paper's number (empty for one
    seed or an earlier run's metrics without them)."""
    spread, anchor = v.get("iwae_spread") or {}, v.get("anchor_iwae_paper_vae_nats")
    if anchor is None or (spread.get("n") or 0) < 2 or spread.get("sd") is None:
        return ""
    from ..vae.compare import anchor_verdict  # NumPy only: no Keras for the README

    return anchor_verdict(spread["mean"], spread["sd"], spread["n"], anchor)


def contrastive_vae(record: Mapping[str, Any]) -> str:
    """Chapter 05's details as Markdown: the data, the validation comparison that chose the
    headline model, its and the plain VAE's test scores over seeds beside the targets, and the
    separation curve over opacities."""
    res = record["results"]
    c, v, val = res.get("contrastive"), res.get("vae"), res.get("validation")
    if not c or not v or not val or "curve" not in res:
        return "Chapter 05's full run has not written the tables this section needs.\n"
    validation = [
        [name, f"{row['s_knn_accuracy']:.3f}" if "s_knn_accuracy" in row else "",
         f"{row.get('z_knn_accuracy', float('nan')):.3f}"]
        for name, row in val.items()
    ]  # fmt: skip
    targets = profiles.targets("05_contrastive_vae")
    scores = res.get("test") or {}
    names = {"salient": f"{c['model']}: salient s", "background": f"{c['model']}: background z",
             "plain": "plain VAE: its code"}  # fmt: skip
    test = []
    for column, target in targets.items():
        spread = scores.get(column)
        if not spread:
            continue
        prefix, what, probe = column.split("_")
        chance = scores.get(f"{prefix}_{what}_chance", {}).get("mean", 0.0)
        met = (res.get("targets", {}).get(column) or {}).get("met")
        layer = scores.get(f"layer_{what}_{probe}", {}).get("mean")
        test.append([names[prefix], f"{what}, {'k-NN' if probe == 'knn' else 'linear'}",
                     f"{pm(spread['mean'], spread['sd'], '.3f')} (n = {spread['n']})",
                     f"{chance:.3f}", "" if layer is None else f"{layer:.3f}", target.bound,
                     "" if met is None else ("met" if met else "not met")])  # fmt: skip
    by_opacity: dict[float, list[Mapping[str, Any]]] = {}
    for row in res["curve"]["rows"]:
        by_opacity.setdefault(row["opacity"], []).append(row)

    def mean(group: list[Mapping[str, Any]], key: str) -> str:
        values = [r[key] for r in group if key in r]
        return f"{sum(values) / len(values):.3f}" if values else ""

    keys = ("salient_knn", "salient_linear", "plain_knn", "plain_linear", "background_knn",
            "background_linear")  # fmt: skip
    curve_rows = [
        [f"{opacity:g}", str(len(group)), *(mean(group, k) for k in keys)]
        for opacity, group in sorted(by_opacity.items())
    ]
    rmse = [
        [label, f"{scores[column]['mean']:.4f}", f"{scores[column]['sd']:.4f}"]
        for column, label in (("rmse_contrastive", f"{c['model']}: background image from z"),
                              ("rmse_plain", "plain VAE: its reconstruction"),
                              ("rmse_mean_layer", "the mean training background layer"),
                              ("rmse_target", "the target itself (its digit's paint)"))
        if column in scores
    ]  # fmt: skip
    return render(
        "contrastive_vae",
        seed=record.get("seed", 0),
        scratch_minutes=record.get("seconds_from_scratch", 0) / 60,
        budget=profiles.budget("05_contrastive_vae", record.get("profile", "full")),
        seeds=res.get("seeds", []),
        chapter_minutes=_minutes(record),
        cores=_cores(record),
        data=res["data"],
        epochs=res["epochs"],
        knn_k=res.get("knn_k", 5),
        model=c["model"],
        validation=validation,
        rmse=rmse,
        tuned=res.get("tuned_penalties") or {},
        test=test,
        curve=res["curve"],
        curve_rows=curve_rows,
    )
