"""The kernel a chapter runs in: this interpreter through a throw-away kernelspec, with the
environment the runner sets and stderr sent to the chapter's log."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HEADLESS_KERNEL = "labkit-headless-runner"


# The kernel inherits these: widgets render as static figures, TensorFlow's C++ logging and
# library deprecation notices stay out of the cell outputs (other warnings still show).
KERNEL_ENV = {
    "LABKIT_HEADLESS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::FutureWarning",
}


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by the kernel) for one run, then restore them."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def headless_kernel() -> Iterator[str]:
    """A throw-away kernelspec running this interpreter, found first via ``JUPYTER_PATH``.

    It runs the notebook in the same environment as the runner, and with
    ``capture_fd_output=False`` the C++ log lines of TensorFlow go to the kernel log rather
    than into the cells' outputs. Yields the kernel name to give papermill.
    """
    with tempfile.TemporaryDirectory(prefix="labkit-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / HEADLESS_KERNEL
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--IPKernelApp.capture_fd_output=False",
            ],
            "display_name": "labkit (headless runner)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        path = os.pathsep.join(filter(None, [tmp, os.environ.get("JUPYTER_PATH")]))
        with environ({"JUPYTER_PATH": path}):
            yield HEADLESS_KERNEL


@contextlib.contextmanager
def stderr_to(log: Path) -> Iterator[None]:
    """Send this process's stderr (and so the kernel's) to ``log`` while the notebook runs."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "wb") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
