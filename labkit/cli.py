"""Command line: ``python -m labkit run|report [NOTEBOOK...] --profile P``, ``bench-clocks``.

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
    bench = sub.add_parser(
        "bench-clocks", help="time the clock generator (no cache): images per second"
    )
    bench.add_argument("--n", type=int, default=18_000, help="clocks to draw (default 18 000)")
    bench.add_argument("--size", type=int, default=150, help="image side in pixels (default 150)")
    bench.add_argument("--difficulty", default="leiden", help="difficulty step (default leiden)")
    bench.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    bench.add_argument("--seed", type=int, default=0)
    return p


def _bench_clocks(args: argparse.Namespace) -> int:
    """Draw ``args.n`` clocks without the cache and print how fast."""
    import os

    from . import clocks

    try:
        data = clocks.generate(
            args.n,
            difficulty=args.difficulty,
            size=args.size,
            seed=args.seed,
            workers=args.workers or os.cpu_count() or 1,
            cache=False,
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    info = data.info
    print(
        f"{info['n']} clocks at {info['size']}x{info['size']} ({info['difficulty']}), "
        f"{info['workers']} worker(s) on {os.cpu_count()} core(s): {info['seconds']:.1f} s, "
        f"{info['images_per_second']:.0f} images/s"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    from . import runner

    args = _parser().parse_args(argv)
    if args.command == "list":
        for path in runner.discover():
            print(path.stem)
        return 0
    if args.command == "bench-clocks":
        return _bench_clocks(args)
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
