"""The papermill runner: stems and paths, clear errors, and a failing cell named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from labkit import store
from labkit.book import cli, fingerprint, progress, runner


def _notebook(path: Path, *sources: str, metrics: bool = True) -> Path:
    cells = [nbformat.v4.new_code_cell('profile = "quick"\nseed = 0')]
    cells[0].metadata["tags"] = ["parameters"]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    if metrics:
        save = (
            "from labkit import run_record\n"
            f"run_record.save({path.stem!r}, {{'ok': 1}}, profile=profile, seed=seed)"
        )
        cells.append(nbformat.v4.new_code_cell(save))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_resolve_stems_paths_and_all():
    all_nbs = runner.discover()
    assert all_nbs and all_nbs == sorted(all_nbs)
    first = all_nbs[0]
    assert runner.resolve([first.stem]) == [first]
    assert runner.resolve([str(first)]) == [first.resolve()]
    assert runner.resolve([]) == all_nbs
    assert runner.resolve([first.stem[:2]]) == [first]


def test_unknown_notebook_lists_available():
    with pytest.raises(runner.RunError, match=r"unknown notebook 'nope'; available: 00_data_tour"):
        runner.resolve(["nope"])


def test_unknown_profile_lists_allowed(tmp_path):
    nb = _notebook(tmp_path / "01_ok.ipynb", "x = 1")
    with pytest.raises(ValueError, match="smoke, quick, full"):
        runner.run_notebook(nb, "medium", reports=tmp_path / "reports")


def test_cli_rejects_unknown_profile_and_notebook(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["run", "--profile", "medium"])
    assert e.value.code == 2
    assert "choose from 'smoke', 'quick', 'full'" in capsys.readouterr().err
    assert cli.main(["run", "nope", "--profile", "smoke"]) == 1
    assert "available: 00_data_tour" in capsys.readouterr().err


@pytest.mark.slow
def test_parameters_reach_the_notebook(tmp_path):
    nb = _notebook(
        tmp_path / "01_ok.ipynb",
        "import os\nassert os.environ['LABKIT_HEADLESS'] == '1'\nanswer = f'{profile}-{seed}'",
        "answer",
        metrics=False,
    )
    res = runner.run_notebook(nb, "smoke", seed=5, reports=tmp_path / "reports")
    assert res.output == tmp_path / "reports" / "smoke" / "01_ok.ipynb"
    out = json.loads(res.output.read_text())
    assert "".join(out["cells"][-1]["outputs"][0]["data"]["text/plain"]) == "'smoke-5'"
    stamp = fingerprint.read_stamp(tmp_path / "reports" / "smoke" / "logs" / "01_ok.done")
    assert float(stamp["seconds"]) == round(res.seconds, 1) > 0  # the README's times read it


@pytest.mark.slow
def test_failing_cell_is_named(tmp_path):
    nb = _notebook(
        tmp_path / "02_broken.ipynb",
        "x = 1",
        "y = x + 1  # fine",
        "values = [1, 2]\nvalues[5]",
    )
    with pytest.raises(runner.RunError) as e:
        runner.run_notebook(nb, "smoke", reports=tmp_path / "reports")
    msg = str(e.value)
    assert "02_broken failed in cell" in msg
    assert "starts with: values = [1, 2]" in msg
    assert "IndexError" in msg
    executed = tmp_path / "reports" / "smoke" / "partial" / "02_broken.ipynb"
    assert executed.exists() and str(executed) in msg  # written for inspection, not in place
    assert not (tmp_path / "reports" / "smoke" / "02_broken.ipynb").exists()


@pytest.mark.slow
def test_run_all_prints_progress_and_names_the_failure(tmp_path, monkeypatch):
    good = _notebook(tmp_path / "01_good.ipynb", "x = 1")
    bad = _notebook(tmp_path / "02_bad.ipynb", "raise RuntimeError('boom')")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: tmp_path)
    lines: list[str] = []
    with pytest.raises(runner.RunError, match="boom"):
        runner.run_all([], "smoke", reports=tmp_path / "reports", echo=lines.append)
    assert lines[0] == "[1/2] 01_good (profile=smoke, seed=0): running"
    assert lines[1].startswith("[1/2] 01_good (profile=smoke, seed=0): ok in")
    assert lines[2] == "[2/2] 02_bad (profile=smoke, seed=0): running"
    assert lines[3].startswith("[2/2] 02_bad (profile=smoke, seed=0): FAILED")
    assert good.exists() and bad.exists()


def test_sections_start_at_the_first_code_cell_under_each_heading():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 07 · A chapter\nwhat it does"),
        nbformat.v4.new_code_cell("profile = 'quick'"),
        nbformat.v4.new_markdown_cell("text without a heading"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## Training\n\n### The loss"),
        nbformat.v4.new_markdown_cell("more text"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_code_cell("z = 3"),
    ])  # fmt: skip
    assert progress.sections(nb) == {1: "07 · A chapter", 6: "The loss"}


@pytest.mark.slow
def test_each_section_is_announced_while_the_chapter_runs(tmp_path, monkeypatch):
    nb = nbformat.read(_notebook(tmp_path / "01_parts.ipynb", "x = 1", "y = 2"), as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("## Data"))
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("## Training"))
    nbformat.write(nb, tmp_path / "01_parts.ipynb")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: tmp_path)
    lines: list[str] = []
    runner.run_all([], "smoke", reports=tmp_path / "reports", echo=lines.append)
    assert (
        lines[0].endswith(": running")
        and lines[-1].startswith("[1/1] 01_parts")
        and "ok in" in lines[-1]
    )
    assert len(lines) == 4, lines
    assert re.fullmatch(r"    0:\d\d in, cell 3/5: Data", lines[1]), lines  # + papermill's cell
    assert re.fullmatch(r"    0:\d\d in, cell 4/5: Training", lines[2]), lines


@pytest.mark.slow
def test_unchanged_chapter_is_skipped_until_something_changes(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "01_once.ipynb", "x = 1")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: tmp_path)
    reports = tmp_path / "reports"
    lines: list[str] = []
    first = runner.run_all([], "smoke", reports=reports, echo=lines.append)
    assert not first[0].skipped and "ok in" in lines[-1]
    again = runner.run_all([], "smoke", reports=reports, echo=lines.append)
    assert again[0].skipped and "skipped" in lines[-1]
    assert not runner.run_all([], "smoke", seed=1, reports=reports, echo=lines.append)[0].skipped
    _notebook(nb, "x = 2")  # the notebook changed
    assert not runner.run_all([], "smoke", seed=1, reports=reports, echo=lines.append)[0].skipped
    assert runner.run_all([], "smoke", seed=1, reports=reports, echo=lines.append)[0].skipped
    forced = runner.run_all([], "smoke", seed=1, reports=reports, echo=lines.append, force=True)
    assert not forced[0].skipped


@pytest.mark.slow
def test_a_failed_run_is_not_marked_done(tmp_path):
    nb = _notebook(tmp_path / "01_flaky.ipynb", "raise ValueError('no')")
    with pytest.raises(runner.RunError):
        runner.run_notebook(nb, "smoke", reports=tmp_path / "reports")
    assert not runner.is_done(nb, "smoke", reports=tmp_path / "reports")


@pytest.mark.slow
def test_timeout_and_dead_kernel_are_run_errors(tmp_path):
    nb = _notebook(tmp_path / "01_slow.ipynb", "import time\ntime.sleep(30)")
    with pytest.raises(runner.RunError, match="01_slow stopped: .*Timeout"):
        runner.run_notebook(nb, "smoke", reports=tmp_path / "reports", timeout=2)
    nb = _notebook(tmp_path / "02_dies.ipynb", "import os\nos._exit(1)")
    with pytest.raises(runner.RunError, match="02_dies"):
        runner.run_notebook(nb, "smoke", reports=tmp_path / "reports")


def _package(root: Path) -> Path:
    """A small stand-in for labkit: a imports b (relatively, inside a function), c is alone,
    and the subpackage sub re-exports its module leaf."""
    pkg = root / "labkit"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("def project_root():\n    return None\n")
    (pkg / "a.py").write_text(
        "from . import project_root\n\ndef f():\n    from .b import g\n\n    return g\n"
    )
    (pkg / "b.py").write_text("import numpy as np\n\ng = 1\n")
    (pkg / "c.py").write_text("c = 1\n")
    (pkg / "sub" / "__init__.py").write_text("from .leaf import x\n")
    (pkg / "sub" / "leaf.py").write_text("from .. import c\nx = 1\n")
    return pkg


def test_chapter_targets_name_the_definitions_a_chapter_uses(tmp_path):
    pkg = _package(tmp_path)
    nb = _notebook(
        tmp_path / "01_x.ipynb", "%matplotlib inline\nfrom labkit import a\na.f()", metrics=False
    )
    assert fingerprint.chapter_targets(nb, pkg) == ["labkit.a:f"]
    nb = _notebook(tmp_path / "02_y.ipynb", "import labkit.sub.leaf as leaf\nleaf.x", metrics=False)
    assert fingerprint.chapter_targets(nb, pkg) == ["labkit.sub.leaf:x"]


def test_the_fingerprint_changes_only_with_what_the_chapter_reaches(tmp_path):
    pkg = _package(tmp_path)
    nb = _notebook(tmp_path / "01_x.ipynb", "from labkit import a\na.f()", metrics=False)
    before = fingerprint.fingerprint(nb, "smoke", 0, pkg)
    (pkg / "c.py").write_text("c = 2\n")  # not reached by the chapter
    assert fingerprint.fingerprint(nb, "smoke", 0, pkg) == before
    (pkg / "b.py").write_text("g = 2\n")  # reached through a.f
    assert fingerprint.fingerprint(nb, "smoke", 0, pkg) != before


def test_markdown_comments_and_docstrings_leave_the_fingerprint(tmp_path):
    pkg = _package(tmp_path)
    nb = _notebook(tmp_path / "01_x.ipynb", "from labkit import a\nx = a.f()", metrics=False)
    before = fingerprint.fingerprint(nb, "smoke", 0, pkg)
    book = nbformat.read(nb, as_version=4)
    book.cells.insert(1, nbformat.v4.new_markdown_cell("# A new title\nwith a typo fixed"))
    book.cells[2].source = "from labkit import a  # a comment\n\nx = a.f()  # another"
    nbformat.write(book, nb)
    (pkg / "b.py").write_text('"""A docstring."""\nimport numpy as np\n\n# a comment\ng = 1\n')
    assert fingerprint.fingerprint(nb, "smoke", 0, pkg) == before
    book.cells[2].source = "from labkit import a\nx = a.f() + 1"  # the chapter's code
    nbformat.write(book, nb)
    assert fingerprint.fingerprint(nb, "smoke", 0, pkg) != before


def test_a_chapter_fingerprint_holds_its_own_settings_only(tmp_path, monkeypatch):
    """The settings a chapter receives count; another chapter's, or its own under another
    profile, do not (each chapter's table is its own module, imported by name)."""
    from labkit import profiles
    from labkit.profiles import data_tour, vae

    nb = runner.resolve(["00"])[0]
    before = fingerprint.fingerprint(nb, "smoke", 0, with_versions=False)
    monkeypatch.setitem(vae.PROFILES, "smoke", {**vae.PROFILES["smoke"], "epochs": 99})
    monkeypatch.setitem(data_tour.PROFILES, "full", {"grid_per_class": 3})
    assert fingerprint.fingerprint(nb, "smoke", 0, with_versions=False) == before
    own = {**data_tour.PROFILES["smoke"], "grid_per_class": 5}
    monkeypatch.setitem(data_tour.PROFILES, "smoke", own)
    assert dict(profiles.get("00_data_tour", "smoke")) == own
    assert fingerprint.fingerprint(nb, "smoke", 0, with_versions=False) != before
    targets = fingerprint.chapter_targets(nb)
    assert not any(t.startswith("labkit.profiles") for t in targets)


def test_new_markdown_is_stitched_into_the_executed_chapter(tmp_path):
    nb = _notebook(tmp_path / "01_x.ipynb", "x = 1\nprint(x)", metrics=False)
    book = nbformat.read(nb, as_version=4)
    executed = nbformat.read(nb, as_version=4)  # what papermill writes: an injected cell
    injected = nbformat.v4.new_code_cell('profile = "smoke"')
    injected.metadata["tags"] = ["injected-parameters"]
    executed.cells.insert(1, injected)
    executed.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    out = tmp_path / "out.ipynb"
    nbformat.write(executed, out)
    assert not runner.restitch(nb, out)  # nothing changed
    book.cells.insert(1, nbformat.v4.new_markdown_cell("## Now with words"))
    book.cells[2].source = "x = 1  # one\nprint(x)"
    nbformat.write(book, nb)
    assert runner.restitch(nb, out)
    again = nbformat.read(out, as_version=4)
    assert [c.cell_type for c in again.cells] == ["code", "code", "markdown", "code"]
    assert again.cells[1].metadata["tags"] == ["injected-parameters"]
    assert again.cells[2].source == "## Now with words"
    assert again.cells[3].source.endswith("# one\nprint(x)")
    assert again.cells[3].outputs[0]["text"] == "1\n"
    assert not runner.restitch(nb, out)  # stitched already
    book.cells[2].source = "x = 1  # one, said again\nprint(x)"  # a comment alone
    nbformat.write(book, nb)
    assert runner.restitch(nb, out)
    assert nbformat.read(out, as_version=4).cells[3].source.startswith("x = 1  # one, said")
    book.cells.append(nbformat.v4.new_code_cell("y = 2"))  # new code: a rerun, not a stitch
    nbformat.write(book, nb)
    assert not runner.restitch(nb, out)


def test_an_exercise_added_after_the_run_is_stitched_in_without_rerunning(tmp_path):
    nb = _notebook(tmp_path / "01_x.ipynb", "x = 1\nprint(x)", metrics=False)
    book = nbformat.read(nb, as_version=4)
    executed = nbformat.read(nb, as_version=4)
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    out = tmp_path / "out.ipynb"
    nbformat.write(executed, out)
    meta = {"nbgrader": {"grade_id": "ex01-1-check", "locked": True, "grade": True}}
    book.cells.append(nbformat.v4.new_code_cell("check(x)", metadata=meta))
    nbformat.write(book, nb)
    assert fingerprint.fingerprint(nb, "smoke", 0) == fingerprint.fingerprint(out, "smoke", 0)
    assert runner.restitch(nb, out)
    again = nbformat.read(out, as_version=4)
    assert again.cells[1].outputs[0]["text"] == "1\n"  # the run's outputs stay
    assert again.cells[-1].source == "check(x)" and not again.cells[-1].outputs
    again.cells[-1].outputs = [nbformat.v4.new_output("stream", text="passed\n")]
    nbformat.write(again, out)  # a later run that executed it: its output is kept
    book.cells[-1].source = "check(x)  # edited"
    nbformat.write(book, nb)
    assert runner.restitch(nb, out)
    last = nbformat.read(out, as_version=4).cells[-1]
    assert last.source == "check(x)  # edited" and last.outputs[0]["text"] == "passed\n"


def test_real_chapters_reach_only_their_own_definitions():
    from labkit import cache

    stems = {p.stem: p for p in runner.discover()}
    tour = cache.definition_hashes(fingerprint.chapter_targets(stems["00_data_tour"]))
    modules = {name.partition(":")[0] for name in tour}
    assert {"labkit.data", "labkit.chapter", "labkit.run_record", "labkit.widgets"} <= modules
    assert not {m for m in modules if m.startswith(("labkit.vae", "labkit.clocks", "labkit.book"))}
    clock = cache.definition_hashes(fingerprint.chapter_targets(stems["03_clock_reading"]))
    assert {"labkit.clocks.draw:render", "labkit.clocks.metric:common_sense_errors"} <= set(clock)
    assert "labkit.classifiers.models:cnn" not in clock


@pytest.mark.slow
def test_editing_a_module_a_chapter_does_not_import_keeps_it_skipped(tmp_path, monkeypatch):
    """A copy of labkit stands in for the real one: edit vae/derivation.py (chapter-free of
    it), then data.py (imported), and watch the skip decision."""
    import shutil

    pkg = tmp_path / "copy" / "labkit"
    shutil.copytree(store.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(store, "PACKAGE_DIR", pkg)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "00_tour.ipynb", "from labkit import data\nx = data.TITLES['mnist']")
    titles = '"fashion_mnist": "Fashion-MNIST"}'
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    reports = tmp_path / "reports"
    say: list[str] = []
    assert not runner.run_all([], "smoke", reports=reports, echo=say.append)[0].skipped
    vae = pkg / "vae" / "derivation.py"
    vae.write_text(vae.read_text() + "\n_EDITED = 1\n")
    assert runner.run_all([], "smoke", reports=reports, echo=say.append)[0].skipped
    (pkg / "data.py").write_text((pkg / "data.py").read_text() + "\n# a comment\n")
    assert runner.run_all([], "smoke", reports=reports, echo=say.append)[0].skipped
    (pkg / "data.py").write_text((pkg / "data.py").read_text() + "\n_EDITED = 1\n")
    assert runner.run_all([], "smoke", reports=reports, echo=say.append)[0].skipped  # not reached
    text = (pkg / "data.py").read_text()
    assert titles.strip() in text
    (pkg / "data.py").write_text(text.replace(titles.strip(), titles.strip().replace("-", " ")))
    assert not runner.run_all([], "smoke", reports=reports, echo=say.append)[0].skipped


def test_other_library_versions_leave_a_runs_code_current(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "01_v.ipynb", "x = 1")
    reports = tmp_path / "reports"
    output, _, done = runner._paths(nb, "smoke", reports)
    done.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), output)
    (reports / "smoke" / "metrics").mkdir()
    (reports / "smoke" / "metrics" / "01_v.json").write_text("{}")
    fingerprint.write_stamp(done, fingerprint.stamp(nb, "smoke", 0))  # what run_notebook writes
    stamp = fingerprint.read_stamp(done)
    assert stamp["python"] == store.PYTHON and len(stamp["commit"]) >= 7
    assert runner.is_done(nb, "smoke", 0, reports) and runner.code_is_current(
        nb, "smoke", 0, reports
    )
    monkeypatch.setattr(fingerprint.repro, "versions", lambda: {"keras": "9.9"})  # another machine
    assert not runner.is_done(nb, "smoke", 0, reports)
    assert runner.code_is_current(nb, "smoke", 0, reports)
    _notebook(nb, "x = 2")  # the chapter changed
    assert not runner.code_is_current(nb, "smoke", 0, reports)
    done.write_text(stamp["fingerprint"] + "\n")  # an older .done, one line
    assert not runner.code_is_current(nb, "smoke", 0, reports)


@pytest.mark.slow
def test_the_runner_times_each_section_into_the_record(tmp_path):
    """A chapter does not time itself: the runner adds each section's seconds to its record."""
    nb = _notebook(tmp_path / "01_timed.ipynb", "import time", "time.sleep(0.3)", "x = 1")
    book = nbformat.read(nb, as_version=4)
    book.cells.insert(2, nbformat.v4.new_markdown_cell("## Slow part"))
    book.cells.insert(4, nbformat.v4.new_markdown_cell("## Quick part\n### with a sub-heading"))
    nbformat.write(book, nb)
    reports = tmp_path / "reports"
    runner.run_notebook(nb, "smoke", reports=reports)
    record = json.loads((reports / "smoke" / "metrics" / "01_timed.json").read_text())
    sections = record["sections"]
    assert list(sections) == ["Slow part", "with a sub-heading"]
    assert sections["Slow part"] >= 0.3 and sections["with a sub-heading"] > 0


def test_section_seconds_add_up_repeated_headings():
    nb = {"metadata": {"labkit": {"sections": [["a", 1.0], ["b", 2.0], ["a", 0.5, 123.0]]}}}
    assert progress.section_seconds(nb) == {"a": 1.5, "b": 2.0}
    assert progress.section_seconds({"metadata": {}}) == {}
    timed = [["a", 1.0], ["Exercise 01.1 · x", 2.0], ["b", 1.0], ["Exercise 01.2 · y", 0.5]]
    together = progress.section_seconds({"metadata": {"labkit": {"sections": timed}}})
    assert together == {"a": 1.0, "exercises": 2.5, "b": 1.0}


def test_a_stamp_read_back_from_its_file_explains_no_change():
    """A chapter's settings hold tuples, which its ``.done`` file reads back as lists: an
    unchanged chapter is not explained as one whose settings changed."""
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "04_vae.ipynb"
    written = json.loads(json.dumps(fingerprint.stamp(notebook, "full", 0), default=str))
    assert fingerprint.explain(written, notebook, "full", 0) == []
