"""A VAE in Keras 3: Gaussian encoder q(z | x), Bernoulli decoder p(x | z), standard-normal
prior, trained on dynamically binarised MNIST and scored in nats.

* :class:`VAE` is a ``keras.Model`` with one method that matters to everything else,
  :meth:`VAE.log_weights`: for k samples z_i ~ q(z | x) per image, the importance log-weights
  log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) (and their parts), in ``keras.ops``.
* Its training loss (:func:`negative_elbo`), the ELBO and the importance-weighted bound
  log (1/k) sum_i w_i of Burda et al. (2016) (:func:`bounds`) are computed from those
  log-weights alone, so another model (chapter 05's contrastive VAE) gets all three by
  implementing ``log_weights``.
* ``compile(optimizer)`` + ``fit(x)`` train it; in training each batch is binarised afresh
  (pixel ~ Bernoulli(intensity)): "dynamic binarisation".
* With ``autoregressive=True`` the decoder's logit for pixel j also gets a linear term in the
  pixels before it (raster order): p(x | z) = prod_j Bernoulli(x_j | sigmoid(f_j(z) +
  sum_{i<j} W_ij x_i)). Still a normalised p(x | z), so the ELBO and the bounds are unchanged;
  pictures come from :func:`sample` (pixel by pixel) instead of :func:`decode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers, ops
from scipy.special import expit, logsumexp

from .. import loops
from ..cache import Store
from ..data import digest
from ..stores import VAE_FITS
from .derivation import LOG_2PI

__all__ = [
    "VAE",
    "LogWeights",
    "encoder_network",
    "dense_stack",
    "float32_twin",
    "FullyVisibleSBN",
    "log_prob",
    "sample_visible",
    "bounds_by_k",
    "negative_elbo",
    "reparameterize",
    "kl_to_prior",
    "flatten",
    "binarize",
    "Bounds",
    "bounds",
    "train",
    "decode",
    "sample",
    "encode",
    "traverse",
]


def flatten(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) as float32 rows (n, 784) on the 0..1 scale."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must be (n, ...) arrays, got shape {images.shape}")
    return (images.reshape(len(images), -1) / 255.0).astype("float32")


def binarize(x: np.ndarray, seed: int) -> np.ndarray:
    """One fixed stochastic binarisation of 0..1 rows: each pixel is 1 with its intensity."""
    x = np.asarray(x, dtype="float32")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("binarize expects intensities on the 0..1 scale (see flatten)")
    return (np.random.default_rng(seed).random(x.shape) < x).astype("float32")


def encoder_network(
    name: str,
    inputs: int,
    hidden: Sequence[int],
    outputs: int,
    conv: bool,
    precision: str = "float32",
):
    """An MLP encoder (ReLU layers of widths ``hidden``, then a linear layer of ``outputs``),
    or with ``conv`` first two strided 3x3 convolutions (32 and 64 filters, ReLU) on the square
    image, flattened into the same MLP: the draft's section 2.7. With ``precision``
    "mixed_bfloat16" its layers compute in bfloat16 and a last float32 layer hands the outputs
    on in float32 (:func:`dense_stack`)."""
    head = [keras.Input((inputs,))]
    if conv:
        side = int(round(np.sqrt(inputs)))
        if side * side != inputs:
            raise ValueError(f"a convolutional encoder needs square images, got {inputs} pixels")
        head += [layers.Reshape((side, side, 1))]
        head += [
            layers.Conv2D(f, 3, strides=2, padding="same", activation="relu") for f in (32, 64)
        ]
        head += [layers.Flatten()]
    return keras.Sequential(head + dense_stack(hidden, outputs, precision), name=name)


def dense_stack(
    hidden: Sequence[int], outputs: int, precision: str = "float32", activation=None
) -> list:
    """ReLU layers of widths ``hidden`` and a layer of ``outputs`` (linear, or with
    ``activation``), computing in ``precision`` ("float32" or "mixed_bfloat16": bfloat16
    arithmetic on float32 weights, for training on CPUs with bfloat16 instructions); a mixed
    stack ends in a float32 identity layer, so what follows (the log-weights, the loss) is
    computed in float32."""
    if precision not in ("float32", "mixed_bfloat16"):
        raise ValueError(f"precision must be 'float32' or 'mixed_bfloat16', got {precision!r}")
    stack = [layers.Dense(h, activation="relu", dtype=precision) for h in hidden]
    stack.append(layers.Dense(outputs, activation=activation, dtype=precision))
    if precision != "float32":
        stack.append(layers.Activation("linear", dtype="float32"))
    return stack


def _bernoulli_log_lik(x, logits):
    """sum_j [x_j log sigmoid(l_j) + (1 - x_j) log sigmoid(-l_j)] = sum x l - softplus(l)."""
    return ops.sum(x * logits - ops.softplus(logits), axis=-1)


@dataclass(frozen=True)
class LogWeights:
    """What a model's ``log_weights(x, k)`` returns, as tensors (k samples, n images).

    ``log_w`` (k, n): log p(x | z) + log p(z) - log q(z | x), the importance log-weights;
    ``log_lik`` (k, n): log p(x | z), their reconstruction part;
    ``kl`` (n,): KL(q(z | x) || p(z)) in closed form when the model has it, else ``None``.
    """

    log_w: object
    log_lik: object
    kl: object | None = None


def reparameterize(mean, log_var, k: int, seed):
    """k draws z = mean + sd * eps per row, (k, n, d), and their noise eps ~ N(0, I), drawn
    with ``seed`` (a ``keras.random.SeedGenerator``)."""
    eps = keras.random.normal((k, *ops.shape(mean)), seed=seed)
    return mean + ops.exp(0.5 * log_var) * eps, eps


def kl_to_prior(mean, log_var):
    """KL(N(mean, diag exp(log_var)) || N(0, I)) in closed form, summed over the last axis."""
    return 0.5 * ops.sum(ops.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


def negative_elbo(lw: LogWeights):
    """The negative ELBO per image (n,) from log-weights: -mean_k log w, or, when the closed-form
    KL is known, -mean_k log p(x | z) + KL, the same expectation with less variance."""
    if lw.kl is not None:
        return lw.kl - ops.mean(lw.log_lik, axis=0)
    return -ops.mean(lw.log_w, axis=0)


@keras.saving.register_keras_serializable(package="labkit")
class VAE(keras.Model):
    """MLP encoder to (mean, log variance) of q(z | x) (with ``conv``, two strided convolutions
    first); MLP decoder to Bernoulli logits.

    ``hidden`` are the encoder's layer widths; the decoder mirrors them. The loss is the
    negative ELBO in nats per image, -E_q[log p(x | z)] + KL(q(z | x) || N(0, I)), from
    :meth:`log_weights` with one sample. ``dynamic_binarization`` draws binary pixels afresh
    for every training batch. ``autoregressive`` adds to each pixel's logit a learned linear
    function of the pixels before it (a strictly upper-triangular ``data_dim`` x ``data_dim``
    matrix, starting at zero): the decoder then models how neighbouring pixels go together
    (strokes are continuous), which the factorised decoder leaves to z.
    """

    def __init__(
        self,
        data_dim: int = 784,
        latent_dim: int = 16,
        hidden: Sequence[int] = (512, 256),
        dynamic_binarization: bool = True,
        autoregressive: bool = False,
        conv: bool = False,
        seed: int = 0,
        precision: str = "float32",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if latent_dim < 1 or data_dim < 1 or not hidden or min(hidden) < 1:
            raise ValueError("data_dim, latent_dim and every hidden width must be >= 1")
        self.data_dim, self.latent_dim, self.hidden = data_dim, latent_dim, tuple(hidden)
        self.dynamic_binarization, self.seed = dynamic_binarization, seed
        self.autoregressive, self.conv, self.precision = autoregressive, conv, precision
        self.encoder = encoder_network("encoder", data_dim, hidden, 2 * latent_dim, conv,
                                       precision)  # fmt: skip
        self.decoder = keras.Sequential(
            [keras.Input((latent_dim,))] + dense_stack(tuple(reversed(hidden)), data_dim,
                                                       precision),
            name="decoder",
        )  # fmt: skip
        if autoregressive:
            self.ar_kernel = self.add_weight(
                shape=(data_dim, data_dim), initializer="zeros", name="ar_kernel"
            )
        self.noise = keras.random.SeedGenerator(seed)

    def encode(self, x):
        """q(z | x)'s mean and log variance, each (n, latent_dim)."""
        out = self.encoder(x)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def ar_weights(self):
        """The autoregressive term's weights W (data_dim, data_dim) with W_ij = 0 unless i < j:
        pixel j's logit gets sum_i x_i W_ij from the pixels before it."""
        mask = np.triu(np.ones((self.data_dim, self.data_dim), "float32"), k=1)
        return self.ar_kernel * mask

    def _ar_term(self, x):
        """sum_i x_i W_ij for each pixel j, in the model's precision (x is binary, so exact in
        bfloat16; W rounded to it), returned in float32."""
        if self.precision == "float32":
            return ops.matmul(x, self.ar_weights())
        low = "bfloat16"
        return ops.cast(ops.matmul(ops.cast(x, low), ops.cast(self.ar_weights(), low)), "float32")

    def log_weights(self, x, k: int = 1, seed=None) -> LogWeights:
        """Importance log-weights of binary rows ``x`` (n, data_dim) for ``k`` reparameterised
        samples z = mean + sd * eps per image; ``seed`` (a ``keras.random.SeedGenerator``)
        draws eps, by default the model's own generator."""
        mean, log_var = self.encode(x)
        z, eps = reparameterize(mean, log_var, k, self.noise if seed is None else seed)
        logits = self.decoder(ops.reshape(z, (-1, self.latent_dim)))
        logits = ops.reshape(logits, (k, -1, self.data_dim))
        if self.autoregressive:  # the same for every z: computed once per image
            logits = logits + ops.expand_dims(self._ar_term(x), 0)
        log_lik = _bernoulli_log_lik(ops.expand_dims(x, 0), logits)  # (k, n)
        log_prior = -0.5 * ops.sum(z**2 + LOG_2PI, axis=-1)
        log_q = -0.5 * ops.sum(eps**2 + log_var + LOG_2PI, axis=-1)
        kl = kl_to_prior(mean, log_var)
        return LogWeights(log_w=log_lik + log_prior - log_q, log_lik=log_lik, kl=kl)

    def call(self, x, training=None):
        if training and self.dynamic_binarization:
            x = ops.cast(keras.random.uniform(ops.shape(x), seed=self.noise) < x, x.dtype)
        lw = self.log_weights(x, k=1)
        self.add_loss(ops.mean(negative_elbo(lw)))
        return lw.log_w[0]  # each image's log-weight; fit uses only the loss

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "data_dim": self.data_dim,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "dynamic_binarization": self.dynamic_binarization,
            "autoregressive": self.autoregressive,
            "conv": self.conv,
            "seed": self.seed,
            "precision": self.precision,
        }


@keras.saving.register_keras_serializable(package="labkit")
class FullyVisibleSBN(keras.Model):
    """A fully visible sigmoid belief net (Frey, 1998): no latent code, each pixel a Bernoulli
    given the pixels before it in raster order, p(x) = prod_j Bernoulli(x_j | sigmoid(c_j +
    sum_{i<j} W_ij x_i)). It is the VAE's autoregressive decoder term on its own, so it shows
    what that term models without z; its log p(x) is exact (:meth:`log_prob`), not a bound.
    Trained on the mean -log p(x) of dynamically binarised images."""

    def __init__(self, data_dim: int = 784, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if data_dim < 1:
            raise ValueError(f"data_dim must be >= 1, got {data_dim}")
        self.data_dim, self.seed = data_dim, seed
        self.kernel = self.add_weight(shape=(data_dim, data_dim), initializer="zeros",
                                      name="kernel")  # fmt: skip
        self.bias = self.add_weight(shape=(data_dim,), initializer="zeros", name="bias")
        self.noise = keras.random.SeedGenerator(seed)
        self._mask = np.triu(np.ones((data_dim, data_dim), "float32"), k=1)

    def log_prob(self, x):
        """log p(x) in nats per row of binary ``x`` (n, data_dim), exact."""
        logits = ops.matmul(x, self.kernel * self._mask) + self.bias
        return _bernoulli_log_lik(x, logits)

    def call(self, x, training=None):
        if training:
            x = ops.cast(keras.random.uniform(ops.shape(x), seed=self.noise) < x, x.dtype)
        log_p = self.log_prob(x)
        self.add_loss(-ops.mean(log_p))
        return log_p

    def get_config(self) -> dict:
        return {**super().get_config(), "data_dim": self.data_dim, "seed": self.seed}


def log_prob(model: FullyVisibleSBN, x: np.ndarray, batch_size: int = 2_000) -> np.ndarray:
    """A fully visible model's exact log p(x) in nats for binary rows ``x``, as NumPy."""
    x = np.asarray(x, "float32")
    if x.size and not np.isin(x, (0.0, 1.0)).all():
        raise ValueError("log_prob expects binary images (see binarize)")
    return np.concatenate(
        [
            ops.convert_to_numpy(model.log_prob(ops.convert_to_tensor(x[i : i + batch_size])))
            for i in range(0, len(x), batch_size)
        ]
    ).astype(np.float64)


def train(
    model: VAE | FullyVisibleSBN,
    x_train: np.ndarray,
    x_val: np.ndarray | None = None,
    *,
    epochs: int,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    cosine_decay: bool = False,
    backup_dir: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    keep_best: bool = False,
    stop_patience: int | None = None,
    stop_delta: float = 0.0,
    verbose: int = 0,
) -> dict[str, list[float]]:
    """Fit ``model`` with Adam on 0..1 rows ``x_train`` (binarised per batch); returns the history.

    The epochs are chosen on validation (``x_val`` needed) with ``keep_best`` (the model ends
    with the weights of its lowest validation loss: :class:`labkit.loops.KeepBest`) and with
    ``stop_patience`` (a stopping rule: the fit ends once ``stop_patience`` epochs in a row
    failed to lower the validation loss by more than ``stop_delta`` nats; ``epochs`` is then a
    ceiling, and the best epoch is kept).

    With ``cosine_decay`` the learning rate falls from ``learning_rate`` to 0 along a half
    cosine over the ``epochs`` (``keras.optimizers.schedules.CosineDecay``, by step); otherwise
    it stays at ``learning_rate``.

    ``x_val`` (already binary) gives ``val_loss``, the validation negative ELBO per image.
    With ``backup_dir`` an interrupted fit resumes from its last finished epoch, kept in a
    folder under it named by the code, model, settings and data (:func:`fit_resumable`); the
    history holds the epochs run since.
    ``callbacks`` are passed on to ``fit`` after the backup.
    """
    if not model.built:
        model(x_train[:1])  # BackupAndRestore needs the weights to exist before fit
    return fit_resumable(
        model, x_train, (x_val,) if x_val is not None else None, rows=len(x_train),
        fits=VAE_FITS, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
        cosine_decay=cosine_decay, backup_dir=backup_dir, callbacks=callbacks, verbose=verbose,
        keep_best=keep_best, stop_patience=stop_patience, stop_delta=stop_delta,
    )  # fmt: skip


#: The models' settings that name a backup (with the code, the fit's settings and the data).
_MODEL_SETTINGS = (
    "data_dim", "latent_dim", "salient_dim", "background_dim", "hidden", "conv", "layered",
    "autoregressive", "dynamic_binarization", "beta", "tc_weight", "mmd_weight", "seed",
    "z_from_backgrounds", "salient_from_residual", "precision",
)  # fmt: skip


def fit_resumable(
    model: keras.Model,
    x: Any,
    validation: tuple | None,
    *,
    rows: int,
    fits: Store,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    cosine_decay: bool,
    backup_dir: str | None,
    callbacks: Sequence[keras.callbacks.Callback],
    verbose: int,
    keep_best: bool = False,
    stop_patience: int | None = None,
    stop_delta: float = 0.0,
) -> dict[str, list[float]]:
    """Compile ``model`` with Adam (:class:`labkit.loops.FusedAdam`; a constant rate, or a half
    cosine to 0 over the ``epochs``, by step) and fit it on ``x`` (``rows`` of them); returns
    the history as floats.

    With ``backup_dir``, Keras' ``BackupAndRestore`` keeps the last finished epoch in a folder
    under it named by a key of ``fits`` (the kind of fit: its code, :mod:`labkit.stores`), the
    model's settings, the fit's settings and the data, so a fit resumes only into the same code,
    model, settings and data; the folder goes when the fit ends."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    rate = learning_rate
    if cosine_decay:  # by step; a resumed fit restores the optimizer's step count
        steps = loops.steps(rows, batch_size, epochs)
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    if (keep_best or stop_patience is not None) and validation is None:
        raise ValueError("keep_best and stop_patience choose epochs on validation: pass x_val")
    if stop_patience is not None and stop_patience < 1:
        raise ValueError(f"stop_patience must be >= 1 or None, got {stop_patience}")
    model.compile(optimizer=loops.FusedAdam(rate))
    backup, folder = [], None
    if backup_dir:
        parts = x if isinstance(x, tuple) else (x,)
        folder = fits.folder(
            backup_dir, f".backup-{type(model).__name__}", epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, cosine_decay=cosine_decay, data=digest(*parts),
            model={k: getattr(model, k) for k in _MODEL_SETTINGS if hasattr(model, k)},
            keep_best=keep_best, stop_patience=stop_patience, stop_delta=stop_delta,
        )  # fmt: skip
        backup = [loops.Backup(str(folder))]
    chosen: list[keras.callbacks.Callback] = []
    if keep_best or stop_patience is not None:  # before the backup: see loops.KeepBest
        chosen.append(loops.KeepBest(folder))
    if stop_patience is not None:
        chosen.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=stop_patience, min_delta=stop_delta))  # fmt: skip
    history = model.fit(
        x=x,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        callbacks=chosen + backup + list(callbacks),
        shuffle=True,
        verbose=verbose,
    )
    if backup_dir and Path(backup_dir).is_dir() and not any(Path(backup_dir).iterdir()):
        Path(backup_dir).rmdir()  # the fit's own folder went when it ended
    return loops.floats(history)


def encode(model: VAE, x: np.ndarray, batch_size: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    """q(z | x)'s means and log variances for rows ``x``, as NumPy arrays (like
    :meth:`VAE.encode`, in batches)."""
    means, log_vars = [], []
    for i in range(0, len(x), batch_size):
        mean, log_var = model.encode(ops.convert_to_tensor(x[i : i + batch_size]))
        means.append(ops.convert_to_numpy(mean))
        log_vars.append(ops.convert_to_numpy(log_var))
    return np.concatenate(means), np.concatenate(log_vars)


def decode(model: VAE, z: np.ndarray) -> np.ndarray:
    """The decoder's pixel probabilities for codes ``z``, as (n, 28, 28) images on 0..255.
    (An autoregressive decoder has no such picture: each pixel's probability depends on the
    pixels before it; use :func:`sample`.)"""
    if model.autoregressive:
        raise ValueError("an autoregressive decoder's pixels depend on each other: use sample")
    logits = ops.convert_to_numpy(model.decoder(ops.convert_to_tensor(np.asarray(z, "float32"))))
    side = int(round(np.sqrt(model.data_dim)))
    return (255.0 * expit(logits)).reshape(len(logits), side, side)


def sample(model: VAE, z: np.ndarray, seed: int = 0) -> np.ndarray:
    """Binary images drawn from p(x | z) for codes ``z``, (n, 28, 28) on 0..255 (rows if not
    square). A factorised
    decoder draws every pixel at once; an autoregressive one pixel by pixel in raster order,
    each given the pixels drawn before it."""
    rng = np.random.default_rng(seed)
    z = ops.convert_to_tensor(np.asarray(z, "float32"))
    logits = ops.convert_to_numpy(model.decoder(z)).astype(np.float64)
    if not model.autoregressive:
        x = (rng.random(logits.shape) < expit(logits)).astype(np.float64)
    else:
        weights = ops.convert_to_numpy(model.ar_weights()).astype(np.float64)
        x = np.zeros_like(logits)
        for j in range(model.data_dim):
            p = expit(logits[:, j] + x[:, :j] @ weights[:j, j])
            x[:, j] = rng.random(len(x)) < p
    side = int(round(np.sqrt(model.data_dim)))
    return 255.0 * (x.reshape(len(x), side, side) if side * side == model.data_dim else x)


def sample_visible(model: FullyVisibleSBN, n: int, seed: int = 0) -> np.ndarray:
    """``n`` binary images drawn from a fully visible model, pixel by pixel in raster order,
    each given the pixels drawn before it; (n, 28, 28) on 0..255 (rows if not square)."""
    rng = np.random.default_rng(seed)
    weights = ops.convert_to_numpy(model.kernel).astype(np.float64) * model._mask
    bias = ops.convert_to_numpy(model.bias).astype(np.float64)
    x = np.zeros((n, model.data_dim))
    for j in range(model.data_dim):
        x[:, j] = rng.random(n) < expit(bias[j] + x[:, :j] @ weights[:j, j])
    side = int(round(np.sqrt(model.data_dim)))
    return 255.0 * (x.reshape(n, side, side) if side * side == model.data_dim else x)


def traverse(
    model: VAE, base: np.ndarray, dims: Sequence[int], values: Sequence[float]
) -> dict[str, list[np.ndarray]]:
    """Decode ``base`` with one latent dimension at a time set to each of ``values``.

    Returns one row of images (0..255) per dimension, keyed ``"z<j>"`` (1-based), for
    :func:`labkit.plots.image_rows`.
    """
    base = np.asarray(base, "float32").reshape(-1)
    rows = {}
    for j in dims:
        if not 0 <= j < model.latent_dim:
            raise ValueError(f"dims must lie in 0..{model.latent_dim - 1}, got {j}")
        codes = np.tile(base, (len(values), 1))
        codes[:, j] = values
        rows[f"z{j + 1}"] = list(decode(model, codes))
    return rows


@dataclass(frozen=True)
class Bounds:
    """Per-image bounds on log p(x) in nats, from k importance samples of q(z | x).

    ``elbo``: the mean of the k log-weights (an unbiased estimate of the ELBO);
    ``iwae``: log of the mean of the k weights (the importance-weighted bound, >= ``elbo``);
    ``kl``: KL(q(z | x) || p(z)), exact (NaN when the model has no closed form);
    ``log_lik``: the mean of log p(x | z) over the samples;
    ``iwae_at``: smaller k -> the bound with that many samples from the same draws (the k
    samples cut into k // m groups of m, each group's bound, averaged over the groups).
    """

    elbo: np.ndarray
    iwae: np.ndarray
    kl: np.ndarray
    log_lik: np.ndarray
    k: int
    iwae_at: dict[int, np.ndarray] = field(default_factory=dict)

    def summary(self) -> dict[str, float | int]:
        """The means as negative log-likelihoods (positive, nats per image; lower is better)."""
        return {
            "elbo_nll_nats": float(-self.elbo.mean()),
            "iwae_nll_nats": float(-self.iwae.mean()),
            "kl_nats": float(self.kl.mean()),
            "reconstruction_nats": float(-self.log_lik.mean()),
            "k": self.k,
            "images": len(self.elbo),
        }


def bounds(
    model: keras.Model,
    x: np.ndarray,
    k: int,
    *,
    seed: int = 0,
    max_rows: int = 16_384,
    binary: bool = True,
    also: Sequence[int] = (),
) -> Bounds:
    """Score binary rows ``x`` with ``k`` samples z_i ~ q(z | x) per image.

    ``also``: smaller numbers of samples m (each dividing ``k``) whose bounds come from the same
    draws at no extra cost (``Bounds.iwae_at``): the k samples in k // m groups of m, each
    group's log-mean-exp, averaged over the groups (an unbiased estimate of the m-sample bound,
    with less noise than one group's).

    Works for any model with ``log_weights(x, k, seed) -> LogWeights``: the ELBO is the mean
    log-weight and the IWAE bound log (1/k) sum_i w_i = logsumexp_i log w_i - log k. Images go
    through the model in chunks of about ``max_rows`` // k images, so memory stays bounded for
    any k and n; ``seed`` fixes the draws. ``binary`` checks that ``x`` holds binary images, as
    a Bernoulli decoder needs; pass ``False`` for a model with a continuous likelihood (chapter
    05's Gaussian decoders).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if any(m < 1 or k % m for m in also):
        raise ValueError(f"each of also={tuple(also)} must divide k = {k}")
    x = np.asarray(x, dtype="float32")
    if binary and x.size and not np.isin(x, (0.0, 1.0)).all():
        raise ValueError(
            "bounds expects binary images (see binarize); pass binary=False for a model with "
            "a continuous likelihood"
        )
    model = float32_twin(model, x[:1])  # scored in float32 whatever it trained in
    noise = keras.random.SeedGenerator(seed)
    chunk = max(1, max_rows // k)
    out: dict[str, list[np.ndarray]] = {"elbo": [], "iwae": [], "kl": [], "log_lik": []}
    at: dict[int, list[np.ndarray]] = {int(m): [] for m in also}

    def parts(rows):  # a graph returns tensors, not a LogWeights
        lw = model.log_weights(rows, k=k, seed=noise)
        return lw.log_w, lw.log_lik, lw.kl

    log_weights = _as_graph(parts) if isinstance(model, keras.Model) else parts
    for i in range(0, len(x), chunk):
        lw = LogWeights(*log_weights(ops.convert_to_tensor(x[i : i + chunk])))
        log_w = ops.convert_to_numpy(ops.cast(lw.log_w, "float64"))  # (k, m)
        out["elbo"].append(log_w.mean(axis=0))
        out["iwae"].append(logsumexp(log_w, axis=0) - np.log(k))
        for m, parts in at.items():
            groups = log_w.reshape(k // m, m, -1)
            parts.append((logsumexp(groups, axis=1) - np.log(m)).mean(axis=0))
        out["log_lik"].append(ops.convert_to_numpy(lw.log_lik).astype(np.float64).mean(axis=0))
        kl = np.full(log_w.shape[1], np.nan) if lw.kl is None else ops.convert_to_numpy(lw.kl)
        out["kl"].append(np.asarray(kl, np.float64))
    return Bounds(
        **{key: np.concatenate(v) for key, v in out.items()}, k=k,
        iwae_at={m: np.concatenate(v) for m, v in at.items()},
    )  # fmt: skip


def _as_graph(function):
    """``function`` traced once into a TensorFlow graph (on that backend; itself otherwise): a
    Keras model's chunk of k samples per image runs as one graph instead of op by op, about an
    eighth faster for k = 5 000 on 2 CPU cores. The last, shorter chunk traces it once more."""
    if keras.backend.backend() != "tensorflow":
        return function
    import tensorflow as tf

    return tf.function(function, reduce_retracing=True)


def float32_twin(model: keras.Model, sample: np.ndarray) -> keras.Model:
    """``model`` itself when it computes in float32; for a model trained in mixed bfloat16
    (its ``precision``), the same model in float32: built from its config with
    ``precision="float32"`` (on ``sample`` rows) and given its weights, which mixed precision
    keeps in float32 already. Bounds are scored on the twin, so a bound is never rounded to
    bfloat16."""
    if getattr(model, "precision", "float32") == "float32":
        return model
    twin = type(model).from_config({**model.get_config(), "precision": "float32"})
    twin(ops.convert_to_tensor(np.asarray(sample, "float32")))
    twin.set_weights(model.get_weights())
    return twin


def bounds_by_k(
    model: keras.Model, x: np.ndarray, ks: Sequence[int], *, seed: int = 0
) -> pd.DataFrame:
    """How the importance-weighted bound tightens with k, on rows ``x``: each k with its own
    draws (seed ``seed + k``).

    Burda et al.'s theorem 1 says E[L_k] <= E[L_m] for k < m: in expectation, not draw by
    draw. Per k (rows): ``iwae_nll`` and ``elbo_nll`` (means over the images, nats), and against
    the previous k: ``drop``, the mean fall of -L_k per image, its standard error ``drop_se``
    over the images (the draws of the two ks are independent), ``drop_z`` = drop / drop_se, and
    ``rose_share``, the share of images whose estimate of -L_k rose instead (possible for a
    single draw, however large the expected fall).
    """
    rows, previous = {}, None
    for k in sorted(set(int(k) for k in ks)):
        b = bounds(model, x, k=k, seed=seed + k)
        row = {"elbo_nll": float(-b.elbo.mean()), "iwae_nll": float(-b.iwae.mean())}
        if previous is not None:
            drop = b.iwae - previous  # per image: -L_prev - (-L_k)
            row |= {
                "drop": float(drop.mean()),
                "drop_se": float(drop.std(ddof=1) / np.sqrt(len(drop))),
                "rose_share": float((drop < 0).mean()),
            }
            row["drop_z"] = row["drop"] / row["drop_se"]
        rows[k] = row
        previous = b.iwae
    return pd.DataFrame(rows).T.rename_axis("k")
