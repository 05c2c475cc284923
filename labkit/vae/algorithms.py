"""The draft's Algorithms 1 and 2 on a VAE whose ELBO is exact: as written and as meant.

The model is the linear-Gaussian one (:class:`labkit.vae.derivation.LinearGaussian`, theta) with
an amortised inference model q(z | x) = N(A x + c, L L^T) (phi: A, c and a lower-triangular L
with a positive diagonal). The exact posterior is of that form, so the best ELBO over (theta,
phi) equals the maximum log-likelihood, which has a closed form: the finish line is known.

Both algorithms climb the ELBO with the reparameterised one-sample estimator of eq. 2.16 (one
epsilon per data point, gradients with respect to theta and phi), and are scored by the exact
ELBO of the whole data set after each pass. :func:`run` runs them as meant and as the draft
writes them:

* ``"batch"``: Algorithm 1 as meant, every step on all of X.
* ``"batch, as written"``: Algorithm 1 as printed, whose update uses grad L(x), the gradient of
  one data point x (the same point every step): it fits that point, not the data.
* ``"minibatch"``: Algorithm 2 as meant, a minibatch M subset of X of ``batch_size`` points.
* ``"minibatch, as written"``: Algorithm 2's "M in X", a minibatch that is one element of X:
  single points, at the rate chosen for ``batch_size``.
* ``descend=True``: the update as the algorithms are named, gradient *descent* on L
  (theta - eta grad L), which lowers the ELBO.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .derivation import LOG_2PI, LinearGaussian

__all__ = ["RULES", "LinearVAE", "run", "summary", "sweep", "verdict_text"]

#: The ways :func:`run` takes a step (see the module's docstring).
RULES = ("batch", "batch, as written", "minibatch", "minibatch, as written")


@dataclass(frozen=True)
class LinearVAE:
    """theta: the linear-Gaussian ``model``; phi: q(z | x) = N(A x + c, L L^T) with L lower
    triangular, its diagonal exp(``log_diag``) and its strictly lower part ``lower``."""

    model: LinearGaussian
    A: np.ndarray
    c: np.ndarray
    lower: np.ndarray
    log_diag: np.ndarray

    @classmethod
    def start(cls, data_dim: int, latent_dim: int, seed: int = 0) -> LinearVAE:
        """Small random W, q's mean at 0 and its covariance I: a start far from the maximum."""
        rng = np.random.default_rng(seed)
        model = LinearGaussian(0.1 * rng.standard_normal((data_dim, latent_dim)),
                               np.zeros(data_dim), 1.0)  # fmt: skip
        d = latent_dim
        return cls(model, np.zeros((d, data_dim)), np.zeros(d), np.zeros((d, d)), np.zeros(d))

    @property
    def L(self) -> np.ndarray:
        """q's Cholesky factor."""
        return np.tril(self.lower, -1) + np.diag(np.exp(self.log_diag))

    def elbo(self, x: np.ndarray) -> np.ndarray:
        """The exact ELBO of each row of ``x`` (nats): E_q log p(x | z) - KL(q(z | x) || p(z))."""
        x = np.asarray(x, float)
        m, w, s2 = x @ self.A.T + self.c, self.model.W, self.model.noise_var
        cov = self.L @ self.L.T
        d, big_d = len(self.c), x.shape[1]
        resid = x - m @ w.T - self.model.b
        expected_ll = (-0.5 * (resid**2).sum(axis=1) / s2 - 0.5 * big_d * (LOG_2PI + np.log(s2))
                       - np.trace(w @ cov @ w.T) / (2 * s2))  # fmt: skip
        kl = 0.5 * (np.trace(cov) + (m**2).sum(axis=1) - d - 2 * self.log_diag.sum())
        return expected_ll - kl

    def gradients(self, x: np.ndarray, eps: np.ndarray) -> dict[str, np.ndarray]:
        """The reparameterised one-sample estimate of the mean ELBO's gradient over the rows
        ``x`` (each with its own row of ``eps``), with respect to theta (``W``, ``b``,
        ``log_var``) and phi (``A``, ``c``, ``lower``, ``log_diag``): eq. 2.16 with x^(i) in
        every place. The entropy's part is exact: at fixed eps, -log q = |eps|^2 / 2 +
        sum log diag(L) + const."""
        x, eps = np.asarray(x, float), np.asarray(eps, float)
        n, w, s2 = len(x), self.model.W, self.model.noise_var
        L = self.L
        z = x @ self.A.T + self.c + eps @ L.T
        r = x - z @ w.T - self.model.b
        g = r @ w / s2 - z  # d/dz log p(x, z), per row
        g_l = g.T @ eps / n
        return {
            "W": r.T @ z / (n * s2),
            "b": r.mean(axis=0) / s2,
            "log_var": np.array((r**2).sum(axis=1).mean() / (2 * s2) - x.shape[1] / 2),
            "A": g.T @ x / n,
            "c": g.mean(axis=0),
            "lower": np.tril(g_l, -1),
            "log_diag": np.diag(g_l) * np.exp(self.log_diag) + 1.0,
        }

    def step(self, grads: dict[str, np.ndarray], lr: float) -> LinearVAE:
        """theta and phi moved by ``lr`` times ``grads`` (ascent for lr > 0)."""
        m = self.model
        noise_var = float(np.exp(np.log(m.noise_var) + lr * grads["log_var"]))
        model = LinearGaussian(m.W + lr * grads["W"], m.b + lr * grads["b"], noise_var)
        return replace(self, model=model, A=self.A + lr * grads["A"], c=self.c + lr * grads["c"],
                       lower=self.lower + lr * grads["lower"],
                       log_diag=self.log_diag + lr * grads["log_diag"])  # fmt: skip


def run(
    x: np.ndarray,
    start: LinearVAE,
    *,
    rule: str,
    lr: float,
    passes: float,
    batch_size: int = 100,
    descend: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """Climb (or, with ``descend``, descend) the ELBO of ``x`` from ``start`` by ``rule``
    (:data:`RULES`) at the learning rate ``lr`` for ``passes`` passes over the data (a pass is
    len(x) points' gradients: one step of a batch rule, len(x) / size steps of a minibatch
    rule). Returns one row per pass (and the start): ``pass``, ``step`` and ``neg_elbo``, the
    exact negative mean ELBO of all of ``x`` (nats); a run whose parameters leave the finite
    numbers stops there with ``diverged`` True on its last row."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be 1..{len(x)}, got {batch_size}")
    rng = np.random.default_rng(seed)
    n = len(x)
    size = {"batch": n, "batch, as written": 1, "minibatch": batch_size,
            "minibatch, as written": 1}[rule]  # fmt: skip
    per_pass = 1 if rule.startswith("batch") else n // size
    sign = -1.0 if descend else 1.0
    vae, rows, step = start, [{"pass": 0, "step": 0, "neg_elbo": -start.elbo(x).mean()}], 0
    one = x[rng.integers(n)][None]  # "x" of Algorithm 1 as printed: one point, kept
    with np.errstate(all="ignore"):
        for p in range(1, int(np.ceil(passes)) + 1):
            order = rng.permutation(n)
            for i in range(per_pass):
                if rule == "batch":
                    batch = x
                elif rule == "batch, as written":
                    batch = one
                else:
                    batch = x[order[i * size : (i + 1) * size]]
                eps = rng.standard_normal((len(batch), len(vae.c)))
                try:
                    vae = vae.step(vae.gradients(batch, eps), sign * lr)
                except ValueError:  # the noise variance left the positive numbers
                    value = np.nan
                    break
                step += 1
            else:
                value = float(-vae.elbo(x).mean())
            if not np.isfinite(value) or abs(np.log(vae.model.noise_var)) > 50:
                rows.append({"pass": p, "step": step, "neg_elbo": np.nan, "diverged": True})
                break
            rows.append({"pass": p, "step": step, "neg_elbo": value})
    frame = pd.DataFrame(rows)
    frame["diverged"] = frame.get("diverged", pd.Series(False, index=frame.index)).fillna(False)
    return frame.astype({"diverged": bool})


def summary(runs: dict[str, pd.DataFrame], best_nll: float, tol: float = 0.05) -> pd.DataFrame:
    """Per run: ``passes``, ``steps``, ``final_excess`` (its last negative mean ELBO minus the
    maximum likelihood's negative mean log-likelihood, nats; >= 0 up to rounding, since the
    ELBO is below log p(x) and log p(x) below its maximum; NaN if it diverged), ``diverged``,
    ``passes_to_tol`` (the first pass within ``tol`` nats; NaN if none) and ``reached``."""
    rows = {}
    for name, h in runs.items():
        excess = h["neg_elbo"] - best_nll
        hit = h.loc[excess <= tol, "pass"]
        rows[name] = {
            "passes": float(h["pass"].iloc[-1]),
            "steps": float(h["step"].iloc[-1]),
            "final_excess": float(excess.iloc[-1]),
            "diverged": bool(h["diverged"].iloc[-1]),
            "passes_to_tol": float(hit.iloc[0]) if len(hit) else np.nan,
            "reached": bool(excess.iloc[-1] <= tol),
        }
    return pd.DataFrame(rows).T


def sweep(
    x: np.ndarray,
    start: LinearVAE,
    *,
    rule: str,
    rates: list[float],
    passes: float,
    best_nll: float,
    batch_size: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`run` by ``rule`` at each of ``rates`` from ``start``, summarised by
    :func:`summary`, one row per rate (index ``learning_rate``); a rate that diverged has a NaN
    ``final_excess``, so ``final_excess.idxmin()`` picks the best rate that did not."""
    runs = {lr: run(x, start, rule=rule, lr=lr, passes=passes, batch_size=batch_size, seed=seed)
            for lr in rates}  # fmt: skip
    return summary(runs, best_nll).rename_axis("learning_rate")


def verdict_text(table: pd.DataFrame, pairs: dict[str, tuple[str, str]], tol: float) -> str:
    """One sentence per algorithm in ``pairs`` (its name -> the rows of ``table``, a
    :func:`summary`, run as meant and as printed): where each ended, in nats above the
    maximum likelihood, and whether the version as meant reached ``tol`` and the printed one
    did not."""

    def where(row: pd.Series) -> str:
        if row["diverged"]:
            return f"diverged after {row['passes']:g} passes"
        hit = (
            ""
            if np.isnan(row["passes_to_tol"])
            else f", within {tol:g} nats from pass {row['passes_to_tol']:g}"
        )
        return f"ended {row['final_excess']:.3f} nats above the maximum{hit}"

    out = []
    for name, (meant, printed) in pairs.items():
        a, b = table.loc[meant], table.loc[printed]
        a_end = a["final_excess"] if not a["diverged"] else np.inf
        b_end = b["final_excess"] if not b["diverged"] else np.inf
        verdict = (
            "the slip matters: the printed version ends farther from the maximum"
            if b_end > a_end
            else "the printed version did no worse here"
        )
        out.append(f"{name}: as meant it {where(a)}; as printed it {where(b)}; {verdict}.")
    return " ".join(out)
