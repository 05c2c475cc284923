"""Files the workbook writes and later reads: written whole or not at all, checked on read.

* :func:`atomic_path` / :func:`write_text` / :func:`write_bytes`: the content goes to a temporary
  file beside the target (same folder, so the same file system), is flushed to disk, and is
  renamed over the target only when complete (``os.replace`` is atomic on POSIX and Windows). A
  run killed mid-write leaves the previous file, or none, never half of one; a reader never sees
  a partial file. The temporary name keeps the target's suffixes (``x.weights.h5`` becomes
  ``x.tmp-<pid>-<n>.weights.h5``), since Keras checks them.
* :func:`set_aside`: a file (or folder) found unreadable is renamed to ``<name>.corrupt`` (then
  ``.corrupt-2``, ...), never deleted, with a warning that names it and says what happens next
  (it is recomputed): the evidence stays for whoever wants to look.

Files appended to line by line (the JSON-lines stores of :mod:`labkit.store`) are not rewritten:
a line cut short is skipped on read, and the next write starts a new line.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

__all__ = [
    "CorruptFileWarning",
    "atomic_path",
    "read_or_set_aside",
    "set_aside",
    "write_bytes",
    "write_text",
]

_counter = itertools.count()
T = TypeVar("T")


class CorruptFileWarning(UserWarning):
    """A stored file could not be read: it was set aside and its content is recomputed."""


def _temporary(target: Path) -> Path:
    suffixes = (
        "".join(target.suffixes[-2:])
        if target.name.endswith(".weights.h5")
        else "".join(target.suffixes[-1:])
    )
    stem = target.name[: len(target.name) - len(suffixes)] if suffixes else target.name
    return target.with_name(f".{stem}.tmp-{os.getpid()}-{next(_counter)}{suffixes}")


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as f:  # a folder or a special file
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """A temporary path to write ``target``'s new content to (by any writer: ``np.savez``,
    ``model.save_weights``, ``nbformat.write``); when the block ends without an exception it is
    moved over ``target``, otherwise deleted and ``target`` left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp} (for {target})")
        _fsync(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(target: Path | str, content: bytes) -> Path:
    """Write ``content`` to ``target`` whole or not at all; returns ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(content)
    return Path(target)


def write_text(target: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` whole or not at all; returns ``target``."""
    return write_bytes(target, text.encode("utf-8"))


def set_aside(path: Path | str, problem: str, then: str = "it is computed again") -> Path:
    """Rename the unreadable ``path`` to ``<name>.corrupt`` (numbered if taken), warn with a
    :class:`CorruptFileWarning` naming it, ``problem`` and what happens ``then``; returns the
    new path."""
    path = Path(path)
    for n in itertools.count(1):
        aside = path.with_name(path.name + (".corrupt" if n == 1 else f".corrupt-{n}"))
        if not aside.exists():
            break
    os.replace(path, aside)
    warnings.warn(
        f"{path} could not be read ({problem}); set aside as {aside.name}, and {then}",
        CorruptFileWarning,
        stacklevel=2,
    )
    return aside


def read_or_set_aside(
    path: Path | str,
    read: Callable[[Path], T],
    *,
    what: str = "file",
    then: str = "it is computed again",
) -> T | None:
    """``read(path)``, or None when ``path`` is absent; an unreadable one (a truncated
    ``.npz``, ``.weights.h5`` or JSON file: the reader raises ``OSError``, ``ValueError``,
    ``EOFError``, ``KeyError`` or ``zipfile.BadZipFile``) is :func:`set_aside` and None
    returned, so the caller computes it again."""
    import zipfile

    path = Path(path)
    if not path.exists():
        return None
    try:
        return read(path)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
        set_aside(path, f"{what} unreadable: {type(e).__name__}: {str(e)[:200]}", then)
        return None
