"""What a chapter's run depends on, as one hash, and the stamp a finished run leaves.

A chapter's fingerprint is its code cells (syntax trees: comments and markdown do not count),
the profile, seed and settings it receives, the code of the labkit definitions it uses and
everything they reach (:func:`labkit.cache.definitions` of :func:`chapter_targets`) and the
library versions. A run's ``.done`` stamp records the fingerprint, the same without the
versions, the commit and Python, and each part itemised (:func:`parts`: a hash of the cells,
the settings, the versions and of every definition reached), so :func:`explain` can say what
made a run stale.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from .. import cache, files, profiles, project_root, repro, store


def cell_source(cell: dict) -> str:
    """A cell's source as one string (a notebook file may store it as a list of lines)."""
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def is_exercise(cell: dict) -> bool:
    """Whether a cell belongs to an exercise (it carries nbgrader metadata, see
    :mod:`labkit.exercises`). Exercise cells read the chapter's values and never change its
    results, so they are not part of its fingerprint: adding or editing an exercise leaves the
    chapter's last run current (tests/test_exercise_cells.py checks that they rebind nothing
    the chapter uses)."""
    return bool(cell.get("metadata", {}).get("nbgrader"))


def grade_id(cell: dict) -> str:
    """An exercise cell's nbgrader ``grade_id`` (``ex03-1-check``); '' for any other cell."""
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id", "")


def chapter_targets(notebook: Path, package_dir: Path | None = None) -> list[str]:
    """The labkit definitions a chapter's code cells use, exercise cells aside (``"module:name"``,
    or a whole module it uses as a value: :func:`labkit.cache.notebook_targets`). Their code and
    what it reaches are part of the chapter's :func:`fingerprint`, so editing a definition the
    chapter does not reach leaves its last run valid. The profile tables are not among them:
    the settings the chapter receives count instead."""
    nb = json.loads(Path(notebook).read_text())
    cells = [
        cell_source(c)
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code" and not is_exercise(c)
    ]
    source = "\n".join(
        "\n".join(ln for ln in c.splitlines() if not ln.lstrip().startswith(("%", "!", "?")))
        for c in cells
    )
    return cache.notebook_targets(source, package_dir)


def chapter_code(nb: dict) -> str:
    """What a notebook runs: its code cells' syntax trees (no comments, no layout) and their
    magic and shell lines, in order. Markdown and exercise cells (:func:`is_exercise`) are not
    part of it."""
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or is_exercise(cell):
            continue
        source = cell_source(cell)
        try:
            parts.append(store.code_dump(source))
        except SyntaxError:
            parts.append(source)
        magics = [ln.strip() for ln in source.splitlines() if ln.lstrip().startswith(("%", "!"))]
        parts.append("\n".join(magics))
    return "\0".join(parts)


def settings(stem: str, profile: str) -> dict | None:
    """The settings chapter ``stem`` receives under ``profile``, with its manifest's targets and
    references when it has them (None: it has no table)."""
    if stem not in profiles.chapters():
        return None
    out = dict(profiles.get(stem, profile))
    if targets := profiles.targets(stem):
        out["_targets"] = {k: str(t) for k, t in targets.items()}
    if references := profiles.references(stem):
        out["_references"] = dict(references)
    return out


def fingerprint(
    notebook: Path,
    profile: str,
    seed: int,
    package_dir: Path | None = None,
    with_versions: bool = True,
) -> str:
    """A hash of what a run depends on: the notebook's code cells (:func:`chapter_code`), the
    profile, seed and settings the chapter receives (:func:`settings`), the code of the labkit
    definitions it reaches (:func:`chapter_targets`) and, unless ``with_versions`` is false, the
    library versions. Markdown, comments and docstrings do not count."""
    notebook = Path(notebook)
    nb = json.loads(notebook.read_text())
    h = hashlib.sha256(chapter_code(nb).encode())
    spec = {"profile": profile, "seed": int(seed), "settings": settings(notebook.stem, profile)}
    h.update(json.dumps(spec, sort_keys=True, default=str).encode())
    h.update(cache.definitions(chapter_targets(notebook, package_dir), package_dir).encode())
    if with_versions:
        h.update(json.dumps(repro.versions(), sort_keys=True).encode())
    return h.hexdigest()


def parts(
    notebook: Path, profile: str, seed: int, package_dir: Path | None = None
) -> dict[str, object]:
    """What :func:`fingerprint` hashes, itemised: a hash of the code ``cells``, the
    ``settings`` (profile, seed and the chapter's table), the library ``versions`` and each
    labkit definition reached (``definitions``: ``"module:name"`` -> a hash of its code)."""
    notebook = Path(notebook)
    nb = json.loads(notebook.read_text())
    spec = {"profile": profile, "seed": int(seed), "settings": settings(notebook.stem, profile)}
    return {
        "cells": hashlib.sha256(chapter_code(nb).encode()).hexdigest()[:16],
        "settings": spec,
        "versions": repro.versions(),
        "definitions": cache.definition_hashes(chapter_targets(notebook, package_dir), package_dir),
    }


def explain(stamped: dict, notebook: Path, profile: str, seed: int) -> list[str]:
    """Why a run stamped with ``stamped`` (:func:`read_stamp`) is not current: one line per
    changed part (the cells, a setting, a library version, each definition edited, added or
    no longer reached); empty when nothing itemised differs. A stamp from before the itemised
    format says so."""
    old = stamped.get("parts")
    if not isinstance(old, dict):
        return ["its stamp predates itemised fingerprints (every key changed once with them)"]
    # as the stamp holds them: through JSON (a tuple of the settings reads back as a list)
    new = json.loads(json.dumps(parts(notebook, profile, seed), sort_keys=True, default=str))
    out = []
    if old.get("cells") != new["cells"]:
        out.append("the notebook's code cells changed")
    if old.get("settings") != new["settings"]:
        was = (old.get("settings") or {}).get("settings") or {}
        now = new["settings"]["settings"] or {}
        diff = [k for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
        out.append(f"settings changed: {', '.join(diff) or 'profile or seed'}")
    for lib, version in sorted(new["versions"].items()):
        if (old.get("versions") or {}).get(lib) != version:
            out.append(f"{lib} {(old.get('versions') or {}).get(lib)} -> {version}")
    was, now = old.get("definitions") or {}, new["definitions"]
    for name in sorted(set(was) | set(now)):
        if name not in now:
            out.append(f"no longer reached: {name}")
        elif name not in was:
            out.append(f"newly reached: {name}")
        elif was[name] != now[name]:
            out.append(f"edited: {name}")
    return out


def _commit() -> str:
    """The checkout's commit (``+dirty`` when files differ from it), or ``unknown``."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty", "--abbrev=40"],
            cwd=project_root(), capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def read_stamp(done: Path) -> dict[str, Any]:
    """A ``.done`` file: the run's ``fingerprint``, the same without library versions (``code``),
    the ``commit`` and ``python`` it was made with and, since the runner records it, the
    ``seconds`` the run took (kernel start to last cell). Files from before this format hold
    the two fingerprints as lines."""
    text = done.read_text()
    try:
        stamp = json.loads(text)
    except json.JSONDecodeError:
        lines = text.split()
        stamp = {
            "fingerprint": lines[0] if lines else "",
            "code": lines[1] if len(lines) > 1 else "",
        }
    if not isinstance(stamp, dict):
        return {}
    return {k: v if isinstance(v, dict) else str(v) for k, v in stamp.items()}


def stamp(notebook: Path, profile: str, seed: int) -> dict[str, Any]:
    """What a run's ``.done`` records: its fingerprints (:func:`fingerprint`, with and without
    the library versions), the commit and Python. Take it before the run starts, so an edit
    made while the chapter runs is not recorded as the code it ran."""
    return {
        "fingerprint": fingerprint(notebook, profile, seed),
        "code": fingerprint(notebook, profile, seed, with_versions=False),
        "commit": _commit(),
        "python": store.PYTHON,
        "parts": parts(notebook, profile, seed),
    }


def write_stamp(done: Path, taken: dict[str, object]) -> None:
    """Mark a run finished with the :func:`stamp` taken when it started."""
    files.write_text(done, json.dumps(taken, indent=1) + "\n")
