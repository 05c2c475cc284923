from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labkit import run_record


def test_save_writes_profile_seed_seconds_versions(isolated, tmp_path):
    run_record.start()
    path = run_record.save(
        "00_x", {"acc": np.float32(0.5), "n": np.int64(3)}, profile="smoke", seed=7
    )
    assert path == tmp_path / "reports" / "smoke" / "metrics" / "00_x.json"
    rec = json.loads(path.read_text())
    assert rec["profile"] == "smoke" and rec["seed"] == 7 and rec["chapter"] == "00_x"
    assert rec["results"] == {"acc": 0.5, "n": 3}
    assert rec["seconds"] >= 0
    assert "keras" in rec["versions"] and "python" in rec["versions"]
    assert rec["machine"]["cores"] >= 1
    assert run_record.load("00_x", "smoke")["results"]["n"] == 3


def test_nan_is_written_as_null_and_infinity_rejected(isolated):
    frame = pd.DataFrame({"sd": [np.nan, 0.1]}, index=["one run", "two runs"])
    results = {"loss": float("nan"), "table": frame.to_dict("index"), "a": np.array([np.nan])}
    path = run_record.save("00_x", results, profile="smoke", seed=0)
    rec = json.loads(path.read_text())["results"]
    assert rec == {
        "loss": None,
        "table": {"one run": {"sd": None}, "two runs": {"sd": 0.1}},
        "a": [None],
    }
    assert run_record.plain({"x": pd.NA, "y": np.float32("nan"), 3: (1, 2)}) == {
        "x": None,
        "y": None,
        "3": [1, 2],
    }
    with pytest.raises(ValueError, match="finite numbers or NaN"):
        run_record.save("00_x", {"loss": float("inf")}, profile="smoke", seed=0)


def test_save_rejects_a_bad_profile(isolated):
    with pytest.raises(ValueError, match="profile"):
        run_record.save("00_x", {}, profile="huge", seed=0)


def test_load_missing_says_how_to_make_it(isolated):
    with pytest.raises(FileNotFoundError, match="labkit run 00_y --profile quick"):
        run_record.load("00_y", "quick")


def test_a_cut_or_malformed_record_is_named_with_the_command(isolated):
    path = run_record.save("00_z", {"n": 1}, profile="smoke", seed=0)
    path.write_text(path.read_text()[:30])  # cut short
    with pytest.raises(run_record.MetricsError, match=f"{path} is not a readable metrics record"):
        run_record.load("00_z", "smoke")
    path.write_text("[1, 2]")
    with pytest.raises(run_record.MetricsError, match="labkit run 00_z --profile smoke --force"):
        run_record.load("00_z", "smoke")


def test_the_readme_table_refuses_a_missing_chapter_naming_its_file(isolated, monkeypatch):
    import shutil

    from labkit import project_root

    monkeypatch.delenv("LABKIT_ROOT")  # the real manifests; the committed full metrics copied
    reports = isolated.parent / "reports"
    shutil.copytree(project_root() / "reports" / "full" / "metrics", reports / "full" / "metrics")
    (reports / "full" / "metrics" / "02_pixel_permutation.json").unlink()
    readme = isolated / "README.md"
    readme.write_text("no table here\n")
    from labkit.book import readme as readme_module

    with pytest.raises(run_record.MetricsError, match="02_pixel_permutation.json"):
        readme_module.write_table("full", readme)
    assert readme.read_text() == "no table here\n"  # nothing written


def test_minutes_from_scratch_adds_what_was_read_back(isolated):
    from labkit import cache

    run_record.start()
    cache.note_read_back(120.0, "a fit")
    assert 2.0 <= run_record.minutes_from_scratch() < 2.5
