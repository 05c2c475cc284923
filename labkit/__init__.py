"""labkit: the helper package of the deep-learning course workbook.

Notebooks tell, labkit does. What every chapter imports sits at the top: :mod:`labkit.chapter`
(the setup call), :mod:`labkit.data`, :mod:`labkit.run_record`, :mod:`labkit.plots`,
:mod:`labkit.widgets`, :mod:`labkit.style`, :mod:`labkit.repro`, :mod:`labkit.loops`,
:mod:`labkit.tour` (chapter 00's statistics) and :mod:`labkit.cache` with its registry
:mod:`labkit.stores` (what every stored result is keyed on). Each chapter's code is
a package: :mod:`labkit.classifiers` (01-02), :mod:`labkit.clocks` (03), :mod:`labkit.vae` (04),
:mod:`labkit.cvae` (05); their settings per profile are :mod:`labkit.profiles`. The machinery
that runs the chapters and builds the PDF is :mod:`labkit.book`, never imported by a chapter.
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
