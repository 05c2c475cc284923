from __future__ import annotations

import ipywidgets as W
import matplotlib
import pytest

from labkit import widgets

matplotlib.use("Agg")


def test_headless_panel_draws_the_default_state(monkeypatch):
    monkeypatch.setenv("LABKIT_HEADLESS", "1")
    calls = []
    result = widgets.panel(
        lambda a, b: calls.append((a, b)),
        a=W.IntSlider(value=3, min=0, max=10),
        b=W.Dropdown(options=["x", "y"], value="y"),
    )
    assert result is None
    assert calls == [(3, "y")]


def test_outside_a_kernel_is_headless(monkeypatch):
    monkeypatch.delenv("LABKIT_HEADLESS", raising=False)
    assert widgets.headless()


def _everything(widget: W.Widget) -> list[W.Widget]:
    """The widget and all it contains, however the panel nests its boxes."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _everything(child)
    return found


@pytest.fixture
def shown(monkeypatch) -> list:
    """A front end that can show widgets; what the panel displays is collected here."""
    displayed = []
    monkeypatch.setattr(widgets, "headless", lambda: False)
    monkeypatch.setattr("IPython.display.display", displayed.append)
    return displayed


def test_interactive_panel_shows_controls_and_live_output(shown):
    calls = []
    slider = W.IntSlider(value=2, min=0, max=5)
    assert widgets.panel(lambda a: calls.append(a), a=slider) is None
    (box,) = shown
    assert slider in _everything(box)
    slider.value = 4
    assert calls[-1] == 4


def test_button_panel_draws_once_then_only_on_click(shown):
    calls = []
    slider = W.IntSlider(value=2, min=0, max=5)
    assert widgets.panel(lambda a: calls.append(a), button="train", a=slider) is None
    (box,) = shown
    (run,) = [w for w in _everything(box) if isinstance(w, W.Button)]
    assert slider in _everything(box) and run.description == "train"
    assert calls == [2]  # the default, drawn at the start
    slider.value = 4
    assert calls == [2]  # a slow draw waits for the button
    run.click()
    assert calls == [2, 4]


def test_headless_button_panel_draws_the_default_state(monkeypatch):
    monkeypatch.setenv("LABKIT_HEADLESS", "1")
    calls = []
    widgets.panel(lambda a: calls.append(a), button="train", a=W.IntSlider(value=3))
    assert calls == [3]


def test_many_controls_wrap_into_rows(shown):
    sliders = {f"s{i}": W.FloatSlider(value=i) for i in range(6)}
    calls = []
    widgets.panel(lambda **kw: calls.append(kw), per_row=4, **sliders)
    (box,) = shown
    rows = [w for w in _everything(box) if isinstance(w, W.HBox)]
    assert sorted(len(r.children) for r in rows) == [2, 4]  # 6 controls, at most 4 a row
    assert calls[-1] == {f"s{i}": float(i) for i in range(6)}
