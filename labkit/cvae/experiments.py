"""Chapter 05's experiments: models over seeds, their codes' separation, and a curve over
opacities.

* :func:`train_plain` / :func:`train_contrastive`: seeds of a plain or a contrastive VAE on
  composites, trained once and kept (:func:`labkit.vae.runs.train_seeds`).
* :class:`FitJob` / :func:`make_fits`: fits described as data, made several at a time in their
  own processes (:mod:`labkit.workers`), then read back.
* :func:`separation_rows`: digit kNN accuracy and silhouette of each code of each model,
  fitted on one set of codes and scored on another (validation or test targets).
* :func:`seed_data`: one seed's composites (its split, crops and draws; test digits never looked
  at), :func:`grid`: the variants with their penalty weights to choose among, :func:`choose`.
* :func:`opacity_curve`: the plain VAE's and a contrastive model's codes over digit opacities
  and seeds, at the headline budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import repro, workers
from ..classifiers.models import resolve_precision
from ..data import digest, split
from ..stores import CVAE_FITS
from ..vae import runs as vae_runs
from . import data as cvae_data
from .model import ContrastiveVAE, GaussianVAE, codes, decode, separation, train
from .probes import background_error, probe, probe_table, what_made

__all__ = [
    "LOOK",
    "look_of",
    "train_plain",
    "train_contrastive",
    "FitJob",
    "make_fits",
    "separation_rows",
    "DATA_SEED",
    "SeedData",
    "seed_data",
    "grid",
    "choose",
    "penalty_arms",
    "score_seed",
    "opacity_curve",
    "curve_text",
]

#: The settings of :func:`labkit.cvae.data.composite` a profile holds (besides the opacity).
LOOK = ("gradient", "shading", "contrast", "brightness")


def look_of(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The composites' look from a profile: its :data:`LOOK` settings."""
    return {key: cfg[key] for key in LOOK}


def precision_of(cfg: Mapping[str, Any]) -> str:
    """The models' arithmetic in training from a profile's ``precision`` (float32 when it has
    none; "auto": mixed bfloat16 where the CPU has bfloat16 instructions)."""
    return resolve_precision(cfg.get("precision", "float32"))


def _fit_settings(cfg: Mapping[str, Any], epochs: int | None = None) -> dict[str, Any]:
    return {
        "epochs": int(epochs if epochs is not None else cfg["epochs"]),
        "batch_size": cfg["batch"],
        "learning_rate": cfg["learning_rate"],
        "cosine_decay": cfg["cosine_decay"],
    }


def train_plain(
    x: np.ndarray,
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    *,
    store_dir: Path | str | None,
    name: str = "plain",
    epochs: int | None = None,
) -> dict[int, vae_runs.Run]:
    """A plain :class:`GaussianVAE` with ``salient_dim + background_dim`` latent dimensions on
    target rows ``x``, one per seed (kept under ``store_dir``)."""
    fit = _fit_settings(cfg, epochs)
    latent = cfg["salient_dim"] + cfg["background_dim"]
    backup = str(store_dir) if store_dir is not None else None
    precision = precision_of(cfg)
    return vae_runs.train_seeds(
        lambda s: GaussianVAE(latent_dim=latent, hidden=cfg["hidden"], conv=cfg["conv"], seed=s,
                              precision=precision),  # fmt: skip
        lambda m, **settings: train(m, x, **settings, backup_dir=backup),
        seeds, name=name, store_dir=store_dir, sample=x[:1], data=digest(x), fits=CVAE_FITS,
        **fit,
    )  # fmt: skip


def train_contrastive(
    x: np.ndarray,
    b: np.ndarray,
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    store_dir: Path | str | None,
    name: str,
    epochs: int | None = None,
) -> dict[int, vae_runs.Run]:
    """A :class:`ContrastiveVAE` with ``options`` on targets ``x`` and backgrounds ``b``, one
    per seed (kept under ``store_dir``)."""
    fit = _fit_settings(cfg, epochs)
    backup = str(store_dir) if store_dir is not None else None

    precision = precision_of(cfg)

    def build(seed: int) -> ContrastiveVAE:
        return ContrastiveVAE(
            salient_dim=cfg["salient_dim"], background_dim=cfg["background_dim"],
            hidden=cfg["hidden"], conv=cfg["conv"], seed=seed, precision=precision, **options,
        )  # fmt: skip

    return vae_runs.train_seeds(
        build,
        lambda m, **settings: train(m, x, b, **settings, backup_dir=backup),
        seeds, name=name, store_dir=store_dir, sample=(x[:1], b[:1]), data=digest(x, b),
        fits=CVAE_FITS, **fit,
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class FitJob:
    """One fit a chapter asks for, as data another process can make: a ``"plain"`` or
    ``"contrastive"`` VAE (with ``options``), stored under ``name`` for ``seed``, trained on
    targets ``x`` (and backgrounds ``b``) with a profile's settings."""

    kind: str
    name: str
    seed: int
    x: np.ndarray
    b: np.ndarray | None = None
    options: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("plain", "contrastive"):
            raise ValueError(f"kind must be 'plain' or 'contrastive', got {self.kind!r}")
        if (self.kind == "contrastive") != (self.b is not None):
            raise ValueError("a contrastive fit needs backgrounds b; a plain one takes none")

    def make(self, cfg: Mapping[str, Any], store_dir: Path | str | None) -> vae_runs.Run:
        """Train the fit, or read it back when it is kept under ``store_dir``."""
        if self.kind == "plain":
            runs = train_plain(self.x, [self.seed], cfg, store_dir=store_dir, name=self.name)
        else:
            runs = train_contrastive(self.x, self.b, [self.seed], cfg, self.options or {},
                                     store_dir=store_dir, name=self.name)  # fmt: skip
        return runs[self.seed]


def make_fits(
    jobs: Mapping[Any, FitJob], cfg: Mapping[str, Any], *, store_dir: Path | str | None
) -> dict[Any, vae_runs.Run]:
    """Each job's run, by the same label. With ``store_dir`` and ``cfg["fit_workers"]`` above 1,
    the fits are first made that many at a time, each in its own process on one TensorFlow
    thread (:func:`labkit.workers.run`; a kept fit is only read back there), then read back
    here in order, a fit made there counted as trained in this run (``loaded`` False);
    otherwise they are made here one after another. Each fit draws from its own seed
    (:func:`labkit.repro.seed_everything`) wherever it is made."""
    plain_cfg = dict(cfg)  # a profile's read-only mapping does not pickle
    done: list[workers.Done] = []
    if store_dir is not None:
        calls = [workers.Call(job.make, (plain_cfg, store_dir), seed=job.seed,
                              label=f"{job.name}, seed {job.seed}")
                 for job in jobs.values()]  # fmt: skip
        done = workers.run(calls, int(cfg.get("fit_workers", 1)))
    runs = {}
    for i, (label, job) in enumerate(jobs.items()):
        repro.seed_everything(job.seed)
        runs[label] = job.make(plain_cfg, store_dir)
        if done and done[i].made:
            runs[label].loaded = False
    return runs


def separation_rows(
    models: Mapping[str, Any],
    fit_x: np.ndarray,
    fit_labels: np.ndarray,
    eval_x: np.ndarray,
    eval_labels: np.ndarray,
    *,
    k: int = 5,
) -> pd.DataFrame:
    """Per model and code (rows (model, code); a contrastive model has ``s`` and ``z``, a plain
    one ``z``): ``knn_accuracy`` (a k-NN classifier of the digit fitted on the codes of
    ``fit_x`` and scored on those of ``eval_x``) and ``silhouette`` of the ``eval_x`` codes."""
    rows = {}
    for name, model in models.items():
        fit, held_out = codes(model, fit_x), codes(model, eval_x)
        for part in fit:
            rows[(name, part)] = separation(fit[part], fit_labels, held_out[part], eval_labels,
                                            k=k)  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis(["model", "code"])


#: Composites of chapter 05 are drawn from data seeds at and above this one: seeds that no
#: earlier version of the chapter drew (those used 0 to 3), so no choice has seen them.
DATA_SEED = 1_000


@dataclass(frozen=True)
class SeedData:
    """One seed's composites: ``train`` and ``val`` from that seed's split of the MNIST training
    digits, and ``test`` from training digits outside the split (never looked at: the MNIST
    test digits were, while the chapter was built). ``index`` holds the three parts' positions
    in the digits given."""

    seed: int
    train: cvae_data.Composite
    val: cvae_data.Composite
    test: cvae_data.Composite
    index: Mapping[str, np.ndarray]


def seed_data(
    images: np.ndarray,
    labels: np.ndarray,
    cfg: Mapping[str, Any],
    seed: int,
    *,
    opacity: float | None = None,
) -> SeedData:
    """The composites of seed ``seed``: a stratified split of ``images`` (MNIST's training
    digits) into ``cfg["train"]`` and ``cfg["val"]`` digits, ``cfg["test"]`` further digits drawn
    from the rest, each painted at ``opacity`` (default ``cfg["opacity"]``) over crops drawn from
    data seeds ``DATA_SEED + 10 seed`` (+1, +2): the seed varies the digits, the crops and the
    draws. The same seed gives the same crops at every opacity."""
    parts = split(images, labels, val=cfg["val"], subset=cfg["train"] + cfg["val"],
                  stratify=True, seed=seed)  # fmt: skip
    rest = np.setdiff1d(np.arange(len(labels)), np.concatenate(list(parts.index.values())))
    if len(rest) < cfg["test"]:
        raise ValueError(f"only {len(rest)} digits are left for {cfg['test']} test digits")
    fresh = np.sort(np.random.default_rng(DATA_SEED + seed).choice(rest, cfg["test"], False))
    digits = {"train": (parts.x_train, parts.y_train), "val": (parts.x_val, parts.y_val),
              "test": (images[fresh], labels[fresh])}  # fmt: skip
    look = look_of(cfg)
    paint = cfg["opacity"] if opacity is None else opacity
    made = {
        part: cvae_data.composite(
            *digits[part], seed=DATA_SEED + 10 * seed + i, opacity=paint, **look
        )  # fmt: skip
        for i, part in enumerate(("train", "test", "val"))
    }
    index = {"train": parts.index["train"], "val": parts.index["val"], "test": fresh}
    return SeedData(seed, made["train"], made["val"], made["test"], index)


def grid(cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The contrastive models compared on validation: each variant of ``cfg["variants"]``,
    and for each variant named in ``cfg["penalty_grid"]`` (name -> (option, weights)) one
    model per weight, named ``"<variant>, <option> = <weight>"``."""
    out: dict[str, dict[str, Any]] = {}
    for name, options in cfg["variants"].items():
        if name not in cfg.get("penalty_grid", {}):
            out[name] = dict(options)
            continue
        option, weights = cfg["penalty_grid"][name]
        for weight in weights:
            out[f"{name}, {option} = {weight:g}"] = {**options, option: float(weight)}
    return out


def choose(separation: pd.DataFrame, models: Sequence[str]) -> str:
    """Among ``models`` (rows of :func:`separation_rows` on validation), the one whose salient
    code's k-NN digit accuracy is highest."""
    salient = separation.xs("s", level="code")["knn_accuracy"].loc[list(models)]
    return str(salient.idxmax())


def penalty_arms(
    made: Mapping[int, SeedData],
    candidates: Mapping[str, Mapping[str, Any]],
    arms: Sequence[str],
    cfg: Mapping[str, Any],
    *,
    store_dir: Path | str | None,
) -> pd.DataFrame:
    """Each of ``arms`` (names of ``candidates``: a variant without its penalty, and each
    penalty at its chosen weight) trained on every seed's composites of ``made`` and judged
    on that seed's validation targets: rows (``arm``, ``seed``) with ``salient_knn`` (the
    salient code's 5-NN digit accuracy, as :func:`separation_rows` scores it) and
    ``train_seconds``. A fit is stored as its candidate's (``variant<i>``), so the first
    seed's are the candidates' own fits, read back; the rest go through :func:`make_fits`."""
    stored_as = {name: f"variant{i}" for i, name in enumerate(candidates)}
    jobs = {}
    for arm in arms:
        for seed, data in made.items():
            x, b = data.train.flat()
            jobs[arm, seed] = FitJob("contrastive", stored_as[arm], seed, x, b, candidates[arm])
    rows = []
    for (arm, seed), run in make_fits(jobs, cfg, store_dir=store_dir).items():
        data = made[seed]
        fit, held = codes(run.model, data.train.flat()[0]), codes(run.model, data.val.flat()[0])
        score = separation(fit["s"], data.train.labels, held["s"], data.val.labels)
        rows.append({"arm": arm, "seed": int(seed), "salient_knn": score["knn_accuracy"],
                     "train_seconds": float(run.seconds)})  # fmt: skip
    return pd.DataFrame(rows)


def score_seed(
    plain: Any, contrastive: Any, made: SeedData, *, k: int = 5, reference_rows: int = 5_000
) -> dict[str, Any]:
    """The test of one seed, on ``made.test`` (never looked at), every probe fitted on the
    training composites' codes (posterior means):

    * ``probes``: rows (model, code, target) with ``linear``, ``knn``, ``chance``, ``measure``
      (:func:`labkit.cvae.probes.probe_table`) for the contrastive model's s and z, the
      plain VAE's code and, as a reference, the true background layer's own pixels (model
      ``pixels``, code ``layer``; fitted on the first ``reference_rows`` training rows): what
      the layer itself lets each probe read;
    * ``silhouette``: the digits' silhouette score of each code on the test codes;
    * ``background_rmse``: how far from the true background layer under each test digit lie
      the contrastive model's background image (decoded from z alone), the plain VAE's
      reconstruction, the mean training background layer and the target itself (grey levels)."""
    from sklearn.metrics import silhouette_score

    x, _ = made.train.flat()
    x_test, _ = made.test.flat()
    fit_made, test_made = what_made(made.train), what_made(made.test)
    tables, silhouettes, held_z = {}, {}, {}
    for name, model in (("contrastive", contrastive), ("plain", plain)):
        fit, held = codes(model, x), codes(model, x_test)
        held_z[name] = held["z"]
        tables[name] = probe_table(fit, fit_made, held, test_made, k=k)
        for part, c in held.items():
            n = min(len(c), 5_000)
            score = silhouette_score(c, made.test.labels, sample_size=n, random_state=made.seed)
            silhouettes[f"{name} {part}"] = float(score)
    layer = made.test.target_backgrounds
    mean_layer = made.train.target_backgrounds.mean(axis=0)
    errors = {
        "contrastive: background image from z": background_error(
            decode(contrastive, held_z["contrastive"]), layer
        ),
        "plain VAE: its reconstruction": background_error(decode(plain, held_z["plain"]), layer),
        "the mean training background layer": background_error(
            np.broadcast_to(mean_layer, layer.shape), layer
        ),
        "the target itself (its digit's paint)": background_error(made.test.targets, layer),
    }
    # A reference: the same probes on the true background layer's own pixels (what an ideal
    # background code could offer them), fitted on at most `reference_rows` training rows.
    n = min(reference_rows, len(x))
    pixels = {"layer": made.train.target_backgrounds.reshape(len(x), -1)[:n]}
    tables["pixels"] = probe_table(
        pixels, {t: v[:n] for t, v in fit_made.items()},
        {"layer": layer.reshape(len(x_test), -1)}, test_made, k=k,
    )  # fmt: skip
    probes = pd.concat(tables, names=["model"])
    return {"probes": probes, "silhouette": silhouettes, "background_rmse": errors}


def opacity_curve(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    opacities: Sequence[float],
    seeds: Sequence[int],
    cfg: Mapping[str, Any],
    options: Mapping[str, Any],
    store_dir: Path | str | None,
    headline: Mapping[int, tuple[Any, Any]] | None = None,
) -> pd.DataFrame:
    """For each opacity and seed: that seed's composites (:func:`seed_data`) painted at that
    opacity, a plain VAE and a contrastive VAE with ``options`` trained on them at the
    headline budget (``cfg["epochs"]``, all ``cfg["train"]`` digits; every fit of the curve
    through one :func:`make_fits`, so ``cfg["fit_workers"]`` at a time), and one row (``opacity``,
    ``seed``) with ``background_share`` (of the validation targets' pixel variance),
    ``train_seconds`` (its two fits' first-measured seconds; 0 where it reuses the headline
    runs) and the
    digit's k-NN and linear probe accuracies on the validation targets of the plain VAE's code
    (``plain_knn``, ``plain_linear``), the salient code (``salient_*``) and the background
    code (``background_*``). ``headline`` (seed -> (plain model, contrastive model) at
    ``cfg["opacity"]``) reuses the headline runs for that opacity."""
    if not opacities or not seeds:
        raise ValueError("opacity_curve needs at least one opacity and one seed")
    points = [(float(o), int(s)) for o in opacities for s in seeds]
    reused = {p for p in points
              if headline is not None and p[0] == cfg["opacity"] and p[1] in headline}  # fmt: skip
    made_at = {p: seed_data(images, labels, cfg, p[1], opacity=p[0]) for p in points}
    jobs = {}
    for opacity, seed in (p for p in points if p not in reused):
        tag = f"opacity{opacity:.2f}"
        x, b = made_at[opacity, seed].train.flat()
        jobs[opacity, seed, "plain"] = FitJob("plain", f"curve-plain-{tag}", seed, x)
        jobs[opacity, seed, "contrastive"] = FitJob(
            "contrastive", f"curve-contrastive-{tag}", seed, x, b, options
        )
    runs = make_fits(jobs, cfg, store_dir=store_dir)
    rows = []
    for opacity, seed in points:
        made = made_at[opacity, seed]
        x, _ = made.train.flat()
        x_val, _ = made.val.flat()
        seconds = 0.0  # the curve's own training (first measured; 0 for headline runs)
        if (opacity, seed) in reused:
            plain, contrastive = headline[seed]
        else:
            plain_run = runs[opacity, seed, "plain"]
            contrastive_run = runs[opacity, seed, "contrastive"]
            plain, contrastive = plain_run.model, contrastive_run.model
            seconds = plain_run.seconds + contrastive_run.seconds
        share = cvae_data.variance_share(made.val.targets, made.val.target_backgrounds)
        row = {"opacity": float(opacity), "seed": int(seed), "background_share": share,
               "train_seconds": float(seconds)}  # fmt: skip
        fits = {"plain": codes(plain, x), "contrastive": codes(contrastive, x)}
        helds = {"plain": codes(plain, x_val), "contrastive": codes(contrastive, x_val)}
        for label, model, part in (("plain", "plain", "z"), ("salient", "contrastive", "s"),
                                   ("background", "contrastive", "z")):  # fmt: skip
            fit, held = fits[model][part], helds[model][part]
            scores = probe(fit, made.train.labels, held, made.val.labels, kind="class")
            row[f"{label}_knn"], row[f"{label}_linear"] = scores["knn"], scores["linear"]
        rows.append(row)
    return pd.DataFrame(rows)


def curve_text(curve: pd.DataFrame, headline_opacity: float) -> str:
    """What :func:`opacity_curve`'s table says: each code's digit accuracy (k-NN and linear)
    over the opacities, the salient code's lead over the plain VAE's at each opacity with its
    spread over seeds, and where the plain VAE leads, if anywhere."""
    by_opacity = curve.groupby("opacity")
    mean, sd = by_opacity.mean(), by_opacity.std(ddof=1)
    gap = curve.assign(lead=curve["salient_knn"] - curve["plain_knn"]).groupby("opacity")["lead"]
    lead_mean, lead_sd = gap.mean(), gap.std(ddof=1)
    n = int(by_opacity.size().min())
    ahead = [o for o in lead_mean.index if n > 1 and lead_mean[o] - 2 * lead_sd[o] > 0]
    behind = [o for o in lead_mean.index if n > 1 and lead_mean[o] + 2 * lead_sd[o] < 0]
    within = [o for o in lead_mean.index if o not in ahead and o not in behind]

    def span(column: str) -> str:
        return f"{mean[column].min():.3f}-{mean[column].max():.3f}"

    leads = "; ".join(
        f"{lead_mean[o]:+.3f} ± {np.nan_to_num(lead_sd[o]):.3f} at {o:g}"
        + (" (the headline's)" if o == headline_opacity else "")
        for o in lead_mean.index
    )
    return (
        f"Over opacities {mean.index.min():g} to {mean.index.max():g} ({n} seeds each, the "
        f"headline's budget), the salient code's digit accuracy ranges {span('salient_knn')} by "
        f"k-NN and {span('salient_linear')} by the linear probe; the plain VAE's "
        f"{span('plain_knn')} and {span('plain_linear')}; the background code's "
        f"{span('background_knn')} and {span('background_linear')}. The salient code's k-NN lead "
        f"over the plain VAE's (mean ± sd over seeds): {leads}. "
        + _where("The salient code leads by more than two sd at", ahead)
        + _where("The plain VAE leads by more than two sd at", behind)
        + _where(
            "The difference is within two sd of the seeds' spread (not decided at "
            f"{n} seed{'s' if n > 1 else ''}) at",
            within,
        )
        + f"The salient code's k-NN accuracy varies by at most {sd['salient_knn'].max():.3f} "
        "(sd) between seeds."
    )


def _where(sentence: str, opacities: Sequence[float]) -> str:
    if not opacities:
        return ""
    return f"{sentence} opacity {', '.join(f'{o:g}' for o in opacities)}. "
