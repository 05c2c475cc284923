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
