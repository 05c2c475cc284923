"""Caches keyed on the code a computation runs: the definitions it reaches, not whole modules.

Everything stored and read back (experiment runs, tuner projects, final models, clock images,
clock reader runs, VAE fits, fit backups) is a :class:`Store`: a named kind of computation
whose *producers* are the labkit definitions that make its content
(``"labkit.clocks.dataset:_draw"``; the registry is :mod:`labkit.stores`).
Its key is :meth:`Store.key`: a hash of

* the **code digest** (:func:`definitions`): the syntax trees (no docstrings, no comments, no
  layout; :func:`labkit.store.code_dump`) of the producers and of every labkit definition they
  reach, followed statically:

  - a name used in a definition and defined at the top of its module (a function, a class, a
    constant, and every top-level statement that assigns or mutates it) is followed;
  - ``from .x import y`` (at the top or inside a function) follows ``y``'s definition in ``x``,
    through re-exports in a package's ``__init__``;
  - ``module.attr`` (``from . import models`` ... ``models.cnn``) follows ``attr`` alone;
  - a module used as a value (passed on, ``getattr(module, name)``) or code calling
    ``globals()``/``vars()`` takes the **whole module**, since its names are chosen at run time;
  - a class is one definition with all its methods.

  Not followed: names from outside labkit (TensorFlow, NumPy: their versions count instead),
  attributes of objects (``self.x``, ``model.fit``: what the object's class defines is
  reached only where the class itself is named), and the caching machinery (:mod:`labkit.store`,
  this module and the registry :mod:`labkit.stores`: their format is versioned by
  :data:`labkit.store.DUMP_FORMAT`) and :mod:`labkit.files` (how a file is written whole and
  an unreadable one set aside: no content depends on it). A local
  variable that shadows a top-level name is followed as if it were the top-level one (more is
  followed, never less). The digest holds no module paths: moving or renaming a module whose
  definitions are unchanged keeps every key.

* the **settings** the call receives, as data (JSON with sorted keys; a dataclass as its
  fields). A callable is not data: :meth:`Store.key` refuses one, so a closure cannot carry a
  setting the key does not see; pass the setting itself.

* the **TensorFlow and Keras minor versions** (:func:`library_versions`). A result stored
  under another minor version is trained again rather than read back: a Keras minor release
  may change a default, an initialiser or a kernel, and a number the chapter quotes must come
  from the versions it names. A patch release keeps the stores.

joblib's ``Memory`` hashes a function's source text (comments and docstrings included) and not
what it calls, so it is not used for the code part. Nor are a call's arguments bound wholesale
from its signature as ``Memory.cache`` does: most keys hold a transformed argument (a digest of
the arrays, a model's canonical options, a representation's name), so each caller passes its
settings to :meth:`Store.key` by name, and a callable among them is refused.

Reading back a stored result adds its first-run seconds to :func:`seconds_read_back`, from
which a chapter's record derives ``seconds_from_scratch`` (:mod:`labkit.run_record`): once per
result (a row several cells read back costs its training once), and not at all for a result
this process computed itself (its seconds are in the run's own clock already).
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import store

__all__ = [
    "Store",
    "STORES",
    "definitions",
    "definition_hashes",
    "library_versions",
    "seconds_read_back",
    "note_read_back",
]

#: Modules whose definitions are never followed: the caching machinery itself, and how files are
#: written and set aside (:mod:`labkit.files`: whole or not at all; it changes no content).
UNFOLLOWED = frozenset({"labkit.store", "labkit.cache", "labkit.stores", "labkit.files"})
#: Calls that make a module's names a run-time choice: the whole module counts.
_DYNAMIC = frozenset({"globals", "vars", "locals", "eval", "exec", "__import__"})


@dataclass
class _Module:
    """A labkit module's top-level names: what defines each, and what each import names."""

    name: str
    package: str  # for relative imports: the package holding the module's code
    defs: dict[str, list[ast.stmt]] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def _is_module(dotted: str, package_dir: Path) -> bool:
    return store.module_file(dotted, package_dir) is not None


def _import_targets(
    node: ast.Import | ast.ImportFrom, package: str, root: str, package_dir: Path
) -> dict[str, tuple[str, str | None]]:
    """What each name an import statement binds refers to: ``(module, None)`` for a labkit
    module, ``(module, name)`` for a name defined in one. Names from outside labkit are left out."""
    out: dict[str, tuple[str, str | None]] = {}
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name.split(".")[0] != root:
                continue
            if a.asname:
                out[a.asname] = (a.name, None)
            else:
                out[a.name.split(".")[0]] = (root, None)
        return out
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    if base.split(".")[0] != root:
        return out
    for a in node.names:
        if a.name == "*":
            out["*"] = (base, None)
            continue
        full = f"{base}.{a.name}"
        out[a.asname or a.name] = (full, None) if _is_module(full, package_dir) else (base, a.name)
    return out


def _targets(stmt: ast.stmt) -> set[str]:
    """Top-level names a statement binds or mutates (``X = ...``, ``X[k] = ...``, ``X.a += 1``)."""
    names: set[str] = set()
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    elif isinstance(stmt, ast.For):
        targets = [stmt.target]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                names.add(n.id)
    return names


def _top_statements(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    """A module's top-level statements, those inside top-level ``if``/``try``/``with`` included."""
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            inner = list(getattr(stmt, "body", []))
            inner += list(getattr(stmt, "orelse", [])) + list(getattr(stmt, "finalbody", []))
            for h in getattr(stmt, "handlers", []):
                inner += list(h.body)
            yield from _top_statements(inner)
        else:
            yield stmt


@functools.lru_cache(maxsize=512)
def _index(dotted: str, package_dir: Path, text: str, is_package: bool) -> _Module:
    root = package_dir.name
    package = dotted if is_package else dotted.rpartition(".")[0]
    mod = _Module(dotted, package)
    tree = store.parse(text) or ast.Module(body=[], type_ignores=[])
    others: list[ast.stmt] = []
    for stmt in _top_statements(tree.body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            mod.imports.update(_import_targets(stmt, package, root, package_dir))
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            mod.defs.setdefault(stmt.name, []).append(stmt)
        elif names := _targets(stmt) - {"__all__"}:
            for name in names:
                mod.defs.setdefault(name, []).append(stmt)
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            others.append(stmt)  # a call at the top (a registration): it goes with its names
    for stmt in others:
        for name in {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)} & set(mod.defs):
            mod.defs[name].append(stmt)
    return mod


def _module(dotted: str, package_dir: Path) -> _Module | None:
    path = store.module_file(dotted, package_dir)
    if path is None:
        return None
    return _index(dotted, package_dir, path.read_text(), path.name == "__init__.py")


def _attribute_uses(node: ast.AST) -> tuple[dict[str, set[tuple[str, ...]]], set[str]]:
    """For each name in ``node``: the attribute chains read from it (``models.cnn`` gives
    ``("cnn",)``), and the set of names also used bare (passed, called, compared)."""
    chains: dict[str, set[tuple[str, ...]]] = {}
    bare: set[str] = set()
    inner: set[int] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and id(n) not in inner:
            chain: list[str] = []
            cur: ast.AST = n
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                inner.add(id(cur.value))
                cur = cur.value
            if isinstance(cur, ast.Name):
                inner.add(id(cur))
                chains.setdefault(cur.id, set()).add(tuple(reversed(chain)))
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and id(n) not in inner:
            bare.add(n.id)
    return chains, bare


class _Walker:
    """Follows definitions from a start set; collects ``label -> code dump``."""

    def __init__(self, package_dir: Path):
        self.package_dir = package_dir
        self.root = package_dir.name
        self.seen: set[tuple[str, str]] = set()
        self.whole: set[str] = set()
        self.dumps: dict[str, str] = {}

    def module(self, dotted: str) -> None:
        """Every definition of a module."""
        if dotted in self.whole or dotted in UNFOLLOWED:
            return
        self.whole.add(dotted)
        mod = _module(dotted, self.package_dir)
        if mod is None:
            return
        for name in list(mod.defs) + list(mod.imports):
            self.name(dotted, name)

    def name(self, dotted: str, name: str) -> None:
        """Follow ``name`` as module ``dotted`` defines or imports it."""
        if (dotted, name) in self.seen or dotted in UNFOLLOWED:
            return
        self.seen.add((dotted, name))
        mod = _module(dotted, self.package_dir)
        if mod is None:
            return
        if name in mod.defs:
            for stmt in mod.defs[name]:
                dump = store._dump(stmt)
                self.dumps.setdefault(f"{dotted}:{name}#{len(self.dumps)}", dump)
                self.references(mod, stmt)
        elif name in mod.imports:
            self.target(*mod.imports[name], ())
        elif _is_module(f"{dotted}.{name}", self.package_dir):
            self.module(f"{dotted}.{name}")
        elif not hasattr(builtins, name):
            self.module(dotted)  # defined at run time (``import *``, ``globals()``): all of it

    def target(self, dotted: str, name: str | None, chain: tuple[str, ...]) -> None:
        """An imported module (``name`` None) read through ``chain``, or a name in it."""
        if name is not None:
            if chain and _is_module(f"{dotted}.{name}", self.package_dir):
                self.target(f"{dotted}.{name}", None, chain)
            else:
                self.name(dotted, name)
            return
        if not chain:
            self.module(dotted)
            return
        head, rest = chain[0], chain[1:]
        if _is_module(f"{dotted}.{head}", self.package_dir):
            self.target(f"{dotted}.{head}", None, rest)
        else:
            self.name(dotted, head)

    def references(self, mod: _Module, node: ast.AST) -> None:
        """Follow the labkit names ``node``'s code uses."""
        local: dict[str, tuple[str, str | None]] = {}
        for n in ast.walk(node):
            if isinstance(n, ast.Import | ast.ImportFrom):
                local.update(_import_targets(n, mod.package, self.root, self.package_dir))
        chains, bare = _attribute_uses(node)
        if bare & _DYNAMIC:
            self.module(mod.name)
        for name in set(chains) | bare:
            imported = local.get(name) or mod.imports.get(name)
            if imported is not None:
                dotted, attr = imported
                if attr is None and name not in bare:
                    for chain in chains[name]:
                        self.target(dotted, None, chain)
                else:
                    self.target(dotted, attr, ())
            elif name in mod.defs:
                self.name(mod.name, name)


def _split(target: str) -> tuple[str, str | None]:
    dotted, _, name = target.partition(":")
    return dotted, name or None


def _walk(targets: Iterable[str], package_dir: Path | None) -> _Walker:
    package_dir = Path(package_dir or store.PACKAGE_DIR)
    walker = _Walker(package_dir)
    for target in targets:
        dotted, name = _split(target)
        if store.module_file(dotted, package_dir) is None:
            raise ValueError(f"{target!r}: no labkit module {dotted!r} under {package_dir}")
        mod = _module(dotted, package_dir)
        if name is None:
            walker.module(dotted)
        elif mod is None or (name not in mod.defs and name not in mod.imports):
            raise ValueError(f"{target!r}: {dotted} defines no {name!r}")
        else:
            walker.name(dotted, name)
    return walker


def definitions(targets: Iterable[str], package_dir: Path | None = None) -> str:
    """The code digest of ``targets`` (``"module:name"``, or ``"module"`` for all of it) and
    of every labkit definition they reach (see the module's docstring): a hex SHA-256."""
    walker = _walk(targets, package_dir)
    h = hashlib.sha256(f"labkit-definitions-{store.DUMP_FORMAT}\0".encode())
    for dump in sorted(set(walker.dumps.values())):
        h.update(dump.encode() + b"\0")
    return h.hexdigest()


def definition_hashes(targets: Iterable[str], package_dir: Path | None = None) -> dict[str, str]:
    """Each definition ``targets`` reach, as ``"module:name"``, with a short hash of its code:
    what :func:`definitions` digests, itemised so a changed key can be explained."""
    walker = _walk(targets, package_dir)
    out: dict[str, list[str]] = {}
    for label, dump in walker.dumps.items():
        out.setdefault(label.partition("#")[0], []).append(dump)
    return {
        k: hashlib.sha256("\0".join(v).encode()).hexdigest()[:12] for k, v in sorted(out.items())
    }


def notebook_targets(source: str, package_dir: Path | None = None) -> list[str]:
    """The labkit definitions a notebook's (or script's) code uses, as ``"module:name"`` or a
    whole ``"module"`` (a module it uses as a value)."""
    package_dir = Path(package_dir or store.PACKAGE_DIR)
    tree = store.parse(source)
    if tree is None:
        return [package_dir.name]
    root = package_dir.name
    aliases: dict[str, tuple[str, str | None]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Import | ast.ImportFrom) and not getattr(n, "level", 0):
            aliases.update(_import_targets(n, root, root, package_dir))
    chains, bare = _attribute_uses(tree)
    out: set[str] = set()

    def add(dotted: str, name: str | None, chain: tuple[str, ...]) -> None:
        if name is not None:
            if _is_module(f"{dotted}.{name}", package_dir):
                add(f"{dotted}.{name}", None, chain)
            else:
                out.add(f"{dotted}:{name}")
        elif not chain:
            out.add(dotted)
        elif _is_module(f"{dotted}.{chain[0]}", package_dir):
            add(f"{dotted}.{chain[0]}", None, chain[1:])
        else:
            out.add(f"{dotted}:{chain[0]}")

    for name, (dotted, attr) in aliases.items():
        if attr is not None or name in bare:
            add(dotted, attr, ())
        for chain in chains.get(name, ()):
            if attr is None:
                add(dotted, None, chain)
    return sorted(out)


def library_versions() -> dict[str, str]:
    """The TensorFlow and Keras minor versions (``"2.20"``) a stored result is keyed on, read
    from the installed distributions without importing them (None: not installed)."""
    from importlib import metadata

    out = {}
    for dist in ("tensorflow", "keras"):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            try:
                version = metadata.version(f"{dist}-cpu")
            except metadata.PackageNotFoundError:
                version = None
        out[dist] = ".".join(version.split(".")[:2]) if version else None
    return out


_read_back: dict[str, Any] = {"seconds": 0.0, "results": 0, "keys": set(), "made": set()}


def note_read_back(seconds: float | None, key: str | None = None) -> None:
    """Count a stored result read back, with the seconds it first took. A result with a
    ``key`` (any string naming it: a :func:`row_identity`) counts once per process, and not at
    all when this process made it (:func:`note_made`): a from-scratch run pays each result's
    training once."""
    if key is not None:
        if key in _read_back["keys"]:
            return
        _read_back["keys"].add(key)
    _read_back["seconds"] += float(seconds or 0.0)
    _read_back["results"] += 1


def note_made(key: str) -> None:
    """Record that this process computed the result ``key`` names (its seconds are in the
    process's own clock), so reading it back later does not count it again."""
    _read_back["keys"].add(key)
    _read_back["made"].add(key)


def made_here() -> frozenset[str]:
    """The results this process computed since the counting started (:func:`note_made`): what
    a worker process hands back to the chapter that asked for its work
    (:mod:`labkit.workers`), whose own clock holds the time it waited for them."""
    return frozenset(_read_back["made"])


#: How many processes made stored work at once in this one (:func:`set_at_once`).
_at_once = {"n": 1}


def set_at_once(n: int) -> None:
    """Say that this process is one of ``n`` making stored work at the same time (a worker of
    :mod:`labkit.workers`): the rows it writes are stamped ``at_once``, and reading one back
    counts its seconds divided by that number towards ``seconds_from_scratch``, the wall time
    the work took when it was made. A fit's row keeps its own seconds."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _at_once["n"] = int(n)


def row_identity(row: Mapping[str, Any]) -> str:
    """A digest of a stored row's content (its JSON, keys sorted, without the ``versions``,
    ``key`` and ``at_once`` a store adds): what :func:`note_read_back` counts once.
    Bookkeeping only, computed where rows are written and read back, so the computations' code
    (and with it every store key) stays as it was."""
    content = {k: v for k, v in row.items() if k not in ("versions", "key", "at_once")}
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def seconds_read_back() -> tuple[float, int]:
    """The first-run seconds of every stored result read back in this process (each once,
    none this process computed), and how many."""
    return _read_back["seconds"], _read_back["results"]


def reset_read_back() -> None:
    """Start counting read-backs again (a chapter's start)."""
    _read_back.update(seconds=0.0, results=0, keys=set(), made=set())


def _data(value: Any, where: str) -> Any:
    """``value`` as a key's data: dataclasses as their fields; a callable is refused."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _data(getattr(value, f.name), where) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _data(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_data(v, where) for v in value]
    if callable(value) and not isinstance(value, type):
        raise TypeError(
            f"{where}: a callable ({value!r}) cannot be part of a key; pass the settings it "
            "closes over as data"
        )
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return value


#: Every kind of stored computation, by name (filled by :class:`Store`).
STORES: dict[str, Store] = {}


class Store:
    """A kind of stored computation: a ``name`` (``"experiment runs"``), the ``producers``
    (``"module:name"``) whose code makes its content, and :meth:`key` for one call.
    ``libraries=False``: the TensorFlow and Keras versions are not part of the key (work that
    does not run them: drawing clocks).

    The code digest is taken once per process, at the first key, so an edit made while a
    chapter runs does not change the keys of its later runs."""

    def __init__(self, name: str, *producers: str, length: int = 24, libraries: bool = True):
        if not producers:
            raise ValueError(f"store {name!r} needs at least one producer")
        self.name = name
        self.producers = tuple(producers)
        self.length = length
        self.libraries = libraries
        self._code: dict[Path, str] = {}
        STORES[name] = self

    def __repr__(self) -> str:
        return f"Store({self.name!r}, {', '.join(map(repr, self.producers))})"

    def code(self, package_dir: Path | None = None) -> str:
        """The code digest of the producers and what they reach (:func:`definitions`)."""
        where = Path(package_dir or store.PACKAGE_DIR)
        if where not in self._code:
            self._code[where] = definitions(self.producers, where)
        return self._code[where]

    def key(self, **settings: Any) -> str:
        """The key of one computation: this store's code, the library minor versions and
        ``settings`` (data: numbers, strings, digests, dataclasses; no callables)."""
        parts = {k: _data(v, f"{self.name} key, {k!r}") for k, v in settings.items()}
        versions = library_versions() if self.libraries else None
        return store.key(
            length=self.length, store=self.name, code=self.code(), versions=versions, **parts
        )

    def folder(self, root: Path | str, name: str, **settings: Any) -> Path:
        """A folder under ``root`` for one computation's files (a fit's backup, a tuner's
        project): ``<name>-<key>``."""
        return Path(root) / f"{name}-{self.key(**settings)}"

    def rows(self, path: Path | str | None) -> dict[str, dict]:
        """The finished rows of the JSON-lines file ``path``, by key: only whole rows written by
        :meth:`write` (a line without its versions, such as one holding only its key, is
        skipped with a warning and computed again, never read as NaN)."""
        return store.read_rows(path, required=("versions",))

    def reuse(self, row: Mapping[str, Any]) -> dict:
        """A stored row read back in place of its computation: its first-run ``seconds`` count
        towards the chapter's ``seconds_from_scratch`` (:func:`note_read_back`, once per row:
        its :func:`row_identity`; divided by ``at_once`` where it was made beside others,
        :func:`set_at_once`). The versions it was made under stay in the file (they are part
        of the key already), not in the row."""
        seconds = row.get("seconds")
        if seconds is not None:
            seconds = float(seconds) / float(row.get("at_once", 1))
        note_read_back(seconds, row_identity(row))
        return {k: v for k, v in row.items() if k not in ("versions", "at_once")}

    def read(self, path: Path | str | None, key: str) -> dict | None:
        """The row stored under ``key`` in ``path`` (read back: :meth:`reuse`), or None."""
        row = self.rows(path).get(key)
        return None if row is None else self.reuse(row)

    def write(self, path: Path | str, key: str, row: Mapping[str, Any]) -> None:
        """Append ``row`` under ``key``, stamped with the library versions it was made under
        (and noted as made here: :func:`note_made`), and with ``at_once`` when this process
        was one of several making work at the same time (:func:`set_at_once`)."""
        note_made(row_identity(row))
        shared = {"at_once": _at_once["n"]} if _at_once["n"] > 1 else {}
        store.append_row(path, {**row, **shared, "versions": repro_versions(), "key": key})


def repro_versions() -> dict[str, str | None]:
    """The full TensorFlow, Keras and Python versions a row was made under (recorded)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": store.PYTHON}
    for dist in ("tensorflow", "keras"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out
