"""The persistence schema, written once: three tables, their column types, rows <-> records.

Times are stored as naive UTC (what schema 1 wrote) and come back aware; states and ratings are
stored as fsrs's integers and come back as fsrs's enums. Only the store uses these rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, TypeVar

from fsrs import Card as FsrsCard
from fsrs import Rating, State
from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from quiz.clock import EARLIEST, LATEST, utc
from quiz.progress.records import CardMark, CardProgress, Interview, LoggedReview, Review

IntEnumT = TypeVar("IntEnumT", bound=IntEnum)


_FIRST, _LAST = EARLIEST.replace(tzinfo=None), LATEST.replace(tzinfo=None)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive. One outside the years sqlaquiz works with (which
    only a damaged or hand-edited row holds) raises ValueError, as an unparsable one does."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not _FIRST <= value < _LAST:
            raise ValueError(f"date {value.isoformat()} is out of range")
        return value.replace(tzinfo=timezone.utc)


class FsrsCardJson(TypeDecorator[FsrsCard]):
    """fsrs's card, stored as the JSON of its to_dict()."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: FsrsCard | None, dialect: Dialect) -> str | None:
        return None if value is None else fsrs_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> FsrsCard | None:
        return None if value is None else FsrsCard.from_dict(json.loads(value))


class IntEnumColumn(TypeDecorator[IntEnumT]):
    """One of fsrs's IntEnums (State, Rating), stored as its integer."""

    impl = Integer
    cache_ok = True

    def __init__(self, enum: type[IntEnumT]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: IntEnumT | None, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> IntEnumT | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    pass


class CardStateRow(Base):
    __tablename__ = "card_state"

    card_id: Mapped[str] = mapped_column(String, primary_key=True)
    fsrs: Mapped[FsrsCard] = mapped_column(FsrsCardJson)
    due: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    state: Mapped[State] = mapped_column(IntEnumColumn(State))
    reps: Mapped[int] = mapped_column(Integer)
    lapses: Mapped[int] = mapped_column(Integer)
    first_review: Mapped[datetime] = mapped_column(UtcDateTime)
    last_review: Mapped[datetime] = mapped_column(UtcDateTime)

    def set(self, card: CardProgress) -> None:
        """Take every value of `card` (its id stays)."""
        self.fsrs = card.fsrs
        self.due = card.due
        self.state = card.state
        self.reps = card.reps
        self.lapses = card.lapses
        self.first_review = card.first_review
        self.last_review = card.last_review


class ReviewRow(Base):
    __tablename__ = "review_log"
    __table_args__ = (UniqueConstraint("card_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[str] = mapped_column(String, index=True)
    rating: Mapped[Rating] = mapped_column(IntEnumColumn(Rating))
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    typed_answer: Mapped[str | None] = mapped_column(Text)
    prediction: Mapped[str | None] = mapped_column(Text)
    prediction_right: Mapped[bool | None] = mapped_column(Boolean)
    was_due: Mapped[bool] = mapped_column(Boolean)
    state_before: Mapped[str | None] = mapped_column(Text)  # JSON of snapshot(), for undo
    due_after: Mapped[datetime] = mapped_column(UtcDateTime)
    session_id: Mapped[str | None] = mapped_column(String, index=True)  # schema 2
    key_points_covered: Mapped[int | None] = mapped_column(Integer)  # schema 4
    key_points_total: Mapped[int | None] = mapped_column(Integer)

    @classmethod
    def of(cls, logged: LoggedReview) -> ReviewRow:
        review, before = logged.review, logged.state_before
        return cls(
            card_id=review.card_id,
            rating=review.rating,
            reviewed_at=review.reviewed_at,
            duration_ms=review.duration_ms,
            typed_answer=review.typed_answer,
            prediction=review.prediction,
            prediction_right=review.prediction_right,
            was_due=review.was_due,
            state_before=None if before is None else json.dumps(snapshot(before)),
            due_after=review.due_after,
            session_id=review.session_id,
            key_points_covered=review.key_points_covered,
            key_points_total=review.key_points_total,
        )


class CardMarkRow(Base):
    """A card held out of reviews (schema 3): suspended, or buried until a time."""

    __tablename__ = "card_mark"

    card_id: Mapped[str] = mapped_column(String, primary_key=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    suspended_by: Mapped[str | None] = mapped_column(String)
    buried_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


def mark_record(row: Any) -> CardMark:
    """A card_mark row as a record."""
    return CardMark(
        card_id=row.card_id,
        suspended_at=row.suspended_at,
        suspended_by=row.suspended_by,
        buried_until=row.buried_until,
    )


class InterviewRow(Base):
    """One mock interview (schema 4)."""

    __tablename__ = "interview"
    __table_args__ = (UniqueConstraint("started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    key_points_covered: Mapped[int] = mapped_column(Integer)
    key_points_total: Mapped[int] = mapped_column(Integer)
    predictions_right: Mapped[int] = mapped_column(Integer)
    predictions_total: Mapped[int] = mapped_column(Integer)
    exercises_passed: Mapped[int] = mapped_column(Integer)
    exercises_total: Mapped[int] = mapped_column(Integer)
    scorecard: Mapped[str] = mapped_column(Text)  # JSON

    @classmethod
    def of(cls, interview: Interview) -> InterviewRow:
        return cls(**{name: getattr(interview, name) for name in _INTERVIEW_FIELDS})


_INTERVIEW_FIELDS = (
    "started_at",
    "ended_at",
    "minutes",
    "questions",
    "key_points_covered",
    "key_points_total",
    "predictions_right",
    "predictions_total",
    "exercises_passed",
    "exercises_total",
    "scorecard",
)


def interview_record(row: Any) -> Interview:
    """An interview row (ORM or Core) as a record."""
    for name in _INTERVIEW_FIELDS[2:-1]:
        _whole(getattr(row, name), name)
    if not isinstance(row.scorecard, str):
        raise ValueError("scorecard is not text")
    return Interview(**{name: getattr(row, name) for name in _INTERVIEW_FIELDS}, id=row.id)


def _whole(value: Any, name: str) -> Any:
    """SQLite keeps whatever a row was given: an INTEGER column may hold text."""
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ValueError(f"{name} {value!r} is not a whole number")
    return value


def review_record(row: Any) -> Review:
    """A review_log row (an ORM ReviewRow or a Core row of its columns) as a record."""
    _whole(row.duration_ms, "duration_ms")
    return Review(
        card_id=row.card_id,
        rating=row.rating,
        reviewed_at=row.reviewed_at,
        duration_ms=row.duration_ms,
        typed_answer=row.typed_answer,
        prediction=row.prediction,
        prediction_right=row.prediction_right,
        was_due=row.was_due,
        due_after=row.due_after,
        session_id=row.session_id,
        id=row.id,
        key_points_covered=_whole(row.key_points_covered, "key_points_covered"),
        key_points_total=_whole(row.key_points_total, "key_points_total"),
    )


def state_before(row: Any) -> CardProgress | None:
    """The card as a review_log row says it was before that review (None: it was new)."""
    text = row.state_before
    return None if text is None else from_snapshot(row.card_id, json.loads(text))


def card_record(row: Any) -> CardProgress:
    """A card_state row (an ORM CardStateRow or a Core row of its columns) as a record."""
    _whole(row.reps, "reps")
    _whole(row.lapses, "lapses")
    return CardProgress(
        card_id=row.card_id,
        fsrs=row.fsrs,
        due=row.due,
        state=row.state,
        reps=row.reps,
        lapses=row.lapses,
        first_review=row.first_review,
        last_review=row.last_review,
    )


def fsrs_json(card: FsrsCard) -> str:
    return json.dumps(card.to_dict())


def snapshot(card: CardProgress) -> dict[str, Any]:
    """A card state as the review log keeps it for undo, and as export files carry it: the
    layout schema 1 chose, with the fsrs card as JSON text and times as naive UTC."""
    return {
        "fsrs": fsrs_json(card.fsrs),
        "due": _naive_iso(card.due),
        "state": int(card.state),
        "reps": card.reps,
        "lapses": card.lapses,
        "first_review": _naive_iso(card.first_review),
        "last_review": _naive_iso(card.last_review),
    }


def from_snapshot(card_id: str, data: Mapping[str, Any]) -> CardProgress:
    """The inverse of snapshot(); raises KeyError, TypeError or ValueError on another shape."""
    return CardProgress(
        card_id=card_id,
        fsrs=FsrsCard.from_dict(json.loads(data["fsrs"])),
        due=_parse(data["due"]),
        state=State(data["state"]),
        reps=int(data["reps"]),
        lapses=int(data["lapses"]),
        first_review=_parse(data["first_review"]),
        last_review=_parse(data["last_review"]),
    )


def _naive_iso(dt: datetime) -> str:
    return utc(dt).replace(tzinfo=None).isoformat()


def _parse(text: str) -> datetime:
    return utc(datetime.fromisoformat(text))
