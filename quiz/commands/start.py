"""`sqlaquiz start`: a review session over the filtered cards."""

from __future__ import annotations

from pathlib import Path

from quiz.commands import common
from quiz.errors import UsageError


def start(
    *,
    topics: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    limit: int | None,
    new: int | None,
    cram: bool,
    retention: float | None,
    timeout: float | None,
    decks: list[Path] | None,
    database: str | None = None,
    reviews: int | None = None,
    minutes: float | None = None,
) -> int:
    """Run the session; return its exit code. Options left out (None) come from the settings."""
    from quiz import config
    from quiz.progress.store import open_default
    from quiz.review.keys import TerminalInput
    from quiz.review.session import ReviewSession, SessionOptions
    from quiz.sandbox.client import Runner
    from quiz.sandbox.engines import DATABASES, open_database

    settings = config.load().override(
        new_per_day=new,
        reviews_per_day=reviews,
        retention=retention,
        timeout=timeout,
        db=database,
    )
    database, timeout = settings.db, settings.timeout
    if database not in DATABASES:
        raise UsageError(f"--db {database!r}: use sqlite or postgresql")

    library = common.library(decks)
    cards = common.select(library, topics, levels, tags)
    clock = common.clock()
    options = SessionOptions(
        limit=limit,
        new_per_day=settings.new_per_day,
        cram=cram,
        retention=settings.retention,
        timeout=timeout,
        fuzz=clock is None,
        reviews_per_day=settings.reviews_per_day,
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
        leech_threshold=settings.leech_threshold,
        leech_action=settings.leech_action,
        minutes=minutes,
    )
    store = open_default()
    try:
        with (
            common.database(database) as db,
            Runner(timeout=timeout, database=db) as runner,
        ):
            return ReviewSession(
                cards,
                store,
                common.console(),
                TerminalInput(),
                options,
                runner=runner,
                open_runner=lambda name: Runner(
                    timeout=timeout, database=open_database(name), owns_database=True
                ),
                trusted=library.trusted,
                **({"clock": clock} if clock else {}),
            ).run()
    finally:
        store.close()
