"""The `sqlaquiz` command line: declares the commands and dispatches to quiz.commands.

Domain errors become one line on stderr and their exit code here, in one place.

Heavy modules (SQLAlchemy, Pydantic, FastAPI) are imported inside the commands that need them,
so `sqlaquiz --help` stays fast.
"""

from quiz.commands import early

# `sqlaquiz run`: its example's process starts now, and loads while the rest of sqlaquiz does.
early.start_run_worker()

import contextlib  # noqa: E402
import gc  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Any  # noqa: E402

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from quiz import __version__  # noqa: E402
from quiz.commands import common, complete, params  # noqa: E402
from quiz.errors import EXIT_INTERRUPTED, QuizError, Terminated  # noqa: E402


class _Group(TyperGroup):
    """Turns domain errors into one line on stderr and their exit code; Ctrl-C into 130, and
    SIGTERM / SIGHUP into 128 + the signal, after the same clean-up as Ctrl-C."""

    def invoke(self, ctx: Any) -> Any:
        try:
            with _signals_end_the_command():
                return super().invoke(ctx)
        except QuizError as exc:
            common.err_console().print(common.labelled("error: ", "bold red", str(exc)))
            raise typer.Exit(exc.exit_code) from None
        except typer.TyperException as exc:
            # Click's usage errors (bad option values, unknown options) as one line, too.
            subcommand = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            _usage_error(exc, subcommand)
            raise
        except KeyboardInterrupt as exc:
            saved = getattr(exc, "saved", None)
            if saved is None and ctx.invoked_subcommand == "start":
                saved = "every graded card is saved"
            what = "interrupted"
            code = EXIT_INTERRUPTED
            if isinstance(exc, Terminated):
                what = f"terminated by {signal.Signals(exc.signum).name}"
                code = exc.exit_code
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                common.err_console().print(
                    common.labelled("", "", f"\n{what}" + (f" — {saved}" if saved else ""))
                )
            raise typer.Exit(code) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        params.install(self, ctx)  # --help, --version, completion: plain flags
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:  # e.g. `sqlaquiz --bogus`
            _usage_error(exc, ctx.command_path)
            raise

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        params.install(command, ctx)  # str / Path options without pydantic: see commands/params.py
        return name, command, rest

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the order they are defined in, not alphabetical


@contextlib.contextmanager
def _signals_end_the_command() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt) for the duration of the
    command, so a session ends the way Ctrl-C ends it: every `finally` runs, workers stop,
    run folders go, and the last line says what is saved. A second signal during that
    clean-up is ignored, so the clean-up finishes."""
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def end(signum: int, frame: Any) -> None:
        for sig in wanted:
            signal.signal(sig, signal.SIG_IGN)
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, end) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _usage_error(exc: Exception, where: str) -> None:
    """A usage error (exit code 2) becomes one line on stderr and exit 2; others pass."""
    if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
        return
    if type(exc).__name__ == "NoArgsIsHelpError":  # `sqlaquiz` alone: the help, as Click shows it
        return
    where = getattr(getattr(exc, "ctx", None), "command_path", None) or where
    message = f"{exc.format_message()} (see '{where} --help')"
    common.err_console().print(common.labelled("error: ", "bold red", message))
    raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    help="A spaced-repetition quiz on SQLAlchemy with FastAPI whose examples really run.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: Rich's help renderer costs ~60 ms of imports
    pretty_exceptions_enable=False,
)


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
    typer.Option(
        "--topic",
        "-t",
        metavar="TOPIC",
        help="Topic slug or name (repeatable).",
        autocompletion=complete.topics,
    ),
]
LevelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--difficulty",
        "-d",
        metavar="LEVEL",
        help="easy, medium or hard (repeatable).",
        show_default=False,
        autocompletion=complete.levels,
    ),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option("--tag", metavar="TAG", help="Tag (repeatable).", autocompletion=complete.tags),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="DB",
        help="sqlite or postgresql (default: the db setting, else sqlite).",
        show_default=False,
        autocompletion=complete.databases,
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Seconds an example may run, at most an hour (default: the timeout setting, 10).",
        show_default=False,
        min=0.1,
        max=3600,
        callback=params.finite,
    ),
]


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
        typer.Option(
            "--new", metavar="N", help="New cards allowed today (default: new_per_day, 10).", min=0
        ),
    ] = None,
    reviews: Annotated[
        int | None,
        typer.Option(
            "--reviews",
            metavar="N",
            help="Reviews allowed today (default: reviews_per_day, 200).",
            min=0,
        ),
    ] = None,
    minutes: Annotated[
        float | None,
        typer.Option(
            "--minutes",
            metavar="M",
            help="End the session after the card in progress once M minutes have passed.",
            min=0.1,
            max=1440,
            callback=params.finite,
        ),
    ] = None,
    cram: Annotated[
        bool,
        typer.Option(
            "--cram", help="Practise the filtered cards now; no schedule or review log is written."
        ),
    ] = False,
    retention: Annotated[
        float | None,
        typer.Option(
            "--retention",
            metavar="R",
            help="Desired retention for FSRS (default: the retention setting, 0.9).",
            min=0.7,
            max=0.99,
            callback=params.finite,
            show_default=False,
        ),
    ] = None,
    deck: DeckOpt = None,
    timeout: TimeoutOpt = None,
    db: DbOpt = None,
) -> None:
    """Review due and new cards with spaced repetition (FSRS).

    Keys after the answer: r run the example, e edit and run, 1-4 grade (Again, Hard, Good,
    Easy; Enter or Space is Good), s skip, b bury until tomorrow, u undo, q quit, ? help.
    """
    from quiz.commands.start import start as run_session

    code = run_session(
        topics=topic,
        levels=difficulty,
        tags=tag,
        limit=limit,
        new=new,
        reviews=reviews,
        minutes=minutes,
        cram=cram,
        retention=retention,
        timeout=timeout,
        decks=deck,
        database=db,
    )
    raise typer.Exit(code)


# ------------------------------------------------------------------ run


@app.command()
def run(
    card_id: Annotated[
        str | None,
        typer.Argument(
            metavar="CARD_ID",
            help="The card whose example to run.",
            autocompletion=complete.card_ids,
        ),
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
    timeout: TimeoutOpt = None,
    deck: DeckOpt = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="DB",
            help="sqlite, postgresql, or both side by side (default: the db setting, else sqlite).",
            show_default=False,
            autocompletion=complete.databases,
        ),
    ] = None,
    sql: Annotated[
        bool, typer.Option("--sql", help="With --db both: every statement of each run too.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Every statement of the setup cell too (else one line sums them up)."
        ),
    ] = False,
) -> None:
    """Run a card's example and show what really happened.

    Every SQL statement (with parameters, lazy-load, duplicate and N+1 marks), the query count
    per cell and in total, the output, warnings and any exception. --file runs your own script
    the same way.
    """
    from quiz.commands import run as command

    code = command.run(
        card_id,
        file,
        export=export,
        edit=edit,
        as_json=as_json,
        timeout=timeout,
        decks=deck,
        database=db,
        show_sql=sql,
        full=full,
    )
    raise typer.Exit(code)


# ------------------------------------------------------------------ practice


@app.command()
def practice(
    card_id: Annotated[str, typer.Argument(metavar="CARD_ID", help="The exercise to work on.")],
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Start again from the starter code (yours goes to .bak)."),
    ] = False,
    timeout: TimeoutOpt = None,
    deck: DeckOpt = None,
    db: DbOpt = None,
) -> None:
    """Work on one exercise: fix its code in your editor until every check passes.

    The code is written to a file under the data directory; every save runs it and shows
    each check. Keys: h the next hint, r run again, g give up (the reference solution and a
    diff), q quit. Your last version is kept for next time.
    """
    from quiz.commands.practice import practice as command

    raise typer.Exit(command(card_id, reset=reset, timeout=timeout, decks=deck, database=db))


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
        typer.Option(
            "--card",
            metavar="ID",
            help="Only these card ids (repeatable).",
            autocompletion=complete.card_ids,
        ),
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
    timeout: TimeoutOpt = None,
    deck: DeckOpt = None,
    db: DbOpt = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Check again on every save, until Ctrl-C.")
    ] = False,
) -> None:
    """Check decks; with --run, prove every card's claims.

    Without --run: the schema check, one line per problem (file, line, card, field). With --run:
    every example runs (spread over all cores) and each expectation and challenge is checked.
    """
    from quiz.commands.validate import validate_command

    def check() -> int:
        return validate_command(
            paths,
            run_examples=run_examples,
            card_ids=card_filter or [],
            jobs=jobs,
            timeout=timeout,
            decks=deck,
            database=db,
        )

    if watch:
        from quiz.commands.validate import watch_decks

        raise typer.Exit(watch_decks(paths, deck, check))
    raise typer.Exit(check())


# ------------------------------------------------------------------ progress views


@app.command("list")
def list_cards(
    topic: TopicOpt = None,
    difficulty: LevelOpt = None,
    tag: TagOpt = None,
    due: Annotated[bool, typer.Option("--due", help="Only cards due now.")] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            metavar="TEXT",
            help="Only cards whose question, answer, tags or code hold TEXT (any case); "
            "shows the lines.",
        ),
    ] = None,
    question: Annotated[
        bool, typer.Option("--question", help="Show each card's question under it.")
    ] = False,
    suspended: Annotated[
        bool, typer.Option("--suspended", help="Only suspended or buried cards.")
    ] = False,
    leeches: Annotated[bool, typer.Option("--leeches", help="Only leeches.")] = False,
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """List cards with their state, due date, recall and lapses; find cards by text."""
    from quiz.commands import views

    views.list_cards(
        topics=topic,
        levels=difficulty,
        tags=tag,
        due=due,
        as_json=as_json,
        decks=deck,
        search=search,
        question=question,
        held=suspended,
        leeches=leeches,
    )


@app.command()
def topics(
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Progress per topic and level.

    Cards, new / learning / review / due now, and mastery: the mean recall of all the cards,
    new and untested ones counting 0 (see the README).
    """
    from quiz.commands import views

    views.topics(as_json=as_json, decks=deck)


@app.command()
def show(
    card_id: Annotated[
        str,
        typer.Argument(
            metavar="CARD_ID", help="The card to show.", autocompletion=complete.card_ids
        ),
    ],
    with_answer: Annotated[
        bool, typer.Option("--answer", "-a", help="Also show the answer and the example.")
    ] = False,
    deck: DeckOpt = None,
) -> None:
    """Show a card as it appears in a session."""
    from quiz.commands import views

    views.show(card_id, with_answer=with_answer, decks=deck)


@app.command()
def stats(
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Your statistics: reviews, streak, retention, forecast.

    Reviews per day for 30 days, current streak, true retention, a 14-day due forecast, the
    hardest cards, prediction accuracy and time spent.
    """
    from quiz.commands import views

    views.stats(as_json=as_json, decks=deck)


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
    from quiz.commands import progress

    progress.export(file, force=force)


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
    from quiz.commands import progress

    progress.import_(file)


@app.command()
def reset(
    card: Annotated[
        str | None,
        typer.Option(
            "--card",
            metavar="ID",
            help="Forget only this card's progress.",
            autocompletion=complete.card_ids,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    deck: DeckOpt = None,
) -> None:
    """Forget progress, all of it or one card.

    Schedules and review logs only: the cards stay in their decks. Asks first (or --yes) and
    writes a backup file before forgetting anything.
    """
    from quiz.commands import progress

    raise typer.Exit(progress.reset(card, yes=yes, decks=deck))


# ------------------------------------------------------------------ optimize


@app.command()
def optimize(
    as_json: JsonOpt = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget the fitted parameters: FSRS's defaults again.")
    ] = False,
) -> None:
    """Fit FSRS's parameters to your own review history.

    Scores FSRS's defaults, your current parameters and the fitted ones on the same history
    (log loss, RMSE) and keeps the fitted ones only when they predict it better. Needs the
    optional extra: pip install 'sqlaquiz[optimizer]'.
    """
    from quiz.commands.optimize import optimize as command

    raise typer.Exit(command(as_json=as_json, reset=reset))


# ------------------------------------------------------------------ authoring


@app.command()
def schema(
    file: Annotated[
        Path | None,
        typer.Argument(metavar="FILE", help="Write it here and print the modeline to use."),
    ] = None,
) -> None:
    """Print the deck format as a JSON Schema, for editors.

    YAML editors (VS Code's YAML extension, anything using yaml-language-server) validate and
    complete a deck file whose first line is `# yaml-language-server: $schema=FILE`.
    """
    from quiz.commands.schema import schema as command

    command(file)


@app.command()
def new(
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic",
            "-t",
            metavar="TOPIC",
            help="Topic slug or name; a new slug starts a new topic (asked when missing).",
            autocompletion=complete.topics,
        ),
    ] = None,
    difficulty: Annotated[
        str | None,
        typer.Option(
            "--difficulty",
            "-d",
            metavar="LEVEL",
            help="easy, medium or hard (asked when missing).",
            autocompletion=complete.levels,
        ),
    ] = None,
    card_id: Annotated[
        str | None,
        typer.Option("--id", metavar="ID", help="The new card's id (asked when missing)."),
    ] = None,
    deck: Annotated[
        Path | None,
        typer.Option(
            "--deck",
            metavar="FILE",
            help="The deck file to add to (default: your deck for the topic).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a new card into one of your decks, in your editor.

    Scaffolds the card, opens $EDITOR, and adds it to the deck once it passes validate's
    checks; on errors it reopens the editor or keeps your draft aside. Nothing you wrote is lost.
    """
    from quiz.commands.new import new as command

    raise typer.Exit(command(topic=topic, difficulty=difficulty, card_id=card_id, deck=deck))


# ------------------------------------------------------------------ trust


@app.command()
def trust(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH...", help="Deck files or folders to trust, as they are now."),
    ] = None,
    show: Annotated[bool, typer.Option("--list", help="List the trusted deck files.")] = False,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Stop trusting these deck files or folders.")
    ] = False,
) -> None:
    """Let a deck's examples run: they run as you.

    Decks other than the bundled ones run no code until you trust them. Trust is kept per deck
    file with a hash of its content: a deck that changes must be trusted again.
    """
    from quiz.commands.trust import trust as command

    command(paths or [], show=show, revoke=revoke)


# ------------------------------------------------------------------ suspend, unsuspend

CardIdsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="CARD_ID...",
        help="Cards, by id.",
        show_default=False,
        autocompletion=complete.card_ids,
    ),
]
LeechesOpt = Annotated[
    bool, typer.Option("--leeches", help="Every leech (lapses at the leech_threshold setting).")
]


@app.command()
def suspend(
    card_ids: CardIdsArg = None,
    topic: TopicOpt = None,
    difficulty: LevelOpt = None,
    tag: TagOpt = None,
    leeches: LeechesOpt = False,
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Keep cards out of your reviews until you unsuspend them.

    Name cards by id, or select them with --topic, --difficulty, --tag or --leeches. Their
    progress is kept; `sqlaquiz unsuspend` lets them back in.
    """
    from quiz.commands.marks import change

    change(
        True,
        card_ids or [],
        topics=topic,
        levels=difficulty,
        tags=tag,
        leeches=leeches,
        as_json=as_json,
        decks=deck,
    )


@app.command()
def unsuspend(
    card_ids: CardIdsArg = None,
    topic: TopicOpt = None,
    difficulty: LevelOpt = None,
    tag: TagOpt = None,
    leeches: LeechesOpt = False,
    as_json: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Let suspended or buried cards back into your reviews.

    Name cards by id, or select them with --topic, --difficulty, --tag or --leeches.
    """
    from quiz.commands.marks import change

    change(
        False,
        card_ids or [],
        topics=topic,
        levels=difficulty,
        tags=tag,
        leeches=leeches,
        as_json=as_json,
        decks=deck,
    )


# ------------------------------------------------------------------ config


@app.command("config")
def config_(
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            help="A setting (all of them when omitted).",
            autocompletion=complete.settings,
        ),
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Argument(metavar="VALUE...", help="Set KEY to this in the config file."),
    ] = None,
    unset: Annotated[
        bool, typer.Option("--unset", help="Remove KEY from the config file.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show, get or set your settings, and where each value comes from.

    `config` lists them all, `config KEY` prints one, `config KEY VALUE` writes it into the
    config file (your comments stay), `config --unset KEY` removes it. A flag comes first, then
    the setting's environment variable, then the config file, then the default.
    """
    from quiz.commands.config import config_command

    config_command(key, value or [], unset=unset, as_json=as_json)


# ------------------------------------------------------------------ interview


@app.command()
def interview(
    minutes: Annotated[
        int,
        typer.Option(
            "--minutes", metavar="N", help="How long the interview lasts.", min=1, max=240
        ),
    ] = 30,
    difficulty: LevelOpt = None,
    topic: TopicOpt = None,
    tag: TagOpt = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", metavar="FILE", help="Also write the scorecard as Markdown."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scorecard as JSON (the interview on stderr).")
    ] = False,
    deck: DeckOpt = None,
    timeout: TimeoutOpt = None,
    db: DbOpt = None,
) -> None:
    """A timed mock interview: open questions scored by key points, predictions checked by
    running the code, no answers until the scorecard at the end.

    Each interview is kept; the scorecard shows the trend and offers to bring the weakest
    topics' cards forward.
    """
    from quiz.commands.interview import interview as run_interview

    code = run_interview(
        minutes=minutes,
        topics=topic,
        levels=difficulty,
        tags=tag,
        decks=deck,
        timeout=timeout,
        database=db,
        as_json=as_json,
        markdown=markdown,
    )
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    from quiz.ui import encoding

    encoding.install()  # a terminal without Unicode gets ASCII stand-ins, not a traceback
    try:
        app()
    finally:
        # On its way out Python collects every object once more: measured 50-100 ms once Typer
        # and Rich are loaded, more with SQLAlchemy. Nothing needs it, the process is ending.
        gc.freeze()
