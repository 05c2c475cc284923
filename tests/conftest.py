"""Shared fixtures: the real data files (when present) and isolated report folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labkit import data

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _data_root() -> Path | None:
    """A folder holding mnist/ and fashion-mnist/ with all their files, if any is known."""
    candidates = []
    if os.environ.get("LABKIT_DATA_DIR"):
        candidates.append(Path(os.environ["LABKIT_DATA_DIR"]))
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for root in candidates:
        if all(
            (root / ds.folder / f.name).is_file()
            for ds in data.DATASETS.values()
            for f in ds.files.values()
        ):
            return root
    return None


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder with the original IDX files; the test is skipped, with a reason, without it."""
    root = _data_root()
    if root is None:
        pytest.skip(
            "the original MNIST/Fashion-MNIST files are not available: set LABKIT_DATA_DIR "
            "(make test and .ci/run use ../shared/data)"
        )
    return root


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """An empty project root, Keras home and reports folder, so nothing real is touched."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    monkeypatch.setenv("LABKIT_ROOT", str(root))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("LABKIT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("LABKIT_DATA_DIR", raising=False)
    data._load_cached.cache_clear()
    return root


def toy_images(n: int = 300, seed: int = 0, size: int = 28) -> tuple:
    """``n`` uint8 images (n, size, size) whose class (0..3) is the quadrant holding a bright
    square, plus noise: tiny, learnable in an epoch or two, and fast."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=n).astype(np.uint8)
    x = rng.integers(0, 60, size=(n, size, size)).astype(np.uint8)
    half = size // 2
    for i, c in enumerate(y):
        r, k = divmod(int(c), 2)
        x[i, r * half + 3 : r * half + half - 3, k * half + 3 : k * half + half - 3] = 230
    return x, y


@pytest.fixture
def toy() -> tuple:
    """The :func:`toy_images` set with 300 images."""
    return toy_images()
