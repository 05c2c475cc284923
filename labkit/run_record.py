"""The run record: every chapter ends with one :func:`save` of its metrics JSON.

The file is ``reports/<profile>/metrics/<chapter>.json`` and holds the chapter's headline
numbers under ``"results"`` plus the profile, the seed, the wall-clock ``seconds`` since
:func:`start` (or since this module was imported; stored results read back included),
``seconds_from_scratch`` (those seconds plus the first-run seconds of every stored result read
back instead of computed: what the chapter costs from empty stores, :mod:`labkit.cache`), the
library versions and the machine.

Metric hygiene lives here and nowhere else: NumPy and pandas scalars become plain numbers, NaN
(an undefined value: the sd of one run, a target never reached) is written as ``null``, and
infinity is rejected. A chapter's sanity checks, not the writer, catch a NaN loss.
"""

from __future__ import annotations

import json
import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import cache, files, profiles, project_root, repro

_started = time.perf_counter()

#: Set by the runner (:mod:`labkit.book.runner`) for the chapter's kernel: :func:`save` writes
#: the record to ``$LABKIT_STAGING_DIR/metrics/`` and the runner moves it into place when every
#: cell has run, so a half-run chapter never replaces a complete record.
STAGING_ENV = "LABKIT_STAGING_DIR"


def start() -> float:
    """Start (or restart) the chapter's wall clock and its count of read-back results; returns
    the start time."""
    global _started
    _started = time.perf_counter()
    cache.reset_read_back()
    return _started


def minutes() -> float:
    """Minutes of wall clock since the chapter's :func:`start` (a chapter marks its sections
    with it and reports what each cost)."""
    return (time.perf_counter() - _started) / 60


def minutes_from_scratch() -> float:
    """What the chapter has cost until now from empty stores, in minutes: its wall clock since
    :func:`start` plus the first-run seconds of every stored result it read back (the
    ``seconds_from_scratch`` :func:`save` will record, so far)."""
    read_back, _ = cache.seconds_read_back()
    return (time.perf_counter() - _started + read_back) / 60


def reports_root(reports: Path | None = None) -> Path:
    """``reports`` if given, else ``$LABKIT_REPORTS_DIR``, else the project's ``reports/``."""
    if reports is not None:
        return Path(reports)
    base = os.environ.get("LABKIT_REPORTS_DIR")
    return Path(base) if base else project_root() / "reports"


def reports_dir(profile: str, reports: Path | None = None) -> Path:
    """``<reports>/<profile>``, with ``reports`` resolved by :func:`reports_root`."""
    profiles.check_profile(profile)
    return reports_root(reports) / profile


def metrics_path(chapter: str, profile: str, reports: Path | None = None) -> Path:
    """Where :func:`save` writes the metrics of ``chapter`` under ``profile``."""
    return reports_dir(profile, reports) / "metrics" / f"{chapter}.json"


def plain(value: Any) -> Any:
    """``value`` as JSON types: NumPy scalars and arrays, tuples and mapping keys converted,
    NaN (and pandas' missing values) as ``None``; infinity raises ``ValueError``."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        raise ValueError(f"metrics must be finite numbers or NaN (undefined), got {value!r}")
    return value


def save(chapter: str, results: dict[str, Any], *, profile: str, seed: int) -> Path:
    """Write the ``results`` of ``chapter`` with profile, seed, seconds and versions."""
    if not isinstance(results, dict):
        raise TypeError("results must be a dict of the chapter's headline numbers")
    seconds = time.perf_counter() - _started
    read_back, results_read_back = cache.seconds_read_back()
    record = {
        "chapter": chapter,
        "profile": profiles.check_profile(profile),
        "seed": int(seed),
        "seconds": round(seconds, 2),
        "seconds_from_scratch": round(seconds + read_back, 2),
        "results_read_back": results_read_back,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": repro.versions(),
        "machine": repro.machine(),
        "results": plain(results),
    }
    path = metrics_path(chapter, profile)
    if os.environ.get(STAGING_ENV):
        path = Path(os.environ[STAGING_ENV]) / "metrics" / path.name
    files.write_text(path, json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


class MetricsError(ValueError):
    """A metrics record is missing or cannot be read; the message names the file and the
    command that writes it again."""


class MissingMetrics(MetricsError, FileNotFoundError):
    """The chapter has not run under this profile."""


def read(path: Path | str, chapter: str = "", profile: str = "") -> dict[str, Any]:
    """The record in ``path``; a missing, truncated or malformed one raises
    :class:`MetricsError` naming the file and the run that rewrites it."""
    path = Path(path)
    chapter = chapter or path.stem
    profile = profile or path.parent.parent.name
    run = f"`python -m labkit run {chapter} --profile {profile}`"
    if not path.exists():
        raise MissingMetrics(
            f"no metrics for {chapter!r} under profile {profile!r} at {path}; {run} first"
        )
    rerun = f"{run[:-1]} --force` writes it again"
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MetricsError(f"{path} is not a readable metrics record ({e}); {rerun}") from e
    if not isinstance(record, dict) or not isinstance(record.get("results"), dict):
        raise MetricsError(f"{path} holds no 'results' object (not a metrics record); {rerun}")
    return record


def load(chapter: str, profile: str) -> dict[str, Any]:
    """Read back a metrics record written by :func:`save` (:func:`read`)."""
    return read(metrics_path(chapter, profile), chapter, profile)
