"""One run of a chapter at a time: a lock per chapter and profile.

``reports/<profile>/logs/<stem>.lock`` is held (through :mod:`filelock`, an operating-system
lock) while the runner executes the chapter, and ``<stem>.lock.json`` beside it says who holds it
(process, machine, command, since when). The lock covers a chapter and a profile, not a seed:
every seed of a profile writes the same executed notebook and metrics file.

A second run of the same chapter is refused with :class:`ChapterBusy`, naming the holder, or
waits for it (``python -m labkit run --wait``). A run that was killed holds nothing: the
operating system drops its lock with the process, so the next run takes it over (and says so,
since the killed run's holder file is still there).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from .. import files

__all__ = ["ChapterBusy", "chapter_lock", "holder"]


class ChapterBusy(RuntimeError):
    """Another run holds the chapter's lock."""


def _paths(stem: str, profile: str, reports: Path) -> tuple[Path, Path]:
    logs = Path(reports) / profile / "logs"
    return logs / f"{stem}.lock", logs / f"{stem}.lock.json"


def holder(stem: str, profile: str, reports: Path) -> dict | None:
    """Who holds (or, after a kill, last held) the lock of ``stem`` under ``profile``."""
    info = _paths(stem, profile, reports)[1]
    try:
        return json.loads(info.read_text())
    except (OSError, ValueError):
        return None


def _describe(info: dict | None) -> str:
    if not info:
        return "another run (its holder file is missing)"
    return (
        f"process {info.get('pid')} on {info.get('host')} since {info.get('since')} "
        f"({info.get('command')})"
    )


def _command() -> str:
    """This process's command line, as typed (``python -m labkit run ...``)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program == "__main__.py":
        program = "python -m labkit"
    return " ".join([program, *sys.argv[1:]])[:200]


@contextlib.contextmanager
def chapter_lock(
    stem: str,
    profile: str,
    reports: Path,
    *,
    wait: bool = False,
    echo: Callable[[str], None] = print,
) -> Iterator[None]:
    """Hold the lock of chapter ``stem`` under ``profile`` for the block. When another run holds
    it: raise :class:`ChapterBusy` naming it, or with ``wait`` say so and wait until it ends."""
    from filelock import FileLock, Timeout

    lock_path, info_path = _paths(stem, profile, reports)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        who = _describe(holder(stem, profile, reports))
        if not wait:
            raise ChapterBusy(
                f"{stem} ({profile}) is being run by {who}; wait for it to end, or pass --wait "
                f"to queue behind it (lock: {lock_path})"
            ) from None
        echo(f"{stem} ({profile}) is being run by {who}: waiting for it to end")
        lock.acquire()
    try:
        earlier = holder(stem, profile, reports)
        if earlier:  # its holder file outlived it: that run was killed
            echo(f"{stem} ({profile}): the last run, {_describe(earlier)}, ended without "
                 "releasing its lock (killed?); taking it over")  # fmt: skip
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": _command(),
            "started": time.time(),
        }
        files.write_text(info_path, json.dumps(info) + "\n")
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            info_path.unlink()
        lock.release()
