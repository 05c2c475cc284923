"""Label representations: how a time ``[hour, minute]`` becomes a network's targets, how the
network's outputs become a time again, and the loss each output is trained with.

A :class:`Representation` has one or more :class:`Head`\\ s (one network output each) and two
functions: ``encode(labels, aux)`` gives the targets of every head, ``decode(outputs)`` gives
integer ``(hours, minutes)`` back. For every representation, decoding the encoded labels gives
the labels back for all 720 times (tested), and decoding is robust at the wrap-around: an
output a little short of 12:00 reads as 0:00, not 11:00.

Angles are measured clockwise from 12 in radians, as the hands turn; an angle output is a
``(sin, cos)`` pair, read back with ``atan2``, so 11:59 and 0:01 are neighbours for the network
as they are on the dial.

``aux`` carries what the generator knows beyond the time (:func:`aux_labels`): the clock's
rotation in the image and whether it is mirrored. Only the image-angle representations use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .designs import spec
from .metric import DIAL_MINUTES

__all__ = [
    "HEAD_KINDS",
    "LOSSES",
    "REPRESENTATIONS",
    "Head",
    "Representation",
    "angle_targets",
    "aux_labels",
    "circular_smoothing",
    "cse_matrix",
    "get",
    "head_spread",
    "joint_read",
    "read_angle",
]

TAU = 2 * math.pi
#: What a head's layer outputs: class probabilities, an angle as (sin, cos), numbers, a flag.
HEAD_KINDS = ("softmax", "angle", "linear", "sigmoid")
#: Losses a head can be trained with (Keras names, plus the circular distance of angles and
#: the expected common-sense error of a distribution over the 720 times).
LOSSES = ("categorical_crossentropy", "mse", "circular", "binary_crossentropy", "expected_cse")


@dataclass(frozen=True)
class Head:
    """One network output: ``units`` numbers of ``kind``, trained with ``loss`` at ``weight``."""

    name: str
    units: int
    kind: str
    loss: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in HEAD_KINDS:
            raise ValueError(f"head kind must be one of {', '.join(HEAD_KINDS)}: {self.kind!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"head loss must be one of {', '.join(LOSSES)}: {self.loss!r}")
        if self.loss == "circular" and self.kind != "angle":
            raise ValueError(f"the circular loss needs an angle head (head {self.name!r})")
        if self.loss == "expected_cse" and (self.kind, self.units) != ("softmax", DIAL_MINUTES):
            raise ValueError(
                f"the expected_cse loss needs a softmax head over the {DIAL_MINUTES} times "
                f"(head {self.name!r})"
            )


Targets = dict[str, np.ndarray]


@dataclass(frozen=True)
class Representation:
    """A label representation: its heads, ``encode`` (labels, aux -> targets per head) and
    ``decode`` (outputs per head -> integer hours, minutes)."""

    name: str
    title: str
    heads: tuple[Head, ...]
    encode_fn: Callable[[np.ndarray, Mapping[str, np.ndarray] | None], Targets]
    decode_fn: Callable[[Mapping[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]
    needs_aux: bool = False
    notes: str = field(default="", compare=False)

    def encode(self, labels: np.ndarray, aux: Mapping[str, np.ndarray] | None = None) -> Targets:
        """Targets of every head for ``labels`` (n, 2) ``[hour, minute]``, float32."""
        labels = _check_labels(labels)
        if self.needs_aux:
            if aux is None or not {"rotation", "mirror"} <= set(aux):
                raise ValueError(
                    f"the representation {self.name!r} needs aux labels 'rotation' and "
                    "'mirror' (labkit.clocks.aux_labels gives them for generated clocks)"
                )
            if any(len(np.asarray(aux[k])) != len(labels) for k in ("rotation", "mirror")):
                raise ValueError("aux labels must have one value per clock")
        out = self.encode_fn(labels, aux)
        return {k: np.asarray(v, dtype="float32") for k, v in out.items()}

    def decode(self, outputs: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Integer hours 0-11 and minutes 0-59 from the heads' outputs (a dict by head name,
        or for a one-head representation the bare array)."""
        if not isinstance(outputs, Mapping):
            if len(self.heads) != 1:
                raise ValueError(f"{self.name!r} has {len(self.heads)} heads: pass a dict")
            outputs = {self.heads[0].name: outputs}
        missing = [h.name for h in self.heads if h.name not in outputs]
        if missing:
            raise ValueError(f"outputs for head(s) {', '.join(missing)} of {self.name!r} missing")
        hours, minutes = self.decode_fn({k: np.asarray(v, dtype=float) for k, v in outputs.items()})
        return hours.astype(np.int64) % 12, minutes.astype(np.int64) % 60


def _check_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape[1] != 2:
        raise ValueError(f"labels must have shape (n, 2) as [hour, minute], got {labels.shape}")
    h, m = labels[:, 0], labels[:, 1]
    if labels.size and (h.min() < 0 or h.max() > 11 or m.min() < 0 or m.max() > 59):
        raise ValueError("labels must hold hours 0..11 and minutes 0..59")
    return labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


def angle_targets(turns: np.ndarray) -> np.ndarray:
    """``(sin, cos)`` of angles given in turns (1 turn = 2 pi), shape (n, 2)."""
    a = TAU * np.asarray(turns, dtype=float)
    return np.stack([np.sin(a), np.cos(a)], axis=-1)


def read_angle(pair: np.ndarray) -> np.ndarray:
    """Turns in [0, 1) of ``(sin, cos)`` pairs (any length; the direction counts)."""
    pair = np.asarray(pair, dtype=float)
    return np.mod(np.arctan2(pair[..., 0], pair[..., 1]) / TAU, 1.0)


def _one_hot(index: np.ndarray, n: int) -> np.ndarray:
    return np.eye(n, dtype="float32")[np.asarray(index)]


def circular_smoothing(
    times: np.ndarray, n: int = DIAL_MINUTES, epsilon: float = 0.2, sigma: float = 2.0
) -> np.ndarray:
    """Soft targets over ``n`` classes on a circle: ``1 - epsilon`` on the true class and
    ``epsilon`` spread over its neighbours with Gaussian weights (``sigma`` classes), the
    shorter way round (class 719 neighbours class 0)."""
    if not 0 <= epsilon < 1 or sigma <= 0:
        raise ValueError(f"need 0 <= epsilon < 1 and sigma > 0 (got {epsilon}, {sigma})")
    times = np.asarray(times, dtype=np.int64)
    d = np.abs(np.arange(n)[None, :] - times[:, None])
    d = np.minimum(d, n - d)
    w = np.where(d == 0, 0.0, np.exp(-0.5 * (d / sigma) ** 2))
    w /= w.sum(axis=1, keepdims=True)
    return (1 - epsilon) * (d == 0) + epsilon * w


def _minutes_of(labels: np.ndarray) -> np.ndarray:
    return labels[:, 0] * 60 + labels[:, 1]


def _hour_from_hand(hour_turns: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """The hour a hour hand shows once the minute is known: the hand has moved m/60 of an
    hour past the full hour, so hour = round(12 * turns - m/60) mod 12. ``minutes`` must be
    the decoded integer minute, so the hour follows a minute that wrapped to 0."""
    return np.round(12 * hour_turns - minutes / 60) % 12


def _minute_from_hand(minute_turns: np.ndarray) -> np.ndarray:
    return np.round(60 * minute_turns) % 60


# ---------------------------------------------------------------------------------------------
# The representations
# ---------------------------------------------------------------------------------------------


def _two_head(weights: tuple[float, float]) -> tuple:
    heads = (
        Head("hour", 12, "softmax", "categorical_crossentropy", weights[0]),
        Head("minute", 60, "softmax", "categorical_crossentropy", weights[1]),
    )

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {"hour": _one_hot(labels[:, 0], 12), "minute": _one_hot(labels[:, 1], 60)}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return out["hour"].argmax(-1), out["minute"].argmax(-1)

    return heads, encode, decode


def _class_720(smooth: bool) -> tuple:
    heads = (Head("time", DIAL_MINUTES, "softmax", "categorical_crossentropy"),)

    def encode(labels: np.ndarray, aux: object) -> Targets:
        t = _minutes_of(labels)
        return {"time": circular_smoothing(t) if smooth else _one_hot(t, DIAL_MINUTES)}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        t = out["time"].argmax(-1)
        return t // 60, t % 60

    return heads, encode, decode


def cse_matrix() -> np.ndarray:
    """The common-sense error between every two of the 720 times, in minutes (720, 720)."""
    t = np.arange(DIAL_MINUTES)
    d = np.abs(t[:, None] - t[None, :])
    return np.minimum(d, DIAL_MINUTES - d).astype("float32")


def _class_720_cse() -> tuple:
    heads = (Head("time", DIAL_MINUTES, "softmax", "expected_cse"),)
    cost = cse_matrix()

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {"time": _one_hot(_minutes_of(labels), DIAL_MINUTES)}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        t = (out["time"] @ cost).argmin(-1)  # the time with the least expected error
        return t // 60, t % 60

    return heads, encode, decode


def _one_value() -> tuple:
    heads = (Head("time", 1, "linear", "mse"),)

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {"time": (_minutes_of(labels) / DIAL_MINUTES)[:, None]}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        t = np.round(out["time"][:, 0] * DIAL_MINUTES) % DIAL_MINUTES
        return t // 60, t % 60

    return heads, encode, decode


def _two_values() -> tuple:
    heads = (Head("hour", 1, "linear", "mse"), Head("minute", 1, "linear", "mse"))

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {"hour": labels[:, :1] / 12, "minute": labels[:, 1:] / 60}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.round(out["hour"][:, 0] * 12), np.round(out["minute"][:, 0] * 60)

    return heads, encode, decode


def _sincos() -> tuple:
    heads = (Head("hour", 2, "angle", "mse"), Head("minute", 2, "angle", "mse"))

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {
            "hour": angle_targets(labels[:, 0] / 12),
            "minute": angle_targets(labels[:, 1] / 60),
        }

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.round(12 * read_angle(out["hour"])), _minute_from_hand(read_angle(out["minute"]))

    return heads, encode, decode


def _hour_class_minute_sincos() -> tuple:
    heads = (
        Head("hour", 12, "softmax", "categorical_crossentropy"),
        Head("minute", 2, "angle", "mse"),
    )

    def encode(labels: np.ndarray, aux: object) -> Targets:
        return {"hour": _one_hot(labels[:, 0], 12), "minute": angle_targets(labels[:, 1] / 60)}

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return out["hour"].argmax(-1), _minute_from_hand(read_angle(out["minute"]))

    return heads, encode, decode


def _hand_angles(loss: str) -> tuple:
    heads = (Head("hour_hand", 2, "angle", loss), Head("minute_hand", 2, "angle", loss))

    def encode(labels: np.ndarray, aux: object) -> Targets:
        t = _minutes_of(labels)
        return {
            "hour_hand": angle_targets(t / DIAL_MINUTES),
            "minute_hand": angle_targets(labels[:, 1] / 60),
        }

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        minutes = _minute_from_hand(read_angle(out["minute_hand"]))
        return _hour_from_hand(read_angle(out["hour_hand"]), minutes), minutes

    return heads, encode, decode


def _image_angles(loss: str, mirror: bool) -> tuple:
    heads = (
        Head("mark", 2, "angle", loss),
        Head("hour_hand", 2, "angle", loss),
        Head("minute_hand", 2, "angle", loss),
    )
    if mirror:
        heads += (Head("mirror", 1, "sigmoid", "binary_crossentropy", 0.5),)

    def encode(labels: np.ndarray, aux: Mapping[str, np.ndarray] | None) -> Targets:
        assert aux is not None
        rot = np.asarray(aux["rotation"], dtype=float) / 360
        mirrored = np.asarray(aux["mirror"], dtype=bool)
        if not mirror and mirrored.any():
            raise ValueError(
                "'image_angles' reads unmirrored clocks; for a set with mirror images use "
                "'image_angles_mirror', which also predicts the mirror flag"
            )
        sign = np.where(mirrored, -1.0, 1.0)
        dial_hour = _minutes_of(labels) / DIAL_MINUTES
        out = {
            "mark": angle_targets(rot),
            "hour_hand": angle_targets(rot + sign * dial_hour),
            "minute_hand": angle_targets(rot + sign * labels[:, 1] / 60),
        }
        if mirror:
            out["mirror"] = mirrored.astype(float)[:, None]
        return out

    def decode(out: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        n = len(out["mark"])
        sign = np.where(out["mirror"][:, 0] > 0.5, -1.0, 1.0) if mirror else np.ones(n)
        mark = read_angle(out["mark"])
        minute_turns = np.mod(sign * (read_angle(out["minute_hand"]) - mark), 1.0)
        hour_turns = np.mod(sign * (read_angle(out["hour_hand"]) - mark), 1.0)
        minutes = _minute_from_hand(minute_turns)
        return _hour_from_hand(hour_turns, minutes), minutes

    return heads, encode, decode


def _wrap(turns: np.ndarray) -> np.ndarray:
    """Angles in turns wrapped to [-0.5, 0.5)."""
    return np.mod(np.asarray(turns) + 0.5, 1.0) - 0.5


def head_spread(out: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray]) -> dict:
    """Each angle head's typical error in turns, robustly (1.4826 x the median absolute
    error, the standard deviation for normal errors): the weights of :func:`joint_read`,
    measured on validation clocks."""
    spread = {}
    for name in ("mark", "hour_hand", "minute_hand"):
        error = _wrap(read_angle(out[name]) - read_angle(targets[name]))
        spread[name] = float(max(1.4826 * np.median(np.abs(error)), 1e-4))
    return spread


def joint_read(
    out: Mapping[str, np.ndarray], spread: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Read ``image_angles`` outputs jointly: the time ``t`` (0-719) and the 12 mark's angle
    ``a`` that best fit all three observed angles at once, the mark ``~ a``, the hour hand
    ``~ a + t/720`` and the minute hand ``~ a + (t mod 60)/60``, each squared deviation
    weighted by the inverse square of its head's ``spread`` (turns; :func:`head_spread`).
    For each candidate ``t`` the best ``a`` is a weighted mean, so the search is over 720 times
    per clock. Unlike reading the minute from the minute hand less the mark, the hands can
    move a mark the model placed a little off. Returns integer ``(hours, minutes)``."""
    w = np.array([1 / spread[k] ** 2 for k in ("mark", "hour_hand", "minute_hand")])
    mark = read_angle(out["mark"])[:, None]
    t = np.arange(DIAL_MINUTES)[None, :]
    d_hour = _wrap(read_angle(out["hour_hand"])[:, None] - t / DIAL_MINUTES - mark)
    d_minute = _wrap(read_angle(out["minute_hand"])[:, None] - (t % 60) / 60 - mark)
    shift = (w[1] * d_hour + w[2] * d_minute) / w.sum()  # the best a, less the observed mark
    cost = w[0] * shift**2 + w[1] * (d_hour - shift) ** 2 + w[2] * (d_minute - shift) ** 2
    best = cost.argmin(axis=1)
    return best // 60, best % 60


def _make(
    name: str, title: str, parts: tuple, needs_aux: bool = False, notes: str = ""
) -> Representation:
    heads, encode, decode = parts
    return Representation(name, title, heads, encode, decode, needs_aux, notes)


#: Every representation by name. The comparison table of chapter 03 trains one model per row.
REPRESENTATIONS: dict[str, Representation] = {
    r.name: r
    for r in (
        _make("two_head", "two heads: 12 hours + 60 minutes, losses 6 : 4", _two_head((0.6, 0.4))),
        _make(
            "two_head_equal",
            "two heads: 12 hours + 60 minutes, losses 1 : 1",
            _two_head((0.5, 0.5)),
        ),
        _make("class_720", "one head of 720 classes", _class_720(False)),
        _make(
            "class_720_smooth",
            "720 classes, label smoothing over neighbouring minutes",
            _class_720(True),
            notes="0.8 on the true minute, 0.2 spread with Gaussian weights (sd 2 minutes)",
        ),
        _make(
            "class_720_cse",
            "720 classes, trained on the expected common-sense error",
            _class_720_cse(),
            notes="the report's common-sense loss (its 4.3) on one head; read as the time of "
            "least expected error",
        ),
        _make("one_value", "one regression value: the time in [0, 1)", _one_value()),
        _make("two_values", "two regression values: hour / 12 and minute / 60", _two_values()),
        _make("sincos", "(sin, cos) of the hour (on 12) and the minute (on 60)", _sincos()),
        _make(
            "hour_class_minute_sincos",
            "hour as 12 classes, minute as (sin, cos)",
            _hour_class_minute_sincos(),
        ),
        _make(
            "hand_angles",
            "both hands' dial angles as (sin, cos), MSE",
            _hand_angles("mse"),
            notes="hour = round(12 theta_h / 2 pi - m / 60) mod 12 ties the hour to the minute",
        ),
        _make(
            "hand_angles_circular",
            "both hands' dial angles as (sin, cos), circular-distance loss",
            _hand_angles("circular"),
        ),
        _make(
            "image_angles",
            "image angles of the 12 mark and both hands",
            _image_angles("mse", mirror=False),
            needs_aux=True,
            notes="time = hand - mark; uses the generator's rotation label",
        ),
        _make(
            "image_angles_mirror",
            "image angles of the 12 mark and both hands, and a mirror flag",
            _image_angles("mse", mirror=True),
            needs_aux=True,
            notes="time = sign x (hand - mark); uses the generator's rotation and mirror labels",
        ),
    )
}


def get(name: str) -> Representation:
    """The representation called ``name`` (see :data:`REPRESENTATIONS`)."""
    if name not in REPRESENTATIONS:
        raise ValueError(
            f"unknown representation {name!r}: it must be one of {', '.join(REPRESENTATIONS)}"
        )
    return REPRESENTATIONS[name]


def aux_labels(seed: int, index: np.ndarray, difficulty: str) -> dict[str, np.ndarray]:
    """What the generator knows of generated clocks ``index`` of the set drawn with ``seed``
    at ``difficulty`` besides the time: ``rotation`` (degrees, clockwise) and ``mirror``
    (bool). Cheap: it replays the random recipe (:func:`~labkit.clocks.spec`) without drawing.
    """
    views = [spec(seed, int(i), difficulty).view for i in np.asarray(index)]
    return {
        "rotation": np.array([v.rotation for v in views], dtype=float),
        "mirror": np.array([v.mirror for v in views], dtype=bool),
    }
