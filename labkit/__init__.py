"""labkit: the helper package of the deep-learning course workbook.

Notebooks tell, labkit does: data loaders (:mod:`labkit.data`), the papermill runner
(:mod:`labkit.book.runner`), profiles (:mod:`labkit.profiles`), seeding (:mod:`labkit.repro`),
the metrics JSON writer (:mod:`labkit.metrics`) and the headless-safe widget helper
(:mod:`labkit.widgets`).
"""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The workbook's top folder (the one holding ``notebooks/`` and ``reports/``).

    ``$LABKIT_ROOT`` wins when set; otherwise the folder above the ``labkit`` package
    (an editable install from a clone), otherwise the current working directory.
    """
    env = os.environ.get("LABKIT_ROOT")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").exists() and (candidate / "notebooks").is_dir():
        return candidate
    return Path.cwd().resolve()
