"""The derivation's pieces: densities, KL divergences, the exact linear-Gaussian model,
the ELBO identity, the two gradient estimators and the two optimisers.

Several tests pin down slips of the thesis draft this chapter corrects: the ELBO's gap is
KL(q || posterior) (not KL(q || p(x, z)) nor KL(q || prior)), the posterior follows Bayes' rule
p(z | x) = p(x | z) p(z) / p(x), and every quantity is in nats (natural logarithms), not bits.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from labkit.vae import derivation as vae


@pytest.fixture
def model() -> vae.LinearGaussian:
    return vae.LinearGaussian.random(data_dim=6, latent_dim=3, noise_var=0.5, seed=1)


@pytest.fixture
def point(model) -> np.ndarray:
    x, _ = model.sample(1, np.random.default_rng(2))
    return x[0]


def _random_q(d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    return rng.standard_normal(d), a @ a.T + 0.1 * np.eye(d)


# --- densities and KL -------------------------------------------------------------------


def test_log_densities_match_scipy_in_nats():
    rng = np.random.default_rng(0)
    x, mean, var = rng.standard_normal((5, 4)), rng.standard_normal(4), rng.uniform(0.2, 2, 4)
    expected = stats.multivariate_normal(mean, np.diag(var)).logpdf(x)
    np.testing.assert_allclose(vae.log_normal_diag(x, mean, var), expected, rtol=1e-10)
    mean_q, cov = _random_q(4, 3)
    expected = stats.multivariate_normal(mean_q, cov).logpdf(x)
    np.testing.assert_allclose(vae.log_mvn(x, mean_q, cov), expected, rtol=1e-10)
    assert vae.log_mvn(x[0], mean_q, cov).shape == ()


def test_log_normal_rejects_non_positive_variance():
    with pytest.raises(ValueError, match="var must be positive"):
        vae.log_normal_diag(np.zeros(2), np.zeros(2), np.array([1.0, 0.0]))


def test_kl_discrete_is_in_nats_not_bits():
    # a fair coin against a certain outcome: log 2 = 0.693 nats (it would be 1 in bits)
    assert vae.kl_discrete([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))
    assert vae.kl_discrete([0.5, 0.5], [1.0, 0.0]) == float("inf")  # and asymmetric


def test_kl_discrete_rejects_non_distributions():
    with pytest.raises(ValueError, match="p must be a probability vector"):
        vae.kl_discrete([0.5, 0.6], [0.5, 0.5])


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000))
def test_kl_is_non_negative_and_zero_only_for_equal_distributions(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    assert vae.kl_discrete(p, q) > 0
    assert vae.kl_discrete(p, p) == pytest.approx(0.0, abs=1e-12)
    mean_q, cov_q = _random_q(3, seed)
    mean_p, cov_p = _random_q(3, seed + 1)
    assert vae.kl_gaussian(mean_q, cov_q, mean_p, cov_p) > 0
    assert vae.kl_gaussian(mean_q, cov_q, mean_q, cov_q) == pytest.approx(0.0, abs=1e-9)


def test_gaussian_kl_closed_forms_agree_and_are_asymmetric():
    mq, vq, mp, vp = np.array([0.5, -1.0]), np.array([0.3, 2.0]), np.array([0.0, 1.0]), np.ones(2)
    diag = vae.kl_gaussian_diag(mq, vq, mp, vp)
    assert diag == pytest.approx(vae.kl_gaussian(mq, np.diag(vq), mp, np.diag(vp)))
    reverse = vae.kl_gaussian_diag(mp, vp, mq, vq)
    assert abs(diag - reverse) > 0.1
    # the VAE's prior term: defaults are N(0, I)
    assert vae.kl_gaussian_diag(mq, vq) == pytest.approx(0.5 * np.sum(vq + mq**2 - 1 - np.log(vq)))


def test_monte_carlo_kl_agrees_with_the_closed_form():
    mq, vq, mp, vp = np.array([0.5, -1.0]), np.array([0.3, 2.0]), np.zeros(2), np.ones(2)
    est, se = vae.kl_monte_carlo(
        lambda n, rng: mq + np.sqrt(vq) * rng.standard_normal((n, 2)),
        lambda z: vae.log_normal_diag(z, mq, vq),
        lambda z: vae.log_normal_diag(z, mp, vp),
        200_000,
        np.random.default_rng(0),
    )
    assert abs(est - vae.kl_gaussian_diag(mq, vq, mp, vp)) < 5 * se
    assert se < 0.01


# --- the linear-Gaussian model ------------------------------------------------------------


def test_marginal_is_exact(model):
    x, _ = model.sample(4, np.random.default_rng(0))
    expected = stats.multivariate_normal(model.b, model.marginal_cov()).logpdf(x)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-10)


def test_marginal_matches_sampling(model):
    x, _ = model.sample(100_000, np.random.default_rng(0))
    np.testing.assert_allclose(np.cov(x, rowvar=False), model.marginal_cov(), atol=0.15)


def test_posterior_follows_bayes_rule(model, point):
    """log p(z | x) = log p(x | z) + log p(z) - log p(x) at any z."""
    mean, cov = model.posterior(point)
    z = np.random.default_rng(0).standard_normal((7, model.latent_dim))
    bayes = model.log_joint(point, z) - model.log_marginal(point)
    np.testing.assert_allclose(vae.log_mvn(z, mean, cov), bayes, rtol=1e-9)


def test_elbo_is_the_evidence_at_the_posterior(model, point):
    mean, cov = model.posterior(point)
    assert model.elbo(point, mean, cov) == pytest.approx(float(model.log_marginal(point)))


@pytest.mark.parametrize("seed", range(5))
def test_elbo_gap_is_kl_to_the_posterior(model, point, seed):
    """log p(x) - ELBO(q) = KL(q || p(z | x)): not KL(q || p(z)) nor a KL to p(x, z)."""
    mean_q, cov_q = _random_q(model.latent_dim, seed)
    post_mean, post_cov = model.posterior(point)
    gap = float(model.log_marginal(point)) - model.elbo(point, mean_q, cov_q)
    assert gap > 0
    assert gap == pytest.approx(vae.kl_gaussian(mean_q, cov_q, post_mean, post_cov), rel=1e-9)
    prior_kl = vae.kl_gaussian(mean_q, cov_q, np.zeros(3), np.eye(3))
    assert gap != pytest.approx(prior_kl, rel=1e-3)


def test_monte_carlo_elbo_matches_the_closed_form(model, point):
    mean, std = np.array([0.2, -0.4, 1.0]), np.array([0.5, 0.8, 0.3])
    est, se = model.elbo_monte_carlo(
        point, mean, np.diag(std**2), 100_000, np.random.default_rng(0)
    )
    assert abs(est - model.elbo(point, mean, np.diag(std**2))) < 5 * se
    mean_q, cov_q = _random_q(3, 7)  # a full covariance
    est, se = model.elbo_monte_carlo(point, mean_q, cov_q, 100_000, np.random.default_rng(1))
    assert abs(est - model.elbo(point, mean_q, cov_q)) < 5 * se


def test_model_rejects_bad_shapes():
    with pytest.raises(ValueError, match="W must be"):
        vae.LinearGaussian(np.ones((3, 2)), np.ones(2), 1.0)
    with pytest.raises(ValueError, match="noise_var must be positive"):
        vae.LinearGaussian(np.ones((3, 2)), np.ones(3), 0.0)


# --- gradient estimators --------------------------------------------------------------------


def _elbo_diag(model, x, params):
    d = model.latent_dim
    return model.elbo(x, params[:d], np.diag(np.exp(2 * params[d:])))


def test_exact_elbo_gradient_matches_finite_differences(model, point):
    params = np.array([0.2, -0.4, 1.0, -0.7, 0.1, -1.2])
    grad = model.elbo_gradient(point, params[:3], params[3:])
    h = 1e-6
    numeric = [
        (_elbo_diag(model, point, params + h * e) - _elbo_diag(model, point, params - h * e))
        / (2 * h)
        for e in np.eye(6)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "estimator", [vae.reparameterization_gradients, vae.score_function_gradients]
)
def test_both_estimators_are_unbiased(model, point, estimator):
    mean, log_std = np.array([0.2, -0.4, 1.0]), np.array([-0.7, 0.1, -1.2])
    g = estimator(model, point, mean, log_std, 400_000, np.random.default_rng(0))
    se = g.std(axis=0, ddof=1) / np.sqrt(len(g))
    exact = model.elbo_gradient(point, mean, log_std)
    assert np.all(np.abs(g.mean(axis=0) - exact) < 5 * se), (g.mean(axis=0), exact, se)


def test_reparameterisation_has_lower_variance(model, point):
    mean, log_std = np.array([0.2, -0.4, 1.0]), np.array([-0.7, 0.1, -1.2])
    args = (model, point, mean, log_std, 20_000)
    v_rep = vae.reparameterization_gradients(*args, np.random.default_rng(0)).var(axis=0)
    v_score = vae.score_function_gradients(*args, np.random.default_rng(0)).var(axis=0)
    assert np.all(v_rep < v_score)


def test_reparameterisation_is_exact_when_q_is_the_posterior_mean_point(model, point):
    """With zero spread (std -> 0) the reparameterised d/d mean is the exact gradient."""
    mean = np.array([0.2, -0.4, 1.0])
    g = vae.reparameterization_gradients(
        model, point, mean, np.full(3, -30.0), 3, np.random.default_rng(0)
    )
    np.testing.assert_allclose(g[:, :3], np.tile(model.grad_log_joint(point, mean), (3, 1)))


@pytest.mark.parametrize(
    "options", [{"entropy": "exact"}, {"baseline": -20.0}, {"entropy": "exact", "baseline": -9.0}]
)
def test_score_function_variants_are_unbiased(model, point, options):
    mean, log_std = np.array([0.2, -0.4, 1.0]), np.array([-0.7, 0.1, -1.2])
    g = vae.score_function_gradients(
        model, point, mean, log_std, 400_000, np.random.default_rng(1), **options
    )
    se = g.std(axis=0, ddof=1) / np.sqrt(len(g))
    exact = model.elbo_gradient(point, mean, log_std)
    assert np.all(np.abs(g.mean(axis=0) - exact) < 5 * se), (g.mean(axis=0), exact, se)


def test_a_baseline_near_the_mean_of_f_cuts_the_score_functions_variance(model, point):
    mean, log_std = np.array([0.2, -0.4, 1.0]), np.array([-0.7, 0.1, -1.2])
    base = vae.score_baseline(model, point, mean, log_std, 10_000, np.random.default_rng(3))
    plain, with_base = (
        vae.score_function_gradients(
            model, point, mean, log_std, 20_000, np.random.default_rng(0), baseline=c
        ).var(axis=0)
        for c in (0.0, base)
    )
    assert np.all(with_base < plain)
    with pytest.raises(ValueError, match="entropy"):
        vae.score_function_gradients(model, point, mean, log_std, 5, np.random.default_rng(0),
                                     entropy="closed")  # fmt: skip


def test_the_dropped_score_term_has_mean_zero():
    rng = np.random.default_rng(0)
    std = np.array([0.3, 2.0])
    score = vae.score_of_q(rng.standard_normal((400_000, 2)), std)
    se = score.std(axis=0, ddof=1) / np.sqrt(len(score))
    assert np.all(np.abs(score.mean(axis=0)) < 5 * se)
    np.testing.assert_allclose(score.var(axis=0), [1 / 0.09, 0.25, 2, 2], rtol=0.02)  # not 0


def test_reparameterised_log_q_has_a_constant_gradient_in_log_std():
    """-log q(mean + std * eps) = sum log std + |eps|^2 / 2 + const at fixed eps: its gradient
    in log std is exactly 1, in the mean 0, whatever eps (so the reparameterised estimator's
    entropy part has no variance of its own)."""
    eps = np.random.default_rng(0).standard_normal((5, 2))
    mean, log_std, h = np.array([0.3, -1.0]), np.array([0.2, -0.5]), 1e-6

    def neg_log_q(m, ls):
        return -vae.log_normal_diag(m + np.exp(ls) * eps, m, np.exp(2 * ls))

    for j in range(2):
        e = np.eye(2)[j] * h
        d_ls = (neg_log_q(mean, log_std + e) - neg_log_q(mean, log_std - e)) / (2 * h)
        d_m = (neg_log_q(mean + e, log_std) - neg_log_q(mean - e, log_std)) / (2 * h)
        np.testing.assert_allclose(d_ls, 1.0, atol=1e-6)
        np.testing.assert_allclose(d_m, 0.0, atol=1e-6)


def test_theta_gradient_is_exact_and_its_estimator_unbiased(model, point):
    mean, cov = _random_q(3, 5)
    table = vae.theta_gradient_table(model, point, mean, cov, 200_000, np.random.default_rng(0))
    assert len(table) == model.W.size + model.data_dim + 1
    np.testing.assert_allclose(table["exact"], table["finite_difference"], rtol=1e-5, atol=1e-5)
    assert (table["z"].abs() < 5).all()
    theta = model.theta_vector()
    np.testing.assert_allclose(model.with_theta(theta).theta_vector(), theta)
    # a wrong estimator (dropping the noise term of d/d log s2) is caught
    biased = table["mc_mean"].iloc[-1] + 0.5
    assert abs(biased - table["exact"].iloc[-1]) > 5 * table["mc_se"].iloc[-1]


def test_dataset_elbo_is_the_mean_of_the_points_elbos(model):
    x, _ = model.sample(7, np.random.default_rng(4))
    post_cov = model.posterior(x)[1]
    table = vae.dataset_elbo_table(
        model,
        x,
        {
            "posterior": lambda xi: (model.posterior(xi)[0], post_cov),
            "prior": lambda xi: (np.zeros(3), np.eye(3)),
        },
    )
    assert np.abs(table["gap"]).max() < 1e-9
    assert table.loc["posterior", "elbo"] == pytest.approx(model.log_marginal(x).mean())
    assert table.loc["prior", "elbo"] < table.loc["posterior", "elbo"]
    by_hand = np.mean([model.elbo(xi, np.zeros(3), np.eye(3)) for xi in x])
    assert table.loc["prior", "elbo"] == pytest.approx(by_hand)


# --- learning: batch GD vs minibatch SGD ----------------------------------------------------


def test_log_likelihood_gradient_matches_finite_differences(model):
    x, _ = model.sample(50, np.random.default_rng(0))
    init = vae.LinearGaussian.random(6, 3, noise_var=1.3, seed=9)
    g_w, g_b, g_lv = vae.log_likelihood_gradient(init, x)
    h = 1e-6

    lv0 = float(np.log(init.noise_var))

    def f(w=init.W, b=init.b, lv=lv0):
        return vae.mean_log_likelihood(vae.LinearGaussian(w, b, float(np.exp(lv))), x)

    e = np.zeros_like(init.W)
    e[2, 1] = h
    assert g_w[2, 1] == pytest.approx((f(w=init.W + e) - f(w=init.W - e)) / (2 * h), rel=1e-5)
    e = np.zeros(6)
    e[4] = h
    assert g_b[4] == pytest.approx((f(b=init.b + e) - f(b=init.b - e)) / (2 * h), rel=1e-5)
    assert g_lv == pytest.approx((f(lv=lv0 + h) - f(lv=lv0 - h)) / (2 * h), rel=1e-5)


def test_maximum_likelihood_fit_is_a_stationary_point_and_beats_the_truth(model):
    x, _ = model.sample(5_000, np.random.default_rng(0))
    mle = vae.ppca_maximum_likelihood(x, 3)
    g_w, g_b, g_lv = vae.log_likelihood_gradient(mle, x)
    assert max(np.abs(g_w).max(), np.abs(g_b).max(), abs(g_lv)) < 1e-8
    assert vae.mean_log_likelihood(mle, x) >= vae.mean_log_likelihood(model, x)
    np.testing.assert_allclose(mle.marginal_cov(), model.marginal_cov(), atol=0.3)


def test_elbo_along_a_path_touches_the_evidence_only_at_the_posterior(model, point):
    frame = vae.elbo_along_path(model, point, np.linspace(-0.5, 2, 11))
    assert np.abs(frame["gap"]).max() < 1e-9
    at_posterior = frame.loc[np.isclose(frame["t"], 1.0)]
    assert at_posterior["elbo"].item() == pytest.approx(at_posterior["log_px"].item())
    away = frame.loc[~np.isclose(frame["t"], 1.0)]
    assert (away["elbo"] < away["log_px"] - 1e-6).all()


def test_tables_for_the_chapter(model, point):
    rng = np.random.default_rng(0)
    check = vae.gaussian_kl_check([0.5, -1], [0.3, 2], [0, 0], [1, 1], 50_000, rng)
    assert abs(check["monte_carlo"] - check["closed_form"]) < 5 * check["standard_error"]
    post = model.posterior(point)
    table = vae.elbo_table(
        model, point, {"posterior": post, "prior": (np.zeros(3), np.eye(3))}, 1_000, rng
    )
    assert np.abs(table["gap"]).max() < 1e-9
    assert table.loc["posterior", "kl_to_posterior"] == pytest.approx(0, abs=1e-9)
    assert table.loc["prior", "kl_to_posterior"] > 0
    assert "log p(x) - ELBO - KL" in table.rename(columns=vae.LABELS).columns
    exact = model.elbo_gradient(point, np.zeros(3), np.zeros(3))
    g = {
        "reparameterisation": vae.reparameterization_gradients(
            model, point, np.zeros(3), np.zeros(3), 5_000, rng
        )
    }
    summary = vae.estimator_summary(exact, g)
    assert summary.shape == (6, 4) and (summary["reparameterisation", "z"].abs() < 5).all()
    assert (summary.xs("z", axis=1, level="statistic").abs() < 5).all().all()
