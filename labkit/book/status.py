"""Why does this rerun? Every chapter's fingerprint, every store's key, and what made a run stale.

``python -m labkit keys --json`` prints ``{"chapters": {stem: fingerprint}, "stores": {name:
code digest}}``: a chapter's fingerprint under the profile asked for
(:func:`labkit.book.fingerprint.fingerprint`), and the code part of each stored computation's
keys (:data:`labkit.cache.STORES`), which each call's settings then extend.
``python -m labkit status`` (or ``keys`` without ``--json``) reads the ``.done`` stamps under
``reports/`` and says, per profile and chapter, whether the run is current and, if not, which
cells, settings, library versions or labkit definitions changed since it ran.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import cache, profiles, run_record, stores
from .fingerprint import explain, fingerprint, read_stamp

__all__ = ["keys", "status_lines"]

assert stores  # imported for its registry: every Store in labkit.cache.STORES


def keys(profile: str = profiles.DEFAULT_PROFILE, seed: int = 0) -> dict[str, dict[str, str]]:
    """Every chapter's fingerprint under ``profile`` and ``seed`` and every store's code digest."""
    from .runner import discover

    return {
        "chapters": {nb.stem: fingerprint(nb, profile, seed) for nb in discover()},
        "stores": {name: s.code() for name, s in sorted(cache.STORES.items())},
    }


def status_lines(profile_names: list[str] | None = None, reports: Path | None = None) -> list[str]:
    """A line per chapter run found under ``reports/<profile>/logs/`` (``current``, or
    ``stale`` with one indented line per reason), for the profiles named (all by default)."""
    from .runner import discover

    chapters = {nb.stem: nb for nb in discover()}
    out = []
    for profile in profile_names or list(profiles.PROFILES):
        logs = run_record.reports_dir(profile, reports) / "logs"
        for stem, nb in chapters.items():
            done = logs / f"{stem}.done"
            if not done.is_file():
                out.append(f"{profile} {stem}: never run")
                continue
            stamped = read_stamp(done)
            seed = int((stamped.get("parts") or {}).get("settings", {}).get("seed", 0))
            if stamped.get("fingerprint") == fingerprint(nb, profile, seed):
                out.append(f"{profile} {stem}: current")
                continue
            reasons = explain(stamped, nb, profile, seed) or ["its fingerprint differs"]
            out.append(f"{profile} {stem}: stale, since it ran (commit {stamped.get('commit')}):")
            out += [f"    {r}" for r in reasons]
    return out


def main(as_json: bool, profile: str | None, seed: int) -> int:
    """``keys``/``status``: JSON of :func:`keys`, or :func:`status_lines` and the stores' codes."""
    if as_json:
        print(json.dumps(keys(profile or profiles.DEFAULT_PROFILE, seed), indent=1))
        return 0
    for line in status_lines([profile] if profile else None):
        print(line)
    print("stores (code digest; each call's settings extend it):")
    for name, s in sorted(cache.STORES.items()):
        print(f"    {name}: {s.code()[:16]}  ({', '.join(s.producers)})")
    return 0
