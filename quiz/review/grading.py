"""Scheduling and persistence for a session: which cards are due, what each grade would give,
and grading through the store. The clock is a parameter of every step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from quiz.progress.store import ReviewInput, Store
from quiz.review import scheduler


class Grader:
    """The session's view of each card's FSRS state, kept in step with the store.

    With `save=False` (cram) nothing is written and nothing is scheduled."""

    def __init__(
        self, store: Store, fsrs: Scheduler, *, save: bool = True, session_id: str | None = None
    ) -> None:
        self.store = store
        self.fsrs = fsrs
        self.save = save
        self.session_id = session_id
        self.states: dict[str, FsrsCard] = {cid: c.fsrs for cid, c in store.states().items()}

    def queue(
        self,
        order: Sequence[str],
        now: datetime,
        *,
        cram: bool = False,
        limit: int | None = None,
        new_per_day: int | None = None,
    ) -> list[str]:
        """The session's cards: in cram, the cards in deck order; otherwise the due ones, lowest
        recall first, then new cards up to what today's new-card limit leaves."""
        if cram:
            return list(order[:limit]) if limit else list(order)
        per_day = new_per_day if new_per_day is not None else scheduler.DEFAULT_NEW_PER_DAY
        new_today = self.store.new_cards_since(scheduler.start_of_day(now))
        return scheduler.build_queue(
            order, self.states, self.fsrs, now, new_allowed=per_day - new_today, limit=limit
        )

    def is_due(self, card_id: str, now: datetime) -> bool:
        return scheduler.utc(self.states[card_id].due) <= now

    def next_due(self, order: Sequence[str]) -> datetime | None:
        return scheduler.next_due(order, self.states)

    def new_left(self, order: Sequence[str]) -> int:
        return sum(1 for cid in order if cid not in self.states)

    def intervals(self, card_id: str, now: datetime, seed: int) -> dict[Rating, timedelta]:
        """What each grade would give now; with the same `seed`, exactly what grade() gives."""
        card = self.states.get(card_id) or scheduler.new_card()
        return scheduler.preview(self.fsrs, card, now, seed=seed)

    def grade(
        self,
        card_id: str,
        rating: Rating,
        now: datetime,
        *,
        shown_at: datetime,
        typed: str | None = None,
        prediction: str | None = None,
        right: bool | None = None,
        seed: int | None = None,
    ) -> tuple[int, timedelta] | None:
        """Save a grade given at `now` to a card shown at `shown_at`. Returns the review's id
        and how long until the card is due again (None in cram: nothing is saved)."""
        if not self.save:
            return None
        duration = int(max(0.0, (now - shown_at).total_seconds()) * 1000)
        review_id, after = self.store.record_review(
            ReviewInput(
                card_id=card_id,
                rating=rating,
                reviewed_at=now,
                duration_ms=duration,
                typed_answer=typed,
                prediction=prediction,
                prediction_right=right,
                session_id=self.session_id,
            ),
            scheduler.rescheduler(self.fsrs, rating, now, duration, seed=seed),
        )
        self.states[card_id] = after.fsrs
        return review_id, after.due - now

    def undo(self, review_id: int, card_id: str) -> None:
        """Take back a saved grade; the card's state is the store's again."""
        self.store.undo(review_id)
        state = self.store.state(card_id)
        if state is None:
            self.states.pop(card_id, None)
        else:
            self.states[card_id] = state.fsrs
