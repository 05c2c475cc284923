"""What the ``smoke`` / ``quick`` / ``full`` profiles mean, as data, one table per chapter.

* ``smoke`` proves every cell runs (under a minute per notebook); the tests use it.
* ``quick`` gives meaningful reduced results (the default of ``make run``).
* ``full`` is sized for the headline numbers. The README names the profile of every number it
  quotes: ``quick`` for a chapter whose ``full`` run has not landed yet.

One module per chapter (``labkit/profiles/data_tour.py`` for ``00_data_tour``) is its manifest:
its ``CHAPTER`` stem, its ``PROFILES`` (profile -> settings), each setting explained beside it,
and where it has them its ``TARGETS`` (:class:`Target`: what the chapter aims for, defined here
only) and ``REFERENCES`` (the reference documents' numbers it is set beside), read by the
chapter (:func:`targets`, :func:`references`) and by the README and PDF (:mod:`labkit.book`).
A notebook reads its sizes with ``cfg = profiles.get("00_data_tour", profile)``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import MappingProxyType, ModuleType

PROFILES: tuple[str, ...] = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
#: What each profile is for, in one line (the CLI's help and the report's title page).
MEANING: dict[str, str] = {
    "smoke": "every cell runs, on tiny sizes: proves the workbook runs, not its numbers",
    "quick": "reduced sizes and epochs: meaningful but not final numbers",
    "full": "the sizes and runs meant for the headline numbers",
}


def _chapter_modules() -> dict[str, ModuleType]:
    """Every chapter's profile module, by the notebook stem it names (``CHAPTER``).

    Imported by name at run time, not by an import statement: a chapter's fingerprint hashes the
    settings it receives (:func:`get`), not the other chapters' tables."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.CHAPTER] = module
    return found


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is in :data:`PROFILES`, else raise a ``ValueError`` naming them."""
    if profile not in PROFILES:
        raise ValueError(
            f"unknown profile {profile!r}: the parameter 'profile' must be one of "
            f"{', '.join(PROFILES)}"
        )
    return profile


def chapters() -> list[str]:
    """The chapters that have a profile table."""
    return sorted(_chapter_modules())


def get(chapter: str, profile: str) -> MappingProxyType:
    """The read-only settings of ``chapter`` (a notebook stem) under ``profile``."""
    check_profile(profile)
    modules = _chapter_modules()
    if chapter not in modules:
        raise KeyError(
            f"no profile table for chapter {chapter!r}; known chapters: {', '.join(chapters())}"
        )
    return MappingProxyType(dict(modules[chapter].PROFILES[profile]))


@dataclass(frozen=True)
class Target:
    """A chapter's aim for one number: ``mean >= 0.85`` is ``Target(">=", 0.85, "mean")``."""

    op: str
    value: float
    of: str = ""  # what is compared: "mean" (over seeds), or "" (the number itself)

    def __post_init__(self) -> None:
        if self.op not in (">=", "<="):
            raise ValueError(f"a target's op must be '>=' or '<=', got {self.op!r}")

    def met(self, number: float) -> bool:
        """Whether ``number`` meets the target."""
        return number >= self.value if self.op == ">=" else number <= self.value

    @property
    def bound(self) -> str:
        """The comparison alone: ``>= 0.85``."""
        return f"{self.op} {self.value:g}"

    def __str__(self) -> str:
        return f"{self.of + ' ' if self.of else ''}{self.bound}"


def name(chapter: str) -> str:
    """The short name of ``chapter``'s manifest (``clock_reading`` for ``03_clock_reading``):
    the book's headline rows and README section of the chapter are the functions of that name in
    :mod:`labkit.book.headlines` and :mod:`labkit.book.details` (no other registry)."""
    return manifest(chapter).__name__.rpartition(".")[2]


def manifest(chapter: str) -> ModuleType:
    """``chapter``'s manifest: its profile module (settings, targets, references, README
    picture and section)."""
    modules = _chapter_modules()
    if chapter not in modules:
        raise KeyError(
            f"no profile table for chapter {chapter!r}; known chapters: {', '.join(chapters())}"
        )
    return modules[chapter]


def targets(chapter: str) -> MappingProxyType:
    """``chapter``'s targets by name (:class:`Target`); empty when it has none."""
    return MappingProxyType(dict(getattr(manifest(chapter), "TARGETS", {})))


def budget(chapter: str, profile: str) -> float | None:
    """The minutes ``chapter`` may take under ``profile`` on 2 cores from empty stores (its
    manifest's ``BUDGETS``), or None when it states none."""
    check_profile(profile)
    return getattr(manifest(chapter), "BUDGETS", {}).get(profile)


def references(chapter: str) -> MappingProxyType:
    """The reference documents' numbers ``chapter`` sets its own beside, by name."""
    return MappingProxyType(dict(getattr(manifest(chapter), "REFERENCES", {})))
