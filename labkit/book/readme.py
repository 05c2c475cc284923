"""The README's pictures and results table, from the committed full runs:
``python -m labkit readme``.

One picture per chapter: the first PNG output of a chosen cell (named by a piece of its source
in each manifest's ``README_FIGURE``) of ``reports/full/NN_*.ipynb``, shrunk to at most
:data:`WIDTH` pixels wide into ``docs/NN_*.png``. The results table is
:func:`labkit.book.headlines.markdown` of the same runs' metrics, written between the
README's ``<!-- headlines:start -->`` and ``<!-- headlines:end -->`` lines, and the generated
sections of *Results in detail* (:func:`blocks`, e.g.
:func:`labkit.book.details.mlp_cnn_tuning`) between theirs; the default run's
times and numbers (``reports/quick/``, :func:`labkit.book.costs.default_run`) and the full PDF's
build between ``defaultrun`` and ``pdf`` markers. Nothing is run; nothing is invented.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat

from .. import files, profiles, project_root, run_record
from . import costs, details, headlines

WIDTH = 720
START, END = "<!-- headlines:start -->", "<!-- headlines:end -->"
#: Where the sentence of targets met and missed goes, under the table.
VERDICTS_START, VERDICTS_END = "<!-- verdicts:start -->", "<!-- verdicts:end -->"


def figures() -> dict[str, str]:
    """Per chapter: a piece of the source of the cell whose first figure is the chapter's
    picture (its manifest's ``README_FIGURE``)."""
    return {
        stem: profiles.manifest(stem).README_FIGURE
        for stem in profiles.chapters()
        if hasattr(profiles.manifest(stem), "README_FIGURE")
    }


def blocks() -> dict[str, tuple[str, Callable[[Mapping[str, Any]], str]]]:
    """Generated sections of *Results in detail*: marker (the manifest's ``README_SECTION``)
    -> (chapter stem, its writer in :mod:`labkit.book.details`, named after the manifest)."""
    out = {}
    for stem in profiles.chapters():
        section = getattr(profiles.manifest(stem), "README_SECTION", None)
        if section:
            out[section] = (stem, getattr(details, profiles.name(stem)))
    return out


class ReadmeError(RuntimeError):
    """A figure or the README's table markers cannot be found."""


def figure(notebook: Path, marker: str) -> bytes:
    """The first PNG output of the first code cell of ``notebook`` whose source holds
    ``marker``."""
    for cell in nbformat.read(notebook, as_version=4).cells:  # sources and outputs as strings
        if cell.cell_type != "code" or marker not in cell.source:
            continue
        for out in cell.outputs:
            png = out.get("data", {}).get("image/png")
            if png:
                return base64.b64decode(png)
        raise ReadmeError(f"{notebook}: the cell with {marker!r} has no figure; was it run?")
    raise ReadmeError(
        f"{notebook}: no code cell holds {marker!r} (update README_FIGURE in its manifest, "
        "labkit/profiles/)"
    )


def shrink(png: bytes, width: int = WIDTH) -> bytes:
    """``png`` at most ``width`` pixels wide (aspect kept), as an optimised PNG."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_figures(profile: str = "full", docs: Path | None = None) -> list[Path]:
    """One picture per chapter into ``docs/`` (default: the project's), from ``profile``'s
    executed notebooks; the paths written."""
    docs = Path(docs or project_root() / "docs")
    docs.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, marker in figures().items():
        notebook = run_record.reports_dir(profile) / f"{stem}.ipynb"
        if not notebook.exists():
            raise ReadmeError(f"no executed {notebook}; `make run PROFILE={profile}` writes it")
        path = docs / f"{stem}.png"
        files.write_bytes(path, shrink(figure(notebook, marker)))
        written.append(path)
    return written


def with_table(readme: str, table: str, start: str = START, end: str = END) -> str:
    """``readme`` with the text between its ``start`` and ``end`` lines (default: the headline
    markers) replaced by ``table``."""
    if readme.count(start) != 1 or readme.count(end) != 1:
        raise ReadmeError(f"the README needs one {start} line and one {end} line")
    head, rest = readme.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{table}{end}{tail}"


def with_details(readme: str, records: dict) -> str:
    """``readme`` with each generated section of :func:`blocks` rewritten from ``records``
    (chapter stem -> metrics record); a chapter without metrics keeps its section."""
    for name, (stem, write) in blocks().items():
        if stem in records:
            readme = with_table(
                readme, write(records[stem]), f"<!-- {name}:start -->", f"<!-- {name}:end -->"
            )
    return readme


def write_table(profile: str = "full", readme: Path | None = None) -> Path:
    """Rewrite the README's results table from ``profile``'s metrics."""
    readme = Path(readme or project_root() / "README.md")
    records = headlines.load(profile, complete=True)
    rows = headlines.headlines(records)
    text = with_table(readme.read_text(), headlines.markdown(rows))
    text = with_table(text, headlines.verdicts(rows), VERDICTS_START, VERDICTS_END)
    text = with_details(text, records)
    quick = profiles.DEFAULT_PROFILE
    if run := costs.stamps(quick):
        block = costs.default_run(
            run, costs.pdf_record(quick), headlines.load(quick), records, quick
        )
        text = with_table(text, block, "<!-- defaultrun:start -->", "<!-- defaultrun:end -->")
    if pdf := costs.pdf_record(profile):
        text = with_table(text, costs.full_pdf(pdf), "<!-- pdf:start -->", "<!-- pdf:end -->")
    files.write_text(readme, text)
    return readme
