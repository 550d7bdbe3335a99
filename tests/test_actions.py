"""Keys and lines become actions: the review session's input, parsed without a terminal."""

from __future__ import annotations

import pytest

from quiz.review.actions import (
    DONT_KNOW,
    GRADE_KEYS,
    RAISES_KEYS,
    Answer,
    Command,
    Grade,
    Invalid,
    Prediction,
    answer_line,
    count_prediction,
    grade_key,
    raises_prediction,
)
from quiz.review.scheduler import Rating

COUNT_HINT = "type a whole number, e.g. 3 (Enter: I don't know · s skip · ? help)"
RAISES_HINT = "press y (it raises) or n (it does not); Enter: I don't know · s skip · ? help"


@pytest.mark.parametrize(
    ("key", "action"),
    [
        ("1", Grade(Rating.Again)),
        ("2", Grade(Rating.Hard)),
        ("3", Grade(Rating.Good)),
        ("4", Grade(Rating.Easy)),
        ("r", Command.RUN),
        ("e", Command.EDIT),
        ("s", Command.SKIP),
        ("u", Command.UNDO),
        ("q", Command.QUIT),
        ("?", Command.HELP),
        ("b", Command.BURY),
        ("x", Command.EXPAND),
        ("", Grade(Rating.Good)),  # Enter or Space (the terminal reads both as ""): Good
        ("5", None),
        ("z", None),
        ("12", None),
    ],
)
def test_grade_keys(key: str, action: Grade | Command | None) -> None:
    assert grade_key(key) == action


def test_the_keys_a_terminal_accepts_are_the_keys_that_mean_something() -> None:
    assert sorted(GRADE_KEYS) == sorted("1234resuq?bx")
    assert all(grade_key(k) is not None for k in GRADE_KEYS)
    assert all(not isinstance(raises_prediction(k), Invalid) for k in RAISES_KEYS)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("  the identity map \n", Answer("the identity map")),
        ("", Answer(None)),
        ("   ", Answer(None)),
        ("q", Command.QUIT),
        (" u ", Command.UNDO),
        ("Q", Answer("Q")),  # an answer is taken as typed: only a lone lower-case u / q is a key
        ("qu", Answer("qu")),
    ],
)
def test_answer_lines(line: str, said: Answer | Command) -> None:
    assert answer_line(line) == said


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("2", Prediction(2, "2")),
        (" 12 \n", Prediction(12, "12")),
        ("0", Prediction(0, "0")),
        ("U", Command.UNDO),
        ("q", Command.QUIT),
        ("", DONT_KNOW),  # Enter: I don't know
        ("d", DONT_KNOW),
        ("I don’t know", DONT_KNOW),
        ("s", Command.SKIP),
        ("?", Command.HELP),
        (" x ", Command.EXPAND),  # the whole example, then the prompt again
        ("two", Invalid(COUNT_HINT)),
        ("-1", Invalid(COUNT_HINT)),
        ("²", Invalid(COUNT_HINT)),  # a digit, but not a number
    ],
)
def test_count_predictions(line: str, said: Prediction | Command | Invalid) -> None:
    assert count_prediction(line) == said


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("y", Prediction(True, "y")),
        ("n", Prediction(False, "n")),
        ("u", Command.UNDO),
        ("q", Command.QUIT),
        ("", DONT_KNOW),
        ("d", DONT_KNOW),
        ("s", Command.SKIP),
        ("?", Command.HELP),
        ("x", Command.EXPAND),
        ("z", Invalid(RAISES_HINT)),  # a wrong key says what is expected
        ("\x1b", Invalid(RAISES_HINT)),  # an arrow key
        ("3", Invalid(RAISES_HINT)),
    ],
)
def test_raises_predictions(key: str, said: Prediction | Command | Invalid) -> None:
    assert raises_prediction(key) == said
