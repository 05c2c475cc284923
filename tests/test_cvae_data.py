"""Chapter 05's compositor: digits painted over texture crops, deterministic per seed."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.cvae import data as cvae_data


def _digits(n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    digits = np.zeros((n, 28, 28), np.uint8)
    digits[:, 8:20, 12:16] = 255  # a bar: a "1"
    digits[:, 10:12, 10:12] = 128  # and a half-strength patch
    return digits, np.arange(n) % 10


def test_textures_come_from_scikit_image():
    for name in cvae_data.TEXTURES:
        image = cvae_data.texture(name)
        assert image.shape == (512, 512) and image.dtype == np.float32
        assert 0.0 <= image.min() < image.max() <= 1.0 and image.std() > 0.05
    with pytest.raises(ValueError, match="grass, brick, gravel"):
        cvae_data.texture("marble")


def test_crops_are_deterministic_varied_and_in_range():
    a, kind = cvae_data.texture_crops(50, seed=3)
    b, kind_b = cvae_data.texture_crops(50, seed=3)
    c, _ = cvae_data.texture_crops(50, seed=4)
    assert a.shape == (50, 28, 28) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(kind, kind_b)
    assert not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert set(kind) == {0, 1, 2}  # all three textures drawn
    assert a.std(axis=(1, 2)).min() > 0.01  # each crop has texture, not a flat grey
    assert np.corrcoef(a.reshape(50, -1))[np.triu_indices(50, 1)].mean() < 0.5  # not one crop


def test_a_crop_samples_its_texture():
    # no turn, no zoom, no grey-level change: the crop is a window of the photograph
    crops, _ = cvae_data.texture_crops(
        5, seed=0, textures=["brick"], zoom=(1.0, 1.0), contrast=(1.0, 1.0), brightness=(0, 0)
    )
    photo = cvae_data.texture("brick")
    assert abs(crops.mean() - photo.mean()) < 0.1
    rows = photo.reshape(-1)  # every crop pixel is (close to) some photo value
    assert crops.min() >= rows.min() - 1e-6 and crops.max() <= rows.max() + 1e-6


def test_composite_paints_the_digit_over_its_background():
    digits, labels = _digits()
    c = cvae_data.composite(digits, labels, n_backgrounds=4, seed=1, opacity=0.6)
    assert c.targets.shape == (6, 28, 28) and c.backgrounds.shape == (4, 28, 28)
    np.testing.assert_array_equal(c.labels, labels)
    under = c.target_backgrounds
    # off the digit the target is its background; on a full stroke 60 % of the way to white
    np.testing.assert_allclose(c.targets[:, :5], under[:, :5])
    np.testing.assert_allclose(c.targets[:, 8:20, 12:16], 0.4 * under[:, 8:20, 12:16] + 0.6)
    half = 0.6 * 128 / 255
    np.testing.assert_allclose(
        c.targets[:, 10:12, 10:12], (1 - half) * under[:, 10:12, 10:12] + half, rtol=1e-6
    )
    t, b = c.flat()
    assert t.shape == (6, 784) and b.shape == (4, 784)
    again = cvae_data.composite(digits, labels, n_backgrounds=4, seed=1, opacity=0.6)
    np.testing.assert_array_equal(again.targets, c.targets)
    np.testing.assert_array_equal(again.backgrounds, c.backgrounds)
    # the background set is a separate draw, not the targets' own layers
    assert not np.array_equal(c.backgrounds, under[:4])


def test_composite_rejects_bad_input():
    digits, labels = _digits()
    with pytest.raises(ValueError, match="opacity"):
        cvae_data.composite(digits, labels, opacity=1.5)
    with pytest.raises(ValueError, match="28, 28"):
        cvae_data.composite(digits[:, :10], labels)
    with pytest.raises(ValueError, match="labels"):
        cvae_data.composite(digits, labels[:3])
    with pytest.raises(ValueError, match="zoom"):
        cvae_data.texture_crops(3, seed=0, zoom=(2.0, 1.0))
    with pytest.raises(ValueError, match="largest zoom is 12.9"):
        cvae_data.texture_crops(3, seed=0, zoom=(2.0, 20.0))
    with pytest.raises(ValueError, match="gradient"):
        cvae_data.texture_crops(3, seed=0, gradient=-0.5)
    with pytest.raises(ValueError, match="shading"):
        cvae_data.texture_crops(3, seed=0, shading=-0.1)
    with pytest.raises(ValueError, match="shading_order"):
        cvae_data.texture_crops(3, seed=0, shading=0.1, shading_order=0)


def test_uneven_light_is_a_linear_ramp():
    calm = {"contrast": (0.2, 0.2), "brightness": (0.0, 0.0)}  # nothing clipped
    flat, _ = cvae_data.texture_crops(20, seed=5, **calm)
    lit, _ = cvae_data.texture_crops(20, seed=5, gradient=0.6, **calm)
    assert flat.min() > 0.05 and flat.max() < 0.95
    grid = np.arange(28) - 13.5
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    design = np.column_stack([gy.ravel(), gx.ravel(), np.ones(784)])
    rises = []
    for a, b in zip(flat, lit, strict=True):
        diff = (b - a).ravel()
        coef, *_ = np.linalg.lstsq(design, diff, rcond=None)
        assert np.abs(design @ coef - diff).max() < 1e-5  # a plane
        assert abs(coef[2]) < 1e-5  # centred: the mean brightness is unchanged
        rises.append(np.hypot(coef[0], coef[1]) * 27)
    assert 0 <= min(rises) and max(rises) <= 0.6 + 1e-5 and np.ptp(rises) > 0.2


def test_shading_is_a_sum_of_smooth_cosine_modes():
    modes = cvae_data.shading_modes(28, 4)
    assert modes.shape == (14, 28, 28)  # u + v = 1..4: 2 + 3 + 4 + 5 modes
    gram = modes.reshape(14, -1) @ modes.reshape(14, -1).T
    assert np.allclose(gram, np.diag(np.diag(gram)), atol=1e-9)  # orthogonal
    assert np.allclose(np.diag(gram), 784 / 4 * np.where(np.diag(gram) > 250, 2, 1))
    assert np.allclose(modes.reshape(14, -1).sum(axis=1), 0, atol=1e-9)  # mean unchanged
    assert list(cvae_data.shading_mode_orders(4)) == [1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4]
    calm = {"contrast": (0.2, 0.2), "brightness": (0.0, 0.0)}  # nothing clipped
    flat, _ = cvae_data.texture_crops(400, seed=5, **calm)
    shaded, _ = cvae_data.texture_crops(400, seed=5, shading=0.05, **calm)
    assert flat.min() > 0.05 and flat.max() < 0.95 and 0 < shaded.min() and shaded.max() < 1
    diff = (shaded - flat).reshape(400, -1)
    coef, *_ = np.linalg.lstsq(modes.reshape(14, -1).T, diff.T, rcond=None)
    assert np.abs(modes.reshape(14, -1).T @ coef - diff.T).max() < 1e-5  # in the modes' span
    sd = coef.std(axis=1)  # each mode's coefficient: sd 0.05 / (u + v)
    assert np.allclose(sd * cvae_data.shading_mode_orders(4), 0.05, rtol=0.2)


def test_variance_share():
    rng = np.random.default_rng(0)
    background = rng.normal(size=(500, 10))
    assert cvae_data.variance_share(background, background) == pytest.approx(1.0)
    digit = 0.5 * rng.normal(size=(500, 10))  # independent, a quarter of the variance
    share = cvae_data.variance_share(background + digit, background)
    assert share == pytest.approx(1 / 1.25, abs=0.03)
    with pytest.raises(ValueError, match="matching"):
        cvae_data.variance_share(background, background[:10])
    with pytest.raises(ValueError, match="do not vary"):
        cvae_data.variance_share(np.ones((5, 3)), np.ones((5, 3)))


def test_opacity_moves_the_variance_share():
    digits, labels = _digits(200)
    digits = np.stack([np.roll(d, i % 7 - 3, axis=1) for i, d in enumerate(digits)])  # vary it
    weak = cvae_data.composite(digits, labels, seed=0, opacity=0.2)
    strong = cvae_data.composite(digits, labels, seed=0, opacity=0.9)
    share = [cvae_data.variance_share(c.targets, c.target_backgrounds) for c in (weak, strong)]
    assert share[0] > share[1]
