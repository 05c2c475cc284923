from __future__ import annotations

import pytest

from labkit import profiles


def test_every_chapter_defines_every_profile():
    for chapter in profiles.chapters():
        for p in profiles.PROFILES:
            assert isinstance(dict(profiles.get(chapter, p)), dict)


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


def test_the_tables_are_one_literal_so_a_chapter_hashes_only_its_own_sizes():
    """The runner's fingerprint keeps only a chapter's own sizes of ``profiles.py`` when
    ``_TABLES`` is a literal; a name inside it (a shared dict) would make every chapter hash
    the whole file, so any edit there would mark every chapter's runs stale."""
    from pathlib import Path

    from labkit import runner

    source = Path(profiles.__file__).read_bytes()
    for stem in profiles.chapters():
        for profile in profiles.PROFILES:
            own = runner._own_profile_table(source, stem, profile)
            assert own != source, f"{stem}/{profile}: _TABLES is not a literal"
            assert repr(dict(profiles.get(stem, profile))).encode() in own
