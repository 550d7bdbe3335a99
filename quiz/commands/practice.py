"""`sqlaquiz practice CARD_ID`: work on one exercise directly (nothing is scheduled)."""

from __future__ import annotations

from pathlib import Path

from quiz.commands import common
from quiz.errors import ChecksFailed, UsageError


def practice(
    card_id: str,
    *,
    reset: bool,
    timeout: float | None,
    decks: list[Path] | None,
    database: str | None = None,
) -> int:
    """Write the starter (or keep the learner's file), then run it on every save; the exit
    code is 0 once every check passes, 1 otherwise (given up, or left before). --timeout and
    --db left out: the settings'."""
    from quiz import config
    from quiz.exercise.events import StdinEvents
    from quiz.exercise.loop import ExerciseLoop
    from quiz.exercise.workspace import prepare
    from quiz.sandbox.client import Runner
    from quiz.sandbox.engines import DATABASES
    from quiz.ui import exercise_view as view

    library = common.library(decks)
    card = library.get(card_id)
    if card.exercise is None:
        raise UsageError(
            f"card {card.id!r} is not an exercise (`sqlaquiz list --tag exercise` lists them)"
        )
    settings = config.load().override(timeout=timeout, db=database)
    timeout = settings.timeout
    if database is None:  # the setting, unless the card does not run there
        database = settings.db
        if not card.runs_on(database):
            database = card.databases[0]
    if database not in DATABASES:
        raise UsageError(f"--db {database!r}: use sqlite or postgresql")
    common.check_runs_on(card, database)
    common.require_trusted(library, [card])
    path, _ = prepare(card, reset=reset)
    console = common.console()
    events = StdinEvents()
    try:
        with (
            common.database(database) as db,
            Runner(timeout=timeout, database=db) as runner,
            events.keys(),
        ):
            loop = ExerciseLoop(card, path, runner, console, events)
            outcome = loop.start()
    except KeyboardInterrupt as exc:
        exc.saved = f"your code is kept in {path}"  # type: ignore[attr-defined]
        raise
    if outcome.passed:
        console.print(view.compare_hint(card.id))
    else:
        console.print(view.kept(path))
    return 0 if outcome.passed else ChecksFailed.exit_code
