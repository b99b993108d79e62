"""Matching history artist names to the catalogue: normalisation, exact tiers, fuzzy, ambiguity."""

from __future__ import annotations

import pytest

from test_history_helpers import tiny_matcher
from tunerec.history.matching import AMBIGUOUS, EXACT, FUZZY, NONE, similar_words
from tunerec.history.normalize import compact_key, name_key, primary_artist


@pytest.mark.parametrize(
    "raw, key",
    [
        ("The Beatles", "beatles"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("Simon and Garfunkel", "simon and garfunkel"),
        ("Guns N' Roses", "guns n roses"),
        ("Guns N’ Roses", "guns n roses"),
        ("  BJÖRK  ", "bjork"),
        ("AC/DC", "ac dc"),
        ("The The", "the"),
    ],
)
def test_name_key(raw: str, key: str) -> None:
    assert name_key(raw) == key


def test_compact_key_and_primary_artist() -> None:
    assert compact_key("4Hero") == compact_key("4 Hero") == "4hero"
    assert primary_artist("Jazzanova Feat. Paul Randolph") == "Jazzanova"
    assert primary_artist("Rasmus Faber featuring Emily") == "Rasmus Faber"
    assert primary_artist("Feat. Nobody") is None and primary_artist("Featherweight") is None


@pytest.mark.parametrize(
    "name, artist_id",
    [
        ("Radiohead", 1),
        ("radiohead", 1),
        ("Beatles", 2),
        ("the beatles", 2),
        ("Simon and Garfunkel", 3),
        ("Bjork", 4),
        ("Guns N Roses", 5),
        ("Yael Naim", 7),  # two catalogue names fold alike; the byte-identical one wins
        ("Yael Naïm", 6),
        ("AC DC", 10),
        ("4Hero", 12),
        ("!!!", 13),
    ],
)
def test_exact_matches(name: str, artist_id: int) -> None:
    m = tiny_matcher().match(name)
    assert (m.kind, m.artist_id) == (EXACT, artist_id)


def test_names_that_fold_to_several_artists_are_ambiguous_not_guessed() -> None:
    m = tiny_matcher().match("YAEL NAIM!")
    assert m.kind == AMBIGUOUS and m.artist_id is None
    assert [a for a, _ in m.candidates] == [6, 7]


def test_fuzzy_spelling_matches_within_the_threshold() -> None:
    m = tiny_matcher().match("Radiohed")
    assert (m.kind, m.artist_id, m.matched_name) == (FUZZY, 1, "Radiohead") and 90 <= m.score < 100
    assert tiny_matcher().match("Massive Atack").artist_id == 15
    assert tiny_matcher(threshold=99).match("Radiohed").kind == NONE


@pytest.mark.parametrize("name", ["Young Lovers", "Mj Cole", "Portisheads", "Radio", "Blink-183", "Jazzanova Orchestra"])
def test_near_names_of_other_artists_are_not_matched(name: str) -> None:
    m = tiny_matcher().match(name)
    assert m.kind == NONE and m.artist_id is None


def test_fuzzy_ambiguity_is_reported() -> None:
    from tunerec.history import CatalogueMatcher

    m = CatalogueMatcher([1, 2], ["Britney Spears", "Brittny Spears"]).match("Britny Spears")
    assert m.kind == AMBIGUOUS and {a for a, _ in m.candidates} == {1, 2}


def test_featuring_credit_matches_the_primary_artist_as_fuzzy() -> None:
    m = tiny_matcher().match("Jazzanova Feat. Paul Randolph")
    assert (m.kind, m.artist_id) == (FUZZY, 11) and "featuring" in m.rule


def test_similar_words_rule() -> None:
    assert similar_words("radiohed", "radiohead")
    assert not similar_words("young lovers", "young love")
    assert not similar_words("mj cole", "j cole")
    assert not similar_words("blink 183", "blink 182")
    assert not similar_words("pat metheny group", "pat metheny")


def test_threshold_is_validated() -> None:
    with pytest.raises(ValueError, match="threshold"):
        tiny_matcher(threshold=20)


@pytest.mark.parametrize("name", ["Björk!", "AC/DC", "  The  Beatles ", "Guns N' Roses", "坂本龍一", "Sigur Rós", "!!!", "P!nk", "Ke$ha", "a-ha", "\tTabs\t"])
def test_fold_key_agrees_with_the_catalogue_search_fold(name: str) -> None:
    from tunerec.data.search import fold
    from tunerec.history.normalize import fold_key

    assert fold_key(name) == fold(name)
