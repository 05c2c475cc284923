"""The student edition: the chapters with their exercises' solutions removed and the checks
kept, written by nbgrader's ``generate_assignment`` (``python -m labkit student``).

nbgrader reads the exercise cells' metadata (:mod:`labkit.exercises`): a solution cell's
``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes a stub, a written answer becomes
"YOUR ANSWER HERE", and task and check cells are locked (JupyterLab will not let a student
edit or delete them). The stub is ``...`` rather than nbgrader's default ``raise
NotImplementedError()``: an answer left unset then reads as "not done yet" in its check and
the chapter still runs to its end, in JupyterLab and under papermill alike.

The output folder holds ``handout/`` (the notebooks to give students, and a README on running
the checks) and ``course/``, nbgrader's course folder (``source/``, ``release/`` and
``gradebook.db``) for a teacher who grades with nbgrader itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import files, project_root
from ..book import fingerprint

__all__ = ["ASSIGNMENT", "CODE_STUB", "build", "default_dir", "put_back_solutions"]

#: nbgrader's name for the workbook (one assignment, one notebook per chapter).
ASSIGNMENT = "workbook"
#: What replaces a solution block in the student edition.
CODE_STUB = "# YOUR CODE HERE\n..."

_CONFIG = """\
# nbgrader's configuration for the workbook's student edition (written by `labkit student`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "labkit-workbook"
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
"""

_README = """\
# The workbook, student edition

Open the chapters in JupyterLab (`make lab` in the workbook's checkout, or `jupyter lab` in
this folder with the workbook's `labkit` package installed) and run them top to bottom.

Each chapter has exercises after the sections they practise. An exercise has a task (with a
prediction to make before you run anything), a cell for your code marked `# YOUR CODE HERE`,
and a locked check cell. Run the check after your code: it says what is right and what is not,
case by case, and runs hidden cases drawn afresh each time, so an answer that only fits the
visible cases fails. A check never stops the notebook: "not done yet" means the cell above it
is still the stub.

Written answers ("YOUR ANSWER HERE") are read by your teacher. Hand back the notebooks as they
are; your teacher runs them again with `python -m labkit grade`.
"""


def default_dir() -> Path:
    """Where ``labkit student`` writes by default: ``reports/student/`` (not in git)."""
    return project_root() / "reports" / "student"


def _nbgrader(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run nbgrader's command line with this Python (its migrations call ``alembic`` by name,
    so the environment's ``bin`` goes first on the PATH)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def build(notebooks: Sequence[Path], out: Path | None = None) -> Path:
    """Write the student edition of ``notebooks`` (the instructor edition: the chapters as
    committed) to ``out`` (default :func:`default_dir`) and return its ``handout`` folder.
    A notebook without exercises is handed out as it is. Raises ``RuntimeError`` with
    nbgrader's own message when it refuses a notebook."""
    if importlib.util.find_spec("nbgrader") is None:
        raise RuntimeError(
            "the student edition is written by nbgrader, which is not installed here: "
            "`make setup` installs it (the dev extra), or pip install 'nbgrader>=0.9.5,<0.10'"
        )
    out = Path(out or default_dir()).resolve()
    course = out / "course"
    shutil.rmtree(course, ignore_errors=True)
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy2(nb, source / Path(nb).name)
    files.write_text(course / "nbgrader_config.py", _CONFIG.format(stub=CODE_STUB))
    done = _nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course)
    release = course / "release" / ASSIGNMENT
    if done.returncode != 0 or not release.is_dir():
        lines = [ln for ln in done.stderr.splitlines() if "ERROR" in ln or "Error" in ln]
        raise RuntimeError(
            "nbgrader generate_assignment failed for the student edition:\n  "
            + "\n  ".join(lines[-8:] or done.stderr.splitlines()[-8:])
            + f"\n  (nbgrader's course folder: {course})"
        )
    handout = out / "handout"
    staged = out / "handout.partial"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(release, staged)
    files.write_text(staged / "README.md", _README)
    shutil.rmtree(handout, ignore_errors=True)
    staged.rename(handout)  # whole or not at all
    return handout


def put_back_solutions(student: Path, instructor: Path, into: Path) -> Path:
    """The student notebook ``student`` with every solution cell replaced by the instructor
    edition's (matched by nbgrader's ``grade_id``), written to ``into``: the test that a
    student who writes the solutions passes every check."""
    nb = json.loads(Path(student).read_text())
    solved = {
        fingerprint.grade_id(c): c
        for c in json.loads(Path(instructor).read_text())["cells"]
        if fingerprint.is_exercise(c) and c["metadata"]["nbgrader"].get("solution")
    }
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id") in solved:
            nb["cells"][i] = {**cell, "source": solved[meta["grade_id"]]["source"]}
    files.write_text(into, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return Path(into)
