"""Label representations of chapter 03: every encoder/decoder pair gives every time back, and
decoding is robust at the wrap-around (11:59 <-> 0:00)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labkit import clocks
from labkit.clocks import labels as L

ALL_TIMES = np.array([[t // 60, t % 60] for t in range(720)])


def _aux(n: int, seed: int = 0, mirrors: bool = True) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"rotation": rng.uniform(0, 360, n), "mirror": (rng.random(n) < 0.5) & mirrors}


def _mirrors(name: str) -> bool:
    """Whether ``name`` reads mirror images (``image_angles`` refuses them)."""
    return name != "image_angles"


@pytest.mark.parametrize("name", list(L.REPRESENTATIONS))
def test_encode_then_decode_gives_every_time_back(name):
    rep = L.get(name)
    targets = rep.encode(ALL_TIMES, _aux(720, mirrors=_mirrors(name)))
    assert set(targets) == {h.name for h in rep.heads}
    for head in rep.heads:
        assert targets[head.name].shape == (720, head.units)
        assert targets[head.name].dtype == np.float32
    hours, minutes = rep.decode(targets)
    np.testing.assert_array_equal(np.stack([hours, minutes], 1), ALL_TIMES)


#: Representations with an output that can be a fraction of a minute off (not only argmaxes).
CONTINUOUS = [n for n, r in L.REPRESENTATIONS.items() if any(h.kind != "softmax" for h in r.heads)]


@pytest.mark.parametrize("name", CONTINUOUS)
def test_decoding_is_robust_to_small_errors_at_the_wrap_around(name):
    """Outputs a fraction of a minute off, either way, still give 11:59, 0:00 and 0:01."""
    rep = L.get(name)
    times = np.array([[11, 59], [0, 0], [0, 1], [11, 0], [1, 0]])
    aux = _aux(len(times), seed=1, mirrors=_mirrors(name))
    for shift in (-0.4, 0.4):  # minutes
        shifted = L.get(name).encode(times, aux)
        for head in rep.heads:
            if head.kind == "angle":  # turn each angle by `shift` minutes of that hand
                per_turn = 720 if head.name.startswith("hour") else 60
                if head.name == "mark":
                    continue
                if head.name == "hour" and name == "sincos":
                    per_turn = 12 * 60  # an hour angle of whole hours: 0.4 minutes is tiny
                turns = L.read_angle(shifted[head.name]) + shift / per_turn
                if name.startswith("image_angles"):  # a mirrored clock's hands turn back
                    turns = (
                        L.read_angle(shifted[head.name])
                        + np.where(aux["mirror"], -1, 1) * shift / per_turn
                    )
                shifted[head.name] = L.angle_targets(turns)
            elif head.kind == "linear":
                scale = {"time": 720, "hour": 12 * 60, "minute": 60}[head.name]
                shifted[head.name] = shifted[head.name] + shift / scale
        hours, minutes = rep.decode(shifted)
        np.testing.assert_array_equal(np.stack([hours, minutes], 1), times, err_msg=name)


def test_the_hour_follows_the_minute_across_the_full_hour():
    """A minute hand a little short of 12 next to an hour hand just past 3 reads 2:59 or 3:00
    consistently, never 3:59 (the off-by-one-hour error this decoding removes)."""
    rep = L.get("hand_angles")
    hour_hand = L.angle_targets(np.array([3 / 12 + 0.1 / 720]))  # hour hand at 3:00 plus 0.1 min
    for minute_turns, expect in ((59.7 / 60, (2, 59)), (59.2 / 60, (2, 59)), (0.3 / 60, (3, 0))):
        out = {"hour_hand": hour_hand, "minute_hand": L.angle_targets(np.array([minute_turns]))}
        h, m = rep.decode(out)
        if minute_turns > 59.5 / 60:  # rounds to the full hour: the hour must be 3
            expect = (3, 0)
        assert (int(h[0]), int(m[0])) == expect


def test_angle_pairs_read_back_whatever_their_length():
    turns = np.array([0.0, 0.25, 0.5, 0.999])
    np.testing.assert_allclose(L.read_angle(3.0 * L.angle_targets(turns)), turns, atol=1e-12)
    # (sin, cos): 12 o'clock is (0, 1), 3 o'clock (1, 0), clockwise as the hands turn
    np.testing.assert_allclose(L.angle_targets([0.0, 0.25]), [[0, 1], [1, 0]], atol=1e-12)


def test_circular_smoothing_spreads_over_neighbours_across_the_wrap():
    soft = L.circular_smoothing(np.array([0, 359, 719]))
    np.testing.assert_allclose(soft.sum(1), 1.0)
    assert soft.argmax(1).tolist() == [0, 359, 719]
    assert soft[0, 0] == pytest.approx(0.8)
    assert soft[0, 719] == pytest.approx(soft[0, 1])
    assert soft[0, 1] > soft[0, 2] > soft[0, 5] > 0  # 0:00's neighbours: 11:59, 0:01
    assert soft[2, 0] == pytest.approx(soft[2, 718])
    assert soft[0, 360] < 1e-12  # nothing on the far side of the dial
    with pytest.raises(ValueError, match="epsilon"):
        L.circular_smoothing(np.array([0]), epsilon=1.0)


def test_image_angles_targets_follow_rotation_and_mirror():
    rep = L.get("image_angles_mirror")
    t = rep.encode(np.array([[3, 0], [3, 0]]), {"rotation": np.array([90.0, 90.0]),
                                                "mirror": np.array([False, True])})  # fmt: skip
    # 12 mark at 90 degrees clockwise (3 o'clock in the image) for both
    np.testing.assert_allclose(L.read_angle(t["mark"]), [0.25, 0.25], atol=1e-6)
    # minute hand points at 12 on the dial: where the mark is
    np.testing.assert_allclose(L.read_angle(t["minute_hand"]), [0.25, 0.25], atol=1e-6)
    # hour hand at 3 on the dial: a quarter turn clockwise, or anticlockwise when mirrored
    np.testing.assert_allclose(L.read_angle(t["hour_hand"]), [0.5, 0.0], atol=1e-6)
    assert t["mirror"][:, 0].tolist() == [0.0, 1.0]
    plain = L.get("image_angles")
    assert [h.name for h in plain.heads] == ["mark", "hour_hand", "minute_hand"]
    one = plain.encode(np.array([[3, 0]]), {"rotation": np.array([90.0]), "mirror": [False]})
    np.testing.assert_allclose(one["hour_hand"], t["hour_hand"][:1], atol=1e-6)
    with pytest.raises(ValueError, match="image_angles_mirror"):
        plain.encode(np.array([[3, 0]]), {"rotation": np.array([9.0]), "mirror": [True]})


def test_aux_labels_replay_the_generator():
    index = np.array([5, 0, 17, 2, 9, 11])
    aux = L.aux_labels(3, index, "mirrored")
    for j, i in enumerate(index):
        view = clocks.spec(3, int(i), "mirrored").view
        assert aux["rotation"][j] == view.rotation and aux["mirror"][j] == view.mirror
    assert aux["mirror"].any()
    leiden = L.aux_labels(3, index, "leiden")  # the same clocks, never mirrored
    np.testing.assert_array_equal(leiden["rotation"], aux["rotation"])
    assert not leiden["mirror"].any()
    easy = L.aux_labels(3, index, "easy")
    assert not easy["rotation"].any() and not easy["mirror"].any()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="one_value, two_values|must be one of"):
        L.get("nope")
    with pytest.raises(ValueError, match="aux labels"):
        L.get("image_angles").encode(ALL_TIMES[:3])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        L.get("two_head").encode(np.zeros(3))
    with pytest.raises(ValueError, match="hours 0..11"):
        L.get("two_head").encode(np.array([[12, 0]]))
    with pytest.raises(ValueError, match="head"):
        L.get("two_head").decode({"hour": np.zeros((1, 12))})
    with pytest.raises(ValueError, match="circular loss needs an angle"):
        L.Head("x", 1, "linear", "circular")


def test_a_one_head_representation_decodes_a_bare_array():
    rep = L.get("one_value")
    h, m = rep.decode(np.array([[(3 * 60 + 30) / 720]]))
    assert (h[0], m[0]) == (3, 30)
    assert math.isclose(L.TAU, 2 * math.pi)


def test_joint_read_gives_exact_outputs_back_and_lets_the_hands_move_the_mark():
    rep = L.get("image_angles")
    aux = _aux(720, seed=4, mirrors=False)
    exact = rep.encode(ALL_TIMES, aux)
    spread = {"mark": 0.01, "hour_hand": 0.01, "minute_hand": 0.01}
    hours, minutes = L.joint_read(exact, spread)
    np.testing.assert_array_equal(np.stack([hours, minutes], 1), ALL_TIMES)
    # the mark placed 5 degrees off: read alone, the minute is a minute off; read jointly
    # with precise hands (and an imprecise mark), the hands put the mark back
    off = {**exact, "mark": L.angle_targets(L.read_angle(exact["mark"]) + 5 / 360)}
    plain = np.stack(rep.decode(off), 1)
    assert (plain != ALL_TIMES).any(axis=1).mean() > 0.5
    trust_hands = {"mark": 0.05, "hour_hand": 0.002, "minute_hand": 0.002}
    joint = np.stack(L.joint_read(off, trust_hands), 1)
    np.testing.assert_array_equal(joint, ALL_TIMES)
    measured = L.head_spread(off, exact)
    assert measured["mark"] == pytest.approx(1.4826 * 5 / 360, rel=1e-3)
    assert measured["minute_hand"] == pytest.approx(1e-4)  # the floor: exact heads
