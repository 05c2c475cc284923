"""The README's default-run section: times and numbers read from the run, never typed."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from labkit import profiles
from labkit.book import costs, report
from labkit.book.fingerprint import write_stamp

RUN = {
    "00_data_tour": {"commit": "abc1234def", "seconds": "12.0"},
    "01_mlp_cnn_tuning": {"commit": "abc1234def", "seconds": "420.0"},
}
PDF = {"seconds": 30.0, "pages": 80, "megabytes": 3.2, "chapters": list(RUN)}


def test_the_default_run_adds_up_its_chapters_and_the_pdf():
    records = {
        "01_mlp_cnn_tuning": {"seconds_from_scratch": 3600.0, "results_read_back": 5, "results": {}}
    }
    text = costs.default_run(RUN, PDF, records, {})
    assert "fresh clone of abc1234" in text
    assert "the 2 chapters in 7.2 min, the PDF (80 pages) in 30 s, **7.7 min** in all" in text
    assert (
        "| 00_data_tour | 12 s | n/a (record predates it) | "
        + costs.purpose("00_data_tour", "quick") + " |"
    ) in text  # fmt: skip
    assert "| 01_mlp_cnn_tuning | 7.0 min | 60.0 min (5 results read back) |" in text
    assert "| **in all** | **7.7 min** | | |" in text
    assert "| what | quick | full |" not in text  # no metrics: no numbers


def test_a_run_without_times_or_from_two_commits_is_refused():
    with pytest.raises(ValueError, match="no time in the quick stamps of 01_mlp_cnn_tuning"):
        costs.default_run({**RUN, "01_mlp_cnn_tuning": {"commit": "abc1234def"}}, PDF, {}, {})
    other = {**RUN, "01_mlp_cnn_tuning": {"commit": "fff", "seconds": "1"}}
    with pytest.raises(ValueError, match="several commits"):
        costs.default_run(other, PDF, {}, {})


def test_stamps_and_the_pdf_record_are_read_from_the_reports(tmp_path):
    logs = tmp_path / "quick" / "logs"
    logs.mkdir(parents=True)
    write_stamp(logs / "00_data_tour.done", {"fingerprint": "f", "commit": "c", "seconds": 3.5})
    report.record_path("quick", tmp_path).write_text(json.dumps(PDF))
    assert costs.stamps("quick", tmp_path) == {
        "00_data_tour": {"fingerprint": "f", "commit": "c", "seconds": "3.5"}
    }
    assert costs.pdf_record("quick", tmp_path) == PDF and costs.pdf_record("full", tmp_path) is None
    assert costs.full_pdf(PDF).startswith(
        "The committed `reports/full/workbook.pdf` (80 pages, 3.2"
    )


def test_every_chapter_says_what_its_quick_numbers_are_good_for():
    for stem in profiles.chapters():
        said = costs.purpose(stem, "quick")
        assert said != profiles.MEANING["quick"], f"{stem}'s profile module has no PURPOSE"


def test_each_headline_row_stands_beside_its_full_twin():
    from labkit.book import headlines

    full = headlines.load("full")
    text = costs.default_run(RUN, PDF, full, full)
    rows = headlines.headlines(full)
    assert all(f"| {r.what} | {r.ours} | {r.ours} |" in text for r in rows)
    assert "its models are weaker than `full`'s" in text


def test_a_row_renamed_since_the_quick_run_has_no_twin():
    from labkit.book import headlines

    full = headlines.load("full")
    rows = headlines.headlines(full)
    first = rows[0]
    renamed = [headlines.Headline(**{**vars(first), "what": "a row named otherwise"})]
    sized = [headlines.Headline(**{**vars(first), "what": first.what + " (300 test clocks)"})]
    full_sized = [headlines.Headline(**{**vars(first), "what": first.what + " (1800 test clocks)"})]
    with mock.patch.object(headlines, "headlines", side_effect=[renamed, rows]):
        text = costs.default_run(RUN, PDF, full, full)
    assert f"| a row named otherwise | {first.ours} |  |" in text
    with mock.patch.object(headlines, "headlines", side_effect=[sized, full_sized]):
        text = costs.default_run(RUN, PDF, full, full)
    assert f"| {first.what} (300 test clocks) | {first.ours} | {first.ours} |" in text
