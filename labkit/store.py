"""The run store: what made a stored result, and where stored results live.

Everything the workbook stores and reads back (experiment runs, tuner trials, clock images,
clock training runs, fit backups, executed chapters) is keyed on the *code* that made it:

* :func:`code_digest` hashes the syntax trees of the labkit modules a piece of work runs and of
  every labkit module they import, transitively (lazy imports inside functions included).
  Docstrings and comments are not code: editing them keeps every stored result; editing a
  function's body, a default or a constant makes the work that runs it run again.
* :func:`key` turns that digest and the work's settings into one short hash.
* :func:`read_rows` / :func:`append_row`: a JSON-lines file of finished runs that survives an
  interrupted write.
* :func:`backup_dir`: the folder where a long fit keeps its last finished epoch, named by the
  same key, so a resumed fit never picks up a backup made by other code or settings.

The digest is written by :func:`code_dump`, not :func:`ast.dump` (whose output differs between
Python 3.11, 3.12 and 3.13): fields that are empty or ``None`` are left out, so a field added by a
later Python with an empty default changes nothing (checked: the same digests under Python
3.11.7, 3.12.1 and 3.13.0; a test pins the format). :data:`PYTHON` (the minor version) is
recorded beside the digest where runs are stamped, not hashed into it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from . import PACKAGE_DIR

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


def _imported(tree: ast.AST, package: str, current: str | None) -> set[str]:
    """Dotted names of ``package``'s modules (or their attributes) imported anywhere in ``tree``.

    ``current`` is the dotted name of the package holding the code (for relative imports), or
    None for a notebook. ``from labkit import data`` gives ``labkit.data``; whether that is a
    module or an attribute of ``labkit`` is settled by :func:`module_file`.
    """
    names: set[str] = set()
    for node in ast.walk(tree):  # every import, also those inside functions
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue
                parts = current.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.split(".")[0] != package:
                continue
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names if a.name != "*"}
    return names


def imported_by(source: str, package: str = "labkit") -> set[str]:
    """The ``package`` modules (or attributes) a notebook cell's or script's code imports."""
    tree = parse(source)
    return set() if tree is None else _imported(tree, package, None)


def module_file(dotted: str, package_dir: Path | None = None) -> Path | None:
    """The source file of ``dotted`` (``labkit.clocks.draw``) under ``package_dir``, if any."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    rel = Path(*dotted.split(".")[1:])
    for candidate in (package_dir / rel / "__init__.py", (package_dir / rel).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _longest_module(dotted: str, package_dir: Path) -> list[str]:
    """``labkit.data.DataError`` -> ``["labkit", "data"]``: an attribute resolves to the
    longest prefix that is a module."""
    parts = dotted.split(".")
    while parts and module_file(".".join(parts), package_dir) is None:
        parts.pop()
    return parts


def sources(modules: Iterable[str], package_dir: Path | None = None) -> list[Path]:
    """The source files of ``modules`` (dotted names), of every labkit module they import,
    transitively, and of the packages holding them (``__init__.py``).

    A package's ``__init__.py`` is followed when it is named or imported itself (``from labkit
    import clocks``), but not when it is only the parent of a module used (``labkit.clocks.draw``
    runs ``clocks/__init__.py``, whose own code counts, not the modules it re-exports): so an
    edit to the clock reader does not invalidate drawn clocks.
    """
    package_dir = Path(package_dir or PACKAGE_DIR)
    package = package_dir.name
    todo = set(modules)
    followed: dict[Path, str] = {}
    parents: set[Path] = set()
    while todo:
        parts = _longest_module(todo.pop(), package_dir)
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            name = ".".join(parts[:i])
            path = module_file(name, package_dir)
            if path is None or path in followed:
                continue
            if i < len(parts):
                parents.add(path)
                continue
            followed[path] = name
            current = name if path.name == "__init__.py" else name.rpartition(".")[0]
            tree = parse(path.read_text())
            if tree is not None:
                todo |= _imported(tree, package, current) - set(followed.values())
    return sorted(parents | set(followed))


@functools.cache
def _file_dump(path: Path, mtime_ns: int) -> str:
    return code_dump(path.read_text())


def files_digest(paths: Iterable[Path], package_dir: Path | None = None) -> str:
    """The digest of the code in ``paths`` (labkit source files), named relative to the
    package so the digest does not depend on where the checkout lies."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    h = hashlib.sha256(f"labkit-code-{DUMP_FORMAT}\0".encode())
    for path in sorted(paths):
        dump = _file_dump(path, path.stat().st_mtime_ns)
        h.update(f"{path.relative_to(package_dir).as_posix()}\0{dump}\0".encode())
    return h.hexdigest()


def code_digest(*modules: str | ModuleType, package_dir: Path | None = None) -> str:
    """A hash of the code a piece of work runs: the syntax trees (no docstrings, no comments)
    of ``modules`` (dotted names or module objects) and of every labkit module they import,
    transitively (:func:`sources`).

    Call it where the module that stores results is imported and keep the value, so an edit
    made while a chapter runs does not change the keys of its later runs."""
    names = [m.__name__ if isinstance(m, ModuleType) else m for m in modules]
    if not names:
        raise ValueError("code_digest needs at least one module")
    return files_digest(sources(names, package_dir), package_dir)


def key(*, length: int = 20, **parts: Any) -> str:
    """A short hash of ``parts`` (settings, data digests, a :func:`code_digest`), as JSON with
    sorted keys (values that JSON cannot hold are written with ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def read_rows(path: Path | str | None) -> dict[str, dict]:
    """The finished runs in a JSON-lines store, by their ``key`` (an empty dict when the file is
    absent). A line cut short by an interruption is skipped: that run runs again."""
    if path is None or not Path(path).exists():
        return {}
    rows = {}
    for line in Path(path).read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "key" in row:
            rows[row.pop("key")] = row
    return rows


def append_row(path: Path | str, row: Mapping[str, Any]) -> None:
    """Add one run (a JSON object holding its ``key``) to a JSON-lines store, starting a new line
    when an interrupted write left a partial one."""
    if "key" not in row:
        raise ValueError("a stored row needs its 'key'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as f:
        if f.tell() > 0:
            f.seek(-1, 2)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((json.dumps(dict(row)) + "\n").encode())


def backup_dir(root: Path | str, name: str, code: str, **settings: Any) -> Path:
    """The folder under ``root`` where a fit named ``name`` keeps its last finished epoch
    (Keras' ``BackupAndRestore``): named by ``code`` (a :func:`code_digest`) and ``settings``,
    so an interrupted fit resumes only into the same code and settings."""
    return Path(root) / f".backup-{name}-{key(code=code, length=12, **settings)}"
