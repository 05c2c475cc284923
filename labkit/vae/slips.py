"""The draft's formulas as it writes them, beside the corrected ones, on a model where both can
be evaluated exactly (:class:`labkit.vae.derivation.LinearGaussian`), so each slip shows as a
number and its unit test fails on the draft's version.

* :func:`eq_2_4_as_written` / :func:`eq_2_4_corrected`: the draft's Bayes' rule for p(x) depends
  on the code z at which it is evaluated; the corrected one is log p(x) at every z.
* :func:`draft_gap`: the draft's "KL(q(z | x) || p(x, z))", which is -ELBO, not the gap
  KL(q || p(z | x)) = log p(x) - ELBO; it is negative whenever the ELBO is positive, which a
  KL divergence never is.
* :func:`evidence_from_posterior` and :func:`posterior_from_evidence`: section 2.4 says neither
  p(x) nor p(z | x) can be retrieved from the other; with the joint in hand, each gives the
  other exactly.
"""

from __future__ import annotations

import numpy as np

from .derivation import LinearGaussian, log_mvn

__all__ = [
    "eq_2_4_as_written",
    "eq_2_4_corrected",
    "draft_gap",
    "true_gap",
    "evidence_from_posterior",
    "posterior_from_evidence",
]


def eq_2_4_as_written(model: LinearGaussian, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log of the draft's eq. 2.4, p(z | x) p(z) / p(x | z), at each row of ``z`` (nats)."""
    mean, cov = model.posterior(x)
    return log_mvn(z, mean, cov) + model.log_prior(z) - model.log_likelihood(x, z)


def eq_2_4_corrected(model: LinearGaussian, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log of Bayes' rule solved for the evidence, p(x | z) p(z) / p(z | x), at each row of
    ``z``: log p(x) whatever z is."""
    mean, cov = model.posterior(x)
    return model.log_likelihood(x, z) + model.log_prior(z) - log_mvn(z, mean, cov)


def draft_gap(model: LinearGaussian, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """The draft's "KL(q(z | x) || p(x, z))" for q = N(mean, cov), as the KL formula computes
    it, E_q[log q(z) - log p(x, z)]: exactly -ELBO (nats)."""
    return -model.elbo(x, mean, cov)


def true_gap(model: LinearGaussian, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """The gap the draft means, KL(q(z | x) || p(z | x)) = log p(x) - ELBO (nats, >= 0)."""
    return float(model.log_marginal(x)) - model.elbo(x, mean, cov)


def evidence_from_posterior(model: LinearGaussian, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log p(x) from the posterior at any code: log p(x, z) - log p(z | x), per row of ``z``."""
    return eq_2_4_corrected(model, x, z)


def posterior_from_evidence(model: LinearGaussian, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log p(z | x) from the evidence: log p(x, z) - log p(x), per row of ``z``."""
    return model.log_joint(x, z) - model.log_marginal(x)
