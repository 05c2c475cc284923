"""Executed chapters small enough to commit: one picture per figure, losslessly packed.

A headless run used to emit each figure twice (PNG for the screen, PDF for the book): chapter
03's executed notebook was 7.7 MB, 2.8 MB of it PDF copies. :func:`compact` keeps one
``image/png`` per figure (the book sets it too), drops an ``application/pdf`` beside it, and
re-encodes each PNG without loss: 8-bit grey when every pixel is grey (the clock and digit
galleries), a palette when the picture has at most 256 colours (most plots), otherwise RGB,
whichever file is smaller. The pixels are the same, checked before a re-encoding is kept.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

__all__ = ["compact", "compact_file", "pack_png"]


def pack_png(raw: bytes) -> bytes:
    """``raw`` (a PNG file's bytes) re-encoded without loss as grey, palette or RGB, or ``raw``
    itself when that is no larger or the picture cannot be read."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except OSError:
        return raw
    rgba = np.asarray(image.convert("RGBA"))
    opaque = bool((rgba[..., 3] == 255).all())
    pixels = rgba[..., :3] if opaque else rgba
    if (
        opaque
        and (pixels[..., 0] == pixels[..., 1]).all()
        and (pixels[..., 1] == pixels[..., 2]).all()
    ):
        candidate = Image.fromarray(np.ascontiguousarray(pixels[..., 0]), "L")
    else:
        base = Image.fromarray(np.ascontiguousarray(pixels))
        candidate = base
        if base.getcolors(256) is not None:
            method = Image.Quantize.MEDIANCUT if opaque else Image.Quantize.FASTOCTREE
            paletted = base.quantize(colors=256, method=method)
            if np.array_equal(np.asarray(paletted.convert(base.mode)), pixels):
                candidate = paletted
    if not np.array_equal(np.asarray(candidate.convert("RGBA")), rgba):
        return raw  # never change a pixel
    buf = io.BytesIO()
    candidate.save(buf, "PNG", optimize=True)
    return buf.getvalue() if buf.tell() < len(raw) else raw


def compact(nb: Any) -> int:
    """Compact ``nb``'s outputs in place (see the module's docstring); returns the bytes saved
    (base64 text)."""
    saved = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data or "image/png" not in data:
                continue
            if "application/pdf" in data:
                saved += len(data.pop("application/pdf"))
            text = data["image/png"]
            text = "".join(text) if isinstance(text, list) else text
            packed = base64.b64encode(pack_png(base64.b64decode(text))).decode()
            saved += len(text) - len(packed)
            data["image/png"] = packed
    return saved


def compact_file(path: Path) -> int:
    """:func:`compact` an executed notebook file, written back whole (a temporary file
    replaced); returns the bytes saved."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    saved = compact(nb)
    tmp = path.with_name(f".{path.name}.compact.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return saved
