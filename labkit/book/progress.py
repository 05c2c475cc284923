"""Progress while a chapter runs: a line as each of its sections starts (elapsed time, cell,
heading), through papermill's nbclient engine, and each section's seconds, kept in the executed
notebook's metadata (``labkit.sections``) for the runner to add to the chapter's record
(:func:`section_seconds`): a chapter does not time itself."""

from __future__ import annotations

import functools
import time

from .fingerprint import cell_source


def sections(nb: dict) -> dict[int, str]:
    """Where a chapter's sections start: the index of the first code cell after each markdown
    heading (``#``, ``##`` or ``###``), mapped to the heading's text."""
    starts: dict[int, str] = {}
    heading = None
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith(("# ", "## ", "### ")):
                    heading = line.lstrip("#").strip()
        elif cell.get("cell_type") == "code" and heading is not None:
            starts[i], heading = heading, None
    return starts


def _clock(seconds: float) -> str:
    """``75.2`` -> ``1:15``; ``3725`` -> ``1:02:05``."""
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _SectionEngine:
    """papermill's nbclient engine that also calls ``progress`` with one line per section
    as its first cell starts (registered as the ``labkit`` engine on first use)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, progress=None, **kwargs):
        starts, t0 = sections(nb_man.nb), time.perf_counter()
        code = [i for i, c in enumerate(nb_man.nb.cells) if c.cell_type == "code"]
        start, end = nb_man.cell_start, nb_man.cell_complete
        timed: list[list] = []  # [heading, seconds so far]
        nb_man.nb.metadata.setdefault("labkit", {})["sections"] = timed

        def cell_start(cell, cell_index=None, **kw):
            if cell_index in starts:
                timed.append([starts[cell_index], 0.0])
                if progress is not None:
                    done = sum(i < cell_index for i in code)
                    progress(
                        f"{_clock(time.perf_counter() - t0)} in, cell {done + 1}/{len(code)}: "
                        f"{starts[cell_index]}"
                    )
            if timed:
                timed[-1].append(time.perf_counter())  # this cell's start
            return start(cell, cell_index, **kw)

        def cell_complete(cell, cell_index=None, **kw):
            if timed and len(timed[-1]) == 3:
                timed[-1][1] = round(timed[-1][1] + time.perf_counter() - timed[-1].pop(), 2)
            return end(cell, cell_index, **kw)

        nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
        return cls.base.execute_managed_notebook(nb_man, kernel_name, **kwargs)


#: The one section every exercise's seconds are added to (an exercise's heading starts
#: "Exercise NN.n"): the chapter's own sections keep their times as before the exercises.
EXERCISES = "exercises"


def section_seconds(nb: dict) -> dict[str, float]:
    """The seconds each section of an executed chapter took (its cells' execution, by heading,
    in order), as the engine recorded them, the exercises' together as :data:`EXERCISES`;
    empty for a notebook run otherwise."""
    timed = nb.get("metadata", {}).get("labkit", {}).get("sections", [])
    out: dict[str, float] = {}
    for heading, seconds, *_ in timed:
        key = EXERCISES if heading.startswith("Exercise ") else heading
        out[key] = round(out.get(key, 0.0) + float(seconds), 2)
    return out


@functools.cache
def engine() -> str:
    """The name of :class:`_SectionEngine` in papermill's registry (registered once)."""
    from papermill.engines import NBClientEngine, papermill_engines

    engine = type("LabkitEngine", (_SectionEngine, NBClientEngine), {"base": NBClientEngine})
    papermill_engines.register("labkit", engine)
    return "labkit"
