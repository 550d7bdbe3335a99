"""The progress database: SQLite through the SQLAlchemy 2.x ORM, versioned and migrated forward.

Card state is keyed by the card's stable id, so a card that leaves the decks keeps its history.
Every grade is its own committed transaction; WAL and a busy timeout let two sessions share a file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from quiz.errors import StoreError
from quiz.review.scheduler import Scheduled, utc

SCHEMA_VERSION = 2
APP_ID = 0x53514C51  # "SQLQ" in PRAGMA application_id marks the file as ours
DB_NAME = "progress.sqlite3"


class Base(DeclarativeBase):
    pass


class CardState(Base):
    __tablename__ = "card_state"

    card_id: Mapped[str] = mapped_column(String, primary_key=True)
    fsrs: Mapped[str] = mapped_column(Text)  # fsrs.Card.to_dict() as JSON
    due: Mapped[datetime] = mapped_column(DateTime, index=True)
    state: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    first_review: Mapped[datetime] = mapped_column(DateTime)
    last_review: Mapped[datetime] = mapped_column(DateTime)


class ReviewRow(Base):
    __tablename__ = "review_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[str] = mapped_column(String, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    typed_answer: Mapped[str | None] = mapped_column(Text)
    prediction: Mapped[str | None] = mapped_column(Text)
    prediction_right: Mapped[bool | None] = mapped_column(Boolean)
    was_due: Mapped[bool] = mapped_column(Boolean)  # a scheduled card reviewed once due
    state_before: Mapped[str | None] = mapped_column(Text)  # CardState snapshot, for undo
    due_after: Mapped[datetime] = mapped_column(DateTime)
    session_id: Mapped[str | None] = mapped_column(String, index=True)  # schema 2


# ------------------------------------------------------------------ schema versions


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE card_state (card_id VARCHAR PRIMARY KEY, fsrs TEXT NOT NULL,"
        " due DATETIME NOT NULL, state INTEGER NOT NULL, reps INTEGER NOT NULL,"
        " lapses INTEGER NOT NULL, first_review DATETIME NOT NULL,"
        " last_review DATETIME NOT NULL)"
    )
    conn.execute("CREATE INDEX ix_card_state_due ON card_state (due)")
    conn.execute(
        "CREATE TABLE review_log (id INTEGER PRIMARY KEY, card_id VARCHAR NOT NULL,"
        " rating INTEGER NOT NULL, reviewed_at DATETIME NOT NULL, duration_ms INTEGER,"
        " typed_answer TEXT, prediction TEXT, prediction_right BOOLEAN,"
        " was_due BOOLEAN NOT NULL, state_before TEXT, due_after DATETIME NOT NULL,"
        " UNIQUE (card_id, reviewed_at))"
    )
    conn.execute("CREATE INDEX ix_review_log_card_id ON review_log (card_id)")
    conn.execute("CREATE INDEX ix_review_log_reviewed_at ON review_log (reviewed_at)")


def _v2(conn: sqlite3.Connection) -> None:
    # Schema 2 groups reviews by session, for the end-of-session summary and stats.
    conn.execute("ALTER TABLE review_log ADD COLUMN session_id VARCHAR")
    conn.execute("CREATE INDEX ix_review_log_session_id ON review_log (session_id)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2}


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


@dataclass(frozen=True)
class ReviewInput:
    """What the session hands over when the user grades a card."""

    card_id: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None = None
    typed_answer: str | None = None
    prediction: str | None = None
    prediction_right: bool | None = None
    session_id: str | None = None


# Given the card's stored FSRS state (None for a new card), its schedule after this grade.
Reschedule = Callable[[dict[str, Any] | None], Scheduled]


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
            store._migrate(target_version)
        return store

    def _migrate(self, target: int) -> None:
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
    def session(self, write: bool = False) -> Iterator[Session]:
        """An ORM session; `write=True` starts its transaction with BEGIN IMMEDIATE."""
        bind = self.engine.execution_options(sqlaquiz_write=True) if write else self.engine
        with Session(bind) as session:
            try:
                yield session
            except DBAPIError as exc:
                session.rollback()
                raise StoreError(f"{self.path}: {_reason(exc)}") from None

    # -------------------------------------------------------------- reads

    def states(self) -> dict[str, CardState]:
        with self.session() as s:
            rows = s.scalars(select(CardState)).all()
            s.expunge_all()
            return {row.card_id: row for row in rows}

    def reviews(self, since: datetime | None = None) -> list[ReviewRow]:
        with self.session() as s:
            stmt = select(ReviewRow).order_by(ReviewRow.reviewed_at, ReviewRow.id)
            if since is not None:
                stmt = stmt.where(ReviewRow.reviewed_at >= utc(since).replace(tzinfo=None))
            rows = list(s.scalars(stmt))
            s.expunge_all()
            return rows

    def review_count(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(ReviewRow)) or 0)

    def new_cards_since(self, since: datetime) -> int:
        """How many cards had their first review at or after `since`."""
        with self.session() as s:
            stmt = (
                select(func.count())
                .select_from(CardState)
                .where(CardState.first_review >= utc(since).replace(tzinfo=None))
            )
            return int(s.scalar(stmt) or 0)

    # -------------------------------------------------------------- writes

    def record_review(self, review: ReviewInput, reschedule: Reschedule) -> tuple[int, Scheduled]:
        """Save one grade and the card's new schedule in one write transaction.

        The schedule is computed from the state stored *inside* the transaction, so a second
        session grading the same card at the same time cannot overwrite this grade.
        Returns the log id and the new schedule."""
        at = utc(review.reviewed_at).replace(tzinfo=None)
        with self.session(write=True) as s, s.begin():
            state = s.get(CardState, review.card_id)
            scheduled = reschedule(None if state is None else json.loads(state.fsrs))
            before = None if state is None else json.dumps(_snapshot(state))
            was_due = state is not None and utc(state.due) <= utc(review.reviewed_at)
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
            if state is None:
                state = CardState(card_id=review.card_id, reps=0, lapses=0, first_review=at)
                s.add(state)
            elif review.rating == 1 and state.state == 2:  # Again on a card in Review
                state.lapses += 1
            state.reps += 1
            state.fsrs = json.dumps(scheduled.fsrs)
            state.due = utc(scheduled.due).replace(tzinfo=None)
            state.state = scheduled.state
            state.last_review = at
            row = ReviewRow(
                card_id=review.card_id,
                rating=review.rating,
                reviewed_at=at,
                duration_ms=review.duration_ms,
                typed_answer=review.typed_answer,
                prediction=review.prediction,
                prediction_right=review.prediction_right,
                was_due=was_due,
                state_before=before,
                due_after=state.due,
                session_id=review.session_id,
            )
            s.add(row)
            s.flush()
            return row.id, scheduled

    def undo(self, review_id: int) -> str | None:
        """Take back one review: delete its log and restore the card's previous state."""
        with self.session(write=True) as s, s.begin():
            row = s.get(ReviewRow, review_id)
            if row is None:
                return None
            state = s.get(CardState, row.card_id)
            if row.state_before is None:
                if state is not None:
                    s.delete(state)
            elif state is not None:
                for key, value in json.loads(row.state_before).items():
                    setattr(state, key, _restore(key, value))
            s.delete(row)
            return row.card_id

    def reset(self, card_id: str | None = None) -> int:
        """Forget progress (one card or all); returns the number of review logs removed."""
        with self.session(write=True) as s, s.begin():
            logs = delete(ReviewRow)
            states = delete(CardState)
            if card_id is not None:
                logs = logs.where(ReviewRow.card_id == card_id)
                states = states.where(CardState.card_id == card_id)
            removed = s.execute(logs).rowcount  # type: ignore[attr-defined]
            s.execute(states)
            return int(removed or 0)


_DATETIMES = {"due", "first_review", "last_review"}


def _snapshot(state: CardState) -> dict[str, Any]:
    return {
        "fsrs": state.fsrs,
        "due": state.due.isoformat(),
        "state": state.state,
        "reps": state.reps,
        "lapses": state.lapses,
        "first_review": state.first_review.isoformat(),
        "last_review": state.last_review.isoformat(),
    }


def _restore(key: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if key in _DATETIMES else value


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else str(exc).splitlines()[0]


def open_default() -> Store:
    """The store in the user's data directory."""
    from quiz.paths import data_dir

    return Store.open(data_dir() / DB_NAME)
