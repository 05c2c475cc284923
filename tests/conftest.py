"""Shared fixtures: the real data files (when present) and isolated report folders."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from labkit import data, project_root

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def in_ci() -> bool:
    """True under CI (``CI=true``), where nothing is skipped for missing data or tools."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip the test with ``reason``, or fail it under CI, where a skip would hide a gap."""
    if in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now (servers under test)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        skip_or_fail(
            f"needs {', '.join(missing)}: `make test` installs them as root, or run "
            "`make tex` (it prints the install command otherwise)"
        )


@pytest.fixture
def require_tools():
    """``require_tools("pandoc", ...)`` skips the test (fails it under CI) unless every
    program named is on the PATH."""
    return _require_tools


def _holds_all(root: Path) -> bool:
    return all(
        (root / ds.folder / f.name).is_file()
        for ds in data.DATASETS.values()
        for f in ds.files.values()
    )


def _data_root() -> Path | None:
    """A folder holding mnist/ and fashion-mnist/ with all their files, if any is known."""
    candidates = []
    if os.environ.get("LABKIT_DATA_DIR"):
        candidates.append(Path(os.environ["LABKIT_DATA_DIR"]))
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    candidates.append(project_root() / "data")
    return next((root for root in candidates if _holds_all(root)), None)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder with the original IDX files.

    When no known folder holds them, the loader is asked (it downloads into ``data/`` when it
    can). Under CI a missing file fails the test with the loader's message; elsewhere the test
    is skipped, naming what to set.
    """
    root = _data_root()
    if root is not None:
        return root
    try:
        for name in data.DATASETS:
            data.find_dataset_dir(name, download=not in_ci())
    except data.DataError as e:
        skip_or_fail(
            f"the original MNIST/Fashion-MNIST files are not available: {e}\n"
            "Set LABKIT_DATA_DIR (make test and .ci/run use ../shared/data when present)."
        )
    root = _data_root()
    if root is None:  # found, but split over several places (e.g. one in Keras' cache)
        skip_or_fail(
            "the MNIST and Fashion-MNIST files are not in one folder: set LABKIT_DATA_DIR to a "
            "folder holding mnist/ and fashion-mnist/"
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


@dataclass
class SmokeRuns:
    """Every chapter run once at ``smoke`` through the runner: the reports folder, each
    chapter's seconds, and the error of each chapter that failed."""

    reports: Path
    seconds: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def require(self, stem: str) -> Path:
        """The executed chapter ``stem``; fails the test with the runner's error if it failed."""
        if stem in self.failures:
            pytest.fail(f"{stem} failed at smoke:\n{self.failures[stem]}", pytrace=False)
        return self.reports / "smoke" / f"{stem}.ipynb"


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory, data_root) -> SmokeRuns:
    """The smoke run of every chapter, made once per session (the first test that asks for it
    waits for all six, in order, so chapter 02 finds chapter 01's metrics): the chapter
    contracts, the PDF test and the resume test read this one folder."""
    from labkit.book import runner

    runs = SmokeRuns(tmp_path_factory.mktemp("smoke") / "reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_DATA_DIR", str(data_root))
        for path in runner.discover():
            try:
                runs.seconds[path.stem] = runner.run_notebook(
                    path, "smoke", seed=0, reports=runs.reports
                ).seconds
            except runner.RunError as e:
                runs.failures[path.stem] = str(e)
    print("\nsmoke runs (s): " + ", ".join(f"{k} {v:.0f}" for k, v in runs.seconds.items()))
    return runs


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
