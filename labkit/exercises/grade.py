"""Grading a folder of returned notebooks: ``python -m labkit grade FOLDER``.

Each returned chapter (``FOLDER/<student>/NN_*.ipynb``, or ``FOLDER/NN_*.ipynb`` for one
student) has its locked cells (tasks, checks, runs) put back from the instructor edition by
nbgrader's ``grade_id``, so an edited check counts for nothing, and is then run from top to
bottom at a profile (``smoke`` by default: every check runs in minutes) in a fresh kernel, a
cell's error not stopping the rest, on a copy of this machine's runs at that profile (so
finished fits are read back and a student's run never overwrites the teacher's records; a
student's chapter 02 reads that student's chapter 01, graded just before it). The checks'
records (:data:`~labkit.exercises.feedback.MIME`) are read from the executed notebook into one
row per student and exercise; the written answers are gathered for the teacher to read.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import files, profiles, run_record
from ..book import fingerprint, kernel, runner
from .feedback import MIME, NOT_DONE, PASSED

__all__ = ["Row", "expected", "grade_folder", "lock_from", "records", "summary"]

NOT_RUN = "not run"


@dataclass(frozen=True)
class Row:
    """One exercise of one student's notebook: its ``status`` (a check's, or ``not run`` when
    an error kept the check from running) and the hidden cases right of how many."""

    student: str
    chapter: str
    exercise: str
    status: str
    hidden_right: int | None = None
    hidden_total: int | None = None


def lock_from(returned: dict, instructor: dict) -> dict:
    """``returned`` with every locked exercise cell (task, check, run) as the instructor
    edition has it, matched by ``grade_id``. When the student deleted a locked cell, the
    notebook is rebuilt as the instructor's with the student's exercise cells in their places
    (the chapter's own cells then come from the instructor edition)."""
    locked = {
        fingerprint.grade_id(c): c
        for c in instructor["cells"]
        if fingerprint.is_exercise(c) and c["metadata"]["nbgrader"].get("locked")
    }
    mine = {
        fingerprint.grade_id(c): i
        for i, c in enumerate(returned["cells"])
        if fingerprint.is_exercise(c)
    }
    cells = list(returned["cells"])
    for gid, cell in locked.items():
        if gid in mine:
            cells[mine[gid]] = {**cells[mine[gid]], "source": cell["source"]}
    missing = [gid for gid in locked if gid not in mine]
    if missing:  # the instructor's notebook, with the student's exercise cells in it
        by_id = {fingerprint.grade_id(c): c for c in cells}
        cells = [
            by_id.get(fingerprint.grade_id(c), c) if fingerprint.is_exercise(c) else c
            for c in instructor["cells"]
        ]
    return {**returned, "cells": cells}


def records(executed: dict) -> dict[str, dict]:
    """The check records in an executed notebook, by exercise id."""
    out = {}
    for cell in executed["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(MIME)
            if isinstance(record, dict) and "exercise" in record:
                out[record["exercise"]] = record
    return out


def expected(instructor: dict) -> list[str]:
    """The exercise ids a chapter's checks report, in order (``ex03-2-check`` -> ``03.2``)."""
    ids = []
    for cell in instructor["cells"]:
        gid = fingerprint.grade_id(cell)
        if gid.endswith("-check"):
            prefix, n, _ = gid.split("-")
            ids.append(f"{prefix.removeprefix('ex')}.{n}")
    return ids


def _answers(executed: dict) -> list[str]:
    """The student's written answers (markdown solution cells), as text."""
    return [
        fingerprint.cell_source(c)
        for c in executed["cells"]
        if c["cell_type"] == "markdown" and (c["metadata"].get("nbgrader") or {}).get("solution")
    ]


def _execute(notebook: Path, output: Path, profile: str, reports: Path) -> None:
    """Run ``notebook`` at ``profile`` into ``output`` in the workbook's headless kernel, with
    ``reports`` as its reports folder, every cell run even after an error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    env = {**kernel.KERNEL_ENV, "LABKIT_REPORTS_DIR": str(reports)}
    with kernel.environ(env), kernel.headless_kernel() as name:
        try:
            pm.execute_notebook(
                str(notebook), str(output), parameters={"profile": profile, "seed": 0},
                kernel_name=name, cwd=str(runner.notebooks_dir()), progress_bar=False,
                allow_errors=True,
            )  # fmt: skip
        except PapermillExecutionError:
            pass  # the executed notebook is written, errors and all; its records say the rest


def grade_folder(folder: Path, profile: str = "smoke", out: Path | None = None) -> list[Row]:
    """Grade every returned chapter under ``folder`` (see the module's docstring); write
    ``grades.csv`` and ``answers.md`` to ``out`` (default: ``folder``) and return the rows."""
    profiles.check_profile(profile)
    folder = Path(folder)
    out = Path(out or folder)
    returned = sorted(
        p
        for p in folder.rglob("[0-9][0-9]_*.ipynb")
        if not {".ipynb_checkpoints", "graded"} & set(p.relative_to(folder).parts)
    )
    if not returned:
        raise FileNotFoundError(
            f"no returned chapters (NN_*.ipynb) under {folder}: put each student's notebooks "
            "in a folder of their own inside it"
        )
    rows, answers = [], []
    with tempfile.TemporaryDirectory(prefix="labkit-grade-") as tmp:
        # the students' runs write their records and stores into a copy of this machine's
        # runs at the profile (read back where the code is the same), never into the runs
        reports = Path(tmp) / "reports"
        own = run_record.reports_dir(profile)
        if own.is_dir():
            shutil.copytree(own, reports / profile, ignore=shutil.ignore_patterns("partial"))
        for n, path in enumerate(returned):
            student = str(path.parent.relative_to(folder)) if path.parent != folder else "-"
            source = runner.notebooks_dir() / path.name
            if not source.is_file():
                raise FileNotFoundError(f"{path}: no chapter of that name in {source.parent}")
            instructor = json.loads(source.read_text())
            restored = Path(tmp) / f"{n:03d}-{path.name}"
            files.write_text(
                restored, json.dumps(lock_from(json.loads(path.read_text()), instructor))
            )
            executed = restored.with_suffix(".out.ipynb")
            _execute(restored, executed, profile, reports)
            nb = json.loads(executed.read_text()) if executed.is_file() else {"cells": []}
            found = records(nb)
            for ex in expected(instructor):
                r = found.get(ex)
                hidden = (r or {}).get("hidden") or [None, None]
                rows.append(Row(student, path.stem, ex, r["status"] if r else NOT_RUN, *hidden))
            answers += [f"## {student} · {path.stem}\n\n" + "\n\n---\n\n".join(_answers(nb))]
            graded = out / "graded" / student / path.name
            graded.parent.mkdir(parents=True, exist_ok=True)
            files.write_text(graded, executed.read_text() if executed.is_file() else "{}")
    out.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(out / "grades.csv") as tmp_csv, open(tmp_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["student", "chapter", "exercise", "status", "hidden_right", "hidden_total"]
        )
        writer.writerows(
            [r.student, r.chapter, r.exercise, r.status, r.hidden_right, r.hidden_total]
            for r in rows
        )
    files.write_text(out / "answers.md", "# Written answers\n\n" + "\n\n".join(answers) + "\n")
    return rows


def summary(rows: list[Row]) -> str:
    """One line per student: checks passed of how many, and those not done or not run."""
    by: dict[str, list[Row]] = {}
    for r in rows:
        by.setdefault(r.student, []).append(r)
    lines = []
    for student, mine in by.items():
        passed = sum(r.status == PASSED for r in mine)
        todo = sum(r.status in (NOT_DONE, NOT_RUN) for r in mine)
        lines.append(
            f"{student}: {passed} of {len(mine)} checks passed ({todo} not done or not run)"
        )
    return "\n".join(lines)
