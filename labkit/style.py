"""How chapters look: plotting defaults, and tables and figures that also typeset in the PDF.

A chapter's setup cell calls :func:`setup`. In JupyterLab nothing changes to the eye (tables stay
HTML, figures PNG); the executed notebooks additionally carry what the PDF report uses: a LaTeX
version of each pandas table and, when run headless, a vector (PDF) version of each figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Tables larger than this stay plain text in the PDF (a LaTeX table would run off the page).
MAX_LATEX_ROWS = 60
MAX_LATEX_COLUMNS = 16


def latex_table(frame: pd.DataFrame) -> str | None:
    """``frame`` as a booktabs LaTeX table shrunk to the text width, or ``None`` if too large.

    Text in cells, the index and the column labels is escaped; numbers use pandas'
    ``display.precision``.
    """
    if len(frame) > MAX_LATEX_ROWS or len(frame.columns) > MAX_LATEX_COLUMNS:
        return None
    from nbconvert.filters import escape_latex

    frame = frame.copy()
    precision = pd.get_option("display.precision")
    align = "l" * frame.index.nlevels + "".join(
        "r" if pd.api.types.is_numeric_dtype(dtype) else "l" for dtype in frame.dtypes
    )
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_float_dtype(dtype):
            digits = _decimals(frame[column].to_numpy(), precision)
            frame[column] = frame[column].map(lambda v, d=digits: "NaN" if v != v else f"{v:.{d}f}")
        elif pd.api.types.is_object_dtype(dtype):
            frame[column] = frame[column].map(str)  # tuples, lists, ... become text

    # the Styler escapes values and labels, not the names of the index and column levels
    def escaped(names: list) -> list:
        return [None if name is None else escape_latex(str(name)) for name in names]

    frame.index = frame.index.set_names(escaped(frame.index.names))
    frame.columns = frame.columns.set_names(escaped(frame.columns.names))
    styler = (
        frame.style.format(escape="latex")
        .format_index(escape="latex", axis=0)
        .format_index(escape="latex", axis=1)
    )
    body = styler.to_latex(hrules=True, column_format=align)
    return (
        "\\begin{center}\n\\begin{adjustbox}{max width=\\linewidth}\n"
        f"{body}\\end{{adjustbox}}\n\\end{{center}}\n"
    )


def _decimals(values: np.ndarray, precision: int) -> int:
    """The fewest decimals (at most ``precision``) that show every value of a column as pandas
    would at ``precision``: ``[0.131, 0.3]`` -> 3, ``[2.0, 3.0]`` -> 1, ``[0.123456789]`` -> 6.
    """
    finite = values[np.isfinite(values)]
    for digits in range(1, precision + 1):
        if np.allclose(np.round(finite, digits), np.round(finite, precision), rtol=0, atol=0):
            return digits
    return precision


def setup(dpi: int = 100) -> None:
    """Seaborn's theme and the figure size; LaTeX tables and, headless, PNG figures only.

    Outside IPython only the plotting defaults are set.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from . import widgets

    sns.set_theme(context="notebook", style="whitegrid")
    plt.rcParams["figure.dpi"] = dpi
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["text/latex"].for_type(pd.DataFrame, latex_table)
    if widgets.headless():
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")  # one picture per figure: the book sets the PNG too
