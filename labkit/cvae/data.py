"""Chapter 05's data: MNIST digits painted over natural textures, and the textures alone.

The contrastive VAE (Abid & Zou, 2019) learns from two sets of images:

* **targets**: a digit over a background, here an MNIST digit painted in white, with an
  opacity, over a crop of a natural texture;
* **backgrounds**: crops of the same textures, drawn from the same distribution, with no digit.

The textures are the grass, brick and gravel photographs that scikit-image ships inside its
wheel (``skimage.data``; no download). Each crop is taken at a random place, turned by a random
angle and scaled by a random factor, smoothed before sampling so it does not alias, and given a
random brightness and contrast. Everything is drawn from one seed, so the same call gives the
same images. The digit labels are kept for evaluation only; no model sees them.

:func:`variance_share` measures what the chapter's comparison rests on: the share of the targets'
pixel variance that their background layer carries.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = [
    "TEXTURES",
    "Composite",
    "composite",
    "shading_modes",
    "shading_mode_orders",
    "texture",
    "texture_crops",
    "variance_share",
]

#: The scikit-image sample images used as backgrounds (512 x 512 grey photographs each).
TEXTURES = ("grass", "brick", "gravel")

#: Source-pixel smoothing levels; a crop uses the one nearest to half its zoom factor.
_SIGMAS = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0])


@functools.cache
def texture(name: str) -> np.ndarray:
    """The texture photograph ``name`` (one of :data:`TEXTURES`) as float32 on 0..1."""
    if name not in TEXTURES:
        raise ValueError(f"unknown texture {name!r}; choose from {', '.join(TEXTURES)}")
    try:
        import skimage.data
    except ImportError as err:  # pragma: no cover - a dependency of the workbook
        raise ImportError(
            "chapter 05's textures come from scikit-image; run `make setup` "
            "(or `pip install -e .`) to install it"
        ) from err
    return (getattr(skimage.data, name)().astype(np.float32) / 255.0).copy()


@functools.cache
def _smoothed(name: str, sigma: float) -> np.ndarray:
    image = texture(name)
    return image if sigma == 0 else ndimage.gaussian_filter(image, sigma, mode="reflect")


def texture_crops(
    n: int,
    seed: int,
    *,
    size: int = 28,
    textures: Sequence[str] = TEXTURES,
    zoom: tuple[float, float] = (1.5, 5.0),
    contrast: tuple[float, float] = (0.6, 1.6),
    brightness: tuple[float, float] = (-0.25, 0.25),
    gradient: float = 0.0,
    shading: float = 0.0,
    shading_order: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random ``size`` x ``size`` crops of the textures, float32 on 0..1, and which
    texture each came from (indices into ``textures``).

    Each crop covers ``zoom`` times ``size`` source pixels on a side (drawn log-uniformly),
    turned by an angle drawn uniformly from 0 to 360 degrees, smoothed in the source by about
    half the zoom factor before bilinear sampling; then its grey levels are stretched about their
    mean by a factor drawn from ``contrast``, shifted by one from ``brightness``, lit by a linear
    ramp (uneven light: a random direction, a rise across the crop drawn from 0 to
    ``gradient``), shaded by a smooth random light field (see below), and clipped to 0..1.
    Deterministic in ``seed``.

    ``shading`` > 0 adds soft light and shadow: a sum of the 2-D cosine modes
    cos(pi u (r + 1/2) / size) cos(pi v (c + 1/2) / size) with 1 <= u + v <= ``shading_order``
    (14 modes for order 4), each with a normal coefficient of standard deviation
    ``shading`` / (u + v). Each mode is a separate smooth factor of the background, so a model
    that describes the backgrounds needs a latent dimension for each.
    """
    names = list(textures)
    side = _check_crops(n, size, names, zoom, contrast, gradient, shading, shading_order)
    rng = np.random.default_rng(seed)
    kind = rng.integers(len(names), size=n)
    factor = np.exp(rng.uniform(np.log(zoom[0]), np.log(zoom[1]), size=n))
    angle = rng.uniform(0, 2 * np.pi, size=n)
    gain = rng.uniform(*contrast, size=n)
    shift = rng.uniform(*brightness, size=n)
    light = rng.uniform(0, 2 * np.pi, size=n)
    rise = rng.uniform(0, gradient, size=n)
    half = factor * size / 2 * np.sqrt(2)  # the turned crop's reach from its centre
    centre = rng.uniform(half[:, None], side - 1 - half[:, None], size=(n, 2))
    modes = shading_modes(size, shading_order)  # (m, size, size), drawn last: adding shading
    weights = rng.normal(size=(n, len(modes))) if shading > 0 else None  # keeps the rest
    grid = (np.arange(size) - (size - 1) / 2).astype(np.float64)
    gy, gx = np.meshgrid(grid, grid, indexing="ij")  # (size, size) output offsets
    out = _sample(names, kind, factor, angle, centre, gy, gx)
    mean = out.mean(axis=(1, 2), keepdims=True)
    out = mean + gain[:, None, None] * (out - mean) + shift[:, None, None]
    ramp = np.cos(light)[:, None, None] * gy + np.sin(light)[:, None, None] * gx  # (n, s, s)
    out = out + rise[:, None, None] * ramp / (size - 1)
    if weights is not None:
        scale = shading / shading_mode_orders(shading_order)
        out = out + np.tensordot(weights * scale, modes, axes=1)
    return np.clip(out, 0.0, 1.0).astype(np.float32), kind


def _check_crops(
    n: int,
    size: int,
    names: Sequence[str],
    zoom: tuple[float, float],
    contrast: tuple[float, float],
    gradient: float,
    shading: float,
    shading_order: int,
) -> int:
    """Raise ``ValueError`` for settings :func:`texture_crops` cannot draw; return the smallest
    texture's side in pixels."""
    if n < 0 or size < 1:
        raise ValueError(f"n must be >= 0 and size >= 1, got n={n}, size={size}")
    if not (0 < zoom[0] <= zoom[1]) or not (0 <= contrast[0] <= contrast[1]):
        raise ValueError(f"zoom and contrast must be (low, high) ranges, got {zoom}, {contrast}")
    if gradient < 0 or shading < 0:
        raise ValueError(f"gradient and shading must be >= 0, got {gradient}, {shading}")
    if shading_order < 1:
        raise ValueError(f"shading_order must be >= 1, got {shading_order}")
    for name in names:
        texture(name)  # a bad name fails here, before any work
    side = min(texture(name).shape[0] for name in names)
    if zoom[1] * size * np.sqrt(2) >= side - 1:
        raise ValueError(
            f"a crop of {size} pixels zoomed {zoom[1]} times does not fit in the {side}-pixel "
            f"textures at every angle; the largest zoom is {(side - 1) / (size * np.sqrt(2)):.1f}"
        )
    return side


def _sample(
    names: Sequence[str],
    kind: np.ndarray,
    factor: np.ndarray,
    angle: np.ndarray,
    centre: np.ndarray,
    gy: np.ndarray,
    gx: np.ndarray,
) -> np.ndarray:
    """Each crop's pixels read bilinearly from its texture, turned by ``angle`` about ``centre``
    and zoomed by ``factor``, from the copy smoothed by about half the zoom."""
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    f = factor[:, None, None]
    rows = centre[:, 0, None, None] + f * (cos * gy - sin * gx)
    cols = centre[:, 1, None, None] + f * (sin * gy + cos * gx)
    level = np.abs(_SIGMAS[None, :] - factor[:, None] / 2).argmin(axis=1)
    out = np.empty((len(kind), *gy.shape), np.float32)
    for t, name in enumerate(names):
        for lv in np.unique(level[kind == t]):
            pick = np.flatnonzero((kind == t) & (level == lv))
            coords = np.stack([rows[pick], cols[pick]])
            source = _smoothed(name, float(_SIGMAS[lv]))
            out[pick] = ndimage.map_coordinates(source, coords, order=1, mode="reflect")
    return out


def shading_mode_orders(order: int) -> np.ndarray:
    """u + v of each shading mode (see :func:`shading_modes`), in the same order."""
    return np.array([u + v for total in range(1, order + 1) for u in range(total + 1)
                     for v in [total - u]], dtype=np.float64)  # fmt: skip


def shading_modes(size: int, order: int) -> np.ndarray:
    """The 2-D cosine modes cos(pi u (r + 1/2) / size) cos(pi v (c + 1/2) / size) for
    1 <= u + v <= ``order``, as a (modes, size, size) stack (low orders first)."""
    pos = (np.arange(size) + 0.5) / size
    pairs = [(u, total - u) for total in range(1, order + 1) for u in range(total + 1)]
    return np.stack([np.outer(np.cos(np.pi * u * pos), np.cos(np.pi * v * pos)) for u, v in pairs])


@dataclass(frozen=True)
class Composite:
    """Target and background images (float32, (n, 28, 28), 0..1) with what made them.

    ``targets[i]`` is ``digits`` layer i over ``target_backgrounds[i]``; ``backgrounds`` are
    further crops of the same textures with no digit. ``labels`` are the digits' classes (for
    evaluation only); ``target_textures`` / ``background_textures`` index :data:`TEXTURES`.
    """

    targets: np.ndarray
    labels: np.ndarray
    target_backgrounds: np.ndarray
    target_textures: np.ndarray
    backgrounds: np.ndarray
    background_textures: np.ndarray
    opacity: float

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Targets and backgrounds as (n, 784) float32 rows, as the models take them."""
        return self.targets.reshape(len(self.targets), -1), self.backgrounds.reshape(
            len(self.backgrounds), -1
        )


def composite(
    digits: np.ndarray,
    labels: np.ndarray,
    *,
    n_backgrounds: int | None = None,
    seed: int = 0,
    opacity: float = 0.5,
    **crops,
) -> Composite:
    """Paint ``digits`` (uint8 (n, 28, 28) MNIST images) in white over texture crops.

    Each target pixel is ``(1 - a) * background + a * 1`` where ``a = opacity * digit / 255``:
    the digit is white paint of the given opacity, so its strokes lighten the texture by
    ``opacity`` of the way to white and the rest of the image is the texture untouched.
    ``n_backgrounds`` further crops (default: as many as digits) are drawn as the background
    set. ``crops`` go to :func:`texture_crops` (zoom, contrast, brightness, textures).
    Deterministic in ``seed``; the targets' and the backgrounds' crops are independent draws
    from the same distribution.
    """
    digits = np.asarray(digits)
    labels = np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or len(labels) != len(digits):
        raise ValueError(
            f"digits must be (n, 28, 28) images with n labels, got {digits.shape} and "
            f"{labels.shape}"
        )
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must lie in 0..1, got {opacity}")
    n_backgrounds = len(digits) if n_backgrounds is None else n_backgrounds
    seeds = np.random.SeedSequence(seed).spawn(2)
    under, under_kind = texture_crops(len(digits), int(seeds[0].generate_state(1)[0]), **crops)
    alone, alone_kind = texture_crops(n_backgrounds, int(seeds[1].generate_state(1)[0]), **crops)
    paint = opacity * digits.astype(np.float32) / 255.0
    targets = (1.0 - paint) * under + paint
    return Composite(
        targets=targets.astype(np.float32),
        labels=labels,
        target_backgrounds=under,
        target_textures=under_kind,
        backgrounds=alone,
        background_textures=alone_kind,
        opacity=opacity,
    )


def variance_share(targets: np.ndarray, backgrounds: np.ndarray) -> float:
    """The share of the targets' total pixel variance that their background layer carries:
    sum_j Var(background_j) / sum_j Var(target_j) over pixels j, with the variances taken
    across images. ``backgrounds[i]`` must be the layer under ``targets[i]``."""
    targets = np.asarray(targets, np.float64).reshape(len(targets), -1)
    backgrounds = np.asarray(backgrounds, np.float64).reshape(len(backgrounds), -1)
    if targets.shape != backgrounds.shape or len(targets) < 2:
        raise ValueError(
            "variance_share needs matching target and background stacks of >= 2 images, got "
            f"{targets.shape} and {backgrounds.shape}"
        )
    total = targets.var(axis=0).sum()
    if total == 0:
        raise ValueError("the targets do not vary; their variance share is undefined")
    return float(backgrounds.var(axis=0).sum() / total)
