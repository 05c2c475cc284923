"""The workbook's headline numbers beside the reference report's and the public anchors'.

One source for the PDF's summary page (:mod:`labkit.book.report`) and the README's results table
(``python -m labkit readme``): every number of ours is read from a chapter's metrics JSON
(``reports/<profile>/metrics/NN_*.json``); the references are published numbers, cited in
:data:`SOURCES`. A chapter without metrics simply has no rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import profiles, run_record
from ..data import TITLES

#: Where the reference and anchor numbers come from.
SOURCES = {
    "report": "the course's reference report (Tasks 1-3)",
    "keras-io": "keras-io `mnist_convnet`, its own account of the test accuracy",
    "fashion": "the Fashion-MNIST benchmark table (Xiao et al., 2017, and its repository)",
    "iwae": "Burda, Grosse and Salakhutdinov, Importance Weighted Autoencoders (ICLR 2016)",
    "cvae": "Abid and Zou, Contrastive Variational Autoencoder (2019): MNIST over grass",
}

#: The datasets' display names: the workbook's one table of them (:data:`labkit.data.TITLES`).
NAMES = TITLES
KINDS = {"mlp": "MLP", "cnn": "CNN"}
#: Public anchors for chapter 01's test accuracies, per (dataset, model).
TASK1_ANCHORS = {
    ("mnist", "cnn"): "keras-io mnist_convnet 0.9922",
    ("fashion_mnist", "mlp"): "benchmark MLP 256-128-100 0.883",
    ("fashion_mnist", "cnn"): "benchmark 2-3 conv CNNs 0.916-0.934",
}


@dataclass(frozen=True)
class Headline:
    """One row: what was measured, our number, the reference report's, anchors and target,
    with how many runs and how long they took."""

    chapter: str
    what: str
    ours: str
    reference: str = ""
    anchors: str = ""
    target: str = ""
    runs: str = ""
    time: str = ""
    met: bool | None = None  # whether ``ours`` meets ``target`` (None: no target)
    judged: str = ""  # the number the target judges when it is not ``ours`` (a mean over seeds)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _seeds(record: Mapping[str, Any], n: int = 1) -> str:
    first = int(record.get("seed", 0))
    if n == 1:
        return f"seed {first}, 1 run"
    return f"{n} seeds ({first}-{first + n - 1})"


def pm(mean: float, sd: float | None, fmt: str = ".4f") -> str:
    """``mean ± sd`` in ``fmt`` (the sd unsigned), or ``mean (one seed)`` when the sd is
    undefined (None or NaN: a record of one seed, as the smoke profile writes)."""
    if sd is None or sd != sd:
        return f"{mean:{fmt}} (one seed)"
    return f"{mean:{fmt}} ± {sd:{fmt.lstrip('+')}}"


def _over_seeds(record: Mapping[str, Any], seeds: Mapping[str, Any] | None, digits: int = 4) -> str:
    """The runs column of a headline read on one seed with more seeds beside it."""
    if not seeds or int(seeds.get("n", 1)) < 2:
        return _seeds(record)
    return (
        f"seed {int(record.get('seed', 0))}; {int(seeds['n'])} seeds: "
        f"{seeds['mean']:.{digits}f} ± {seeds['sd']:.{digits}f}"
    )


def _task1_ours(selected: Mapping[str, Any]) -> tuple[float, str]:
    """A selected model's headline number: the mean over the final seeds where the record has
    it (targets are read on it), else the headline seed's test accuracy (older records)."""
    if "test_accuracy_mean" in selected:
        return selected["test_accuracy_mean"], f"{selected['test_accuracy_mean']:.4f}"
    return selected["test_accuracy"], f"{selected['test_accuracy']:.4f}"


def _task1_runs(record: Mapping[str, Any], selected: Mapping[str, Any]) -> str:
    seeds = selected.get("seeds") or {}
    if "test_accuracy_mean" in selected and int(seeds.get("n", 1)) > 1:
        return (
            f"mean of {int(seeds['n'])} seeds (sd {seeds['sd']:.4f}); seed "
            f"{int(record.get('seed', 0))}: {selected['test_accuracy']:.4f}"
        )
    return _over_seeds(record, seeds)


def mlp_cnn_tuning(record: Mapping[str, Any]) -> list[Headline]:
    rows, res = [], record["results"]
    for name in NAMES:
        for kind in KINDS:
            block = res.get(name, {}).get(kind, {})
            if "selected" not in block:
                continue
            number, ours = _task1_ours(block["selected"])
            rows.append(
                Headline(
                    "01_mlp_cnn_tuning",
                    f"{NAMES[name]} {KINDS[kind]}: test accuracy",
                    ours,
                    f"{block.get('report', {}).get('selected', '')}",
                    TASK1_ANCHORS.get((name, kind), ""),
                    f"{block['target']:.3f}" if "target" in block else "",
                    _task1_runs(record, block["selected"]),
                    f"{_minutes(block['selected']['seconds'])} training",
                    met=round(number, 4) >= block["target"] if "target" in block else None,
                )
            )
    return rows


def pixel_permutation(record: Mapping[str, Any]) -> list[Headline]:
    rows, res = [], record["results"]
    n = int(res.get("settings", {}).get("seeds", 1))
    for name in NAMES:
        for kind in KINDS:
            block = res.get(name, {}).get(kind, {})
            if "difference" not in block:
                continue
            d = block["difference"]
            seconds = sum(
                r["seconds"] for r in res.get("runs", [])
                if r.get("dataset") == name and r.get("model") == kind
            )  # fmt: skip
            rows.append(
                Headline(
                    "02_pixel_permutation",
                    f"{NAMES[name]} {KINDS[kind]}: permuted - original accuracy",
                    pm(d["mean"], d["sd"], "+.4f"),
                    f"{block['report_difference']:+.3f} (one run)",
                    runs=_seeds(record, n) + " per arm",
                    time=f"{_minutes(seconds)} training",
                )
            )
    return rows


def clock_reading(record: Mapping[str, Any]) -> list[Headline]:
    res = record["results"]
    final = res.get("final")
    if not final:
        return []
    targets = profiles.targets("03_clock_reading")
    references = profiles.references("03_clock_reading")
    photos = f"{references['photos_cse_minutes']:g} on the course's photos"
    readers = res.get("readers")
    seconds = (readers or {}).get("train_seconds", {})
    if readers:  # two readers, named for what they learn from, each over its seeds
        rows = []
        for key, what, target, reference in (
            ("time_labels", "the time alone, like the report", "time_labels_cse_minutes", photos),
            ("generator_labels", "the generator's labels (rotation, hand angles)",
             "cse_minutes", ""),
        ):  # fmt: skip
            r = readers.get(key)
            if not r:
                continue
            n = len(r["seeds"])
            rows.append(
                Headline(
                    "03_clock_reading",
                    f"clock reading from {what}: common-sense error, generated "
                    f"{final['difficulty']} clocks (min, {final['n_test']} test clocks)",
                    pm(r["cse_mean"], r["cse_sd"], ".2f"),
                    reference,
                    anchors=f"test s.e. {r['test_se']:.2f}; within 1 min {r['within_1_min']:.3f}",
                    target=str(targets[target]),
                    runs=_seeds(record, n),
                    time=f"{_minutes(seconds[key])} training" if key in seconds else "",
                    met=targets[target].met(r["cse_mean"]),
                )
            )
    else:  # a record written before the two readers: one reader, one seed
        target = targets["cse_minutes"]
        rows = [
            Headline(
                "03_clock_reading",
                f"clock reading: common-sense error, generated {final['difficulty']} clocks "
                f"(min, {final['n_test']} test clocks)",
                f"{final['cse_minutes']:.2f}",
                photos,
                target=str(target),
                runs=_seeds(record),
                time=f"{_minutes(final['train_seconds'])} training",
                met=target.met(final["cse_minutes"]),
            )
        ]
    mirrored = res.get("mirrored", {}).get("all clocks")
    if mirrored:
        rows.append(
            Headline(
                "03_clock_reading",
                "... the generator-label reader on the mirrored rung (half mirror images, never "
                "trained on)",
                f"{mirrored['cse_minutes']:.1f}",
                runs=_seeds(record),
            )
        )
    return rows


def vae(record: Mapping[str, Any]) -> list[Headline]:
    res, rows = record["results"], []
    vae, ar, fvsbn = res.get("vae"), res.get("autoregressive"), res.get("fvsbn")
    if vae:
        rows.append(
            Headline(
                "04_vae",
                f"VAE as derived (factorised decoder): test -log p(x) <= (nats, k = "
                f"{vae['iwae_k']})",
                f"{vae['test_iwae_nats']:.2f}",
                anchors=f"IWAE paper's factorised VAE {vae['anchor_iwae_paper_vae_nats']}",
                target=(
                    f"mean < {vae['target_nats']:g}"
                    if "target_met" in vae
                    else f"<= {vae['target_nats']:g}"
                ),
                runs=_over_seeds(record, vae.get("iwae_spread"), 2),
                time=f"{_minutes(vae['train_seconds'])} training",
                met=vae.get("target_met", vae["test_iwae_nats"] <= vae["target_nats"]),
                judged=(
                    f"{vae['iwae_spread']['mean']:.3f}"
                    if "target_met" in vae and vae.get("iwae_spread")
                    else ""
                ),
            )
        )
    if ar:
        rows.append(
            Headline(
                "04_vae",
                f"... with an autoregressive decoder term (k = {ar['iwae_k']})",
                f"{ar['test_iwae_nats']:.2f}",
                anchors=(
                    f"the term alone (fully visible SBN, exact) {fvsbn['test_nll_nats']:.2f}"
                    if fvsbn
                    else ""
                ),
                runs=_over_seeds(record, ar.get("iwae_spread"), 2),
                time=f"{_minutes(ar['train_seconds'])} training",
            )
        )
    return rows


def _mean(spread: Mapping[str, Any] | None, value: float) -> float:
    """The mean over seeds when there is one, else the single run's value."""
    return float(spread["mean"]) if spread and int(spread.get("n", 1)) > 1 else value


def contrastive_vae(record: Mapping[str, Any]) -> list[Headline]:
    res = record["results"]
    contrastive, vae = res.get("contrastive"), res.get("vae")
    if not (contrastive and vae):
        return []
    k = res.get("knn_k", 5)
    salient, plain = contrastive.get("salient"), vae.get("plain")
    targets = profiles.targets("05_contrastive_vae")
    scores = res.get("test") or {}
    new = bool(scores)  # a record from before the probes has the digit's k-NN rows only
    rows = [
        Headline(
            "05_contrastive_vae",
            f"{contrastive['model']}: digit kNN accuracy (k = {k}), salient code",
            f"{contrastive['salient_knn_accuracy']:.3f}",
            anchors="Abid & Zou: digits separate (MNIST over grass)",
            target=str(targets["salient_digit_knn"]),
            runs=_over_seeds(record, salient, 3),
            time=f"{_minutes(contrastive['train_seconds'])} training",
            met=targets["salient_digit_knn"].met(
                _mean(salient, contrastive["salient_knn_accuracy"])
            ),
            judged=f"{_mean(salient, contrastive['salient_knn_accuracy']):.3f}",
        ),
    ]
    if new:
        for column, what in (
            ("background_digit_linear", "... its background code, linear digit probe"),
            ("background_texture_linear", "... its background code, linear texture probe"),
        ):
            spread = scores[column]
            rows.append(
                Headline(
                    "05_contrastive_vae",
                    what,
                    f"{spread['first']:.3f}",
                    target=str(targets[column]),
                    runs=_over_seeds(record, spread, 3),
                    met=targets[column].met(spread["mean"]),
                    judged=f"{spread['mean']:.3f}",
                )  # fmt: skip
            )
    rows.append(
        Headline(
            "05_contrastive_vae",
            "... a plain VAE's code",
            f"{vae['knn_accuracy']:.3f}",
            target=str(targets["plain_digit_knn"]),
            runs=_over_seeds(record, plain, 3),
            time=f"{_minutes(vae['train_seconds'])} training",
            met=targets["plain_digit_knn"].met(_mean(plain, vae["knn_accuracy"])),
            judged=f"{_mean(plain, vae['knn_accuracy']):.3f}",
        )
    )
    return rows


def _rows(stem: str) -> Callable[[Mapping[str, Any]], list[Headline]] | None:
    """The function making ``stem``'s headline rows: the one named after its manifest
    (:func:`labkit.profiles.name`), or None for a chapter without headline rows."""
    return globals().get(profiles.name(stem))


def headlines(records: Mapping[str, Mapping[str, Any]]) -> list[Headline]:
    """The headline rows of every chapter in ``records`` (stem -> metrics record), in order."""
    rows: list[Headline] = []
    for stem in profiles.chapters():
        make = _rows(stem)
        if make is not None and stem in records:
            rows.extend(make(records[stem]))
    return rows


def load(
    profile: str, reports: Path | None = None, *, complete: bool = False
) -> dict[str, dict[str, Any]]:
    """The metrics records of ``profile`` that exist, by chapter stem; with ``complete``, a
    chapter without one raises :class:`labkit.run_record.MetricsError` naming its file (the
    README's results table may not drop a chapter silently). An unreadable record always
    raises, naming its file."""
    paths = {
        stem: run_record.metrics_path(stem, profile, reports)
        for stem in profiles.chapters()
        if _rows(stem) is not None
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if complete and missing:
        raise run_record.MetricsError(
            f"no {profile} metrics for {len(missing)} chapter(s): {', '.join(missing)}; "
            f"`make run PROFILE={profile}` writes them"
        )
    return {stem: run_record.read(p, stem, profile) for stem, p in paths.items() if p.exists()}


COLUMNS = ("what", "ours", "reference report", "anchors", "target", "runs", "time")


def markdown(rows: list[Headline]) -> str:
    """The rows as a Markdown table (the README's)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        cells = (r.what, f"**{r.ours}**", r.reference, r.anchors, r.target, r.runs, r.time)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def verdicts(rows: list[Headline]) -> str:
    """One paragraph: which rows with a target meet it and which do not (each with its chapter
    and number), for the README under the table."""
    met = [r for r in rows if r.met is True]
    missed = [r for r in rows if r.met is False]

    def named(group: list[Headline]) -> str:
        """Rows of one verdict, one clause per chapter, so that a row continuing the one
        above it ("... its background code") follows it."""
        chapters: dict[str, list[str]] = {}
        for r in group:
            what = r.what.removeprefix("... ")
            number = f"mean {r.judged}" if r.judged else r.ours
            chapters.setdefault(r.chapter[:2], []).append(f"{what} ({number}; target {r.target})")
        return "; ".join(f"chapter {nn}: {', '.join(said)}" for nn, said in chapters.items())

    parts = []
    if met:
        parts.append("Met: " + named(met) + ".")
    if missed:
        parts.append("Not met: " + named(missed) + ".")
    return (" ".join(parts) + "\n") if parts else ""
