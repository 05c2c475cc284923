"""The VAE's pieces, in NumPy, so chapter 04 can check every step of the derivation.

* Gaussian log-densities and KL divergences (closed form, discrete, Monte-Carlo).
* :class:`LinearGaussian`: the linear-Gaussian latent-variable model (probabilistic PCA),
  p(z) = N(0, I), p(x | z) = N(Wz + b, s2 I), where log p(x), the posterior p(z | x) and the
  ELBO of any Gaussian q are exact, so "log p(x) = ELBO + KL(q || posterior)" can be checked
  to rounding error.
* The two gradient estimators of the ELBO (score function and reparameterisation).
* The mean log-likelihood of a linear-Gaussian model, its gradient and its closed-form
  maximum (the finish line of :mod:`labkit.vae.algorithms`, which runs the draft's Algorithms
  1 and 2).

Every logarithm is natural: log-densities, KL divergences and ELBOs are in nats.
The Keras VAE itself is in :mod:`labkit.vae.model`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOG_2PI = float(np.log(2.0 * np.pi))


def log_normal_diag(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """log N(x; mean, diag(var)) in nats, summed over the last axis (broadcasts)."""
    x, mean, var = np.asarray(x, float), np.asarray(mean, float), np.asarray(var, float)
    if np.any(var <= 0):
        raise ValueError("var must be positive")
    return -0.5 * np.sum(LOG_2PI + np.log(var) + (x - mean) ** 2 / var, axis=-1)


def log_mvn(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log N(x; mean, cov) in nats for rows ``x`` (..., D) and a full covariance (D, D)."""
    x, mean, cov = np.asarray(x, float), np.asarray(mean, float), np.asarray(cov, float)
    chol = np.linalg.cholesky(cov)  # raises LinAlgError unless cov is positive definite
    diff = (x - mean).reshape(-1, cov.shape[0])
    sol = np.linalg.solve(chol, diff.T)  # L^-1 (x - mean)
    maha = np.sum(sol**2, axis=0)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    out = -0.5 * (cov.shape[0] * LOG_2PI + logdet + maha)
    return out.reshape(np.shape(x)[:-1])


def kl_gaussian_diag(
    mean_q: np.ndarray, var_q: np.ndarray, mean_p: np.ndarray = 0.0, var_p: np.ndarray = 1.0
) -> np.ndarray:
    """KL(N(mean_q, diag var_q) || N(mean_p, diag var_p)) in nats, summed over the last axis.

    With the defaults it is the VAE's KL to the standard-normal prior,
    0.5 * sum(var + mean^2 - 1 - log var).
    """
    mean_q, var_q = np.asarray(mean_q, float), np.asarray(var_q, float)
    mean_p, var_p = np.broadcast_to(mean_p, mean_q.shape), np.broadcast_to(var_p, var_q.shape)
    if np.any(var_q <= 0) or np.any(var_p <= 0):
        raise ValueError("variances must be positive")
    ratio = var_q / var_p
    return 0.5 * np.sum(ratio + (mean_q - mean_p) ** 2 / var_p - 1.0 - np.log(ratio), axis=-1)


def kl_gaussian(
    mean_q: np.ndarray, cov_q: np.ndarray, mean_p: np.ndarray, cov_p: np.ndarray
) -> float:
    """KL(N(mean_q, cov_q) || N(mean_p, cov_p)) in nats for full covariances."""
    mean_q, mean_p = np.asarray(mean_q, float), np.asarray(mean_p, float)
    cov_q, cov_p = np.asarray(cov_q, float), np.asarray(cov_p, float)
    k = mean_q.shape[-1]
    chol_p = np.linalg.cholesky(cov_p)
    chol_q = np.linalg.cholesky(cov_q)
    a = np.linalg.solve(chol_p, chol_q)  # L_p^-1 L_q: trace term = ||a||_F^2
    d = np.linalg.solve(chol_p, mean_p - mean_q)
    logdet = 2.0 * (np.sum(np.log(np.diag(chol_p))) - np.sum(np.log(np.diag(chol_q))))
    return float(0.5 * (np.sum(a**2) + np.sum(d**2) - k + logdet))


def kl_discrete(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) in nats for probability vectors.

    Terms with p_i = 0 count 0; a p_i > 0 where q_i = 0 makes the divergence infinite.
    """
    p, q = np.asarray(p, float), np.asarray(q, float)
    for name, v in (("p", p), ("q", q)):
        if np.any(v < 0) or not np.isclose(v.sum(), 1.0):
            raise ValueError(f"{name} must be a probability vector (non-negative, sums to 1)")
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def _mean_and_se(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of ``samples`` over their first axis and its standard error, sd / sqrt(n)."""
    samples = np.asarray(samples, float)
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))


def kl_monte_carlo(
    sample_q: Callable[[int, np.random.Generator], np.ndarray],
    log_q: Callable[[np.ndarray], np.ndarray],
    log_p: Callable[[np.ndarray], np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Monte-Carlo KL(q || p) = E_q[log q(z) - log p(z)] from ``n`` draws of q.

    Returns the estimate and its standard error (nats).
    """
    z = sample_q(n, rng)
    estimate, se = _mean_and_se(log_q(z) - log_p(z))
    return float(estimate), float(se)


@dataclass(frozen=True)
class LinearGaussian:
    """p(z) = N(0, I_d), p(x | z) = N(W z + b, noise_var I_D): probabilistic PCA.

    Everything the VAE has to approximate is exact here: the marginal
    p(x) = N(b, W W^T + noise_var I) and the posterior
    p(z | x) = N(M^-1 W^T (x - b), noise_var M^-1) with M = W^T W + noise_var I.
    """

    W: np.ndarray
    b: np.ndarray
    noise_var: float

    def __post_init__(self) -> None:
        if np.ndim(self.W) != 2 or np.shape(self.b) != (np.shape(self.W)[0],):
            raise ValueError("W must be (D, d) and b (D,)")
        if not self.noise_var > 0:
            raise ValueError(f"noise_var must be positive, got {self.noise_var}")

    @classmethod
    def random(
        cls, data_dim: int, latent_dim: int, noise_var: float = 0.5, seed: int = 0
    ) -> LinearGaussian:
        """A model with standard-normal W and b (a fixed ``seed``)."""
        rng = np.random.default_rng(seed)
        return cls(
            rng.standard_normal((data_dim, latent_dim)), rng.standard_normal(data_dim), noise_var
        )

    @property
    def data_dim(self) -> int:
        return int(self.W.shape[0])

    @property
    def latent_dim(self) -> int:
        return int(self.W.shape[1])

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` draws (x, z) from the joint p(x, z) = p(x | z) p(z)."""
        z = rng.standard_normal((n, self.latent_dim))
        noise = rng.standard_normal((n, self.data_dim)) * np.sqrt(self.noise_var)
        return z @ self.W.T + self.b + noise, z

    def marginal_cov(self) -> np.ndarray:
        """Cov of p(x): W W^T + noise_var I."""
        return self.W @ self.W.T + self.noise_var * np.eye(self.data_dim)

    def log_marginal(self, x: np.ndarray) -> np.ndarray:
        """log p(x) in nats, exact (rows of ``x``)."""
        return log_mvn(x, self.b, self.marginal_cov())

    def log_prior(self, z: np.ndarray) -> np.ndarray:
        """log p(z) = log N(z; 0, I)."""
        return log_normal_diag(z, 0.0, np.ones(self.latent_dim))

    def log_likelihood(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(x | z) = log N(x; W z + b, noise_var I); broadcasts over leading axes."""
        mean = np.asarray(z) @ self.W.T + self.b
        return log_normal_diag(x, mean, np.full(self.data_dim, self.noise_var))

    def log_joint(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(x, z) = log p(x | z) + log p(z)."""
        return self.log_likelihood(x, z) + self.log_prior(z)

    def posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The exact posterior p(z | x) = N(mean, cov): ``mean`` per row of x, one ``cov``."""
        m = self.W.T @ self.W + self.noise_var * np.eye(self.latent_dim)
        m_inv = np.linalg.inv(m)
        mean = (np.asarray(x, float) - self.b) @ self.W @ m_inv.T
        return mean, self.noise_var * m_inv

    def elbo(self, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
        """The ELBO E_q[log p(x, z)] + H(q) of one data point ``x`` for q = N(mean, cov), exact.

        E_q log p(x|z) = log N(x; W mean + b, s2 I) - tr(W cov W^T) / (2 s2), and
        E_q log p(z) + H(q) = -KL(q || p(z)).
        """
        x, mean, cov = np.asarray(x, float), np.asarray(mean, float), np.asarray(cov, float)
        expected_ll = float(self.log_likelihood(x, mean)) - np.trace(self.W @ cov @ self.W.T) / (
            2.0 * self.noise_var
        )
        kl_prior = kl_gaussian(mean, cov, np.zeros(self.latent_dim), np.eye(self.latent_dim))
        return float(expected_ll - kl_prior)

    def elbo_monte_carlo(
        self, x: np.ndarray, mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator
    ) -> tuple[float, float]:
        """Monte-Carlo ELBO E_q[log p(x, z) - log q(z)] for q = N(mean, cov), from n draws.

        Returns the estimate and its standard error (nats).
        """
        mean, cov = np.asarray(mean, float), np.asarray(cov, float)
        z = mean + rng.standard_normal((n, self.latent_dim)) @ np.linalg.cholesky(cov).T
        estimate, se = _mean_and_se(self.log_joint(x, z) - log_mvn(z, mean, cov))
        return float(estimate), float(se)

    def grad_log_joint(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """d/dz log p(x, z) = W^T (x - W z - b) / s2 - z, per row of ``z``."""
        z = np.asarray(z, float)
        resid = np.asarray(x, float) - z @ self.W.T - self.b
        return resid @ self.W / self.noise_var - z

    def elbo_theta_gradient(self, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
        """The exact gradient of the ELBO of one ``x`` for q = N(mean, cov) with respect to the
        model's parameters theta = (W, b, log noise_var), flattened as :meth:`theta_vector`.

        With r = x - W mean - b and s2 the noise variance:
        dELBO/db = r / s2, dELBO/dW = (r mean^T - W cov) / s2 and
        dELBO/d log s2 = (|r|^2 + tr(W cov W^T)) / (2 s2) - D / 2.
        """
        x, mean, cov = np.asarray(x, float), np.asarray(mean, float), np.asarray(cov, float)
        s2 = self.noise_var
        r = x - self.W @ mean - self.b
        g_w = (np.outer(r, mean) - self.W @ cov) / s2
        g_b = r / s2
        spread = float(r @ r + np.trace(self.W @ cov @ self.W.T))
        g_log_var = spread / (2.0 * s2) - self.data_dim / 2.0
        return np.concatenate([g_w.ravel(), g_b, [g_log_var]])

    def theta_vector(self) -> np.ndarray:
        """theta = (W row by row, b, log noise_var) as one vector."""
        return np.concatenate([self.W.ravel(), self.b, [np.log(self.noise_var)]])

    def with_theta(self, theta: np.ndarray) -> LinearGaussian:
        """The model with parameters ``theta`` (laid out as :meth:`theta_vector`)."""
        theta = np.asarray(theta, float)
        n_w = self.W.size
        return LinearGaussian(
            theta[:n_w].reshape(self.W.shape),
            theta[n_w : n_w + self.data_dim],
            float(np.exp(theta[-1])),
        )

    def theta_names(self) -> list[str]:
        """Display names of theta's entries, in :meth:`theta_vector`'s order."""
        d_big, d = self.W.shape
        names = [f"W[{i + 1},{j + 1}]" for i in range(d_big) for j in range(d)]
        return names + [f"b[{i + 1}]" for i in range(d_big)] + ["log noise var"]

    def grad_theta_log_joint(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """grad_theta log p(x, z) at codes ``z`` (rows), one row per code: the integrand of the
        draft's eq. 2.10 (log q does not depend on theta, so it drops out)."""
        z = np.atleast_2d(np.asarray(z, float))
        s2 = self.noise_var
        r = np.asarray(x, float) - z @ self.W.T - self.b  # (n, D)
        g_w = (r[:, :, None] * z[:, None, :]).reshape(len(z), -1) / s2
        g_log_var = np.sum(r**2, axis=1) / (2.0 * s2) - self.data_dim / 2.0
        return np.concatenate([g_w, r / s2, g_log_var[:, None]], axis=1)

    def elbo_gradient(self, x: np.ndarray, mean: np.ndarray, log_std: np.ndarray) -> np.ndarray:
        """The exact gradient of the ELBO of ``x`` for q = N(mean, diag exp(2 log_std)).

        Returned as one vector [d/d mean, d/d log_std] (2 d values).
        """
        mean, std = np.asarray(mean, float), np.exp(np.asarray(log_std, float))
        g_mean = self.grad_log_joint(x, mean)
        col_sq = np.sum(self.W**2, axis=0)
        g_log_std = 1.0 - std**2 * (col_sq / self.noise_var + 1.0)
        return np.concatenate([g_mean, g_log_std])


def gaussian_kl_check(
    mean_q: np.ndarray,
    var_q: np.ndarray,
    mean_p: np.ndarray,
    var_p: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """KL(q || p) for diagonal Gaussians in closed form and by ``n`` Monte-Carlo draws of q
    (estimate and standard error), in nats."""
    mean_q, var_q = np.asarray(mean_q, float), np.asarray(var_q, float)
    estimate, se = kl_monte_carlo(
        lambda k, r: mean_q + np.sqrt(var_q) * r.standard_normal((k, len(mean_q))),
        lambda z: log_normal_diag(z, mean_q, var_q),
        lambda z: log_normal_diag(z, mean_p, var_p),
        n,
        rng,
    )
    closed = float(kl_gaussian_diag(mean_q, var_q, mean_p, var_p))
    return {"closed_form": closed, "monte_carlo": estimate, "standard_error": se}


def elbo_table(
    model: LinearGaussian,
    x: np.ndarray,
    qs: dict[str, tuple[np.ndarray, np.ndarray]],
    n: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """For each named q = N(mean, cov): ``log_px``, the exact ``elbo``, a Monte-Carlo ELBO from
    ``n`` draws (``elbo_mc``) with its standard error (``elbo_mc_se``), ``kl_to_posterior``
    KL(q || p(z | x)), and the identity's residual ``gap`` = log p(x) - ELBO - KL, which should
    be zero to rounding error (all in nats; :data:`LABELS` has their display names)."""
    post_mean, post_cov = model.posterior(x)
    log_px = float(model.log_marginal(x))
    rows = {}
    for name, (mean, cov) in qs.items():
        elbo = model.elbo(x, mean, cov)
        mc, se = model.elbo_monte_carlo(x, mean, cov, n, rng)
        kl = kl_gaussian(mean, cov, post_mean, post_cov)
        rows[name] = {
            "log_px": log_px,
            "elbo": elbo,
            "elbo_mc": mc,
            "elbo_mc_se": se,
            "kl_to_posterior": kl,
            "gap": log_px - elbo - kl,
        }
    return pd.DataFrame(rows).T


def estimator_summary(exact: np.ndarray, samples: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per parameter (rows): the exact gradient and, per estimator, the ``mean`` of its
    single-sample estimates, the ``z`` score of that mean against the exact value (|z| < 4 is
    what unbiasedness predicts, nearly always) and the ``variance`` of one estimate. Columns
    are (estimator, statistic) pairs; the exact gradient is ``("exact", "value")``."""
    d = len(exact) // 2
    names = [f"d/d mean_{i + 1}" for i in range(d)] + [f"d/d log std_{i + 1}" for i in range(d)]
    columns = {("exact", "value"): exact}
    for label, g in samples.items():
        mean, se = _mean_and_se(g)
        columns[label, "mean"] = mean
        columns[label, "z"] = (mean - exact) / se
        columns[label, "variance"] = g.var(axis=0, ddof=1)
    table = pd.DataFrame(columns, index=names)
    table.columns.names = ["estimator", "statistic"]
    return table


#: Display names of the tables' columns and keys (data keys stay snake_case; apply these only
#: when a table is shown, e.g. ``frame.rename(columns=vae.LABELS)``).
LABELS: dict[str, str] = {
    "closed_form": "closed form",
    "monte_carlo": "Monte Carlo",
    "standard_error": "standard error",
    "log_px": "log p(x)",
    "elbo": "ELBO",
    "elbo_mc": "ELBO, Monte Carlo",
    "elbo_mc_se": "MC s.e.",
    "kl_to_posterior": "KL(q || posterior)",
    "gap": "log p(x) - ELBO - KL",
    "final_excess_nll": "final excess NLL",
    "start_excess_nll": "excess NLL at the start",
    "best_excess_nll": "best excess NLL",
    "passes_to_tol": "passes to tol",
    "seconds_to_tol": "seconds to tol",
    "learning_rate": "learning rate",
    "exact": "exact",
    "finite_difference": "finite difference",
    "mc_mean": "estimator mean",
    "mc_se": "s.e.",
    "wall_seconds": "wall-clock seconds",
    "first": "first seed",
    "mean": "mean over seeds",
    "sd": "sd over seeds",
    "n": "seeds",
    "elbo_first": "-ELBO, first seed",
    "train_minutes": "training (min per seed)",
    "elbo_nll": "-ELBO",
    "iwae_nll": "-IWAE bound",
    "drop": "fall from the previous k",
    "drop_se": "its s.e.",
    "drop_z": "fall / s.e.",
    "rose_share": "share of images that rose",
}


def elbo_along_path(model: LinearGaussian, x: np.ndarray, ts: np.ndarray) -> pd.DataFrame:
    """The exact ELBO of x for q_t = N(t * posterior mean, posterior cov) along ``ts``.

    t = 0 puts q's mean at the prior's, t = 1 makes q the posterior. Columns: t, elbo,
    kl_to_posterior, log_px (the same for every t) and ``gap`` = log_px - elbo - kl, which
    the identity log p(x) = ELBO + KL(q || p(z | x)) says is zero.
    """
    post_mean, post_cov = model.posterior(x)
    log_px = float(model.log_marginal(x))
    rows = []
    for t in np.asarray(ts, float):
        elbo = model.elbo(x, t * post_mean, post_cov)
        kl = kl_gaussian(t * post_mean, post_cov, post_mean, post_cov)
        rows.append({"t": t, "elbo": elbo, "kl_to_posterior": kl, "log_px": log_px})
    frame = pd.DataFrame(rows)
    frame["gap"] = frame["log_px"] - frame["elbo"] - frame["kl_to_posterior"]
    return frame


def reparameterization_gradients(
    model: LinearGaussian,
    x: np.ndarray,
    mean: np.ndarray,
    log_std: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` single-sample reparameterisation estimates of the ELBO's gradient, (n, 2 d).

    z = mean + std * eps with eps ~ N(0, I), so d/d mean = grad_z log p(x, z) and
    d/d log_std = grad_z log p(x, z) * std * eps + 1 (the entropy's exact gradient).
    """
    mean, std = np.asarray(mean, float), np.exp(np.asarray(log_std, float))
    eps = rng.standard_normal((n, model.latent_dim))
    g = model.grad_log_joint(x, mean + std * eps)
    return np.concatenate([g, g * std * eps + 1.0], axis=1)


def score_function_gradients(
    model: LinearGaussian,
    x: np.ndarray,
    mean: np.ndarray,
    log_std: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    entropy: str = "sampled",
    baseline: float = 0.0,
) -> np.ndarray:
    """``n`` single-sample score-function (REINFORCE) estimates of the ELBO's gradient, (n, 2 d).

    grad E_q[f] = E_q[f grad log q] + E_q[grad f]; the second term is -E_q[grad log q(z)] at
    fixed z, which is zero (the integral of grad q is the gradient of the integral of q, 1), so
    it is dropped. ``entropy="sampled"``: f(z) = log p(x, z) - log q(z), every part sampled.
    ``entropy="exact"``: f(z) = log p(x, z) only, plus the entropy's exact gradient (0 for the
    means, 1 for each log std), as :func:`reparameterization_gradients` has it. ``baseline``
    is a constant subtracted from f (a control variate: E_q[c grad log q] = 0, so any constant
    keeps the estimator unbiased; a good one is close to E_q[f], see :func:`score_baseline`).
    """
    if entropy not in ("sampled", "exact"):
        raise ValueError(f"entropy must be 'sampled' or 'exact', got {entropy!r}")
    mean, std = np.asarray(mean, float), np.exp(np.asarray(log_std, float))
    eps = rng.standard_normal((n, model.latent_dim))
    f = _score_f(model, x, mean + std * eps, mean, std, entropy)
    g = (f - baseline)[:, None] * score_of_q(eps, std)
    if entropy == "exact":
        g[:, model.latent_dim :] += 1.0
    return g


def score_of_q(eps: np.ndarray, std: np.ndarray) -> np.ndarray:
    """grad log q(z) w.r.t. (mean, log std) at z = mean + std * eps, one row per draw: the
    score, eps / std and eps^2 - 1. Its expectation under q is zero (the term the
    score-function estimator drops)."""
    eps = np.asarray(eps, float)
    return np.concatenate([eps / std, eps**2 - 1.0], axis=1)


def score_baseline(
    model: LinearGaussian,
    x: np.ndarray,
    mean: np.ndarray,
    log_std: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    entropy: str = "sampled",
) -> float:
    """A constant baseline for :func:`score_function_gradients`: the mean of f over ``n`` draws
    of q made beforehand (independent of the draws it is used with, so the estimator stays
    unbiased)."""
    mean, std = np.asarray(mean, float), np.exp(np.asarray(log_std, float))
    z = mean + std * rng.standard_normal((n, model.latent_dim))
    return float(_score_f(model, x, z, mean, std, entropy).mean())


def _score_f(
    model: LinearGaussian,
    x: np.ndarray,
    z: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    entropy: str,
) -> np.ndarray:
    """The f the score-function estimator weighs, at draws ``z`` of q = N(mean, std^2): log
    p(x, z), less log q(z) when ``entropy`` is ``"sampled"``."""
    f = model.log_joint(x, z)
    return f - log_normal_diag(z, mean, std**2) if entropy == "sampled" else f


def theta_gradient_table(
    model: LinearGaussian,
    x: np.ndarray,
    mean: np.ndarray,
    cov: np.ndarray,
    n: int,
    rng: np.random.Generator,
    step: float = 1e-6,
) -> pd.DataFrame:
    """The draft's eq. 2.10 checked: per entry of theta = (W, b, log noise_var), the exact
    gradient of the ELBO of ``x`` for q = N(mean, cov) (``exact``), a central finite difference
    of the exact ELBO (``finite_difference``), and the Monte-Carlo estimator
    grad_theta log p(x, z), z ~ q, averaged over ``n`` draws (``mc_mean``, ``mc_se`` and ``z``,
    its distance from the exact value in standard errors)."""
    mean, cov = np.asarray(mean, float), np.asarray(cov, float)
    exact = model.elbo_theta_gradient(x, mean, cov)
    theta = model.theta_vector()
    fd = np.empty_like(theta)
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        fd[i] = (
            model.with_theta(up).elbo(x, mean, cov) - model.with_theta(down).elbo(x, mean, cov)
        ) / (2.0 * step)
    z = mean + rng.standard_normal((n, model.latent_dim)) @ np.linalg.cholesky(cov).T
    mc, se = _mean_and_se(model.grad_theta_log_joint(x, z))
    return pd.DataFrame(
        {
            "exact": exact,
            "finite_difference": fd,
            "mc_mean": mc,
            "mc_se": se,
            "z": (mc - exact) / se,
        },
        index=model.theta_names(),
    )


def dataset_elbo_table(
    model: LinearGaussian, x: np.ndarray, qs: dict[str, Callable[[np.ndarray], tuple]]
) -> pd.DataFrame:
    """The draft's eq. 2.8 checked: for each named rule ``q(x_i) -> (mean, cov)`` giving every
    data point its own Gaussian q, the dataset's ELBO L(X) = sum_i ELBO(x_i) / N (``elbo``), the
    mean log p(x_i) (``log_px``), the mean KL(q_i || p(z | x_i)) (``kl_to_posterior``) and the
    residual ``gap`` = log_px - elbo - kl, zero by eq. 2.5 averaged over the data."""
    x = np.atleast_2d(np.asarray(x, float))
    log_px = float(model.log_marginal(x).mean())
    post_means, post_cov = model.posterior(x)
    rows = {}
    for name, rule in qs.items():
        elbos, kls = [], []
        for xi, post_mean in zip(x, post_means, strict=True):
            mean, cov = rule(xi)
            elbos.append(model.elbo(xi, mean, cov))
            kls.append(kl_gaussian(mean, cov, post_mean, post_cov))
        elbo, kl = float(np.mean(elbos)), float(np.mean(kls))
        rows[name] = {"log_px": log_px, "elbo": elbo, "kl_to_posterior": kl,
                      "gap": log_px - elbo - kl}  # fmt: skip
    return pd.DataFrame(rows).T


# --- learning the linear-Gaussian model: batch gradient descent vs minibatch SGD ------------


def mean_log_likelihood(model: LinearGaussian, x: np.ndarray) -> float:
    """The data's mean log p(x) in nats (the objective both optimisers climb)."""
    return float(model.log_marginal(x).mean())


def log_likelihood_gradient(
    model: LinearGaussian, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Gradient of the mean log p(x) over rows ``x`` w.r.t. (W, b, log noise_var).

    With C = W W^T + s2 I and S = mean (x - b)(x - b)^T, dL/dC = C^-1 (S - C) C^-1 / 2, so
    dL/dW = 2 dL/dC W, dL/db = C^-1 (mean x - b) and dL/d log s2 = s2 tr(dL/dC).
    It is a mean over rows, so on a minibatch it is an unbiased estimate of the full one.
    """
    x = np.asarray(x, float)
    c_inv = np.linalg.inv(model.marginal_cov())
    diff = x - model.b
    proj = diff @ c_inv  # rows (x - b)^T C^-1
    g_c = 0.5 * (proj.T @ proj / len(x) - c_inv)
    g_w = 2.0 * g_c @ model.W
    g_b = c_inv @ diff.mean(axis=0)
    g_log_var = float(model.noise_var * np.trace(g_c))
    return g_w, g_b, g_log_var


def ppca_maximum_likelihood(x: np.ndarray, latent_dim: int) -> LinearGaussian:
    """The closed-form maximum-likelihood linear-Gaussian model (Tipping & Bishop, 1999).

    b = the data mean, noise_var = the mean of the discarded covariance eigenvalues,
    W = U_d (Lambda_d - noise_var I)^1/2 (unique up to a rotation of z).
    """
    x = np.asarray(x, float)
    b = x.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))
    eigval, eigvec = eigval[::-1], eigvec[:, ::-1]
    noise_var = float(eigval[latent_dim:].mean())
    w = eigvec[:, :latent_dim] * np.sqrt(np.maximum(eigval[:latent_dim] - noise_var, 0.0))
    return LinearGaussian(w, b, noise_var)
