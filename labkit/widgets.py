"""One helper that shows an ipywidgets panel in JupyterLab and, headless, a static figure.

Headless means: run by the workbook's runner (``LABKIT_HEADLESS=1``) or outside a Jupyter
kernel. Then the drawing function is called once with the controls' current values, so the
executed notebook (and the PDF made from it) shows a figure rather than a widget repr.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def headless() -> bool:
    """True when no Jupyter front end can show widgets."""
    if os.environ.get("LABKIT_HEADLESS", "") not in ("", "0"):
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def panel(
    draw: Callable[..., Any], *, button: str | None = None, per_row: int = 4, **controls: Any
) -> None:
    """Show ``controls`` (ipywidgets keyed by ``draw``'s argument names) driving ``draw``.

    ``draw`` makes one matplotlib figure from the controls' values. Interactive: displays the
    controls above the live figure, redrawn when a control changes; with ``button`` (its label),
    for a slow ``draw`` such as training a model, redrawn only when the button is pressed (the
    default values are drawn once at the start). Headless: draws the current values once.
    Returns ``None`` either way, so a cell ending in ``panel(...)`` shows no repr.
    Interactive controls are laid out ``per_row`` to a row.
    """
    import matplotlib.pyplot as plt

    def values() -> dict[str, Any]:
        return {name: getattr(w, "value", w) for name, w in controls.items()}

    if headless():
        draw(**values())
        plt.show()
        return
    import ipywidgets as W
    from IPython.display import display

    widgets = list(controls.values())
    grid = W.VBox([W.HBox(widgets[i : i + per_row]) for i in range(0, len(widgets), per_row)])

    def _draw(**kw: Any) -> None:
        draw(**kw)
        plt.show()

    if button is None:
        out = W.interactive_output(_draw, controls)
        display(W.VBox([grid, out]))
        return
    out = W.Output()
    run = W.Button(description=button, button_style="primary")

    def _on_click(_: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            _draw(**values())

    run.on_click(_on_click)
    display(W.VBox([grid, run, out]))
    _on_click()
