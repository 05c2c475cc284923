"""Keys that follow what a computation runs: an edit changes the stores that run it, and only those.

Every test edits a scratch copy of labkit and recomputes each store's code digest there
(:func:`labkit.cache.definitions`), so a key that misses a producer, or follows one it should
not, fails here.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from labkit import PACKAGE_DIR, cache, stores

CHAPTER_01 = {"experiment runs", "final models", "tuner projects"}


@pytest.fixture(scope="module")
def before() -> dict[str, str]:
    return {name: s.code() for name, s in cache.STORES.items()}


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of labkit whose files a test edits."""
    pkg = tmp_path / "labkit"
    shutil.copytree(PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def codes(pkg: Path) -> dict[str, str]:
    return {name: cache.definitions(s.producers, pkg) for name, s in cache.STORES.items()}


def changed(pkg: Path, before: dict[str, str]) -> set[str]:
    return {name for name, code in codes(pkg).items() if code != before[name]}


def edit_body(pkg: Path, module: str, function: str, line: str = "_edited = 1") -> None:
    """Insert ``line`` as the first statement of top-level ``function`` in ``module``."""
    path = pkg / module
    text = path.read_text()
    tree = ast.parse(text)
    node = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == function
    )
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(node.body) > 1:
        first = node.body[1]  # after the docstring
    lines = text.splitlines(keepends=True)
    indent = " " * first.col_offset
    lines.insert(first.lineno - 1, f"{indent}{line}\n")
    path.write_text("".join(lines))


def test_the_copy_has_the_same_keys(copy, before):
    assert codes(copy) == before


def test_every_store_has_producers_that_exist():
    assert set(cache.STORES) >= {
        "experiment runs", "final models", "tuner projects", "permutation arms", "clock images",
        "clock reader", "VAE fits", "cVAE fits",
    }  # fmt: skip
    for s in cache.STORES.values():
        assert len(s.code()) == 64


def test_docstrings_and_comments_anywhere_change_nothing(copy, before):
    for path in copy.rglob("*.py"):
        text = path.read_text()
        if text.startswith('"""'):
            path.write_text('"""Edited. ' + text[3:] + "\n# a comment\n")
    assert changed(copy, before) == set()


def test_layers_text_titles_and_the_ui_change_no_store(copy, before):
    edit_body(copy, "classifiers/models.py", "layers_text")
    edit_body(copy, "classifiers/models.py", "describe")
    path = copy / "data.py"
    path.write_text(path.read_text().replace('"Fashion-MNIST"', '"Fashion"', 1))
    edit_body(copy, "classifiers/live.py", "controls")
    assert changed(copy, before) == set()


def _plot_functions(pkg: Path) -> list[tuple[str, str]]:
    """Every top-level function that draws: in a ``plots`` module, or named ``plot*``/``*_plot``."""
    out = []
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(pkg).as_posix()
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            if path.stem == "plots" or "plot" in node.name:
                out.append((rel, node.name))
    return out


def test_no_plot_function_changes_a_store(copy, before):
    found = _plot_functions(copy)
    assert len(found) >= 15  # the workbook's plots, across its packages
    for module, function in found:
        edit_body(copy, module, function)
    assert changed(copy, before) == set()


def test_the_cnn_builder_keys_chapter_01_and_02_not_the_clock_reader(copy, before):
    edit_body(copy, "classifiers/models.py", "cnn")
    assert changed(copy, before) == CHAPTER_01 | {"permutation arms"}


def test_input_preparation_keys_the_clock_reader_too(copy, before):
    edit_body(copy, "classifiers/models.py", "prepare")
    assert "clock reader" in changed(copy, before)


def test_drawing_a_clock_keys_the_clock_images_only(copy, before):
    edit_body(copy, "clocks/dataset.py", "_draw_range")
    assert changed(copy, before) == {"clock images"}
    edit_body(copy, "clocks/dataset.py", "_load_cache")  # how a set is read back: not drawing
    assert changed(copy, before) == {"clock images"}


def test_the_vae_schedule_keys_the_vae_fits(copy, before):
    path = copy / "vae/model.py"
    text = path.read_text()
    assert "CosineDecay(learning_rate, decay_steps=steps)" in text
    path.write_text(text.replace(
        "CosineDecay(learning_rate, decay_steps=steps)",
        "CosineDecay(learning_rate, decay_steps=steps, alpha=0.1)",
    ))  # fmt: skip
    assert changed(copy, before) == {"VAE fits", "cVAE fits"}


def test_the_contrastive_model_keys_chapter_05_only(copy, before):
    edit_body(copy, "cvae/model.py", "ContrastiveVAE", "_EDITED = 1")
    assert changed(copy, before) == {"cVAE fits"}


def test_a_module_used_as_a_value_is_followed_whole(tmp_path):
    pkg = tmp_path / "labkit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    return 1\n\ndef g():\n    return 2\n")
    (pkg / "b.py").write_text(
        "from . import a\n\ndef by_name(n):\n    return getattr(a, n)()\n\n"
        "def direct():\n    return a.f()\n"
    )
    direct = cache.definitions(["labkit.b:direct"], pkg)
    dynamic = cache.definitions(["labkit.b:by_name"], pkg)
    (pkg / "a.py").write_text("def f():\n    return 1\n\ndef g():\n    return 3\n")
    assert cache.definitions(["labkit.b:direct"], pkg) == direct  # g is not reached
    assert cache.definitions(["labkit.b:by_name"], pkg) != dynamic  # any name may be


def test_moving_a_definition_to_another_module_keeps_the_key(tmp_path):
    pkg = tmp_path / "labkit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "util.py").write_text("def steps(n):\n    return n + 1\n")
    (pkg / "run.py").write_text("from .util import steps\n\ndef go():\n    return steps(2)\n")
    digest = cache.definitions(["labkit.run:go"], pkg)
    (pkg / "loops.py").write_text((pkg / "util.py").read_text())
    (pkg / "util.py").unlink()
    (pkg / "run.py").write_text("from .loops import steps\n\ndef go():\n    return steps(2)\n")
    assert cache.definitions(["labkit.run:go"], pkg) == digest


def test_a_key_refuses_a_callable_and_reads_dataclasses():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Fit:
        epochs: int

    s = stores.VAE_FITS
    assert s.key(fit=Fit(3)) == s.key(fit={"epochs": 3})
    assert s.key(fit=Fit(3)) != s.key(fit=Fit(4))
    with pytest.raises(TypeError, match="callable"):
        s.key(fit=lambda m: m)


def test_a_key_holds_the_library_minor_versions(monkeypatch):
    s = stores.VAE_FITS
    key = s.key(seed=0)
    monkeypatch.setattr(cache, "library_versions", lambda: {"tensorflow": "9.9", "keras": "9.9"})
    assert s.key(seed=0) != key
    assert stores.CLOCK_IMAGES.libraries is False  # drawing does not run TensorFlow


def test_rows_record_versions_and_read_backs_count_their_seconds(tmp_path):
    path = tmp_path / "rows.jsonl"
    s = stores.EXPERIMENT_RUNS
    cache.reset_read_back()
    s.write(path, "k", {"seconds": 12.5, "v": 1})
    row = json.loads(path.read_text())
    assert row["versions"]["keras"] and row["versions"]["python"]
    assert s.read(path, "k")["v"] == 1 and s.read(path, "other") is None
    assert cache.seconds_read_back() == (0.0, 0)  # made by this process: in its own clock
    cache.reset_read_back()  # a later process reads the stored row back
    assert s.read(path, "k")["v"] == 1 and s.read(path, "other") is None
    assert cache.seconds_read_back() == (12.5, 1)


def test_a_row_read_back_by_several_cells_counts_its_seconds_once(tmp_path):
    path = tmp_path / "rows.jsonl"
    s = stores.EXPERIMENT_RUNS
    s.write(path, "a", {"seconds": 10.0})
    s.write(path, "b", {"seconds": 4.0})
    cache.reset_read_back()
    for _ in range(3):
        s.read(path, "a")
    s.read(path, "b")
    assert cache.seconds_read_back() == (14.0, 2)
    cache.note_read_back(2.0)  # a result without a key (a tuner's earlier trials) counts each time
    cache.note_read_back(2.0)
    assert cache.seconds_read_back() == (18.0, 4)


def test_notebook_targets_name_what_a_chapter_uses():
    source = (
        "from labkit import data, plots\nfrom labkit.classifiers import experiments as ex\n"
        "x = data.load('mnist')\nex.run({}, x)\nplots.learning_curves(x)\n"
    )
    assert cache.notebook_targets(source) == [
        "labkit.classifiers.experiments:run", "labkit.data:load", "labkit.plots:learning_curves",
    ]  # fmt: skip


def test_no_key_is_built_by_hand():
    """Every stored result's key comes from a Store: only labkit.cache calls store.key."""
    import re

    callers = [
        path.relative_to(PACKAGE_DIR).as_posix()
        for path in PACKAGE_DIR.rglob("*.py")
        if re.search(r"\b_?store\.key\(", path.read_text())
        and path.name not in ("cache.py", "store.py")
    ]
    assert callers == []
