"""Execute the chapters headless with papermill: ``python -m labkit run``.

Each notebook runs with its ``parameters`` cell set to ``profile`` and ``seed`` and is written,
executed, to ``reports/<profile>/<stem>.ipynb`` (also when it fails, for inspection). A failure
raises :class:`RunError` naming the notebook and the failing cell. A chapter whose notebook,
profile, seed, library versions and the labkit modules it imports (:func:`labkit_sources`) are
unchanged since its last successful run is skipped (``--force`` reruns it); its fingerprint is
kept in ``reports/<profile>/logs/``.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import PACKAGE_DIR, metrics, profiles, project_root, repro

HEADLESS_KERNEL = "labkit-headless-runner"


class RunError(RuntimeError):
    """A notebook could not be found or failed while executing."""


@dataclass
class RunResult:
    """What one executed notebook produced."""

    stem: str
    output: Path
    seconds: float
    skipped: bool = False


def notebooks_dir() -> Path:
    """The workbook's ``notebooks/`` folder."""
    return project_root() / "notebooks"


def discover(folder: Path | None = None) -> list[Path]:
    """Every chapter notebook (``NN_*.ipynb``) in ``folder``, in chapter order."""
    folder = folder or notebooks_dir()
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def resolve(names: Sequence[str], folder: Path | None = None) -> list[Path]:
    """Turn paths, stems (``00_data_tour``) or numbers (``00``) into notebooks; none means all."""
    available = discover(folder)
    if not names:
        if not available:
            raise RunError(f"no chapter notebooks (NN_*.ipynb) in {folder or notebooks_dir()}")
        return available
    by_stem = {p.stem: p for p in available}
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path.resolve())
        elif path.stem in by_stem and (path.suffix in ("", ".ipynb")):
            chosen.append(by_stem[path.stem])
        elif len(prefixed := [p for s, p in by_stem.items() if s.startswith(f"{name}_")]) == 1:
            chosen.append(prefixed[0])  # a chapter number such as "00"
        else:
            allowed = ", ".join(by_stem) or "(none found)"
            raise RunError(f"unknown notebook {name!r}; available: {allowed}")
    return chosen


# The kernel inherits these: widgets render as static figures, TensorFlow's C++ logging and
# library deprecation notices stay out of the cell outputs (other warnings still show).
KERNEL_ENV = {
    "LABKIT_HEADLESS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::FutureWarning",
}


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by the kernel) for one run, then restore them."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _headless_kernel() -> Iterator[str]:
    """A throw-away kernelspec running this interpreter, found first via ``JUPYTER_PATH``.

    It runs the notebook in the same environment as the runner, and with
    ``capture_fd_output=False`` the C++ log lines of TensorFlow go to the kernel log rather
    than into the cells' outputs. Yields the kernel name to give papermill.
    """
    with tempfile.TemporaryDirectory(prefix="labkit-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / HEADLESS_KERNEL
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--IPKernelApp.capture_fd_output=False",
            ],
            "display_name": "labkit (headless runner)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        path = os.pathsep.join(filter(None, [tmp, os.environ.get("JUPYTER_PATH")]))
        with _environ({"JUPYTER_PATH": path}):
            yield HEADLESS_KERNEL


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


@contextlib.contextmanager
def _stderr_to(log: Path) -> Iterator[None]:
    """Send this process's stderr (and so the kernel's) to ``log`` while the notebook runs."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "wb") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _source(cell: dict) -> str:
    """A cell's source as one string (a notebook file may store it as a list of lines)."""
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _parse(source: str) -> ast.AST | None:
    """A cell's or module's syntax tree; IPython magics and shell lines are left out."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!", "?"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _imported(tree: ast.AST, package: str, current: str | None) -> set[str]:
    """Dotted names of ``package``'s modules (or their attributes) imported in ``tree``.

    ``current`` is the dotted name of the package holding the code (for relative imports), or
    None for a notebook. ``from labkit import data`` gives ``labkit.data``; whether that is a
    module or an attribute of ``labkit`` is settled by :func:`_module_file`.
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


def _module_file(dotted: str, package_dir: Path) -> Path | None:
    """The source file of ``dotted`` (``labkit.clocks.draw``) under ``package_dir``, if any."""
    rel = Path(*dotted.split(".")[1:])
    for candidate in (package_dir / rel / "__init__.py", (package_dir / rel).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def labkit_sources(notebook: Path, package_dir: Path | None = None) -> list[Path]:
    """The labkit source files a chapter runs: the modules its code cells import, the modules
    those import (transitively, lazy imports inside functions included) and their packages'
    ``__init__.py`` files. This is what :func:`fingerprint` hashes, so editing a module a
    chapter does not use leaves the chapter's last run valid."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    package = package_dir.name
    nb = json.loads(Path(notebook).read_text())
    todo: set[str] = {package}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            tree = _parse(_source(cell))
            if tree is not None:
                todo |= _imported(tree, package, None)
    seen: dict[Path, str] = {}
    while todo:
        dotted = todo.pop()
        # an attribute (``labkit.project_root``) resolves to the longest module prefix
        parts = dotted.split(".")
        while parts and _module_file(".".join(parts), package_dir) is None:
            parts.pop()
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            name = ".".join(parts[:i])
            path = _module_file(name, package_dir)
            if path is None or path in seen:
                continue
            seen[path] = name
            current = name if path.name == "__init__.py" else name.rpartition(".")[0]
            tree = _parse(path.read_text())
            if tree is not None:
                todo |= _imported(tree, package, current) - set(seen.values())
    return sorted(seen)


def _own_profile_table(source: bytes, stem: str, profile: str) -> bytes:
    """``profiles.py``'s source with its ``_TABLES`` reduced to chapter ``stem``'s sizes under
    ``profile``, so adding or editing another chapter's sizes, or this chapter's sizes under
    another profile, leaves this run valid (the rest of the module, its functions, still
    counts). The source itself when it holds no literal ``_TABLES`` dict."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in tree.body:
        target = getattr(node, "target", None) or next(iter(getattr(node, "targets", [])), None)
        if getattr(target, "id", None) == "_TABLES" and isinstance(node.value, ast.Dict):
            try:
                tables = ast.literal_eval(node.value)
            except ValueError:
                return source
            lines = source.splitlines(keepends=True)  # ast's offsets count UTF-8 bytes
            value = node.value
            start = sum(map(len, lines[: value.lineno - 1])) + value.col_offset
            end = sum(map(len, lines[: value.end_lineno - 1])) + value.end_col_offset
            own = {stem: {profile: tables.get(stem, {}).get(profile)}}
            return source[:start] + repr(own).encode() + source[end:]
    return source


def fingerprint(
    notebook: Path,
    profile: str,
    seed: int,
    package_dir: Path | None = None,
    with_versions: bool = True,
) -> str:
    """A hash of what a run depends on: the notebook, profile, seed, the labkit modules the
    chapter imports (:func:`labkit_sources`; of ``profiles.py`` only this chapter's sizes under
    this profile) and, unless ``with_versions`` is false, the library versions and platform."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    h = hashlib.sha256()
    h.update(Path(notebook).read_bytes())
    h.update(f"\0{profile}\0{int(seed)}\0".encode())
    for py in labkit_sources(notebook, package_dir):
        source = py.read_bytes()
        if py == package_dir / "profiles.py":
            source = _own_profile_table(source, Path(notebook).stem, profile)
        h.update(py.relative_to(package_dir).as_posix().encode() + b"\0" + source)
    if with_versions:
        h.update(json.dumps(repro.versions(), sort_keys=True).encode())
    return h.hexdigest()


def sections(nb: dict) -> dict[int, str]:
    """Where a chapter's sections start: the index of the first code cell after each markdown
    heading (``#``, ``##`` or ``###``), mapped to the heading's text."""
    starts: dict[int, str] = {}
    heading = None
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith(("# ", "## ", "### ")):
                    heading = line.lstrip("#").strip()
        elif cell.get("cell_type") == "code" and heading is not None:
            starts[i], heading = heading, None
    return starts


def _clock(seconds: float) -> str:
    """``75.2`` -> ``1:15``; ``3725`` -> ``1:02:05``."""
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _SectionEngine:
    """papermill's nbclient engine that also calls ``progress`` with one line per section
    as its first cell starts (registered as the ``labkit`` engine on first use)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, progress=None, **kwargs):
        if progress is not None:
            starts, t0 = sections(nb_man.nb), time.perf_counter()
            code = [i for i, c in enumerate(nb_man.nb.cells) if c.cell_type == "code"]
            start = nb_man.cell_start

            def cell_start(cell, cell_index=None, **kw):
                if cell_index in starts:
                    done = sum(i < cell_index for i in code)
                    progress(
                        f"{_clock(time.perf_counter() - t0)} in, cell {done + 1}/{len(code)}: "
                        f"{starts[cell_index]}"
                    )
                return start(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
        return cls.base.execute_managed_notebook(nb_man, kernel_name, **kwargs)


@functools.cache
def _engine() -> str:
    """The name of :class:`_SectionEngine` in papermill's registry (registered once)."""
    from papermill.engines import NBClientEngine, papermill_engines

    engine = type("LabkitEngine", (_SectionEngine, NBClientEngine), {"base": NBClientEngine})
    papermill_engines.register("labkit", engine)
    return "labkit"


def _paths(notebook: Path, profile: str, reports: Path) -> tuple[Path, Path, Path]:
    out_dir = reports / profile
    logs = out_dir / "logs"
    return out_dir / notebook.name, logs / f"{notebook.stem}.log", logs / f"{notebook.stem}.done"


def is_done(notebook: Path, profile: str, seed: int = 0, reports: Path | None = None) -> bool:
    """True when ``notebook`` ran successfully with exactly these inputs and its outputs remain."""
    reports = metrics.reports_root(reports)
    notebook = Path(notebook)
    output, _, done = _paths(notebook, profile, reports)
    return (
        output.exists()
        and metrics.metrics_path(notebook.stem, profile, reports).exists()
        and done.exists()
        and _stamps(done)[0] == fingerprint(notebook, profile, seed)
    )


def _stamps(done: Path) -> list[str]:
    """The lines of a ``.done`` file: the run's fingerprint, then the same without the library
    versions (older files hold only the first)."""
    return done.read_text().split() or [""]


def code_is_current(
    notebook: Path, profile: str, seed: int = 0, reports: Path | None = None
) -> bool:
    """True when ``notebook``'s last successful run used the chapter's present notebook and
    labkit code, whatever the library versions or platform (another machine reading committed
    runs); :func:`is_done` also asks for the same versions."""
    reports = metrics.reports_root(reports)
    notebook = Path(notebook)
    _, _, done = _paths(notebook, profile, reports)
    if not done.exists():
        return False
    stamps = _stamps(done)
    if len(stamps) < 2:  # written before the code-only line existed
        return is_done(notebook, profile, seed, reports)
    return stamps[1] == fingerprint(notebook, profile, seed, with_versions=False)


def run_notebook(
    notebook: Path,
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    timeout: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Execute one notebook with papermill into ``<reports>/<profile>/<stem>.ipynb``.

    ``progress``, when given, gets a line as each section of the chapter starts (elapsed time,
    cell number, the section's heading)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    profiles.check_profile(profile)
    notebook = Path(notebook).resolve()
    reports = metrics.reports_root(reports)
    output, log, done = _paths(notebook, profile, reports)
    output.parent.mkdir(parents=True, exist_ok=True)
    done.unlink(missing_ok=True)
    stamp = fingerprint(notebook, profile, seed)
    code_stamp = fingerprint(notebook, profile, seed, with_versions=False)
    t0 = time.perf_counter()
    try:
        env = {**KERNEL_ENV, "LABKIT_REPORTS_DIR": str(reports.resolve())}
        with _environ(env), _stderr_to(log), _headless_kernel() as kernel:
            pm.execute_notebook(
                str(notebook),
                str(output),
                parameters={"profile": profile, "seed": int(seed)},
                kernel_name=kernel,
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                engine_name=_engine(),
                progress=progress,
            )
    except PapermillExecutionError as e:
        raise RunError(
            f"{notebook.stem} failed in cell {e.cell_index} "
            f"(execution count {e.exec_count}), which starts with: {_first_line(e.source)}\n"
            f"  {e.ename}: {e.evalue}\n"
            f"  the executed notebook, with the traceback, is in {output}; kernel log: {log}"
        ) from e
    except Exception as e:  # a dead kernel, a cell timeout, an unreadable notebook, ...
        raise RunError(
            f"{notebook.stem} stopped: {type(e).__name__}: {e}\n"
            f"  partial output: {output}; kernel log: {log}"
        ) from e
    done.write_text(f"{stamp}\n{code_stamp}\n")
    return RunResult(notebook.stem, output, time.perf_counter() - t0)


def run_all(
    names: Sequence[str],
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    echo: Callable[[str], None] = print,
    force: bool = False,
) -> list[RunResult]:
    """Run the chosen notebooks (all when ``names`` is empty) in order: a line as each chapter
    starts, an indented line as each of its sections starts, a line when it ends.

    Chapters unchanged since their last successful run are skipped unless ``force``; an
    interrupted chapter runs again from its start, its finished experiment runs and tuner
    trials read back from ``reports/<profile>/`` rather than trained again.
    """
    profiles.check_profile(profile)
    reports = metrics.reports_root(reports)
    paths = resolve(names)
    results = []
    for i, path in enumerate(paths, 1):
        prefix = f"[{i}/{len(paths)}] {path.stem} (profile={profile}, seed={seed})"
        output = _paths(path, profile, reports)[0]
        if not force and is_done(path, profile, seed, reports):
            echo(f"{prefix}: unchanged since its last run, skipped (--force reruns) -> {output}")
            results.append(RunResult(path.stem, output, 0.0, skipped=True))
            continue
        t0 = time.perf_counter()
        echo(f"{prefix}: running")
        try:
            res = run_notebook(path, profile, seed, reports, progress=lambda s: echo(f"    {s}"))
        except RunError:
            echo(f"{prefix}: FAILED after {time.perf_counter() - t0:.1f} s")
            raise
        echo(f"{prefix}: ok in {res.seconds:.1f} s -> {res.output}")
        results.append(res)
    return results
