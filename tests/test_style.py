"""Tables that typeset in the PDF: escaped, aligned, rounded like pandas, bounded in size."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labkit import style


def test_latex_table_escapes_text_and_labels():
    frame = pd.DataFrame(
        {"pixel_range": ["0..255"], "share (%)": [12.5], "shape": [(60_000, 28, 28)]},
        index=pd.Index(["fashion_mnist"], name="data_set"),
    )
    tex = style.latex_table(frame)
    assert "pixel\\_range" in tex and "share (\\%)" in tex and "fashion\\_mnist" in tex
    assert "data\\_set" in tex and "(60000, 28, 28)" in tex
    assert "\\toprule" in tex and "max width=\\linewidth" in tex


def test_numbers_are_right_aligned_and_rounded_like_pandas():
    frame = pd.DataFrame(
        {
            "mean": [0.131, 0.3],
            "whole": [2.0, 3.0],
            "long": [0.123456789, np.nan],
            "n": [1, 2],
            "name": ["a", "b"],
        }
    )
    tex = style.latex_table(frame)
    assert "\\begin{tabular}{lrrrrl}" in tex
    assert "0 & 0.131 & 2.0 & 0.123457 & 1 & a" in tex
    assert "1 & 0.300 & 3.0 & NaN & 2 & b" in tex


def test_large_tables_stay_plain_text():
    assert style.latex_table(pd.DataFrame({"a": range(style.MAX_LATEX_ROWS + 1)})) is None
    wide = pd.DataFrame([range(style.MAX_LATEX_COLUMNS + 1)])
    assert style.latex_table(wide) is None
    assert style.latex_table(pd.DataFrame({"a": range(style.MAX_LATEX_ROWS)})) is not None


def test_setup_outside_ipython_sets_plot_defaults_only():
    import matplotlib.pyplot as plt

    style.setup(dpi=123)
    assert plt.rcParams["figure.dpi"] == 123
