"""Each of the draft's slips, evaluated as written beside the correction on the linear-Gaussian
model: every test here passes on the corrected formula or algorithm and fails on the draft's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from labkit.vae import algorithms as alg
from labkit.vae import derivation as vae
from labkit.vae import slips


@pytest.fixture
def model() -> vae.LinearGaussian:
    return vae.LinearGaussian.random(data_dim=5, latent_dim=2, noise_var=0.01, seed=0)


@pytest.fixture
def point(model) -> np.ndarray:
    return model.b + 0.05  # near the mode of p(x): with this narrow noise, log p(x) > 0


def _codes(n: int = 6) -> np.ndarray:
    return np.random.default_rng(2).standard_normal((n, 2))


def test_eq_2_4_as_written_depends_on_z_and_bayes_rule_does_not(model, point):
    corrected = slips.eq_2_4_corrected(model, point, _codes())
    np.testing.assert_allclose(corrected, model.log_marginal(point), atol=1e-9)
    as_written = slips.eq_2_4_as_written(model, point, _codes())
    assert np.ptp(as_written) > 1.0  # a different "p(x)" at every code


def test_the_drafts_kl_to_p_x_z_is_minus_the_elbo_and_can_be_negative(model, point):
    mean, cov = model.posterior(point)
    qs = [(mean, cov), (mean + 0.3, cov), (np.zeros(2), np.eye(2))]
    for m, c in qs:
        assert slips.draft_gap(model, point, m, c) == pytest.approx(-model.elbo(point, m, c))
        gap = slips.true_gap(model, point, m, c)
        assert gap >= -1e-9  # the gap the draft means is a KL divergence
        assert gap == pytest.approx(vae.kl_gaussian(m, c, mean, cov), abs=1e-9)
    # with a narrow noise, log p(x) > 0 and the draft's "KL" at the posterior is negative
    assert model.log_marginal(point) > 0
    assert slips.draft_gap(model, point, mean, cov) < 0


def test_evidence_and_posterior_each_give_the_other(model, point):
    z = _codes()
    np.testing.assert_allclose(slips.evidence_from_posterior(model, point, z),
                               model.log_marginal(point), atol=1e-9)  # fmt: skip
    mean, cov = model.posterior(point)
    np.testing.assert_allclose(slips.posterior_from_evidence(model, point, z),
                               vae.log_mvn(z, mean, cov), atol=1e-9)  # fmt: skip


@pytest.fixture(scope="module")
def fit_data():
    truth = vae.LinearGaussian.random(data_dim=6, latent_dim=2, noise_var=0.5, seed=1)
    x = truth.sample(2_000, np.random.default_rng(0))[0]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    best = -vae.mean_log_likelihood(vae.ppca_maximum_likelihood(x, 2), x)
    return x, best, alg.LinearVAE.start(6, 2, seed=0)


def test_the_reparameterised_gradient_is_the_exact_elbos_in_theta_and_phi():
    rng = np.random.default_rng(3)
    start = alg.LinearVAE.start(4, 2, seed=0)
    v = dataclasses.replace(
        start,
        A=0.2 * rng.standard_normal((2, 4)),
        c=rng.standard_normal(2),
        lower=rng.standard_normal((2, 2)),
        log_diag=np.array([0.2, -0.3]),
    )
    x = rng.standard_normal((3, 4))
    xs = np.repeat(x, 100_000, axis=0)
    g = v.gradients(xs, rng.standard_normal((len(xs), 2)))
    h = 1e-6
    for name, idx in [("A", (1, 2)), ("c", (0,)), ("lower", (1, 0)), ("log_diag", (1,))]:
        arr = getattr(v, name).copy()
        arr[idx] += h
        fd = (dataclasses.replace(v, **{name: arr}).elbo(x).mean() - v.elbo(x).mean()) / h
        assert g[name][idx] == pytest.approx(fd, abs=0.03), name
    w = v.model.W.copy()
    w[1, 0] += h
    fd = (dataclasses.replace(v, model=vae.LinearGaussian(w, v.model.b, v.model.noise_var))
          .elbo(x).mean() - v.elbo(x).mean()) / h  # fmt: skip
    assert g["W"][1, 0] == pytest.approx(fd, abs=0.03)
    # eq. 2.14 as printed puts the gradient on log p alone: without the entropy's gradient the
    # estimate of d/d log diag(L) is off by exactly 1
    assert g["log_diag"][1] - 1.0 == pytest.approx(
        (dataclasses.replace(v, log_diag=v.log_diag + [0, h]).elbo(x).mean() - v.elbo(x).mean())
        / h - 1.0, abs=0.03)  # fmt: skip


def test_algorithm_1_as_meant_reaches_the_maximum_and_as_written_does_not(fit_data):
    x, best, start = fit_data
    meant = alg.run(x, start, rule="batch", lr=0.1, passes=200)
    written = alg.run(x, start, rule="batch, as written", lr=0.1, passes=200)
    table = alg.summary({"meant": meant, "written": written}, best)
    assert table.loc["meant", "reached"] and table.loc["meant", "final_excess"] > -1e-9
    assert not table.loc["written", "reached"]  # one point's gradient fits that point


def test_algorithm_2_with_m_a_subset_beats_m_an_element_at_its_rate(fit_data):
    x, best, start = fit_data
    meant = alg.run(x, start, rule="minibatch", batch_size=50, lr=0.01, passes=30)
    written = alg.run(x, start, rule="minibatch, as written", lr=0.01, passes=30)
    table = alg.summary({"meant": meant, "written": written}, best)
    assert table.loc["meant", "reached"]
    assert table.loc["written", "final_excess"] > 2 * table.loc["meant", "final_excess"]


def test_descent_as_the_algorithms_are_named_lowers_the_elbo(fit_data):
    x, _, start = fit_data
    h = alg.run(x, start, rule="batch", lr=0.05, passes=20, descend=True)
    climbed = alg.run(x, start, rule="batch", lr=0.05, passes=20)
    assert h["neg_elbo"].iloc[10] > h["neg_elbo"].iloc[0]  # the ELBO falls
    assert climbed["neg_elbo"].iloc[10] < climbed["neg_elbo"].iloc[0]


def test_run_rejects_bad_rules(fit_data):
    x, _, start = fit_data
    with pytest.raises(ValueError, match="rule must be one of"):
        alg.run(x, start, rule="adam", lr=0.1, passes=1)
    with pytest.raises(ValueError, match="batch_size"):
        alg.run(x, start, rule="minibatch", batch_size=0, lr=0.1, passes=1)


def test_eq_2_16_as_printed_estimates_one_points_gradient_not_the_minibatchs(fit_data):
    x, _, start = fit_data
    rng = np.random.default_rng(4)
    v = dataclasses.replace(start, A=0.3 * rng.standard_normal((2, 6)))
    batch = x[:50]
    reps = 4_000
    meant = v.gradients(np.tile(batch, (reps, 1)), rng.standard_normal((50 * reps, 2)))
    printed = v.gradients(np.tile(batch[:1], (50 * reps, 1)), rng.standard_normal((50 * reps, 2)))
    h = 1e-6
    a = v.A.copy()
    a[0, 0] += h
    exact = (dataclasses.replace(v, A=a).elbo(batch).mean() - v.elbo(batch).mean()) / h
    assert meant["A"][0, 0] == pytest.approx(exact, abs=0.02)
    assert abs(printed["A"][0, 0] - exact) > 0.1  # x without its superscript: one point's
