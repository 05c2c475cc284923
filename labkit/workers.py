"""Stored work made several at a time, each piece in its own process.

On 2 cores a small model trains faster two at a time, each fit in its own process on one
TensorFlow thread, than one at a time on both: a step of a 256-128 MLP on a batch of 128 is
too small for TensorFlow to split well between two threads (chapter 05's layered model,
measured side by side: 2.65-4.36 s an epoch alone on two threads, 4.1-4.8 s each for two on one
thread at once, so about 1.3 times the fits per hour).

:func:`run` hands calls to ``joblib``'s process pool (loky; large NumPy arrays go to the
workers as memory maps). Each call must store what it makes (a fit's weights and row, under its
store's key): the chapter then asks for the same work as before and reads it back. Nothing
comes back through the pool but what each call made (:func:`labkit.cache.made_here`) and its
seconds, so a result a worker made is not counted again as read back
(``seconds_from_scratch``): the chapter's own clock held the time it waited for it. A worker's
rows are stamped with how many worked at once (:func:`labkit.cache.set_at_once`), so a later
run that reads them back counts the wall time they took, not the sum of their clocks.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import cache

__all__ = ["Call", "Done", "run", "one_thread"]


@dataclass(frozen=True)
class Call:
    """One piece of work: ``function(*args, **kwargs)`` (a module-level function, or a method
    of a picklable object), with ``seed`` set first in the worker
    (:func:`labkit.repro.seed_everything`) so what it draws does not depend on which worker
    runs it or what ran there before; ``label`` names it in errors."""

    function: Callable[..., Any]
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    label: str = ""


@dataclass(frozen=True)
class Done:
    """What a worker hands back for one :class:`Call`: its ``seconds`` there, and whether it
    ``made`` anything (False: everything it asked for was kept, and only read back)."""

    seconds: float
    made: bool


def one_thread() -> None:
    """Run this process's TensorFlow on one thread (intra- and inter-op), as a worker does. A
    no-op where it already does; an error if TensorFlow has started on more threads (set it
    before the first operation)."""
    import tensorflow as tf

    threading = tf.config.threading
    now = (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    )
    if now == (1, 1):
        return
    threading.set_intra_op_parallelism_threads(1)
    threading.set_inter_op_parallelism_threads(1)


def _work(call: Call, at_once: int) -> tuple[frozenset[str], float]:
    """In a worker, one of ``at_once``: one thread, the call's seed, the call; what it made
    and its seconds."""
    from . import repro

    one_thread()
    cache.reset_read_back()
    cache.set_at_once(at_once)
    repro.seed_everything(call.seed)
    t0 = time.perf_counter()
    try:
        call.function(*call.args, **call.kwargs)
    except Exception as error:
        what = call.label or repr(call.function)
        raise RuntimeError(f"{what} failed in a worker: {error}") from error
    return cache.made_here(), time.perf_counter() - t0


def run(calls: Sequence[Call], workers: int) -> list[Done]:
    """Make ``calls`` in ``workers`` processes at once (each on one TensorFlow thread, the pool
    kept for the next call of :func:`run`); returns what each call did (:class:`Done`). With
    ``workers`` 1 or a single call nothing is done here (the caller then makes the work itself,
    in this process, on every thread). An error in a call is raised here, naming it."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1 or len(calls) < 2:
        return []
    from joblib import Parallel, delayed

    # loky replaces a worker whose memory grew by 300 MB since its first task (a fit's
    # TensorFlow graphs and memory-mapped data do) and warns that a worker stopped; its pending
    # work goes to the new worker, so nothing is lost and the warning is only noise.
    warnings.filterwarnings(
        "ignore", message="A worker stopped while some jobs were given", category=UserWarning
    )
    at_once = min(workers, len(calls))
    done = Parallel(n_jobs=at_once, backend="loky")(delayed(_work)(c, at_once) for c in calls)
    for made, _ in done:
        for key in made:
            cache.note_made(key)
    return [Done(seconds, bool(made)) for made, seconds in done]
