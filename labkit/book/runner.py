"""Execute the chapters headless with papermill: ``python -m labkit run``.

Each notebook runs with its ``parameters`` cell set to ``profile`` and ``seed``. A failure
raises :class:`RunError` naming the notebook and the failing cell.

**One run of a chapter at a time, and never half a run in place.** A run holds the chapter's
lock (:mod:`labkit.book.lock`; a second run is refused naming the holder, or waits with
``wait``). The executed notebook and the metrics record are written to
``reports/<profile>/partial/`` while the chapter runs (also when it fails, for inspection) and
moved to ``reports/<profile>/<stem>.ipynb`` and ``metrics/<stem>.json`` only when every cell
has run; the ``.done`` stamp is written last. A killed or failed run leaves the previous
complete run, if any, as it was, and never a half-run notebook beside a ``.done``.

A chapter whose code cells,
profile, seed, settings, library versions and labkit code
(:func:`labkit.book.fingerprint.fingerprint`) are unchanged since its last successful run is
skipped (``--force`` reruns it), its new markdown stitched into the executed copy
(:func:`restitch`); its stamp is kept in ``reports/<profile>/logs/``. The kernel is
:mod:`labkit.book.kernel`'s, the progress lines :mod:`labkit.book.progress`'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import files, profiles, project_root, run_record
from . import kernel
from .compact import compact_file
from .fingerprint import fingerprint, grade_id, is_exercise, read_stamp, stamp, write_stamp
from .lock import ChapterBusy, chapter_lock
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


#: Folders given through the environment: a relative one means "from where the command was
#: started", but the kernel runs in ``notebooks/``, so the runner passes them on absolute.
PATH_VARIABLES = ("LABKIT_DATA_DIR", "LABKIT_REPORTS_DIR")


def absolute_paths() -> None:
    """Make each of :data:`PATH_VARIABLES` that is set and relative absolute, from the current
    directory (where the command was started)."""
    for name in PATH_VARIABLES:
        value = os.environ.get(name)
        if value and not Path(value).is_absolute():
            os.environ[name] = str(Path(value).resolve())


def check_notebook(path: Path) -> None:
    """Raise :class:`RunError` naming ``path`` unless it reads as a notebook."""
    import nbformat

    try:
        nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001  OSError, NotJSONError, a schema's ValidationError
        raise RunError(
            f"{path} is not a readable notebook ({type(e).__name__}: {str(e)[:200]}); restore "
            f"it (`git checkout -- {path.name}` in notebooks/) or fix its JSON"
        ) from None


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


def _paths(notebook: Path, profile: str, reports: Path) -> tuple[Path, Path, Path]:
    out_dir = reports / profile
    logs = out_dir / "logs"
    return out_dir / notebook.name, logs / f"{notebook.stem}.log", logs / f"{notebook.stem}.done"


def staging_dir(profile: str, reports: Path | None = None) -> Path:
    """Where a running chapter's executed notebook and record are written until it ends."""
    return run_record.reports_dir(profile, reports) / "partial"


def why_not_done(
    notebook: Path, profile: str, seed: int = 0, reports: Path | None = None
) -> str | None:
    """None when ``notebook`` ran successfully with exactly these inputs and its outputs remain
    whole; otherwise why it must run (again): never run, changed, or an executed notebook or
    record beside its ``.done`` that is missing or unreadable (a file damaged after the run)."""
    import nbformat

    reports = run_record.reports_root(reports)
    notebook = Path(notebook)
    output, _, done = _paths(notebook, profile, reports)
    record = run_record.metrics_path(notebook.stem, profile, reports)
    if not done.exists():
        return "no finished run"
    if read_stamp(done).get("fingerprint") != fingerprint(notebook, profile, seed):
        return "changed since its last run"
    for path, what in ((output, "executed notebook"), (record, "metrics record")):
        if not path.exists():
            return f"its {what} {path} is missing"
    try:
        nbformat.read(output, as_version=4)
        json.loads(record.read_text())
    except Exception as e:  # noqa: BLE001  OSError, NotJSONError, a schema's ValidationError
        return f"a file of its last run is unreadable ({type(e).__name__}: {str(e)[:120]})"
    return None


def output_digest(output: Path) -> str:
    """The digest of an executed notebook as its run (or :func:`restitch`) left it, kept in its
    ``.done``: a notebook saved afterwards (from JupyterLab, by hand) no longer matches. Content,
    not modification times, which a ``git pull`` or a copy changes."""
    import hashlib

    return hashlib.sha256(output.read_bytes()).hexdigest()[:16]


def edited_after_its_run(output: Path, done: Path) -> bool:
    """True when the executed notebook ``output`` differs from what its run left (its ``.done``
    records the digest; stamps from before that record say nothing: False)."""
    recorded = read_stamp(done).get("output") if done.exists() else None
    return bool(recorded) and output.exists() and output_digest(output) != recorded


def is_done(notebook: Path, profile: str, seed: int = 0, reports: Path | None = None) -> bool:
    """True when ``notebook`` ran successfully with exactly these inputs and its outputs remain
    whole (:func:`why_not_done`)."""
    return why_not_done(notebook, profile, seed, reports) is None


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
    ``output`` was rewritten. The code cells must match one to one (the fingerprint says so).
    Exercise cells, which the fingerprint leaves out, are carried as the source has them: with
    the run's outputs when the run had the same exercise cell, without outputs when it did not
    (an exercise added after the run)."""
    import nbformat

    source = nbformat.read(notebook, as_version=4)
    executed = nbformat.read(output, as_version=4)
    before = [(c.cell_type, c.source) for c in executed.cells]
    injected = [c for c in executed.cells if _INJECTED in c.metadata.get("tags", [])]
    ran = [
        c
        for c in executed.cells
        if c.cell_type == "code" and c not in injected and not is_exercise(c)
    ]
    exercises = {grade_id(c): c for c in executed.cells if is_exercise(c)}
    if len(ran) != sum(c.cell_type == "code" and not is_exercise(c) for c in source.cells):
        return False
    cells, queue = [], iter(ran)
    for cell in source.cells:
        if is_exercise(cell):  # not in the fingerprint: as the run left it, or not run yet
            done = exercises.get(grade_id(cell))
            if done is not None and done.cell_type == cell.cell_type:
                done.source = cell.source
                cell = done
            cells.append(cell)
        elif cell.cell_type == "code":
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
    files.write_text(record, json.dumps(data, indent=2) + "\n")


def run_notebook(
    notebook: Path,
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    timeout: int | None = None,
    progress: Callable[[str], None] | None = None,
    wait: bool = False,
) -> RunResult:
    """Execute one notebook with papermill into ``<reports>/<profile>/<stem>.ipynb``, holding
    the chapter's lock (another run holding it: :class:`ChapterBusy`, or with ``wait`` wait for
    it) and moving the executed notebook and record into place only when every cell has run.

    ``progress``, when given, gets a line as each section of the chapter starts (elapsed time,
    cell number, the section's heading)."""
    profiles.check_profile(profile)
    notebook = Path(notebook).resolve()
    check_notebook(notebook)
    absolute_paths()
    reports = run_record.reports_root(reports).resolve()
    echo = progress or print
    with chapter_lock(notebook.stem, profile, reports, wait=wait, echo=echo):
        return _run_locked(notebook, profile, seed, reports, timeout, progress)


def _run_locked(
    notebook: Path,
    profile: str,
    seed: int,
    reports: Path,
    timeout: int | None,
    progress: Callable[[str], None] | None,
) -> RunResult:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output, log, done = _paths(notebook, profile, reports)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(profile, reports)
    staged = staging / notebook.name
    staged_record = staging / "metrics" / f"{notebook.stem}.json"
    for path in (staged, staged_record):
        path.unlink(missing_ok=True)
    staging.mkdir(parents=True, exist_ok=True)
    taken = stamp(notebook, profile, seed)  # first: the code and commit the run starts from
    t0 = time.perf_counter()
    try:
        env = {
            **kernel.KERNEL_ENV,
            "LABKIT_REPORTS_DIR": str(reports.resolve()),
            run_record.STAGING_ENV: str(staging.resolve()),  # the record goes there first
        }
        with kernel.environ(env), kernel.stderr_to(log), kernel.headless_kernel() as name:
            pm.execute_notebook(
                str(notebook),
                str(staged),
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
            f"  the executed notebook, with the traceback, is in {staged}; kernel log: {log}"
            f"{_kept(output, done)}"
        ) from e
    except Exception as e:  # a dead kernel, a cell timeout, an unreadable notebook, ...
        raise RunError(
            f"{notebook.stem} stopped: {type(e).__name__}: {e}\n"
            f"  partial output: {staged}; kernel log: {log}{_kept(output, done)}"
        ) from e
    compact_file(staged)  # one losslessly packed PNG per figure (labkit.book.compact)
    _record_sections(staged, staged_record)
    seconds = time.perf_counter() - t0
    # into place: the stamp goes first and comes back last, so a kill in between leaves no
    # .done beside a mix of two runs
    done.unlink(missing_ok=True)
    record = run_record.metrics_path(notebook.stem, profile, reports)
    if staged_record.is_file():
        record.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged_record, record)
    os.replace(staged, output)
    write_stamp(done, {**taken, "seconds": round(seconds, 1), "output": output_digest(output)})
    for folder in (staged_record.parent, staging):  # left empty: nothing half-run to show
        with contextlib.suppress(OSError):
            folder.rmdir()
    return RunResult(notebook.stem, output, seconds)


def _kept(output: Path, done: Path) -> str:
    """The note of a failed run on what it left in place."""
    if output.exists() and done.exists():
        return f"\n  the last complete run is kept as it was: {output}"
    return ""


def run_all(
    names: Sequence[str],
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    echo: Callable[[str], None] = print,
    force: bool = False,
    wait: bool = False,
) -> list[RunResult]:
    """Run the chosen notebooks (all when ``names`` is empty) in order: a line as each chapter
    starts, an indented line as each of its sections starts, a line when it ends.

    Chapters unchanged since their last successful run are skipped unless ``force``; an
    interrupted chapter runs again from its start, its finished experiment runs and tuner
    trials read back from ``reports/<profile>/`` rather than trained again.
    """
    profiles.check_profile(profile)
    absolute_paths()
    reports = run_record.reports_root(reports)
    paths = resolve(names)
    results = []
    for i, path in enumerate(paths, 1):
        prefix = f"[{i}/{len(paths)}] {path.stem} (profile={profile}, seed={seed})"
        output = _paths(path, profile, reports)[0]
        check_notebook(path)
        why = why_not_done(path, profile, seed, reports)
        if not force and why is None:
            note = ""
            if restitch(path, output):
                note = ", its new markdown stitched in"
                done = _paths(path, profile, reports)[2]
                write_stamp(done, {**read_stamp(done), "output": output_digest(output)})
            echo(f"{prefix}: unchanged, skipped{note} (--force reruns) -> {output}")
            results.append(RunResult(path.stem, output, 0.0, skipped=True))
            continue
        t0 = time.perf_counter()
        echo(f"{prefix}: running" + (f" ({why})" if why and why != "no finished run" else ""))
        try:
            res = run_notebook(
                path, profile, seed, reports, progress=lambda s: echo(f"    {s}"), wait=wait
            )
        except ChapterBusy:
            echo(f"{prefix}: not run, another run holds it")
            raise
        except RunError:
            echo(f"{prefix}: FAILED after {time.perf_counter() - t0:.1f} s")
            raise
        echo(f"{prefix}: ok in {res.seconds:.1f} s -> {res.output}")
        results.append(res)
    return results
