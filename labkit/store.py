"""The store's primitives: code as text without docstrings, a short hash, rows of finished runs.

What a stored result is keyed on (the definitions it reaches, its settings, the library
versions) is :mod:`labkit.cache`; this module gives it the pieces:

* :func:`code_dump`: a syntax tree as text, docstrings, comments and layout left out, so
  editing them keeps every stored result while a function's body, a default or a constant
  does not.
* :func:`key`: settings and digests as one short hash.
* :func:`read_rows` / :func:`append_row`: a JSON-lines file of finished runs that survives an
  interrupted write.
* :func:`module_file`: where a labkit module's source lies.

The digest is written by :func:`code_dump`, not :func:`ast.dump` (whose output differs between
Python 3.11, 3.12 and 3.13): fields that are empty or ``None`` are left out, so a field added by a
later Python with an empty default changes nothing (checked: the same digests under Python
3.11.7, 3.12.1 and 3.13.0; a test pins the format). :data:`PYTHON` (the minor version) is
recorded beside the digest where runs are stamped, not hashed into it.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import PACKAGE_DIR
from .files import CorruptFileWarning

#: The Python minor version the digests were computed under (recorded, not hashed).
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
#: Bumped when :func:`code_dump`'s format changes (every stored result then runs again).
DUMP_FORMAT = 1

_SKIPPED_FIELDS = frozenset({"ctx", "type_comment", "kind"})


def parse(source: str) -> ast.Module | None:
    """The syntax tree of a module's or a notebook cell's source, IPython magics and shell
    lines (``%``, ``!``, ``?``) left out; None when it does not parse."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!", "?"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _dump(node: Any) -> str:
    if isinstance(node, ast.AST):
        body = getattr(node, "body", None)
        documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        parts = []
        for name in node._fields:
            value = getattr(node, name, None)
            if name in _SKIPPED_FIELDS or value is None or value == []:
                continue
            if name == "body" and isinstance(node, documented) and body and _is_docstring(body[0]):
                value = body[1:] or [ast.Pass()]  # a docstring alone stands for `pass`
            parts.append(f"{name}={_dump(value)}")
        return f"{type(node).__name__}({','.join(parts)})"
    if isinstance(node, list):
        return "[" + ",".join(_dump(v) for v in node) + "]"
    return f"{type(node).__name__}:{node!r}"


def code_dump(source: str) -> str:
    """A text of ``source``'s code alone: its syntax tree without docstrings, comments or
    layout, the same under Python 3.11 to 3.13. Raises ``SyntaxError`` on bad source."""
    tree = parse(source)
    if tree is None:
        ast.parse(source)  # raises the SyntaxError with its position
    return _dump(tree)


def module_file(dotted: str, package_dir: Path | None = None) -> Path | None:
    """The source file of ``dotted`` (``labkit.clocks.draw``) under ``package_dir``, if any."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    rel = Path(*dotted.split(".")[1:])
    for candidate in (package_dir / rel / "__init__.py", (package_dir / rel).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def key(*, length: int = 20, **parts: Any) -> str:
    """A short hash of ``parts`` (settings, data digests, a code digest), as JSON with
    sorted keys (values that JSON cannot hold are written with ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def read_rows(path: Path | str | None, required: Sequence[str] = ()) -> dict[str, dict]:
    """The finished runs in a JSON-lines store, by their ``key`` (an empty dict when the file is
    absent). A line that is not a whole JSON object with its ``key`` and every ``required``
    field (cut short by an interruption, or edited) is skipped with a
    :class:`labkit.files.CorruptFileWarning` naming the file and line: that run runs again and
    its new row is appended (the bad line stays, for whoever wants to look)."""
    if path is None or not Path(path).exists():
        return {}
    rows, bad = {}, []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            bad.append(f"{number} (not whole JSON)")
            continue
        missing = [f for f in ("key", *required) if not isinstance(row, dict) or f not in row]
        if missing:
            bad.append(f"{number} (no {', '.join(missing)})")
            continue
        rows[row.pop("key")] = row
    if bad:
        warnings.warn(
            f"{path}: line(s) {'; '.join(bad)} skipped; what they held is computed again",
            CorruptFileWarning,
            stacklevel=2,
        )
    return rows


@contextlib.contextmanager
def _locked(f: Any) -> Iterator[None]:
    """Hold an exclusive lock on open file ``f`` for the block (released when it closes, or
    when its process dies); a no-op where ``fcntl`` is missing (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def append_row(path: Path | str, row: Mapping[str, Any]) -> None:
    """Add one run (a JSON object holding its ``key``) to a JSON-lines store, starting a new line
    when an interrupted write left a partial one. Writers in other processes (a chapter's fits
    made two at a time, :mod:`labkit.workers`) take turns: each holds an operating-system lock
    on the file while it appends (``flock``, where the system has it), so two rows never share
    a line."""
    if "key" not in row:
        raise ValueError("a stored row needs its 'key'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as f, _locked(f):
        if f.tell() > 0:
            f.seek(-1, 2)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((json.dumps(dict(row)) + "\n").encode())
        f.flush()
        os.fsync(f.fileno())
