"""The Keras VAE on tiny data: its loss is the negative ELBO, and its bounds bracket log p(x),
checked against log p(x) integrated numerically over a 2-D latent space."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labkit import PACKAGE_DIR, stores
from labkit.vae import derivation as vae
from labkit.vae import model as vae_model


def _tiny() -> vae_model.VAE:
    keras.utils.set_random_seed(0)
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    model(np.zeros((1, 6), "float32"))  # build
    # q(z | x) = N(0, 2 I) for every x: wider than the prior, so the importance weights
    # p(x, z) / q(z | x) are bounded and k samples pin log p(x) down tightly. (An untrained
    # encoder's narrow q gives heavy-tailed weights that converge far more slowly.)
    last = model.encoder.layers[-1]
    last.kernel.assign(np.zeros(last.kernel.shape, "float32"))
    last.bias.assign(np.array([0, 0, np.log(2), np.log(2)], "float32"))
    return model


@pytest.fixture(scope="module")
def tiny() -> vae_model.VAE:
    return _tiny()


def _binary(n: int, d: int = 6, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, d)) < 0.3).astype("float32")


def test_flatten_and_binarise():
    images = np.full((3, 28, 28), 255, np.uint8)
    images[:, :14] = 0
    x = vae_model.flatten(images)
    assert x.shape == (3, 784) and x.dtype == np.float32 and x.max() == 1.0
    b = vae_model.binarize(x, seed=0)
    np.testing.assert_array_equal(b, x)  # 0 and 1 stay; the draw only matters in between
    grey = np.full((2000, 784), 0.25, np.float32)
    assert vae_model.binarize(grey, 1).mean() == pytest.approx(0.25, abs=0.01)
    np.testing.assert_array_equal(vae_model.binarize(grey, 1), vae_model.binarize(grey, 1))
    with pytest.raises(ValueError, match="0..1 scale"):
        vae_model.binarize(images.astype(float), 0)


def test_model_rejects_bad_sizes():
    with pytest.raises(ValueError, match="latent_dim"):
        vae_model.VAE(latent_dim=0)


def test_the_constructor_does_not_shadow_binarise():
    model = vae_model.VAE(data_dim=4, latent_dim=1, hidden=(2,), dynamic_binarization=False)
    assert model.dynamic_binarization is False and callable(vae_model.binarize)
    assert model.get_config()["dynamic_binarization"] is False


def _exact_log_marginal(model: vae_model.VAE, x: np.ndarray) -> np.ndarray:
    """log p(x) = log sum_grid p(x | z) p(z) dz on a fine 2-D grid over [-7, 7]^2."""
    side = np.linspace(-7, 7, 561)
    step = side[1] - side[0]
    z = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
    logits = keras.ops.convert_to_numpy(model.decoder(z.astype("float32"))).astype(float)
    log_lik = x @ logits.T - np.logaddexp(0, logits).sum(axis=1)  # (n, grid)
    log_prior = vae.log_normal_diag(z, 0.0, np.ones(2))
    from scipy.special import logsumexp

    return logsumexp(log_lik + log_prior, axis=1) + 2 * np.log(step)


def test_bounds_bracket_the_exact_log_likelihood(tiny):
    x = _binary(20)
    exact = _exact_log_marginal(tiny, x)
    few = vae_model.bounds(tiny, x, k=1, seed=0)
    many = vae_model.bounds(tiny, x, k=5_000, seed=0, max_rows=20_000)
    assert np.all(many.elbo < exact + 0.05)  # the ELBO is a lower bound (+ Monte-Carlo slack)
    np.testing.assert_allclose(many.iwae, exact, atol=0.06)  # and IWAE closes the gap
    assert many.iwae.mean() == pytest.approx(exact.mean(), abs=0.015)
    assert (exact - many.elbo).mean() > 0.3  # which the ELBO leaves open for this q
    assert np.all(many.iwae >= many.elbo)
    # ELBO = E[log p(x|z)] - KL(q || p(z)) with the KL exact: the pieces add up
    np.testing.assert_allclose(many.elbo, many.log_lik - many.kl, atol=0.15)
    assert few.k == 1 and np.allclose(few.iwae, few.elbo)
    summary = many.summary()
    assert summary["iwae_nll_nats"] == pytest.approx(-exact.mean(), abs=0.015)
    assert summary["elbo_nll_nats"] >= summary["iwae_nll_nats"] > 0


def test_log_weights_are_log_lik_plus_log_prior_minus_log_q(tiny):
    """The Keras log-weights against labkit.vae's NumPy densities: the closed-form KL, and the
    prior-minus-q part of log w, whose mean over q is -KL."""
    x = _binary(5)
    noise = keras.random.SeedGenerator(4)
    lw = tiny.log_weights(keras.ops.convert_to_tensor(x), k=3, seed=noise)
    log_w, log_lik = (keras.ops.convert_to_numpy(t).astype(float) for t in (lw.log_w, lw.log_lik))
    assert log_w.shape == log_lik.shape == (3, 5)
    mean, log_var = vae_model.encode(tiny, x)
    var = np.exp(log_var)
    kl = keras.ops.convert_to_numpy(lw.kl)
    np.testing.assert_allclose(kl, vae.kl_gaussian_diag(mean, var), rtol=1e-5)
    # E_q[log p(z) - log q(z | x)] = -KL: the log-weights' prior-minus-q part averages to it
    many = tiny.log_weights(keras.ops.convert_to_tensor(x), k=20_000, seed=noise)
    gap = keras.ops.convert_to_numpy(many.log_w - many.log_lik).astype(float).mean(axis=0)
    np.testing.assert_allclose(gap, -kl, atol=0.05)


class _Known:
    """A stand-in model whose log-weights are given: bounds needs nothing else."""

    def __init__(self, log_w: np.ndarray) -> None:
        self.table = np.asarray(log_w, "float32")  # (k, n)

    def log_weights(self, x, k, seed=None):
        rows = keras.ops.convert_to_numpy(x)[:, 0].astype(int)  # x's first pixel: the image id
        log_w = self.table[:k, rows]
        return vae_model.LogWeights(log_w=log_w, log_lik=log_w - 1.0, kl=None)


def test_bounds_need_only_the_log_weight_method():
    table = np.log(np.array([[1.0, 4.0], [3.0, 0.5]]))  # k = 2 samples, n = 2 images
    x = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")  # first pixel: image 0, image 1
    b = vae_model.bounds(_Known(table), x, k=2, max_rows=2)  # one image per chunk
    np.testing.assert_allclose(b.elbo, table.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(b.iwae, np.log([2.0, 2.25]), rtol=1e-6)  # log of mean weight
    np.testing.assert_allclose(b.log_lik, b.elbo - 1.0, rtol=1e-6)
    assert np.isnan(b.kl).all()  # no closed form given
    loss = vae_model.negative_elbo(vae_model.LogWeights(table, table - 1.0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss), -table.mean(axis=0), rtol=1e-6)


def test_bounds_do_not_depend_on_the_chunking(tiny):
    x = _binary(7)
    a = vae_model.bounds(tiny, x, k=10, seed=3, max_rows=10)  # one image per chunk
    b = vae_model.bounds(tiny, x, k=10, seed=3, max_rows=10_000)
    assert np.isclose(a.iwae.mean(), b.iwae.mean(), atol=1.0)  # same law, different draws
    assert len(a.iwae) == len(b.iwae) == 7


def test_bounds_reject_bad_input(tiny):
    with pytest.raises(ValueError, match="k must be >= 1"):
        vae_model.bounds(tiny, _binary(2), k=0)
    with pytest.raises(ValueError, match="binary images"):
        vae_model.bounds(tiny, np.full((2, 6), 0.5), k=2)


def test_the_training_loss_is_the_negative_elbo():
    tiny = _tiny()
    x = _binary(4_000, seed=1)
    tiny.compile(optimizer="adam")
    loss = tiny.evaluate(x, batch_size=4_000, verbose=0)
    elbo = vae_model.bounds(tiny, x, k=1, seed=0).elbo.mean()
    assert loss == pytest.approx(-elbo, abs=0.1)


def test_training_improves_the_elbo_and_resumes(tmp_path):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    protos = rng.random((2, 6)) < 0.5  # two binary prototypes with a few flipped pixels
    x = (protos[rng.integers(0, 2, 2_000)] ^ (rng.random((2_000, 6)) < 0.05)).astype("float32")
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(16,), seed=1)
    before = vae_model.bounds(model, x[:500], k=1).elbo.mean()
    hist = vae_model.train(model, x, x[:500], epochs=3, batch_size=64, backup_dir=str(tmp_path))
    after = vae_model.bounds(model, x[:500], k=1).elbo.mean()
    assert set(hist) == {"loss", "val_loss"} and len(hist["loss"]) == 3
    assert after > before + 0.3
    assert hist["loss"][-1] < hist["loss"][0]
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        vae_model.train(model, x, epochs=0)


def test_encode_decode_shapes(tiny):
    mean, log_var = vae_model.encode(tiny, _binary(5), batch_size=2)
    assert mean.shape == log_var.shape == (5, 2)
    model_mean, model_log_var = tiny.encode(_binary(5))
    np.testing.assert_allclose(log_var, keras.ops.convert_to_numpy(model_log_var), rtol=1e-6)
    np.testing.assert_allclose(log_var, np.log(2), rtol=1e-6)  # q = N(0, 2 I) in the fixture
    square = vae_model.VAE(data_dim=16, latent_dim=2, hidden=(4,))
    images = vae_model.decode(square, np.zeros((3, 2)))
    assert images.shape == (3, 4, 4) and 0 <= images.min() <= images.max() <= 255


def test_saved_model_round_trips(tiny, tmp_path):
    path = tmp_path / "vae.keras"
    tiny.save(path)
    loaded = keras.models.load_model(path)
    x = _binary(3)
    np.testing.assert_allclose(
        vae_model.encode(loaded, x)[0], vae_model.encode(tiny, x)[0], rtol=1e-6
    )


def test_traverse_varies_one_dimension_per_row():
    square = vae_model.VAE(data_dim=16, latent_dim=3, hidden=(4,))
    rows = vae_model.traverse(square, np.zeros(3), dims=[0, 2], values=[-2, 0, 2])
    assert list(rows) == ["z1", "z3"] and all(len(r) == 3 for r in rows.values())
    np.testing.assert_allclose(rows["z1"][1], rows["z3"][1])  # both decode the base code
    assert not np.allclose(rows["z1"][0], rows["z1"][2])
    with pytest.raises(ValueError, match="dims must lie in 0..2"):
        vae_model.traverse(square, np.zeros(3), dims=[3], values=[0])


def test_decode_saturates_without_overflow():
    square = vae_model.VAE(data_dim=4, latent_dim=1, hidden=(2,))
    last = square.decoder.layers[-1]
    last.bias.assign(np.array([-1e4, -50, 50, 1e4], "float32"))
    with np.errstate(over="raise"):
        image = vae_model.decode(square, np.zeros((1, 1)))
    np.testing.assert_allclose(image.ravel(), [0, 0, 255, 255], atol=1e-6)


class _Interrupt(keras.callbacks.Callback):
    """Stops training with an error after the epoch ``at`` (0-based) has finished."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError("interrupted")


def test_an_interrupted_training_resumes_from_its_last_epoch(tmp_path):
    x = _binary(512, seed=2)
    backup = tmp_path / "backup"
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    with pytest.raises(RuntimeError, match="interrupted"):
        vae_model.train(model, x, epochs=4, backup_dir=str(backup), callbacks=[_Interrupt(1)])
    assert any(backup.iterdir())  # the backup after epoch 1 is on disk
    hist = vae_model.train(model, x, epochs=4, backup_dir=str(backup))
    assert len(hist["loss"]) == 2  # epochs 2 and 3 only
    assert not backup.exists()  # a finished fit removes its backup


def test_a_backup_of_other_settings_or_code_is_not_resumed(tmp_path, monkeypatch):
    x = _binary(512, seed=2)
    backup = tmp_path / "backup"
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    with pytest.raises(RuntimeError, match="interrupted"):
        vae_model.train(model, x, epochs=4, backup_dir=str(backup), callbacks=[_Interrupt(1)])
    fresh = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    hist = vae_model.train(fresh, x, epochs=4, learning_rate=2e-3, backup_dir=str(backup))
    assert len(hist["loss"]) == 4  # another rate: a new fit, not the backup's
    monkeypatch.setitem(stores.VAE_FITS._code, PACKAGE_DIR, "edited")  # the model's code changed
    hist = vae_model.train(fresh, x, epochs=4, backup_dir=str(backup))
    assert len(hist["loss"]) == 4
    assert len(list(backup.iterdir())) == 1  # the first, interrupted fit's backup alone


class _Rates(keras.callbacks.Callback):
    """Records the optimizer's learning rate at the end of every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        self.rates.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))


def test_cosine_decay_falls_to_zero_and_resumes_on_schedule(tmp_path):
    x = _binary(512, seed=3)  # 4 steps an epoch at batch 128
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    first = _Rates()
    with pytest.raises(RuntimeError, match="interrupted"):
        vae_model.train(
            model, x, epochs=4, learning_rate=0.01, cosine_decay=True,
            backup_dir=str(tmp_path / "b"), callbacks=[first, _Interrupt(1)],
        )  # fmt: skip
    rest = _Rates()
    vae_model.train(
        model, x, epochs=4, learning_rate=0.01, cosine_decay=True,
        backup_dir=str(tmp_path / "b"), callbacks=[rest],
    )  # fmt: skip
    expected = [0.005 * (1 + np.cos(np.pi * step / 16)) for step in (4, 8, 12, 16)]
    np.testing.assert_allclose(first.rates + rest.rates, expected, atol=1e-7)
    assert rest.rates[-1] == pytest.approx(0.0, abs=1e-9)


def _autoregressive_tiny() -> vae_model.VAE:
    keras.utils.set_random_seed(3)
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), autoregressive=True, seed=0)
    model(np.zeros((1, 6), "float32"))
    rng = np.random.default_rng(3)
    model.ar_kernel.assign((2 * rng.standard_normal((6, 6))).astype("float32"))
    return model


def test_the_autoregressive_decoder_is_normalised_and_sampled_by_it():
    model = _autoregressive_tiny()
    weights = keras.ops.convert_to_numpy(model.ar_weights())
    assert np.all(weights[np.tril_indices(6)] == 0)  # only earlier pixels feed a pixel
    assert np.count_nonzero(weights) == 15
    every = ((np.arange(64)[:, None] >> np.arange(6)) & 1).astype("float32")  # all 2^6 images
    noise = keras.random.SeedGenerator(0)
    log_lik = keras.ops.convert_to_numpy(model.log_weights(every, k=1, seed=noise).log_lik)[0]
    # with k = 1 each image has its own z; fix one z by decoding it directly instead
    z = np.array([[0.3, -1.2]], "float32")
    base = keras.ops.convert_to_numpy(model.decoder(z)).astype(float)[0]
    logits = base + every @ weights  # pixel j's logit given the pixels before it
    by_hand = (every * logits - np.logaddexp(0, logits)).sum(axis=1)
    assert np.exp(by_hand).sum() == pytest.approx(1.0, abs=1e-6)  # a distribution over x
    assert np.isfinite(log_lik).all() and np.ptp(by_hand) > 1.0
    draws = vae_model.sample(model, np.repeat(z, 20_000, axis=0), seed=1).reshape(-1, 6)
    codes = (draws / 255 @ (1 << np.arange(6))).astype(int)
    freq = np.bincount(codes, minlength=64) / len(codes)
    np.testing.assert_allclose(freq, np.exp(by_hand), atol=0.012)  # samples follow p(x | z)
    with pytest.raises(ValueError, match="use sample"):
        vae_model.decode(model, z)


def test_the_autoregressive_log_weights_match_a_hand_computation():
    model = _autoregressive_tiny()
    x = _binary(4, seed=5)
    noise = keras.random.SeedGenerator(2)
    lw = model.log_weights(keras.ops.convert_to_tensor(x), k=3, seed=noise)
    mean, log_var = vae_model.encode(model, x)
    eps = keras.ops.convert_to_numpy(
        keras.random.normal((3, 4, 2), seed=keras.random.SeedGenerator(2))
    )
    z = mean + np.exp(0.5 * log_var) * eps
    base = keras.ops.convert_to_numpy(model.decoder(z.reshape(-1, 2).astype("float32")))
    logits = base.reshape(3, 4, 6) + x @ keras.ops.convert_to_numpy(model.ar_weights())
    by_hand = (x * logits - np.logaddexp(0, logits)).sum(axis=-1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(lw.log_lik), by_hand, rtol=1e-5)
    config = model.get_config()
    assert config["autoregressive"] is True
    clone = vae_model.VAE.from_config(config)
    clone(x[:1])
    assert clone.autoregressive and clone.ar_kernel.shape == (6, 6)


def test_bounds_by_k_reports_the_expected_fall_and_single_draws_that_rise(tiny):
    x = _binary(200, seed=3)
    table = vae_model.bounds_by_k(tiny, x, [10, 1, 100], seed=0)
    assert list(table.index) == [1, 10, 100]
    assert np.isnan(table.loc[1, "drop"])
    # the bound tightens in expectation ...
    assert table.loc[10, "drop"] > 0 and table.loc[10, "drop_z"] > 3
    np.testing.assert_allclose(
        table["drop"].iloc[1:], -np.diff(table["iwae_nll"].to_numpy()), rtol=1e-9
    )
    # ... while some single images' estimates rise
    assert 0 <= table.loc[100, "rose_share"] < 0.5


def test_a_convolutional_encoder_trains_and_needs_square_images(tmp_path):
    x = np.random.default_rng(0).random((64, 16)).astype("float32")
    model = vae_model.VAE(data_dim=16, latent_dim=2, hidden=(8,), conv=True, seed=0)
    history = vae_model.train(model, x, epochs=2, batch_size=32)
    assert np.isfinite(history["loss"]).all()
    assert any("conv" in layer.name for layer in model.encoder.layers)
    assert model.get_config()["conv"] is True
    with pytest.raises(ValueError, match="square"):
        vae_model.VAE(data_dim=15, latent_dim=2, hidden=(8,), conv=True)


def test_the_fully_visible_model_is_normalised_and_learns(tmp_path):
    import itertools

    model = vae_model.FullyVisibleSBN(data_dim=5, seed=0)
    model(np.zeros((1, 5), "float32"))
    rng = np.random.default_rng(0)
    model.kernel.assign(rng.standard_normal((5, 5)).astype("float32"))
    model.bias.assign(rng.standard_normal(5).astype("float32"))
    every = np.array(list(itertools.product([0, 1], repeat=5)), "float32")
    assert np.exp(vae_model.log_prob(model, every)).sum() == pytest.approx(1.0, abs=1e-5)
    # pixel 0 copies into pixel 1: a fully visible model learns it, a factorised one cannot
    x = (rng.random((512, 5)) < 0.5).astype("float32")
    x[:, 1] = x[:, 0]
    fresh = vae_model.FullyVisibleSBN(data_dim=5, seed=0)
    vae_model.train(fresh, x, epochs=60, batch_size=64, learning_rate=0.05,
                    backup_dir=str(tmp_path))  # fmt: skip
    assert -vae_model.log_prob(fresh, x).mean() < 4 * np.log(2) + 0.1  # 5 bits -> about 4
    with pytest.raises(ValueError, match="binary"):
        vae_model.log_prob(fresh, x * 0.5)
    drawn = vae_model.sample_visible(fresh, 400, seed=1) / 255.0
    assert drawn.shape == (400, 5) and (drawn[:, 1] == drawn[:, 0]).mean() > 0.9


def test_bounds_at_a_smaller_k_come_from_groups_of_the_same_draws():
    table = np.log(np.array([[1.0, 4.0], [3.0, 0.5], [2.0, 2.0], [6.0, 1.5]]))  # k = 4, n = 2
    x = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    b = vae_model.bounds(_Known(table), x, k=4, also=(2, 1), max_rows=4)
    w = np.exp(table)
    np.testing.assert_allclose(b.iwae, np.log(w.mean(axis=0)), rtol=1e-6)
    pairs = (np.log(w[:2].mean(axis=0)) + np.log(w[2:].mean(axis=0))) / 2
    np.testing.assert_allclose(b.iwae_at[2], pairs, rtol=1e-6)  # two groups of two, averaged
    np.testing.assert_allclose(b.iwae_at[1], b.elbo, rtol=1e-6)  # groups of one: the ELBO
    with pytest.raises(ValueError, match="divide k"):
        vae_model.bounds(_Known(table), x, k=4, also=(3,))


def test_keep_best_ends_at_the_best_validation_epoch(tmp_path):
    keras.utils.set_random_seed(2)
    x = _binary(512, seed=2)
    val = _binary(64, seed=3)
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=2)
    hist = vae_model.train(model, x, val, epochs=4, batch_size=64, learning_rate=0.05,
                           keep_best=True)  # fmt: skip
    best = int(np.argmin(hist["val_loss"]))
    model.compile()
    # the validation loss samples z, so compare the kept weights' loss with a fresh estimate
    # over many draws at the best epoch's level rather than to the last epoch's
    assert len(hist["val_loss"]) == 4
    kept = -vae_model.bounds(model, val, k=1, seed=0).elbo.mean()
    assert kept == pytest.approx(hist["val_loss"][best], abs=1.0)
    with pytest.raises(ValueError, match="x_val"):
        vae_model.train(model, x, epochs=1, keep_best=True)


def test_a_stopping_rule_ends_a_flat_fit_early(tmp_path):
    keras.utils.set_random_seed(3)
    x = _binary(256, seed=4)
    model = vae_model.FullyVisibleSBN(data_dim=6, seed=0)
    hist = vae_model.train(model, x, x[:64], epochs=50, batch_size=64, learning_rate=0.05,
                           stop_patience=2, stop_delta=0.05, backup_dir=str(tmp_path))  # fmt: skip
    assert 3 <= len(hist["val_loss"]) < 50  # the curve flattens well before the ceiling
    with pytest.raises(ValueError, match="stop_patience"):
        vae_model.train(model, x, x[:64], epochs=2, stop_patience=0)


def test_a_mixed_precision_vae_trains_and_is_scored_by_its_float32_twin():
    keras.utils.set_random_seed(4)
    x = _binary(256, seed=5)
    model = vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), seed=0,
                          precision="mixed_bfloat16", autoregressive=True)  # fmt: skip
    vae_model.train(model, x, epochs=1, batch_size=64)
    assert model.encoder.layers[0].compute_dtype == "bfloat16"
    twin = vae_model.float32_twin(model, x[:1])
    assert twin.precision == "float32" and twin.encoder.layers[0].compute_dtype == "float32"
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same weights, kept in float32
    seed = keras.random.SeedGenerator(0)
    low = keras.ops.convert_to_numpy(model.log_weights(x[:20], k=3, seed=seed).log_w)
    seed = keras.random.SeedGenerator(0)
    high = keras.ops.convert_to_numpy(twin.log_weights(x[:20], k=3, seed=seed).log_w)
    assert low.dtype == high.dtype == np.float32  # the log-weights leave in float32
    np.testing.assert_allclose(low, high, atol=0.5)  # bfloat16 products: close, not equal
    b = vae_model.bounds(model, x[:20], k=3, seed=0)  # scored on the twin
    c = vae_model.bounds(twin, x[:20], k=3, seed=0)
    np.testing.assert_allclose(b.iwae, c.iwae)
    assert vae_model.float32_twin(twin, x[:1]) is twin
    with pytest.raises(ValueError, match="precision"):
        vae_model.VAE(data_dim=6, latent_dim=2, hidden=(8,), precision="float16")
