"""Chapter 03's exercises: the common-sense error, reading two hands' angles, the best
constant guess and the face that cannot tell a mirror."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..clocks import metric
from .feedback import Case, Result, answer_check, choice_check, function_check

__all__ = ["best_constant", "common_sense_error", "mirror_face", "read_hands"]


def _cse_case(h: int, m: int, hp: int, mp: int, hint: str = "") -> Case:
    return Case(
        (h, m, hp, mp),
        float(metric.common_sense_errors(h, m, hp, mp)),
        f"your error for {h}:{m:02d} vs {hp}:{mp:02d}",
        hint,
    )


def common_sense_error(fn: Any) -> Result:
    """Exercise 03.1: ``fn(hour, minute, hour_guess, minute_guess)``, the minutes between two
    times on the 12-hour dial, the shorter way round."""
    wrap = "wrap around the dial: the shorter way round is at most 360"
    visible = [
        _cse_case(11, 58, 0, 2, wrap),
        _cse_case(3, 15, 3, 45),
        _cse_case(1, 0, 11, 0, wrap),
        _cse_case(0, 0, 6, 0),
    ]
    rng = np.random.default_rng()
    hidden = [
        _cse_case(
            *(
                int(v)
                for v in (
                    rng.integers(0, 12),
                    rng.integers(0, 60),
                    rng.integers(0, 12),
                    rng.integers(0, 60),
                )
            ),
            wrap,
        )
        for _ in range(14)
    ]
    hidden.append(_cse_case(12, 0, 0, 5, "hour 12 is hour 0 on the dial"))
    return function_check("03.1", fn, visible, hidden, atol=1e-9, rtol=0)


def _angles(h: int, m: int, noise: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
    """The hour and minute hands' angles (radians, clockwise from 12) at h:m, plus ``noise``."""
    minutes = (h % 12) * 60 + m
    return (2 * np.pi * minutes / 720 + noise[0]) % (2 * np.pi), (2 * np.pi * m / 60 + noise[1]) % (
        2 * np.pi
    )


def _read_case(h: int, m: int, noise: tuple[float, float], label: str, hint: str) -> Case:
    return Case(_angles(h, m, noise), (h % 12, m), label, hint)


def read_hands(fn: Any) -> Result:
    """Exercise 03.4: ``fn(hour_angle, minute_angle)`` -> ``(hour, minute)``: a decoder for two
    angle heads (radians clockwise from 12, a little noisy). The minute hand gives the minute;
    the hour hand gives the hour once the minute's share of its travel is taken off."""
    hint = (
        "the hour hand has moved minute/60 of an hour past the hour: subtract that before "
        "rounding, or 2:59 reads as 3:59"
    )
    deg = np.pi / 180
    visible = [
        _read_case(3, 0, (0, 0), "hands at 3:00", ""),
        _read_case(7, 30, (0, 0), "hands at 7:30", hint),
        _read_case(2, 59, (1.2 * deg, 1 * deg), "hands at 2:59, slightly off", hint),
        _read_case(11, 58, (0.5 * deg, -1 * deg), "hands at 11:58", hint),
    ]
    rng = np.random.default_rng()
    hidden = []
    for _ in range(16):
        h, m = int(rng.integers(0, 12)), int(rng.choice([0, 1, 2, 29, 30, 57, 58, 59, *range(60)]))
        noise = tuple(float(v) for v in rng.uniform(-1.5 * deg, 1.5 * deg, size=2))
        hidden.append(_read_case(h, m, noise, f"hands at {h}:{m:02d}, noisy", hint))
    return function_check("03.4", fn, visible, hidden, atol=0, rtol=0)


def best_constant(answer: Any, baselines: Mapping[str, float]) -> Result:
    """Exercise 03.3: the test common-sense error of always answering the best constant time,
    read off the baselines table (``baselines["best_constant_time"]``)."""
    return answer_check(
        "03.3",
        answer,
        float(baselines["best_constant_time"]),
        what="the best constant time's test error (minutes)",
        tol=0.05,
        source="the table of the two baselines",
    )


def mirror_face(answer: Any, cue_pixels: Mapping[str, int]) -> Result:
    """Exercise 03.2: the face design (a key of ``cue_pixels``) on which a mirrored 3:00 and an
    upright 9:00 differ least: the one a model cannot read when clocks may be mirrored."""
    expected = min(cue_pixels, key=lambda k: cue_pixels[k])
    why = ", ".join(f"{k}: {v} pixels differ" for k, v in cue_pixels.items())
    return choice_check(
        "03.2",
        answer,
        expected,
        allowed=list(cue_pixels),
        what="the face that cannot tell a mirror",
        why=why,
    )
