"""An exercise card's turn in a review session: work on it, then suggest the grade."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console

from quiz.deck.cards import Card
from quiz.exercise.events import StdinEvents
from quiz.exercise.loop import ExerciseLoop
from quiz.exercise.rating import Outcome, suggest_rating
from quiz.exercise.workspace import prepare
from quiz.review.keys import InputSource, TerminalInput
from quiz.sandbox.client import Runner
from quiz.ui import exercise_view as view

KEYS = "hrgq?"


class KeyEvents:
    """The session's own input as exercise events: one key per answer, read without a timeout
    (a script or a pipe has nothing else to say; `r` runs the file again)."""

    def __init__(self, inp: InputSource) -> None:
        self.inp = inp

    def wait(self, timeout: float) -> str | None:
        key = self.inp.key("> ", KEYS)
        return key or None  # Enter: look at the file again

    @contextlib.contextmanager
    def keys(self) -> Iterator[None]:
        yield


def work_on(card: Card, runner: Runner, console: Console, inp: InputSource) -> Outcome:
    """The learner works on the card's exercise in their workspace file until it passes, they
    give up or leave it; the suggested grade is shown (the learner confirms with a grade key)."""
    path, _ = prepare(card)
    interactive = isinstance(inp, TerminalInput) and inp.interactive
    events: StdinEvents | KeyEvents = StdinEvents() if interactive else KeyEvents(inp)
    with events.keys():
        outcome = ExerciseLoop(card, path, runner, console, events, in_session=True).start()
    console.print(view.suggestion(outcome, suggest_rating(outcome), path))
    return outcome
