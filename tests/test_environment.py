"""environment.yml and pyproject.toml name the same dependencies."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> str:
    return str(Requirement(spec))


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(s) for s in project["dependencies"]}
    wanted |= {_norm(s) for s in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-e .[dev]" in pip, "environment.yml must install the workbook's package with extras"
    listed = {_norm(s) for s in pip if not s.startswith("-e")}
    assert listed == wanted, (
        f"only in pyproject: {sorted(wanted - listed)}; only in environment.yml: "
        f"{sorted(listed - wanted)}"
    )


def test_keras3_not_tf_keras():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {Requirement(s).name for s in deps}
    assert "keras" in names and "tf-keras" not in names and "tf_keras" not in names


def test_the_gpu_extra_replaces_the_cpu_wheel():
    """`make setup GPU=1` installs TensorFlow with CUDA at the CPU wheel's version range and
    removes tensorflow-cpu (the two wheels share files)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    cpu = next(Requirement(s) for s in project["dependencies"] if s.startswith("tensorflow-cpu"))
    (gpu,) = [Requirement(s) for s in project["optional-dependencies"]["gpu"]]
    assert gpu.name == "tensorflow" and gpu.extras == {"and-cuda"}
    assert gpu.specifier == cpu.specifier and gpu.marker == cpu.marker
    dry = subprocess.run(["make", "-n", "-B", "setup", "GPU=1"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    steps = [dry.index(s) for s in ("'.[dev,gpu]'", "uninstall --quiet -y tensorflow-cpu",
                                    "--force-reinstall --no-deps")]  # fmt: skip
    assert steps == sorted(steps)
    plain = subprocess.run(["make", "-n", "-B", "setup"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert "touch .venv/.gpu" not in plain
