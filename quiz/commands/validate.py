"""`sqlaquiz validate`: the decks' schema, and with --run every example against its claims."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.text import Text

from quiz.commands import common
from quiz.deck.cards import Card, Library
from quiz.deck.checks import check
from quiz.errors import ChecksFailed, DeckError, UsageError
from quiz.sandbox.client import Runner, RunResult
from quiz.sandbox.engines import DATABASES, default_database
from quiz.ui import run_report as render
from quiz.ui.safe import safe_text
from quiz.ui.style import plural


def validate_command(
    paths: list[Path] | None,
    *,
    run_examples: bool,
    card_ids: list[str],
    jobs: int,
    timeout: float,
    decks: list[Path] | None,
    database: str | None = None,
) -> int:
    """Load what to check (the given paths, else the bundled decks and the user's), then check."""
    from quiz.deck import trust
    from quiz.deck.loader import load_library
    from quiz.paths import user_deck_paths

    if paths:
        library = load_library(list(paths), bundled=False, check_syntax=True)
    else:
        library = load_library(user_deck_paths(decks), check_syntax=True)
    trust.mark(library)
    return validate(
        common.console(),
        common.err_console(),
        library,
        run_examples,
        card_ids=card_ids,
        jobs=jobs or (os.cpu_count() or 1),
        timeout=timeout,
        database=database or default_database(),
    )


def validate(
    console: Console,
    err: Console,
    library: Library,
    run_examples: bool,
    *,
    card_ids: list[str],
    jobs: int,
    timeout: float,
    database: str = "sqlite",
) -> int:
    """Schema problems, then (with --run) every example against its claims; 0 if all hold."""
    for problem in library.problems:
        err.print(Text("✗ ", style="red") + safe_text(problem))
    cards = library.cards
    if card_ids:
        cards = [library.get(cid) for cid in card_ids]
    if not run_examples:
        ok = not library.problems
        summary = f"{plural(len(cards), 'valid card')}, {plural(len(library.problems), 'problem')}"
        console.print(
            f"[{'green' if ok else 'red'}]{'✓' if ok else '✗'}[/] {summary}", highlight=False
        )
        return DeckError.exit_code if library.problems else 0
    if database not in DATABASES:
        raise UsageError(f"--db {database!r}: use sqlite or postgresql")
    runnable = [c for c in cards if c.example and database in c.databases]
    elsewhere = sum(1 for c in cards if c.example and database not in c.databases)
    common.require_trusted(library, runnable)
    with (
        common.database(database) as db,
        Runner(timeout=timeout, workers=jobs, database=db) as runner,
    ):
        results = runner.run_many([(c.example or "", f"{c.id}.py") for c in runnable])
    by_id = dict(zip([c.id for c in runnable], results, strict=True))
    rows: list[tuple[Card, RunResult | None, list[str]]] = []
    failed = 0
    for card in cards:
        result = by_id.get(card.id)
        failures = check(card, result).failures if result is not None else []
        failed += bool(failures)
        rows.append((card, result, failures))
    console.print(render.validate_table(rows))
    problems = len(library.problems)
    ok = not failed and not problems
    mark = "[green]✓[/]" if ok else "[red]✗[/]"
    where = render.DATABASE_NAMES[database]
    not_here = f" ({plural(elsewhere, 'card')} not for {where})" if elsewhere else ""
    console.print(
        f"{mark} {plural(len(runnable), 'example')} run on {where}, {failed} failed, "
        f"{plural(problems, 'deck problem')}{not_here}",
        highlight=False,
    )
    if problems:
        return DeckError.exit_code
    return 0 if ok else ChecksFailed.exit_code
