"""The grader's parts that need no kernel: locked cells put back, records read, ids listed."""

from __future__ import annotations

import json

import pytest

from labkit.exercises import edition, grade
from labkit.exercises.feedback import MIME, PASSED, Result


def cell(gid: str, source: str, *, locked: bool, solution: bool = False) -> dict:
    meta = {"grade_id": gid, "locked": locked, "solution": solution, "grade": gid.endswith("check")}
    return {"cell_type": "code", "metadata": {"nbgrader": meta}, "source": source, "outputs": []}


INSTRUCTOR = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# 03 · Clocks"},
        cell("ex03-1-solution", "def f():\n    return 4", locked=False, solution=True),
        cell("ex03-1-check", "ch03.check(f)", locked=True),
        cell("ex03-2-check", "ch03.other(g)", locked=True),
    ]
}


def test_locked_cells_are_put_back_and_the_students_code_kept():
    mine = json.loads(json.dumps(INSTRUCTOR))
    mine["cells"][1]["source"] = "def f():\n    return 5"
    mine["cells"][2]["source"] = "print('passed')"  # an edited check
    mine["cells"].append({"cell_type": "code", "metadata": {}, "source": "scratch = 1"})
    fixed = grade.lock_from(mine, INSTRUCTOR)
    assert [c["source"] for c in fixed["cells"]][1:] == [
        "def f():\n    return 5", "ch03.check(f)", "ch03.other(g)", "scratch = 1",
    ]  # fmt: skip


def test_a_deleted_check_comes_back_in_its_place():
    mine = json.loads(json.dumps(INSTRUCTOR))
    mine["cells"][1]["source"] = "def f():\n    return 5"
    del mine["cells"][2]
    fixed = grade.lock_from(mine, INSTRUCTOR)
    assert [c["source"] for c in fixed["cells"]][1:] == [
        "def f():\n    return 5", "ch03.check(f)", "ch03.other(g)",
    ]  # fmt: skip


def test_the_records_of_an_executed_notebook_and_the_ids_to_expect():
    result = Result("03.1", PASSED, ["right"], (3, 3))
    executed = json.loads(json.dumps(INSTRUCTOR))
    executed["cells"][2]["outputs"] = [
        {"output_type": "execute_result", "data": result._repr_mimebundle_(), "metadata": {}}
    ]
    assert grade.records(executed) == {"03.1": result.record()}
    assert grade.expected(INSTRUCTOR) == ["03.1", "03.2"]
    assert MIME in executed["cells"][2]["outputs"][0]["data"]


def test_grading_an_empty_folder_says_what_to_put_in_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="put each student's notebooks"):
        grade.grade_folder(tmp_path)
    with pytest.raises(ValueError, match="profile"):
        grade.grade_folder(tmp_path, profile="fast")


def test_solutions_put_back_by_grade_id(tmp_path):
    student = json.loads(json.dumps(INSTRUCTOR))
    student["cells"][1]["source"] = "def f():\n    # YOUR CODE HERE\n    ..."
    (tmp_path / "s.ipynb").write_text(json.dumps(student))
    (tmp_path / "i.ipynb").write_text(json.dumps(INSTRUCTOR))
    out = edition.put_back_solutions(
        tmp_path / "s.ipynb", tmp_path / "i.ipynb", tmp_path / "o.ipynb"
    )
    assert json.loads(out.read_text())["cells"][1]["source"] == "def f():\n    return 4"


def test_the_rows_summarised_per_student():
    rows = [
        grade.Row("ada", "03_x", "03.1", PASSED, 3, 3),
        grade.Row("ada", "03_x", "03.2", "not run"),
    ]
    assert grade.summary(rows) == "ada: 1 of 2 checks passed (1 not done or not run)"


def test_without_nbgrader_the_edition_says_how_to_install_it(tmp_path, monkeypatch):
    real = edition.importlib.util.find_spec
    monkeypatch.setattr(edition.importlib.util, "find_spec",
                        lambda name: None if name == "nbgrader" else real(name))  # fmt: skip
    with pytest.raises(RuntimeError, match="make setup"):
        edition.build([], tmp_path)
