"""The schema's history, one function per version. Frozen: a released version never changes;
a new one is added at the end (and quiz/progress/schema.py changed to match, which a test checks).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 4


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


def _v3(conn: sqlite3.Connection) -> None:
    # Schema 3 keeps cards out of reviews: suspended (by the user or as a leech) or buried
    # until a time. A card never graded can be suspended too, so it is a table of its own.
    conn.execute(
        "CREATE TABLE card_mark (card_id VARCHAR PRIMARY KEY, suspended_at DATETIME,"
        " suspended_by VARCHAR, buried_until DATETIME)"
    )


def _v4(conn: sqlite3.Connection) -> None:
    # Schema 4 keeps how many of a card's key points a typed answer covered, and each mock
    # interview's scorecard (issue 16).
    conn.execute("ALTER TABLE review_log ADD COLUMN key_points_covered INTEGER")
    conn.execute("ALTER TABLE review_log ADD COLUMN key_points_total INTEGER")
    conn.execute(
        "CREATE TABLE interview (id INTEGER PRIMARY KEY, started_at DATETIME NOT NULL,"
        " ended_at DATETIME NOT NULL, minutes INTEGER NOT NULL, questions INTEGER NOT NULL,"
        " key_points_covered INTEGER NOT NULL, key_points_total INTEGER NOT NULL,"
        " predictions_right INTEGER NOT NULL, predictions_total INTEGER NOT NULL,"
        " exercises_passed INTEGER NOT NULL, exercises_total INTEGER NOT NULL,"
        " scorecard TEXT NOT NULL, UNIQUE (started_at))"
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4}
