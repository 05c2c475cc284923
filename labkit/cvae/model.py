"""Chapter 05's models: a plain VAE and a contrastive VAE for images with a Gaussian decoder.

Both follow chapter 04's :class:`labkit.vae.model.VAE` in one respect that matters: the method
``log_weights(x, k, seed)`` returns the importance log-weights of k latent samples per image
(:class:`labkit.vae.model.LogWeights`), so the training loss, the ELBO and the importance-
weighted bound all come from :func:`labkit.vae.model.negative_elbo` and
:func:`labkit.vae.model.bounds`, the same code as chapter 04's.

* :class:`GaussianVAE`: q(z | x) Gaussian, p(z) = N(0, I), p(x | z) = N(decoder(z), sd^2 I)
  with one learned (or fixed) ``sd`` for all pixels: the images here are grey levels on 0..1,
  not binary, so the decoder is Gaussian rather than chapter 04's Bernoulli.
* :class:`ContrastiveVAE` (Abid & Zou, 2019, "Contrastive variational autoencoder enhances
  salient features"): a salient latent s and a background latent z, each with its own encoder,
  and one decoder p(x | s, z). A target image is explained by (s, z); a background image by z
  alone, with s = 0. Options: their total-correlation penalty (a discriminator tells (s, z)
  from pairs whose s and z come from different images; the encoders are trained to fool it),
  the moment-matching penalties of MM-cVAE (Weinberger et al., 2022): an MMD between the
  targets' and the backgrounds' z, and between the backgrounds' s and 0; and this workbook's
  variants: a background encoder that learns from the background images only, a salient
  encoder that reads what the background code leaves, and a layered decoder that paints a
  foreground drawn from s over a background drawn from z.
* :func:`separation`: how well a code separates the digits, by k-nearest-neighbour accuracy
  and silhouette score (scikit-learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from ..stores import CVAE_FITS
from ..vae.model import (
    LOG_2PI,
    LogWeights,
    dense_stack,
    encoder_network,
    fit_resumable,
    float32_twin,
    kl_to_prior,
    negative_elbo,
    reparameterize,
)

__all__ = [
    "GaussianVAE",
    "ContrastiveVAE",
    "mmd",
    "train",
    "codes",
    "decode",
    "swaps",
    "separation",
]


def _mlp(
    name: str,
    inputs: int,
    hidden: Sequence[int],
    outputs: int,
    activation=None,
    precision: str = "float32",
):
    """ReLU layers of widths ``hidden``, then ``outputs`` units with ``activation``, computing
    in ``precision`` (:func:`labkit.vae.model.dense_stack`)."""
    stack = dense_stack(hidden, outputs, precision, activation)
    return keras.Sequential([keras.Input((inputs,)), *stack], name=name)


def _gaussian_log_lik(x, mean, log_sd):
    """sum_j log N(x_j; mean_j, sd^2) over the last axis."""
    return -0.5 * ops.sum(
        ops.square(x - mean) * ops.exp(-2.0 * log_sd) + 2.0 * log_sd + LOG_2PI, axis=-1
    )


def _loss(lw: LogWeights, beta: float):
    """Mean over images of chapter 04's negative ELBO with the KL weighted by ``beta``."""
    return ops.mean(negative_elbo(lw) + (beta - 1.0) * lw.kl)


def _log_prior_minus_q(sample, eps, log_var):
    """log N(sample; 0, I) - log q(sample) summed over the last axis, (k, n)."""
    return -0.5 * ops.sum(ops.square(sample) - ops.square(eps) - log_var, axis=-1)


def mmd(a, b, scales: Sequence[float] = (0.5, 1.0, 2.0)):
    """The (biased) squared maximum mean discrepancy between samples ``a`` (n, d) and ``b``
    (m, d) under a sum of Gaussian kernels exp(-|u - v|^2 / (2 d s^2)), one per scale s.

    Computed as w' K w, with K the kernel matrix of the n + m samples together and w = 1/n on
    a's rows and -1/m on b's: that is mean K(a, a) + mean K(b, b) - 2 mean K(a, b), in a dozen
    operations instead of one set per block and scale (a training step's cost here is mostly
    the number of operations, not their size)."""
    x = ops.concatenate([a, b], axis=0)
    squares = ops.sum(ops.square(x), axis=-1)
    d2 = squares[:, None] + squares[None, :] - 2.0 * ops.matmul(x, ops.transpose(x))
    d2 = ops.maximum(d2, 0.0)  # rounding can take |u - u|^2 a little below zero
    dim = ops.cast(ops.shape(x)[-1], d2.dtype)
    inverse = ops.convert_to_tensor([1.0 / (2.0 * s * s) for s in scales], d2.dtype) / dim
    kernel = ops.sum(ops.exp(-d2[None] * inverse[:, None, None]), axis=0)
    n, m = ops.shape(a)[0], ops.shape(b)[0]
    w = ops.concatenate(
        [ops.full((n,), 1.0 / ops.cast(n, d2.dtype)), ops.full((m,), -1.0 / ops.cast(m, d2.dtype))]
    )
    return ops.sum(w[:, None] * kernel * w[None, :])


class _GaussianDecoder:
    """Mixin: the Gaussian decoder's one log standard deviation for all pixels (learned, or
    fixed at ``decoder_sd``)."""

    def _init_scale(self, decoder_sd: float | None) -> None:
        if decoder_sd is not None and decoder_sd <= 0:
            raise ValueError(f"decoder_sd must be positive or None (learned), got {decoder_sd}")
        self.decoder_sd = decoder_sd
        self.log_sd = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(np.log(decoder_sd or 0.1)),
            trainable=decoder_sd is None,
            name="log_sd",
        )


@keras.saving.register_keras_serializable(package="labkit")
class GaussianVAE(_GaussianDecoder, keras.Model):
    """A plain VAE for grey-level images: MLP encoder to q(z | x)'s mean and log variance, MLP
    decoder (mirrored widths) to pixel means on 0..1, Gaussian likelihood with a learned
    standard deviation ``decoder_sd`` (or a fixed one). ``beta`` weights the KL in training
    (1 = the ELBO). With ``conv`` the encoder starts with two strided convolutions."""

    def __init__(
        self,
        data_dim: int = 784,
        latent_dim: int = 8,
        hidden: Sequence[int] = (256, 128),
        decoder_sd: float | None = None,
        beta: float = 1.0,
        conv: bool = False,
        seed: int = 0,
        precision: str = "float32",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if latent_dim < 1 or data_dim < 1 or (hidden and min(hidden) < 1) or beta < 0:
            raise ValueError("data_dim, latent_dim and hidden widths must be >= 1, beta >= 0")
        self.data_dim, self.latent_dim, self.hidden = data_dim, latent_dim, tuple(hidden)
        self.beta, self.seed = beta, seed
        self.conv, self.precision = conv, precision
        self.encoder = encoder_network("encoder", data_dim, hidden, 2 * latent_dim, conv,
                                       precision)  # fmt: skip
        self.decoder = _mlp("decoder", latent_dim, tuple(reversed(hidden)), data_dim, "sigmoid",
                            precision)  # fmt: skip
        self._init_scale(decoder_sd)
        self.noise = keras.random.SeedGenerator(seed)

    def encode(self, x):
        """q(z | x)'s mean and log variance, each (n, latent_dim)."""
        out = self.encoder(x)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def log_weights(self, x, k: int = 1, seed=None) -> LogWeights:
        """Importance log-weights (k, n) of rows ``x`` for k samples z ~ q(z | x) per image."""
        mean, log_var = self.encode(x)
        z, eps = reparameterize(mean, log_var, k, self.noise if seed is None else seed)
        pixels = ops.reshape(
            self.decoder(ops.reshape(z, (-1, self.latent_dim))), (k, -1, self.data_dim)
        )
        log_lik = _gaussian_log_lik(ops.expand_dims(x, 0), pixels, self.log_sd)
        log_w = log_lik + _log_prior_minus_q(z, eps, log_var)
        return LogWeights(log_w=log_w, log_lik=log_lik, kl=kl_to_prior(mean, log_var))

    def call(self, x, training=None):
        lw = self.log_weights(x, k=1)
        self.add_loss(_loss(lw, self.beta))
        return lw.log_w[0]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "data_dim": self.data_dim,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "decoder_sd": self.decoder_sd,
            "conv": self.conv,
            "beta": self.beta,
            "seed": self.seed,
            "precision": self.precision,
        }


@keras.saving.register_keras_serializable(package="labkit")
class ContrastiveVAE(_GaussianDecoder, keras.Model):
    """The contrastive VAE: salient s (``salient_dim``) and background z (``background_dim``),
    each from its own MLP encoder (convolutional with ``conv``), one decoder p(x | s, z)
    (Gaussian, as in :class:`GaussianVAE`).

    ``fit(x=(targets, backgrounds))`` (two arrays of the same length) minimises, per batch,

    * the targets' negative ELBO, with q(s | x) q(z | x) and the prior N(0, I) on (s, z);
    * the backgrounds' negative ELBO with q(z | x) and s = 0 in the decoder;
    * ``beta`` weights both KL terms (1 = the ELBOs);
    * with ``tc_weight`` > 0, Abid & Zou's total-correlation term: ``tc_weight`` times the mean
      logit of a discriminator that tells the targets' (s, z) from (s, z) pairs taken from
      different images (the batch's halves swapped); the discriminator is trained on its own
      cross-entropy, the encoders and decoder on the rest;
    * with ``mmd_weight`` > 0, MM-cVAE's penalties: ``mmd_weight`` times
      MMD^2(targets' z, backgrounds' z) + MMD^2(backgrounds' s, 0);
    * with ``z_from_backgrounds`` (not in either paper), the background encoder learns from the
      background images only: the targets' loss reaches it with its gradient stopped, so it
      cannot learn features that only the targets have;
    * with ``salient_from_residual`` (not in either paper), the salient encoder reads the
      target minus the background that z's mean draws (:meth:`background_image`, its
      gradient stopped): what the background code cannot explain. q(s | x) is still a
      function of x alone, so the ELBO is unchanged.
    * with ``layered`` (not in either paper; the way the data are made), the decoder draws two
      layers: a background image b(z) from z alone and, from s alone, a foreground's opacity
      a(s) and colour c(s) per pixel, composited as b (1 - a) + a c. A background image is
      b(z) alone (no foreground, where the unlayered model decodes s = 0), so s can only
      explain targets by painting over the background, and z cannot reach the foreground.
    """

    def __init__(
        self,
        data_dim: int = 784,
        salient_dim: int = 2,
        background_dim: int = 6,
        hidden: Sequence[int] = (256, 128),
        decoder_sd: float | None = None,
        beta: float = 1.0,
        tc_weight: float = 0.0,
        mmd_weight: float = 0.0,
        z_from_backgrounds: bool = False,
        salient_from_residual: bool = False,
        conv: bool = False,
        layered: bool = False,
        seed: int = 0,
        precision: str = "float32",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.precision = precision
        self.z_from_backgrounds = z_from_backgrounds
        self.salient_from_residual = salient_from_residual
        if min(data_dim, salient_dim, background_dim) < 1 or (hidden and min(hidden) < 1):
            raise ValueError("data_dim, salient_dim, background_dim and widths must be >= 1")
        if min(beta, tc_weight, mmd_weight) < 0:
            raise ValueError("beta, tc_weight and mmd_weight must be >= 0")
        self.data_dim, self.hidden = data_dim, tuple(hidden)
        self.salient_dim, self.background_dim = salient_dim, background_dim
        self.beta, self.tc_weight, self.mmd_weight, self.seed = beta, tc_weight, mmd_weight, seed
        self.conv, self.layered = conv, layered
        self.salient_encoder = encoder_network(
            "salient_encoder", data_dim, hidden, 2 * salient_dim, conv, precision
        )
        self.background_encoder = encoder_network(
            "background_encoder", data_dim, hidden, 2 * background_dim, conv, precision
        )
        widths = tuple(reversed(hidden))
        if layered:  # b(z); a(s) and c(s), each on 0..1
            self.decoder = _mlp("decoder", background_dim, widths, data_dim, "sigmoid",
                                precision)  # fmt: skip
            self.foreground = _mlp("foreground", salient_dim, widths, 2 * data_dim, "sigmoid",
                                   precision)  # fmt: skip
        else:
            self.decoder = _mlp(
                "decoder", salient_dim + background_dim, widths, data_dim, "sigmoid", precision
            )
        self.discriminator = _mlp("discriminator", salient_dim + background_dim, (32,), 1,
                                  precision=precision)  # fmt: skip
        self.discriminator.trainable = tc_weight > 0
        self._init_scale(decoder_sd)
        self.noise = keras.random.SeedGenerator(seed)
        names = ["loss", "target_loss", "background_loss", "tc", "discriminator_loss", "mmd"]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def encode(self, x):
        """(s mean, s log variance, z mean, z log variance) of rows ``x``."""
        z_mean, z_log_var = self._background(x)
        return (*self._salient(x, z_mean), z_mean, z_log_var)

    def background_image(self, z):
        """The decoder's background for codes ``z`` (n, background_dim): its image at s = 0,
        or with ``layered`` the background layer b(z)."""
        if self.layered:
            return self.decoder(z)
        s = ops.zeros((ops.shape(z)[0], self.salient_dim), dtype=z.dtype)
        return self.decoder(ops.concatenate([s, z], axis=-1))

    def draw(self, s, z):
        """The decoder's pixel means for codes ``s`` (n, salient_dim) and ``z`` (n,
        background_dim): with ``layered`` the foreground a(s), c(s) painted over b(z)."""
        if not self.layered:
            return self.decoder(ops.concatenate([s, z], axis=-1))
        paint = self.foreground(s)
        opacity, colour = paint[:, : self.data_dim], paint[:, self.data_dim :]
        return self.decoder(z) * (1.0 - opacity) + opacity * colour

    def _salient(self, x, z_mean=None):
        """q(s | x)'s mean and log variance. With ``salient_from_residual`` the salient encoder
        reads x minus the background drawn from q(z | x)'s mean (``z_mean``, computed when not
        given), with that image's gradient stopped."""
        if self.salient_from_residual:
            if z_mean is None:
                z_mean = self._background(x)[0]
            x = x - ops.stop_gradient(self.background_image(z_mean))
        out = self.salient_encoder(x)
        return out[:, : self.salient_dim], out[:, self.salient_dim :]

    def _background(self, x):
        """q(z | x)'s mean and log variance."""
        out = self.background_encoder(x)
        return out[:, : self.background_dim], out[:, self.background_dim :]

    def _pixels(self, s, z):
        """Decoder means for samples s (k, n, ds) and z (k, n, dz): (k, n, data_dim); the
        background alone (:meth:`background_image`) when ``s`` is None."""
        k = ops.shape(z)[0]
        z = ops.reshape(z, (-1, self.background_dim))
        if s is None:
            pixels = self.background_image(z)
        else:
            pixels = self.draw(ops.reshape(s, (-1, self.salient_dim)), z)
        return ops.reshape(pixels, (k, -1, self.data_dim))

    def _targets(self, x, k: int, seed):
        seed = self.noise if seed is None else seed
        s_mean, s_log_var, z_mean, z_log_var = self.encode(x)
        if self.z_from_backgrounds:
            z_mean, z_log_var = ops.stop_gradient(z_mean), ops.stop_gradient(z_log_var)
        s, s_eps = reparameterize(s_mean, s_log_var, k, seed)
        z, z_eps = reparameterize(z_mean, z_log_var, k, seed)
        log_lik = _gaussian_log_lik(ops.expand_dims(x, 0), self._pixels(s, z), self.log_sd)
        log_w = log_lik + _log_prior_minus_q(s, s_eps, s_log_var)
        log_w = log_w + _log_prior_minus_q(z, z_eps, z_log_var)
        kl = kl_to_prior(s_mean, s_log_var) + kl_to_prior(z_mean, z_log_var)
        return LogWeights(log_w, log_lik, kl), s, z

    def _backgrounds(self, x, k: int, seed):
        z_mean, z_log_var = self._background(x)  # no s: the salient encoder is not needed
        z, z_eps = reparameterize(z_mean, z_log_var, k, self.noise if seed is None else seed)
        log_lik = _gaussian_log_lik(ops.expand_dims(x, 0), self._pixels(None, z), self.log_sd)
        log_w = log_lik + _log_prior_minus_q(z, z_eps, z_log_var)
        return LogWeights(log_w, log_lik, kl_to_prior(z_mean, z_log_var)), z

    def log_weights(self, x, k: int = 1, seed=None) -> LogWeights:
        """Targets' importance log-weights (k, n) for k samples (s, z) ~ q(s | x) q(z | x)."""
        return self._targets(x, k, seed)[0]

    def background_log_weights(self, x, k: int = 1, seed=None) -> LogWeights:
        """Backgrounds' importance log-weights (k, n): z ~ q(z | x), decoded by
        :meth:`background_image` (s = 0, or the background layer alone)."""
        return self._backgrounds(x, k, seed)[0]

    def loss_terms(self, targets, backgrounds) -> dict:
        """Every term of the training objective for one batch, as scalar tensors: ``loss``
        (what the encoders and decoder minimise), ``target_loss`` and ``background_loss``
        (the two negative ELBOs, KL weighted by ``beta``), ``tc``, ``discriminator_loss``
        and ``mmd``."""
        t, s, z = self._targets(targets, 1, None)
        b, bz = self._backgrounds(backgrounds, 1, None)
        s, z = s[0], z[0]
        target_loss = _loss(t, self.beta)
        background_loss = _loss(b, self.beta)
        loss = target_loss + background_loss
        tc = disc = penalty = ops.zeros(())
        if self.tc_weight > 0:
            half = ops.shape(s)[0] // 2
            joint = ops.concatenate([s[: 2 * half], z[: 2 * half]], axis=-1)
            swapped = ops.concatenate(
                [s[: 2 * half], ops.concatenate([z[half : 2 * half], z[:half]], axis=0)], axis=-1
            )
            logit_joint = self.discriminator(joint)[:, 0]
            tc = ops.mean(logit_joint)
            # the discriminator's own loss sees the codes as data (no gradient to the encoders)
            real = self.discriminator(ops.stop_gradient(joint))[:, 0]
            fake = self.discriminator(ops.stop_gradient(swapped))[:, 0]
            disc = ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))
            loss = loss + self.tc_weight * tc
        if self.mmd_weight > 0:
            bs = reparameterize(*self._salient(backgrounds), 1, self.noise)[0][0]
            penalty = mmd(z, bz[0]) + mmd(bs, ops.zeros_like(bs))
            loss = loss + self.mmd_weight * penalty
        return {
            "loss": loss,
            "target_loss": target_loss,
            "background_loss": background_loss,
            "tc": tc,
            "discriminator_loss": disc,
            "mmd": penalty,
        }

    def _record(self, terms: dict) -> dict:
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        return {name: m.result() for name, m in self.trackers.items()}

    def train_step(self, data):
        import tensorflow as tf  # the workbook's Keras backend

        (targets, backgrounds), _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape(persistent=True) as tape:
            terms = self.loss_terms(targets, backgrounds)
        # One optimizer, each variable stepped on its own loss, always in the order of
        # trainable_variables (the discriminator's only with tc_weight > 0), so a run restored
        # from a backup finds the optimizer's moments where it left them.
        variables = self.trainable_variables
        disc_vars = self.discriminator.trainable_variables
        disc_ids = {id(v) for v in disc_vars}
        model_vars = [v for v in variables if id(v) not in disc_ids]
        model_grads = tape.gradient(terms["loss"], model_vars)
        grads = dict(zip(map(id, model_vars), model_grads, strict=True))
        if disc_vars:
            disc_grads = tape.gradient(terms["discriminator_loss"], disc_vars)
            grads.update(zip(map(id, disc_vars), disc_grads, strict=True))
        del tape
        grads = [ops.zeros_like(v) if grads[id(v)] is None else grads[id(v)] for v in variables]
        self.optimizer.apply(grads, variables)
        return self._record(terms)

    def test_step(self, data):
        (targets, backgrounds), _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._record(self.loss_terms(targets, backgrounds))

    def call(self, inputs, training=None):
        targets = inputs[0] if isinstance(inputs, (tuple, list)) else inputs
        return self.log_weights(targets, k=1).log_w[0]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "data_dim": self.data_dim,
            "salient_dim": self.salient_dim,
            "background_dim": self.background_dim,
            "hidden": list(self.hidden),
            "decoder_sd": self.decoder_sd,
            "conv": self.conv,
            "beta": self.beta,
            "tc_weight": self.tc_weight,
            "mmd_weight": self.mmd_weight,
            "z_from_backgrounds": self.z_from_backgrounds,
            "salient_from_residual": self.salient_from_residual,
            "layered": self.layered,
            "seed": self.seed,
            "precision": self.precision,
        }


def train(
    model: GaussianVAE | ContrastiveVAE,
    targets: np.ndarray,
    backgrounds: np.ndarray | None = None,
    *,
    validation: np.ndarray | tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    cosine_decay: bool = False,
    backup_dir: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> dict[str, list[float]]:
    """Fit ``model`` with Adam; returns the history (``val_*`` with ``validation``).
    With ``cosine_decay`` the learning rate falls from ``learning_rate`` to 0 along a half
    cosine over the ``epochs``, by step, as in :func:`labkit.vae.model.train`.

    A :class:`GaussianVAE` takes ``targets`` only (``validation``: rows of targets); a
    :class:`ContrastiveVAE` takes ``targets`` and as many ``backgrounds`` (``validation``: a
    (targets, backgrounds) pair). With ``backup_dir`` an interrupted fit resumes from its last
    finished epoch, kept in a folder under it named by the code, model, settings and data
    (:func:`labkit.vae.model.fit_resumable`); the history holds the epochs run since.
    ``callbacks`` are passed on to ``fit`` after the backup.
    """
    contrastive = isinstance(model, ContrastiveVAE)
    if contrastive and (backgrounds is None or len(backgrounds) != len(targets)):
        raise ValueError("a ContrastiveVAE trains on targets and as many background images")
    if not contrastive and backgrounds is not None:
        raise ValueError("a GaussianVAE trains on targets only; pass no backgrounds")
    x = (targets, backgrounds) if contrastive else targets
    model((targets[:1], backgrounds[:1]) if contrastive else targets[:1])  # build the weights
    if validation is not None:
        validation = (tuple(validation),) if contrastive else (validation,)
    return fit_resumable(
        model, x, validation, rows=len(targets), fits=CVAE_FITS, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, cosine_decay=cosine_decay,
        backup_dir=backup_dir, callbacks=callbacks, verbose=verbose,
    )  # fmt: skip


def codes(model: GaussianVAE | ContrastiveVAE, x: np.ndarray, batch_size: int = 2_000) -> dict:
    """Posterior means of rows ``x`` as NumPy arrays: ``{"s": ..., "z": ...}`` for a
    contrastive VAE, ``{"z": ...}`` for a plain one; computed in float32 whatever the model
    trained in (:func:`labkit.vae.model.float32_twin`)."""
    model = float32_twin(model, x[:1])
    out: dict[str, list[np.ndarray]] = {}
    for i in range(0, len(x), batch_size):
        parts = model.encode(ops.convert_to_tensor(x[i : i + batch_size]))
        names = ("s", None, "z", None) if len(parts) == 4 else ("z", None)
        for name, part in zip(names, parts, strict=True):
            if name:
                out.setdefault(name, []).append(ops.convert_to_numpy(part))
    return {name: np.concatenate(parts) for name, parts in out.items()}


def decode(model: GaussianVAE | ContrastiveVAE, z: np.ndarray, s: np.ndarray | None = None):
    """Decoder means as (n, 28, 28) images on 0..1 (rows if not square): from codes ``z``
    (plain VAE), or from salient ``s`` and background ``z`` (``s`` None: the background alone,
    :meth:`ContrastiveVAE.background_image`); computed in float32 whatever the model trained in.
    """
    model = float32_twin(model, np.zeros((1, model.data_dim), "float32"))
    z = ops.convert_to_tensor(np.asarray(z, "float32"))
    if not isinstance(model, ContrastiveVAE):
        pixels = model.decoder(z)
    elif s is None:
        pixels = model.background_image(z)
    else:
        pixels = model.draw(ops.convert_to_tensor(np.asarray(s, "float32")), z)
    pixels = ops.convert_to_numpy(pixels)
    side = int(round(np.sqrt(model.data_dim)))
    return pixels.reshape(len(pixels), side, side) if side * side == model.data_dim else pixels


def swaps(model: ContrastiveVAE, salient_from: np.ndarray, background_from: np.ndarray):
    """Decoded images (n_s, n_b, 28, 28) on 0..1: entry (i, j) from the salient code of row
    ``salient_from[i]`` and the background code of row ``background_from[j]`` (posterior
    means). A separated model draws row i's digit over column j's texture."""
    s = codes(model, salient_from)["s"]
    z = codes(model, background_from)["z"]
    rows, cols = len(s), len(z)
    images = decode(model, np.tile(z, (rows, 1)), s=np.repeat(s, cols, axis=0))
    return images.reshape(rows, cols, *images.shape[1:])


def separation(
    fit_codes: np.ndarray,
    fit_labels: np.ndarray,
    eval_codes: np.ndarray,
    eval_labels: np.ndarray,
    *,
    k: int = 5,
) -> dict[str, float]:
    """How well codes separate the classes: ``knn_accuracy``, a k-nearest-neighbour classifier
    (Euclidean) fitted on ``fit_codes`` and scored on ``eval_codes`` (held-out images), and
    ``silhouette``, the silhouette score of ``eval_codes`` grouped by their labels (-1..1;
    near 0: the classes overlap)."""
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k).fit(fit_codes, fit_labels)
    return {
        "knn_accuracy": float(knn.score(eval_codes, eval_labels)),
        "silhouette": float(silhouette_score(eval_codes, eval_labels)),
    }
