"""Key-point matching: the rule the decks' authors were given, exactly (quiz/review/keypoints.py).

Properties are checked by enumerating small cases exhaustively (every order, every split),
not with a property-testing library: the rule has few moving parts, and exhaustive loops over
them are deterministic and cost no new dependency.
"""

from __future__ import annotations

import itertools

import pytest
from fsrs import Rating

from quiz.deck.cards import KeyPoint
from quiz.review.keypoints import Coverage, PointCheck, check, phrase_matches, suggest, words


def kp(point: str, *match: str) -> KeyPoint:
    return KeyPoint(point=point, match=match)


POINTS = (
    kp("autoflush sends pending changes before a query", "autoflush", "flush before query"),
    kp("expire_on_commit expires loaded objects", "expire_on_commit", "expired after commit"),
    kp("the identity map returns the same object", "identity map", "same object"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Flush the Session", ("flush", "the", "session")),
        ("expire_on_commit", ("expire", "on", "commit")),
        ("session.flush()", ("session", "flush")),
        ("`selectinload(User.posts)`", ("selectinload", "user", "posts")),
        ("N+1 queries", ("n", "1", "queries")),
        ("read-only, isn't it?", ("read", "only", "isn", "t", "it")),
        ("  \t\n ", ()),
        ("ＦＬＵＳＨ", ("flush",)),  # full-width letters: NFKC
        ("STRASSE straße", ("strasse", "strasse")),  # casefold, not lower
        ("café 2.0", ("café", "2", "0")),
    ],
)
def test_words_are_case_folded_runs_of_letters_and_digits(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize(
    ("phrase", "answer", "matches"),
    [
        ("flush", "it flushes first", True),  # a word prefix
        ("flush", "the data was flushed", True),
        ("flush", "FLUSH", True),  # case
        ("flush", "autoflush", False),  # the start of a word, not any part of it
        ("flushes", "flush", False),  # the phrase word must be the shorter one
        ("flush before query", "before any query it will flush", True),  # any order
        ("flush before query", "it will flush before", False),  # every word
        ("expire_on_commit", "objects expire on commit", True),  # `_` separates
        ("expire on commit", "expire_on_commit=False", True),
        ("session.flush()", "you flush the session", True),
        ("`select()`", "a select statement", True),
        ("identity map", "identity-map", True),
        ("n+1", "the N+1 problem", True),
        ("n+1", "the N plus one problem", False),  # no synonyms, no numbers as words
        ("lazy load", "lazily loaded", False),  # "lazy" does not start "lazily"
        ("()", "anything at all ()", False),  # no words: never matches
        ("", "anything", False),
        ("flush", "", False),
    ],
)
def test_phrase_matches_by_whole_words_or_word_starts(phrase, answer, matches):
    assert phrase_matches(phrase, words(answer)) is matches


def test_check_reports_each_point_in_card_order_with_the_phrase_that_matched():
    coverage = check(POINTS, "Autoflush runs before the query; the identity map keeps one copy.")
    assert coverage == Coverage(
        (
            PointCheck(POINTS[0].point, "autoflush"),
            PointCheck(POINTS[1].point, None),
            PointCheck(POINTS[2].point, "identity map"),
        )
    )
    assert (coverage.covered, coverage.total) == (2, 3)
    assert coverage.missed == ("expire_on_commit expires loaded objects",)
    assert coverage.suggested() is Rating.Hard


def test_the_first_matching_phrase_is_the_one_reported():
    coverage = check(POINTS[:1], "autoflush: a flush before every query")
    assert coverage.points[0].matched == "autoflush"
    coverage = check(POINTS[:1], "a flush before every query")
    assert coverage.points[0].matched == "flush before query"


def test_an_empty_answer_covers_nothing():
    coverage = check(POINTS, "")
    assert coverage.covered == 0 and coverage.total == 3
    assert coverage.suggested() is Rating.Again


def test_it_does_not_understand_negation():
    # documented: word matching cannot tell "does" from "does not"
    assert check(POINTS[:1], "it does not autoflush").covered == 1


def test_word_order_never_matters():
    phrase = "flush before query"
    for order in itertools.permutations(["query", "before", "flushing", "always"]):
        assert phrase_matches(phrase, words(" ".join(order)))


def test_every_phrase_word_is_needed():
    phrase = "flush before commit query"
    wanted = phrase.split()
    for size in range(len(wanted)):
        for subset in itertools.combinations(wanted, size):
            assert not phrase_matches(phrase, words(" ".join(subset)))


def test_separators_are_interchangeable():
    for sep in (" ", "_", ".", "-", "()", "`", ", ", "/", "\n"):
        assert phrase_matches("expire on commit", words(sep.join(["expire", "on", "commit"])))
        assert phrase_matches(sep.join(["expire", "on", "commit"]), words("expire on commit"))


def test_more_words_never_uncover_a_point():
    base = "the identity map"
    extra = ["not", "same", "object", "x", "identity"]
    for size in range(len(extra) + 1):
        for more in itertools.permutations(extra, size):
            answer = " ".join([base, *more])
            assert check(POINTS[2:], answer).covered == 1


@pytest.mark.parametrize(
    ("covered", "total", "grade"),
    [
        (0, 2, Rating.Again),
        (1, 2, Rating.Hard),
        (2, 2, Rating.Good),
        (0, 3, Rating.Again),
        (1, 3, Rating.Again),
        (2, 3, Rating.Hard),
        (3, 3, Rating.Good),
        (1, 4, Rating.Again),
        (2, 4, Rating.Hard),
        (4, 5, Rating.Hard),
        (5, 5, Rating.Good),
    ],
)
def test_suggested_grade(covered, total, grade):
    assert suggest(covered, total) is grade


@pytest.mark.parametrize(("covered", "total"), [(0, 0), (3, 2), (-1, 2)])
def test_suggest_refuses_what_is_not_a_coverage(covered, total):
    with pytest.raises(ValueError, match="is not a coverage"):
        suggest(covered, total)
