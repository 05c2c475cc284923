"""Command line: ``python -m labkit run|report [NOTEBOOK...] --profile P``.

``run`` executes chapters headless into ``reports/<profile>/``; ``report`` exports the executed
chapters of a profile to one PDF, ``reports/<profile>/workbook.pdf``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import profiles


def _chapters_and_profile(parser: argparse.ArgumentParser, profile_help: str) -> None:
    """The arguments ``run`` and ``report`` share: which chapters, which profile."""
    parser.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="chapters by path, stem (00_data_tour) or number (00); none means all, in order",
    )
    parser.add_argument(
        "--profile",
        default=profiles.DEFAULT_PROFILE,
        choices=profiles.PROFILES,
        help=profile_help,
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m labkit", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute chapters headless into reports/<profile>/")
    _chapters_and_profile(
        run,
        "; ".join(f"{name}: {text}" for name, text in profiles.MEANING.items())
        + f" (default: {profiles.DEFAULT_PROFILE})",
    )
    run.add_argument("--seed", type=int, default=0, help="seed for Python, NumPy and Keras")
    run.add_argument(
        "--force", action="store_true", help="rerun chapters even when unchanged since last run"
    )
    report = sub.add_parser(
        "report", help="export the executed chapters of a profile to one PDF (needs xelatex)"
    )
    _chapters_and_profile(report, "whose executed chapters: reports/<profile>/ (default: quick)")
    report.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the PDF to write (default: reports/<profile>/workbook.pdf)",
    )
    sub.add_parser("list", help="list the chapter notebooks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    from . import runner

    args = _parser().parse_args(argv)
    if args.command == "list":
        for path in runner.discover():
            print(path.stem)
        return 0
    if args.command == "report":
        from . import report

        try:
            report.build(args.notebooks, args.profile, output=args.output)
        except report.ReportError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.seed < 0:
        print("error: --seed must be a non-negative integer", file=sys.stderr)
        return 2
    try:
        runner.run_all(args.notebooks, args.profile, args.seed, force=args.force)
    except runner.RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
