"""Scheduling and persistence for a session: which cards are due, what each grade would give,
and grading through the store. The clock is a parameter of every step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from quiz.errors import StoreError
from quiz.progress.records import CardProgress, graded
from quiz.progress.rescue import Rescue
from quiz.progress.store import ReviewInput, Store
from quiz.review import scheduler
from quiz.review.keypoints import Coverage


def leech_reached(lapses: int, threshold: int) -> bool:
    """Whether a lapse that brought a card to `lapses` makes it a leech (again): at the
    threshold, then every half threshold after it, as Anki does."""
    return lapses >= threshold and (lapses - threshold) % max(1, threshold // 2) == 0


def end_of_day(now: datetime) -> datetime:
    """The next local midnight after `now`, in UTC: a buried card comes back then."""
    today = scheduler.start_of_day(now)
    return scheduler.start_of_day(today + timedelta(hours=30))  # 30: a day may be 23 or 25 h


@dataclass(frozen=True)
class Leech:
    """The last grade made its card a leech: lapsed `lapses` times; `suspended` as configured."""

    card_id: str
    lapses: int
    suspended: bool


class Grader:
    """The session's view of each card's FSRS state, kept in step with the store.

    With `save=False` (cram) nothing is written and nothing is scheduled. When a grade cannot
    be saved (the database file was deleted, replaced or damaged), that grade and every later
    one go to a rescue file instead (`rescue`, with the reason in `lost`); their review ids
    are negative: -1 for the first grade kept there."""

    def __init__(
        self,
        store: Store,
        fsrs: Scheduler,
        *,
        save: bool = True,
        session_id: str | None = None,
        leech_threshold: int = 8,
        leech_action: str = "keep",
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
        self.marks = store.marks()  # suspended and buried cards
        self.leech_threshold = leech_threshold
        self.leech_action = leech_action
        self.leech: Leech | None = None  # what the last grade made a leech
        self.reviews_held_back = 0  # due cards the daily review limit kept out of the queue
        self._leech_suspended: dict[int, str] = {}  # review id -> the leech it suspended

    def queue(
        self,
        order: Sequence[str],
        now: datetime,
        *,
        cram: bool = False,
        limit: int | None = None,
        new_per_day: int | None = None,
        reviews_per_day: int | None = None,
    ) -> list[str]:
        """The session's cards: in cram, the cards in deck order; otherwise the due ones, lowest
        recall first, up to what today's review limit leaves, then new cards up to what
        today's new-card limit leaves."""
        order = [cid for cid in order if cid not in self.marks or not self.marks[cid].held(now)]
        if cram:
            return list(order[:limit]) if limit else list(order)
        per_day = new_per_day if new_per_day is not None else scheduler.DEFAULT_NEW_PER_DAY
        today = scheduler.start_of_day(now)
        new_today = self.store.new_cards_since(today)
        reviews_left = None
        if reviews_per_day is not None:
            reviews_left = max(0, reviews_per_day - self.store.reviewed_cards_since(today))
            due_reviews = sum(
                1
                for cid in order
                if cid in self.states
                and self.states[cid].state == State.Review
                and scheduler.utc(self.states[cid].due) <= now
            )
            self.reviews_held_back = max(0, due_reviews - reviews_left)
        return scheduler.build_queue(
            order,
            self.states,
            self.fsrs,
            now,
            new_allowed=per_day - new_today,
            limit=limit,
            reviews_allowed=reviews_left,
        )

    def new_held_back(
        self,
        order: Sequence[str],
        now: datetime,
        *,
        limit: int | None = None,
        new_per_day: int | None = None,
    ) -> tuple[int, int]:
        """How many new cards of `order` today's new-card limit keeps out of the session (that
        --limit would not have kept out anyway), and the --new value that lets them all in."""
        per_day = new_per_day if new_per_day is not None else scheduler.DEFAULT_NEW_PER_DAY
        new_today = self.store.new_cards_since(scheduler.start_of_day(now))
        order = [cid for cid in order if cid not in self.marks or not self.marks[cid].held(now)]
        due = sum(1 for cid in order if cid in self.states and self.is_due(cid, now))
        new = sum(1 for cid in order if cid not in self.states)
        wanted = new if limit is None else max(0, min(new, limit - due))
        allowed = max(0, per_day - new_today)
        return max(0, wanted - allowed), new_today + wanted

    def is_due(self, card_id: str, now: datetime) -> bool:
        return scheduler.utc(self.states[card_id].due) <= now

    def due(self, card_id: str) -> datetime:
        """When a graded card is due next."""
        return scheduler.utc(self.states[card_id].due)

    def next_due(self, order: Sequence[str]) -> datetime | None:
        return scheduler.next_due(self._not_suspended(order), self.states)

    def new_left(self, order: Sequence[str]) -> int:
        return sum(1 for cid in self._not_suspended(order) if cid not in self.states)

    def _not_suspended(self, order: Sequence[str]) -> list[str]:
        return [cid for cid in order if cid not in self.marks or not self.marks[cid].suspended]

    def bury(self, card_id: str, now: datetime) -> datetime:
        """Keep the card out of reviews until the next local midnight; returns that time."""
        until = end_of_day(now)
        self.store.bury(card_id, until)
        self.marks = self.store.marks()
        return until

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
        and how long until the card is due again (None in cram: nothing is saved).
        `leech` says whether this grade made the card a leech."""
        self.leech = None
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
                lapsed_before = self.progress[card_id].lapses if card_id in self.progress else 0
                self._remember(after)
                if after.lapses > lapsed_before:
                    self._lapsed(card_id, review_id, after.lapses, now)
                return review_id, after.due - now
        return self._keep(review, reschedule)

    def _lapsed(self, card_id: str, review_id: int, lapses: int, now: datetime) -> None:
        """A saved grade was a lapse: is the card a leech now (and suspended, if configured)?"""
        if not leech_reached(lapses, self.leech_threshold):
            return
        suspended = False
        if self.leech_action == "suspend":
            suspended = bool(self.store.suspend([card_id], now, by="leech"))
            if suspended:
                self._leech_suspended[review_id] = card_id
                self.marks = self.store.marks()
        self.leech = Leech(card_id, lapses, suspended)

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
            if self._leech_suspended.pop(review_id, None) is not None:
                self.store.unsuspend([card_id], only_by="leech")
                self.marks = self.store.marks()
        if before is None:
            self.states.pop(card_id, None)
            self.progress.pop(card_id, None)
        else:
            self._remember(before)
