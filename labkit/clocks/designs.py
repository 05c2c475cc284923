"""What a clock looks like and how it is seen: the difficulty ladder, designs, views, and
:func:`spec`, the recipe of image ``index`` of a generated set.

This module and :mod:`labkit.clocks.draw` are the *drawing code*: their definitions are among
those that key a generated set's cache (:data:`labkit.stores.CLOCK_IMAGES`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .metric import DIAL_MINUTES

__all__ = [
    "DIFFICULTIES",
    "LADDER",
    "DARK_FACE_SHARE",
    "MIRROR_SHARE",
    "NUISANCES",
    "ClockSpec",
    "Design",
    "View",
    "nuisances_at",
    "sample_design",
    "sample_view",
    "spec",
]

#: Every nuisance, in the order the difficulty ladder adds them.
NUISANCES: tuple[str, ...] = (
    "scale_offset",
    "rotation",
    "tilt",
    "texture",
    "lighting",
    "glare",
    "blur",
    "noise",
    "mirror",
    "dark_face",
)

#: The difficulty ladder: what each step adds to the one before it. ``leiden`` has every
#: nuisance the course's photos have (any rotation, tilt, a textured surface, light, glare,
#: blur, noise) on bright faces with dark hands and numerals, as the report describes them
#: (its section 4.4); ``mirrored`` adds mirror images, and ``dark_faces`` light ink on a dark
#: face, neither of which those photos have.
LADDER: dict[str, tuple[str, ...]] = {
    "easy": (),
    "shifted": ("scale_offset",),
    "rotated": ("rotation",),
    "tilted": ("tilt",),
    "textured": ("texture", "lighting"),
    "leiden": ("glare", "blur", "noise"),
    "mirrored": ("mirror",),
    "dark_faces": ("dark_face",),
}
#: The difficulty steps, easiest first.
DIFFICULTIES: tuple[str, ...] = tuple(LADDER)
#: Rungs off the ladder: a rung's clocks with some of its nuisances off, the designs drawn as on
#: that rung. ``upright`` is ``leiden`` without the rotation (its bold 12 stays at the top): a
#: reader trained on time labels alone learns there where the hands point before it must find
#: the 12 on turned clocks (chapter 03's first phase).
SIDE_RUNGS: dict[str, tuple[str, tuple[str, ...]]] = {"upright": ("leiden", ("rotation",))}

#: Share of mirrored clocks when the mirror nuisance is on.
MIRROR_SHARE = 0.5
#: Share of designs with light ink on a dark face when the dark_face nuisance is on.
DARK_FACE_SHARE = 0.2


def nuisances_at(difficulty: str) -> frozenset[str]:
    """The nuisances switched on at ``difficulty`` (each step keeps those of the steps before;
    a side rung, :data:`SIDE_RUNGS`, those of its rung less the ones it leaves off)."""
    if difficulty in SIDE_RUNGS:
        rung, off = SIDE_RUNGS[difficulty]
        return nuisances_at(rung) - frozenset(off)
    if difficulty not in LADDER:
        raise ValueError(
            f"unknown difficulty {difficulty!r}: the parameter 'difficulty' must be one of "
            f"{', '.join((*DIFFICULTIES, *SIDE_RUNGS))}"
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

    ``numerals`` is ``"none"``, ``"quarters"`` (12, 3, 6, 9) or ``"all"``, drawn with a stroke
    of ``numeral_weight`` (0: the font's own); the 12 is ``twelve_scale`` times their size with a
    stroke of ``twelve_weight`` (a bold 12, as real clocks have). ``flag`` puts an asymmetric
    flag at 12. Numerals or the flag are a chiral cue (:attr:`chiral`).
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
    numeral_weight: float = 0.0
    twelve_scale: float = 1.0
    twelve_weight: float = 0.0
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

    @property
    def dark(self) -> bool:
        """True when the ink is lighter than the face (light hands on a dark face)."""
        return self.ink > self.face

    def inverted(self) -> Design:
        """The same design with its face and ink tones turned over (dark face, light ink)."""
        return dataclasses.replace(self, face=1.0 - self.face, ink=1.0 - self.ink)


def sample_design(
    rng: np.random.Generator, chiral: bool = True, dark_faces: bool = False
) -> Design:
    """A random design from the family. With ``chiral`` (a clock that may be turned) it always
    shows numerals, at least 12, 3, 6 and 9, with a bold 12 larger than the others (the cue to
    which way is up and, in a mirror, which way round the dial runs), and sometimes the flag;
    without, a face may be bare. The face is bright with dark ink unless ``dark_faces``, which
    gives :data:`DARK_FACE_SHARE` of the designs light ink on a dark face. Both draw the same
    random numbers, so a design differs between the two only in its tones."""
    dark_face = rng.random() < DARK_FACE_SHARE and dark_faces
    face = rng.uniform(0.1, 0.25) if dark_face else rng.uniform(0.78, 0.97)
    ink = rng.uniform(0.85, 0.97) if dark_face else rng.uniform(0.02, 0.2)
    if chiral:
        numerals = str(rng.choice(["quarters", "all"], p=[0.3, 0.7]))
        flag = bool(rng.random() < 0.3)
        twelve = {"twelve_scale": rng.uniform(1.15, 1.4), "twelve_weight": rng.uniform(0.02, 0.03)}
    else:
        numerals = str(rng.choice(["none", "quarters", "all"], p=[0.3, 0.2, 0.5]))
        flag = bool(rng.random() < 0.5)
        twelve = {}
    hour_len = rng.uniform(0.45, 0.56)
    return Design(
        face=face,
        ink=ink,
        case=rng.uniform(0.05, 0.3) if rng.random() < 0.6 else rng.uniform(0.5, 0.7),
        case_width=rng.uniform(0.03, 0.1),
        minute_tick=(rng.uniform(0.04, 0.07), rng.uniform(0.006, 0.012)),
        hour_tick=(rng.uniform(0.1, 0.16), rng.uniform(0.022, 0.04)),
        numerals=numerals,
        numeral_size=rng.uniform(0.16, 0.22),
        numeral_radius=rng.uniform(0.66, 0.72),
        numeral_weight=rng.uniform(0.005, 0.018),
        flag=flag,
        hour_hand=(hour_len, rng.uniform(0.05, 0.08)),
        minute_hand=(rng.uniform(hour_len + 0.2, 0.88), rng.uniform(0.03, 0.045)),
        tail=rng.uniform(0.08, 0.18),
        tapered=bool(rng.random() < 0.5),
        seconds_hand=bool(rng.random() < 0.5),
        seconds_tone=rng.uniform(0.35, 0.55),
        **twelve,
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
        scale = rng.uniform(0.72, 0.97)  # the course's clock fills most of its frame
        room = 1.0 - scale
        v["scale"] = scale
        v["offset"] = (rng.uniform(-room, room), rng.uniform(-room, room))
    if "rotation" in on:
        v["rotation"] = rng.uniform(0, 360)
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
    if "mirror" in on:  # drawn last: a mirrored rung's clocks are its leiden clocks, flipped or not
        v["mirror"] = bool(rng.random() < MIRROR_SHARE)
    return View(**v)


def _needs_cue(on: frozenset[str]) -> bool:
    """Rotation or mirroring hides which way is up or clockwise unless the face shows it."""
    return bool(on & {"rotation", "mirror"})


def _check_time(hour: int, minute: int) -> None:
    if not (0 <= hour <= 11 and float(hour).is_integer()):
        raise ValueError(f"hour must be an integer 0..11 (got {hour!r})")
    if not (0 <= minute <= 59 and float(minute).is_integer()):
        raise ValueError(f"minute must be an integer 0..59 (got {minute!r})")


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


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
    drawn_as = nuisances_at(SIDE_RUNGS[difficulty][0]) if difficulty in SIDE_RUNGS else on
    rng = np.random.default_rng([seed, index])
    t = int(rng.integers(DIAL_MINUTES))
    design = sample_design(rng, chiral=_needs_cue(drawn_as), dark_faces="dark_face" in on)
    return ClockSpec(t // 60, t % 60, design, sample_view(rng, on))
