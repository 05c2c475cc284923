"""The eight exact symmetries of clock images (chapter 03): images and image-angle labels move
together, the time does not, and averaging over the symmetries reads a perfect model right."""

from __future__ import annotations

import numpy as np
import pytest

from labkit import clocks
from labkit.clocks import labels as L
from labkit.clocks import symmetry as S

TIMES = np.array([[3, 0], [10, 10], [11, 59], [0, 1], [6, 33]])


def _aux(rotation, mirror):
    n = len(TIMES)
    return {"rotation": np.full(n, float(rotation)), "mirror": np.full(n, bool(mirror))}


@pytest.mark.parametrize("turns", range(4))
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("mirror", [False, True])
def test_a_symmetry_moves_image_angle_targets_as_the_generator_would(turns, flip, mirror):
    """Targets of a clock seen with rotation r, then flipped and turned, equal the targets of
    the clock drawn with rotation (-r if flipped else r) + 90 x turns and the mirror toggled."""
    rep = L.get("image_angles_mirror")
    r = 37.0
    moved = S.transform_outputs(rep, rep.encode(TIMES, _aux(r, mirror)), turns, flip)
    expected = rep.encode(TIMES, _aux((-r if flip else r) + 90 * turns, mirror != flip))
    for head in rep.heads:
        np.testing.assert_allclose(moved[head.name], expected[head.name], atol=1e-5)
    hours, minutes = rep.decode(moved)  # the time read back is unchanged
    np.testing.assert_array_equal(np.stack([hours, minutes], 1), TIMES)


@pytest.mark.parametrize("turns", [1, 2, 3])
@pytest.mark.parametrize("flip", [False, True])
def test_turned_and_flipped_pixels_are_the_generator_s_own_view(turns, flip):
    """A drawn clock flipped and turned on the pixel grid looks like the clock the generator
    draws with the matching rotation and mirror (so the moved labels are the image's labels)."""
    design = clocks.Design(numerals="all", flag=True)
    r = 20.0
    image = clocks.draw_clock(10, 10, design=design, view=clocks.View(rotation=r), size=96)
    moved = S.transform_images(image[None, :, :, None], turns, flip)[0, :, :, 0]
    twin_view = clocks.View(rotation=(-r if flip else r) + 90 * turns, mirror=flip)
    twin = clocks.draw_clock(10, 10, design=design, view=twin_view, size=96)
    other = clocks.draw_clock(10, 10, design=design, view=clocks.View(rotation=r + 45), size=96)
    diff = np.abs(moved.astype(int) - twin).mean()
    assert diff < 3, diff
    assert np.abs(moved.astype(int) - other).mean() > 5 * diff + 3  # the check can fail


@pytest.mark.parametrize(
    ("name", "flips"),
    [("image_angles_mirror", True), ("image_angles", False), ("hand_angles", True)],
)
def test_random_symmetries_move_each_image_with_its_own_targets(name, flips):
    """Each image is one of the eight symmetries (four quarter turns without ``flips``), its
    targets moved with it."""
    rep = L.get(name)
    rng = np.random.default_rng(0)
    x = rng.random((40, 8, 8, 1)).astype("float32")
    labels = np.stack([rng.integers(0, 12, 40), rng.integers(0, 60, 40)], 1)
    aux = {"rotation": rng.uniform(0, 360, 40), "mirror": (rng.random(40) < 0.5) & flips}
    targets = rep.encode(labels, aux)
    x_aug, y_aug = S.random_symmetries(x, targets, rep, np.array([1, 2]), flips=flips)
    x_aug, y_aug = np.asarray(x_aug), {k: np.asarray(v) for k, v in y_aug.items()}
    seen = set()
    for i in range(40):
        for g, (turns, flip) in enumerate(S.SYMMETRIES):
            if np.array_equal(x_aug[i], S.transform_images(x[i : i + 1], turns, flip)[0]):
                moved = S.transform_outputs(rep, {k: v[i : i + 1] for k, v in targets.items()},
                                            turns, flip)  # fmt: skip
                for k in targets:
                    np.testing.assert_allclose(y_aug[k][i], moved[k][0], atol=1e-5)
                seen.add(g)
                break
        else:
            raise AssertionError(f"image {i} is not a symmetry of the original")
    assert len(seen) >= 5 if flips else seen == {0, 1, 2, 3}  # 40 draws from eight (four)
    hours, minutes = rep.decode(y_aug)
    np.testing.assert_array_equal(np.stack([hours, minutes], 1), labels)


@pytest.mark.parametrize(
    ("name", "flips"),
    [("image_angles_mirror", True), ("image_angles", False), ("hand_angles", True),
     ("two_head", True)],
)  # fmt: skip
def test_averaging_over_symmetries_reads_a_consistent_model_right(name, flips):
    """An oracle that answers each transformed image with its exact targets (here: recovered
    from a stamp in the pixels) is read right after averaging; a model blind to the symmetry
    for image angles would not be (the test can fail)."""
    rep = L.get(name)
    rng = np.random.default_rng(3)
    n = 30
    labels = np.stack([rng.integers(0, 12, n), rng.integers(0, 60, n)], 1)
    aux = {"rotation": rng.uniform(0, 360, n), "mirror": (rng.random(n) < 0.5) & flips}
    targets = rep.encode(labels, aux)
    x = np.zeros((n, 4, 4, 1), "float32")
    x[:, 0, 0, 0] = 1.0  # a corner stamp: where it lands tells the symmetry applied
    x[:, 0, 1, 0] = 0.5
    stamps = {}
    for turns, flip in S.SYMMETRIES:
        key = S.transform_images(x[:1], turns, flip)[0, :, :, 0].tobytes()
        stamps[key] = (turns, flip)

    def oracle(images):
        turns, flip = stamps[images[0, :, :, 0].tobytes()]
        return S.transform_outputs(rep, targets, turns, flip)

    out = S.predict_averaged(oracle, rep, x, flips=flips)
    hours, minutes = rep.decode(out)
    np.testing.assert_array_equal(np.stack([hours, minutes], 1), labels)
    if rep.needs_aux:  # outputs not moved back would be averaged into nonsense
        blind = S.predict_averaged(lambda images: targets, rep, x, flips=flips)
        bad = rep.decode(blind)
        assert not np.array_equal(np.stack(bad, 1), labels)
