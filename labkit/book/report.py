"""One PDF from the executed chapters: ``python -m labkit report --profile P``.

The executed notebooks of ``reports/<profile>/`` (written by ``python -m labkit run``) are merged
into one notebook, one chapter each, and exported through nbconvert's LaTeX route (xelatex) to
``reports/<profile>/workbook.pdf``, with a title page (profile, seed, dates, machine, library
versions) and a table of contents. For the reader, the export drops what only makes sense in a
live session: the default ``parameters`` cell (the injected one stays and shows the profile and
seed), widget views (a widget cell's static figure stays), stderr streams (kernel noise; the
runner keeps its log) and cells tagged ``remove-cell``; ``remove-input`` / ``remove-output``
hide a cell's code or outputs.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import PDFExporter, TemplateExporter
from nbconvert.exporters.pdf import LatexFailed
from nbconvert.filters import escape_latex
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from .. import files, profiles, project_root, run_record
from . import fingerprint, headlines, runner

TITLE = "Deep-learning course workbook"
SOLUTIONS_TITLE = "Deep-learning course workbook: the exercises' solutions"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Debian packages that give the PDF route (xelatex, pandoc) and the PDF test (pdftotext).
TEX_PACKAGES = (
    "texlive-xetex",
    "texlive-fonts-recommended",
    "texlive-plain-generic",
    "pandoc",
    "poppler-utils",
)
INSTALL_COMMAND = "sudo apt-get install -y " + " ".join(TEX_PACKAGES)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_MISSING_GLYPH = re.compile(r"Missing character: There is no (\S+)")
_NUMBER_PREFIX = re.compile(r"^(#\s+)\d+\s*[·:.\-–—]\s*")


class ReportError(RuntimeError):
    """The PDF cannot be built: a tool or an executed chapter is missing, or LaTeX failed."""


@dataclass
class Chapter:
    """One executed chapter: its source notebook, executed copy (path and contents) and
    metrics record."""

    source: Path
    executed: Path
    notebook: nbformat.NotebookNode
    record: dict[str, Any]
    stale: bool = False  # its notebook or labkit code changed since it ran

    @property
    def stem(self) -> str:
        return self.source.stem

    @property
    def number(self) -> int:
        return int(self.stem[:2])


def missing_tools() -> list[str]:
    """The programs the PDF route needs (``xelatex``, ``pandoc``) that are not on the PATH."""
    return [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]


def output_path(profile: str, reports: Path | None = None) -> Path:
    """Where :func:`build` writes the PDF by default: ``reports/<profile>/workbook.pdf``."""
    return run_record.reports_dir(profile, reports) / "workbook.pdf"


def record_path(profile: str, reports: Path | None = None) -> Path:
    """Where :func:`build` records the default PDF's build: ``reports/<profile>/logs/workbook.json``
    (seconds, pages, megabytes, chapters; read by the README's timing section)."""
    return run_record.reports_dir(profile, reports) / "logs" / "workbook.json"


def pdf_pages(path: Path) -> int | None:
    """The page count of the PDF at ``path`` by poppler's ``pdfinfo`` (None without it)."""
    try:
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    return int(found[1]) if found else None


def _read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The notebook in ``path`` (as nbformat 4), or ``None`` if it cannot be read as one."""
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, AttributeError, nbformat.ValidationError):  # not a notebook
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it cannot be read as one."""
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _unrun(notebook: Any) -> str:
    """Empty when every code cell of the executed ``notebook`` ran; else how many did."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    ran = sum(c.get("execution_count") is not None for c in code)
    return "" if ran == len(code) else f"{ran} of {len(code)} code cells ran"


def collect(
    names: Sequence[str],
    profile: str,
    reports: Path | None = None,
    echo: Callable[[str], None] = print,
) -> list[Chapter]:
    """The executed chapters for ``names`` (all when empty), in order, each checked.

    Raises :class:`ReportError` naming every chapter that has no successful executed notebook
    (failed, unreadable, or half-run: a code cell without an execution count) or no metrics
    JSON, with the command that produces them. A chapter whose notebook, labkit code or
    libraries changed since it ran, or whose executed notebook is not as its run left it (its
    ``.done`` records a digest), is still used, marked, with a warning through ``echo``.
    """
    profiles.check_profile(profile)
    reports = run_record.reports_root(reports)
    try:
        sources = runner.resolve(names)
    except runner.RunError as e:
        raise ReportError(str(e)) from e
    chapters, missing, stale, versions = [], [], [], []
    for source in sources:
        executed = run_record.reports_dir(profile, reports) / source.name
        record_path = run_record.metrics_path(source.stem, profile, reports)
        notebook = _read_notebook(executed) if executed.exists() else None
        record = _read_json(record_path) if record_path.exists() else None
        if not executed.exists():
            missing.append(f"{source.stem}: no executed notebook {executed}")
        elif notebook is None:
            missing.append(f"{source.stem}: the executed notebook {executed} is not readable")
        elif notebook.metadata.get("papermill", {}).get("exception"):
            missing.append(f"{source.stem}: its last run failed ({executed} has the traceback)")
        elif unrun := _unrun(notebook):
            missing.append(f"{source.stem}: {executed} is half-run ({unrun})")
        elif not record_path.exists():
            missing.append(f"{source.stem}: no metrics JSON {record_path}")
        elif record is None:
            missing.append(f"{source.stem}: the metrics JSON {record_path} is not readable")
        else:
            seed = record.get("seed", 0)
            current = runner.code_is_current(source, profile, seed, reports)
            done = executed.parent / "logs" / f"{source.stem}.done"
            if current and runner.edited_after_its_run(executed, done):
                current = False  # saved after its run (from JupyterLab, by hand)
                echo(
                    f"warning: {executed} is not as its run left it (its digest differs from "
                    f"the one in {done}): it may hold edits or outputs its run did not make"
                )
            chapters.append(Chapter(source, executed, notebook, record, stale=not current))
            if not current:
                stale.append(source.stem)
            elif not runner.is_done(source, profile, seed, reports):
                versions.append(source.stem)
    if missing:
        stems = " ".join(line.split(":")[0] for line in missing)
        raise ReportError(
            f"cannot build the {profile} report; these chapters have not run successfully:\n  "
            + "\n  ".join(missing)
            + f"\nrun them first: `make run PROFILE={profile}` (all chapters) or "
            f"`python -m labkit run {stems} --profile {profile}`; nothing was written"
        )
    for stem in stale:
        echo(
            f"warning: {stem}'s notebook or labkit code changed since it ran; the PDF shows "
            f"its last run, marked 'run with an earlier version'; "
            f"`make run PROFILE={profile}` refreshes it"
        )
    for stem in versions:
        echo(f"note: {stem} ran with other library versions or on another platform")
    return chapters


#: Characters of table text that fit across the page at the body's size and at
#: ``\footnotesize`` (the size a wide table is set in instead of being shrunk).
FIT_CHARS, FOOTNOTE_CHARS = 85, 100
_TABLE = re.compile(
    r"\\begin\{adjustbox\}\{max width=\\linewidth\}\n"
    r"\\begin\{tabular\}\{([lr]+)\}\n(.*?)\\end\{tabular\}\n\\end\{adjustbox\}",
    re.S,
)


def _shown(cell: str) -> str:
    """The text a LaTeX table cell shows, about (commands and braces left out)."""
    return re.sub(r"\\[a-zA-Z]+\*?|[{}\\]", "", cell).strip()


def fit_table(latex: str) -> str:
    r"""A table of :func:`labkit.style.latex_table` that the width cap would shrink well under
    the body's type size, set instead in ``\footnotesize`` across the text width, its columns
    wrapping where they must: each column at least as wide as its longest word (cells break at
    spaces and, in snake_case labels, after an underscore), the room left shared in proportion
    to what each column would need unwrapped. Tables that fit, tables whose words alone are too
    wide, and any other LaTeX come back unchanged; the width cap stays as a net."""
    found = _TABLE.search(latex)
    if not found:
        return latex
    spec, body = found.groups()
    rows = [r.split("&") for r in body.split("\\\\") if "&" in r]
    cells = [[_shown(r[j]) for r in rows if j < len(r)] for j in range(len(spec))]
    natural = [max(map(len, c), default=0) for c in cells]
    if sum(natural) + 2 * len(spec) <= FIT_CHARS:
        return latex
    words = [
        max((len(w) for text in c for w in re.split(r"\s+|(?<=_)", text)), default=0) for c in cells
    ]
    room = FOOTNOTE_CHARS - 1.5 * len(spec) - sum(words)  # the columns' gaps: 3pt a side
    stretch = [n - w for n, w in zip(natural, words, strict=True)]
    if room < 0 or not any(stretch):
        return latex  # its words alone are too wide: leave it to the cap
    share = min(1.0, room / sum(stretch))

    def column(align: str, least: int, extra: int) -> str:
        width = least + share * extra
        if width >= least + extra:  # fits unwrapped
            return align
        ragged = r"\raggedright" if align == "l" else r"\raggedleft"
        return rf">{{{ragged}\arraybackslash}}p{{{width / FOOTNOTE_CHARS:.3f}\linewidth}}"

    columns = "".join(column(*c) for c in zip(spec, words, stretch, strict=True))
    body = body.replace(r"\_", r"\_\allowbreak{}")
    table = (
        "{\\footnotesize\\setlength{\\tabcolsep}{3pt}\\begin{adjustbox}{max width=\\linewidth}\n"
        f"\\begin{{tabular}}{{{columns}}}\n{body}\\end{{tabular}}\n"
        "\\end{adjustbox}}"
    )
    return latex[: found.start()] + table + latex[found.end() :]


class ReaderOutputs(Preprocessor):
    """Keep what a reader of the PDF needs: drop stderr streams and widget views, join a
    cell's consecutive stdout chunks into one block (lines printed one at a time, such as a
    panel's per-epoch progress, would otherwise be set as separate blocks with gaps), show
    progress bars redrawn with carriage returns in their final state only, and paths under
    the checkout relative to it.

    An output that carried a widget view is dropped whole (its ``text/plain`` is only the
    widget's repr, such as ``VBox(children=...)``); the static figure a headless
    :func:`labkit.widgets.panel` draws is a separate output and stays.
    """

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 (nbconvert's API)
        if cell.cell_type == "code":
            cell.outputs = joined_streams([out for out in cell.outputs if _keep(out)])
            for out in cell.outputs:
                latex = out.get("data", {}).get("text/latex")
                if isinstance(latex, str):
                    out["data"]["text/latex"] = fit_table(latex)
                if out.get("output_type") == "stream":
                    # paths under the checkout read as the reader's own: reports/..., data/...
                    out.text = as_terminal_shows(out.text).replace(f"{project_root()}/", "")
        return cell, resources


def joined_streams(outputs: list[Any]) -> list[Any]:
    """``outputs`` with each run of consecutive stream outputs of one name merged into one."""
    joined: list[Any] = []
    for out in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and out.get("output_type") == "stream" == last.get("output_type")
            and out.get("name") == last.get("name")
        ):
            last.text += out.text
        else:
            joined.append(out)
    return joined


def as_terminal_shows(text: str) -> str:
    """Each line as a terminal leaves it: a progress bar redrawn with ``\\r`` keeps its last state.

    ``"1/3 10%\\r3/3 100%\\nEpoch 2\\n"`` -> ``"3/3 100%\\nEpoch 2\\n"``.
    """
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def _keep(output: Any) -> bool:
    if output.get("output_type") == "stream":
        return output.get("name") != "stderr"
    return WIDGET_VIEW not in output.get("data", {})


def exercise_cells(chapter: Chapter, solutions: bool = False) -> list[Any]:
    """A chapter's exercises, from its source notebook (a run made before an exercise was
    written still lists it). Without ``solutions``: each task under an "Exercises" heading,
    as the chapter's last section. With ``solutions``: every exercise cell, solutions and
    checks, with the check's output where the executed chapter has it (matched by nbgrader's
    ``grade_id``); written answers' solutions show as they are."""
    source = nbformat.read(chapter.source, as_version=4)
    executed = {
        fingerprint.grade_id(c): c for c in chapter.notebook.cells if fingerprint.is_exercise(c)
    }
    cells = []
    for cell in source.cells:
        if not fingerprint.is_exercise(cell):
            continue
        gid = fingerprint.grade_id(cell)
        if solutions:
            cells.append(copy.deepcopy(executed.get(gid, cell)))
        elif gid.endswith("-task"):
            cells.append(copy.deepcopy(cell))
    if not cells:
        return []
    what = "Solutions" if solutions else "Exercises"
    intro = (
        "The exercises as the instructor edition holds them: each solution, then its check "
        "(with the check's output where this run executed it)."
        if solutions
        else "Each exercise sits in the notebook after the section it practises, with a cell "
        "for your code and a check that says what is right and what is not "
        "(`python -m labkit student` writes the edition to hand out)."
    )
    return [nbformat.v4.new_markdown_cell(f"## {what}\n\n{intro}"), *cells]


def _chapter_cells(chapter: Chapter, solutions: bool = False) -> list[Any]:
    """Copies of the cells of one chapter, numbered like its notebook, with ids unique in the
    merge: its own cells, then its exercises' tasks as its last section (:func:`exercise_cells`).
    With ``solutions``: the chapter's title, then its exercises with their solutions."""
    counter = nbformat.v4.new_raw_cell(
        f"\\setcounter{{chapter}}{{{chapter.number - 1}}}",
        metadata={"raw_mimetype": "text/latex"},
    )
    cells = [counter]
    first_heading = True
    body = [c for c in chapter.notebook.cells if not fingerprint.is_exercise(c)]
    if solutions:
        body = [c for c in body if c.cell_type == "markdown" and c.source.startswith("# ")][:1]
    for i, cell in enumerate([*copy.deepcopy(body), *exercise_cells(chapter, solutions)]):
        cell.id = f"ch{chapter.number:02d}-{i}"
        if cell.cell_type == "markdown" and first_heading and cell.source.startswith("# "):
            # "# 00 · A tour of the data" -> "# A tour of the data": LaTeX numbers the chapter.
            cell.source = _NUMBER_PREFIX.sub(r"\1", cell.source, count=1)
            if solutions:  # the title alone
                cell.source = cell.source.split("\n")[0]
            first_heading = False
        elif cell.cell_type == "markdown" and not first_heading:
            cell.source = demote_titles(cell.source)
        cells.append(cell)
    counter.id = f"ch{chapter.number:02d}-start"
    return cells


def demote_titles(markdown: str) -> str:
    """A chapter's later top-level headings (``# Part two``) as sections (``## Part two``), so
    one notebook stays one numbered chapter of the PDF; code blocks are left alone."""
    lines, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        lines.append("#" + line if not fenced and line.startswith("# ") else line)
    return "\n".join(lines)


def merge(chapters: Sequence[Chapter], solutions: bool = False) -> nbformat.NotebookNode:
    """One notebook holding every chapter in order (chapter numbers from the file names); with
    ``solutions``, each chapter's exercises with their solutions alone."""
    if not chapters:
        raise ReportError("no chapters to put in the report")
    first = chapters[0].notebook.metadata
    merged = nbformat.v4.new_notebook(
        metadata={key: first[key] for key in ("kernelspec", "language_info") if key in first}
    )
    merged.metadata["title"] = SOLUTIONS_TITLE if solutions else TITLE
    for chapter in chapters:
        merged.cells.extend(_chapter_cells(chapter, solutions))
    return merged


def _row(label: str, value: str) -> str:
    return f"{escape_latex(label)} & {escape_latex(value)} \\\\"


def _minute(stamp: str) -> str:
    """``2026-11-25T09:51:07+00:00`` -> ``2026-11-25 09:51``."""
    return stamp[:16].replace("T", " ")


def _machine_line(machine: dict[str, Any]) -> str:
    parts = [str(machine.get("cpu", "unknown CPU"))]
    if machine.get("cores"):
        parts.append(f"{machine['cores']} cores")
    if machine.get("memory_gib"):
        parts.append(f"{machine['memory_gib']} GiB")
    return ", ".join(parts)


def titlepage(chapters: Sequence[Chapter], profile: str, built: datetime | None = None) -> str:
    """The LaTeX of the title page: what ran, where, when, with which libraries."""
    built = built or datetime.now(UTC)
    records = [c.record for c in chapters]
    seeds = sorted({int(r.get("seed", 0)) for r in records})
    finished = sorted(r["finished"] for r in records if r.get("finished"))
    ran = f"{_minute(finished[0])} to {_minute(finished[-1])} UTC" if finished else "-"
    machine = records[-1].get("machine") or {}
    versions = records[-1].get("versions", {})
    facts = [
        _row("Profile", f"{profile}: {profiles.MEANING[profile]}"),
        _row("Seed", ", ".join(map(str, seeds))),
        _row("Chapters ran", ran),
        _row("Report built", built.strftime("%Y-%m-%d %H:%M UTC")),
        _row("Machine", _machine_line(machine)),
        _row("Platform", str(machine.get("platform") or versions.get("platform", "-"))),
    ]
    lib_rows = [_row(k, v) for k, v in versions.items() if k != "platform"]
    chapter_rows = [
        f"{c.number:02d} & {escape_latex(c.stem)} & {float(c.record.get('seconds', 0)):.0f} s & "
        + (r"\textit{run with an earlier version}" if c.stale else "current")
        + r" \\"
        for c in chapters
    ]
    return "\n".join(
        [
            r"\begin{titlepage}",
            r"\centering",
            r"\vspace*{2cm}",
            rf"{{\Huge\bfseries {escape_latex(TITLE)}\par}}",
            r"\vspace{0.6cm}",
            r"{\Large MLPs and CNNs, permuted pixels, reading clocks, variational autoencoders"
            r"\par}",
            r"\vspace{0.8cm}",
            rf"{{\large profile \texttt{{{escape_latex(profile)}}}, "
            rf"seed {escape_latex(', '.join(map(str, seeds)))}\par}}",
            r"\vspace{1.5cm}",
            r"\begin{tabularx}{0.9\linewidth}{@{}lX@{}}",
            r"\toprule",
            *facts,
            r"\bottomrule",
            r"\end{tabularx}",
            r"\par\vspace{1.2cm}",
            r"\begin{tabular}{@{}rlrl@{}}",
            r"\toprule",
            r"chapter & notebook & run time & code \\",
            r"\midrule",
            *chapter_rows,
            r"\bottomrule",
            r"\end{tabular}",
            *(
                [
                    r"\par\smallskip{\small\textit{run with an earlier version}: the chapter's "
                    r"notebook or labkit code changed after this run; its pages show that run.\par}"
                ]
                if any(c.stale for c in chapters)
                else []
            ),  # fmt: skip
            r"\vfill",
            r"{\small\begin{tabular}{@{}ll@{}}",
            r"\multicolumn{2}{@{}l}{\textbf{Library versions}} \\",
            *lib_rows,
            r"\end{tabular}\par}",
            r"\end{titlepage}",
        ]
    )


def _title(chapter: Chapter) -> str:
    """``"01 · MLPs and CNNs ..."``: the chapter's first heading, else its stem."""
    for cell in chapter.notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return chapter.stem


def summary_page(chapters: Sequence[Chapter], profile: str) -> str:
    """The LaTeX of the page after the title: each headline number beside the reference
    report's and the public anchors' (:mod:`labkit.book.headlines`), with its runs and time."""
    rows = headlines.headlines({c.stem: c.record for c in chapters})
    if not rows:
        return ""
    stale = {c.stem for c in chapters if c.stale}
    titles = {c.stem: _title(c) for c in chapters}
    body, last = [], None
    for r in rows:
        if r.chapter != last:
            if last is not None:
                body.append(r"\midrule")
            note = r" \textit{(run with an earlier version)}" if r.chapter in stale else ""
            title = escape_latex(titles[r.chapter])
            body.append(rf"\multicolumn{{6}}{{@{{}}l}}{{\textbf{{{title}}}{note}}} \\")
            last = r.chapter
        runs = ", ".join(filter(None, (r.runs, r.time)))
        cells = (r.what, r.ours, r.reference, r.anchors, r.target, runs)
        body.append(" & ".join(escape_latex(c) for c in cells) + r" \\")
    sources = [rf"\item[{escape_latex(k)}] {escape_latex(v)}" for k, v in headlines.SOURCES.items()]
    return "\n".join(
        [
            r"\clearpage",
            r"{\LARGE\bfseries Headline numbers\par}\medskip",
            r"\addcontentsline{toc}{chapter}{Headline numbers}",
            "Ours are read from the metrics of the executed chapters in this PDF (profile "
            rf"\texttt{{{escape_latex(profile)}}}); the reference report's numbers and the "
            "public anchors are as published. Clock reading: ours on generated clocks, theirs "
            "on the course's real photos, so those rows are anchors, not a ranking. Times are "
            "training times on this machine, as each chapter measured them.",
            r"\par\medskip",
            r"{\footnotesize\setlength{\tabcolsep}{3pt}",
            r"\begin{tabularx}{\linewidth}{@{}>{\raggedright\arraybackslash}X r"
            r" >{\raggedright\arraybackslash}p{2.1cm} >{\raggedright\arraybackslash}p{2.8cm}"
            r" l >{\raggedright\arraybackslash}p{2.4cm}@{}}",
            r"\toprule",
            r"measured & ours & reference report & anchors & target & runs, time \\",
            r"\midrule",
            *body,
            r"\bottomrule",
            r"\end{tabularx}}",
            r"\par\medskip{\footnotesize\begin{description}",
            *sources,
            r"\end{description}}",
        ]
    )


class WorkbookPDFExporter(PDFExporter):
    """nbconvert's PDF exporter that also reads xelatex's log for glyphs the fonts lack.

    xelatex drops such a character with only a line in its log, which nbconvert discards;
    :func:`build` warns about each one in ``missing_glyphs`` so no symbol vanishes silently.
    """

    missing_glyphs: tuple[str, ...] = ()

    def run_latex(self, filename, raise_on_failure=LatexFailed):  # noqa: D102 (nbconvert's)
        ok = super().run_latex(filename, raise_on_failure)
        log = Path(filename).with_suffix(".log")
        text = log.read_text(errors="replace") if log.exists() else ""
        self.missing_glyphs = tuple(sorted(set(_MISSING_GLYPH.findall(text))))
        return ok


def make_exporter(kind: type[TemplateExporter]) -> TemplateExporter:
    """An nbconvert exporter (``PDFExporter``, or ``LatexExporter`` for the .tex) set up for the
    workbook: its template, the tags that hide cells, inputs or outputs, and :class:`ReaderOutputs`.
    """
    exporter = kind(extra_template_basedirs=[str(TEMPLATES)], template_name="workbook")
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=("parameters", "remove-cell"),
            remove_input_tags=("remove-input",),
            remove_all_outputs_tags=("remove-output",),
            enabled=True,
        ),
        enabled=True,
    )
    exporter.register_preprocessor(ReaderOutputs(), enabled=True)
    return exporter


def make_resources(
    chapters: Sequence[Chapter], profile: str, solutions: bool = False
) -> dict[str, Any]:
    """The resources the template reads: the title and the title page (the solutions' PDF has
    no headline table)."""
    page = titlepage(chapters, profile)
    return {
        "metadata": {"name": "solutions" if solutions else "workbook"},
        # the chapter-number cells are LaTeX raw cells, which a PDF export skips by default
        "raw_mimetypes": ["text/latex"],
        "labkit": {
            "pdf_title": SOLUTIONS_TITLE if solutions else TITLE,
            "titlepage": page if solutions else page + "\n" + summary_page(chapters, profile),
        },
    }


def build(
    names: Sequence[str],
    profile: str,
    reports: Path | None = None,
    output: Path | None = None,
    echo: Callable[[str], None] = print,
    solutions: bool = False,
) -> Path:
    """Export the executed chapters (all when ``names`` is empty) of ``profile`` to one PDF.

    Returns the PDF's path, ``reports/<profile>/workbook.pdf`` unless ``output`` is given; with
    ``solutions``, the teachers' PDF of the exercises' solutions,
    ``reports/<profile>/solutions.pdf``. Nothing is written when a tool or a chapter is missing
    or LaTeX fails.
    """
    profiles.check_profile(profile)
    t0 = time.perf_counter()
    reports = run_record.reports_root(reports)
    # Chapters first, tools second: a reader learns every missing chapter in one go, and the
    # missing tools too, whichever is missing.
    tools = missing_tools()
    tools_message = (
        f"the PDF needs xelatex and pandoc; not found: {', '.join(tools)}; install with:\n"
        f"  {INSTALL_COMMAND}\n(`make report` and `make test` do this themselves when run as root)"
    )
    try:
        chapters = collect(names, profile, reports, echo)
    except ReportError as e:
        raise ReportError(f"{e}\n{tools_message}" if tools else str(e)) from None
    if tools:
        raise ReportError(tools_message)
    default = output_path(profile, reports)
    if solutions:
        default = default.with_name("solutions.pdf")
    output = Path(output) if output else default
    notebook = merge(chapters, solutions)

    exporter = make_exporter(WorkbookPDFExporter)
    resources = make_resources(chapters, profile, solutions)
    try:
        pdf, _ = exporter.from_notebook_node(notebook, resources=resources)
    except LatexFailed as e:
        log = run_record.reports_dir(profile, reports) / "logs" / "workbook-latex.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(e.output)
        raise ReportError(f"xelatex failed; nothing was written; its output is in {log}") from e
    if exporter.missing_glyphs:
        echo(
            "warning: the PDF's fonts lack these characters, which xelatex left out: "
            + " ".join(exporter.missing_glyphs)
            + " (write them as LaTeX math, or map them in "
            + "labkit/book/templates/workbook/index.tex.j2)"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    files.write_bytes(output, pdf)
    if output == output_path(profile, reports):
        record = {
            "seconds": round(time.perf_counter() - t0, 1),
            "pages": pdf_pages(output),
            "megabytes": round(len(pdf) / 1e6, 1),
            "chapters": [c.stem for c in chapters],
        }
        files.write_text(record_path(profile, reports), json.dumps(record, indent=1) + "\n")
    echo(f"report ({profile}, {len(chapters)} chapter(s)): {output}")
    return output
