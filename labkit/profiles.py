"""What the ``smoke`` / ``quick`` / ``full`` profiles mean, as data, one table per chapter.

* ``smoke`` proves every cell runs (under a minute per notebook); the tests use it.
* ``quick`` gives meaningful reduced results (the default of ``make run``).
* ``full`` gives the numbers the README and the report quote.

A notebook reads its sizes with ``cfg = profiles.get("00_data_tour", profile)``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

PROFILES: tuple[str, ...] = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
#: What each profile is for, in one line (the CLI's help and the report's title page).
MEANING: dict[str, str] = {
    "smoke": "every cell runs, on tiny sizes: proves the workbook runs, not its numbers",
    "quick": "reduced sizes and epochs: meaningful but not final numbers",
    "full": "the sizes and runs whose numbers the README quotes",
}

_TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "00_data_tour": {
        # stats_samples: training images used for the pixel statistics (None = all 60 000)
        "smoke": {"grid_per_class": 4, "stats_samples": 2_000},
        "quick": {"grid_per_class": 8, "stats_samples": 20_000},
        "full": {"grid_per_class": 10, "stats_samples": None},
    },
}


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
    return sorted(_TABLES)


def get(chapter: str, profile: str) -> MappingProxyType:
    """The read-only settings of ``chapter`` (a notebook stem) under ``profile``."""
    check_profile(profile)
    if chapter not in _TABLES:
        raise KeyError(
            f"no profile table for chapter {chapter!r}; known chapters: {', '.join(chapters())}"
        )
    return MappingProxyType(dict(_TABLES[chapter][profile]))
