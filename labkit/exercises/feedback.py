"""What an exercise's check reports: a :class:`Result` with a status and lines of feedback.

A check never raises into the student's notebook. A function that raises
``NotImplementedError`` (nbgrader's stub) or returns nothing, and an answer left at ``None`` or
``...``, are *not done yet*; any other exception the student's code raises is reported as a
failure with its message and the input that caused it. Every check runs the visible cases
shown in the chapter and hidden cases drawn afresh on each call, so an answer that hard-codes
the visible ones fails.

A result is displayed as markdown in JupyterLab and the PDF, as text in a terminal, and as a
JSON record (:data:`MIME`) in the executed notebook, which :mod:`labkit.exercises.grade` reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "FAILED",
    "MIME",
    "NOT_DONE",
    "PASSED",
    "STATUSES",
    "Case",
    "Result",
    "answer_check",
    "choice_check",
    "function_check",
    "is_unanswered",
]

PASSED, FAILED, NOT_DONE = "passed", "failed", "not done yet"
STATUSES = (PASSED, FAILED, NOT_DONE)
#: The mime type of a check's record in an executed notebook.
MIME = "application/vnd.labkit.check+json"
_MARK = {PASSED: "✓", FAILED: "✗", NOT_DONE: "…"}


@dataclass
class Result:
    """One check's outcome: the ``exercise`` id, its ``status`` (one of :data:`STATUSES`), the
    feedback ``lines`` and how many hidden cases passed (``hidden``: passed, of how many)."""

    exercise: str
    status: str
    lines: list[str] = field(default_factory=list)
    hidden: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.status == PASSED

    def headline(self) -> str:
        """``Exercise 03.1: passed`` and the hidden cases' count."""
        tail = f" (hidden cases: {self.hidden[0]} of {self.hidden[1]} right)" if self.hidden else ""
        return f"Exercise {self.exercise}: {self.status}{tail}"

    def record(self) -> dict[str, Any]:
        """The JSON record a grader reads back."""
        return {
            "exercise": self.exercise,
            "status": self.status,
            "lines": self.lines,
            "hidden": list(self.hidden) if self.hidden else None,
        }

    def __str__(self) -> str:
        return "\n".join(
            [f"{_MARK[self.status]} {self.headline()}", *(f"  {ln}" for ln in self.lines)]
        )

    def _repr_markdown_(self) -> str:
        lines = "\n".join(f"- {ln}" for ln in self.lines)
        return f"**{_MARK[self.status]} {self.headline()}**\n\n{lines}\n"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": str(self),
            "text/markdown": self._repr_markdown_(),
            MIME: json.loads(json.dumps(self.record())),
        }


def is_unanswered(value: Any) -> bool:
    """An answer left as the student edition hands it out: ``None`` or ``...``."""
    return value is None or value is Ellipsis


@dataclass(frozen=True)
class Case:
    """One input of a function check: its ``args``, the ``expected`` output, how the case reads
    in feedback (``label``) and a ``hint`` shown when the student's output differs."""

    args: tuple
    expected: Any
    label: str
    hint: str = ""


def _same(got: Any, expected: Any, atol: float, rtol: float) -> bool:
    try:
        got_a, exp_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got_a.shape == exp_a.shape and bool(np.allclose(got_a, exp_a, atol=atol, rtol=rtol))


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            arr = np.round(arr, 4)
        text = " ".join(np.array2string(arr, threshold=8, edgeitems=3, separator=", ").split())
        return f"{text} (shape {arr.shape})" if arr.ndim > 1 or arr.size > 8 else text
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return repr(value)


def function_check(
    exercise: str,
    fn: Any,
    visible: Sequence[Case],
    hidden: Sequence[Case],
    *,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    prepare: Callable[[tuple], tuple] | None = None,
) -> Result:
    """Run the student's ``fn`` on every case and say, for each visible case, what it gave and
    what was expected; hidden cases are counted and the first one that fails is shown. Not done
    yet when ``fn`` is missing, raises ``NotImplementedError`` or returns ``None``."""
    if not callable(fn):
        return Result(exercise, NOT_DONE, [f"expected a function, got {type(fn).__name__}"])
    lines, wrong, hidden_right = [], 0, 0
    first_hidden = None
    for n, case in enumerate([*visible, *hidden]):
        is_hidden = n >= len(visible)
        args = prepare(case.args) if prepare else case.args
        try:
            got = fn(*args)
        except NotImplementedError:
            return Result(
                exercise,
                NOT_DONE,
                [
                    "the function is not written yet (it raises "
                    "NotImplementedError): replace the stub"
                ],
            )
        except Exception as err:  # the student's code: report it, never raise it
            got, error = None, f"raised {type(err).__name__}: {err}"
        else:
            error = None
            if got is None or got is Ellipsis:
                if n == 0:
                    return Result(
                        exercise,
                        NOT_DONE,
                        ["the function returns nothing yet: write its body (and its `return`)"],
                    )
                error = "returned None (a missing `return`?)"
        ok = error is None and _same(got, case.expected, atol, rtol)
        if is_hidden:
            hidden_right += ok
            if not ok and first_hidden is None:
                first_hidden = (case, got, error)
            continue
        wrong += not ok
        if ok:
            lines.append(f"{case.label}: {_show(got)}, right")
        else:
            said = error or f"yours is {_show(got)}"
            hint = f": {case.hint}" if case.hint else ""
            lines.append(f"{case.label}: {said}, expected {_show(case.expected)}{hint}")
    if first_hidden is not None:
        case, got, error = first_hidden
        said = error or f"yours is {_show(got)}"
        hint = f": {case.hint}" if case.hint else ""
        lines.append(f"a hidden case, {case.label}: {said}, expected {_show(case.expected)}{hint}")
    status = PASSED if wrong == 0 and hidden_right == len(hidden) else FAILED
    return Result(exercise, status, lines, (hidden_right, len(hidden)) if hidden else None)


def answer_check(
    exercise: str,
    given: Any,
    expected: float,
    *,
    what: str,
    tol: float,
    source: str,
) -> Result:
    """A number read off the chapter's outputs: right within ``tol``. ``what`` names the
    quantity, ``source`` where in the chapter it is shown."""
    if is_unanswered(given):
        return Result(exercise, NOT_DONE, [f"set your answer: {what}"])
    try:
        value = float(given)
    except (TypeError, ValueError):
        return Result(exercise, FAILED, [f"expected a number for {what}, got {given!r}"])
    if abs(value - expected) <= tol:
        return Result(exercise, PASSED, [f"{what}: {value:.4g}, right (this run: {expected:.4g})"])
    return Result(
        exercise,
        FAILED,
        [
            f"{what}: yours is {value:.4g}, this run's is {expected:.4g} (within {tol:g}): "
            f"read it again from {source}"
        ],
    )


def choice_check(
    exercise: str,
    given: Any,
    expected: str,
    *,
    allowed: Sequence[str],
    what: str,
    why: str,
) -> Result:
    """One of ``allowed`` chosen: right when it is ``expected``; ``why`` says what decides it
    (shown either way, from the chapter's own numbers)."""
    if is_unanswered(given):
        return Result(exercise, NOT_DONE, [f"set your answer to one of {list(allowed)}: {what}"])
    if given not in allowed:
        return Result(exercise, FAILED, [f"{what}: {given!r} is not one of {list(allowed)}"])
    if given == expected:
        return Result(exercise, PASSED, [f"{what}: {given!r}, right: {why}"])
    return Result(
        exercise, FAILED, [f"{what}: yours is {given!r}, the run says {expected!r}: {why}"]
    )
