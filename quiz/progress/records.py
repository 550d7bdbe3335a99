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


@dataclass(frozen=True)
class LoggedReview:
    """A review as the log keeps it: with the card as it was before the grade (None: the card
    was new), which is what undoing the grade restores and what an export carries."""

    review: Review
    state_before: CardProgress | None


@dataclass(frozen=True)
class Progress:
    """Everything the store holds: what an export writes and an import merges."""

    cards: tuple[CardProgress, ...]
    reviews: tuple[LoggedReview, ...]


@dataclass(frozen=True)
class Imported:
    """What an import added: card states, reviews, and reviews that were already here."""

    cards: int
    reviews: int
    skipped: int
