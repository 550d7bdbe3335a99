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
from quiz.sandbox.engines import DATABASES
from quiz.sandbox.protocol import DEFAULT_MEMORY_MB
from quiz.ui import run_report as render
from quiz.ui.safe import safe_text
from quiz.ui.style import plural

WORKER_MB = 150  # a warm worker's own memory, measured ~100 MiB, with room


def _available_mb() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def workers_for(jobs: int, err: Console | None = None, available_mb: int | None = None) -> int:
    """How many workers to run at once: --jobs (0: every core), capped at two per core and at
    what the machine's free memory holds when every run uses its whole memory cap."""
    cores = os.cpu_count() or 1
    wanted = jobs or cores
    limit = 2 * cores
    free = available_mb if available_mb is not None else _available_mb()
    if free is not None:
        limit = min(limit, max(1, free // (DEFAULT_MEMORY_MB + WORKER_MB)))
    if wanted <= limit:
        return wanted
    if err is not None and jobs:
        memory = f", {free / 1024:.1f} GiB free" if free is not None else ""
        err.print(
            f"--jobs {jobs}: using {limit} ({cores} cores, each run may use "
            f"{DEFAULT_MEMORY_MB // 1024} GiB{memory})",
            highlight=False,
        )
    return limit


def validate_command(
    paths: list[Path] | None,
    *,
    run_examples: bool,
    card_ids: list[str],
    jobs: int,
    timeout: float | None,
    decks: list[Path] | None,
    database: str | None = None,
) -> int:
    """Load what to check (the given paths, else the bundled decks and the user's), then check.
    --timeout and --db left out: the settings'."""
    from quiz import config
    from quiz.deck import trust
    from quiz.deck.loader import load_library
    from quiz.paths import user_deck_paths

    if paths:
        library = load_library(list(paths), bundled=False, check_syntax=True)
    else:
        library = load_library(user_deck_paths(decks), check_syntax=True)
    trust.mark(library)
    # the settings matter only to runs: a check of the decks alone works whatever they say
    settings = config.load().override(timeout=timeout, db=database) if run_examples else None
    return validate(
        common.console(),
        common.err_console(),
        library,
        run_examples,
        card_ids=card_ids,
        jobs=workers_for(jobs, common.err_console()),
        timeout=settings.timeout if settings else config.DEFAULTS.timeout,
        database=settings.db if settings else config.DEFAULTS.db,
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
