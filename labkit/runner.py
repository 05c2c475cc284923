"""Execute the chapters headless with papermill: ``python -m labkit run``.

Each notebook runs with its ``parameters`` cell set to ``profile`` and ``seed`` and is written,
executed, to ``reports/<profile>/<stem>.ipynb`` (also when it fails, for inspection). A failure
raises :class:`RunError` naming the notebook and the failing cell.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import profiles, project_root

KERNEL_NAME = "labkit"


class RunError(RuntimeError):
    """A notebook could not be found or failed while executing."""


@dataclass
class RunResult:
    """What one executed notebook produced."""

    stem: str
    output: Path
    seconds: float


def notebooks_dir() -> Path:
    """The workbook's ``notebooks/`` folder."""
    return project_root() / "notebooks"


def discover(folder: Path | None = None) -> list[Path]:
    """Every chapter notebook (``NN_*.ipynb``) in ``folder``, in chapter order."""
    folder = folder or notebooks_dir()
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def resolve(names: Sequence[str], folder: Path | None = None) -> list[Path]:
    """Turn paths or stems (``00_data_tour``) into notebook paths; none means all, in order."""
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
        else:
            allowed = ", ".join(by_stem) or "(none found)"
            raise RunError(f"unknown notebook {name!r}; available: {allowed}")
    return chosen


def kernel_name() -> str:
    """The workbook's kernel if it runs this interpreter, else the interpreter's own kernel."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return "python3"
    argv0 = Path(spec.argv[0]) if spec.argv else None
    if argv0 and argv0.exists() and argv0.resolve() == Path(sys.executable).resolve():
        return KERNEL_NAME
    return "python3"


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


def run_notebook(
    notebook: Path,
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    timeout: int | None = None,
) -> RunResult:
    """Execute one notebook with papermill into ``<reports>/<profile>/<stem>.ipynb``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    profiles.check_profile(profile)
    notebook = Path(notebook).resolve()
    reports = Path(reports) if reports else project_root() / "reports"
    out_dir = reports / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / notebook.name
    env_before = {k: os.environ.get(k) for k in ("LABKIT_HEADLESS", "LABKIT_REPORTS_DIR")}
    os.environ["LABKIT_HEADLESS"] = "1"
    os.environ["LABKIT_REPORTS_DIR"] = str(reports.resolve())
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters={"profile": profile, "seed": int(seed)},
            kernel_name=kernel_name(),
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as e:
        raise RunError(
            f"{notebook.stem} failed in cell {e.cell_index} "
            f"(execution count {e.exec_count}), which starts with: {_first_line(e.source)}\n"
            f"  {e.ename}: {e.evalue}\n"
            f"  the executed notebook, with the traceback, is in {output}"
        ) from e
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return RunResult(notebook.stem, output, time.perf_counter() - t0)


def run_all(
    names: Sequence[str],
    profile: str,
    seed: int = 0,
    reports: Path | None = None,
    echo: Callable[[str], None] = print,
) -> list[RunResult]:
    """Run the chosen notebooks (all when ``names`` is empty) in order, one progress line each."""
    profiles.check_profile(profile)
    paths = resolve(names)
    results = []
    for i, path in enumerate(paths, 1):
        prefix = f"[{i}/{len(paths)}] {path.stem} (profile={profile}, seed={seed})"
        t0 = time.perf_counter()
        try:
            res = run_notebook(path, profile, seed, reports)
        except RunError:
            echo(f"{prefix}: FAILED after {time.perf_counter() - t0:.1f} s")
            raise
        echo(f"{prefix}: ok in {res.seconds:.1f} s -> {res.output}")
        results.append(res)
    return results
