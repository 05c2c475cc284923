"""Seeds of a model: kept and read back by code, settings and seed; bounds and spreads."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.vae import model as vae_model
from labkit.vae import runs as vae_runs


def _data() -> np.ndarray:
    return (np.random.default_rng(0).random((128, 6)) < 0.3).astype("float32")


def test_train_seeds_keeps_each_fit_and_reads_it_back(tmp_path):
    x = _data()
    fits = []

    def fit(model, **settings):
        fits.append(model.seed)
        received.append(settings)
        return vae_model.train(model, x, **settings)

    def build(seed):
        return vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=seed)

    received: list[dict] = []
    args = dict(name="tiny", store_dir=tmp_path, sample=x[:1], epochs=2, batch_size=32)
    first = vae_runs.train_seeds(build, fit, [0, 1], **args)
    assert fits == [0, 1] and not any(r.loaded for r in first.values())
    again = vae_runs.train_seeds(build, fit, [0, 1, 2], **args)
    assert fits == [0, 1, 2]  # only the new seed trained
    assert again[0].loaded and again[1].loaded and not again[2].loaded
    assert again[0].history == first[0].history
    np.testing.assert_allclose(
        again[1].model.encoder.get_weights()[0], first[1].model.encoder.get_weights()[0]
    )
    # other settings (or other code) train afresh
    vae_runs.train_seeds(build, fit, [0], **{**args, "epochs": 3})
    assert fits == [0, 1, 2, 0]
    # the fit receives exactly the settings the key holds: a schedule is never left out
    vae_runs.train_seeds(build, fit, [0], **{**args, "epochs": 3, "cosine_decay": True})
    assert fits == [0, 1, 2, 0, 0] and received[-1]["cosine_decay"] is True
    assert received[0] == {"epochs": 2, "batch_size": 32}
    with pytest.raises(ValueError, match="seed"):
        vae_runs.train_seeds(build, fit, [], **args)


def test_bound_table_and_spread():
    x = _data()
    runs = vae_runs.train_seeds(
        lambda s: vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=s),
        lambda m, **fit: vae_model.train(m, x, **fit),
        [0, 1], name="t", store_dir=None, sample=x[:1], epochs=1, batch_size=32,
    )  # fmt: skip
    table = vae_runs.bound_table(runs, x[:20], k=10)
    assert list(table.index) == [0, 1]
    assert (table["iwae_nll"] <= table["elbo_nll"]).all()
    s = vae_runs.spread([3.0, 1.0, 2.0])
    assert s == {"first": 3.0, "mean": 2.0, "sd": 1.0, "n": 3}
    assert vae_runs.spread_text([3.0, 1.0, 2.0], digits=1) == "3.0 (mean 2.0 ± 1.0 over 3 seeds)"
    assert vae_runs.spread_text([3.0]) == "3.00 (one seed)"
    assert np.isnan(vae_runs.spread([1.0])["sd"])


def test_summary_table_and_last_epoch_gap():
    import pandas as pd

    table = pd.DataFrame(
        {"iwae_nll": [88.0, 89.0, 90.0], "elbo_nll": [92.0, 93.0, 94.0],
         "train_minutes": [10.0, 11.0, 12.0]}, index=[0, 1, 2],
    )  # fmt: skip
    row = vae_runs.summary_table({"m": table}).loc["m"]
    assert row["first"] == 88.0 and row["mean"] == 89.0 and row["sd"] == 1.0
    assert row["elbo_first"] == 92.0 and row["train_minutes"] == 11.0 and row["n"] == 3
    gap = vae_runs.last_epoch_gap({"val_loss": [5.0, 3.0, 4.0]})
    assert gap == {"best_epoch": 2, "epochs": 3, "gap": 1.0}
    assert vae_runs.last_epoch_gap({"val_loss": [5.0, 3.0]})["gap"] == 0.0
    with pytest.raises(ValueError, match="val_loss"):
        vae_runs.last_epoch_gap({"val_loss": []})


def test_bound_table_keeps_each_kept_fits_scores(tmp_path):
    x = _data()
    args = dict(name="t", store_dir=tmp_path, sample=x[:1], epochs=1, batch_size=32)
    runs = vae_runs.train_seeds(
        lambda s: vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=s),
        lambda m, **fit: vae_model.train(m, x, **fit), [0], **args,
    )  # fmt: skip
    first = vae_runs.bound_table(runs, x[:20], k=10, also=(5,), store_dir=tmp_path)
    assert {"iwae_nll", "iwae_nll_5", "elbo_nll"} <= set(first.columns)
    assert (tmp_path / "bounds.jsonl").is_file()
    runs[0].model.encoder.layers[-1].bias.assign(np.full(4, 3.0, "float32"))  # not re-scored:
    again = vae_runs.bound_table(runs, x[:20], k=10, also=(5,), store_dir=tmp_path)
    assert again.loc[0, "iwae_nll"] == first.loc[0, "iwae_nll"]  # read back by the fit's key
    other = vae_runs.bound_table(runs, x[:20], k=20, store_dir=tmp_path)  # another k: scored
    assert other.loc[0, "iwae_nll"] != first.loc[0, "iwae_nll"]
