"""Chapter 05's models: the contrastive VAE's loss against a hand computation on a tiny batch,
its bounds against log p(x) integrated on a grid, and the separation scores."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from scipy.special import expit, logsumexp

from labkit.cvae import model as cvae
from labkit.vae import model as vae_model

SD = 0.5  # the tiny models' fixed decoder standard deviation


def _tiny(**kw) -> cvae.ContrastiveVAE:
    """3 pixels, a 1-d salient and a 1-d background latent, linear encoders and decoder."""
    keras.utils.set_random_seed(0)
    model = cvae.ContrastiveVAE(
        data_dim=3, salient_dim=1, background_dim=1, hidden=(), decoder_sd=SD, seed=0, **kw
    )
    model(np.zeros((2, 3), "float32"))
    return model


def _certain(model: cvae.ContrastiveVAE) -> None:
    """Set both encoders' log variances to -40: every sample is its mean (sd ~ 2e-9)."""
    for enc in (model.salient_encoder, model.background_encoder):
        dense = enc.layers[-1]
        kernel = dense.kernel.numpy()
        kernel[:, 1] = 0.0
        dense.kernel.assign(kernel)
        dense.bias.assign(np.array([dense.bias.numpy()[0], -40.0], "float32"))


def _dense(layer, x):
    return x @ layer.kernel.numpy() + layer.bias.numpy()


def _log_normal(x, mean, sd=SD):
    return (-0.5 * ((x - mean) ** 2 / sd**2 + np.log(2 * np.pi * sd**2))).sum(axis=-1)


def _kl_certain(mean):
    return 0.5 * (np.exp(-40.0) + mean**2 - 1.0 + 40.0)


BATCH = np.array([[0.1, 0.8, 0.3], [0.9, 0.2, 0.5], [0.4, 0.4, 0.7], [0.6, 0.1, 0.2]], "float32")
BACK = np.array([[0.2, 0.3, 0.1], [0.7, 0.6, 0.9], [0.3, 0.9, 0.4], [0.5, 0.5, 0.5]], "float32")


def _by_hand(model, targets, backgrounds, beta=1.0):
    s = _dense(model.salient_encoder.layers[-1], targets)[:, 0]
    z = _dense(model.background_encoder.layers[-1], targets)[:, 0]
    dec = model.decoder.layers[-1]
    pixels = expit(_dense(dec, np.stack([s, z], axis=1)))
    target = np.mean(beta * (_kl_certain(s) + _kl_certain(z)) - _log_normal(targets, pixels))
    bz = _dense(model.background_encoder.layers[-1], backgrounds)[:, 0]
    pixels_b = expit(_dense(dec, np.stack([np.zeros_like(bz), bz], axis=1)))
    background = np.mean(beta * _kl_certain(bz) - _log_normal(backgrounds, pixels_b))
    return target, background, s, z


def test_the_loss_is_both_negative_elbos_by_hand():
    model = _tiny()
    _certain(model)
    terms = {k: float(v) for k, v in model.loss_terms(BATCH, BACK).items()}
    target, background, _, _ = _by_hand(model, BATCH, BACK)
    assert terms["target_loss"] == pytest.approx(target, rel=1e-5)
    assert terms["background_loss"] == pytest.approx(background, rel=1e-5)
    assert terms["loss"] == pytest.approx(target + background, rel=1e-5)
    assert terms["tc"] == terms["mmd"] == terms["discriminator_loss"] == 0.0


def test_beta_weights_the_kl_terms():
    model = _tiny(beta=3.0)
    _certain(model)
    terms = model.loss_terms(BATCH, BACK)
    target, background, _, _ = _by_hand(model, BATCH, BACK, beta=3.0)
    assert float(terms["loss"]) == pytest.approx(target + background, rel=1e-5)


def test_the_layered_decoder_paints_a_foreground_over_the_background_by_hand():
    model = _tiny(layered=True)
    _certain(model)
    terms = {k: float(v) for k, v in model.loss_terms(BATCH, BACK).items()}
    s = _dense(model.salient_encoder.layers[-1], BATCH)[:, :1]
    z = _dense(model.background_encoder.layers[-1], BATCH)[:, :1]
    paint = expit(_dense(model.foreground.layers[-1], s))  # opacity, then colour, per pixel
    opacity, colour = paint[:, :3], paint[:, 3:]
    drawn = expit(_dense(model.decoder.layers[-1], z)) * (1 - opacity) + opacity * colour
    target = np.mean(_kl_certain(s[:, 0]) + _kl_certain(z[:, 0]) - _log_normal(BATCH, drawn))
    bz = _dense(model.background_encoder.layers[-1], BACK)[:, :1]
    alone = expit(_dense(model.decoder.layers[-1], bz))  # a background: no foreground at all
    background = np.mean(_kl_certain(bz[:, 0]) - _log_normal(BACK, alone))
    assert terms["target_loss"] == pytest.approx(target, rel=1e-5)
    assert terms["background_loss"] == pytest.approx(background, rel=1e-5)
    np.testing.assert_allclose(cvae.decode(model, z, s=s), drawn, rtol=1e-5)
    np.testing.assert_allclose(cvae.decode(model, z), expit(_dense(model.decoder.layers[-1], z)),
                               rtol=1e-5)  # fmt: skip
    assert model.get_config()["layered"] is True
    assert model.decoder.input_shape == (None, 1)  # b(z) never sees s


def test_the_total_correlation_term_by_hand():
    model = _tiny(tc_weight=2.0)
    _certain(model)
    terms = {k: float(v) for k, v in model.loss_terms(BATCH, BACK).items()}
    target, background, s, z = _by_hand(model, BATCH, BACK)
    hidden, out = model.discriminator.layers

    def logit(q):
        return _dense(out, np.maximum(_dense(hidden, q), 0.0))[:, 0]

    joint = np.stack([s, z], axis=1)
    swapped = np.stack([s, np.concatenate([z[2:], z[:2]])], axis=1)  # halves of z swapped
    tc = logit(joint).mean()
    disc = np.log1p(np.exp(-logit(joint))).mean() + np.log1p(np.exp(logit(swapped))).mean()
    assert terms["tc"] == pytest.approx(tc, rel=1e-4, abs=1e-6)
    assert terms["discriminator_loss"] == pytest.approx(disc, rel=1e-5)
    assert terms["loss"] == pytest.approx(target + background + 2.0 * tc, rel=1e-5)


def test_the_moment_matching_term_by_hand():
    model = _tiny(mmd_weight=5.0)
    _certain(model)
    terms = {k: float(v) for k, v in model.loss_terms(BATCH, BACK).items()}
    target, background, _, z = _by_hand(model, BATCH, BACK)
    bz = _dense(model.background_encoder.layers[-1], BACK)[:, :1]
    bs = _dense(model.salient_encoder.layers[-1], BACK)[:, :1]
    penalty = _mmd(z[:, None], bz) + _mmd(bs, np.zeros_like(bs))
    assert terms["mmd"] == pytest.approx(penalty, rel=1e-4, abs=1e-6)
    assert terms["loss"] == pytest.approx(target + background + 5.0 * penalty, rel=1e-5)


def _mmd(a, b, scales=(0.5, 1.0, 2.0)):
    def k(u, v):
        d2 = ((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)
        return sum(np.exp(-d2 / (2 * u.shape[1] * s * s)) for s in scales)

    return k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()


def test_mmd_is_zero_for_one_sample_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 2)).astype("float32")
    assert float(cvae.mmd(a, a)) == pytest.approx(0.0, abs=1e-5)
    near = float(cvae.mmd(a, rng.normal(size=(200, 2)).astype("float32")))
    far = float(cvae.mmd(a, rng.normal(2.0, 1.0, size=(200, 2)).astype("float32")))
    assert near < 0.05 < far
    assert float(cvae.mmd(a[:5], a[5:9])) == pytest.approx(_mmd(a[:5], a[5:9]), rel=1e-4)


def _exact_log_px(model, x):
    """log p(x) = log of the integral of p(x | s, z) p(s) p(z) over a grid of (s, z)."""
    grid = np.linspace(-7, 7, 401)
    s, z = np.meshgrid(grid, grid, indexing="ij")
    codes = np.stack([s.ravel(), z.ravel()], axis=1).astype("float32")
    pixels = expit(_dense(model.decoder.layers[-1], codes))
    log_prior = -0.5 * (codes**2).sum(axis=1) - np.log(2 * np.pi)
    step = grid[1] - grid[0]
    joint = _log_normal(x[:, None, :], pixels[None]) + log_prior[None]
    return logsumexp(joint, axis=1) + 2 * np.log(step)


def test_bounds_from_the_shared_code_bracket_log_px():
    model = _tiny()
    for enc in (model.salient_encoder, model.background_encoder):  # q = N(0, 2): wide
        dense = enc.layers[-1]
        dense.kernel.assign(np.zeros(dense.kernel.shape, "float32"))
        dense.bias.assign(np.array([0.0, np.log(2.0)], "float32"))
    dec = model.decoder.layers[-1]
    dec.kernel.assign(np.array([[2.0, -1.0, 0.5], [-1.0, 1.5, 2.0]], "float32"))
    exact = _exact_log_px(model, BATCH.astype(np.float64))
    b = vae_model.bounds(model, BATCH, k=20_000, seed=0, binary=False)
    assert (b.elbo < exact).all()
    np.testing.assert_allclose(b.iwae, exact, atol=0.015)
    assert (b.iwae >= b.elbo).all()
    with pytest.raises(ValueError, match="binary=False"):
        vae_model.bounds(model, BATCH, k=2)


def test_the_plain_vae_log_weights_and_loss():
    keras.utils.set_random_seed(0)
    model = cvae.GaussianVAE(data_dim=3, latent_dim=1, hidden=(), decoder_sd=SD, seed=0)
    model(BATCH[:1])
    dense = model.encoder.layers[-1]
    dense.kernel.assign(np.zeros((3, 2), "float32"))
    dense.bias.assign(np.array([0.3, -40.0], "float32"))
    pixels = expit(_dense(model.decoder.layers[-1], np.full((4, 1), 0.3)))
    expected = np.mean(_kl_certain(0.3) - _log_normal(BATCH, pixels))
    model(BATCH)
    assert float(model.losses[0]) == pytest.approx(expected, rel=1e-5)


def test_the_decoder_scale_is_learned_unless_fixed():
    learned = cvae.GaussianVAE(data_dim=3, latent_dim=1, hidden=(4,))
    fixed = cvae.GaussianVAE(data_dim=3, latent_dim=1, hidden=(4,), decoder_sd=0.2)
    assert learned.log_sd.trainable and not fixed.log_sd.trainable
    assert float(fixed.log_sd) == pytest.approx(np.log(0.2))
    with pytest.raises(ValueError, match="decoder_sd"):
        cvae.GaussianVAE(decoder_sd=0.0)
    with pytest.raises(ValueError, match="tc_weight"):
        cvae.ContrastiveVAE(tc_weight=-1.0)


def _two_kinds(n: int, seed: int):
    """Targets: a background pattern (a random brightness) plus one of two 'digits' (a bright
    left or right half); backgrounds: the brightness alone."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.1, 0.5, size=(n, 1))
    labels = rng.integers(2, size=n)
    digit = np.zeros((n, 8), "float32")
    digit[labels == 0, :4] = 0.4
    digit[labels == 1, 4:] = 0.4
    targets = (level + digit).astype("float32")
    backgrounds = np.repeat(rng.uniform(0.1, 0.5, size=(n, 1)), 8, axis=1).astype("float32")
    return targets, backgrounds, labels


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"tc_weight": 1.0},
        {"mmd_weight": 10.0},
        {"salient_from_residual": True},
        {"layered": True},
    ],
)
def test_training_puts_the_digit_in_the_salient_latent(options):
    targets, backgrounds, labels = _two_kinds(2_000, seed=0)
    keras.utils.set_random_seed(0)
    model = cvae.ContrastiveVAE(
        data_dim=8, salient_dim=1, background_dim=1, hidden=(16,), seed=0, **options
    )
    history = cvae.train(
        model, targets, backgrounds, validation=(targets[:200], backgrounds[:200]), epochs=15
    )
    assert history["loss"][-1] < history["loss"][0]
    assert "val_loss" in history and "tc" in history
    codes = cvae.codes(model, targets)
    scores = cvae.separation(codes["s"][:1_000], labels[:1_000], codes["s"][1_000:], labels[1_000:])
    assert scores["knn_accuracy"] > 0.95 and scores["silhouette"] > 0.3
    swap = cvae.decode(model, codes["z"][:4], s=codes["s"][4:8])
    assert swap.shape == (4, 8)  # eight pixels are not a square image: rows come back
    grid = cvae.swaps(model, targets[:3], targets[3:7])
    assert grid.shape == (3, 4, 8)
    by_hand = cvae.decode(model, codes["z"][4:5], s=codes["s"][2:3])[0]  # row 2, column 1
    np.testing.assert_allclose(grid[2, 1], by_hand, rtol=1e-5)


def test_train_checks_what_it_is_given():
    model = cvae.ContrastiveVAE(data_dim=8, salient_dim=1, background_dim=1, hidden=(4,))
    x = np.zeros((10, 8), "float32")
    with pytest.raises(ValueError, match="as many background"):
        cvae.train(model, x, x[:5], epochs=1)
    with pytest.raises(ValueError, match="targets only"):
        cvae.train(cvae.GaussianVAE(data_dim=8, latent_dim=1, hidden=(4,)), x, x, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        cvae.train(model, x, x, epochs=0)


def test_separation_scores():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    apart = labels[:, None] * 5.0 + rng.normal(size=(300, 2))
    mixed = rng.normal(size=(300, 2))
    good = cvae.separation(apart[::2], labels[::2], apart[1::2], labels[1::2])
    bad = cvae.separation(mixed[::2], labels[::2], mixed[1::2], labels[1::2])
    assert good["knn_accuracy"] > 0.95 and good["silhouette"] > 0.5
    assert bad["knn_accuracy"] < 0.5 and abs(bad["silhouette"]) < 0.1


@pytest.mark.parametrize("stopped", [False, True])
def test_z_from_backgrounds_stops_the_targets_gradient(stopped):
    import tensorflow as tf

    model = _tiny(z_from_backgrounds=stopped)
    variables = model.background_encoder.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        terms = model.loss_terms(BATCH, BACK)
    from_targets = tape.gradient(terms["target_loss"], variables)
    from_backgrounds = tape.gradient(terms["background_loss"], variables)
    reached = any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in from_targets)
    assert reached is not stopped
    assert all(g is not None for g in from_backgrounds)


def test_the_salient_encoder_can_read_the_residual():
    import tensorflow as tf

    model = _tiny(salient_from_residual=True)
    s_mean, _, z_mean, _ = (keras.ops.convert_to_numpy(t) for t in model.encode(BATCH))
    dec = model.decoder.layers[-1]
    background = expit(_dense(dec, np.stack([np.zeros_like(z_mean[:, 0]), z_mean[:, 0]], 1)))
    by_hand = _dense(model.salient_encoder.layers[-1], BATCH - background)[:, 0]
    np.testing.assert_allclose(s_mean[:, 0], by_hand, rtol=1e-5, atol=1e-6)
    plain = _tiny()  # the same weights (same seed) reading x itself
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(plain.encode(BATCH)[0])[:, 0],
        _dense(plain.salient_encoder.layers[-1], BATCH)[:, 0], rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    with tf.GradientTape() as tape:
        s_only = model.encode(BATCH)[0]
    grads = tape.gradient(s_only, model.decoder.trainable_variables)
    assert all(g is None for g in grads)  # the background image's gradient is stopped
    assert model.get_config()["salient_from_residual"] is True


def test_convolutional_encoders():
    model = cvae.ContrastiveVAE(salient_dim=2, background_dim=3, hidden=(16,), conv=True)
    x = np.random.default_rng(0).random((5, 784)).astype("float32")
    s_mean, s_log_var, z_mean, z_log_var = (np.asarray(t) for t in model.encode(x))
    assert s_mean.shape == s_log_var.shape == (5, 2) and z_mean.shape == z_log_var.shape == (5, 3)
    assert any("conv" in layer.name for layer in model.salient_encoder.layers)
    assert cvae.GaussianVAE(latent_dim=2, hidden=(8,), conv=True).encode(x)[0].shape == (5, 2)
    with pytest.raises(ValueError, match="square"):
        cvae.GaussianVAE(data_dim=10, latent_dim=2, hidden=(8,), conv=True)


class _Stop(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("interrupted")


@pytest.mark.parametrize("tc_weight", [0.0, 1.0])
def test_an_interrupted_training_resumes_and_validates(tmp_path, tc_weight):
    targets, backgrounds, _ = _two_kinds(256, seed=1)
    backup = tmp_path / "backup"
    model = cvae.ContrastiveVAE(
        data_dim=8, salient_dim=1, background_dim=1, hidden=(4,), tc_weight=tc_weight
    )
    with pytest.raises(RuntimeError, match="interrupted"):
        cvae.train(
            model, targets, backgrounds, epochs=4, backup_dir=str(backup), callbacks=[_Stop()]
        )
    assert any(backup.iterdir())  # the backup after epoch 1 is on disk
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Skipping variable loading for optimizer"
        history = cvae.train(
            model, targets, backgrounds, epochs=4, backup_dir=str(backup),
            validation=(targets[:64], backgrounds[:64]),
        )  # fmt: skip
    assert len(history["loss"]) == len(history["val_target_loss"]) == 2  # epochs 2 and 3
    assert not backup.exists()
    plain = cvae.GaussianVAE(data_dim=8, latent_dim=1, hidden=(4,))
    history = cvae.train(plain, targets, validation=targets[:64], epochs=2)
    assert len(history["val_loss"]) == 2


class _Rates(keras.callbacks.Callback):
    """The optimizer's learning rate at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def test_cosine_decay_falls_to_zero_and_resumes_on_schedule(tmp_path):
    targets, backgrounds, _ = _two_kinds(512, seed=2)  # 4 steps an epoch at batch 128
    model = cvae.ContrastiveVAE(data_dim=8, salient_dim=1, background_dim=1, hidden=(4,))
    first, rest = _Rates(), _Rates()
    with pytest.raises(RuntimeError, match="interrupted"):
        cvae.train(
            model, targets, backgrounds, epochs=4, learning_rate=0.01, cosine_decay=True,
            backup_dir=str(tmp_path / "b"), callbacks=[first, _Stop()],
        )  # fmt: skip
    cvae.train(
        model, targets, backgrounds, epochs=4, learning_rate=0.01, cosine_decay=True,
        backup_dir=str(tmp_path / "b"), callbacks=[rest],
    )  # fmt: skip
    expected = [0.005 * (1 + np.cos(np.pi * step / 16)) for step in (4, 8, 12, 16)]
    np.testing.assert_allclose(first.rates + rest.rates, expected, atol=1e-7)
    plain = cvae.GaussianVAE(data_dim=8, latent_dim=1, hidden=(4,))
    steady = _Rates()
    cvae.train(plain, targets, epochs=2, learning_rate=0.01, callbacks=[steady])
    assert steady.rates == pytest.approx([0.01, 0.01])


def test_a_mixed_precision_contrastive_vae_trains_and_is_scored_in_float32():
    rng = np.random.default_rng(0)
    x = rng.random((64, 16)).astype("float32")
    b = rng.random((64, 16)).astype("float32")
    for options in ({}, {"layered": True, "salient_from_residual": True}, {"tc_weight": 1.0}):
        model = cvae.ContrastiveVAE(data_dim=16, salient_dim=2, background_dim=2, hidden=(8,),
                                    precision="mixed_bfloat16", **options)  # fmt: skip
        history = cvae.train(model, x, b, epochs=1, batch_size=32)
        assert np.isfinite(history["loss"]).all()
        twin = vae_model.float32_twin(model, x[:1])
        assert twin.precision == "float32" and twin.layered == model.layered
        low = vae_model.bounds(model, x[:8], k=4, seed=0, binary=False)
        high = vae_model.bounds(twin, x[:8], k=4, seed=0, binary=False)
        np.testing.assert_allclose(low.iwae, high.iwae)  # both scored on the float32 twin
    plain = cvae.GaussianVAE(data_dim=16, latent_dim=2, hidden=(8,), precision="mixed_bfloat16")
    cvae.train(plain, x, epochs=1, batch_size=32)
    assert cvae.codes(plain, x)["z"].dtype == np.float32
    twin = vae_model.float32_twin(plain, x[:1])
    # codes and pictures come from the float32 twin, not the bfloat16 arithmetic of training
    np.testing.assert_array_equal(cvae.codes(plain, x)["z"], cvae.codes(twin, x)["z"])
    mean, _ = twin.encode(x)
    np.testing.assert_allclose(cvae.codes(plain, x)["z"], np.asarray(mean), rtol=1e-6)
    codes = cvae.codes(model, x)  # the last contrastive model above
    np.testing.assert_array_equal(
        cvae.decode(model, codes["z"][:4], s=codes["s"][:4]),
        cvae.decode(vae_model.float32_twin(model, x[:1]), codes["z"][:4], s=codes["s"][:4]),
    )
