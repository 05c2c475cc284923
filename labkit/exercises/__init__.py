"""Exercises: the checks a chapter's exercises call, the student edition and grading.

Each chapter's exercise cells call one module (``ch00`` ... ``ch05``), whose checks return a
:class:`~labkit.exercises.feedback.Result`: feedback a student reads in JupyterLab, never an
exception. :mod:`labkit.exercises.edition` writes the student edition with nbgrader (solutions
removed, checks kept); :mod:`labkit.exercises.grade` runs a folder of returned notebooks and
tabulates their checks.

An exercise's cells carry nbgrader metadata (``metadata.nbgrader``): that is how the student
edition, the PDF and a chapter's fingerprint tell them from the chapter's own cells. They only
read the chapter's values and bind names of their own, so they never change its results (a
chapter's committed run stays current when exercises are added or edited; the test suite
checks that no exercise cell rebinds a name the chapter uses).
"""

from .feedback import FAILED, NOT_DONE, PASSED, Result

__all__ = ["FAILED", "NOT_DONE", "PASSED", "Result"]
