"""environment.yml and pyproject.toml name the same dependencies."""

from __future__ import annotations

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
