"""Clock datasets: drawn in parallel and cached under ``data/clocks/``, or the course's files.

A cached set's folder name carries a hash of its parameters and of the *drawing code*
(:mod:`~labkit.clocks.designs` and :mod:`~labkit.clocks.draw`): editing the metric, the split
or this module keeps the cached sets, editing how a clock is drawn redraws them.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .. import data as _data
from .. import files, project_root
from ..data import DataError
from ..stores import CLOCK_IMAGES
from .designs import _check_seed, nuisances_at, spec
from .draw import render

__all__ = ["ClockSet", "cache_dir", "course_dir", "generate", "load_clocks", "split"]


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
            stale = json.loads(params.read_text()).get("source_digest") != CLOCK_IMAGES.code()
        except (ValueError, OSError):
            continue
        if stale:
            for f in ("images.npy", "labels.npy", "params.json"):
                (other / f).unlink(missing_ok=True)
            if not any(other.iterdir()):
                other.rmdir()


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
    (default :func:`cache_dir`) named by the parameters and a hash of them and of the drawing
    code (:data:`labkit.stores.CLOCK_IMAGES`: :func:`_draw` and every definition it reaches, so a
    set drawn by other drawing code is never reused while other edits keep it), holding
    ``images.npy``, ``labels.npy`` (the course's layout) and ``params.json``.
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
    key = CLOCK_IMAGES.key(**params)
    where = (folder or cache_dir()) / f"{difficulty}-n{n}-s{size}-seed{seed}-{key}"
    if cache and (cached := _load_cache(where, n, size)) is not None:
        CLOCK_IMAGES.reuse(cached.info)
        return cached
    workers = workers or _default_workers(n)
    start = time.perf_counter()
    images, labels = _draw(n, seed, difficulty, size, workers)
    seconds = time.perf_counter() - start
    info = {
        **params,
        "nuisances": sorted(on),
        "workers": workers,
        "seconds": seconds,
        "images_per_second": n / seconds,
        "source_digest": CLOCK_IMAGES.code(),
    }
    if cache:
        _save_cache(where, images, labels, info)
    return ClockSet(images, labels, {**info, "source": "generated", "folder": str(where)})


def _draw(n: int, seed: int, difficulty: str, size: int, workers: int) -> tuple:
    """Images and labels of clocks 0..n-1, in chunks over ``workers`` processes (the result
    does not depend on how many)."""
    if workers == 1:
        return _draw_range(seed, 0, n, difficulty, size)
    chunk = max(50, math.ceil(n / (workers * 8)))
    bounds = [(s, min(s + chunk, n)) for s in range(0, n, chunk)]
    # spawn, not fork: a notebook's kernel may hold TensorFlow's threads
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = list(
            pool.map(
                _draw_range, *zip(*[(seed, a, b, difficulty, size) for a, b in bounds], strict=True)
            )
        )
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _save_cache(where: Path, images: np.ndarray, labels: np.ndarray, info: dict) -> None:
    """Write a drawn set to ``where`` (``params.json`` last: its presence means complete) and
    remove the sets of the same parameters drawn by older code. A folder that cannot be
    written (read-only, full) is said in a warning, and the set is used without being kept."""
    try:
        where.mkdir(parents=True, exist_ok=True)
        for name, array in (("images", images), ("labels", labels)):
            with files.atomic_path(where / f"{name}.npy") as tmp:
                np.save(tmp, array)
        files.write_text(where / "params.json", json.dumps(info, indent=2) + "\n")
    except OSError as e:
        warnings.warn(
            f"the drawn clocks cannot be kept in {where} ({type(e).__name__}: {e}); they are "
            "used now and drawn again next time. Make the folder writable, or pass generate() "
            "a writable folder=",
            stacklevel=3,
        )
        return
    _prune_stale(where)


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


#: The shape every split in the workbook has (:class:`labkit.data.Split`).
Splits = _data.Split


def split(data: ClockSet, *, seed: int = 0, val: float = 0.1, test: float = 0.1) -> _data.Split:
    """A seeded random train/validation/test split of a clock set: :func:`labkit.data.split`
    with the set's images and ``[hour, minute]`` labels, 80/10/10 by default."""
    return _data.split(data.images, data.labels, val=val, test=test, seed=seed)
