"""A session's queue and undo state: the cards in order, the ones coming back, what undo takes.

Pure bookkeeping: no clock, no store, no terminal. The session tells it what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from fsrs import Rating

LEARN_AHEAD = timedelta(minutes=20)  # a card due again this soon may come back in this session


@dataclass
class Tally:
    """What happened in this session, for the summary."""

    reviewed: int = 0
    again: int = 0
    predictions: int = 0
    predictions_right: int = 0
    skipped: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    ended: datetime | None = None


@dataclass(frozen=True)
class Graded:
    """One grade of this session, as undo needs it."""

    card_id: str
    index: int  # where in the queue the card was
    rating: Rating
    review_id: int | None  # None when nothing was saved (cram)
    prediction_right: bool | None
    requeued: bool  # it was due again soon, so it was to come back in this session


class ReviewQueue:
    """The cards of one session in the order they show, and the session's undo history."""

    def __init__(self, card_ids: list[str], tally: Tally) -> None:
        self.cards = list(card_ids)
        self.index = 0
        self.tally = tally
        self.history: list[Graded] = []
        # Cards graded in this session whose next step is minutes away: each comes back in this
        # session once it is due (never before), if the session is still going then.
        self.later: list[str] = []

    def next(self, is_due: Callable[[str], bool]) -> str | None:
        """The card to show now (None: the session is over). Cards waiting to come back that
        are due go first."""
        for card_id in list(self.later):
            if is_due(card_id):
                self.later.remove(card_id)
                self.cards.insert(self.index, card_id)
        return self.cards[self.index] if self.index < len(self.cards) else None

    @property
    def position(self) -> str:
        return f"{self.index + 1}/{len(self.cards)}"

    @property
    def can_undo(self) -> bool:
        return bool(self.history)

    def predicted(self, right: bool) -> None:
        self.tally.predictions += 1
        self.tally.predictions_right += right

    def graded(
        self,
        rating: Rating,
        review_id: int | None,
        prediction_right: bool | None,
        due_in: timedelta | None,
    ) -> Graded:
        """The current card was graded; it comes back in this session when `due_in` (None: not
        scheduled) is within LEARN_AHEAD. Moves on to the next card."""
        requeued = due_in is not None and due_in <= LEARN_AHEAD
        entry = Graded(
            self.cards[self.index], self.index, rating, review_id, prediction_right, requeued
        )
        self.tally.reviewed += 1
        self.tally.again += rating == Rating.Again
        if requeued:
            self.later.append(entry.card_id)
        self.history.append(entry)
        self.index += 1
        return entry

    def comes_back_later(self, entry: Graded) -> bool:
        """Whether `entry`'s card comes back in this session after other cards."""
        return entry.requeued and entry.index + 1 < len(self.cards)

    def skipped(self) -> None:
        self.tally.skipped += 1
        self.index += 1

    def undo(self) -> Graded:
        """Take back the last grade: its card shows again now. Call only when can_undo."""
        last = self.history.pop()
        if last.requeued:
            # the grade scheduled a second showing in this session; the card comes back now
            if last.card_id in self.later:
                self.later.remove(last.card_id)
            elif last.card_id in self.cards[last.index + 1 :]:
                del self.cards[len(self.cards) - 1 - self.cards[::-1].index(last.card_id)]
        self.tally.reviewed -= 1
        self.tally.again -= last.rating == Rating.Again
        if last.prediction_right is not None:
            self.tally.predictions -= 1
            self.tally.predictions_right -= last.prediction_right
        self.index = last.index
        return last
