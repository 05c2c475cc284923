"""Executed chapters small enough to commit: one losslessly packed PNG per figure."""

from __future__ import annotations

import base64
import io
import json

import nbformat
import numpy as np
from PIL import Image

from labkit import project_root
from labkit.book import compact


def _png(array: np.ndarray, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode).save(buf, "PNG")
    return buf.getvalue()


def test_a_grey_picture_is_packed_as_grey_with_the_same_pixels():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (60, 80), dtype=np.uint8)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    raw = _png(rgba, "RGBA")
    packed = compact.pack_png(raw)
    assert len(packed) < len(raw)
    image = Image.open(io.BytesIO(packed))
    assert image.mode == "L"
    assert np.array_equal(np.asarray(image.convert("RGBA")), rgba)


def test_a_picture_with_many_colours_keeps_every_pixel():
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)  # transparent and colourful
    raw = _png(rgba, "RGBA")
    out = Image.open(io.BytesIO(compact.pack_png(raw)))
    assert np.array_equal(np.asarray(out.convert("RGBA")), rgba)
    assert compact.pack_png(b"not a png") == b"not a png"


def test_compact_drops_the_pdf_copy_and_keeps_the_png():
    grey = np.zeros((20, 20), np.uint8)
    png = base64.b64encode(_png(np.dstack([grey] * 3), "RGB")).decode()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png, "application/pdf": "JVBER" * 100,
                              "text/plain": "<Figure>"},
    )])]  # fmt: skip
    assert compact.compact(nb) > 0
    data = nb.cells[0].outputs[0]["data"]
    assert set(data) == {"image/png", "text/plain"}


def test_committed_executed_chapters_are_small_and_carry_one_picture_per_figure():
    found = sorted((project_root() / "reports").glob("*/*.ipynb"))
    assert found, "the committed full runs are missing"
    for path in found:
        assert path.stat().st_size < 3_000_000, f"{path} is {path.stat().st_size:,} bytes"
        nb = json.loads(path.read_text())
        pdfs = [
            i for i, c in enumerate(nb["cells"]) for o in c.get("outputs", [])
            if "application/pdf" in o.get("data", {})
        ]  # fmt: skip
        assert not pdfs, f"{path.name}: PDF copies of figures in cells {pdfs}"
