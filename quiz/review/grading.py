"""Scheduling and persistence for a session: which cards are due, what each grade would give,
and grading through the store. The clock is a parameter of every step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from quiz.errors import StoreError
from quiz.progress.records import CardProgress, graded
from quiz.progress.rescue import Rescue
from quiz.progress.store import ReviewInput, Store
from quiz.review import scheduler
from quiz.review.keypoints import Coverage


class Grader:
    """The session's view of each card's FSRS state, kept in step with the store.

    With `save=False` (cram) nothing is written and nothing is scheduled. When a grade cannot
    be saved (the database file was deleted, replaced or damaged), that grade and every later
    one go to a rescue file instead (`rescue`, with the reason in `lost`); their review ids
    are negative: -1 for the first grade kept there."""

    def __init__(
        self, store: Store, fsrs: Scheduler, *, save: bool = True, session_id: str | None = None
    ) -> None:
        self.store = store
        self.fsrs = fsrs
        self.save = save
        self.session_id = session_id
        self.progress: dict[str, CardProgress] = store.states()
        self.states: dict[str, FsrsCard] = {cid: c.fsrs for cid, c in self.progress.items()}
        self.rescue: Rescue | None = None
        self.lost: str | None = None  # why grades go to the rescue file
        self.saved = 0  # grades of this session in the database

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
        coverage: Coverage | None = None,
    ) -> tuple[int, timedelta] | None:
        """Save a grade given at `now` to a card shown at `shown_at`. Returns the review's id
        and how long until the card is due again (None in cram: nothing is saved)."""
        if not self.save:
            return None
        duration = int(max(0.0, (now - shown_at).total_seconds()) * 1000)
        review = ReviewInput(
            card_id=card_id,
            rating=rating,
            reviewed_at=now,
            duration_ms=duration,
            typed_answer=typed,
            prediction=prediction,
            prediction_right=right,
            session_id=self.session_id,
            key_points_covered=None if coverage is None else coverage.covered,
            key_points_total=None if coverage is None else coverage.total,
        )
        reschedule = scheduler.rescheduler(self.fsrs, rating, now, duration, seed=seed)
        if self.rescue is None:
            try:
                review_id, after = self.store.record_review(review, reschedule)
            except StoreError as exc:
                self.lost = str(exc)
                self.rescue = Rescue(self.store.path.parent)
            else:
                self.saved += 1
                self._remember(after)
                return review_id, after.due - now
        return self._keep(review, reschedule)

    def _keep(self, review: ReviewInput, reschedule: scheduler.Reschedule) -> tuple[int, timedelta]:
        """Keep a grade in the rescue file, computed from the session's own view of the card."""
        assert self.rescue is not None
        before = self.progress.get(review.card_id)
        card = reschedule(None if before is None else before.fsrs)
        was_due = before is not None and before.due <= review.reviewed_at
        after, logged = graded(before, review, card, review.reviewed_at, was_due=was_due)
        position = self.rescue.add(after, logged)
        self._remember(after)
        return -position, after.due - review.reviewed_at

    def _remember(self, after: CardProgress) -> None:
        self.progress[after.card_id] = after
        self.states[after.card_id] = after.fsrs

    @property
    def rescued(self) -> int:
        return len(self.rescue.reviews) if self.rescue is not None else 0

    @property
    def rescue_path(self) -> Path | None:
        return self.rescue.path if self.rescue is not None else None

    def saved_note(self) -> str:
        """What an interrupted session says about its grades."""
        if not self.save:
            return "cram: nothing was saved"
        if self.rescue is not None and self.rescued:
            return (
                f"{self.saved} saved, {self.rescued} kept in {self.rescue.path} "
                "(add them with `sqlaquiz import` that file)"
            )
        return "every graded card is saved"

    def undo(self, review_id: int, card_id: str) -> None:
        """Take back a saved grade; the card's state is the store's again (or the rescue
        file's, for a grade kept there). Raises StoreError when it cannot be taken back."""
        if review_id < 0:
            assert self.rescue is not None and -review_id == len(self.rescue.reviews)
            before = self.rescue.take_back().state_before
        else:
            if self.rescue is not None:
                raise StoreError(f"cannot undo a grade saved before: {self.lost}")
            self.store.undo(review_id)
            before = self.store.state(card_id)
            self.saved -= 1
        if before is None:
            self.states.pop(card_id, None)
            self.progress.pop(card_id, None)
        else:
            self._remember(before)
