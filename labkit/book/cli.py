"""Command line: ``python -m labkit run|report [NOTEBOOK...] --profile P``, ``tune``,
``bench-clocks``, ``keys [--json]``, ``status``.

``run`` executes chapters headless into ``reports/<profile>/``; ``report`` exports the executed
chapters of a profile to one PDF, ``reports/<profile>/workbook.pdf``; ``tune --chief`` /
``tune --worker`` run chapter 01's search on several machines
(:mod:`labkit.classifiers.tuning.distributed`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import profiles


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
    run.add_argument(
        "--wait",
        action="store_true",
        help="when another run of a chapter holds its lock, wait for it instead of exiting "
        "(exit code 3)",
    )
    report = sub.add_parser(
        "report", help="export the executed chapters of a profile to one PDF (needs xelatex)"
    )
    _chapters_and_profile(report, "whose executed chapters: reports/<profile>/ (default: quick)")
    report.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the PDF to write (default: reports/<profile>/workbook.pdf, or solutions.pdf)",
    )
    report.add_argument(
        "--solutions",
        action="store_true",
        help="the teachers' PDF: each chapter's exercises with their solutions and checks",
    )
    sub.add_parser("list", help="list the chapter notebooks")
    for name, what in (
        ("keys", "every chapter's fingerprint and every store's code digest (--json), or status"),
        ("status", "which runs under reports/ are stale, and which definitions made them so"),
    ):
        keys = sub.add_parser(name, help=what)
        keys.add_argument("--json", action="store_true", help="print keys as JSON")
        keys.add_argument(
            "--profile", choices=profiles.PROFILES,
            help="the profile (keys: default quick; status: every profile with runs)",
        )  # fmt: skip
        keys.add_argument("--seed", type=int, default=0, help="the seed the fingerprints are for")
    sub.add_parser(
        "readme",
        help="the README's pictures (docs/NN_*.png) and results table from the full runs",
    )
    student = sub.add_parser(
        "student",
        help="write the student edition (exercises' solutions removed, checks kept; nbgrader)",
    )
    student.add_argument("notebooks", nargs="*", help="chapters (default: all)")
    student.add_argument("--out", type=Path, help="the folder to write (default: reports/student/)")
    grade = sub.add_parser(
        "grade", help="run a folder of returned notebooks and tabulate their exercises' checks"
    )
    grade.add_argument("folder", type=Path, help="returned notebooks, one folder per student")
    grade.add_argument(
        "--profile", default="smoke", choices=profiles.PROFILES,
        help="the profile the notebooks run at (default: smoke)",
    )  # fmt: skip
    grade.add_argument(
        "--out", type=Path, help="where grades.csv, answers.md and graded/ go (default: folder)"
    )
    _tune_parser(sub)
    bench = sub.add_parser(
        "bench-clocks", help="time the clock generator (no cache): images per second"
    )
    bench.add_argument("--n", type=int, default=18_000, help="clocks to draw (default 18 000)")
    bench.add_argument("--size", type=int, default=150, help="image side in pixels (default 150)")
    bench.add_argument("--difficulty", default="leiden", help="difficulty step (default leiden)")
    bench.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    bench.add_argument("--seed", type=int, default=0)
    return p


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, got {port}")
    return port


def _tune_parser(sub: Any) -> None:
    env = os.environ.get
    tune = sub.add_parser(
        "tune",
        help="chapter 01's search on several machines: one --chief, any number of --worker",
        description="Run chapter 01's coarse-to-fine keras-tuner search of one dataset and "
        "model with a chief (holds the search, in reports/<profile>/tuning/ like the chapter) "
        "and workers (train the trials). Start the chief first, then the workers, with the "
        "same dataset, model, profile and seed; afterwards chapter 01 finds the search done.",
    )
    role = tune.add_mutually_exclusive_group(required=True)
    role.add_argument("--chief", action="store_true", help="hold the search and serve it")
    role.add_argument(
        "--worker",
        nargs="?",
        const="",
        metavar="ID",
        help="train trials; ID names this worker (default: $KERASTUNER_TUNER_ID or host-pid)",
    )
    tune.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    tune.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    tune.add_argument("--profile", default=profiles.DEFAULT_PROFILE, choices=profiles.PROFILES)
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument(
        "--address",
        help="chief: the interface it listens on (default 127.0.0.1, this machine only; "
        "0.0.0.0 or a host's address exposes keras-tuner's unauthenticated, unencrypted oracle "
        "to that network; $KERASTUNER_ORACLE_IP is not read by the chief). Worker: where the "
        "chief is (required; default $KERASTUNER_ORACLE_IP)",
    )
    tune.add_argument(
        "--port",
        type=_port,
        default=env("KERASTUNER_ORACLE_PORT") or 8000,  # argparse applies the type to it
        help="the chief's port (default $KERASTUNER_ORACLE_PORT or 8000)",
    )
    tune.add_argument(
        "--directory", type=Path, help="the search's folder (default reports/<profile>/tuning)"
    )
    tune.add_argument("--subset", type=int, help="training images (default: the profile's)")
    tune.add_argument("--coarse-trials", type=int, help="coarse trials (default: the profile's)")
    tune.add_argument("--fine-trials", type=int, help="fine trials (default: the profile's)")
    tune.add_argument("--epochs", type=int, help="epochs per trial (default: the profile's)")
    tune.add_argument(
        "--lost-after",
        type=float,
        default=120.0,
        help="chief: seconds without a heartbeat after which a worker's trial is given to "
        "another worker (default 120)",
    )
    tune.add_argument(
        "--heartbeat", type=float, default=10.0, help="worker: seconds between heartbeats"
    )
    tune.add_argument(
        "--chief-wait",
        type=float,
        default=120.0,
        help="worker: seconds to wait for a chief that does not answer before exiting "
        "(default 120)",
    )
    tune.add_argument("--time-limit", type=float, help="chief: give up after this many seconds")


def _tune(args: argparse.Namespace) -> int:
    """Run a chief or a worker of chapter 01's search."""
    from ..classifiers.tuning import distributed

    worker = args.worker
    if worker is not None and not worker:
        import socket

        worker = os.environ.get("KERASTUNER_TUNER_ID") or f"{socket.gethostname()}-{os.getpid()}"
    address = args.address
    if worker is not None:
        address = address or os.environ.get("KERASTUNER_ORACLE_IP")
    if worker is not None and not address:
        print(
            "error: a worker needs the chief's address: --address HOST or KERASTUNER_ORACLE_IP",
            file=sys.stderr,
        )
        return 2
    try:
        search = distributed.chapter_search(
            args.dataset,
            args.model,
            args.profile,
            args.seed,
            directory=args.directory,
            subset=args.subset,
            coarse_trials=args.coarse_trials,
            fine_trials=args.fine_trials,
            epochs=args.epochs,
        )
        if args.chief:
            result = distributed.run_chief(
                search,
                address=address or distributed.LOOPBACK,
                port=args.port,
                lost_after=args.lost_after,
                time_limit=args.time_limit,
            )
            print(result.table().round(4).to_string(index=False))
            print(f"best: {result.best()}")
        else:
            distributed.run_worker(
                search, worker=worker, address=address, port=args.port,
                heartbeat=args.heartbeat, chief_wait=args.chief_wait,
            )  # fmt: skip
    except (ValueError, OSError, TimeoutError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _bench_clocks(args: argparse.Namespace) -> int:
    """Draw ``args.n`` clocks without the cache and print how fast."""
    from .. import clocks

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


def _say(line: str) -> None:
    """A progress line, flushed at once (a long run's log is read with ``tail``)."""
    print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    from . import runner

    args = _parser().parse_args(argv)
    runner.absolute_paths()  # a relative LABKIT_DATA_DIR is from here, not from notebooks/
    if args.command in ("keys", "status"):
        from . import status

        return status.main(args.command == "keys" and args.json, args.profile, args.seed)
    if args.command == "list":
        for path in runner.discover():
            print(path.stem)
        return 0
    if args.command == "readme":
        from . import readme

        try:
            for path in readme.write_figures("full"):
                print(f"wrote {path}")
            print(f"wrote the results table of {readme.write_table('full')}")
        except (readme.ReadmeError, ValueError) as e:  # ValueError: a mixed default-run record
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.command == "bench-clocks":
        return _bench_clocks(args)
    if args.command == "student":
        from ..exercises import edition

        try:
            handout = edition.build(runner.resolve(args.notebooks), args.out)
        except (RuntimeError, ValueError, FileNotFoundError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"wrote the student edition to {handout} (nbgrader's course folder beside it)")
        return 0
    if args.command == "grade":
        from ..exercises import grade

        try:
            rows = grade.grade_folder(args.folder, args.profile, args.out)
        except (FileNotFoundError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(grade.summary(rows))
        print(f"wrote {(args.out or args.folder) / 'grades.csv'} and answers.md")
        return 0
    if args.command == "tune":
        return _tune(args)
    if args.command == "report":
        from . import report

        try:
            report.build(args.notebooks, args.profile, output=args.output, solutions=args.solutions)
        except report.ReportError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.seed < 0:
        print("error: --seed must be a non-negative integer", file=sys.stderr)
        return 2
    try:
        runner.run_all(
            args.notebooks, args.profile, args.seed, force=args.force, echo=_say, wait=args.wait
        )
    except runner.ChapterBusy as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except runner.RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
