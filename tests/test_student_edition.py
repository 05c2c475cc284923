"""Both editions at smoke: the instructor edition (the chapters as committed) passes every
check; the student edition, written by nbgrader, runs to its end with every check "not done
yet" and the chapter's results unchanged; a student edition with the solutions put back
passes; and the grader reads it all back."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from labkit.book import runner
from labkit.exercises import edition, grade
from labkit.exercises.feedback import NOT_DONE, PASSED

CHAPTERS = runner.discover()
#: Record fields that measure or place the run, not its results (a chapter whose fits were read
#: back from the stores counts them in ``results_read_back``; clocks come from the image cache).
VOLATILE = {"sections", "created", "commit", "machine", "versions", "python", "started",
            "finished", "results_read_back"}  # fmt: skip


def results(record: object) -> object:
    """A metrics record without the fields that time or place the run."""
    if isinstance(record, dict):
        return {
            k: results(v)
            for k, v in record.items()
            if k not in VOLATILE
            and "seconds" not in k
            and not (k == "source" and v in ("generated", "cache"))
        }
    if isinstance(record, list):
        return [results(v) for v in record]
    return record


@pytest.fixture(scope="session")
def handout(tmp_path_factory) -> Path:
    """The student edition of every chapter, as `make student` writes it."""
    return edition.build(CHAPTERS, tmp_path_factory.mktemp("student"))


@pytest.fixture(scope="session")
def student_runs(smoke_runs, handout, tmp_path_factory, data_root) -> Path:
    """Every chapter of the student edition run at smoke on a copy of the smoke runs' reports
    (finished fits are read back, as on a student's machine after the chapter's first run)."""
    reports = tmp_path_factory.mktemp("student-runs") / "reports"
    shutil.copytree(smoke_runs.reports, reports)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_DATA_DIR", str(data_root))
        for path in CHAPTERS:
            smoke_runs.require(path.stem)
            runner.run_notebook(handout / path.name, "smoke", seed=0, reports=reports)
    return reports


def test_the_student_edition_is_written_by_nbgrader(handout):
    assert sorted(p.name for p in handout.glob("*.ipynb")) == [p.name for p in CHAPTERS]
    assert (handout / "README.md").is_file()
    assert (handout.parent / "course" / "gradebook.db").is_file()
    for path in CHAPTERS:
        mine = json.loads((handout / path.name).read_text())
        for cell in mine["cells"]:
            meta = cell["metadata"].get("nbgrader") or {}
            text = "".join(cell["source"])
            assert "BEGIN SOLUTION" not in text
            if meta.get("solution") and cell["cell_type"] == "code":
                assert "# YOUR CODE HERE\n" in text
            if meta.get("locked"):
                assert cell["metadata"].get("editable") is False
        params = [c for c in mine["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1  # papermill can still set the profile


@pytest.mark.slow
def test_the_instructor_edition_passes_every_check(smoke_runs):
    for path in CHAPTERS:
        found = grade.records(json.loads(smoke_runs.require(path.stem).read_text()))
        assert sorted(found) == sorted(grade.expected(json.loads(path.read_text())))
        failing = {ex: r["lines"] for ex, r in found.items() if r["status"] != PASSED}
        assert not failing, f"{path.stem}: {failing}"


@pytest.mark.slow
def test_the_student_edition_runs_to_the_end_with_every_check_not_done(smoke_runs, student_runs):
    for path in CHAPTERS:
        executed = json.loads((student_runs / "smoke" / path.name).read_text())
        found = grade.records(executed)
        assert sorted(found) == sorted(grade.expected(json.loads(path.read_text())))
        assert {r["status"] for r in found.values()} == {NOT_DONE}, path.stem
        # the exercises changed nothing the chapter computed
        mine = json.loads((student_runs / "smoke" / "metrics" / f"{path.stem}.json").read_text())
        theirs = json.loads(
            (smoke_runs.reports / "smoke" / "metrics" / f"{path.stem}.json").read_text()
        )
        assert results(mine) == results(theirs), path.stem


@pytest.mark.slow
def test_solutions_put_back_pass_and_the_grader_says_so(smoke_runs, handout, tmp_path, data_root,
                                                         monkeypatch):  # fmt: skip
    """Two students hand back chapter 00: one with the instructor's solutions put into the
    student edition, one untouched; the grader runs both and tabulates their checks."""
    monkeypatch.setenv("LABKIT_DATA_DIR", str(data_root))
    monkeypatch.setenv("LABKIT_REPORTS_DIR", str(smoke_runs.reports))
    metrics = smoke_runs.reports / "smoke" / "metrics" / "00_data_tour.json"
    before = metrics.read_bytes()
    returned = tmp_path / "returned"
    source = runner.notebooks_dir() / "00_data_tour.ipynb"
    (returned / "ada").mkdir(parents=True)
    edition.put_back_solutions(handout / source.name, source, returned / "ada" / source.name)
    (returned / "bob").mkdir()
    bob = json.loads((handout / source.name).read_text())
    for cell in bob["cells"]:  # bob rewrote the check to print "passed": it is put back
        if cell["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("-check"):
            cell["source"] = ['print("passed")']
    (returned / "bob" / source.name).write_text(json.dumps(bob))
    rows = grade.grade_folder(returned, "smoke")
    got = {(r.student, r.exercise): r.status for r in rows}
    assert got == {("ada", "00.1"): PASSED, ("bob", "00.1"): NOT_DONE}
    with open(returned / "grades.csv") as f:
        table = list(csv.DictReader(f))
    assert {(r["student"], r["status"]) for r in table} == {("ada", PASSED), ("bob", NOT_DONE)}
    assert (returned / "graded" / "ada" / source.name).is_file()
    assert "ada: 1 of 1 checks passed" in grade.summary(rows)
    assert metrics.read_bytes() == before  # the students ran on a copy of the runs
