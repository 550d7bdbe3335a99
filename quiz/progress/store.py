"""The progress database: SQLite through the SQLAlchemy 2.x ORM, versioned and migrated forward.

It speaks in records (quiz/progress/records.py); no row or session leaves it. Card state is keyed
by the card's stable id, so a card that leaves the decks keeps its history. Every grade is its own
committed transaction; WAL and a busy timeout let two sessions share a file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating, State
from sqlalchemy import create_engine, delete, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError
from sqlalchemy.orm import Session

from quiz.clock import utc
from quiz.errors import StoreError
from quiz.progress.migrations import MIGRATIONS, SCHEMA_VERSION
from quiz.progress.records import (
    CardProgress,
    Imported,
    LoggedReview,
    Progress,
    Review,
    ReviewInput,
)
from quiz.progress.schema import (
    CardStateRow,
    ReviewRow,
    card_record,
    review_record,
    state_before,
)

__all__ = ["DB_NAME", "MIGRATIONS", "SCHEMA_VERSION", "ReviewInput", "Store", "open_default"]

APP_ID = 0x53514C51  # "SQLQ" in PRAGMA application_id marks the file as ours
DB_NAME = "progress.sqlite3"

# Given the card's fsrs card (None for a new card), its fsrs card after this grade.
Reschedule = Callable[[FsrsCard | None], FsrsCard]


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # The driver's own implicit BEGIN would come only at the first write, after the reads of a
    # read-modify-write; SQLAlchemy emits BEGIN itself instead (see _on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 10000")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _on_begin(conn: Any) -> None:
    """Writes take the database's write lock at BEGIN, so two sessions never interleave a
    read-modify-write of the same card."""
    immediate = conn.get_execution_options().get("sqlaquiz_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """Open with `Store.open(path)`; every write commits before it returns."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path

    # -------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, target_version: int = SCHEMA_VERSION) -> Store:
        """Open or create the database at `path`, migrating it forward; never overwrite a
        file that is not ours."""
        existed = path.exists() and path.stat().st_size > 0
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10})
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        try:
            with engine.connect() as conn:
                app_id = conn.exec_driver_sql("PRAGMA application_id").scalar()
                version = conn.exec_driver_sql("PRAGMA user_version").scalar() or 0
                tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).scalar()
        except DatabaseError as exc:
            engine.dispose()
            raise StoreError(
                f"{path} is not a readable sqlaquiz progress database "
                f"({_reason(exc)}); it was left untouched"
            ) from None
        if existed and (app_id != APP_ID) and tables:
            engine.dispose()
            raise StoreError(
                f"{path} is an SQLite database but not sqlaquiz's; it was left untouched "
                f"(set SQLAQUIZ_HOME to another folder)"
            )
        if version > target_version:
            engine.dispose()
            raise StoreError(
                f"{path} has schema version {version}, newer than this sqlaquiz understands "
                f"({target_version}); upgrade sqlaquiz"
            )
        store = cls(engine, path)
        if version < target_version:
            store._migrate(version, target_version)
        return store

    def _migrate(self, current: int, target: int) -> None:
        """Apply the missing schema versions in one IMMEDIATE transaction (so two processes
        opening a new file at once cannot both migrate it)."""
        raw = self.engine.raw_connection()
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        saved = dbapi.isolation_level
        dbapi.isolation_level = None  # we issue BEGIN / COMMIT ourselves
        try:
            dbapi.execute("PRAGMA journal_mode = WAL")
            dbapi.execute("BEGIN IMMEDIATE")
            try:
                now = dbapi.execute("PRAGMA user_version").fetchone()[0]
                for version in range(now + 1, target + 1):
                    MIGRATIONS[version](dbapi)
                    dbapi.execute(f"PRAGMA user_version = {version}")
                dbapi.execute(f"PRAGMA application_id = {APP_ID}")
                dbapi.execute("COMMIT")
            except BaseException:
                dbapi.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"cannot update {self.path}: {exc}") from None
        finally:
            dbapi.isolation_level = saved
            raw.close()

    @property
    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        """An ORM session; `write=True` starts its transaction with BEGIN IMMEDIATE."""
        bind = self.engine.execution_options(sqlaquiz_write=True) if write else self.engine
        with Session(bind) as session:
            try:
                yield session
            except DBAPIError as exc:
                session.rollback()
                raise StoreError(f"{self.path}: {_reason(exc)}") from None

    # -------------------------------------------------------------- reads

    def states(self) -> dict[str, CardProgress]:
        """Every card that has been graded, by card id."""
        with self._session() as s:
            rows = s.execute(select(*CardStateRow.__table__.c))
            return {row.card_id: card_record(row) for row in rows}

    def state(self, card_id: str) -> CardProgress | None:
        """One card's state (None: it has never been graded)."""
        with self._session() as s:
            row = s.get(CardStateRow, card_id)
            return None if row is None else card_record(row)

    def reviews(self, since: datetime | None = None) -> list[Review]:
        """The review log, oldest first (all of it, or from `since` on)."""
        return [review_record(row) for row in self._log(since)]

    def _log(self, since: datetime | None = None) -> list[Any]:
        # Core rows, not ORM objects: a long log reads several times faster.
        with self._session() as s:
            stmt = select(*ReviewRow.__table__.c).order_by(ReviewRow.reviewed_at, ReviewRow.id)
            if since is not None:
                stmt = stmt.where(ReviewRow.reviewed_at >= since)
            return list(s.execute(stmt))

    def review_count(self) -> int:
        with self._session() as s:
            return int(s.scalar(select(func.count()).select_from(ReviewRow)) or 0)

    def new_cards_since(self, since: datetime) -> int:
        """How many cards had their first review at or after `since`."""
        with self._session() as s:
            stmt = (
                select(func.count())
                .select_from(CardStateRow)
                .where(CardStateRow.first_review >= since)
            )
            return int(s.scalar(stmt) or 0)

    def export(self) -> Progress:
        """Everything needed to rebuild the progress elsewhere: cards by id, reviews by time."""
        cards = sorted(self.states().values(), key=lambda c: c.card_id)
        log = (LoggedReview(review_record(row), self._before(row)) for row in self._log())
        return Progress(tuple(cards), tuple(log))

    def _before(self, row: Any) -> CardProgress | None:
        # sqlaquiz 0.1.0 imported any JSON object here; one it cannot read is an error, not a crash
        try:
            return state_before(row)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(
                f"{self.path}: the card state saved with review {row.id} of {row.card_id!r} "
                f"is unreadable ({type(exc).__name__}: {exc})"
            ) from None

    # -------------------------------------------------------------- writes

    def record_review(
        self, review: ReviewInput, reschedule: Reschedule
    ) -> tuple[int, CardProgress]:
        """Save one grade and the card's new schedule in one write transaction.

        The schedule is computed from the state stored *inside* the transaction, so a second
        session grading the same card at the same time cannot overwrite this grade.
        Returns the log id and the card's new state."""
        at = review.reviewed_at
        with self._session(write=True) as s, s.begin():
            row = s.get(CardStateRow, review.card_id)
            before = None if row is None else card_record(row)
            card = reschedule(None if before is None else before.fsrs)
            # Two grades of one card within one microsecond only happen with a frozen clock
            # ($SQLAQUIZ_NOW); keep them apart so each stays its own review.
            taken = set(
                s.scalars(
                    select(ReviewRow.reviewed_at).where(
                        ReviewRow.card_id == review.card_id, ReviewRow.reviewed_at >= at
                    )
                )
            )
            while at in taken:
                at += timedelta(microseconds=1)
            lapsed = (
                before is not None
                and review.rating == Rating.Again
                and before.state == State.Review
            )
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
            if row is None:
                row = CardStateRow(card_id=review.card_id)
                s.add(row)
            row.set(after)
            log = ReviewRow.of(
                LoggedReview(
                    Review(
                        card_id=review.card_id,
                        rating=review.rating,
                        reviewed_at=at,
                        duration_ms=review.duration_ms,
                        typed_answer=review.typed_answer,
                        prediction=review.prediction,
                        prediction_right=review.prediction_right,
                        was_due=before is not None and before.due <= review.reviewed_at,
                        due_after=after.due,
                        session_id=review.session_id,
                    ),
                    state_before=before,
                )
            )
            s.add(log)
            s.flush()
            return log.id, after

    def undo(self, review_id: int) -> str | None:
        """Take back one review: delete its log and restore the card's previous state.
        Returns the card's id (None when there is no such review)."""
        with self._session(write=True) as s, s.begin():
            log = s.get(ReviewRow, review_id)
            if log is None:
                return None
            before = self._before(log)
            row = s.get(CardStateRow, log.card_id)
            if before is None:
                if row is not None:
                    s.delete(row)
            elif row is not None:
                row.set(before)
            s.delete(log)
            return log.card_id

    def reset(self, card_id: str | None = None) -> int:
        """Forget progress (one card or all); returns the number of review logs removed."""
        with self._session(write=True) as s, s.begin():
            logs = delete(ReviewRow)
            states = delete(CardStateRow)
            if card_id is not None:
                logs = logs.where(ReviewRow.card_id == card_id)
                states = states.where(CardStateRow.card_id == card_id)
            removed = s.execute(logs).rowcount  # type: ignore[attr-defined]
            s.execute(states)
            return int(removed or 0)

    def import_progress(self, progress: Progress) -> Imported:
        """Add what is not here yet, all or nothing: reviews by (card, time), and card states
        where the imported one was reviewed later than ours."""
        cards = reviews = skipped = 0
        with self._session(write=True) as s, s.begin():
            pairs = s.execute(select(ReviewRow.card_id, ReviewRow.reviewed_at))
            here = {(card_id, at) for card_id, at in pairs}
            for logged in progress.reviews:
                key = (logged.review.card_id, logged.review.reviewed_at)
                if key in here:
                    skipped += 1
                    continue
                here.add(key)
                s.add(ReviewRow.of(logged))
                reviews += 1
            for card in progress.cards:
                row = s.get(CardStateRow, card.card_id)
                if row is not None and row.last_review >= card.last_review:
                    continue
                if row is None:
                    row = CardStateRow(card_id=card.card_id)
                    s.add(row)
                row.set(card)
                cards += 1
        return Imported(cards, reviews, skipped)


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else str(exc).splitlines()[0]


def open_default() -> Store:
    """The store in the user's data directory."""
    from quiz.paths import data_dir

    return Store.open(data_dir() / DB_NAME)
