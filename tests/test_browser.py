"""The workbook as a student meets it: JupyterLab in a real (headless) browser.

JupyterLab starts on 127.0.0.1 with a token; Debian's ``chromium``, driven by ``playwright``,
opens every chapter set to ``smoke`` (papermill's ``prepare_only`` injects the parameters
without running anything), runs every cell from the Run menu, then, in each widget panel, moves
a slider (and presses the panel's button when it has one, as chapter 01's *train*) and waits
for the figure under it to change. Screenshots and the seconds each panel took to redraw go to
``reports/browser/``. The chapters run in their numbered order in one server, so chapter 02
finds the metrics of chapter 01's run. The server (with its kernels) and the browser are
stopped however the test ends.

What is tested here is the student's path (the menu, the kernel, the widgets), not training
from empty stores, which the session's headless smoke runs (``smoke_runs``) already do: the
server starts on a copy of their reports folder, so every cell runs but finished experiments,
trials and fits are read back, as on a student's second run. (From empty stores chapter 01 alone
took 340-420 s here, two runs of the same training in one CI job.)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, skip_or_fail

from labkit import project_root
from labkit.exercises import edition

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = project_root() / "reports" / "browser"
CHAPTERS = sorted(p.stem for p in (project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_LIMIT = 420  # seconds for a chapter's cells at smoke, in the browser
REDRAW_LIMIT = 60  # seconds for a panel's figure to change after its slider moved
STUDENT = "00_data_tour"  # the chapter whose student edition a student edits in the browser
# hang guards, not timings: the first load of JupyterLab's scripts, a chapter's page opening and
# its kernel starting (a cold first load once took over 90 s on a busy 2-core machine)
WARM_LIMIT, OPEN_LIMIT, KERNEL_LIMIT = 300, 150, 180
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen, not another tab
STDERR = "[data-mime-type='application/vnd.jupyter.stderr']"  # errors are rendered as stderr


def _kernelspec(root: Path) -> Path:
    """A ``labkit`` kernelspec running this interpreter (found first via ``JUPYTER_PATH``), so
    the chapters' kernel is this environment whether or not ``make setup`` installed one."""
    spec = root / "kernels" / "labkit"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python (labkit workbook)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return root


def _settings(root: Path) -> Path:
    """JupyterLab user settings: every cell kept in the page (no windowing), so the test sees
    each prompt and output; no news prompt."""
    notebook = root / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True)
    (notebook / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = root / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    return root


@pytest.fixture(scope="module")
def lab(tmp_path_factory, data_root, smoke_runs) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server over a folder with the chapters set to ``smoke`` and a copy of the
    smoke runs' stores: (base URL with token, the folder). Stopped, kernels and all, when the
    module's tests end."""
    import papermill as pm

    if not CHROMIUM.exists():
        skip_or_fail(f"no {CHROMIUM}; `make browser` installs it (as root: apt-get install -y "
                     "chromium)")  # fmt: skip
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(smoke_runs.reports, root / "reports")  # a copy: the shared runs stay as made
    folder = root / "notebooks"
    folder.mkdir()
    for stem in CHAPTERS:
        pm.execute_notebook(
            str(project_root() / "notebooks" / f"{stem}.ipynb"),
            str(folder / f"{stem}.ipynb"),
            parameters={"profile": "smoke", "seed": 0},
            prepare_only=True,
        )
    handout = edition.build([project_root() / "notebooks" / f"{STUDENT}.ipynb"], root / "student")
    pm.execute_notebook(
        str(handout / f"{STUDENT}.ipynb"),
        str(folder / f"{STUDENT}-student.ipynb"),
        parameters={"profile": "smoke", "seed": 0},
        prepare_only=True,
    )
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_PATH": str(_kernelspec(root / "jupyter")),
        "JUPYTERLAB_SETTINGS_DIR": str(_settings(root / "settings")),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "LABKIT_REPORTS_DIR": str(root / "reports"),  # the chapters' metrics stay in the tmp dir
        "LABKIT_DATA_DIR": str(data_root),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("LABKIT_HEADLESS", None)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={folder}"]  # fmt: skip
    if os.geteuid() == 0:  # CI's container runs as root
        cmd.append("--allow-root")
    log = (root / "lab.log").open("w")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                              start_new_session=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, (root / "lab.log").read_text()
                assert time.monotonic() - t0 < 60, "JupyterLab did not answer within 60 s"
                time.sleep(0.3)
        # a workspace of its own per chapter: JupyterLab does not reopen an earlier chapter
        yield f"{base}/lab/workspaces/{{0}}/tree/{{0}}.ipynb?token={token}", root
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)  # the server shuts its kernels down
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium through playwright (no browser download); closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def _ready(page) -> None:
    """Wait until the chapter's kernel is idle, answering JupyterLab's "Select Kernel" dialog
    (which it may show for a notebook it has not opened before) with the preselected kernel,
    the workbook's, as a student would."""
    t0, quiet = time.monotonic(), 0
    while quiet < 3:  # three quiet seconds in a row: idle, no dialog
        assert time.monotonic() - t0 < KERNEL_LIMIT, (
            f"the kernel did not become idle within {KERNEL_LIMIT} s"
        )
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and "Select Kernel" in dialog.first.inner_text():
            dialog.first.locator(".jp-mod-accept").click()
            quiet = 0
        elif page.locator(f"{SHOWN} .jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            quiet += 1
        else:
            quiet = 0
        time.sleep(1)
    status = page.locator(".jp-StatusBar-Widget", has_text="Idle").first.inner_text()
    assert "Python (labkit workbook)" in status, status


# The code cells whose prompt shows no execution count yet ([*] queued or running, [ ] not
# run): the first line of each.
_UNFINISHED = f"""() => [...document.querySelectorAll('{SHOWN} .jp-CodeCell')]
    .filter(c => !/\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt').textContent))
    .map(c => c.querySelector('.jp-InputArea-editor').textContent.split('\\n')[0])"""


def _run_all(page) -> None:
    """Run > Run All Cells, as a student would, and wait until every cell has run."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    t0 = time.monotonic()
    time.sleep(1)
    while unfinished := page.evaluate(_UNFINISHED):
        if error := _traceback(page.locator(SHOWN)):
            raise AssertionError(f"a cell failed:\n{error}")
        assert time.monotonic() - t0 < RUN_LIMIT, f"cells not run in time: {unfinished[:5]}"
        time.sleep(1)


def _figure(panel) -> str:
    """The ``src`` of the panel's figure (a PNG data URL), or '' while it has none."""
    img = panel.locator(".widget-output img, .jupyter-widgets-output-area img")
    return img.first.get_attribute("src") or "" if img.count() else ""


def _traceback(where) -> str:
    """The first traceback shown under ``where`` (a locator), or ''. JupyterLab renders an
    error as it renders stderr (``application/vnd.jupyter.stderr``), so a traceback is told
    from a warning by its text."""
    for text in where.locator(STDERR).all_inner_texts():
        if "Traceback" in text:
            return text[:3000]
    return ""


def _no_error(panel, i: int) -> None:
    """Fail with the traceback a panel's drawing function raised, if it shows one (an error in
    a widget's callback is shown in its output, not raised in a cell)."""
    if error := _traceback(panel):
        raise AssertionError(f"panel {i} shows an error:\n{error}")


@pytest.fixture(scope="module")
def warm(lab, browser) -> float:
    """JupyterLab loaded once before the first chapter, so the browser's first (cold) load of
    its scripts is not charged to chapter 00; the seconds it took (kept in ``reports/browser``).
    On a fresh machine that load took from ~30 s to over 90 s."""
    url, _ = lab
    base, token = url.split("/lab/workspaces/")[0], url.rsplit("?", 1)[1]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t0 = time.monotonic()
    try:
        page.goto(f"{base}/lab/workspaces/warm-up?{token}")
        page.locator(".jp-LabShell, #jp-main-dock-panel").first.wait_for(timeout=WARM_LIMIT * 1000)
        page.locator(".jp-DirListing-item").first.wait_for(timeout=WARM_LIMIT * 1000)
    finally:
        page.close()
    seconds = round(time.monotonic() - t0, 1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "warm-up-seconds.json").write_text(json.dumps({"seconds": seconds}) + "\n")
    return seconds


@contextlib.contextmanager
def _page(browser, root: Path, name: str) -> Iterator[object]:
    """A new page; on a failure, a screenshot ``<name>-failed.png`` and the server's log go to
    ``reports/browser/``. Closed however the test ends."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        yield page
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=SHOTS / f"{name}-failed.png")
        shutil.copy(root / "lab.log", SHOTS / "lab.log")
        raise
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("stem", CHAPTERS)
def test_a_chapter_runs_in_jupyterlab_and_its_sliders_redraw(lab, browser, warm, stem):
    url, root = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SHOTS.glob(f"{stem}-*.png"), *SHOTS.glob(f"{stem}-*.json")]:  # earlier runs'
        old.unlink()
    with _page(browser, root, stem) as page:
        page.goto(url.format(stem))
        page.locator(f"{SHOWN} .jp-Notebook .jp-Cell").first.wait_for(timeout=OPEN_LIMIT * 1000)
        _ready(page)
        _run_all(page)
        page.screenshot(path=SHOTS / f"{stem}-ran.png")
        panels = page.locator(f"{SHOWN} .jp-OutputArea-output:has(.widget-slider)")  # one each
        panels = [panels.nth(i) for i in range(panels.count())]
        assert panels, "no widget panel with a slider is shown"
        seconds = {}
        for i, panel in enumerate(panels, 1):
            panel.scroll_into_view_if_needed()
            t0 = time.monotonic()
            while not (before := _figure(panel)):
                _no_error(panel, i)
                assert time.monotonic() - t0 < REDRAW_LIMIT, f"panel {i} shows no figure"
                time.sleep(0.5)
            slider = panel.locator(".widget-slider").first
            label = slider.locator(".widget-label").inner_text()
            readout = slider.locator(".widget-readout")
            value = readout.inner_text()
            slider.locator(".noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            button = panel.locator("button.jupyter-button")
            if button.count():  # a slow panel redraws when its button is pressed
                button.first.click()
            t0 = time.monotonic()
            while _figure(panel) in ("", before):
                _no_error(panel, i)
                assert time.monotonic() - t0 < REDRAW_LIMIT, (
                    f"panel {i}: the figure did not change after {label!r} moved "
                    f"from {value} to {readout.inner_text()}"
                    + (" and the button was pressed" if button.count() else "")
                )
                time.sleep(0.2)
            seconds[f"panel {i}"] = round(time.monotonic() - t0, 1)
            assert readout.inner_text() != value
            if button.count():  # it said what it was doing while it trained
                assert re.search(r"epoch \d+/\d+", panel.inner_text()), panel.inner_text()
            panel.screenshot(path=SHOTS / f"{stem}-panel{i}.png")
        (SHOTS / f"{stem}-redraw-seconds.json").write_text(json.dumps(seconds))


def _check_says(page, cell, text: str) -> str:
    """Run the check cell ``cell`` (a locator) and wait for its feedback to contain ``text``."""
    cell.click()
    page.keyboard.press("Shift+Enter")
    feedback = cell.locator(".jp-OutputArea-output")
    t0 = time.monotonic()
    while text not in (
        shown := feedback.all_inner_texts() and " ".join(feedback.all_inner_texts())
    ):
        assert time.monotonic() - t0 < REDRAW_LIMIT, f"the check shows {shown!r}, not {text!r}"
        time.sleep(0.3)
    return shown


@pytest.mark.slow
def test_a_student_writes_an_exercise_and_its_check_says_what_is_wrong(lab, browser, warm):
    """The student edition of chapter 00 in JupyterLab: the check reads "not done yet" after
    Run All; the student types a wrong answer into the solution cell and the check names the
    case and the remedy; the right answer passes."""
    url, root = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with _page(browser, root, f"{STUDENT}-student") as page:
        page.goto(url.format(f"{STUDENT}-student"))
        page.locator(f"{SHOWN} .jp-Notebook .jp-Cell").first.wait_for(timeout=OPEN_LIMIT * 1000)
        _ready(page)
        _run_all(page)
        cells = page.locator(f"{SHOWN} .jp-CodeCell")
        solution = cells.filter(has_text="def class_counts").first  # the stub, then theirs
        check = cells.filter(has_text="ch00.class_counts(class_counts)").first
        check.scroll_into_view_if_needed()
        _check_says(page, check, "not done yet")
        for answer, says in (
            ("np.unique(labels, return_counts=True)[1]", "a class with no image counts 0"),
            ("np.bincount(labels, minlength=n_classes)", "Exercise 00.1: passed"),
        ):
            solution.locator(".cm-content").click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(
                f"def class_counts(labels, n_classes):\n    return {answer}\n"
            )
            page.keyboard.press("Shift+Enter")  # runs the student's cell
            shown = _check_says(page, check, says)
            assert "failed" in shown if "counts 0" in says else "passed" in shown
        assert not _traceback(page.locator(SHOWN))
        check.screenshot(path=SHOTS / f"{STUDENT}-student-check.png")
