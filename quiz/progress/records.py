"""What the progress store hands out and takes in: frozen records, aware UTC times, fsrs enums."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fsrs import Card as FsrsCard
from fsrs import Rating, State

from quiz.clock import utc


@dataclass(frozen=True)
class CardProgress:
    """Where one card stands. `fsrs` is fsrs's own card, the scheduler's input; `due` and
    `state` repeat its due time and state as the store indexes them. The store hands out a
    fresh fsrs card with every record (fsrs's scheduler works on a copy of it anyway)."""

    card_id: str
    fsrs: FsrsCard
    due: datetime
    state: State
    reps: int
    lapses: int
    first_review: datetime
    last_review: datetime


@dataclass(frozen=True)
class ReviewInput:
    """What a session hands over when the user grades a card."""

    card_id: str
    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None = None
    typed_answer: str | None = None
    prediction: str | None = None
    prediction_right: bool | None = None
    session_id: str | None = None
    key_points_covered: int | None = None  # of key_points_total, by review.keypoints
    key_points_total: int | None = None

    def __post_init__(self) -> None:
        # a plain 1-4 is accepted (and checked); a naive time is taken as UTC
        object.__setattr__(self, "rating", Rating(self.rating))
        object.__setattr__(self, "reviewed_at", utc(self.reviewed_at))


@dataclass(frozen=True)
class Review:
    """One logged grade."""

    card_id: str
    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None
    typed_answer: str | None
    prediction: str | None
    prediction_right: bool | None
    was_due: bool  # a card with a schedule, graded once it was due
    due_after: datetime
    session_id: str | None
    id: int | None = None  # the log's id in this store; None for a review read from a file
    key_points_covered: int | None = None  # None: no key points, or nothing typed
    key_points_total: int | None = None


@dataclass(frozen=True)
class Interview:
    """One mock interview as kept: its totals (what the trend compares) and its whole
    scorecard as JSON text (`review.interview.Scorecard.to_json`)."""

    started_at: datetime
    ended_at: datetime
    minutes: int  # what was planned
    questions: int  # asked
    key_points_covered: int
    key_points_total: int
    predictions_right: int
    predictions_total: int
    exercises_passed: int
    exercises_total: int
    scorecard: str
    id: int | None = None  # None for one read from a file


@dataclass(frozen=True)
class LoggedReview:
    """A review as the log keeps it: with the card as it was before the grade (None: the card
    was new), which is what undoing the grade restores and what an export carries."""

    review: Review
    state_before: CardProgress | None


@dataclass(frozen=True)
class CardMark:
    """A card held out of reviews: suspended (by you, or as a leech) until unsuspended, or
    buried until a time (the next local midnight). A card without either has no mark."""

    card_id: str
    suspended_at: datetime | None = None
    suspended_by: str | None = None  # "you" or "leech"
    buried_until: datetime | None = None

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def buried(self, now: datetime) -> bool:
        return self.buried_until is not None and utc(now) < self.buried_until

    def held(self, now: datetime) -> bool:
        """Kept out of a session at `now`."""
        return self.suspended or self.buried(now)


SUSPENDED_BY = ("you", "leech")


@dataclass(frozen=True)
class Progress:
    """Everything the store holds: what an export writes and an import merges.

    `unreadable` counts the rows an export had to leave out (damaged in the database)."""

    cards: tuple[CardProgress, ...]
    reviews: tuple[LoggedReview, ...]
    unreadable: int = 0
    marks: tuple[CardMark, ...] = ()
    interviews: tuple[Interview, ...] = ()


def graded(
    before: CardProgress | None,
    review: ReviewInput,
    card: FsrsCard,
    at: datetime,
    *,
    was_due: bool,
) -> tuple[CardProgress, LoggedReview]:
    """A grade's outcome: the card's new state and the review as the log keeps it.

    `card` is fsrs's card after the grade, `at` the time the review is logged at (the store
    keeps two grades of one card apart by a microsecond)."""
    lapsed = before is not None and review.rating == Rating.Again and before.state == State.Review
    after = CardProgress(
        card_id=review.card_id,
        fsrs=card,
        due=utc(card.due),
        state=card.state,
        reps=(0 if before is None else before.reps) + 1,
        lapses=(0 if before is None else before.lapses) + lapsed,
        first_review=at if before is None else before.first_review,
        last_review=at,
    )
    logged = LoggedReview(
        Review(
            card_id=review.card_id,
            rating=review.rating,
            reviewed_at=at,
            duration_ms=review.duration_ms,
            typed_answer=review.typed_answer,
            prediction=review.prediction,
            prediction_right=review.prediction_right,
            was_due=was_due,
            due_after=after.due,
            session_id=review.session_id,
            key_points_covered=review.key_points_covered,
            key_points_total=review.key_points_total,
        ),
        state_before=before,
    )
    return after, logged


@dataclass(frozen=True)
class Imported:
    """What an import added: card states, reviews, and reviews that were already here."""

    cards: int
    reviews: int
    skipped: int
    marks: int = 0  # cards suspended or buried by the import
    interviews: int = 0
