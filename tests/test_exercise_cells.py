"""The exercises as cells of the chapters: each chapter has its exercises, each exercise its
task, solution and check, in nbgrader's format; and no exercise cell can change a chapter's
results (the reason a chapter's fingerprint leaves them out)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from labkit.book import fingerprint

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LEAST = {"00": 1}  # exercises per chapter at least; 4 elsewhere
GLOBAL_STATE = re.compile(r"np\.random\.seed|set_random_seed|random\.seed|tf\.random\.set_seed")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return fingerprint.cell_source(cell)


def exercises(path: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for cell in cells(path):
        if fingerprint.is_exercise(cell):
            ident = cell["metadata"]["nbgrader"]["grade_id"].rsplit("-", 1)[0]
            out.setdefault(ident, []).append(cell)
    return out


def bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def top_level_bound(tree: ast.Module) -> set[str]:
    """Names a cell binds in the notebook's namespace (not those inside its functions)."""
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
            names.add(stmt.name)
        else:
            names |= bound(stmt)
    return names


def used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_has_its_exercises_each_with_task_solution_and_check(path):
    found = exercises(path)
    chapter = path.stem[:2]
    assert len(found) >= LEAST.get(chapter, 4), f"{path.stem}: {len(found)} exercises"
    for n, (ident, group) in enumerate(found.items(), 1):
        assert ident == f"ex{chapter}-{n}", f"{path.stem}: exercises out of order at {ident}"
        kinds = [c["metadata"]["nbgrader"]["grade_id"].rsplit("-", 1)[1] for c in group]
        assert kinds[0] == "task" and "solution" in kinds and "check" in kinds, kinds
        assert source(group[0]).startswith(f"### Exercise {chapter}.{n} · ")
        assert (
            "*Predict first*" in source(group[0])
            or "*Then*" in source(group[0])
            or ("*Predict*" in source(group[0]))
        ), f"{ident}: the task asks for a prediction or a follow-up question"
        for cell in group:
            meta = cell["metadata"]["nbgrader"]
            if meta["grade"]:
                assert meta["points"] > 0
            if meta["solution"]:
                assert "### BEGIN SOLUTION" in source(cell) and "### END SOLUTION" in source(cell)
            if kinds[group.index(cell)] == "check":
                assert meta["locked"] and cell["cell_type"] == "code"
                last = ast.parse(source(cell)).body[-1]
                assert isinstance(last, ast.Expr), f"{ident}: a check shows its result last"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_exercise_cell_rebinds_a_name_the_chapter_uses(path):
    chapter_names, exercise_names = set(), {}
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        text = "\n".join(
            ln for ln in source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))
        )
        tree = ast.parse(text)
        if fingerprint.is_exercise(cell):
            assert not GLOBAL_STATE.search(text), "an exercise must not reseed the notebook"
            for name in top_level_bound(tree):
                exercise_names.setdefault(name, cell["metadata"]["nbgrader"]["grade_id"])
        else:
            chapter_names |= used(tree) | bound(tree)
    clash = {n: where for n, where in exercise_names.items() if n in chapter_names}
    assert not clash, f"{path.stem}: exercise cells rebind the chapter's names {clash}"


def test_exercise_cells_are_left_out_of_a_chapters_fingerprint(tmp_path):
    path = NOTEBOOKS[0]
    nb = json.loads(path.read_text())
    without = {**nb, "cells": [c for c in nb["cells"] if not fingerprint.is_exercise(c)]}
    assert len(without["cells"]) < len(nb["cells"])
    stripped = tmp_path / path.name
    stripped.write_text(json.dumps(without))
    assert fingerprint.fingerprint(stripped, "smoke", 0) == fingerprint.fingerprint(
        path, "smoke", 0
    )
    assert fingerprint.chapter_targets(stripped) == fingerprint.chapter_targets(path)
