"""The progress database: SQLite through the SQLAlchemy 2.x ORM, versioned and migrated forward.

It speaks in records (quiz/progress/records.py); no row or session leaves it. Card state is keyed
by the card's stable id, so a card that leaves the decks keeps its history. Every grade is its own
committed transaction; WAL and a busy timeout let two sessions share a file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import State
from sqlalchemy import create_engine, delete, event, func, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from quiz.errors import StoreError, StoreLost
from quiz.progress.migrations import MIGRATIONS, SCHEMA_VERSION
from quiz.progress.records import (
    CardMark,
    CardProgress,
    Imported,
    Interview,
    LoggedReview,
    Progress,
    Review,
    ReviewInput,
    graded,
)
from quiz.progress.schema import (
    CardMarkRow,
    CardStateRow,
    InterviewRow,
    ReviewRow,
    card_record,
    interview_record,
    mark_record,
    review_record,
    state_before,
)

__all__ = ["DB_NAME", "MIGRATIONS", "SCHEMA_VERSION", "ReviewInput", "Store", "open_default"]

APP_ID = 0x53514C51  # "SQLQ" in PRAGMA application_id marks the file as ours
DB_NAME = "progress.sqlite3"
MAGIC = b"SQLite format 3\0"  # the first bytes of every SQLite database file

# What a row that does not hold what its columns say raises when it is turned into a record.
ROW_ERRORS = (ValueError, TypeError, KeyError, OverflowError, AttributeError)

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
        self._identity: tuple[int, int] | None = None  # the file's (device, inode) once open

    # -------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, target_version: int = SCHEMA_VERSION) -> Store:
        """Open or create the database at `path`, migrating it forward; never overwrite a
        file that is not ours."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise StoreError(f"{path}: cannot be used ({exc.strerror or exc})") from None
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path} is not a regular file; it was left untouched")
        existed = info is not None and info.st_size > 0
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
        info = os.stat(path)
        store._identity = (info.st_dev, info.st_ino)
        return store

    def check_file(self) -> None:
        """Raise StoreLost when the file at `path` is no longer the database this store opened:
        deleted, replaced by another file, or its header overwritten. An open SQLite
        connection would go on writing into a deleted file's inode and report success."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            raise StoreLost(f"{self.path} was deleted while sqlaquiz had it open") from None
        except OSError as exc:
            raise StoreLost(f"{self.path} cannot be reached ({exc.strerror or exc})") from None
        if self._identity is not None and (info.st_dev, info.st_ino) != self._identity:
            raise StoreLost(f"{self.path} was replaced by another file while sqlaquiz had it open")
        try:
            with open(self.path, "rb") as f:
                header = f.read(len(MAGIC))
        except OSError as exc:
            raise StoreLost(f"{self.path} cannot be read ({exc.strerror or exc})") from None
        if header != MAGIC:
            raise StoreLost(f"{self.path} was damaged (its header was overwritten)")

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
    def _session(self, write: bool = False) -> Iterator[Session]:
        """An ORM session; `write=True` starts its transaction with BEGIN IMMEDIATE."""
        bind = self.engine.execution_options(sqlaquiz_write=True) if write else self.engine
        with Session(bind) as session:
            try:
                yield session
            except DBAPIError as exc:
                session.rollback()
                raise StoreError(f"{self.path}: {_reason(exc)}") from None
            except ROW_ERRORS as exc:  # a row whose values do not fit its columns
                session.rollback()
                raise StoreError(
                    f"{self.path}: a row cannot be read ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); `sqlaquiz export FILE` saves every other row"
                ) from None

    # -------------------------------------------------------------- reads

    def states(self) -> dict[str, CardProgress]:
        """Every card that has been graded, by card id."""
        cards, _ = self._records(CardStateRow.__table__, card_record)
        return {card.card_id: card for card in cards}

    def _records(
        self,
        table: Any,
        record: Callable[[Any], Any],
        where: ColumnElement[bool] | None = None,
        order: tuple[Any, ...] = (),
        skip_unreadable: bool = False,
    ) -> tuple[list[Any], int]:
        """Every row of `table` as a record, and how many rows could not be read.

        A row whose values do not fit its columns (written by hand, by a bug, by a damaged
        disk) raises StoreError, or with `skip_unreadable` is left out and counted: `export`
        then still saves every other row."""
        stmt = select(*table.c).order_by(*order)
        if where is not None:
            stmt = stmt.where(where)
        with self._session() as s:
            try:
                return [record(row) for row in s.execute(stmt)], 0
            except ROW_ERRORS as exc:
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            # Row by row, untyped, so that one bad row does not hide the others.
            raw = select(*(type_coerce(c, NullType()).label(c.name) for c in table.c))
            raw = raw.where(where) if where is not None else raw
            dialect = self.engine.dialect
            convert = [
                (c.name, c.type.dialect_impl(dialect).result_processor(dialect, None))
                for c in table.c
            ]
            records, bad = [], 0
            for row in s.execute(raw.order_by(*order)):
                try:
                    values = {
                        name: value if process is None or value is None else process(value)
                        for (name, process), value in zip(convert, row, strict=True)
                    }
                    records.append(record(SimpleNamespace(**values)))
                except ROW_ERRORS:
                    bad += 1
        if bad and not skip_unreadable:
            raise StoreError(
                f"{self.path}: {bad} row{'s' if bad != 1 else ''} of {table.name} cannot be "
                f"read ({reason}); `sqlaquiz export FILE` saves every other row"
            )
        return records, bad

    def state(self, card_id: str) -> CardProgress | None:
        """One card's state (None: it has never been graded)."""
        table = CardStateRow.__table__
        cards, _ = self._records(table, card_record, CardStateRow.card_id == card_id)
        return cards[0] if cards else None

    def reviews(self, since: datetime | None = None) -> list[Review]:
        """The review log, oldest first (all of it, or from `since` on)."""
        where = None if since is None else ReviewRow.reviewed_at >= since
        # Core rows, not ORM objects: a long log reads several times faster.
        reviews, _ = self._records(ReviewRow.__table__, review_record, where, self._LOG_ORDER)
        return reviews

    _LOG_ORDER = (ReviewRow.reviewed_at, ReviewRow.id)

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

    def reviewed_cards_since(self, since: datetime) -> int:
        """How many cards in the Review state (learnt, not in their learning steps) were
        graded at or after `since`: what today's review limit counts."""
        with self._session() as s:
            stmt = select(ReviewRow.card_id, ReviewRow.state_before).where(
                ReviewRow.reviewed_at >= since, ReviewRow.state_before.is_not(None)
            )
            cards = set()
            for card_id, before in s.execute(stmt):
                try:
                    if json.loads(before or "")["state"] == int(State.Review):
                        cards.add(card_id)
                except (*ROW_ERRORS, json.JSONDecodeError):
                    continue  # a damaged row: not counted (export reports it)
            return len(cards)

    def export(self) -> Progress:
        """Everything needed to rebuild the progress elsewhere: cards by id, reviews by time.

        Rows that cannot be read are left out and counted (`Progress.unreadable`), so one
        damaged row does not keep the rest from being saved."""
        cards, bad_cards = self._records(CardStateRow.__table__, card_record, skip_unreadable=True)
        log, bad_reviews = self._records(
            ReviewRow.__table__,
            lambda row: LoggedReview(review_record(row), state_before(row)),
            order=self._LOG_ORDER,
            skip_unreadable=True,
        )
        marks, bad_marks = self._records(
            CardMarkRow.__table__, mark_record, order=(CardMarkRow.card_id,), skip_unreadable=True
        )
        cards.sort(key=lambda c: c.card_id)
        interviews, bad_interviews = self._records(
            InterviewRow.__table__,
            interview_record,
            order=self._INTERVIEW_ORDER,
            skip_unreadable=True,
        )
        return Progress(
            tuple(cards),
            tuple(log),
            bad_cards + bad_reviews + bad_marks + bad_interviews,
            marks=tuple(marks),
            interviews=tuple(interviews),
        )

    _INTERVIEW_ORDER = (InterviewRow.started_at, InterviewRow.id)

    def interviews(self) -> list[Interview]:
        """Every mock interview kept, oldest first."""
        table = InterviewRow.__table__
        interviews, _ = self._records(table, interview_record, order=self._INTERVIEW_ORDER)
        return interviews

    def marks(self) -> dict[str, CardMark]:
        """Every card held out of reviews (suspended, or buried, even if that has run out)."""
        marks, _ = self._records(CardMarkRow.__table__, mark_record)
        return {mark.card_id: mark for mark in marks}

    def _before(self, row: Any) -> CardProgress | None:
        # sqlaquiz 0.1.0 imported any JSON object here; one it cannot read is an error, not a crash
        try:
            return state_before(row)
        except ROW_ERRORS as exc:
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
        self.check_file()  # never write into a file that is gone and report success
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
            was_due = before is not None and before.due <= review.reviewed_at
            after, logged = graded(before, review, card, at, was_due=was_due)
            if row is None:
                row = CardStateRow(card_id=review.card_id)
                s.add(row)
            row.set(after)
            log = ReviewRow.of(logged)
            s.add(log)
            s.flush()
            log_id = log.id
        self.check_file()  # deleted or replaced while it was written: the grade is not there
        return log_id, after

    def suspend(self, card_ids: list[str], now: datetime, by: str = "you") -> list[str]:
        """Suspend these cards (`by` you or as a leech); returns those not suspended before."""
        self.check_file()
        changed = []
        with self._session(write=True) as s, s.begin():
            for card_id in dict.fromkeys(card_ids):
                row = s.get(CardMarkRow, card_id)
                if row is None:
                    row = CardMarkRow(card_id=card_id)
                    s.add(row)
                if row.suspended_at is None:
                    row.suspended_at, row.suspended_by = now, by
                    changed.append(card_id)
        return changed

    def unsuspend(self, card_ids: list[str], *, only_by: str | None = None) -> list[str]:
        """Lift the suspension and any burial of these cards (with `only_by`, only a
        suspension made that way); returns those that had one."""
        self.check_file()
        changed = []
        with self._session(write=True) as s, s.begin():
            for card_id in dict.fromkeys(card_ids):
                row = s.get(CardMarkRow, card_id)
                if row is None or (only_by is not None and row.suspended_by != only_by):
                    continue
                changed.append(card_id)
                s.delete(row)
        return changed

    def bury(self, card_id: str, until: datetime) -> None:
        """Keep a card out of reviews until `until` (a suspension stays as it is)."""
        self.check_file()
        with self._session(write=True) as s, s.begin():
            row = s.get(CardMarkRow, card_id)
            if row is None:
                row = CardMarkRow(card_id=card_id)
                s.add(row)
            row.buried_until = until

    def record_interview(self, interview: Interview) -> int:
        """Keep one mock interview; returns its id. Two started in the same microsecond (a
        frozen clock) are kept apart by a microsecond, as grades are."""
        self.check_file()
        with self._session(write=True) as s, s.begin():
            at = interview.started_at
            taken = set(
                s.scalars(select(InterviewRow.started_at).where(InterviewRow.started_at >= at))
            )
            while at in taken:
                at += timedelta(microseconds=1)
            row = InterviewRow.of(interview)
            row.started_at = at
            s.add(row)
            s.flush()
            interview_id = row.id
        self.check_file()
        return interview_id

    def bring_forward(self, card_ids: Iterable[str], now: datetime) -> list[str]:
        """Make the given cards due at `now` (those with a schedule that is later); a card
        never graded is left alone: it is new, and comes with the new cards. Returns the ids
        of the cards moved. Their FSRS memory (stability, difficulty) is unchanged: only when
        they come back moves, and the next grade schedules them as usual."""
        self.check_file()
        moved = []
        with self._session(write=True) as s, s.begin():
            for card_id in dict.fromkeys(card_ids):
                row = s.get(CardStateRow, card_id)
                if row is None or row.due <= now:
                    continue
                card = card_record(row)
                fsrs = FsrsCard.from_dict({**card.fsrs.to_dict(), "due": now.isoformat()})
                row.set(replace(card, fsrs=fsrs, due=now))
                moved.append(card_id)
        return moved

    def undo(self, review_id: int) -> str | None:
        """Take back one review: delete its log and restore the card's previous state.
        Returns the card's id (None when there is no such review)."""
        self.check_file()
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
        """Forget progress (one card or all: then the interviews too); returns the number of
        review logs removed."""
        self.check_file()
        with self._session(write=True) as s, s.begin():
            logs = delete(ReviewRow)
            states = delete(CardStateRow)
            if card_id is not None:
                logs = logs.where(ReviewRow.card_id == card_id)
                states = states.where(CardStateRow.card_id == card_id)
            marks = delete(CardMarkRow)
            if card_id is not None:
                marks = marks.where(CardMarkRow.card_id == card_id)
            removed = s.execute(logs).rowcount  # type: ignore[attr-defined]
            s.execute(states)
            s.execute(marks)
            if card_id is None:
                s.execute(delete(InterviewRow))
            return int(removed or 0)

    def import_progress(self, progress: Progress) -> Imported:
        """Add what is not here yet, all or nothing: reviews by (card, time), card states
        where the imported one was reviewed later than ours, a suspension where a card has
        none here, a burial where it lasts longer than ours, and interviews by start time."""
        cards = reviews = skipped = marks = interviews = 0
        self.check_file()
        with self._session(write=True) as s, s.begin():
            kept = set(s.scalars(select(InterviewRow.started_at)))
            for interview in progress.interviews:
                if interview.started_at in kept:
                    continue
                kept.add(interview.started_at)
                s.add(InterviewRow.of(interview))
                interviews += 1
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
            for mark in progress.marks:
                have = s.get(CardMarkRow, mark.card_id)
                if have is None:
                    have = CardMarkRow(card_id=mark.card_id)
                    s.add(have)
                changed = False
                if mark.suspended_at is not None and have.suspended_at is None:
                    have.suspended_at, have.suspended_by = mark.suspended_at, mark.suspended_by
                    changed = True
                if mark.buried_until is not None and (
                    have.buried_until is None or have.buried_until < mark.buried_until
                ):
                    have.buried_until = mark.buried_until
                    changed = True
                marks += changed
        return Imported(cards, reviews, skipped, marks, interviews)


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else str(exc).splitlines()[0]


def open_default() -> Store:
    """The store in the user's data directory."""
    from quiz.paths import data_dir

    return Store.open(data_dir() / DB_NAME)
