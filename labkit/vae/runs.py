"""Several seeds of one model: trained once, kept, scored, and summarised as mean +- sd.

Chapters 04 and 05 report their headline models over seeds. A finished fit is kept (its weights
and history, under ``store_dir``) keyed on the code the fit reaches
(:data:`labkit.stores.VAE_FITS` or :data:`~labkit.stores.CVAE_FITS`), the model's settings, the
fit's settings and the data, so an interrupted chapter picks up at the seed it stopped at, and
a change to the model's code retrains.

* :func:`train_seeds`: build, fit (or read back) one model per seed.
* :func:`bound_table`: each seed's -ELBO and -IWAE bound on the same images (nats per image).
* :func:`spread`: the first seed's value beside the mean and standard deviation over seeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from .. import files
from ..cache import Store
from ..data import digest
from ..stores import VAE_BOUNDS, VAE_FITS
from .model import _MODEL_SETTINGS, bounds, train

__all__ = [
    "Run",
    "train_seeds",
    "vae_fit",
    "bound_table",
    "summary_table",
    "spread",
    "spread_text",
    "last_epoch_gap",
]


@dataclass
class Run:
    """One seed's model, its training history, the seconds its fit took (when it was trained;
    read back with it), whether it was ``loaded`` from the store rather than trained now, and
    its store ``key`` (None when nothing is kept): what its scores are kept under."""

    model: keras.Model
    history: dict[str, list[float]]
    seconds: float
    seed: int
    loaded: bool = False
    key: str | None = None


def _settings(model: keras.Model) -> dict[str, Any]:
    return {k: getattr(model, k) for k in _MODEL_SETTINGS if hasattr(model, k)}


def train_seeds(
    build: Callable[[int], keras.Model],
    fit: Callable[..., dict[str, list[float]]],
    seeds: Sequence[int],
    *,
    name: str,
    store_dir: Path | str | None,
    sample: np.ndarray,
    data: str | None = None,
    fits: Store = VAE_FITS,
    **settings: Any,
) -> dict[int, Run]:
    """For each seed: ``build(seed)``, then ``fit(model, **settings)`` (which returns the
    history), unless a fit of the same code (``fits``: :data:`labkit.stores.VAE_FITS`, or
    :data:`~labkit.stores.CVAE_FITS` for chapter 05's models), model settings, ``settings`` (the
    fit's: epochs, batch size, rates, schedule), ``data`` (a digest of the images ``fit``
    trains on) and seed is kept under ``store_dir`` (then its weights and history are read
    back). Every setting the fit receives is part of the key because it comes from here.
    ``sample`` (a few rows of input) builds the model's weights before loading. Without
    ``store_dir`` every seed trains and nothing is kept."""
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    runs: dict[int, Run] = {}
    table = Path(store_dir) / f"{name}.jsonl" if store_dir is not None else None
    for seed in seeds:
        model = build(seed)
        model(sample)  # build the weights
        key = fits.key(
            kind=type(model).__name__, model=_settings(model), seed=seed, data=data, **settings
        )
        weights = Path(store_dir) / f"{name}-seed{seed}-{key}.weights.h5" if store_dir else None
        kept = fits.rows(table).get(key) if table is not None else None
        if kept is not None and _loaded(model, weights):
            fits.reuse(kept)
            runs[seed] = Run(model, kept["history"], kept["seconds"], seed, True, key)
            continue
        t0 = time.perf_counter()
        history = fit(model, **settings)
        runs[seed] = Run(model, history, time.perf_counter() - t0, seed)
        if weights is not None and table is not None:
            runs[seed].key = key
            with files.atomic_path(weights) as tmp:
                model.save_weights(tmp)
            fits.write(
                table, key, {"seed": seed, "seconds": runs[seed].seconds, "history": history}
            )
    return runs


def _loaded(model: keras.Model, weights: Path | None) -> bool:
    """True when ``weights`` were read into ``model``; an unreadable file is set aside."""
    if weights is None:
        return False
    read = files.read_or_set_aside(
        weights, lambda p: model.load_weights(p) or True, what="weights file",
        then="the model is trained again",
    )  # fmt: skip
    return bool(read)


def vae_fit(
    x_train: np.ndarray, x_val: np.ndarray | None, backup_dir: str | None = None
) -> Callable[..., dict[str, list[float]]]:
    """A ``fit`` for :func:`train_seeds`: :func:`labkit.vae.model.train` on these images (their
    digest goes to :func:`train_seeds`' ``data``), with the settings :func:`train_seeds` passes
    (epochs, batch_size, learning_rate, cosine_decay) and its backups under ``backup_dir``."""
    return lambda model, **fit: train(model, x_train, x_val, backup_dir=backup_dir, **fit)


def last_epoch_gap(history: Mapping[str, Sequence[float]], key: str = "val_loss") -> dict:
    """Where a fit's validation loss was lowest: ``best_epoch`` (1-based), ``epochs`` and
    ``gap``, the last epoch's loss minus the lowest (0 when the last epoch is the best; a large
    gap means the fit overfitted and fewer epochs, chosen on validation, would do better)."""
    values = np.asarray(history[key], float)
    if values.size == 0:
        raise ValueError(f"the history has no {key!r} values")
    best = int(values.argmin())
    return {"best_epoch": best + 1, "epochs": int(values.size),
            "gap": float(values[-1] - values[best])}  # fmt: skip


def bound_table(
    runs: Mapping[int, Run],
    x: np.ndarray,
    k: int,
    *,
    seed: int = 0,
    binary: bool = True,
    also: Sequence[int] = (),
    store_dir: Path | str | None = None,
) -> pd.DataFrame:
    """Each run's bounds on rows ``x`` with ``k`` importance samples (the same draws' seed for
    every run), one row per model seed: ``elbo_nll`` and ``iwae_nll`` (-ELBO and -IWAE bound),
    ``kl`` and ``reconstruction`` (the -ELBO's parts; NaN KL without a closed form), in nats per
    image, with ``train_minutes`` and ``bound_seconds``; for each m in ``also``, ``iwae_nll_<m>``,
    the bound with m samples from the same draws (:func:`labkit.vae.model.bounds`).

    With ``store_dir`` a run that was kept (its ``key``) has its row kept too
    (``bounds.jsonl``, :data:`labkit.stores.VAE_BOUNDS`, keyed on the fit, k, ``also``, the
    draws' seed and the rows' digest), so scoring the same fit again reads the numbers back."""
    rows = {}
    table = Path(store_dir) / "bounds.jsonl" if store_dir is not None else None
    for model_seed, run in runs.items():
        key = None
        if table is not None and run.key is not None:
            key = VAE_BOUNDS.key(fit=run.key, k=k, also=sorted(also), seed=seed,
                                 binary=binary, rows=digest(x))  # fmt: skip
            kept = VAE_BOUNDS.rows(table).get(key)
            if kept is not None:
                rows[model_seed] = {**VAE_BOUNDS.reuse(kept)["bounds"],
                                    "train_minutes": run.seconds / 60}  # fmt: skip
                continue
        t0 = time.perf_counter()
        b = bounds(run.model, x, k=k, seed=seed, binary=binary, also=also)
        s = b.summary()
        row = {
            "elbo_nll": s["elbo_nll_nats"],
            "iwae_nll": s["iwae_nll_nats"],
            "kl": s["kl_nats"],
            "reconstruction": s["reconstruction_nats"],
            **{f"iwae_nll_{m}": float(-v.mean()) for m, v in sorted(b.iwae_at.items())},
            "bound_seconds": time.perf_counter() - t0,
        }
        if key is not None and table is not None:
            VAE_BOUNDS.write(table, key, {"seconds": row["bound_seconds"], "bounds": row})
        rows[model_seed] = {**row, "train_minutes": run.seconds / 60}
    return pd.DataFrame(rows).T.rename_axis("seed")


def summary_table(tables: Mapping[str, pd.DataFrame], column: str = "iwae_nll") -> pd.DataFrame:
    """One row per model from its :func:`bound_table`: ``first`` (the first seed's ``column``),
    ``mean``, ``sd`` and ``n`` over the seeds (:func:`spread`), the first seed's
    ``elbo_nll`` and the mean ``train_minutes`` of one seed."""
    rows = {}
    for name, table in tables.items():
        rows[name] = {
            **spread(table[column]),
            "elbo_first": float(table["elbo_nll"].iloc[0]),
            "train_minutes": float(table["train_minutes"].mean()),
        }
    return pd.DataFrame(rows).T


def spread(values: Sequence[float] | pd.Series) -> dict[str, float]:
    """``first`` (the first seed's value, the headline), ``mean``, ``sd`` (ddof 1; NaN for one
    seed) and ``n`` of per-seed values."""
    v = np.asarray(values, float)
    if v.size == 0:
        raise ValueError("spread needs at least one value")
    sd = float(v.std(ddof=1)) if v.size > 1 else float("nan")
    return {"first": float(v[0]), "mean": float(v.mean()), "sd": sd, "n": int(v.size)}


def spread_text(values: Sequence[float] | pd.Series, digits: int = 2) -> str:
    """``"88.12 (mean 88.30 ± 0.15 over 3 seeds)"``; one seed gives the value alone."""
    s = spread(values)
    if s["n"] == 1:
        return f"{s['first']:.{digits}f} (one seed)"
    return (
        f"{s['first']:.{digits}f} (mean {s['mean']:.{digits}f} ± {s['sd']:.{digits}f} "
        f"over {s['n']} seeds)"
    )
