"""The headline rows (PDF summary page, README table) come from the chapters' metrics."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from labkit import project_root
from labkit.book import headlines, report, runner

FULL = project_root() / "reports" / "full" / "metrics"


def _committed() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in FULL.glob("*.json")}


def test_rows_carry_the_committed_full_numbers():
    records = _committed()
    rows = headlines.headlines(records)
    assert [r.chapter for r in rows].count("01_mlp_cnn_tuning") == 4
    assert [r.chapter for r in rows].count("02_pixel_permutation") == 4
    by_what = {r.what: r for r in rows}
    cnn = records["01_mlp_cnn_tuning"]["results"]["mnist"]["cnn"]
    row = by_what["MNIST CNN: test accuracy"]
    assert row.ours == f"{cnn['selected']['test_accuracy_mean']:.4f}"
    assert row.reference == str(cnn["report"]["selected"]) and "0.9922" in row.anchors
    seeds = cnn["selected"].get("seeds")
    if seeds and seeds["n"] > 1:  # the mean over the final seeds, its sd, then seed 0's
        test = cnn["selected"]["test_accuracy"]
        assert row.runs == f"mean of {seeds['n']} seeds (sd {seeds['sd']:.4f}); seed 0: {test:.4f}"
    else:
        assert row.runs == "seed 0, 1 run"
    clock = next(r for r in rows if r.chapter == "03_clock_reading")
    res03 = records["03_clock_reading"]["results"]
    if "readers" in res03:  # the reader on time labels alone first, beside the report's photos
        time_labels = res03["readers"]["time_labels"]
        assert clock.ours.startswith(f"{time_labels['cse_mean']:.2f}")
        assert "the time alone" in clock.what and "course's photos" in clock.reference
        gen = next(r for r in rows if "generator's labels" in r.what)
        assert gen.ours.startswith(f"{res03['readers']['generator_labels']['cse_mean']:.2f}")
        assert gen.target == "mean <= 1" and clock.target == "mean <= 1.89"
    else:
        final = res03["final"]
        assert clock.ours == f"{final['cse_minutes']:.2f}" and "course's photos" in clock.reference
    mirrored = records["03_clock_reading"]["results"].get("mirrored")
    if mirrored:  # the reader on the mirrored rung, beside the headline
        row = next(r for r in rows if "mirrored rung" in r.what)
        assert row.ours == f"{mirrored['all clocks']['cse_minutes']:.1f}"
    vae = next(r for r in rows if r.chapter == "04_vae")
    assert vae.ours == f"{records['04_vae']['results']['vae']['test_iwae_nats']:.2f}"
    block = records["04_vae"]["results"]["vae"]
    assert "factorised" in vae.what and vae.target == f"mean < {block['target_nats']:g}"
    assert (
        vae.judged == f"{block['iwae_spread']['mean']:.3f}"
    )  # the target judges the mean (3 places: it may sit within 0.01 of the target)
    perm = next(r for r in rows if r.chapter == "02_pixel_permutation")
    assert perm.runs.startswith("3 seeds") and "±" in perm.ours


def test_a_chapter_without_metrics_has_no_rows_and_the_table_has_one_line_per_row():
    records = _committed()
    records.pop("03_clock_reading")
    rows = headlines.headlines(records)
    assert "03_clock_reading" not in {r.chapter for r in rows}
    table = headlines.markdown(rows).splitlines()
    assert len(table) == 2 + len(rows) and table[0].startswith("| what | ours |")
    assert headlines.headlines({}) == []


def test_the_summary_page_marks_a_chapter_run_with_an_earlier_version(tmp_path: Path):
    records = _committed()

    def chapter(stem: str, stale: bool) -> report.Chapter:
        src = project_root() / "notebooks" / f"{stem}.ipynb"
        return report.Chapter(src, src, nbformat.v4.new_notebook(), records[stem], stale=stale)

    chapters = [chapter("01_mlp_cnn_tuning", True), chapter("04_vae", False)]
    page = report.summary_page(chapters, "full")
    assert r"\addcontentsline{toc}{chapter}{Headline numbers}" in page
    assert page.count("run with an earlier version") == 1
    assert f"{records['04_vae']['results']['vae']['test_iwae_nats']:.2f}" in page
    title = report.titlepage(chapters, "full")
    assert "run with an earlier version" in title and "current" in title


def test_a_chapters_later_titles_become_sections_outside_code():
    text = "# Part two\ntext\n```python\n# a comment\n```\n## Already a section"
    assert report.demote_titles(text) == (
        "## Part two\ntext\n```python\n# a comment\n```\n## Already a section"
    )


@pytest.mark.pdf
def test_the_committed_pdf_shows_the_committed_full_runs(require_tools):
    """reports/full/workbook.pdf was built from the committed full runs: its summary page
    carries their numbers, and a chapter is marked as run with an earlier version exactly
    when its code changed since (then rebuild it: `python -m labkit report --profile full`)."""
    require_tools("pdftotext")
    pdf = project_root() / "reports" / "full" / "workbook.pdf"
    front = subprocess.run(["pdftotext", "-layout", "-l", "3", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    for row in headlines.headlines(_committed()):
        if row.ours.replace(".", "").isdigit():
            assert row.ours in front, row
    title = front.split("Headline numbers")[0]
    for notebook in runner.discover():
        current = runner.code_is_current(notebook, "full", 0)
        line = next(ln for ln in title.splitlines() if notebook.stem.replace("_", " ") in
                    ln.replace("_", " "))  # fmt: skip
        assert line.rstrip().endswith("current" if current else "earlier version"), line


def test_two_clock_readers_give_two_rows_named_for_their_labels():
    reader = {"seeds": [0, 1], "cse_sd": 0.2, "test_se": 0.1, "within_1_min": 0.9}
    record = {
        "seed": 0,
        "results": {
            "final": {"difficulty": "leiden", "n_test": 1800},
            "readers": {
                "time_labels": {**reader, "cse_mean": 2.5},
                "generator_labels": {**reader, "cse_mean": 0.9},
                "train_seconds": {"time_labels": 1200.0, "generator_labels": 600.0},
            },
        },
    }
    time_row, gen_row = headlines.clock_reading(record)
    assert time_row.ours == "2.50 ± 0.20" and time_row.met is False
    assert "1.89 on the course's photos" == time_row.reference and time_row.runs == "2 seeds (0-1)"
    assert gen_row.ours == "0.90 ± 0.20" and gen_row.met is True and gen_row.reference == ""
    assert time_row.time == "20.0 min training" and "within 1 min 0.900" in gen_row.anchors
