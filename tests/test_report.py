"""The PDF report: which chapters it takes, what a reader sees, and the real PDF of chapter 00."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbconvert import LatexExporter
from nbconvert.filters import escape_latex

from labkit import run_record
from labkit.book import cli, report

v4 = nbformat.v4
WIDGET = {"model_id": "abc", "version_major": 2, "version_minor": 0}
PNG = (  # a 1x1 image
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _chapter_source(project: Path, stem: str = "03_fake") -> Path:
    """A committed-style (clean) chapter notebook in the isolated project."""
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# 03 · A fake chapter\n\nIt explains $e^{i\\pi} = -1$."),
        v4.new_code_cell('profile = "quick"\nseed = 0', metadata={"tags": ["parameters"]}),
    ]
    path = project / "notebooks" / f"{stem}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _executed(profile: str = "smoke", failed: bool = False, stem: str = "03_fake") -> Path:
    """What the runner leaves behind: an executed notebook with outputs, and its metrics."""
    nb = v4.new_notebook(metadata={"papermill": {"exception": failed or None}})
    nb.cells = [
        v4.new_markdown_cell("# 03 · A fake chapter\n\nIt explains $e^{i\\pi} = -1$."),
        v4.new_code_cell('profile = "quick"\nseed = 0', metadata={"tags": ["parameters"]}),
        v4.new_code_cell(
            '# Parameters\nprofile = "smoke"\nseed = 0\n',
            metadata={"tags": ["injected-parameters"]},
        ),
        v4.new_markdown_cell("## Results\n\nA widget and a figure."),
        v4.new_code_cell(
            "widgets.panel(draw)",
            outputs=[
                v4.new_output("stream", name="stderr", text="UserWarning: kernel noise\n"),
                v4.new_output(
                    "stream", name="stdout", text="step 1 of 3\rstep 3 of 3\ntrained 3 epochs\n"
                ),
                v4.new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": WIDGET,
                        "text/plain": "VBox(children=(IntSlider(value=0),))",
                    },
                ),
                v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            ],
        ),
        v4.new_code_cell("secret = 1", metadata={"tags": ["remove-cell"]}),
    ]
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
        cell.execution_count = count  # every cell ran
    out = run_record.reports_dir(profile) / f"{stem}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    run_record.save(stem, {"accuracy": 0.5}, profile=profile, seed=0)
    return out


def test_missing_chapters_are_named_with_the_command_and_nothing_is_written(isolated):
    _chapter_source(isolated)
    with pytest.raises(report.ReportError) as err:
        report.build([], "smoke")
    msg = str(err.value)
    assert "03_fake: no executed notebook" in msg
    assert "make run PROFILE=smoke" in msg and "python -m labkit run 03_fake --profile smoke" in msg
    assert not report.output_path("smoke").exists()


def test_a_failed_run_counts_as_missing(isolated):
    _chapter_source(isolated)
    _executed(failed=True)
    with pytest.raises(report.ReportError, match="03_fake: its last run failed"):
        report.collect([], "smoke")


def test_a_chapter_without_metrics_counts_as_missing(isolated):
    _chapter_source(isolated)
    _executed()
    run_record.metrics_path("03_fake", "smoke").unlink()
    with pytest.raises(report.ReportError, match="03_fake: no metrics JSON"):
        report.collect([], "smoke")


def test_an_unreadable_executed_notebook_counts_as_missing(isolated):
    _chapter_source(isolated)
    _executed().write_text('{"cells": [')  # cut off mid-write
    with pytest.raises(report.ReportError, match="03_fake: the executed notebook .* not readable"):
        report.collect([], "smoke")


def test_a_half_run_notebook_counts_as_missing(isolated):
    _chapter_source(isolated)
    out = _executed()
    nb = nbformat.read(out, as_version=4)
    nb.cells[-1].execution_count = None  # the run stopped before its last cell
    nbformat.write(nb, out)
    with pytest.raises(report.ReportError, match="03_fake: .* is half-run \\(3 of 4 code cells"):
        report.collect([], "smoke")


def test_a_notebook_changed_after_its_run_is_marked_with_a_warning(isolated):
    from labkit.book import fingerprint, runner

    source = _chapter_source(isolated)
    executed = _executed()
    done = executed.parent / "logs" / "03_fake.done"
    taken = fingerprint.stamp(source, "smoke", 0)
    fingerprint.write_stamp(done, {**taken, "output": runner.output_digest(executed)})
    said = []
    assert not report.collect([], "smoke", echo=said.append)[0].stale  # as its run left it
    nb = nbformat.read(executed, as_version=4)
    nb.cells[-1].source = "secret = 2  # edited in JupyterLab"
    nbformat.write(nb, executed)
    chapters = report.collect([], "smoke", echo=said.append)
    assert chapters[0].stale
    assert any("is not as its run left it" in s for s in said)


def test_a_stale_chapter_is_used_with_a_warning(isolated):
    _chapter_source(isolated)
    _executed()
    said = []
    chapters = report.collect([], "smoke", echo=said.append)
    assert [c.stem for c in chapters] == ["03_fake"]
    assert said and "03_fake's notebook or labkit code changed since it ran" in said[0]
    assert chapters[0].stale


def test_missing_tools_give_the_install_command(isolated, monkeypatch):
    _chapter_source(isolated)
    _executed()
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(report.ReportError) as err:
        report.build([], "smoke", echo=lambda s: None)
    assert "xelatex, pandoc" in str(err.value) and report.INSTALL_COMMAND in str(err.value)
    assert not report.output_path("smoke").exists()


def test_missing_chapters_and_missing_tools_are_both_named(isolated, monkeypatch):
    _chapter_source(isolated)
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(report.ReportError) as err:
        report.build([], "smoke")
    msg = str(err.value)
    assert msg.index("03_fake: no executed notebook") < msg.index("the PDF needs xelatex")


def test_cli_report_exits_1_with_the_reason(isolated, capsys):
    _chapter_source(isolated)
    assert cli.main(["report", "--profile", "smoke"]) == 1
    assert "no executed notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["report", "--profile", "nightly"])


def test_merge_numbers_chapters_like_their_files_with_unique_ids(isolated):
    _chapter_source(isolated)
    _executed()
    merged = report.merge(report.collect([], "smoke", echo=lambda s: None))
    first, heading = merged.cells[0], merged.cells[1]
    assert first.cell_type == "raw" and first.source == "\\setcounter{chapter}{2}"
    assert heading.source.startswith("# A fake chapter\n")
    ids = [c.id for c in merged.cells]
    assert len(ids) == len(set(ids))
    nbformat.validate(merged)


@pytest.mark.pdf
def test_latex_shows_a_reader_the_results_not_the_session(isolated, require_tools):
    require_tools("pandoc")
    _chapter_source(isolated)
    _executed()
    chapters = report.collect([], "smoke", echo=lambda s: None)
    tex, resources = report.make_exporter(LatexExporter).from_notebook_node(
        report.merge(chapters), resources=report.make_resources(chapters, "smoke")
    )
    assert "\\documentclass[11pt,a4paper,oneside]{report}" in tex
    assert "\\setcounter{chapter}{2}" in tex and "\\chapter{A fake chapter}" in tex
    assert "\\section{Results}" in tex and "e^{i\\pi} = -1" in tex
    assert "\\tableofcontents" in tex and "begin{titlepage}" in tex
    assert "trained 3 epochs" in tex and "adjustimage" in tex  # stdout and the figure stay
    assert "step 3 of 3" in tex and "step 1 of 3" not in tex  # a progress bar's final state
    assert "kernel noise" not in tex  # stderr goes
    assert "VBox" not in tex and "IntSlider" not in tex  # widget reprs go
    assert "secret" not in tex  # remove-cell
    assert "quick" not in tex  # the default parameters cell goes
    assert "{smoke}" in tex  # the injected parameters show what ran
    assert any(name.endswith(".png") for name in resources["outputs"])


def _exercise(kind: str, text: str) -> nbformat.NotebookNode:
    meta = {"nbgrader": {"grade_id": f"ex03-1-{kind}", "solution": kind == "solution",
                         "grade": kind == "check", "locked": kind != "solution"}}  # fmt: skip
    if kind == "task":
        return v4.new_markdown_cell(text, metadata=meta)
    return v4.new_code_cell(text, metadata=meta)


def test_exercises_are_listed_at_the_chapters_end_and_solved_in_their_own_pdf(isolated):
    source = _chapter_source(isolated)
    nb = nbformat.read(source, as_version=4)
    nb.cells[1:1] = [
        _exercise("task", "### Exercise 03.1 · Wrap around\n\n*Predict first*: which way?"),
        _exercise(
            "solution", "def f():\n    ### BEGIN SOLUTION\n    return 4\n    ### END SOLUTION"
        ),
        _exercise("check", "ch03.check(f)"),
    ]
    nbformat.write(nb, source)
    _executed()  # a run from before the exercise was written: the list comes from the source
    chapters = report.collect([], "smoke", echo=lambda s: None)
    book = report.merge(chapters)
    text = [c.source for c in book.cells]
    assert text[-2].startswith("## Exercises") and text[-1].startswith("### Exercise 03.1")
    assert not any("BEGIN SOLUTION" in t or "ch03.check" in t for t in text)
    assert text.index(next(t for t in text if t.startswith("## Results"))) < len(text) - 2
    solved = report.merge(chapters, solutions=True)
    text = [c.source for c in solved.cells]
    assert text[1] == "# A fake chapter" and text[2].startswith("## Solutions")
    assert "BEGIN SOLUTION" in text[4] and text[5] == "ch03.check(f)"
    assert not any("Results" in t for t in text)
    nbformat.validate(solved)


def test_titlepage_names_profile_seed_machine_and_versions(isolated):
    _chapter_source(isolated)
    _executed()
    page = report.titlepage(report.collect([], "smoke", echo=lambda s: None), "smoke")
    record = json.loads(run_record.metrics_path("03_fake", "smoke").read_text())
    assert "profile \\texttt{smoke}, seed 0" in page
    assert escape_latex(record["machine"]["cpu"]) in page
    assert f"keras & {record['versions']['keras']}" in page
    assert "03 & 03\\_fake" in page


PDF_TOOLS = ("xelatex", "pandoc", "pdftotext", "pdfinfo")


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.pdf
def test_no_symbol_vanishes_silently(isolated, require_tools):
    require_tools(*PDF_TOOLS)
    _chapter_source(isolated)
    executed = _executed()
    nb = nbformat.read(executed, as_version=4)
    nb.cells[3].source += "\n\nWith σ ≥ 0 and μ ≈ 1, all is well ✓."
    nbformat.write(nb, executed)
    said = []
    pdf = report.build([], "smoke", echo=said.append)
    text = _pdf_text(pdf)
    assert "≥ 0 and" in text and "≈ 1" in text  # math symbols and Greek come from math fonts
    warnings = [line for line in said if "lack these characters" in line]
    assert len(warnings) == 1 and "xelatex left out: ✓ (" in warnings[0]  # only the tick
    record = json.loads(report.record_path("smoke").read_text())  # the README's PDF times
    assert record["pages"] >= 3 and record["seconds"] > 0 and record["megabytes"] >= 0  # 1 decimal
    assert record["chapters"] == ["03_fake"]  # the isolated project's one chapter


@pytest.mark.slow
@pytest.mark.pdf
def test_smoke_pdf_of_every_chapter_as_make_report_builds_it(
    smoke_runs, tmp_path, require_tools, monkeypatch, capsys
):
    """``make report PROFILE=smoke`` after the smoke runs: the command line's code path, all six
    chapters, with the one-seed records the smoke profile writes (no spread over seeds)."""
    require_tools(*PDF_TOOLS)
    for stem in ("00_data_tour", "01_mlp_cnn_tuning", "02_pixel_permutation",
                 "03_clock_reading", "04_vae", "05_contrastive_vae"):  # fmt: skip
        smoke_runs.require(stem)
    monkeypatch.setenv("LABKIT_REPORTS_DIR", str(smoke_runs.reports))
    pdf = tmp_path / "workbook.pdf"
    code = cli.main(["report", "--profile", "smoke", "--output", str(pdf)])
    assert code == 0, capsys.readouterr()
    assert pdf.is_file()
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages >= 3
    text = _pdf_text(pdf)
    assert "Deep-learning course workbook" in text and "profile smoke, seed 0" in text
    assert "Contents" in text
    for heading in ("A tour of the data", "The files", "Class balance", "Pixel statistics"):
        assert text.count(heading) >= 2, f"{heading!r} should be in the contents and the text"
    assert "Chapter 0" in text and "Chapter 5" in text
    assert "(one seed)" in text  # the headline table of one-seed records
    assert "VBox(children" not in text and "interactive(children" not in text
    # each chapter's exercises listed at its end, without their solutions
    assert text.count("Exercises") >= 2 * 6  # the contents and the text
    assert "Exercise 03.1 · The common-sense error" in text
    assert "BEGIN SOLUTION" not in text and "YOUR CODE HERE" not in text
    solutions = tmp_path / "solutions.pdf"
    code = cli.main(["report", "--profile", "smoke", "--solutions", "--output", str(solutions)])
    assert code == 0, capsys.readouterr()
    text = _pdf_text(solutions)
    assert "BEGIN SOLUTION" in text and "Exercise 03.1: passed" in text
    assert "Pixel statistics" not in text  # the chapters' own sections are not in it


def test_a_wide_table_is_set_small_and_wrapped_rather_than_shrunk():
    import pandas as pd

    from labkit import style

    narrow = style.latex_table(pd.DataFrame({"a": [1.5, 2.5]}, index=["x", "y"]))
    assert report.fit_table(narrow) == narrow
    wide = pd.DataFrame(
        {
            "what": ["two heads: 12 hours + 60 minutes, losses 1 : 1", "one head of 720"],
            "first_epoch_seconds": [6.04, 5.25],
            "minute_accuracy_on_test": [0.679, 0.632],
            "a_long_label_without_spaces": ["x", "y"],
        },
        index=["two_head_equal", "class_720"],
    )
    fitted = report.fit_table(style.latex_table(wide))
    assert fitted.startswith("\\begin{center}\n{\\footnotesize")
    assert "max width=\\linewidth" in fitted  # the cap stays as a net
    spec = fitted.split("\\begin{tabular}{")[1].split("\n")[0]
    assert spec.count("p{") >= 2 and "\\raggedright" in spec and "\\raggedleft" in spec
    assert "first\\_\\allowbreak{}epoch" in fitted  # snake_case may break after "_"
    too_wide = pd.DataFrame({f"c{i}": ["w" * 20] for i in range(8)})
    assert report.fit_table(style.latex_table(too_wide)) == style.latex_table(too_wide)
    assert report.fit_table("$x^2$") == "$x^2$"


def test_lines_printed_one_at_a_time_make_one_block():
    stream = nbformat.v4.new_output
    outputs = [
        stream("stream", name="stdout", text="epoch 1/2\n"),
        stream("stream", name="stdout", text="epoch 2/2\n"),
        stream("display_data", data={"text/plain": "figure"}),
        stream("stream", name="stdout", text="done\n"),
    ]
    joined = report.joined_streams(outputs)
    assert [o.output_type for o in joined] == ["stream", "display_data", "stream"]
    assert joined[0].text == "epoch 1/2\nepoch 2/2\n" and joined[2].text == "done\n"
