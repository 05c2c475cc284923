"""Probes of a code, both ways: a linear and a k-NN read-out, for classes and for values."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.cvae import data as cvae_data
from labkit.cvae import probes


def test_a_linear_probe_finds_what_a_knn_probe_misses():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2_000)
    codes = rng.standard_normal((2_000, 20)) * 3.0
    codes[:, 0] += 1.5 * (2 * y - 1)  # the class in one direction among 20 noisy ones
    scores = probes.probe(codes[:1_000], y[:1_000], codes[1_000:], y[1_000:], kind="class")
    assert scores["linear"] > scores["knn"] + 0.05  # k-NN is diluted by the 19 noisy ones
    assert scores["chance"] == pytest.approx(max(np.bincount(y[1_000:])) / 1_000)


def test_a_value_is_scored_by_r2_and_noise_scores_near_zero():
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((1_000, 4))
    value = codes[:, 1] * 2 + 0.1 * rng.standard_normal(1_000)
    good = probes.probe(codes[:500], value[:500], codes[500:], value[500:], kind="value")
    assert good["linear"] > 0.95 and good["knn"] > 0.5 and good["chance"] == 0.0
    noise = probes.probe(codes[:500], rng.standard_normal(500), codes[500:],
                         rng.standard_normal(500), kind="value")  # fmt: skip
    assert noise["linear"] < 0.05
    with pytest.raises(ValueError, match="kind"):
        probes.probe(codes, value, codes, value, kind="ordinal")


def test_what_made_reads_the_generators_record_and_the_table_covers_every_code():
    digits = np.zeros((30, 28, 28), np.uint8)
    made = cvae_data.composite(digits, np.arange(30) % 3, seed=0, opacity=0.5)
    truth = probes.what_made(made)
    np.testing.assert_allclose(truth["brightness"], made.target_backgrounds.mean(axis=(1, 2)),
                               rtol=1e-6)  # fmt: skip
    assert set(truth["texture"]) <= {0, 1, 2}
    rng = np.random.default_rng(2)
    codes = {"s": rng.standard_normal((30, 3)), "z": rng.standard_normal((30, 3))}
    table = probes.probe_table(codes, truth, codes, truth, k=3)
    assert len(table) == 6 and set(table["measure"]) == {"accuracy", "R²"}


def test_background_error_is_the_rms_difference():
    a, b = np.zeros((2, 28, 28)), np.full((2, 28, 28), 0.5)
    assert probes.background_error(a, b) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shapes"):
        probes.background_error(a, b[:1])
