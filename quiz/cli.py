"""The `sqlaquiz` command line: parse options, call the core, render, map errors to exit codes.

Heavy modules (SQLAlchemy, Pydantic, FastAPI) are imported inside the commands that need them,
so `sqlaquiz --help` stays fast.
"""

import difflib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from quiz import __version__, cli_params
from quiz.errors import EXIT_INTERRUPTED, QuizError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.cards import Card, Library


class _Group(TyperGroup):
    """Turns domain errors into one line on stderr and their exit code; Ctrl-C into 130."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except QuizError as exc:
            _err_console().print(_labelled("error: ", "bold red", str(exc)))
            raise typer.Exit(exc.exit_code) from None
        except typer.TyperException as exc:
            # Click's usage errors (bad option values, unknown options) as one line, too.
            subcommand = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            _usage_error(exc, subcommand)
            raise
        except KeyboardInterrupt:
            saved = " — every graded card is saved" if ctx.invoked_subcommand == "start" else ""
            _err_console().print(f"\ninterrupted{saved}", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        cli_params.install(self, ctx)  # --help, --version, completion: plain flags
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:  # e.g. `sqlaquiz --bogus`
            _usage_error(exc, ctx.command_path)
            raise

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        cli_params.install(command, ctx)  # str / Path options without pydantic: see cli_params
        return name, command, rest

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the order they are defined in, not alphabetical


def _usage_error(exc: Exception, where: str) -> None:
    """A usage error (exit code 2) becomes one line on stderr and exit 2; others pass."""
    if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
        return
    if type(exc).__name__ == "NoArgsIsHelpError":  # `sqlaquiz` alone: the help, as Click shows it
        return
    where = getattr(getattr(exc, "ctx", None), "command_path", None) or where
    message = f"{exc.format_message()} (see '{where} --help')"
    _err_console().print(_labelled("error: ", "bold red", message))
    raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    help="A spaced-repetition quiz on SQLAlchemy with FastAPI whose examples really run.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: Rich's help renderer costs ~60 ms of imports
    pretty_exceptions_enable=False,
)


def _labelled(label: str, style: str, message: str) -> Any:
    """`label` styled, then the message as plain text: values from users (paths, ids, topic
    names) must never be read as Rich markup."""
    from rich.text import Text

    text = Text(label, style=style)
    text.append(message)
    return text


def _console() -> "Console":
    from rich.console import Console

    return Console(highlight=False)


def _err_console() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sqlaquiz {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """A spaced-repetition quiz on SQLAlchemy with FastAPI whose examples really run."""


DeckOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--deck",
        metavar="PATH",
        help="Extra deck file or folder (repeatable; also $SQLAQUIZ_DECKS).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", "-t", metavar="TOPIC", help="Topic slug or name (repeatable)."),
]
LevelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--difficulty",
        "-d",
        metavar="LEVEL",
        help="easy, medium or hard (repeatable).",
        show_default=False,
    ),
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", metavar="TAG", help="Tag (repeatable).")]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", metavar="SECONDS", help="Seconds an example may run.", min=0.1)
]


def _library(decks: list[Path] | None) -> "Library":
    """Bundled + user decks; each problem becomes one warning line, the rest still loads."""
    from quiz.deck_cache import load_library_cached
    from quiz.paths import user_deck_paths

    library = load_library_cached(user_deck_paths(decks))
    err = _err_console()
    for problem in library.problems:
        err.print(_labelled("warning: ", "yellow", str(problem)))
    return library


def _select(
    library: "Library", topics: list[str] | None, levels: list[str] | None, tags: list[str] | None
) -> "list[Card]":
    from quiz.filters import select_cards

    return select_cards(library, topics or [], levels or [], tags or [])


# ------------------------------------------------------------------ start


@app.command()
def start(
    difficulty: LevelOpt = None,
    topic: TopicOpt = None,
    tag: TagOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="Most cards this session.", min=1)
    ] = None,
    new: Annotated[
        int | None,
        typer.Option("--new", metavar="N", help="New cards allowed today (default 10).", min=0),
    ] = None,
    cram: Annotated[
        bool,
        typer.Option(
            "--cram", help="Practise the filtered cards now; no schedule or review log is written."
        ),
    ] = False,
    retention: Annotated[
        float,
        typer.Option(
            "--retention", metavar="R", help="Desired retention for FSRS.", min=0.7, max=0.99
        ),
    ] = 0.9,
    deck: DeckOpt = None,
    timeout: TimeoutOpt = 10.0,
) -> None:
    """Review due and new cards with spaced repetition (FSRS).

    Keys after the answer: r run the example, e edit and run, 1-4 grade (Again, Hard, Good,
    Easy), s skip, u undo, q quit, ? help.
    """
    from quiz.session import ReviewSession, SessionOptions
    from quiz.store import open_default
    from quiz.terminal import TerminalInput

    library = _library(deck)
    cards = _select(library, topic, difficulty, tag)
    clock = _clock()
    options = SessionOptions(
        limit=limit,
        new_per_day=new,
        cram=cram,
        retention=retention,
        timeout=timeout,
        fuzz=clock is None,
    )
    store = open_default()
    try:
        code = ReviewSession(
            cards,
            store,
            _console(),
            TerminalInput(),
            options,
            **({"clock": clock} if clock else {}),
        ).run()
    finally:
        store.close()
    raise typer.Exit(code)


# ------------------------------------------------------------------ run


@app.command()
def run(
    card_id: Annotated[
        str | None, typer.Argument(metavar="CARD_ID", help="The card whose example to run.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="SCRIPT",
            help="Run your own script instead of a card's example.",
        ),
    ] = None,
    export: Annotated[
        bool, typer.Option("--export", help="Print the example as a standalone script and exit.")
    ] = False,
    edit: Annotated[
        bool,
        typer.Option(
            "--edit", help="Edit the example in $EDITOR, run it and compare with the original."
        ),
    ] = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 10.0,
    deck: DeckOpt = None,
) -> None:
    """Run a card's example and show what really happened.

    Every SQL statement (with parameters, lazy-load, duplicate and N+1 marks), the query count
    per cell and in total, the output, warnings and any exception. --file runs your own script
    the same way.
    """
    from quiz import examples

    if (card_id is None) == (file is None):
        raise UsageError("give a CARD_ID or --file PATH (one of them)")
    console = _console()
    if file is not None:
        source, label, card = examples.read_script(file), str(file), None
    else:
        assert card_id is not None
        card = _library(deck).get(card_id)
        source, label = examples.card_source(card), card.id
    if export:
        typer.echo(examples.export_script(card, source) if card else source, nl=False)
        return
    code = examples.run_and_report(
        console, source, label, card, timeout=timeout, as_json=as_json, edit=edit
    )
    raise typer.Exit(code)


# ------------------------------------------------------------------ validate


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...", help="Deck files or folders (default: the bundled decks and yours)."
        ),
    ] = None,
    run_examples: Annotated[
        bool,
        typer.Option("--run", help="Run every example and check its expectations and challenge."),
    ] = False,
    card_filter: Annotated[
        list[str] | None,
        typer.Option("--card", metavar="ID", help="Only these card ids (repeatable)."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Parallel workers (default: all cores).",
            min=0,
            show_default=False,
        ),
    ] = 0,
    timeout: TimeoutOpt = 10.0,
    deck: DeckOpt = None,
) -> None:
    """Check decks; with --run, prove every card's claims.

    Without --run: the schema check, one line per problem (file, line, card, field). With --run:
    every example runs (spread over all cores) and each expectation and challenge is checked.
    """
    from quiz import examples
    from quiz.deck import load_library
    from quiz.paths import user_deck_paths

    if paths:
        library = load_library(list(paths), bundled=False, check_syntax=True)
    else:
        library = load_library(user_deck_paths(deck), check_syntax=True)
    code = examples.validate(
        _console(),
        _err_console(),
        library,
        run_examples,
        card_ids=card_filter or [],
        jobs=jobs or (os.cpu_count() or 1),
        timeout=timeout,
    )
    raise typer.Exit(code)


# ------------------------------------------------------------------ progress views


@app.command("list")
def list_cards(
    topic: TopicOpt = None,
    difficulty: LevelOpt = None,
    tag: TagOpt = None,
    due: Annotated[bool, typer.Option("--due", help="Only cards due now.")] = False,
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """List cards with their state, due date, recall and lapses."""
    from quiz import progress, views

    cards = _select(_library(deck), topic, difficulty, tag)
    with _existing_store() as store:
        rows = progress.card_rows(cards, store)
    if due:
        rows = [r for r in rows if r.is_due]
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        console = _console()
        filtered = bool(topic or difficulty or tag)
        empty = "Nothing is due right now." if due and not filtered else "No cards match."
        console.print(views.card_table(rows, console.width, empty))


@app.command()
def topics(
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Progress per topic and level.

    Cards, new / learning / review / due now, and mastery (mean recall probability of the
    cards you have reviewed).
    """
    from quiz import progress, views

    library = _library(deck)
    with _existing_store() as store:
        summary = progress.topic_summary(library, store)
    if as_json:
        typer.echo(json.dumps([t.to_json() for t in summary], indent=2))
    else:
        _console().print(views.topics_table(summary))


@app.command()
def show(
    card_id: Annotated[str, typer.Argument(metavar="CARD_ID", help="The card to show.")],
    with_answer: Annotated[
        bool, typer.Option("--answer", "-a", help="Also show the answer and the example.")
    ] = False,
    deck: DeckOpt = None,
) -> None:
    """Show a card as it appears in a session."""
    from quiz import render

    card = _library(deck).get(card_id)
    console = _console()
    console.print(render.question(card))
    if card.challenge is not None and card.example:
        console.print(render.code(card.example, title=f"{card.id}.py"))
        console.print(render.challenge_prompt(card))
    if with_answer:
        console.print(render.answer(card))
        if card.example and card.challenge is None:
            console.print(render.code(card.example, title=f"{card.id}.py"))


@app.command()
def stats(
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Your statistics: reviews, streak, retention, forecast.

    Reviews per day for 30 days, current streak, true retention, a 14-day due forecast, the
    hardest cards, prediction accuracy and time spent.
    """
    from quiz import progress, views

    library = _library(deck)
    with _existing_store() as store:
        report = progress.stats(library, store)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        views.stats_report(_console(), report)


@app.command()
def export(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Where to write the JSON ('-' for stdout).")
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Export your progress as versioned JSON.

    Card states and every review log; import it elsewhere with `sqlaquiz import`.
    """
    from quiz import transfer
    from quiz.store import open_default
    from quiz.style import plural

    store = open_default()
    try:
        data = transfer.export_data(store)
    finally:
        store.close()
    if str(file) == "-":
        typer.echo(json.dumps(data, indent=2))
        return
    transfer.write_file(file, data, force=force)
    _err_console().print(
        f"exported {plural(len(data['cards']), 'card state')} and "
        f"{plural(len(data['reviews']), 'review')} to {file}",
        soft_wrap=True,
        markup=False,
    )


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file written by `sqlaquiz export`.")
    ],
) -> None:
    """Import progress from an export file.

    Adds only what is not here yet: importing the same file twice adds nothing twice. A
    malformed or foreign file changes nothing.
    """
    from quiz import transfer
    from quiz.store import open_default
    from quiz.style import plural

    data = transfer.read_file(file)
    store = open_default()
    try:
        added = transfer.import_data(store, data)
    finally:
        store.close()
    _console().print(
        f"imported {plural(added.reviews, 'new review')} and {plural(added.cards, 'card state')} "
        f"from {file}" + (f" ({added.skipped} reviews were already here)" if added.skipped else ""),
        soft_wrap=True,
        markup=False,
    )


@app.command()
def reset(
    card: Annotated[
        str | None, typer.Option("--card", metavar="ID", help="Reset only this card.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    deck: DeckOpt = None,
) -> None:
    """Forget progress, all of it or one card.

    Asks first (or --yes) and writes a backup file before deleting anything.
    """
    from quiz import transfer
    from quiz.store import open_default

    store = open_default()
    try:
        if card is not None and card not in store.states():
            from quiz.errors import UnknownCardError

            library = _library(deck)
            known = {c.id for c in library.cards} | set(store.states())
            if card not in known:
                raise UnknownCardError(card, difflib.get_close_matches(card, sorted(known), n=3))
        what = f"card {card!r}" if card else "ALL progress"
        if not yes and not _confirm(f"Delete {what}? A backup is written first"):
            _err_console().print("nothing was deleted (pass --yes to skip the question)")
            raise typer.Exit(1)
        backup = transfer.backup(store)
        removed = store.reset(card)
    finally:
        store.close()
    _console().print(
        f"reset {what}: {removed} reviews removed; backup at {backup}", soft_wrap=True, markup=False
    )


def _confirm(question: str) -> bool:
    """Ask yes/no; no answer (end of input) counts as no."""
    try:
        return bool(typer.confirm(question, default=False))
    except (typer.Abort, EOFError):
        return False


def _clock() -> Any:
    """$SQLAQUIZ_NOW (ISO 8601) freezes the clock and turns FSRS fuzzing off: exact,
    reproducible schedules for tests and demos."""
    from quiz.timeutil import fixed_clock

    return fixed_clock(os.environ.get("SQLAQUIZ_NOW"))


@contextmanager
def _existing_store() -> Iterator[Any]:
    """The store if one exists yet (views work, empty, before the first review); closed after."""
    from quiz.paths import data_dir
    from quiz.store import DB_NAME, Store

    path = data_dir() / DB_NAME
    store = Store.open(path) if path.exists() else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def main() -> None:
    """Console-script entry point."""
    app()
