"""Analog clocks: a generator of course-like clock images, the course-file loader, the split and
the common-sense error.

The course's clock photos (18 000 grayscale 150x150 photos of one wall clock, rotated, some
mirrored, tilted, with glare) are not available here, so the workbook draws its own:

* a clock from a family of :class:`Design`\\ s (face, rim, 60 ticks with heavier hour ticks,
  numerals or not, an asymmetric flag at 12 or not, hour and minute hands, an optional
  seconds hand). The hour hand points at ``30*h + 0.5*m`` degrees, the minute hand at ``6*m``,
  both clockwise from 12;
* nuisances (:data:`NUISANCES`): rotation of the whole clock, mirror image, perspective tilt,
  scale and offset, a carpet- or wood-like background, a lighting gradient, glare, blur, noise;
* a ladder of :data:`DIFFICULTIES` from ``easy`` (upright, plain background) to ``leiden``
  (every nuisance, like the course photos). Each step adds nuisances to the one before.

A mirrored clock that can also be rotated reads as a different time (a mirrored 3:00 is an
unmirrored 9:00) unless the face carries a *chiral cue*: something that reads differently in a
mirror. Every design drawn at a difficulty that rotates carries one (numerals or the flag at 12),
so every label stays readable from the image.

Each image is drawn from its own random stream, ``(seed, index)``, so a dataset does not depend
on how many worker processes drew it. :func:`generate` caches datasets under ``data/clocks/``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import project_root
from .data import DataError

__all__ = [
    "DIFFICULTIES",
    "NUISANCES",
    "ClockSet",
    "ClockSpec",
    "Design",
    "LADDER",
    "Splits",
    "View",
    "common_sense_error",
    "common_sense_errors",
    "draw_clock",
    "generate",
    "load_clocks",
    "mirror_ambiguity",
    "nuisance_gallery",
    "nuisances_at",
    "render",
    "sample_design",
    "sample_view",
    "spec",
    "split",
    "to_minutes",
]

# ---------------------------------------------------------------------------------------------
# The metric
# ---------------------------------------------------------------------------------------------

#: Minutes on the 12-hour dial.
DIAL_MINUTES = 720


def to_minutes(hours: np.ndarray | float, minutes: np.ndarray | float) -> np.ndarray:
    """Minutes past 12 o'clock on the 12-hour dial, in ``[0, 720)`` (hour 12 is hour 0)."""
    h = np.asarray(hours, dtype=float)
    m = np.asarray(minutes, dtype=float)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(m))):
        raise ValueError("hours and minutes must be finite numbers (got NaN or infinity)")
    return np.mod(h * 60.0 + m, DIAL_MINUTES)


def common_sense_errors(
    hours_true: np.ndarray | float,
    minutes_true: np.ndarray | float,
    hours_pred: np.ndarray | float,
    minutes_pred: np.ndarray | float,
) -> np.ndarray:
    """Per-sample common-sense error: the distance in minutes between two times on the 12-hour
    circle, the shorter way round (11:59 vs 0:01 is 2; 0:00 vs 6:00 is 360, the largest).

    Arguments broadcast like NumPy arrays; scalars give a 0-d array. Predictions may be
    fractional (a regression output) or outside the dial (hour 12 is 0).
    """
    d = np.abs(to_minutes(hours_true, minutes_true) - to_minutes(hours_pred, minutes_pred))
    return np.minimum(d, DIAL_MINUTES - d)


def common_sense_error(
    hours_true: np.ndarray | float,
    minutes_true: np.ndarray | float,
    hours_pred: np.ndarray | float,
    minutes_pred: np.ndarray | float,
) -> float:
    """Mean common-sense error in minutes (see :func:`common_sense_errors`)."""
    errors = common_sense_errors(hours_true, minutes_true, hours_pred, minutes_pred)
    if errors.size == 0:
        raise ValueError("common_sense_error needs at least one sample")
    return float(errors.mean())


# ---------------------------------------------------------------------------------------------
# Difficulty ladder
# ---------------------------------------------------------------------------------------------

#: Every nuisance, in the order the difficulty ladder adds them.
NUISANCES: tuple[str, ...] = (
    "scale_offset",
    "rotation",
    "mirror",
    "tilt",
    "texture",
    "lighting",
    "glare",
    "blur",
    "noise",
)

#: The difficulty ladder: what each step adds to the one before it.
LADDER: dict[str, tuple[str, ...]] = {
    "easy": (),
    "shifted": ("scale_offset",),
    "rotated": ("rotation",),
    "mirrored": ("mirror",),
    "tilted": ("tilt",),
    "textured": ("texture", "lighting"),
    "leiden": ("glare", "blur", "noise"),
}
#: The difficulty steps, easiest first; ``leiden`` has every nuisance, like the course photos.
DIFFICULTIES: tuple[str, ...] = tuple(LADDER)

#: Share of mirrored clocks when the mirror nuisance is on.
MIRROR_SHARE = 0.5


def nuisances_at(difficulty: str) -> frozenset[str]:
    """The nuisances switched on at ``difficulty`` (each step keeps those of the steps before)."""
    if difficulty not in LADDER:
        raise ValueError(
            f"unknown difficulty {difficulty!r}: the parameter 'difficulty' must be one of "
            f"{', '.join(DIFFICULTIES)}"
        )
    on: set[str] = set()
    for step, adds in LADDER.items():
        on.update(adds)
        if step == difficulty:
            return frozenset(on)
    raise AssertionError("unreachable")


def _check_nuisances(nuisances: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(nuisances)
    unknown = sorted(chosen - set(NUISANCES))
    if unknown:
        raise ValueError(
            f"unknown nuisance(s) {', '.join(unknown)}: the parameter 'nuisances' takes any of "
            f"{', '.join(NUISANCES)}"
        )
    return chosen


# ---------------------------------------------------------------------------------------------
# Designs and views
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """One clock's look. Lengths are fractions of the clock's radius; tones are 0 (black) to 1.

    ``numerals`` is ``"none"``, ``"quarters"`` (12, 3, 6, 9) or ``"all"``; ``flag`` puts an
    asymmetric flag at 12. Either is a chiral cue (:attr:`chiral`).
    """

    face: float = 0.92
    ink: float = 0.08
    case: float = 0.2
    case_width: float = 0.07
    minute_tick: tuple[float, float] = (0.05, 0.008)  # length, width
    hour_tick: tuple[float, float] = (0.13, 0.028)
    numerals: str = "all"
    numeral_size: float = 0.17
    numeral_radius: float = 0.68
    flag: bool = False
    hour_hand: tuple[float, float] = (0.5, 0.065)  # length, width
    minute_hand: tuple[float, float] = (0.8, 0.04)
    tail: float = 0.12
    tapered: bool = True
    seconds_hand: bool = False
    seconds_tone: float = 0.45

    @property
    def chiral(self) -> bool:
        """True when the face reads differently in a mirror (numerals or the flag at 12)."""
        return self.numerals != "none" or self.flag


def sample_design(rng: np.random.Generator, chiral: bool = True) -> Design:
    """A random design from the family; with ``chiral`` it always carries a chiral cue."""
    dark_face = rng.random() < 0.2
    face = rng.uniform(0.1, 0.25) if dark_face else rng.uniform(0.78, 0.97)
    ink = rng.uniform(0.85, 0.97) if dark_face else rng.uniform(0.02, 0.2)
    numerals = str(rng.choice(["none", "quarters", "all"], p=[0.3, 0.2, 0.5]))
    flag = bool(rng.random() < 0.5) or (chiral and numerals == "none")
    hour_len = rng.uniform(0.45, 0.56)
    return Design(
        face=face,
        ink=ink,
        case=rng.uniform(0.05, 0.3) if rng.random() < 0.6 else rng.uniform(0.5, 0.7),
        case_width=rng.uniform(0.03, 0.1),
        minute_tick=(rng.uniform(0.04, 0.07), rng.uniform(0.006, 0.012)),
        hour_tick=(rng.uniform(0.1, 0.16), rng.uniform(0.022, 0.04)),
        numerals=numerals,
        numeral_size=rng.uniform(0.14, 0.2),
        numeral_radius=rng.uniform(0.66, 0.72),
        flag=flag,
        hour_hand=(hour_len, rng.uniform(0.05, 0.08)),
        minute_hand=(rng.uniform(hour_len + 0.2, 0.88), rng.uniform(0.03, 0.045)),
        tail=rng.uniform(0.08, 0.18),
        tapered=bool(rng.random() < 0.5),
        seconds_hand=bool(rng.random() < 0.5),
        seconds_tone=rng.uniform(0.35, 0.55),
    )


@dataclass(frozen=True)
class View:
    """How one clock is seen: the nuisances' values (each one's neutral value when off)."""

    rotation: float = 0.0  # degrees, clockwise
    mirror: bool = False
    tilt: float = 0.0  # degrees out of the image plane
    tilt_axis: float = 0.0  # direction of the tilt axis in the image, degrees
    scale: float = 0.9  # clock radius / half the image size
    offset: tuple[float, float] = (0.0, 0.0)  # centre shift, fraction of half the image size
    background: str = "plain"  # plain | carpet | wood
    background_tone: float = 0.4
    pattern_seed: int = 0  # seeds the background texture and the sensor noise
    light: tuple[float, float, float] = (1.0, 0.0, 0.0)  # gain, x-slope, y-slope
    glare: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # strength, x, y, angle
    blur: float = 0.0  # Gaussian radius in pixels
    noise: float = 0.0  # standard deviation, 0..1 scale
    second: float = 0.0  # where a seconds hand points, 0..60


def sample_view(rng: np.random.Generator, nuisances: Iterable[str]) -> View:
    """Random values for the chosen nuisances; the others stay neutral (see :class:`View`)."""
    on = _check_nuisances(nuisances)
    v: dict = {
        "second": rng.uniform(0, 60),
        "background_tone": rng.uniform(0.2, 0.55),
        "pattern_seed": int(rng.integers(2**31)),
    }
    if "scale_offset" in on:
        scale = rng.uniform(0.6, 0.95)
        room = 1.0 - scale
        v["scale"] = scale
        v["offset"] = (rng.uniform(-room, room), rng.uniform(-room, room))
    if "rotation" in on:
        v["rotation"] = rng.uniform(0, 360)
    if "mirror" in on:
        v["mirror"] = bool(rng.random() < MIRROR_SHARE)
    if "tilt" in on:
        v["tilt"] = rng.uniform(0, 40)
        v["tilt_axis"] = rng.uniform(0, 180)
    if "texture" in on:
        v["background"] = str(rng.choice(["carpet", "wood"]))
    if "lighting" in on:
        v["light"] = (rng.uniform(0.7, 1.15), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5))
    if "glare" in on:
        r, a = rng.uniform(0, 0.6), rng.uniform(0, 2 * math.pi)
        v["glare"] = (rng.uniform(0.25, 0.7), r * math.cos(a), r * math.sin(a), rng.uniform(0, 180))
    if "blur" in on:
        v["blur"] = rng.uniform(0.3, 1.4)
    if "noise" in on:
        v["noise"] = rng.uniform(0.01, 0.05)
    return View(**v)


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------

_SUPERSAMPLE = 2  # draw at twice the size, then average 2x2 blocks (anti-aliasing)


@lru_cache(maxsize=32)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=px)


def _tone(x: float) -> int:
    return int(round(255 * min(max(x, 0.0), 1.0)))


def _polar(cx: float, cy: float, r: float, deg: float) -> tuple[float, float]:
    """The point at radius ``r`` and angle ``deg`` clockwise from 12 (image y points down)."""
    a = math.radians(deg)
    return cx + r * math.sin(a), cy - r * math.cos(a)


def _bar(cx: float, cy: float, deg: float, r0: float, r1: float, w0: float, w1: float) -> list:
    """A quadrilateral along angle ``deg`` from radius r0 (width w0) to r1 (width w1)."""
    a = math.radians(deg)
    ux, uy = math.sin(a), -math.cos(a)  # along
    nx, ny = -uy, ux  # across
    return [
        (cx + r0 * ux + w0 / 2 * nx, cy + r0 * uy + w0 / 2 * ny),
        (cx + r1 * ux + w1 / 2 * nx, cy + r1 * uy + w1 / 2 * ny),
        (cx + r1 * ux - w1 / 2 * nx, cy + r1 * uy - w1 / 2 * ny),
        (cx + r0 * ux - w0 / 2 * nx, cy + r0 * uy - w0 / 2 * ny),
    ]


def _draw_face(design: Design, hour: int, minute: int, second: float, canvas: int) -> Image.Image:
    """The upright clock on a square canvas: an ``LA`` image (tone, opacity), radius canvas/2."""
    d = design
    c = canvas / 2
    big = c - 1  # the case's outer radius in pixels
    face_r = big * (1 - d.case_width)
    img = Image.new("LA", (canvas, canvas), (0, 0))
    g = ImageDraw.Draw(img)
    g.ellipse((c - big, c - big, c + big, c + big), fill=(_tone(d.case), 255))
    g.ellipse((c - face_r, c - face_r, c + face_r, c + face_r), fill=(_tone(d.face), 255))
    ink = (_tone(d.ink), 255)
    R = face_r  # lengths below are fractions of the face radius
    r1 = R * 0.97  # where the ticks end
    for k in range(60):
        length, width = d.hour_tick if k % 5 == 0 else d.minute_tick
        g.polygon(_bar(c, c, 6 * k, r1 - length * R, r1, width * R, width * R), fill=ink)
    if d.flag:  # a small pennant right of the 12 tick: reads differently in a mirror
        top, h = c - 0.97 * R, max(d.hour_tick[0], 0.12) * R
        x0 = c + d.hour_tick[1] * R / 2
        g.polygon([(x0, top), (x0 + 0.12 * R, top + h / 2), (x0, top + h)], fill=ink)
    if d.numerals != "none":
        font = _font(max(6, int(d.numeral_size * R)))
        hours = range(1, 13) if d.numerals == "all" else (3, 6, 9, 12)
        for n in hours:
            x, y = _polar(c, c, d.numeral_radius * R, 30 * n)
            g.text((x, y), str(n), font=font, fill=ink, anchor="mm")
    hour_deg = 30 * (hour % 12) + 0.5 * minute
    for deg, (length, width) in ((hour_deg, d.hour_hand), (6 * minute, d.minute_hand)):
        tip = width * R * (0.25 if d.tapered else 1.0)
        g.polygon(_bar(c, c, deg, -d.tail * R, length * R, width * R, tip), fill=ink)
    if d.seconds_hand:
        tone = (_tone(d.seconds_tone), 255)
        g.polygon(_bar(c, c, 6 * second, -0.2 * R, 0.86 * R, 0.012 * R, 0.012 * R), fill=tone)
        s = 0.035 * R
        g.ellipse((c - s, c - s, c + s, c + s), fill=tone)
    s = 0.05 * R
    g.ellipse((c - s, c - s, c + s, c + s), fill=ink)
    return img


def _homography(view: View, canvas: int, out: int) -> np.ndarray:
    """The 3x3 map from canvas pixels to output pixels: mirror, rotate, tilt, scale, shift."""
    half = canvas / 2
    to_unit = np.array([[1 / half, 0, -1], [0, 1 / half, -1], [0, 0, 1]])
    mirror = np.diag([-1.0 if view.mirror else 1.0, 1.0, 1.0])
    a = math.radians(view.rotation)
    rotate = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    # tilt: turn the clock's plane about an in-plane axis, then look at it from 4 radii away
    t, b = math.radians(view.tilt), math.radians(view.tilt_axis)
    ax, ay = math.cos(b), math.sin(b)
    K = np.array([[0, 0, ay], [0, 0, -ax], [-ay, ax, 0]])  # cross-product matrix of the axis
    R3 = np.eye(3) + math.sin(t) * K + (1 - math.cos(t)) * (K @ K)
    distance = 4.0
    tilt = np.array(
        [
            [R3[0, 0], R3[0, 1], 0],
            [R3[1, 0], R3[1, 1], 0],
            [R3[2, 0] / distance, R3[2, 1] / distance, 1],
        ]
    )
    h = out / 2
    ox, oy = view.offset
    place = np.array([[view.scale * h, 0, h + ox * h], [0, view.scale * h, h + oy * h], [0, 0, 1]])
    return place @ tilt @ rotate @ mirror @ to_unit


@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (y, x) divided by ``size``: 0 at the top left, just under 1 at the
    bottom right; float32, read-only (shared by every image of that size)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    y.setflags(write=False)
    x.setflags(write=False)
    return y, x


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth random field in about [-1, 1]: ``cells`` x ``cells`` values, bicubic upsampled."""
    small = Image.fromarray(rng.standard_normal((cells, cells)).astype(np.float32))
    return np.asarray(small.resize((size, size), Image.Resampling.BICUBIC)) / 1.5


def _background(view: View, size: int) -> np.ndarray:
    """The surface behind the clock, float32 in [0, 1]: plain, carpet or wood."""
    base = view.background_tone
    if view.background == "plain":
        return np.full((size, size), base, np.float32)
    rng = np.random.default_rng(view.pattern_seed)
    if view.background == "carpet":  # fine pile, knotty blotches
        pile = rng.normal(128, 40, (size, size)).clip(0, 255).astype(np.uint8)
        blurred = Image.fromarray(pile).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
        pile = (np.asarray(blurred, np.float32) - 128) / 40
        bg = base + 0.18 * pile + 0.06 * _smooth_noise(rng, size, 6)
    else:  # wood: grain lines along one direction, warped, with plank seams
        y, x = _grid(size)
        a = rng.uniform(0, math.pi)
        along, across = x * math.cos(a) + y * math.sin(a), -x * math.sin(a) + y * math.cos(a)
        warp = 0.04 * _smooth_noise(rng, size, 4)
        grain = np.sin(2 * math.pi * rng.uniform(10, 25) * (across + warp + 0.02 * along))
        plank = rng.uniform(0.2, 0.4)
        seam = np.abs(((across + 1.0) / plank) % 1.0 - 0.5) > 0.48
        bg = base + 0.07 * grain + 0.05 * _smooth_noise(rng, size, 5) - 0.15 * seam
    return bg.astype(np.float32)


def _render(hour: int, minute: int, design: Design, view: View, size: int) -> np.ndarray:
    """One clock image, uint8 (size, size)."""
    big = size * _SUPERSAMPLE
    face = _draw_face(design, hour, minute, view.second, big)
    H = np.linalg.inv(_homography(view, big, big))
    H = H / H[2, 2]
    warped = face.transform(
        (big, big), Image.Transform.PERSPECTIVE, tuple(H.ravel()[:8]), Image.Resampling.BILINEAR
    ).reduce(_SUPERSAMPLE)
    la = np.asarray(warped, dtype=np.float32) / 255.0
    tone, alpha = la[..., 0], la[..., 1]
    # both channels are 0 outside the clock, so resampling leaves the tone premultiplied
    img = tone + (1 - alpha) * _background(view, size)
    img = np.clip(img, 0, 1)
    gain, sx, sy = view.light
    if (gain, sx, sy) != (1.0, 0.0, 0.0):
        y, x = _grid(size)
        img = img * (gain * (1 + sx * (x - 0.5) + sy * (y - 0.5)))
    strength, gx, gy, gdeg = view.glare
    if strength > 0:  # a soft elongated highlight on the clock's glass
        y, x = (2 * g - 1 for g in _grid(size))  # -1..1 across the image
        cx, cy = view.offset[0] + view.scale * gx, view.offset[1] + view.scale * gy
        a = math.radians(gdeg)
        u = (x - cx) * math.cos(a) + (y - cy) * math.sin(a)
        w = -(x - cx) * math.sin(a) + (y - cy) * math.cos(a)
        blob = np.exp(-((u / (0.35 * view.scale)) ** 2 + (w / (0.12 * view.scale)) ** 2))
        img = img + strength * blob * alpha
    img = np.clip(img, 0, 1)
    if view.blur > 0:  # PIL blurs 8-bit images; the result is 8-bit anyway
        pil = Image.fromarray(np.round(img * 255).astype(np.uint8))
        img = np.asarray(pil.filter(ImageFilter.GaussianBlur(view.blur)), np.float32) / 255
    if view.noise > 0:
        noise_rng = np.random.default_rng([view.pattern_seed, 1])
        img = img + view.noise * noise_rng.standard_normal(img.shape).astype(np.float32)
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def _needs_cue(on: frozenset[str]) -> bool:
    """Rotation or mirroring hides which way is up or clockwise unless the face shows it."""
    return bool(on & {"rotation", "mirror"})


def _check_time(hour: int, minute: int) -> None:
    if not (0 <= hour <= 11 and float(hour).is_integer()):
        raise ValueError(f"hour must be an integer 0..11 (got {hour!r})")
    if not (0 <= minute <= 59 and float(minute).is_integer()):
        raise ValueError(f"minute must be an integer 0..59 (got {minute!r})")


def draw_clock(
    hour: int,
    minute: int,
    *,
    difficulty: str = "easy",
    nuisances: Iterable[str] | None = None,
    seed: int = 0,
    size: int = 150,
    design: Design | None = None,
    view: View | None = None,
) -> np.ndarray:
    """Draw one clock showing ``hour``:``minute`` as a uint8 (size, size) grayscale image.

    The nuisances are those of ``difficulty`` unless ``nuisances`` names them; their values and
    the design are drawn from ``seed`` unless ``design`` / ``view`` are given. The same seed
    gives the same design and view whatever the time, so two calls differ only in the hands.
    """
    _check_time(hour, minute)
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels (got {size})")
    _check_seed(seed)
    on = nuisances_at(difficulty) if nuisances is None else _check_nuisances(nuisances)
    rng = np.random.default_rng(seed)
    sampled_design = sample_design(rng, chiral=_needs_cue(on))
    sampled_view = sample_view(rng, on)
    return _render(hour, minute, design or sampled_design, view or sampled_view, size)


@dataclass(frozen=True)
class ClockSpec:
    """Everything that decides one generated image: its time, design and view."""

    hour: int
    minute: int
    design: Design
    view: View


def spec(seed: int, index: int, difficulty: str = "leiden") -> ClockSpec:
    """The clock :func:`generate` draws as image ``index`` of the set with ``seed``.

    Each image has its own random stream ``(seed, index)``: its time (uniform over the 720
    minutes of the dial), then its design (with a chiral cue whenever the difficulty rotates or
    mirrors), then its view.
    """
    on = nuisances_at(difficulty)
    rng = np.random.default_rng([seed, index])
    t = int(rng.integers(DIAL_MINUTES))
    design = sample_design(rng, chiral=_needs_cue(on))
    return ClockSpec(t // 60, t % 60, design, sample_view(rng, on))


def render(clock: ClockSpec, size: int = 150) -> np.ndarray:
    """Draw a :class:`ClockSpec` as a uint8 (size, size) grayscale image."""
    return _render(clock.hour, clock.minute, clock.design, clock.view, size)


def nuisance_gallery(
    hour: int, minute: int, seeds: Iterable[int], size: int = 150
) -> dict[str, list[np.ndarray]]:
    """One row per nuisance (after a ``none`` row): the same clocks with only that nuisance.

    Column ``j`` uses seed ``seeds[j]`` for the design and the nuisance's value; the mirror row
    is always mirrored (in a dataset, half the clocks are).
    """
    _check_time(hour, minute)
    rows: dict[str, list[np.ndarray]] = {name: [] for name in ("none", *NUISANCES)}
    for s in seeds:
        design = sample_design(np.random.default_rng(s), chiral=True)
        for name in rows:
            on = () if name == "none" else (name,)
            view = sample_view(np.random.default_rng([s, 1]), on)
            if name == "mirror":
                view = replace(view, mirror=True)
            rows[name].append(_render(hour, minute, design, view, size))
    return rows


def mirror_ambiguity(design: Design, hour: int, minute: int, size: int = 150) -> int:
    """How many pixels tell the mirrored clock at ``hour:minute`` from the unmirrored clock at
    the mirrored time (differences over 100 grey levels). About 0 means a mirror image reads as
    another time: the design lacks a chiral cue.
    """
    _check_time(hour, minute)
    mirrored = _render(hour, minute, design, View(mirror=True), size)
    twin = (DIAL_MINUTES - (60 * hour + minute)) % DIAL_MINUTES
    unmirrored = _render(twin // 60, twin % 60, design, View(), size)
    return int((np.abs(mirrored.astype(int) - unmirrored) > 100).sum())


def _draw_range(
    seed: int, start: int, stop: int, difficulty: str, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels ``[hour, minute]`` of indices start..stop-1 (a worker's chunk)."""
    images = np.empty((stop - start, size, size), np.uint8)
    labels = np.empty((stop - start, 2), np.int64)
    for j, i in enumerate(range(start, stop)):
        clock = spec(seed, i, difficulty)
        images[j] = render(clock, size)
        labels[j] = clock.hour, clock.minute
    return images, labels


# ---------------------------------------------------------------------------------------------
# Datasets: generate (cached) or load the course files
# ---------------------------------------------------------------------------------------------


@dataclass
class ClockSet:
    """Clock images, uint8 (n, size, size), and labels, int (n, 2) as ``[hour, minute]``.

    ``info`` says where they came from: ``source`` (``generated``, ``cache`` or
    ``course files``), the parameters, the folder, and for generated sets the seconds taken and
    images per second.
    """

    images: np.ndarray
    labels: np.ndarray
    info: dict

    def __len__(self) -> int:
        return len(self.labels)

    def summary(self) -> dict:
        """Where the set came from and, if drawn, how fast: a short, rounded record."""
        keys = ("source", "n", "size", "difficulty", "workers", "seconds", "images_per_second")
        out = {k: self.info[k] for k in keys if k in self.info}
        for k, digits in (("seconds", 1), ("images_per_second", 0)):
            if k in out:
                out[k] = round(float(out[k]), digits)
        return out


#: A digest of this module's source as imported: changed drawing code never reuses old caches.
SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


def cache_dir() -> Path:
    """Where :func:`generate` caches datasets: ``data/clocks/`` in the workbook."""
    return project_root() / "data" / "clocks"


def _default_workers(n: int) -> int:
    if n < 1_500:  # starting processes costs more than it saves
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _load_cache(where: Path, n: int, size: int) -> ClockSet | None:
    """The cached set in ``where``, or None when absent, incomplete or unreadable (redraw)."""
    if not (where / "params.json").is_file():  # written last: its absence means unfinished
        return None
    start = time.perf_counter()
    try:
        images = np.load(where / "images.npy")
        labels = np.load(where / "labels.npy")
        info = json.loads((where / "params.json").read_text())
    except (ValueError, OSError, EOFError):
        return None
    if images.shape != (n, size, size) or labels.shape != (n, 2):
        return None
    info.update(source="cache", folder=str(where), load_seconds=time.perf_counter() - start)
    return ClockSet(images, labels, info)


def _prune_stale(where: Path) -> None:
    """Delete caches of the same parameters drawn by older code: they can never be loaded."""
    prefix = where.name.rsplit("-", 1)[0] + "-"
    for other in where.parent.glob(prefix + "*"):
        params = other / "params.json"
        if other == where or not params.is_file():
            continue
        try:
            stale = json.loads(params.read_text()).get("source_digest") != SOURCE_DIGEST
        except (ValueError, OSError):
            continue
        if stale:
            for f in ("images.npy", "labels.npy", "params.json"):
                (other / f).unlink(missing_ok=True)
            if not any(other.iterdir()):
                other.rmdir()


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


def generate(
    n: int,
    *,
    difficulty: str = "leiden",
    size: int = 150,
    seed: int = 0,
    workers: int | None = None,
    cache: bool = True,
    folder: Path | None = None,
) -> ClockSet:
    """Draw ``n`` clocks at ``difficulty`` with uniformly random times, deterministic per seed.

    With ``cache`` the set is saved to (and next time loaded from) a folder under ``folder``
    (default :func:`cache_dir`) named by the parameters and a hash of them and of this module's
    source, holding ``images.npy``, ``labels.npy`` (the course's layout) and ``params.json``.
    ``workers`` processes draw in parallel (default: one per core for large sets); the result
    does not depend on it.
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer (got {n!r})")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels (got {size})")
    _check_seed(seed)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be a positive integer or None (got {workers!r})")
    on = nuisances_at(difficulty)
    params = {"n": int(n), "difficulty": difficulty, "size": int(size), "seed": int(seed)}
    key = hashlib.sha256(
        json.dumps({**params, "source": SOURCE_DIGEST}, sort_keys=True).encode()
    ).hexdigest()[:12]
    where = (folder or cache_dir()) / f"{difficulty}-n{n}-s{size}-seed{seed}-{key}"
    if cache and (cached := _load_cache(where, n, size)) is not None:
        return cached
    workers = workers or _default_workers(n)
    start = time.perf_counter()
    if workers == 1:
        images, labels = _draw_range(seed, 0, n, difficulty, size)
    else:
        chunk = max(50, math.ceil(n / (workers * 8)))
        bounds = [(s, min(s + chunk, n)) for s in range(0, n, chunk)]
        # spawn, not fork: a notebook's kernel may hold TensorFlow's threads
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = list(
                pool.map(
                    _draw_range,
                    *zip(*[(seed, a, b, difficulty, size) for a, b in bounds], strict=True),
                )
            )
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
    seconds = time.perf_counter() - start
    info = {
        **params,
        "nuisances": sorted(on),
        "workers": workers,
        "seconds": seconds,
        "images_per_second": n / seconds,
        "source_digest": SOURCE_DIGEST,
    }
    if cache:
        where.mkdir(parents=True, exist_ok=True)
        for name, array in (("images", images), ("labels", labels)):
            tmp = where / f".{name}.tmp.npy"
            np.save(tmp, array)
            tmp.replace(where / f"{name}.npy")
        (where / "params.json").write_text(json.dumps(info, indent=2) + "\n")
        _prune_stale(where)
    return ClockSet(images, labels, {**info, "source": "generated", "folder": str(where)})


def course_dir() -> Path | None:
    """The first folder holding the course files: ``$LABKIT_DATA_DIR/clocks/``, ``data/clocks/``."""
    dirs = []
    env = os.environ.get("LABKIT_DATA_DIR")
    if env:
        dirs.append(Path(env).expanduser() / "clocks")
    dirs.append(cache_dir())
    for d in dirs:
        if (d / "images.npy").is_file() and (d / "labels.npy").is_file():
            return d
    return None


def load_clocks(folder: str | Path | None = None) -> ClockSet:
    """The course's clock photos: ``images.npy`` (n, H, W) or (n, H, W, 1), values 0..255,
    and ``labels.npy`` (n, 2) as ``[hour 0-11, minute 0-59]``.

    ``folder`` defaults to :func:`course_dir`. Raises :class:`~labkit.data.DataError` naming
    the file and what was expected when the files are absent or malformed; without them, use
    :func:`generate` (the workbook's own clocks).
    """
    hint = (
        "What to do: put the course's images.npy and labels.npy in $LABKIT_DATA_DIR/clocks/ "
        f"or {cache_dir()}, or draw clocks with labkit.clocks.generate(18_000) instead."
    )
    d = Path(folder) if folder is not None else course_dir()
    if d is None:
        env = os.environ.get("LABKIT_DATA_DIR")
        searched = ([f"{env}/clocks"] if env else []) + [str(cache_dir())]
        raise DataError(
            "the course's clock files images.npy and labels.npy were not found in "
            f"{' or '.join(searched)}.\n{hint}"
        )
    arrays = {}
    for name in ("images", "labels"):
        path = d / f"{name}.npy"
        if not path.is_file():
            raise DataError(f"{path} is missing (the course's {name} array).\n{hint}")
        try:
            arrays[name] = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise DataError(f"{path} is not a readable .npy array ({e}).\n{hint}") from e
    images, labels = arrays["images"], arrays["labels"]
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or not np.issubdtype(images.dtype, np.number):
        raise DataError(
            f"{d / 'images.npy'}: expected numbers of shape (n, height, width) or "
            f"(n, height, width, 1), got {images.dtype} {images.shape}.\n{hint}"
        )
    if images.size and (images.min() < 0 or images.max() > 255):
        raise DataError(f"{d / 'images.npy'}: pixel values must lie in 0..255.\n{hint}")
    if labels.shape != (len(images), 2) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(
            f"{d / 'labels.npy'}: expected integers of shape ({len(images)}, 2) as "
            f"[hour, minute], got {labels.dtype} {labels.shape}.\n{hint}"
        )
    hours, minutes = labels[:, 0], labels[:, 1]
    if hours.min() < 0 or hours.max() > 11 or minutes.min() < 0 or minutes.max() > 59:
        raise DataError(
            f"{d / 'labels.npy'}: hours must lie in 0..11 and minutes in 0..59.\n{hint}"
        )
    info = {"source": "course files", "folder": str(d), "n": len(images)}
    return ClockSet(images.astype(np.uint8), labels.astype(np.int64), info)


# ---------------------------------------------------------------------------------------------
# Split
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Splits:
    """Train, validation and test parts, each ``(images, labels)``, and the indices used."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    index: dict[str, np.ndarray]

    def sizes(self) -> dict[str, int]:
        """How many clocks each part holds."""
        return {k: len(v) for k, v in self.index.items()}


def split(
    data: ClockSet, *, seed: int = 0, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> Splits:
    """A seeded random train/validation/test split, 80/10/10 like the course by default."""
    if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions must be three non-negative shares that sum to 1 (got {fractions})"
        )
    n = len(data)
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    index = {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }
    parts = {k: (data.images[i], data.labels[i]) for k, i in index.items()}
    return Splits(parts["train"], parts["val"], parts["test"], index)
