"""The test suite's own data rule: under CI a missing MNIST file fails, it is never skipped."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")


def test_missing_data_fails_under_ci_with_the_loaders_message(pytester, monkeypatch, tmp_path):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("def test_needs_data(data_root):\n    assert data_root\n")
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("LABKIT_DATA_DIR", str(empty))
    monkeypatch.setenv("LABKIT_ROOT", str(empty))
    monkeypatch.setenv("KERAS_HOME", str(empty / "keras"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)  # the fixture fails: an error, never a skip
    result.stdout.fnmatch_lines(["*CI=true*dataset 'mnist' not found*"])
    result.stdout.fnmatch_lines(["*What to do: set LABKIT_DATA_DIR*"])
