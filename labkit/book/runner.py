"""Execute the chapters headless with papermill: ``python -m labkit run``.

Each notebook runs with its ``parameters`` cell set to ``profile`` and ``seed`` and is written,
executed, to ``reports/<profile>/<stem>.ipynb`` (also when it fails, for inspection). A failure
raises :class:`RunError` naming the notebook and the failing cell. A chapter whose code cells,
profile, seed, settings, library versions and labkit code
(:func:`labkit.book.fingerprint.fingerprint`) are unchanged since its last successful run is
skipped (``--force`` reruns it), its new markdown stitched into the executed copy
(:func:`restitch`); its stamp is kept in ``reports/<profile>/logs/``. The kernel is
:mod:`labkit.book.kernel`'s, the progress lines :mod:`labkit.book.progress`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import profiles, project_root, run_record
from . import kernel
from .compact import compact_file
from .fingerprint import fingerprint, read_stamp, stamp, write_stamp
from .progress import engine as progress_engine
from .progress import section_seconds


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


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


def _paths(notebook: Path, profile: str, reports: Path) -> tuple[Path, Path, Path]:
    out_dir = reports / profile
    logs = out_dir / "logs"
    return out_dir / notebook.name, logs / f"{notebook.stem}.log", logs / f"{notebook.stem}.done"


def is_done(notebook: Path, profile: str, seed: int = 0, reports: Path | None = None) -> bool:
    """True when ``notebook`` ran successfully with exactly these inputs and its outputs remain."""
    reports = run_record.reports_root(reports)
    notebook = Path(notebook)
    output, _, done = _paths(notebook, profile, reports)
    return (
        output.exists()
        and run_record.metrics_path(notebook.stem, profile, reports).exists()
        and done.exists()
        and read_stamp(done).get("fingerprint") == fingerprint(notebook, profile, seed)
    )


def code_is_current(
    notebook: Path, profile: str, seed: int = 0, reports: Path | None = None
) -> bool:
    """True when ``notebook``'s last successful run used the chapter's present code, settings
    and labkit code, whatever the library versions or platform (another machine reading
    committed runs); :func:`is_done` also asks for the same versions."""
    reports = run_record.reports_root(reports)
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
    before = [(c.cell_type, c.source) for c in executed.cells]
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
    if [(c.cell_type, c.source) for c in cells] == before:
        return False
    executed.cells = cells
    nbformat.write(executed, output)
    return True


def _record_sections(output: Path, record: Path) -> None:
    """Add the seconds of each section of the executed chapter (the runner's clock,
    :func:`labkit.book.progress.section_seconds`) to the chapter's record, if it wrote one."""
    import json

    import nbformat

    if not record.is_file():
        return
    data = json.loads(record.read_text())
    data["sections"] = section_seconds(nbformat.read(output, as_version=4))
    tmp = record.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(record)


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
    reports = run_record.reports_root(reports)
    output, log, done = _paths(notebook, profile, reports)
    output.parent.mkdir(parents=True, exist_ok=True)
    taken = stamp(notebook, profile, seed)  # first: the code and commit the run starts from
    done.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        env = {**kernel.KERNEL_ENV, "LABKIT_REPORTS_DIR": str(reports.resolve())}
        with kernel.environ(env), kernel.stderr_to(log), kernel.headless_kernel() as name:
            pm.execute_notebook(
                str(notebook),
                str(output),
                parameters={"profile": profile, "seed": int(seed)},
                kernel_name=name,
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                engine_name=progress_engine(),
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
    compact_file(output)  # one losslessly packed PNG per figure (labkit.book.compact)
    _record_sections(output, run_record.metrics_path(notebook.stem, profile, reports))
    seconds = time.perf_counter() - t0
    write_stamp(done, {**taken, "seconds": round(seconds, 1)})
    return RunResult(notebook.stem, output, seconds)


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
    reports = run_record.reports_root(reports)
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
