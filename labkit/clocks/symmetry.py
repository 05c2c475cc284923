"""The eight exact symmetries of a square image and what they do to a clock's labels.

A quarter turn or a left-right flip of the pixel grid moves no pixel off the grid and
interpolates nothing, so each is *exact*, and what it does to the labels is known:

* the time is unchanged (a turned clock reads the same; a mirrored clock keeps its label in
  a set with mirror images, the ``mirrored`` rung), so every representation that reads the
  dial is unchanged;
* a representation in *image* coordinates (``rep.needs_aux``: the 12 mark's and the hands'
  angles, clockwise from the top of the image, and a mirror flag) changes in a known way: a turn
  of ``j`` quarters clockwise adds ``j / 4`` turn to every angle, and a flip maps an angle
  ``a`` to ``-a`` and toggles the mirror flag.

:func:`random_symmetries` draws one of the eight per training image (eight times the distinct
images, labels exact); :func:`predict_averaged` reads each test image in all eight and averages
the answers mapped back (test-time augmentation). A set without mirror images (``leiden`` and
every rung below ``mirrored``) uses the four quarter turns only (``flips=False``): a flipped
clock would be a mirror image, a clock such a set never shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from keras import ops

from .labels import Representation

__all__ = [
    "SYMMETRIES",
    "TURNS",
    "move_targets",
    "predict_averaged",
    "random_symmetries",
    "transform_images",
    "transform_outputs",
]

#: The dihedral group of the square as ``(quarter turns clockwise, flipped first)``.
SYMMETRIES: tuple[tuple[int, bool], ...] = tuple((j, f) for f in (False, True) for j in range(4))
#: The four quarter turns (the rotations of the square, no flip).
TURNS: tuple[tuple[int, bool], ...] = SYMMETRIES[:4]


def _views(flips: bool) -> tuple[tuple[int, bool], ...]:
    return SYMMETRIES if flips else TURNS


def transform_images(x: np.ndarray, turns: int, flip: bool) -> np.ndarray:
    """Images ``x`` (n, h, w, c) flipped left-right (if ``flip``), then turned ``turns``
    quarter turns clockwise."""
    if flip:
        x = x[:, :, ::-1]
    return np.rot90(x, k=-turns, axes=(1, 2))


def move_targets(rep: Representation, out: Mapping[str, Any], turns: Any, flip: Any) -> dict:
    """``rep``'s targets (or outputs) of images -> those of the images flipped (where ``flip``)
    then turned ``turns`` quarter turns clockwise: an angle ``a`` (as its sin and cos) goes to
    ``(-a if flip else a) + turns / 4`` turn, the mirror flag ``f`` to ``1 - f`` where flipped.
    ``turns`` and ``flip`` are one for all images or one per image. Written in ``keras.ops``,
    so the same maths serves NumPy arrays (test-time reading) and TensorFlow tensors inside a
    ``tf.data`` pipeline (training); returns tensors of the backend. Only image-coordinate
    representations (``rep.needs_aux``) change."""
    if not rep.needs_aux:
        return dict(out)
    t = ops.cast(turns, "float32") * (np.pi / 2)
    flip = ops.cast(flip, "bool")
    moved = {}
    for head in rep.heads:
        value = ops.cast(out[head.name], "float32")
        if head.kind == "angle":
            sin, cos = ops.where(flip, -value[..., 0], value[..., 0]), value[..., 1]
            value = ops.stack(
                [sin * ops.cos(t) + cos * ops.sin(t), cos * ops.cos(t) - sin * ops.sin(t)], axis=-1
            )
        elif head.kind == "sigmoid":  # the mirror flag
            value = ops.where(ops.reshape(flip, (-1, 1)), 1.0 - value, value)
        moved[head.name] = value
    return moved


def transform_outputs(
    rep: Representation, out: Mapping[str, np.ndarray], turns: int, flip: bool
) -> dict[str, np.ndarray]:
    """:func:`move_targets` with one symmetry for all images, as NumPy arrays (float32; a
    representation that does not move is returned as it is)."""
    if not rep.needs_aux:
        return dict(out)
    return {k: np.asarray(ops.convert_to_numpy(v), "float32") for k, v in
            move_targets(rep, out, turns, flip).items()}  # fmt: skip


def _inverse(rep: Representation, out: Mapping[str, np.ndarray], turns: int, flip: bool) -> dict:
    """Outputs read from a transformed image -> outputs of the original image."""
    back = transform_outputs(rep, out, -turns, False)  # undo the turn, then the flip
    return transform_outputs(rep, back, 0, flip)


def random_symmetries(
    x: Any, targets: Mapping[str, Any], rep: Representation, seed: Any, flips: bool = True
) -> tuple[Any, dict[str, Any]]:
    """A random one of the eight symmetries (``flips``) or of the four quarter turns per image
    of a batch, drawn from ``seed`` (two integers; TensorFlow's stateless random numbers), with
    ``rep``'s targets moved exactly. TensorFlow ops, so it runs inside a ``tf.data`` pipeline
    (or eagerly on NumPy arrays)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    n = len(_views(flips))
    g = tf.random.stateless_uniform([tf.shape(x)[0]], seed=seed, maxval=n, dtype=tf.int32)
    turns, flip = g % 4, g >= 4
    x = tf.where(flip[:, None, None, None], tf.reverse(x, axis=[2]), x)
    views = tf.stack([tf.image.rot90(x, k=(4 - j) % 4) for j in range(4)])  # j turns clockwise
    x = tf.gather_nd(views, tf.stack([turns, tf.range(tf.shape(x)[0])], axis=1))
    return x, move_targets(rep, targets, turns, flip)


def predict_averaged(
    outputs_of: Callable[[np.ndarray], Mapping[str, np.ndarray]],
    rep: Representation,
    x: np.ndarray,
    flips: bool = True,
) -> dict[str, np.ndarray]:
    """``rep``'s outputs for images ``x`` averaged over the eight symmetries (``flips``) or the
    four quarter turns: ``outputs_of(images)`` gives the model's outputs by head; each is
    mapped back to the original image's frame, angle directions are averaged as unit vectors,
    flags and class probabilities as numbers."""
    total: dict[str, np.ndarray] = {}
    views = _views(flips)
    for turns, flip in views:
        out = outputs_of(np.ascontiguousarray(transform_images(x, turns, flip)))
        back = _inverse(rep, out, turns, flip)
        for head in rep.heads:
            value = np.asarray(back[head.name], dtype="float64")
            if head.kind == "angle":
                value = value / np.maximum(np.linalg.norm(value, axis=-1, keepdims=True), 1e-9)
            total[head.name] = total.get(head.name, 0.0) + value / len(views)
    return total
