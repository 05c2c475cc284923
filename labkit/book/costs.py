"""What a profile's run cost and gave, for the README: ``python -m labkit readme``.

Read from what the runs left in ``reports/<profile>/``, never typed: each chapter's seconds from
its ``logs/<stem>.done`` stamp (the runner's wall clock, kernel start to last cell) and, from its
metrics record, ``seconds_from_scratch`` (what it would cost from empty stores), the PDF's
from ``logs/workbook.json`` (written by :func:`labkit.book.report.build`), the headline numbers
from the metrics (:mod:`labkit.book.headlines`), and what a chapter's numbers at the profile are
good for from its profile module (:func:`purpose`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import profiles, run_record
from . import headlines, report, runner
from .fingerprint import read_stamp

#: The default run's budget on 2 CPU cores, minutes (all chapters and the PDF).
BUDGET_MINUTES = 30


def stamps(profile: str, reports: Path | None = None) -> dict[str, dict[str, str]]:
    """The ``.done`` stamps of ``profile``'s chapters that have one, by stem, in order."""
    logs = run_record.reports_dir(profile, reports) / "logs"
    found = {p.stem: logs / f"{p.stem}.done" for p in runner.discover()}
    return {stem: read_stamp(done) for stem, done in found.items() if done.exists()}


def pdf_record(profile: str, reports: Path | None = None) -> dict[str, Any] | None:
    """The PDF's build record of ``profile`` (seconds, pages, megabytes, chapters), if any."""
    path = report.record_path(profile, reports)
    return json.loads(path.read_text()) if path.exists() else None


def purpose(chapter: str, profile: str) -> str:
    """What ``chapter``'s numbers at ``profile`` are good for: the ``PURPOSE`` entry of its
    profile module (``labkit/profiles/<name>.py``), else the profile's general meaning. (Read
    here, not in :mod:`labkit.profiles`, whose code every chapter's fingerprint hashes.)"""
    profiles.check_profile(profile)
    module = profiles._chapter_modules().get(chapter)  # noqa: SLF001 - the same package's table
    return getattr(module, "PURPOSE", {}).get(profile, profiles.MEANING[profile])


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def from_scratch(record: Mapping[str, Any]) -> str:
    """A chapter record's ``seconds_from_scratch`` (its run plus the first-run seconds of every
    stored result it read back), as minutes; ``n/a`` for a record from before it was kept."""
    seconds = record.get("seconds_from_scratch")
    if seconds is None:
        return "n/a (record predates it)"
    read = int(record.get("results_read_back", 0))
    return _minutes(float(seconds)) + (f" ({read} results read back)" if read else "")


def _shape(label: str) -> str:
    """A headline's label with its numbers blanked (``300 test clocks`` and ``1800 test
    clocks`` are one row at two profiles)."""
    return re.sub(r"\d[\d.,]*", "#", label)


def default_run(
    run: Mapping[str, Mapping[str, str]],
    pdf: Mapping[str, Any] | None,
    records: Mapping[str, Mapping[str, Any]],
    full: Mapping[str, Mapping[str, Any]],
    profile: str = profiles.DEFAULT_PROFILE,
) -> str:
    """Markdown: the chapters' and the PDF's times of ``run`` (stem -> ``.done`` stamp, each
    with ``seconds``), what each chapter's numbers at ``profile`` are good for, and its headline
    numbers (``records``) beside ``full``'s. Raises ``ValueError`` when a chapter's stamp has no
    time or the stamps come from different commits (not one run)."""
    timed = {stem: s for stem, s in run.items() if "seconds" in s}
    if missing := sorted(set(run) - set(timed)):
        raise ValueError(
            f"no time in the {profile} stamps of {', '.join(missing)}: run every chapter again "
            f"in one go: `make report PROFILE={profile} FORCE=1`"
        )
    commits = {s.get("commit", "") for s in timed.values()}
    if len(commits) != 1:
        raise ValueError(
            f"the {profile} stamps come from several commits: {sorted(commits)}; run every "
            f"chapter again in one go: `make report PROFILE={profile} FORCE=1`"
        )
    chapters = sum(float(s["seconds"]) for s in timed.values())
    total = chapters + (float(pdf["seconds"]) if pdf else 0.0)
    machine = next(iter(records.values()), {}).get("machine", {})
    cores = f"{machine['cores']} CPU cores" if machine.get("cores") else "this machine"
    lines = [
        f"`make report` at its default profile, `{profile}`, on a fresh clone of "
        f"{commits.pop()[:7]} ({cores}): the {len(timed)} chapters in "
        f"{_minutes(chapters)}"
        + (f", the PDF ({pdf['pages']} pages) in {_minutes(float(pdf['seconds']))}" if pdf else "")
        + f", **{_minutes(total)}** in all (budget: {BUDGET_MINUTES} min). Installing the "
        "`.venv` comes first on a new machine and is not counted.",
        "",
        f"| chapter | time | from empty stores | what its `{profile}` numbers are good for |",
        "|---|---|---|---|",
    ]
    for stem, stamp in timed.items():
        lines.append(
            f"| {stem} | {_minutes(float(stamp['seconds']))} | "
            f"{from_scratch(records.get(stem, {}))} | {purpose(stem, profile)} |"
        )
    if pdf:
        lines.append(f"| the PDF | {_minutes(float(pdf['seconds']))} | | |")
    lines.append(f"| **in all** | **{_minutes(total)}** | | |")
    quick_rows = headlines.headlines(records)
    if quick_rows:
        # a row's twin has the same label up to its sizes (test clocks, k), in the same chapter;
        # a record of an earlier version may name its rows otherwise: no twin, a blank cell
        twins: dict[tuple[str, str], list[headlines.Headline]] = {}
        for r in headlines.headlines(full):
            twins.setdefault((r.chapter, _shape(r.what)), []).append(r)
        lines += [
            "",
            f"The headline numbers of that run beside the committed `full` run's (the table "
            f"above); `{profile}` trains less and on less, so its models are weaker than "
            "`full`'s and its numbers are not the chapters' results:",
            "",
            f"| what | {profile} | full |",
            "|---|---|---|",
        ]
        seen: dict[tuple[str, str], int] = {}
        for r in quick_rows:
            key = (r.chapter, _shape(r.what))
            i = seen[key] = seen.get(key, -1) + 1
            same = twins.get(key, [])
            lines.append(f"| {r.what} | {r.ours} | {same[i].ours if i < len(same) else ''} |")
    return "\n".join(lines) + "\n"


def full_pdf(pdf: Mapping[str, Any]) -> str:
    """One sentence on the committed full PDF's build record."""
    return (
        f"The committed `reports/full/workbook.pdf` ({pdf['pages']} pages, "
        f"{pdf['megabytes']:.1f} MB) was built this way from the committed full runs, in "
        f"{_minutes(float(pdf['seconds']))}.\n"
    )
