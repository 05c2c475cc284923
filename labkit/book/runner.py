"""Execute the chapters headless with papermill: ``python -m labkit run``.

Each notebook runs with its ``parameters`` cell set to ``profile`` and ``seed`` and is written,
executed, to ``reports/<profile>/<stem>.ipynb`` (also when it fails, for inspection). A failure
raises :class:`RunError` naming the notebook and the failing cell. A chapter whose notebook,
profile, seed, library versions and the labkit modules it imports (:func:`labkit_sources`) are
unchanged since its last successful run is skipped (``--force`` reruns it); its fingerprint is
kept in ``reports/<profile>/logs/``.
"""

from __future__ import annotations

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

from .. import metrics, profiles, project_root, repro, store

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


def labkit_sources(notebook: Path, package_dir: Path | None = None) -> list[Path]:
    """The labkit source files a chapter runs: the modules its code cells import and those they
    import, transitively (:func:`labkit.store.sources`). Their code is part of the chapter's
    :func:`fingerprint`, so editing a module a chapter does not use leaves its last run valid.
    The profile tables are not among them (:mod:`labkit.profiles` imports a chapter's table by
    name): the settings the chapter receives count instead."""
    nb = json.loads(Path(notebook).read_text())
    names = {"labkit"}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            names |= store.imported_by(_source(cell))
    return store.sources(names, package_dir)


def chapter_code(nb: dict) -> str:
    """What a notebook runs: its code cells' syntax trees (no comments, no layout) and their
    magic and shell lines, in order. Markdown is not part of it."""
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        try:
            parts.append(store.code_dump(source))
        except SyntaxError:
            parts.append(source)
        magics = [ln.strip() for ln in source.splitlines() if ln.lstrip().startswith(("%", "!"))]
        parts.append("\n".join(magics))
    return "\0".join(parts)


def settings(stem: str, profile: str) -> dict | None:
    """The settings chapter ``stem`` receives under ``profile`` (None: it has no table)."""
    if stem not in profiles.chapters():
        return None
    return dict(profiles.get(stem, profile))


def fingerprint(
    notebook: Path,
    profile: str,
    seed: int,
    package_dir: Path | None = None,
    with_versions: bool = True,
) -> str:
    """A hash of what a run depends on: the notebook's code cells (:func:`chapter_code`), the
    profile, seed and settings the chapter receives (:func:`settings`), the code of the labkit
    modules it runs (:func:`labkit_sources`) and, unless ``with_versions`` is false, the library
    versions and platform. Markdown, comments and docstrings do not count."""
    notebook = Path(notebook)
    nb = json.loads(notebook.read_text())
    h = hashlib.sha256(chapter_code(nb).encode())
    spec = {"profile": profile, "seed": int(seed), "settings": settings(notebook.stem, profile)}
    h.update(json.dumps(spec, sort_keys=True, default=str).encode())
    h.update(store.files_digest(labkit_sources(notebook, package_dir), package_dir).encode())
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


def _commit() -> str:
    """The checkout's commit (``+dirty`` when files differ from it), or ``unknown``."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty", "--abbrev=40"],
            cwd=project_root(), capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def read_stamp(done: Path) -> dict[str, str]:
    """A ``.done`` file: the run's ``fingerprint``, the same without library versions (``code``),
    the ``commit`` and ``python`` it was made with. Files from before this format hold the two
    fingerprints as lines."""
    text = done.read_text()
    try:
        stamp = json.loads(text)
    except json.JSONDecodeError:
        lines = text.split()
        stamp = {
            "fingerprint": lines[0] if lines else "",
            "code": lines[1] if len(lines) > 1 else "",
        }
    return {k: str(v) for k, v in stamp.items()} if isinstance(stamp, dict) else {}


def write_stamp(done: Path, notebook: Path, profile: str, seed: int) -> None:
    """Mark a run finished: its fingerprints (:func:`fingerprint`), commit and Python."""
    stamp = {
        "fingerprint": fingerprint(notebook, profile, seed),
        "code": fingerprint(notebook, profile, seed, with_versions=False),
        "commit": _commit(),
        "python": store.PYTHON,
    }
    done.write_text(json.dumps(stamp, indent=1) + "\n")


def is_done(notebook: Path, profile: str, seed: int = 0, reports: Path | None = None) -> bool:
    """True when ``notebook`` ran successfully with exactly these inputs and its outputs remain."""
    reports = metrics.reports_root(reports)
    notebook = Path(notebook)
    output, _, done = _paths(notebook, profile, reports)
    return (
        output.exists()
        and metrics.metrics_path(notebook.stem, profile, reports).exists()
        and done.exists()
        and read_stamp(done).get("fingerprint") == fingerprint(notebook, profile, seed)
    )


def code_is_current(
    notebook: Path, profile: str, seed: int = 0, reports: Path | None = None
) -> bool:
    """True when ``notebook``'s last successful run used the chapter's present code, settings
    and labkit code, whatever the library versions or platform (another machine reading
    committed runs); :func:`is_done` also asks for the same versions."""
    reports = metrics.reports_root(reports)
    notebook = Path(notebook)
    _, _, done = _paths(notebook, profile, reports)
    if not done.exists():
        return False
    return read_stamp(done).get("code") == fingerprint(notebook, profile, seed, with_versions=False)


_INJECTED = "injected-parameters"


def restitch(notebook: Path, output: Path) -> bool:
    """Carry the notebook's markdown (and its code cells' comments) into its executed copy
    ``output``, keeping every output, when only those changed since the run; True when
    ``output`` was rewritten. The code cells must match one to one (the fingerprint says so)."""
    import nbformat

    source = nbformat.read(notebook, as_version=4)
    executed = nbformat.read(output, as_version=4)
    injected = [c for c in executed.cells if _INJECTED in c.metadata.get("tags", [])]
    ran = [c for c in executed.cells if c.cell_type == "code" and c not in injected]
    if len(ran) != sum(c.cell_type == "code" for c in source.cells):
        return False
    cells, queue = [], iter(ran)
    for cell in source.cells:
        if cell.cell_type == "code":
            done = next(queue)
            done.source = cell.source
            cells.append(done)
            if "parameters" in cell.metadata.get("tags", []):
                cells += injected
        else:
            cells.append(cell)
    if [(c.cell_type, c.source) for c in cells] == [
        (c.cell_type, c.source) for c in executed.cells
    ]:
        return False
    executed.cells = cells
    nbformat.write(executed, output)
    return True


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
    write_stamp(done, notebook, profile, seed)
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
            note = ", its new markdown stitched in" if restitch(path, output) else ""
            echo(f"{prefix}: unchanged, skipped{note} (--force reruns) -> {output}")
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
