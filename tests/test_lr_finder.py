"""Learning-rate range test: the sweep, the per-batch losses, the rule, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.classifiers import lr_finder, models


class _Optimizer:
    learning_rate = 0.0


class _Model:
    optimizer = _Optimizer()
    stop_training = False


def test_callback_recovers_batch_losses_from_running_means():
    cb = lr_finder.LRRangeTest(1e-3, 1e-1, steps=3, batch_size=2, samples=5)
    cb.set_model(_Model())
    losses, sizes = [1.0, 2.0, 4.0], [2, 2, 1]
    cb.on_epoch_begin(0)
    for k in range(3):
        cb.on_train_batch_begin(k)
        assert cb.model.optimizer.learning_rate == pytest.approx([1e-3, 1e-2, 1e-1][k])
        running = np.dot(losses[: k + 1], sizes[: k + 1]) / sum(sizes[: k + 1])
        cb.on_train_batch_end(k, {"loss": running})
    np.testing.assert_allclose(cb.losses, losses)
    np.testing.assert_allclose(cb.lrs, [1e-3, 1e-2, 1e-1])
    assert cb.model.stop_training  # all steps done


def test_steepest_finds_the_fastest_fall_before_the_minimum():
    lrs = np.geomspace(1e-5, 1, 200)
    x = np.log10(lrs)
    loss = 2.3 / (1 + np.exp(3 * (x + 3)))  # falls fastest at lr = 1e-3
    loss = loss + np.where(x > -1, 50 * (x + 1) ** 2, 0)  # blows up after 1e-1
    assert lr_finder.steepest(lrs, loss) == pytest.approx(1e-3, rel=0.15)


def test_smooth_is_debiased():
    np.testing.assert_allclose(lr_finder.smooth(np.full(5, 3.0)), 3.0)


def test_range_test_sweeps_and_suggests_a_rate_that_learns(toy):
    x, y = toy
    model = models.mlp(depth=1, width=32, dropout=0.0, optimizer="sgd", learning_rate=1e-5)
    result = lr_finder.range_test(model, models.prepare(x), y, steps=40, batch_size=32)
    assert len(result.lrs) == 40 and result.diverged_at is None
    assert result.lrs[0] == pytest.approx(1e-5) and result.lrs[-1] == pytest.approx(1.0)
    assert np.all(np.diff(np.log(result.lrs)) > 0)
    assert float(model.optimizer.learning_rate) == pytest.approx(1.0)  # the rate was really set
    assert 1e-3 < result.suggested < 1.0
    summary = result.summary()
    assert summary["rule"] == lr_finder.RULE and summary["steepest_lr"] == result.suggested
    assert result.climb == summary["climb_lr"] == pytest.approx(result.min_lr / 2)
    # the suggestion trains: a fresh model at that rate beats chance (0.25) on the toy task
    fresh = models.mlp(
        depth=1, width=32, dropout=0.0, optimizer="sgd", learning_rate=result.suggested
    )
    fresh.fit(models.prepare(x), y, epochs=3, batch_size=32, verbose=0)
    assert fresh.evaluate(models.prepare(x), y, verbose=0)[1] > 0.6


def test_range_test_stops_when_the_loss_diverges(toy):
    x, _ = toy
    noise = np.random.default_rng(1).integers(0, 4, len(x))  # unlearnable: large rates blow up
    model = models.mlp(depth=1, width=32, dropout=0.0, optimizer="sgd", learning_rate=1e-5)
    result = lr_finder.range_test(model, models.prepare(x), noise, steps=60, stop=1e3)
    assert result.diverged_at is not None and len(result.lrs) < 60
    assert result.suggested < result.diverged_at
    assert result.smoothed[-1] > 4 * result.smoothed.min()


def test_plot(toy):
    import matplotlib

    matplotlib.use("Agg")
    lrs = np.geomspace(1e-5, 1, 50)
    loss = np.linspace(2, 0.5, 50)
    r = lr_finder.RangeTest(lrs, loss, loss, suggested=1e-3, min_lr=1.0, diverged_at=None)
    ax = lr_finder.plot(r, title="t")
    assert ax.get_xscale() == "log" and ax.get_title() == "t"


def test_bad_sweep_is_rejected():
    with pytest.raises(ValueError, match="start"):
        lr_finder.LRRangeTest(1.0, 1e-5, steps=10, batch_size=8, samples=80)
