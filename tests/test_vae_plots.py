"""Chapter 04's figures draw what they say, on tiny inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from labkit.vae import derivation as vae
from labkit.vae import plots as vae_plots


def test_kl_asymmetry_draws_both_directions():
    fig = vae_plots.kl_asymmetry(np.geomspace(0.2, 5, 30))
    (ax,) = fig.axes
    forward, reverse = (line.get_ydata() for line in ax.lines[:2])
    assert min(forward.min(), reverse.min()) >= 0 and not np.allclose(forward, reverse)


def test_elbo_path_and_estimators_and_optimizers():
    model = vae.LinearGaussian.random(4, 2, seed=0)
    x, _ = model.sample(1, np.random.default_rng(0))
    frame = vae.elbo_along_path(model, x[0], np.linspace(0, 2, 9))
    assert len(vae_plots.elbo_path(frame).axes[0].lines) == 4
    rng = np.random.default_rng(0)
    mean, log_std = np.zeros(2), np.zeros(2)
    samples = {
        "score function": vae.score_function_gradients(model, x[0], mean, log_std, 500, rng),
        "reparameterisation": vae.reparameterization_gradients(
            model, x[0], mean, log_std, 500, rng
        ),
    }
    exact = model.elbo_gradient(x[0], mean, log_std)
    fig = vae_plots.estimators(exact, samples)
    heights = sorted(bar.get_height() for bar in fig.axes[0].patches)
    variances = sorted(v for g in samples.values() for v in g.var(axis=0))
    np.testing.assert_allclose(heights, variances)  # one bar per estimator and parameter
    last = {line.get_label(): line.get_ydata()[-1] for line in fig.axes[1].lines}
    for label, g in samples.items():  # the running mean ends at the mean of all samples
        assert last[label] == pytest.approx(np.linalg.norm(g.mean(axis=0) - exact))
    hist = pd.DataFrame({"pass": [0, 1, 2, 3], "step": [0, 1, 2, 2]})
    hist["neg_elbo"] = [5.0, 4.0, 3.95, np.nan]  # the last pass diverged
    fig = vae_plots.algorithms({"GA": hist, "SGA": hist}, best_nll=3.9)
    assert len(fig.axes[0].lines) == 2
    assert list(fig.axes[0].lines[0].get_xdata()) == [1, 2]  # pass 0 off a log axis, NaN gone
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.1, 0.05])


def test_latent_space_projects_and_counts_kl_per_dimension():
    rng = np.random.default_rng(0)
    means, log_vars = rng.standard_normal((50, 5)), np.full((50, 5), np.log(0.5))
    means[:, 4] = 0.0
    log_vars[:, 4] = 0.0  # an unused dimension: q equals the prior
    fig = vae_plots.latent_space(means, log_vars, rng.integers(0, 10, 50))
    bars = [p.get_height() for p in fig.axes[1].patches]
    per_dim = vae.kl_gaussian_diag(means[..., None], np.exp(log_vars)[..., None]).mean(0)
    np.testing.assert_allclose(bars, per_dim)  # the mean KL of each dimension
    assert bars[4] == 0.0 and min(bars[:4]) > 0
