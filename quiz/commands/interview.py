"""`sqlaquiz interview`: a timed mock interview over the filtered cards, then its scorecard."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from quiz.commands import common
from quiz.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.deck.cards import Card
    from quiz.exercise.rating import Outcome
    from quiz.progress.store import Store
    from quiz.review.interview import Scorecard
    from quiz.review.keys import InputSource
    from quiz.sandbox.client import Runner


def interview(
    *,
    minutes: int,
    topics: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    decks: list[Path] | None,
    timeout: float | None,
    database: str | None,
    as_json: bool,
    markdown: Path | None,
) -> int:
    """Plan, ask, score, keep, show; return the exit code. Options left out (None) come
    from the settings."""
    from rich.console import Console

    from quiz import config
    from quiz.clock import utcnow
    from quiz.progress.store import open_default
    from quiz.review.interview import plan
    from quiz.review.interview_session import MockInterview
    from quiz.review.keys import TerminalInput
    from quiz.sandbox.engines import DATABASES

    settings = config.load().override(timeout=timeout, db=database)
    database, timeout = settings.db, settings.timeout
    if database not in DATABASES:
        raise UsageError(f"--db {database!r}: use sqlite or postgresql")
    if markdown is not None and os.path.lexists(markdown):
        what = "is a folder" if markdown.is_dir() else "already exists"
        raise UsageError(f"--markdown {markdown}: {what}; give a new file name")
    library = common.library(decks)
    cards = common.select(library, topics, levels, tags)
    frozen = common.clock()
    clock = frozen or utcnow
    # a frozen clock ($SQLAQUIZ_NOW) picks the same questions every time
    rng = random.Random(clock().timestamp()) if frozen else random.Random()
    questions = plan(
        cards, minutes, rng, can_run=lambda c: library.trusted(c) and c.runs_on(database)
    )
    if not questions:
        raise UsageError(
            f"nothing to ask: of the {len(cards)} cards these filters select, none has key "
            "points or a challenge that runs here"
        )
    # with --json, stdout is the scorecard's alone: the interview itself (and every prompt the
    # input source writes to stdout) goes to stderr
    out = sys.stdout
    console = Console(stderr=as_json, highlight=False)
    inp = TerminalInput()
    store = open_default()
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    try:
        runs = any(q.kind != "open" for q in questions)
        with quiet, _runner(database, timeout, runs) as runner:
            work = None if runner is None else _exercise(runner, console)
            mock = MockInterview(questions, console, inp, clock, minutes, runner, work)
            try:
                card = mock.run()
            except KeyboardInterrupt as exc:
                from quiz.ui import interview_view as views

                sofar: Scorecard = exc.scorecard  # type: ignore[attr-defined]
                store.record_interview(sofar.record())
                console.print()
                console.print(views.scorecard(sofar))
                _show(console, sofar, store, out if as_json else None, markdown)
                exc.saved = (  # type: ignore[attr-defined]
                    f"the interview so far is kept ({len(sofar.answers)} answered; "
                    "predictions not checked)"
                )
                raise
        store.record_interview(card.record())
        try:
            with quiet:
                card = _after(console, inp, card, store, cards, clock)
        except KeyboardInterrupt as exc:
            exc.saved = "the interview is kept; nothing was brought forward"  # type: ignore[attr-defined]
            raise
        _show(console, card, store, out if as_json else None, markdown)
    finally:
        store.close()
    return 0


@contextlib.contextmanager
def _runner(database: str, timeout: float, needed: bool) -> Iterator[Runner | None]:
    """The runner that checks the predictions (None when the interview has none)."""
    if not needed:
        yield None
        return
    from quiz.sandbox.client import Runner

    with common.database(database) as db, Runner(timeout=timeout, database=db) as runner:
        yield runner


def _exercise(runner: Runner, console: Console) -> Callable[[Card], Outcome]:
    """Working on the interview's exercise: its starter in a file of its own (the learner's
    `practice` file is left alone), run on every save until it passes or they leave it."""
    from quiz.errors import DataDirError
    from quiz.exercise.events import StdinEvents
    from quiz.exercise.loop import ExerciseLoop
    from quiz.exercise.workspace import workspace_dir

    def work(card: Card) -> Outcome:
        assert card.exercise is not None
        path = workspace_dir() / f"{card.id}.interview.py"
        try:
            path.write_text(card.exercise.starter, encoding="utf-8")
        except OSError as exc:
            raise DataDirError(f"cannot write {path}: {exc.strerror or exc}") from None
        events = StdinEvents()
        with events.keys():
            return ExerciseLoop(card, path, runner, console, events, in_session=True).start()

    return work


def _after(
    console: Console,
    inp: InputSource,
    card: Scorecard,
    store: Store,
    cards: list[Card],
    clock: Callable[[], datetime],
) -> Scorecard:
    """The scorecard, the model answers and the trend on screen; then, if the learner agrees,
    the weakest topics' cards brought forward. Returns the scorecard with what moved."""
    from dataclasses import replace

    from quiz.ui import interview_view as views

    console.rule()
    console.print(views.scorecard(card))
    console.print(views.model_answers(card))
    trend = views.trend(store.interviews()[-5:])
    if trend is not None:
        console.print(trend)
    weak = card.weakest()
    if not weak:
        return card
    try:
        said = inp.line(views.bring_forward_prompt(weak)).strip().lower()
    except EOFError:
        console.print()
        said = ""
    if said not in ("y", "yes"):
        return card
    topics = {t.topic for t in weak}
    moved = store.bring_forward([c.id for c in cards if c.topic in topics], clock())
    console.print(views.brought_forward(len(moved)))
    return replace(card, moved=tuple(moved))


def _show(
    console: Console, card: Scorecard, store: Store, json_to: TextIO | None, markdown: Path | None
) -> None:
    """--json and --markdown: the scorecard as JSON on `json_to` (stdout), as Markdown in a
    file."""
    from quiz.ui import interview_view as views

    if json_to is not None:
        typer.echo(json.dumps(card.to_json(), indent=2), file=json_to)
    if markdown is not None:
        text = views.markdown(card, views.trend(store.interviews()[-5:]))
        try:
            with open(markdown, "x", encoding="utf-8") as f:  # never replaces a file
                f.write(text)
        except OSError as exc:
            raise UsageError(
                f"cannot write {markdown}: {exc.strerror or exc} (the interview is kept)"
            ) from None
        console.print(common.labelled("", "dim", f"scorecard written to {markdown}"))
