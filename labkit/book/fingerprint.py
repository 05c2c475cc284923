"""What a chapter's run depends on, as one hash, and the stamp a finished run leaves.

A chapter's fingerprint is its code cells (syntax trees: comments and markdown do not count),
the profile, seed and settings it receives, the code of the labkit modules it runs
(:func:`labkit.store.files_digest` of :func:`labkit_sources`) and the library versions. A run's
``.done`` stamp records the fingerprint, the same without the versions, the commit and Python.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from .. import profiles, project_root, repro, store


def cell_source(cell: dict) -> str:
    """A cell's source as one string (a notebook file may store it as a list of lines)."""
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def labkit_sources(notebook: Path, package_dir: Path | None = None) -> list[Path]:
    """The labkit source files a chapter runs: the modules its code cells import and those they
    import, transitively (:func:`labkit.store.sources`). Their code is part of the chapter's
    :func:`fingerprint`, so editing a module a chapter does not use leaves its last run valid.
    The profile tables are not among them (:mod:`labkit.profiles` imports a chapter's table by
    name): the settings the chapter receives count instead."""
    nb = json.loads(Path(notebook).read_text())
    names = {"labkit"}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            names |= store.imported_by(cell_source(cell))
    return store.sources(names, package_dir)


def chapter_code(nb: dict) -> str:
    """What a notebook runs: its code cells' syntax trees (no comments, no layout) and their
    magic and shell lines, in order. Markdown is not part of it."""
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
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
    """The settings chapter ``stem`` receives under ``profile`` (None: it has no table)."""
    if stem not in profiles.chapters():
        return None
    return dict(profiles.get(stem, profile))


def fingerprint(
    notebook: Path,
    profile: str,
    seed: int,
    package_dir: Path | None = None,
    with_versions: bool = True,
) -> str:
    """A hash of what a run depends on: the notebook's code cells (:func:`chapter_code`), the
    profile, seed and settings the chapter receives (:func:`settings`), the code of the labkit
    modules it runs (:func:`labkit_sources`) and, unless ``with_versions`` is false, the library
    versions and platform. Markdown, comments and docstrings do not count."""
    notebook = Path(notebook)
    nb = json.loads(notebook.read_text())
    h = hashlib.sha256(chapter_code(nb).encode())
    spec = {"profile": profile, "seed": int(seed), "settings": settings(notebook.stem, profile)}
    h.update(json.dumps(spec, sort_keys=True, default=str).encode())
    h.update(store.files_digest(labkit_sources(notebook, package_dir), package_dir).encode())
    if with_versions:
        h.update(json.dumps(repro.versions(), sort_keys=True).encode())
    return h.hexdigest()


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


def read_stamp(done: Path) -> dict[str, str]:
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
    return {k: str(v) for k, v in stamp.items()} if isinstance(stamp, dict) else {}


def stamp(notebook: Path, profile: str, seed: int) -> dict[str, str]:
    """What a run's ``.done`` records: its fingerprints (:func:`fingerprint`, with and without
    the library versions), the commit and Python. Take it before the run starts, so an edit
    made while the chapter runs is not recorded as the code it ran."""
    return {
        "fingerprint": fingerprint(notebook, profile, seed),
        "code": fingerprint(notebook, profile, seed, with_versions=False),
        "commit": _commit(),
        "python": store.PYTHON,
    }


def write_stamp(done: Path, taken: dict[str, object]) -> None:
    """Mark a run finished with the :func:`stamp` taken when it started."""
    done.write_text(json.dumps(taken, indent=1) + "\n")
