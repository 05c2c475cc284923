"""The rasteriser: a design, a view and a time in, a uint8 grayscale image out.

Faces are drawn with Pillow at twice the output size, warped by the view's homography (rotation,
mirror, tilt, scale and offset) onto a background, then lit, glared, blurred and noised.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .designs import (
    NUISANCES,
    ClockSpec,
    Design,
    View,
    _check_nuisances,
    _check_seed,
    _check_time,
    _needs_cue,
    nuisances_at,
    sample_design,
    sample_view,
)
from .metric import DIAL_MINUTES

__all__ = ["draw_clock", "mirror_ambiguity", "nuisance_gallery", "render"]

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
        hours = range(1, 13) if d.numerals == "all" else (3, 6, 9, 12)
        for n in hours:
            size, weight = d.numeral_size, d.numeral_weight
            if n == 12:
                size, weight = size * d.twelve_scale, max(weight, d.twelve_weight)
            radius = d.numeral_radius * R - (size - d.numeral_size) * R / 2  # stays on the face
            x, y = _polar(c, c, radius, 30 * n)
            g.text((x, y), str(n), font=_font(max(6, int(size * R))), fill=ink, anchor="mm",
                   stroke_width=int(round(weight * R)), stroke_fill=ink)  # fmt: skip
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
    sampled_design = sample_design(rng, chiral=_needs_cue(on), dark_faces="dark_face" in on)
    sampled_view = sample_view(rng, on)
    return _render(hour, minute, design or sampled_design, view or sampled_view, size)


def render(clock: ClockSpec, size: int = 150) -> np.ndarray:
    """Draw a :class:`ClockSpec` as a uint8 (size, size) grayscale image."""
    return _render(clock.hour, clock.minute, clock.design, clock.view, size)


def nuisance_gallery(
    hour: int, minute: int, seeds: Iterable[int], size: int = 150
) -> dict[str, list[np.ndarray]]:
    """One row per nuisance (after a ``none`` row): the same clocks with only that nuisance.

    Column ``j`` uses seed ``seeds[j]`` for the design and the nuisance's value; the mirror row
    is always mirrored and the dark_face row always dark (in a dataset, some of the clocks are).
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
            face = design.inverted() if name == "dark_face" else design
            rows[name].append(_render(hour, minute, face, view, size))
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
