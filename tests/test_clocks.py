"""Clock images: the common-sense error, the generator's geometry and chiral cues, caching,
the course-file loader and the split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labkit import clocks
from labkit import data as data_module
from labkit.data import DataError

# --- the metric ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("true", "pred", "minutes"),
    [
        ((11, 59), (0, 1), 2),
        ((0, 1), (11, 59), 2),
        ((0, 0), (6, 0), 360),
        ((3, 15), (3, 15), 0),
        ((3, 15), (3, 45), 30),
        ((1, 0), (11, 0), 120),
        ((12, 0), (0, 0), 0),  # hour 12 is hour 0 on the dial
    ],
)
def test_common_sense_error_worked_examples(true, pred, minutes):
    assert clocks.common_sense_error(*true, *pred) == minutes


def test_common_sense_error_is_the_mean_of_the_per_sample_errors():
    ht, mt = np.array([11, 0, 3]), np.array([59, 0, 15])
    hp, mp = np.array([0, 6, 3]), np.array([1, 0, 15])
    assert clocks.common_sense_errors(ht, mt, hp, mp).tolist() == [2, 360, 0]
    assert clocks.common_sense_error(ht, mt, hp, mp) == pytest.approx(362 / 3)


def test_common_sense_error_rejects_nan_and_empty_input():
    with pytest.raises(ValueError, match="finite"):
        clocks.common_sense_error(1, np.nan, 1, 0)
    with pytest.raises(ValueError, match="at least one"):
        clocks.common_sense_error(np.array([]), np.array([]), np.array([]), np.array([]))


hours = st.integers(0, 11)
minutes = st.integers(0, 59)


@given(hours, minutes, hours, minutes)
def test_error_is_symmetric_and_bounded(h1, m1, h2, m2):
    e = clocks.common_sense_error(h1, m1, h2, m2)
    assert e == clocks.common_sense_error(h2, m2, h1, m1)
    assert 0 <= e <= 360


@given(hours, minutes, hours, minutes)
def test_error_is_zero_iff_the_times_are_equal(h1, m1, h2, m2):
    assert (clocks.common_sense_error(h1, m1, h2, m2) == 0) == ((h1, m1) == (h2, m2))


@given(hours, minutes, hours, minutes, st.integers(-3, 3), st.integers(0, 719))
def test_error_wraps_around_the_dial(h1, m1, h2, m2, turns, shift):
    e = clocks.common_sense_error(h1, m1, h2, m2)
    # a whole number of 12-hour turns on either side changes nothing
    assert clocks.common_sense_error(h1 + 12 * turns, m1, h2, m2) == e
    # nor does moving both times by the same amount (the error depends on the gap only)
    t1, t2 = h1 * 60 + m1 + shift, h2 * 60 + m2 + shift
    assert clocks.common_sense_error(0, t1, 0, t2) == pytest.approx(e)


@given(st.integers(0, 719), st.integers(0, 719))
def test_error_is_the_shorter_way_round(t1, t2):
    gap = abs(t1 - t2)
    assert clocks.common_sense_error(0, t1, 0, t2) == min(gap, 720 - gap)


# --- the difficulty ladder -------------------------------------------------------------------


def test_each_difficulty_keeps_the_nuisances_of_the_easier_ones():
    previous: frozenset[str] = frozenset()
    for d in clocks.DIFFICULTIES:
        now = clocks.nuisances_at(d)
        assert previous < now or d == "easy"
        previous = now
    assert clocks.nuisances_at("easy") == frozenset()
    assert clocks.nuisances_at(clocks.DIFFICULTIES[-1]) == frozenset(clocks.NUISANCES)
    # leiden: every nuisance of the course's photos, which have no mirror images and bright faces
    assert clocks.nuisances_at("leiden") == frozenset(clocks.NUISANCES) - {"mirror", "dark_face"}


def test_leiden_faces_are_bright_with_dark_ink_and_dark_faces_turn_some_over():
    """The report's photos all have bright faces with dark hands and digits (its section
    4.4). Light ink on a dark face is a rung of its own, drawn from the same random numbers:
    only the tones of about a fifth of the designs differ."""
    leiden = [clocks.spec(5, i, "leiden") for i in range(400)]
    dark = [clocks.spec(5, i, "dark_faces") for i in range(400)]
    assert not any(c.design.dark for c in leiden)
    assert all(c.design.face > 0.7 and c.design.ink < 0.25 for c in leiden)
    share = np.mean([c.design.dark for c in dark])
    assert 0.12 < share < 0.28
    for a, b in zip(leiden, dark, strict=True):
        assert (a.hour, a.minute) == (b.hour, b.minute)
        assert replace(a.design, face=0, ink=0) == replace(b.design, face=0, ink=0)
        assert a.view == replace(b.view, mirror=False)
        assert a.design == b.design or b.design.dark


def test_the_upright_side_rung_is_leiden_unturned_with_leiden_designs():
    """``upright``: leiden's nuisances less the rotation, its designs drawn as at leiden (a
    bold 12, which then sits at the top of every image)."""
    assert clocks.nuisances_at("upright") == clocks.nuisances_at("leiden") - {"rotation"}
    assert "upright" not in clocks.DIFFICULTIES  # off the ladder
    for i in range(100):
        up, leiden = clocks.spec(6, i, "upright"), clocks.spec(6, i, "leiden")
        assert up.view.rotation == 0.0 and not up.view.mirror
        assert (up.hour, up.minute, up.design) == (leiden.hour, leiden.minute, leiden.design)
        assert up.design.numerals in ("quarters", "all") and up.design.twelve_scale >= 1.15


def test_the_mirrored_rung_draws_the_leiden_clocks_half_of_them_flipped():
    for i in range(40):
        leiden, mirrored = clocks.spec(4, i, "leiden"), clocks.spec(4, i, "mirrored")
        assert (leiden.hour, leiden.minute, leiden.design) == (
            mirrored.hour, mirrored.minute, mirrored.design)  # fmt: skip
        assert leiden.view == replace(mirrored.view, mirror=False)


@pytest.mark.parametrize("difficulty", ["rotated", "leiden", "mirrored"])
def test_every_clock_that_can_be_turned_shows_a_bold_12(difficulty):
    """Like a real clock: numerals (at least the quarters), the 12 larger and bolder."""
    for i in range(200):
        d = clocks.spec(1, i, difficulty).design
        assert d.numerals in ("quarters", "all")
        assert d.twelve_scale >= 1.15 and d.twelve_weight >= max(0.02, d.numeral_weight)


def test_a_bold_12_is_drawn_darker_and_larger_than_a_plain_one():
    plain = clocks.Design(numerals="quarters", flag=False, seconds_hand=False)
    bold = replace(plain, twelve_scale=1.3, twelve_weight=0.03)
    a = clocks.draw_clock(6, 30, design=plain, view=clocks.View(), size=150)
    b = clocks.draw_clock(6, 30, design=bold, view=clocks.View(), size=150)
    top = (slice(20, 60), slice(55, 95))  # around the 12; the hands point down at 6:30
    assert (b[top] < 100).sum() > 1.8 * (a[top] < 100).sum()
    bottom = (slice(90, 130), slice(55, 95))
    assert np.array_equal(a[bottom], b[bottom])


def test_bad_difficulty_and_nuisance_names_say_what_is_allowed():
    with pytest.raises(ValueError, match="'difficulty' must be one of easy"):
        clocks.nuisances_at("hard")
    with pytest.raises(ValueError, match="'nuisances' takes any of"):
        clocks.draw_clock(1, 2, nuisances={"fog"})
    with pytest.raises(ValueError, match="hour must be an integer 0..11"):
        clocks.draw_clock(12, 0)
    with pytest.raises(ValueError, match="minute must be an integer 0..59"):
        clocks.draw_clock(1, 60)


# --- geometry: the labels match the drawn hands ----------------------------------------------

PLAIN = clocks.Design(numerals="none", flag=False, seconds_hand=False)


def _darkness_by_angle(img: np.ndarray, r0: float, r1: float) -> np.ndarray:
    """Mean darkness along rays at 0.5-degree steps (clockwise from 12), radii r0..r1 px."""
    size = img.shape[0]
    c = size / 2 - 0.5
    angles = np.deg2rad(np.arange(0, 360, 0.5))[:, None]
    radii = np.linspace(r0, r1, 24)[None, :]
    x = np.round(c + radii * np.sin(angles)).astype(int)
    y = np.round(c - radii * np.cos(angles)).astype(int)
    return (255 - img[y, x].astype(float)).mean(axis=1)


def _angle_gap(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def _hand_angles(img: np.ndarray, design: clocks.Design) -> tuple[float, float]:
    """(hour, minute) hand angles read back from an upright, nuisance-free clock."""
    size = img.shape[0]
    # the face radius in output pixels: View's scale 0.9 of half the image, inside the case
    face = 0.9 * (size / 2) * (1 - design.case_width)
    hour_len, minute_len = design.hour_hand[0], design.minute_hand[0]
    outer = _darkness_by_angle(img, (hour_len + 0.06) * face, (minute_len - 0.06) * face)
    minute = 0.5 * float(np.argmax(outer))
    inner = _darkness_by_angle(img, 0.15 * face, (hour_len - 0.08) * face)
    angles = np.arange(0, 360, 0.5)
    away = np.array([_angle_gap(a, minute) > 12 for a in angles])
    hour = float(angles[away][np.argmax(inner[away])])
    return hour, minute


@pytest.mark.parametrize(
    ("hour", "minute"), [(3, 0), (10, 10), (7, 42), (0, 30), (5, 17), (11, 0), (8, 55), (2, 36)]
)
def test_hands_point_where_the_label_says(hour, minute):
    img = clocks.draw_clock(hour, minute, design=PLAIN, view=clocks.View(), size=200)
    got_hour, got_minute = _hand_angles(img, PLAIN)
    assert _angle_gap(got_minute, 6 * minute) <= 1.5
    assert _angle_gap(got_hour, 30 * hour + 0.5 * minute) <= 1.5


def test_rotation_turns_the_hands_clockwise():
    img = clocks.draw_clock(0, 10, design=PLAIN, view=clocks.View(rotation=90), size=200)
    _, got_minute = _hand_angles(img, PLAIN)
    assert _angle_gap(got_minute, 60 + 90) <= 1.5


# --- mirroring needs a chiral cue ------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute"), [(3, 0), (1, 50), (4, 20)])
def test_a_face_without_cue_cannot_tell_a_mirror_from_another_time(hour, minute):
    # the check below would catch a cue-free design: its mirror image is another time's clock
    assert clocks.mirror_ambiguity(PLAIN, hour, minute) <= 3


@pytest.mark.parametrize(
    "design",
    [
        clocks.Design(numerals="none", flag=True),
        clocks.Design(numerals="quarters", flag=False),
        clocks.Design(numerals="all", flag=False),
    ],
)
def test_numerals_or_the_flag_tell_a_mirror_apart(design):
    assert design.chiral
    assert clocks.mirror_ambiguity(design, 3, 0) >= 20


@pytest.mark.parametrize("difficulty", clocks.DIFFICULTIES)
def test_every_clock_that_can_be_rotated_or_mirrored_carries_a_chiral_cue(difficulty):
    """And only the rungs with the mirror nuisance have mirror images (about half)."""
    on = clocks.nuisances_at(difficulty)
    specs = [clocks.spec(7, i, difficulty) for i in range(300)]
    if on & {"rotation", "mirror"}:
        assert all(s.design.chiral for s in specs)
    else:  # upright clocks may go without: the family includes bare faces
        assert not all(s.design.chiral for s in specs)
    share = np.mean([s.view.mirror for s in specs])
    assert 0.4 < share < 0.6 if "mirror" in on else share == 0


# --- determinism, generation and cache -------------------------------------------------------


def test_nuisance_gallery_changes_one_thing_per_row():
    rows = clocks.nuisance_gallery(4, 20, seeds=[0, 1], size=64)
    assert list(rows) == ["none", *clocks.NUISANCES]
    assert all(len(r) == 2 and r[0].shape == (64, 64) for r in rows.values())
    for j in range(2):
        # the mirror row is the plain clock flipped left to right (up to a pixel's rounding)
        flipped = np.fliplr(rows["none"][j]).astype(int)
        assert np.abs(rows["mirror"][j] - flipped).mean() < 2
        for name in clocks.NUISANCES:
            assert np.abs(rows[name][j].astype(int) - rows["none"][j]).mean() > 0.2, name


def test_draw_clock_is_deterministic_per_seed():
    a = clocks.draw_clock(4, 20, difficulty="leiden", seed=3)
    assert a.shape == (150, 150) and a.dtype == np.uint8
    assert np.array_equal(a, clocks.draw_clock(4, 20, difficulty="leiden", seed=3))
    assert not np.array_equal(a, clocks.draw_clock(4, 21, difficulty="leiden", seed=3))
    assert not np.array_equal(a, clocks.draw_clock(4, 20, difficulty="leiden", seed=4))


def test_generate_labels_specs_and_does_not_depend_on_workers(tmp_path):
    one = clocks.generate(40, difficulty="leiden", size=48, seed=5, workers=1, folder=tmp_path)
    two = clocks.generate(40, difficulty="leiden", size=48, seed=5, workers=2, cache=False)
    assert one.images.shape == (40, 48, 48) and one.labels.shape == (40, 2)
    assert np.array_equal(one.images, two.images) and np.array_equal(one.labels, two.labels)
    assert one.labels[:, 0].max() <= 11 and one.labels[:, 1].max() <= 59
    first = clocks.spec(5, 0, "leiden")
    assert one.labels[0].tolist() == [first.hour, first.minute]
    assert one.info["source"] == "generated" and one.info["images_per_second"] > 0
    assert one.summary()["n"] == 40 and set(one.summary()) >= {"seconds", "images_per_second"}
    again = clocks.generate(40, difficulty="leiden", size=48, seed=5, folder=tmp_path)
    assert again.info["source"] == "cache"
    assert np.array_equal(again.images, one.images)
    other = clocks.generate(40, difficulty="leiden", size=48, seed=6, folder=tmp_path)
    assert other.info["source"] == "generated"
    assert not np.array_equal(other.labels, one.labels)


def test_a_broken_cache_is_drawn_again(tmp_path):
    first = clocks.generate(12, size=32, seed=1, folder=tmp_path)
    folder = next(tmp_path.iterdir())
    (folder / "images.npy").write_bytes(b"cut off")
    again = clocks.generate(12, size=32, seed=1, folder=tmp_path)
    assert again.info["source"] == "generated"
    assert np.array_equal(again.images, first.images)
    assert clocks.generate(12, size=32, seed=1, folder=tmp_path).info["source"] == "cache"


def test_caches_drawn_by_older_code_are_removed(tmp_path, monkeypatch):
    from labkit import PACKAGE_DIR, stores

    monkeypatch.setitem(stores.CLOCK_IMAGES._code, PACKAGE_DIR, "old")
    clocks.generate(5, size=32, seed=2, folder=tmp_path)
    clocks.generate(5, size=32, seed=3, folder=tmp_path)  # other parameters: kept
    monkeypatch.setitem(stores.CLOCK_IMAGES._code, PACKAGE_DIR, "new")
    clocks.generate(5, size=32, seed=2, folder=tmp_path)
    names = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.iterdir())
    assert names == ["leiden-n5-s32-seed2", "leiden-n5-s32-seed3"]


def test_times_cover_the_dial_uniformly():
    t = [60 * s.hour + s.minute for s in (clocks.spec(0, i, "easy") for i in range(7_200))]
    counts = np.bincount(np.array(t) // 60, minlength=12)  # per hour: 600 expected
    assert counts.min() > 500 and counts.max() < 700


def test_generate_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        clocks.generate(0, cache=False)
    with pytest.raises(ValueError, match="'difficulty' must be one of"):
        clocks.generate(10, difficulty="expert", cache=False)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        clocks.generate(10, seed=-1, cache=False)


# --- course files ----------------------------------------------------------------------------


def _course_files(folder, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", images)
    np.save(folder / "labels.npy", labels)
    return folder


def test_load_clocks_reads_course_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (6, 150, 150, 1), dtype=np.uint8)
    labels = np.array([[0, 0], [11, 59], [3, 15], [6, 30], [9, 45], [1, 2]])
    got = clocks.load_clocks(_course_files(tmp_path / "clocks", images, labels))
    assert got.images.shape == (6, 150, 150) and got.images.dtype == np.uint8
    assert got.labels.tolist() == labels.tolist()
    assert got.info["source"] == "course files"


def test_load_clocks_finds_them_under_labkit_data_dir(tmp_path, monkeypatch):
    _course_files(tmp_path / "clocks", np.zeros((2, 8, 8), np.uint8), np.zeros((2, 2), int))
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path))
    assert len(clocks.load_clocks()) == 2


def test_load_clocks_explains_missing_files(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(clocks.dataset, "cache_dir", lambda: tmp_path / "nothing")
    with pytest.raises(DataError, match=r"images.npy and labels.npy were not found") as e:
        clocks.load_clocks()
    assert "generate(18_000)" in str(e.value)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((3, 8), np.uint8), np.zeros((3, 2), int), r"images.npy: expected numbers"),
        (np.full((3, 8, 8), 300.0), np.zeros((3, 2), int), r"images.npy: pixel values"),
        (np.zeros((3, 8, 8), np.uint8), np.zeros((2, 2), int), r"labels.npy: expected integers"),
        (np.zeros((3, 8, 8), np.uint8), np.full((3, 2), 0.5), r"labels.npy: expected integers"),
        (np.zeros((2, 8, 8), np.uint8), np.array([[12, 0], [0, 0]]), r"hours must lie in 0..11"),
        (np.zeros((2, 8, 8), np.uint8), np.array([[1, 60], [0, 0]]), r"minutes in 0..59"),
    ],
)
def test_load_clocks_names_the_malformed_file(tmp_path, images, labels, message):
    folder = _course_files(tmp_path / "clocks", images, labels)
    with pytest.raises(DataError, match=message):
        clocks.load_clocks(folder)


def test_load_clocks_names_a_corrupt_file(tmp_path):
    folder = _course_files(tmp_path / "clocks", np.zeros((2, 8, 8), np.uint8), np.zeros((2, 2)))
    (folder / "labels.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match=r"labels.npy is not a readable .npy array"):
        clocks.load_clocks(folder)


# --- split -----------------------------------------------------------------------------------


def test_split_is_80_10_10_disjoint_and_seeded():
    data = clocks.ClockSet(
        np.arange(1000)[:, None, None] * np.ones((1, 2, 2)), np.zeros((1000, 2)), {}
    )
    parts = clocks.split(data, seed=1)
    assert parts.sizes() == {"train": 800, "val": 100, "test": 100}
    every = np.concatenate(list(parts.index.values()))
    assert sorted(every.tolist()) == list(range(1000))
    assert np.array_equal(parts.train[0][:, 0, 0], parts.index["train"])
    assert np.array_equal(clocks.split(data, seed=1).index["test"], parts.index["test"])
    assert not np.array_equal(clocks.split(data, seed=2).index["test"], parts.index["test"])
    assert isinstance(parts, data_module.Split)
    with pytest.raises(ValueError, match="leave nothing"):
        clocks.split(data, val=0.5, test=0.5)
