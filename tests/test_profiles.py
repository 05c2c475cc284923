from __future__ import annotations

import pytest

from labkit import profiles


def test_every_chapter_notebook_has_a_table_and_every_table_a_notebook():
    from labkit.book import runner

    assert profiles.chapters() == [p.stem for p in runner.discover()]
    for chapter in profiles.chapters():
        for p in profiles.PROFILES:
            assert len(profiles.get(chapter, p)) > 0, (chapter, p)


def test_unknown_profile_lists_the_allowed_values():
    with pytest.raises(ValueError, match="'profile' must be one of smoke, quick, full"):
        profiles.get("00_data_tour", "fast")


def test_unknown_chapter_lists_known_ones():
    with pytest.raises(KeyError, match="00_data_tour"):
        profiles.get("99_nothing", "smoke")


def test_settings_are_read_only():
    cfg = profiles.get("00_data_tour", "smoke")
    with pytest.raises(TypeError):
        cfg["grid_per_class"] = 100


def test_every_profile_says_what_it_is_for():
    assert set(profiles.MEANING) == set(profiles.PROFILES)
    assert all(profiles.MEANING.values())


def test_profiles_of_a_chapter_set_the_same_keys():
    for chapter in profiles.chapters():
        keys = [set(profiles.get(chapter, p)) for p in profiles.PROFILES]
        assert all(k == keys[0] for k in keys), chapter


def test_targets_and_references_are_defined_once_in_the_manifest():
    from labkit import profiles

    t = profiles.targets("05_contrastive_vae")
    assert str(t["salient_digit_knn"]) == "mean >= 0.85" and t["salient_digit_knn"].met(0.85)
    assert not t["background_digit_linear"].met(0.21)
    assert profiles.references("03_clock_reading")["photos_cse_minutes"] == 1.89
    assert profiles.targets("00_data_tour") == {}
    with pytest.raises(ValueError, match="'>=' or '<='"):
        profiles.Target("<", 1.0)
    # neither the notebooks nor the book type them again
    from labkit import project_root

    for path in [
        *project_root().glob("notebooks/*.ipynb"),
        *project_root().glob("labkit/book/*.py"),
    ]:
        text = path.read_text()
        for number in ("0.85", "1.89", "86.76", "84.78", "624 392", "3 280"):
            assert number not in text, f"{path.name} types {number} again (see its manifest)"


def test_budget_reads_the_manifest_and_checks_the_profile():
    assert profiles.budget("04_vae", "full") == 90
    assert profiles.budget("04_vae", "quick") is None
    assert profiles.budget("00_data_tour", "full") is None
    with pytest.raises(ValueError, match="smoke"):
        profiles.budget("04_vae", "fast")
