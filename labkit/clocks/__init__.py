"""Analog clocks: a generator of course-like clock images, the course-file loader, the split and
the common-sense error, one module per concern.

The course's clock photos (18 000 grayscale 150x150 photos of one wall clock, rotated, some
mirrored, tilted, with glare) are not available here, so the workbook draws its own:

* a clock from a family of :class:`Design`\\ s (face, rim, 60 ticks with heavier hour ticks,
  numerals or not, an asymmetric flag at 12 or not, hour and minute hands, an optional
  seconds hand). The hour hand points at ``30*h + 0.5*m`` degrees, the minute hand at ``6*m``,
  both clockwise from 12;
* nuisances (:data:`NUISANCES`): rotation of the whole clock, mirror image, perspective tilt,
  scale and offset, a carpet- or wood-like background, a lighting gradient, glare, blur, noise,
  light ink on a dark face;
* a ladder of :data:`DIFFICULTIES` from ``easy`` (upright, plain background) to ``leiden``
  (every nuisance of the course photos, on bright faces with dark hands and numerals, as the
  report describes them), then ``mirrored`` (half the clocks mirror images) and ``dark_faces``
  (a fifth of the designs light ink on a dark face), which the photos do not have. Each step
  adds nuisances to the one before.

A mirrored clock that can also be rotated reads as a different time (a mirrored 3:00 is an
unmirrored 9:00) unless the face carries a *chiral cue*: something that reads differently in a
mirror. Every design drawn at a difficulty that rotates carries one (numerals or the flag at 12),
so every label stays readable from the image.

Each image is drawn from its own random stream, ``(seed, index)``, so a dataset does not depend
on how many worker processes drew it. :func:`generate` caches datasets under ``data/clocks/``.

The package's modules, each re-exported here (``from labkit import clocks; clocks.generate(...)``):

* :mod:`~labkit.clocks.metric`: the common-sense error;
* :mod:`~labkit.clocks.designs`: the difficulty ladder, designs, views and :func:`spec`;
* :mod:`~labkit.clocks.draw`: the rasteriser;
* :mod:`~labkit.clocks.dataset`: cached parallel generation, the course-file loader, the split.

Chapter 03's second part, the models that read the time, imported as modules
(``from labkit.clocks import labels, models, training``):

* :mod:`~labkit.clocks.labels`: label representations (targets, decoding, losses) and the
  generator's auxiliary labels;
* :mod:`~labkit.clocks.models`: the report's networks and this workbook's reader;
* :mod:`~labkit.clocks.training`: inputs at any size, resumable training runs, scoring.
"""

from __future__ import annotations

from .dataset import (
    ClockSet,
    Splits,
    cache_dir,
    course_dir,
    generate,
    load_clocks,
    split,
)
from .designs import (
    DARK_FACE_SHARE,
    DIFFICULTIES,
    LADDER,
    MIRROR_SHARE,
    NUISANCES,
    SIDE_RUNGS,
    ClockSpec,
    Design,
    View,
    nuisances_at,
    sample_design,
    sample_view,
    spec,
)
from .draw import draw_clock, mirror_ambiguity, nuisance_gallery, render
from .metric import DIAL_MINUTES, common_sense_error, common_sense_errors, to_minutes

__all__ = [
    "DIAL_MINUTES",
    "DIFFICULTIES",
    "LADDER",
    "DARK_FACE_SHARE",
    "MIRROR_SHARE",
    "NUISANCES",
    "SIDE_RUNGS",
    "ClockSet",
    "ClockSpec",
    "Design",
    "Splits",
    "View",
    "cache_dir",
    "common_sense_error",
    "common_sense_errors",
    "course_dir",
    "draw_clock",
    "generate",
    "load_clocks",
    "mirror_ambiguity",
    "nuisance_gallery",
    "nuisances_at",
    "render",
    "sample_design",
    "sample_view",
    "spec",
    "split",
    "to_minutes",
]
