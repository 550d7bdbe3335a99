"""The grade a finished exercise suggests, from how it went (the learner confirms it)."""

from __future__ import annotations

from dataclasses import dataclass

from fsrs import Rating


@dataclass(frozen=True)
class Outcome:
    """How work on one exercise ended.

    `attempts` counts the runs of the learner's own edits (the first run of an untouched file
    is not one); `passed` and `gave_up` are both False when the learner left before either."""

    passed: bool
    attempts: int
    hints_used: int
    hints_total: int
    gave_up: bool = False

    @property
    def finished(self) -> bool:
        return self.passed or self.gave_up


def suggest_rating(outcome: Outcome) -> Rating | None:
    """Again after giving up; Easy for a pass at the first attempt without hints; Hard after
    more than half the hints or more than 5 attempts; Good otherwise. None: not finished."""
    if outcome.gave_up:
        return Rating.Again
    if not outcome.passed:
        return None
    if outcome.attempts <= 1 and outcome.hints_used == 0:
        return Rating.Easy
    many_hints = outcome.hints_used > 0 and outcome.hints_used * 2 > outcome.hints_total
    if many_hints or outcome.attempts > 5:
        return Rating.Hard
    return Rating.Good
