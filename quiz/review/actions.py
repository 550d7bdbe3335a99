"""What the user can ask for during a review, and how their keys and lines become it.

The parsers are pure: the session reads a key or a line, parses it here, and dispatches the
action it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fsrs import Rating


class Command(Enum):
    """A key that is not a grade, by the key that asks for it."""

    RUN = "r"
    EDIT = "e"
    SKIP = "s"
    UNDO = "u"
    QUIT = "q"
    HELP = "?"
    BURY = "b"
    EXPAND = "x"  # everything folded to fit the screen: the whole example, every statement


@dataclass(frozen=True)
class Grade:
    rating: Rating


# What the keys after the answer ask for.
Action = Grade | Command


@dataclass(frozen=True)
class Answer:
    """What the user typed before the answer showed (None: they only pressed Enter)."""

    text: str | None


@dataclass(frozen=True)
class Prediction:
    """A challenge guess, and the input it came from (kept in the review log)."""

    guess: int | bool
    said: str


@dataclass(frozen=True)
class Invalid:
    """Input that means nothing here; `hint` says what would."""

    hint: str


GRADE_KEYS = "1234" + "".join(c.value for c in Command)
RAISES_KEYS = "ynds?uqx"


DEFAULT_GRADE = Rating.Good  # Enter or Space after the answer, as in Anki


def grade_key(key: str) -> Action | None:
    """A key after the answer: Enter or Space ("") is Good; None for a key that means nothing
    here (the session says what to press)."""
    if key == "":
        return Grade(DEFAULT_GRADE)
    if key in ("1", "2", "3", "4"):
        return Grade(Rating(int(key)))
    try:
        return Command(key)
    except ValueError:
        return None


def _lone(text: str) -> Command | None:
    """A lone `u` or `q` typed at a text prompt means undo / quit."""
    return {"u": Command.UNDO, "q": Command.QUIT}.get(text)


def answer_line(line: str) -> Answer | Command:
    """The line typed before the answer shows."""
    typed = line.strip() or None
    return _lone(typed or "") or Answer(typed)


@dataclass(frozen=True)
class DontKnow:
    """No prediction: the run shows what happens, and nothing is scored."""


DONT_KNOW = DontKnow()
_DONT_KNOW_WORDS = {"", "d", "idk", "dunno", "don't know", "dont know", "i don't know"}


def _at_prediction(said: str) -> Command | DontKnow | None:
    """What a challenge prompt understands besides a prediction: Enter or `d` (I don't know),
    `s` skip, `?` help, `x` the whole example, `u` undo, `q` quit."""
    said = said.strip().lower().replace("’", "'")
    if said in _DONT_KNOW_WORDS:
        return DONT_KNOW
    return {"s": Command.SKIP, "?": Command.HELP, "x": Command.EXPAND}.get(said) or _lone(said)


def count_prediction(line: str) -> Prediction | Command | DontKnow | Invalid:
    """The line typed for a "how many queries?" challenge."""
    said = line.strip()
    if said.isdecimal():
        return Prediction(int(said), said)
    return _at_prediction(said) or Invalid(
        "type a whole number, e.g. 3 (Enter: I don't know · s skip · ? help)"
    )


def raises_prediction(key: str) -> Prediction | Command | DontKnow | Invalid:
    """The key pressed for a "does it raise?" challenge."""
    if key in ("y", "n"):
        return Prediction(key == "y", key)
    return _at_prediction(key) or Invalid(
        "press y (it raises) or n (it does not); Enter: I don't know · s skip · ? help"
    )
